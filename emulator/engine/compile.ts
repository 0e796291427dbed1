/**
 * The compile step between parsing and running a batch, as SQL Server has one: every expression and
 * query is bound up front, so an undeclared variable (137), unknown function (195) or bad column (207)
 * fails the whole batch before any statement runs. Variables are visible from their DECLARE onwards,
 * in text order, for the rest of the batch. A statement naming an object that does not exist yet is
 * compiled when it runs instead (deferred name resolution, objectResolution.ts).
 */
import type { Expr, Statement } from "./ast";
import { compileError } from "./errors";
import { compilePredicate, compileValue, type CompiledExpr, type Scope } from "./evaluate";
import { DeferredCompilation, type ObjectResolver } from "./objectResolution";
import { compileSelect, type CompiledSelect } from "./select";
import { typeFromName, type SqlType } from "./values";

/** A compiled form, or how to compile it when the statement runs (deferred name resolution). */
type Compiled<T> = T | { deferred: () => T };

function attempt<T>(compile: () => T): Compiled<T> {
  try {
    return compile();
  } catch (e) {
    if (e instanceof DeferredCompilation) return { deferred: compile };
    throw e;
  }
}

function resolved<T extends object>(c: Compiled<T> | undefined, what: string): T {
  if (!c) throw new Error(`${what} was not compiled with its batch`);
  return "deferred" in c ? c.deferred() : c;
}

/** What a session adds to the compile step: object resolution and the compilation of its own statement kinds. */
export interface CompileOptions {
  objects?: ObjectResolver;
  /** Compiles a statement the core does not know (undefined: nothing to compile). */
  compileStatement?(s: Statement, root: Scope): object | undefined;
}

/** The compiled forms of a batch's expressions and queries, by AST node. */
export class CompiledBatch {
  constructor(
    private readonly expressions: Map<Expr, Compiled<CompiledExpr>>,
    private readonly queries: Map<Statement, Compiled<CompiledSelect>>,
    private readonly others: Map<Statement, Compiled<object>> = new Map(),
  ) {}

  /** The compiled form of an expression of the batch. */
  expression(e: Expr): CompiledExpr {
    return resolved(this.expressions.get(e), "expression");
  }

  /** The compiled form of a SELECT statement of the batch. */
  query(s: Statement): CompiledSelect {
    return resolved(this.queries.get(s), "query");
  }

  /** What {@link CompileOptions.compileStatement} made of `s`. */
  statement<T extends object>(s: Statement): T {
    return resolved(this.others.get(s), "statement") as T;
  }
}

/**
 * Compiles a batch. `variables` holds the parameters' types (sp_executesql) and receives the
 * declared variables' types. Throws a batch-level SqlError at the first binding error.
 */
export function compileBatch(statements: Statement[], variables: Map<string, SqlType>, options: CompileOptions = {}): CompiledBatch {
  const expressions = new Map<Expr, Compiled<CompiledExpr>>();
  const queries = new Map<Statement, Compiled<CompiledSelect>>();
  const others = new Map<Statement, Compiled<object>>();
  const root: Scope = { sources: [], variables, ...(options.objects ? { objects: options.objects } : {}) };
  const value = (e: Expr) => expressions.set(e, attempt(() => compileValue(e, root)));
  const walk = (s: Statement): void => {
    switch (s.kind) {
      case "select":
        queries.set(s, attempt(() => compileSelect(s, root)));
        return;
      case "use":
        options.objects?.onUse?.(s.database);
        return;
      case "declare":
        for (const v of s.variables) {
          if (v.init) value(v.init);
          variables.set(v.name.toLowerCase(), typeFromName(v.type));
        }
        return;
      case "setVariable":
        if (!variables.has(s.name.toLowerCase())) throw compileError(137, s.line, s.name);
        value(s.expr);
        return;
      case "print":
        value(s.expr);
        return;
      case "exec":
        value(s.sql);
        return;
      case "if":
        expressions.set(s.condition, attempt(() => compilePredicate(s.condition, root)));
        walk(s.then);
        if (s.else) walk(s.else);
        return;
      case "block":
        s.body.forEach(walk);
        return;
      default: {
        if (!options.compileStatement) return;
        const compiled = attempt(() => options.compileStatement!(s, root));
        if (compiled !== undefined) others.set(s, compiled as Compiled<object>);
        return;
      }
    }
  };
  statements.forEach(walk);
  return new CompiledBatch(expressions, queries, others);
}
