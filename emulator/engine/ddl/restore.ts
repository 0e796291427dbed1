/**
 * RESTORE DATABASE / LOG from a disk file written by the emulator's BACKUP, RESTORE DATABASE … WITH
 * RECOVERY alone, and RESTORE VERIFYONLY / FILELISTONLY / HEADERONLY (RESTORE statements, arguments,
 * FILELISTONLY, HEADERONLY and VERIFYONLY pages). Each failure is its reason followed by 3013
 * "RESTORE DATABASE is terminating abnormally.":
 * - not inside a user transaction (3021); tempdb cannot be restored (3147), other system databases
 *   are outside the subset (50000); permission: sysadmin, or the owner of an existing database (3110);
 * - the device opens (3201) and is an emulator backup (3241), the set exists (4038) and is of the
 *   right kind (3135: a log backup for RESTORE DATABASE, a database backup for RESTORE LOG);
 * - exclusive access: no other session in the database (3101), nor this one (3102);
 * - over an existing database, unless WITH REPLACE: the backup is of the same database family
 *   (3154), and an ONLINE database in FULL / BULK_LOGGED whose log holds records not yet backed up
 *   needs a tail-log backup first (3159) — REPLACE overrides both ("REPLACE option impact");
 * - WITH MOVE names the backup's logical files (3234); the files must not belong to another
 *   database (1834 + 3156 per file, then 3119);
 * - RESTORE LOG needs the database RESTORING (3117; 3118 when it does not exist), and the backup
 *   must continue where the database stands: it must begin at or before the database's redo point
 *   (else 4305 "too recent") and end after it (else 4326 "too early");
 * - a differential backup applies only over the full backup it is based on (3136);
 * - RESTORE … WITH RECOVERY without FROM needs a RESTORING database (3153).
 * RECOVERY (the default) brings the database ONLINE on a new recovery fork; NORECOVERY leaves it
 * RESTORING for more restores (927 to anyone who tries to use it).
 */
import { randomUUID } from "node:crypto";
import type { Column, SqlValue, StatementOutcome } from "../../results";
import type { Statement } from "../ast";
import { sameName } from "../collation";
import type { ExecContext } from "../context";
import { readBackupMedia, resolveDevicePath, type BackupMedia, type BackupSetContent } from "../databases/backupFile";
import { abort, recordBackupSet, recordRestore, reportProgress, terminating } from "../databases/backupHistory";
import { databaseFromImage } from "../databases/image";
import { nextTransactionLsn } from "../databases/lsn";
import { TEMPDB_DATABASE_ID, type DatabaseFile, type DatabaseRecord, type LogRecord } from "../databases/model";
import { applyLogBody } from "../databases/store";
import { fail, sqlMessage } from "../errors";

type RestoreStatement = Extract<Statement, { kind: "restore" }>;

/** True when an ONLINE database's log holds records no log backup has taken yet (the tail). */
function hasTail(db: DatabaseRecord): boolean {
  if (db.recoveryModel === "SIMPLE" || db.backup.logChainStartLsn === null || db.lastLsn === null) return false;
  return db.lastLsn >= (db.backup.lastLogBackupLsn ?? db.backup.logChainStartLsn);
}

/** Reads the device and the backup set `position` (default 1). */
async function openSet(ctx: ExecContext, statement: string, device: string, position: number): Promise<{ file: string; media: BackupMedia; set: BackupSetContent }> {
  const file = resolveDevicePath(ctx.instance.backupDir, device);
  if (!file) return abort(statement, 3201, device, "2(The system cannot find the file specified.)");
  const media = await readBackupMedia(file);
  if ("kind" in media) {
    if (media.kind === "malformed") abort(statement, 3241, file);
    return abort(statement, 3201, file, media.osError);
  }
  const set = media.sets[position - 1];
  if (!set) return abort(statement, 4038, position, file);
  return { file, media, set };
}

/** Brings a restored database online: a new recovery fork, no restore sequence. */
function recover(db: DatabaseRecord): DatabaseRecord {
  return { ...db, state: "ONLINE", restore: undefined, recoveryForkGuid: randomUUID().toUpperCase() };
}

function mayRestore(ctx: ExecContext, target: DatabaseRecord | undefined): boolean {
  if (ctx.viewer.sysadmin) return true;
  const login = ctx.catalog.loginById(ctx.viewer.loginId);
  return target !== undefined && login !== undefined && login.sid.equals(target.ownerSid);
}

/** RESTORE DATABASE / LOG. */
export async function executeRestore(ctx: ExecContext, s: RestoreStatement): Promise<void> {
  const statement = `RESTORE ${s.what}`;
  const o = s.options;
  const store = ctx.instance.databases;
  const recovery = o.recovery !== false;
  if (ctx.session.trancount > 0) abort(statement, 3021);
  const target = store.byName(s.database);
  if (target?.id === TEMPDB_DATABASE_ID || sameName(s.database, "tempdb")) abort(statement, 3147);
  if (target?.system) fail(50000, `${statement} of the system database '${target.name}'`);
  if (!mayRestore(ctx, target)) abort(statement, 3110, s.database);
  const exclusive = (db: DatabaseRecord) => {
    const spids = store.sessionsIn(db);
    if (spids.includes(ctx.session.spid)) abort(statement, 3102, "RESTORE", db.name);
    if (spids.length > 0) abort(statement, 3101);
    const refused = store.guard("restore", db);
    if (refused) terminating(statement, [refused]);
  };
  const startedAt = performance.now();

  if (s.device === undefined) {
    // RESTORE DATABASE name WITH RECOVERY: finish a restore sequence.
    if (!target) return abort(statement, 3118, s.database);
    if (!recovery) fail(50000, `${statement} … WITH NORECOVERY without FROM`);
    if (target.state !== "RESTORING") abort(statement, 3153);
    exclusive(target);
    store.replace(ctx.journal, target, recover(target));
    ctx.infos.push({ number: 3014, args: [statement, 0, Math.max((performance.now() - startedAt) / 1000, 0.001).toFixed(3), "0.000"] });
    return;
  }

  const { file, media, set } = await openSet(ctx, statement, s.device, o.file ?? 1);
  const header = set.header;
  if (s.what === "DATABASE" && header.type === "L") abort(statement, 3135, file, "BACKUP LOG");
  if (s.what === "LOG" && header.type !== "L") abort(statement, 3135, file, "BACKUP DATABASE");
  if (target) exclusive(target);
  const position = o.file ?? 1;
  const recorded = recordBackupSet(ctx, media, position, header, file);
  const logFile = (db: { files: DatabaseFile[] }) => db.files.find((f) => f.type === "LOG")!.logicalName;
  const dataFile = (db: { files: DatabaseFile[] }) => db.files.find((f) => f.type === "ROWS")!.logicalName;

  if (s.what === "LOG") {
    if (!target) return abort(statement, 3118, s.database);
    if (target.state !== "RESTORING") abort(statement, 3117);
    if (target.familyGuid !== header.familyGuid) abort(statement, 3154, target.name);
    const redo = nextTransactionLsn(target.lastLsn);
    if (header.firstLsn > redo) abort(statement, 4305, header.firstLsn.toString(), redo.toString());
    if (header.lastLsn < redo || (header.lastLsn === redo && header.firstLsn < header.lastLsn)) abort(statement, 4326, header.lastLsn.toString(), redo.toString());
    const applied: LogRecord[] = [];
    let last = target.lastLsn;
    for (const r of (set.records ?? []).filter((x) => x.lsn >= redo).sort((a, b) => (a.lsn < b.lsn ? -1 : 1))) {
      if (r.previousLsn !== last) abort(statement, 4330);
      applyLogBody(target, r, ctx.journal);
      const copy = { ...r };
      ctx.journal.insert(target.log, copy);
      applied.push(copy);
      last = r.lsn;
    }
    store.set(ctx.journal, target, "lastLsn", last);
    store.set(ctx.journal, target, "backup", { ...target.backup, lastLogBackupLsn: header.lastLsn });
    if (recovery) {
      store.set(ctx.journal, target, "state", "ONLINE");
      store.set(ctx.journal, target, "restore", undefined);
      store.set(ctx.journal, target, "recoveryForkGuid", randomUUID().toUpperCase());
    }
    if (applied.length) ctx.journal.onCommit(() => store.emit({ database: target.name, databaseId: target.id, records: applied, origin: "restore" }));
    recordRestore(ctx, { database: target.name, backupSetId: recorded.backupSetId, type: "L", replace: o.replace === true, recovery });
    reportProgress(ctx, { statement, ...(o.stats !== undefined ? { stats: o.stats } : {}), database: target.name, position, files: [{ logicalName: logFile(header), pages: header.logPages }], startedAt });
    return;
  }

  const image = set.image!;
  if (header.type === "I") {
    if (!target || target.state !== "RESTORING") abort(statement, 3117);
    if (target.familyGuid !== header.familyGuid) abort(statement, 3154, target.name);
    if (!target.restore || target.restore.baseCheckpointLsn !== header.differentialBaseLsn) abort(statement, 3136);
    let restored = databaseFromImage(image, {
      id: target.id,
      name: target.name,
      ownerSid: target.ownerSid,
      state: "RESTORING",
      files: target.files,
      databaseGuid: target.databaseGuid,
      serviceBrokerGuid: target.serviceBrokerGuid,
    });
    restored = { ...restored, backup: { ...target.backup, lastLogBackupLsn: image.backup.lastLogBackupLsn }, restore: target.restore };
    store.replace(ctx.journal, target, recovery ? recover(restored) : restored);
    recordRestore(ctx, { database: target.name, backupSetId: recorded.backupSetId, type: "I", replace: o.replace === true, recovery });
    reportProgress(ctx, { statement, ...(o.stats !== undefined ? { stats: o.stats } : {}), database: target.name, position, files: [{ logicalName: dataFile(header), pages: header.dataPages }, { logicalName: logFile(header), pages: header.logPages }], startedAt });
    return;
  }

  // A full backup.
  if (target && !o.replace) {
    if (target.familyGuid !== header.familyGuid) abort(statement, 3154, target.name);
    if (target.state === "ONLINE" && hasTail(target)) abort(statement, 3159, target.name);
  }
  const files = header.files.map((f) => ({ ...f }));
  for (const move of o.moves) {
    const f = files.find((x) => sameName(x.logicalName, move.logicalName));
    if (!f) abort(statement, 3234, move.logicalName, header.databaseName);
    f.physicalName = move.physicalName;
  }
  const conflicts = files.flatMap((f) => {
    const owner = store.state.databases.find((d) => d !== target && d.files.some((x) => x.physicalName === f.physicalName));
    return owner ? [sqlMessage(1834, [f.physicalName, owner.name]), sqlMessage(3156, [f.logicalName, f.physicalName])] : [];
  });
  if (conflicts.length) terminating(statement, [...conflicts, sqlMessage(3119)]);
  const login = ctx.catalog.loginById(ctx.viewer.loginId)!;
  const id = target?.id ?? store.allocate(ctx.journal, "database");
  const restored = databaseFromImage(image, {
    id,
    name: target?.name ?? s.database,
    ownerSid: target?.ownerSid ?? login.sid,
    state: "RESTORING",
    files,
    databaseGuid: target?.databaseGuid ?? randomUUID().toUpperCase(),
    serviceBrokerGuid: randomUUID().toUpperCase(),
  });
  restored.backup = {
    differentialBaseLsn: header.isCopyOnly ? image.backup.differentialBaseLsn : header.checkpointLsn,
    differentialBaseGuid: header.isCopyOnly ? image.backup.differentialBaseGuid : header.backupSetUuid,
    logChainStartLsn: image.backup.logChainStartLsn ?? (image.recoveryModel === "SIMPLE" ? null : header.firstLsn),
    lastLogBackupLsn: image.backup.lastLogBackupLsn,
  };
  restored.restore = { baseCheckpointLsn: header.checkpointLsn, baseGuid: header.backupSetUuid };
  const final = recovery ? recover(restored) : restored;
  if (target) store.replace(ctx.journal, target, final);
  else store.add(ctx.journal, final);
  recordRestore(ctx, { database: final.name, backupSetId: recorded.backupSetId, type: "D", replace: o.replace === true, recovery });
  reportProgress(ctx, { statement, ...(o.stats !== undefined ? { stats: o.stats } : {}), database: final.name, position, files: [{ logicalName: dataFile(header), pages: header.dataPages }, { logicalName: logFile(header), pages: header.logPages }], startedAt });
}

type Spec = Omit<Column, "name">;
const LSN: Spec = { type: "decimal", precision: 25, scale: 0 };
const N20: Spec = { type: "decimal", precision: 20, scale: 0 };

/** RESTORE FILELISTONLY's columns (FILELISTONLY page). */
const FILELIST_COLUMNS: Array<[string, Spec]> = [
  ["LogicalName", { type: "nvarchar", length: 128 }],
  ["PhysicalName", { type: "nvarchar", length: 260 }],
  ["Type", { type: "varchar", length: 1 }],
  ["FileGroupName", { type: "nvarchar", length: 128 }],
  ["Size", N20],
  ["MaxSize", N20],
  ["FileID", { type: "bigint" }],
  ["CreateLSN", LSN],
  ["DropLSN", LSN],
  ["UniqueID", { type: "uniqueidentifier" }],
  ["ReadOnlyLSN", LSN],
  ["ReadWriteLSN", LSN],
  ["BackupSizeInBytes", { type: "bigint" }],
  ["SourceBlockSize", { type: "int" }],
  ["FileGroupID", { type: "int" }],
  ["LogGroupGUID", { type: "uniqueidentifier" }],
  ["DifferentialBaseLSN", LSN],
  ["DifferentialBaseGUID", { type: "uniqueidentifier" }],
  ["IsReadOnly", { type: "bit" }],
  ["IsPresent", { type: "bit" }],
  ["TDEThumbprint", { type: "varbinary", length: 32 }],
  ["SnapshotURL", { type: "nvarchar", length: 360 }],
];

const NVARCHAR = (length: number): Spec => ({ type: "nvarchar", length });
const BACKUP_TYPES = { D: [1, "DATABASE"], L: [2, "TRANSACTION LOG"], I: [5, "DATABASE DIFFERENTIAL"] } as const;

/** RESTORE HEADERONLY's columns and how each backup set fills them (HEADERONLY page). */
const HEADER_COLUMNS: Array<[string, Spec, (h: BackupSetContent["header"], position: number) => SqlValue]> = [
  ["BackupName", NVARCHAR(128), (h) => h.name],
  ["BackupDescription", NVARCHAR(255), (h) => h.description],
  ["BackupType", { type: "smallint" }, (h) => BACKUP_TYPES[h.type][0]],
  ["ExpirationDate", { type: "datetime" }, () => null],
  ["Compressed", { type: "bit" }, (h) => h.compressed],
  ["Position", { type: "smallint" }, (_, p) => p],
  // A DISK = 'file' device, as backupmediafamily.device_type reports it (2 = disk).
  ["DeviceType", { type: "tinyint" }, () => 2],
  ["UserName", NVARCHAR(128), (h) => h.userName],
  ["ServerName", NVARCHAR(128), (h) => h.serverName],
  ["DatabaseName", NVARCHAR(128), (h) => h.databaseName],
  ["DatabaseVersion", { type: "int" }, () => 957],
  ["DatabaseCreationDate", { type: "datetime" }, (h) => h.databaseCreationDate],
  ["BackupSize", N20, (h) => BigInt(h.backupSize)],
  ["FirstLSN", LSN, (h) => h.firstLsn],
  ["LastLSN", LSN, (h) => h.lastLsn],
  ["CheckpointLSN", LSN, (h) => h.checkpointLsn],
  ["DatabaseBackupLSN", LSN, (h) => h.databaseBackupLsn],
  ["BackupStartDate", { type: "datetime" }, (h) => h.backupStartDate],
  ["BackupFinishDate", { type: "datetime" }, (h) => h.backupFinishDate],
  ["SortOrder", { type: "smallint" }, () => 52],
  ["CodePage", { type: "smallint" }, () => 0],
  ["UnicodeLocaleId", { type: "int" }, () => 1033],
  ["UnicodeComparisonStyle", { type: "int" }, () => 196609],
  ["CompatibilityLevel", { type: "tinyint" }, (h) => h.compatibilityLevel],
  ["SoftwareVendorId", { type: "int" }, () => 4608],
  ["SoftwareVersionMajor", { type: "int" }, () => 16],
  ["SoftwareVersionMinor", { type: "int" }, () => 0],
  ["SoftwareVersionBuild", { type: "int" }, () => 1000],
  ["MachineName", NVARCHAR(128), (h) => h.machineName],
  ["Flags", { type: "int" }, (h) => (h.checksums ? 16 : 0) + (h.isForceOffline ? 64 + 256 : 0)],
  ["BindingID", { type: "uniqueidentifier" }, (h) => h.databaseGuid],
  ["RecoveryForkID", { type: "uniqueidentifier" }, (h) => h.lastRecoveryForkGuid],
  ["Collation", NVARCHAR(128), (h) => h.collationName],
  ["FamilyGUID", { type: "uniqueidentifier" }, (h) => h.familyGuid],
  ["HasBulkLoggedData", { type: "bit" }, () => false],
  ["IsSnapshot", { type: "bit" }, () => false],
  ["IsReadOnly", { type: "bit" }, () => false],
  ["IsSingleUser", { type: "bit" }, () => false],
  ["HasBackupChecksums", { type: "bit" }, (h) => h.checksums],
  ["IsDamaged", { type: "bit" }, () => false],
  ["BeginsLogChain", { type: "bit" }, (h) => h.beginsLogChain],
  ["HasIncompleteMetaData", { type: "bit" }, () => false],
  ["IsForceOffline", { type: "bit" }, (h) => h.isForceOffline],
  ["IsCopyOnly", { type: "bit" }, (h) => h.isCopyOnly],
  ["FirstRecoveryForkID", { type: "uniqueidentifier" }, (h) => h.firstRecoveryForkGuid],
  ["ForkPointLSN", LSN, () => null],
  ["RecoveryModel", NVARCHAR(60), (h) => (h.recoveryModel === "BULK_LOGGED" ? "BULK-LOGGED" : h.recoveryModel)],
  ["DifferentialBaseLSN", LSN, (h) => h.differentialBaseLsn],
  ["DifferentialBaseGUID", { type: "uniqueidentifier" }, (h) => h.differentialBaseGuid],
  ["BackupTypeDescription", NVARCHAR(60), (h) => BACKUP_TYPES[h.type][1]],
  ["BackupSetGUID", { type: "uniqueidentifier" }, (h) => h.backupSetUuid],
  ["CompressedBackupSize", { type: "bigint" }, (h) => BigInt(h.backupSize)],
  ["containment", { type: "tinyint" }, () => 0],
  ["KeyAlgorithm", NVARCHAR(32), () => null],
  ["EncryptorThumbprint", { type: "varbinary", length: 20 }, () => null],
  ["EncryptorType", NVARCHAR(32), () => null],
];

/** A stable GUID for a file of a backup set (the emulator keeps no per-file identity). */
function fileGuid(setUuid: string, fileId: number): string {
  return setUuid.slice(0, -2) + fileId.toString(16).toUpperCase().padStart(2, "0");
}

/** RESTORE VERIFYONLY / FILELISTONLY / HEADERONLY. */
export async function executeRestoreInfo(ctx: ExecContext, s: Extract<Statement, { kind: "restoreInfo" }>): Promise<StatementOutcome[]> {
  const statement = s.what === "VERIFYONLY" ? "VERIFY DATABASE" : `RESTORE ${s.what}`;
  if (!ctx.viewer.sysadmin) abort(statement, 262, "CREATE DATABASE", "master");
  const position = s.options.file ?? 1;
  const { media, set } = await openSet(ctx, statement, s.device, position);
  if (s.what === "HEADERONLY") {
    // Every backup set on the media, unless FILE = n names one.
    const sets = s.options.file === undefined ? media.sets.map((x, i) => ({ x, p: i + 1 })) : [{ x: set, p: position }];
    const rows = sets.map(({ x, p }) => HEADER_COLUMNS.map(([, , get]) => get(x.header, p)));
    ctx.session.lastRowCount = rows.length;
    return [{ kind: "rows", columns: HEADER_COLUMNS.map(([name, spec]) => ({ name, ...spec })), rows }];
  }
  if (s.what === "VERIFYONLY") {
    ctx.infos.push({ number: 3262, args: [position] });
    return [{ kind: "done" }];
  }
  const h = set.header;
  const rows: SqlValue[][] = h.files.map((f) => {
    const pages = f.type === "ROWS" ? h.dataPages : h.logPages;
    return [
      f.logicalName,
      f.physicalName,
      f.type === "ROWS" ? "D" : "L",
      f.type === "ROWS" ? "PRIMARY" : null,
      BigInt(Math.max(pages, 1) * 8192),
      35184372080640n,
      BigInt(f.fileId),
      0n,
      null,
      fileGuid(h.backupSetUuid, f.fileId),
      null,
      null,
      BigInt(h.type === "L" && f.type === "ROWS" ? 0 : pages * 8192),
      4096,
      f.type === "ROWS" ? 1 : 0,
      null,
      h.differentialBaseLsn,
      h.differentialBaseGuid,
      false,
      h.type !== "L" || f.type === "LOG",
      null,
      null,
    ];
  });
  const columns: Column[] = FILELIST_COLUMNS.map(([name, spec]) => ({ name, ...spec }));
  ctx.session.lastRowCount = rows.length;
  return [{ kind: "rows", columns, rows }];
}
