/**
 * Typed access to catalog columns. The driver returns nvarchar as string, int as number, bit as
 * boolean, datetime as Date (UTC) and varbinary as Buffer; a column of any other shape means the
 * query and the server disagree, which is reported loudly rather than mapped to a guess.
 */
import type { Row } from "./client";
import { canonicalUtc } from "./validate";

function fail(column: string, expected: string, value: unknown): never {
  const got =
    value === null ? "null" : Buffer.isBuffer(value) ? "binary" : typeof value === "string" ? `'${value.slice(0, 60)}'` : typeof value;
  throw new TypeError(`unexpected catalog row: column ${column} should be ${expected}, got ${got}`);
}

/** A non-null string column. */
export function text(row: Row, column: string): string {
  const value = row[column];
  return typeof value === "string" ? value : fail(column, "a string", value);
}

/** A nullable string column. */
export function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

/** A non-null int column. */
export function integer(row: Row, column: string): number {
  const value = row[column];
  return typeof value === "number" && Number.isInteger(value) ? value : fail(column, "an integer", value);
}

/** A non-null bit column (boolean from tedious; 0/1 accepted from other drivers). */
export function flag(row: Row, column: string): boolean {
  const value = row[column];
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  return fail(column, "a bit", value);
}

/** A nullable bit column. */
export function flagOrNull(row: Row, column: string): boolean | null {
  return row[column] === null ? null : flag(row, column);
}

/** A non-null datetime column, as `YYYY-MM-DDTHH:MM:SSZ`. */
export function dateTime(row: Row, column: string): string {
  const value = row[column];
  return value instanceof Date && !Number.isNaN(value.getTime()) ? canonicalUtc(value) : fail(column, "a datetime", value);
}

/** A non-null varbinary column. */
export function bytes(row: Row, column: string): Buffer {
  const value = row[column];
  return Buffer.isBuffer(value) ? value : fail(column, "binary", value);
}

/** A non-null varbinary column, as uppercase hex without `0x`. */
export function hex(row: Row, column: string): string {
  return bytes(row, column).toString("hex").toUpperCase();
}

/** A nullable varbinary column, as uppercase hex. */
export function hexOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : hex(row, column);
}

/** A string column whose value must be one of `allowed`. */
export function oneOf<T extends string>(row: Row, column: string, allowed: readonly T[]): T {
  const value = text(row, column).trim();
  return (allowed as readonly string[]).includes(value) ? (value as T) : fail(column, `one of ${allowed.join(", ")}`, value);
}
