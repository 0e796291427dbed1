/**
 * Parsing of the request payloads that start with ALL_HEADERS (MS-TDS 2.2.5.3): SQL_BATCH text and
 * TRANSACTION_MANAGER requests. RPC has its own module.
 */
import { ByteReader } from "./bytes";
import { TdsProtocolError } from "./protocol";

/**
 * Validates ALL_HEADERS, which TDS 7.2+ requires at the start of every request, and returns the
 * offset just after it. Its contents (the client's copy of the transaction descriptor, query
 * notification and trace headers) are not needed: the server keeps its own descriptor stack.
 */
export function skipAllHeaders(payload: Buffer, what: string): number {
  const r = new ByteReader(payload, 0, `${what} ALL_HEADERS`);
  const total = r.u32();
  if (total < 4 || total > payload.length) throw new TdsProtocolError(`${what} ALL_HEADERS length ${total} does not fit the ${payload.length}-byte message`);
  while (r.offset < total) {
    const start = r.offset;
    const length = r.u32();
    if (length < 6 || start + length > total) throw new TdsProtocolError(`${what} header of length ${length} overruns ALL_HEADERS`);
    r.offset = start + length;
  }
  return total;
}

/** The SQL text of a SQL_BATCH. */
export function parseSqlBatch(payload: Buffer): string {
  const end = skipAllHeaders(payload, "SQL_BATCH");
  if ((payload.length - end) % 2 !== 0) throw new TdsProtocolError("SQL_BATCH text has an odd number of bytes");
  return payload.toString("utf16le", end);
}

/** A TRANSACTION_MANAGER request that maps onto `TdsSession.transaction`. */
export interface TransactionRequest {
  /** `begin` (TM_BEGIN_XACT 5), `commit` (7), `rollback` (8) or `save` (9). */
  request: "begin" | "commit" | "rollback" | "save";
  /** Transaction or savepoint name ('' when none). */
  name: string;
  /** COMMIT/ROLLBACK with fBeginXact: start a new transaction right away. */
  beginNew: boolean;
}

/** A TRANSACTION_MANAGER request this server does not implement (DTC enlistment and promotion). */
export class UnsupportedTransactionRequest extends Error {}

const TM_REQUESTS: Record<number, TransactionRequest["request"]> = { 5: "begin", 7: "commit", 8: "rollback", 9: "save" };

/** Parses a TRANSACTION_MANAGER payload. */
export function parseTransactionRequest(payload: Buffer): TransactionRequest {
  const r = new ByteReader(payload, skipAllHeaders(payload, "TRANSACTION_MANAGER"), "TRANSACTION_MANAGER");
  const type = r.u16();
  const request = TM_REQUESTS[type];
  if (!request) throw new UnsupportedTransactionRequest(`transaction manager request type ${type} is not supported`);
  // Name lengths are in bytes here, unlike most of TDS.
  const readName = (): string => {
    const bytes = r.u8();
    if (bytes % 2 !== 0) throw new TdsProtocolError("TRANSACTION_MANAGER name has an odd number of bytes");
    return r.ucs2(bytes / 2);
  };
  if (request === "begin") {
    r.u8(); // Isolation level: TdsSession.transaction has no parameter for it; SET TRANSACTION ISOLATION LEVEL does the same job.
    return { request, name: readName(), beginNew: false };
  }
  const name = readName();
  const beginNew = (request === "commit" || request === "rollback") && r.remaining > 0 && r.u8() !== 0;
  return { request, name, beginNew };
}
