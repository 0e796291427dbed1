/**
 * MirroringTopology with and without `mirroring`, under the SDK's mocks (no engine, no SQL Server):
 * what it declares, with which names and inputs, and that every session waits for every trust and
 * endpoint. A topology without `mirroring` declares exactly what it did before this feature.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const { sessionOptions } = vi.hoisted(() => ({ sessionOptions: new Map<string, pulumi.CustomResourceOptions | undefined>() }));

// The real resource, recording the options each session is declared with (its dependencies).
vi.mock("../../provider/resources/mirroringSession", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../provider/resources/mirroringSession")>();
  class Recorded extends actual.MirroringSession {
    constructor(name: string, args: ConstructorParameters<typeof actual.MirroringSession>[1], opts?: pulumi.CustomResourceOptions) {
      super(name, args, opts);
      sessionOptions.set(name, opts);
    }
  }
  return { ...actual, MirroringSession: Recorded };
});

let registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        const outputs: Record<string, unknown> = { ...args.inputs };
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
});

async function declare(args: Record<string, unknown>): Promise<{ resources: Registered[]; topology: { mirroring?: Record<string, pulumi.Resource>; trusts: Record<string, unknown>; instances: Record<string, unknown> } }> {
  registered = [];
  sessionOptions.clear();
  const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
  const topology = new MirroringTopology("t", args as never) as never;
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
  return { resources: [...registered], topology };
}

const instance = (name: string, port: number, extra: Record<string, unknown> = {}) => ({
  name,
  connection: { server: `${name}.corp`, user: "sa", password: "Sa-Passw0rd!" },
  masterKeyPassword: "Mk-Passw0rd!",
  endpoint: { port },
  ...extra,
});
const partners = [instance("a", 5022), instance("b", 5023)];
const witness = instance("w", 5024, { endpointHost: "fd00::5" });
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG in v;
const unwrap = <T>(v: unknown): T => (isSecret(v) ? (v as unknown as { value: T }).value : (v as T));

describe("MirroringTopology with mirroring", () => {
  it("declares nothing new without mirroring", async () => {
    const { resources } = await declare({ partners, witness });
    expect(resources.filter((r) => r.type.endsWith(":MirroringSession"))).toEqual([]);
    // 3 instances × (master key, certificate, endpoint) and 6 trusts × (login, user, peer certificate, grant).
    expect(resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toHaveLength(3 * 3 + 6 * 4);
  });

  it("a session per database between the partners, with the witness, under stable names; URLs from the endpoints' inputs", async () => {
    const { resources, topology } = await declare({ partners, witness, mirroring: { databases: ["sales", "stock"], seeding: { backupPath: "/srv/share" }, timeoutSeconds: 20 } });
    const sessions = resources.filter((r) => r.type.endsWith(":MirroringSession"));
    expect(sessions.map((s) => `${s.type} ${s.name}`)).toEqual([
      "pulumi-nodejs:dynamic/mssql-mirroring:MirroringSession t-mirror-a-b-sales",
      "pulumi-nodejs:dynamic/mssql-mirroring:MirroringSession t-mirror-a-b-stock",
    ]);
    expect(sessions[0]!.inputs).toMatchObject({
      database: "sales",
      partners: [{ name: "a", endpointUrl: "TCP://a.corp:5022" }, { name: "b", endpointUrl: "TCP://b.corp:5023" }],
      witness: { name: "w", endpointUrl: "TCP://[fd00::5]:5024" },
      safety: "FULL",
      timeoutSeconds: 20,
      seeding: { backupPath: "/srv/share" },
    });
    expect(sessions[0]!.inputs).not.toHaveProperty("principal");
    // Connections hold passwords: they travel as secrets.
    expect(isSecret(sessions[0]!.inputs.partnerConnections)).toBe(true);
    expect(unwrap<Array<{ server: string }>>(sessions[0]!.inputs.partnerConnections).map((c) => c.server)).toEqual(["a.corp", "b.corp"]);
    expect(unwrap<{ server: string }>(sessions[0]!.inputs.witnessConnection).server).toBe("w.corp");
    expect(Object.keys(topology.mirroring!)).toEqual(["sales", "stock"]);
  });

  it("every session waits for every trust (login, user, peer certificate, grant) and every endpoint", async () => {
    const { topology } = await declare({ partners, witness, mirroring: { databases: ["sales"] } });
    const dependsOn = sessionOptions.get("t-mirror-a-b-sales")?.dependsOn as pulumi.Resource[];
    const trusts = Object.values(topology.trusts) as Array<{ login: pulumi.Resource; user: pulumi.Resource; certificate: pulumi.Resource; permission: pulumi.Resource }>;
    const endpoints = (Object.values(topology.instances) as Array<{ endpoint: pulumi.Resource }>).map((i) => i.endpoint);
    expect(trusts).toHaveLength(6);
    for (const t of trusts) for (const r of [t.login, t.user, t.certificate, t.permission]) expect(dependsOn).toContain(r);
    for (const e of endpoints) expect(dependsOn).toContain(e);
    expect(dependsOn).toHaveLength(6 * 4 + 3);
  });

  it("the partners listed the other way round keep the session's name", async () => {
    const { resources } = await declare({ partners: [partners[1], partners[0]], mirroring: { databases: ["sales"] } });
    expect(resources.filter((r) => r.type.endsWith(":MirroringSession")).map((r) => r.name)).toEqual(["t-mirror-a-b-sales"]);
  });

  it("fails before declaring anything, with the topology's and the sessions' problems together", async () => {
    const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
    registered = [];
    expect(() => new MirroringTopology("bad", { partners: [instance("a", 5022), instance("a", 5022)], witness, mirroring: { databases: ["sales", "Sales"], safety: "OFF" } } as never)).toThrow(
      "invalid MirroringTopology:\n" +
        "  - instance name 'a' is used 2 times: names must be unique in the topology\n" +
        "  - mirroring.partners lists 'a' twice: the two partners must be different instances\n" +
        "  - mirroring.databases[1] 'Sales' is listed twice (also databases[0]): a database has one mirroring session; list it once\n" +
        "  - mirroring.safety OFF (high-performance mode) with a witness is refused: Microsoft does not intend high-performance mode to use a witness, and with one the principal still needs quorum, " +
        "so losing the mirror and the witness would take the database offline; remove the witness, or use FULL",
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toEqual([]);
  });

  it("mirroring needs partners, not replicas", async () => {
    const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
    expect(() => new MirroringTopology("bad2", { replicas: [instance("a", 5022), instance("b", 5023)], mirroring: { databases: ["sales"] } } as never)).toThrow(
      "invalid MirroringTopology:\n  - mirroring needs partners: [a, b] (+ witness); replicas are for an availability group",
    );
  });
});
