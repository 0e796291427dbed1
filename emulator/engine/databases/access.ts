/**
 * Who may open, read and write a database, and the error when not:
 * - an access mode set by a replication layer (`notAccessible`: its error, e.g. 976 or 954);
 * - the state: RESTORING 927 "… cannot be opened. It is in the middle of a restore.", RECOVERING 922,
 *   RECOVERY_PENDING / SUSPECT 926, OFFLINE 942 (EMERGENCY admits sysadmins only, as SQL Server);
 * - permission: sysadmins, the owner, and anyone for master, tempdb and msdb, whose guest user is
 *   enabled; anyone else 916 (user databases have no users but dbo in the emulator);
 * - writes: a `readOnly` database (a readable secondary) refuses them with 3906.
 */
import type { SqlMessage } from "../../results";
import { hasServerPermission } from "../access";
import type { Catalog } from "../catalog";
import { SqlError, sqlMessage } from "../errors";
import type { Viewer } from "../views";
import { MASTER_DATABASE_ID, MSDB_DATABASE_ID, TEMPDB_DATABASE_ID, type DatabaseRecord } from "./model";

/** The session facts the checks need. */
export interface DatabaseUser {
  catalog: Catalog;
  viewer: Viewer;
}

function statementError(m: SqlMessage): SqlError {
  return new SqlError({ ...m, line: 0 });
}

function loginOf(user: DatabaseUser) {
  return user.catalog.loginById(user.viewer.loginId);
}

/** True when the login may use `db` (sysadmin, owner, or a database whose guest user is enabled). */
export function mayUseDatabase(user: DatabaseUser, db: DatabaseRecord): boolean {
  if (user.viewer.sysadmin) return true;
  if (db.id === MASTER_DATABASE_ID || db.id === TEMPDB_DATABASE_ID || db.id === MSDB_DATABASE_ID) return true;
  const login = loginOf(user);
  return login !== undefined && login.sid.equals(db.ownerSid);
}

/** The error opening `db` would give (USE, a name in a query, the login's initial database), or undefined. */
export function openError(user: DatabaseUser, db: DatabaseRecord): SqlMessage | undefined {
  if (db.access.kind === "notAccessible") return db.access.error;
  switch (db.state) {
    case "RESTORING":
      return sqlMessage(927, [db.name]);
    case "RECOVERING":
      return sqlMessage(922, [db.name]);
    case "RECOVERY_PENDING":
    case "SUSPECT":
      return sqlMessage(926, [db.name]);
    case "OFFLINE":
      return sqlMessage(942, [db.name]);
    case "EMERGENCY":
      if (!user.viewer.sysadmin) return sqlMessage(926, [db.name]);
      break;
    case "ONLINE":
      break;
  }
  if (!mayUseDatabase(user, db)) return sqlMessage(916, [loginOf(user)?.name ?? "", db.name]);
  return undefined;
}

/** Throws the statement-level error of {@link openError}, if any. */
export function checkOpen(user: DatabaseUser, db: DatabaseRecord): void {
  const e = openError(user, db);
  if (e) throw statementError(e);
}

/** Throws unless sessions may write to `db` (open, and not a read-only secondary: 3906). */
export function checkWritable(user: DatabaseUser, db: DatabaseRecord): void {
  checkOpen(user, db);
  if (db.access.kind === "readOnly") throw statementError(db.access.error ?? sqlMessage(3906, [db.name]));
}

/**
 * sys.databases visibility (Microsoft's sys.databases page): master and tempdb always; others with
 * VIEW ANY DATABASE (granted to public by default), for the owner, or when it is the current database.
 */
export function canSeeDatabase(user: DatabaseUser, db: DatabaseRecord, currentDatabase: string | undefined): boolean {
  if (user.viewer.sysadmin || db.id === MASTER_DATABASE_ID || db.id === TEMPDB_DATABASE_ID) return true;
  if (hasServerPermission(user.catalog, user.viewer.loginId, "VWDB")) return true;
  if (currentDatabase !== undefined && currentDatabase === db.name) return true;
  const login = loginOf(user);
  return login !== undefined && login.sid.equals(db.ownerSid);
}
