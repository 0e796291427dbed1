/**
 * Object names in FROM, INSERT, UPDATE and DELETE: `t`, `dbo.t`, `db.dbo.t`, `db..t`, `sys.x`,
 * `db.sys.x`, `msdb.dbo.backupset`. One- and two-part names resolve in the session's current
 * database (during compilation: the database the batch's last USE names). The result is a
 * CatalogView: user tables read their live rows (in primary-key order when there is one, as a
 * clustered index returns them), after checking the database opens for the session.
 *
 * In a database other than master, master's database-scoped security views show that database's
 * (empty) security catalog: no certificates or keys, only the fixed principals.
 */
import type { SqlValue } from "../../results";
import type { TableRef } from "../ast";
import { Catalog } from "../catalog";
import { sameName } from "../collation";
import type { SessionState } from "../context";
import { SqlError, sqlMessage } from "../errors";
import type { ObjectResolver } from "../objectResolution";
import { compareValues } from "../values";
import { systemView } from "../systemViews";
import type { CatalogView, ViewContext } from "../views";
import { checkOpen } from "./access";
import { resultColumn } from "./columnTypes";
import type { DatabaseRecord, RowRecord, TableRecord } from "./model";
import type { DatabaseStore } from "./store";
import { DATABASE_SCOPED_VIEW_NAMES, MSDB_TABLES } from "./views";

/** A name split into its parts; `database` undefined means the current one. */
export interface ObjectName {
  database?: string;
  schema?: string;
  name: string;
}

/** Splits `[db.][schema.]name` (`db..name` leaves the schema out); undefined for four or more parts. */
export function splitObjectName(parts: readonly string[]): ObjectName | undefined {
  if (parts.length === 1) return { name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  if (parts.length === 3) return { database: parts[0]!, ...(parts[1] ? { schema: parts[1] } : {}), name: parts[2]! };
  return undefined;
}

/** master's views whose rows belong to master's own security catalog. */
const MASTER_SECURITY_VIEWS = new Set(["sys.symmetric_keys", "sys.key_encryptions", "sys.certificates", "sys.database_principals", "sys.database_role_members"]);

/** A catalog with master's database-level security objects left out (the view of another database). */
function withoutMasterSecurity(catalog: Catalog): Catalog {
  const s = catalog.state;
  const { masterKey: _dropped, ...rest } = s;
  return new Catalog({ ...rest, certificates: [], users: [] });
}

/** `view` as seen from another database than master (see the module comment). */
function scopedSecurityView(view: CatalogView): CatalogView {
  return {
    ...view,
    rows: (ctx) => {
      if (ctx.database === undefined || sameName(ctx.database, "master")) return view.rows(ctx);
      if (view.name === "sys.database_principals" || view.name === "sys.database_role_members") return view.rows({ ...ctx, catalog: withoutMasterSecurity(ctx.catalog) });
      return [];
    },
  };
}

/** `view` reading database `database` whatever the session's current database (a three-part name). */
function pinnedView(view: CatalogView, store: DatabaseStore, databaseId: number): CatalogView {
  return {
    ...view,
    rows: (ctx) => {
      const db = store.byId(databaseId);
      if (!db) return [];
      checkOpen(ctx, db);
      return view.rows({ ...ctx, database: db.name });
    },
  };
}

/** A table's rows in the order a scan returns them: primary-key order, else insertion order. */
export function orderedRows(t: TableRecord): RowRecord[] {
  const key = t.primaryKey?.columns;
  if (!key) return t.rows;
  return [...t.rows].sort((a, b) => {
    for (const i of key) {
      const x = a.values[i] ?? null;
      const y = b.values[i] ?? null;
      const c = x === null ? (y === null ? 0 : -1) : y === null ? 1 : compareValues(x, y, "mdy")!;
      if (c !== 0) return c;
    }
    return a.rid - b.rid;
  });
}

/** The live table `objectId` of database `databaseId`, or 208 when it is gone. */
export function liveTable(store: DatabaseStore, databaseId: number, objectId: number, written: string): { db: DatabaseRecord; table: TableRecord } {
  const db = store.byId(databaseId);
  const table = db?.tables.find((t) => t.objectId === objectId);
  if (!db || !table) throw new SqlError(sqlMessage(208, [written]), "batch");
  return { db, table };
}

/** A user table as a FROM source. */
export function tableView(store: DatabaseStore, db: DatabaseRecord, table: TableRecord, written: string): CatalogView {
  const databaseId = db.id;
  const objectId = table.objectId;
  return {
    name: `${db.name}.dbo.${table.name}`,
    columns: table.columns.map(resultColumn),
    rows: (ctx: ViewContext): SqlValue[][] => {
      const live = liveTable(store, databaseId, objectId, written);
      checkOpen(ctx, live.db);
      return orderedRows(live.table).map((r) => r.values);
    },
  };
}

/** The table `name` in database `db` (dbo schema only), or undefined. */
export function findTable(db: DatabaseRecord, name: ObjectName): TableRecord | undefined {
  if (name.schema !== undefined && !sameName(name.schema, "dbo")) return undefined;
  return db.tables.find((t) => sameName(t.name, name.name));
}

/** The database `name` lives in (its own, or `current`), or undefined when there is none. */
export function databaseOf(store: DatabaseStore, name: ObjectName, current: string): DatabaseRecord | undefined {
  return store.byName(name.database ?? current);
}

/** The resolver a session's batch compiles and runs with. */
export class SessionObjectResolver implements ObjectResolver {
  deferring = true;
  /** The database the batch's compiled USE statements moved to (compile time only). */
  private compileDatabase?: string;

  constructor(
    private readonly store: DatabaseStore,
    private readonly session: SessionState,
  ) {}

  /** The database unqualified names resolve in now. */
  currentDatabase(): string {
    return this.deferring ? (this.compileDatabase ?? this.session.database) : this.session.database;
  }

  onUse(database: string): void {
    if (this.store.byName(database)) this.compileDatabase = this.store.byName(database)!.name;
  }

  /** Compilation is over: names now resolve in the session's live current database. */
  finishCompilation(): void {
    this.deferring = false;
    this.compileDatabase = undefined;
  }

  /** `table` as a FROM source (UPDATE / DELETE's WHERE and SET read it). */
  tableSource(db: DatabaseRecord, table: TableRecord, written: string): CatalogView {
    return tableView(this.store, db, table, written);
  }

  /** The user table `ref` names (for INSERT / UPDATE / DELETE), or undefined. */
  resolveTable(ref: TableRef): { db: DatabaseRecord; table: TableRecord } | undefined {
    const name = splitObjectName(ref.parts);
    const db = name && databaseOf(this.store, name, this.currentDatabase());
    const table = db && name ? findTable(db, name) : undefined;
    return db && table ? { db, table } : undefined;
  }

  resolve(ref: TableRef): CatalogView | undefined {
    const name = splitObjectName(ref.parts);
    if (!name) return undefined;
    const dbName = name.database ?? this.currentDatabase();
    if (name.schema !== undefined && sameName(name.schema, "sys")) {
      const base = systemView(`sys.${name.name.toLowerCase()}`);
      if (!base) return undefined;
      const view = MASTER_SECURITY_VIEWS.has(base.name) ? scopedSecurityView(base) : base;
      if (name.database === undefined) return view;
      const db = this.store.byName(name.database);
      if (!db) return undefined;
      return DATABASE_SCOPED_VIEW_NAMES.has(base.name) || MASTER_SECURITY_VIEWS.has(base.name) ? pinnedView(view, this.store, db.id) : view;
    }
    const db = this.store.byName(dbName);
    if (!db) return undefined;
    if (sameName(db.name, "msdb") && (name.schema === undefined || sameName(name.schema, "dbo"))) {
      const msdb = MSDB_TABLES.get(name.name.toLowerCase());
      if (msdb) return msdb;
    }
    const table = findTable(db, name);
    return table ? tableView(this.store, db, table, ref.parts.join(".")) : undefined;
  }
}
