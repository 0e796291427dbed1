/**
 * A cursor over the tokens of one batch with the small vocabulary the recursive-descent parser is
 * written in: `isWord`, `acceptWord`, `expectWord`, `name()`, `string()`… Every failure becomes the
 * error SQL Server gives: 102 (or 156 at a reserved keyword) quoting the offending token.
 */
import { SqlError, compileError } from "../errors";
import type { Token } from "../lexer";
import { isReserved } from "../reserved";

/** A parse cursor. */
export class TokenStream {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    /** The batch text (statements keep their source slice). */
    readonly sql: string,
  ) {}

  /** The token `offset` ahead (the final EOF token repeats). */
  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  /** The last consumed token (the batch's first token before anything is consumed). */
  previous(): Token {
    return this.tokens[Math.max(this.pos - 1, 0)]!;
  }

  /** Consumes and returns the current token. */
  next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.pos++;
    return t;
  }

  /** True at the end of the batch. */
  atEnd(): boolean {
    return this.peek().kind === "eof";
  }

  /** True when the token `offset` ahead is the unquoted word `word` (any case). */
  isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === "word" && t.value.toUpperCase() === word;
  }

  /** True when the next tokens are the words `words`, in order. */
  isWords(...words: string[]): boolean {
    return words.every((w, i) => this.isWord(w, i));
  }

  /** Consumes the words `words` when they are next; reports whether it did. */
  acceptWord(...words: string[]): boolean {
    if (!this.isWords(...words)) return false;
    this.pos += words.length;
    return true;
  }

  /** Consumes the words `words` or fails with a syntax error. */
  expectWord(...words: string[]): void {
    for (const w of words) {
      if (!this.isWord(w)) throw this.syntaxError();
      this.pos++;
    }
  }

  /** Consumes one of `words` and returns it upper-cased, or fails. */
  expectOneOf<T extends string>(...words: T[]): T {
    const found = words.find((w) => this.isWord(w));
    if (!found) throw this.syntaxError();
    this.pos++;
    return found;
  }

  /** True when the token `offset` ahead is the operator `op`. */
  isOperator(op: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === "operator" && t.value === op;
  }

  /** Consumes the operator when it is next. */
  acceptOperator(op: string): boolean {
    if (!this.isOperator(op)) return false;
    this.pos++;
    return true;
  }

  /** Consumes the operator or fails. */
  expectOperator(op: string): void {
    if (!this.acceptOperator(op)) throw this.syntaxError();
  }

  /** True when the next token can be an identifier (a non-reserved word or a quoted identifier). */
  isName(offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === "quoted" || (t.kind === "word" && !isReserved(t.value));
  }

  /** Consumes an identifier and returns its decoded name. */
  name(): string {
    if (!this.isName()) throw this.syntaxError();
    return this.next().value;
  }

  /** Consumes a string literal (`'…'` or `N'…'`) and returns its contents. */
  string(): string {
    if (this.peek().kind !== "string") throw this.syntaxError();
    return this.next().value;
  }

  /** Consumes an unsigned integer literal. */
  integer(): number {
    const t = this.peek();
    if (t.kind !== "number" || !/^\d+$/.test(t.text)) throw this.syntaxError();
    this.pos++;
    return t.number!;
  }

  /** Consumes a binary constant (`0x…`). */
  binary(): Buffer {
    const t = this.peek();
    if (t.kind !== "binary") throw this.syntaxError();
    this.pos++;
    return t.bytes!;
  }

  /** Consumes `= <string>` and returns the string: the shape of every password / path option. */
  equalsString(): string {
    this.expectOperator("=");
    return this.string();
  }

  /** The offset where the current token starts (statement text slicing). */
  offset(): number {
    return this.peek().start;
  }

  /** The offset where the last consumed token ends. */
  endOffset(): number {
    return this.previous().end;
  }

  /**
   * The emulator's refusal of valid T-SQL outside its subset (50000, the batch does not run): louder
   * than a syntax error, so nobody mistakes a gap in the emulator for a mistake in their SQL.
   */
  unsupported(what: string, line = this.peek().line): SqlError {
    return compileError(50000, line, what);
  }

  /**
   * The error SQL Server gives at `token` (default: the current one): 156 at a reserved keyword,
   * else 102. At the end of the batch SQL Server quotes the last token it read.
   */
  syntaxError(token: Token = this.peek()): SqlError {
    const at = token.kind === "eof" ? this.previous() : token;
    if (at.kind === "word" && isReserved(at.value)) return compileError(156, at.line, at.text);
    const near = at.kind === "string" ? at.value : at.text;
    return compileError(102, at.line, near);
  }
}
