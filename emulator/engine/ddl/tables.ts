/**
 * CREATE TABLE, DROP TABLE, INSERT, UPDATE and DELETE on user tables (CREATE TABLE / INSERT / UPDATE
 * / DELETE / DROP TABLE pages). Every change is a log record (databases/store.ts): applied at once,
 * logged at commit, undone by a rollback. Rules and errors:
 * - the database must exist (2702), be a user database, open for the session (916, 927, …) and
 *   writable (3906 on a read-only secondary); only the dbo schema exists (2760);
 * - CREATE TABLE: the name is free (2714), column names unique (2705), one PRIMARY KEY (8110) on
 *   columns that exist (1911), are not NULL (8111) and not (n)varchar(max) / varbinary(max) (1919);
 * - INSERT: column counts match (109 / 110 / 213, rows of a VALUES list alike: 10710), columns
 *   named once (264), values convert to the column types (515, 2628, 8115, 8169, 245), primary keys
 *   stay unique (2627); statement-level errors are followed by 3621 "The statement has been
 *   terminated." and leave the table as before;
 * - UPDATE evaluates every SET against the old row, then checks the keys; DELETE removes the rows.
 * Statements on a table that does not exist when the batch compiles are compiled when they run
 * (deferred name resolution); still unknown then, they end the batch with 208.
 */
import type { SqlValue, StatementOutcome } from "../../results";
import type { Statement, TableRef } from "../ast";
import { sameName } from "../collation";
import type { ExecContext } from "../context";
import { checkWritable } from "../databases/access";
import type { ColumnSpec } from "../databases/ast";
import { storeValue, type StoreTarget } from "../databases/columnTypes";
import type { ColumnDefinition, DatabaseRecord, TableDefinition, TableRecord } from "../databases/model";
import { databaseOf, liveTable, SessionObjectResolver, splitObjectName, type ObjectName } from "../databases/objects";
import { SqlError, compileError, fail, sqlMessage } from "../errors";
import { compilePredicate, compileValue, isTrue, objectResolver, type CompiledExpr, type Scope } from "../evaluate";
import { DeferredCompilation } from "../objectResolution";
import { compareValues, toText } from "../values";

type InsertStatement = Extract<Statement, { kind: "insert" }>;
type UpdateStatement = Extract<Statement, { kind: "update" }>;
type DeleteStatement = Extract<Statement, { kind: "delete" }>;

/** A compiled INSERT / UPDATE / DELETE: the target table and the compiled expressions. */
export type CompiledDml =
  | { kind: "insert"; databaseId: number; objectId: number; written: string; targets: number[]; rows: CompiledExpr[][] }
  | { kind: "update"; databaseId: number; objectId: number; written: string; sets: Array<{ column: number; expr: CompiledExpr }>; where?: CompiledExpr }
  | { kind: "delete"; databaseId: number; objectId: number; written: string; where?: CompiledExpr };

/** A statement-level error followed by 3621 "The statement has been terminated.", as DML errors are. */
function terminated(number: number, ...args: Array<string | number>): never {
  throw new SqlError(sqlMessage(number, args, { line: 0 }), "statement", [], [sqlMessage(3621)]);
}

/** Re-raises a conversion / constraint error of a DML statement with the trailing 3621. */
function withTermination<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof SqlError && e.scope === "statement" && e.following.length === 0) throw new SqlError(e.sql, e.scope, e.preceding, [sqlMessage(3621)]);
    throw e;
  }
}

/** The name parts, database and table a DDL statement names (2702, 2760; user databases only). */
function ddlTarget(ctx: ExecContext, ref: TableRef, statement: string): { db: DatabaseRecord; name: ObjectName } {
  const name = splitObjectName(ref.parts);
  if (!name) return fail(208, ref.parts.join("."));
  const db = databaseOf(ctx.instance.databases, name, ctx.session.database);
  if (!db) return fail(2702, name.database ?? ctx.session.database);
  if (name.schema !== undefined && !sameName(name.schema, "dbo")) return fail(2760, name.schema);
  if (db.system) return fail(50000, `${statement} in the system database '${db.name}'`);
  checkWritable(ctx, db);
  return { db, name };
}

/** The default PRIMARY KEY constraint name: `PK__<table, 8 characters>__<16 hex digits>` (derived from the object_id here). */
function defaultPrimaryKeyName(table: string, objectId: number): string {
  return `PK__${table.slice(0, 8)}__${objectId.toString(16).toUpperCase().padStart(16, "0")}`;
}

/** CREATE TABLE. */
export function executeCreateTable(ctx: ExecContext, s: Extract<Statement, { kind: "createTable" }>): void {
  const { db, name } = ddlTarget(ctx, s.table, "CREATE TABLE");
  if (db.tables.some((t) => sameName(t.name, name.name))) fail(2714, name.name);
  const seen: ColumnSpec[] = [];
  for (const c of s.columns) {
    if (seen.some((x) => sameName(x.name, c.name))) fail(2705, c.name, name.name);
    seen.push(c);
  }
  const columnPk = s.columns.filter((c) => c.primaryKey);
  if (columnPk.length + (s.primaryKey ? 1 : 0) > 1) fail(8110, name.name);
  let keyNames: string[] = [];
  let constraintName: string | undefined;
  if (s.primaryKey) {
    keyNames = s.primaryKey.columns;
    constraintName = s.primaryKey.name;
  } else if (columnPk[0]) {
    keyNames = [columnPk[0].name];
    constraintName = columnPk[0].primaryKey!.name;
  }
  const keyColumns = keyNames.map((k) => {
    const i = s.columns.findIndex((c) => sameName(c.name, k));
    if (i < 0) fail(1911, k);
    return i;
  });
  for (const i of keyColumns) {
    const c = s.columns[i]!;
    if (c.nullable === true) fail(8111, name.name);
    if (c.type.length === "max") fail(1919, c.name, name.name);
  }
  const columns: ColumnDefinition[] = s.columns.map((c, i) => ({ name: c.name, type: c.type, nullable: keyColumns.includes(i) ? false : (c.nullable ?? true) }));
  const objectId = db.nextObjectId;
  const table: TableDefinition = {
    objectId,
    schemaId: 1,
    name: name.name,
    columns,
    ...(keyColumns.length ? { primaryKey: { name: constraintName ?? defaultPrimaryKeyName(name.name, objectId), columns: keyColumns } } : {}),
    createDate: ctx.instance.now(),
  };
  ctx.instance.databases.logChange(ctx.journal, db, { kind: "createTable", table });
}

/** DROP TABLE [IF EXISTS]. */
export function executeDropTable(ctx: ExecContext, s: Extract<Statement, { kind: "dropTable" }>): void {
  for (const ref of s.tables) {
    const name = splitObjectName(ref.parts);
    const db = name && databaseOf(ctx.instance.databases, name, ctx.session.database);
    const table = db && name && (name.schema === undefined || sameName(name.schema, "dbo")) ? db.tables.find((t) => sameName(t.name, name.name)) : undefined;
    if (!db || !table) {
      if (s.ifExists) continue;
      fail(3701, "drop", "table", ref.parts[ref.parts.length - 1]!);
    }
    checkWritable(ctx, db);
    ctx.instance.databases.logChange(ctx.journal, db, { kind: "dropTable", objectId: table.objectId });
  }
}

/** The table a DML statement targets, at compile time (deferred when it does not exist yet). */
function dmlTarget(ref: TableRef, root: Scope): { db: DatabaseRecord; table: TableRecord; resolver: SessionObjectResolver } {
  const resolver = objectResolver(root);
  const found = resolver instanceof SessionObjectResolver ? resolver.resolveTable(ref) : undefined;
  if (found) return { ...found, resolver: resolver as SessionObjectResolver };
  if (resolver?.deferring) throw new DeferredCompilation();
  throw compileError(208, ref.line, ref.parts.join("."));
}

function columnIndex(table: TableRecord, name: string, line: number): number {
  const i = table.columns.findIndex((c) => sameName(c.name, name));
  if (i < 0) throw compileError(207, line, name);
  return i;
}

/** Compiles INSERT / UPDATE / DELETE against the table as it is now (CompileOptions.compileStatement). */
export function compileDml(s: InsertStatement | UpdateStatement | DeleteStatement, root: Scope): CompiledDml {
  const { db, table, resolver } = dmlTarget(s.table, root);
  const written = s.table.parts.join(".");
  const base = { databaseId: db.id, objectId: table.objectId, written };
  if (s.kind === "insert") {
    const width = s.rows[0]!.length;
    if (s.rows.some((r) => r.length !== width)) throw compileError(10710, s.line);
    let targets: number[];
    if (s.columns) {
      targets = s.columns.map((c) => columnIndex(table, c, s.line));
      const dup = targets.find((t, i) => targets.indexOf(t) !== i);
      if (dup !== undefined) throw compileError(264, s.line, table.columns[dup]!.name, table.columns[dup]!.name);
      if (width < targets.length) throw compileError(109, s.line);
      if (width > targets.length) throw compileError(110, s.line);
    } else {
      if (width !== table.columns.length) throw compileError(213, s.line);
      targets = table.columns.map((_, i) => i);
    }
    return { kind: "insert", ...base, targets, rows: s.rows.map((r) => r.map((e) => compileValue(e, root))) };
  }
  const alias = s.table.parts[s.table.parts.length - 1]!;
  const scope: Scope = { sources: [{ name: alias, view: resolver.tableSource(db, table, written) }], variables: root.variables, parent: root };
  const where = s.where ? compilePredicate(s.where, scope) : undefined;
  if (s.kind === "delete") return { kind: "delete", ...base, ...(where ? { where } : {}) };
  const sets = s.assignments.map((a) => ({ column: columnIndex(table, a.column, a.line), expr: compileValue(a.expr, scope) }));
  const dup = sets.find((x, i) => sets.findIndex((y) => y.column === x.column) !== i);
  if (dup) throw compileError(264, s.line, table.columns[dup.column]!.name, table.columns[dup.column]!.name);
  return { kind: "update", ...base, sets, ...(where ? { where } : {}) };
}

/** The key of `values` in `table`'s primary key, or undefined without one. */
function keyOf(table: TableRecord, values: readonly unknown[]): unknown[] | undefined {
  return table.primaryKey?.columns.map((i) => values[i]);
}

function sameKey(a: unknown[], b: unknown[]): boolean {
  return a.every((x, i) => compareValues(x as never, b[i] as never, "mdy") === 0);
}

/**
 * Primary-key values grouped by a coarse text form (strings lower-cased without trailing spaces,
 * numbers by value), so a duplicate check compares a few keys instead of every row; keys in one
 * group are then compared under the collation.
 */
class KeyIndex {
  private readonly groups = new Map<string, unknown[][]>();

  private static bucket(key: readonly unknown[]): string {
    return JSON.stringify(key.map((v) => (typeof v === "string" ? v.replace(/ +$/, "").toLowerCase() : typeof v === "bigint" || typeof v === "number" ? `#${String(v)}` : v instanceof Date ? v.getTime() : Buffer.isBuffer(v) ? v.toString("hex") : v)));
  }

  /** True when an equal key is already in the index. */
  has(key: unknown[]): boolean {
    return (this.groups.get(KeyIndex.bucket(key)) ?? []).some((k) => sameKey(k, key));
  }

  add(key: unknown[]): void {
    const b = KeyIndex.bucket(key);
    const list = this.groups.get(b) ?? [];
    list.push(key);
    this.groups.set(b, list);
  }
}

/** 2627 for a duplicate primary key. */
function duplicateKey(table: TableRecord, key: unknown[]): never {
  return terminated(2627, "PRIMARY KEY", table.primaryKey!.name, `dbo.${table.name}`, key.map((v) => toText(v as never) ?? "NULL").join(", "));
}

function rowsAffected(ctx: ExecContext, n: number): StatementOutcome[] {
  ctx.session.lastRowCount = n;
  return ctx.session.settings.nocount ? [{ kind: "done" }] : [{ kind: "done", rowCount: n }];
}

/** Runs a compiled INSERT / UPDATE / DELETE. */
export function executeDml(ctx: ExecContext, compiled: CompiledDml): StatementOutcome[] {
  const store = ctx.instance.databases;
  const { db, table } = liveTable(store, compiled.databaseId, compiled.objectId, compiled.written);
  checkWritable(ctx, db);
  const target = (statement: "INSERT" | "UPDATE"): StoreTarget => ({ qualifiedTable: `${db.name}.dbo.${table.name}`, statement, dateFormat: ctx.session.settings.dateFormat });
  if (compiled.kind === "insert") {
    const t = target("INSERT");
    const keys = table.primaryKey ? new KeyIndex() : undefined;
    for (const r of keys ? table.rows : []) keys!.add(keyOf(table, r.values)!);
    for (const row of compiled.rows) {
      const values: SqlValue[] = table.columns.map(() => null);
      const given = row.map((e) => e.evaluate({ rows: [] }, ctx));
      compiled.targets.forEach((col, i) => {
        values[col] = given[i]!;
      });
      const stored = withTermination(() => table.columns.map((c, i) => storeValue(values[i]!, c, t)));
      const key = keyOf(table, stored);
      if (key && keys!.has(key)) duplicateKey(table, key);
      if (key) keys!.add(key);
      store.logChange(ctx.journal, db, { kind: "insert", objectId: table.objectId, rid: table.nextRowId, values: stored });
    }
    return rowsAffected(ctx, compiled.rows.length);
  }
  const matching = table.rows.filter((r) => !compiled.where || isTrue(compiled.where.evaluate({ rows: [r.values] }, ctx)));
  if (compiled.kind === "delete") {
    for (const r of matching) store.logChange(ctx.journal, db, { kind: "delete", objectId: table.objectId, rid: r.rid });
    return rowsAffected(ctx, matching.length);
  }
  const t = target("UPDATE");
  // Every SET reads the row as it was before the statement.
  const updates = matching.map((r) => {
    const next = [...r.values];
    for (const set of compiled.sets) next[set.column] = set.expr.evaluate({ rows: [r.values] }, ctx);
    return { rid: r.rid, values: withTermination(() => table.columns.map((c, i) => storeValue(next[i]!, c, t))) };
  });
  if (table.primaryKey) {
    const updated = new Map(updates.map((u) => [u.rid, u.values]));
    const keys = new KeyIndex();
    for (const r of table.rows) {
      const key = keyOf(table, updated.get(r.rid) ?? r.values)!;
      if (keys.has(key)) duplicateKey(table, key);
      keys.add(key);
    }
  }
  for (const u of updates) store.logChange(ctx.journal, db, { kind: "update", objectId: table.objectId, rid: u.rid, values: u.values });
  return rowsAffected(ctx, updates.length);
}
