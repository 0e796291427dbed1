/**
 * The life of an endpoint certificate as pure rules: what time it is (with a test-only override),
 * whether a certificate is expiring or expired, when it is due for automatic rotation, which
 * lifecycle settings make sense together, and the exact text of the warnings `pulumi preview` and
 * `pulumi up` print. No Pulumi and no SQL here: the Certificate provider's `diff` decides a rotation
 * from its state and {@link currentTime}, so `pulumi preview` needs no request to SQL Server.
 */
import { canonicalUtc, parseUtcDate } from "../sql/validate";

/** One day in milliseconds. Days here are exact 24-hour periods in UTC, as `EXPIRY_DATE` arithmetic is. */
export const DAY_MS = 86_400_000;

/** Default of `warnBeforeDays`: warn a month ahead. */
export const DEFAULT_WARN_BEFORE_DAYS = 30;

/**
 * How far before the Pulumi machine's clock a certificate created from `validityDays` starts: a
 * SQL Server whose clock is up to this much behind still sees the new certificate as valid the
 * moment an endpoint switches to it (an endpoint refuses a certificate that is not yet valid).
 */
export const CLOCK_SKEW_ALLOWANCE_MS = 3_600_000;

/**
 * Environment variable that sets the clock of this package (program and providers) to a fixed
 * ISO-8601 UTC instant. For tests only — they move time to a certificate's expiry without waiting a
 * year. Users never set it: with it, rotations and warnings follow a clock that is not the real one.
 */
export const TEST_CLOCK_VARIABLE = "PULUMI_MSSQL_MIRRORING_TEST_NOW";

/** The current time: the system clock, or the instant {@link TEST_CLOCK_VARIABLE} names. */
export function currentTime(env: NodeJS.ProcessEnv = process.env): Date {
  const fixed = env[TEST_CLOCK_VARIABLE];
  if (fixed === undefined || fixed === "") return new Date();
  const parsed = parseUtcDate(fixed);
  if (typeof parsed === "string") {
    throw new Error(`${TEST_CLOCK_VARIABLE} ${parsed}; it fixes the clock for tests only, so unset it to use the system clock`);
  }
  return parsed;
}

/** The moment from which a certificate expiring at `expiry` is rotated: `rotateBeforeDays` before it. */
export function rotationStart(expiry: Date, rotateBeforeDays: number): Date {
  return new Date(expiry.getTime() - rotateBeforeDays * DAY_MS);
}

/**
 * Whether a certificate expiring at `expiry` is due for rotation at `now`: from exactly
 * `rotateBeforeDays` before the expiry on (the boundary is inside the window), expired ones included.
 * `expiry` is the server's `sys.certificates.expiry_date` (UTC), `now` the Pulumi machine's clock: a
 * skew between the two moves the rotation by the skew, never makes it happen twice (the renewed
 * certificate's expiry is measured from the same clock that decided).
 */
export function rotationDue(expiry: Date, rotateBeforeDays: number, now: Date): boolean {
  return now.getTime() >= rotationStart(expiry, rotateBeforeDays).getTime();
}

/**
 * The rotation decision from a Certificate's stored state and its new inputs: due only when the
 * new inputs ask for automatic rotation (`rotateBeforeDays`, a number, with no fixed `expiryDate`)
 * and the stored expiry (an output read from the catalog) is within the window at `now`.
 */
export function rotationDueFromState(state: Record<string, unknown>, news: Record<string, unknown>, now: Date): boolean {
  const days = news.rotateBeforeDays;
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1) return false;
  if (news.expiryDate !== undefined) return false;
  const expiry = parseUtcDate(state.expiryDate);
  return expiry instanceof Date && rotationDue(expiry, days, now);
}

/**
 * The `START_DATE` and `EXPIRY_DATE` of a certificate made from `validityDays` at `now`: the start
 * {@link CLOCK_SKEW_ALLOWANCE_MS} early (whole seconds), the expiry exactly `validityDays` after it.
 */
export function validityWindow(validityDays: number, now: Date, startDate?: Date): { startDate: Date; expiryDate: Date } {
  const start = startDate ?? new Date(Math.floor((now.getTime() - CLOCK_SKEW_ALLOWANCE_MS) / 1000) * 1000);
  return { startDate: start, expiryDate: new Date(start.getTime() + validityDays * DAY_MS) };
}

/** Where a certificate stands at `now`. */
export type ExpiryState = "valid" | "expiring" | "expired";

/**
 * `expired` once `now` is past `expiry` (SQL Server accepts a certificate up to its expiry date
 * inclusive), `expiring` from `warnBeforeDays` before it, else `valid`.
 */
export function expiryState(expiry: Date, now: Date, warnBeforeDays: number): ExpiryState {
  if (now.getTime() > expiry.getTime()) return "expired";
  if (now.getTime() >= expiry.getTime() - warnBeforeDays * DAY_MS) return "expiring";
  return "valid";
}

/** The lifecycle settings of one certificate, as given (anything not known yet is left out). */
export interface LifecycleSettings {
  /** Validity of each new certificate, in days. */
  validityDays?: unknown;
  /** Rotate automatically this many days before the expiry. */
  rotateBeforeDays?: unknown;
  /** Warn this many days before the expiry. */
  warnBeforeDays?: unknown;
  /** Whether a fixed `expiryDate` is given. */
  hasExpiryDate?: boolean;
  /** Whether a fixed `startDate` is given. */
  hasStartDate?: boolean;
  /** Whether a fixed certificate `name` is given. */
  hasName?: boolean;
}

/** A problem with a property, in the words `check` and topology planning both use. */
export interface LifecycleProblem {
  /** The property, e.g. `rotateBeforeDays`. */
  property: "rotateBeforeDays" | "warnBeforeDays";
  /** Why, and the fix. */
  reason: string;
}

const MAX_DAYS = 36_500;

function wholeDays(v: unknown, min: number): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= MAX_DAYS;
}

/**
 * What is wrong with a combination of lifecycle settings. A rotation renews the certificate for
 * `validityDays` from the moment it runs, so it needs `validityDays` and no fixed dates (a renewed
 * certificate with the same fixed expiry would be due again at once), and `rotateBeforeDays` must be
 * shorter than `validityDays`; and a generated name, since the renewal is created beside the old
 * certificate, which its endpoint still uses. Values not known yet must be left out by the caller.
 */
export function lifecycleProblems(s: LifecycleSettings): LifecycleProblem[] {
  const problems: LifecycleProblem[] = [];
  if (s.warnBeforeDays !== undefined && !wholeDays(s.warnBeforeDays, 0)) {
    problems.push({ property: "warnBeforeDays", reason: `must be a whole number of days from 0 to ${MAX_DAYS}, got ${JSON.stringify(s.warnBeforeDays)}` });
  }
  const rotate = s.rotateBeforeDays;
  if (rotate === undefined) return problems;
  if (!wholeDays(rotate, 1)) {
    problems.push({ property: "rotateBeforeDays", reason: `must be a whole number of days from 1 to ${MAX_DAYS - 1}, got ${JSON.stringify(rotate)}` });
    return problems;
  }
  const fix = "give validityDays (the validity of each renewed certificate) instead";
  if (s.hasExpiryDate) {
    problems.push({ property: "rotateBeforeDays", reason: `cannot be combined with expiryDate: a renewed certificate would get the same expiry date and be due again at once; ${fix}` });
  } else if (s.hasStartDate) {
    problems.push({ property: "rotateBeforeDays", reason: `cannot be combined with startDate: a renewed certificate would get the same dates and be due again at once; ${fix}` });
  } else if (s.hasName) {
    problems.push({
      property: "rotateBeforeDays",
      reason: "cannot be combined with a fixed name: a renewal is created beside the old certificate, which its endpoint still uses, so it needs a new generated name; leave name unset",
    });
  } else if (s.validityDays === undefined) {
    problems.push({ property: "rotateBeforeDays", reason: "needs validityDays: the validity of each renewed certificate, e.g. validityDays: 365" });
  } else if (wholeDays(s.validityDays, 1) && (rotate as number) >= (s.validityDays as number)) {
    problems.push({
      property: "rotateBeforeDays",
      reason: `must be less than validityDays (${s.validityDays as number}), got ${rotate as number}: a renewed certificate would be due for rotation at once`,
    });
  }
  return problems;
}

/** What a warning is about: an instance's own certificate, or a copy of a peer's imported on it. */
export interface CertificateSubject {
  /** Logical name of the instance the certificate is on. */
  instance: string;
  /** The certificate's name in `master`. */
  certificate: string;
  /** For an imported copy: the logical name of the peer whose certificate it is. */
  peer?: string;
}

/** A message to print, with its severity. */
export interface ExpiryNotice {
  /** `warning` while it is expiring, `error` once it has expired. */
  severity: "warning" | "error";
  /** The exact text. */
  message: string;
}

function quoteName(name: string): string {
  return `[${name.replace(/]/g, "]]")}]`;
}

function timeLeft(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  return days === 0 ? "in less than a day" : days === 1 ? "in 1 day" : `in ${days} days`;
}

/**
 * The warning or error for a certificate expiring at `expiry`, or undefined while it is valid.
 * `rotateBeforeDays` (when automatic rotation is on) says when the rotation will happen.
 */
export function expiryNotice(
  subject: CertificateSubject,
  expiry: Date,
  now: Date,
  settings: { warnBeforeDays: number; rotateBeforeDays?: number },
): ExpiryNotice | undefined {
  const state = expiryState(expiry, now, settings.warnBeforeDays);
  if (state === "valid") return undefined;
  const date = canonicalUtc(expiry);
  const what =
    subject.peer === undefined
      ? `certificate ${quoteName(subject.certificate)} of instance '${subject.instance}'`
      : `certificate ${quoteName(subject.certificate)} imported on instance '${subject.instance}' for peer '${subject.peer}'`;
  const refused =
    subject.peer === undefined ? `its peers refuse new connections from '${subject.instance}'` : `'${subject.instance}' refuses new connections from '${subject.peer}'`;
  const rotate = settings.rotateBeforeDays;
  // A copy is renewed where its certificate lives: on the peer, then imported here again.
  const renewCopy = `rotate the certificate of '${subject.peer}' and import its new public key on '${subject.instance}' (a MirroringTopology does both in one pulumi up)`;
  if (state === "expired") {
    const next =
      subject.peer !== undefined
        ? renewCopy
        : rotate !== undefined
          ? "the next pulumi up rotates it"
          : "rotate it now: change certificate.validityDays (or subject) and run pulumi up, or set certificate.rotateBeforeDays";
    return { severity: "error", message: `${what} expired on ${date}: ${refused} (established connections last until they drop); ${next}` };
  }
  const next =
    subject.peer !== undefined
      ? renewCopy
      : rotate !== undefined
        ? `it is rotated by the first pulumi up from ${canonicalUtc(rotationStart(expiry, rotate))} (rotateBeforeDays ${rotate})`
        : "rotate it before then: set certificate.rotateBeforeDays and run pulumi up on a schedule, or change certificate.validityDays (or subject) and run pulumi up";
  return {
    severity: "warning",
    message: `${what} expires on ${date}, ${timeLeft(expiry.getTime() - now.getTime())} (warnBeforeDays ${settings.warnBeforeDays}): from then on ${refused}; ${next}`,
  };
}
