/**
 * One emulated instance behind the public `Engine`: its catalog, clock, folders, live sessions,
 * counters, fault hooks and persistence. Sessions call back here to persist after committed changes.
 */
import type { Catalog } from "./catalog";
import type { InstanceServices } from "./context";
import { FaultInjector } from "./faults";
import { saveDatabases } from "./databases/persistence";
import { saveState } from "./persistence";

/** Counters the reliability and performance work reads. */
export interface EngineCounters {
  /** Statements run, by kind: `SELECT`, `CREATE CERTIFICATE`, `SET`, `IF`, … */
  statements: Record<string, number>;
  /** Batches (and sp_executesql calls) received by `execute`. */
  batches: number;
  /** `authenticate` results. */
  logins: { succeeded: number; failed: number };
}

/** What the core needs to know about a live session. */
export interface SessionHandle {
  readonly loginId: number;
  readonly spid: number;
  /** The session's current database. */
  currentDatabase(): string;
  /** True while the session's open transaction holds changes not yet committed. */
  hasUncommittedChanges(): boolean;
  /** Rolls back and detaches (engine shutdown). */
  close(): void;
}

/** The instance. */
export class EngineCore {
  readonly faults = new FaultInjector();
  readonly counters: EngineCounters = { statements: {}, batches: 0, logins: { succeeded: 0, failed: 0 } };
  readonly sessions = new Set<SessionHandle>();
  private dirty = false;
  /** A background write's failure, reported by the next flush. */
  private persistError: unknown;
  private writing: Promise<void> = Promise.resolve();
  private nextSpid = 51;
  /** Listeners of {@link publishCommitted}; see `Engine.onCommitted`. */
  readonly committedListeners = new Set<() => void | Promise<void>>();
  /** A change was committed (or a transaction ended) since the listeners last ran. */
  private committedSinceNotice = false;

  /** What statements see of the instance. */
  readonly services: InstanceServices;

  constructor(
    readonly catalog: Catalog,
    services: Omit<InstanceServices, "connectedLogins">,
    private readonly dataDir: string | undefined,
  ) {
    this.services = { ...services, connectedLogins: () => this.connectedLogins() };
    services.databases.sessionDatabases = () => [...this.sessions].map((s) => ({ spid: s.spid, database: s.currentDatabase() }));
  }

  /** The next server process id (51, 52, … as SQL Server numbers user sessions). */
  allocateSpid(): number {
    return this.nextSpid++;
  }

  /** principal_ids of logins with a live session. */
  connectedLogins(): Set<number> {
    return new Set([...this.sessions].map((s) => s.loginId));
  }

  /** Notes that the catalog changed; it is written once no session holds uncommitted changes. */
  markDirty(): void {
    this.dirty = true;
  }

  /**
   * Writes the catalog if it changed and every change is committed. Uncommitted changes of an open
   * transaction are in the same in-memory catalog, so writing is deferred until that transaction ends.
   */
  async persistIfCommitted(): Promise<void> {
    if ((!this.dirty && !this.services.databases.dirty) || !this.dataDir) return;
    if ([...this.sessions].some((s) => s.hasUncommittedChanges())) return;
    await this.write(this.dataDir);
  }

  /** Writes master.json (when it changed) and the database layer's changed files, after any write in progress. */
  private write(dataDir: string): Promise<void> {
    const master = this.dirty;
    this.dirty = false;
    const next = this.writing.then(async () => {
      if (master) await saveState(dataDir, this.catalog.state);
      await saveDatabases(dataDir, this.services.databases);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** {@link persistIfCommitted} in the background (from synchronous COMMIT / ROLLBACK / close), then {@link publishCommitted}. */
  schedulePersist(): void {
    this.persistIfCommitted().catch((e: unknown) => {
      this.persistError = e;
    });
    void this.publishCommitted();
  }

  /** Notes that committed state may have changed: a statement committed, or a transaction ended (COMMIT or ROLLBACK). */
  noteCommitted(): void {
    this.committedSinceNotice = true;
  }

  /** After a statement: persist, then tell the listeners when something was committed. */
  async settle(): Promise<void> {
    await this.persistIfCommitted();
    await this.publishCommitted();
  }

  /**
   * Runs every committed-change listener once, in order, awaiting each (so a statement's reply
   * follows what the listeners did, e.g. an endpoint listener opened). A listener's failure is its
   * own business and never fails the statement.
   */
  async publishCommitted(): Promise<void> {
    if (!this.committedSinceNotice) return;
    this.committedSinceNotice = false;
    for (const listener of [...this.committedListeners]) {
      try {
        await listener();
      } catch {
        // The listener reports its own failures (the network layer logs them).
      }
    }
  }

  /**
   * Writes the catalog (serialized with any write in progress) unless a transaction holds uncommitted
   * changes: then the write waits for that transaction to end. Rejects with a background write's error.
   */
  async flush(): Promise<void> {
    const dataDir = this.dataDir;
    if (!dataDir) return;
    if ([...this.sessions].some((s) => s.hasUncommittedChanges())) {
      this.dirty = true;
    } else {
      this.dirty = true;
      await this.write(dataDir);
    }
    await this.writing;
    const error = this.persistError;
    this.persistError = undefined;
    if (error) throw error;
  }
}
