/**
 * Drives one dynamic resource's provider the way the Pulumi engine and the Node.js dynamic-provider
 * host (`@pulumi/pulumi/cmd/dynamic-provider`) do:
 *
 * - every value crosses gRPC as a `google.protobuf.Struct` (the same `fromJavaScript` /
 *   `toJavaScript` the host uses), so an `undefined` or a Buffer in a result fails here as it
 *   fails there ("Unexpected struct type");
 * - `check(olds = previous inputs, news)`, then `diff(id, olds = state, news = checked inputs)`,
 *   then `update(id, state, checked inputs)`; `create(checked inputs)`; `read(id, state)` for
 *   refresh, where an empty id means "gone"; `delete(id, state)`;
 * - `__provider` (the serialized provider) is in the inputs the program sends and is put back on
 *   every result by the host.
 *
 * Replacement involves other resources (dependents are updated between create and delete), so the
 * tests spell it out: `check({})` + create on a new {@link Driven}, then delete the old one.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { dynamicProvider } from "../../provider/resources/registry";

/** The key the host keeps the serialized provider under. */
export const PROVIDER_KEY = "__provider";
/** Stands in for the serialized provider text in inputs and state (its content is tested elsewhere). */
export const SERIALIZED_PROVIDER = "exports.handler = __f0; /* serialized provider stand-in */";

/** Properties as they travel between engine and provider. */
export type Props = Record<string, unknown>;

/** A value after a trip through `google.protobuf.Struct`, exactly as the host sends and receives it. */
export function wire(value: Props): Props {
  return Struct.fromJavaScript(value as Parameters<typeof Struct.fromJavaScript>[0]).toJavaScript() as Props;
}

/** What the SDK sends for a program's arguments: `undefined` properties are left out (at any depth). */
export function programInputs(args: Props): Props {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  return wire({ ...(strip(args) as Props), [PROVIDER_KEY]: SERIALIZED_PROVIDER });
}

/** `check` found problems: the engine stops before create/update. */
export class CheckFailed extends Error {
  constructor(readonly failures: pulumi.dynamic.CheckFailure[]) {
    super(`check failed: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    this.name = "CheckFailed";
  }
}

/** The outcome of `check` + `diff` for new program arguments: what `pulumi preview` would show. */
export interface Plan {
  inputs: Props;
  diff: pulumi.dynamic.DiffResult;
}

/** One resource of one kind, with the id, inputs and state the engine would keep for it. */
export class Driven {
  /** The kind's provider implementation (what the serialized thin provider dispatches to). */
  readonly provider: Required<pulumi.dynamic.ResourceProvider>;
  /** Resource id; empty once deleted or found gone. */
  id = "";
  /** Checked inputs the engine stored at the last create/update. */
  inputs: Props = {};
  /** Outputs the engine stored (state), `__provider` included. */
  state: Props = {};

  constructor(readonly kind: string) {
    this.provider = dynamicProvider(kind);
  }

  /** `check(olds, news)` as the host calls it; the checked inputs carry `__provider` again. */
  async check(args: Props, olds: Props = this.inputs): Promise<{ inputs: Props; failures: pulumi.dynamic.CheckFailure[] }> {
    const news = programInputs(args);
    const result = await this.provider.check(wire(olds), news);
    return { inputs: wire({ ...(result.inputs ?? news), [PROVIDER_KEY]: news[PROVIDER_KEY] }), failures: result.failures ?? [] };
  }

  /** `check` with no olds (a new resource or a replacement), then `create`. */
  async create(args: Props): Promise<Props> {
    const { inputs, failures } = await this.check(args, {});
    if (failures.length > 0) throw new CheckFailed(failures);
    return this.createChecked(inputs);
  }

  /** `create` with already checked inputs; stores id, inputs and state. */
  async createChecked(inputs: Props): Promise<Props> {
    const result = await this.provider.create(inputs);
    this.id = result.id;
    this.inputs = inputs;
    this.state = wire({ ...result.outs, [PROVIDER_KEY]: inputs[PROVIDER_KEY] });
    return this.state;
  }

  /**
   * `pulumi refresh`: `read(id, state)`. Returns false (and forgets the resource) when it is gone.
   * Inputs the provider returns replace the stored ones, as the engine does.
   */
  async read(): Promise<boolean> {
    const result = await this.provider.read(this.id, this.state);
    if (result.id === "" || result.id === undefined) {
      this.id = "";
      this.state = {};
      return false;
    }
    const serialized = this.state[PROVIDER_KEY];
    this.id = result.id;
    this.state = wire({ ...result.props, [PROVIDER_KEY]: serialized });
    if (result.inputs !== undefined) this.inputs = wire({ ...result.inputs, [PROVIDER_KEY]: serialized });
    return true;
  }

  /** `pulumi preview`: `check(olds = stored inputs, news)`, then `diff(id, state, checked inputs)`. */
  async plan(args: Props): Promise<Plan> {
    const { inputs, failures } = await this.check(args);
    if (failures.length > 0) throw new CheckFailed(failures);
    return { inputs, diff: await this.provider.diff(this.id, this.state, inputs) };
  }

  /** `update(id, state, checked inputs)`; stores the new inputs and state. */
  async update(inputs: Props): Promise<Props> {
    const result = await this.provider.update(this.id, this.state, inputs);
    this.inputs = inputs;
    this.state = wire({ ...result.outs, [PROVIDER_KEY]: inputs[PROVIDER_KEY] });
    return this.state;
  }

  /** `delete(id, state)`. */
  async delete(): Promise<void> {
    await this.provider.delete(this.id, this.state);
    this.id = "";
  }
}

/** The diff of an in-place update. */
export const UPDATE: pulumi.dynamic.DiffResult = { changes: true, replaces: [], deleteBeforeReplace: false };
/** The diff when nothing changes. */
export const NO_CHANGE: pulumi.dynamic.DiffResult = { changes: false, replaces: [], deleteBeforeReplace: false };

/** The diff of a replacement because of `properties` (create-before-delete unless `deleteFirst`). */
export function replaceOn(properties: string[], deleteFirst = false): pulumi.dynamic.DiffResult {
  return { changes: true, replaces: properties, deleteBeforeReplace: deleteFirst };
}
