/**
 * Statements for database mirroring sessions ("ALTER DATABASE Database Mirroring (Transact-SQL)")
 * and the backups and restores that seed a mirror copy ("Prepare a Mirror Database for
 * Mirroring").
 *
 * SQL Server takes one mirroring option per ALTER DATABASE, and ALTER DATABASE runs in autocommit
 * mode only, so each statement here is sent as a request of its own, with no guard and no
 * parameter (the grammar takes a literal address, not a variable); the operations
 * (objects/mirroring.ts) read the catalog before and after instead. Names are bracket-quoted, the
 * addresses and backup paths are `N'…'` literals.
 *
 * Where each runs: `SET PARTNER = '<principal>'` on the mirror first, then `SET PARTNER =
 * '<mirror>'` on the principal; SET WITNESS, SAFETY, TIMEOUT, FAILOVER and RESUME only on the
 * principal; OFF and SUSPEND on either partner.
 */
import { statement, type Statement } from "../client";
import { ValidationError } from "../errors";
import type { MirroringSafety } from "../mirroringRecords";
import { quoteIdentifier, quoteString } from "../quote";
import { assertValid } from "../validate";
import { validateBackupFolder, validateMirroredDatabaseName, validateMirroringTimeout, validateMirroringUrl } from "../validateMirroring";

const databaseName = (name: string) => {
  assertValid("database", validateMirroredDatabaseName(name));
  return quoteIdentifier(name, "database");
};
const address = (value: string, property: string) => {
  assertValid(property, validateMirroringUrl(value));
  return quoteString(value);
};
const alter = (database: string, option: string) => statement(`ALTER DATABASE ${databaseName(database)} SET ${option}`);

/**
 * `ALTER DATABASE [d] SET PARTNER = N'TCP://host:port'`. On the mirror with the principal's
 * address (first), then on the principal with the mirror's: the second starts the session.
 */
export function buildSetPartner(database: string, partnerUrl: string): Statement {
  return alter(database, `PARTNER = ${address(partnerUrl, "partner.endpointUrl")}`);
}

/** `ALTER DATABASE [d] SET WITNESS = N'TCP://host:port'`, on the principal (a witness being replaced is removed first, with SET WITNESS OFF). */
export function buildSetWitness(database: string, witnessUrl: string): Statement {
  return alter(database, `WITNESS = ${address(witnessUrl, "witness.endpointUrl")}`);
}

/** `ALTER DATABASE [d] SET WITNESS OFF`, on the principal: automatic failover ends with it. */
export function buildWitnessOff(database: string): Statement {
  return alter(database, "WITNESS OFF");
}

/** `ALTER DATABASE [d] SET PARTNER SAFETY FULL | OFF`, on the principal: synchronous (high safety) or asynchronous (high performance). */
export function buildSetSafety(database: string, safety: MirroringSafety): Statement {
  if (safety !== "FULL" && safety !== "OFF") throw new ValidationError("safety", `must be "FULL" or "OFF", got ${JSON.stringify(safety)}`);
  return alter(database, `PARTNER SAFETY ${safety}`);
}

/** `ALTER DATABASE [d] SET PARTNER TIMEOUT n`, on the principal: seconds without a ping before a partner counts as disconnected. */
export function buildSetTimeout(database: string, seconds: number): Statement {
  assertValid("timeoutSeconds", validateMirroringTimeout(seconds));
  return alter(database, `PARTNER TIMEOUT ${seconds}`);
}

/** `ALTER DATABASE [d] SET PARTNER FAILOVER`, on the principal: a planned failover (SAFETY FULL and SYNCHRONIZED only). */
export function buildPartnerFailover(database: string): Statement {
  return alter(database, "PARTNER FAILOVER");
}

/** `ALTER DATABASE [d] SET PARTNER OFF`, on either partner: ends the session; the mirror copy stays RESTORING. */
export function buildPartnerOff(database: string): Statement {
  return alter(database, "PARTNER OFF");
}

/** `ALTER DATABASE [d] SET PARTNER SUSPEND`, on either partner: the principal runs exposed until RESUME. */
export function buildPartnerSuspend(database: string): Statement {
  return alter(database, "PARTNER SUSPEND");
}

/** `ALTER DATABASE [d] SET PARTNER RESUME`, on the principal (after a forced service it discards the old principal's unsent log). */
export function buildPartnerResume(database: string): Statement {
  return alter(database, "PARTNER RESUME");
}

const disk = (path: string) => {
  if (typeof path !== "string" || path.length === 0 || path.includes("\u0000")) throw new ValidationError("seeding.backupPath", "must be a file path without NUL characters");
  return quoteString(path);
};

/**
 * `BACKUP DATABASE [d] TO DISK = N'…' WITH COPY_ONLY`, on the principal. Copy-only, so the
 * program's own backup sequence is untouched: the differential base stays what it was.
 */
export function buildSeedingFullBackup(database: string, file: string): Statement {
  return statement(`BACKUP DATABASE ${databaseName(database)} TO DISK = ${disk(file)} WITH COPY_ONLY`);
}

/**
 * `BACKUP LOG [d] TO DISK = N'…' WITH COPY_ONLY`, on the principal, right after the full backup.
 * Copy-only, so the log backup chain (and the log truncation point) stays as the program's own
 * log backups left it.
 */
export function buildSeedingLogBackup(database: string, file: string): Statement {
  return statement(`BACKUP LOG ${databaseName(database)} TO DISK = ${disk(file)} WITH COPY_ONLY`);
}

/** `RESTORE DATABASE [d] FROM DISK = N'…' WITH NORECOVERY`, on the mirror. Never with REPLACE: nothing is ever restored over an existing database. */
export function buildSeedingRestoreDatabase(database: string, file: string): Statement {
  return statement(`RESTORE DATABASE ${databaseName(database)} FROM DISK = ${disk(file)} WITH NORECOVERY`);
}

/** `RESTORE LOG [d] FROM DISK = N'…' WITH NORECOVERY`, on the mirror: the copy stays RESTORING, ready for SET PARTNER. */
export function buildSeedingRestoreLog(database: string, file: string): Statement {
  return statement(`RESTORE LOG ${databaseName(database)} FROM DISK = ${disk(file)} WITH NORECOVERY`);
}

/** The two files one seeding writes. */
export interface SeedingFiles {
  /** The copy-only full backup (`.bak`). */
  full: string;
  /** The copy-only log backup (`.trn`). */
  log: string;
}

/**
 * Where one seeding of `database` writes its backups: `<folder><sep><name>_<stamp>.bak` and
 * `.trn`, the separator the folder already uses (`\` for Windows paths and shares, `/` otherwise).
 * The name keeps letters, digits, `_` and `-` of the database name (others become `_`, at most 40)
 * and the stamp is the UTC time and a random tag, so a rerun never appends to or overwrites an
 * earlier seeding's files (RESTORE would read the first backup set of a file, not the latest).
 */
export function seedingFiles(folder: string, database: string, stamp: string): SeedingFiles {
  assertValid("seeding.backupPath", validateBackupFolder(folder));
  if (!/^[0-9A-Za-z_-]{1,40}$/.test(stamp)) throw new ValidationError("stamp", "must be 1–40 letters, digits, '_' or '-'");
  const windows = folder.includes("\\") && !folder.startsWith("/");
  const separator = windows ? "\\" : "/";
  const base = folder.endsWith(separator) ? folder : `${folder}${separator}`;
  const name = database.replace(/[^0-9A-Za-z_-]/g, "_").slice(0, 40) || "database";
  return { full: `${base}${name}_${stamp}.bak`, log: `${base}${name}_${stamp}.trn` };
}

/** A stamp for {@link seedingFiles}: `YYYYMMDDTHHMMSSZ-xxxxxx` from the clock and a random tag. */
export function seedingStamp(now: Date = new Date(), random: () => number = Math.random): string {
  const time = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const tag = Math.floor(random() * 0x1000000).toString(16).padStart(6, "0");
  return `${time}-${tag}`;
}

/** The settings of a session that change in place, as SQL Server holds them or as the program wants them. */
export interface SessionSettings {
  /** `SAFETY`. */
  safety: MirroringSafety;
  /** `TIMEOUT`, seconds. */
  timeoutSeconds: number;
  /** The witness's address, or null for none. */
  witnessUrl: string | null;
}

/** One step of bringing a session to the wanted settings, run on whichever partner is principal at that point. */
export type SessionStep =
  | { kind: "safety"; safety: MirroringSafety; statement: Statement }
  | { kind: "witnessOff"; statement: Statement }
  | { kind: "witness"; witnessUrl: string; statement: Statement }
  | { kind: "timeout"; timeoutSeconds: number; statement: Statement }
  | { kind: "failover"; statement: Statement };

const sameUrl = (a: string | null, b: string | null) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

/**
 * The statements that bring a session from `current` (read on its principal) to `desired`, and,
 * when `failover` is set, move the principal role to the other partner, in an order in which every
 * step is one SQL Server accepts:
 *
 * 1. `SAFETY FULL` when safety goes up (a witness and a failover both need it);
 * 2. `WITNESS OFF` when the witness goes or changes (before safety goes down: high-performance mode
 *    is not meant to have a witness);
 * 3. `TIMEOUT`;
 * 4. `FAILOVER` (still under FULL; the caller waits for SYNCHRONIZED first, and the steps after it
 *    run on the new principal);
 * 5. `SAFETY OFF` when safety goes down;
 * 6. `WITNESS = …` for a new witness (under FULL).
 *
 * Empty when nothing differs. Refused (ValidationError): a failover with safety OFF before and after.
 */
export function planSessionSteps(database: string, current: SessionSettings, desired: SessionSettings, failover = false): SessionStep[] {
  const steps: SessionStep[] = [];
  const witnessChanges = !sameUrl(current.witnessUrl, desired.witnessUrl);
  if (failover && current.safety === "OFF" && desired.safety === "OFF") {
    throw new ValidationError("principal", "a planned failover needs safety FULL (SQL Server refuses SET PARTNER FAILOVER otherwise, 1477)");
  }
  if (current.safety === "OFF" && desired.safety === "FULL") steps.push({ kind: "safety", safety: "FULL", statement: buildSetSafety(database, "FULL") });
  if (witnessChanges && current.witnessUrl !== null) steps.push({ kind: "witnessOff", statement: buildWitnessOff(database) });
  if (current.timeoutSeconds !== desired.timeoutSeconds) {
    steps.push({ kind: "timeout", timeoutSeconds: desired.timeoutSeconds, statement: buildSetTimeout(database, desired.timeoutSeconds) });
  }
  if (failover) steps.push({ kind: "failover", statement: buildPartnerFailover(database) });
  if (current.safety === "FULL" && desired.safety === "OFF") steps.push({ kind: "safety", safety: "OFF", statement: buildSetSafety(database, "OFF") });
  if (witnessChanges && desired.witnessUrl !== null) {
    steps.push({ kind: "witness", witnessUrl: desired.witnessUrl, statement: buildSetWitness(database, desired.witnessUrl) });
  }
  return steps;
}
