/**
 * The instance's databases: look-ups, creation and removal, and the transaction log. Every change to
 * a user database's tables or rows is a log record: the change is applied at once through the
 * statement's journal (so ROLLBACK undoes it and other sessions see it uncommitted, as the rest of
 * the emulator does), and the record is appended to the log with its LSN only when the transaction
 * commits. Records of one commit share an LSN block and are announced together to the commit
 * listeners (the replication layers ship them from there). A rolled-back change never reaches the log.
 *
 * The same {@link applyLogBody} applies a record on the database that produced it, on a database
 * restored from backups (RESTORE LOG) and on a replica (`applyLog`), so a database's data is always
 * the result of applying its records.
 */
import { randomUUID } from "node:crypto";
import type { SqlMessage } from "../../results";
import { sameName } from "../collation";
import { Journal, type CommitContext } from "../journal";
import { nextSlotLsn, nextTransactionLsn } from "./lsn";
import {
  DEFAULT_DATA_PATH,
  FIRST_USER_DATABASE_ID,
  FIRST_USER_OBJECT_ID,
  MASTER_DATABASE_ID,
  MODEL_DATABASE_ID,
  MSDB_DATABASE_ID,
  SERVER_COLLATION,
  TEMPDB_DATABASE_ID,
  type DatabaseCatalogState,
  type DatabaseFile,
  type DatabaseRecord,
  type LogRecord,
  type LogRecordBody,
  type RecoveryModel,
  type RowRecord,
  type TableRecord,
} from "./model";

/** What a commit listener receives: the records one commit (or one `applyLog` call) added to a database's log. */
export interface DatabaseCommitEvent {
  /** The database's name. */
  database: string;
  /** Its database_id. */
  databaseId: number;
  /** The new records, oldest first (one LSN block for a session's commit). */
  records: readonly LogRecord[];
  /** `session`: a transaction committed here; `apply`: records shipped from elsewhere were applied; `restore`: RESTORE LOG applied a log backup. */
  origin: "session" | "apply" | "restore";
}

/** Called synchronously after each commit; must not throw (an exception is rethrown on the next tick). */
export type DatabaseCommitListener = (event: DatabaseCommitEvent) => void;

/** Statements a replication layer can veto on a database (e.g. DROP DATABASE of an availability database). */
export type DatabaseGuardKind = "drop" | "alter" | "backup" | "restore";

/** Returns the error that refuses the statement on `db`, or undefined to let it run. */
export type DatabaseGuard = (db: { id: number; name: string; replicaId: string | null; groupDatabaseId: string | null }) => SqlMessage | undefined;

/** A misuse of the database layer's API (unknown database, a gap in shipped log records, …). */
export class DatabaseLayerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseLayerError";
  }
}

/** What the database layer has to write to `dataDir` (see DatabaseStore.takeDirty). */
export interface DirtyDatabases {
  catalog: boolean;
  write: DatabaseRecord[];
  remove: number[];
  append: Array<{ db: DatabaseRecord; records: LogRecord[] }>;
}

/** The data and log files a database named `name` gets. */
export function defaultFiles(name: string): DatabaseFile[] {
  return [
    { fileId: 1, logicalName: name, physicalName: `${DEFAULT_DATA_PATH}${name}.mdf`, type: "ROWS" },
    { fileId: 2, logicalName: `${name}_log`, physicalName: `${DEFAULT_DATA_PATH}${name}_log.ldf`, type: "LOG" },
  ];
}

/** A new, empty database record (ONLINE, read-write, no log, no backups). */
export function newDatabaseRecord(o: { id: number; name: string; system?: boolean; ownerSid: Buffer; createDate: Date; recoveryModel: RecoveryModel; files?: DatabaseFile[] }): DatabaseRecord {
  const fork = randomUUID().toUpperCase();
  return {
    id: o.id,
    name: o.name,
    system: o.system ?? false,
    ownerSid: o.ownerSid,
    createDate: o.createDate,
    compatibilityLevel: 160,
    collation: SERVER_COLLATION,
    state: "ONLINE",
    recoveryModel: o.recoveryModel,
    access: { kind: "readWrite" },
    replicaId: null,
    groupDatabaseId: null,
    databaseGuid: randomUUID().toUpperCase(),
    familyGuid: randomUUID().toUpperCase(),
    recoveryForkGuid: fork,
    firstRecoveryForkGuid: fork,
    serviceBrokerGuid: randomUUID().toUpperCase(),
    files: o.files ?? defaultFiles(o.name),
    tables: [],
    nextObjectId: FIRST_USER_OBJECT_ID,
    log: [],
    lastLsn: null,
    backup: { differentialBaseLsn: null, differentialBaseGuid: null, logChainStartLsn: null, lastLogBackupLsn: null },
  };
}

/**
 * A fresh instance's databases: master, tempdb, model and msdb. Recovery models: master, tempdb and
 * msdb SIMPLE (their pages' option tables); model FULL, which new databases inherit ("Newly created
 * user databases use the same recovery model as the model database", model database page; FULL is
 * the default of Enterprise and Standard editions, recovery models page, and Developer edition is
 * Enterprise's feature set).
 */
export function initialDatabaseState(createDate: Date): DatabaseCatalogState {
  const sa = Buffer.from([0x01]);
  const system = (id: number, name: string, recoveryModel: RecoveryModel, files: DatabaseFile[]) =>
    newDatabaseRecord({ id, name, system: true, ownerSid: sa, createDate, recoveryModel, files });
  const file = (fileId: number, logicalName: string, physical: string, type: "ROWS" | "LOG"): DatabaseFile => ({ fileId, logicalName, physicalName: DEFAULT_DATA_PATH + physical, type });
  return {
    databases: [
      system(MASTER_DATABASE_ID, "master", "SIMPLE", [file(1, "master", "master.mdf", "ROWS"), file(2, "mastlog", "mastlog.ldf", "LOG")]),
      system(TEMPDB_DATABASE_ID, "tempdb", "SIMPLE", [file(1, "tempdev", "tempdb.mdf", "ROWS"), file(2, "templog", "templog.ldf", "LOG")]),
      system(MODEL_DATABASE_ID, "model", "FULL", [file(1, "modeldev", "model.mdf", "ROWS"), file(2, "modellog", "modellog.ldf", "LOG")]),
      system(MSDB_DATABASE_ID, "msdb", "SIMPLE", [file(1, "MSDBData", "MSDBData.mdf", "ROWS"), file(2, "MSDBLog", "MSDBLog.ldf", "LOG")]),
    ],
    backupSets: [],
    mediaSets: [],
    mediaFamilies: [],
    restoreHistory: [],
    next: { database: FIRST_USER_DATABASE_ID, backupSet: 1, mediaSet: 1, restoreHistory: 1 },
  };
}

function tableOf(db: DatabaseRecord, objectId: number): TableRecord {
  const t = db.tables.find((x) => x.objectId === objectId);
  if (!t) throw new DatabaseLayerError(`log record for object ${objectId}, which does not exist in database '${db.name}'`);
  return t;
}

function rowOf(db: DatabaseRecord, t: TableRecord, rid: number): RowRecord {
  const r = t.rows.find((x) => x.rid === rid);
  if (!r) throw new DatabaseLayerError(`log record for row ${rid} of '${t.name}', which does not exist in database '${db.name}'`);
  return r;
}

/** Applies one record's change to `db` through `journal` (undoable until the journal commits). */
export function applyLogBody(db: DatabaseRecord, body: LogRecordBody, journal: Journal): void {
  switch (body.kind) {
    case "createTable": {
      const def = body.table;
      const table: TableRecord = { ...def, columns: def.columns.map((c) => ({ ...c, type: { ...c.type } })), modifyDate: def.createDate, rows: [], nextRowId: 1 };
      journal.insert(db.tables, table);
      if (def.objectId >= db.nextObjectId) journal.assign(db, "nextObjectId", def.objectId + 1);
      return;
    }
    case "dropTable":
      journal.remove(db.tables, tableOf(db, body.objectId));
      return;
    case "insert": {
      const t = tableOf(db, body.objectId);
      journal.insert(t.rows, { rid: body.rid, values: [...body.values] });
      if (body.rid >= t.nextRowId) journal.assign(t, "nextRowId", body.rid + 1);
      return;
    }
    case "update": {
      const t = tableOf(db, body.objectId);
      journal.assign(rowOf(db, t, body.rid), "values", [...body.values]);
      return;
    }
    case "delete": {
      const t = tableOf(db, body.objectId);
      journal.remove(t.rows, rowOf(db, t, body.rid));
      return;
    }
    case "checkpoint":
      return;
  }
}

/** The instance's databases and their logs. */
export class DatabaseStore {
  private readonly listeners = new Set<DatabaseCommitListener>();
  private readonly guards: Array<{ kind: DatabaseGuardKind; guard: DatabaseGuard }> = [];
  /** database_ids whose own file must be written (user databases). */
  private readonly dirtyDatabases = new Set<number>();
  /** Databases whose files must be deleted (dropped user databases). */
  private readonly removedDatabases = new Set<number>();
  /** Committed records to append to user databases' log files (when their own file is not rewritten anyway). */
  private readonly appendedRecords = new Map<number, LogRecord[]>();
  private catalogDirty = false;

  /**
   * The current database of every live session (set by the engine core): DROP DATABASE (3702),
   * RESTORE (3101 / 3102) and `sessionsUsing` read it.
   */
  sessionDatabases: () => Array<{ spid: number; database: string }> = () => [];

  constructor(
    readonly state: DatabaseCatalogState,
    /** The instance's clock. */
    readonly now: () => Date,
  ) {}

  /** The database named `name` (names compare under the instance collation). */
  byName(name: string): DatabaseRecord | undefined {
    return this.state.databases.find((d) => sameName(d.name, name));
  }

  byId(id: number): DatabaseRecord | undefined {
    return this.state.databases.find((d) => d.id === id);
  }

  /** The model database (new databases copy its recovery model). */
  model(): DatabaseRecord {
    return this.byId(MODEL_DATABASE_ID)!;
  }

  /** spids of the sessions whose current database is `db`. */
  sessionsIn(db: DatabaseRecord): number[] {
    return this.sessionDatabases()
      .filter((s) => sameName(s.database, db.name))
      .map((s) => s.spid);
  }

  /** Hands out the next ID of a kind (never reused). */
  allocate(journal: Journal, kind: keyof DatabaseCatalogState["next"]): number {
    const id = this.state.next[kind];
    journal.assign(this.state.next, kind, id + 1);
    this.touchCatalog(journal);
    return id;
  }

  /** Adds a database (CREATE DATABASE, RESTORE of a new one). */
  add(journal: Journal, db: DatabaseRecord): void {
    journal.insert(this.state.databases, db);
    this.touch(journal, db);
  }

  /** Removes a database (DROP DATABASE). */
  remove(journal: Journal, db: DatabaseRecord): void {
    journal.remove(this.state.databases, db);
    this.touchCatalog(journal);
    if (!db.system) journal.onCommit(() => {
      this.dirtyDatabases.delete(db.id);
      this.removedDatabases.add(db.id);
    });
  }

  /** Replaces a database by another record with the same database_id (RESTORE over an existing one). */
  replace(journal: Journal, old: DatabaseRecord, next: DatabaseRecord): void {
    const i = this.state.databases.indexOf(old);
    journal.assign(this.state.databases, i, next);
    this.touch(journal, next);
  }

  /** Sets a field of a database's record, undoably, and marks it for writing. */
  set<K extends keyof DatabaseRecord>(journal: Journal, db: DatabaseRecord, key: K, value: DatabaseRecord[K]): void {
    journal.assign(db, key, value);
    this.touch(journal, db);
  }

  /** Marks `db` (and the database catalog) for writing once the journal commits. */
  touch(journal: Journal, db: DatabaseRecord): void {
    this.touchCatalog(journal);
    if (!db.system) journal.onCommit(() => {
      this.removedDatabases.delete(db.id);
      this.dirtyDatabases.add(db.id);
    });
  }

  /** Marks the database catalog (databases.json: system databases, backup history) for writing once the journal commits. */
  touchCatalog(journal: Journal): void {
    journal.onCommit(() => {
      this.catalogDirty = true;
    });
  }

  /**
   * A change to `db`: applied now through `journal`, written to the log when the journal commits
   * (a rollback undoes it and no record is written).
   */
  logChange(journal: Journal, db: DatabaseRecord, body: LogRecordBody): void {
    applyLogBody(db, body, journal);
    // Persisted as the committed record itself (appended to the database's log file), not as a rewrite.
    journal.onCommit((commit) => this.queueForCommit(commit, db, body));
  }

  /** Collects the bodies of one commit per database; the commit's last step writes them. */
  private queueForCommit(commit: CommitContext, db: DatabaseRecord, body: LogRecordBody): void {
    let groups = commit.state.get(this) as Map<DatabaseRecord, LogRecordBody[]> | undefined;
    if (!groups) {
      const created = new Map<DatabaseRecord, LogRecordBody[]>();
      groups = created;
      commit.state.set(this, created);
      commit.after.push(() => this.writeCommitted(created));
    }
    const list = groups.get(db) ?? [];
    list.push(body);
    groups.set(db, list);
  }

  /** Appends each database's committed bodies to its log as one LSN block and announces them. */
  private writeCommitted(groups: Map<DatabaseRecord, LogRecordBody[]>): void {
    const time = this.now();
    for (const [db, bodies] of groups) {
      // A database dropped or replaced meanwhile (the emulator does not lock) keeps no log.
      if (!this.state.databases.includes(db)) continue;
      const records: LogRecord[] = [];
      let lsn = nextTransactionLsn(db.lastLsn);
      for (const body of bodies) {
        const record = { ...body, lsn, previousLsn: db.lastLsn, time } as LogRecord;
        db.log.push(record);
        db.lastLsn = lsn;
        records.push(record);
        lsn = nextSlotLsn(lsn);
      }
      this.markAppended(db, records);
      this.emit({ database: db.name, databaseId: db.id, records, origin: "session" });
    }
  }

  /** Tells every listener. */
  emit(event: DatabaseCommitEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (e) {
        setImmediate(() => {
          throw e;
        });
      }
    }
  }

  /** Registers a guard; returns the function that removes it. */
  addGuard(kind: DatabaseGuardKind, guard: DatabaseGuard): () => void {
    const entry = { kind, guard };
    this.guards.push(entry);
    return () => {
      const i = this.guards.indexOf(entry);
      if (i >= 0) this.guards.splice(i, 1);
    };
  }

  /** The first registered guard's refusal of a `kind` statement on `db`, if any. */
  guard(kind: DatabaseGuardKind, db: DatabaseRecord): SqlMessage | undefined {
    for (const g of this.guards) {
      if (g.kind !== kind) continue;
      const refused = g.guard({ id: db.id, name: db.name, replicaId: db.replicaId, groupDatabaseId: db.groupDatabaseId });
      if (refused) return refused;
    }
    return undefined;
  }

  /** Subscribes to commits; returns the unsubscribe function. */
  subscribe(listener: DatabaseCommitListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Records committed to `db`'s log that its log file does not have yet. */
  markAppended(db: DatabaseRecord, records: readonly LogRecord[]): void {
    if (db.system || records.length === 0) return;
    const list = this.appendedRecords.get(db.id) ?? [];
    list.push(...records);
    this.appendedRecords.set(db.id, list);
  }

  /** Marks a database for writing now (API changes made outside any journal). */
  markDirty(db: DatabaseRecord): void {
    this.catalogDirty = true;
    if (!db.system) this.dirtyDatabases.add(db.id);
  }

  /** True when something must be written. */
  get dirty(): boolean {
    return this.catalogDirty || this.dirtyDatabases.size > 0 || this.removedDatabases.size > 0 || this.appendedRecords.size > 0;
  }

  /**
   * What must be written (and forgets it): the catalog flag, user databases to rewrite whole, ids
   * whose files to delete, and records to append to the logs of databases not rewritten.
   */
  takeDirty(): DirtyDatabases {
    const write = [...this.dirtyDatabases].map((id) => this.byId(id)).filter((d): d is DatabaseRecord => d !== undefined);
    const append = [...this.appendedRecords]
      .filter(([id]) => !this.dirtyDatabases.has(id) && this.byId(id) !== undefined)
      .map(([id, records]) => ({ db: this.byId(id)!, records }));
    const out = { catalog: this.catalogDirty || write.length > 0 || this.removedDatabases.size > 0, write, remove: [...this.removedDatabases], append };
    this.catalogDirty = false;
    this.dirtyDatabases.clear();
    this.removedDatabases.clear();
    this.appendedRecords.clear();
    return out;
  }

  /** Puts back what {@link takeDirty} returned when writing failed, so the next write retries it. */
  restoreDirty(taken: DirtyDatabases): void {
    if (taken.catalog) this.catalogDirty = true;
    for (const db of taken.write) this.dirtyDatabases.add(db.id);
    for (const id of taken.remove) this.removedDatabases.add(id);
    // Records committed meanwhile come after the ones that failed to be written.
    for (const { db, records } of taken.append) this.appendedRecords.set(db.id, [...records, ...(this.appendedRecords.get(db.id) ?? [])]);
  }
}
