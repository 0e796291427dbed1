/**
 * Database mirroring operations: reading each partner and the witness, finding the current
 * principal, the readiness and prerequisite checks, seeding a mirror copy, the SET PARTNER / SET
 * WITNESS / SAFETY / TIMEOUT / FAILOVER / OFF / SUSPEND / RESUME statements.
 *
 * Each ALTER DATABASE mirroring statement is sent alone by {@link runAlone}, with the catalog read
 * before it (to skip what is already done) and, when its reply is lost and the attempt is retried,
 * read again first, so a statement that already took effect is not sent twice. Backups and
 * restores are never retried: a lost reply may hide a backup written or a restore applied, and
 * sending it again would write a second backup set or fail on the log chain; the next run's reads
 * decide instead.
 */
import { mirroringPartnerQuery, mirroringWitnessQuery, seedingStateQuery } from "../mirroringCatalog";
import type { MirroringDatabaseRecord, MirroringPartnerRecord, MirroringWitnessRecord, SeedingStateRecord } from "../mirroringRecords";
import type { SqlClient, Statement } from "../client";
import { conflictError, displayName, SqlServerError, toSqlServerError } from "../errors";
import {
  buildPartnerOff,
  buildPartnerResume,
  buildPartnerSuspend,
  buildSeedingFullBackup,
  buildSeedingLogBackup,
  buildSeedingRestoreDatabase,
  buildSeedingRestoreLog,
  buildSetPartner,
  buildWitnessOff,
  seedingFiles,
  seedingStamp,
  type SeedingFiles,
  type SessionStep,
} from "../statements/mirroring";
import { UNMIRRORABLE_DATABASES } from "../validateMirroring";
import { runAlone } from "./availabilityGroup";
import { probe, readOne, type OperationContext } from "./run";

function sessionContext(operation: string, database: string, target?: string): OperationContext {
  return { operation, objectType: "mirroring session of database", objectName: database, ...(target === undefined ? {} : { qualifier: target }) };
}

const sameUrl = (a: string | null | undefined, b: string | null | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

/** One instance of the session as read: `@@SERVERNAME`, the database and its session, the endpoint. One request. */
export async function readMirroringPartner(client: SqlClient, database: string): Promise<MirroringPartnerRecord> {
  return (await readOne(client, sessionContext("read", database), mirroringPartnerQuery(database)))!;
}

/** The sessions of `database` this instance serves as witness. One request. */
export async function readMirroringWitness(client: SqlClient, database: string): Promise<MirroringWitnessRecord[]> {
  return (await readOne(client, sessionContext("read the witness of", database), mirroringWitnessQuery(database)))!;
}

/** The database as seeding sees it (state, recovery model, log chain), or undefined when it does not exist. One request. */
export async function readSeedingState(client: SqlClient, database: string): Promise<SeedingStateRecord | undefined> {
  return readOne(client, { operation: "read", objectType: "database", objectName: database }, seedingStateQuery(database));
}

/** What one partner answered when asked for its view of the session: a record, or the failure. */
export interface PartnerView {
  /** The partner's record, when it answered. */
  record?: MirroringPartnerRecord;
  /** Why it could not be asked, when it did not. */
  error?: unknown;
}

/**
 * What the partners' views say about who is principal:
 * - `principal`: exactly one partner's copy has the PRINCIPAL role;
 * - `none`: every partner answered and none has a session for the database;
 * - `mirrorOnly`: a partner's copy is the MIRROR, and the principal did not answer or shows no
 *   session (it is down, or lost quorum and took its copy offline);
 * - `split`: both claim the PRINCIPAL role (after a forced service, the old principal keeps it
 *   until it reconnects);
 * - `unreachable`: no session seen, and some partner could not be asked.
 */
export type PrincipalFinding =
  | { kind: "principal"; index: number }
  | { kind: "none" }
  | { kind: "mirrorOnly"; mirrorIndex: number }
  | { kind: "split"; indices: number[] }
  | { kind: "unreachable" };

/** Decides {@link PrincipalFinding} from the views (pure; a view never asked is `undefined`). */
export function findPrincipal(views: readonly (PartnerView | undefined)[]): PrincipalFinding {
  const roleOf = (v: PartnerView | undefined) => v?.record?.database?.session?.role ?? null;
  const principals = views.map((v, i) => ({ v, i })).filter(({ v }) => roleOf(v) === "PRINCIPAL").map(({ i }) => i);
  if (principals.length > 1) return { kind: "split", indices: principals };
  if (principals.length === 1) return { kind: "principal", index: principals[0]! };
  const mirror = views.findIndex((v) => roleOf(v) === "MIRROR");
  if (mirror >= 0) return { kind: "mirrorOnly", mirrorIndex: mirror };
  if (views.some((v) => v === undefined || v.error !== undefined)) return { kind: "unreachable" };
  return { kind: "none" };
}

/**
 * Reads the partners for `database`, asking `clients[first]` (the principal last seen) alone first:
 * when it is the principal and connected to its mirror, the mirror is not asked (one request).
 * Otherwise every other partner is asked at once.
 */
export async function readPartnerViews(clients: readonly SqlClient[], database: string, first = 0): Promise<PartnerView[]> {
  if (clients.length === 0) throw new TypeError("readPartnerViews: no partners");
  const start = first >= 0 && first < clients.length ? first : 0;
  const ask = async (i: number): Promise<PartnerView> => {
    try {
      return { record: await readMirroringPartner(clients[i]!, database) };
    } catch (error) {
      return { error };
    }
  };
  const views: Array<PartnerView | undefined> = clients.map(() => undefined);
  views[start] = await ask(start);
  const session = views[start]!.record?.database?.session;
  // A principal that is connected has a mirror that agrees: nothing more to ask.
  if (session?.role === "PRINCIPAL" && session.state !== null && session.state !== "DISCONNECTED" && session.state !== "PENDING_FAILOVER") {
    return views.map((v) => v ?? {});
  }
  const others = clients.map((_, i) => i).filter((i) => i !== start);
  (await Promise.all(others.map(ask))).forEach((view, k) => (views[others[k]!] = view));
  return views as PartnerView[];
}

/** The current principal, found among the partners. */
export interface DiscoveredPrincipal {
  /** Index of the partner whose copy is the principal. */
  index: number;
  /** Its client. */
  client: SqlClient;
  /** Its record (the session as the principal sees it). */
  record: MirroringPartnerRecord;
  /** Every partner's view as read (a partner not asked has an empty view). */
  views: PartnerView[];
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The error for a finding that names no usable principal: `ESPLITPRINCIPAL` when both claim the
 * role, `EPRINCIPALUNREACHABLE` when a session is seen but its principal cannot be; when no
 * partner could be asked at all, the first failure as it is. Undefined for `principal` and `none`.
 */
export function principalFindingError(clients: readonly SqlClient[], views: readonly PartnerView[], finding: PrincipalFinding, database: string, first = 0): unknown {
  const ctx = { ...sessionContext("find the principal of", database), target: clients[first >= 0 && first < clients.length ? first : 0]!.target };
  const name = (i: number) => `'${views[i]?.record?.serverName ?? "?"}' (${clients[i]!.target})`;
  switch (finding.kind) {
    case "principal":
    case "none":
      return undefined;
    case "split":
      return conflictError(
        ctx,
        "ESPLITPRINCIPAL",
        `${finding.indices.map(name).join(" and ")} both hold the PRINCIPAL role (after a forced service the old principal keeps it until it reconnects): ` +
          "decide which copy to keep, end mirroring on the other (ALTER DATABASE … SET PARTNER OFF) by hand, then run pulumi refresh",
      );
    case "mirrorOnly":
    case "unreachable": {
      if (views.every((v) => v.error !== undefined)) return views[0]!.error;
      const failed = views.map((v, i) => ({ v, i })).filter(({ v }) => v.error !== undefined);
      const mirror = finding.kind === "mirrorOnly" ? views[finding.mirrorIndex]!.record!.database!.session! : undefined;
      return conflictError(
        ctx,
        "EPRINCIPALUNREACHABLE",
        (finding.kind === "mirrorOnly"
          ? `${name(finding.mirrorIndex)} holds the mirror copy (${mirror!.state ?? "state unknown"}) and names its principal ${mirror!.partnerName ?? "?"}, which did not answer as principal`
          : "no partner that answered shows the session") +
          (failed.length > 0 ? `; unreachable: ${failed.map(({ v, i }) => `${clients[i]!.target}: ${describe(v.error)}`).join("; ")}` : "") +
          " — bring the principal's instance back (or, with a witness, let the session fail over), then run pulumi up again",
      );
    }
  }
}

/**
 * Finds the partner whose copy is the principal now, never assuming it is the first: see
 * {@link readPartnerViews} and {@link findPrincipal}. Undefined when every partner answered and none
 * has a session for the database. Otherwise fails with {@link principalFindingError}.
 */
export async function discoverPrincipal(clients: readonly SqlClient[], database: string, first = 0): Promise<DiscoveredPrincipal | undefined> {
  const views = await readPartnerViews(clients, database, first);
  const finding = findPrincipal(views);
  if (finding.kind === "principal") return { index: finding.index, client: clients[finding.index]!, record: views[finding.index]!.record!, views };
  if (finding.kind === "none") return undefined;
  throw principalFindingError(clients, views, finding, database, first);
}

/**
 * Why an instance's endpoint cannot serve its part in a session, or undefined: SET PARTNER needs
 * both partners' endpoints STARTED with ROLE PARTNER or ALL, SET WITNESS the witness's STARTED
 * with ROLE WITNESS or ALL ("ALTER DATABASE Database Mirroring (Transact-SQL)").
 */
export function endpointProblem(record: MirroringPartnerRecord, part: "partner" | "witness"): string | undefined {
  const endpoint = record.endpoint;
  if (endpoint === null) return "has no DATABASE_MIRRORING endpoint: create one first (MirroringEndpoint)";
  if (endpoint.state !== "STARTED") return `its DATABASE_MIRRORING endpoint is ${endpoint.state}; SET PARTNER and SET WITNESS need it STARTED`;
  const allowed = part === "partner" ? ["PARTNER", "ALL"] : ["WITNESS", "ALL"];
  if (!allowed.includes(endpoint.role)) return `its endpoint's ROLE is ${endpoint.role}; a ${part} needs ${allowed.join(" or ")}`;
  return undefined;
}

/**
 * What the prerequisite rules read about one copy: the seeding read's facts always, and the rest of
 * a partner read when there is one (a fact left out is not judged).
 */
export type CopyFacts = SeedingStateRecord & Partial<Omit<MirroringDatabaseRecord, keyof SeedingStateRecord>>;

/** One reason a copy of the database cannot take part in a session yet: the rule and the reason, which follows the database name. */
export interface MirroringPrerequisiteProblem {
  /** Which rule. */
  rule: "missing" | "system" | "state" | "recovery" | "readOnly" | "userAccess" | "autoClose" | "availabilityGroup" | "mirrored" | "logChain" | "exists";
  /** What is wrong and the fix. */
  reason: string;
}

/**
 * Why the principal's copy (`record`, read on the partner the session starts on) cannot start a
 * session, per "Prerequisites, Restrictions, and Recommendations for Database Mirroring" and the
 * messages SQL Server gives otherwise: it exists, is a user database, ONLINE, in the FULL recovery
 * model (1465), read-write (1466), multi-user (1488), without AUTO_CLOSE (1469), in no availability
 * group, in no other session; with seeding, its log chain has started (a log backup needs it).
 * Nothing here is ever changed for the program: each reason names the fix.
 */
export function principalCopyProblems(record: CopyFacts | null | undefined, database: string, options: { seeding: boolean; mirrorUrl?: string }): MirroringPrerequisiteProblem[] {
  const name = displayName(database);
  if (record === null || record === undefined) {
    return [{ rule: "missing", reason: "does not exist on the partner the session starts on (partners[0]): create or restore it there first (this package never creates a database)" }];
  }
  if ((record.databaseId !== undefined && record.databaseId <= 4) || UNMIRRORABLE_DATABASES.includes(database.toLowerCase())) {
    return [{ rule: "system", reason: "is a system database; only user databases can be mirrored" }];
  }
  const problems: MirroringPrerequisiteProblem[] = [];
  if (record.state !== "ONLINE") {
    problems.push({
      rule: "state",
      reason:
        record.state === "RESTORING"
          ? "is RESTORING on partners[0], so it is not the principal copy: list the partner that holds it ONLINE first"
          : `is ${record.state}, not ONLINE: bring it online first (ALTER DATABASE ${name} SET ONLINE)`,
    });
  }
  if (record.recoveryModel !== "FULL") {
    problems.push({ rule: "recovery", reason: `uses the ${record.recoveryModel} recovery model; mirroring needs FULL (1465): run ALTER DATABASE ${name} SET RECOVERY FULL, then a full backup (this package changes neither)` });
  } else if (options.seeding && !record.logChainStarted) {
    problems.push({
      rule: "logChain",
      reason: `has had no full backup under the FULL recovery model, so no log backup can be taken yet: run BACKUP DATABASE ${name} TO DISK = N'…' first (seeding takes copy-only backups, which never start or change your backup chain)`,
    });
  }
  if (record.readOnly) problems.push({ rule: "readOnly", reason: `is read-only (1466): make it read-write first (ALTER DATABASE ${name} SET READ_WRITE)` });
  if (record.userAccess === "SINGLE_USER") problems.push({ rule: "userAccess", reason: `is in single-user mode (1488): make it multi-user first (ALTER DATABASE ${name} SET MULTI_USER)` });
  if (record.autoClose) problems.push({ rule: "autoClose", reason: `uses AUTO_CLOSE (1469): turn it off first (ALTER DATABASE ${name} SET AUTO_CLOSE OFF)` });
  if (record.inAvailabilityGroup) problems.push({ rule: "availabilityGroup", reason: "belongs to an availability group, and such a database cannot be mirrored: remove it from the group first" });
  const session = record.session ?? null;
  if (session !== null && !(options.mirrorUrl !== undefined && sameUrl(session.partnerName, options.mirrorUrl))) {
    problems.push({
      rule: "mirrored",
      reason: `is already in a mirroring session with ${session.partnerName ?? "another partner"} (set up outside this stack; an existing session is not taken over): end it there first (ALTER DATABASE ${name} SET PARTNER OFF)`,
    });
  }
  return problems;
}

/**
 * Why the mirror's copy (`record`, read on partners[1]) cannot become the mirror database, per
 * "Prepare a Mirror Database for Mirroring": it must be RESTORING (restored WITH NORECOVERY), in no
 * availability group and in no other session. A missing copy is fine with seeding (it is made);
 * an existing ONLINE copy is never restored over, with or without seeding.
 */
export function mirrorCopyProblems(record: CopyFacts | null | undefined, database: string, options: { seeding: boolean; principalUrl?: string }): MirroringPrerequisiteProblem[] {
  const name = displayName(database);
  if (record === null || record === undefined) {
    return options.seeding
      ? []
      : [{
          rule: "missing",
          reason:
            `does not exist on the mirror (partners[1]): restore a full backup and a later log backup of the principal's copy there WITH NORECOVERY ` +
            `(RESTORE DATABASE ${name} FROM DISK = N'…' WITH NORECOVERY; RESTORE LOG ${name} FROM DISK = N'…' WITH NORECOVERY), or give seeding: { backupPath } to have that done`,
        }];
  }
  const problems: MirroringPrerequisiteProblem[] = [];
  if (record.state === "ONLINE") {
    problems.push({
      rule: "exists",
      reason:
        `is ONLINE on the mirror (partners[1]), and a database is never restored over: if that copy is not needed, drop it there yourself (DROP DATABASE ${name}) and run pulumi up again; ` +
        "if it is the copy that should serve, list its partner first",
    });
  } else if (record.state !== "RESTORING") {
    problems.push({ rule: "state", reason: `is ${record.state} on the mirror (partners[1]); the mirror copy must be RESTORING (restored WITH NORECOVERY)` });
  }
  if (record.inAvailabilityGroup) problems.push({ rule: "availabilityGroup", reason: "belongs to an availability group on the mirror: remove it from the group first" });
  const session = record.session ?? null;
  if (session !== null && !(options.principalUrl !== undefined && sameUrl(session.partnerName, options.principalUrl))) {
    problems.push({ rule: "mirrored", reason: `is already in a mirroring session with ${session.partnerName ?? "another partner"} on the mirror: end it there first (ALTER DATABASE ${name} SET PARTNER OFF)` });
  }
  return problems;
}

/** The error for copies that cannot take part: every problem at once, each with its fix. */
export function copyProblemError(target: string, database: string, side: "principal" | "mirror", problems: readonly MirroringPrerequisiteProblem[]): SqlServerError {
  const name = displayName(database);
  return conflictError(
    { ...sessionContext("create", database), target },
    "EPREREQUISITE",
    `the ${side}'s copy: ` + (problems.length === 1 ? `database ${name} ${problems[0]!.reason}` : `database ${name}: ${problems.map((p, i) => `(${i + 1}) ${p.reason}`).join("; ")}`),
  );
}

/** Options of {@link seedMirrorCopy}. */
export interface SeedingOptions {
  /** The folder both instances reach (absolute). */
  backupPath: string;
  /** The file-name stamp; default {@link seedingStamp} (the time and a random tag). */
  stamp?: string;
}

/** What {@link seedMirrorCopy} did. */
export interface SeedingResult {
  /** Whether backups were taken and restored (false: the mirror already had a RESTORING copy, used as it is). */
  seeded: boolean;
  /** The files written, when it seeded. */
  files?: SeedingFiles;
}

/** Sends one backup or restore as a request of its own, never retried (see the module comment). */
async function once(client: SqlClient, context: OperationContext, statement: Statement): Promise<void> {
  try {
    await client.query(statement.sql, statement.params);
  } catch (error) {
    throw toSqlServerError(error, { ...context, target: client.target });
  }
}

/**
 * Seeds the mirror copy of `database` through `backupPath`, as "Prepare a Mirror Database for
 * Mirroring" describes, unless the mirror already holds a RESTORING copy (then nothing is done):
 *
 * 1. on the mirror: the database must not exist (an existing ONLINE database is never restored
 *    over: a clear error names it and the fix);
 * 2. on the principal: ONLINE, FULL recovery, log chain started;
 * 3. on the principal: `BACKUP DATABASE … WITH COPY_ONLY`, then `BACKUP LOG … WITH COPY_ONLY`
 *    (copy-only: the program's own backup chain stays as it was);
 * 4. on the mirror, checked again just before: `RESTORE DATABASE … WITH NORECOVERY`, then
 *    `RESTORE LOG … WITH NORECOVERY` (never REPLACE), and a read that the copy is RESTORING.
 *
 * The backup files stay in the folder. Seven requests when it seeds, one when the copy is there.
 */
export async function seedMirrorCopy(principal: SqlClient, mirror: SqlClient, database: string, options: SeedingOptions): Promise<SeedingResult> {
  const seedCtx = (operation: string): OperationContext => ({ operation, objectType: "mirror copy of database", objectName: database });
  const mirrorState = await readSeedingState(mirror, database);
  if (mirrorState?.state === "RESTORING") {
    const problems = mirrorCopyProblems(mirrorState, database, { seeding: true });
    if (problems.length > 0) throw copyProblemError(mirror.target, database, "mirror", problems);
    return { seeded: false };
  }
  const mirrorProblems = mirrorCopyProblems(mirrorState, database, { seeding: true });
  if (mirrorProblems.length > 0) throw copyProblemError(mirror.target, database, "mirror", mirrorProblems);
  const principalState = await readSeedingState(principal, database);
  const principalProblems = principalCopyProblems(principalState, database, { seeding: true });
  if (principalProblems.length > 0) throw copyProblemError(principal.target, database, "principal", principalProblems);

  const files = seedingFiles(options.backupPath, database, options.stamp ?? seedingStamp());
  await once(principal, seedCtx("back up (full, copy-only) for seeding the"), buildSeedingFullBackup(database, files.full));
  await once(principal, seedCtx("back up (log, copy-only) for seeding the"), buildSeedingLogBackup(database, files.log));
  // Checked again at the last moment: a database created there meanwhile is never restored over.
  const again = await readSeedingState(mirror, database);
  if (again !== undefined) {
    throw copyProblemError(mirror.target, database, "mirror", mirrorCopyProblems(again, database, { seeding: true }).concat(
      again.state === "RESTORING" ? [{ rule: "exists", reason: "appeared on the mirror while seeding ran (RESTORING): run pulumi up again to use it" }] : [],
    ));
  }
  await once(mirror, seedCtx("restore (full, NORECOVERY) the"), buildSeedingRestoreDatabase(database, files.full));
  await once(mirror, seedCtx("restore (log, NORECOVERY) the"), buildSeedingRestoreLog(database, files.log));
  const after = await readSeedingState(mirror, database);
  if (after?.state !== "RESTORING") {
    throw conflictError(
      { ...seedCtx("seed the"), target: mirror.target },
      "ESEEDING",
      `after RESTORE … WITH NORECOVERY the copy is ${after === undefined ? "missing" : after.state}, not RESTORING`,
    );
  }
  return { seeded: true, files };
}

/**
 * `SET PARTNER = N'<partnerUrl>'` on `client` (alone) unless its copy already names that partner.
 * On the mirror with the principal's address first, then on the principal with the mirror's.
 * Returns whether it was set already.
 */
export async function setPartner(client: SqlClient, database: string, partnerUrl: string): Promise<{ alreadySet: boolean }> {
  const ctx = sessionContext("set the partner of", database, `to ${partnerUrl}`);
  const query = mirroringPartnerQuery(database);
  const named = (r: MirroringPartnerRecord | undefined) => r?.database?.session !== null && r?.database?.session !== undefined && sameUrl(r.database.session.partnerName, partnerUrl);
  if (named(await readOne(client, ctx, query))) return { alreadySet: true };
  await runAlone(client, ctx, buildSetPartner(database, partnerUrl), async () => named(await probe(client, query)));
  return { alreadySet: false };
}

/** Whether `record` (read on the principal) shows `step` done: what a retry after a lost reply checks. */
export function stepDone(record: MirroringPartnerRecord | undefined, step: SessionStep): boolean {
  const session = record?.database?.session;
  if (session === null || session === undefined) return false;
  switch (step.kind) {
    case "safety":
      return session.safety === step.safety;
    case "witnessOff":
      return session.witnessName === null;
    case "witness":
      return sameUrl(session.witnessName, step.witnessUrl);
    case "timeout":
      return session.connectionTimeout === step.timeoutSeconds;
    case "failover":
      return session.role === "MIRROR";
  }
}

/** Runs one step of {@link planSessionSteps} on the principal `client`, alone; a retry first checks whether it took effect. */
export async function runSessionStep(client: SqlClient, database: string, step: SessionStep): Promise<void> {
  const operation = { safety: "change the safety of", witnessOff: "remove the witness of", witness: "set the witness of", timeout: "change the timeout of", failover: "fail over" }[step.kind];
  const query = mirroringPartnerQuery(database);
  await runAlone(client, sessionContext(operation, database), step.statement, async () => stepDone(await probe(client, query), step));
}

/** `SET WITNESS OFF` on the principal `client` unless the session has no witness. Returns whether it had one. */
export async function removeWitness(client: SqlClient, database: string): Promise<boolean> {
  const query = mirroringPartnerQuery(database);
  const record = await readOne(client, sessionContext("remove the witness of", database), query);
  if (record?.database?.session?.witnessName === null || record?.database?.session === null || record?.database?.session === undefined) return false;
  await runSessionStep(client, database, { kind: "witnessOff", statement: buildWitnessOff(database) });
  return true;
}

/**
 * `SET PARTNER OFF` on `client` (either partner) unless its copy is in no session. Returns whether
 * it was. The session ends on both partners (or, when they are not connected, on this one, and on
 * the other when it reconnects); the mirror copy stays RESTORING and is never recovered here.
 */
export async function endSession(client: SqlClient, database: string): Promise<boolean> {
  const query = mirroringPartnerQuery(database);
  const inSession = (r: MirroringPartnerRecord | undefined) => r?.database?.session !== null && r?.database?.session !== undefined;
  if (!inSession(await readOne(client, sessionContext("end", database), query))) return false;
  await runAlone(client, sessionContext("end", database), buildPartnerOff(database), async () => !inSession(await probe(client, query)));
  return true;
}

/** `SET PARTNER SUSPEND` on `client` (either partner), alone: the principal runs exposed until resumed. */
export async function suspendSession(client: SqlClient, database: string): Promise<void> {
  await runAlone(client, sessionContext("suspend", database), buildPartnerSuspend(database));
}

/** `SET PARTNER RESUME` on the principal `client`, alone. Never sent by the resources on their own (see README: after a forced service it discards data). */
export async function resumeSession(client: SqlClient, database: string): Promise<void> {
  await runAlone(client, sessionContext("resume", database), buildPartnerResume(database));
}
