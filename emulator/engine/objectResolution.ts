/**
 * How compiled queries find the objects they name. Without a resolver, FROM accepts only `sys.x` and
 * `master.sys.x` (views.ts). Sessions pass one (the database layer's, databases/objects.ts) that
 * also knows user tables, other databases' views and msdb's tables, and that implements SQL Server's
 * deferred name resolution: while a batch compiles, a statement naming an object that does not
 * exist yet (e.g. a table the same batch creates) is compiled again when it runs.
 */
import type { TableRef } from "./ast";
import type { CatalogView } from "./views";

/** Resolves the objects a batch names. */
export interface ObjectResolver {
  /** The view or table `ref` names, or undefined when there is none (208 when the statement runs). */
  resolve(ref: TableRef): CatalogView | undefined;
  /** True while a batch compiles: an unknown object then defers the statement's compilation. */
  readonly deferring: boolean;
  /** A USE statement was compiled: later statements of the batch resolve in `database`. */
  onUse?(database: string): void;
}

/** Thrown while compiling a statement whose objects must be resolved when it runs. */
export class DeferredCompilation extends Error {
  constructor() {
    super("compilation deferred to execution");
    this.name = "DeferredCompilation";
  }
}
