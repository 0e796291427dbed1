/**
 * Decoding of RPC parameter TYPE_INFO and values (MS-TDS 2.2.5.4–2.2.5.5) for every type tedious,
 * mssql and pytds send: the integer family, bit, float/real, decimal/numeric, money/smallmoney,
 * (n)char/(n)varchar including MAX (PLP), (var)binary including MAX, text/ntext/image,
 * date/time/datetime/smalldatetime/datetime2/datetimeoffset, uniqueidentifier and NULLs.
 */
import type { SqlValue } from "../results";
import { ByteReader } from "./bytes";
import { decodeCp1252, isUtf8Collation } from "./collation";
import { bytesToGuid } from "./guid";
import { TdsProtocolError } from "./protocol";
import { DAYS_0001_TO_1900, joinUtc, MS_PER_DAY, timeLength, timeUnitsToMs } from "./temporal";

/** A parameter's TYPE_INFO. */
export interface TypeInfo {
  /** The TDS type byte (e.g. 0x26 INTN, 0xE7 NVARCHAR). */
  id: number;
  /** The SQL type name the client declared, e.g. `int`, `nvarchar`, `datetime2`. */
  name: string;
  /** Declared maximum length in bytes (the TYPE_INFO length field); 0xFFFF for MAX types. */
  maxLength: number;
  /** DECIMAL/NUMERIC precision. */
  precision: number;
  /** DECIMAL/NUMERIC and TIME/DATETIME2/DATETIMEOFFSET scale. */
  scale: number;
  /** The 5-byte collation of character types. */
  collation: Buffer | undefined;
}

/** A type that is well-formed TDS but that this server does not decode (TVP, UDT, XML, sql_variant). */
export class UnsupportedTypeError extends Error {
  /** @param typeId the TDS type byte that was not understood. */
  constructor(readonly typeId: number) {
    super(`Data type 0x${typeId.toString(16).toUpperCase().padStart(2, "0")} is not supported`);
  }
}

/** Fixed-length types: no TYPE_INFO beyond the id, no length prefix on the value. */
const FIXED: Record<number, { name: string; bytes: number }> = {
  0x1f: { name: "null", bytes: 0 },
  0x30: { name: "tinyint", bytes: 1 },
  0x32: { name: "bit", bytes: 1 },
  0x34: { name: "smallint", bytes: 2 },
  0x38: { name: "int", bytes: 4 },
  0x3a: { name: "smalldatetime", bytes: 4 },
  0x3b: { name: "real", bytes: 4 },
  0x3c: { name: "money", bytes: 8 },
  0x3d: { name: "datetime", bytes: 8 },
  0x3e: { name: "float", bytes: 8 },
  0x7a: { name: "smallmoney", bytes: 4 },
  0x7f: { name: "bigint", bytes: 8 },
};

/** Nullable types whose TYPE_INFO has a u8 length that picks the SQL type. */
const BY_LENGTH: Record<number, Record<number, string>> = {
  0x26: { 1: "tinyint", 2: "smallint", 4: "int", 8: "bigint" },
  0x68: { 1: "bit" },
  0x6d: { 4: "real", 8: "float" },
  0x6e: { 4: "smallmoney", 8: "money" },
  0x6f: { 4: "smalldatetime", 8: "datetime" },
  0x24: { 16: "uniqueidentifier" },
};

/** Types with a u16 maximum length (0xFFFF = MAX for the var* ones); `collated` ones carry a collation. */
const SHORT_LENGTH: Record<number, { name: string; collated: boolean; max: boolean }> = {
  0xa5: { name: "varbinary", collated: false, max: true },
  0xa7: { name: "varchar", collated: true, max: true },
  0xad: { name: "binary", collated: false, max: false },
  0xaf: { name: "char", collated: true, max: false },
  0xe7: { name: "nvarchar", collated: true, max: true },
  0xef: { name: "nchar", collated: true, max: false },
};

/** Types with a u32 maximum length. */
const LONG_LENGTH: Record<number, { name: string; collated: boolean }> = {
  0x22: { name: "image", collated: false },
  0x23: { name: "text", collated: true },
  0x63: { name: "ntext", collated: true },
};

const SCALED: Record<number, string> = { 0x29: "time", 0x2a: "datetime2", 0x2b: "datetimeoffset" };
const DECIMAL: Record<number, string> = { 0x6a: "decimal", 0x6c: "numeric" };
const DATE = 0x28;
const MAX_LENGTH = 0xffff;
const MAX_SCALE = 7;
const PLP_NULL = 0xffffffffffffffffn;
const PLP_UNKNOWN_LENGTH = 0xfffffffffffffffen;
const LONG_NULL = 0xffffffff;

/** Reads one TYPE_INFO. */
export function readTypeInfo(r: ByteReader): TypeInfo {
  const id = r.u8();
  const info: TypeInfo = { id, name: "", maxLength: 0, precision: 0, scale: 0, collation: undefined };
  const fixed = FIXED[id];
  if (fixed) return { ...info, name: fixed.name, maxLength: fixed.bytes };
  const byLength = BY_LENGTH[id];
  if (byLength) {
    const maxLength = r.u8();
    const name = byLength[maxLength];
    if (!name) throw new TdsProtocolError(`type 0x${id.toString(16)} with length ${maxLength}`);
    return { ...info, name, maxLength };
  }
  const short = SHORT_LENGTH[id];
  if (short) {
    const maxLength = r.u16();
    if (maxLength === MAX_LENGTH && !short.max) throw new TdsProtocolError(`${short.name} cannot be MAX`);
    return { ...info, name: short.name, maxLength, collation: short.collated ? r.bytes(5) : undefined };
  }
  const long = LONG_LENGTH[id];
  if (long) {
    const maxLength = r.u32();
    return { ...info, name: long.name, maxLength, collation: long.collated ? r.bytes(5) : undefined };
  }
  if (SCALED[id]) {
    const scale = r.u8();
    if (scale > MAX_SCALE) throw new TdsProtocolError(`${SCALED[id]} scale ${scale}`);
    return { ...info, name: SCALED[id], scale };
  }
  if (DECIMAL[id]) {
    const maxLength = r.u8();
    const precision = r.u8();
    const scale = r.u8();
    if (precision < 1 || precision > 38 || scale > precision) throw new TdsProtocolError(`${DECIMAL[id]}(${precision}, ${scale})`);
    return { ...info, name: DECIMAL[id], maxLength, precision, scale };
  }
  if (id === DATE) return { ...info, name: "date" };
  throw new UnsupportedTypeError(id);
}

/** Reads the value that follows a TYPE_INFO. */
export function readValue(r: ByteReader, type: TypeInfo): SqlValue {
  const fixed = FIXED[type.id];
  if (fixed) return fixed.bytes === 0 ? null : decodeFixedWidth(r, type.name, fixed.bytes);
  if (SHORT_LENGTH[type.id]) {
    const bytes = type.maxLength === MAX_LENGTH ? readPlp(r) : readShortLength(r);
    return bytes === null ? null : decodeBytes(type, bytes);
  }
  if (LONG_LENGTH[type.id]) {
    const length = r.u32();
    return length === LONG_NULL ? null : decodeBytes(type, r.bytes(length));
  }
  const length = r.u8();
  if (length === 0) return null;
  if (BY_LENGTH[type.id]) {
    if (length !== type.maxLength) throw new TdsProtocolError(`${type.name} value of ${length} bytes`);
    return type.name === "uniqueidentifier" ? bytesToGuid(r.bytes(16)) : decodeFixedWidth(r, type.name, length);
  }
  if (DECIMAL[type.id]) return readDecimal(r, type, length);
  return readTemporal(r, type, length);
}

function decodeFixedWidth(r: ByteReader, name: string, bytes: number): SqlValue {
  switch (name) {
    case "tinyint":
      return r.u8();
    case "smallint":
      return r.i16();
    case "int":
      return r.i32();
    case "bigint":
      return r.i64();
    case "bit":
      return r.u8() !== 0;
    case "real":
      return r.f32();
    case "float":
      return r.f64();
    case "smallmoney":
      return r.i32() / 10_000;
    case "money": {
      const high = BigInt(r.i32());
      const low = BigInt(r.u32());
      return Number((high << 32n) | low) / 10_000;
    }
    case "smalldatetime": {
      const days = r.u16();
      return joinUtc(DAYS_0001_TO_1900 + days, r.u16() * 60_000);
    }
    case "datetime": {
      const days = r.i32();
      return joinUtc(DAYS_0001_TO_1900 + days, Math.round((r.u32() * 10) / 3));
    }
  }
  throw new TdsProtocolError(`${name} is not ${bytes} bytes wide`);
}

function readShortLength(r: ByteReader): Buffer | null {
  const length = r.u16();
  return length === MAX_LENGTH ? null : r.bytes(length);
}

/** PLP: u64 total (or NULL / unknown), then u32-length chunks up to a zero-length terminator. */
function readPlp(r: ByteReader): Buffer | null {
  const total = r.u64();
  if (total === PLP_NULL) return null;
  const chunks: Buffer[] = [];
  let sum = 0;
  for (let length = r.u32(); length !== 0; length = r.u32()) {
    chunks.push(r.bytes(length));
    sum += length;
  }
  if (total !== PLP_UNKNOWN_LENGTH && BigInt(sum) !== total) {
    throw new TdsProtocolError(`PLP value announced ${total} bytes but carried ${sum}`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, sum);
}

function decodeBytes(type: TypeInfo, bytes: Buffer): SqlValue {
  switch (type.name) {
    case "nvarchar":
    case "nchar":
    case "ntext":
      if (bytes.length % 2 !== 0) throw new TdsProtocolError(`${type.name} value of odd length ${bytes.length}`);
      return bytes.toString("utf16le");
    case "varchar":
    case "char":
    case "text":
      return type.collation && isUtf8Collation(type.collation) ? bytes.toString("utf8") : decodeCp1252(bytes);
    default:
      // A copy, so the value does not pin the whole request message in memory.
      return Buffer.from(bytes);
  }
}

/** DECIMAL/NUMERIC: sign byte (1 = positive) and a little-endian magnitude scaled by 10^scale. */
function readDecimal(r: ByteReader, type: TypeInfo, length: number): number {
  if (![5, 9, 13, 17].includes(length)) throw new TdsProtocolError(`${type.name} value of ${length} bytes`);
  const positive = r.u8() === 1;
  const magnitudeBytes = r.bytes(length - 1);
  let magnitude = 0n;
  for (let i = magnitudeBytes.length - 1; i >= 0; i--) magnitude = (magnitude << 8n) | BigInt(magnitudeBytes[i]!);
  const value = Number(magnitude) / 10 ** type.scale;
  return positive ? value : -value;
}

function readTemporal(r: ByteReader, type: TypeInfo, length: number): Date {
  const timeBytes = type.name === "date" ? 0 : timeLength(type.scale);
  const expected = { date: 3, time: timeBytes, datetime2: timeBytes + 3, datetimeoffset: timeBytes + 5 }[type.name];
  if (length !== expected) throw new TdsProtocolError(`${type.name} value of ${length} bytes, expected ${expected}`);
  const ms = timeBytes ? timeUnitsToMs(r.uintLE(timeBytes), type.scale) : 0;
  if (type.name === "time") return new Date(ms % MS_PER_DAY);
  const date = joinUtc(r.uintLE(3), ms);
  // DATETIMEOFFSET carries its date and time in UTC; the offset only says how it was displayed.
  if (type.name === "datetimeoffset") r.i16();
  return date;
}
