/**
 * What an RPC asks for, in terms of `TdsSession.execute`: sp_executesql runs its statement;
 * sp_prepare/sp_execute/sp_prepexec/sp_unprepare (mssql's PreparedStatement) keep the statement
 * text per connection under an integer handle; every other procedure is error 2812, because the
 * emulator's T-SQL surface is reached through statements, not stored procedures.
 */
import type { SqlMessage, SqlParameter, StatementOutcome } from "../results";
import type { ReturnValue } from "./responses";
import type { RpcParameter, RpcRequest } from "./rpc";

/** ProcIDs of the system procedures a client may call by number (MS-TDS 2.2.6.6). */
const PROC_IDS: Record<number, string> = {
  1: "sp_cursor",
  2: "sp_cursoropen",
  3: "sp_cursorprepare",
  4: "sp_cursorexecute",
  5: "sp_cursorprepexec",
  6: "sp_cursorunprepare",
  7: "sp_cursorfetch",
  8: "sp_cursoroption",
  9: "sp_cursorclose",
  10: "sp_executesql",
  11: "sp_prepare",
  12: "sp_execute",
  13: "sp_prepexec",
  14: "sp_prepexecrpc",
  15: "sp_unprepare",
};

/** The plan for one RPC. */
export interface RpcPlan {
  /** A statement to run through the session; absent when the RPC is answered without it. */
  run?: { sql: string; params: SqlParameter[] };
  /** Outcomes when nothing runs (an error, or nothing at all for sp_prepare/sp_unprepare). */
  outcomes: StatementOutcome[];
  /** RETURNVALUE tokens: the prepared handle and the OUTPUT parameters echoed back. */
  returnValues: ReturnValue[];
}

/** Statements prepared on one connection, by handle. */
export class PreparedStatements {
  private readonly statements = new Map<number, string>();
  private nextHandle = 1;

  /** Stores a statement; returns its new handle (1, 2, … as SQL Server numbers them per session). */
  add(sql: string): number {
    const handle = this.nextHandle++;
    this.statements.set(handle, sql);
    return handle;
  }
  /** The statement behind a handle. */
  get(handle: number): string | undefined {
    return this.statements.get(handle);
  }
  /** Forgets a handle (sp_unprepare). */
  delete(handle: number): void {
    this.statements.delete(handle);
  }
}

/** The procedure's plain name: `[sys].[sp_executesql]` and `master..SP_EXECUTESQL` are both `sp_executesql`. */
export function procedureName(procedure: string | number): string {
  if (typeof procedure === "number") return PROC_IDS[procedure] ?? `procedure id ${procedure}`;
  const last = procedure.split(".").pop() ?? "";
  return last.replace(/^\[|\]$/g, "").toLowerCase();
}

function error(number: number, state: number, message: string): StatementOutcome[] {
  const e: SqlMessage = { number, state, class: 16, message, line: 1 };
  return [{ kind: "error", error: e }];
}

function toSqlParameters(params: RpcParameter[]): SqlParameter[] {
  return params.map((p) => ({ name: p.name, type: p.type.name, value: p.value }));
}

/** OUTPUT parameters come back unchanged: the session interface has no way to assign them. */
function echoOutputs(params: RpcParameter[], skip: ReadonlySet<number>): ReturnValue[] {
  return params.flatMap((p, ordinal) => (p.output && !skip.has(ordinal) ? [{ ordinal, name: p.name, typeInfo: p.wire.typeInfo, value: p.wire.value }] : []));
}

/** An INT return value carrying a prepared-statement handle. */
function handleValue(param: RpcParameter, handle: number): ReturnValue {
  const value = Buffer.alloc(5);
  value[0] = 4;
  value.writeInt32LE(handle, 1);
  return { ordinal: 0, name: param.name, typeInfo: Buffer.from([0x26, 4]), value };
}

function statementText(param: RpcParameter | undefined): string | undefined {
  return typeof param?.value === "string" ? param.value : undefined;
}

/** Decides what an RPC does. */
export function planRpc(request: RpcRequest, prepared: PreparedStatements): RpcPlan {
  const name = procedureName(request.procedure);
  const params = request.parameters;
  const none = new Set<number>();
  switch (name) {
    case "sp_executesql": {
      const sql = statementText(params[0]);
      if (sql === undefined) return { outcomes: error(214, 2, "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'."), returnValues: [] };
      // params[1] is the declaration string (`@id int, …`); the values carry their own types.
      return { run: { sql, params: toSqlParameters(params.slice(2)) }, outcomes: [], returnValues: echoOutputs(params, none) };
    }
    case "sp_prepare":
    case "sp_prepexec": {
      const sql = statementText(params[2]);
      if (!params[0] || sql === undefined) return { outcomes: error(214, 2, "Procedure expects parameter '@stmt' of type 'ntext/nchar/nvarchar'."), returnValues: [] };
      const handle = prepared.add(sql);
      const returnValues = [handleValue(params[0], handle), ...echoOutputs(params, new Set([0]))];
      if (name === "sp_prepare") return { outcomes: [], returnValues };
      return { run: { sql, params: toSqlParameters(params.slice(3)) }, outcomes: [], returnValues };
    }
    case "sp_execute":
    case "sp_unprepare": {
      const handle = params[0]?.value;
      const sql = typeof handle === "number" ? prepared.get(handle) : undefined;
      if (sql === undefined) return { outcomes: error(8179, 4, `Could not find prepared statement with handle ${String(handle)}.`), returnValues: [] };
      if (name === "sp_unprepare") {
        prepared.delete(handle as number);
        return { outcomes: [], returnValues: [] };
      }
      return { run: { sql, params: toSqlParameters(params.slice(1)) }, outcomes: [], returnValues: echoOutputs(params, none) };
    }
    default: {
      const shown = typeof request.procedure === "string" ? request.procedure : name;
      return { outcomes: error(2812, 62, `Could not find stored procedure '${shown}'.`), returnValues: [] };
    }
  }
}
