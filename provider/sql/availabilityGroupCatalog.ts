/**
 * Catalog reads for availability groups (the counterpart of catalog.ts): the SELECT text of each
 * read and the mapping of its rows to a record. Every look-up is parameterised and names its views
 * `master.sys.…` (and `msdb.dbo.backupset`), so it reads the same whatever the session's database.
 *
 * Where a read is made matters, as SQL Server's visibility rules say: the replica states
 * (`sys.dm_hadr_availability_replica_states`) cover every replica only on the primary; a
 * secondary sees its own row. Reads that need the whole group are therefore made on the current
 * primary, which {@link localReplicaQuery} finds.
 */
import type {
  AutomatedBackupPreference,
  AvailabilityDatabaseRecord,
  AvailabilityGroupRecord,
  AvailabilityMode,
  ClusterType,
  ConnectedState,
  ConnectError,
  DatabasePrerequisitesRecord,
  DatabaseReplicaStateRecord,
  FailoverMode,
  LocalReplicaRecord,
  PrimaryAllowConnections,
  ReplicaRole,
  ReplicaStateRecord,
  SecondaryAllowConnections,
  SeedingMode,
  SeedingRecord,
  SynchronizationHealth,
  SynchronizationState,
} from "./availabilityGroupRecords";
import type { CatalogQuery } from "./catalog";
import { statement, type Row } from "./client";
import { dateTime, flag, integer, oneOf, text, textOrNull } from "./rows";

const nvarchar = (value: string) => ({ type: "nvarchar" as const, value });

function fail(column: string, expected: string, value: unknown): never {
  throw new TypeError(`unexpected catalog row: column ${column} should be ${expected}, got ${value === null ? "null" : typeof value}`);
}

/** A nullable int column; 0 and NULL both mean "none" where SQL Server uses either. */
function integerOrNull(row: Row, column: string): number | null {
  const value = row[column];
  return value === null || value === undefined ? null : integer(row, column);
}

/** A nullable enum column. */
function oneOfOrNull<T extends string>(row: Row, column: string, allowed: readonly T[]): T | null {
  return row[column] === null || row[column] === undefined ? null : oneOf(row, column, allowed);
}

/** A nullable datetime column, as `YYYY-MM-DDTHH:MM:SSZ`. */
function dateTimeOrNull(row: Row, column: string): string | null {
  return row[column] === null || row[column] === undefined ? null : dateTime(row, column);
}

/** `SERVERPROPERTY(...)` comes back as a sql_variant: a number (0/1), or NULL when the property does not apply. */
function propertyFlag(row: Row, column: string): boolean {
  const value = row[column];
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value === 1;
  if (typeof value === "string" && /^[01]$/.test(value.trim())) return value.trim() === "1";
  return fail(column, "0, 1 or NULL", value);
}

const ROLES: readonly ReplicaRole[] = ["PRIMARY", "SECONDARY", "RESOLVING"];
const CONNECTED: readonly ConnectedState[] = ["CONNECTED", "DISCONNECTED"];
const HEALTH: readonly SynchronizationHealth[] = ["HEALTHY", "PARTIALLY_HEALTHY", "NOT_HEALTHY"];
const SYNC: readonly SynchronizationState[] = ["NOT SYNCHRONIZING", "SYNCHRONIZING", "SYNCHRONIZED", "REVERTING", "INITIALIZING"];
const MODES: readonly AvailabilityMode[] = ["SYNCHRONOUS_COMMIT", "ASYNCHRONOUS_COMMIT", "CONFIGURATION_ONLY"];
const FAILOVERS: readonly FailoverMode[] = ["AUTOMATIC", "MANUAL", "EXTERNAL"];
const SEEDINGS: readonly SeedingMode[] = ["AUTOMATIC", "MANUAL"];
const PRIMARY_CONNECTIONS: readonly PrimaryAllowConnections[] = ["READ_WRITE", "ALL"];
const SECONDARY_CONNECTIONS: readonly SecondaryAllowConnections[] = ["NO", "READ_ONLY", "ALL"];
const BACKUP_PREFERENCES: readonly AutomatedBackupPreference[] = ["PRIMARY", "SECONDARY_ONLY", "SECONDARY", "NONE"];
const CLUSTERS: readonly ClusterType[] = ["WSFC", "EXTERNAL", "NONE"];

/** `cluster_type_desc` is lower case on SQL Server (`none`, `external`, `wsfc`); upper-cased here. */
function clusterType(row: Row): ClusterType {
  const value = text(row, "cluster_type_desc").trim().toUpperCase();
  return (CLUSTERS as readonly string[]).includes(value) ? (value as ClusterType) : fail("cluster_type_desc", `one of ${CLUSTERS.join(", ")}`, value);
}

const STATE_COLUMNS =
  "s.is_local, s.role_desc, s.connected_state_desc, s.synchronization_health_desc, s.last_connect_error_number, s.last_connect_error_description";

function lastConnectError(row: Row): ConnectError | null {
  const number = integerOrNull(row, "last_connect_error_number");
  if (number === null || number === 0) return null;
  return { number, description: textOrNull(row, "last_connect_error_description") ?? "" };
}

function toReplicaState(row: Row): ReplicaStateRecord {
  return {
    isLocal: flag(row, "is_local"),
    role: oneOfOrNull(row, "role_desc", ROLES),
    connectedState: oneOfOrNull(row, "connected_state_desc", CONNECTED),
    synchronizationHealth: oneOfOrNull(row, "synchronization_health_desc", HEALTH),
    lastConnectError: lastConnectError(row),
  };
}

const GROUP_SELECT =
  "SELECT g.group_id, g.name, g.cluster_type_desc, g.automated_backup_preference_desc, g.failure_condition_level, g.health_check_timeout, " +
  "g.db_failover, g.dtc_support, g.required_synchronized_secondaries_to_commit, g.basic_features, g.is_distributed, gs.primary_replica " +
  "FROM master.sys.availability_groups AS g LEFT JOIN master.sys.dm_hadr_availability_group_states AS gs ON gs.group_id = g.group_id " +
  "WHERE g.name = @name";

const REPLICAS_SELECT =
  "SELECT r.replica_server_name, r.endpoint_url, r.availability_mode_desc, r.failover_mode_desc, r.seeding_mode_desc, r.backup_priority, " +
  "r.session_timeout, r.primary_role_allow_connections_desc, r.secondary_role_allow_connections_desc, r.read_only_routing_url, " +
  `${STATE_COLUMNS} ` +
  "FROM master.sys.availability_replicas AS r JOIN master.sys.availability_groups AS g ON g.group_id = r.group_id " +
  "LEFT JOIN master.sys.dm_hadr_availability_replica_states AS s ON s.replica_id = r.replica_id " +
  "WHERE g.name = @name ORDER BY r.replica_server_name";

const DATABASES_SELECT =
  "SELECT adc.database_name FROM master.sys.availability_databases_cluster AS adc JOIN master.sys.availability_groups AS g ON g.group_id = adc.group_id " +
  "WHERE g.name = @name ORDER BY adc.database_name";

/**
 * The group with its replicas (and, where the instance read has them, their states) and its
 * databases. Undefined when this instance hosts no replica of a group of that name. Read it on the
 * primary for every replica's state.
 */
export function availabilityGroupQuery(name: string): CatalogQuery<AvailabilityGroupRecord> {
  const params = { name: nvarchar(name) };
  return {
    statements: [statement(GROUP_SELECT, params), statement(REPLICAS_SELECT, params), statement(DATABASES_SELECT, params)],
    resultCount: 3,
    map([groups, replicas, databases]) {
      if (groups === undefined || groups.length === 0) return undefined;
      if (groups.length > 1) throw new TypeError(`unexpected catalog result: ${groups.length} availability groups named [${name}]`);
      const g = groups[0]!;
      return {
        name: text(g, "name"),
        groupId: text(g, "group_id").toUpperCase(),
        clusterType: clusterType(g),
        automatedBackupPreference: oneOf(g, "automated_backup_preference_desc", BACKUP_PREFERENCES),
        failureConditionLevel: integer(g, "failure_condition_level"),
        healthCheckTimeout: integer(g, "health_check_timeout"),
        dbFailover: flag(g, "db_failover"),
        dtcSupport: flag(g, "dtc_support"),
        requiredSynchronizedSecondariesToCommit: integer(g, "required_synchronized_secondaries_to_commit"),
        basic: flag(g, "basic_features"),
        distributed: flag(g, "is_distributed"),
        primaryReplica: textOrNull(g, "primary_replica"),
        replicas: (replicas ?? []).map((r) => ({
          serverName: text(r, "replica_server_name"),
          endpointUrl: textOrNull(r, "endpoint_url"),
          availabilityMode: oneOf(r, "availability_mode_desc", MODES),
          failoverMode: oneOf(r, "failover_mode_desc", FAILOVERS),
          seedingMode: oneOf(r, "seeding_mode_desc", SEEDINGS),
          backupPriority: integer(r, "backup_priority"),
          sessionTimeout: integer(r, "session_timeout"),
          primaryAllowConnections: oneOf(r, "primary_role_allow_connections_desc", PRIMARY_CONNECTIONS),
          secondaryAllowConnections: oneOf(r, "secondary_role_allow_connections_desc", SECONDARY_CONNECTIONS),
          readOnlyRoutingUrl: textOrNull(r, "read_only_routing_url"),
          state: r.is_local === null || r.is_local === undefined ? null : toReplicaState(r),
        })),
        databases: (databases ?? []).map((d) => text(d, "database_name")),
      };
    },
  };
}

/**
 * This instance's own replica of the group: `@@SERVERNAME`, the local state row (role, connection
 * to the primary, last connect error) and the primary it knows. Undefined when the instance hosts no
 * joined replica of a group of that name. One SELECT: what primary discovery sends to each candidate.
 */
export function localReplicaQuery(name: string): CatalogQuery<LocalReplicaRecord> {
  return {
    statements: [
      statement(
        `SELECT @@SERVERNAME AS server_name, ${STATE_COLUMNS}, gs.primary_replica ` +
          "FROM master.sys.availability_groups AS g JOIN master.sys.dm_hadr_availability_replica_states AS s ON s.group_id = g.group_id AND s.is_local = 1 " +
          "LEFT JOIN master.sys.dm_hadr_availability_group_states AS gs ON gs.group_id = g.group_id WHERE g.name = @name",
        { name: nvarchar(name) },
      ),
    ],
    resultCount: 1,
    map([rows]) {
      if (rows === undefined || rows.length === 0) return undefined;
      if (rows.length > 1) throw new TypeError(`unexpected catalog result: ${rows.length} local replicas of [${name}]`);
      const row = rows[0]!;
      return { serverName: text(row, "server_name"), state: toReplicaState(row), primaryReplica: textOrNull(row, "primary_replica") };
    },
  };
}

/** `@@SERVERNAME`, the name an instance hosts availability replicas under (null when SQL Server has none set). Never undefined. */
export function serverNameQuery(): CatalogQuery<{ serverName: string | null }> {
  return {
    statements: [statement("SELECT @@SERVERNAME AS server_name")],
    resultCount: 1,
    map: ([rows]) => ({ serverName: rows?.[0] === undefined ? null : textOrNull(rows[0], "server_name") }),
  };
}

/** What an instance must offer before a group can be created with a replica on it. */
export interface HadrReadinessRecord {
  /** `@@SERVERNAME`, or null. */
  serverName: string | null;
  /** `SERVERPROPERTY('IsHadrEnabled')`: Always On availability groups are enabled (else 35221). */
  hadrEnabled: boolean;
  /** Whether a DATABASE_MIRRORING endpoint is STARTED (replicas connect through it). */
  endpointStarted: boolean;
  /** Whether the instance already has a group of this name. */
  groupExists: boolean;
}

/** The readiness of one instance for a group named `name` (never undefined). */
export function hadrReadinessQuery(name: string): CatalogQuery<HadrReadinessRecord> {
  return {
    statements: [
      statement("SELECT @@SERVERNAME AS server_name, SERVERPROPERTY('IsHadrEnabled') AS is_hadr_enabled"),
      statement("SELECT COUNT(*) AS started FROM master.sys.database_mirroring_endpoints AS m WHERE m.state_desc = N'STARTED'"),
      statement("SELECT g.name FROM master.sys.availability_groups AS g WHERE g.name = @name", { name: nvarchar(name) }),
    ],
    resultCount: 3,
    map([server, endpoints, groups]) {
      const row = server?.[0];
      if (row === undefined) throw new TypeError("unexpected catalog result: SELECT @@SERVERNAME returned no row");
      return {
        serverName: textOrNull(row, "server_name"),
        hadrEnabled: propertyFlag(row, "is_hadr_enabled"),
        endpointStarted: endpoints?.[0] !== undefined && integer(endpoints[0], "started") > 0,
        groupExists: (groups ?? []).length > 0,
      };
    },
  };
}

const DATABASE_IN_GROUP =
  "SELECT adc.database_name FROM master.sys.availability_databases_cluster AS adc JOIN master.sys.availability_groups AS g ON g.group_id = adc.group_id " +
  "WHERE g.name = @group AND adc.database_name = @database";

const DATABASE_REPLICAS =
  "SELECT ar.replica_server_name, drs.is_primary_replica, drs.synchronization_state_desc, drs.synchronization_health_desc, drs.database_state_desc, " +
  "drs.is_suspended, drs.suspend_reason_desc FROM master.sys.dm_hadr_database_replica_states AS drs " +
  "JOIN master.sys.availability_replicas AS ar ON ar.replica_id = drs.replica_id JOIN master.sys.availability_groups AS g ON g.group_id = drs.group_id " +
  "JOIN master.sys.availability_databases_cluster AS adc ON adc.group_database_id = drs.group_database_id " +
  "WHERE g.name = @group AND adc.database_name = @database ORDER BY ar.replica_server_name";

const DATABASE_SEEDING =
  "SELECT ar.replica_server_name, a.current_state, a.failure_state_desc, a.error_code FROM master.sys.dm_hadr_automatic_seeding AS a " +
  "JOIN master.sys.availability_replicas AS ar ON ar.replica_id = a.ag_remote_replica_id JOIN master.sys.availability_groups AS g ON g.group_id = a.ag_id " +
  "JOIN master.sys.availability_databases_cluster AS adc ON adc.group_database_id = a.ag_db_id " +
  "WHERE g.name = @group AND adc.database_name = @database ORDER BY ar.replica_server_name, a.start_time DESC";

/**
 * A database of the group with each replica's copy and the latest automatic-seeding attempt
 * towards each replica. Undefined when the group does not hold the database. Read it on the primary.
 */
export function availabilityDatabaseQuery(group: string, database: string): CatalogQuery<AvailabilityDatabaseRecord> {
  const params = { group: nvarchar(group), database: nvarchar(database) };
  return {
    statements: [statement(DATABASE_IN_GROUP, params), statement(DATABASE_REPLICAS, params), statement(DATABASE_SEEDING, params)],
    resultCount: 3,
    map([present, replicas, seeding]) {
      if (present === undefined || present.length === 0) return undefined;
      const latest = new Map<string, SeedingRecord>();
      for (const row of seeding ?? []) {
        const serverName = text(row, "replica_server_name");
        if (latest.has(serverName)) continue; // ordered newest first
        const errorCode = integerOrNull(row, "error_code");
        latest.set(serverName, {
          serverName,
          currentState: text(row, "current_state").trim(),
          failureState: textOrNull(row, "failure_state_desc"),
          errorCode: errorCode === 0 ? null : errorCode,
        });
      }
      return {
        name: text(present[0]!, "database_name"),
        replicas: (replicas ?? []).map(
          (row): DatabaseReplicaStateRecord => ({
            serverName: text(row, "replica_server_name"),
            isPrimary: flag(row, "is_primary_replica"),
            synchronizationState: oneOf(row, "synchronization_state_desc", SYNC),
            synchronizationHealth: oneOf(row, "synchronization_health_desc", HEALTH),
            databaseState: textOrNull(row, "database_state_desc"),
            suspended: flag(row, "is_suspended"),
            suspendReason: textOrNull(row, "suspend_reason_desc"),
          }),
        ),
        seeding: [...latest.values()],
      };
    },
  };
}

/**
 * What decides whether a database can join a group, in one request: its `sys.databases` row,
 * whether it is mirrored, its latest full backup under the FULL recovery model (msdb), and the
 * group it belongs to. Undefined when the database does not exist.
 */
export function databasePrerequisitesQuery(database: string): CatalogQuery<DatabasePrerequisitesRecord> {
  const params = { database: nvarchar(database) };
  return {
    statements: [
      statement(
        "SELECT d.name, d.database_id, d.state_desc, d.recovery_model_desc, d.is_read_only, d.user_access_desc, d.is_auto_close_on, d.create_date " +
          "FROM master.sys.databases AS d WHERE d.name = @database",
        params,
      ),
      statement(
        "SELECT COUNT(*) AS mirrored FROM master.sys.database_mirroring AS m JOIN master.sys.databases AS d ON d.database_id = m.database_id " +
          "WHERE d.name = @database AND m.mirroring_guid IS NOT NULL",
        params,
      ),
      statement(
        "SELECT MAX(b.backup_finish_date) AS last_full_backup FROM msdb.dbo.backupset AS b " +
          "WHERE b.database_name = @database AND b.type = 'D' AND b.recovery_model = N'FULL'",
        params,
      ),
      statement(
        "SELECT g.name FROM master.sys.availability_groups AS g JOIN master.sys.availability_databases_cluster AS adc ON adc.group_id = g.group_id " +
          "WHERE adc.database_name = @database",
        params,
      ),
    ],
    resultCount: 4,
    map([databases, mirroring, backups, groups]) {
      const row = databases?.[0];
      if (row === undefined) return undefined;
      return {
        name: text(row, "name"),
        databaseId: integer(row, "database_id"),
        state: text(row, "state_desc").trim(),
        recoveryModel: text(row, "recovery_model_desc").trim(),
        readOnly: flag(row, "is_read_only"),
        userAccess: text(row, "user_access_desc").trim(),
        autoClose: flag(row, "is_auto_close_on"),
        createDate: dateTime(row, "create_date"),
        mirrored: mirroring?.[0] !== undefined && integer(mirroring[0], "mirrored") > 0,
        lastFullBackup: backups?.[0] === undefined ? null : dateTimeOrNull(backups[0], "last_full_backup"),
        availabilityGroup: groups?.[0] === undefined ? null : text(groups[0], "name"),
      };
    },
  };
}

/** A database on one instance as a secondary's manual seeding sees it: its state and whether it has joined a group. */
export interface LocalDatabaseRecord {
  /** `state_desc` (RESTORING before it joins). */
  state: string;
  /** Whether it belongs to an availability group (`group_database_id` is set). */
  joined: boolean;
}

/** A database on the instance read (undefined when it does not exist). */
export function localDatabaseQuery(database: string): CatalogQuery<LocalDatabaseRecord> {
  return {
    statements: [statement("SELECT d.state_desc, d.group_database_id FROM master.sys.databases AS d WHERE d.name = @database", { database: nvarchar(database) })],
    resultCount: 1,
    map([rows]) {
      const row = rows?.[0];
      if (row === undefined) return undefined;
      return { state: text(row, "state_desc").trim(), joined: row.group_database_id !== null && row.group_database_id !== undefined };
    },
  };
}

/** Whether `backupFinish` (a full backup) belongs to the database created at `createDate` (a dropped namesake's backups do not count). */
export function backupCoversDatabase(backupFinish: string | null, createDate: string): boolean {
  // Both are canonical UTC strings (YYYY-MM-DDTHH:MM:SSZ), which order like the instants they name.
  return backupFinish !== null && backupFinish >= createDate;
}
