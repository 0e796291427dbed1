/**
 * The data model of the database layer: one {@link DatabaseRecord} per database of the instance
 * (master, tempdb, model, msdb and user databases), its tables and rows, its transaction log, its
 * backup chain, and the instance's backup history (msdb). Plain data, persisted as JSON; the
 * behaviour lives in store.ts. The replication layers see these shapes through `databases/index.ts`.
 */
import type { SqlMessage, SqlValue } from "../../results";

/**
 * A database's state as `sys.databases.state_desc` shows it (Microsoft's sys.databases page:
 * 0 ONLINE, 1 RESTORING, 2 RECOVERING, 3 RECOVERY_PENDING, 4 SUSPECT, 5 EMERGENCY, 6 OFFLINE).
 */
export type DatabaseState = "ONLINE" | "RESTORING" | "RECOVERING" | "RECOVERY_PENDING" | "SUSPECT" | "EMERGENCY" | "OFFLINE";

/** `sys.databases.state` for each {@link DatabaseState}. */
export const DATABASE_STATE_CODES: Readonly<Record<DatabaseState, number>> = {
  ONLINE: 0,
  RESTORING: 1,
  RECOVERING: 2,
  RECOVERY_PENDING: 3,
  SUSPECT: 4,
  EMERGENCY: 5,
  OFFLINE: 6,
};

/** A recovery model (`ALTER DATABASE … SET RECOVERY`). */
export type RecoveryModel = "FULL" | "BULK_LOGGED" | "SIMPLE";

/** `sys.databases.recovery_model` for each model: 1 FULL, 2 BULK_LOGGED, 3 SIMPLE. */
export const RECOVERY_MODEL_CODES: Readonly<Record<RecoveryModel, number>> = { FULL: 1, BULK_LOGGED: 2, SIMPLE: 3 };

/**
 * Who may read and write a database, set by the replication layers (an ONLINE database is
 * `readWrite` unless a layer says otherwise).
 * - `readWrite`: sessions read and write (the default).
 * - `readOnly`: sessions read; every write fails with `error` (default 3906 "Failed to update
 *   database "x" because the database is read-only."), as on a readable secondary.
 * - `notAccessible`: every access (USE, a query naming it, the login's initial database) fails with
 *   `error` (e.g. 976 for a non-readable secondary, 954 for a mirror).
 */
export type DatabaseAccess =
  | { kind: "readWrite" }
  | { kind: "readOnly"; error?: SqlMessage }
  | { kind: "notAccessible"; error: SqlMessage };

/** A data or log file of a database (`RESTORE … WITH MOVE` and FILELISTONLY name them). */
export interface DatabaseFile {
  /** 1 for the data file, 2 for the log. */
  fileId: number;
  /** Logical name: `<db>` for the data file, `<db>_log` for the log. */
  logicalName: string;
  /** Where SQL Server on Linux would keep it: `/var/opt/mssql/data/<db>.mdf` / `<db>_log.ldf` (nothing is written there). */
  physicalName: string;
  type: "ROWS" | "LOG";
}

/** A column type of a user table. */
export interface TableColumnType {
  /** Lower-case base name: int, bigint, smallint, tinyint, bit, nvarchar, varchar, varbinary, datetime2, datetime, uniqueidentifier, decimal. */
  name: TableColumnTypeName;
  /** Characters / bytes for (n)varchar and varbinary; `"max"` for MAX. */
  length?: number | "max";
  /** decimal(p, s): precision (1–38) and scale (0–p). */
  precision?: number;
  scale?: number;
}

/** The column types of the subset. */
export type TableColumnTypeName = "int" | "bigint" | "smallint" | "tinyint" | "bit" | "nvarchar" | "varchar" | "varbinary" | "datetime2" | "datetime" | "uniqueidentifier" | "decimal";

/** A column of a user table. */
export interface ColumnDefinition {
  name: string;
  type: TableColumnType;
  /** False for NOT NULL (and for PRIMARY KEY columns). */
  nullable: boolean;
}

/** A table's shape, as CREATE TABLE defined it (also what a createTable log record carries). */
export interface TableDefinition {
  /** object_id (sys.tables). */
  objectId: number;
  /** Always 1 (dbo): other schemas are outside the subset. */
  schemaId: number;
  name: string;
  columns: ColumnDefinition[];
  /** The PRIMARY KEY constraint: its name and the positions of its columns. */
  primaryKey?: { name: string; columns: number[] };
  createDate: Date;
}

/** A row: an internal row id (stable across UPDATE, used by log records) and the values in column order. */
export interface RowRecord {
  rid: number;
  values: SqlValue[];
}

/** A user table with its rows. */
export interface TableRecord extends TableDefinition {
  modifyDate: Date;
  rows: RowRecord[];
  /** Next row id to hand out. */
  nextRowId: number;
}

/**
 * What a log record does, applied the same way on the database that produced it and on a copy
 * that replays it (RESTORE LOG, a secondary): the data of a database is the result of its records.
 */
export type LogRecordBody =
  | { kind: "createTable"; table: TableDefinition }
  | { kind: "dropTable"; objectId: number }
  | { kind: "insert"; objectId: number; rid: number; values: SqlValue[] }
  | { kind: "update"; objectId: number; rid: number; values: SqlValue[] }
  | { kind: "delete"; objectId: number; rid: number }
  /** Written by BACKUP DATABASE / BACKUP LOG (the backup's checkpoint); changes no data. */
  | { kind: "checkpoint" };

/**
 * A committed log record. Records of one transaction share a block of the LSN and are committed
 * (and announced) together; `previousLsn` chains every record to the one before it in the
 * database's log, so a replica can tell a gap from a duplicate.
 */
export type LogRecord = LogRecordBody & {
  /** The log sequence number (numeric(25,0) as SQL Server shows LSNs; see lsn.ts). */
  lsn: bigint;
  /** The LSN of the record before this one in the database's log (null for the first). */
  previousLsn: bigint | null;
  /** When the transaction committed (the instance's clock). */
  time: Date;
};

/** A database's position in its backup sequence. */
export interface BackupChainState {
  /**
   * checkpoint_lsn of the last full backup that is not COPY_ONLY: the differential base and the
   * `database_backup_lsn` of later backups. Null before the first one.
   */
  differentialBaseLsn: bigint | null;
  /** backup_set_uuid-like identity of that full backup (differential_base_guid). */
  differentialBaseGuid: string | null;
  /**
   * Where the log chain starts (first_lsn of the full backup that began it), null while there is
   * none: no full backup yet, or broken by a switch to SIMPLE. BACKUP LOG needs one (4214).
   */
  logChainStartLsn: bigint | null;
  /** last_lsn of the last log backup that is not COPY_ONLY (the next one starts there). */
  lastLogBackupLsn: bigint | null;
}

/** What a database in RESTORING state restored last (RESTORE … WITH NORECOVERY). */
export interface RestoreSequenceState {
  /** checkpoint_lsn of the full backup the sequence started from (differentials must be based on it). */
  baseCheckpointLsn: bigint;
  /** backup_set_uuid of that full backup. */
  baseGuid: string;
}

/** One database of the instance. */
export interface DatabaseRecord {
  /** database_id: master 1, tempdb 2, model 3, msdb 4, user databases from 5. */
  id: number;
  name: string;
  /** True for master, tempdb, model and msdb. */
  system: boolean;
  /** owner_sid: the SID of the login that created (or restored) it; 0x01 (sa) for the system databases. */
  ownerSid: Buffer;
  createDate: Date;
  compatibilityLevel: number;
  collation: string;
  state: DatabaseState;
  recoveryModel: RecoveryModel;
  /** Who may read and write (set by the replication layers). */
  access: DatabaseAccess;
  /** sys.databases.replica_id (set by the availability-group layer; null otherwise). */
  replicaId: string | null;
  /** sys.databases.group_database_id (set by the availability-group layer; null otherwise). */
  groupDatabaseId: string | null;
  /** database_guid: new for every created or restored database. */
  databaseGuid: string;
  /** family_guid: kept when the database is restored (RESTORE compares it, 3154). */
  familyGuid: string;
  /** The current recovery fork (a new one after every recovery of a restored database). */
  recoveryForkGuid: string;
  /** The fork the database's backups started on (sys.database_recovery_status.first_recovery_fork_guid). */
  firstRecoveryForkGuid: string;
  serviceBrokerGuid: string;
  files: DatabaseFile[];
  tables: TableRecord[];
  /** Next object_id to hand out. */
  nextObjectId: number;
  /** The committed log, oldest first (never truncated by the emulator). */
  log: LogRecord[];
  /** LSN of the last record in the log (null when the log is empty). */
  lastLsn: bigint | null;
  backup: BackupChainState;
  /** Set while RESTORING because of RESTORE … WITH NORECOVERY. */
  restore?: RestoreSequenceState;
}

/** A row of msdb.dbo.backupmediaset: one backup file (the emulator writes one media family per set). */
export interface MediaSetRecord {
  mediaSetId: number;
  mediaUuid: string;
  name: string | null;
  description: string | null;
  isCompressed: boolean;
}

/** A row of msdb.dbo.backupmediafamily. */
export interface MediaFamilyRecord {
  mediaSetId: number;
  familySequenceNumber: number;
  mediaFamilyId: string;
  physicalDeviceName: string;
}

/** A row of msdb.dbo.backupset (see Microsoft's backupset page for each column). */
export interface BackupSetRecord {
  backupSetId: number;
  backupSetUuid: string;
  mediaSetId: number;
  /** Position of the set in its file (RESTORE … WITH FILE = n). */
  position: number;
  name: string | null;
  description: string | null;
  userName: string;
  firstLsn: bigint;
  lastLsn: bigint;
  checkpointLsn: bigint;
  databaseBackupLsn: bigint;
  databaseCreationDate: Date;
  backupStartDate: Date;
  backupFinishDate: Date;
  /** D database, I differential, L log. */
  type: "D" | "I" | "L";
  compatibilityLevel: number;
  backupSize: number;
  compressedBackupSize: number;
  databaseName: string;
  serverName: string;
  machineName: string;
  collationName: string;
  recoveryModel: RecoveryModel;
  hasBackupChecksums: boolean;
  beginsLogChain: boolean;
  isCopyOnly: boolean;
  /** Log backup WITH NORECOVERY (the tail): the database was left RESTORING. */
  isForceOffline: boolean;
  firstRecoveryForkGuid: string;
  lastRecoveryForkGuid: string;
  databaseGuid: string;
  familyGuid: string;
  differentialBaseLsn: bigint | null;
  differentialBaseGuid: string | null;
  compressionAlgorithm: string | null;
}

/** A row of msdb.dbo.restorehistory. */
export interface RestoreHistoryRecord {
  restoreHistoryId: number;
  restoreDate: Date;
  destinationDatabaseName: string;
  userName: string;
  backupSetId: number | null;
  /** D database, I differential, L log, V verify-only. */
  restoreType: "D" | "I" | "L" | "V";
  replace: boolean;
  recovery: boolean;
}

/** Everything the database layer persists besides the user databases' own files. */
export interface DatabaseCatalogState {
  /** Every database; user databases' tables and logs are saved in their own files. */
  databases: DatabaseRecord[];
  backupSets: BackupSetRecord[];
  mediaSets: MediaSetRecord[];
  mediaFamilies: MediaFamilyRecord[];
  restoreHistory: RestoreHistoryRecord[];
  /** Next IDs to hand out (never reused). */
  next: { database: number; backupSet: number; mediaSet: number; restoreHistory: number };
}

/** database_id of master, tempdb, model and msdb. */
export const MASTER_DATABASE_ID = 1;
export const TEMPDB_DATABASE_ID = 2;
export const MODEL_DATABASE_ID = 3;
export const MSDB_DATABASE_ID = 4;
/** The first database_id a user database gets. */
export const FIRST_USER_DATABASE_ID = 5;
/** The first object_id a user table gets (SQL Server's are large and arbitrary; these are sequential). */
export const FIRST_USER_OBJECT_ID = 901578250;
/** The instance's collation (SERVERPROPERTY('Collation')), every database's default. */
export const SERVER_COLLATION = "SQL_Latin1_General_CP1_CI_AS";
/** Where SQL Server on Linux keeps data files by default (physical names only; nothing is written there). */
export const DEFAULT_DATA_PATH = "/var/opt/mssql/data/";
