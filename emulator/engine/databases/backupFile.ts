/**
 * The emulator's backup file format — not SQL Server's Microsoft Tape Format (MTF): a backup file
 * written here can only be read by the emulator, and a real .bak cannot be restored into it.
 *
 * A file is one media set with one media family: a first line `PULUMI-MSSQL-MIRRORING-EMULATOR-BACKUP 1`,
 * then JSON (LSNs, bytes and dates tagged as in databases/image.ts) holding the media header and the
 * backup sets in position order (`RESTORE … WITH FILE = n`), and a SHA-256 of that JSON on the last
 * line, so a damaged or foreign file is refused (3241) instead of half-read. BACKUP without INIT
 * appends a set; INIT replaces the sets and keeps the media header; FORMAT writes a new header.
 * Full and differential sets carry a database image; log sets carry their log records.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { replacer, reviver } from "../persistence";
import type { DatabaseImage } from "./image";
import type { DatabaseFile, LogRecord, RecoveryModel } from "./model";

const MAGIC = "PULUMI-MSSQL-MIRRORING-EMULATOR-BACKUP 1";

/** What a backup set records about itself (the source of msdb.dbo.backupset rows). */
export interface BackupSetHeader {
  backupSetUuid: string;
  type: "D" | "I" | "L";
  name: string | null;
  description: string | null;
  databaseName: string;
  serverName: string;
  machineName: string;
  userName: string;
  firstLsn: bigint;
  lastLsn: bigint;
  checkpointLsn: bigint;
  databaseBackupLsn: bigint;
  differentialBaseLsn: bigint | null;
  differentialBaseGuid: string | null;
  databaseGuid: string;
  familyGuid: string;
  firstRecoveryForkGuid: string;
  lastRecoveryForkGuid: string;
  databaseCreationDate: Date;
  backupStartDate: Date;
  backupFinishDate: Date;
  compatibilityLevel: number;
  collationName: string;
  recoveryModel: RecoveryModel;
  isCopyOnly: boolean;
  isForceOffline: boolean;
  beginsLogChain: boolean;
  compressed: boolean;
  checksums: boolean;
  /** The database's files when it was backed up (RESTORE … MOVE, FILELISTONLY). */
  files: DatabaseFile[];
  /** Pages reported per file (data, log), for the 4035 / 3014 messages. */
  dataPages: number;
  logPages: number;
  backupSize: number;
}

/** One backup set in a file. */
export interface BackupSetContent {
  header: BackupSetHeader;
  /** Full and differential backups: the database as it was. */
  image?: DatabaseImage;
  /** Log backups: the records from first_lsn up to (not including) last_lsn. */
  records?: LogRecord[];
}

/** A backup file's media header and sets. */
export interface BackupMedia {
  format: 1;
  mediaUuid: string;
  mediaFamilyId: string;
  mediaName: string | null;
  mediaDescription: string | null;
  sets: BackupSetContent[];
}

/** Why a backup device could not be used, with the operating-system error SQL Server prints in 3201. */
export type DeviceError = { kind: "os"; osError: string } | { kind: "malformed" };

/** SQL Server's Windows-style operating-system error text for a Node.js file error (as SQL Server on Linux prints it). */
export function osErrorText(e: unknown, writing: boolean): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM" || code === "EISDIR" || code === "EROFS") return "5(Access is denied.)";
  if (code === "ENOENT" && writing) return "3(The system cannot find the path specified.)";
  if (code === "ENOENT") return "2(The system cannot find the file specified.)";
  if (code === "ENOTDIR") return "3(The system cannot find the path specified.)";
  return `1117(The request could not be performed because of an I/O device error.)`;
}

/**
 * The file a DISK device names: an absolute path as given, a relative one inside the instance's
 * default backup folder. Windows paths (`C:\…`, `\\server\share`) do not exist on the emulator's
 * Linux-like host (undefined: 3201 with operating-system error 3).
 */
export function resolveDevicePath(backupDir: string, device: string): string | undefined {
  if (device.length === 0 || /^[a-zA-Z]:[\\/]|^\\\\/.test(device) || device.includes("\0")) return undefined;
  return path.isAbsolute(device) ? path.normalize(device) : path.join(backupDir, device);
}

function encode(media: BackupMedia): string {
  const json = JSON.stringify(media, replacer);
  const digest = createHash("sha256").update(json).digest("hex");
  return `${MAGIC}\n${json}\n${digest}\n`;
}

/** Parses a backup file's text; undefined when it is not an intact emulator backup. */
export function decodeBackupMedia(text: string): BackupMedia | undefined {
  const lines = text.split("\n");
  if (lines[0] !== MAGIC || lines.length < 3) return undefined;
  const json = lines[1]!;
  if (createHash("sha256").update(json).digest("hex") !== lines[2]) return undefined;
  try {
    const media = JSON.parse(json, reviver) as BackupMedia;
    return media.format === 1 && Array.isArray(media.sets) ? media : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a backup file (RESTORE): the media, or why it cannot be used. */
export async function readBackupMedia(file: string): Promise<BackupMedia | DeviceError> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    return { kind: "os", osError: osErrorText(e, false) };
  }
  return decodeBackupMedia(text) ?? { kind: "malformed" };
}

/**
 * The media BACKUP appends to: the existing file's (undefined when there is none), or why it cannot
 * be opened. A file that is not an emulator backup can only be overwritten WITH FORMAT or INIT.
 */
export async function existingMedia(file: string, overwrite: boolean): Promise<BackupMedia | undefined | DeviceError> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      try {
        const dir = await fs.stat(path.dirname(file));
        if (dir.isDirectory()) return undefined;
      } catch {
        // The folder does not exist either.
      }
      return { kind: "os", osError: osErrorText(e, true) };
    }
    return { kind: "os", osError: osErrorText(e, true) };
  }
  const media = decodeBackupMedia(text);
  if (!media && !overwrite) return { kind: "malformed" };
  return media;
}

/** Writes the media to `file` atomically (temporary file in the same folder, then rename), mode 0600. */
export async function writeBackupMedia(file: string, media: BackupMedia): Promise<{ kind: "os"; osError: string } | undefined> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(temp, encode(media), { mode: 0o600 });
    await fs.rename(temp, file);
    return undefined;
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    return { kind: "os", osError: osErrorText(e, true) };
  }
}
