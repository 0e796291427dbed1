import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../provider/sql/errors";
import {
  assertSysname,
  canonicalUtc,
  endpointPortWarning,
  parseListenerAddress,
  parseUtcDate,
  subjectWarning,
  validateCertificateDates,
  validateDate,
  validateFilePath,
  validateIpAddress,
  validateLoginName,
  validatePassword,
  validatePasswordPolicy,
  validatePort,
  validateSubject,
  validateSysname,
} from "../../../provider/sql/validate";

describe("validateSysname", () => {
  it.each(["a", "a".repeat(128), "x]y", "Zoë", " lead", "tab\there"])("accepts %j", (name) => {
    expect(validateSysname(name)).toBeUndefined();
  });

  it.each([
    [undefined, /must be a string \(got undefined\)/],
    [null, /got null/],
    [42, /got number/],
    ["", /must not be empty/],
    ["a".repeat(129), /129 characters/],
    ["a\u0000", /NUL/],
    ["a ", /trailing spaces/],
    ["\uDC00x", /surrogate/],
  ])("refuses %j", (name, reason) => {
    expect(validateSysname(name)).toMatch(reason);
  });

  it("assertSysname throws a ValidationError naming the property", () => {
    expect(() => assertSysname("", "endpoint.name")).toThrow(new ValidationError("endpoint.name", "must not be empty"));
  });
});

describe("validateLoginName", () => {
  it("refuses a backslash (a Windows login)", () => {
    expect(validateLoginName("CORP\\sql")).toMatch(/backslash/);
  });
  it("accepts other names", () => {
    expect(validateLoginName("peer_b")).toBeUndefined();
  });
});

describe("validatePassword", () => {
  it("accepts quotes, brackets and Unicode", () => {
    expect(validatePassword("p'[]\"; --🔑")).toBeUndefined();
  });
  it("has no limit unless one is given", () => {
    expect(validatePassword("x".repeat(1000))).toBeUndefined();
    expect(validatePassword("x".repeat(129), 128)).toMatch(/129 characters long; SQL Server accepts at most 128/);
    expect(validatePassword("x".repeat(128), 128)).toBeUndefined();
  });
  it.each([["", /empty/], ["a\u0000", /NUL/], ["\uD83D", /surrogate/]])("refuses %j", (value, reason) => {
    expect(validatePassword(value)).toMatch(reason);
  });
});

describe("validatePort / endpointPortWarning", () => {
  it.each([1, 1433, 5022, 65535])("accepts %d", (port) => expect(validatePort(port)).toBeUndefined());
  it.each([0, -1, 65536, 50.5, Number.NaN, "5022"])("refuses %j", (port) => expect(validatePort(port)).toMatch(/integer from 1 to 65535/));
  it("warns outside 1024–32767 only", () => {
    expect(endpointPortWarning(5022)).toBeUndefined();
    expect(endpointPortWarning(1024)).toBeUndefined();
    expect(endpointPortWarning(32767)).toBeUndefined();
    expect(endpointPortWarning(1023)).toMatch(/outside 1024–32767/);
    expect(endpointPortWarning(40000)).toMatch(/outside 1024–32767/);
  });
});

describe("parseListenerAddress / validateIpAddress", () => {
  it.each([
    ["ALL", { kind: "all" }],
    ["all", { kind: "all" }],
    ["10.0.75.1", { kind: "ipv4", address: "10.0.75.1" }],
    ["0.0.0.0", { kind: "ipv4", address: "0.0.0.0" }],
    ["::1", { kind: "ipv6", address: "::1" }],
    ["FD00::5", { kind: "ipv6", address: "fd00::5" }],
    // IPv6 in canonical form (RFC 5952), the only form SQL Server listens on (7887 otherwise).
    ["::ffff:10.0.0.1", { kind: "ipv6", address: "::ffff:a00:1" }],
    ["fd00:0:0:0:0:0:0:5", { kind: "ipv6", address: "fd00::5" }],
    ["FD00:0000::0005", { kind: "ipv6", address: "fd00::5" }],
    ["fd00::1:0:0:0:5", { kind: "ipv6", address: "fd00:0:0:1::5" }],
    ["2001:db8::1:1:1:1:1", { kind: "ipv6", address: "2001:db8:0:1:1:1:1:1" }],
  ])("parses %s", (value, expected) => {
    expect(parseListenerAddress(value)).toEqual(expected);
    expect(validateIpAddress(value)).toBeUndefined();
  });

  it.each(["", "256.1.1.1", "01.2.3.4", "1.2.3", "fe80::1%eth0", "host.example", "(10.0.0.1)", "10.0.0.1); DROP", 5022])("refuses %j", (value) => {
    expect(validateIpAddress(value)).toMatch(/must be/);
  });
});

describe("parseUtcDate / validateDate / canonicalUtc", () => {
  it.each([
    ["2030-01-31", "2030-01-31T00:00:00Z"],
    ["2030-01-31T12:34Z", "2030-01-31T12:34:00Z"],
    ["2030-01-31T12:34:56Z", "2030-01-31T12:34:56Z"],
    ["2030-01-31T12:34:56.000Z", "2030-01-31T12:34:56Z"],
    ["2030-01-31T12:34:56+00:00", "2030-01-31T12:34:56Z"],
    ["2024-02-29", "2024-02-29T00:00:00Z"],
  ])("reads %s", (value, canonical) => {
    const date = parseUtcDate(value);
    expect(date).toBeInstanceOf(Date);
    expect(canonicalUtc(date as Date)).toBe(canonical);
  });

  it.each([
    ["2030-01-31T12:34:56", /ISO-8601 UTC/],
    ["2030-01-31T12:34:56+02:00", /ISO-8601 UTC/],
    ["31/01/2030", /ISO-8601 UTC/],
    ["2030-02-30", /real calendar date/],
    ["2023-02-29", /real calendar date/],
    ["2030-01-31T24:00:00Z", /real calendar date/],
    ["2030-01-31T12:34:56.5Z", /whole second/],
    ["1752-12-31", /outside 1753–9999/],
    [12345, /date string/],
  ])("refuses %j", (value, reason) => {
    expect(validateDate(value)).toMatch(reason);
  });

  it("accepts a Date with whole seconds and refuses milliseconds", () => {
    expect(validateDate(new Date("2030-01-01T00:00:00Z"))).toBeUndefined();
    expect(validateDate(new Date("2030-01-01T00:00:00.250Z"))).toMatch(/whole second/);
    expect(validateDate(new Date("x"))).toMatch(/not a valid date/);
  });
});

describe("certificate subject and dates", () => {
  it("subject: 1–128 characters, warning past 64", () => {
    expect(validateSubject("CN=x")).toBeUndefined();
    expect(validateSubject("")).toMatch(/empty/);
    expect(validateSubject("s".repeat(129))).toMatch(/at most 128/);
    expect(subjectWarning("s".repeat(64))).toBeUndefined();
    expect(subjectWarning("s".repeat(65))).toMatch(/Linux accepts at most 64/);
  });

  const now = new Date("2026-01-01T00:00:00Z");
  it.each([
    [undefined, undefined, undefined],
    [undefined, "2027-01-01", undefined],
    ["2025-01-01", "2027-01-01", undefined],
    ["2027-01-01", "2026-06-01", /must be after the start date 2027-01-01T00:00:00Z/],
    [undefined, "2025-12-31", /must be after the start date 2026-01-01T00:00:00Z/],
    ["2020-01-01", "2025-01-01", /in the past/],
  ])("start %s, expiry %s", (start, expiry, expected) => {
    const s = start === undefined ? undefined : (parseUtcDate(start) as Date);
    const e = expiry === undefined ? undefined : (parseUtcDate(expiry) as Date);
    const reason = validateCertificateDates(s, e, now);
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toMatch(expected);
  });
});

describe("validateFilePath", () => {
  it("accepts any non-empty path without NUL", () => {
    expect(validateFilePath("C:\\certs\\o'brien.cer")).toBeUndefined();
    expect(validateFilePath("")).toMatch(/empty/);
  });
});

describe("validatePasswordPolicy (Microsoft's Password Policy page: what CREATE MASTER KEY and CHECK_POLICY logins must meet)", () => {
  it.each([
    ["Str0ng!Passw0rd", undefined],
    ["abcdEFGH", "has characters from 2 of the four categories SQL Server's password policy counts (A–Z, a–z, 0–9, other characters); it needs three (error 15118 at up)"],
    ["password", "has characters from 1 of the four categories SQL Server's password policy counts (A–Z, a–z, 0–9, other characters); it needs three (error 15118 at up)"],
    ["abcd1234!", undefined],
    ["ABCD1234!", undefined],
    ["Ab1!xyz", "is 7 characters long; SQL Server's password policy needs at least 8 (error 15116 at up)"],
    // Only Latin letters count as upper / lower case: accented and Cyrillic letters are "other".
    ["Éééééé1!", "has characters from 2 of the four categories SQL Server's password policy counts (A–Z, a–z, 0–9, other characters); it needs three (error 15118 at up)"],
    ["ПарольПароль1!", "has characters from 2 of the four categories SQL Server's password policy counts (A–Z, a–z, 0–9, other characters); it needs three (error 15118 at up)"],
    ["A".repeat(60) + "a".repeat(60) + "12345678", undefined],
    ["A".repeat(60) + "a".repeat(60) + "123456789", "is 129 characters long; SQL Server accepts at most 128, so shorten it"],
  ])("%s", (password, reason) => {
    expect(validatePasswordPolicy(password)).toBe(reason);
  });

  it("refuses a login's name inside its password (case-insensitive, names of three or more characters)", () => {
    expect(validatePasswordPolicy("x-PEER_b-Passw0rd!", "peer_b")).toBe("contains the login's name, which SQL Server's password policy refuses (error 15118 at up)");
    expect(validatePasswordPolicy("ab-Passw0rd!", "ab")).toBeUndefined();
    expect(validatePasswordPolicy("Str0ng!Passw0rd", "peer_b")).toBeUndefined();
  });
});
