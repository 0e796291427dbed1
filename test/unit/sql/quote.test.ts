import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../provider/sql/errors";
import { binaryLiteral, formatDateTime, quoteIdentifier, quoteString } from "../../../provider/sql/quote";

describe("quoteIdentifier", () => {
  it.each([
    ["plain", "hadr", "[hadr]"],
    ["closing bracket doubled", "a]b", "[a]]b]"],
    ["only brackets", "]]", "[]]]]]"],
    ["opening bracket kept", "[x", "[[x]"],
    ["single quote kept", "o'brien", "[o'brien]"],
    ["double quote kept", 'say "hi"', '[say "hi"]'],
    ["semicolon", "a;DROP LOGIN sa", "[a;DROP LOGIN sa]"],
    ["line comment", "x--y", "[x--y]"],
    ["block comment open", "x/*y", "[x/*y]"],
    ["block comment close", "x*/y", "[x*/y]"],
    ["newline", "a\nb", "[a\nb]"],
    ["N-literal lookalike", "N'x'", "[N'x']"],
    ["hex lookalike", "0x00", "[0x00]"],
    ["Unicode", "證書-Zoë-🔐", "[證書-Zoë-🔐]"],
    ["leading space kept", " lead", "[ lead]"],
    ["128 characters", "a".repeat(128), `[${"a".repeat(128)}]`],
    ["128 characters of brackets", "]".repeat(128), `[${"]".repeat(256)}]`],
  ])("%s", (_case, name, expected) => {
    expect(quoteIdentifier(name)).toBe(expected);
  });

  it.each([
    ["empty", "", /must not be empty/],
    ["129 characters", "a".repeat(129), /is 129 characters long; SQL Server names hold at most 128/],
    ["NUL", "a\u0000b", /NUL/],
    ["trailing space", "name ", /ends with a space/],
    ["unpaired surrogate", "a\uD800b", /unpaired UTF-16 surrogate/],
  ])("rejects %s, naming the property", (_case, name, reason) => {
    const attempt = () => quoteIdentifier(name, "certificateName");
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/^certificateName: /);
    expect(attempt).toThrow(reason);
  });

  it("counts UTF-16 code units, as nvarchar(128) does", () => {
    expect(quoteIdentifier("🔐".repeat(64))).toBe(`[${"🔐".repeat(64)}]`); // 128 code units
    expect(() => quoteIdentifier(`${"🔐".repeat(64)}a`)).toThrow(/129 characters/);
  });
});

describe("quoteString", () => {
  it.each([
    ["plain", "abc", "N'abc'"],
    ["empty", "", "N''"],
    ["single quote doubled", "it's", "N'it''s'"],
    ["quotes only", "''", "N''''''"],
    ["brackets untouched", "[a]]", "N'[a]]'"],
    ["comment and terminator", "x'; DROP LOGIN sa; --", "N'x''; DROP LOGIN sa; --'"],
    ["newline", "a\r\nb", "N'a\r\nb'"],
    ["look-alike quotes are not quotes", "a\u2019b\uFF07c", "N'a\u2019b\uFF07c'"],
    ["Unicode", "pässwörd 🔑", "N'pässwörd 🔑'"],
  ])("%s", (_case, value, expected) => {
    expect(quoteString(value)).toBe(expected);
  });

  it("has no length limit (QUOTENAME would return NULL past 128)", () => {
    const long = "'".repeat(300);
    expect(quoteString(long)).toBe(`N'${"'".repeat(600)}'`);
  });
});

describe("binaryLiteral", () => {
  it("writes an unquoted uppercase hex constant", () => {
    expect(binaryLiteral(Buffer.from([0x30, 0x82, 0x0a, 0xff]))).toBe("0x30820AFF");
  });

  it("accepts a Uint8Array view without copying the wrong bytes", () => {
    const backing = Buffer.from([1, 2, 3, 4, 5]);
    expect(binaryLiteral(new Uint8Array(backing.buffer, backing.byteOffset + 1, 2))).toBe("0x0203");
  });

  it("rejects an empty buffer", () => {
    expect(() => binaryLiteral(Buffer.alloc(0), "der")).toThrow(/^der: must not be empty/);
  });

  it("rejects a string", () => {
    expect(() => binaryLiteral("0x30" as unknown as Buffer, "der")).toThrow(/must be binary data/);
  });
});

describe("formatDateTime", () => {
  it("writes ISO 8601 with T, in UTC, whole seconds", () => {
    expect(formatDateTime(new Date("2030-01-31T23:59:58.999Z"))).toBe("N'2030-01-31T23:59:58'");
    expect(formatDateTime(new Date(Date.UTC(2025, 0, 1)))).toBe("N'2025-01-01T00:00:00'");
  });

  it("rejects an invalid Date", () => {
    expect(() => formatDateTime(new Date("nope"))).toThrow(ValidationError);
  });
});
