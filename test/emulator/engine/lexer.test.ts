import { describe, expect, it } from "vitest";
import { tokenize, type Token } from "../../../emulator/engine/lexer";
import { SqlError } from "../../../emulator/engine/errors";

const kinds = (sql: string) => tokenize(sql).map((t) => [t.kind, t.value]);

function lexError(sql: string): SqlError {
  try {
    tokenize(sql);
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error("expected a lexer error");
}

describe("lexer", () => {
  it("reads bracketed identifiers with ]] as one ]", () => {
    expect(kinds("[a]]b] [x y] [;--/*'\"]")).toEqual([
      ["quoted", "a]b"],
      ["quoted", "x y"],
      ["quoted", ";--/*'\""],
      ["eof", ""],
    ]);
  });

  it("reads double-quoted identifiers with \"\" as one \" (QUOTED_IDENTIFIER ON)", () => {
    expect(kinds('"a""b"')).toEqual([
      ["quoted", 'a"b'],
      ["eof", ""],
    ]);
  });

  it("reads double-quoted text as a string when QUOTED_IDENTIFIER is OFF", () => {
    const [t] = tokenize('"a""b"', { quotedIdentifier: false });
    expect([t!.kind, t!.value]).toEqual(["string", 'a"b']);
  });

  it("reads N'…' and '…' literals with '' escapes, keeping ; -- /* inside", () => {
    const tokens = tokenize("N'it''s; -- not /* a comment' 'x'");
    expect(tokens.slice(0, 2).map((t) => [t.kind, t.value, t.unicode])).toEqual([
      ["string", "it's; -- not /* a comment", true],
      ["string", "x", false],
    ]);
  });

  it("keeps Unicode in identifiers and strings", () => {
    expect(kinds("[Zoë 日本] N'𝄞 ✓' Ünïcode")).toEqual([
      ["quoted", "Zoë 日本"],
      ["string", "𝄞 ✓"],
      ["word", "Ünïcode"],
      ["eof", ""],
    ]);
  });

  it("reads binary constants, padding an odd digit count with a leading zero", () => {
    const [a, b, c] = tokenize("0xDEADbeef 0xABC 0x");
    expect(a!.bytes!.toString("hex")).toBe("deadbeef");
    expect(b!.bytes!.toString("hex")).toBe("0abc");
    expect(c!.bytes!.length).toBe(0);
  });

  it("reads numbers, @variables and @@functions", () => {
    expect(kinds("5022 1.5 @p_1 @@VERSION")).toEqual([
      ["number", "5022"],
      ["number", "1.5"],
      ["variable", "@p_1"],
      ["global", "@@VERSION"],
      ["eof", ""],
    ]);
  });

  it("skips -- comments and nested /* */ comments and counts lines through them", () => {
    const tokens: Token[] = tokenize("SELECT -- one\n/* two\n /* nested\n */ still comment */ 1\n\nFROM");
    expect(tokens.map((t) => [t.value, t.line])).toEqual([
      ["SELECT", 1],
      ["1", 4],
      ["FROM", 6],
      ["", 6],
    ]);
  });

  it("counts lines inside multi-line strings", () => {
    const tokens = tokenize("'a\nb\nc' x");
    expect(tokens[1]!.line).toBe(3);
  });

  it("reads two-character operators", () => {
    expect(tokenize("<> != <= >= :: =").slice(0, 6).map((t) => t.value)).toEqual(["<>", "!=", "<=", ">=", "::", "="]);
  });

  it("accepts a 128-character identifier and rejects 129 with 103", () => {
    const name128 = "a".repeat(128);
    expect(tokenize(`[${name128}]`)[0]!.value).toBe(name128);
    const e = lexError(`SELECT 1\n[${"b".repeat(129)}]`);
    expect(e.sql).toMatchObject({ number: 103, class: 15, line: 2 });
    expect(e.sql.message).toBe(`The identifier that starts with '${"b".repeat(128)}' is too long. Maximum length is 128.`);
    expect(lexError("x".repeat(129)).sql.number).toBe(103);
  });

  it("counts identifier length in UTF-16 code units, as nvarchar(128) does", () => {
    expect(lexError(`[${"𝄞".repeat(65)}]`).sql.number).toBe(103);
    expect(tokenize(`[${"𝄞".repeat(64)}]`)[0]!.value).toBe("𝄞".repeat(64));
  });

  it("reports an unclosed string with 105 then 102, quoting the rest of the batch", () => {
    const e = lexError("SELECT 1\nSELECT 'abc");
    expect(e.preceding.map((m) => [m.number, m.message, m.line])).toEqual([[105, "Unclosed quotation mark after the character string 'abc'.", 2]]);
    expect([e.sql.number, e.sql.message]).toEqual([102, "Incorrect syntax near 'abc'."]);
  });

  it("reports an unclosed bracket the same way", () => {
    expect(lexError("[abc").preceding[0]!.number).toBe(105);
  });

  it("reports an unclosed block comment with 113", () => {
    expect(lexError("SELECT 1 /* /* */").sql).toMatchObject({ number: 113, message: "Missing end comment mark '*/'." });
  });

  it("rejects empty delimited identifiers with 1038", () => {
    expect(lexError("[]").sql.number).toBe(1038);
    expect(lexError('""').sql.number).toBe(1038);
  });

  it("rejects characters T-SQL has no use for with 102", () => {
    expect(lexError("SELECT ?").sql).toMatchObject({ number: 102, message: "Incorrect syntax near '?'." });
  });
});
