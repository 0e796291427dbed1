/**
 * Column types of user tables: how each one appears as a result column, and how a value is converted
 * when it is stored (INSERT / UPDATE), with SQL Server's errors: 515 NULL into NOT NULL, 2628
 * truncation, 8115 arithmetic overflow, 8169 a bad uniqueidentifier, 245 / 241 failed conversions.
 */
import type { Column, SqlValue } from "../../results";
import { fail } from "../errors";
import type { DateFormat } from "../datetime";
import type { SqlType } from "../values";
import { convertValue, toDate, toNumber, toText } from "../values";
import type { ColumnDefinition, TableColumnType, TableColumnTypeName } from "./model";

const INTEGER_RANGES: Partial<Record<TableColumnTypeName, [bigint, bigint]>> = {
  tinyint: [0n, 255n],
  smallint: [-32768n, 32767n],
  int: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};

/** The type names CREATE TABLE accepts (aliases map to these). */
const TYPE_NAMES: Record<string, TableColumnTypeName> = {
  int: "int",
  integer: "int",
  bigint: "bigint",
  smallint: "smallint",
  tinyint: "tinyint",
  bit: "bit",
  nvarchar: "nvarchar",
  varchar: "varchar",
  varbinary: "varbinary",
  datetime2: "datetime2",
  datetime: "datetime",
  uniqueidentifier: "uniqueidentifier",
  decimal: "decimal",
  numeric: "decimal",
};

/** The subset's name for a type written in CREATE TABLE, or undefined when the emulator has no such column type. */
export function columnTypeName(written: string): TableColumnTypeName | undefined {
  return TYPE_NAMES[written.toLowerCase()];
}

/** The type as T-SQL writes it, e.g. `nvarchar(50)`, `decimal(10,2)`. */
export function formatColumnType(t: TableColumnType): string {
  if (t.name === "decimal") return `decimal(${t.precision ?? 18},${t.scale ?? 0})`;
  if (t.length !== undefined) return `${t.name}(${t.length})`;
  return t.name;
}

/** The result column a table column produces. */
export function resultColumn(c: ColumnDefinition): Column {
  const t = c.type;
  if (t.name === "decimal") return { name: c.name, type: "decimal", precision: t.precision ?? 18, scale: t.scale ?? 0 };
  if (t.name === "nvarchar" || t.name === "varchar" || t.name === "varbinary") {
    return t.length === "max" || t.length === undefined ? { name: c.name, type: t.name } : { name: c.name, type: t.name, length: t.length };
  }
  return { name: c.name, type: t.name };
}

/** The expression type of a column (for binding comparisons and arithmetic). */
export function columnSqlType(c: ColumnDefinition): SqlType {
  const col = resultColumn(c);
  return { type: col.type, length: col.length, ...(col.precision !== undefined ? { precision: col.precision, scale: col.scale } : {}) };
}

/** Where a value is being stored, for the error messages. */
export interface StoreTarget {
  /** `db.dbo.table`, as 2628 and 515 name it. */
  qualifiedTable: string;
  /** INSERT or UPDATE (515's "%ls fails"). */
  statement: "INSERT" | "UPDATE";
  dateFormat: DateFormat;
}

/** Converts `value` for storage in column `c` (SQL Server's implicit conversion), or fails. */
export function storeValue(value: SqlValue, c: ColumnDefinition, target: StoreTarget): SqlValue {
  if (value === null) {
    if (!c.nullable) fail(515, c.name, target.qualifiedTable, target.statement);
    return null;
  }
  const t = c.type;
  switch (t.name) {
    case "tinyint":
    case "smallint":
    case "int":
    case "bigint": {
      const n = typeof value === "bigint" ? value : BigInt(Math.trunc(toNumber(value)!));
      const [min, max] = INTEGER_RANGES[t.name]!;
      if (n < min || n > max) fail(8115, "expression", t.name);
      return t.name === "bigint" ? n : Number(n);
    }
    case "bit":
      return convertValue(value, { type: "bit" }, 0, target.dateFormat);
    case "decimal": {
      const precision = t.precision ?? 18;
      const scale = t.scale ?? 0;
      const n = toNumber(value)!;
      const factor = 10 ** scale;
      const rounded = Math.round(n * factor) / factor;
      if (Math.abs(rounded) >= 10 ** (precision - scale)) fail(8115, "numeric", "numeric");
      return rounded;
    }
    case "nvarchar":
    case "varchar": {
      const text = Buffer.isBuffer(value) ? (convertValue(value, { type: t.name }, 0, target.dateFormat) as string) : toText(value)!;
      if (t.length !== "max" && t.length !== undefined && text.replace(/ +$/, "").length > t.length) {
        fail(2628, target.qualifiedTable, c.name, text.slice(0, t.length));
      }
      return t.length !== "max" && t.length !== undefined ? text.slice(0, t.length) : text;
    }
    case "varbinary": {
      const bytes = convertValue(value, { type: "varbinary" }, 0, target.dateFormat) as Buffer;
      if (t.length !== "max" && t.length !== undefined && bytes.length > t.length) fail(2628, target.qualifiedTable, c.name, "0x" + bytes.subarray(0, t.length).toString("hex").toUpperCase());
      return bytes;
    }
    case "datetime2":
    case "datetime":
      return toDate(value, target.dateFormat);
    case "uniqueidentifier": {
      const text = Buffer.isBuffer(value) ? undefined : toText(value)!.trim().replace(/^\{(.*)\}$/, "$1");
      if (text === undefined || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) fail(8169);
      return text.toUpperCase();
    }
  }
}
