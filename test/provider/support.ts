/**
 * Fixtures for tests that drive the providers over real TDS: emulator instances on 127.0.0.1, the
 * connection arguments a program would give them (secure default: `encrypt: true` with the
 * instance's TLS certificate as `ca`), an out-of-band `sa` session for drift and exact catalog
 * checks, catalog snapshots, and request counting. Kept free of Pulumi so engine tests can reuse it.
 */
import * as mssql from "mssql";
import { startEmulator, type CatalogSnapshot, type EmulatorInstance, type EmulatorOptions } from "../../emulator/index";
import { checkConnection } from "../../provider/resources/connection";
import { clientFor } from "../../provider/resources/lifecycle";
import { closeAllPools } from "../../provider/sql";

/**
 * `sa`'s password on every test instance. A marker: the secrets test asserts that no marker ever
 * shows up in output or errors, so using one everywhere makes any leak in any path detectable.
 */
export const SA_PASSWORD = "Marker-Conn-7f3a91c4!x";

/** Starts `count` emulator instances (127.0.0.1, free ports), named `<prefix>1`, `<prefix>2`, … */
export async function startInstances(count: number, options: Partial<EmulatorOptions> & { namePrefix?: string } = {}): Promise<EmulatorInstance[]> {
  const { namePrefix = "SQL", ...rest } = options;
  const instances: EmulatorInstance[] = [];
  for (let i = 1; i <= count; i++) {
    instances.push(await startEmulator({ saPassword: SA_PASSWORD, host: "127.0.0.1", name: `${namePrefix}${i}`, ...rest }));
  }
  return instances;
}

/** The `connection` a program passes for `instance`: sa, TLS with the instance's certificate as CA. */
export function connectionOf(instance: EmulatorInstance, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { server: "127.0.0.1", port: instance.port, user: "sa", password: SA_PASSWORD, encrypt: true, ca: instance.tlsCertificate, ...overrides };
}

/** The same connection as `check` normalizes it (defaults filled in), i.e. as it appears in state. */
export function checkedConnectionOf(instance: EmulatorInstance, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { trustServerCertificate: false, ...connectionOf(instance, overrides) };
}

const saPools = new Map<EmulatorInstance, Promise<mssql.ConnectionPool>>();

/**
 * An `sa` connection of its own (not the providers' pool), as a DBA's query window would be: for
 * changes made out of band and for reading the catalog through T-SQL.
 */
function saPool(instance: EmulatorInstance): Promise<mssql.ConnectionPool> {
  let pool = saPools.get(instance);
  if (pool === undefined) {
    pool = new mssql.ConnectionPool({
      server: "127.0.0.1",
      port: instance.port,
      user: "sa",
      password: SA_PASSWORD,
      database: "master",
      pool: { max: 1, min: 0 },
      options: { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: instance.tlsCertificate } },
    }).connect();
    saPools.set(instance, pool);
  }
  return pool;
}

/** Runs T-SQL as sa on a separate connection; the rows of the last SELECT (errors reject). */
export async function sa(instance: EmulatorInstance, sql: string): Promise<Array<Record<string, unknown>>> {
  const result = await (await saPool(instance)).request().query(sql);
  return (result.recordset as Array<Record<string, unknown>> | undefined) ?? [];
}

/** Every catalog view as JSON (`instance.catalog()`), for exact before/after comparisons. */
export function catalogOf(instance: EmulatorInstance): CatalogSnapshot {
  return instance.catalog();
}

/** The rows of one catalog view whose `column` equals `value`. */
export function rowsOf(instance: EmulatorInstance, view: string, column: string, value: unknown): Array<Record<string, unknown>> {
  const rows = instance.catalog()[view];
  if (rows === undefined) throw new Error(`the emulator has no catalog view ${view}`);
  return rows.filter((r) => r[column] === value);
}

/** The one row of `view` whose `column` equals `value` (fails unless there is exactly one). */
export function rowOf(instance: EmulatorInstance, view: string, column: string, value: unknown): Record<string, unknown> {
  const rows = rowsOf(instance, view, column, value);
  if (rows.length !== 1) throw new Error(`expected one row in ${view} with ${column} = ${JSON.stringify(value)}, found ${rows.length}`);
  return rows[0]!;
}

/** What one piece of work cost on an instance: requests received and logins made. */
export interface Cost<T> {
  value: T;
  requests: number;
  logins: number;
}

/** Runs `work` and reports the requests and logins `instance` saw meanwhile. */
export async function cost<T>(instance: EmulatorInstance, work: () => Promise<T>): Promise<Cost<T>> {
  const requests = instance.counters.requests;
  const logins = instance.counters.logins + instance.counters.failedLogins;
  const value = await work();
  return { value, requests: instance.counters.requests - requests, logins: instance.counters.logins + instance.counters.failedLogins - logins };
}

/**
 * Opens the providers' pool for `instance` with the connection resources will use, so that later
 * request counts are the operations' own (a new pooled connection adds its login and the driver's
 * SET batch).
 */
export async function warmPool(instance: EmulatorInstance, overrides: Record<string, unknown> = {}): Promise<void> {
  const connection = checkConnection(connectionOf(instance, overrides), []);
  if (connection === undefined) throw new Error("connectionOf produced an invalid connection");
  await clientFor(connection).query("SELECT 1 AS ready");
}

/** Closes the providers' pools and the sa connections, then stops the instances. */
export async function stopInstances(instances: readonly EmulatorInstance[]): Promise<void> {
  await closeAllPools();
  for (const instance of instances) {
    const pool = saPools.get(instance);
    saPools.delete(instance);
    if (pool !== undefined) await (await pool).close();
  }
  for (const instance of instances) await instance.stop();
}

/** Rows a view lost and gained between two snapshots. */
export interface ViewDelta {
  removed: Array<Record<string, unknown>>;
  added: Array<Record<string, unknown>>;
}

/**
 * What changed between two snapshots, by view: rows that disappeared and rows that appeared (a
 * changed row shows as both). Views that did not change are left out, so `toEqual` on the result
 * also asserts that nothing else changed.
 */
export function catalogDelta(before: CatalogSnapshot, after: CatalogSnapshot): Record<string, ViewDelta> {
  const out: Record<string, ViewDelta> = {};
  for (const view of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = (before[view] ?? []).map((r) => JSON.stringify(r));
    const now = (after[view] ?? []).map((r) => JSON.stringify(r));
    const removed = was.filter((r) => !now.includes(r)).map((r) => JSON.parse(r) as Record<string, unknown>);
    const added = now.filter((r) => !was.includes(r)).map((r) => JSON.parse(r) as Record<string, unknown>);
    if (removed.length > 0 || added.length > 0) out[view] = { removed, added };
  }
  return out;
}
