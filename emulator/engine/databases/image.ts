/**
 * A database image: everything needed to rebuild a database elsewhere — its identity, options,
 * tables with their rows, the LSN it reached and the log records it carries. A full backup stores
 * one (with the backup's own checkpoint record), and automatic seeding can ship one. Images are
 * plain data; {@link encodeImage} / {@link decodeImage} turn them into JSON text and back exactly
 * (bigint LSNs, Buffers and Dates included).
 */
import { replacer, reviver } from "../persistence";
import type { BackupChainState, DatabaseFile, DatabaseRecord, DatabaseState, LogRecord, RecoveryModel, TableRecord } from "./model";

/** A copy of a database (see the module comment). */
export interface DatabaseImage {
  /** Format version of images (1). */
  format: 1;
  name: string;
  createDate: Date;
  compatibilityLevel: number;
  collation: string;
  recoveryModel: RecoveryModel;
  databaseGuid: string;
  familyGuid: string;
  recoveryForkGuid: string;
  firstRecoveryForkGuid: string;
  files: DatabaseFile[];
  tables: TableRecord[];
  nextObjectId: number;
  /** The LSN of the last record the image's data includes (null: nothing was ever logged). */
  lastLsn: bigint | null;
  /** Log records the image carries (a full backup: from its first_lsn on). */
  log: LogRecord[];
  backup: BackupChainState;
}

function copyTables(tables: readonly TableRecord[]): TableRecord[] {
  return tables.map((t) => ({
    ...t,
    columns: t.columns.map((c) => ({ ...c, type: { ...c.type } })),
    ...(t.primaryKey ? { primaryKey: { name: t.primaryKey.name, columns: [...t.primaryKey.columns] } } : {}),
    rows: t.rows.map((r) => ({ rid: r.rid, values: [...r.values] })),
  }));
}

/** An image of `db` as it is now, carrying its log records from `logFrom` on (none when null). */
export function captureImage(db: DatabaseRecord, logFrom: bigint | null): DatabaseImage {
  return {
    format: 1,
    name: db.name,
    createDate: db.createDate,
    compatibilityLevel: db.compatibilityLevel,
    collation: db.collation,
    recoveryModel: db.recoveryModel,
    databaseGuid: db.databaseGuid,
    familyGuid: db.familyGuid,
    recoveryForkGuid: db.recoveryForkGuid,
    firstRecoveryForkGuid: db.firstRecoveryForkGuid,
    files: db.files.map((f) => ({ ...f })),
    tables: copyTables(db.tables),
    nextObjectId: db.nextObjectId,
    lastLsn: db.lastLsn,
    log: logFrom === null ? [] : db.log.filter((r) => r.lsn >= logFrom).map((r) => ({ ...r })),
    backup: { ...db.backup },
  };
}

/** What a database rebuilt from an image gets that the image does not decide. */
export interface ImageTarget {
  id: number;
  name: string;
  ownerSid: Buffer;
  state: DatabaseState;
  /** Files after WITH MOVE (default: the image's). */
  files?: DatabaseFile[];
  /** database_guid of the new copy (RESTORE gives a new one when it creates the database). */
  databaseGuid: string;
  serviceBrokerGuid: string;
}

/** A database record rebuilt from an image (read-write access, no availability-group ids). */
export function databaseFromImage(image: DatabaseImage, target: ImageTarget): DatabaseRecord {
  return {
    id: target.id,
    name: target.name,
    system: false,
    ownerSid: target.ownerSid,
    createDate: image.createDate,
    compatibilityLevel: image.compatibilityLevel,
    collation: image.collation,
    state: target.state,
    recoveryModel: image.recoveryModel,
    access: { kind: "readWrite" },
    replicaId: null,
    groupDatabaseId: null,
    databaseGuid: target.databaseGuid,
    familyGuid: image.familyGuid,
    recoveryForkGuid: image.recoveryForkGuid,
    firstRecoveryForkGuid: image.firstRecoveryForkGuid,
    serviceBrokerGuid: target.serviceBrokerGuid,
    files: (target.files ?? image.files).map((f) => ({ ...f })),
    tables: copyTables(image.tables),
    nextObjectId: image.nextObjectId,
    log: image.log.map((r) => ({ ...r })),
    lastLsn: image.lastLsn,
    backup: { ...image.backup },
  };
}

/** An image as JSON text (LSNs, bytes and dates tagged so {@link decodeImage} restores them exactly). */
export function encodeImage(image: DatabaseImage): string {
  return JSON.stringify(image, replacer);
}

/** The image {@link encodeImage} wrote. */
export function decodeImage(text: string): DatabaseImage {
  const image = JSON.parse(text, reviver) as DatabaseImage;
  if (image.format !== 1) throw new Error(`unsupported database image format ${String(image.format)}`);
  return image;
}

/** Log records as JSON text (for shipping them between instances). */
export function encodeLogRecords(records: readonly LogRecord[]): string {
  return JSON.stringify(records, replacer);
}

/** The records {@link encodeLogRecords} wrote. */
export function decodeLogRecords(text: string): LogRecord[] {
  return JSON.parse(text, reviver) as LogRecord[];
}
