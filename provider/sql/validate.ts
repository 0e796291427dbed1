/**
 * Input rules, checked before any statement is built (and usable from a resource's `check`).
 *
 * Each `validateX` returns `undefined` when the value is acceptable, or a reason: one sentence
 * saying what is wrong and how to fix it, written to follow the property name
 * (`certificate.name: must not be empty`). `assertX` throws a {@link ValidationError} instead.
 * Rules are what SQL Server (or Pulumi state) actually rejects or garbles; nothing stricter.
 */
import { isIPv6 } from "node:net";
import { ValidationError } from "./errors";

/** Longest SQL Server name: `sysname` is nvarchar(128), counted in UTF-16 code units. */
export const MAX_SYSNAME_LENGTH = 128;

/** Longest SQL login password (CREATE LOGIN). */
export const MAX_LOGIN_PASSWORD_LENGTH = 128;

/** Longest certificate subject Windows accepts (CREATE CERTIFICATE raises 15212 beyond it). */
export const MAX_SUBJECT_LENGTH = 128;

/** Longest certificate subject SQL Server on Linux accepts. */
export const MAX_PORTABLE_SUBJECT_LENGTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Rules shared by names and secrets: text that cannot survive SQL Server or Pulumi state. */
function validateText(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a string (got ${value === null ? "null" : typeof value})`;
  if (value.length === 0) return "must not be empty";
  if (value.includes("\u0000")) return "must not contain the NUL character (U+0000); remove it";
  // Pulumi state is UTF-8 JSON: an unpaired surrogate comes back as U+FFFD, a different value.
  if (LONE_SURROGATE.test(value)) return "contains an unpaired UTF-16 surrogate, which cannot be stored faithfully; remove it";
  return undefined;
}

/**
 * A SQL Server name (certificate, endpoint, login, user): 1–128 UTF-16 code units, no NUL, no
 * unpaired surrogate, and no trailing space. Any other character is fine once bracket-quoted
 * (`]`, `'`, `;`, `--`, newlines, Unicode). Trailing spaces are refused because SQL Server ignores
 * them when comparing names, so `[a ]` and `[a]` would be the same object.
 */
export function validateSysname(value: unknown): string | undefined {
  const reason = validateText(value);
  if (reason !== undefined) return reason;
  const text = value as string;
  if (text.length > MAX_SYSNAME_LENGTH) {
    return `is ${text.length} characters long; SQL Server names hold at most ${MAX_SYSNAME_LENGTH}, so shorten it`;
  }
  if (text.endsWith(" ")) {
    return "ends with a space; SQL Server ignores trailing spaces when comparing names, so remove them";
  }
  return undefined;
}

/** Throws a {@link ValidationError} for `property` unless `value` is a valid name. */
export function assertSysname(value: unknown, property: string): asserts value is string {
  assertValid(property, validateSysname(value));
}

/** A SQL login name: a valid name without a backslash (that form names a Windows login). */
export function validateLoginName(value: unknown): string | undefined {
  const reason = validateSysname(value);
  if (reason !== undefined) return reason;
  if ((value as string).includes("\\")) {
    return "must not contain a backslash: DOMAIN\\name is a Windows login, SQL logins cannot have one";
  }
  return undefined;
}

/**
 * A password or other secret literal: non-empty, no NUL, no unpaired surrogate, and at most
 * `maxLength` characters when given ({@link MAX_LOGIN_PASSWORD_LENGTH} for logins). Complexity is
 * the server's password policy to judge (errors 15116–15119), not ours.
 */
export function validatePassword(value: unknown, maxLength?: number): string | undefined {
  const reason = validateText(value);
  if (reason !== undefined) return reason;
  const text = value as string;
  if (maxLength !== undefined && text.length > maxLength) {
    return `is ${text.length} characters long; SQL Server accepts at most ${maxLength}, so shorten it`;
  }
  return undefined;
}

/** The shortest password SQL Server's password policy accepts (Password Policy, "Password Complexity"). */
export const MIN_POLICY_PASSWORD_LENGTH = 8;

/**
 * SQL Server's documented password complexity (Microsoft's "Password Policy" page, which CREATE /
 * ALTER MASTER KEY and CREATE LOGIN … CHECK_POLICY = ON defer to: "must meet the Windows password
 * policy requirements of the computer"): at least 8 and at most 128 characters, characters from three
 * of the four categories Latin upper case (A–Z), Latin lower case (a–z), digits (0–9) and
 * non-alphanumeric characters (anything else), and, for a login, not containing its name (checked,
 * as Windows does, for names of three or more characters, case-insensitively). The host's own policy
 * may demand more (a longer minimum, say): that is only known to the server, so this is the
 * documented minimum. Returns a reason (never echoing the password), or undefined.
 */
export function validatePasswordPolicy(value: unknown, accountName?: string): string | undefined {
  const reason = validatePassword(value, MAX_LOGIN_PASSWORD_LENGTH);
  if (reason !== undefined) return reason;
  const text = value as string;
  if (text.length < MIN_POLICY_PASSWORD_LENGTH) {
    return `is ${text.length} characters long; SQL Server's password policy needs at least ${MIN_POLICY_PASSWORD_LENGTH} (error 15116 at up)`;
  }
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(text)).length;
  if (classes < 3) {
    return (
      `has characters from ${classes} of the four categories SQL Server's password policy counts (A–Z, a–z, 0–9, other characters); ` +
      "it needs three (error 15118 at up)"
    );
  }
  if (accountName !== undefined && accountName.length >= 3 && text.toLowerCase().includes(accountName.toLowerCase())) {
    return "contains the login's name, which SQL Server's password policy refuses (error 15118 at up)";
  }
  return undefined;
}

/** A TCP port: an integer from 1 to 65535. */
export function validatePort(value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    return `must be an integer from 1 to 65535 (got ${String(value)})`;
  }
  return undefined;
}

/**
 * A warning, not an error, for a valid endpoint port outside 1024–32767: the range CREATE
 * ENDPOINT documents (for Service Broker; Microsoft is silent for mirroring). SQL Server may still
 * accept it; if it cannot listen there it reports 7890.
 */
export function endpointPortWarning(port: number): string | undefined {
  if (port >= 1024 && port <= 32767) return undefined;
  return `port ${port} is outside 1024–32767, the range SQL Server documents for endpoints; 5022 is the usual choice`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** What `LISTENER_IP` listens on: every address, or one IPv4 / IPv6 address. */
export type ListenerAddress = { kind: "all" } | { kind: "ipv4"; address: string } | { kind: "ipv6"; address: string };

/**
 * The canonical text of an IPv6 address (RFC 5952: lower case, no leading zeros, the longest run
 * of zero groups as `::`), as the WHATWG URL serializer writes it; an embedded IPv4 part becomes
 * hex. SQL Server listens only on IPv6 addresses in their canonical numeric form (error 7887).
 */
export function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * Parses a listener address: `ALL` (any case), dotted-quad IPv4 (no leading zeros, which some
 * parsers read as octal), or IPv6 without a zone (`%eth0` is not an address SQL Server takes),
 * returned in canonical form ({@link canonicalIpv6}), so `fd00:0:0:0:0:0:0:5` is sent, stored and
 * compared as `fd00::5`. Returns a reason string when it is none of these.
 */
export function parseListenerAddress(value: unknown): ListenerAddress | string {
  if (typeof value !== "string") return `must be a string: ALL, an IPv4 or an IPv6 address (got ${typeof value})`;
  if (value.toUpperCase() === "ALL") return { kind: "all" };
  if (IPV4.test(value)) return { kind: "ipv4", address: value };
  if (!value.includes("%") && isIPv6(value)) return { kind: "ipv6", address: canonicalIpv6(value) };
  return `must be ALL, an IPv4 address like 10.0.0.5, or an IPv6 address like fd00::5 (got '${value}')`;
}

/** `LISTENER_IP` value check: `ALL`, IPv4 or IPv6 (see {@link parseListenerAddress}). */
export function validateIpAddress(value: unknown): string | undefined {
  const parsed = parseListenerAddress(value);
  return typeof parsed === "string" ? parsed : undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]00:00))?$/;

/**
 * Parses an ISO-8601 UTC date: `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM[:SS[.fff]]Z`
 * (`+00:00` also accepted). Local times and other offsets are refused (certificate dates are UTC
 * and a silent conversion would surprise); so are fractional seconds other than zero (certificates
 * keep whole seconds, so the value would never read back equal) and years outside 1753–9999 (the
 * range of `datetime`). Returns the Date, or a reason string.
 */
export function parseUtcDate(value: unknown): Date | string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return "is not a valid date";
    return checkDateRange(value);
  }
  if (typeof value !== "string") return `must be an ISO-8601 UTC date string (got ${typeof value})`;
  const match = ISO_DATE.exec(value);
  if (match === null) return `must be an ISO-8601 UTC date such as 2030-01-31 or 2030-01-31T00:00:00Z (got '${value}')`;
  const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = ""] = match;
  if (/[1-9]/.test(fraction)) return "must be a whole second: certificate dates have no fractional seconds";
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  // Date accepts 2030-02-30 and rolls it over; refuse anything that does not round-trip.
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19) !== `${y}-${mo}-${d}T${h}:${mi}:${s}`) {
    return `is not a real calendar date and time (got '${value}')`;
  }
  return checkDateRange(date);
}

function checkDateRange(date: Date): Date | string {
  if (date.getUTCMilliseconds() !== 0) return "must be a whole second: certificate dates have no fractional seconds";
  const year = date.getUTCFullYear();
  return year < 1753 || year > 9999 ? `year ${year} is outside 1753–9999, the range SQL Server dates take` : date;
}

/** Date check for {@link parseUtcDate}: `undefined` when valid, else the reason. */
export function validateDate(value: unknown): string | undefined {
  const parsed = parseUtcDate(value);
  return typeof parsed === "string" ? parsed : undefined;
}

/** The canonical form dates take in records: `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds). */
export function canonicalUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A certificate subject: non-empty, no NUL, at most {@link MAX_SUBJECT_LENGTH} characters. */
export function validateSubject(value: unknown): string | undefined {
  return validatePassword(value, MAX_SUBJECT_LENGTH);
}

/** A warning for subjects longer than SQL Server on Linux accepts (64 characters). */
export function subjectWarning(subject: string): string | undefined {
  return subject.length > MAX_PORTABLE_SUBJECT_LENGTH
    ? `subject is ${subject.length} characters; SQL Server on Linux accepts at most ${MAX_PORTABLE_SUBJECT_LENGTH}`
    : undefined;
}

/**
 * Certificate validity window: expiry after start (else 15213) and expiry in the future (else the
 * certificate is born expired, 15214, and an endpoint refuses it: 28055). A missing start date
 * means `now`, as in SQL Server. Dates must already be valid ({@link parseUtcDate}).
 */
export function validateCertificateDates(startDate: Date | undefined, expiryDate: Date | undefined, now: Date): string | undefined {
  if (expiryDate === undefined) return undefined;
  const start = startDate ?? now;
  if (expiryDate.getTime() <= start.getTime()) {
    return `expiry date ${canonicalUtc(expiryDate)} must be after the start date ${canonicalUtc(start)}`;
  }
  if (expiryDate.getTime() <= now.getTime()) {
    return `expiry date ${canonicalUtc(expiryDate)} is in the past; an endpoint cannot use an expired certificate`;
  }
  return undefined;
}

/** A server-side file path (FROM FILE, BACKUP): non-empty, no NUL. The server resolves it. */
export function validateFilePath(value: unknown): string | undefined {
  return validateText(value);
}

/** Throws a {@link ValidationError} for `property` when `reason` is set. */
export function assertValid(property: string, reason: string | undefined): void {
  if (reason !== undefined) throw new ValidationError(property, reason);
}
