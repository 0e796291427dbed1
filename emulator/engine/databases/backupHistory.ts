/**
 * What BACKUP and RESTORE have in common: the error shape (the reason, then 3013 "<statement> is
 * terminating abnormally."), the progress and success messages (3211 every STATS percent, 4035 per
 * file, 3014), and msdb's history rows (backupset, backupmediaset, backupmediafamily, restorehistory).
 * RESTORE records the backup set it restored in msdb when msdb does not know it (a backup taken on
 * another instance), as SQL Server does.
 */
import type { SqlMessage } from "../../results";
import type { ExecContext } from "../context";
import { SqlError, sqlMessage } from "../errors";
import type { BackupMedia, BackupSetHeader } from "./backupFile";
import type { BackupSetRecord } from "./model";

/** Fails a BACKUP / RESTORE: each reason, then 3013 "<statement> is terminating abnormally.". */
export function terminating(statement: string, reasons: SqlMessage[]): never {
  throw new SqlError(sqlMessage(3013, [statement], { line: 0 }), "statement", reasons.map((r) => ({ ...r, line: 0 })));
}

/** {@link terminating} with one reason from the message table. */
export function abort(statement: string, number: number, ...args: Array<string | number>): never {
  return terminating(statement, [sqlMessage(number, args)]);
}

/** Queues the informational messages of a successful backup or restore on the statement. */
export function reportProgress(
  ctx: ExecContext,
  o: { statement: string; stats?: number; database: string; position: number; files: Array<{ logicalName: string; pages: number }>; startedAt: number },
): void {
  if (o.stats !== undefined && o.stats > 0) {
    for (let p = o.stats; p <= 100; p += o.stats) ctx.infos.push({ number: 3211, args: [p] });
    if (100 % o.stats !== 0) ctx.infos.push({ number: 3211, args: [100] });
  }
  for (const f of o.files) ctx.infos.push({ number: 4035, args: [f.pages, o.database, f.logicalName, o.position] });
  const pages = o.files.reduce((n, f) => n + f.pages, 0);
  const seconds = Math.max((performance.now() - o.startedAt) / 1000, 0.001);
  const mbPerSecond = (pages * 8192) / 1048576 / seconds;
  ctx.infos.push({ number: 3014, args: [o.statement, pages, seconds.toFixed(3), mbPerSecond.toFixed(3)] });
}

/** The msdb backupset row of `header`, adding its media set and family rows when msdb lacks them. */
export function recordBackupSet(ctx: ExecContext, media: BackupMedia, position: number, header: BackupSetHeader, physicalDeviceName: string): BackupSetRecord {
  const store = ctx.instance.databases;
  const state = store.state;
  const known = state.backupSets.find((b) => b.backupSetUuid === header.backupSetUuid);
  if (known) return known;
  const journal = ctx.journal;
  let mediaSet = state.mediaSets.find((m) => m.mediaUuid === media.mediaUuid);
  if (!mediaSet) {
    mediaSet = { mediaSetId: store.allocate(journal, "mediaSet"), mediaUuid: media.mediaUuid, name: media.mediaName, description: media.mediaDescription, isCompressed: header.compressed };
    journal.insert(state.mediaSets, mediaSet);
    journal.insert(state.mediaFamilies, { mediaSetId: mediaSet.mediaSetId, familySequenceNumber: 1, mediaFamilyId: media.mediaFamilyId, physicalDeviceName });
  }
  const row: BackupSetRecord = {
    backupSetId: store.allocate(journal, "backupSet"),
    backupSetUuid: header.backupSetUuid,
    mediaSetId: mediaSet.mediaSetId,
    position,
    name: header.name,
    description: header.description,
    userName: header.userName,
    firstLsn: header.firstLsn,
    lastLsn: header.lastLsn,
    checkpointLsn: header.checkpointLsn,
    databaseBackupLsn: header.databaseBackupLsn,
    databaseCreationDate: header.databaseCreationDate,
    backupStartDate: header.backupStartDate,
    backupFinishDate: header.backupFinishDate,
    type: header.type,
    compatibilityLevel: header.compatibilityLevel,
    backupSize: header.backupSize,
    compressedBackupSize: header.backupSize,
    databaseName: header.databaseName,
    serverName: header.serverName,
    machineName: header.machineName,
    collationName: header.collationName,
    recoveryModel: header.recoveryModel,
    hasBackupChecksums: header.checksums,
    beginsLogChain: header.beginsLogChain,
    isCopyOnly: header.isCopyOnly,
    isForceOffline: header.isForceOffline,
    firstRecoveryForkGuid: header.firstRecoveryForkGuid,
    lastRecoveryForkGuid: header.lastRecoveryForkGuid,
    databaseGuid: header.databaseGuid,
    familyGuid: header.familyGuid,
    differentialBaseLsn: header.differentialBaseLsn,
    differentialBaseGuid: header.differentialBaseGuid,
    compressionAlgorithm: header.compressed ? "MS_XPRESS" : null,
  };
  journal.insert(state.backupSets, row);
  store.touchCatalog(journal);
  return row;
}

/** A restorehistory row. */
export function recordRestore(ctx: ExecContext, o: { database: string; backupSetId: number | null; type: "D" | "I" | "L" | "V"; replace: boolean; recovery: boolean }): void {
  const store = ctx.instance.databases;
  const login = ctx.catalog.loginById(ctx.viewer.loginId);
  ctx.journal.insert(store.state.restoreHistory, {
    restoreHistoryId: store.allocate(ctx.journal, "restoreHistory"),
    restoreDate: ctx.instance.now(),
    destinationDatabaseName: o.database,
    userName: login?.name ?? "",
    backupSetId: o.backupSetId,
    restoreType: o.type,
    replace: o.replace,
    recovery: o.recovery,
  });
  store.touchCatalog(ctx.journal);
}
