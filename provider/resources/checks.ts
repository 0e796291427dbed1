/**
 * Property checks for `check`: each adds a failure naming the property and the fix, skips
 * preview's unknown values, and returns the normalized value (defaults applied).
 */
import {
  parseListenerAddress,
  parseUtcDate,
  validateLoginName,
  validatePassword,
  validatePasswordPolicy,
  validatePort,
  validateSysname,
} from "../sql";
import type { CheckFailure } from "./connection";
import { isUnknown } from "./unknown";

/** Collects failures for one `check` call. */
export class Checker {
  /** Failures recorded so far, in the order found. */
  readonly failures: CheckFailure[] = [];

  constructor(private readonly news: Record<string, unknown>) {}

  /** Records a failure; the engine prints it as "property <property> value <v> has a problem: <reason>". */
  fail(property: string, reason: string): void {
    this.failures.push({ property, reason });
  }

  /** The raw value, or `undefined` when it is absent or not known yet. */
  private known(key: string): unknown {
    const v = this.news[key];
    return isUnknown(v) ? undefined : v;
  }

  /** A SQL Server name; `login` adds the SQL-login rule (no backslash). Returns the value or the default. */
  sysname(key: string, opts: { required?: boolean; default?: string; login?: boolean } = {}): unknown {
    const v = this.news[key];
    if (isUnknown(v)) return v;
    if (v === undefined || v === null) {
      if (opts.required) this.fail(key, "is required");
      return opts.default;
    }
    const reason = opts.login ? validateLoginName(v) : validateSysname(v);
    if (reason) this.fail(key, reason);
    return v;
  }

  /** A secret string (password); never echoed in the reason. */
  password(key: string, opts: { required?: boolean; maxLength?: number; policy?: { accountName?: string } } = {}): unknown {
    const v = this.news[key];
    if (isUnknown(v)) return v;
    if (v === undefined || v === null) {
      if (opts.required) this.fail(key, "is required");
      return undefined;
    }
    // SQL Server's documented password policy, where the statement applies it (see validatePasswordPolicy).
    const reason = opts.policy !== undefined ? validatePasswordPolicy(v, opts.policy.accountName) : validatePassword(v, opts.maxLength);
    if (reason) this.fail(key, reason);
    return v;
  }

  /** One of a fixed set of values (T-SQL keywords are case-insensitive; the value is upper-cased). */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T | undefined): unknown {
    const v = this.news[key];
    if (isUnknown(v)) return v;
    if (v === undefined || v === null) return fallback;
    const upper = typeof v === "string" ? v.toUpperCase().trim().replace(/\s+/g, " ") : v;
    if (typeof upper !== "string" || !allowed.includes(upper as T)) {
      this.fail(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(v)}`);
      return v;
    }
    return upper;
  }

  /** A TCP port. */
  port(key: string, fallback: number): unknown {
    const v = this.news[key];
    if (isUnknown(v)) return v;
    if (v === undefined || v === null) return fallback;
    const reason = validatePort(v);
    if (reason) this.fail(key, reason);
    return v;
  }

  /** `ALL`, an IPv4 or an IPv6 address; normalized (`ALL` upper-cased, IPv6 lower-cased). */
  listenerIp(key: string): unknown {
    const v = this.news[key];
    if (isUnknown(v)) return v;
    if (v === undefined || v === null) return "ALL";
    const parsed = parseListenerAddress(v);
    if (typeof parsed === "string") {
      this.fail(key, parsed);
      return v;
    }
    return parsed.kind === "all" ? "ALL" : parsed.address;
  }

  /** An ISO-8601 UTC date; returns the parsed Date (or undefined when absent/unknown/invalid). */
  date(key: string): Date | undefined {
    const v = this.known(key);
    if (v === undefined || v === null) return undefined;
    const parsed = parseUtcDate(v);
    if (typeof parsed === "string") {
      this.fail(key, parsed);
      return undefined;
    }
    return parsed;
  }

  /** A boolean with a default. */
  boolean(key: string, fallback: boolean): unknown {
    const v = this.news[key];
    if (isUnknown(v)) return v;
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** An integer in a range, or undefined. */
  integer(key: string, min: number, max: number): unknown {
    const v = this.news[key];
    if (isUnknown(v) || v === undefined || v === null) return v ?? undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) this.fail(key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return v;
  }
}
