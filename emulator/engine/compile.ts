/**
 * The compile step between parsing and running a batch, as SQL Server has one: every expression and
 * query is bound up front, so an undeclared variable (137), unknown function (195) or bad column (207)
 * fails the whole batch before any statement runs. Variables are visible from their DECLARE onwards,
 * in text order, for the rest of the batch.
 */
import type { Expr, Statement } from "./ast";
import { compileError } from "./errors";
import { compilePredicate, compileValue, type CompiledExpr, type Scope } from "./evaluate";
import { compileSelect, type CompiledSelect } from "./select";
import { typeFromName, type SqlType } from "./values";

/** The compiled forms of a batch's expressions and queries, by AST node. */
export class CompiledBatch {
  constructor(
    private readonly expressions: Map<Expr, CompiledExpr>,
    private readonly queries: Map<Statement, CompiledSelect>,
  ) {}

  /** The compiled form of an expression of the batch. */
  expression(e: Expr): CompiledExpr {
    const c = this.expressions.get(e);
    if (!c) throw new Error("expression was not compiled with its batch");
    return c;
  }

  /** The compiled form of a SELECT statement of the batch. */
  query(s: Statement): CompiledSelect {
    const c = this.queries.get(s);
    if (!c) throw new Error("query was not compiled with its batch");
    return c;
  }
}

/**
 * Compiles a batch. `variables` holds the parameters' types (sp_executesql) and receives the
 * declared variables' types. Throws a batch-level SqlError at the first binding error.
 */
export function compileBatch(statements: Statement[], variables: Map<string, SqlType>): CompiledBatch {
  const expressions = new Map<Expr, CompiledExpr>();
  const queries = new Map<Statement, CompiledSelect>();
  const root: Scope = { sources: [], variables };
  const value = (e: Expr) => expressions.set(e, compileValue(e, root));
  const walk = (s: Statement): void => {
    switch (s.kind) {
      case "select":
        queries.set(s, compileSelect(s, root));
        return;
      case "declare":
        for (const v of s.variables) {
          if (v.init) value(v.init);
          variables.set(v.name.toLowerCase(), typeFromName(v.type));
        }
        return;
      case "setVariable":
        if (!variables.has(s.name.toLowerCase())) throw compileError(137, s.line, s.name);
        value(s.expr);
        return;
      case "print":
        value(s.expr);
        return;
      case "exec":
        value(s.sql);
        return;
      case "if":
        expressions.set(s.condition, compilePredicate(s.condition, root));
        walk(s.then);
        if (s.else) walk(s.else);
        return;
      case "block":
        s.body.forEach(walk);
        return;
      default:
        return;
    }
  };
  statements.forEach(walk);
  return new CompiledBatch(expressions, queries);
}
