/**
 * Pure planning of database mirroring sessions for {@link MirroringTopology}, in the style of
 * availabilityGroupPlan.ts: every mistake found before a resource is declared (so `pulumi preview`
 * fails with all of them at once and sends nothing), and every default decided here so preview
 * shows the result.
 *
 * It takes a list of sessions over named instances from the start: today's `partners` + `witness`
 * + `mirroring` is the one-topology case (one entry, every database between the two partners), and
 * the estate form of a later issue (`instances` shared by several `mirroringSessions`) feeds the
 * same planner. One entry may list several databases; each becomes one `MirroringSession`.
 *
 * Defaults, and why:
 * - safety FULL: what ALTER DATABASE sets up anyway, no data loss on failover, and with a witness
 *   automatic failover (Microsoft advises trying high-performance mode first on an untested
 *   network: that is `safety: "OFF"`, and it takes no witness);
 * - timeout 10 s: SQL Server's default, and the least Microsoft recommends;
 * - no seeding: the mirror copy must already be RESTORING unless the program names a folder both
 *   instances reach (backups are never taken unasked);
 * - no pinned principal: a failover stays as it happened until the program moves the role back.
 */
import type { MirroringSafety } from "../sql/mirroringRecords";
import {
  DEFAULT_MIRRORING_TIMEOUT_SECONDS,
  mirroringCombinationProblems,
  MIRRORING_SAFETY_LEVELS,
  validateBackupFolder,
  validateMirroredDatabaseName,
  validateMirroringTimeout,
} from "../sql/validateMirroring";

/** Longest wait a topology accepts for a session, milliseconds (a day), as `MirroringSession` does. */
export const MAX_SESSION_WAIT_MS = 86_400_000;

/**
 * The database mirroring sessions a topology of `partners` (+ `witness`) declares: one
 * `MirroringSession` per database, between the two partners (the first is where each session
 * starts: its copy must be ONLINE), with the witness when the topology has one, after every trust
 * and endpoint exists. Values are plain (known when the program runs): planning checks them all
 * at preview.
 */
export interface TopologyMirroringArgs {
  /** The databases to mirror, each ONLINE on `partners[0]` (FULL recovery) and RESTORING on `partners[1]` unless `seeding` makes that copy. */
  databases: string[];
  /** `SAFETY`: `FULL` (default; with the topology's witness, automatic failover) or `OFF` (high performance; refused with a witness). */
  safety?: MirroringSafety;
  /** `TIMEOUT`, seconds: 5–32767. Default 10. */
  timeoutSeconds?: number;
  /** Seed missing mirror copies through this folder, which both partners reach (copy-only backups, restored WITH NORECOVERY; an ONLINE database is never restored over). */
  seeding?: { backupPath: string };
  /** Bound of each wait of `up` per session, milliseconds. Default: `MirroringSession`'s (120000). */
  waitTimeoutMs?: number;
  /** The partner (by logical name) that should be principal of every session: a planned failover when the other one is. Default: none (failovers stay). */
  principal?: string;
}

/** One entry of sessions as planning sees it; values not known at program time are left out. */
export interface MirroringSessionShape {
  /** How the program names this entry, for messages: `mirroring`, later `mirroringSessions[1]`. */
  path: string;
  /** The databases, one session each. */
  databases?: unknown;
  /** The two partners' logical names, the one each session starts on first. */
  partners: readonly string[];
  /** The witness's logical name, when there is one. */
  witness?: string;
  /** `SAFETY`. */
  safety?: unknown;
  /** `TIMEOUT`, seconds. */
  timeoutSeconds?: unknown;
  /** `{ backupPath }`. */
  seeding?: unknown;
  /** Wait bound, milliseconds. */
  waitTimeoutMs?: unknown;
  /** The pinned principal's logical name. */
  principal?: unknown;
}

/** A session ready to declare. */
export interface PlannedMirroringSession {
  /** How the program named the entry it comes from. */
  path: string;
  /** The database. */
  database: string;
  /** The partners' logical names, the one the session starts on first. */
  partners: [string, string];
  /** The witness's logical name, or undefined. */
  witness?: string;
  /** `SAFETY`. */
  safety: MirroringSafety;
  /** `TIMEOUT`, seconds. */
  timeoutSeconds: number;
  /** Seeding, when asked for. */
  seeding?: { backupPath: string };
  /** Wait bound (undefined: the resource's default). */
  waitTimeoutMs?: number;
  /** The pinned principal (undefined: none). */
  principal?: string;
}

/** What planning returns: the sessions, and every problem found (nothing is declared while there is one). */
export interface MirroringSessionsPlan {
  /** The sessions, in order (only meaningful when `problems` is empty). */
  sessions: PlannedMirroringSession[];
  /** Every problem, `<path>.<property> <reason>`. */
  problems: string[];
}

const plainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function planEntry(shape: MirroringSessionShape, known: ReadonlySet<string>, problems: string[]): PlannedMirroringSession[] {
  const at = shape.path;
  const before = problems.length;
  const add = (property: string, reason: string) => problems.push(`${at}.${property} ${reason}`);

  const partners = shape.partners;
  if (partners.length !== 2) add("partners", `database mirroring needs exactly two partners, got ${partners.length}`);
  for (const p of partners) if (!known.has(p)) add("partners", `names '${p}', which is not an instance of the topology`);
  if (partners.length === 2 && partners[0] === partners[1]) add("partners", `lists '${partners[0]}' twice: the two partners must be different instances`);
  if (shape.witness !== undefined) {
    if (!known.has(shape.witness)) add("witness", `names '${shape.witness}', which is not an instance of the topology`);
    if (partners.includes(shape.witness)) add("witness", `'${shape.witness}' is also a partner: the witness must be a third instance (SQL Server refuses it, 1429)`);
  }

  const databases: string[] = [];
  const raw = shape.databases;
  if (!Array.isArray(raw) || raw.length === 0) {
    add("databases", "is required: the databases to mirror, e.g. ['sales']");
  } else {
    const seen = new Map<string, number>();
    raw.forEach((database, i) => {
      const reason = validateMirroredDatabaseName(database);
      if (reason !== undefined) {
        add(`databases[${i}]`, reason);
        return;
      }
      const key = (database as string).toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) add(`databases[${i}]`, `'${database}' is listed twice (also databases[${first}]): a database has one mirroring session; list it once`);
      else {
        seen.set(key, i);
        databases.push(database as string);
      }
    });
  }

  let safety: MirroringSafety = "FULL";
  if (shape.safety !== undefined && shape.safety !== null) {
    const upper = typeof shape.safety === "string" ? shape.safety.trim().toUpperCase() : shape.safety;
    if (typeof upper === "string" && (MIRRORING_SAFETY_LEVELS as readonly string[]).includes(upper)) safety = upper as MirroringSafety;
    else add("safety", `must be one of ${MIRRORING_SAFETY_LEVELS.map((s) => JSON.stringify(s)).join(", ")}, not ${JSON.stringify(shape.safety)}`);
  }
  let timeoutSeconds = DEFAULT_MIRRORING_TIMEOUT_SECONDS;
  if (shape.timeoutSeconds !== undefined && shape.timeoutSeconds !== null) {
    const reason = validateMirroringTimeout(shape.timeoutSeconds);
    if (reason !== undefined) add("timeoutSeconds", reason);
    else timeoutSeconds = shape.timeoutSeconds as number;
  }
  let seeding: { backupPath: string } | undefined;
  if (shape.seeding !== undefined && shape.seeding !== null) {
    const path = plainObject(shape.seeding) ? shape.seeding.backupPath : undefined;
    const reason = plainObject(shape.seeding) ? validateBackupFolder(path) : "must be { backupPath: '<a folder both partners reach>' }";
    if (reason !== undefined) add("seeding.backupPath", reason);
    else seeding = { backupPath: path as string };
  }
  let waitTimeoutMs: number | undefined;
  const wait = shape.waitTimeoutMs;
  if (wait !== undefined && wait !== null) {
    if (typeof wait === "number" && Number.isInteger(wait) && wait >= 0 && wait <= MAX_SESSION_WAIT_MS) waitTimeoutMs = wait;
    else add("waitTimeoutMs", `must be a whole number of milliseconds from 0 to ${MAX_SESSION_WAIT_MS}, not ${JSON.stringify(wait)}`);
  }
  let principal: string | undefined;
  if (shape.principal !== undefined && shape.principal !== null) {
    if (typeof shape.principal === "string" && partners.includes(shape.principal)) principal = shape.principal;
    else add("principal", `must name one of the partners (${partners.map((p) => `'${p}'`).join(" or ")}), not ${JSON.stringify(shape.principal)}`);
  }
  for (const problem of mirroringCombinationProblems({ partnerUrls: [], hasWitness: shape.witness !== undefined, safety, pinsPrincipal: principal !== undefined })) {
    add(problem.property, problem.reason);
  }
  if (problems.length > before) return [];
  return databases.map((database) => ({
    path: at,
    database,
    partners: [partners[0]!, partners[1]!],
    ...(shape.witness !== undefined ? { witness: shape.witness } : {}),
    safety,
    timeoutSeconds,
    ...(seeding !== undefined ? { seeding } : {}),
    ...(waitTimeoutMs !== undefined ? { waitTimeoutMs } : {}),
    ...(principal !== undefined ? { principal } : {}),
  }));
}

/**
 * Plans every entry over the topology's instances (`instances`: their logical names). Across
 * entries: a database can be in one session per instance, so two entries that share an instance
 * (as a partner) cannot list the same database.
 */
export function planMirroringSessions(instances: readonly string[], shapes: readonly MirroringSessionShape[]): MirroringSessionsPlan {
  const problems: string[] = [];
  const known = new Set(instances);
  const planned = shapes.map((shape) => planEntry(shape, known, problems));
  const dbs = (shape: MirroringSessionShape) =>
    new Set((Array.isArray(shape.databases) ? shape.databases : []).filter((d): d is string => typeof d === "string").map((d) => d.toLowerCase()));
  for (let i = 0; i < shapes.length; i++) {
    for (let j = i + 1; j < shapes.length; j++) {
      const shared = shapes[i]!.partners.filter((p) => shapes[j]!.partners.includes(p));
      if (shared.length === 0) continue;
      const theirs = dbs(shapes[j]!);
      for (const db of dbs(shapes[i]!)) {
        if (theirs.has(db)) problems.push(`${shapes[j]!.path}.databases lists '${db}', which ${shapes[i]!.path} also mirrors on '${shared[0]}': a database has one mirroring session`);
      }
    }
  }
  return { sessions: problems.length === 0 ? planned.flat() : [], problems };
}
