/**
 * What the catalog says about database mirroring sessions, as typed records (the mirroring
 * counterpart of availabilityGroupRecords.ts).
 *
 * Sources: "sys.database_mirroring (Transact-SQL)", "sys.database_mirroring_witnesses
 * (Transact-SQL)", "sys.database_recovery_status (Transact-SQL)", "Mirroring States (SQL Server)".
 * Only facts that change when something happens are kept: roles, states, safety, the partner and
 * witness addresses, the timeout. LSNs, queues and sequence numbers are never read: as outputs they
 * would show as drift at every refresh.
 */

/** `mirroring_role_desc`: the role the local copy of the database plays in its session. */
export type MirroringRole = "PRINCIPAL" | "MIRROR";

/**
 * `mirroring_state_desc` (the same on both partners except PENDING_FAILOVER, which only the
 * principal shows while a failover starts). UNSYNCHRONIZED: the partners are not synchronized and
 * failover is not possible now.
 */
export type MirroringState = "SUSPENDED" | "DISCONNECTED" | "SYNCHRONIZING" | "PENDING_FAILOVER" | "SYNCHRONIZED" | "UNSYNCHRONIZED";

/** `mirroring_safety_level_desc`: FULL (synchronous, high safety), OFF (asynchronous, high performance) or UNKNOWN. */
export type MirroringSafetyLevel = "FULL" | "OFF" | "UNKNOWN";

/** The transaction safety a program can ask for (`SET PARTNER SAFETY FULL | OFF`). */
export type MirroringSafety = "FULL" | "OFF";

/** `mirroring_witness_state_desc`: whether this partner is connected to the session's witness. */
export type WitnessState = "UNKNOWN" | "CONNECTED" | "DISCONNECTED";

/** The session a database takes part in, as one partner's `sys.database_mirroring` row shows it. */
export interface MirroringSessionRecord {
  /** `mirroring_guid` (upper case): the partnership; a new session gets a new one. */
  mirroringGuid: string;
  /** `mirroring_role_desc` of the local copy. */
  role: MirroringRole | null;
  /** `mirroring_state_desc`. */
  state: MirroringState | null;
  /** `mirroring_safety_level_desc`. */
  safety: MirroringSafetyLevel | null;
  /** `mirroring_partner_name`: the other partner's server network address (`TCP://host:port`, as given to SET PARTNER). */
  partnerName: string | null;
  /** `mirroring_partner_instance`: the other partner's instance name, as clients would connect to it. */
  partnerInstance: string | null;
  /** `mirroring_witness_name`: the witness's server network address, or null without a witness. */
  witnessName: string | null;
  /** `mirroring_witness_state_desc`, or null without a witness. */
  witnessState: WitnessState | null;
  /** `mirroring_connection_timeout`, seconds (SQL Server's default is 10). */
  connectionTimeout: number | null;
}

/** A database on one partner instance: what seeding, the prerequisites and the session reads need. */
export interface MirroringDatabaseRecord {
  /** Database name. */
  name: string;
  /** `database_id` (1–4 are master, tempdb, model, msdb). */
  databaseId: number;
  /** `state_desc`: ONLINE on the principal, RESTORING on the mirror. */
  state: string;
  /** `recovery_model_desc`: mirroring needs FULL (1465). */
  recoveryModel: string;
  /** `is_read_only` (1466). */
  readOnly: boolean;
  /** `user_access_desc` (single-user is refused, 1488). */
  userAccess: string;
  /** `is_auto_close_on` (1469). */
  autoClose: boolean;
  /** Whether it belongs to an availability group (`group_database_id` is set): such a database cannot be mirrored. */
  inAvailabilityGroup: boolean;
  /**
   * Whether the log chain has started (`sys.database_recovery_status.last_log_backup_lsn` is not
   * NULL): only then can a log backup be taken, which seeding needs.
   */
  logChainStarted: boolean;
  /** Its mirroring session, or null when it is not mirrored (or the row is not visible). */
  session: MirroringSessionRecord | null;
}

/** The DATABASE_MIRRORING endpoint of an instance, as the session statements need it. */
export interface MirroringEndpointStateRecord {
  /** `role_desc`: PARTNER, WITNESS or ALL (partners need PARTNER or ALL, the witness WITNESS or ALL). */
  role: string;
  /** `state_desc`: SET PARTNER and SET WITNESS need STARTED. */
  state: string;
}

/** One instance of a session (a partner or the witness), read in one request. */
export interface MirroringPartnerRecord {
  /** `@@SERVERNAME` of the instance read (null when SQL Server has none set). */
  serverName: string | null;
  /** The database there, or null when it does not exist. */
  database: MirroringDatabaseRecord | null;
  /** The instance's DATABASE_MIRRORING endpoint, or null when it has none. */
  endpoint: MirroringEndpointStateRecord | null;
}

/** One session the witness serves (`sys.database_mirroring_witnesses`), read on the witness. */
export interface MirroringWitnessRecord {
  /** `database_name`. */
  database: string;
  /** `principal_server_name`: the partner whose copy is the principal now. */
  principalServerName: string;
  /** `mirror_server_name`: the partner whose copy is the mirror now. */
  mirrorServerName: string;
  /** `safety_level_desc`. */
  safety: MirroringSafetyLevel;
  /** `mirroring_guid` (upper case). */
  mirroringGuid: string;
  /** `is_suspended`. */
  suspended: boolean;
  /** `partner_sync_state_desc`: SYNCHRONIZED or UNSYNCHRONIZED. */
  partnerSyncState: string;
}

/** The database state seeding checks on each side (sys.databases and sys.database_recovery_status only). */
export interface SeedingStateRecord {
  /** `state_desc`. */
  state: string;
  /** `recovery_model_desc`. */
  recoveryModel: string;
  /** Whether the log chain has started (a log backup can be taken). */
  logChainStarted: boolean;
  /** Whether it belongs to an availability group. */
  inAvailabilityGroup: boolean;
}
