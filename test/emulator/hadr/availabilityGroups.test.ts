/**
 * Availability groups over the live endpoints: three instances with certificate trust, CREATE on the
 * primary, JOIN + GRANT CREATE ANY DATABASE on the secondaries, ADD DATABASE with automatic seeding,
 * the exact rows of the catalog views and DMVs on each replica, rows written on the primary read on
 * a readable secondary, a broken trust shown as DISCONNECTED with the refusal's error and repaired,
 * and the group surviving restart() with a dataDir.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { query, sql, stopAll, waitUntil } from "./helpers";
import { allSynchronized, DATABASE_STATES, poll, REPLICA_STATES, runningGroup } from "./availabilityGroupsSupport";

afterEach(stopAll);

describe("an availability group across three instances", () => {
  it("is created, joined and seeded: the views show it on every replica as SQL Server's pages describe", async () => {
    const [a, b, c] = await runningGroup();
    expect(await query(a, "SELECT name, cluster_type_desc, automated_backup_preference_desc, failure_condition_level, health_check_timeout, db_failover, required_synchronized_secondaries_to_commit FROM sys.availability_groups")).toEqual([
      { name: "ag1", cluster_type_desc: "none", automated_backup_preference_desc: "SECONDARY", failure_condition_level: 3, health_check_timeout: 30000, db_failover: false, required_synchronized_secondaries_to_commit: 0 },
    ]);
    const replicaColumns = "SELECT replica_server_name, endpoint_url, availability_mode_desc, failover_mode_desc, seeding_mode_desc, backup_priority, session_timeout, primary_role_allow_connections_desc, secondary_role_allow_connections_desc FROM sys.availability_replicas ORDER BY replica_server_name";
    const expectedReplicas = [
      { replica_server_name: "A", endpoint_url: a.url, availability_mode_desc: "SYNCHRONOUS_COMMIT", failover_mode_desc: "MANUAL", seeding_mode_desc: "AUTOMATIC", backup_priority: 50, session_timeout: 10, primary_role_allow_connections_desc: "ALL", secondary_role_allow_connections_desc: "NO" },
      { replica_server_name: "B", endpoint_url: b.url, availability_mode_desc: "SYNCHRONOUS_COMMIT", failover_mode_desc: "MANUAL", seeding_mode_desc: "AUTOMATIC", backup_priority: 50, session_timeout: 10, primary_role_allow_connections_desc: "ALL", secondary_role_allow_connections_desc: "ALL" },
      { replica_server_name: "C", endpoint_url: c.url, availability_mode_desc: "ASYNCHRONOUS_COMMIT", failover_mode_desc: "MANUAL", seeding_mode_desc: "AUTOMATIC", backup_priority: 20, session_timeout: 15, primary_role_allow_connections_desc: "ALL", secondary_role_allow_connections_desc: "NO" },
    ];
    // The metadata is the same on every joined replica (the primary sends it over the endpoints).
    for (const n of [a, b, c]) expect(await query(n, replicaColumns)).toEqual(expectedReplicas);
    const [group] = await query(a, "SELECT group_id FROM sys.availability_groups");
    for (const n of [b, c]) expect(await query(n, "SELECT group_id FROM sys.availability_groups")).toEqual([group]);
    for (const n of [a, b, c]) expect(await query(n, "SELECT database_name FROM sys.availability_databases_cluster")).toEqual([{ database_name: "d1" }]);

    await poll(a, REPLICA_STATES, (rows) => rows.every((r) => r.connected_state_desc === "CONNECTED"), "every replica connected");
    expect(await query(a, REPLICA_STATES)).toEqual([
      { replica_server_name: "A", is_local: true, role_desc: "PRIMARY", connected_state_desc: "CONNECTED", synchronization_health_desc: "HEALTHY", last_connect_error_number: null },
      { replica_server_name: "B", is_local: false, role_desc: "SECONDARY", connected_state_desc: "CONNECTED", synchronization_health_desc: "HEALTHY", last_connect_error_number: null },
      { replica_server_name: "C", is_local: false, role_desc: "SECONDARY", connected_state_desc: "CONNECTED", synchronization_health_desc: "HEALTHY", last_connect_error_number: null },
    ]);
    // A secondary sees its own row only.
    expect(await query(b, REPLICA_STATES)).toEqual([
      { replica_server_name: "B", is_local: true, role_desc: "SECONDARY", connected_state_desc: "CONNECTED", synchronization_health_desc: "HEALTHY", last_connect_error_number: null },
    ]);
    expect(await query(a, DATABASE_STATES)).toEqual([
      { replica_server_name: "A", database_name: "d1", is_local: true, is_primary_replica: true, synchronization_state_desc: "SYNCHRONIZED", synchronization_health_desc: "HEALTHY", database_state_desc: "ONLINE" },
      { replica_server_name: "B", database_name: "d1", is_local: false, is_primary_replica: false, synchronization_state_desc: "SYNCHRONIZED", synchronization_health_desc: "HEALTHY", database_state_desc: null },
      { replica_server_name: "C", database_name: "d1", is_local: false, is_primary_replica: false, synchronization_state_desc: "SYNCHRONIZING", synchronization_health_desc: "HEALTHY", database_state_desc: null },
    ]);
    expect(await query(c, DATABASE_STATES)).toEqual([
      { replica_server_name: "C", database_name: "d1", is_local: true, is_primary_replica: false, synchronization_state_desc: "SYNCHRONIZING", synchronization_health_desc: "HEALTHY", database_state_desc: "ONLINE" },
    ]);
    expect(await query(a, "SELECT gs.primary_replica, gs.synchronization_health_desc FROM sys.dm_hadr_availability_group_states AS gs")).toEqual([{ primary_replica: "A", synchronization_health_desc: "HEALTHY" }]);
    expect(await query(b, "SELECT gs.primary_replica FROM sys.dm_hadr_availability_group_states AS gs")).toEqual([{ primary_replica: "A" }]);
    const seeding = await query(a, "SELECT r.replica_server_name, s.current_state, s.is_source, s.error_code FROM sys.dm_hadr_automatic_seeding AS s JOIN sys.availability_replicas AS r ON r.replica_id = s.ag_remote_replica_id ORDER BY r.replica_server_name");
    expect(seeding).toEqual([
      { replica_server_name: "B", current_state: "COMPLETED", is_source: true, error_code: 0 },
      { replica_server_name: "C", current_state: "COMPLETED", is_source: true, error_code: 0 },
    ]);
    // sys.databases: the same group_database_id everywhere, each replica's own replica_id.
    const ids = await Promise.all([a, b, c].map((n) => query(n, "SELECT d.state_desc, d.group_database_id, d.replica_id FROM sys.databases AS d WHERE d.name = N'd1'")));
    const replicaIds = await query(a, "SELECT replica_server_name, replica_id FROM sys.availability_replicas ORDER BY replica_server_name");
    expect(ids.map((rows) => rows[0]!.state_desc)).toEqual(["ONLINE", "ONLINE", "ONLINE"]);
    expect(new Set(ids.map((rows) => rows[0]!.group_database_id)).size).toBe(1);
    expect(ids.map((rows) => rows[0]!.replica_id)).toEqual(replicaIds.map((r) => r.replica_id));
  });

  it("ships rows written on the primary: a readable secondary reads them, a non-readable one refuses with 976, writes on a secondary fail with 3906", async () => {
    const [a, b, c] = await runningGroup();
    await sql(a, "INSERT INTO d1.dbo.t VALUES (2, N'two'), (3, N'three')");
    await poll(b, "SELECT COUNT(*) AS n FROM d1.dbo.t", (rows) => rows[0]!.n === 3, "rows on B");
    expect(await query(b, "SELECT id, v FROM d1.dbo.t WHERE id >= 2 ORDER BY id")).toEqual([{ id: 2, v: "two" }, { id: 3, v: "three" }]);
    const write = await b.sa.execute("INSERT INTO d1.dbo.t VALUES (9, N'nine')");
    expect(write.find((o) => o.kind === "error")).toMatchObject({ error: { number: 3906 } });
    const read = await c.sa.execute("SELECT COUNT(*) FROM d1.dbo.t");
    expect(read.find((o) => o.kind === "error")).toMatchObject({
      error: { number: 976, class: 14, message: expect.stringContaining("The target database, 'd1', is participating in an availability group and is currently not accessible for queries.") },
    });
    // C (asynchronous commit) has the rows too: its copy's LSN matches the primary's.
    await poll(a, DATABASE_STATES, allSynchronized, "still synchronized");
    const lsn = (await query(a, "SELECT r.replica_server_name, drs.last_hardened_lsn FROM sys.dm_hadr_database_replica_states AS drs JOIN sys.availability_replicas AS r ON r.replica_id = drs.replica_id WHERE drs.is_local = 0 ORDER BY r.replica_server_name"));
    const primaryLsn = a.instance.engine.databases.get("d1")!.lastLsn;
    await waitUntil(() => c.instance.engine.databases.get("d1")!.lastLsn === primaryLsn, "C caught up");
    expect(lsn[0]!.last_hardened_lsn).toBe(primaryLsn);
  });
});

const CONNECT_REFUSED = "Connection handshake failed. The login 'a_login' does not have CONNECT permission on the endpoint. State 84.";

describe("a replica whose trust breaks", () => {
  it("is DISCONNECTED with the refusal's error on the primary, retries on its own, and catches up once repaired", async () => {
    const [a, b] = await runningGroup();
    // CONNECT revoked on B: the established connection survives (authorized when made) …
    await sql(b, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM a_login");
    await sql(a, "INSERT INTO d1.dbo.t VALUES (10, N'ten')");
    await poll(b, "SELECT COUNT(*) AS n FROM d1.dbo.t", (rows) => rows[0]!.n === 2, "row 10 over the established connection");
    // … until the connections are cut: the primary's next attempt is refused.
    b.instance.faults.dropEndpointConnections();
    const states = await poll(a, REPLICA_STATES, (rows) => rows.find((r) => r.replica_server_name === "B")?.last_connect_error_number === 28034, "B refused");
    expect(states.find((r) => r.replica_server_name === "B")).toEqual({
      replica_server_name: "B", is_local: false, role_desc: null, connected_state_desc: "DISCONNECTED", synchronization_health_desc: "NOT_HEALTHY", last_connect_error_number: 28034,
    });
    expect(await query(a, "SELECT s.last_connect_error_description FROM sys.dm_hadr_availability_replica_states AS s JOIN sys.availability_replicas AS r ON r.replica_id = s.replica_id WHERE r.replica_server_name = N'B'")).toEqual([
      { last_connect_error_description: CONNECT_REFUSED },
    ]);
    expect((await query(a, DATABASE_STATES)).find((r) => r.replica_server_name === "B")).toMatchObject({ synchronization_state_desc: "NOT SYNCHRONIZING", synchronization_health_desc: "NOT_HEALTHY" });
    expect(await query(a, "SELECT synchronization_health_desc FROM sys.dm_hadr_availability_group_states")).toEqual([{ synchronization_health_desc: "PARTIALLY_HEALTHY" }]);
    await sql(a, "INSERT INTO d1.dbo.t VALUES (11, N'eleven')");
    // Repaired: the link (still retrying) connects, B is sent what it missed.
    await sql(b, "GRANT CONNECT ON ENDPOINT::Mirroring TO a_login");
    await poll(a, DATABASE_STATES, allSynchronized, "B back and synchronized");
    expect((await query(a, REPLICA_STATES)).find((r) => r.replica_server_name === "B")).toEqual({
      replica_server_name: "B", is_local: false, role_desc: "SECONDARY", connected_state_desc: "CONNECTED", synchronization_health_desc: "HEALTHY", last_connect_error_number: 28034,
    });
    expect(await query(b, "SELECT id FROM d1.dbo.t ORDER BY id")).toEqual([{ id: 1 }, { id: 10 }, { id: 11 }]);
  });

  it("a stopped endpoint on a secondary: DISCONNECTED with 1474 on the primary and on the secondary's own row; STARTED again, CONNECTED", async () => {
    const [a, , c] = await runningGroup();
    await sql(c, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    const rows = await poll(a, REPLICA_STATES, (r) => r.find((x) => x.replica_server_name === "C")?.connected_state_desc === "DISCONNECTED" && r.find((x) => x.replica_server_name === "C")?.last_connect_error_number === 1474, "C disconnected");
    expect(rows.find((r) => r.replica_server_name === "C")).toMatchObject({ role_desc: null, synchronization_health_desc: "NOT_HEALTHY", last_connect_error_number: 1474 });
    const [description] = await query(a, "SELECT s.last_connect_error_description AS d FROM sys.dm_hadr_availability_replica_states AS s JOIN sys.availability_replicas AS r ON r.replica_id = s.replica_id WHERE r.replica_server_name = N'C'");
    expect(description!.d).toMatch(/^Database mirroring connection error [24] '.*' for 'TCP:\/\/127\.0\.0\.1:\d+'\.$/);
    expect(await query(c, REPLICA_STATES)).toMatchObject([{ replica_server_name: "C", connected_state_desc: "DISCONNECTED", synchronization_health_desc: "NOT_HEALTHY" }]);
    await sql(c, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await poll(a, DATABASE_STATES, allSynchronized, "C back");
    await poll(c, REPLICA_STATES, (r) => r[0]?.connected_state_desc === "CONNECTED", "C sees the primary again");
  });
});

describe("an availability group and restart()", () => {
  it("survives restarts with a dataDir: configuration, joins and copies come back, and a secondary that was down catches up", async () => {
    const dirs = await Promise.all(["a", "b", "c"].map((n) => mkdtemp(path.join(os.tmpdir(), `agemu-${n}-`))));
    const [a, b, c] = await runningGroup(dirs.map((dataDir) => ({ dataDir })));
    const before = await query(a, "SELECT group_id, name FROM sys.availability_groups");
    await b.instance.restart();
    b.sa = b.instance.engine.openSession("sa");
    await sql(a, "INSERT INTO d1.dbo.t VALUES (20, N'twenty')");
    expect(await query(b, "SELECT group_id, name FROM sys.availability_groups")).toEqual(before);
    await poll(b, "SELECT COUNT(*) AS n FROM d1.dbo.t", (rows) => rows[0]!.n === 2, "row 20 on B after its restart");
    await a.instance.restart();
    a.sa = a.instance.engine.openSession("sa");
    expect(await query(a, "SELECT group_id, name FROM sys.availability_groups")).toEqual(before);
    await sql(a, "INSERT INTO d1.dbo.t VALUES (21, N'twenty-one')");
    await poll(a, DATABASE_STATES, allSynchronized, "synchronized after the primary's restart");
    await poll(b, "SELECT COUNT(*) AS n FROM d1.dbo.t", (rows) => rows[0]!.n === 3, "row 21 on B after the primary's restart");
    expect(await query(c, "SELECT d.state_desc FROM sys.databases AS d WHERE d.name = N'd1'")).toEqual([{ state_desc: "ONLINE" }]);
  });
});

describe("replicas leaving and coming back", () => {
  it("REMOVE REPLICA reaches the removed secondary over its link: the group goes away there and its copy stays RESTORING; added back and joined, the copy rejoins with SET HADR and catches up", async () => {
    const [a, b, c] = await runningGroup();
    await sql(a, "ALTER AVAILABILITY GROUP ag1 REMOVE REPLICA ON N'C'");
    await poll(c, "SELECT name FROM sys.availability_groups", (rows) => rows.length === 0, "the group gone on C");
    expect(await query(c, "SELECT d.state_desc, d.group_database_id FROM sys.databases AS d WHERE d.name = N'd1'")).toEqual([{ state_desc: "RESTORING", group_database_id: null }]);
    expect(await query(b, "SELECT replica_server_name FROM sys.availability_replicas ORDER BY replica_server_name")).toEqual([{ replica_server_name: "A" }, { replica_server_name: "B" }]);
    await sql(a, "INSERT INTO d1.dbo.t VALUES (30, N'thirty')");
    await sql(a, `ALTER AVAILABILITY GROUP ag1 ADD REPLICA ON N'C' WITH (ENDPOINT_URL = N'${c.url}', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = MANUAL)`);
    await sql(c, "ALTER AVAILABILITY GROUP ag1 JOIN WITH (CLUSTER_TYPE = NONE)");
    await poll(c, REPLICA_STATES, (rows) => rows[0]?.connected_state_desc === "CONNECTED", "C connected to the primary");
    await sql(c, "ALTER DATABASE d1 SET HADR AVAILABILITY GROUP = ag1");
    await poll(a, DATABASE_STATES, allSynchronized, "C's copy synchronizing again");
    await waitUntil(() => c.instance.engine.databases.get("d1")!.lastLsn === a.instance.engine.databases.get("d1")!.lastLsn, "C caught up on row 30");
    expect(c.instance.engine.databases.get("d1")!.state).toBe("ONLINE");
  });
});
