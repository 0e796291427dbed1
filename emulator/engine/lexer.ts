/**
 * Splits a T-SQL batch into tokens: regular, bracketed (`[a]]b]`) and double-quoted (`"a""b"`)
 * identifiers, `'…'` / `N'…'` strings with `''` escapes, `0x…` binary constants, numbers, `@variables`
 * and `@@functions`, operators; `--` comments and nested block comments are skipped. Every token knows its line.
 */
import { SqlError, compileError, sqlMessage } from "./errors";

/** What a token is. Keywords are `word` tokens; quoted identifiers never act as keywords. */
export type TokenKind = "word" | "quoted" | "string" | "binary" | "number" | "variable" | "global" | "operator" | "eof";

/** One token of a batch. */
export interface Token {
  kind: TokenKind;
  /** The token's source text, exactly as written. */
  text: string;
  /**
   * Decoded value: the identifier name (brackets/quotes removed, doubled closers undone), the string
   * contents, the variable name with its `@`, or the operator itself.
   */
  value: string;
  /** Binary constants: the bytes (an odd digit count gets a leading 0, as SQL Server does). */
  bytes?: Buffer;
  /** Numbers: the numeric value. */
  number?: number;
  /** Strings: true for `N'…'`. */
  unicode?: boolean;
  /** 1-based line of the token's first character. */
  line: number;
  /** Offsets of the token in the batch text. */
  start: number;
  end: number;
}

/** Lexer settings that SET options change. */
export interface LexerOptions {
  /** SET QUOTED_IDENTIFIER: `"…"` is an identifier when on (the default), a string when off. */
  quotedIdentifier?: boolean;
}

/** SQL Server's limit for identifiers: sysname is nvarchar(128), so UTF-16 code units are counted. */
export const MAX_IDENTIFIER_LENGTH = 128;

const OPERATORS = ["<>", "!=", "<=", ">=", "!<", "!>", "::", "+=", "-=", "=", "<", ">", "(", ")", ",", ".", ";", "+", "-", "*", "/", "%", "&", "|", "^", "~"];

const isIdentifierStart = (c: string) => /[\p{L}_#@]/u.test(c);
const isIdentifierPart = (c: string) => /[\p{L}\p{Nd}_#@$]/u.test(c);

function tooLong(name: string, line: number): SqlError {
  return compileError(103, line, "identifier", name.slice(0, MAX_IDENTIFIER_LENGTH), MAX_IDENTIFIER_LENGTH);
}

/** Tokenizes `sql`; throws a batch-level {@link SqlError} (105, 113, 103) on malformed input. */
export function tokenize(sql: string, options: LexerOptions = {}): Token[] {
  const quotedIdentifier = options.quotedIdentifier ?? true;
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;

  const advanceLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (sql[k] === "\n") line++;
  };
  const push = (kind: TokenKind, start: number, end: number, value: string, extra: Partial<Token> = {}) => {
    tokens.push({ kind, text: sql.slice(start, end), value, line, start, end, ...extra });
    advanceLines(start, end);
  };

  /** Reads a delimited run (`'…'`, `[…]`, `"…"`) where a doubled closer stands for one. */
  const readDelimited = (open: number, close: string): { value: string; end: number } | undefined => {
    let value = "";
    let k = open;
    for (;;) {
      const next = sql.indexOf(close, k);
      if (next < 0) return undefined;
      value += sql.slice(k, next);
      if (sql[next + 1] === close) {
        value += close;
        k = next + 2;
        continue;
      }
      return { value, end: next + 1 };
    }
  };
  const unclosed = (from: number): SqlError => {
    // SQL Server reports 105 and then 102, both quoting the text after the opening quote.
    const rest = sql.slice(from);
    return new SqlError(sqlMessage(102, [rest], { line }), "batch", [sqlMessage(105, [rest], { line })]);
  };

  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "\n") {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "-" && sql[i + 1] === "-") {
      const eol = sql.indexOf("\n", i);
      i = eol < 0 ? sql.length : eol;
      continue;
    }
    if (c === "/" && sql[i + 1] === "*") {
      // Block comments nest in T-SQL.
      let depth = 0;
      let k = i;
      while (k < sql.length) {
        if (sql[k] === "/" && sql[k + 1] === "*") {
          depth++;
          k += 2;
        } else if (sql[k] === "*" && sql[k + 1] === "/") {
          depth--;
          k += 2;
          if (depth === 0) break;
        } else k++;
      }
      if (depth > 0) throw compileError(113, line);
      advanceLines(i, k);
      i = k;
      continue;
    }
    if ((c === "N" || c === "n") && sql[i + 1] === "'") {
      const s = readDelimited(i + 2, "'");
      if (!s) throw unclosed(i + 2);
      push("string", i, s.end, s.value, { unicode: true });
      i = s.end;
      continue;
    }
    if (c === "'") {
      const s = readDelimited(i + 1, "'");
      if (!s) throw unclosed(i + 1);
      push("string", i, s.end, s.value, { unicode: false });
      i = s.end;
      continue;
    }
    if (c === "[") {
      const s = readDelimited(i + 1, "]");
      if (!s) throw unclosed(i + 1);
      if (s.value.length > MAX_IDENTIFIER_LENGTH) throw tooLong(s.value, line);
      if (s.value.length === 0) throw compileError(1038, line);
      push("quoted", i, s.end, s.value);
      i = s.end;
      continue;
    }
    if (c === '"') {
      const s = readDelimited(i + 1, '"');
      if (!s) throw unclosed(i + 1);
      if (quotedIdentifier) {
        if (s.value.length > MAX_IDENTIFIER_LENGTH) throw tooLong(s.value, line);
        if (s.value.length === 0) throw compileError(1038, line);
        push("quoted", i, s.end, s.value);
      } else push("string", i, s.end, s.value, { unicode: false });
      i = s.end;
      continue;
    }
    if (c === "0" && (sql[i + 1] === "x" || sql[i + 1] === "X")) {
      let k = i + 2;
      while (k < sql.length && /[0-9a-fA-F]/.test(sql[k]!)) k++;
      const hex = sql.slice(i + 2, k);
      push("binary", i, k, sql.slice(i, k), { bytes: Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex") });
      i = k;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      push("number", i, i + m[0].length, m[0], { number: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (c === "@") {
      const global = sql[i + 1] === "@";
      let k = i + (global ? 2 : 1);
      while (k < sql.length && isIdentifierPart(sql[k]!)) k++;
      const name = sql.slice(i, k);
      if (name.length > MAX_IDENTIFIER_LENGTH) throw tooLong(name, line);
      push(global ? "global" : "variable", i, k, name);
      i = k;
      continue;
    }
    if (isIdentifierStart(c)) {
      let k = i + 1;
      while (k < sql.length && isIdentifierPart(sql[k]!)) k++;
      const word = sql.slice(i, k);
      if (word.length > MAX_IDENTIFIER_LENGTH) throw tooLong(word, line);
      push("word", i, k, word);
      i = k;
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    if (!op) {
      // A character T-SQL has no use for (e.g. `?`, a backtick): SQL Server reports it as a syntax error.
      throw compileError(102, line, c);
    }
    push("operator", i, i + op.length, op);
    i += op.length;
  }
  tokens.push({ kind: "eof", text: "", value: "", line, start: sql.length, end: sql.length });
  return tokens;
}
