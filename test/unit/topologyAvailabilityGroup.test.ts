/**
 * MirroringTopology with and without `availabilityGroup`, under the SDK's mocks (no engine, no SQL
 * Server): what it declares, with which names, inputs and dependencies. A topology without
 * `availabilityGroup` declares exactly what it did before this feature.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

let registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        const outputs: Record<string, unknown> = { ...args.inputs };
        if (args.type.endsWith(":ServerName")) outputs.serverName = `HOST-${String(args.name).split("-")[1]!.toUpperCase()}`;
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

/** Declares a topology and waits for every registration to settle. */
async function declare(args: Record<string, unknown>): Promise<{ resources: Registered[]; topology: unknown }> {
  registered = [];
  const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
  const topology = new MirroringTopology("t", args as never);
  // Let the SDK's promise chains (outputs feeding inputs) run.
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
  return { resources: [...registered], topology };
}

const instance = (name: string, port: number) => ({
  name,
  connection: { server: `${name}.corp`, user: "sa", password: "Sa-Passw0rd!" },
  masterKeyPassword: "Mk-Passw0rd!",
  endpoint: { port },
});
const replicas = [instance("a", 5022), instance("b", 5023), instance("c", 5024)];
/** The SDK's marker of a secret value in serialized inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG in v;
const unwrap = <T>(v: unknown): T => (isSecret(v) ? (v as unknown as { value: T }).value : (v as T));
const kinds = (resources: Registered[]) => resources.map((r) => `${r.type.replace(/^.*:/, "")} ${r.name}`).sort();

describe("MirroringTopology with availabilityGroup", () => {
  it("declares nothing new without availabilityGroup", async () => {
    const { resources } = await declare({ replicas });
    expect(resources.filter((r) => /ServerName|AvailabilityGroup/.test(r.type))).toEqual([]);
    // Per instance a master key, certificate and endpoint; per trust a login, user, peer certificate and grant.
    expect(resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toHaveLength(3 * 3 + 6 * 4);
    expect(resources.filter((r) => !r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => r.type.replace(/^.*:/, "")).sort()).toEqual([
      "MirroringInstance", "MirroringInstance", "MirroringInstance", "MirroringTopology",
      "PeerTrust", "PeerTrust", "PeerTrust", "PeerTrust", "PeerTrust", "PeerTrust",
    ]);
  });

  it("adds the group, a join per secondary, each database and a ServerName per replica, under stable names", async () => {
    const { resources } = await declare({ replicas, availabilityGroup: { name: "sales", databases: ["orders", "stock"], readableSecondaries: "ALL" } });
    const added = kinds(resources.filter((r) => /ServerName|AvailabilityGroup/.test(r.type)));
    expect(added).toEqual([
      "AvailabilityGroup t-ag-sales",
      "AvailabilityGroupDatabase t-ag-sales-db-orders",
      "AvailabilityGroupDatabase t-ag-sales-db-stock",
      "AvailabilityGroupJoin t-ag-sales-join-b",
      "AvailabilityGroupJoin t-ag-sales-join-c",
      "ServerName t-a-server-name",
      "ServerName t-b-server-name",
      "ServerName t-c-server-name",
    ]);
    const group = resources.find((r) => r.type.endsWith(":AvailabilityGroup"))!;
    expect(group.type).toBe("pulumi-nodejs:dynamic/mssql-mirroring:AvailabilityGroup");
    expect(group.inputs).toMatchObject({
      name: "sales",
      clusterType: "NONE",
      replicas: [
        { serverName: "HOST-A", endpointUrl: "TCP://a.corp:5022", availabilityMode: "SYNCHRONOUS_COMMIT", failoverMode: "MANUAL", seedingMode: "AUTOMATIC", secondaryRole: { allowConnections: "ALL" } },
        { serverName: "HOST-B", endpointUrl: "TCP://b.corp:5023" },
        { serverName: "HOST-C", endpointUrl: "TCP://c.corp:5024" },
      ],
    });
    // The connections hold passwords: the whole list travels as a secret.
    expect(isSecret(group.inputs.replicaConnections)).toBe(true);
    expect(unwrap<Array<Record<string, unknown>>>(group.inputs.replicaConnections).map((c) => c.server)).toEqual(["a.corp", "b.corp", "c.corp"]);
    const join = resources.find((r) => r.name === "t-ag-sales-join-b")!;
    expect(join.inputs).toMatchObject({ availabilityGroupName: "sales", clusterType: "NONE", serverName: "HOST-B", grantCreateAnyDatabase: true });
    expect(unwrap<Array<Record<string, unknown>>>(join.inputs.peers).map((c) => c.server)).toEqual(["a.corp", "c.corp"]);
    const database = resources.find((r) => r.name === "t-ag-sales-db-orders")!;
    expect(database.inputs).toMatchObject({ availabilityGroupName: "sales", database: "orders", seedingMode: "AUTOMATIC" });
  });

  it("fails before declaring anything, with the topology's and the group's problems together", async () => {
    const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
    registered = [];
    let error: unknown;
    try {
      new MirroringTopology("bad", { replicas: [instance("a", 5022), instance("a", 5022)], availabilityGroup: { name: "ag", clusterType: "WSFC" as never } } as never);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe(
      "invalid MirroringTopology:\n" +
        "  - instance name 'a' is used 2 times: names must be unique in the topology\n" +
        "  - availabilityGroup.replicas lists 'a' twice: an instance hosts one replica of a group\n" +
        "  - availabilityGroup.clusterType WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE (no cluster manager: read-scale and manual failover) or EXTERNAL (a Pacemaker cluster)",
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toEqual([]);
  });

  it("an availability group needs replicas, not partners", async () => {
    const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
    expect(() => new MirroringTopology("bad2", { partners: [instance("a", 5022), instance("b", 5023)], availabilityGroup: { name: "ag" } } as never)).toThrow(
      "invalid MirroringTopology:\n  - availabilityGroup needs replicas: [...] (every replica joins the group); partners and a witness are for database mirroring",
    );
  });
});
