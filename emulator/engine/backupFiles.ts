/**
 * The instance's backup folder: where BACKUP CERTIFICATE writes and CREATE CERTIFICATE … FROM FILE
 * reads. A bare or relative name resolves inside the folder (as SQL Server puts a bare name in its
 * default data folder); an absolute path must lie inside it, so tests cannot write elsewhere on disk.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fail } from "./errors";

/** Resolves `given` inside `folder`, or undefined when it points elsewhere (`..`, other roots, `C:\`). */
export function resolveInFolder(folder: string, given: string): string | undefined {
  if (given.length === 0 || /^[a-zA-Z]:[\\/]|^\\\\/.test(given) || given.includes("\0")) return undefined;
  const root = path.resolve(folder);
  const target = path.resolve(root, given);
  const relative = path.relative(root, target);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return target;
}

/** The path BACKUP may write to: inside the folder and not existing yet (else 15240). */
export async function writablePath(folder: string, given: string): Promise<string> {
  const target = resolveInFolder(folder, given);
  if (!target) return fail(15240, given);
  try {
    await fs.access(target);
  } catch {
    try {
      const dir = await fs.stat(path.dirname(target));
      if (dir.isDirectory()) return target;
    } catch {
      // The directory does not exist: the path is invalid.
    }
    return fail(15240, given);
  }
  return fail(15240, given);
}

/** Writes a new file (exclusive create, so a file appearing meanwhile still fails with 15240). */
export async function writeNewFile(target: string, given: string, data: Buffer | string): Promise<void> {
  try {
    await fs.writeFile(target, data, { flag: "wx", mode: 0o600 });
  } catch {
    fail(15240, given);
  }
}

/** Reads a file for FROM FILE (15208 when it is outside the folder, missing or unreadable). */
export async function readBackupFile(folder: string, given: string): Promise<Buffer> {
  const target = resolveInFolder(folder, given);
  if (!target) return fail(15208);
  try {
    return await fs.readFile(target);
  } catch {
    return fail(15208);
  }
}
