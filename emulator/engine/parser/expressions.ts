/**
 * Expressions and SELECT. Precedence, lowest first: OR, AND, NOT, comparisons / IS NULL / IN / LIKE /
 * BETWEEN, `+ -`, `* / %`, unary minus, primaries (literals, variables, `@@x`, columns, calls,
 * CAST / CONVERT, `( … )`, scalar subqueries, EXISTS).
 */
import type { Expr, Join, OrderItem, SelectItem, SelectStatement, TableRef, TypeName } from "../ast";
import { isReserved } from "../reserved";
import type { TokenStream } from "./stream";

const COMPARISONS: Record<string, "=" | "<>" | "<" | ">" | "<=" | ">="> = {
  "=": "=",
  "<>": "<>",
  "!=": "<>",
  "<": "<",
  ">": ">",
  "<=": "<=",
  ">=": ">=",
  "!<": ">=",
  "!>": "<=",
};

/** Niladic functions T-SQL writes without parentheses (all reserved words). */
const NILADIC = new Set(["CURRENT_USER", "SESSION_USER", "SYSTEM_USER", "USER", "CURRENT_TIMESTAMP"]);

/** Parses a full expression (boolean or scalar). */
export function parseExpression(s: TokenStream): Expr {
  return parseOr(s);
}

function parseOr(s: TokenStream): Expr {
  let left = parseAnd(s);
  while (s.isWord("OR")) {
    const line = s.next().line;
    left = { kind: "or", left, right: parseAnd(s), line };
  }
  return left;
}

function parseAnd(s: TokenStream): Expr {
  let left = parseNot(s);
  while (s.isWord("AND")) {
    const line = s.next().line;
    left = { kind: "and", left, right: parseNot(s), line };
  }
  return left;
}

function parseNot(s: TokenStream): Expr {
  if (s.isWord("NOT")) {
    const line = s.next().line;
    return { kind: "not", operand: parseNot(s), line };
  }
  return parsePredicate(s);
}

function parsePredicate(s: TokenStream): Expr {
  if (s.isWord("EXISTS")) {
    const line = s.next().line;
    s.expectOperator("(");
    const query = parseSelect(s);
    s.expectOperator(")");
    return { kind: "exists", query, line };
  }
  const left = parseAdditive(s);
  const t = s.peek();
  const line = t.line;
  if (t.kind === "operator" && COMPARISONS[t.value]) {
    s.next();
    return { kind: "compare", op: COMPARISONS[t.value]!, left, right: parseAdditive(s), line };
  }
  if (s.isWord("IS")) {
    s.next();
    const negated = s.acceptWord("NOT");
    s.expectWord("NULL");
    return { kind: "isNull", operand: left, negated, line };
  }
  const negated = s.isWord("NOT") && (s.isWord("IN", 1) || s.isWord("LIKE", 1) || s.isWord("BETWEEN", 1));
  if (negated) s.next();
  if (s.acceptWord("IN")) {
    s.expectOperator("(");
    const list: Expr[] = [parseAdditive(s)];
    while (s.acceptOperator(",")) list.push(parseAdditive(s));
    s.expectOperator(")");
    return { kind: "in", operand: left, list, negated, line };
  }
  if (s.acceptWord("LIKE")) return { kind: "like", operand: left, pattern: parseAdditive(s), negated, line };
  if (s.acceptWord("BETWEEN")) {
    const low = parseAdditive(s);
    s.expectWord("AND");
    return { kind: "between", operand: left, low, high: parseAdditive(s), negated, line };
  }
  if (negated) throw s.syntaxError();
  return left;
}

function parseAdditive(s: TokenStream): Expr {
  let left = parseMultiplicative(s);
  while (s.isOperator("+") || s.isOperator("-")) {
    const t = s.next();
    left = { kind: "arith", op: t.value as "+" | "-", left, right: parseMultiplicative(s), line: t.line };
  }
  return left;
}

function parseMultiplicative(s: TokenStream): Expr {
  let left = parseUnary(s);
  while (s.isOperator("*") || s.isOperator("/") || s.isOperator("%")) {
    const t = s.next();
    left = { kind: "arith", op: t.value as "*" | "/" | "%", left, right: parseUnary(s), line: t.line };
  }
  return left;
}

function parseUnary(s: TokenStream): Expr {
  if (s.isOperator("-") || s.isOperator("+")) {
    const t = s.next();
    return { kind: "unary", op: t.value as "-" | "+", operand: parseUnary(s), line: t.line };
  }
  return parsePrimary(s);
}

/** Parses a data type: `name [ ( n | max ) ]`. */
export function parseTypeName(s: TokenStream): TypeName {
  const name = s.name().toLowerCase();
  if (!s.acceptOperator("(")) return { name };
  let length: number | "max";
  if (s.acceptWord("MAX")) length = "max";
  else {
    length = s.integer();
    // decimal(p, s): the scale is accepted and ignored (no decimal arithmetic in the subset).
    if (s.acceptOperator(",")) s.integer();
  }
  s.expectOperator(")");
  return { name, length };
}

function parsePrimary(s: TokenStream): Expr {
  const t = s.peek();
  const line = t.line;
  switch (t.kind) {
    case "string":
      s.next();
      return { kind: "literal", value: t.value, type: { name: t.unicode ? "nvarchar" : "varchar", length: Math.max(t.value.length, 1) }, line };
    case "number":
      s.next();
      if (/^\d+$/.test(t.text) && t.number! <= 2147483647) return { kind: "literal", value: t.number!, type: { name: "int" }, line };
      // Beyond int, an integer keeps every digit (bigint columns store it exactly; SQL Server would type it numeric).
      if (/^\d+$/.test(t.text) && BigInt(t.text) <= 9223372036854775807n) return { kind: "literal", value: BigInt(t.text), type: { name: "bigint" }, line };
      return { kind: "literal", value: t.number!, type: { name: "float" }, line };
    case "binary":
      s.next();
      return { kind: "literal", value: t.bytes!, type: { name: "varbinary", length: Math.max(t.bytes!.length, 1) }, line };
    case "variable":
      s.next();
      return { kind: "variable", name: t.value, line };
    case "global":
      s.next();
      return { kind: "global", name: t.value.toUpperCase(), line };
    case "operator":
      if (t.value === "(") {
        s.next();
        if (s.isWord("SELECT")) {
          const query = parseSelect(s);
          s.expectOperator(")");
          return { kind: "subquery", query, line };
        }
        const inner = parseExpression(s);
        s.expectOperator(")");
        return inner;
      }
      throw s.syntaxError();
    case "quoted":
      return parseColumnOrCall(s);
    case "word": {
      const upper = t.value.toUpperCase();
      if (upper === "NULL") {
        s.next();
        return { kind: "literal", value: null, type: { name: "int" }, line };
      }
      if (upper === "CAST" && s.isOperator("(", 1)) return parseCast(s);
      if (upper === "CONVERT" && s.isOperator("(", 1)) return parseConvert(s);
      if (NILADIC.has(upper) && !s.isOperator("(", 1)) {
        s.next();
        return { kind: "call", name: upper, args: [], star: false, line };
      }
      if ((upper === "COALESCE" || upper === "NULLIF") && s.isOperator("(", 1)) return parseCall(s);
      if (isReserved(t.value)) throw s.syntaxError();
      return parseColumnOrCall(s);
    }
    default:
      throw s.syntaxError();
  }
}

function parseCall(s: TokenStream): Expr {
  const t = s.next();
  s.expectOperator("(");
  const args: Expr[] = [];
  let star = false;
  if (s.acceptOperator("*")) star = true;
  else if (!s.isOperator(")")) {
    args.push(parseExpression(s));
    while (s.acceptOperator(",")) args.push(parseExpression(s));
  }
  s.expectOperator(")");
  return { kind: "call", name: t.value.toUpperCase(), args, star, line: t.line };
}

function parseColumnOrCall(s: TokenStream): Expr {
  const first = s.peek();
  if (first.kind === "word" && s.isOperator("(", 1)) return parseCall(s);
  const parts = [s.name()];
  while (s.isOperator(".") && s.isName(1)) {
    s.next();
    parts.push(s.name());
  }
  if (parts.length > 2) {
    // schema.view.column: the view name qualifies the column.
    return { kind: "column", qualifier: parts[parts.length - 2], name: parts[parts.length - 1]!, line: first.line };
  }
  return parts.length === 2
    ? { kind: "column", qualifier: parts[0], name: parts[1]!, line: first.line }
    : { kind: "column", name: parts[0]!, line: first.line };
}

function parseCast(s: TokenStream): Expr {
  const line = s.next().line;
  s.expectOperator("(");
  const expr = parseExpression(s);
  s.expectWord("AS");
  const type = parseTypeName(s);
  s.expectOperator(")");
  return { kind: "cast", expr, type, line };
}

function parseConvert(s: TokenStream): Expr {
  const line = s.next().line;
  s.expectOperator("(");
  const type = parseTypeName(s);
  s.expectOperator(",");
  const expr = parseExpression(s);
  const style = s.acceptOperator(",") ? parseExpression(s) : undefined;
  s.expectOperator(")");
  return { kind: "cast", expr, type, style, line };
}

/** `[db.][schema.]name [[AS] alias]` in FROM / JOIN. */
function parseTableRef(s: TokenStream): TableRef {
  const line = s.peek().line;
  const parts = [s.name()];
  while (s.acceptOperator(".")) parts.push(s.isOperator(".") ? "" : s.name());
  let alias: string | undefined;
  if (s.acceptWord("AS")) alias = s.name();
  else if (s.isName()) alias = s.name();
  return { parts, alias, line };
}

function parseSelectItem(s: TokenStream): SelectItem {
  if (s.acceptOperator("*")) return { kind: "star" };
  if (s.isName() && s.isOperator(".", 1) && s.isOperator("*", 2)) {
    const qualifier = s.name();
    s.next();
    s.next();
    return { kind: "star", qualifier };
  }
  if (s.peek().kind === "variable" && s.isOperator("=", 1)) throw s.unsupported("SELECT @variable = … assignment");
  // `alias = expression` (alias a name or a string), the T-SQL spelling of a column alias.
  if ((s.isName() || s.peek().kind === "string") && s.isOperator("=", 1)) {
    const alias = s.next().value;
    s.next();
    return { kind: "expr", expr: parseExpression(s), alias };
  }
  const expr = parseExpression(s);
  let alias: string | undefined;
  if (s.acceptWord("AS")) alias = s.peek().kind === "string" ? s.string() : s.name();
  else if (s.isName() || s.peek().kind === "string") alias = s.peek().kind === "string" ? s.string() : s.name();
  return { kind: "expr", expr, alias };
}

/** Parses `SELECT …` (the current token must be SELECT). */
export function parseSelect(s: TokenStream): SelectStatement {
  const line = s.peek().line;
  s.expectWord("SELECT");
  const distinct = s.acceptWord("DISTINCT");
  if (!distinct) s.acceptWord("ALL");
  let top: Expr | undefined;
  if (s.acceptWord("TOP")) {
    if (s.acceptOperator("(")) {
      top = parseExpression(s);
      s.expectOperator(")");
    } else {
      const t = s.peek();
      top = { kind: "literal", value: s.integer(), type: { name: "int" }, line: t.line };
    }
    if (s.isWord("PERCENT") || s.isWord("WITH")) throw s.unsupported(`TOP … ${s.peek().value.toUpperCase()}`);
  }
  const items: SelectItem[] = [parseSelectItem(s)];
  while (s.acceptOperator(",")) items.push(parseSelectItem(s));
  let from: SelectStatement["from"];
  if (s.acceptWord("FROM")) {
    const table = parseTableRef(s);
    const joins: Join[] = [];
    for (;;) {
      let type: Join["type"] | undefined;
      if (s.acceptWord("JOIN") || s.acceptWord("INNER", "JOIN")) type = "inner";
      else if (s.acceptWord("LEFT", "JOIN") || s.acceptWord("LEFT", "OUTER", "JOIN")) type = "left";
      if (!type) break;
      const joined = parseTableRef(s);
      s.expectWord("ON");
      joins.push({ type, table: joined, on: parseExpression(s) });
    }
    from = { table, joins };
  }
  const where = s.acceptWord("WHERE") ? parseExpression(s) : undefined;
  if (s.isWord("GROUP") || s.isWord("HAVING")) throw s.unsupported(s.peek().value.toUpperCase() === "GROUP" ? "GROUP BY" : "HAVING");
  const orderBy: OrderItem[] = [];
  if (s.acceptWord("ORDER", "BY")) {
    do {
      const expr = parseExpression(s);
      const descending = s.acceptWord("DESC");
      if (!descending) s.acceptWord("ASC");
      orderBy.push({ expr, descending });
    } while (s.acceptOperator(","));
  }
  return { kind: "select", distinct, top, items, from, where, orderBy, line };
}
