/**
 * The executor the object operations run on, and the shape of what they send. Kept apart from
 * `connection.ts` (the real, pooled implementation) so operations can be tested against a fake
 * that records statements and returns canned rows.
 */
import type { RetryOptions } from "./retry";

/**
 * Parameter types the catalog look-ups use, and the SQL type each is sent as:
 * - `nvarchar`: nvarchar(4000), for names (sysname is nvarchar(128));
 * - `varbinary`: varbinary(8000), for thumbprints;
 * - `int`: int;
 * - `bit`: bit.
 */
export type SqlParamType = "nvarchar" | "varbinary" | "int" | "bit";

/** One typed parameter, referenced as `@name` in the statement text: its {@link SqlParamType} and value. */
export type SqlParam =
  | { type: "nvarchar"; value: string }
  | { type: "varbinary"; value: Buffer }
  | { type: "int"; value: number }
  | { type: "bit"; value: boolean };

/** Parameters by name, without the `@`. */
export type SqlParams = Readonly<Record<string, SqlParam>>;

/** One result row, by column name. Values as the driver returns them (Date, Buffer, boolean …). */
export type Row = Readonly<Record<string, unknown>>;

/** The rows of one SELECT. */
export type Recordset = readonly Row[];

/**
 * Runs T-SQL on one SQL Server instance, in `master`.
 *
 * `query` sends the whole text as ONE request (one `sp_executesql` round trip), however many
 * statements it holds, and resolves with one recordset per SELECT in order (statements that
 * return no rows add none). It rejects with the driver's error untouched; the operations wrap it.
 */
export interface SqlClient {
  /** `server:port`, used in error messages. */
  readonly target: string;
  /** How operations on this client retry transient failures; see {@link RetryOptions}. */
  readonly retry?: RetryOptions;
  /** Sends `sql` with `params` as one request. */
  query(sql: string, params?: SqlParams): Promise<Recordset[]>;
}

/**
 * A piece of T-SQL with the parameters its catalog look-ups use. Statements are combined into one
 * request by the operations; their params must agree where names are shared.
 */
export interface Statement {
  /** T-SQL text, without a trailing semicolon. */
  readonly sql: string;
  /** Parameters referenced in `sql`. */
  readonly params: SqlParams;
  /**
   * Values spliced into `sql` as literals that must never appear in an error or a log
   * (passwords). Errors of the request are scrubbed of them.
   */
  readonly secrets: readonly string[];
}

/** A statement with no parameters and no secrets. */
export function statement(sql: string, params: SqlParams = {}, secrets: readonly string[] = []): Statement {
  return { sql, params, secrets };
}
