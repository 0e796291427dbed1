/**
 * Input rules for database mirroring sessions, checked before any statement is built: by
 * `MirroringSession`'s `check` and by the topology's planning, so bad input fails `pulumi preview`
 * with 0 requests. Each rule returns a reason (one sentence: what is wrong and how to fix it) or
 * undefined; rules are what SQL Server refuses or would quietly turn into something else.
 *
 * Sources (Microsoft's documentation): "ALTER DATABASE Database Mirroring (Transact-SQL)" (one
 * option per statement; TIMEOUT: below 5 becomes 5, 10 recommended; high-performance mode is not
 * meant to have a witness; FAILOVER needs SAFETY FULL); "Prepare a Mirror Database for Mirroring"
 * and "Prerequisites, Restrictions, and Recommendations for Database Mirroring" (user databases
 * only, FULL recovery, same name on both partners); "Specify a Server Network Address"
 * (`TCP://<system-address>:<port>`); the database engine's messages 1429, 1452, 1476, 1477.
 */
import { validateTcpUrl } from "./validateAvailabilityGroup";
import { validateSysname } from "./validate";
import type { MirroringSafety } from "./mirroringRecords";

/** Shortest session timeout, seconds: SQL Server turns 0–4 into 5 ("ALTER DATABASE Database Mirroring"). */
export const MIN_MIRRORING_TIMEOUT_SECONDS = 5;

/** Longest session timeout, seconds (1476: "exceeds the maximum value 32767"). */
export const MAX_MIRRORING_TIMEOUT_SECONDS = 32_767;

/** SQL Server's default session timeout, seconds (Microsoft recommends keeping 10 or more). */
export const DEFAULT_MIRRORING_TIMEOUT_SECONDS = 10;

/** The transaction safety levels a program can ask for. */
export const MIRRORING_SAFETY_LEVELS: readonly MirroringSafety[] = ["FULL", "OFF"];

/** Databases that can never be mirrored. */
export const UNMIRRORABLE_DATABASES: readonly string[] = ["master", "model", "msdb", "tempdb"];

/** Longest backup folder accepted: a file name of up to 60 characters is added to it, and Windows paths hold 260 (MAX_PATH). */
export const MAX_BACKUP_PATH_LENGTH = 200;

/** A database that may be mirrored: a valid name, and not a system database. */
export function validateMirroredDatabaseName(value: unknown): string | undefined {
  const reason = validateSysname(value);
  if (reason !== undefined) return reason;
  if (UNMIRRORABLE_DATABASES.includes((value as string).toLowerCase())) {
    return "is a system database; only user databases can be mirrored (Microsoft: master, msdb, tempdb and model cannot be)";
  }
  return undefined;
}

/** A partner's or the witness's server network address: `TCP://host:port` (1449 otherwise). */
export function validateMirroringUrl(value: unknown): string | undefined {
  return validateTcpUrl(value);
}

/**
 * `SET PARTNER TIMEOUT`: a whole number of seconds from 5 to 32767. Less is refused rather than
 * passed on: SQL Server would store 5, and the declared value would show as drift forever.
 */
export function validateMirroringTimeout(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= MIN_MIRRORING_TIMEOUT_SECONDS && value <= MAX_MIRRORING_TIMEOUT_SECONDS) return undefined;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < MIN_MIRRORING_TIMEOUT_SECONDS) {
    return `must be at least ${MIN_MIRRORING_TIMEOUT_SECONDS} seconds: SQL Server turns 0–4 into 5, so ${value} would show as drift at every refresh (10 or more is recommended), got ${value}`;
  }
  return `must be a whole number of seconds from ${MIN_MIRRORING_TIMEOUT_SECONDS} to ${MAX_MIRRORING_TIMEOUT_SECONDS} (SQL Server refuses more, 1476; 10 or more is recommended), got ${JSON.stringify(value)}`;
}

/**
 * The folder seeding writes its backups to and the mirror restores them from: an absolute path
 * (`/var/opt/mssql/backup`, `D:\backup`, or a share `\\server\share`). A relative path would
 * resolve in each instance's own default backup folder, so the mirror would not find the files.
 */
export function validateBackupFolder(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0) return `must be a folder path both instances reach, such as \\\\server\\share\\mirroring (got ${value === null ? "null" : typeof value})`;
  if (value.includes("\u0000")) return "must not contain the NUL character (U+0000); remove it";
  if (value.length > MAX_BACKUP_PATH_LENGTH) return `is ${value.length} characters long; keep it to ${MAX_BACKUP_PATH_LENGTH} so the backup file names fit Windows' 260-character paths`;
  if (!/^(\/|[A-Za-z]:[\\/]|\\\\[^\\]+\\)/.test(value)) {
    return `must be absolute ('/var/opt/mssql/backup', 'D:\\backup' or '\\\\server\\share'): a relative path resolves in each instance's own default folder, so the mirror would not see the principal's backups, got '${value}'`;
  }
  return undefined;
}

/** One problem: the property (relative to what was checked) and the reason. */
export interface MirroringProblem {
  /** e.g. `witness.endpointUrl` or `safety`. */
  property: string;
  /** What is wrong and how to fix it. */
  reason: string;
}

/** A session as the combination rules see it; `undefined` means not known (preview) or not given. */
export interface MirroringRuleInput {
  /** The two partners' endpoint URLs, in declaration order. */
  partnerUrls: readonly (string | undefined)[];
  /** The witness's endpoint URL, when there is a witness. */
  witnessUrl?: string;
  /** Whether a witness is declared (its URL may not be known yet). */
  hasWitness: boolean;
  /** `SAFETY`, resolved (FULL by default). */
  safety?: MirroringSafety;
  /** Whether the program pins which partner is principal (a planned failover may be needed). */
  pinsPrincipal: boolean;
}

/**
 * Problems with how a session's parts fit together: the partners' and the witness's addresses
 * must all differ (1452, 1429); high-performance mode (SAFETY OFF) with a witness is refused —
 * Microsoft: "High-performance mode is not intended to use a witness", and with a witness set the
 * database needs quorum to be served whatever the safety, so losing the mirror and the witness
 * would take the principal down for no gain; pinning the principal needs SAFETY FULL (a planned
 * failover is SET PARTNER FAILOVER, which SQL Server refuses otherwise, 1477).
 */
export function mirroringCombinationProblems(session: MirroringRuleInput): MirroringProblem[] {
  const problems: MirroringProblem[] = [];
  const lower = (u: string | undefined) => (typeof u === "string" && validateTcpUrl(u) === undefined ? u.toLowerCase() : undefined);
  const [a, b] = session.partnerUrls.map(lower);
  if (a !== undefined && a === b) {
    problems.push({ property: "partners[1].endpointUrl", reason: `is also partners[0]'s address: the two partners must be different instances (SQL Server refuses it, 1452)` });
  }
  const w = lower(session.witnessUrl);
  if (w !== undefined && (w === a || w === b)) {
    problems.push({ property: "witness.endpointUrl", reason: `is also a partner's address: the witness must be a third instance (SQL Server refuses it, 1429)` });
  }
  if (session.hasWitness && session.safety === "OFF") {
    problems.push({
      property: "safety",
      reason:
        "OFF (high-performance mode) with a witness is refused: Microsoft does not intend high-performance mode to use a witness, and with one the principal still needs quorum, " +
        "so losing the mirror and the witness would take the database offline; remove the witness, or use FULL",
    });
  }
  if (session.pinsPrincipal && session.safety === "OFF") {
    problems.push({
      property: "principal",
      reason: "pins the principal, which takes a planned failover (SET PARTNER FAILOVER) whenever the other partner is principal; SQL Server allows that only with safety FULL (1477): use FULL, or leave principal out",
    });
  }
  return problems;
}
