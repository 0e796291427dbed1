/**
 * Conversion of character strings to `datetime`, for START_DATE / EXPIRY_DATE and comparisons. The
 * formats are the ones SQL Server accepts for datetime literals (interpreted as UTC here, as
 * certificate dates are):
 * - unseparated `YYYYMMDD[ hh:mm[:ss[.fff]]]` (independent of DATEFORMAT),
 * - ISO 8601 `YYYY-MM-DDThh:mm[:ss[.fff]][Z]` (independent of DATEFORMAT),
 * - `YYYY-MM-DD[ hh:mm[:ss[.fff]]]` (which, like SQL Server's datetime, follows DATEFORMAT: with
 *   `dmy` it is read year-day-month),
 * - numeric `MM/DD/YYYY` (also `-` and `.` separators) in DATEFORMAT order.
 */
import { fail } from "./errors";

/** SET DATEFORMAT values. */
export type DateFormat = "mdy" | "dmy" | "ymd" | "ydm" | "myd" | "dym";

const TIME = String.raw`(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?`;
const UNSEPARATED = new RegExp(String.raw`^(\d{4})(\d{2})(\d{2})${TIME}$`);
const ISO = new RegExp(String.raw`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$`);
const DASHED = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})${TIME}$`);
const NUMERIC = new RegExp(String.raw`^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})${TIME}$`);

/** datetime's range: 1753-01-01 through 9999-12-31. */
const MIN_YEAR = 1753;

function build(y: number, m: number, d: number, hh = 0, mm = 0, ss = 0, fff = 0): Date {
  if (m < 1 || m > 12 || d < 1 || hh > 23 || mm > 59 || ss > 59) fail(241);
  const date = new Date(Date.UTC(y, m - 1, d, hh, mm, ss, fff));
  date.setUTCFullYear(y);
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) fail(241);
  if (y < MIN_YEAR || y > 9999) fail(242);
  return date;
}

const num = (s: string | undefined) => (s === undefined ? 0 : Number(s));
const millis = (s: string | undefined) => (s === undefined ? 0 : Number(s.padEnd(3, "0")));

/** Parses a datetime string (UTC); throws 241 (bad format) or 242 (out of range). */
export function parseDateTime(text: string, format: DateFormat = "mdy"): Date {
  const s = text.trim();
  let m = UNSEPARATED.exec(s);
  if (m) return build(num(m[1]), num(m[2]), num(m[3]), num(m[4]), num(m[5]), num(m[6]), millis(m[7]));
  m = ISO.exec(s);
  if (m) return build(num(m[1]), num(m[2]), num(m[3]), num(m[4]), num(m[5]), num(m[6]), millis(m[7]));
  m = DASHED.exec(s);
  if (m) {
    const [a, b] = format === "dmy" || format === "ydm" || format === "dym" ? [num(m[3]), num(m[2])] : [num(m[2]), num(m[3])];
    return build(num(m[1]), a, b, num(m[4]), num(m[5]), num(m[6]), millis(m[7]));
  }
  m = NUMERIC.exec(s);
  if (m) {
    const parts = [m[1]!, m[2]!, m[3]!];
    const pick = (letter: "y" | "m" | "d") => num(parts[format.indexOf(letter)]);
    let year = pick("y");
    const yearText = parts[format.indexOf("y")]!;
    // Two-digit years: SQL Server's default two-digit year cutoff is 2049.
    if (yearText.length <= 2) year += year <= 49 ? 2000 : 1900;
    return build(year, pick("m"), pick("d"), num(m[4]), num(m[5]), num(m[6]), millis(m[7]));
  }
  return fail(241);
}
