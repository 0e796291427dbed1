/**
 * Availability groups as the engine keeps them: the group's configuration (what CREATE / ALTER
 * AVAILABILITY GROUP write, the same on every joined replica: persisted in master.json) and the
 * replica's live state (what the hadr/ layer observes over the endpoint connections: in memory only,
 * read by the sys.dm_hadr_* views). Names follow sys.availability_groups / sys.availability_replicas.
 */

/** `CLUSTER_TYPE` (sys.availability_groups.cluster_type_desc, lower case there). */
export type ClusterType = "WSFC" | "EXTERNAL" | "NONE";
/** `AVAILABILITY_MODE`. */
export type AvailabilityMode = "SYNCHRONOUS_COMMIT" | "ASYNCHRONOUS_COMMIT" | "CONFIGURATION_ONLY";
/** `FAILOVER_MODE`. */
export type FailoverMode = "AUTOMATIC" | "MANUAL" | "EXTERNAL";
/** `SEEDING_MODE`. */
export type SeedingMode = "AUTOMATIC" | "MANUAL";
/** `SECONDARY_ROLE (ALLOW_CONNECTIONS = …)`. */
export type SecondaryAllowConnections = "NO" | "READ_ONLY" | "ALL";
/** `PRIMARY_ROLE (ALLOW_CONNECTIONS = …)`. */
export type PrimaryAllowConnections = "READ_WRITE" | "ALL";
/** `AUTOMATED_BACKUP_PREFERENCE`. */
export type BackupPreference = "PRIMARY" | "SECONDARY_ONLY" | "SECONDARY" | "NONE";

/** One replica of a group (a row of sys.availability_replicas). */
export interface ReplicaConfig {
  /** replica_id (upper-case GUID). */
  id: string;
  /** replica_server_name: the instance's @@SERVERNAME. */
  serverName: string;
  /** endpoint_url. */
  endpointUrl: string;
  availabilityMode: AvailabilityMode;
  failoverMode: FailoverMode;
  seedingMode: SeedingMode;
  /** 0–100; default 50. */
  backupPriority: number;
  /** Seconds; default 10. */
  sessionTimeout: number;
  primaryAllowConnections: PrimaryAllowConnections;
  secondaryAllowConnections: SecondaryAllowConnections;
  /** READ_ONLY_ROUTING_URL, or null. */
  readOnlyRoutingUrl: string | null;
  /** READ_WRITE_ROUTING_URL, or null. */
  readWriteRoutingUrl: string | null;
  createDate: Date;
  modifyDate: Date;
}

/** A database of the group (a row of sys.availability_databases_cluster). */
export interface GroupDatabaseConfig {
  /** database_name. */
  name: string;
  /** group_database_id (upper-case GUID): the same on every replica. */
  groupDatabaseId: string;
}

/** A group's configuration: the same on every joined replica (the primary sends it to the others). */
export interface GroupConfig {
  /** group_id (upper-case GUID). */
  id: string;
  name: string;
  clusterType: ClusterType;
  /** Default SECONDARY. */
  automatedBackupPreference: BackupPreference;
  /** 1–5, default 3. */
  failureConditionLevel: number;
  /** Milliseconds, default 30000. */
  healthCheckTimeout: number;
  dbFailover: boolean;
  dtcSupport: boolean;
  requiredSynchronizedSecondariesToCommit: number;
  replicas: ReplicaConfig[];
  databases: GroupDatabaseConfig[];
  /** replica_id of the primary as this configuration says. */
  primaryReplicaId: string;
  /** Bumped by every change on the primary (sys.availability_groups.sequence_number); a replica keeps the highest it saw. */
  sequence: number;
}

/** A group as one instance keeps it: the configuration and what is local. */
export interface GroupRecord {
  config: GroupConfig;
  /** replica_id of the local replica. */
  localReplicaId: string;
  /** On a secondary: JOIN has run (the primary's configuration then replaces the local one as it arrives). */
  joined: boolean;
  /** ALTER AVAILABILITY GROUP … GRANT CREATE ANY DATABASE (automatic seeding may create databases here). */
  createAnyDatabase: boolean;
  /** True until the primary's configuration arrived after a JOIN (the local copy is what JOIN knew). */
  awaitingConfiguration?: boolean;
}

/** What the network layer reports about a remote replica or the local one (sys.dm_hadr_availability_replica_states). */
export interface ReplicaLiveState {
  /** connected_state_desc. */
  connected: boolean;
  /** last_connect_error_number / _description / _timestamp, kept after a later success. */
  lastConnectError?: { number: number; description: string; at: Date };
  /** The remote replica has run JOIN (known on the primary from its replies). */
  joined?: boolean;
}

/** A database copy on one replica, as the primary knows it (sys.dm_hadr_database_replica_states). */
export interface DatabaseReplicaLiveState {
  /** synchronization_state_desc. */
  synchronizationState: "NOT SYNCHRONIZING" | "SYNCHRONIZING" | "SYNCHRONIZED" | "REVERTING" | "INITIALIZING";
  /** Last LSN the copy hardened (null: no copy yet). */
  lastHardenedLsn: bigint | null;
  /** When a log block was last sent / received. */
  lastSent?: Date;
  lastReceived?: Date;
}

/** One automatic seeding attempt (sys.dm_hadr_automatic_seeding). */
export interface SeedingAttempt {
  operationId: string;
  groupId: string;
  groupDatabaseId: string;
  /** ag_remote_replica_id. */
  remoteReplicaId: string;
  isSource: boolean;
  startTime: Date;
  completionTime: Date | null;
  /** current_state: COMPLETED, FAILED, SEEDING … */
  currentState: string;
  failureState: number;
  failureStateDesc: string | null;
  errorCode: number;
  attempts: number;
}
