/**
 * Connections: one mssql pool per (server, port, user) per process, shared by every caller.
 *
 * - `mssql` is loaded lazily through `driver.ts`, so this module stays closure-serializable.
 * - Pools are replaced, not mutated: when the password or TLS options for a key change, the old
 *   pool is closed once its in-flight requests finish, and a new one is opened. The same happens
 *   after a connection-level failure, so a restarted server is reconnected on the next attempt.
 * - Every connection opens in `master`: every object here lives there, and server-scope GRANTs
 *   and `USER_NAME`/`CERTENCODED` need it to be the current database.
 */
import { createHash } from "node:crypto";
import type * as mssql from "mssql";
import type { Recordset, SqlClient, SqlParam, SqlParams } from "./client";
import { keepProbeConnection, loadDriver, type DriverPool, type MssqlDriver } from "./driver";
import { ValidationError } from "./errors";
import { isConnectionLevelError, type RetryOptions } from "./retry";
import { scrubErrorInPlace } from "./scrub";
import { validatePort } from "./validate";

/** How to reach and log in to one SQL Server instance. */
export interface ConnectionConfig {
  /** Host name or IP address (no `\instance`: give the instance's TCP port instead). */
  server: string;
  /** TCP port. Default 1433. */
  port?: number;
  /** SQL login to connect as; it needs sysadmin, or CONTROL SERVER-level rights for endpoints, logins and master. */
  user: string;
  /** Its password (secret). */
  password: string;
  /** TLS: `true` (default) encrypts after PRELOGIN, `"strict"` is TDS 8.0 (TLS first), `false` plaintext. */
  encrypt?: boolean | "strict";
  /** Accept any server certificate. Default false; for test servers only. Ignored by the driver in strict mode. */
  trustServerCertificate?: boolean;
  /** PEM of the CA (or the self-signed certificate) to trust for the server's TLS certificate. */
  ca?: string;
  /** Time allowed to connect and log in, in ms. Default 15 000. */
  connectTimeoutMs?: number;
  /** Time allowed for one request, in ms. Default 30 000 (generating an RSA key can take seconds on a busy server). */
  requestTimeoutMs?: number;
}

/** Default `port`. */
export const DEFAULT_PORT = 1433;
/** Default `connectTimeoutMs`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/** Default `requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Most connections one pool holds. Per instance a topology declares a few outbound objects and
 * four per peer (login → user → certificate → grant), each chain strictly ordered by its
 * dependencies, so the work that can run at once against one instance is about one chain per
 * peer; four connections serve a witness plus an AG of four replicas without queuing much. It is
 * also the bound on logins: one Pulumi command logs in to an instance at most POOL_SIZE times
 * (the connection mssql opens to probe the configuration becomes the first pooled one), more only
 * when a pool is replaced after a connection failure or a credentials change, or outlives its
 * idle timeout.
 */
export const POOL_SIZE = 4;

/**
 * How long an idle pooled connection is kept, in ms. Longer than mssql's 30 s default so that a
 * Pulumi command waiting on other instances does not log in again; the provider process ends with
 * the command anyway (other processes call {@link closeAllPools}).
 */
export const POOL_IDLE_TIMEOUT_MS = 300_000;

/** A problem with a {@link ConnectionConfig}: which property, and why. */
export interface ConnectionProblem {
  /** e.g. `connection.port`. */
  property: string;
  /** What is wrong and how to fix it. */
  reason: string;
}

/** Every problem with `config` (empty when it is usable). */
export function connectionConfigProblems(config: ConnectionConfig): ConnectionProblem[] {
  const problems: ConnectionProblem[] = [];
  const add = (property: string, reason: string | undefined) => reason !== undefined && problems.push({ property: `connection.${property}`, reason });
  if (typeof config.server !== "string" || config.server.trim() === "") add("server", "must be a host name or IP address");
  else if (config.server.includes("\\")) add("server", "named instances (host\\instance) are not supported: give the host and set connection.port");
  if (config.port !== undefined) add("port", validatePort(config.port));
  if (typeof config.user !== "string" || config.user === "") add("user", "must be the SQL login to connect as");
  if (typeof config.password !== "string") add("password", "must be a string");
  if (config.encrypt !== undefined && config.encrypt !== true && config.encrypt !== false && config.encrypt !== "strict") {
    add("encrypt", "must be true, false or \"strict\"");
  }
  if (config.ca !== undefined && !/-----BEGIN CERTIFICATE-----/.test(config.ca)) add("ca", "must be PEM text (-----BEGIN CERTIFICATE----- …)");
  for (const key of ["connectTimeoutMs", "requestTimeoutMs"] as const) {
    const value = config[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) add(key, "must be a positive integer (milliseconds)");
  }
  return problems;
}

interface PoolEntry {
  readonly key: string;
  readonly fingerprint: string;
  readonly pool: Promise<DriverPool>;
  inFlight: number;
  retired: boolean;
  closed?: Promise<void>;
}

const pools = new Map<string, PoolEntry>();

function poolKey(config: ConnectionConfig): string {
  return `${config.server.toLowerCase()}:${config.port ?? DEFAULT_PORT}:${config.user}`;
}

/** Everything besides the key that the pool depends on, hashed so no second copy of the password is kept. */
function fingerprint(config: ConnectionConfig): string {
  const { password, encrypt, trustServerCertificate, ca, connectTimeoutMs, requestTimeoutMs } = config;
  const material = JSON.stringify([password, encrypt ?? true, trustServerCertificate ?? false, ca ?? null, connectTimeoutMs, requestTimeoutMs]);
  return createHash("sha256").update(material).digest("hex");
}

function driverConfig(config: ConnectionConfig): mssql.config {
  return {
    server: config.server,
    port: config.port ?? DEFAULT_PORT,
    user: config.user,
    password: config.password,
    database: "master",
    connectionTimeout: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeout: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // No `SELECT 1` on every acquire: each operation must stay one request on the wire.
    validateConnection: "socket",
    pool: { max: POOL_SIZE, min: 0, idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS },
    options: {
      encrypt: config.encrypt ?? true,
      trustServerCertificate: config.trustServerCertificate ?? false,
      appName: "pulumi-mssql-mirroring",
      ...(config.ca === undefined ? {} : { cryptoCredentialsDetails: { ca: config.ca } }),
    },
  };
}

function closeEntry(entry: PoolEntry): Promise<void> {
  entry.closed ??= entry.pool.then(
    (pool) => pool.close().then(() => undefined, () => undefined),
    () => undefined, // it never connected: nothing to close
  );
  return entry.closed;
}

/** Takes the entry out of service: no new requests; closed once the running ones finish. */
function retire(entry: PoolEntry): void {
  if (pools.get(entry.key) === entry) pools.delete(entry.key);
  entry.retired = true;
  if (entry.inFlight === 0) void closeEntry(entry);
}

function openPool(config: ConnectionConfig, key: string, print: string): PoolEntry {
  const pool = new (loadDriver().ConnectionPool)(driverConfig(config));
  keepProbeConnection(pool);
  const entry: PoolEntry = {
    key,
    fingerprint: print,
    inFlight: 0,
    retired: false,
    pool: pool.connect().then(
      () => pool,
      (error: unknown) => {
        // Never cache a pool that could not connect: the next call tries afresh.
        if (pools.get(key) === entry) pools.delete(key);
        entry.retired = true;
        throw error;
      },
    ),
  };
  // mssql emits 'error' when an idle connection fails; without a listener Node would crash.
  pool.on("error", () => retire(entry));
  return entry;
}

function acquire(config: ConnectionConfig): PoolEntry {
  const key = poolKey(config);
  const print = fingerprint(config);
  const existing = pools.get(key);
  if (existing !== undefined && existing.fingerprint === print) return existing;
  if (existing !== undefined) retire(existing);
  const entry = openPool(config, key, print);
  pools.set(key, entry);
  return entry;
}

function driverType(driver: MssqlDriver, param: SqlParam): unknown {
  switch (param.type) {
    case "nvarchar":
      return driver.NVarChar(4000);
    case "varbinary":
      return driver.VarBinary(8000);
    case "int":
      return driver.Int;
    case "bit":
      return driver.Bit;
  }
}

async function runQuery(config: ConnectionConfig, sql: string, params: SqlParams): Promise<Recordset[]> {
  const entry = acquire(config);
  entry.inFlight++;
  try {
    const pool = await entry.pool;
    const request = pool.request();
    const driver = loadDriver();
    for (const [name, param] of Object.entries(params)) request.input(name, driverType(driver, param), param.value);
    const { recordsets } = await request.query(sql);
    if (!Array.isArray(recordsets)) throw new TypeError("unexpected reply from mssql: recordsets is not an array");
    return recordsets as Recordset[];
  } catch (error) {
    if (isConnectionLevelError(error)) retire(entry);
    scrubErrorInPlace(error, [config.password]);
    throw error;
  } finally {
    entry.inFlight--;
    if (entry.retired && entry.inFlight === 0) void closeEntry(entry);
  }
}

/** Options for {@link createSqlClient}. */
export interface SqlClientOptions {
  /** Retry policy of operations run on the client; default {@link DEFAULT_RETRY}. */
  retry?: RetryOptions;
}

/**
 * A {@link SqlClient} for one instance, backed by the shared pool for its (server, port, user).
 * Cheap: it opens nothing until the first query. Throws a {@link ValidationError} for the first
 * problem in `config` (see {@link connectionConfigProblems}).
 */
export function createSqlClient(config: ConnectionConfig, options: SqlClientOptions = {}): SqlClient {
  const [problem] = connectionConfigProblems(config);
  if (problem !== undefined) throw new ValidationError(problem.property, problem.reason);
  const frozen: ConnectionConfig = { ...config };
  return {
    target: `${config.server}:${config.port ?? DEFAULT_PORT}`,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    query: (sql, params = {}) => runQuery(frozen, sql, params),
  };
}

/** Closes every pool of this process (for scripts and tests; call when no operation is running). */
export async function closeAllPools(): Promise<void> {
  const entries = [...pools.values()];
  pools.clear();
  await Promise.all(
    entries.map((entry) => {
      entry.retired = true;
      return closeEntry(entry);
    }),
  );
}
