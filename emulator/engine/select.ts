/**
 * SELECT over the catalog views: `[DISTINCT] [TOP (n)] list FROM view [AS a] {[INNER | LEFT [OUTER]] JOIN
 * view [AS b] ON cond} [WHERE cond] [ORDER BY …]`, `SELECT expr` without FROM, and COUNT / MIN / MAX
 * over the whole result. Without an object resolver (objectResolution.ts) views are named `sys.x` or
 * `master.sys.x`; sessions' resolver also finds user tables and other databases' objects. An unknown
 * name is 208, raised when the statement runs (deferred name resolution), while bad columns fail the
 * batch at compile time.
 */
import type { Column, SqlValue } from "../results";
import type { Expr, SelectStatement, TableRef } from "./ast";
import { sameName } from "./collation";
import type { ExecContext } from "./context";
import { SqlError, compileError, sqlMessage } from "./errors";
import { compilePredicate, compileValue, decimalOf, isTrue, objectResolver, type AggregateSlot, type CompiledExpr, type RowEnv, type Scope, type Source } from "./evaluate";
import { DeferredCompilation } from "./objectResolution";
import { AGGREGATES } from "./functions";
import { compareValues, toNumber } from "./values";
import { systemView } from "./systemViews";
import type { CatalogView } from "./views";

/** A compiled SELECT. */
export interface CompiledSelect {
  columns: Column[];
  /** Produces the rows (at most `limit` when given), inside an enclosing query's row when nested. */
  run(ctx: ExecContext, parent: RowEnv | undefined, limit?: number): SqlValue[][];
}

/** Resolves `sys.x` / `master.sys.x` (any case) to a view. */
function resolveView(t: TableRef): CatalogView | undefined {
  const p = t.parts;
  let name: string | undefined;
  if (p.length === 2 && sameName(p[0]!, "sys")) name = p[1];
  else if (p.length === 3 && sameName(p[0]!, "master") && sameName(p[1]!, "sys")) name = p[2];
  if (name === undefined) return undefined;
  const key = `sys.${name.toLowerCase()}`;
  return systemView(key);
}

function containsAggregate(e: Expr): boolean {
  switch (e.kind) {
    case "call":
      return AGGREGATES.has(e.name) || e.args.some(containsAggregate);
    case "cast":
      return containsAggregate(e.expr);
    case "unary":
      return containsAggregate(e.operand);
    case "arith":
      return containsAggregate(e.left) || containsAggregate(e.right);
    default:
      return false;
  }
}

/** A key under which DISTINCT treats values as equal (strings compare case-insensitively, trailing spaces ignored). */
function distinctKey(values: SqlValue[]): string {
  return JSON.stringify(
    values.map((v) => (typeof v === "string" ? "s:" + v.replace(/ +$/, "").toLowerCase() : Buffer.isBuffer(v) ? "b:" + v.toString("hex") : v instanceof Date ? "d:" + v.getTime() : typeof v === "bigint" ? "n:" + v : v)),
  );
}

function aggregate(slot: AggregateSlot, envs: RowEnv[], ctx: ExecContext): SqlValue {
  if (!slot.arg) return envs.length;
  const values = envs.map((env) => slot.arg!.evaluate(env, ctx)).filter((v) => v !== null);
  if (slot.fn === "COUNT") return values.length;
  if (values.length === 0) return null;
  const format = ctx.session.settings.dateFormat;
  return values.reduce((best, v) => {
    const c = compareValues(v, best, format)!;
    return (slot.fn === "MIN" ? c < 0 : c > 0) ? v : best;
  });
}

/** Compiles a SELECT inside `outer` (the batch's root scope, or the enclosing query for subqueries). */
export function compileSelect(q: SelectStatement, outer: Scope): CompiledSelect {
  const tables = q.from ? [q.from.table, ...q.from.joins.map((j) => j.table)] : [];
  const sources: Source[] = [];
  const resolver = objectResolver(outer);
  for (const t of tables) {
    const view = resolver ? resolver.resolve(t) : resolveView(t);
    if (!view && resolver?.deferring) throw new DeferredCompilation();
    if (!view) {
      // Deferred name resolution: the batch runs up to this statement, which then ends it.
      const error = new SqlError(sqlMessage(208, [t.parts.join(".")], { line: t.line }), "batch");
      return {
        columns: [],
        run: () => {
          throw error;
        },
      };
    }
    sources.push({ name: t.alias ?? t.parts[t.parts.length - 1]!, view });
  }
  const aggregateQuery = q.items.some((i) => i.kind === "expr" && containsAggregate(i.expr));
  const scope: Scope = { sources, variables: outer.variables, parent: outer, aggregates: aggregateQuery ? [] : undefined };
  const rowScope: Scope = { ...scope, aggregates: undefined };

  const outputs: CompiledExpr[] = [];
  const columns: Column[] = [];
  /** Output position of each `expr` item (stars expand to several outputs). */
  const itemOutput = new Map<number, number>();
  for (const [itemIndex, item] of q.items.entries()) {
    if (item.kind === "star") {
      if (sources.length === 0) throw compileError(263, q.line);
      if (aggregateQuery) throw compileError(8120, q.line, "*");
      const matching = sources.map((s, i) => ({ s, i })).filter(({ s }) => item.qualifier === undefined || sameName(s.name, item.qualifier));
      if (matching.length === 0) throw compileError(107, q.line, item.qualifier!);
      for (const { s, i } of matching) {
        s.view.columns.forEach((c, ci) => {
          outputs.push({ type: { type: c.type, length: c.length, ...decimalOf(c) }, evaluate: (env) => env.rows[i]?.[ci] ?? null });
          columns.push(c);
        });
      }
      continue;
    }
    const compiled = compileValue(item.expr, scope);
    itemOutput.set(itemIndex, outputs.length);
    outputs.push(compiled);
    columns.push({ name: item.alias ?? compiled.columnName ?? "", type: compiled.type.type, ...(compiled.type.length !== undefined ? { length: compiled.type.length } : {}), ...decimalOf(compiled.type) });
  }

  const joins = (q.from?.joins ?? []).map((j, k) => ({
    left: j.type === "left",
    on: compilePredicate(j.on, { ...rowScope, sources: sources.slice(0, k + 2) }),
  }));
  const where = q.where ? compilePredicate(q.where, rowScope) : undefined;
  const top = q.top ? compileValue(q.top, { sources: [], variables: outer.variables, parent: outer }) : undefined;

  // ORDER BY: an output ordinal, an output alias, or an expression over the source rows.
  const order = q.orderBy.map((o) => {
    const e = o.expr;
    if (e.kind === "literal" && typeof e.value === "number") {
      if (e.value < 1 || e.value > columns.length) throw compileError(108, e.line, e.value);
      return { output: e.value - 1, descending: o.descending };
    }
    if (e.kind === "column" && e.qualifier === undefined) {
      const i = q.items.findIndex((it) => it.kind === "expr" && it.alias !== undefined && sameName(it.alias, e.name));
      if (i >= 0) return { output: itemOutput.get(i)!, descending: o.descending };
    }
    return { expr: compileValue(e, aggregateQuery ? scope : rowScope), descending: o.descending };
  });

  const slots = scope.aggregates;
  return {
    columns,
    run(ctx, parent, limit) {
      const viewCtx = { catalog: ctx.catalog, viewer: ctx.viewer, instance: ctx.instance, session: ctx.session, database: ctx.session.database, databases: ctx.instance.databases };
      const data = sources.map((s) => s.view.rows(viewCtx));
      let envs: RowEnv[] = sources.length ? data[0]!.map((r) => ({ rows: [r], parent })) : [{ rows: [], parent }];
      joins.forEach((join, k) => {
        const next: RowEnv[] = [];
        for (const env of envs) {
          let matched = false;
          for (const r of data[k + 1]!) {
            const candidate: RowEnv = { rows: [...env.rows, r], parent };
            if (isTrue(join.on.evaluate(candidate, ctx))) {
              next.push(candidate);
              matched = true;
            }
          }
          if (!matched && join.left) next.push({ rows: [...env.rows, null], parent });
        }
        envs = next;
      });
      if (where) envs = envs.filter((env) => isTrue(where.evaluate(env, ctx)));
      if (slots) envs = [{ rows: [], parent, aggregates: slots.map((slot) => aggregate(slot, envs, ctx)) }];

      let rows = envs.map((env) => ({ env, values: outputs.map((o) => o.evaluate(env, ctx)) }));
      if (q.distinct) {
        const seen = new Set<string>();
        rows = rows.filter((r) => {
          const key = distinctKey(r.values);
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
      }
      if (order.length) {
        const format = ctx.session.settings.dateFormat;
        const keyed = rows.map((r) => ({ r, keys: order.map((o) => ("output" in o ? r.values[o.output!]! : o.expr!.evaluate(r.env, ctx))) }));
        keyed.sort((a, b) => {
          for (let i = 0; i < order.length; i++) {
            const x = a.keys[i]!;
            const y = b.keys[i]!;
            // NULLs sort first ascending, as in SQL Server.
            const c = x === null ? (y === null ? 0 : -1) : y === null ? 1 : compareValues(x, y, format)!;
            if (c !== 0) return order[i]!.descending ? -c : c;
          }
          return 0;
        });
        rows = keyed.map((k) => k.r);
      }
      let count = rows.length;
      if (top) {
        const n = toNumber(top.evaluate({ rows: [], parent }, ctx));
        if (n === null || n < 0) throw new SqlError(sqlMessage(127, [], { line: q.line }));
        count = Math.min(count, Math.trunc(n));
      }
      if (limit !== undefined) count = Math.min(count, limit);
      return rows.slice(0, count).map((r) => r.values);
    },
  };
}
