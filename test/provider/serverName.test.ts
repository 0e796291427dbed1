/** ServerName over TDS: reads @@SERVERNAME once, keeps it, changes nothing on SQL Server; the availability-group and mirroring-session kinds' check results cross the host's Struct. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, SERIALIZED_PROVIDER, UPDATE, type Props } from "./driver";
import { catalogOf, checkedConnectionOf, connectionOf, cost, startInstances, stopInstances, warmPool } from "./support";

let a: EmulatorInstance;

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "SRVNAME" });
});
beforeEach(() => warmPool(a));
afterAll(() => stopInstances([a]));

describe("ServerName lifecycle", () => {
  it("create reads @@SERVERNAME in one request; read re-reads it; an unchanged plan and a credentials update send nothing; delete leaves the catalog as it was", async () => {
    const before = catalogOf(a);
    const name = new Driven("ServerName");
    const created = await cost(a, () => name.create({ connection: connectionOf(a) }));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    expect(name.state).toEqual({ [PROVIDER_KEY]: SERIALIZED_PROVIDER, connection: checkedConnectionOf(a), serverName: "SRVNAME1" });
    expect(name.id).toBe(`127.0.0.1:${a.port}/server-name`);

    const read = await cost(a, () => name.read());
    expect([read.value, read.requests, name.state.serverName]).toEqual([true, 1, "SRVNAME1"]);

    const same = await cost(a, () => name.plan({ connection: connectionOf(a) }));
    expect([same.value.diff, same.requests]).toEqual([NO_CHANGE, 0]);
    const settings = await name.plan({ connection: connectionOf(a, { requestTimeoutMs: 45_000 }) });
    expect(settings.diff).toEqual(UPDATE);
    const updated = await cost(a, () => name.update(settings.inputs));
    expect([updated.requests, updated.value.serverName]).toEqual([0, "SRVNAME1"]);

    const deleted = await cost(a, () => name.delete());
    expect(deleted.requests).toBe(0);
    expect(catalogOf(a)).toEqual(before);
  });
});

describe("availability-group and mirroring-session kinds: check results cross the host's Struct (no undefined anywhere)", () => {
  const replica = (n: string): Props => ({ serverName: `SQL-${n}`, endpointUrl: `TCP://sql-${n.toLowerCase()}:5022` });

  it.each<[string, () => Props]>([
    ["AvailabilityGroup", () => ({ name: "ag1", replicas: [replica("A"), replica("B"), { ...replica("W"), availabilityMode: "CONFIGURATION_ONLY" }], replicaConnections: [connectionOf(a), connectionOf(a, { port: 1 }), connectionOf(a, { port: 2 })] })],
    ["AvailabilityGroupJoin", () => ({ connection: connectionOf(a), availabilityGroupName: "ag1", serverName: "SQL-B" })],
    ["AvailabilityGroupDatabase", () => ({ availabilityGroupName: "ag1", database: "sales", replicaConnections: [connectionOf(a)] })],
    ["MirroringSession", () => ({ database: "sales", partners: [{ name: "a", endpointUrl: "TCP://sql-a:5022" }, { name: "b", endpointUrl: "TCP://sql-b:5023" }], partnerConnections: [connectionOf(a), connectionOf(a, { port: 1 })] })],
  ])("%s", async (kind, args) => {
    const driven = new Driven(kind);
    const { inputs, failures } = await driven.check(args(), {});
    expect(failures).toEqual([]);
    expect(inputs[PROVIDER_KEY]).toBe(SERIALIZED_PROVIDER);
  });
});
