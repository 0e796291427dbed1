import { describe, expect, it } from "vitest";
import { availabilityDatabaseQuery, availabilityGroupQuery, databasePrerequisitesQuery, hadrReadinessQuery, localDatabaseQuery, localReplicaQuery } from "../../../provider/sql/availabilityGroupCatalog";
import type { Statement } from "../../../provider/sql/client";
import { SqlServerError } from "../../../provider/sql/errors";
import {
  addDatabase,
  alterAvailabilityGroup,
  checkDatabasePrerequisites,
  createAvailabilityGroup,
  databasePrerequisiteProblems,
  discoverPrimary,
  dropAvailabilityGroup,
  joinAvailabilityGroup,
  joinDatabase,
  prerequisiteError,
  readServerName,
  removeDatabase,
  removeReplica,
  runAlone,
  takeFullBackup,
} from "../../../provider/sql/objects/availabilityGroup";
import type { AvailabilityGroupSpec } from "../../../provider/sql/statements/availabilityGroup";
import { databaseReplicaRow, groupRow, localRow, prerequisiteReply, replicaRow } from "./availabilityGroupFakes";
import { connectionError, FakeClient, requestError } from "./fakes";

const batch = (statements: readonly Statement[]) => statements.map((s) => `${s.sql};`).join("\n");
const READ_GROUP = batch(availabilityGroupQuery("ag1").statements);
const READ_LOCAL = batch(localReplicaQuery("ag1").statements);
const READINESS = batch(hadrReadinessQuery("ag1").statements);
const READ_DB = batch(availabilityDatabaseQuery("ag1", "sales").statements);
const spec: AvailabilityGroupSpec = {
  name: "ag1",
  clusterType: "NONE",
  replicas: [
    { serverName: "SQL-A", endpointUrl: "TCP://sql-a.corp:5022", availabilityMode: "SYNCHRONOUS_COMMIT" },
    { serverName: "SQL-B", endpointUrl: "TCP://sql-b.corp:5022", availabilityMode: "SYNCHRONOUS_COMMIT" },
  ],
};
const GROUP = [[groupRow()], [replicaRow("SQL-A", { is_local: true, role_desc: "PRIMARY" }), replicaRow("SQL-B")], [{ database_name: "sales" }]];
const CREATE_SQL =
  "CREATE AVAILABILITY GROUP [ag1] WITH (CLUSTER_TYPE = NONE) FOR REPLICA ON " +
  "N'SQL-A' WITH (ENDPOINT_URL = N'TCP://sql-a.corp:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC, BACKUP_PRIORITY = 50, SECONDARY_ROLE (ALLOW_CONNECTIONS = NO), PRIMARY_ROLE (ALLOW_CONNECTIONS = ALL), SESSION_TIMEOUT = 10), " +
  "N'SQL-B' WITH (ENDPOINT_URL = N'TCP://sql-b.corp:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC, BACKUP_PRIORITY = 50, SECONDARY_ROLE (ALLOW_CONNECTIONS = NO), PRIMARY_ROLE (ALLOW_CONNECTIONS = ALL), SESSION_TIMEOUT = 10)";
const GRANT_SQL = "ALTER AVAILABILITY GROUP [ag1] GRANT CREATE ANY DATABASE";

describe("runAlone", () => {
  it("sends the statement alone, without a trailing batch separator", async () => {
    const client = new FakeClient([[]]);
    expect(await runAlone(client, { operation: "join", objectType: "availability group", objectName: "ag1" }, { sql: "ALTER AVAILABILITY GROUP [ag1] JOIN", params: {}, secrets: [] })).toBe(1);
    expect(client.requests).toEqual([{ sql: "ALTER AVAILABILITY GROUP [ag1] JOIN", params: {} }]);
  });

  it("after a lost reply, asks whether the earlier attempt took effect before sending again", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost - read ECONNRESET"), []]);
    let checks = 0;
    const attempts = await runAlone(client, { operation: "join", objectType: "availability group" }, { sql: "X", params: {}, secrets: [] }, async () => (checks++, true));
    expect([attempts, checks, client.statements]).toEqual([2, 1, ["X"]]);
  });

  it("a server error is final and comes back as a SqlServerError with its number and hint", async () => {
    const client = new FakeClient([requestError(35221, "Could not process the operation. Always On Availability Groups replica manager is disabled on this instance of SQL Server.")]);
    const error = (await runAlone(client, { operation: "create", objectType: "availability group", objectName: "ag1" }, { sql: "X", params: {}, secrets: [] }).catch((e: unknown) => e)) as SqlServerError;
    expect(error).toBeInstanceOf(SqlServerError);
    expect(error.number).toBe(35221);
    expect(error.message).toBe(
      "unable to create availability group [ag1] on sql1:1433: Could not process the operation. Always On Availability Groups replica manager is disabled on this instance of SQL Server. (Msg 35221, State 1) — " +
        "Always On availability groups are disabled on this instance: on Linux run mssql-conf set hadr.hadrenabled 1 and restart SQL Server (on Windows, SQL Server Configuration Manager)",
    );
    expect(client.requests).toHaveLength(1);
  });
});

describe("createAvailabilityGroup", () => {
  it("read, CREATE alone, GRANT alone, read back: four requests", async () => {
    const client = new FakeClient([[[], [], []], [], [], GROUP]);
    const result = await createAvailabilityGroup(client, spec, { grantCreateAnyDatabase: true });
    expect(result.existedBefore).toBe(false);
    expect(result.record.replicas.map((r) => r.serverName)).toEqual(["SQL-A", "SQL-B"]);
    expect(client.statements).toEqual([READ_GROUP, CREATE_SQL, GRANT_SQL, READ_GROUP]);
  });

  it("a group already there is reported, and nothing is sent to change it", async () => {
    const client = new FakeClient([GROUP]);
    await expect(createAvailabilityGroup(client, spec)).resolves.toMatchObject({ existedBefore: true });
    expect(client.statements).toEqual([READ_GROUP]);
  });

  it("a pending create (resumed) takes a group in place as its own when cluster type and replicas match", async () => {
    const client = new FakeClient([GROUP, GROUP]);
    await expect(createAvailabilityGroup(client, spec, { resumed: true })).resolves.toMatchObject({ existedBefore: false });
    const other = new FakeClient([[[groupRow()], [replicaRow("SQL-A"), replicaRow("SQL-X")], []]]);
    await expect(createAvailabilityGroup(other, spec, { resumed: true })).resolves.toMatchObject({ existedBefore: true });
  });

  it("a CREATE whose reply was lost is not sent twice when the group is there", async () => {
    const client = new FakeClient([[[], [], []], connectionError("ESOCKET", "Connection lost"), GROUP, GROUP]);
    await expect(createAvailabilityGroup(client, spec)).resolves.toMatchObject({ existedBefore: false });
    expect(client.statements).toEqual([READ_GROUP, CREATE_SQL, READ_GROUP, READ_GROUP]);
  });
});

describe("alterAvailabilityGroup", () => {
  const current = availabilityGroupQuery("ag1").map(GROUP)!;

  it("no request when nothing differs", async () => {
    const client = new FakeClient();
    await expect(alterAvailabilityGroup(client, current, spec)).resolves.toMatchObject({ statements: 0 });
    expect(client.requests).toHaveLength(0);
  });

  it("each statement alone, then a read-back", async () => {
    const client = new FakeClient([[], [], GROUP]);
    const desired = { ...spec, replicas: [spec.replicas[0]!, { ...spec.replicas[1]!, backupPriority: 70, sessionTimeout: 30 }] };
    await alterAvailabilityGroup(client, current, desired);
    expect(client.statements).toEqual([
      "ALTER AVAILABILITY GROUP [ag1] MODIFY REPLICA ON N'SQL-B' WITH (BACKUP_PRIORITY = 70)",
      "ALTER AVAILABILITY GROUP [ag1] MODIFY REPLICA ON N'SQL-B' WITH (SESSION_TIMEOUT = 30)",
      READ_GROUP,
    ]);
  });

  it("a step whose reply was lost is skipped when a fresh read shows it done", async () => {
    const done = [[groupRow()], [replicaRow("SQL-A", { role_desc: "PRIMARY" }), replicaRow("SQL-B", { backup_priority: 70 })], []];
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost"), done, done]);
    const desired = { ...spec, replicas: [spec.replicas[0]!, { ...spec.replicas[1]!, backupPriority: 70 }] };
    const result = await alterAvailabilityGroup(client, current, desired);
    expect(client.statements).toEqual(["ALTER AVAILABILITY GROUP [ag1] MODIFY REPLICA ON N'SQL-B' WITH (BACKUP_PRIORITY = 70)", READ_GROUP, READ_GROUP]);
    expect(result.record.replicas[1]!.backupPriority).toBe(70);
  });
});

describe("discoverPrimary: the current primary, never assumed", () => {
  it("one request when the primary last seen still is", async () => {
    const a = new FakeClient([[[localRow("SQL-A", "PRIMARY")]]]);
    const b = new FakeClient();
    await expect(discoverPrimary([a, b], "ag1")).resolves.toMatchObject({ index: 0, replica: { serverName: "SQL-A" } });
    expect([a.statements, b.requests]).toEqual([[READ_LOCAL], []]);
  });

  it("after a failover, asks the others and finds the new primary", async () => {
    const a = new FakeClient([[[localRow("SQL-A", "SECONDARY", { primary_replica: "SQL-C" })]]]);
    const b = new FakeClient([[[localRow("SQL-B", "SECONDARY", { primary_replica: "SQL-C" })]]]);
    const c = new FakeClient([[[localRow("SQL-C", "PRIMARY")]]]);
    await expect(discoverPrimary([a, b, c], "ag1")).resolves.toMatchObject({ index: 2, client: c });
  });

  it("starts with the candidate given (the primary recorded in state)", async () => {
    const a = new FakeClient();
    const b = new FakeClient([[[localRow("SQL-B", "PRIMARY")]]]);
    await expect(discoverPrimary([a, b], "ag1", 1)).resolves.toMatchObject({ index: 1 });
    expect(a.requests).toHaveLength(0);
  });

  it("undefined when no candidate knows the group", async () => {
    await expect(discoverPrimary([new FakeClient([[[]]]), new FakeClient([[[]]])], "ag1")).resolves.toBeUndefined();
  });

  it("names the primary that cannot be reached", async () => {
    const a = new FakeClient([connectionError("ESOCKET", "connect ECONNREFUSED 10.0.0.1:1433")], { attempts: 1 });
    const b = new FakeClient([[[localRow("SQL-B", "SECONDARY", { primary_replica: "SQL-A", connected_state_desc: "DISCONNECTED" })]]]);
    const error = (await discoverPrimary([a, b], "ag1").catch((e: unknown) => e)) as SqlServerError;
    expect(error.code).toBe("EPRIMARYUNREACHABLE");
    expect(error.message).toMatch(/^unable to find the primary of availability group \[ag1\] on sql1:1433: the current primary is 'SQL-A', which was not among the replicas that answered \('SQL-B' is SECONDARY\); unreachable: sql1:1433: unable to read the local replica of/);
  });

  it("two primaries (a forced failover with the old primary back): a clear refusal", async () => {
    const a = new FakeClient([[[localRow("SQL-A", "SECONDARY")]]]);
    const b = new FakeClient([[[localRow("SQL-B", "PRIMARY")]]]);
    const c = new FakeClient([[[localRow("SQL-C", "PRIMARY")]]]);
    await expect(discoverPrimary([a, b, c], "ag1")).rejects.toMatchObject({ code: "EMULTIPLEPRIMARY", message: expect.stringContaining("'SQL-B' (sql1:1433) and 'SQL-C' (sql1:1433) both hold the PRIMARY role") });
  });

  it("every replica answered and none is primary (the group dropped on its primary): ENOPRIMARY", async () => {
    const a = new FakeClient([[[]]]);
    const b = new FakeClient([[[localRow("SQL-B", "RESOLVING", { primary_replica: null })]]]);
    await expect(discoverPrimary([a, b], "ag1")).rejects.toMatchObject({
      code: "ENOPRIMARY",
      message: expect.stringContaining("no replica that answered holds the PRIMARY role ('SQL-B' is RESOLVING)"),
    });
  });

  it("all unreachable: the first failure", async () => {
    const a = new FakeClient([requestError(18456, "Login failed for user 'sa'.")]);
    await expect(discoverPrimary([a], "ag1")).rejects.toMatchObject({ category: "login" });
  });
});

describe("join, replicas, drop", () => {
  it("JOIN only when not joined yet", async () => {
    const fresh = new FakeClient([[[]], []]);
    await expect(joinAvailabilityGroup(fresh, "ag1", "NONE")).resolves.toEqual({ alreadyJoined: false });
    expect(fresh.statements).toEqual([READ_LOCAL, "ALTER AVAILABILITY GROUP [ag1] JOIN WITH (CLUSTER_TYPE = NONE)"]);
    const joined = new FakeClient([[[localRow("SQL-B", "SECONDARY")]]]);
    await expect(joinAvailabilityGroup(joined, "ag1", "NONE")).resolves.toEqual({ alreadyJoined: true });
    expect(joined.requests).toHaveLength(1);
  });

  it("REMOVE REPLICA only when the group lists it", async () => {
    const client = new FakeClient([GROUP, []]);
    await expect(removeReplica(client, "ag1", "sql-b")).resolves.toBe(true);
    expect(client.statements).toEqual([READ_GROUP, "ALTER AVAILABILITY GROUP [ag1] REMOVE REPLICA ON N'sql-b'"]);
    await expect(removeReplica(new FakeClient([GROUP]), "ag1", "SQL-X")).resolves.toBe(false);
  });

  it("DROP alone, only when the instance has the group", async () => {
    const client = new FakeClient([[[{ server_name: "SQL-A", is_hadr_enabled: 1 }], [{ started: 1 }], [{ name: "ag1" }]], []]);
    await expect(dropAvailabilityGroup(client, "ag1")).resolves.toBe(true);
    expect(client.statements).toEqual([READINESS, "DROP AVAILABILITY GROUP [ag1]"]);
    await expect(dropAvailabilityGroup(new FakeClient([[[{ server_name: "SQL-A", is_hadr_enabled: 1 }], [{ started: 1 }], []]]), "ag1")).resolves.toBe(false);
  });

  it("@@SERVERNAME", async () => {
    await expect(readServerName(new FakeClient([[[{ server_name: "SQL-A" }]]]))).resolves.toBe("SQL-A");
  });
});

describe("databases", () => {
  const DB = [[{ database_name: "sales" }], [databaseReplicaRow("SQL-A", { is_primary_replica: true }), databaseReplicaRow("SQL-B"), databaseReplicaRow("SQL-C")], []];

  it("ADD DATABASE alone unless the group holds it", async () => {
    const client = new FakeClient([[[], [], []], []]);
    await expect(addDatabase(client, "ag1", "sales")).resolves.toEqual({ alreadyAdded: false });
    expect(client.statements).toEqual([READ_DB, "ALTER AVAILABILITY GROUP [ag1] ADD DATABASE [sales]"]);
    await expect(addDatabase(new FakeClient([DB]), "ag1", "sales")).resolves.toEqual({ alreadyAdded: true });
  });

  it("REMOVE DATABASE reports the secondary copies left RESTORING", async () => {
    const client = new FakeClient([DB, []]);
    await expect(removeDatabase(client, "ag1", "sales")).resolves.toEqual({ secondaryCopies: ["SQL-B", "SQL-C"] });
    expect(client.statements).toEqual([READ_DB, "ALTER AVAILABILITY GROUP [ag1] REMOVE DATABASE [sales]"]);
    await expect(removeDatabase(new FakeClient([[[], [], []]]), "ag1", "sales")).resolves.toBeUndefined();
  });

  it("manual seeding: SET HADR on a RESTORING copy; anything else is refused without a statement", async () => {
    const READ = batch(localDatabaseQuery("sales").statements);
    const restoring = new FakeClient([[[{ state_desc: "RESTORING", group_database_id: null }]], []]);
    await expect(joinDatabase(restoring, "ag1", "sales")).resolves.toEqual({ alreadyJoined: false });
    expect(restoring.statements).toEqual([READ, "ALTER DATABASE [sales] SET HADR AVAILABILITY GROUP = [ag1]"]);
    const online = new FakeClient([[[{ state_desc: "ONLINE", group_database_id: null }]]]);
    await expect(joinDatabase(online, "ag1", "sales")).rejects.toThrow(
      "unable to join the secondary copy of availability database [sales] of availability group [ag1] on sql1:1433: the database here is ONLINE, not RESTORING: " +
        "with manual seeding, restore a full backup and a log backup of the primary's copy here WITH NORECOVERY first (or use seedingMode AUTOMATIC); nothing here restores or recovers a database",
    );
    expect(online.requests).toHaveLength(1);
  });

  it("the explicit full backup is sent once, never retried", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost")]);
    await expect(takeFullBackup(client, "sales", "/backup/sales.bak")).rejects.toMatchObject({ category: "network" });
    expect(client.statements).toEqual(["BACKUP DATABASE [sales] TO DISK = N'/backup/sales.bak'"]);
  });
});

describe("database prerequisites", () => {
  const READ = batch(databasePrerequisitesQuery("sales").statements);

  it("a ready database: one request, no problem", async () => {
    const client = new FakeClient([prerequisiteReply()]);
    await expect(checkDatabasePrerequisites(client, "ag1", "sales")).resolves.toMatchObject({ problems: [] });
    expect(client.statements).toEqual([READ]);
  });

  it("already in this group is no problem (the add is skipped later)", async () => {
    const { problems } = await checkDatabasePrerequisites(new FakeClient([prerequisiteReply({}, { group: "AG1" })]), "ag1", "sales");
    expect(problems).toEqual([]);
  });

  it.each<[string, ReturnType<typeof prerequisiteReply> | undefined, string[]]>([
    ["missing", undefined, ["does not exist on the primary: create or restore it there first (this package never creates a database)"]],
    ["a system database", prerequisiteReply({ name: "msdb", database_id: 4 }), ["is a system database; availability groups hold user databases only (35249)"]],
    ["in SIMPLE recovery", prerequisiteReply({ recovery_model_desc: "SIMPLE" }), [
      "uses the SIMPLE recovery model; availability groups need FULL: run ALTER DATABASE [sales] SET RECOVERY FULL, then take a full backup (this package changes neither)",
    ]],
    ["never backed up", prerequisiteReply({}, { lastFullBackup: null }), [
      "has no full backup taken under the FULL recovery model since it was created, so its log chain has not started: run BACKUP DATABASE [sales] TO DISK = N'…' (or give initialFullBackup: { disk } to have one taken; none is ever taken otherwise)",
    ]],
    ["backed up only before it was recreated", prerequisiteReply({}, { lastFullBackup: new Date("2025-02-01T00:00:00Z") }), [
      "has no full backup taken under the FULL recovery model since it was created, so its log chain has not started: run BACKUP DATABASE [sales] TO DISK = N'…' (or give initialFullBackup: { disk } to have one taken; none is ever taken otherwise)",
    ]],
    ["everything wrong at once", prerequisiteReply({ state_desc: "OFFLINE", is_read_only: true, user_access_desc: "SINGLE_USER", is_auto_close_on: true }, { mirrored: 1, group: "other" }), [
      "already belongs to availability group [other]: remove it there first (a database joins one group, 35244)",
      "is OFFLINE, not ONLINE: bring it online first (ALTER DATABASE [sales] SET ONLINE)",
      "is read-only: make it read-write first (ALTER DATABASE [sales] SET READ_WRITE)",
      "is SINGLE_USER: make it multi-user first (ALTER DATABASE [sales] SET MULTI_USER)",
      "uses AUTO_CLOSE: turn it off first (ALTER DATABASE [sales] SET AUTO_CLOSE OFF)",
      "is in a database mirroring session: end it first (ALTER DATABASE [sales] SET PARTNER OFF)",
    ]],
    ["a secondary copy", prerequisiteReply({ state_desc: "RESTORING" }), ["is RESTORING here, so this is not the primary copy: add the database on the instance that holds it ONLINE"]],
  ])("%s", (_label, reply, reasons) => {
    const record = reply === undefined ? undefined : databasePrerequisitesQuery("sales").map(reply);
    expect(databasePrerequisiteProblems(record, "sales", "ag1").map((p) => p.reason)).toEqual(reasons);
  });

  it("the error names the database and every fix", () => {
    const record = databasePrerequisitesQuery("sales").map(prerequisiteReply({ recovery_model_desc: "SIMPLE", is_read_only: true }));
    const error = prerequisiteError(new FakeClient(), "ag1", "sales", databasePrerequisiteProblems(record, "sales", "ag1"));
    expect(error.code).toBe("EPREREQUISITE");
    expect(error.message).toBe(
      "unable to add availability database [sales] of availability group [ag1] on sql1:1433: database [sales]: (1) is read-only: make it read-write first (ALTER DATABASE [sales] SET READ_WRITE); " +
        "(2) uses the SIMPLE recovery model; availability groups need FULL: run ALTER DATABASE [sales] SET RECOVERY FULL, then take a full backup (this package changes neither)",
    );
  });
});
