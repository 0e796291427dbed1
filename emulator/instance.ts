/**
 * One emulated SQL Server instance: the T-SQL engine behind the TDS server, plus what tests and
 * benchmarks need around them — counters, fault hooks, restart with state kept in `dataDir`.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { SqlMessage } from "./results";
import { generateSelfSignedCertificate } from "./crypto/x509";
import { DEFAULT_VERSION, Engine, type CatalogSnapshot, type EngineSession, type InjectedError } from "./engine/engine";
import { ConnectionManager } from "./hadr/manager";
import { AvailabilityGroupReplication } from "./hadr/availabilityGroups/replication";
import type { TdsHandler, TdsSession, SessionReply, RequestContext } from "./tds/handler";
import type { ServerVersion } from "./tds/prelogin";
import { startTdsServer, type TdsServer } from "./tds/server";

/** How to start an instance. */
export interface EmulatorOptions {
  /** `sa`'s password (required; there is no default password). */
  saPassword: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1; the emulator is for local tests only. */
  host?: string;
  /** @@SERVERNAME and the name in error messages. Default `SQLEMU<n>`, numbered per process. */
  name?: string;
  /** Keeps the catalog in `<dataDir>/master.json` across restarts. Default: memory only. */
  dataDir?: string;
  /** Folder for BACKUP CERTIFICATE / FROM FILE. Default `<dataDir>/backup` or a temporary folder. */
  backupDir?: string;
  /** The TLS certificate and key (PEM). Default: one self-signed certificate for localhost/127.0.0.1, shared by the process's instances. */
  tls?: { cert: string; key: string };
  /** The instance's clock. Default: the system clock. */
  now?: () => Date;
  /**
   * Receives the instance's error-log lines: protocol violations, cancels, refused logins, and its
   * mirroring endpoint's (listening, port in use, refused connections). Default: discarded.
   */
  log?: (line: string) => void;
  /**
   * Severity to raise message N with instead of the emulator's, e.g. `{ 15313: 10 }` to send the
   * wrong-password message as Microsoft's message table lists it (informational: the statement does
   * nothing, the client sees no error). Default: none. See EngineOptions.messageSeverities.
   */
  messageSeverities?: Readonly<Record<number, number>>;
  /**
   * Always On availability groups enabled (SERVERPROPERTY('IsHadrEnabled') = 1), as SQL Server
   * Configuration Manager or mssql-conf's hadr.hadrenabled set it. When false, every
   * availability-group statement fails with 35221. Default true.
   */
  hadrEnabled?: boolean;
}

/** What an instance has been asked to do, for round-trip assertions and benchmarks. */
export interface EmulatorCounters {
  /** Successful logins (LOGIN7 accepted). */
  logins: number;
  /** Refused logins (bad password, unknown or disabled login, injected refusals). */
  failedLogins: number;
  /** Requests received on logged-in connections: batches + RPCs + transaction-manager requests. */
  requests: number;
  /** SQL_BATCH requests (tedious sends one, its SET batch, after every login). */
  batches: number;
  /** RPC requests (sp_executesql: mssql's `query()`, and its `SELECT 1;` pool validation). */
  rpcs: number;
  /** TRANSACTION_MANAGER requests (begin / commit / rollback of `sql.Transaction`). */
  transactionRequests: number;
  /**
   * Statements that started, by kind (`SET`, `SELECT`, `CREATE CERTIFICATE`, `IF`, …), whether they
   * then succeeded or failed; none for a batch that does not compile or a statement `failNext` stopped.
   */
  statements: Record<string, number>;
}

/**
 * Fault hooks for reliability tests. Every hook is bounded by a count (default 1) and clears itself;
 * `dropConnections` acts once, now.
 */
export interface EmulatorFaults {
  /** Drops every open client connection now. */
  dropConnections(): void;
  /**
   * Cuts every established mirroring-endpoint connection now, both directions (as a network failure
   * would); links reconnect on their own. Returns how many were cut.
   */
  dropEndpointConnections(): number;
  /** The next `times` statements matching `pattern` (substring, case-insensitive, or RegExp) fail with `error` without running. */
  failNext(pattern: RegExp | string, error: number | InjectedError, times?: number): void;
  /**
   * The next `times` requests whose text matches `pattern` lose their connection: `before` it runs
   * (nothing happens on the server) or `after` it ran (the change is made, the reply is lost).
   */
  dropConnectionOn(pattern: RegExp | string, when: "before" | "after", times?: number): void;
  /**
   * The replies to the next `times` batches / RPCs (default 1; `Infinity` until turned off) are held
   * back `ms` milliseconds after the request ran; a cancel (ATTENTION, e.g. a client timeout) ends the
   * wait. `delayResponses(0)` turns it off.
   */
  delayResponses(ms: number, times?: number): void;
  /** The next `times` logins are refused with 18456, whatever the password. */
  refuseLogins(times?: number): void;
  /** Removes every pending fault. */
  clear(): void;
}

/** A running emulated instance. */
export interface EmulatorInstance {
  /** @@SERVERNAME. */
  readonly name: string;
  /** Listening address (127.0.0.1 unless told otherwise). */
  readonly host: string;
  /** Listening TCP port. */
  readonly port: number;
  /** PEM of the TLS certificate: give it to clients as `ca` to connect with `encrypt: true` and full validation. */
  readonly tlsCertificate: string;
  /** Where BACKUP CERTIFICATE writes and FROM FILE reads (relative names resolve here). */
  readonly backupDir: string;
  /** Live counters. */
  readonly counters: EmulatorCounters;
  /** Fault hooks. */
  readonly faults: EmulatorFaults;
  /** The T-SQL engine (for in-process sessions and catalog snapshots). */
  readonly engine: Engine;
  /**
   * The DATABASE_MIRRORING endpoint's network side: its listener, its connections in both
   * directions, links to peers, `endpointUrl` (emulator/hadr/manager.ts).
   */
  readonly hadr: ConnectionManager;
  /** Every catalog view as plain JSON, for exact before/after comparisons. */
  catalog(): CatalogSnapshot;
  /** Zeroes the counters. */
  resetCounters(): void;
  /** Stops and starts again on the same port; the catalog survives (reloaded from `dataDir` when given). */
  restart(): Promise<void>;
  /** Stops listening, drops connections and writes the catalog. */
  stop(): Promise<void>;
}

/**
 * The product version, stated once: the engine's @@VERSION / SERVERPROPERTY('ProductVersion') text,
 * and its major.minor.build in the TDS PRELOGIN and LOGINACK replies (SQL Server 2022 RTM, 16.0.1000).
 */
const VERSION_TEXT = DEFAULT_VERSION;
const TDS_VERSION: ServerVersion = tdsVersion(VERSION_TEXT);

function tdsVersion(text: string): ServerVersion {
  const m = /(\d+)\.(\d+)\.(\d+)\.\d+/.exec(text);
  if (!m) throw new Error(`no version number in ${JSON.stringify(text)}`);
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]) };
}

let sharedTls: Promise<{ cert: string; key: string }> | undefined;
let started = 0;

/** One TLS certificate for every instance of this process: key generation is the slow part of a start. */
function defaultTls(): Promise<{ cert: string; key: string }> {
  sharedTls ??= generateSelfSignedCertificate({
    subject: "pulumi-mssql-mirroring emulator",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 3_650 * 86_400_000),
    altNames: ["localhost", "127.0.0.1", "::1"],
  }).then((c) => ({ cert: c.certPem, key: c.privateKeyPem }));
  return sharedTls;
}

interface Pending {
  test: (text: string) => boolean;
  remaining: number;
}

function matcher(pattern: RegExp | string): (text: string) => boolean {
  if (typeof pattern === "string") return (text) => text.toLowerCase().includes(pattern.toLowerCase());
  return (text) => {
    pattern.lastIndex = 0;
    return pattern.test(text);
  };
}

/** Consumes one use of the first pending entry matching `text`. */
function take(list: Pending[], text: string): boolean {
  const entry = list.find((p) => p.test(text));
  if (!entry) return false;
  if (--entry.remaining <= 0) list.splice(list.indexOf(entry), 1);
  return true;
}

function refusal(userName: string): SqlMessage {
  return { number: 18456, state: 1, class: 14, message: `Login failed for user '${userName}'.`, line: 1 };
}

/** Starts an emulated SQL Server instance. */
export async function startEmulator(options: EmulatorOptions): Promise<EmulatorInstance> {
  if (typeof options.saPassword !== "string" || options.saPassword === "") throw new Error("startEmulator: saPassword is required");
  const tls = options.tls ?? (await defaultTls());
  const host = options.host ?? "127.0.0.1";
  const counters: Omit<EmulatorCounters, "statements" | "logins" | "failedLogins"> = { requests: 0, batches: 0, rpcs: 0, transactionRequests: 0 };
  let refusedLogins = 0;
  let refuseNext = 0;
  let delayMs = 0;
  let delayedReplies = 0;
  const dropBefore: Pending[] = [];
  const dropAfter: Pending[] = [];
  let port = options.port ?? 0;
  const name = options.name ?? `SQLEMU${++started}`;
  const backupDir = path.resolve(
    options.backupDir ?? (options.dataDir !== undefined ? path.join(options.dataDir, "backup") : await mkdtemp(path.join(os.tmpdir(), "mssql-emulator-backup-"))),
  );
  let engine!: Engine;
  let server: TdsServer | undefined;
  const hadr = new ConnectionManager({ serverName: name, host, ...(options.log ? { log: options.log } : {}), ...(options.now ? { now: options.now } : {}) });
  const replication = new AvailabilityGroupReplication(hadr);

  const openEngine = () =>
    Engine.open({
      serverName: name,
      saPassword: options.saPassword,
      version: VERSION_TEXT,
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      backupDir,
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.messageSeverities !== undefined ? { messageSeverities: options.messageSeverities } : {}),
      // The instance's own TDS port is taken: an endpoint cannot listen on it (7890).
      portInUse: (p) => p === server?.port,
      mirroringConnections: () => hadr.connectionRows(),
      hadrEnabled: options.hadrEnabled ?? true,
    });

  const wrap = (session: EngineSession): TdsSession => ({
    async execute(sql: string, params, ctx: RequestContext): Promise<SessionReply> {
      counters.requests++;
      if (ctx.kind === "rpc") counters.rpcs++;
      else counters.batches++;
      if (take(dropBefore, sql)) return { outcomes: [], disconnect: true };
      const outcomes = await session.execute(sql, params, ctx.signal);
      if (take(dropAfter, sql)) return { outcomes, disconnect: true };
      if (delayMs > 0 && delayedReplies > 0) {
        delayedReplies--;
        await sleep(delayMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
      return { outcomes };
    },
    async transaction(request): Promise<SessionReply> {
      counters.requests++;
      counters.transactionRequests++;
      if (request === "begin") return { outcomes: session.beginTransaction() };
      if (request === "commit") return { outcomes: session.commit() };
      if (request === "rollback") return { outcomes: session.rollback() };
      return { outcomes: [] };
    },
    reset: () => session.reset(),
    close: () => session.close(),
  });

  const handler: TdsHandler = {
    async login(request, connection) {
      if (refuseNext > 0) {
        refuseNext--;
        refusedLogins++;
        return { error: refusal(request.userName) };
      }
      const result = engine.authenticate(request.userName, request.password);
      if (!result.ok) {
        // As SQL Server: the client is told state 1 whatever the reason; the reason's state (5 unknown
        // login, 8 wrong password, 7 disabled, 12 CONNECT SQL denied) goes to the error log only.
        const { number, class: severity, state, message } = result.error;
        options.log?.(`Error: ${number}, Severity: ${severity}, State: ${state}. ${message} [CLIENT: ${connection.remoteAddress}]`);
        return { error: { ...result.error, state: 1 } };
      }
      // The initial database must exist and open for the login (else 4060, and the login fails).
      const initial = engine.checkInitialDatabase(request.userName, request.database);
      if (!initial.ok) return { error: initial.error };
      return { session: wrap(engine.openSession(request.userName, { spid: connection.spid, database: initial.database })), database: initial.database };
    },
  };

  const listen = async () => {
    server = await startTdsServer({ host, port, serverName: name, tls, handler, version: TDS_VERSION, ...(options.log ? { log: options.log } : {}) });
    port = server.port;
  };

  engine = await openEngine();
  await listen();
  await hadr.attach(engine);
  await replication.attach(engine);

  const instance: EmulatorInstance = {
    name,
    host,
    get port() {
      return port;
    },
    tlsCertificate: tls.cert,
    backupDir,
    counters: {
      get logins() {
        return engine.counters.logins.succeeded;
      },
      get failedLogins() {
        return engine.counters.logins.failed + refusedLogins;
      },
      get requests() {
        return counters.requests;
      },
      get batches() {
        return counters.batches;
      },
      get rpcs() {
        return counters.rpcs;
      },
      get transactionRequests() {
        return counters.transactionRequests;
      },
      get statements() {
        return engine.counters.statements;
      },
    },
    faults: {
      dropConnections: () => server?.dropAllConnections(),
      dropEndpointConnections: () => hadr.dropConnections(),
      failNext: (pattern, error, times = 1) => engine.faults.failNext(pattern, typeof error === "number" ? { number: error } : error, times),
      dropConnectionOn: (pattern, when, times = 1) => (when === "before" ? dropBefore : dropAfter).push({ test: matcher(pattern), remaining: times }),
      delayResponses: (ms, times = 1) => {
        delayMs = Math.max(0, ms);
        delayedReplies = delayMs > 0 ? Math.max(0, times) : 0;
      },
      refuseLogins: (times = 1) => {
        refuseNext = times;
      },
      clear: () => {
        engine.faults.clear();
        dropBefore.length = 0;
        dropAfter.length = 0;
        delayMs = 0;
        delayedReplies = 0;
        refuseNext = 0;
      },
    },
    get engine() {
      return engine;
    },
    hadr,
    catalog: () => engine.snapshot(),
    resetCounters() {
      counters.requests = counters.batches = counters.rpcs = counters.transactionRequests = 0;
      refusedLogins = 0;
      engine.counters.logins.succeeded = engine.counters.logins.failed = 0;
      engine.counters.batches = 0;
      for (const key of Object.keys(engine.counters.statements)) delete engine.counters.statements[key];
    },
    async restart() {
      // The endpoint stops listening and its connections are cut; links wait for the instance.
      replication.detach();
      await hadr.suspend();
      // Closing the server drops every connection, which ends their sessions.
      await server?.close();
      if (options.dataDir !== undefined) {
        // As after a real restart, the catalog comes back from disk.
        await engine.close();
        engine = await openEngine();
      }
      await listen();
      await hadr.attach(engine);
      await replication.attach(engine);
    },
    async stop() {
      replication.detach();
      await hadr.close();
      await server?.close();
      await engine.close();
    },
  };
  return instance;
}
