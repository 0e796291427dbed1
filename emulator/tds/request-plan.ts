/**
 * What a SQL_BATCH, RPC or TRANSACTION_MANAGER request asks of the session: the call that produces
 * its outcomes and the shape its reply takes. Parsing happens here, so a malformed request throws
 * {@link TdsProtocolError} before anything runs; well-formed requests the server cannot serve (an
 * unsupported parameter type, DTC transaction requests) become error replies instead.
 */
import type { SessionReply, TdsSession } from "./handler";
import type { TdsMessage } from "./packets";
import { planRpc, type PreparedStatements } from "./procedures";
import { PacketType, TdsProtocolError } from "./protocol";
import { parseSqlBatch, parseTransactionRequest, type TransactionRequest, UnsupportedTransactionRequest } from "./requests";
import type { ReplyShape } from "./responses";
import { parseRpc, UnsupportedRpcError } from "./rpc";

/** A parsed request, ready to run. */
export interface RequestPlan {
  /** How the reply is framed (batch DONEs or RPC DONEINPROC/DONEPROC). */
  shape: ReplyShape;
  /** Calls the session (or answers without it); may reject, which the caller reports as error 50000. */
  run: () => Promise<SessionReply>;
}

function failed(message: string, number: number): SessionReply {
  return { outcomes: [{ kind: "error", error: { number, state: 1, class: 16, message, line: 1 } }] };
}

/** Parses a request message into a {@link RequestPlan}. */
export function planRequest(message: TdsMessage, session: TdsSession, prepared: PreparedStatements, signal: AbortSignal): RequestPlan {
  switch (message.type) {
    case PacketType.SqlBatch: {
      const sql = parseSqlBatch(message.payload);
      return { shape: { kind: "batch" }, run: () => session.execute(sql, [], { kind: "batch", signal }) };
    }
    case PacketType.Rpc: {
      let rpc;
      try {
        rpc = parseRpc(message.payload);
      } catch (error) {
        if (!(error instanceof UnsupportedRpcError)) throw error;
        return { shape: { kind: "rpc", returnValues: [] }, run: async () => failed(error.message, 8009) };
      }
      const plan = planRpc(rpc, prepared);
      const shape: ReplyShape = { kind: "rpc", returnValues: plan.returnValues };
      const statement = plan.run;
      if (!statement) return { shape, run: async () => ({ outcomes: plan.outcomes }) };
      return { shape, run: () => session.execute(statement.sql, statement.params, { kind: "rpc", signal }) };
    }
    case PacketType.TransactionManager: {
      let tm: TransactionRequest;
      try {
        tm = parseTransactionRequest(message.payload);
      } catch (error) {
        if (!(error instanceof UnsupportedTransactionRequest)) throw error;
        return { shape: { kind: "batch" }, run: async () => failed(error.message, 50000) };
      }
      return { shape: { kind: "batch" }, run: () => transactionRequest(session, tm, signal) };
    }
    default:
      throw new TdsProtocolError(`packet type 0x${message.type.toString(16)} is not a request this server accepts`);
  }
}

/** Adds the event a TM request implies when the session's reply reports none itself and did not fail. */
function withImpliedEvent(reply: SessionReply, event: "begin" | "commit" | "rollback" | undefined): SessionReply {
  const outcomes = Array.isArray(reply?.outcomes) ? reply.outcomes : [];
  const reported = outcomes.some((o) => o?.kind === "transaction");
  const failedRequest = outcomes.some((o) => o?.kind === "error");
  return { ...reply, outcomes: reported || failedRequest || !event ? outcomes : [...outcomes, { kind: "transaction", event }] };
}

/**
 * A TRANSACTION_MANAGER request. tedious learns about the transaction only from ENVCHANGE 8/9/10,
 * so a session that answers `begin`/`commit`/`rollback` without reporting the event gets it
 * reported for it. The session interface has no isolation-level parameter (clients use SET
 * TRANSACTION ISOLATION LEVEL as well), and `ctx.kind` is `batch` as the closest of its two kinds.
 * COMMIT/ROLLBACK with fBeginXact becomes the end, then a `begin`.
 */
async function transactionRequest(session: TdsSession, tm: TransactionRequest, signal: AbortSignal): Promise<SessionReply> {
  const ctx = { kind: "batch" as const, signal };
  const first = withImpliedEvent(await session.transaction(tm.request, tm.name, ctx), tm.request === "save" ? undefined : tm.request);
  if (!tm.beginNew || first.disconnect || first.outcomes.some((o) => o?.kind === "error")) return first;
  const second = withImpliedEvent(await session.transaction("begin", "", ctx), "begin");
  return { ...second, outcomes: [...first.outcomes, ...second.outcomes] };
}
