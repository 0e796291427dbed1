/**
 * The database layer's part of `Engine.snapshot()`: msdb's backup history tables, and for every user
 * database its sys.tables and each table's rows, so a before / after comparison of an instance's
 * catalog also covers its databases' contents.
 */
import type { CatalogView, ViewContext } from "../views";
import { orderedRows, tableView } from "./objects";
import { MSDB_TABLES, DATABASE_SYS_VIEWS } from "./views";

/** A view to snapshot and the database it is read in. */
export type SnapshotView = CatalogView & { database: string };

/** `[name, view]` pairs in a stable order: msdb's tables, then each user database's (by database_id). */
export function databaseSnapshot(ctx: ViewContext): Array<[string, SnapshotView]> {
  const store = ctx.databases;
  if (!store) return [];
  const out: Array<[string, SnapshotView]> = [];
  for (const [name, view] of MSDB_TABLES) out.push([`msdb.dbo.${name}`, { ...view, database: "msdb" }]);
  const sysTables = DATABASE_SYS_VIEWS.find((v) => v.name === "sys.tables")!;
  for (const db of [...store.state.databases].filter((d) => !d.system).sort((a, b) => a.id - b.id)) {
    out.push([`${db.name}.sys.tables`, { ...sysTables, database: db.name }]);
    for (const t of [...db.tables].sort((a, b) => a.objectId - b.objectId)) {
      // Read past the database's state: a snapshot shows a RESTORING copy's data too.
      const live = tableView(store, db, t, t.name);
      out.push([`${db.name}.dbo.${t.name}`, { ...live, database: db.name, rows: () => orderedRows(t).map((r) => r.values) }]);
    }
  }
  return out;
}
