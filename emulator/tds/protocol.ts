/**
 * Numbers fixed by MS-TDS that several modules share: packet types, packet status bits, token
 * ids and DONE status bits, plus the error type every parser throws on malformed input.
 */

/** Packet header `Type` byte (MS-TDS 2.2.3.1.1). BULK_LOAD (0x07) is not accepted. */
export const PacketType = {
  /** SQL_BATCH: UCS-2 SQL text after ALL_HEADERS. */
  SqlBatch: 0x01,
  /** RPC request (sp_executesql and friends). */
  Rpc: 0x03,
  /** TABULAR_RESULT: every server reply. */
  Reply: 0x04,
  /** ATTENTION: cancel the request in flight (header only). */
  Attention: 0x06,
  /** TRANSACTION_MANAGER request (begin/commit/rollback/save). */
  TransactionManager: 0x0e,
  /** LOGIN7. */
  Login7: 0x10,
  /** PRELOGIN, and the TLS handshake records wrapped in it. */
  Prelogin: 0x12,
} as const;

/**
 * Packet header `Status` bits (MS-TDS 2.2.3.1.2). RESETCONNECTIONSKIPTRAN (0x10) is not acted on:
 * `TdsSession.reset()` always rolls back, and no client used here sends it.
 */
export const PacketStatus = {
  /** Last packet of a message. */
  EndOfMessage: 0x01,
  /** The client gave up sending this message: discard it. */
  Ignore: 0x02,
  /** Reset the session before running this request. */
  ResetConnection: 0x08,
} as const;

/** Size of the packet header in bytes. */
export const PACKET_HEADER_LENGTH = 8;

/** Token ids of the server's token stream (MS-TDS 2.2.7). */
export const Token = {
  ReturnStatus: 0x79,
  ColMetadata: 0x81,
  Error: 0xaa,
  Info: 0xab,
  ReturnValue: 0xac,
  LoginAck: 0xad,
  Row: 0xd1,
  NbcRow: 0xd2,
  EnvChange: 0xe3,
  Done: 0xfd,
  DoneProc: 0xfe,
  DoneInProc: 0xff,
} as const;

/** DONE / DONEPROC / DONEINPROC `Status` bits (MS-TDS 2.2.7.6). */
export const DoneStatus = {
  Final: 0x00,
  More: 0x01,
  Error: 0x02,
  Count: 0x10,
  Attention: 0x20,
} as const;

/** ENVCHANGE `Type` values this server emits (MS-TDS 2.2.7.9). */
export const EnvChangeType = {
  Database: 1,
  Language: 2,
  PacketSize: 4,
  SqlCollation: 7,
  BeginTransaction: 8,
  CommitTransaction: 9,
  RollbackTransaction: 10,
  ResetAck: 18,
} as const;

/** The TDS version this server speaks (7.4), as LOGIN7 and LOGINACK carry it. */
export const TDS_VERSION_7_4 = 0x74000004;

/**
 * The client sent bytes that do not follow the protocol. The connection that received them is
 * closed; nothing else is affected.
 */
export class TdsProtocolError extends Error {
  override readonly name = "TdsProtocolError";
}
