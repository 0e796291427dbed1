/**
 * Writers for the server token stream (MS-TDS 2.2.7): LOGINACK, ENVCHANGE, INFO/ERROR,
 * DONE/DONEPROC/DONEINPROC, RETURNSTATUS, RETURNVALUE, COLMETADATA, ROW and NBCROW.
 * Only tokens tedious understands are produced (it rejects TABNAME, COLINFO, ALTMETADATA, …).
 */
import type { Column, SqlMessage, SqlValue } from "../results";
import type { ByteWriter } from "./bytes";
import { writeColumnTypeInfo, writeColumnValue } from "./column-values";
import { Token } from "./protocol";
import type { ServerVersion } from "./prelogin";

/** Longest message text sent; keeps an ERROR/INFO token under its u16 length limit (SQL Server's own limit is 2 047). */
const MAX_MESSAGE_CHARS = 4000;
/** COLMETADATA column flags: nullable, updatability unknown. */
const COLUMN_FLAGS = 0x0001 | 0x0008;
/** RETURNVALUE status: the value of an OUTPUT parameter. */
const RETURNVALUE_OUTPUT_PARAMETER = 0x01;
/** LOGINACK interface: SQL_TSQL. */
const INTERFACE_TSQL = 1;

/** Writes a token whose body is prefixed by its u16 length, filling the length in afterwards. */
function lengthPrefixed(w: ByteWriter, token: number, body: () => void): void {
  w.u8(token).u16(0);
  const start = w.length;
  body();
  w.patchU16(start - 2, w.length - start);
}

/** LOGINACK: interface, TDS version (big-endian on the wire), program name and server version. */
export function writeLoginAck(w: ByteWriter, tdsVersion: number, programName: string, version: ServerVersion): void {
  lengthPrefixed(w, Token.LoginAck, () => {
    w.u8(INTERFACE_TSQL).u8(tdsVersion >>> 24).u8((tdsVersion >>> 16) & 0xff).u8((tdsVersion >>> 8) & 0xff).u8(tdsVersion & 0xff);
    w.bVarchar(programName).u8(version.major).u8(version.minor).u8(version.build >> 8).u8(version.build & 0xff);
  });
}

/** ENVCHANGE with B_VARCHAR values (database, language, packet size). */
export function writeEnvChangeText(w: ByteWriter, type: number, newValue: string, oldValue: string): void {
  lengthPrefixed(w, Token.EnvChange, () => w.u8(type).bVarchar(newValue).bVarchar(oldValue));
}

/** ENVCHANGE with B_VARBYTE values (collation, transaction descriptors, reset ack). */
export function writeEnvChangeBytes(w: ByteWriter, type: number, newValue: Buffer, oldValue: Buffer): void {
  lengthPrefixed(w, Token.EnvChange, () => w.u8(type).bVarbyte(newValue).bVarbyte(oldValue));
}

/** ERROR or INFO: number, state, class, message, server name, procedure name, line number. */
export function writeMessage(w: ByteWriter, token: typeof Token.Error | typeof Token.Info, message: SqlMessage, serverName: string): void {
  lengthPrefixed(w, token, () => {
    w.i32(message.number).u8(message.state & 0xff).u8(message.class & 0xff);
    w.usVarchar(message.message.length > MAX_MESSAGE_CHARS ? message.message.slice(0, MAX_MESSAGE_CHARS) : message.message);
    w.bVarchar(serverName).bVarchar(message.procName ?? "").i32(message.line);
  });
}

/** DONE, DONEPROC or DONEINPROC. Returns the offset of its status field, for patching the MORE bit. */
export function writeDone(w: ByteWriter, token: number, status: number, currentCommand: number, rowCount: number): number {
  w.u8(token);
  const statusAt = w.length;
  w.u16(status).u16(currentCommand).u64(BigInt(rowCount));
  return statusAt;
}

/** RETURNSTATUS: the procedure's return code (`returnValue` in mssql). */
export function writeReturnStatus(w: ByteWriter, value: number): void {
  w.u8(Token.ReturnStatus).i32(value);
}

/** RETURNVALUE for an OUTPUT parameter; TYPE_INFO and value are given already encoded. */
export function writeReturnValue(w: ByteWriter, ordinal: number, name: string, typeInfo: Buffer, value: Buffer): void {
  w.u8(Token.ReturnValue).u16(ordinal).bVarchar(name).u8(RETURNVALUE_OUTPUT_PARAMETER).u32(0).u16(COLUMN_FLAGS);
  w.bytes(typeInfo).bytes(value);
}

/** COLMETADATA for a result set. */
export function writeColMetadata(w: ByteWriter, columns: readonly Column[]): void {
  w.u8(Token.ColMetadata).u16(columns.length);
  for (const column of columns) {
    w.u32(0).u16(COLUMN_FLAGS);
    writeColumnTypeInfo(w, column);
    w.bVarchar(column.name);
  }
}

/** A row: NBCROW (null bitmap, then only non-NULL values) when any value is NULL, else ROW. */
export function writeRow(w: ByteWriter, columns: readonly Column[], row: readonly SqlValue[]): void {
  if (!Array.isArray(row) || row.length !== columns.length) {
    throw new Error(`a row has ${Array.isArray(row) ? row.length : "no"} values for ${columns.length} columns`);
  }
  const hasNull = row.some((v) => v === null || v === undefined);
  if (!hasNull) {
    w.u8(Token.Row);
    for (let i = 0; i < columns.length; i++) writeColumnValue(w, columns[i]!, row[i]!);
    return;
  }
  const bitmap = Buffer.alloc(Math.ceil(columns.length / 8));
  for (let i = 0; i < columns.length; i++) if (row[i] === null || row[i] === undefined) bitmap[i >> 3]! |= 1 << (i & 7);
  w.u8(Token.NbcRow).bytes(bitmap);
  for (let i = 0; i < columns.length; i++) {
    const value = row[i];
    if (value !== null && value !== undefined) writeColumnValue(w, columns[i]!, value);
  }
}
