/**
 * Keeps the database layer in `dataDir` next to master.json (whose format does not change):
 * - `databases.json`: the system databases, the list of user databases and the backup history (msdb);
 * - `databases/<database_id>.json`: one user database as of its last rewrite (metadata, tables, rows,
 *   log), rewritten only when something other than its log changes (its state, recovery model,
 *   backup chain, a restore …);
 * - `databases/<database_id>.log`: the log records committed since that rewrite, one JSON line each,
 *   appended at every commit. Opening replays them onto the snapshot with the same function that
 *   applied them (the data is the result of the log), so a commit costs one appended line, not a
 *   rewrite of the database.
 * Whole files are written atomically (temporary file + rename, mode 0600); a line cut short by a crash
 * at the end of a log file is ignored (its transaction was not acknowledged as written). A data
 * folder written before the database layer existed has no databases.json: the instance then starts
 * with the four system databases only.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Journal } from "../journal";
import { replacer, reviver, writeFileAtomically } from "../persistence";
import type { DatabaseCatalogState, DatabaseRecord, LogRecord } from "./model";
import { applyLogBody, type DatabaseStore } from "./store";

/** The catalog file's name inside the data folder. */
export const DATABASES_FILE = "databases.json";
/** The folder of the user databases' files. */
export const DATABASES_FOLDER = "databases";
const FORMAT_VERSION = 1;

interface CatalogFile {
  format: number;
  /** The catalog with user databases reduced to their ids (their records are in their own files). */
  state: Omit<DatabaseCatalogState, "databases"> & { databases: DatabaseRecord[]; userDatabaseIds: number[] };
}

function databaseFile(dataDir: string, id: number): string {
  return path.join(dataDir, DATABASES_FOLDER, `${id}.json`);
}

function logFile(dataDir: string, id: number): string {
  return path.join(dataDir, DATABASES_FOLDER, `${id}.log`);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** A user database: its snapshot, then the records of its log file that came after it. */
async function loadDatabase(dataDir: string, id: number): Promise<DatabaseRecord> {
  const file = JSON.parse((await fs.readFile(databaseFile(dataDir, id), "utf8")), reviver) as { format: number; database: DatabaseRecord };
  if (file.format !== FORMAT_VERSION) throw new Error(`unsupported emulator database format ${file.format}`);
  const db = file.database;
  const lines = (await readIfExists(logFile(dataDir, id)))?.split("\n") ?? [];
  const journal = new Journal();
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let record: LogRecord;
    try {
      record = JSON.parse(line, reviver) as LogRecord;
    } catch (e) {
      if (i === lines.length - 1) break;
      throw e;
    }
    if (db.lastLsn !== null && record.lsn <= db.lastLsn) continue;
    applyLogBody(db, record, journal);
    db.log.push(record);
    db.lastLsn = record.lsn;
  }
  journal.commit();
  return db;
}

/** Reads the database layer from `dataDir`, or undefined when it was never written there. */
export async function loadDatabases(dataDir: string): Promise<DatabaseCatalogState | undefined> {
  const text = await readIfExists(path.join(dataDir, DATABASES_FILE));
  if (text === undefined) return undefined;
  const file = JSON.parse(text, reviver) as CatalogFile;
  if (file.format !== FORMAT_VERSION) throw new Error(`unsupported emulator databases format ${file.format}`);
  const { userDatabaseIds, databases, ...rest } = file.state;
  const users: DatabaseRecord[] = [];
  for (const id of userDatabaseIds) users.push(await loadDatabase(dataDir, id));
  return { ...rest, databases: [...databases, ...users].sort((a, b) => a.id - b.id) };
}

/** Writes what changed since the last write (the engine core serializes the calls). */
export async function saveDatabases(dataDir: string, store: DatabaseStore): Promise<void> {
  const taken = store.takeDirty();
  if (!taken.catalog && taken.write.length === 0 && taken.remove.length === 0 && taken.append.length === 0) return;
  try {
    for (const { db, records } of taken.append) {
      await fs.mkdir(path.join(dataDir, DATABASES_FOLDER), { recursive: true });
      await fs.appendFile(logFile(dataDir, db.id), records.map((r) => JSON.stringify(r, replacer) + "\n").join(""), { mode: 0o600 });
    }
    for (const db of taken.write) {
      // The snapshot has the whole log: the log file starts empty again after it.
      await writeFileAtomically(databaseFile(dataDir, db.id), JSON.stringify({ format: FORMAT_VERSION, database: db }, replacer));
      await fs.rm(logFile(dataDir, db.id), { force: true });
    }
    if (taken.catalog) {
      const { databases, ...rest } = store.state;
      const file: CatalogFile = {
        format: FORMAT_VERSION,
        state: { ...rest, databases: databases.filter((d) => d.system), userDatabaseIds: databases.filter((d) => !d.system).map((d) => d.id) },
      };
      await writeFileAtomically(path.join(dataDir, DATABASES_FILE), JSON.stringify(file, replacer, 2));
    }
    for (const id of taken.remove) {
      if (store.byId(id)) continue;
      await fs.rm(databaseFile(dataDir, id), { force: true });
      await fs.rm(logFile(dataDir, id), { force: true });
    }
  } catch (e) {
    store.restoreDirty(taken);
    throw e;
  }
}
