import { describe, expect, it } from "vitest";
import {
  availabilityDatabaseQuery,
  availabilityGroupQuery,
  backupCoversDatabase,
  databasePrerequisitesQuery,
  hadrReadinessQuery,
  localDatabaseQuery,
  localReplicaQuery,
  serverNameQuery,
} from "../../../provider/sql/availabilityGroupCatalog";
import { databaseReplicaRow, groupRow, localRow, prerequisiteReply, replicaRow, seedingRow } from "./availabilityGroupFakes";

describe("availabilityGroupQuery", () => {
  const query = availabilityGroupQuery("ag]1");

  it("two parameterised SELECTs on master's views: the group with its primary, the replicas with their states", () => {
    expect(query.statements.map((s) => s.sql)).toEqual([
      "SELECT g.group_id, g.name, g.cluster_type_desc, g.automated_backup_preference_desc, g.failure_condition_level, g.health_check_timeout, " +
        "g.db_failover, g.dtc_support, g.required_synchronized_secondaries_to_commit, g.basic_features, g.is_distributed, gs.primary_replica " +
        "FROM master.sys.availability_groups AS g LEFT JOIN master.sys.dm_hadr_availability_group_states AS gs ON gs.group_id = g.group_id " +
        "WHERE g.name = @name",
      "SELECT r.replica_server_name, r.endpoint_url, r.availability_mode_desc, r.failover_mode_desc, r.seeding_mode_desc, r.backup_priority, " +
        "r.session_timeout, r.primary_role_allow_connections_desc, r.secondary_role_allow_connections_desc, r.read_only_routing_url, " +
        "s.is_local, s.role_desc, s.connected_state_desc, s.synchronization_health_desc, s.last_connect_error_number, s.last_connect_error_description " +
        "FROM master.sys.availability_replicas AS r JOIN master.sys.availability_groups AS g ON g.group_id = r.group_id " +
        "LEFT JOIN master.sys.dm_hadr_availability_replica_states AS s ON s.replica_id = r.replica_id " +
        "WHERE g.name = @name ORDER BY r.replica_server_name",
      "SELECT adc.database_name FROM master.sys.availability_databases_cluster AS adc JOIN master.sys.availability_groups AS g ON g.group_id = adc.group_id " +
        "WHERE g.name = @name ORDER BY adc.database_name",
    ]);
    // The hostile name travels as a parameter, never in the text.
    expect(query.statements.every((s) => s.params.name?.value === "ag]1" && !s.sql.includes("ag]1"))).toBe(true);
    expect(query.resultCount).toBe(3);
  });

  it("maps the rows: lower-case cluster type, every replica option, states where SQL Server has them, the databases", () => {
    const record = query.map([
      [groupRow()],
      [
        replicaRow("SQL-A", { is_local: true, role_desc: "PRIMARY" }),
        replicaRow("SQL-B", { connected_state_desc: "DISCONNECTED", role_desc: null, synchronization_health_desc: "NOT_HEALTHY", last_connect_error_number: 28034, last_connect_error_description: "Connection handshake failed." }),
        replicaRow("SQL-C", { availability_mode_desc: "ASYNCHRONOUS_COMMIT", read_only_routing_url: "TCP://sql-c.corp:1433", secondary_role_allow_connections_desc: "READ_ONLY", is_local: null, role_desc: null, connected_state_desc: null, synchronization_health_desc: null }),
      ],
      [{ database_name: "orders" }, { database_name: "sales" }],
    ]);
    expect(record).toEqual({
      name: "ag1",
      groupId: "8F7E2C1A-4B3D-4E5F-9A8B-1C2D3E4F5A6B",
      clusterType: "NONE",
      automatedBackupPreference: "SECONDARY",
      failureConditionLevel: 3,
      healthCheckTimeout: 30000,
      dbFailover: false,
      dtcSupport: false,
      requiredSynchronizedSecondariesToCommit: 0,
      basic: false,
      distributed: false,
      primaryReplica: "SQL-A",
      replicas: [
        {
          serverName: "SQL-A",
          endpointUrl: "TCP://sql-a.corp:5022",
          availabilityMode: "SYNCHRONOUS_COMMIT",
          failoverMode: "MANUAL",
          seedingMode: "AUTOMATIC",
          backupPriority: 50,
          sessionTimeout: 10,
          primaryAllowConnections: "ALL",
          secondaryAllowConnections: "NO",
          readOnlyRoutingUrl: null,
          state: { isLocal: true, role: "PRIMARY", connectedState: "CONNECTED", synchronizationHealth: "HEALTHY", lastConnectError: null },
        },
        expect.objectContaining({
          serverName: "SQL-B",
          state: { isLocal: false, role: null, connectedState: "DISCONNECTED", synchronizationHealth: "NOT_HEALTHY", lastConnectError: { number: 28034, description: "Connection handshake failed." } },
        }),
        expect.objectContaining({ serverName: "SQL-C", availabilityMode: "ASYNCHRONOUS_COMMIT", readOnlyRoutingUrl: "TCP://sql-c.corp:1433", secondaryAllowConnections: "READ_ONLY", state: null }),
      ],
      databases: ["orders", "sales"],
    });
  });

  it("absent group: undefined; two rows or an unknown value: a loud error", () => {
    expect(query.map([[], [], []])).toBeUndefined();
    expect(() => query.map([[groupRow(), groupRow()], [], []])).toThrow("unexpected catalog result: 2 availability groups named [ag]1]");
    expect(() => query.map([[groupRow({ cluster_type_desc: "kubernetes" })], [], []])).toThrow(/cluster_type_desc should be one of WSFC, EXTERNAL, NONE/);
    expect(() => query.map([[groupRow()], [replicaRow("SQL-A", { availability_mode_desc: "SOMETIMES" })], []])).toThrow(/availability_mode_desc should be one of/);
  });

  it("a last connect error of 0 is no error", () => {
    const record = query.map([[groupRow()], [replicaRow("SQL-B", { last_connect_error_number: 0, last_connect_error_description: "" })], []]);
    expect(record?.replicas[0]?.state?.lastConnectError).toBeNull();
  });
});

describe("localReplicaQuery", () => {
  it("one SELECT: @@SERVERNAME, the local row, the primary it knows", () => {
    const query = localReplicaQuery("ag1");
    expect(query.statements.map((s) => s.sql)).toEqual([
      "SELECT @@SERVERNAME AS server_name, s.is_local, s.role_desc, s.connected_state_desc, s.synchronization_health_desc, s.last_connect_error_number, " +
        "s.last_connect_error_description, gs.primary_replica FROM master.sys.availability_groups AS g " +
        "JOIN master.sys.dm_hadr_availability_replica_states AS s ON s.group_id = g.group_id AND s.is_local = 1 " +
        "LEFT JOIN master.sys.dm_hadr_availability_group_states AS gs ON gs.group_id = g.group_id WHERE g.name = @name",
    ]);
    expect(query.map([[localRow("SQL-B", "SECONDARY")]])).toEqual({
      serverName: "SQL-B",
      state: { isLocal: true, role: "SECONDARY", connectedState: "CONNECTED", synchronizationHealth: "HEALTHY", lastConnectError: null },
      primaryReplica: "SQL-A",
    });
    expect(query.map([[]])).toBeUndefined();
  });
});

describe("serverNameQuery and hadrReadinessQuery", () => {
  it("@@SERVERNAME, NULL when SQL Server has none", () => {
    expect(serverNameQuery().statements[0]!.sql).toBe("SELECT @@SERVERNAME AS server_name");
    expect(serverNameQuery().map([[{ server_name: "SQL-A" }]])).toEqual({ serverName: "SQL-A" });
    expect(serverNameQuery().map([[{ server_name: null }]])).toEqual({ serverName: null });
  });

  it("readiness: HADR enabled (sql_variant 0/1/NULL), a STARTED endpoint, the group present", () => {
    const query = hadrReadinessQuery("ag1");
    expect(query.statements.map((s) => s.sql)).toEqual([
      "SELECT @@SERVERNAME AS server_name, SERVERPROPERTY('IsHadrEnabled') AS is_hadr_enabled",
      "SELECT COUNT(*) AS started FROM master.sys.database_mirroring_endpoints AS m WHERE m.state_desc = N'STARTED'",
      "SELECT g.name FROM master.sys.availability_groups AS g WHERE g.name = @name",
    ]);
    expect(query.map([[{ server_name: "SQL-A", is_hadr_enabled: 1 }], [{ started: 1 }], []])).toEqual({ serverName: "SQL-A", hadrEnabled: true, endpointStarted: true, groupExists: false });
    expect(query.map([[{ server_name: "SQL-A", is_hadr_enabled: 0 }], [{ started: 0 }], [{ name: "ag1" }]])).toEqual({ serverName: "SQL-A", hadrEnabled: false, endpointStarted: false, groupExists: true });
    expect(query.map([[{ server_name: null, is_hadr_enabled: null }], [{ started: 0 }], []])?.hadrEnabled).toBe(false);
    expect(() => query.map([[{ server_name: "x", is_hadr_enabled: "yes" }], [{ started: 0 }], []])).toThrow(/is_hadr_enabled should be 0, 1 or NULL/);
  });
});

describe("availabilityDatabaseQuery", () => {
  const query = availabilityDatabaseQuery("ag1", "sales");

  it("three parameterised SELECTs: membership, each copy's state, the seeding history newest first", () => {
    expect(query.statements).toHaveLength(3);
    expect(query.statements[2]!.sql).toBe(
      "SELECT ar.replica_server_name, a.current_state, a.failure_state_desc, a.error_code FROM master.sys.dm_hadr_automatic_seeding AS a " +
        "JOIN master.sys.availability_replicas AS ar ON ar.replica_id = a.ag_remote_replica_id JOIN master.sys.availability_groups AS g ON g.group_id = a.ag_id " +
        "JOIN master.sys.availability_databases_cluster AS adc ON adc.group_database_id = a.ag_db_id " +
        "WHERE g.name = @group AND adc.database_name = @database ORDER BY ar.replica_server_name, a.start_time DESC",
    );
    expect(query.statements.every((s) => s.params.group?.value === "ag1" && s.params.database?.value === "sales")).toBe(true);
  });

  it("keeps the newest seeding attempt per replica; error code 0 is none", () => {
    const record = query.map([
      [{ database_name: "sales" }],
      [databaseReplicaRow("SQL-A", { is_primary_replica: true }), databaseReplicaRow("SQL-B", { synchronization_state_desc: "SYNCHRONIZING", synchronization_health_desc: "PARTIALLY_HEALTHY" })],
      [seedingRow("SQL-B", { current_state: "FAILED", failure_state_desc: "Seeding Check Message Timeout", error_code: 21 }), seedingRow("SQL-B"), seedingRow("SQL-C")],
    ]);
    expect(record).toEqual({
      name: "sales",
      replicas: [
        { serverName: "SQL-A", isPrimary: true, synchronizationState: "SYNCHRONIZED", synchronizationHealth: "HEALTHY", databaseState: "ONLINE", suspended: false, suspendReason: null },
        { serverName: "SQL-B", isPrimary: false, synchronizationState: "SYNCHRONIZING", synchronizationHealth: "PARTIALLY_HEALTHY", databaseState: "ONLINE", suspended: false, suspendReason: null },
      ],
      seeding: [
        { serverName: "SQL-B", currentState: "FAILED", failureState: "Seeding Check Message Timeout", errorCode: 21 },
        { serverName: "SQL-C", currentState: "COMPLETED", failureState: null, errorCode: null },
      ],
    });
    expect(query.map([[], [], []])).toBeUndefined();
  });
});

describe("databasePrerequisitesQuery", () => {
  const query = databasePrerequisitesQuery("sales");

  it("four SELECTs in one request, the backup history from msdb under the FULL recovery model", () => {
    expect(query.statements.map((s) => s.sql)).toEqual([
      "SELECT d.name, d.database_id, d.state_desc, d.recovery_model_desc, d.is_read_only, d.user_access_desc, d.is_auto_close_on, d.create_date " +
        "FROM master.sys.databases AS d WHERE d.name = @database",
      "SELECT COUNT(*) AS mirrored FROM master.sys.database_mirroring AS m JOIN master.sys.databases AS d ON d.database_id = m.database_id " +
        "WHERE d.name = @database AND m.mirroring_guid IS NOT NULL",
      "SELECT MAX(b.backup_finish_date) AS last_full_backup FROM msdb.dbo.backupset AS b WHERE b.database_name = @database AND b.type = 'D' AND b.recovery_model = N'FULL'",
      "SELECT g.name FROM master.sys.availability_groups AS g JOIN master.sys.availability_databases_cluster AS adc ON adc.group_id = g.group_id WHERE adc.database_name = @database",
    ]);
  });

  it("maps the rows; a missing database is undefined", () => {
    expect(query.map(prerequisiteReply({}, { mirrored: 1, lastFullBackup: null, group: "other" }))).toEqual({
      name: "sales",
      databaseId: 5,
      state: "ONLINE",
      recoveryModel: "FULL",
      readOnly: false,
      userAccess: "MULTI_USER",
      autoClose: false,
      createDate: "2025-03-01T10:00:00Z",
      mirrored: true,
      lastFullBackup: null,
      availabilityGroup: "other",
    });
    expect(query.map([[], [{ mirrored: 0 }], [{ last_full_backup: null }], []])).toBeUndefined();
  });

  it("a full backup counts only for the database created before it (a dropped namesake's does not)", () => {
    expect(backupCoversDatabase("2025-03-02T00:00:00Z", "2025-03-01T10:00:00Z")).toBe(true);
    expect(backupCoversDatabase("2025-03-01T10:00:00Z", "2025-03-01T10:00:00Z")).toBe(true);
    expect(backupCoversDatabase("2025-02-28T23:59:59Z", "2025-03-01T10:00:00Z")).toBe(false);
    expect(backupCoversDatabase(null, "2025-03-01T10:00:00Z")).toBe(false);
  });
});

describe("localDatabaseQuery", () => {
  it("state and membership of a secondary's copy", () => {
    const query = localDatabaseQuery("sales");
    expect(query.statements[0]!.sql).toBe("SELECT d.state_desc, d.group_database_id FROM master.sys.databases AS d WHERE d.name = @database");
    expect(query.map([[{ state_desc: "RESTORING", group_database_id: null }]])).toEqual({ state: "RESTORING", joined: false });
    expect(query.map([[{ state_desc: "ONLINE", group_database_id: "5B0C…" }]])).toEqual({ state: "ONLINE", joined: true });
    expect(query.map([[]])).toBeUndefined();
  });
});
