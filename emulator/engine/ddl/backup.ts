/**
 * BACKUP DATABASE and BACKUP LOG to a disk file (BACKUP page), in the emulator's own file format
 * (databases/backupFile.ts). Each failure is its reason followed by 3013 "BACKUP DATABASE is
 * terminating abnormally.":
 * - not inside a user transaction (3021); the database exists (911), is not tempdb (3147), opens
 *   (927, …) and the login is sysadmin or its owner (262); master's log cannot be backed up (4212);
 * - BACKUP LOG needs FULL or BULK_LOGGED (4208) and a log chain, i.e. a full backup since the
 *   database was created or switched from SIMPLE (4214); WITH DIFFERENTIAL needs a full backup (3035);
 * - the device must open: a missing folder or a path that cannot be written is 3201 with the
 *   operating-system error, a file that is not an emulator backup 3241 (unless INIT / FORMAT).
 * Semantics: NOINIT (default) appends a backup set, INIT replaces the sets, FORMAT rewrites the media.
 * A full backup is the differential base and starts the log chain; a log backup covers the log since
 * the previous log backup (or the chain's start) and moves that point on; COPY_ONLY changes neither
 * (a copy-only full backup still starts a missing log chain: an emulator assumption). Like SQL Server,
 * a backup writes a log record (its checkpoint), so consecutive backups have increasing LSNs.
 * BACKUP LOG … WITH NORECOVERY backs up the tail and leaves the database RESTORING (3101 while other
 * sessions use it).
 */
import { randomUUID } from "node:crypto";
import type { Statement } from "../ast";
import type { ExecContext } from "../context";
import { openError } from "../databases/access";
import { existingMedia, resolveDevicePath, writeBackupMedia, type BackupMedia, type BackupSetHeader } from "../databases/backupFile";
import { abort, recordBackupSet, reportProgress, terminating } from "../databases/backupHistory";
import { captureImage } from "../databases/image";
import { nextTransactionLsn } from "../databases/lsn";
import { MASTER_DATABASE_ID, TEMPDB_DATABASE_ID, type DatabaseRecord } from "../databases/model";
import { fail } from "../errors";
import { Journal } from "../journal";
import { replacer } from "../persistence";

/** Pages a JSON-serialized part would take (8 KiB pages), for the 4035 / 3014 messages. */
function pagesOf(value: unknown): number {
  return Math.ceil(Buffer.byteLength(JSON.stringify(value, replacer) ?? "") / 8192);
}

/** True when the login may back up `db`: sysadmin or the owner (db_owner). */
function mayBackUp(ctx: ExecContext, db: DatabaseRecord): boolean {
  const login = ctx.catalog.loginById(ctx.viewer.loginId);
  return ctx.viewer.sysadmin || (login !== undefined && login.sid.equals(db.ownerSid));
}

/** BACKUP { DATABASE | LOG } name TO DISK = 'path' [WITH …]. */
export async function executeBackup(ctx: ExecContext, s: Extract<Statement, { kind: "backup" }>): Promise<void> {
  const statement = `BACKUP ${s.what}`;
  const o = s.options;
  const store = ctx.instance.databases;
  if (ctx.session.trancount > 0) abort(statement, 3021);
  const db = store.byName(s.database);
  if (!db) return abort(statement, 911, s.database);
  if (db.id === TEMPDB_DATABASE_ID) abort(statement, 3147);
  if (!mayBackUp(ctx, db)) abort(statement, 262, statement, db.name);
  if (s.what === "LOG" && db.id === MASTER_DATABASE_ID) abort(statement, 4212);
  if (db.system) fail(50000, `${statement} of the system database '${db.name}'`);
  const closed = openError(ctx, db);
  if (closed) terminating(statement, [closed]);
  const refused = store.guard("backup", db);
  if (refused) terminating(statement, [refused]);
  if (s.what === "LOG") {
    if (db.recoveryModel === "SIMPLE") abort(statement, 4208, "BACKUP LOG");
    if (db.backup.logChainStartLsn === null) abort(statement, 4214);
    if (o.noRecovery && store.sessionsIn(db).length > 0) abort(statement, 3101);
  }
  const differential = s.what === "DATABASE" && o.differential === true;
  if (differential && db.backup.differentialBaseLsn === null) abort(statement, 3035, db.name);

  const file = resolveDevicePath(ctx.instance.backupDir, s.device);
  if (!file) return abort(statement, 3201, s.device, "3(The system cannot find the path specified.)");
  const existing = await existingMedia(file, o.init === true || o.format === true);
  if (existing && "kind" in existing) {
    if (existing.kind === "malformed") abort(statement, 3241, file);
    abort(statement, 3201, file, existing.osError);
  }
  const startedAt = performance.now();
  const backupStartDate = ctx.instance.now();

  // The backup's checkpoint goes to the log first (a read-only secondary's log is left as it is).
  if (db.state === "ONLINE" && db.access.kind === "readWrite") {
    const journal = new Journal();
    store.logChange(journal, db, { kind: "checkpoint" });
    journal.commit();
  }
  const checkpoint = db.lastLsn;
  const lastLsn = nextTransactionLsn(checkpoint);
  const type = s.what === "LOG" ? "L" : differential ? "I" : "D";
  const firstLsn = type === "L" ? (db.backup.lastLogBackupLsn ?? db.backup.logChainStartLsn!) : (checkpoint ?? lastLsn);
  const image = type === "L" ? undefined : captureImage(db, firstLsn);
  const records = type === "L" ? db.log.filter((r) => r.lsn >= firstLsn && r.lsn < lastLsn).map((r) => ({ ...r })) : undefined;
  const dataPages = image ? 8 + pagesOf(image.tables) : 0;
  const logPages = 1 + pagesOf(image ? image.log : records);
  const login = ctx.catalog.loginById(ctx.viewer.loginId);
  const copyOnly = o.copyOnly === true && !differential;
  const header: BackupSetHeader = {
    backupSetUuid: randomUUID().toUpperCase(),
    type,
    name: o.name ?? null,
    description: o.description ?? null,
    databaseName: db.name,
    serverName: ctx.instance.serverName,
    machineName: ctx.instance.serverName,
    userName: login?.name ?? "",
    firstLsn,
    lastLsn,
    checkpointLsn: type === "L" ? (checkpoint ?? firstLsn) : firstLsn,
    databaseBackupLsn: db.backup.differentialBaseLsn ?? 0n,
    differentialBaseLsn: differential ? db.backup.differentialBaseLsn : null,
    differentialBaseGuid: differential ? db.backup.differentialBaseGuid : null,
    databaseGuid: db.databaseGuid,
    familyGuid: db.familyGuid,
    firstRecoveryForkGuid: db.recoveryForkGuid,
    lastRecoveryForkGuid: db.recoveryForkGuid,
    databaseCreationDate: db.createDate,
    backupStartDate,
    backupFinishDate: ctx.instance.now(),
    compatibilityLevel: db.compatibilityLevel,
    collationName: db.collation,
    recoveryModel: db.recoveryModel,
    isCopyOnly: copyOnly,
    isForceOffline: s.what === "LOG" && o.noRecovery === true,
    beginsLogChain: type === "L" && db.backup.lastLogBackupLsn === null,
    compressed: o.compression === true,
    checksums: o.checksum === true,
    files: db.files.map((f) => ({ ...f })),
    dataPages,
    logPages,
    backupSize: (dataPages + logPages) * 8192 + 3072,
  };

  const media: BackupMedia =
    existing && !o.format
      ? { ...existing, sets: o.init ? [] : [...existing.sets] }
      : { format: 1, mediaUuid: randomUUID().toUpperCase(), mediaFamilyId: randomUUID().toUpperCase(), mediaName: o.mediaName ?? null, mediaDescription: o.mediaDescription ?? null, sets: [] };
  media.sets.push({ header, ...(image ? { image } : {}), ...(records ? { records } : {}) });
  const position = media.sets.length;
  const written = await writeBackupMedia(file, media);
  if (written) abort(statement, 3201, file, written.osError);

  // The backup chain moves on only once the file is written.
  const chain = { ...db.backup };
  if (type === "D") {
    if (!copyOnly) {
      chain.differentialBaseLsn = header.checkpointLsn;
      chain.differentialBaseGuid = header.backupSetUuid;
    }
    if (chain.logChainStartLsn === null && db.recoveryModel !== "SIMPLE") chain.logChainStartLsn = firstLsn;
  } else if (type === "L" && !copyOnly) chain.lastLogBackupLsn = lastLsn;
  store.set(ctx.journal, db, "backup", chain);
  if (header.isForceOffline) store.set(ctx.journal, db, "state", "RESTORING");
  recordBackupSet(ctx, media, position, header, file);

  const files = type === "L" ? [{ logicalName: db.files[1]!.logicalName, pages: logPages }] : [{ logicalName: db.files[0]!.logicalName, pages: dataPages }, { logicalName: db.files[1]!.logicalName, pages: logPages }];
  reportProgress(ctx, { statement, ...(o.stats !== undefined ? { stats: o.stats } : {}), database: db.name, position, files, startedAt });
}
