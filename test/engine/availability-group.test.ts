/**
 * An availability group's whole life through the real Pulumi CLI, on emulated instances and, when
 * MSSQL_REAL_SERVERS names them, unchanged on real SQL Server: bare instances with two databases →
 * one `up` → every secondary CONNECTED and every copy SYNCHRONIZED → rows written on the primary
 * read on a readable secondary → an unchanged preview sends nothing → a broken trust (CONNECT
 * revoked, connections cut by restarting the endpoint) shows as a DISCONNECTED replica with SQL
 * Server's error after refresh, and `up` repairs it → a fourth replica joins and seeds → one leaves,
 * its copy left RESTORING → destroy leaves every database in place.
 *
 * Trust is proven by what the instances report of live connections
 * (sys.dm_hadr_availability_replica_states, sys.dm_db_mirroring_connections), never by catalog rows.
 * Timings: SQL Server waits (connect, synchronize) are sized per kind of instance; none is asserted.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptedConnectionFrom, catalogSnapshot, liveConnectionBetween, query, realServers, replicaStates, type ReplicaState } from "../real/sqlTrust";
import { reservePorts } from "../support/ports";
import { createProject, pulumiAvailable, recorded, type TestProject } from "./pulumiProject";
import { acquire, requestCount, targetKinds, tsqlOn, usePackedPackage, type Target, type TargetSet } from "./targets";

const MASTER_KEY_PASSWORD = "Marker-AgMK-6a2f!";
const NAMES = ["sql-a", "sql-b", "sql-c", "sql-d"] as const;
type Name = (typeof NAMES)[number];

/** Resources of the program for `n` replicas and `d` databases. */
function resources(n: number, d: number): number {
  // Stack, topology, n × (instance + master key + certificate + endpoint), n(n-1) × (trust + login
  // + user + peer certificate + grant), n × ServerName, the group, n-1 joins, d databases.
  return 2 + 4 * n + 5 * n * (n - 1) + n + 1 + (n - 1) + d;
}

const runEngine = pulumiAvailable();
const kinds = runEngine ? targetKinds(3) : ["emulator" as const];

describe.runIf(runEngine).each(kinds.map((on) => ({ on })))("availability group on $on instances through the Pulumi CLI", ({ on }) => {
  /** Per test: several CLI commands, each waiting on SQL Server (seeding on real servers takes a while). */
  const LONG = on === "real" ? 20 * 60_000 : 6 * 60_000;
  /** Bounded polls of what the instances report: attempts × interval. */
  const POLL = on === "real" ? { attempts: 240, intervalMs: 1000 } : { attempts: 200, intervalMs: 100 };
  const suffix = randomBytes(3).toString("hex");
  const GROUP = `ag_${suffix}`;
  const DATABASES = [`sales_${suffix}`, `stock_${suffix}`];
  /** Real servers may be only three: then scaling out is skipped, saying why. */
  const four = on === "emulator" || realServers().length >= 4;

  let set: TargetSet;
  let project: TestProject;
  let endpointPorts: number[] = [];
  let security: unknown[];
  const target = (n: Name) => set.targets[NAMES.indexOf(n)]!;

  const replicasConfig = (names: readonly Name[]) =>
    names.map((n) => {
      const t = target(n);
      return { name: n, server: t.sql.server, port: t.sql.port, endpointHost: t.endpointHost, endpointPort: t.endpointPort ?? endpointPorts[NAMES.indexOf(n)]! };
    });
  const setReplicas = (names: readonly Name[]) => project.stack.setConfig("replicas", { value: JSON.stringify(replicasConfig(names)) });

  const serverName = async (n: Name) => String((await tsqlOn(target(n), "SELECT @@SERVERNAME AS name"))[0]!.name);
  const databaseState = async (n: Name, db: string) => {
    const [row] = (await query(target(n).sql, "SELECT state_desc FROM sys.databases WHERE name = @db", { db }))[0] ?? [];
    return row ? String(row.state_desc) : "absent";
  };
  /** Each replica's copy of `db` by server name, as `on` (the primary) reports it. */
  const copyStates = async (primary: Name, db: string) => {
    const [rows] = await query(
      target(primary).sql,
      `SELECT ar.replica_server_name, drs.synchronization_state_desc FROM sys.dm_hadr_database_replica_states AS drs
       JOIN sys.availability_replicas AS ar ON ar.replica_id = drs.replica_id
       JOIN sys.availability_groups AS g ON g.group_id = drs.group_id
       JOIN sys.availability_databases_cluster AS adc ON adc.group_database_id = drs.group_database_id
       WHERE g.name = @group AND adc.database_name = @db ORDER BY ar.replica_server_name`,
      { group: GROUP, db },
    );
    return Object.fromEntries((rows ?? []).map((r) => [String(r.replica_server_name), String(r.synchronization_state_desc)]));
  };
  /** The outputs in state of every resource of `kind` (what the last up or refresh recorded). */
  const stateOutputs = async (kind: string) => {
    const deployment = (await project.stack.exportStack()).deployment as { resources?: Array<{ type: string; outputs?: Record<string, unknown> }> };
    return (deployment.resources ?? []).filter((r) => r.type === `pulumi-nodejs:dynamic/mssql-mirroring:${kind}`).map((r) => r.outputs ?? {});
  };
  /** Polls `read` (bounded) until `done` holds, and returns the last value either way. */
  const pollUntil = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    let value = await read();
    for (let n = 1; n < POLL.attempts && !done(value); n++) {
      await new Promise((r) => setTimeout(r, POLL.intervalMs));
      value = await read();
    }
    return value;
  };
  /** The primary's view of every replica, by logical name. */
  const primaryView = async (names: readonly Name[]) => {
    const states = await replicaStates(target("sql-a").sql, GROUP);
    const byServer = new Map(states.map((s) => [s.replica.toLowerCase(), s]));
    const out: Record<string, Pick<ReplicaState, "role" | "connected">> = {};
    for (const n of names) {
      const s = byServer.get((await serverName(n)).toLowerCase());
      out[n] = { role: s?.role ?? null, connected: s?.connected ?? null };
    }
    return out;
  };
  const allConnected = (names: readonly Name[]) =>
    Object.fromEntries(names.map((n) => [n, { role: n === "sql-a" ? "PRIMARY" : "SECONDARY", connected: "CONNECTED" }]));
  /** Live, authenticated endpoint connections between the primary and each secondary. */
  const liveConnections = async (names: readonly Name[]) =>
    Promise.all(
      names.filter((n) => n !== "sql-a").map(async (n) => `sql-a<->${n}: ${await liveConnectionBetween({ sql: target("sql-a").sql, principalPrefix: "mirroring_sql-a_" }, { sql: target(n).sql, principalPrefix: `mirroring_${n}_` })}`),
    );

  beforeAll(async () => {
    set = await acquire(on, four ? 4 : 3);
    if (on === "emulator") endpointPorts = await reservePorts(4);
    const primary = target("sql-a");
    // The databases exist on the first replica only, in FULL recovery, with a full backup (the
    // provider refuses a never-backed-up database and takes no backup of its own unless asked).
    for (const db of DATABASES) {
      const file = primary.emulator ? path.join(primary.emulator.backupDir, `${db}-init.bak`) : `${db}-init.bak`;
      await tsqlOn(primary, `CREATE DATABASE [${db}]; ALTER DATABASE [${db}] SET RECOVERY FULL; BACKUP DATABASE [${db}] TO DISK = N'${file}'`);
    }
    await query(primary.sql, "CREATE TABLE dbo.orders (id int NOT NULL, item nvarchar(40) NOT NULL); INSERT INTO dbo.orders (id, item) VALUES (1, N'seeded')", {}, DATABASES[0]);
    security = await Promise.all(set.targets.map((t) => catalogSnapshot(t.sql)));
    const tls = primary.sql;
    project = await createProject({
      source: path.join(__dirname, "availability-group-program"),
      config: {
        replicas: { value: JSON.stringify(replicasConfig(["sql-a", "sql-b", "sql-c"])) },
        databases: { value: JSON.stringify(DATABASES) },
        groupName: { value: GROUP },
        sqlLogin: { value: tls.user },
        sqlPassword: { value: tls.password, secret: true },
        masterKeyPassword: { value: MASTER_KEY_PASSWORD, secret: true },
        // Real servers seed over a network and a disk; the emulator in memory.
        connectTimeoutSeconds: { value: on === "real" ? "300" : "60" },
        synchronizationTimeoutSeconds: { value: on === "real" ? "900" : "120" },
        ...(tls.ca ? { tlsCa: { value: tls.ca } } : {}),
        ...(tls.trustServerCertificate ? { trustServerCertificate: { value: "true" } } : {}),
      },
    });
    usePackedPackage(project);
  }, LONG);

  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    // The test's own databases, which destroy rightly leaves: dropped by the test, not the provider.
    for (const t of set?.targets ?? []) {
      for (const db of DATABASES) await query(t.sql, `IF DB_ID(N'${db}') IS NOT NULL DROP DATABASE [${db}]`).catch(() => undefined);
    }
    await set?.stop();
  }, LONG);

  it("previews every resource to create without a request to any server (emulator counters; real servers have none)", async () => {
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(preview.changeSummary).toEqual({ create: resources(3, 2) });
    if (on === "emulator") expect(requestCount(set)).toEqual(t0);
  }, LONG);

  it("goes from bare instances to every secondary CONNECTED and every copy SYNCHRONIZED in one up", async () => {
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toEqual({ create: resources(3, 2) });
    const names = { a: await serverName("sql-a"), b: await serverName("sql-b"), c: await serverName("sql-c") };
    expect(up.outputs.serverNames!.value).toEqual({ "sql-a": names.a, "sql-b": names.b, "sql-c": names.c });
    expect(up.outputs.primaryReplica!.value).toBe(names.a);
    const healthy = { role: "SECONDARY", connected: true, synchronizationHealth: "HEALTHY", lastConnectError: null };
    expect(up.outputs.secondaries!.value).toEqual({ "sql-b": healthy, "sql-c": healthy });
    const synchronized = { synchronizationState: "SYNCHRONIZED", synchronizationHealth: "HEALTHY", suspended: false };
    for (const db of DATABASES) {
      expect(up.outputs.databases!.value[db]).toEqual({
        replicaStates: { [names.a]: synchronized, [names.b]: synchronized, [names.c]: synchronized },
        synchronized: true,
      });
    }
    // What the instances themselves report of their live connections, not what their catalogs say.
    expect(await primaryView(["sql-a", "sql-b", "sql-c"])).toEqual(allConnected(["sql-a", "sql-b", "sql-c"]));
    for (const n of ["sql-b", "sql-c"] as const) {
      const [own] = (await replicaStates(target(n).sql, GROUP)).filter((s) => s.local);
      expect({ role: own?.role, connected: own?.connected }).toEqual({ role: "SECONDARY", connected: "CONNECTED" });
    }
    expect(await liveConnections(["sql-a", "sql-b", "sql-c"])).toEqual(["sql-a<->sql-b: true", "sql-a<->sql-c: true"]);
    for (const db of DATABASES) {
      expect(await copyStates("sql-a", db)).toEqual({ [names.a]: "SYNCHRONIZED", [names.b]: "SYNCHRONIZED", [names.c]: "SYNCHRONIZED" });
      for (const n of ["sql-b", "sql-c"] as const) expect(await databaseState(n, db)).toBe("ONLINE");
    }
  }, LONG);

  it("serves rows written on the primary from a readable secondary (the seeded row and rows sent since)", async () => {
    await query(target("sql-a").sql, "INSERT INTO dbo.orders (id, item) VALUES (2, N'sent'), (3, N'sent'), (4, N'sent')", {}, DATABASES[0]);
    const read = async () => (await query(target("sql-c").sql, "SELECT COUNT(*) AS n FROM dbo.orders WHERE item = N'sent'", {}, DATABASES[0]))[0]![0]!.n;
    expect(await pollUntil(read, (n) => n === 3)).toBe(3);
    const [seeded] = (await query(target("sql-c").sql, "SELECT id, item FROM dbo.orders WHERE id = 1", {}, DATABASES[0]))[0]!;
    expect(seeded).toEqual({ id: 1, item: "seeded" });
  }, LONG);

  it("previews no change of an unchanged stack without a request (emulator counters; real servers have none), and a second up changes nothing", async () => {
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(preview.changeSummary).toEqual({ same: resources(3, 2) });
    if (on === "emulator") expect(requestCount(set)).toEqual(t0);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: resources(3, 2) });
  }, LONG);

  it("shows a broken trust as a DISCONNECTED replica with SQL Server's error after refresh, and up repairs it", async () => {
    const c = target("sql-c");
    const names = { c: await serverName("sql-c") };
    // sql-c stops accepting sql-a; established connections survive a revoke, so cut them.
    await tsqlOn(c, "REVOKE CONNECT ON ENDPOINT::[hadr_endpoint] FROM [mirroring_sql-a_login]");
    await tsqlOn(c, "ALTER ENDPOINT [hadr_endpoint] STATE = STOPPED");
    await tsqlOn(c, "ALTER ENDPOINT [hadr_endpoint] STATE = STARTED");
    // The primary sees sql-c DISCONNECTED, with the error of the refused reconnection.
    const ofC = async () => (await replicaStates(target("sql-a").sql, GROUP)).find((s) => s.replica.toLowerCase() === names.c.toLowerCase());
    const seen = await pollUntil(ofC, (s) => s?.connected === "DISCONNECTED" && s.lastErrorNumber !== null);
    expect({ connected: seen?.connected, error: seen?.lastErrorNumber !== null }).toEqual({ connected: "DISCONNECTED", error: true });
    // sql-c accepts no connection from sql-a any more (the other direction may well stay up).
    expect(await pollUntil(() => acceptedConnectionFrom(c.sql, "mirroring_sql-a_"), (v) => v === false)).toBe(false);

    const refresh = await project.stack.refresh(recorded(project));
    // The revoked grant is gone from state; the group's view of sql-c and sql-c's copies changed.
    expect(refresh.summary.resourceChanges?.delete).toBe(1);
    // Stack outputs change only when the program runs: what refresh read is in each resource's state.
    const group = await stateOutputs("AvailabilityGroup");
    const health = (group[0]!.replicaHealth as Record<string, { connected: boolean; lastConnectError: { number: number; description: string } | null }>)[names.c]!;
    expect(health.connected).toBe(false);
    expect(health.lastConnectError).not.toBeNull();
    if (on === "emulator") {
      // The refusal's own error: sql-c refused sql-a's login.
      expect(health.lastConnectError).toEqual({
        number: 28034,
        description: "Connection handshake failed. The login 'mirroring_sql-a_login' does not have CONNECT permission on the endpoint. State 84.",
      });
    }
    const joinC = (await stateOutputs("AvailabilityGroupJoin")).find((j) => j.serverName === names.c)!;
    expect(joinC.connected).toBe(false);
    for (const db of DATABASES) {
      const copies = (await stateOutputs("AvailabilityGroupDatabase")).find((d) => d.database === db)!;
      expect(copies.synchronized).toBe(false);
      expect((copies.replicaStates as Record<string, { synchronizationState: string }>)[names.c]!.synchronizationState).toBe("NOT SYNCHRONIZING");
    }

    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(await pollUntil(() => primaryView(["sql-a", "sql-b", "sql-c"]), (v) => v["sql-c"]!.connected === "CONNECTED")).toEqual(allConnected(["sql-a", "sql-b", "sql-c"]));
    expect(await liveConnections(["sql-a", "sql-c"])).toEqual(["sql-a<->sql-c: true"]);
    for (const db of DATABASES) expect((await pollUntil(() => copyStates("sql-a", db), (s) => s[names.c] === "SYNCHRONIZED"))[names.c]).toBe("SYNCHRONIZED");
    // A refresh now finds nothing to change, and a preview plans nothing.
    const again = await project.stack.refresh(recorded(project));
    expect(again.summary.resourceChanges?.delete ?? 0).toBe(0);
    expect((await project.stack.preview(recorded(project))).changeSummary).toEqual({ same: resources(3, 2) });
  }, LONG);

  it.skipIf(!four)("scales out: a fourth replica joins and its copies seed to SYNCHRONIZED (skipped on real servers when MSSQL_REAL_SERVERS names only three)", async () => {
    await setReplicas(["sql-a", "sql-b", "sql-c", "sql-d"]);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    // Created for sql-d: instance, master key, certificate, endpoint, server name, join, and 6 trusts
    // (each of 5). Updated: the group (ADD REPLICA), each database and each earlier join (their
    // replica lists, which touch no server).
    const updates = 1 + DATABASES.length + 2;
    expect(up.summary.resourceChanges).toEqual({ same: resources(3, 2) - updates, create: resources(4, 2) - resources(3, 2), update: updates });
    const d = await serverName("sql-d");
    expect((up.outputs.secondaries!.value as Record<string, { connected: boolean }>)["sql-d"]!.connected).toBe(true);
    expect(await primaryView(["sql-a", "sql-b", "sql-c", "sql-d"])).toEqual(allConnected(["sql-a", "sql-b", "sql-c", "sql-d"]));
    expect(await liveConnections(["sql-a", "sql-d"])).toEqual(["sql-a<->sql-d: true"]);
    for (const db of DATABASES) {
      expect((await pollUntil(() => copyStates("sql-a", db), (s) => s[d] === "SYNCHRONIZED"))[d]).toBe("SYNCHRONIZED");
      expect(await databaseState("sql-d", db)).toBe("ONLINE");
    }
    const read = async () => (await query(target("sql-d").sql, "SELECT COUNT(*) AS n FROM dbo.orders", {}, DATABASES[0]))[0]![0]!.n;
    expect(await pollUntil(read, (n) => n === 4)).toBe(4);
  }, LONG);

  it("scales in: a replica leaves the group and its copies stay RESTORING there, never dropped", async () => {
    const remaining: Name[] = four ? ["sql-a", "sql-c", "sql-d"] : ["sql-a", "sql-c"];
    const b = await serverName("sql-b");
    await setReplicas(remaining);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    const n = remaining.length + 1;
    // sql-b's instance resources, server name, join and every trust to or from it go; the group
    // removes a replica; each database and each remaining join update their replica lists.
    const updates = 1 + DATABASES.length + (remaining.length - 1);
    expect(up.summary.resourceChanges).toEqual({ same: resources(n - 1, 2) - updates, delete: resources(n, 2) - resources(n - 1, 2), update: updates });
    const states = await replicaStates(target("sql-a").sql, GROUP);
    expect(states.map((s) => s.replica.toLowerCase())).not.toContain(b.toLowerCase());
    expect(await tsqlOn(target("sql-b"), `SELECT name FROM sys.availability_groups WHERE name = N'${GROUP}'`)).toEqual([]);
    for (const db of DATABASES) expect(await databaseState("sql-b", db)).toBe("RESTORING");
    expect(await primaryView(remaining)).toEqual(allConnected(remaining));
  }, LONG);

  it("destroys the group and the trusts, leaving every database in place: ONLINE on the primary, RESTORING on the secondaries", async () => {
    const destroy = await project.stack.destroy(recorded(project));
    expect(destroy.summary.result).toBe("succeeded");
    for (const t of set.targets) expect(await tsqlOn(t, "SELECT name FROM sys.availability_groups")).toEqual([]);
    for (const db of DATABASES) {
      expect(await databaseState("sql-a", db)).toBe("ONLINE");
      for (const n of NAMES.slice(1, four ? 4 : 3)) expect(await databaseState(n, db)).toBe("RESTORING");
    }
    // The primary's rows are all there.
    expect((await query(target("sql-a").sql, "SELECT COUNT(*) AS n FROM dbo.orders", {}, DATABASES[0]))[0]![0]!.n).toBe(4);
    // Every security object of master is back as it was (the test made none: it had none of the stack's).
    expect(await Promise.all(set.targets.map((t) => catalogSnapshot(t.sql)))).toEqual(security);
  }, LONG);

  it("never showed a password in state or in any CLI output", async () => {
    const state = JSON.stringify(await project.stack.exportStack());
    const everything = state + project.output.join("");
    for (const marker of [set.targets[0]!.sql.password, MASTER_KEY_PASSWORD]) expect(everything).not.toContain(marker);
  });
});

/**
 * Lost replies and a lost connection during the group's creation, with the emulator's fault hooks
 * (real servers have none): each statement of the group's life that changes SQL Server runs alone,
 * and a retry first reads whether the lost attempt ran, so nothing runs twice and the state always
 * matches what the instances hold.
 */
describe.runIf(runEngine)("availability group under lost replies (emulator fault hooks)", () => {
  const LONG = 6 * 60_000;
  const suffix = randomBytes(3).toString("hex");
  const GROUP = `agf_${suffix}`;
  const DATABASE = `faults_${suffix}`;
  let set: TargetSet;
  let project: TestProject;
  let ports: number[];
  const [a, b] = [() => set.targets[0]!, () => set.targets[1]!];
  const groupsOn = async (t: Target) => (await tsqlOn(t, "SELECT name FROM sys.availability_groups")).map((r) => String(r.name));
  const connectedOf = async () => (await replicaStates(a().sql, GROUP)).map((s) => `${s.role} ${s.connected}`).sort();

  beforeAll(async () => {
    set = await acquire("emulator", 2);
    ports = await reservePorts(2);
    const primary = a();
    await tsqlOn(primary, `CREATE DATABASE [${DATABASE}]; ALTER DATABASE [${DATABASE}] SET RECOVERY FULL; BACKUP DATABASE [${DATABASE}] TO DISK = N'${path.join(primary.emulator!.backupDir, `${DATABASE}.bak`)}'`);
    project = await createProject({
      source: path.join(__dirname, "availability-group-program"),
      config: {
        replicas: { value: JSON.stringify(set.targets.map((t, i) => ({ name: NAMES[i], server: t.sql.server, port: t.sql.port, endpointHost: t.endpointHost, endpointPort: ports[i] }))) },
        databases: { value: JSON.stringify([DATABASE]) },
        groupName: { value: GROUP },
        sqlPassword: { value: primary.sql.password, secret: true },
        masterKeyPassword: { value: MASTER_KEY_PASSWORD, secret: true },
        tlsCa: { value: primary.sql.ca! },
      },
    });
  }, LONG);

  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    await set?.stop();
  }, LONG);

  it("a reply lost after CREATE AVAILABILITY GROUP, after JOIN and after ADD DATABASE: one up succeeds, each ran once, nothing pending", async () => {
    a().emulator!.faults.dropConnectionOn(/^\s*CREATE AVAILABILITY GROUP/i, "after");
    b().emulator!.faults.dropConnectionOn(/JOIN WITH \(CLUSTER_TYPE = NONE\)/i, "after");
    a().emulator!.faults.dropConnectionOn(/ADD DATABASE/i, "after");
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ create: resources(2, 1) });
    const statements = (t: Target, kind: string) => t.emulator!.counters.statements[kind] ?? 0;
    expect(statements(a(), "CREATE AVAILABILITY GROUP")).toBe(1);
    expect(await groupsOn(a())).toEqual([GROUP]);
    expect(await groupsOn(b())).toEqual([GROUP]);
    expect(await connectedOf()).toEqual(["PRIMARY CONNECTED", "SECONDARY CONNECTED"]);
    const state = JSON.stringify(await project.stack.exportStack());
    expect(state).not.toContain('"createPending":true');
    expect((up.outputs.databases!.value as Record<string, { synchronized: boolean }>)[DATABASE]!.synchronized).toBe(true);
  }, LONG);

  it("JOIN's connection lost before it runs on every attempt: up fails naming the join and the instance, and a rerun converges", async () => {
    await project.stack.destroy(recorded(project));
    expect(await groupsOn(a())).toEqual([]);
    expect(await groupsOn(b())).toEqual([]);
    // Destroy left the secondary's copy RESTORING, as it must; the test removes it to seed afresh.
    await tsqlOn(b(), `IF DB_ID(N'${DATABASE}') IS NOT NULL DROP DATABASE [${DATABASE}]`);
    b().emulator!.faults.dropConnectionOn(/JOIN WITH \(CLUSTER_TYPE = NONE\)/i, "before", 5);
    const failure = await project.stack.up(recorded(project)).then(
      () => "succeeded",
      (e: unknown) => String(e),
    );
    expect(failure).toMatch(new RegExp(`unable to join availability group \\[${GROUP}] on 127\\.0\\.0\\.1:${b().sql.port}: .*\\[after 5 attempts]`));
    // The group exists on the primary (its create finished); the secondary never joined.
    expect(await groupsOn(a())).toEqual([GROUP]);
    expect(await groupsOn(b())).toEqual([]);
    const rerun = await project.stack.up(recorded(project));
    expect(rerun.summary.result).toBe("succeeded");
    expect(await groupsOn(b())).toEqual([GROUP]);
    expect(await connectedOf()).toEqual(["PRIMARY CONNECTED", "SECONDARY CONNECTED"]);
    expect(JSON.stringify(await project.stack.exportStack())).not.toContain('"createPending":true');
  }, LONG);
});
