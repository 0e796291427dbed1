/**
 * ALTER DATABASE … SET PARTNER / SET WITNESS: what the engine checks before the mirroring layer
 * runs the statement — the database exists and the login may alter it (5011, then 5069, as for
 * the other ALTER DATABASE options), no user transaction (226), not a system database (5058) —
 * then the layer's own rules and errors (emulator/hadr/mirroring/).
 */
import type { Statement } from "../ast";
import type { ExecContext } from "../context";
import { fail, SqlError, sqlMessage, type MessageOptions } from "../errors";

function alterFailed(number: number, args: string[], options: MessageOptions = {}): never {
  throw new SqlError(sqlMessage(5069, [], { line: 0 }), "statement", [sqlMessage(number, args, { ...options, line: 0 })]);
}

/** Runs one mirroring option of ALTER DATABASE through the mirroring layer. */
export async function executeMirroringOption(ctx: ExecContext, s: Extract<Statement, { kind: "alterDatabaseMirroring" }>): Promise<void> {
  const name = s.database ?? ctx.session.database;
  const db = ctx.instance.databases.byName(name);
  const login = ctx.catalog.loginById(ctx.viewer.loginId);
  if (!db || !(ctx.viewer.sysadmin || (login && login.sid.equals(db.ownerSid)))) alterFailed(5011, [name]);
  if (ctx.session.trancount > 0) fail(226, "ALTER DATABASE");
  const option = s.option.kind === "witness" || s.option.kind === "witnessOff" ? "WITNESS" : "PARTNER";
  // Only user databases can be mirrored ("Prerequisites, Restrictions, and Recommendations for Database Mirroring").
  if (db.system) alterFailed(5058, [option, db.name]);
  const host = ctx.instance.mirroring;
  // An engine opened without the network layer (Engine.open alone) has no sessions to run it.
  if (!host) fail(50000, `ALTER DATABASE … SET ${option}`);
  await host.alter({ database: db.name, option: s.option, currentDatabase: ctx.session.database });
}
