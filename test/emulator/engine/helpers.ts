/**
 * Test helpers for the engine suites: open an instance on a controllable clock, run T-SQL as `sa` or
 * another login, and read outcomes as plain rows or error numbers.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { SqlParameter, SqlValue, StatementOutcome } from "../../../emulator/results";
import { Engine, type EngineOptions, type EngineSession } from "../../../emulator/engine/engine";

/** The sa password every test instance uses. */
export const SA_PASSWORD = "Sa!Passw0rd";
/** A password that satisfies the password policy. */
export const STRONG = "Str0ng!Passw0rd";

/** A settable clock. */
export interface Clock {
  now: Date;
}

/** An instance with an sa session and its clock. */
export interface TestInstance {
  engine: Engine;
  sa: EngineSession;
  clock: Clock;
  backupDir: string;
}

/** A temporary folder. */
export function tempDir(prefix = "engine-test-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Opens an instance at `2030-01-15T12:00:00Z` (unless `start` says otherwise) with an sa session. */
export async function openInstance(options: Partial<EngineOptions> & { start?: Date } = {}): Promise<TestInstance> {
  const clock: Clock = { now: options.start ?? new Date("2030-01-15T12:00:00Z") };
  const backupDir = options.backupDir ?? (await tempDir("engine-backup-"));
  const engine = await Engine.open({ serverName: "SQL1", saPassword: SA_PASSWORD, now: () => clock.now, backupDir, ...options });
  return { engine, sa: engine.openSession("sa"), clock, backupDir };
}

/** The outcomes of a batch. */
export function run(session: EngineSession, sql: string, params: SqlParameter[] = []): Promise<StatementOutcome[]> {
  return session.execute(sql, params);
}

/** The error outcomes' numbers, in order. */
export function errorNumbers(outcomes: StatementOutcome[]): number[] {
  return outcomes.flatMap((o) => (o.kind === "error" ? [o.error.number] : []));
}

/** The only error of a batch (fails the test when there is not exactly one). */
export async function errorOf(session: EngineSession, sql: string, params: SqlParameter[] = []) {
  const outcomes = await run(session, sql, params);
  const errors = outcomes.flatMap((o) => (o.kind === "error" ? [o.error] : []));
  if (errors.length !== 1) throw new Error(`expected one error, got ${JSON.stringify(outcomes)}`);
  return errors[0]!;
}

/** Runs a batch that must succeed (fails the test on any error). */
export async function ok(session: EngineSession, sql: string, params: SqlParameter[] = []): Promise<StatementOutcome[]> {
  const outcomes = await run(session, sql, params);
  const errors = outcomes.filter((o) => o.kind === "error");
  if (errors.length) throw new Error(`unexpected error: ${JSON.stringify(errors)}\n${sql}`);
  return outcomes;
}

/** The first result set of a successful batch as objects (column name → value). */
export async function rows(session: EngineSession, sql: string, params: SqlParameter[] = []): Promise<Array<Record<string, SqlValue>>> {
  const outcomes = await ok(session, sql, params);
  const set = outcomes.find((o) => o.kind === "rows");
  if (!set || set.kind !== "rows") throw new Error(`no result set: ${sql}`);
  return set.rows.map((r) => Object.fromEntries(set.columns.map((c, i) => [c.name, r[i]!])));
}

/** The single value of a one-row, one-column query. */
export async function scalar(session: EngineSession, sql: string, params: SqlParameter[] = []): Promise<SqlValue> {
  const outcomes = await ok(session, sql, params);
  const set = outcomes.find((o) => o.kind === "rows");
  if (!set || set.kind !== "rows" || set.rows.length !== 1 || set.rows[0]!.length !== 1) throw new Error(`not a scalar: ${JSON.stringify(outcomes)}`);
  return set.rows[0]![0]!;
}

/** An nvarchar parameter. */
export function nvarchar(name: string, value: string | null): SqlParameter {
  return { name, type: "nvarchar", value };
}

/** The outbound half of the certificate procedure: master key, local certificate, started endpoint. */
export async function outbound(session: EngineSession, options: { certificate?: string; endpoint?: string; port?: number; role?: string; encryption?: string } = {}): Promise<void> {
  const cert = options.certificate ?? "local_cert";
  await ok(session, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
  await ok(session, `CREATE CERTIFICATE [${cert}] WITH SUBJECT = N'${cert} subject', START_DATE = '20300101', EXPIRY_DATE = '20310101'`);
  await ok(
    session,
    `CREATE ENDPOINT [${options.endpoint ?? "Mirroring"}] STATE = STARTED AS TCP (LISTENER_PORT = ${options.port ?? 5022}, LISTENER_IP = ALL)
     FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [${cert}], ENCRYPTION = ${options.encryption ?? "REQUIRED ALGORITHM AES"}, ROLE = ${options.role ?? "ALL"})`,
  );
}

/** The DER of a certificate, read with CERTENCODED. */
export async function certificateDer(session: EngineSession, name: string): Promise<Buffer> {
  return (await scalar(session, "SELECT CERTENCODED(CERT_ID(@n))", [nvarchar("@n", name)])) as Buffer;
}
