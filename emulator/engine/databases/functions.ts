/**
 * DB_ID, DB_NAME and DATABASEPROPERTYEX (their pages): DB_ID() / DB_NAME() without an argument give
 * the current database; an unknown database, or one the login cannot see in sys.databases, is NULL.
 * DATABASEPROPERTYEX answers Recovery (FULL, BULK_LOGGED, SIMPLE), Status (the state), Updateability
 * (READ_ONLY on a read-only secondary, else READ_WRITE), UserAccess (MULTI_USER), Collation and
 * Version; any other property is NULL. sql_variant results are typed nvarchar(128) (views.ts's rule).
 */
import type { SqlValue } from "../../results";
import type { ExecContext } from "../context";
import type { FunctionDefinition } from "../functions";
import { toNumber, toText } from "../values";
import { canSeeDatabase } from "./access";
import type { DatabaseRecord } from "./model";

const SYSNAME = { type: "nvarchar" as const, length: 128 };

function visible(ctx: ExecContext, db: DatabaseRecord | undefined): DatabaseRecord | undefined {
  return db && canSeeDatabase(ctx, db, ctx.session.database) ? db : undefined;
}

function property(db: DatabaseRecord, name: string): SqlValue {
  switch (name.toUpperCase()) {
    case "RECOVERY":
      return db.recoveryModel;
    case "STATUS":
      return db.state;
    case "UPDATEABILITY":
      return db.access.kind === "readOnly" ? "READ_ONLY" : "READ_WRITE";
    case "USERACCESS":
      return "MULTI_USER";
    case "COLLATION":
      return db.state === "ONLINE" ? db.collation : null;
    case "VERSION":
      return 957;
    default:
      return null;
  }
}

/** The functions, merged into functions.ts's registry (they replace its master-only DB_ID / DB_NAME). */
export const DATABASE_FUNCTIONS: Record<string, FunctionDefinition> = {
  DB_NAME: {
    min: 0,
    max: 1,
    type: () => SYSNAME,
    call: ([id], ctx) => {
      if (id === undefined) return ctx.session.database;
      const n = id === null ? null : toNumber(id);
      return n === null ? null : (visible(ctx, ctx.instance.databases.byId(n))?.name ?? null);
    },
  },
  DB_ID: {
    min: 0,
    max: 1,
    type: () => ({ type: "int" }),
    call: ([name], ctx) => {
      const n = name === undefined ? ctx.session.database : toText(name);
      return n === null ? null : (visible(ctx, ctx.instance.databases.byName(n))?.id ?? null);
    },
  },
  DATABASEPROPERTYEX: {
    min: 2,
    max: 2,
    type: () => SYSNAME,
    call: ([database, name], ctx) => {
      const d = toText(database ?? null);
      const p = toText(name ?? null);
      if (d === null || p === null) return null;
      const db = visible(ctx, ctx.instance.databases.byName(d));
      return db ? property(db, p) : null;
    },
  },
};
