/**
 * The rules of CREATE / ALTER / DROP AVAILABILITY GROUP and ALTER DATABASE … SET HADR, each by SQL
 * Server's message number (and text where it names things), checked against the emulator alone so
 * that a mistake the provider and the emulator could share cannot hide: Microsoft's pages
 * ("CREATE AVAILABILITY GROUP", "ALTER AVAILABILITY GROUP", "DROP AVAILABILITY GROUP", "ALTER
 * DATABASE … SET HADR") and "Database engine events and errors 31000 to 41399".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../../emulator";
import { node, query, SA_PASSWORD, sql, stopAll, trust, type Node } from "./helpers";

let a: Node;
let b: Node;
let c: Node;

beforeAll(async () => {
  [a, b, c] = await Promise.all([node("a"), node("b"), node("c")]);
  for (const x of [a, b, c]) for (const y of [a, b, c]) if (x !== y) await trust(x, y);
  await sql(a, "CREATE DATABASE d1; CREATE DATABASE d2; CREATE DATABASE d3;");
  await sql(a, group("ag1", "FOR DATABASE d1 REPLICA ON", [replica("A", a), replica("B", b)]));
  await sql(b, "ALTER AVAILABILITY GROUP ag1 JOIN WITH (CLUSTER_TYPE = NONE)");
});
afterAll(stopAll);

function replica(name: string, n: Node | undefined, options = "AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL"): string {
  return `N'${name}' WITH (ENDPOINT_URL = N'${n?.url ?? "TCP://127.0.0.1:1"}', ${options})`;
}

function group(name: string, head: string, replicas: string[], withOptions = "CLUSTER_TYPE = NONE"): string {
  return `CREATE AVAILABILITY GROUP ${name} WITH (${withOptions}) ${head} ${replicas.join(", ")}`;
}

/** The first error of `text` on `n` (number and message). */
async function error(n: Node, text: string): Promise<{ number: number; message: string; class: number }> {
  const outcomes = await n.sa.execute(text);
  const e = outcomes.find((o) => o.kind === "error");
  if (!e || e.kind !== "error") throw new Error(`expected an error from: ${text}`);
  return { number: e.error.number, message: e.error.message, class: e.error.class };
}

const only = (name: string, extra = "") => group(name, "FOR REPLICA ON", [replica("A", a, `AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL${extra}`)]);

describe("CREATE AVAILABILITY GROUP", () => {
  it("refuses CLUSTER_TYPE = WSFC, written or by default: there is no cluster (35220)", async () => {
    expect((await error(a, group("w1", "FOR REPLICA ON", [replica("A", a)], "CLUSTER_TYPE = WSFC"))).number).toBe(35220);
    expect((await error(a, `CREATE AVAILABILITY GROUP w2 FOR REPLICA ON ${replica("A", a)}`)).number).toBe(35220);
  });

  it("requires a replica on the local instance (35237), distinct replica names (35235), an ENDPOINT_URL (35236) that is a TCP URL (35232)", async () => {
    expect(await error(a, group("x1", "FOR REPLICA ON", [replica("B", b)]))).toMatchObject({
      number: 35237,
      message: "None of the specified replicas for availability group x1 maps to the instance of SQL Server to which you are connected. Reenter the command, specifying this server instance to host one of the replicas. This replica will be the initial primary replica.",
    });
    expect((await error(a, group("x2", "FOR REPLICA ON", [replica("A", a), replica("a", b)]))).number).toBe(35235);
    expect(await error(a, "CREATE AVAILABILITY GROUP x3 WITH (CLUSTER_TYPE = NONE) FOR REPLICA ON N'A' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL)")).toMatchObject({ number: 35236, class: 15 });
    expect(await error(a, "CREATE AVAILABILITY GROUP x4 WITH (CLUSTER_TYPE = NONE) FOR REPLICA ON N'A' WITH (ENDPOINT_URL = N'http://a:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL)")).toMatchObject({
      number: 35232,
      message: "The specified endpoint URL 'http://a:5022' is invalid. Reenter the command specifying the correct URL. For information about specifying the endpoint URL for an availability replica, see SQL Server Books Online.",
    });
  });

  it("checks each replica's values: BACKUP_PRIORITY 0–100 (35209), SESSION_TIMEOUT ≥ 5 (35214), no automatic failover of an asynchronous replica (35211)", async () => {
    expect(await error(a, only("v1", ", BACKUP_PRIORITY = 101"))).toMatchObject({ number: 35209, message: expect.stringContaining("The CREATE AVAILABILITY GROUP operation failed for availability replica 'A', because the backup priority value is outside the valid range. The valid range is between 0 and 100, inclusive.") });
    expect(await error(a, only("v2", ", SESSION_TIMEOUT = 4"))).toMatchObject({ number: 35214, message: expect.stringContaining("The minimum value for session timeout is 5.") });
    expect((await error(a, group("v3", "FOR REPLICA ON", [replica("A", a, "AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = AUTOMATIC")], "CLUSTER_TYPE = EXTERNAL"))).number).toBe(35211);
  });

  it("counts automatic failover targets (none without a cluster manager: 35213) and synchronous-commit replicas (at most 5: 35212), and at most 9 replicas (35233)", async () => {
    expect(await error(a, group("l1", "FOR REPLICA ON", [replica("A", a, "AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = AUTOMATIC")]))).toMatchObject({
      number: 35213,
      message: expect.stringContaining("would exceed the maximum number of 0 automatic failover targets in availability group 'l1'"),
    });
    const six = ["A", "S2", "S3", "S4", "S5", "S6"].map((n) => replica(n, n === "A" ? a : undefined));
    expect(await error(a, group("l2", "FOR REPLICA ON", six))).toMatchObject({ number: 35212, message: expect.stringContaining("maximum number of 5 synchronous-commit availability replicas in availability group 'l2'") });
    const ten = ["A", ...Array.from({ length: 9 }, (_, i) => `R${i}`)].map((n) => replica(n, n === "A" ? a : undefined, "AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL"));
    expect((await error(a, group("l3", "FOR REPLICA ON", ten))).number).toBe(35233);
  });

  it("checks group options: FAILURE_CONDITION_LEVEL 1–5 (35228), HEALTH_CHECK_TIMEOUT ≥ 15000 (35229)", async () => {
    expect((await error(a, group("o1", "FOR REPLICA ON", [replica("A", a)], "CLUSTER_TYPE = NONE, FAILURE_CONDITION_LEVEL = 6"))).number).toBe(35228);
    expect(await error(a, group("o2", "FOR REPLICA ON", [replica("A", a)], "CLUSTER_TYPE = NONE, HEALTH_CHECK_TIMEOUT = 14999"))).toMatchObject({ number: 35229, message: expect.stringContaining("is less than 15000 milliseconds") });
  });

  it("checks FOR DATABASE: existing (35238), user databases (35249), listed once (35234), in no other group (35244)", async () => {
    expect(await error(a, group("f1", "FOR DATABASE nope REPLICA ON", [replica("A", a)]))).toMatchObject({ number: 35238, message: expect.stringContaining("Database 'nope' cannot be added to availability group 'f1'. The database does not exist on this SQL Server instance.") });
    expect((await error(a, group("f2", "FOR DATABASE msdb REPLICA ON", [replica("A", a)]))).number).toBe(35249);
    expect((await error(a, group("f3", "FOR DATABASE d2, D2 REPLICA ON", [replica("A", a)]))).number).toBe(35234);
    expect((await error(a, group("f4", "FOR DATABASE d1 REPLICA ON", [replica("A", a)]))).number).toBe(35244);
  });

  it("refuses a second group of the same name (41106), a user transaction (226), a database other than master (35208), and syntax outside the subset (50000)", async () => {
    expect((await error(a, group("AG1", "FOR REPLICA ON", [replica("A", a)]))).number).toBe(41106);
    expect(await error(a, `BEGIN TRANSACTION; ${only("t1")}`)).toMatchObject({ number: 226, message: "CREATE AVAILABILITY GROUP statement not allowed within multi-statement transaction." });
    await sql(a, "ROLLBACK");
    expect((await error(a, `USE d2; ${only("t2")}`)).number).toBe(35208);
    await sql(a, "USE master");
    expect((await error(a, `CREATE AVAILABILITY GROUP t3 WITH (CLUSTER_TYPE = NONE, BASIC) FOR REPLICA ON ${replica("A", a)}`)).number).toBe(50000);
    expect((await error(a, `${only("t4")}, LISTENER N'l' (WITH DHCP)`)).number).toBe(50000);
    expect(await query(a, "SELECT name FROM sys.availability_groups")).toEqual([{ name: "ag1" }]);
  });
});

describe("ALTER AVAILABILITY GROUP", () => {
  it("runs the primary's actions only on the primary (41140) and names unknown groups with 15151", async () => {
    expect(await error(b, "ALTER AVAILABILITY GROUP ag1 ADD DATABASE d2")).toMatchObject({
      number: 41140,
      message: "Availability group 'ag1' cannot process the ALTER AVAILABILITY GROUP command, because the local availability replica is not the primary replica. Connect to the server instance that is currently hosting the primary replica of this availability group, and rerun the command.",
    });
    for (const action of ["REMOVE DATABASE d1", "SET (DB_FAILOVER = ON)", `ADD REPLICA ON ${replica("C", c)}`, "REMOVE REPLICA ON N'A'"]) {
      expect((await error(b, `ALTER AVAILABILITY GROUP ag1 ${action}`)).number).toBe(41140);
    }
    expect(await error(a, "ALTER AVAILABILITY GROUP nope SET (DB_FAILOVER = ON)")).toMatchObject({ number: 15151, message: "Cannot alter the availability group 'nope', because it does not exist or you do not have permission." });
    expect((await error(a, "DROP AVAILABILITY GROUP nope")).number).toBe(15151);
  });

  it("checks databases (35280 already in it, 35281 not in it, 35238 missing) and replicas (35282 exists, 35283 / 35210 unknown, 35284 the local one, 35223 too many)", async () => {
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 ADD DATABASE d1")).number).toBe(35280);
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 REMOVE DATABASE d2")).number).toBe(35281);
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 ADD DATABASE nope")).number).toBe(35238);
    expect((await error(a, `ALTER AVAILABILITY GROUP ag1 ADD REPLICA ON ${replica("B", b)}`)).number).toBe(35282);
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 REMOVE REPLICA ON N'Z'")).number).toBe(35283);
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 MODIFY REPLICA ON N'Z' WITH (BACKUP_PRIORITY = 1)")).number).toBe(35210);
    expect(await error(a, "ALTER AVAILABILITY GROUP ag1 REMOVE REPLICA ON N'A'")).toMatchObject({ number: 35284, message: expect.stringContaining("Availability replica 'A' cannot be removed from availability group 'ag1', because this replica is on the local instance of SQL Server.") });
    const eight = Array.from({ length: 8 }, (_, i) => replica(`X${i}`, undefined, "AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL"));
    expect(await error(a, `ALTER AVAILABILITY GROUP ag1 ADD REPLICA ON ${eight.join(", ")}`)).toMatchObject({
      number: 35223,
      message: "Cannot add 8 availability replica(s) to availability group 'ag1'. The availability group already contains 2 replica(s), and the maximum number of replicas supported in an availability group is 9.",
    });
  });

  it("MODIFY REPLICA takes one option and keeps the combination rules (35211, 35214); SET changes options in place", async () => {
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 MODIFY REPLICA ON N'B' WITH (BACKUP_PRIORITY = 1, SESSION_TIMEOUT = 20)")).number).toBe(102);
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 MODIFY REPLICA ON N'B' WITH (SESSION_TIMEOUT = 2)")).number).toBe(35214);
    await sql(a, "ALTER AVAILABILITY GROUP ag1 MODIFY REPLICA ON N'B' WITH (AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT)");
    await sql(a, "ALTER AVAILABILITY GROUP ag1 MODIFY REPLICA ON N'B' WITH (SECONDARY_ROLE (ALLOW_CONNECTIONS = READ_ONLY))");
    await sql(a, "ALTER AVAILABILITY GROUP ag1 SET (AUTOMATED_BACKUP_PREFERENCE = PRIMARY, DB_FAILOVER = ON, HEALTH_CHECK_TIMEOUT = 20000)");
    expect(await query(a, "SELECT availability_mode_desc, secondary_role_allow_connections_desc FROM sys.availability_replicas WHERE replica_server_name = N'B'")).toEqual([
      { availability_mode_desc: "ASYNCHRONOUS_COMMIT", secondary_role_allow_connections_desc: "READ_ONLY" },
    ]);
    expect(await query(a, "SELECT automated_backup_preference_desc, db_failover, health_check_timeout FROM sys.availability_groups")).toEqual([
      { automated_backup_preference_desc: "PRIMARY", db_failover: true, health_check_timeout: 20000 },
    ]);
    await sql(a, "ALTER AVAILABILITY GROUP ag1 MODIFY REPLICA ON N'B' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT)");
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 SET (CLUSTER_TYPE = EXTERNAL)")).number).toBe(102);
  });

  it("JOIN: a group no primary offered this instance fails with 41158 naming 35250; a joined group cannot join again (41106); FAILOVER on the primary is 41122", async () => {
    expect(await error(c, "ALTER AVAILABILITY GROUP nope JOIN WITH (CLUSTER_TYPE = NONE)")).toMatchObject({
      number: 41158,
      message: "Failed to join local availability replica to availability group 'nope'. The operation encountered SQL Server error 35250 and has been rolled back. Check the SQL Server error log for more details. When the cause of the error has been resolved, retry the ALTER AVAILABILITY GROUP JOIN command.",
    });
    expect((await error(b, "ALTER AVAILABILITY GROUP ag1 JOIN WITH (CLUSTER_TYPE = NONE)")).number).toBe(41106);
    expect((await error(a, "ALTER AVAILABILITY GROUP ag1 FAILOVER")).number).toBe(41122);
  });
});

describe("ALTER DATABASE … SET HADR", () => {
  it("refuses a database outside any group (35242), the primary's copies (35240), a database the group does not hold (41132), a missing one (41148)", async () => {
    expect(await error(a, "ALTER DATABASE d2 SET HADR OFF")).toMatchObject({ number: 35242, message: "Cannot complete this ALTER DATABASE <database-name> SET HADR operation on database 'd2'. The database is not joined to an availability group. After the database has joined the availability group, retry the command." });
    expect((await error(a, "ALTER DATABASE d1 SET HADR OFF")).number).toBe(35240);
    expect((await error(a, "ALTER DATABASE d1 SET HADR AVAILABILITY GROUP = ag1")).number).toBe(35240);
    await sql(b, "CREATE DATABASE d2");
    expect((await error(b, "ALTER DATABASE d2 SET HADR AVAILABILITY GROUP = ag1")).number).toBe(41132);
    expect((await error(b, "ALTER DATABASE nope SET HADR AVAILABILITY GROUP = ag1")).number).toBe(41148);
    expect((await error(b, "ALTER DATABASE d2 SET HADR SUSPEND")).number).toBe(50000);
  });
});

describe("DROP AVAILABILITY GROUP and removals", () => {
  it("DROP DATABASE of a database in a group is refused with 3752 (its copy stays)", async () => {
    expect(await error(a, "DROP DATABASE d1")).toMatchObject({
      number: 3752,
      message: "The database 'd1' is currently joined to an availability group. Before you can drop the database, you need to remove it from the availability group.",
    });
    expect(await query(a, "SELECT name FROM sys.databases WHERE name = N'd1'")).toEqual([{ name: "d1" }]);
  });

  it("REMOVE DATABASE leaves the primary copy ONLINE and the secondary copy RESTORING; DROP on the primary keeps its databases ONLINE", async () => {
    await sql(a, "ALTER AVAILABILITY GROUP ag1 ADD DATABASE d3");
    const before = await query(a, "SELECT d.name, d.state_desc, d.group_database_id FROM sys.databases AS d WHERE d.name = N'd3'");
    expect(before[0]!.group_database_id).not.toBeNull();
    await sql(a, "ALTER AVAILABILITY GROUP ag1 REMOVE DATABASE d3");
    expect(await query(a, "SELECT d.state_desc, d.group_database_id FROM sys.databases AS d WHERE d.name = N'd3'")).toEqual([{ state_desc: "ONLINE", group_database_id: null }]);
    expect(await query(a, "SELECT database_name FROM sys.availability_databases_cluster")).toEqual([{ database_name: "d1" }]);
    await sql(a, "DROP AVAILABILITY GROUP ag1");
    expect(await query(a, "SELECT name FROM sys.availability_groups")).toEqual([]);
    expect(await query(a, "SELECT d.state_desc, d.group_database_id FROM sys.databases AS d WHERE d.name = N'd1'")).toEqual([{ state_desc: "ONLINE", group_database_id: null }]);
    // With CLUSTER_TYPE = NONE the secondary keeps its replica until it drops the group too.
    expect(await query(b, "SELECT name FROM sys.availability_groups")).toEqual([{ name: "ag1" }]);
    await sql(b, "DROP AVAILABILITY GROUP ag1");
    expect(await query(b, "SELECT name FROM sys.availability_groups")).toEqual([]);
  });
});

describe("SERVERPROPERTY('IsHadrEnabled')", () => {
  it("is 1 by default; an instance started with hadrEnabled: false reports 0 and refuses every availability-group statement with 35221", async () => {
    expect(await query(a, "SELECT SERVERPROPERTY('IsHadrEnabled') AS e")).toEqual([{ e: 1 }]);
    const off = await startEmulator({ saPassword: SA_PASSWORD, name: "OFF1", hadrEnabled: false });
    try {
      const s = off.engine.openSession("sa");
      const [row] = await s.execute("SELECT SERVERPROPERTY('IsHadrEnabled') AS e");
      expect(row).toMatchObject({ kind: "rows", rows: [[0]] });
      for (const text of [
        "CREATE AVAILABILITY GROUP g WITH (CLUSTER_TYPE = NONE) FOR REPLICA ON N'OFF1' WITH (ENDPOINT_URL = N'TCP://127.0.0.1:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL)",
        "ALTER AVAILABILITY GROUP g JOIN WITH (CLUSTER_TYPE = NONE)",
        "DROP AVAILABILITY GROUP g",
      ]) {
        const outcomes = await s.execute(text);
        expect(outcomes.find((o) => o.kind === "error")).toMatchObject({
          error: { number: 35221, message: expect.stringContaining("Always On Availability Groups replica manager is disabled on this instance of SQL Server.") },
        });
      }
    } finally {
      await off.stop();
    }
  });
});
