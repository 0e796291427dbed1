import { describe, expect, it } from "vitest";
import type { AvailabilityGroupRecord, AvailabilityReplicaView } from "../../../provider/sql/availabilityGroupRecords";
import { ValidationError } from "../../../provider/sql/errors";
import {
  buildAddDatabase,
  buildAddReplica,
  buildAlterAvailabilityGroup,
  buildCreateAvailabilityGroup,
  buildDenyCreateAnyDatabase,
  buildDropAvailabilityGroup,
  buildFullBackup,
  buildGrantCreateAnyDatabase,
  buildJoinAvailabilityGroup,
  buildJoinDatabase,
  buildRemoveDatabase,
  buildRemoveReplica,
  groupOptionChanges,
  replicaChanges,
  type AvailabilityGroupSpec,
  type ReplicaSpec,
} from "../../../provider/sql/statements/availabilityGroup";

const a: ReplicaSpec = { serverName: "SQL-A", endpointUrl: "TCP://sql-a.corp:5022", availabilityMode: "SYNCHRONOUS_COMMIT" };
const b: ReplicaSpec = { serverName: "SQL-B", endpointUrl: "TCP://sql-b.corp:5022", availabilityMode: "SYNCHRONOUS_COMMIT" };
const c: ReplicaSpec = { serverName: "SQL-C", endpointUrl: "TCP://sql-c.corp:5022", availabilityMode: "ASYNCHRONOUS_COMMIT" };
const spec: AvailabilityGroupSpec = { name: "ag1", clusterType: "NONE", replicas: [a, b] };

const DEFAULTS = "FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC, BACKUP_PRIORITY = 50, SECONDARY_ROLE (ALLOW_CONNECTIONS = NO), PRIMARY_ROLE (ALLOW_CONNECTIONS = ALL), SESSION_TIMEOUT = 10";
const REPLICA_A = `N'SQL-A' WITH (ENDPOINT_URL = N'TCP://sql-a.corp:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, ${DEFAULTS})`;
const REPLICA_B = `N'SQL-B' WITH (ENDPOINT_URL = N'TCP://sql-b.corp:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, ${DEFAULTS})`;

describe("CREATE AVAILABILITY GROUP", () => {
  it("writes every replica option out, no guard, no parameter (SQL Server takes it only alone)", () => {
    expect(buildCreateAvailabilityGroup(spec)).toEqual({
      sql: `CREATE AVAILABILITY GROUP [ag1] WITH (CLUSTER_TYPE = NONE) FOR REPLICA ON ${REPLICA_A}, ${REPLICA_B}`,
      params: {},
      secrets: [],
    });
  });

  it("FOR DATABASE, group options in the documented order, every replica option given", () => {
    const full: AvailabilityGroupSpec = {
      name: "sales",
      clusterType: "EXTERNAL",
      databases: ["db1", "Order]s"],
      automatedBackupPreference: "PRIMARY",
      failureConditionLevel: 4,
      healthCheckTimeout: 60_000,
      dbFailover: true,
      dtcSupport: true,
      replicas: [
        { ...a, failoverMode: "EXTERNAL", seedingMode: "MANUAL", backupPriority: 30, secondaryAllowConnections: "READ_ONLY", readOnlyRoutingUrl: "TCP://sql-a.corp:1433", primaryAllowConnections: "READ_WRITE", sessionTimeout: 15 },
        { ...b, failoverMode: "EXTERNAL", secondaryAllowConnections: "ALL" },
        { serverName: "SQL-W", endpointUrl: "TCP://sql-w.corp:5022", availabilityMode: "CONFIGURATION_ONLY" },
      ],
    };
    expect(buildCreateAvailabilityGroup(full).sql).toBe(
      "CREATE AVAILABILITY GROUP [sales] WITH (CLUSTER_TYPE = EXTERNAL, AUTOMATED_BACKUP_PREFERENCE = PRIMARY, FAILURE_CONDITION_LEVEL = 4, " +
        "HEALTH_CHECK_TIMEOUT = 60000, DB_FAILOVER = ON, DTC_SUPPORT = PER_DB) FOR DATABASE [db1], [Order]]s] REPLICA ON " +
        "N'SQL-A' WITH (ENDPOINT_URL = N'TCP://sql-a.corp:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = EXTERNAL, SEEDING_MODE = MANUAL, " +
        "BACKUP_PRIORITY = 30, SECONDARY_ROLE (ALLOW_CONNECTIONS = READ_ONLY, READ_ONLY_ROUTING_URL = N'TCP://sql-a.corp:1433'), " +
        "PRIMARY_ROLE (ALLOW_CONNECTIONS = READ_WRITE), SESSION_TIMEOUT = 15), " +
        "N'SQL-B' WITH (ENDPOINT_URL = N'TCP://sql-b.corp:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = EXTERNAL, SEEDING_MODE = AUTOMATIC, " +
        "BACKUP_PRIORITY = 50, SECONDARY_ROLE (ALLOW_CONNECTIONS = ALL), PRIMARY_ROLE (ALLOW_CONNECTIONS = ALL), SESSION_TIMEOUT = 10), " +
        // A configuration-only replica takes ENDPOINT_URL and AVAILABILITY_MODE alone (Microsoft's Linux example).
        "N'SQL-W' WITH (ENDPOINT_URL = N'TCP://sql-w.corp:5022', AVAILABILITY_MODE = CONFIGURATION_ONLY)",
    );
  });

  it("REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT, DB_FAILOVER OFF, DTC NONE", () => {
    expect(buildCreateAvailabilityGroup({ ...spec, requiredSynchronizedSecondariesToCommit: 1, dbFailover: false, dtcSupport: false }).sql).toContain(
      "WITH (CLUSTER_TYPE = NONE, DB_FAILOVER = OFF, DTC_SUPPORT = NONE, REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 1) FOR REPLICA ON",
    );
  });

  it("hostile names are quoted: ] doubled in identifiers, ' doubled in literals", () => {
    const hostile: AvailabilityGroupSpec = {
      name: "ag]; DROP DATABASE x --",
      clusterType: "NONE",
      replicas: [{ ...a, serverName: "HOST\\INST'1" }, b],
      databases: ["d'b]"],
    };
    expect(buildCreateAvailabilityGroup(hostile).sql).toBe(
      "CREATE AVAILABILITY GROUP [ag]]; DROP DATABASE x --] WITH (CLUSTER_TYPE = NONE) FOR DATABASE [d'b]]] REPLICA ON " +
        `N'HOST\\INST''1' WITH (ENDPOINT_URL = N'TCP://sql-a.corp:5022', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, ${DEFAULTS}), ${REPLICA_B}`,
    );
  });

  it.each<[string, AvailabilityGroupSpec, string, RegExp]>([
    ["a name too long", { ...spec, name: "g".repeat(129) }, "name", /at most 128/],
    ["an endpoint URL that is not TCP://host:port", { ...spec, replicas: [{ ...a, endpointUrl: "http://a:5022" }, b] }, "replicas[0].endpointUrl", /TCP:\/\/sql-b\.corp:5022/],
    ["a quote smuggled into the URL", { ...spec, replicas: [{ ...a, endpointUrl: "TCP://a'b:5022" }, b] }, "replicas[0].endpointUrl", /must be a URL/],
    ["automatic failover on an asynchronous replica", { ...spec, clusterType: "EXTERNAL", replicas: [a, { ...c, failoverMode: "AUTOMATIC" }] }, "replicas[1].failoverMode", /35211/],
    ["WSFC", { ...spec, clusterType: "WSFC" }, "clusterType", /Windows Server Failover Cluster/],
    ["a system database", { ...spec, databases: ["msdb"] }, "databases[0]", /35249/],
  ])("refuses %s before building anything", (_label, bad, property, reason) => {
    const error = (() => {
      try {
        buildCreateAvailabilityGroup(bad);
      } catch (e) {
        return e;
      }
      throw new Error("expected a ValidationError");
    })() as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.property).toBe(property);
    expect(error.reason).toMatch(reason);
  });
});

describe("the other statements", () => {
  it.each<[string, () => { sql: string }, string]>([
    ["JOIN WITH NONE", () => buildJoinAvailabilityGroup("ag1", "NONE"), "ALTER AVAILABILITY GROUP [ag1] JOIN WITH (CLUSTER_TYPE = NONE)"],
    ["JOIN WITH EXTERNAL", () => buildJoinAvailabilityGroup("ag1", "EXTERNAL"), "ALTER AVAILABILITY GROUP [ag1] JOIN WITH (CLUSTER_TYPE = EXTERNAL)"],
    ["JOIN (WSFC)", () => buildJoinAvailabilityGroup("ag1", "WSFC"), "ALTER AVAILABILITY GROUP [ag1] JOIN"],
    ["GRANT CREATE ANY DATABASE", () => buildGrantCreateAnyDatabase("a]g"), "ALTER AVAILABILITY GROUP [a]]g] GRANT CREATE ANY DATABASE"],
    ["DENY CREATE ANY DATABASE", () => buildDenyCreateAnyDatabase("ag1"), "ALTER AVAILABILITY GROUP [ag1] DENY CREATE ANY DATABASE"],
    ["ADD DATABASE", () => buildAddDatabase("ag1", "sales]db"), "ALTER AVAILABILITY GROUP [ag1] ADD DATABASE [sales]]db]"],
    ["REMOVE DATABASE", () => buildRemoveDatabase("ag1", "sales"), "ALTER AVAILABILITY GROUP [ag1] REMOVE DATABASE [sales]"],
    ["REMOVE REPLICA", () => buildRemoveReplica("ag1", "O'Brien\\X"), "ALTER AVAILABILITY GROUP [ag1] REMOVE REPLICA ON N'O''Brien\\X'"],
    ["DROP", () => buildDropAvailabilityGroup("ag 1"), "DROP AVAILABILITY GROUP [ag 1]"],
    ["SET HADR", () => buildJoinDatabase("sales", "ag1"), "ALTER DATABASE [sales] SET HADR AVAILABILITY GROUP = [ag1]"],
    ["BACKUP DATABASE", () => buildFullBackup("sales", "/var/opt/mssql/backup/sales 'first'.bak"), "BACKUP DATABASE [sales] TO DISK = N'/var/opt/mssql/backup/sales ''first''.bak'"],
    ["ADD REPLICA", () => buildAddReplica("ag1", "NONE", c), `ALTER AVAILABILITY GROUP [ag1] ADD REPLICA ON N'SQL-C' WITH (ENDPOINT_URL = N'TCP://sql-c.corp:5022', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, ${DEFAULTS})`],
  ])("%s", (_label, build, sql) => {
    expect(build().sql).toBe(sql);
  });

  it("refuses a system database, and a replica with a bad combination", () => {
    expect(() => buildAddDatabase("ag1", "master")).toThrow(/database: is a system database/);
    expect(() => buildAddReplica("ag1", "NONE", { ...c, failoverMode: "AUTOMATIC" })).toThrow(/replica\.failoverMode: AUTOMATIC needs availabilityMode SYNCHRONOUS_COMMIT/);
    expect(() => buildFullBackup("sales", "")).toThrow(/disk: must not be empty/);
  });
});

function view(spec: ReplicaSpec, overrides: Partial<AvailabilityReplicaView> = {}): AvailabilityReplicaView {
  return {
    serverName: spec.serverName,
    endpointUrl: spec.endpointUrl,
    availabilityMode: spec.availabilityMode,
    failoverMode: "MANUAL",
    seedingMode: "AUTOMATIC",
    backupPriority: 50,
    sessionTimeout: 10,
    primaryAllowConnections: "ALL",
    secondaryAllowConnections: "NO",
    readOnlyRoutingUrl: null,
    state: null,
    ...overrides,
  };
}

function group(replicas: AvailabilityReplicaView[], overrides: Partial<AvailabilityGroupRecord> = {}): AvailabilityGroupRecord {
  return {
    name: "ag1",
    groupId: "0F0E0D0C-0000-0000-0000-000000000001",
    clusterType: "NONE",
    automatedBackupPreference: "SECONDARY",
    failureConditionLevel: 3,
    healthCheckTimeout: 30_000,
    dbFailover: false,
    dtcSupport: false,
    requiredSynchronizedSecondariesToCommit: 0,
    basic: false,
    distributed: false,
    primaryReplica: "SQL-A",
    replicas,
    databases: [],
    ...overrides,
  };
}

const alter = (current: AvailabilityGroupRecord, desired: AvailabilityGroupSpec) => buildAlterAvailabilityGroup(current, desired).statements.map((s) => s.sql);
const MODIFY = "ALTER AVAILABILITY GROUP [ag1] MODIFY REPLICA ON";

describe("ALTER AVAILABILITY GROUP: only what changed, one option per statement, in a safe order", () => {
  it("nothing when the catalog matches (defaults compared, options left out not compared)", () => {
    expect(alter(group([view(a), view(b)], { dbFailover: true, healthCheckTimeout: 45_000 }), spec)).toEqual([]);
    expect(replicaChanges(view(b), b, "NONE")).toEqual([]);
    expect(groupOptionChanges(group([]), spec)).toEqual([]);
  });

  it("endpoint URLs and names compare without case", () => {
    expect(replicaChanges(view(b, { endpointUrl: "tcp://SQL-B.corp:5022" }), b, "NONE")).toEqual([]);
    expect(alter(group([view(a, { serverName: "sql-a" }), view(b)]), spec)).toEqual([]);
  });

  it("each replica option is its own MODIFY REPLICA", () => {
    const desired: AvailabilityGroupSpec = {
      ...spec,
      replicas: [a, { ...b, endpointUrl: "TCP://10.0.0.2:5023", seedingMode: "MANUAL", backupPriority: 0, secondaryAllowConnections: "ALL", readOnlyRoutingUrl: "TCP://10.0.0.2:1433", primaryAllowConnections: "READ_WRITE", sessionTimeout: 20 }],
    };
    expect(alter(group([view(a), view(b)]), desired)).toEqual([
      `${MODIFY} N'SQL-B' WITH (ENDPOINT_URL = N'TCP://10.0.0.2:5023')`,
      `${MODIFY} N'SQL-B' WITH (SEEDING_MODE = MANUAL)`,
      `${MODIFY} N'SQL-B' WITH (BACKUP_PRIORITY = 0)`,
      `${MODIFY} N'SQL-B' WITH (SECONDARY_ROLE (ALLOW_CONNECTIONS = ALL))`,
      `${MODIFY} N'SQL-B' WITH (SECONDARY_ROLE (READ_ONLY_ROUTING_URL = N'TCP://10.0.0.2:1433'))`,
      `${MODIFY} N'SQL-B' WITH (PRIMARY_ROLE (ALLOW_CONNECTIONS = READ_WRITE))`,
      `${MODIFY} N'SQL-B' WITH (SESSION_TIMEOUT = 20)`,
    ]);
  });

  it("a read-only routing URL left out is not removed", () => {
    expect(alter(group([view(a), view(b, { readOnlyRoutingUrl: "TCP://sql-b.corp:1433" })]), spec)).toEqual([]);
  });

  it("downgrades before upgrades, so that a synchronous slot is freed before it is taken", () => {
    // EXTERNAL: B goes asynchronous (failover first, then mode), C takes its place with automatic failover.
    const current = group(
      [view(a, { failoverMode: "EXTERNAL" }), view(b, { failoverMode: "EXTERNAL" }), view(c, { failoverMode: "EXTERNAL" })],
      { clusterType: "EXTERNAL" },
    );
    const desired: AvailabilityGroupSpec = {
      name: "ag1",
      clusterType: "EXTERNAL",
      replicas: [a, { ...b, availabilityMode: "ASYNCHRONOUS_COMMIT" }, { ...c, availabilityMode: "SYNCHRONOUS_COMMIT" }],
    };
    expect(alter(current, desired)).toEqual([
      `${MODIFY} N'SQL-B' WITH (AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT)`,
      `${MODIFY} N'SQL-C' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT)`,
    ]);
  });

  it("automatic failover: taken away before the mode goes asynchronous, given after it goes synchronous", () => {
    // (Cluster type rules apart: the ordering is what is under test, on a group read as WSFC-less EXTERNAL data.)
    const current = group([view(a), view(b, { failoverMode: "AUTOMATIC" }), view(c)], { clusterType: "NONE" });
    const plan = buildAlterAvailabilityGroup(
      { ...current },
      { ...spec, replicas: [a, { ...b, availabilityMode: "ASYNCHRONOUS_COMMIT", failoverMode: "MANUAL" }, { ...c, availabilityMode: "SYNCHRONOUS_COMMIT" }] },
    );
    expect(plan.statements.map((s) => s.sql)).toEqual([
      `${MODIFY} N'SQL-B' WITH (FAILOVER_MODE = MANUAL)`,
      `${MODIFY} N'SQL-B' WITH (AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT)`,
      `${MODIFY} N'SQL-C' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT)`,
    ]);
  });

  it("removes replicas first and adds new ones after the modifications; reports both", () => {
    const plan = buildAlterAvailabilityGroup(group([view(a), view(b)]), { ...spec, replicas: [{ ...a, backupPriority: 10 }, c] });
    expect(plan.statements.map((s) => s.sql)).toEqual([
      "ALTER AVAILABILITY GROUP [ag1] REMOVE REPLICA ON N'SQL-B'",
      `${MODIFY} N'SQL-A' WITH (BACKUP_PRIORITY = 10)`,
      `ALTER AVAILABILITY GROUP [ag1] ADD REPLICA ON N'SQL-C' WITH (ENDPOINT_URL = N'TCP://sql-c.corp:5022', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, ${DEFAULTS})`,
    ]);
    expect([plan.added, plan.removed]).toEqual([["SQL-C"], ["SQL-B"]]);
  });

  it("group options are one SET each; REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT goes down first and up last", () => {
    const current = group([view(a), view(b), view(c)], { requiredSynchronizedSecondariesToCommit: 1 });
    const up = alter(current, { ...spec, replicas: [a, b, { ...c, availabilityMode: "SYNCHRONOUS_COMMIT" }], requiredSynchronizedSecondariesToCommit: 2, automatedBackupPreference: "PRIMARY", dbFailover: true });
    expect(up).toEqual([
      `${MODIFY} N'SQL-C' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT)`,
      "ALTER AVAILABILITY GROUP [ag1] SET (AUTOMATED_BACKUP_PREFERENCE = PRIMARY)",
      "ALTER AVAILABILITY GROUP [ag1] SET (DB_FAILOVER = ON)",
      "ALTER AVAILABILITY GROUP [ag1] SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 2)",
    ]);
    const down = alter(group([view(a), view(b)], { requiredSynchronizedSecondariesToCommit: 1 }), {
      ...spec,
      replicas: [a, { ...b, availabilityMode: "ASYNCHRONOUS_COMMIT" }],
      requiredSynchronizedSecondariesToCommit: 0,
      healthCheckTimeout: 20_000,
      failureConditionLevel: 2,
      dtcSupport: true,
    });
    expect(down).toEqual([
      "ALTER AVAILABILITY GROUP [ag1] SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 0)",
      `${MODIFY} N'SQL-B' WITH (AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT)`,
      "ALTER AVAILABILITY GROUP [ag1] SET (FAILURE_CONDITION_LEVEL = 2)",
      "ALTER AVAILABILITY GROUP [ag1] SET (HEALTH_CHECK_TIMEOUT = 20000)",
      "ALTER AVAILABILITY GROUP [ag1] SET (DTC_SUPPORT = PER_DB)",
    ]);
  });

  it.each<[string, AvailabilityGroupRecord, AvailabilityGroupSpec, string, RegExp]>([
    ["a new name", group([view(a), view(b)]), { ...spec, name: "ag2" }, "name", /cannot be renamed/],
    ["a new cluster type", group([view(a), view(b)]), { ...spec, clusterType: "EXTERNAL", replicas: [{ ...a, failoverMode: "EXTERNAL" }, { ...b, failoverMode: "EXTERNAL" }] }, "clusterType", /cannot change \(NONE → EXTERNAL\)/],
    ["removing the current primary", group([view(a), view(b), view(c)], { primaryReplica: "SQL-B" }), { ...spec, replicas: [a, c] }, "replicas", /'SQL-B' is the current primary/],
    [
      "a configuration-only replica made a data replica",
      group([view(a), view(b), view({ ...c, availabilityMode: "CONFIGURATION_ONLY" })]),
      { ...spec, replicas: [a, b, c] },
      "availabilityMode",
      /cannot change from CONFIGURATION_ONLY to ASYNCHRONOUS_COMMIT/,
    ],
  ])("refuses %s", (_label, current, desired, property, reason) => {
    try {
      buildAlterAvailabilityGroup(current, desired);
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).property).toBe(property);
      expect((e as ValidationError).reason).toMatch(reason);
      return;
    }
    throw new Error("expected a ValidationError");
  });
});
