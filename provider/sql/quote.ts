/**
 * Turning values into T-SQL text. Every name, string, binary and date spliced into a statement
 * goes through one of these functions; nothing else in the SQL layer concatenates user input.
 *
 * Why not `QUOTENAME`: it returns NULL for input longer than 128 characters, so a statement built
 * with it from a long password silently becomes NULL and `EXEC` does nothing (the trap in
 * betr-io's provider). Quoting happens here, in TypeScript, with no length limit.
 *
 * Why literals at all: the documented grammar of CREATE MASTER KEY / CERTIFICATE / LOGIN /
 * ENDPOINT takes literals (and bare names) in those positions, not variables, so these values
 * cannot be bound as parameters. Catalog look-ups, which can, use real parameters instead.
 */
import { ValidationError } from "./errors";
import { validateSysname } from "./validate";

/**
 * Quotes a SQL Server identifier: `[` + name with every `]` doubled + `]`.
 *
 * The name is checked first ({@link validateSysname}); an invalid one throws a
 * {@link ValidationError} for `property`, so a bad name can never reach a statement.
 *
 * @param name the identifier, e.g. a certificate, endpoint, login or user name
 * @param property the argument the name came from, for the error message
 */
export function quoteIdentifier(name: string, property = "name"): string {
  const reason = validateSysname(name);
  if (reason !== undefined) throw new ValidationError(property, reason);
  return `[${name.replace(/]/g, "]]")}]`;
}

/**
 * Quotes a Unicode string literal: `N'` + text with every `'` doubled + `'`.
 *
 * No length limit (see the module comment). The statement text travels as UTF-16 through
 * `sp_executesql`, so look-alike quote characters (U+2019, U+FF07) are never folded into `'`
 * the way a best-fit conversion to varchar could; only U+0027 ends the literal.
 */
export function quoteString(value: string): string {
  return `N'${value.replace(/'/g, "''")}'`;
}

/**
 * An unquoted binary constant: `0x` + uppercase hex. `CREATE CERTIFICATE … FROM BINARY` only
 * accepts a constant here, never a string or a variable.
 *
 * @throws ValidationError when `bytes` is not a Buffer/Uint8Array or is empty (`0x` alone is an
 * empty binary, which SQL Server would reject with a less helpful message).
 */
export function binaryLiteral(bytes: Uint8Array, property = "value"): string {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValidationError(property, "must be binary data (a Buffer); pass the DER bytes, not a string");
  }
  if (bytes.length === 0) throw new ValidationError(property, "must not be empty; pass the DER bytes");
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex").toUpperCase()}`;
}

/**
 * A datetime literal that means the same under every `SET DATEFORMAT` and `SET LANGUAGE`:
 * `N'YYYY-MM-DDTHH:MM:SS'` (ISO 8601 with the `T` is the one string form SQL Server always reads
 * year-month-day). The value is written in UTC; certificate dates are UTC in SQL Server.
 * Milliseconds are dropped: certificate validity has one-second precision.
 */
export function formatDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new ValidationError("date", "is not a valid date");
  return quoteString(date.toISOString().slice(0, 19));
}
