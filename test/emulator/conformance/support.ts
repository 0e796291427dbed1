/**
 * The conformance suite's fixtures: real `startEmulator` instances reached through the unmodified
 * `mssql` driver over TCP, in the three encryption modes a client can choose, with the instance's
 * TLS certificate trusted through `ca` (never `trustServerCertificate`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import sql from "mssql";
import { expect } from "vitest";
import { startEmulator, type EmulatorInstance, type EmulatorOptions } from "../../../emulator";

/** sa's password on every conformance instance. */
export const SA_PASSWORD = "Conf0rmance!sa";
/** A password that satisfies the password policy. */
export const STRONG = "Str0ng!Passw0rd";
/** A second one, for "another password". */
export const OTHER = "0ther!Passw0rd";

/** The encryption modes: plaintext, TLS inside PRELOGIN validated against the CA, TDS 8.0 strict. */
export const MODES = ["encrypt-false", "encrypt-true-ca", "encrypt-strict-ca"] as const;
export type Mode = (typeof MODES)[number];

/** mssql options for a mode; TLS modes validate the instance's certificate against `ca`. */
export function encryptionOptions(instance: EmulatorInstance, mode: Mode): sql.config["options"] {
  switch (mode) {
    case "encrypt-false":
      return { encrypt: false };
    case "encrypt-true-ca":
      return { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: [instance.tlsCertificate] } };
    case "encrypt-strict-ca":
      // tedious' types say boolean; "strict" selects TDS 8.0 (TLS before PRELOGIN).
      return { encrypt: "strict" as unknown as boolean, trustServerCertificate: false, cryptoCredentialsDetails: { ca: [instance.tlsCertificate] } };
  }
}

/** A full mssql configuration for `instance` in `mode` (sa unless told otherwise). */
export function config(instance: EmulatorInstance, mode: Mode, extra: Partial<sql.config> = {}): sql.config {
  return {
    server: "127.0.0.1",
    port: instance.port,
    user: "sa",
    password: SA_PASSWORD,
    database: "master",
    connectionTimeout: 5000,
    requestTimeout: 5000,
    ...extra,
    options: { ...encryptionOptions(instance, mode), ...extra.options },
    pool: { min: 0, max: 2, ...extra.pool },
  };
}

const openPools = new Set<sql.ConnectionPool>();
const openInstances = new Set<EmulatorInstance>();

/** Connects a pool (tracked, so {@link closeAll} closes it). */
export async function connect(instance: EmulatorInstance, mode: Mode, extra: Partial<sql.config> = {}): Promise<sql.ConnectionPool> {
  const pool = new sql.ConnectionPool(config(instance, mode, extra));
  openPools.add(pool);
  await pool.connect();
  return pool;
}

/** Closes a pool now. */
export async function close(pool: sql.ConnectionPool): Promise<void> {
  openPools.delete(pool);
  await pool.close();
}

let scratch: Promise<string> | undefined;
let scratchCount = 0;

/** A new empty folder, removed by {@link closeAll}. */
export async function tempDir(): Promise<string> {
  scratch ??= mkdtemp(path.join(os.tmpdir(), "emulator-conformance-"));
  const dir = path.join(await scratch, String(++scratchCount));
  return dir;
}

/** Starts an instance on 127.0.0.1 (tracked, so {@link closeAll} stops it); its backup folder is removed by {@link closeAll}. */
export async function start(options: Partial<EmulatorOptions> = {}): Promise<EmulatorInstance> {
  const backupDir = options.backupDir ?? (options.dataDir === undefined ? await tempDir() : undefined);
  const instance = await startEmulator({ saPassword: SA_PASSWORD, ...(backupDir !== undefined ? { backupDir } : {}), ...options });
  openInstances.add(instance);
  return instance;
}

/** Stops one instance now. */
export async function stop(instance: EmulatorInstance): Promise<void> {
  openInstances.delete(instance);
  await instance.stop();
}

/** Closes every pool, stops every instance this file opened, removes their folders (afterAll / afterEach). */
export async function closeAll(): Promise<void> {
  const pools = [...openPools];
  openPools.clear();
  await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  const instances = [...openInstances];
  openInstances.clear();
  await Promise.all(instances.map((i) => i.stop()));
  const root = scratch;
  scratch = undefined;
  if (root) await rm(await root, { recursive: true, force: true });
}

/** Runs a batch through mssql's `batch()` (SQL_BATCH) and returns its first result set. */
export async function rows<T = Record<string, unknown>>(pool: sql.ConnectionPool, text: string): Promise<T[]> {
  const result = await pool.request().batch(text);
  return [...(result.recordset ?? [])] as T[];
}

/** Runs a batch that must succeed. */
export async function ok(pool: sql.ConnectionPool, text: string): Promise<sql.IResult<unknown>> {
  return pool.request().batch(text);
}

/** What a client can see of a server error. */
export interface SeenError {
  number: number;
  state: number;
  class: number;
  message: string;
}

/** mssql's RequestError with the errors the server sent before the last one. */
export type ServerError = sql.RequestError & { precedingErrors?: sql.RequestError[] };

/** The RequestError a statement fails with (fails the test if it succeeds or fails otherwise). */
export async function requestError(run: Promise<unknown>): Promise<ServerError> {
  const outcome = await run.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a RequestError, the statement succeeded: ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(sql.RequestError);
  return outcome.error as ServerError;
}

/** The error's number, state, class and message as mssql reports them. */
export function seen(error: sql.RequestError): SeenError {
  // @types/mssql declares state and class as strings; tedious passes the token's numbers through.
  return { number: error.number!, state: error.state as unknown as number, class: error.class as unknown as number, message: error.message };
}

/**
 * Runs `text` through `pool` expecting the error `expected` (every given field), and checks that
 * the instance's catalog is exactly as before: a failed statement changes nothing.
 */
export async function expectError(
  instance: EmulatorInstance,
  pool: sql.ConnectionPool,
  text: string,
  expected: Partial<SeenError> & { number: number },
): Promise<ServerError> {
  const before = instance.catalog();
  const error = await requestError(pool.request().batch(text));
  expect(seen(error)).toMatchObject(expected);
  expect(error.code).toBe("EREQUEST");
  expect(error.serverName).toBe(instance.name);
  expect(instance.catalog()).toEqual(before);
  return error;
}

/** A T-SQL identifier in brackets. */
export const bracket = (name: string): string => `[${name.replace(/]/g, "]]")}]`;
/** A T-SQL Unicode string literal. */
export const literal = (text: string): string => `N'${text.replace(/'/g, "''")}'`;
/** A varbinary literal. */
export const hex = (bytes: Buffer): string => `0x${bytes.toString("hex")}`;

/** Polls `check` every 10 ms until it holds; fails after `ms` (bounded). */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
