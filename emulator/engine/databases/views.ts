/**
 * Catalog views of the database layer, with Microsoft's column names, order and types:
 * - server-wide: `sys.databases` (every SQL Server column; Azure-only ones left out),
 *   `sys.database_recovery_status`;
 * - per database (the current one, or the one a three-part name gives): `sys.tables`, `sys.schemas`;
 * - msdb's backup history: `msdb.dbo.backupset`, `backupmediafamily`, `backupmediaset`, `restorehistory`.
 * Options the emulator does not model show model's defaults (model database page, "Database Options").
 */
import type { Column, ColumnType, SqlValue } from "../../results";
import type { CatalogView, ViewContext } from "../views";
import { canSeeDatabase, mayUseDatabase } from "./access";
import { DATABASE_STATE_CODES, MSDB_DATABASE_ID, RECOVERY_MODEL_CODES, type DatabaseRecord, type TableRecord } from "./model";
import type { DatabaseStore } from "./store";

type Spec = { type: ColumnType; length?: number; precision?: number; scale?: number };
const sysname: Spec = { type: "nvarchar", length: 128 };
const int: Spec = { type: "int" };
const smallint: Spec = { type: "smallint" };
const tinyint: Spec = { type: "tinyint" };
const bit: Spec = { type: "bit" };
const datetime: Spec = { type: "datetime" };
const guid: Spec = { type: "uniqueidentifier" };
const nvarchar = (length: number): Spec => ({ type: "nvarchar", length });
const char = (length: number): Spec => ({ type: "varchar", length });
const varbinary = (length: number): Spec => ({ type: "varbinary", length });
/** numeric(25,0): how SQL Server shows LSNs. */
const lsn: Spec = { type: "decimal", precision: 25, scale: 0 };
const numeric20: Spec = { type: "decimal", precision: 20, scale: 0 };

type Getter<T> = (row: T, ctx: ViewContext) => SqlValue;

function view<T>(name: string, source: (ctx: ViewContext, store: DatabaseStore) => T[], columns: Array<[string, Spec, Getter<T>]>): CatalogView {
  return {
    name,
    columns: columns.map(([n, spec]): Column => ({ name: n, ...spec })),
    rows: (ctx) => (ctx.databases ? source(ctx, ctx.databases) : []).map((r) => columns.map(([, , get]) => get(r, ctx))),
  };
}

/** The database a database-scoped view reads: the context's (current, or named by a three-part name). */
export function contextDatabase(ctx: ViewContext): DatabaseRecord | undefined {
  return ctx.databases?.byName(ctx.database ?? "master");
}

const userAccessDesc = () => "MULTI_USER";

/**
 * log_reuse_wait: SIMPLE never waits; FULL / BULK_LOGGED wait for a log backup once a log chain
 * exists and records were logged after the last log backup (before the first full backup the log
 * is reused as under SIMPLE).
 */
function logReuseWait(db: DatabaseRecord): [number, string] {
  if (db.recoveryModel === "SIMPLE" || db.backup.logChainStartLsn === null || db.lastLsn === null) return [0, "NOTHING"];
  const backedUpTo = db.backup.lastLogBackupLsn ?? db.backup.logChainStartLsn;
  return db.lastLsn >= backedUpTo ? [2, "LOG_BACKUP"] : [0, "NOTHING"];
}

/** sys.database_recovery_status.last_log_backup_lsn: where the next log backup starts (NULL when none can be taken). */
export function nextLogBackupStart(db: DatabaseRecord): bigint | null {
  if (db.recoveryModel === "SIMPLE" || db.backup.logChainStartLsn === null) return null;
  return db.backup.lastLogBackupLsn ?? db.backup.logChainStartLsn;
}

const online = (db: DatabaseRecord) => db.state === "ONLINE";
const f = () => false;
const nul = () => null;

const databases = view<DatabaseRecord>(
  "sys.databases",
  (ctx, store) => store.state.databases.filter((d) => canSeeDatabase(ctx, d, ctx.database)),
  [
    ["name", sysname, (d) => d.name],
    ["database_id", int, (d) => d.id],
    ["source_database_id", int, nul],
    ["owner_sid", varbinary(85), (d) => d.ownerSid],
    ["create_date", datetime, (d) => d.createDate],
    ["compatibility_level", tinyint, (d) => d.compatibilityLevel],
    // "NULL = Database isn't online" (sys.databases page).
    ["collation_name", sysname, (d) => (online(d) ? d.collation : null)],
    ["user_access", tinyint, () => 0],
    ["user_access_desc", nvarchar(60), userAccessDesc],
    ["is_read_only", bit, f],
    ["is_auto_close_on", bit, f],
    ["is_auto_shrink_on", bit, f],
    ["state", tinyint, (d) => DATABASE_STATE_CODES[d.state]],
    ["state_desc", nvarchar(60), (d) => d.state],
    ["is_in_standby", bit, f],
    ["is_cleanly_shutdown", bit, f],
    ["is_supplemental_logging_enabled", bit, f],
    ["snapshot_isolation_state", tinyint, () => 0],
    ["snapshot_isolation_state_desc", nvarchar(60), () => "OFF"],
    ["is_read_committed_snapshot_on", bit, f],
    ["recovery_model", tinyint, (d) => RECOVERY_MODEL_CODES[d.recoveryModel]],
    ["recovery_model_desc", nvarchar(60), (d) => d.recoveryModel],
    ["page_verify_option", tinyint, () => 2],
    ["page_verify_option_desc", nvarchar(60), () => "CHECKSUM"],
    ["is_auto_create_stats_on", bit, () => true],
    ["is_auto_create_stats_incremental_on", bit, f],
    ["is_auto_update_stats_on", bit, () => true],
    ["is_auto_update_stats_async_on", bit, f],
    ["is_ansi_null_default_on", bit, f],
    ["is_ansi_nulls_on", bit, f],
    ["is_ansi_padding_on", bit, f],
    ["is_ansi_warnings_on", bit, f],
    ["is_arithabort_on", bit, f],
    ["is_concat_null_yields_null_on", bit, f],
    ["is_numeric_roundabort_on", bit, f],
    ["is_quoted_identifier_on", bit, f],
    ["is_recursive_triggers_on", bit, f],
    ["is_cursor_close_on_commit_on", bit, f],
    ["is_local_cursor_default", bit, f],
    ["is_fulltext_enabled", bit, (d) => !d.system],
    // msdb's option table lists TRUSTWORTHY ON and ENABLE_BROKER; master's and model's OFF / DISABLE_BROKER.
    ["is_trustworthy_on", bit, (d) => d.id === MSDB_DATABASE_ID],
    ["is_db_chaining_on", bit, f],
    ["is_parameterization_forced", bit, f],
    ["is_master_key_encrypted_by_server", bit, (d, { catalog }) => d.name === "master" && Boolean(catalog.state.masterKey?.serviceKeyEncryption)],
    ["is_query_store_on", bit, (d) => !d.system],
    ["is_published", bit, f],
    ["is_subscribed", bit, f],
    ["is_merge_published", bit, f],
    ["is_distributor", bit, f],
    ["is_sync_with_backup", bit, f],
    ["service_broker_guid", guid, (d) => d.serviceBrokerGuid],
    ["is_broker_enabled", bit, (d) => d.id === MSDB_DATABASE_ID],
    ["log_reuse_wait", tinyint, (d) => logReuseWait(d)[0]],
    ["log_reuse_wait_desc", nvarchar(60), (d) => logReuseWait(d)[1]],
    ["is_date_correlation_on", bit, f],
    ["is_cdc_enabled", bit, f],
    ["is_encrypted", bit, f],
    ["is_honor_broker_priority_on", bit, f],
    ["replica_id", guid, (d) => d.replicaId],
    ["group_database_id", guid, (d) => d.groupDatabaseId],
    ["resource_pool_id", int, nul],
    ["default_language_lcid", smallint, nul],
    ["default_language_name", nvarchar(128), nul],
    ["default_fulltext_language_lcid", int, nul],
    ["default_fulltext_language_name", nvarchar(128), nul],
    ["is_nested_triggers_on", bit, nul],
    ["is_transform_noise_words_on", bit, nul],
    ["two_digit_year_cutoff", smallint, nul],
    ["containment", tinyint, () => 0],
    ["containment_desc", nvarchar(60), () => "NONE"],
    ["target_recovery_time_in_seconds", int, () => 60],
    ["delayed_durability", int, () => 0],
    ["delayed_durability_desc", nvarchar(60), () => "DISABLED"],
    ["is_memory_optimized_elevate_to_snapshot_on", bit, f],
    ["is_remote_data_archive_enabled", bit, f],
    ["is_mixed_page_allocation_on", bit, f],
    ["is_temporal_history_retention_enabled", bit, () => true],
    ["physical_database_name", nvarchar(128), (d) => d.name],
    ["is_accelerated_database_recovery_on", bit, f],
    ["is_memory_optimized_enabled", bit, () => true],
    ["is_ledger_on", bit, f],
  ],
);

const recoveryStatus = view<DatabaseRecord>(
  "sys.database_recovery_status",
  (ctx, store) => store.state.databases.filter((d) => canSeeDatabase(ctx, d, ctx.database)),
  [
    ["database_id", int, (d) => d.id],
    ["database_guid", guid, (d) => (online(d) ? d.databaseGuid : null)],
    ["family_guid", guid, (d) => (online(d) ? d.familyGuid : null)],
    ["last_log_backup_lsn", lsn, (d) => nextLogBackupStart(d)],
    ["recovery_fork_guid", guid, (d) => (online(d) ? d.recoveryForkGuid : null)],
    ["first_recovery_fork_guid", guid, (d) => (online(d) ? d.firstRecoveryForkGuid : null)],
    ["fork_point_lsn", lsn, nul],
  ],
);

/** The tables of the context database, for a login that may use it, in object_id order. */
function visibleTables(ctx: ViewContext): Array<{ db: DatabaseRecord; t: TableRecord }> {
  const db = contextDatabase(ctx);
  if (!db || !mayUseDatabase(ctx, db)) return [];
  return [...db.tables].sort((a, b) => a.objectId - b.objectId).map((t) => ({ db, t }));
}

const tables = view<{ db: DatabaseRecord; t: TableRecord }>("sys.tables", (ctx) => visibleTables(ctx), [
  // Inherited from sys.objects.
  ["name", sysname, (r) => r.t.name],
  ["object_id", int, (r) => r.t.objectId],
  ["principal_id", int, nul],
  ["schema_id", int, (r) => r.t.schemaId],
  ["parent_object_id", int, () => 0],
  ["type", char(2), () => "U "],
  ["type_desc", nvarchar(60), () => "USER_TABLE"],
  ["create_date", datetime, (r) => r.t.createDate],
  ["modify_date", datetime, (r) => r.t.modifyDate],
  ["is_ms_shipped", bit, f],
  ["is_published", bit, f],
  ["is_schema_published", bit, f],
  // sys.tables' own columns.
  ["lob_data_space_id", int, (r) => (r.t.columns.some((c) => c.type.length === "max") ? 1 : 0)],
  ["filestream_data_space_id", int, nul],
  ["max_column_id_used", int, (r) => r.t.columns.length],
  ["lock_on_bulk_load", bit, f],
  ["uses_ansi_nulls", bit, () => true],
  ["is_replicated", bit, f],
  ["has_replication_filter", bit, f],
  ["is_merge_published", bit, f],
  ["is_sync_tran_subscribed", bit, f],
  ["has_unchecked_assembly_data", bit, f],
  ["text_in_row_limit", int, () => 0],
  ["large_value_types_out_of_row", bit, f],
  ["is_tracked_by_cdc", bit, f],
  ["lock_escalation", tinyint, () => 0],
  ["lock_escalation_desc", nvarchar(60), () => "TABLE"],
  ["is_filetable", bit, f],
  ["durability", tinyint, () => 0],
  ["durability_desc", nvarchar(60), () => "SCHEMA_AND_DATA"],
  ["is_memory_optimized", bit, f],
  ["temporal_type", tinyint, () => 0],
  ["temporal_type_desc", nvarchar(60), () => "NON_TEMPORAL_TABLE"],
  ["history_table_id", int, nul],
  ["is_remote_data_archive_enabled", bit, f],
  ["is_external", bit, f],
  ["is_node", bit, f],
  ["is_edge", bit, f],
]);

/** The schemas every database has (user-defined schemas are outside the subset). */
const SCHEMAS: Array<[string, number, number]> = [
  ["dbo", 1, 1],
  ["guest", 2, 2],
  ["INFORMATION_SCHEMA", 3, 3],
  ["sys", 4, 4],
  ["db_owner", 16384, 16384],
  ["db_accessadmin", 16385, 16385],
  ["db_securityadmin", 16386, 16386],
  ["db_ddladmin", 16387, 16387],
  ["db_backupoperator", 16389, 16389],
  ["db_datareader", 16390, 16390],
  ["db_datawriter", 16391, 16391],
  ["db_denydatareader", 16392, 16392],
  ["db_denydatawriter", 16393, 16393],
];

const schemas = view<[string, number, number]>("sys.schemas", (ctx) => (contextDatabase(ctx) ? SCHEMAS : []), [
  ["name", sysname, (s) => s[0]],
  ["schema_id", int, (s) => s[1]],
  ["principal_id", int, (s) => s[2]],
]);

/** The sys views of the database layer (registered in views.ts). */
export const DATABASE_SYS_VIEWS: CatalogView[] = [databases, recoveryStatus, tables, schemas];

/** sys views whose rows belong to one database (the current one unless a three-part name says). */
export const DATABASE_SCOPED_VIEW_NAMES: ReadonlySet<string> = new Set(["sys.tables", "sys.schemas"]);

// ---------------------------------------------------------------------------------------------
// msdb's backup history
// ---------------------------------------------------------------------------------------------

const backupset = view(
  "backupset",
  (_, store) => store.state.backupSets,
  [
    ["backup_set_id", int, (b) => b.backupSetId],
    ["backup_set_uuid", guid, (b) => b.backupSetUuid],
    ["media_set_id", int, (b) => b.mediaSetId],
    ["first_family_number", tinyint, () => 1],
    ["first_media_number", smallint, () => 1],
    ["last_family_number", tinyint, () => 1],
    ["last_media_number", smallint, () => 1],
    ["catalog_family_number", tinyint, () => 1],
    ["catalog_media_number", smallint, () => 1],
    ["position", int, (b) => b.position],
    ["expiration_date", datetime, nul],
    ["software_vendor_id", int, () => 4608],
    ["name", nvarchar(128), (b) => b.name],
    ["description", nvarchar(255), (b) => b.description],
    ["user_name", nvarchar(128), (b) => b.userName],
    ["software_major_version", tinyint, () => 16],
    ["software_minor_version", tinyint, () => 0],
    ["software_build_version", smallint, () => 1000],
    ["time_zone", smallint, () => 0],
    ["mtf_minor_version", tinyint, () => 0],
    ["first_lsn", lsn, (b) => b.firstLsn],
    ["last_lsn", lsn, (b) => b.lastLsn],
    ["checkpoint_lsn", lsn, (b) => b.checkpointLsn],
    ["database_backup_lsn", lsn, (b) => b.databaseBackupLsn],
    ["database_creation_date", datetime, (b) => b.databaseCreationDate],
    ["backup_start_date", datetime, (b) => b.backupStartDate],
    ["backup_finish_date", datetime, (b) => b.backupFinishDate],
    ["type", char(1), (b) => b.type],
    ["sort_order", smallint, () => 52],
    ["code_page", smallint, () => 0],
    ["compatibility_level", tinyint, (b) => b.compatibilityLevel],
    ["database_version", int, () => 957],
    ["backup_size", numeric20, (b) => BigInt(b.backupSize)],
    ["database_name", nvarchar(128), (b) => b.databaseName],
    ["server_name", nvarchar(128), (b) => b.serverName],
    ["machine_name", nvarchar(128), (b) => b.machineName],
    // Deprecated (backupset page): replaced by the bit columns below.
    ["flags", int, () => 0],
    ["unicode_locale", int, () => 1033],
    ["unicode_compare_style", int, () => 196609],
    ["collation_name", nvarchar(128), (b) => b.collationName],
    ["is_password_protected", bit, f],
    ["recovery_model", nvarchar(60), (b) => (b.recoveryModel === "BULK_LOGGED" ? "BULK-LOGGED" : b.recoveryModel)],
    ["has_bulk_logged_data", bit, f],
    ["is_snapshot", bit, f],
    ["is_readonly", bit, f],
    ["is_single_user", bit, f],
    ["has_backup_checksums", bit, (b) => b.hasBackupChecksums],
    ["is_damaged", bit, f],
    ["begins_log_chain", bit, (b) => b.beginsLogChain],
    ["has_incomplete_metadata", bit, f],
    ["is_force_offline", bit, (b) => b.isForceOffline],
    ["is_copy_only", bit, (b) => b.isCopyOnly],
    ["first_recovery_fork_guid", guid, (b) => b.firstRecoveryForkGuid],
    ["last_recovery_fork_guid", guid, (b) => b.lastRecoveryForkGuid],
    ["fork_point_lsn", lsn, nul],
    ["database_guid", guid, (b) => b.databaseGuid],
    ["family_guid", guid, (b) => b.familyGuid],
    ["differential_base_lsn", lsn, (b) => b.differentialBaseLsn],
    ["differential_base_guid", guid, (b) => b.differentialBaseGuid],
    ["compressed_backup_size", numeric20, (b) => BigInt(b.compressedBackupSize)],
    ["key_algorithm", nvarchar(32), nul],
    ["encryptor_thumbprint", varbinary(20), nul],
    ["encryptor_type", nvarchar(32), nul],
    ["last_valid_restore_time", datetime, nul],
    ["compression_algorithm", nvarchar(32), (b) => b.compressionAlgorithm],
  ],
);

const backupmediafamily = view("backupmediafamily", (_, store) => store.state.mediaFamilies, [
  ["media_set_id", int, (m) => m.mediaSetId],
  ["family_sequence_number", tinyint, (m) => m.familySequenceNumber],
  ["media_family_id", guid, (m) => m.mediaFamilyId],
  ["media_count", int, () => 1],
  ["logical_device_name", nvarchar(128), nul],
  ["physical_device_name", nvarchar(260), (m) => m.physicalDeviceName],
  ["device_type", tinyint, () => 2],
  ["physical_block_size", int, () => 512],
  ["mirror", tinyint, () => 0],
]);

const backupmediaset = view("backupmediaset", (_, store) => store.state.mediaSets, [
  ["media_set_id", int, (m) => m.mediaSetId],
  ["media_uuid", guid, (m) => m.mediaUuid],
  ["media_family_count", tinyint, () => 1],
  ["name", nvarchar(128), (m) => m.name],
  ["description", nvarchar(255), (m) => m.description],
  ["software_name", nvarchar(128), () => "Microsoft SQL Server"],
  ["software_vendor_id", int, () => 4608],
  ["MTF_major_version", tinyint, () => 1],
  ["mirror_count", tinyint, () => 1],
  ["is_password_protected", bit, f],
  ["is_compressed", bit, (m) => m.isCompressed],
  ["is_encrypted", bit, f],
]);

const restorehistory = view("restorehistory", (_, store) => store.state.restoreHistory, [
  ["restore_history_id", int, (r) => r.restoreHistoryId],
  ["restore_date", datetime, (r) => r.restoreDate],
  ["destination_database_name", nvarchar(128), (r) => r.destinationDatabaseName],
  ["user_name", nvarchar(128), (r) => r.userName],
  ["backup_set_id", int, (r) => r.backupSetId],
  ["restore_type", char(1), (r) => r.restoreType],
  ["replace", bit, (r) => r.replace],
  ["recovery", bit, (r) => r.recovery],
  ["restart", bit, f],
  ["stop_at", datetime, nul],
  ["device_count", tinyint, () => 1],
  ["stop_at_mark_name", nvarchar(128), nul],
  ["stop_before", bit, f],
]);

/** msdb's dbo tables, by lower-case name (`msdb.dbo.backupset`, …). */
export const MSDB_TABLES: ReadonlyMap<string, CatalogView> = new Map([backupset, backupmediafamily, backupmediaset, restorehistory].map((v) => [v.name, v]));
