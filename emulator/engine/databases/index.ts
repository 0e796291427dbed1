/**
 * The database layer's API for the replication layers (availability groups, database mirroring,
 * the `hadr/` transport): `engine.databases` on an {@link Engine}. No networking here — a layer
 * reads committed log records on one instance, ships them its own way, and applies them on another.
 *
 * ```ts
 * // Primary: ship every commit.
 * const stop = primary.databases.onCommit((e) => {
 *   if (e.origin === "session" && e.database === "sales") send(encodeLogRecords(e.records));
 * });
 * // Secondary: a copy restored WITH NORECOVERY (or seeded with restoreImage) stays RESTORING…
 * secondary.databases.applyLog("sales", decodeLogRecords(received));
 * // …or becomes a readable secondary: ONLINE for readers, writes refused with 3906.
 * secondary.databases.setState("sales", "ONLINE");
 * secondary.databases.setAccess("sales", { kind: "readOnly" });
 * secondary.databases.setAvailabilityGroupIds("sales", { replicaId, groupDatabaseId });
 * ```
 *
 * Rules the API keeps:
 * - Only committed work is in the log. A transaction's records share one LSN block, are appended
 *   when it commits and announced once; a rolled-back change writes nothing and announces nothing.
 * - Every record names the LSN before it (`previousLsn`). {@link DatabaseLayer.applyLog} skips
 *   records the database already has and refuses a gap, so re-sending is safe and a lost record is
 *   detected.
 * - Records can be applied only to a database sessions cannot write to (RESTORING, or not
 *   `readWrite`), never under a live writer.
 * - Changes made through this API are persisted in `dataDir` like sessions' changes, and survive
 *   `restart()`.
 *
 * See emulator/README.md ("Databases, tables, backup and restore" and "Engine API for the
 * replication layers") for the T-SQL side.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { SqlMessage } from "../../results";
import { Journal } from "../journal";
import { captureImage, databaseFromImage, type DatabaseImage } from "./image";
import { nextTransactionLsn } from "./lsn";
import type { DatabaseAccess, DatabaseRecord, DatabaseState, LogRecord, RecoveryModel } from "./model";
import { applyLogBody, DatabaseLayerError, type DatabaseCommitListener, type DatabaseGuard, type DatabaseGuardKind, type DatabaseStore } from "./store";

export { decodeImage, decodeLogRecords, encodeImage, encodeLogRecords, type DatabaseImage } from "./image";
export { formatLsn, nextTransactionLsn } from "./lsn";
export type { ColumnDefinition, DatabaseAccess, DatabaseState, LogRecord, LogRecordBody, RecoveryModel, TableColumnType, TableDefinition } from "./model";
export { DatabaseLayerError, type DatabaseCommitEvent, type DatabaseCommitListener, type DatabaseGuard, type DatabaseGuardKind } from "./store";

/** A read-only view of one database. */
export interface DatabaseInfo {
  /** database_id. */
  id: number;
  name: string;
  /** True for master, tempdb, model and msdb. */
  system: boolean;
  /** sys.databases.state_desc. */
  state: DatabaseState;
  recoveryModel: RecoveryModel;
  /** Who may read and write it (see {@link DatabaseAccess}). */
  access: DatabaseAccess;
  /** sys.databases.replica_id / group_database_id (null outside an availability group). */
  replicaId: string | null;
  groupDatabaseId: string | null;
  /** LSN of the last committed log record (null when the log is empty). */
  lastLsn: bigint | null;
  /** LSN the next commit will start at (a backup's last_lsn, a replica's redo point). */
  nextLsn: bigint;
  databaseGuid: string;
  /** family_guid: equal on a database and every copy restored from its backups. */
  familyGuid: string;
  recoveryForkGuid: string;
  /** True once a full backup started a log chain (BACKUP LOG needs one: 4214); false again after a switch to SIMPLE. */
  hasLogChain: boolean;
  /** Where the next log backup starts (sys.database_recovery_status.last_log_backup_lsn), null when none can be taken. */
  nextLogBackupLsn: bigint | null;
  /** spids of the sessions whose current database it is. */
  sessions: number[];
  /** Table names (dbo schema), in object_id order. */
  tables: string[];
}

/** What the API needs from the engine around it. */
export interface DatabaseLayerHooks {
  /** Write changed state to `dataDir` in the background (after changes made outside sessions). */
  persist(): void;
}

function info(store: DatabaseStore, db: DatabaseRecord): DatabaseInfo {
  const chain = db.recoveryModel !== "SIMPLE" && db.backup.logChainStartLsn !== null;
  return {
    id: db.id,
    name: db.name,
    system: db.system,
    state: db.state,
    recoveryModel: db.recoveryModel,
    access: db.access,
    replicaId: db.replicaId,
    groupDatabaseId: db.groupDatabaseId,
    lastLsn: db.lastLsn,
    nextLsn: nextTransactionLsn(db.lastLsn),
    databaseGuid: db.databaseGuid,
    familyGuid: db.familyGuid,
    recoveryForkGuid: db.recoveryForkGuid,
    hasLogChain: chain,
    nextLogBackupLsn: chain ? (db.backup.lastLogBackupLsn ?? db.backup.logChainStartLsn) : null,
    sessions: store.sessionsIn(db),
    tables: [...db.tables].sort((a, b) => a.objectId - b.objectId).map((t) => t.name),
  };
}

const STATES: ReadonlySet<string> = new Set(["ONLINE", "RESTORING", "RECOVERING", "RECOVERY_PENDING", "SUSPECT", "EMERGENCY", "OFFLINE"]);

/** The database layer of one instance (see the module comment). */
export class DatabaseLayer {
  constructor(
    private readonly store: DatabaseStore,
    private readonly hooks: DatabaseLayerHooks,
  ) {}

  private database(name: string): DatabaseRecord {
    const db = this.store.byName(name);
    if (!db) throw new DatabaseLayerError(`database '${name}' does not exist`);
    return db;
  }

  /** Runs `change` through a journal that commits at once, then persists. */
  private change(run: (journal: Journal) => void): void {
    const journal = new Journal();
    try {
      run(journal);
    } catch (e) {
      journal.rollback();
      throw e;
    }
    journal.commit();
    this.hooks.persist();
  }

  /** Every database, by database_id. */
  list(): DatabaseInfo[] {
    return [...this.store.state.databases].sort((a, b) => a.id - b.id).map((d) => info(this.store, d));
  }

  /** One database by name (the instance collation: case-insensitive), or undefined. */
  get(name: string): DatabaseInfo | undefined {
    const db = this.store.byName(name);
    return db ? info(this.store, db) : undefined;
  }

  /**
   * Committed log records of `name` with an LSN greater than `afterLsn` (all when null / omitted),
   * oldest first. The emulator never truncates a log, so any LSN since the database was created or
   * restored can be read. The records are copies; their values must not be mutated.
   */
  readLog(name: string, afterLsn: bigint | null = null): LogRecord[] {
    return this.database(name)
      .log.filter((r) => afterLsn === null || r.lsn > afterLsn)
      .map((r) => ({ ...r }));
  }

  /**
   * Applies records shipped from another copy of the database (same family_guid) to `name`, in LSN
   * order, atomically: either all new records apply or none. Records the database already has
   * (LSN ≤ its last LSN) are skipped; a record whose `previousLsn` is not the database's last LSN is
   * a gap and throws {@link DatabaseLayerError}. Refused for a database sessions can write to
   * (ONLINE and `readWrite`). Announces the applied records with origin `apply`.
   */
  applyLog(name: string, records: readonly LogRecord[]): { applied: number; lastLsn: bigint | null } {
    const db = this.database(name);
    if (db.state === "ONLINE" && db.access.kind === "readWrite") {
      throw new DatabaseLayerError(`database '${db.name}' is ONLINE and read-write: set it RESTORING or not read-write before applying log records`);
    }
    const sorted = [...records].sort((a, b) => (a.lsn < b.lsn ? -1 : a.lsn > b.lsn ? 1 : 0));
    const applied: LogRecord[] = [];
    this.change((journal) => {
      let last = db.lastLsn;
      for (const r of sorted) {
        if (last !== null && r.lsn <= last) continue;
        if (r.previousLsn !== last) {
          throw new DatabaseLayerError(`log record ${r.lsn} of '${db.name}' follows ${String(r.previousLsn)}, but the database ends at ${String(last)}: records are missing`);
        }
        applyLogBody(db, r, journal);
        const copy = { ...r };
        journal.insert(db.log, copy);
        journal.assign(db, "lastLsn", r.lsn);
        applied.push(copy);
        last = r.lsn;
      }
      journal.onCommit(() => this.store.markAppended(db, applied));
    });
    if (applied.length) this.store.emit({ database: db.name, databaseId: db.id, records: applied, origin: "apply" });
    return { applied: applied.length, lastLsn: db.lastLsn };
  }

  /**
   * Sets a database's state (sys.databases.state_desc): e.g. RESTORING for a secondary that must not
   * be opened, ONLINE for a failover target. Sessions then get the state's error when they open it
   * (927 RESTORING, 922 RECOVERING, 926 RECOVERY_PENDING / SUSPECT, 942 OFFLINE).
   */
  setState(name: string, state: DatabaseState): void {
    if (!STATES.has(state)) throw new DatabaseLayerError(`unknown database state '${String(state)}'`);
    const db = this.database(name);
    if (db.system) throw new DatabaseLayerError(`the state of system database '${db.name}' cannot be changed`);
    this.change((journal) => {
      this.store.set(journal, db, "state", state);
      if (state === "ONLINE") this.store.set(journal, db, "restore", undefined);
    });
  }

  /**
   * Sets who may read and write (see {@link DatabaseAccess}): `readOnly` for a readable secondary
   * (writes fail with the given error, default 3906), `notAccessible` with the error sessions get
   * (e.g. 976), `readWrite` to lift either.
   */
  setAccess(name: string, access: DatabaseAccess): void {
    const db = this.database(name);
    if (db.system) throw new DatabaseLayerError(`the access of system database '${db.name}' cannot be changed`);
    this.change((journal) => this.store.set(journal, db, "access", access.kind === "readWrite" ? { kind: "readWrite" } : { ...access }));
  }

  /** Sets (or clears, with null) sys.databases.replica_id and group_database_id. */
  setAvailabilityGroupIds(name: string, ids: { replicaId: string; groupDatabaseId: string } | null): void {
    const db = this.database(name);
    this.change((journal) => {
      this.store.set(journal, db, "replicaId", ids ? ids.replicaId.toUpperCase() : null);
      this.store.set(journal, db, "groupDatabaseId", ids ? ids.groupDatabaseId.toUpperCase() : null);
    });
  }

  /**
   * Calls `listener` synchronously after every commit that added log records to a database (and
   * after every {@link applyLog}); returns the unsubscribe function. A listener must not throw.
   */
  onCommit(listener: DatabaseCommitListener): () => void {
    return this.store.subscribe(listener);
  }

  /**
   * An image of `name` as it is now (tables, rows, identity, last LSN) for automatic seeding; it
   * carries no log records (the replica continues from `lastLsn` with {@link applyLog}).
   */
  createImage(name: string): DatabaseImage {
    return captureImage(this.database(name), null);
  }

  /**
   * Creates (or, with `replace`, overwrites) a database from an image, in state `state` (default
   * RESTORING), owned by sa. Refused when a database of that name exists, unless `replace` — and
   * never over a database sessions are using.
   */
  restoreImage(image: DatabaseImage, options: { name?: string; replace?: boolean; state?: DatabaseState } = {}): DatabaseInfo {
    const name = options.name ?? image.name;
    const existing = this.store.byName(name);
    if (existing?.system) throw new DatabaseLayerError(`'${existing.name}' is a system database`);
    if (existing && !options.replace) throw new DatabaseLayerError(`database '${existing.name}' exists (pass replace to overwrite it)`);
    if (existing && this.store.sessionsIn(existing).length) throw new DatabaseLayerError(`database '${existing.name}' is in use by sessions ${this.store.sessionsIn(existing).join(", ")}`);
    let created!: DatabaseRecord;
    this.change((journal) => {
      const id = existing?.id ?? this.store.allocate(journal, "database");
      created = databaseFromImage(image, {
        id,
        name: existing?.name ?? name,
        ownerSid: Buffer.from([0x01]),
        state: options.state ?? "RESTORING",
        databaseGuid: randomUUID().toUpperCase(),
        serviceBrokerGuid: randomUUID().toUpperCase(),
      });
      if (existing) this.store.replace(journal, existing, created);
      else this.store.add(journal, created);
    });
    return info(this.store, created);
  }

  /**
   * Lets a layer refuse a statement on a database with SQL Server's error, e.g. DROP DATABASE of an
   * availability database, RESTORE over a mirrored one: `kind` is `drop` (DROP DATABASE), `alter`
   * (ALTER DATABASE … SET RECOVERY: the error comes before 5069), `backup` (before 3013) or
   * `restore` (before 3013). The guard sees the database's id, name and availability-group ids and
   * returns the error, or undefined to let the statement run. Returns the function that removes it.
   */
  addGuard(kind: DatabaseGuardKind, guard: DatabaseGuard): () => void {
    return this.store.addGuard(kind, guard);
  }

  /** spids of the sessions whose current database is `name`. */
  sessionsUsing(name: string): number[] {
    return this.store.sessionsIn(this.database(name));
  }
}

/** The error object a `notAccessible` / `readOnly` access carries, from a number and text (state 1, severity 14 unless given). */
export function accessError(number: number, message: string, options: { severity?: number; state?: number } = {}): SqlMessage {
  return { number, message, class: options.severity ?? 14, state: options.state ?? 1, line: 1 };
}
