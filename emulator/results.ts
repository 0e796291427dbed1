/**
 * The vocabulary shared by the emulator's T-SQL engine and its TDS server: values, columns,
 * errors and the outcome of each statement. Neither side depends on the other; the instance
 * (`emulator/instance.ts`) wires them together.
 */

/** A value in a result row or a parameter. `bigint` for BIGINT, `Buffer` for VARBINARY. */
export type SqlValue = null | number | bigint | string | boolean | Buffer | Date;

/** The result-column types the emulator returns (the subset SQL Server uses for the catalog views). */
export type ColumnType = "int" | "bigint" | "smallint" | "tinyint" | "bit" | "nvarchar" | "varchar" | "varbinary" | "datetime2" | "datetime" | "uniqueidentifier" | "decimal";

/** One result column. */
export interface Column {
  /** Column name as the client sees it (COLMETADATA). */
  name: string;
  /** SQL type of the column. */
  type: ColumnType;
  /** Characters (nvarchar/varchar) or bytes (varbinary); `undefined` means MAX. Ignored for fixed types. */
  length?: number;
  /** decimal: precision (1–38; default 18). Values are numbers or bigints (LSNs as numeric(25,0)). */
  precision?: number;
  /** decimal: scale (0–precision; default 0). */
  scale?: number;
}

/** A SQL Server error or message, as carried by an ERROR or INFO token. */
export interface SqlMessage {
  /** SQL Server message number, e.g. 15151. */
  number: number;
  /** State (1–255). */
  state: number;
  /** Severity: ≤ 10 is informational (INFO token), 11–16 user errors, ≥ 20 fatal. */
  class: number;
  /** Message text, already formatted. */
  message: string;
  /** 1-based line number in the batch. */
  line: number;
  /** Procedure name, when the error arose inside one ('' otherwise). */
  procName?: string;
}

/** A typed parameter, as sent by `sp_executesql`. Names include the leading `@`. */
export interface SqlParameter {
  /** Parameter name, with its `@`. */
  name: string;
  /** The declared SQL type as the client sent it, e.g. `nvarchar`, `int`, `varbinary`. */
  type: string;
  /** The decoded value (`null` for NULL). */
  value: SqlValue;
}

/** What one statement produced, in order. The TDS layer turns each into tokens. */
export type StatementOutcome =
  /** A result set (COLMETADATA, ROW/NBCROW…, DONE with COUNT). */
  | { kind: "rows"; columns: Column[]; rows: SqlValue[][] }
  /** A statement that completed; `rowCount` given means DONE carries COUNT (e.g. 1 row affected). */
  | { kind: "done"; rowCount?: number }
  /** An error that terminated the statement (ERROR token + DONE with the error bit). */
  | { kind: "error"; error: SqlMessage }
  /** An informational message (INFO token), e.g. 5701 after USE. */
  | { kind: "info"; info: SqlMessage }
  /** The session's database changed (ENVCHANGE type 1). */
  | { kind: "database"; name: string; previous: string }
  /** A transaction started, committed or rolled back inside a batch (ENVCHANGE 8/9/10). */
  | { kind: "transaction"; event: "begin" | "commit" | "rollback" };

/** The outcome of a whole batch or RPC. */
export interface BatchOutcome {
  /** What each statement produced, in order. */
  outcomes: StatementOutcome[];
}
