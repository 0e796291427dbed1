/**
 * What the catalog says about an Always On availability group, its replicas and its databases, as
 * typed records (the availability-group counterpart of records.ts).
 *
 * Only facts that change when something happens are kept: configuration, roles, connection state,
 * synchronization state and the last connection error. Volatile figures (LSNs, queue sizes, lag,
 * timestamps) are never read: as outputs they would show as drift at every refresh.
 */

/** `CLUSTER_TYPE`: WSFC (a Windows Server Failover Cluster), EXTERNAL (Pacemaker and the like) or NONE (no cluster manager). */
export type ClusterType = "WSFC" | "EXTERNAL" | "NONE";

/** `AVAILABILITY_MODE` of a replica. CONFIGURATION_ONLY holds the group's metadata and no user data. */
export type AvailabilityMode = "SYNCHRONOUS_COMMIT" | "ASYNCHRONOUS_COMMIT" | "CONFIGURATION_ONLY";

/** `FAILOVER_MODE` of a replica. EXTERNAL: a cluster manager (CLUSTER_TYPE = EXTERNAL) decides. */
export type FailoverMode = "AUTOMATIC" | "MANUAL" | "EXTERNAL";

/** `SEEDING_MODE` of a replica: AUTOMATIC seeds secondary copies over the endpoint; MANUAL expects them restored WITH NORECOVERY. */
export type SeedingMode = "AUTOMATIC" | "MANUAL";

/** `SECONDARY_ROLE (ALLOW_CONNECTIONS = …)`: which client connections a secondary accepts. */
export type SecondaryAllowConnections = "NO" | "READ_ONLY" | "ALL";

/** `PRIMARY_ROLE (ALLOW_CONNECTIONS = …)`: which client connections the primary accepts. */
export type PrimaryAllowConnections = "READ_WRITE" | "ALL";

/** `AUTOMATED_BACKUP_PREFERENCE`: where backup jobs should prefer to run (not enforced by SQL Server). */
export type AutomatedBackupPreference = "PRIMARY" | "SECONDARY_ONLY" | "SECONDARY" | "NONE";

/** `role_desc` of a replica; null when the replica's role is not known where it was read (a disconnected remote replica). */
export type ReplicaRole = "PRIMARY" | "SECONDARY" | "RESOLVING";

/** `connected_state_desc` of a replica. */
export type ConnectedState = "CONNECTED" | "DISCONNECTED";

/** `synchronization_health_desc` of a replica or a database replica. */
export type SynchronizationHealth = "HEALTHY" | "PARTIALLY_HEALTHY" | "NOT_HEALTHY";

/** `synchronization_state_desc` of a database replica. */
export type SynchronizationState = "NOT SYNCHRONIZING" | "SYNCHRONIZING" | "SYNCHRONIZED" | "REVERTING" | "INITIALIZING";

/** The last error a replica met connecting to its partner (`last_connect_error_number` / `_description`). */
export interface ConnectError {
  /** SQL Server's message number, e.g. 35206 or a handshake error. */
  number: number;
  /** SQL Server's text of that message. */
  description: string;
}

/** One replica as the group's configuration (`sys.availability_replicas`) describes it. */
export interface AvailabilityReplicaRecord {
  /** `replica_server_name`: the instance's `@@SERVERNAME`. */
  serverName: string;
  /** `endpoint_url`, e.g. `TCP://sql-b.corp:5022`; null when SQL Server could not read it. */
  endpointUrl: string | null;
  /** `availability_mode_desc`. */
  availabilityMode: AvailabilityMode;
  /** `failover_mode_desc`. */
  failoverMode: FailoverMode;
  /** `seeding_mode_desc`. */
  seedingMode: SeedingMode;
  /** `backup_priority` (0–100). */
  backupPriority: number;
  /** `session_timeout`, seconds. */
  sessionTimeout: number;
  /** `primary_role_allow_connections_desc`. */
  primaryAllowConnections: PrimaryAllowConnections;
  /** `secondary_role_allow_connections_desc`. */
  secondaryAllowConnections: SecondaryAllowConnections;
  /** `read_only_routing_url`, or null. */
  readOnlyRoutingUrl: string | null;
}

/** A replica's state (`sys.dm_hadr_availability_replica_states`) where it was read. */
export interface ReplicaStateRecord {
  /** Whether the row is about the instance it was read on (`is_local`). */
  isLocal: boolean;
  /** `role_desc`; null for a remote replica that is not connected. */
  role: ReplicaRole | null;
  /** `connected_state_desc`: on the primary, whether this secondary is connected to it; on a secondary, whether it is connected to the primary. */
  connectedState: ConnectedState | null;
  /** `synchronization_health_desc`: rollup of the replica's databases against its availability mode. */
  synchronizationHealth: SynchronizationHealth | null;
  /** `last_connect_error_number` and `_description`; null when there was none. */
  lastConnectError: ConnectError | null;
}

/** A replica with its configuration and, when SQL Server reports one where it was read, its state. */
export interface AvailabilityReplicaView extends AvailabilityReplicaRecord {
  /** Its state row; null when the instance read has none for it (a secondary sees only its own row; a replica not yet joined has none). */
  state: ReplicaStateRecord | null;
}

/** An availability group (`sys.availability_groups`) with its replicas, read on one instance. */
export interface AvailabilityGroupRecord {
  /** Group name. */
  name: string;
  /** `group_id` (GUID): changes only when the group is dropped and created again. */
  groupId: string;
  /** `cluster_type_desc`, upper-cased. */
  clusterType: ClusterType;
  /** `automated_backup_preference_desc`. */
  automatedBackupPreference: AutomatedBackupPreference;
  /** `failure_condition_level` (1–5). */
  failureConditionLevel: number;
  /** `health_check_timeout`, milliseconds. */
  healthCheckTimeout: number;
  /** `db_failover`: database-level health detection. */
  dbFailover: boolean;
  /** `dtc_support`: PER_DB when true. */
  dtcSupport: boolean;
  /** `required_synchronized_secondaries_to_commit`. */
  requiredSynchronizedSecondariesToCommit: number;
  /** `basic_features`: a Basic availability group (Standard edition). */
  basic: boolean;
  /** `is_distributed`. */
  distributed: boolean;
  /** `sys.dm_hadr_availability_group_states.primary_replica` as seen where it was read; null when that instance does not know it. */
  primaryReplica: string | null;
  /** The replicas, ordered by server name. */
  replicas: AvailabilityReplicaView[];
  /** The group's databases (`sys.availability_databases_cluster`), ordered by name. */
  databases: string[];
}

/**
 * The local replica of a group on one instance: what primary discovery and a secondary's own health
 * check read (`@@SERVERNAME`, the local state row, the primary it knows).
 */
export interface LocalReplicaRecord {
  /** `@@SERVERNAME` of the instance read. */
  serverName: string;
  /** The local replica's state row. */
  state: ReplicaStateRecord;
  /** The current primary's server name as this instance knows it, or null. */
  primaryReplica: string | null;
}

/** One replica's copy of an availability database (`sys.dm_hadr_database_replica_states`). */
export interface DatabaseReplicaStateRecord {
  /** The replica's server name. */
  serverName: string;
  /** `is_primary_replica`. */
  isPrimary: boolean;
  /** `synchronization_state_desc`. */
  synchronizationState: SynchronizationState;
  /** `synchronization_health_desc`. */
  synchronizationHealth: SynchronizationHealth;
  /** `database_state_desc` (ONLINE, RESTORING, …); null when not known where it was read. */
  databaseState: string | null;
  /** `is_suspended`. */
  suspended: boolean;
  /** `suspend_reason_desc`, or null. */
  suspendReason: string | null;
}

/** The latest automatic-seeding attempt of a database towards one replica (`sys.dm_hadr_automatic_seeding`). */
export interface SeedingRecord {
  /** The remote replica's server name. */
  serverName: string;
  /** `current_state`, e.g. COMPLETED, FAILED, SEEDING. */
  currentState: string;
  /** `failure_state_desc`, or null. */
  failureState: string | null;
  /** `error_code`, or null (0 reads as null). */
  errorCode: number | null;
}

/** A database of an availability group, read on the primary. */
export interface AvailabilityDatabaseRecord {
  /** `sys.availability_databases_cluster.database_name`. */
  name: string;
  /** Each replica's copy that SQL Server reports, ordered by server name. */
  replicas: DatabaseReplicaStateRecord[];
  /** The latest automatic-seeding attempt per replica, ordered by server name (empty under manual seeding). */
  seeding: SeedingRecord[];
}

/** What decides whether a database may join an availability group, read on the primary. */
export interface DatabasePrerequisitesRecord {
  /** Database name. */
  name: string;
  /** `database_id` (1–4 are master, tempdb, model, msdb). */
  databaseId: number;
  /** `state_desc`. */
  state: string;
  /** `recovery_model_desc`. */
  recoveryModel: string;
  /** `is_read_only`. */
  readOnly: boolean;
  /** `user_access_desc` (MULTI_USER, SINGLE_USER, RESTRICTED_USER). */
  userAccess: string;
  /** `is_auto_close_on`. */
  autoClose: boolean;
  /** `create_date`. */
  createDate: string;
  /** Whether `sys.database_mirroring` shows a mirroring session for it. */
  mirrored: boolean;
  /** The finish of its latest full backup taken under the FULL recovery model (`msdb.dbo.backupset`), or null. */
  lastFullBackup: string | null;
  /** The availability group it belongs to, or null. */
  availabilityGroup: string | null;
}
