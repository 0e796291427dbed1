// A test program for the hardening suite: declares the resources, components or topology that the
// stack's `case` config describes (base64 of a JSON document, so any text travels unchanged), with
// connections to the emulated instances listed in `instances`.
//
// Values in the case are plain JSON, except for these objects:
//   { "$conn": n, ...fields }  the connection to instance n (sa, password from the `sqlPassword`
//                              secret, CA from `tlsCa`), with `fields` overriding its properties;
//   { "$secret": "key" }       config.requireSecret(key);
//   { "$plain": "base64" }     a plain string (not a secret), decoded from base64;
//   { "$ref": "res.a.b" }      the property path a.b of the resource/component declared as `res`.
import * as pulumi from "@pulumi/pulumi";
import * as mirroring from "pulumi-mssql-mirroring";

interface Declaration {
  /** Export of pulumi-mssql-mirroring: a resource, a component or MirroringTopology. */
  type: string;
  /** Pulumi name. */
  name: string;
  args: unknown;
  /** Names of earlier declarations this one depends on. */
  dependsOn?: string[];
}

interface Case {
  declare: Declaration[];
  exports?: Record<string, unknown>;
}

const config = new pulumi.Config();
const instances = config.requireObject<Array<{ server: string; port: number }>>("instances");
const ca = config.get("tlsCa");
const spec = JSON.parse(Buffer.from(config.require("case"), "base64").toString("utf8")) as Case;
const declared = new Map<string, pulumi.Resource>();

function walk(root: unknown, path: string[]): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string, unknown>)[key];
  return value;
}

function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if ("$conn" in o) {
    const { $conn, ...fields } = o;
    const target = instances[$conn as number]!;
    return {
      server: target.server,
      port: target.port,
      user: "sa",
      password: config.requireSecret("sqlPassword"),
      ...(ca !== undefined ? { ca } : {}),
      ...(resolve(fields) as Record<string, unknown>),
    };
  }
  if ("$secret" in o) return config.requireSecret(o.$secret as string);
  if ("$plain" in o) return Buffer.from(o.$plain as string, "base64").toString("utf8");
  if ("$ref" in o) {
    const [name, ...path] = (o.$ref as string).split(".");
    const resource = declared.get(name!);
    if (resource === undefined) throw new Error(`case: $ref to ${name}, which is not declared before it`);
    return walk(resource, path);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
}

type Constructor = new (name: string, args: unknown, opts?: pulumi.CustomResourceOptions) => pulumi.Resource;

for (const d of spec.declare) {
  const ctor = (mirroring as unknown as Record<string, Constructor>)[d.type];
  if (typeof ctor !== "function") throw new Error(`case: pulumi-mssql-mirroring has no export ${d.type}`);
  const dependsOn = (d.dependsOn ?? []).map((n) => declared.get(n)!);
  declared.set(d.name, new ctor(d.name, resolve(d.args), { dependsOn }));
}

export const outputs = resolve(spec.exports ?? {});
