/**
 * The emulator's T-SQL engine: one SQL Server instance's `master` security catalog in memory, reached
 * through sessions that run T-SQL batches. No networking here; the TDS server calls a session's
 * `execute` / `beginTransaction` / `commit` / `rollback` / `reset` / `close`.
 *
 * ```ts
 * const engine = await Engine.open({ serverName: "sql1", saPassword: "S3cret!pass" });
 * const session = engine.openSession("sa");
 * const outcomes = await session.execute("SELECT name FROM sys.certificates WHERE name = @n", [{ name: "@n", type: "nvarchar", value: "c" }]);
 * ```
 */
import { mkdtemp, mkdir } from "node:fs/promises";
import { randomUUID, sign } from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import type { SqlMessage, SqlParameter, SqlValue, StatementOutcome } from "../results";
import { hasServerPermission, isSysadmin, userIdForLogin } from "./access";
import { AvailabilityGroupLayer } from "./availabilityGroups/layer";
import { Catalog, initialState } from "./catalog";
import { EngineCore, type EngineCounters } from "./core";
import { DatabaseLayer } from "./databases";
import { openError } from "./databases/access";
import { loadDatabases } from "./databases/persistence";
import { databaseSnapshot } from "./databases/snapshot";
import { DatabaseStore, initialDatabaseState } from "./databases/store";
import { sqlMessage } from "./errors";
import type { FaultHooks } from "./faults";
import type { EndpointState } from "./ast";
import type { MirroringConnectionRow } from "./dmv";
import { handshake, inbound, outbound, type EndpointTerms, type HandshakeResult, type PeerOffer, type PossessionProof, type SessionRole } from "./handshake";
import { newSymmetricKey } from "./keys";
import { hashLoginPassword, verifyLoginPassword } from "./passwords";
import { loadState } from "./persistence";
import { Session } from "./session";
import { SA_ID } from "./system";
import { VIEWS } from "./views";

export type { EngineCounters } from "./core";
export type { DatabaseLayer, DatabaseInfo } from "./databases";
export type { FaultHooks, InjectedError } from "./faults";
export type { EndpointTerms, HandshakeResult, PeerOffer, PossessionProof, SessionRole } from "./handshake";
export type { MirroringConnectionRow } from "./dmv";

/** The @@VERSION of an emulated instance unless `EngineOptions.version` says otherwise. */
export const DEFAULT_VERSION =
  "Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64) \n\tOct  8 2022 05:58:25 \n\tCopyright (C) 2022 Microsoft Corporation\n\tDeveloper Edition (64-bit) on Linux (pulumi-mssql-mirroring emulator) <X64>";

/** How to start an instance. */
export interface EngineOptions {
  /** @@SERVERNAME and SERVERPROPERTY('ServerName'). */
  serverName: string;
  /**
   * `sa`'s password. Applied at every open (also over a persisted state), so the instance glue's
   * configuration stays the source of truth; only its salted hash is kept.
   */
  saPassword: string;
  /** Folder for the persisted catalog (`master.json`); without it the instance lives in memory only. */
  dataDir?: string;
  /**
   * Folder for BACKUP CERTIFICATE / FROM FILE. Default: `<dataDir>/backup`, or a new temporary folder
   * when there is no dataDir.
   */
  backupDir?: string;
  /** The instance's clock (UTC). Default: the system clock. */
  now?: () => Date;
  /** @@VERSION text. Default {@link DEFAULT_VERSION} (SQL Server 2022 RTM on Linux). */
  version?: string;
  /**
   * Tells CREATE / ALTER ENDPOINT that another process holds a port (error 7890), e.g. the emulator's
   * own TDS port. Default: no port is taken outside the catalog.
   */
  portInUse?: (port: number) => boolean;
  /**
   * The established endpoint connections, for `sys.dm_db_mirroring_connections` (the network layer,
   * emulator/hadr, supplies them). Default: none.
   */
  mirroringConnections?: () => MirroringConnectionRow[];
  /**
   * Raises message N with severity S instead of the table's, e.g. `{ 15313: 10 }`. Microsoft's
   * message table lists 15313, 15557, 15558, 15559 (and other crypto messages) with severity 10,
   * while real servers are reported to stop the statement with 16, which is the emulator's default;
   * this lets a client be tested against both. A statement whose error is overridden to 10 or less
   * still does nothing (its changes are undone), but the message reaches the client as an
   * informational message, the batch goes on and @@ERROR is 0: exactly what a client sees from a
   * severity-10 message. Default: none.
   */
  messageSeverities?: Readonly<Record<number, number>>;
  /**
   * SERVERPROPERTY('IsHadrEnabled'): Always On availability groups are enabled (as SQL Server
   * Configuration Manager / mssql-conf hadr.hadrenabled set it). When false every availability-group
   * statement fails with 35221. Default true.
   */
  hadrEnabled?: boolean;
}

/** The instance's DATABASE_MIRRORING endpoint as the network layer needs it (a copy). */
export interface MirroringEndpointInfo {
  /** endpoint_id. */
  id: number;
  /** The endpoint's name. */
  name: string;
  /** STARTED listens and serves; DISABLED listens and refuses; STOPPED does not listen. */
  state: EndpointState;
  /** LISTENER_PORT. */
  port: number;
  /** LISTENER_IP as given, `null` for ALL. */
  ip: string | null;
  /** ENCRYPTION: DISABLED, SUPPORTED or REQUIRED. */
  encryption: EndpointTerms["encryption"];
  /** ALGORITHM, in preference order (empty when DISABLED). */
  algorithms: EndpointTerms["algorithms"];
  /** ROLE: WITNESS, PARTNER or ALL. */
  role: EndpointTerms["role"];
}

/** A refusal: the error-log message number and text (the inner message of 28047 / 28048). */
export interface HandshakeError {
  /** The message number, e.g. 28034. */
  number: number;
  /** Its text, with its State. */
  message: string;
}

/** Result of {@link Engine.endpointCredentials}: the certificate (DER) the endpoint presents and its terms. */
export type EndpointCredentials = { ok: true; certificate: Buffer; endpoint: EndpointTerms } | { ok: false; error: HandshakeError };

/** Result of {@link Engine.signWithEndpointCertificate}: the certificate and terms used, the bytes signed, the signature. */
export type EndpointSignature = { ok: true; certificate: Buffer; endpoint: EndpointTerms; data: Buffer; signature: Buffer } | { ok: false; error: HandshakeError };

/**
 * Result of {@link Engine.acceptPeer}: who was let in — the login validated for CONNECT and the
 * certificate_id of the local copy of the peer's certificate — and the local endpoint's terms; or the
 * refusal, with the login when one was identified (error-log message 28048 names it).
 */
export type PeerAcceptance =
  | { ok: true; login: string; certificateId: number; endpoint: EndpointTerms }
  | { ok: false; error: HandshakeError; login?: string };

/** Result of {@link Engine.authenticate}. */
export type AuthenticationResult = { ok: true } | { ok: false; error: SqlMessage };

/** A logged-in session; requests on it are sequential, as on one TDS connection without MARS. */
export interface EngineSession {
  /** The session's login name. */
  readonly login: string;
  /** @@SPID. */
  readonly spid: number;
  /**
   * Runs a batch, or an `sp_executesql` statement with its parameters (names with `@`). Resolves to
   * the outcomes in order; T-SQL errors are outcomes, never rejections. Stops before the next
   * statement once `signal` is aborted (ATTENTION).
   */
  execute(sql: string, params?: SqlParameter[], signal?: AbortSignal): Promise<StatementOutcome[]>;
  /** BEGIN TRANSACTION from a TDS transaction-manager request. */
  beginTransaction(): StatementOutcome[];
  /** COMMIT from a TDS transaction-manager request (3902 as an outcome when none is open). */
  commit(): StatementOutcome[];
  /** ROLLBACK from a TDS transaction-manager request (3903 as an outcome when none is open). */
  rollback(): StatementOutcome[];
  /** RESETCONNECTION: rolls back and restores the session's SET options. */
  reset(): void;
  /** The connection closed: rolls back and ends the session (its login may then be dropped). */
  close(): void;
}

/** Options of {@link Engine.openSession}. */
export interface SessionOptions {
  /** The spid the TDS server gave the connection. Default: the engine numbers sessions 51, 52, … */
  spid?: number;
  /** The initial database (LOGIN7's, checked with {@link Engine.checkInitialDatabase}). Default master. */
  database?: string;
}

/** Result of {@link Engine.checkInitialDatabase}: the database's name as the catalog spells it, or 4060. */
export type InitialDatabaseResult = { ok: true; database: string } | { ok: false; error: SqlMessage };

/** Every catalog view as plain JSON (binary as `0x…` hex, dates as ISO strings), for before/after comparisons. */
export type CatalogSnapshot = Record<string, Array<Record<string, string | number | boolean | null>>>;

/** Options of {@link checkHandshake}. */
export interface CheckHandshakeOptions {
  /** The role `from` plays: `replica` (availability group, default), `partner` or `witness` (database mirroring). */
  role?: SessionRole;
  /** The role `to` plays in a mirroring session. Default `partner`. */
  peerRole?: "partner" | "witness";
  /**
   * When the connection happens (certificate validity). Default: `from`'s clock. Over a real
   * connection (emulator/index.ts) it sets `from`'s own checks only; `to` uses its own clock.
   */
  at?: Date;
}

const cores = new WeakMap<Engine, EngineCore>();

function plain(v: SqlValue): string | number | boolean | null {
  if (Buffer.isBuffer(v)) return "0x" + v.toString("hex").toUpperCase();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return v.toString();
  return v;
}

/** One emulated SQL Server instance. */
export class Engine {
  private readonly layer: DatabaseLayer;
  private readonly groups: AvailabilityGroupLayer;

  private constructor(
    private readonly core: EngineCore,
    /** @@SERVERNAME. */
    readonly serverName: string,
    hadrEnabled: boolean,
  ) {
    cores.set(this, core);
    this.layer = new DatabaseLayer(core.services.databases, { persist: () => core.schedulePersist() });
    this.groups = new AvailabilityGroupLayer(
      core.catalog,
      this.layer,
      {
        persist: () => {
          core.markDirty();
          core.schedulePersist();
        },
        serverName,
        now: core.services.now,
      },
      hadrEnabled,
    );
    core.services.availabilityGroups = this.groups;
  }

  /** Starts an instance, loading its catalog from `dataDir` when one was saved there. */
  static async open(o: EngineOptions): Promise<Engine> {
    const now = o.now ?? (() => new Date());
    const loaded = o.dataDir ? await loadState(o.dataDir) : undefined;
    const state = loaded ?? initialState(now(), newSymmetricKey(), randomUUID().toUpperCase(), hashLoginPassword(o.saPassword));
    const sa = state.logins.find((l) => l.id === SA_ID);
    // Re-hash only when the configured password changed, so an unchanged instance stays byte-identical.
    if (sa && !verifyLoginPassword(sa.passwordHash, o.saPassword)) sa.passwordHash = hashLoginPassword(o.saPassword);
    const backupDir = path.resolve(o.backupDir ?? (o.dataDir ? path.join(o.dataDir, "backup") : await mkdtemp(path.join(os.tmpdir(), "mssql-emulator-backup-"))));
    await mkdir(backupDir, { recursive: true });
    const loadedDatabases = o.dataDir ? await loadDatabases(o.dataDir) : undefined;
    const databases = new DatabaseStore(loadedDatabases ?? initialDatabaseState(state.serverCreateDate), now);
    // A data folder from before the database layer gets its system databases written now.
    if (!loadedDatabases) databases.markDirty(databases.byId(1)!);
    const services = {
      serverName: o.serverName, version: o.version ?? DEFAULT_VERSION, now, backupDir, portInUse: o.portInUse ?? (() => false),
      mirroringConnections: o.mirroringConnections ?? (() => []),
      messageSeverities: { ...(o.messageSeverities ?? {}) },
      databases,
    };
    const core = new EngineCore(new Catalog(state), services, o.dataDir);
    core.markDirty();
    await core.flush();
    return new Engine(core, o.serverName, o.hadrEnabled ?? true);
  }

  /**
   * Checks a SQL login's password (LOGIN7). Failures are 18456 class 14 "Login failed for user 'x'."
   * whatever the reason, with the error-log state telling them apart: 5 unknown login, 8 wrong
   * password, 7 disabled, 12 CONNECT SQL denied; 18488 when the password must be changed.
   */
  authenticate(login: string, password: string): AuthenticationResult {
    const record = this.core.catalog.loginByName(login);
    const failure = (state: number, number = 18456): AuthenticationResult => {
      this.core.counters.logins.failed++;
      return { ok: false, error: sqlMessage(number, [login], { state }) };
    };
    if (!record) return failure(5);
    if (!verifyLoginPassword(record.passwordHash, password)) return failure(8);
    if (record.disabled) return failure(7);
    if (!hasServerPermission(this.core.catalog, record.id, "COSQ")) return failure(12);
    if (record.mustChange) return failure(1, 18488);
    this.core.counters.logins.succeeded++;
    return { ok: true };
  }

  /**
   * May `login` start in `database` (LOGIN7's initial database; '' means the login's default)? It
   * must exist and open for the login (state, access, permission); otherwise 4060 "Cannot open
   * database "x" requested by the login. The login failed.".
   */
  checkInitialDatabase(login: string, database: string): InitialDatabaseResult {
    const record = this.core.catalog.loginByName(login);
    const requested = database === "" ? (record?.defaultDatabase ?? "master") : database;
    const db = this.core.services.databases.byName(requested);
    if (record && db) {
      const sysadmin = isSysadmin(this.core.catalog, record.id);
      const user = { catalog: this.core.catalog, viewer: { loginId: record.id, sysadmin, userId: userIdForLogin(this.core.catalog, record.id) } };
      if (!openError(user, db)) return { ok: true, database: db.name };
    }
    return { ok: false, error: sqlMessage(4060, [requested]) };
  }

  /** Opens a session for an existing login (authenticate first); throws for an unknown login. */
  openSession(login: string, options: SessionOptions = {}): EngineSession {
    const record = this.core.catalog.loginByName(login);
    if (!record) throw new Error(`login '${login}' does not exist`);
    const database = options.database === undefined ? "master" : this.core.services.databases.byName(options.database)?.name;
    if (database === undefined) throw new Error(`database '${options.database}' does not exist`);
    const session = new Session(this.core, record.id, options.spid ?? this.core.allocateSpid(), database);
    return {
      get login() {
        return session.login;
      },
      spid: session.state.spid,
      execute: (sql, params, signal) => session.execute(sql, params ?? [], signal),
      beginTransaction: () => session.beginTransaction(),
      commit: () => session.commit(),
      rollback: () => session.rollback(),
      reset: () => session.reset(),
      close: () => session.close(),
    };
  }

  /** Fault injection: the next matching statement(s) fail with a given error instead of running. */
  get faults(): FaultHooks {
    return this.core.faults;
  }

  /** The database layer: databases, their logs, and the API the replication layers use. */
  get databases(): DatabaseLayer {
    return this.layer;
  }

  /** The availability groups this instance hosts a replica of, and their live state (the hadr/ layer's API). */
  get availabilityGroups(): AvailabilityGroupLayer {
    return this.groups;
  }

  /** Statement, batch and login counters (live objects). */
  get counters(): EngineCounters {
    return this.core.counters;
  }

  /**
   * Every catalog view's rows, as sysadmin sees them in master, plus msdb's backup history
   * (`msdb.dbo.backupset`, …) and, for each user database, `<db>.sys.tables` and every table's rows
   * (`<db>.dbo.<table>`).
   */
  snapshot(): CatalogSnapshot {
    const ctx = { catalog: this.core.catalog, viewer: { loginId: SA_ID, sysadmin: true, userId: 1 }, database: "master", databases: this.core.services.databases };
    const out: CatalogSnapshot = {};
    const rowsOf = (view: { columns: Array<{ name: string }>; rows(c: typeof ctx): SqlValue[][] }, c: typeof ctx) =>
      view.rows(c).map((row) => Object.fromEntries(view.columns.map((col, i) => [col.name, plain(row[i]!)])));
    for (const [name, view] of VIEWS) out[name] = rowsOf(view, ctx);
    for (const [name, view] of databaseSnapshot(ctx)) out[name] = rowsOf(view, { ...ctx, database: view.database });
    return out;
  }

  /** The instance's clock. */
  now(): Date {
    return this.core.services.now();
  }

  /** The DATABASE_MIRRORING endpoint, if there is one (a copy: changing it changes nothing). */
  mirroringEndpoint(): MirroringEndpointInfo | undefined {
    const e = this.core.catalog.mirroringEndpoint();
    if (!e) return undefined;
    return { id: e.id, name: e.name, state: e.state, port: e.port, ip: e.ip, encryption: e.encryption, algorithms: [...e.algorithms], role: e.role };
  }

  /**
   * Calls `listener` after committed state may have changed: after a statement that changed
   * committed state outside a transaction, after the outermost COMMIT, after any ROLLBACK (also a
   * disconnect's). A statement's reply waits for the listeners (awaited in turn, failures ignored),
   * so a client sees their effects once its statement returns; after a TDS COMMIT / ROLLBACK request
   * they run in the background. Returns the unsubscribe function. This is the network layer's cue to
   * make the endpoint listener follow the catalog; the engine itself does no networking.
   */
  onCommitted(listener: () => void | Promise<void>): () => void {
    this.core.committedListeners.add(listener);
    return () => this.core.committedListeners.delete(listener);
  }

  /**
   * The connecting side's half of the handshake rule, without signing: the endpoint exists, is
   * STARTED and allows CERTIFICATE authentication; its certificate exists, its private key opens
   * unattended (SMK → DMK → key) and it is valid at `at` (default: the instance's clock). Fails with
   * the same numbers as the catalog check (28080 State 1, 9666, 28027, 28036, 28037, 28022 / 28023).
   */
  endpointCredentials(at?: Date): EndpointCredentials {
    const own = outbound(this.core.catalog, at ?? this.core.services.now());
    if (!own.ok) return own;
    return { ok: true, certificate: own.cert.der, endpoint: terms(own.endpoint) };
  }

  /**
   * Signs `data` (RSA PKCS#1 v1.5, SHA-256) with the private key of the endpoint's certificate,
   * opened through the service master key → database master key chain after the checks of
   * {@link endpointCredentials}. The key never leaves the engine: only the signature does. `data`
   * may be a function of the certificate (DER) and terms being used, so that what is signed names
   * the very certificate that signs it, even when the endpoint switches certificates meanwhile.
   */
  signWithEndpointCertificate(data: Buffer | ((certificate: Buffer, endpoint: EndpointTerms) => Buffer), at?: Date): EndpointSignature {
    const own = outbound(this.core.catalog, at ?? this.core.services.now());
    if (!own.ok) return own;
    const endpoint = terms(own.endpoint);
    const bytes = typeof data === "function" ? data(own.cert.der, endpoint) : data;
    return { ok: true, certificate: own.cert.der, endpoint, data: bytes, signature: sign("sha256", bytes, own.key) };
  }

  /**
   * The accepting side's half of the handshake rule, for a connection presenting `offer` and proving
   * possession with `proof` (verified with the public key of the local copy of the peer's certificate,
   * found by issuer + serial number): endpoint, encryption, roles, the copy (28035 / 28045), the proof
   * (28038), the copy's validity at `at` (default: the instance's clock) and its owner's CONNECT (28034).
   */
  acceptPeer(offer: PeerOffer, proof: PossessionProof, at?: Date): PeerAcceptance {
    const decision = inbound(this.core.catalog, offer, at ?? this.core.services.now(), proof);
    if (!decision.ok) return decision;
    return { ok: true, login: decision.login, certificateId: decision.certificateId, endpoint: terms(decision.endpoint) };
  }

  /** Writes the catalog to `dataDir` (it is also written after every committed change). */
  flush(): Promise<void> {
    return this.core.flush();
  }

  /** Ends every session (rolling back open transactions) and writes the catalog. */
  async close(): Promise<void> {
    for (const s of [...this.core.sessions]) s.close();
    await this.core.flush();
  }
}

function terms(e: EndpointTerms): EndpointTerms {
  return { encryption: e.encryption, algorithms: [...e.algorithms], role: e.role };
}

/**
 * Would `from` be accepted by `to` on a mirroring / availability-group connection with certificate
 * authentication? Returns the error-log message number and text of the first failed check. This is
 * the acceptance rule on the two catalogs alone; the public `checkHandshake` of emulator/index.ts
 * makes a real connection between the instances' endpoints instead.
 */
export function checkHandshake(from: Engine, to: Engine, opts: CheckHandshakeOptions = {}): HandshakeResult {
  const a = cores.get(from)!;
  const b = cores.get(to)!;
  return handshake(a.catalog, b.catalog, opts.at ?? a.services.now(), opts);
}
