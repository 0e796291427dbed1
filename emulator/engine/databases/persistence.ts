/**
 * Keeps the database layer in `dataDir` next to master.json (whose format does not change):
 * `databases.json` holds the system databases, the list of user databases and the backup history
 * (msdb); `databases/<database_id>.json` holds one user database with its tables, rows and log.
 * Every file is written atomically (temporary file + rename, mode 0600), and only the user databases
 * that changed are rewritten. A data folder written before the database layer existed has no
 * databases.json: the instance then starts with the four system databases only.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { replacer, reviver, writeFileAtomically } from "../persistence";
import type { DatabaseCatalogState, DatabaseRecord } from "./model";
import type { DatabaseStore } from "./store";

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

/** Reads the database layer from `dataDir`, or undefined when it was never written there. */
export async function loadDatabases(dataDir: string): Promise<DatabaseCatalogState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, DATABASES_FILE), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const file = JSON.parse(text, reviver) as CatalogFile;
  if (file.format !== FORMAT_VERSION) throw new Error(`unsupported emulator databases format ${file.format}`);
  const { userDatabaseIds, databases, ...rest } = file.state;
  const users: DatabaseRecord[] = [];
  for (const id of userDatabaseIds) {
    const db = JSON.parse(await fs.readFile(databaseFile(dataDir, id), "utf8"), reviver) as { format: number; database: DatabaseRecord };
    if (db.format !== FORMAT_VERSION) throw new Error(`unsupported emulator database format ${db.format}`);
    users.push(db.database);
  }
  return { ...rest, databases: [...databases, ...users].sort((a, b) => a.id - b.id) };
}

/** Writes what changed since the last write (serialize calls: the engine core chains them). */
export async function saveDatabases(dataDir: string, store: DatabaseStore): Promise<void> {
  const taken = store.takeDirty();
  if (!taken.catalog && taken.write.length === 0 && taken.remove.length === 0) return;
  try {
    for (const db of taken.write) {
      await writeFileAtomically(databaseFile(dataDir, db.id), JSON.stringify({ format: FORMAT_VERSION, database: db }, replacer));
    }
    const { databases, ...rest } = store.state;
    const file: CatalogFile = {
      format: FORMAT_VERSION,
      state: { ...rest, databases: databases.filter((d) => d.system), userDatabaseIds: databases.filter((d) => !d.system).map((d) => d.id) },
    };
    await writeFileAtomically(path.join(dataDir, DATABASES_FILE), JSON.stringify(file, replacer, 2));
    for (const id of taken.remove) {
      if (!store.byId(id)) await fs.rm(databaseFile(dataDir, id), { force: true });
    }
  } catch (e) {
    store.restoreDirty(taken);
    throw e;
  }
}
