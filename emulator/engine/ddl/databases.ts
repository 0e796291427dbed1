/**
 * USE, CREATE DATABASE, DROP DATABASE and ALTER DATABASE … SET RECOVERY (USE, CREATE DATABASE,
 * DROP DATABASE and ALTER DATABASE SET Options pages). Rules and errors:
 * - USE: 911 for an unknown database; the database must open for the session (927 RESTORING, 922,
 *   926, 942, an access error a replication layer set, 916 without permission).
 * - CREATE DATABASE: sysadmin (else 262 "CREATE DATABASE permission denied in database 'master'."),
 *   a free name (1801); the new database copies model's recovery model; its owner is the creator.
 * - DROP DATABASE [IF EXISTS]: 3701 unknown (or not sysadmin), 3708 for a system database, 3702
 *   while a session uses it (this one included); dropping a RESTORING database is allowed.
 * - ALTER DATABASE … SET RECOVERY: 5011 + 5069 unknown database or no permission, 5058 + 5069 for
 *   tempdb, 5052 + 5069 while RESTORING; switching to SIMPLE breaks the log chain (the next log
 *   backup needs a full backup first, 4214), FULL ↔ BULK_LOGGED keeps it.
 * - None of them runs inside a user transaction (226).
 */
import type { SqlMessage, StatementOutcome } from "../../results";
import type { Statement } from "../ast";
import type { ExecContext } from "../context";
import { checkOpen } from "../databases/access";
import { TEMPDB_DATABASE_ID } from "../databases/model";
import { newDatabaseRecord } from "../databases/store";
import { SqlError, fail, sqlMessage } from "../errors";

/** 226 "<statement> statement not allowed within multi-statement transaction." */
function outsideTransaction(ctx: ExecContext, statement: string): void {
  if (ctx.session.trancount > 0) fail(226, statement);
}

/** USE database. */
export function executeUse(ctx: ExecContext, s: Extract<Statement, { kind: "use" }>): StatementOutcome[] {
  const db = ctx.instance.databases.byName(s.database);
  if (!db) fail(911, s.database);
  checkOpen(ctx, db);
  const previous = ctx.session.database;
  ctx.session.database = db.name;
  return [
    { kind: "database", name: db.name, previous },
    { kind: "info", info: sqlMessage(5701, [db.name], { line: s.line }) },
    { kind: "done" },
  ];
}

/** CREATE DATABASE name. */
export function executeCreateDatabase(ctx: ExecContext, s: Extract<Statement, { kind: "createDatabase" }>): void {
  outsideTransaction(ctx, "CREATE DATABASE");
  if (!ctx.viewer.sysadmin) fail(262, "CREATE DATABASE", "master");
  const store = ctx.instance.databases;
  if (store.byName(s.name)) fail(1801, s.name);
  const login = ctx.catalog.loginById(ctx.viewer.loginId)!;
  const id = store.allocate(ctx.journal, "database");
  store.add(ctx.journal, newDatabaseRecord({ id, name: s.name, ownerSid: login.sid, createDate: ctx.instance.now(), recoveryModel: store.model().recoveryModel }));
}

/** DROP DATABASE [IF EXISTS] name [, …]. */
export function executeDropDatabase(ctx: ExecContext, s: Extract<Statement, { kind: "dropDatabase" }>): void {
  outsideTransaction(ctx, "DROP DATABASE");
  const store = ctx.instance.databases;
  for (const name of s.names) {
    const db = store.byName(name);
    if (!db) {
      if (s.ifExists) continue;
      fail(3701, "drop", "database", name);
    }
    if (db.system) fail(3708, "drop", "database", db.name, "database");
    if (!ctx.viewer.sysadmin) fail(3701, "drop", "database", name);
    if (store.sessionsIn(db).length > 0) fail(3702, db.name);
    const refused = store.guard("drop", db);
    if (refused) throw new SqlError({ ...refused, line: 0 });
    store.remove(ctx.journal, db);
  }
}

/** ALTER DATABASE … failure: the reason, then 5069 "ALTER DATABASE statement failed.". */
function alterFailed(reason: SqlMessage): never {
  throw new SqlError(sqlMessage(5069, [], { line: 0 }), "statement", [{ ...reason, line: 0 }]);
}

/** ALTER DATABASE { name | CURRENT } SET RECOVERY { FULL | SIMPLE | BULK_LOGGED }. */
export function executeAlterDatabase(ctx: ExecContext, s: Extract<Statement, { kind: "alterDatabase" }>): void {
  const store = ctx.instance.databases;
  const name = s.database ?? ctx.session.database;
  const db = store.byName(name);
  const login = ctx.catalog.loginById(ctx.viewer.loginId);
  if (!db || !(ctx.viewer.sysadmin || (login && login.sid.equals(db.ownerSid)))) alterFailed(sqlMessage(5011, [name]));
  outsideTransaction(ctx, "ALTER DATABASE");
  if (db.id === TEMPDB_DATABASE_ID) alterFailed(sqlMessage(5058, ["RECOVERY", db.name]));
  if (db.state === "RESTORING") alterFailed(sqlMessage(5052, ["ALTER DATABASE", "Restoring"]));
  const refused = store.guard("alter", db);
  if (refused) alterFailed(refused);
  const model = s.set.value;
  if (model === db.recoveryModel) return;
  store.set(ctx.journal, db, "recoveryModel", model);
  // "A log chain begins with the first log backup taken after the database is created or when it
  // is switched from the simple to the full or bulk-logged recovery model" (backupset page).
  if (model === "SIMPLE") store.set(ctx.journal, db, "backup", { ...db.backup, logChainStartLsn: null, lastLogBackupLsn: null });
}
