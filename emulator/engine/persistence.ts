/**
 * Keeps an instance's catalog in `<dataDir>/master.json`: written atomically (temporary file, then
 * rename) so a crash leaves either the old or the new state, and read back by `Engine.open`. Buffers,
 * dates and bigints (LSNs) are tagged so the JSON round-trips exactly; the database layer keeps its
 * own files (databases/persistence.ts) with the same tags, so master.json's format is unchanged. Private keys are inside only as encrypted
 * PKCS#8 and the master key only under its encryptions; the service master key is stored as is,
 * protected by the file's 0600 mode (as DPAPI protects it on Windows).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { CatalogState } from "./catalog";

/** The state file's name inside the data folder. */
export const STATE_FILE = "master.json";
const FORMAT_VERSION = 1;

/** JSON.stringify replacer that tags Buffers, Dates and bigints (read back by {@link reviver}). */
export function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (Buffer.isBuffer(raw)) return { $bytes: raw.toString("base64") };
  if (raw instanceof Date) return { $date: raw.toISOString() };
  if (typeof raw === "bigint") return { $bigint: raw.toString() };
  return value;
}

/** JSON.parse reviver for what {@link replacer} wrote. */
export function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.$bytes === "string") return Buffer.from(v.$bytes, "base64");
    if (typeof v.$date === "string") return new Date(v.$date);
    if (typeof v.$bigint === "string") return BigInt(v.$bigint);
  }
  return value;
}

/** Writes `text` to `target` atomically (temporary file + rename), mode 0600. */
export async function writeFileAtomically(target: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(temp, text, { mode: 0o600 });
  await fs.rename(temp, target);
}

/** Serializes the state (stable, human-readable JSON). */
export function serializeState(state: CatalogState): string {
  return JSON.stringify({ format: FORMAT_VERSION, state }, replacer, 2);
}

/** Parses what {@link serializeState} wrote. */
export function deserializeState(text: string): CatalogState {
  const parsed = JSON.parse(text, reviver) as { format: number; state: CatalogState };
  if (parsed.format !== FORMAT_VERSION) throw new Error(`unsupported emulator state format ${parsed.format}`);
  return parsed.state;
}

/** Reads the state from `dataDir`, or undefined when there is none yet. */
export async function loadState(dataDir: string): Promise<CatalogState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, STATE_FILE), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return deserializeState(text);
}

/** Writes the state to `dataDir` atomically. */
export async function saveState(dataDir: string, state: CatalogState): Promise<void> {
  await writeFileAtomically(path.join(dataDir, STATE_FILE), serializeState(state));
}
