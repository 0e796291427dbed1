/**
 * Turns what a session answered (`StatementOutcome`s) into the token stream of one reply message,
 * in the shapes tedious expects (notes §3):
 *
 * - batch: `[COLMETADATA ROW* DONE(MORE|COUNT)] … final DONE without MORE`;
 * - RPC:   `[COLMETADATA ROW* DONEINPROC(MORE|COUNT)] … RETURNSTATUS [RETURNVALUE*] DONEPROC`.
 *
 * Transaction events are applied to the descriptor stack before anything is encoded, so a reply
 * that fails to encode still carries the ENVCHANGEs that keep the client's transaction state right.
 */
import type { SqlMessage, StatementOutcome } from "../results";
import { ByteWriter } from "./bytes";
import { SERVER_COLLATION } from "./collation";
import type { ServerVersion } from "./prelogin";
import { DoneStatus, EnvChangeType, TDS_VERSION_7_4, Token } from "./protocol";
import type { TransactionChange, TransactionDescriptors } from "./transactions";
import * as tokens from "./tokens";

/** An OUTPUT parameter's value for RETURNVALUE, already encoded. */
export interface ReturnValue {
  /** Position of the parameter in the request. */
  ordinal: number;
  /** Parameter name including `@`. */
  name: string;
  /** Encoded TYPE_INFO. */
  typeInfo: Buffer;
  /** Encoded value (with its length prefix). */
  value: Buffer;
}

/**
 * How to frame the outcomes. `cancelled` is the cut-short reply to a request the client cancelled
 * with ATTENTION: only its transaction ENVCHANGEs survive (the client must still learn about a
 * transaction that began or ended), then a final DONE.
 */
export type ReplyShape = { kind: "batch" } | { kind: "rpc"; returnValues: ReturnValue[] } | { kind: "cancelled" };

/** Per-connection facts the encoder needs. */
export interface ReplyContext {
  /** Server name for ERROR/INFO tokens. */
  serverName: string;
  /** The connection's descriptor stack; transaction outcomes update it. */
  transactions: TransactionDescriptors;
  /** ENVCHANGEs to put first: RESETACK and the rollback a reset caused. */
  leading: TransactionChange[];
}

/** An encoded reply payload. */
export interface EncodedReply {
  /** The token stream, to be framed as one TABULAR_RESULT message. */
  payload: Buffer;
  /** An error of class 20 or more was sent: the connection must close after this reply. */
  fatal: boolean;
}

/** SQL Server's DONE CurCmd for SELECT and for EXECUTE (tedious ignores it; packet captures show it). */
const CURCMD_SELECT = 0xc1;
const CURCMD_EXECUTE = 0xe0;
/** Errors of this class or higher terminate the connection, as in SQL Server. */
const FATAL_CLASS = 20;
const TRANSACTION_EVENTS: readonly unknown[] = ["begin", "commit", "rollback"];

/** The error a handler failure becomes (number 50000, class 16), keeping the connection usable. */
export function handlerFailure(message: string): SqlMessage {
  return { number: 50000, state: 1, class: 16, message, line: 1 };
}

/** The message of anything thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The RESETACK change that answers RESETCONNECTION. */
export const RESET_ACK: TransactionChange = { type: EnvChangeType.ResetAck, newValue: Buffer.alloc(0), oldValue: Buffer.alloc(0) };

/** Encodes a session's outcomes; never throws (an unencodable reply becomes error 50000). */
export function encodeReply(outcomes: unknown, shape: ReplyShape, ctx: ReplyContext): EncodedReply {
  const list: StatementOutcome[] = Array.isArray(outcomes) ? outcomes : [];
  const changes = new Map<number, TransactionChange>();
  list.forEach((o, i) => {
    if (o?.kind === "transaction" && TRANSACTION_EVENTS.includes(o.event)) changes.set(i, ctx.transactions.apply(o.event));
  });
  const withChanges = { ...ctx, leading: [...ctx.leading, ...changes.values()] };
  if (shape.kind === "cancelled") return encodeOutcomes([], new Map(), { kind: "batch" }, withChanges);
  try {
    if (!Array.isArray(outcomes)) throw new Error("the session's reply has no outcomes array");
    return encodeOutcomes(list, changes, shape, ctx);
  } catch (error) {
    const failure: StatementOutcome[] = [{ kind: "error", error: handlerFailure(`Emulator could not encode the result: ${describeError(error)}`) }];
    return encodeOutcomes(failure, new Map(), shape, withChanges);
  }
}

function encodeOutcomes(outcomes: StatementOutcome[], changes: Map<number, TransactionChange>, shape: ReplyShape, ctx: ReplyContext): EncodedReply {
  const w = new ByteWriter();
  for (const change of ctx.leading) tokens.writeEnvChangeBytes(w, change.type, change.newValue, change.oldValue);
  const doneToken = shape.kind === "rpc" ? Token.DoneInProc : Token.Done;
  let anyError = false;
  let fatal = false;
  let lastDone = { statusAt: -1, end: -1 };
  const done = (status: number, command: number, rowCount: number): void => {
    const statusAt = tokens.writeDone(w, doneToken, status | DoneStatus.More, command, rowCount);
    lastDone = { statusAt, end: w.length };
  };
  for (const [i, outcome] of outcomes.entries()) {
    switch (outcome.kind) {
      case "rows":
        tokens.writeColMetadata(w, outcome.columns);
        for (const row of outcome.rows) tokens.writeRow(w, outcome.columns, row);
        done(DoneStatus.Count, CURCMD_SELECT, outcome.rows.length);
        break;
      case "done":
        done(outcome.rowCount === undefined ? 0 : DoneStatus.Count, 0, outcome.rowCount ?? 0);
        break;
      case "error":
        tokens.writeMessage(w, Token.Error, outcome.error, ctx.serverName);
        anyError = true;
        fatal ||= outcome.error.class >= FATAL_CLASS;
        done(DoneStatus.Error, 0, 0);
        break;
      case "info":
        tokens.writeMessage(w, Token.Info, outcome.info, ctx.serverName);
        break;
      case "database":
        tokens.writeEnvChangeText(w, EnvChangeType.Database, outcome.name, outcome.previous);
        break;
      case "transaction": {
        const change = changes.get(i);
        if (!change) throw new Error(`unknown transaction event '${String(outcome.event)}'`);
        tokens.writeEnvChangeBytes(w, change.type, change.newValue, change.oldValue);
        break;
      }
      default:
        throw new Error(`unknown outcome kind '${(outcome as { kind: unknown }).kind}'`);
    }
    if (fatal) break;
  }
  if (shape.kind === "rpc") {
    tokens.writeReturnStatus(w, 0);
    for (const rv of shape.returnValues) tokens.writeReturnValue(w, rv.ordinal, rv.name, rv.typeInfo, rv.value);
    tokens.writeDone(w, Token.DoneProc, anyError ? DoneStatus.Error : DoneStatus.Final, CURCMD_EXECUTE, 0);
  } else if (lastDone.end === w.length) {
    // The last statement's DONE ends the batch: it must not promise more.
    w.patchU16(lastDone.statusAt, w.peekU16(lastDone.statusAt) & ~DoneStatus.More);
  } else {
    tokens.writeDone(w, Token.Done, DoneStatus.Final, 0, 0);
  }
  return { payload: w.finish(), fatal };
}

/** What the successful login reply announces. */
export interface LoginAckFacts {
  /** Database the session starts in. */
  database: string;
  /** Session language. */
  language: string;
  /** Negotiated packet size. */
  packetSize: number;
  /** ServerName of the INFO tokens. */
  serverName: string;
  /** LOGINACK version. */
  version: ServerVersion;
}

/** Packet size every connection starts with, before LOGIN7 negotiates another. */
export const DEFAULT_PACKET_SIZE = 4096;

/**
 * The reply to a successful LOGIN7, in SQL Server's order: database ENVCHANGE + 5701, collation
 * (tedious needs it to send VARCHAR parameters), language + 5703, LOGINACK, packet size, DONE.
 */
export function encodeLoginSuccess(facts: LoginAckFacts): Buffer {
  const w = new ByteWriter();
  const info = (number: number, state: number, message: string): void =>
    tokens.writeMessage(w, Token.Info, { number, state, class: 0, message, line: 0 }, facts.serverName);
  tokens.writeEnvChangeText(w, EnvChangeType.Database, facts.database, "master");
  info(5701, 2, `Changed database context to '${facts.database}'.`);
  tokens.writeEnvChangeBytes(w, EnvChangeType.SqlCollation, SERVER_COLLATION, Buffer.alloc(0));
  tokens.writeEnvChangeText(w, EnvChangeType.Language, facts.language, "");
  info(5703, 1, `Changed language setting to ${facts.language}.`);
  tokens.writeLoginAck(w, TDS_VERSION_7_4, "Microsoft SQL Server", facts.version);
  tokens.writeEnvChangeText(w, EnvChangeType.PacketSize, String(facts.packetSize), String(DEFAULT_PACKET_SIZE));
  tokens.writeDone(w, Token.Done, DoneStatus.Final, 0, 0);
  return w.finish();
}

/** The reply to a rejected LOGIN7: the error, then DONE with the error bit. */
export function encodeLoginFailure(error: SqlMessage, serverName: string): Buffer {
  const w = new ByteWriter();
  tokens.writeMessage(w, Token.Error, error, serverName);
  tokens.writeDone(w, Token.Done, DoneStatus.Error, 0, 0);
  return w.finish();
}

/** A message holding one DONE: the bare reply to an ignored or cancelled request, or the attention acknowledgement. */
export function encodeDone(status: number): Buffer {
  const w = new ByteWriter(16);
  tokens.writeDone(w, Token.Done, status, 0, 0);
  return w.finish();
}
