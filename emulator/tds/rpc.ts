/**
 * RPC request parsing (MS-TDS 2.2.6.6): ALL_HEADERS, the procedure (by name or by the ProcID of a
 * well-known system procedure), option flags and the parameters with their TYPE_INFO and values.
 */
import type { SqlValue } from "../results";
import { ByteReader } from "./bytes";
import { readTypeInfo, readValue, type TypeInfo, UnsupportedTypeError } from "./param-values";
import { TdsProtocolError } from "./protocol";
import { skipAllHeaders } from "./requests";

/** One RPC parameter. */
export interface RpcParameter {
  /** Name including `@`, or '' for a positional parameter. */
  name: string;
  /** True when sent by reference (an OUTPUT parameter, status bit fByRefValue). */
  output: boolean;
  /** Declared type. */
  type: TypeInfo;
  /** Decoded value. */
  value: SqlValue;
  /** TYPE_INFO and value exactly as received, for echoing an OUTPUT parameter in RETURNVALUE. */
  wire: { typeInfo: Buffer; value: Buffer };
}

/** A parsed RPC request. */
export interface RpcRequest {
  /** Procedure name as sent, or the ProcID (10 = sp_executesql). */
  procedure: string | number;
  /** Parameters in wire order. */
  parameters: RpcParameter[];
}

/**
 * A well-formed RPC the server cannot run: a parameter type it does not decode, or several RPCs
 * batched in one message. Answered with error 8009 rather than by closing the connection.
 */
export class UnsupportedRpcError extends Error {}

const PROC_ID_FOLLOWS = 0xffff;
const STATUS_BY_REFERENCE = 0x01;
/** Longest parameter name SQL Server allows (sysname, with `@`). */
const MAX_NAME_CHARS = 128;

/** Parses an RPC payload. */
export function parseRpc(payload: Buffer): RpcRequest {
  const r = new ByteReader(payload, skipAllHeaders(payload, "RPC"), "RPC");
  const nameLength = r.u16();
  const procedure = nameLength === PROC_ID_FOLLOWS ? r.u16() : r.ucs2(nameLength);
  r.u16(); // OptionFlags (WithRecomp, NoMetaData, ReuseMetaData): advisory, nothing to do here.
  const parameters: RpcParameter[] = [];
  while (r.remaining > 0) {
    const nameChars = r.u8();
    if (nameChars > MAX_NAME_CHARS) {
      // 0xFF/0xFE/0x80 here are BatchFlag/NoExecFlag separators of an RPC batch.
      throw new UnsupportedRpcError("several RPC requests in one message are not supported");
    }
    const name = r.ucs2(nameChars);
    const status = r.u8();
    const typeStart = r.offset;
    let type: TypeInfo;
    try {
      type = readTypeInfo(r);
    } catch (error) {
      if (error instanceof UnsupportedTypeError) {
        throw new UnsupportedRpcError(
          `The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. Parameter ${parameters.length + 1} ("${name}"): ${error.message}.`,
        );
      }
      throw error;
    }
    const valueStart = r.offset;
    const value = readValue(r, type);
    parameters.push({
      name,
      output: (status & STATUS_BY_REFERENCE) !== 0,
      type,
      value,
      wire: { typeInfo: payload.subarray(typeStart, valueStart), value: payload.subarray(valueStart, r.offset) },
    });
  }
  if (typeof procedure === "string" && procedure.length === 0) throw new TdsProtocolError("RPC with an empty procedure name");
  return { procedure, parameters };
}
