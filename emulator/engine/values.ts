/**
 * Values and types at run time: SQL Server's comparison rules (NULL is unknown; numbers beat strings,
 * so `'abc' = 1` fails with 245; strings compare under the collation), conversions for CAST / CONVERT
 * and parameter types, and the result-column type of each value.
 */
import type { ColumnType, SqlValue } from "../results";
import type { TypeName } from "./ast";
import { compareText } from "./collation";
import { parseDateTime, type DateFormat } from "./datetime";
import { fail } from "./errors";

/** A value's SQL type, as a result column reports it. */
export interface SqlType {
  type: ColumnType;
  /** Characters / bytes; undefined = MAX (or not applicable). */
  length?: number;
  /** decimal precision and scale (decimal columns of user tables, numeric(25,0) LSNs). */
  precision?: number;
  scale?: number;
}

/** The T-SQL type name of a value (for conversion error messages). */
function typeNameOf(v: SqlValue, declared?: SqlType): string {
  if (declared) return declared.type;
  if (typeof v === "string") return "nvarchar";
  if (Buffer.isBuffer(v)) return "varbinary";
  if (v instanceof Date) return "datetime";
  if (typeof v === "boolean") return "bit";
  return "int";
}

/** Converts a value to a number the way an implicit conversion to int does; 245 when it cannot. */
export function toNumber(v: SqlValue, declared?: SqlType): number | null {
  if (v === null) return null;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const t = v.trim();
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
    return fail(245, typeNameOf(v, declared), v, "int");
  }
  if (v instanceof Date) return v.getTime();
  return fail(245, "varbinary", "0x" + v.toString("hex"), "int");
}

/** Converts a value to text (for `+` concatenation, PRINT, EXEC and string comparisons). */
export function toText(v: SqlValue): string | null {
  if (v === null) return null;
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return formatDateTime(v);
  return v.toString("utf16le");
}

/** datetime as SQL Server's default string conversion shows it (`Jan  2 2030 12:00AM`) is rarely wanted; ISO-like is used. */
function formatDateTime(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "");
}

/** Converts to datetime (strings by {@link parseDateTime}). */
export function toDate(v: SqlValue, format: DateFormat): Date | null {
  if (v === null) return null;
  if (v instanceof Date) return v;
  if (typeof v === "string") return parseDateTime(v, format);
  return fail(245, typeNameOf(v), String(v), "datetime");
}

/**
 * Compares two values under SQL Server's rules; `null` when either is NULL (UNKNOWN). Mixed types
 * convert toward the type of higher precedence: datetime > numbers > strings > varbinary.
 */
export function compareValues(a: SqlValue, b: SqlValue, format: DateFormat, typeA?: SqlType, typeB?: SqlType): number | null {
  if (a === null || b === null) return null;
  if (a instanceof Date || b instanceof Date) {
    const x = toDate(a, format)!.getTime();
    const y = toDate(b, format)!.getTime();
    return x - y;
  }
  const numeric = (v: SqlValue) => typeof v === "number" || typeof v === "bigint" || typeof v === "boolean";
  if (numeric(a) || numeric(b)) {
    const x = toNumber(a, typeA)!;
    const y = toNumber(b, typeB)!;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  return compareText(toText(a)!, toText(b)!);
}

/**
 * The static type of a declared type name. A character or binary type without a length is 1 long (as
 * in DECLARE; CAST would use 30, a difference the subset does not need).
 */
export function typeFromName(t: TypeName): SqlType {
  const sized = (type: ColumnType, unbounded: boolean): SqlType => ({ type, length: t.length === "max" || unbounded ? undefined : (t.length ?? 1) });
  switch (t.name) {
    case "sysname":
      return { type: "nvarchar", length: 128 };
    case "nvarchar":
    case "nchar":
    case "ntext":
      return sized("nvarchar", t.name === "ntext");
    case "varchar":
    case "char":
    case "text":
      return sized("varchar", t.name === "text");
    case "varbinary":
    case "binary":
    case "image":
      return sized("varbinary", t.name === "image");
    case "int":
    case "integer":
    case "float":
    case "real":
    case "decimal":
    case "numeric":
      // No decimal or floating-point column type in the shared vocabulary; numbers travel as int.
      return { type: "int" };
    case "bigint":
    case "smallint":
    case "tinyint":
    case "bit":
    case "datetime":
    case "datetime2":
    case "uniqueidentifier":
      return { type: t.name };
    case "smalldatetime":
      return { type: "datetime" };
    case "date":
      return { type: "datetime2" };
    default:
      return fail(243, t.name);
  }
}

/** Maps an `sp_executesql` parameter's declared type (as the client sent it) to a column type. */
export function typeFromParameter(declared: string, value: SqlValue): SqlType {
  const m = /^\s*(\w+)\s*(?:\(\s*(max|\d+)\s*\))?/i.exec(declared);
  const name = (m?.[1] ?? "nvarchar").toLowerCase();
  const len = m?.[2];
  try {
    return typeFromName({ name, length: len === undefined ? undefined : /max/i.test(len) ? "max" : Number(len) });
  } catch {
    return typeOfValue(value);
  }
}

/** A value's natural type when nothing was declared. */
export function typeOfValue(v: SqlValue): SqlType {
  if (typeof v === "string") return { type: "nvarchar", length: Math.max(v.length, 1) };
  if (Buffer.isBuffer(v)) return { type: "varbinary", length: Math.max(v.length, 1) };
  if (typeof v === "boolean") return { type: "bit" };
  if (typeof v === "bigint") return { type: "bigint" };
  if (v instanceof Date) return { type: "datetime" };
  return { type: "int" };
}

/** True for string types. */
export function isTextType(t: SqlType): boolean {
  return t.type === "nvarchar" || t.type === "varchar";
}

/**
 * CAST / CONVERT. Style 1 and 2 for varbinary ↔ character follow SQL Server: style 1 writes / reads
 * `0x`-prefixed hex, style 2 bare hex; style 0 (default) reinterprets the bytes.
 */
export function convertValue(v: SqlValue, target: SqlType, style: number, format: DateFormat): SqlValue {
  if (v === null) return null;
  switch (target.type) {
    case "nvarchar":
    case "varchar": {
      let text: string;
      if (Buffer.isBuffer(v) && (style === 1 || style === 2)) text = (style === 1 ? "0x" : "") + v.toString("hex").toUpperCase();
      else if (Buffer.isBuffer(v)) text = target.type === "nvarchar" ? v.toString("utf16le") : v.toString("latin1");
      else text = toText(v)!;
      return target.length !== undefined ? text.slice(0, target.length) : text;
    }
    case "varbinary": {
      let bytes: Buffer;
      if (Buffer.isBuffer(v)) bytes = v;
      else if (typeof v === "string" && (style === 1 || style === 2)) {
        const hex = style === 1 ? v.replace(/^0x/i, "") : v;
        if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2) return fail(245, "varchar", v, "varbinary");
        bytes = Buffer.from(hex, "hex");
      } else if (typeof v === "string") bytes = Buffer.from(v, "utf16le");
      else if (typeof v === "number") {
        bytes = Buffer.alloc(4);
        bytes.writeInt32BE(v | 0);
      } else return fail(245, typeNameOf(v), String(v), "varbinary");
      return target.length !== undefined ? bytes.subarray(0, target.length) : bytes;
    }
    case "bit": {
      if (typeof v === "string" && /^(true|false)$/i.test(v.trim())) return /^true$/i.test(v.trim());
      return toNumber(v) !== 0;
    }
    case "datetime":
    case "datetime2":
      return toDate(v, format);
    case "uniqueidentifier":
      return toText(v)!.toUpperCase();
    default: {
      const n = toNumber(v)!;
      return target.type === "bigint" ? BigInt(Math.trunc(n)) : Math.trunc(n);
    }
  }
}
