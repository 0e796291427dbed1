/**
 * Encoding of result columns: the TYPE_INFO that COLMETADATA declares for each `ColumnType` and
 * the value bytes ROW/NBCROW carry. Columns use the nullable ("N") types, as SQL Server does for
 * nullable columns; NULLs themselves travel in the NBCROW bitmap. MAX types travel as PLP.
 */
import type { Column, SqlValue } from "../results";
import type { ByteWriter } from "./bytes";
import { encodeCp1252, SERVER_COLLATION } from "./collation";
import { guidToBytes } from "./guid";
import { DATETIME_TICKS_PER_DAY, DAYS_0001_TO_1900, msToTimeUnits, splitUtc } from "./temporal";

/** A handler value that the column's type cannot carry; reported to the client as an error. */
export class ValueEncodingError extends Error {}

const INTN = 0x26;
const BITN = 0x68;
const DATETIMN = 0x6f;
const DATETIME2 = 0x2a;
const GUID = 0x24;
const DECIMALN = 0x6a;
const NVARCHAR = 0xe7;
const VARCHAR = 0xa7;
const VARBINARY = 0xa5;
const MAX_LENGTH = 0xffff;
const DATETIME2_SCALE = 7;

const INTEGER_BYTES: Record<string, 1 | 2 | 4 | 8> = { tinyint: 1, smallint: 2, int: 4, bigint: 8 };
const INTEGER_RANGE: Record<string, [bigint, bigint]> = {
  tinyint: [0n, 255n],
  smallint: [-32768n, 32767n],
  int: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};
/** DATETIME covers 1753-01-01 through 9999-12-31 (DATETIME2 from 0001-01-01), here as days since 0001-01-01. */
const DATETIME_MIN_DAYS = splitUtc(new Date(Date.UTC(1753, 0, 1))).days;
const DATETIME_MAX_DAYS = splitUtc(new Date(Date.UTC(9999, 11, 31))).days;

/** The declared size in bytes of a (n)varchar/varbinary column, or MAX. */
function declaredBytes(column: Column): number {
  if (column.length === undefined) return MAX_LENGTH;
  const bytes = column.type === "nvarchar" ? column.length * 2 : column.length;
  return bytes > 8000 ? MAX_LENGTH : bytes;
}

/** Writes the TYPE_INFO of a result column. */
export function writeColumnTypeInfo(w: ByteWriter, column: Column): void {
  switch (column.type) {
    case "tinyint":
    case "smallint":
    case "int":
    case "bigint":
      w.u8(INTN).u8(INTEGER_BYTES[column.type]!);
      return;
    case "bit":
      w.u8(BITN).u8(1);
      return;
    case "datetime":
      w.u8(DATETIMN).u8(8);
      return;
    case "datetime2":
      w.u8(DATETIME2).u8(DATETIME2_SCALE);
      return;
    case "uniqueidentifier":
      w.u8(GUID).u8(16);
      return;
    case "nvarchar":
    case "varchar":
      w.u8(column.type === "nvarchar" ? NVARCHAR : VARCHAR).u16(declaredBytes(column)).bytes(SERVER_COLLATION);
      return;
    case "varbinary":
      w.u8(VARBINARY).u16(declaredBytes(column));
      return;
    case "decimal":
      w.u8(DECIMALN).u8(decimalBytes(column.precision ?? 18)).u8(column.precision ?? 18).u8(column.scale ?? 0);
      return;
    default:
      throw new ValueEncodingError(`column '${column.name}' has unknown type '${String(column.type satisfies never)}'`);
  }
}

/** Writes one non-NULL value of a result column (NULLs travel in the NBCROW bitmap). */
export function writeColumnValue(w: ByteWriter, column: Column, value: Exclude<SqlValue, null>): void {
  switch (column.type) {
    case "tinyint":
    case "smallint":
    case "int":
    case "bigint": {
      const n = toInteger(column, value);
      const bytes = INTEGER_BYTES[column.type]!;
      w.u8(bytes);
      if (bytes === 8) w.i64(n);
      else if (column.type === "tinyint") w.u8(Number(n));
      else w.uintLE(Number(BigInt.asUintN(bytes * 8, n)), bytes);
      return;
    }
    case "bit":
      w.u8(1).u8(toBit(column, value) ? 1 : 0);
      return;
    case "datetime2": {
      const date = toDate(column, value);
      const { days, msOfDay } = splitUtc(date);
      if (days < 0 || days > DATETIME_MAX_DAYS) {
        throw new ValueEncodingError(`column '${column.name}': ${date.toISOString()} is outside the datetime2 range`);
      }
      w.u8(8).uintLE(msToTimeUnits(msOfDay, DATETIME2_SCALE), 5).uintLE(days, 3);
      return;
    }
    case "datetime": {
      const date = toDate(column, value);
      let { days, msOfDay } = splitUtc(date);
      let ticks = Math.round((msOfDay * 3) / 10);
      if (ticks === DATETIME_TICKS_PER_DAY) {
        days += 1;
        ticks = 0;
      }
      // Checked after rounding: 9999-12-31 23:59:59.999 rounds into year 10000, as in SQL Server.
      if (days < DATETIME_MIN_DAYS || days > DATETIME_MAX_DAYS) {
        throw new ValueEncodingError(`column '${column.name}': ${date.toISOString()} is outside the datetime range`);
      }
      w.u8(8).i32(days - DAYS_0001_TO_1900).u32(ticks);
      return;
    }
    case "uniqueidentifier":
      w.u8(16).bytes(toGuidBytes(column, value));
      return;
    case "nvarchar":
    case "varchar":
    case "varbinary":
      writeVariable(w, column, toBytes(column, value));
      return;
    case "decimal":
      writeDecimal(w, column, value);
      return;
  }
}

/** DECIMALN value size (sign byte + magnitude) for a precision, as MS-TDS 2.2.5.5.1.6 sizes it. */
function decimalBytes(precision: number): number {
  return precision <= 9 ? 5 : precision <= 19 ? 9 : precision <= 28 ? 13 : 17;
}

/** A decimal value: length, sign (1 = positive), then the scaled magnitude little-endian. */
function writeDecimal(w: ByteWriter, column: Column, value: Exclude<SqlValue, null>): void {
  const precision = column.precision ?? 18;
  const scale = column.scale ?? 0;
  let scaled: bigint;
  if (typeof value === "bigint") scaled = value * 10n ** BigInt(scale);
  else if (typeof value === "number" && Number.isFinite(value)) scaled = BigInt(value.toFixed(scale).replace(".", ""));
  else if (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    const [whole, fraction = ""] = value.trim().split(".");
    scaled = BigInt(whole! + fraction.padEnd(scale, "0").slice(0, scale));
  } else throw mismatch(column, value);
  const negative = scaled < 0n;
  let magnitude = negative ? -scaled : scaled;
  if (magnitude >= 10n ** BigInt(precision)) throw new ValueEncodingError(`column '${column.name}': ${String(value)} does not fit decimal(${precision},${scale})`);
  const size = decimalBytes(precision);
  w.u8(size).u8(negative ? 0 : 1);
  for (let i = 0; i < size - 1; i++) {
    w.u8(Number(magnitude & 0xffn));
    magnitude >>= 8n;
  }
}

function writeVariable(w: ByteWriter, column: Column, bytes: Buffer): void {
  const declared = declaredBytes(column);
  if (declared !== MAX_LENGTH) {
    if (bytes.length > declared) {
      throw new ValueEncodingError(`column '${column.name}': ${bytes.length} bytes exceed ${column.type}(${column.length})`);
    }
    w.u16(bytes.length).bytes(bytes);
    return;
  }
  // PLP with a known total: one chunk (tedious accepts any chunking) and the terminator.
  w.u64(BigInt(bytes.length));
  if (bytes.length > 0) w.u32(bytes.length).bytes(bytes);
  w.u32(0);
}

function describe(value: SqlValue): string {
  if (Buffer.isBuffer(value)) return `a ${value.length}-byte Buffer`;
  if (value instanceof Date) return `Date ${value.toISOString()}`;
  return `${typeof value} ${String(value)}`;
}

function mismatch(column: Column, value: SqlValue): ValueEncodingError {
  return new ValueEncodingError(`column '${column.name}' (${column.type}) cannot hold ${describe(value)}`);
}

function toInteger(column: Column, value: Exclude<SqlValue, null>): bigint {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === "boolean") n = value ? 1n : 0n;
  else if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) n = BigInt(value.trim());
  else throw mismatch(column, value);
  const [min, max] = INTEGER_RANGE[column.type]!;
  if (n < min || n > max) throw new ValueEncodingError(`column '${column.name}': ${n} is out of range for ${column.type}`);
  return n;
}

function toBit(column: Column, value: Exclude<SqlValue, null>): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number" || typeof value === "bigint") return value !== 0 && value !== 0n;
  if (typeof value === "string" && /^(0|1|true|false)$/i.test(value)) return value === "1" || value.toLowerCase() === "true";
  throw mismatch(column, value);
}

function toDate(column: Column, value: Exclude<SqlValue, null>): Date {
  const date = value instanceof Date ? value : typeof value === "string" || typeof value === "number" ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw mismatch(column, value);
  return date;
}

function toGuidBytes(column: Column, value: Exclude<SqlValue, null>): Buffer {
  if (Buffer.isBuffer(value) && value.length === 16) return value;
  const bytes = typeof value === "string" ? guidToBytes(value) : undefined;
  if (!bytes) throw mismatch(column, value);
  return bytes;
}

function toBytes(column: Column, value: Exclude<SqlValue, null>): Buffer {
  if (column.type === "varbinary") {
    if (Buffer.isBuffer(value)) return value;
    throw mismatch(column, value);
  }
  if (Buffer.isBuffer(value)) throw mismatch(column, value);
  const text = value instanceof Date ? value.toISOString() : String(value);
  return column.type === "nvarchar" ? Buffer.from(text, "utf16le") : encodeCp1252(text);
}
