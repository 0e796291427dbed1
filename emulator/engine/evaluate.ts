/**
 * Compiles expressions into closures, resolving names once: columns against the FROM sources (207
 * invalid, 209 ambiguous, 4104 unbound qualifier), variables against the batch's declarations (137),
 * functions against the registry (195). Predicates evaluate to true / false / null (UNKNOWN), with
 * SQL Server's three-valued logic.
 */
import type { SqlValue } from "../results";
import type { Expr, SelectStatement } from "./ast";
import { sameName } from "./collation";
import type { ExecContext } from "./context";
import { compileError, fail } from "./errors";
import { AGGREGATES, GLOBALS, lookupFunction } from "./functions";
import type { ObjectResolver } from "./objectResolution";
import type { CatalogView } from "./views";
import { compareValues, convertValue, isTextType, toNumber, toText, typeFromName, type SqlType } from "./values";
import { compileSelect } from "./select";

/** The current rows of the FROM sources (null for the unmatched side of a LEFT JOIN). */
export interface RowEnv {
  rows: Array<SqlValue[] | null>;
  /** Aggregate results, when the select is an aggregate query. */
  aggregates?: SqlValue[];
  /** The enclosing query's rows (correlated subqueries). */
  parent?: RowEnv;
}

/** A view in FROM. */
export interface Source {
  /** The alias, or the view's own name (`certificates`) when none was given. */
  name: string;
  view: CatalogView;
}

/** An aggregate call found in the select list; its result lands in `RowEnv.aggregates[slot]`. */
export interface AggregateSlot {
  fn: "COUNT" | "MIN" | "MAX";
  /** Undefined for COUNT(*). */
  arg?: CompiledExpr;
}

/** Names visible while compiling. */
export interface Scope {
  sources: Source[];
  /** Declared variables and parameters (lower-case name with `@`) → type; one map per batch, shared by nested scopes. */
  variables: Map<string, SqlType>;
  parent?: Scope;
  /** Set while compiling an aggregate query's select list: aggregate calls register here. */
  aggregates?: AggregateSlot[];
  /** How FROM finds objects (set on a batch's root scope; nested scopes inherit it through `parent`). */
  objects?: ObjectResolver;
}

/** The object resolver of `scope` or of the nearest enclosing scope that has one. */
export function objectResolver(scope: Scope | undefined): ObjectResolver | undefined {
  for (let s = scope; s; s = s.parent) if (s.objects) return s.objects;
  return undefined;
}

/** A compiled expression. */
export interface CompiledExpr {
  type: SqlType;
  /** The result column name it gets without an alias (a column reference keeps its name). */
  columnName?: string;
  evaluate(env: RowEnv, ctx: ExecContext): SqlValue;
}

const PREDICATES = new Set(["compare", "and", "or", "not", "isNull", "in", "like", "between", "exists"]);
const BIT: SqlType = { type: "bit" };

/** True when `e` is a condition (only valid in WHERE / ON / IF). */
export function isPredicate(e: Expr): boolean {
  return PREDICATES.has(e.kind);
}

/** Compiles a scalar expression (a condition here is a syntax error, as in T-SQL). */
export function compileValue(e: Expr, scope: Scope): CompiledExpr {
  if (isPredicate(e)) throw compileError(102, e.line, predicateToken(e));
  return compileAny(e, scope);
}

/** Compiles a condition (a scalar here is 4145, as in T-SQL). */
export function compilePredicate(e: Expr, scope: Scope): CompiledExpr {
  if (!isPredicate(e)) throw compileError(4145, e.line, describe(e));
  return compileAny(e, scope);
}

function predicateToken(e: Expr): string {
  switch (e.kind) {
    case "compare":
      return e.op;
    case "and":
    case "or":
    case "not":
    case "like":
    case "between":
    case "exists":
      return e.kind.toUpperCase();
    case "isNull":
      return "IS";
    case "in":
      return "IN";
    default:
      return "";
  }
}

function describe(e: Expr): string {
  if (e.kind === "column") return e.name;
  if (e.kind === "variable" || e.kind === "global") return e.name;
  if (e.kind === "literal") return toText(e.value) ?? "NULL";
  return ")";
}

/** A decimal column's precision and scale (nothing for other types), to carry along with its type. */
export function decimalOf(c: { precision?: number; scale?: number }): { precision?: number; scale?: number } {
  return c.precision === undefined ? {} : { precision: c.precision, scale: c.scale ?? 0 };
}

/** True when a value makes a condition true (only `true`; false and UNKNOWN do not). */
export function isTrue(v: SqlValue): boolean {
  return v === true;
}

function resolveColumn(e: Extract<Expr, { kind: "column" }>, scope: Scope): CompiledExpr {
  let depth = 0;
  for (let s: Scope | undefined = scope; s; s = s.parent, depth++) {
    const matches: Array<{ source: number; column: number }> = [];
    let qualifierFound = false;
    s.sources.forEach((src, si) => {
      if (e.qualifier !== undefined && !sameName(src.name, e.qualifier)) return;
      qualifierFound = true;
      src.view.columns.forEach((c, ci) => {
        if (sameName(c.name, e.name)) matches.push({ source: si, column: ci });
      });
    });
    if (matches.length > 1) throw compileError(209, e.line, e.name);
    if (matches.length === 1) {
      if (s === scope && scope.aggregates) throw compileError(8120, e.line, `${s.sources[matches[0]!.source]!.name}.${e.name}`);
      const { source, column } = matches[0]!;
      const col = s.sources[source]!.view.columns[column]!;
      const up = depth;
      return {
        type: { type: col.type, length: col.length, ...decimalOf(col) },
        columnName: col.name,
        evaluate: (env) => {
          let target: RowEnv | undefined = env;
          for (let i = 0; i < up; i++) target = target?.parent;
          return target?.rows[source]?.[column] ?? null;
        },
      };
    }
    if (e.qualifier !== undefined && qualifierFound) throw compileError(207, e.line, e.name);
  }
  if (e.qualifier !== undefined) throw compileError(4104, e.line, `${e.qualifier}.${e.name}`);
  throw compileError(207, e.line, e.name);
}

function compileCall(e: Extract<Expr, { kind: "call" }>, scope: Scope): CompiledExpr {
  if (AGGREGATES.has(e.name)) return compileAggregate(e, scope);
  if (e.star) throw compileError(102, e.line, "*");
  const def = lookupFunction(e.name, e.args.length, e.line);
  const args = e.args.map((a) => compileValue(a, scope));
  return {
    type: def.type(args.map((a) => a.type)),
    evaluate: (env, ctx) => def.call(args.map((a) => a.evaluate(env, ctx)), ctx),
  };
}

function compileAggregate(e: Extract<Expr, { kind: "call" }>, scope: Scope): CompiledExpr {
  const fn = e.name as AggregateSlot["fn"];
  if (!scope.aggregates) throw compileError(147, e.line);
  if (e.star ? fn !== "COUNT" || e.args.length !== 0 : e.args.length !== 1) throw compileError(174, e.line, fn, 1);
  // The argument is evaluated per row, outside the aggregate context.
  const arg = e.star ? undefined : compileValue(e.args[0]!, { ...scope, aggregates: undefined });
  const slot = scope.aggregates.push({ fn, arg }) - 1;
  return { type: fn === "COUNT" ? { type: "int" } : arg!.type, evaluate: (env) => env.aggregates?.[slot] ?? null };
}

function arithmeticType(op: string, l: SqlType, r: SqlType): SqlType {
  if (op === "+" && (isTextType(l) || isTextType(r))) {
    const type = l.type === "nvarchar" || r.type === "nvarchar" ? "nvarchar" : "varchar";
    const max = type === "nvarchar" ? 4000 : 8000;
    const length = l.length === undefined || r.length === undefined ? undefined : l.length + r.length;
    return { type, length: length !== undefined && length <= max ? length : undefined };
  }
  if (op === "+" && l.type === "varbinary" && r.type === "varbinary") return { type: "varbinary" };
  // decimal wins over the integer types (decimal columns of user tables); the result keeps the larger scale.
  if (l.type === "decimal" || r.type === "decimal") return { type: "decimal", precision: 38, scale: Math.max(l.scale ?? 0, r.scale ?? 0, op === "/" ? 6 : 0) };
  return l.type === "bigint" || r.type === "bigint" ? { type: "bigint" } : { type: "int" };
}

function arithmetic(op: string, a: SqlValue, b: SqlValue, type: SqlType, ctx: ExecContext): SqlValue {
  if (op === "+" && isTextType(type)) {
    if (a === null || b === null) return ctx.session.settings.concatNullYieldsNull ? null : (toText(a) ?? "") + (toText(b) ?? "");
    return toText(a)! + toText(b)!;
  }
  if (a === null || b === null) return null;
  if (op === "+" && Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.concat([a, b]);
  const x = toNumber(a)!;
  const y = toNumber(b)!;
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "/":
      if (y === 0) return fail(8134);
      return type.type === "decimal" ? Number((x / y).toFixed(type.scale ?? 0)) : Math.trunc(x / y);
    default:
      if (y === 0) return fail(8134);
      return x % y;
  }
}

/** A LIKE pattern as a regular expression (`%`, `_`, `[…]`, `[^…]`), case-insensitive like the collation. */
function likePattern(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close < 0) re += "\\[";
      else {
        let body = pattern.slice(i + 1, close);
        const negate = body.startsWith("^");
        if (negate) body = body.slice(1);
        re += `[${negate ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "iu");
}

function compileAny(e: Expr, scope: Scope): CompiledExpr {
  switch (e.kind) {
    case "literal": {
      const value = e.value;
      return { type: typeFromName(e.type), evaluate: () => value };
    }
    case "variable": {
      const key = e.name.toLowerCase();
      const type = scope.variables.get(key);
      if (!type) throw compileError(137, e.line, e.name);
      return { type, evaluate: (_, ctx) => ctx.variables.get(key)?.value ?? null };
    }
    case "global": {
      const g = GLOBALS[e.name] ?? (() => {
        throw compileError(137, e.line, e.name);
      })();
      return { type: g.type, evaluate: (_, ctx) => g.get(ctx) };
    }
    case "column":
      return resolveColumn(e, scope);
    case "call":
      return compileCall(e, scope);
    case "cast": {
      const inner = compileValue(e.expr, scope);
      const target = typeFromName(e.type);
      const style = e.style ? compileValue(e.style, scope) : undefined;
      return {
        type: target,
        evaluate: (env, ctx) => convertValue(inner.evaluate(env, ctx), target, style ? (toNumber(style.evaluate(env, ctx)) ?? 0) : 0, ctx.session.settings.dateFormat),
      };
    }
    case "unary": {
      const inner = compileValue(e.operand, scope);
      return {
        type: inner.type,
        evaluate: (env, ctx) => {
          const v = toNumber(inner.evaluate(env, ctx));
          return v === null ? null : e.op === "-" ? -v : v;
        },
      };
    }
    case "arith": {
      const l = compileValue(e.left, scope);
      const r = compileValue(e.right, scope);
      const type = arithmeticType(e.op, l.type, r.type);
      return { type, evaluate: (env, ctx) => arithmetic(e.op, l.evaluate(env, ctx), r.evaluate(env, ctx), type, ctx) };
    }
    case "compare": {
      const l = compileValue(e.left, scope);
      const r = compileValue(e.right, scope);
      const test = { "=": (c: number) => c === 0, "<>": (c: number) => c !== 0, "<": (c: number) => c < 0, ">": (c: number) => c > 0, "<=": (c: number) => c <= 0, ">=": (c: number) => c >= 0 }[e.op];
      return {
        type: BIT,
        evaluate: (env, ctx) => {
          const c = compareValues(l.evaluate(env, ctx), r.evaluate(env, ctx), ctx.session.settings.dateFormat, l.type, r.type);
          return c === null ? null : test(c);
        },
      };
    }
    case "and":
    case "or": {
      const l = compilePredicate(e.left, scope);
      const r = compilePredicate(e.right, scope);
      const isAnd = e.kind === "and";
      return {
        type: BIT,
        evaluate: (env, ctx) => {
          const a = l.evaluate(env, ctx);
          if (isAnd && a === false) return false;
          if (!isAnd && a === true) return true;
          const b = r.evaluate(env, ctx);
          if (isAnd) return a === true && b === true ? true : b === false ? false : null;
          return b === true ? true : a === false && b === false ? false : null;
        },
      };
    }
    case "not": {
      const inner = compilePredicate(e.operand, scope);
      return {
        type: BIT,
        evaluate: (env, ctx) => {
          const v = inner.evaluate(env, ctx);
          return v === null ? null : !v;
        },
      };
    }
    case "isNull": {
      const inner = compileValue(e.operand, scope);
      return { type: BIT, evaluate: (env, ctx) => (inner.evaluate(env, ctx) === null) !== e.negated };
    }
    case "in": {
      const operand = compileValue(e.operand, scope);
      const list = e.list.map((x) => compileValue(x, scope));
      return {
        type: BIT,
        evaluate: (env, ctx) => {
          const v = operand.evaluate(env, ctx);
          let unknown = false;
          for (const item of list) {
            const c = compareValues(v, item.evaluate(env, ctx), ctx.session.settings.dateFormat, operand.type, item.type);
            if (c === 0) return !e.negated;
            if (c === null) unknown = true;
          }
          return unknown ? null : e.negated;
        },
      };
    }
    case "like": {
      const operand = compileValue(e.operand, scope);
      const pattern = compileValue(e.pattern, scope);
      return {
        type: BIT,
        evaluate: (env, ctx) => {
          const v = toText(operand.evaluate(env, ctx));
          const p = toText(pattern.evaluate(env, ctx));
          if (v === null || p === null) return null;
          return likePattern(p).test(v) !== e.negated;
        },
      };
    }
    case "between": {
      const operand = compileValue(e.operand, scope);
      const low = compileValue(e.low, scope);
      const high = compileValue(e.high, scope);
      return {
        type: BIT,
        evaluate: (env, ctx) => {
          const v = operand.evaluate(env, ctx);
          const fmt = ctx.session.settings.dateFormat;
          const a = compareValues(v, low.evaluate(env, ctx), fmt);
          const b = compareValues(v, high.evaluate(env, ctx), fmt);
          if (a === null || b === null) return null;
          return (a >= 0 && b <= 0) !== e.negated;
        },
      };
    }
    case "exists": {
      const query = compileSelect(e.query, scope);
      return { type: BIT, evaluate: (env, ctx) => query.run(ctx, env, 1).length > 0 };
    }
    case "subquery":
      return compileScalarSubquery(e.query, scope);
  }
}

function compileScalarSubquery(q: SelectStatement, scope: Scope): CompiledExpr {
  const query = compileSelect(q, scope);
  if (query.columns.length !== 1) throw compileError(116, q.line);
  return {
    type: { type: query.columns[0]!.type, length: query.columns[0]!.length, ...decimalOf(query.columns[0]!) },
    evaluate: (env, ctx) => {
      const rows = query.run(ctx, env, 2);
      if (rows.length > 1) fail(512);
      return rows[0]?.[0] ?? null;
    },
  };
}
