/**
 * How every object operation talks to SQL Server: its statements go out as ONE request, transient
 * failures are retried (all statements are re-runnable), and failures come back as a
 * SqlServerError naming the operation, the object and the target, scrubbed of the call's secrets.
 */
import type { CatalogQuery } from "../catalog";
import type { Recordset, SqlClient, SqlParams, Statement } from "../client";
import { conflictError, SqlServerError, toSqlServerError, type SqlErrorContext } from "../errors";
import { withRetry } from "../retry";

/** What an operation reports failures as (the target comes from the client). */
export type OperationContext = Omit<SqlErrorContext, "target" | "secrets" | "attempts" | "hint">;

/** The result of a create: the object as read back, and whether it was there before. */
export interface CreateResult<R> {
  /** The object as the catalog shows it after the create. */
  record: R;
  /**
   * True when the object already existed, so the guarded CREATE was skipped and `record` shows
   * that object (which may differ from the spec): the caller adopts it or refuses. False when this
   * call created it, including when an earlier attempt of this same call created it before its
   * reply was lost (a retry) and the read-back matches the spec.
   */
  existedBefore: boolean;
}

/** Options of a create. */
export interface CreateOptions {
  /**
   * An earlier create of this same object may have run without its reply arriving (an earlier
   * `pulumi up` lost the connection and recorded the resource as pending): an existing object
   * that matches the spec is then this resource's own, exactly as after a retry.
   */
  resumed?: boolean;
}

/** The statements as one batch: each terminated by `;`, one per line. */
export function batchText(statements: readonly Statement[]): string {
  return statements.map((s) => `${s.sql};`).join("\n");
}

/** The parameters of all statements; a name used twice must carry the same value. */
export function mergeParams(statements: readonly Statement[]): SqlParams {
  const merged: Record<string, SqlParams[string]> = {};
  for (const { params } of statements) {
    for (const [name, param] of Object.entries(params)) {
      const existing = merged[name];
      const same =
        existing === undefined ||
        (existing.type === param.type &&
          (Buffer.isBuffer(existing.value) && Buffer.isBuffer(param.value) ? existing.value.equals(param.value) : existing.value === param.value));
      if (!same) throw new Error(`internal error: parameter @${name} is used with two different values in one request`);
      merged[name] = param;
    }
  }
  return merged;
}

/** Sends `statements` as one request (retrying transient failures); the recordsets and the attempts it took. */
export async function execute(
  client: SqlClient,
  context: OperationContext,
  statements: readonly Statement[],
): Promise<{ recordsets: Recordset[]; attempts: number }> {
  const sql = batchText(statements);
  const params = mergeParams(statements);
  let attempts = 0;
  try {
    const recordsets = await withRetry((n) => {
      attempts = n;
      return client.query(sql, params);
    }, client.retry);
    return { recordsets, attempts };
  } catch (error) {
    const secrets = statements.flatMap((s) => s.secrets);
    throw toSqlServerError(error, { ...context, target: client.target, secrets, attempts });
  }
}

/** Splits `recordsets` into consecutive groups of the given sizes; a count mismatch is a loud error. */
export function splitResults(recordsets: readonly Recordset[], sizes: readonly number[]): Recordset[][] {
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (recordsets.length !== expected) {
    throw new TypeError(`unexpected reply: ${recordsets.length} result sets where ${expected} were expected`);
  }
  let offset = 0;
  return sizes.map((size) => recordsets.slice(offset, (offset += size)));
}

/** A catalog read: exactly one request. */
export async function readOne<R>(client: SqlClient, context: OperationContext, query: CatalogQuery<R>): Promise<R | undefined> {
  const { recordsets } = await execute(client, context, query.statements);
  const [results] = splitResults(recordsets, [query.resultCount]);
  return query.map(results);
}

/**
 * A catalog read sent directly, without the retries and error wrapping of {@link readOne}: for
 * the checks made inside an attempt that {@link withRetry} already repeats (whether a statement
 * whose reply was lost took effect).
 */
export async function probe<R>(client: SqlClient, query: CatalogQuery<R>): Promise<R | undefined> {
  const recordsets = await client.query(batchText(query.statements), mergeParams(query.statements));
  const [results] = splitResults(recordsets, [query.resultCount]);
  return query.map(results);
}

/** The error for an object that is not in the catalog right after it was created or altered. */
export function notVisible(client: SqlClient, context: OperationContext, when: string): SqlServerError {
  return conflictError(
    { ...context, target: client.target },
    "ENOTVISIBLE",
    `it is not in the catalog ${when}; the connecting login may lack permission to see it (catalog views only show objects it has a permission on)`,
  );
}

/**
 * SQL Server's "already exists" errors of the guarded CREATEs (15232 certificate, 15578 master key,
 * 7862 mirroring endpoint, 15025 login, 15023 user). After a lost reply they can mean that the lost
 * attempt was still running when the retry passed its guard, and finished first: the retry's
 * CREATE then meets the object its own earlier attempt made.
 */
const ALREADY_EXISTS = new Set([15232, 15578, 7862, 15025, 15023]);

/**
 * Whether `error` is a retried (or resumed) create meeting an object that may be its own earlier
 * attempt's: the caller then reads the object and keeps it only if it matches the spec.
 */
export function mayBeOwnEarlierAttempt(error: unknown, options: CreateOptions): error is SqlServerError {
  return error instanceof SqlServerError && error.number !== undefined && ALREADY_EXISTS.has(error.number) && (error.attempts > 1 || options.resumed === true);
}

/**
 * A create in one request: read, guarded DDL, read again. `matches` says whether a read-back
 * record is what the spec asked for (it may ask SQL Server, e.g. whether a password opens a key);
 * it decides `existedBefore` after a retry or when `options.resumed` (see {@link CreateResult}),
 * and is only called then.
 */
export async function createAndReadBack<R>(
  client: SqlClient,
  context: OperationContext,
  query: CatalogQuery<R>,
  ddl: readonly Statement[],
  matches: (record: R) => boolean | Promise<boolean>,
  options: CreateOptions = {},
): Promise<CreateResult<R>> {
  let sent: { recordsets: Recordset[]; attempts: number };
  try {
    sent = await execute(client, context, [...query.statements, ...ddl, ...query.statements]);
  } catch (error) {
    if (!mayBeOwnEarlierAttempt(error, options)) throw error;
    const record = await readOne(client, context, query);
    if (record !== undefined && (await matches(record))) return { record, existedBefore: false };
    throw error;
  }
  const { recordsets, attempts } = sent;
  const [before, after] = splitResults(recordsets, [query.resultCount, query.resultCount]);
  const record = query.map(after);
  if (record === undefined) throw notVisible(client, context, "after CREATE");
  const existed = query.map(before) !== undefined;
  const mayBeOwn = existed && (attempts > 1 || options.resumed === true);
  return { record, existedBefore: existed && !(mayBeOwn && (await matches(record))) };
}

/** An update in one request: the ALTERs, then the read-back. No request at all when there is nothing to change. */
export async function alterAndReadBack<R>(
  client: SqlClient,
  context: OperationContext,
  query: CatalogQuery<R>,
  ddl: readonly Statement[],
  current: R,
): Promise<R> {
  if (ddl.length === 0) return current;
  const { recordsets } = await execute(client, context, [...ddl, ...query.statements]);
  const [results] = splitResults(recordsets, [query.resultCount]);
  const record = query.map(results);
  if (record === undefined) throw notVisible(client, context, "after ALTER");
  return record;
}
