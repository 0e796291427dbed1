/**
 * What a program registers, under the SDK's mocks (no engine, no SQL Server): every resource's
 * type, name, parent and inputs, in a form that can be written to a file and compared later. Used
 * to prove that a refactoring of the components leaves existing programs' resources (and so their
 * state and preview) exactly as they were.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { forgetInstanceClaims } from "../../../provider/components/instanceClaims";

/** One registered resource. */
export interface Registration {
  /** Type token. */
  type: string;
  /** Resource name (the last part of its URN). */
  name: string;
  /** `<type> <name>` of its parent, or "" for none. */
  parent: string;
  /** Inputs as the engine would receive them (the serialized provider replaced by its hash). */
  inputs: unknown;
}

let pending: Array<{ type: string; name: string; inputs: unknown }> = [];
const parents = new Map<string, string>();

/** Installs the mocks once per test file: outputs echo inputs, plus what the components read back. */
export async function installMocks(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        pending.push({ type: args.type, name: args.name, inputs: args.inputs });
        const outputs: Record<string, unknown> = { ...args.inputs };
        if (args.type.endsWith(":ServerName")) outputs.serverName = `HOST-${String(args.name).toUpperCase()}`;
        if (args.type.endsWith(":MirroringEndpoint")) outputs.port = (args.inputs.port as number | undefined) ?? 5022;
        if (args.type.endsWith(":Certificate")) outputs.publicKey = "MIIB";
        return { id: `${args.name}-id`, state: outputs };
      },
      call: () => ({}),
    },
    "project",
    "stack",
    true,
  );
}

/** The serialized provider is long and stable: its hash proves it unchanged. */
function canonical(value: unknown, key = ""): unknown {
  if (key === "__provider" && typeof value === "string") return `sha256:${createHash("sha256").update(value).digest("hex").slice(0, 16)}`;
  if (Array.isArray(value)) return value.map((v) => canonical(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k], k)]),
    );
  }
  return value;
}

/**
 * Runs `declare` (which constructs components with the returned `opts`) and returns every
 * registration, sorted by type and name so declaration order does not matter (it does not to the
 * engine either: URNs and inputs do).
 */
export async function registrationsOf(declare: (opts: pulumi.ComponentResourceOptions) => void): Promise<Registration[]> {
  pending = [];
  parents.clear();
  // Each call stands for a program of its own: what an earlier one declared is not in this one.
  forgetInstanceClaims();
  const labels = new WeakMap<pulumi.Resource, string>();
  const capture: pulumi.ResourceTransformation = (args) => {
    labels.set(args.resource, `${args.type} ${args.name}`);
    const parent = args.opts.parent;
    parents.set(`${args.type} ${args.name}`, parent === undefined ? "" : (labels.get(parent) ?? "?"));
    return undefined;
  };
  declare({ transformations: [capture] });
  // Let the SDK's promise chains (outputs feeding inputs) run; bounded.
  for (let i = 0; i < 40; i++) await new Promise((r) => setTimeout(r, 5));
  return pending
    .map((p) => ({ type: p.type, name: p.name, parent: parents.get(`${p.type} ${p.name}`) ?? "?", inputs: canonical(p.inputs) }))
    .sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type.localeCompare(b.type)));
}
