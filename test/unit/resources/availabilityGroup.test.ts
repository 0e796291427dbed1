/** check and diff of the availability-group resources: every property checked at preview, unknowns skipped, what updates and what replaces. */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { availabilityGroupProvider } from "../../../provider/resources/availabilityGroup";
import { availabilityGroupDatabaseProvider } from "../../../provider/resources/availabilityGroupDatabase";
import { availabilityGroupJoinProvider } from "../../../provider/resources/availabilityGroupJoin";
import { RESOURCE_KINDS } from "../../../provider/resources/registry";
import { serverNameProvider } from "../../../provider/resources/serverName";
import { warn } from "../../../provider/resources/warnings";
import { check, connection, failuresOf, UNKNOWN } from "./fixtures";

const conn = (server: string) => ({ ...connection, server });
const replica = (n: string, extra: Record<string, unknown> = {}) => ({ serverName: `SQL-${n}`, endpointUrl: `TCP://sql-${n.toLowerCase()}.corp:5022`, ...extra });
const group = (extra: Record<string, unknown> = {}) => ({
  name: "ag1",
  replicas: [replica("A"), replica("B")],
  replicaConnections: [conn("sql-a.corp"), conn("sql-b.corp")],
  ...extra,
});
const DEFAULTED = {
  availabilityMode: "SYNCHRONOUS_COMMIT",
  failoverMode: "MANUAL",
  seedingMode: "AUTOMATIC",
  backupPriority: 50,
  secondaryRole: { allowConnections: "NO" },
  primaryRole: { allowConnections: "ALL" },
  sessionTimeoutSeconds: 10,
};

describe("registry", () => {
  it("registers the new kinds after the existing ones (existing state is untouched)", () => {
    expect(RESOURCE_KINDS).toEqual([
      "MasterKey",
      "Certificate",
      "MirroringEndpoint",
      "Login",
      "User",
      "PeerCertificate",
      "EndpointPermission",
      "CertificateBackup",
      "ServerName",
      "AvailabilityGroup",
      "AvailabilityGroupJoin",
      "AvailabilityGroupDatabase",
      "MirroringSession",
    ]);
  });
});

describe("AvailabilityGroup check", () => {
  it("applies the defaults: NONE, synchronous commit, MANUAL failover, automatic seeding, readable: NO", async () => {
    const { inputs, failures } = await check(availabilityGroupProvider, group());
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ name: "ag1", clusterType: "NONE", allowReplacement: false, replicas: [{ ...replica("A"), ...DEFAULTED }, { ...replica("B"), ...DEFAULTED }] });
    expect((inputs.replicaConnections as unknown[])[0]).toEqual({ ...connection, server: "sql-a.corp" });
  });

  it("EXTERNAL defaults failover to EXTERNAL; a configuration-only replica keeps its three fields", async () => {
    const { inputs, failures } = await check(availabilityGroupProvider, group({
      clusterType: "external",
      replicas: [replica("A"), replica("B"), replica("W", { availabilityMode: "configuration_only" })],
      replicaConnections: [conn("a"), conn("b"), conn("w")],
    }));
    expect(failures).toEqual([]);
    expect(inputs.clusterType).toBe("EXTERNAL");
    expect((inputs.replicas as Array<Record<string, unknown>>).map((r) => r.failoverMode)).toEqual(["EXTERNAL", "EXTERNAL", undefined]);
    expect((inputs.replicas as unknown[])[2]).toEqual({ ...replica("W"), availabilityMode: "CONFIGURATION_ONLY" });
  });

  it.each<[string, Record<string, unknown>, Record<string, string>]>([
    ["no replicas", group({ replicas: [], replicaConnections: [] }), { replicas: "is required: the replicas, the first one being where the group is created" }],
    ["a 129-character name", group({ name: "g".repeat(129) }), { name: "is 129 characters long; SQL Server names hold at most 128, so shorten it" }],
    ["WSFC", group({ clusterType: "WSFC" }), { clusterType: "WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE (no cluster manager: read-scale and manual failover) or EXTERNAL (a Pacemaker cluster)" }],
    ["an unknown cluster type", group({ clusterType: "KUBERNETES" }), { clusterType: 'must be one of "WSFC", "EXTERNAL", "NONE", got "KUBERNETES"' }],
    ["automatic failover with NONE", group({ replicas: [replica("A"), replica("B", { failoverMode: "AUTOMATIC" })] }), {
      "replicas[1].failoverMode": "must be MANUAL with CLUSTER_TYPE = NONE: without a cluster manager nothing can fail over automatically, got AUTOMATIC",
    }],
    ["an endpoint URL without TCP://", group({ replicas: [replica("A", { endpointUrl: "sql-a:5022" }), replica("B")] }), {
      "replicas[0].endpointUrl": "must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got 'sql-a:5022'",
    }],
    ["a bad connection port on the second replica", group({ replicaConnections: [conn("a"), { ...conn("b"), port: 0 }] }), { "replicas[1].connection.port": "must be an integer from 1 to 65535 (got 0)" }],
    ["a missing server name", group({ replicas: [{ endpointUrl: "TCP://a:5022" }, replica("B")] }), { "replicas[0].serverName": "is required" }],
    ["an unknown readable-secondary value", group({ replicas: [replica("A"), replica("B", { secondaryRole: { allowConnections: "YES" } })] }), {
      "replicas[1].secondaryRole.allowConnections": 'must be one of "NO", "READ_ONLY", "ALL", got "YES"',
    }],
    ["a session timeout below 5 s", group({ replicas: [replica("A"), replica("B", { sessionTimeoutSeconds: 2 })] }), {
      "replicas[1].sessionTimeoutSeconds": "must be a whole number of seconds, at least 5 (SQL Server refuses less, 35214; 10 or more is recommended), got 2",
    }],
    ["options on a configuration-only replica", group({ replicas: [replica("A"), replica("B"), replica("W", { availabilityMode: "CONFIGURATION_ONLY", backupPriority: 10 })], replicaConnections: [conn("a"), conn("b"), conn("w")] }), {
      "replicas[2].backupPriority": "cannot be set on a CONFIGURATION_ONLY replica: it holds the group's metadata only (give it ENDPOINT_URL and AVAILABILITY_MODE alone)",
    }],
    ["a connection missing for a replica", group({ replicaConnections: [conn("a")] }), { replicas: "every replica needs its connection" }],
    ["dbFailover not a boolean", group({ dbFailover: "yes" }), { dbFailover: 'must be true or false, got "yes"' }],
  ])("refuses %s, naming the property", async (_label, news, expected) => {
    expect(await failuresOf(availabilityGroupProvider, news)).toEqual(expected);
  });

  it("six synchronous replicas: one failure with SQL Server's limit", async () => {
    const six = ["A", "B", "C", "D", "E", "F"];
    const failures = await failuresOf(availabilityGroupProvider, group({ replicas: six.map((n) => replica(n)), replicaConnections: six.map((n) => conn(n)) }));
    expect(failures).toEqual({ replicas: "6 replicas use SYNCHRONOUS_COMMIT; SQL Server allows at most 5, the primary included (35212): make the others ASYNCHRONOUS_COMMIT" });
  });

  it("skips preview's unknown values (server names and URLs from resources not created yet)", async () => {
    const news = group({ replicas: [{ serverName: UNKNOWN, endpointUrl: UNKNOWN }, { serverName: UNKNOWN, endpointUrl: UNKNOWN }], replicaConnections: [{ ...conn("a"), port: UNKNOWN }, conn("b")] });
    expect(await failuresOf(availabilityGroupProvider, news)).toEqual({});
    expect(await failuresOf(availabilityGroupProvider, { ...group(), replicas: UNKNOWN, replicaConnections: UNKNOWN })).toEqual({});
  });

  it("a new name or cluster type fails at preview unless allowReplacement", async () => {
    const olds = (await check(availabilityGroupProvider, group())).inputs;
    const renamed = await availabilityGroupProvider.check!(olds, group({ name: "ag2" }));
    expect(renamed.failures).toEqual([
      {
        property: "name",
        reason:
          'changing it ("ag1" → "ag2") replaces the group: DROP AVAILABILITY GROUP on every replica, then CREATE (its databases leave the group and secondary copies fall to RESTORING until added again); set allowReplacement: true to do that',
      },
    ]);
    const external = await availabilityGroupProvider.check!(olds, group({ clusterType: "EXTERNAL", replicas: [replica("A"), replica("B")] }));
    expect(external.failures?.map((f) => f.property)).toEqual(["clusterType"]);
    expect((await availabilityGroupProvider.check!(olds, group({ name: "ag2", allowReplacement: true }))).failures).toEqual([]);
  });

  it("a replica cannot become (or stop being) configuration-only in place", async () => {
    const olds = (await check(availabilityGroupProvider, group({ replicas: [replica("A"), replica("B"), replica("W", { availabilityMode: "CONFIGURATION_ONLY" })], replicaConnections: [conn("a"), conn("b"), conn("w")] }))).inputs;
    const { failures } = await availabilityGroupProvider.check!(olds, group({ replicas: [replica("A"), replica("B"), replica("W", { availabilityMode: "ASYNCHRONOUS_COMMIT" })], replicaConnections: [conn("a"), conn("b"), conn("w")] }));
    expect(failures).toEqual([
      {
        property: "replicas[2].availabilityMode",
        reason: "cannot change from CONFIGURATION_ONLY to ASYNCHRONOUS_COMMIT: SQL Server cannot alter a CONFIGURATION_ONLY replica; remove the replica in one update and add it back in the next",
      },
    ]);
  });
});

describe("AvailabilityGroup diff (no request: it is pure)", () => {
  const state = async (extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> => ({
    ...(await check(availabilityGroupProvider, group(extra))).inputs,
    groupId: "G",
    primaryReplica: "SQL-A",
    replicaHealth: {},
    databases: [],
  });
  const news = async (extra: Record<string, unknown> = {}) => (await check(availabilityGroupProvider, group(extra))).inputs;
  const NO_CHANGE = { changes: false, replaces: [], deleteBeforeReplace: false };
  const UPDATE = { changes: true, replaces: [], deleteBeforeReplace: false };

  it("no change for the same group, whatever the replicas' order or the case of names and URLs", async () => {
    expect(await availabilityGroupProvider.diff!("id", await state(), await news())).toEqual(NO_CHANGE);
    const reordered = await news({ replicas: [replica("B", { serverName: "sql-b" }), replica("A", { endpointUrl: "tcp://SQL-A.corp:5022" })], replicaConnections: [conn("sql-b.corp"), conn("sql-a.corp")] });
    expect((await availabilityGroupProvider.diff!("id", await state(), { ...reordered, replicaConnections: (await state()).replicaConnections })).changes).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ["availability mode", { replicas: [replica("A"), replica("B", { availabilityMode: "ASYNCHRONOUS_COMMIT" })] }],
    ["seeding", { replicas: [replica("A"), replica("B", { seedingMode: "MANUAL" })] }],
    ["backup priority", { replicas: [replica("A"), replica("B", { backupPriority: 0 })] }],
    ["readable secondary", { replicas: [replica("A"), replica("B", { secondaryRole: { allowConnections: "ALL" } })] }],
    ["read-only routing URL", { replicas: [replica("A"), replica("B", { secondaryRole: { readOnlyRoutingUrl: "TCP://sql-b.corp:1433" } })] }],
    ["primary role", { replicas: [replica("A"), replica("B", { primaryRole: { allowConnections: "READ_WRITE" } })] }],
    ["session timeout", { replicas: [replica("A"), replica("B", { sessionTimeoutSeconds: 20 })] }],
    ["an endpoint URL", { replicas: [replica("A"), replica("B", { endpointUrl: "TCP://10.0.0.2:5022" })] }],
    ["a replica added", { replicas: [replica("A"), replica("B"), replica("C", { availabilityMode: "ASYNCHRONOUS_COMMIT" })], replicaConnections: [conn("a"), conn("b"), conn("c")] }],
    ["required synchronized secondaries", { requiredSynchronizedSecondariesToCommit: 1 }],
    ["backup preference", { automatedBackupPreference: "PRIMARY" }],
    ["a connection's password (no SQL: credentials only)", { replicaConnections: [{ ...conn("sql-a.corp"), password: "Other-Passw0rd!" }, conn("sql-b.corp")] }],
    ["a connection's server (no SQL: how the replica is reached)", { replicaConnections: [conn("10.0.0.1"), conn("sql-b.corp")] }],
  ])("updates %s in place", async (_label, change) => {
    const base = await state();
    const changed = await news(change);
    const next = change.replicaConnections === undefined ? { ...changed, replicaConnections: base.replicaConnections } : changed;
    expect(await availabilityGroupProvider.diff!("id", base, next)).toEqual(UPDATE);
  });

  it("an option left out is no opinion: no change", async () => {
    expect((await availabilityGroupProvider.diff!("id", { ...(await state()), dbFailover: true, healthCheckTimeoutMs: 45_000 }, await news())).changes).toBe(false);
  });

  it("a new name or cluster type replaces, deleting first", async () => {
    expect(await availabilityGroupProvider.diff!("id", await state(), await news({ name: "ag2", allowReplacement: true }))).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
  });

  it("a pending create is finished by the next update", async () => {
    expect((await availabilityGroupProvider.diff!("id", { ...(await state()), createPending: true }, await news())).changes).toBe(true);
  });

  it("an update of connections only sends nothing (the connections point nowhere)", async () => {
    const nowhere = { ...connection, server: "127.0.0.1", port: 1, connectTimeoutMs: 100 };
    const olds: Record<string, unknown> = { ...(await state()), replicaConnections: [nowhere, nowhere] };
    const { outs } = await availabilityGroupProvider.update!("id", olds, { ...(await news()), replicaConnections: [{ ...nowhere, password: "New-Passw0rd!" }, nowhere] });
    expect(outs).toMatchObject({ groupId: "G", primaryReplica: "SQL-A", replicas: olds.replicas });
  });
});

describe("AvailabilityGroupJoin", () => {
  const join = (extra: Record<string, unknown> = {}) => ({ connection, availabilityGroupName: "ag1", serverName: "SQL-B", ...extra });

  it("check: defaults NONE, grant, 60 s; WSFC refused; timeout bounded", async () => {
    const { inputs, failures } = await check(availabilityGroupJoinProvider, join());
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ clusterType: "NONE", grantCreateAnyDatabase: true, connectTimeoutSeconds: 60, peers: [] });
    expect(await failuresOf(availabilityGroupJoinProvider, join({ clusterType: "WSFC", connectTimeoutSeconds: -1, serverName: undefined }))).toEqual({
      clusterType: "WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE or EXTERNAL",
      serverName: "is required",
      connectTimeoutSeconds: "must be a whole number of seconds from 0 to 86400, got -1",
    });
    expect(await failuresOf(availabilityGroupJoinProvider, join({ peers: [{ ...connection, port: 99999 }] }))).toEqual({ "peers[0].connection.port": "must be an integer from 1 to 65535 (got 99999)" });
    expect(await failuresOf(availabilityGroupJoinProvider, join({ availabilityGroupName: UNKNOWN, serverName: UNKNOWN }))).toEqual({});
  });

  it("diff: a new group or cluster type replaces; a replica seen disconnected at refresh is an update (up waits again)", async () => {
    const state = { ...(await check(availabilityGroupJoinProvider, join())).inputs, role: "SECONDARY", connected: true, synchronizationHealth: "HEALTHY", lastConnectError: null };
    const news = (await check(availabilityGroupJoinProvider, join())).inputs;
    expect((await availabilityGroupJoinProvider.diff!("id", state, news)).changes).toBe(false);
    expect(await availabilityGroupJoinProvider.diff!("id", { ...state, connected: false }, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await availabilityGroupJoinProvider.diff!("id", state, { ...news, availabilityGroupName: "ag2" })).toEqual({ changes: true, replaces: ["availabilityGroupName"], deleteBeforeReplace: true });
    expect((await availabilityGroupJoinProvider.diff!("id", state, { ...news, connection: { ...connection, server: "other" } })).replaces).toEqual(["connection"]);
    expect((await availabilityGroupJoinProvider.diff!("id", { ...state, grantCreateAnyDatabase: false }, news)).changes).toBe(true);
    expect((await availabilityGroupJoinProvider.diff!("id", state, { ...news, grantCreateAnyDatabase: false })).changes).toBe(false);
  });
});

describe("AvailabilityGroupDatabase", () => {
  const db = (extra: Record<string, unknown> = {}) => ({ availabilityGroupName: "ag1", database: "sales", replicaConnections: [conn("a"), conn("b")], ...extra });

  it("check: defaults AUTOMATIC, 300 s; system databases, empty backup files and bad waits refused", async () => {
    const { inputs, failures } = await check(availabilityGroupDatabaseProvider, db());
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ seedingMode: "AUTOMATIC", synchronizationTimeoutSeconds: 300 });
    expect(await failuresOf(availabilityGroupDatabaseProvider, db({ database: "tempdb", initialFullBackup: { disk: "" }, synchronizationTimeoutSeconds: 1.5, seedingMode: "RESTORE" }))).toEqual({
      database: "is a system database; availability groups hold user databases only (SQL Server refuses it, 35249)",
      seedingMode: 'must be one of "AUTOMATIC", "MANUAL", got "RESTORE"',
      "initialFullBackup.disk": "must not be empty",
      synchronizationTimeoutSeconds: "must be a whole number of seconds from 0 to 604800, got 1.5",
    });
    expect(await failuresOf(availabilityGroupDatabaseProvider, db({ replicaConnections: [] }))).toEqual({ replicas: "is required: every replica's connection (the primary is found among them)" });
    expect(await failuresOf(availabilityGroupDatabaseProvider, db({ database: UNKNOWN, initialFullBackup: { disk: UNKNOWN } }))).toEqual({});
  });

  it("diff: another database or group replaces (create first: no name is shared); a lagging copy is an update", async () => {
    const state = { ...(await check(availabilityGroupDatabaseProvider, db())).inputs, primaryReplica: "SQL-A", replicaStates: {}, synchronized: true };
    const news = (await check(availabilityGroupDatabaseProvider, db())).inputs;
    expect((await availabilityGroupDatabaseProvider.diff!("id", state, news)).changes).toBe(false);
    expect(await availabilityGroupDatabaseProvider.diff!("id", state, { ...news, database: "orders" })).toEqual({ changes: true, replaces: ["database"], deleteBeforeReplace: false });
    expect((await availabilityGroupDatabaseProvider.diff!("id", { ...state, synchronized: false }, news)).changes).toBe(true);
    expect((await availabilityGroupDatabaseProvider.diff!("id", state, { ...news, replicaConnections: [conn("a"), conn("b"), conn("c")] })).changes).toBe(true);
  });
});

describe("ServerName", () => {
  it("replaces for another instance; credentials alone are an update that reads nothing", async () => {
    const state = { connection, serverName: "SQL-A" };
    expect((await serverNameProvider.diff!("id", state, { connection: { ...connection, port: 1434 } })).replaces).toEqual(["connection"]);
    expect(await serverNameProvider.diff!("id", state, { connection: { ...connection, password: "Other-Passw0rd!" } })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect((await serverNameProvider.update!("id", state, { connection: { ...connection, password: "Other-Passw0rd!" } })).outs).toMatchObject({ serverName: "SQL-A" });
  });
});

describe("warnings", () => {
  afterEach(() => vi.restoreAllMocks());

  it("go through pulumi.log.warn, and a failing log never fails the operation", async () => {
    const spy = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    await warn("copies stay RESTORING");
    expect(spy).toHaveBeenCalledWith("copies stay RESTORING");
    spy.mockRejectedValue(new Error("engine gone"));
    await expect(warn("x")).resolves.toBeUndefined();
  });
});
