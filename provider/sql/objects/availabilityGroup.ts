/**
 * Availability-group operations: read, primary discovery, create, alter, join, seeding grant,
 * databases, replicas, drop.
 *
 * SQL Server takes CREATE / ALTER / DROP AVAILABILITY GROUP only as requests of their own (no batch,
 * no transaction), so each such statement is sent alone by {@link runAlone}, with the catalog read
 * before it (to skip what is already done) and after it (to report what SQL Server holds). When a
 * statement's reply is lost and the attempt is retried, the catalog is read again first, and a
 * statement that already took effect is not sent twice. That keeps every operation re-runnable.
 */
import {
  availabilityDatabaseQuery,
  availabilityGroupQuery,
  backupCoversDatabase,
  databasePrerequisitesQuery,
  hadrReadinessQuery,
  localDatabaseQuery,
  localReplicaQuery,
  serverNameQuery,
  type HadrReadinessRecord,
  type LocalDatabaseRecord,
} from "../availabilityGroupCatalog";
import type {
  AvailabilityDatabaseRecord,
  AvailabilityGroupRecord,
  ClusterType,
  DatabasePrerequisitesRecord,
  LocalReplicaRecord,
} from "../availabilityGroupRecords";
import type { SqlClient, Statement } from "../client";
import { conflictError, displayName, SqlServerError, toSqlServerError } from "../errors";
import { withRetry } from "../retry";
import {
  buildAddDatabase,
  buildAlterAvailabilityGroup,
  buildCreateAvailabilityGroup,
  buildDropAvailabilityGroup,
  buildFullBackup,
  buildGrantCreateAnyDatabase,
  buildJoinAvailabilityGroup,
  buildJoinDatabase,
  buildRemoveDatabase,
  buildRemoveReplica,
  type AvailabilityGroupSpec,
} from "../statements/availabilityGroup";
import { SYSTEM_DATABASES } from "../validateAvailabilityGroup";
import { probe, readOne, type CreateOptions, type CreateResult, type OperationContext } from "./run";

function groupContext(operation: string, name: string, qualifier?: string): OperationContext {
  return { operation, objectType: "availability group", objectName: name, ...(qualifier === undefined ? {} : { qualifier }) };
}

function databaseContext(operation: string, database: string, group: string): OperationContext {
  return { operation, objectType: "availability database", objectName: database, qualifier: `of availability group ${displayName(group)}` };
}

/**
 * Sends one availability-group statement as a request of its own, retrying transient failures.
 * Before a retry, `alreadyDone` (a fresh catalog read) says whether the earlier attempt ran before
 * its reply was lost; if so the statement is not sent again. Returns the attempts made.
 */
export async function runAlone(client: SqlClient, context: OperationContext, statement: Statement, alreadyDone?: () => Promise<boolean>): Promise<number> {
  let attempts = 0;
  try {
    await withRetry(async (n) => {
      attempts = n;
      if (n > 1 && alreadyDone !== undefined && (await alreadyDone())) return;
      await client.query(statement.sql, statement.params);
    }, client.retry);
  } catch (error) {
    throw toSqlServerError(error, { ...context, target: client.target, secrets: statement.secrets, attempts });
  }
  return attempts;
}

/** The group as this instance sees it (every replica's state only on the primary), or undefined. One request. */
export async function readAvailabilityGroup(client: SqlClient, name: string): Promise<AvailabilityGroupRecord | undefined> {
  return readOne(client, groupContext("read", name), availabilityGroupQuery(name));
}

/** This instance's own replica of the group (role, connection to the primary, last error), or undefined when it hosts none. One request. */
export async function readLocalReplica(client: SqlClient, name: string): Promise<LocalReplicaRecord | undefined> {
  return readOne(client, groupContext("read the local replica of", name), localReplicaQuery(name));
}

/** `@@SERVERNAME` of the instance (null when SQL Server has none). One request. */
export async function readServerName(client: SqlClient): Promise<string | null> {
  const record = await readOne(client, { operation: "read", objectType: "@@SERVERNAME" }, serverNameQuery());
  return record?.serverName ?? null;
}

/** Whether the instance can host a replica of the group: HADR enabled, endpoint started, no group of that name yet. One request. */
export async function readHadrReadiness(client: SqlClient, name: string): Promise<HadrReadinessRecord> {
  return (await readOne(client, groupContext("check the instance for", name), hadrReadinessQuery(name)))!;
}

/** Where the current primary was found. */
export interface DiscoveredPrimary {
  /** Index of the candidate that hosts the primary. */
  index: number;
  /** Its client. */
  client: SqlClient;
  /** Its local replica as read. */
  replica: LocalReplicaRecord;
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Finds the instance hosting the group's current primary among `candidates` (the replicas'
 * connections), never assuming it is the first: it asks `candidates[first]` (the primary last
 * seen), then, unless that one is primary, every other candidate at once; the one whose local
 * replica has the PRIMARY role wins. Undefined when no reachable candidate knows the group at all
 * (and none failed). Fails clearly (conflict errors) when two claim the primary role
 * (`EMULTIPLEPRIMARY`), when some candidates could not be asked and none of the others is primary
 * (`EPRIMARYUNREACHABLE`), or when every candidate answered and none is primary (`ENOPRIMARY`:
 * the group is left only on secondaries, e.g. dropped on its primary out of band). When no
 * candidate could be asked at all, the first failure is thrown as it is.
 */
export async function discoverPrimary(candidates: readonly SqlClient[], name: string, first = 0): Promise<DiscoveredPrimary | undefined> {
  if (candidates.length === 0) throw new TypeError("discoverPrimary: no candidates");
  const start = first >= 0 && first < candidates.length ? first : 0;
  const results: Array<{ replica?: LocalReplicaRecord; error?: unknown }> = candidates.map(() => ({}));
  try {
    results[start] = { replica: await readLocalReplica(candidates[start]!, name) };
  } catch (error) {
    results[start] = { error };
  }
  if (results[start]!.replica?.state.role === "PRIMARY") return { index: start, client: candidates[start]!, replica: results[start]!.replica! };
  const others = candidates.map((_, i) => i).filter((i) => i !== start);
  const settled = await Promise.allSettled(others.map((i) => readLocalReplica(candidates[i]!, name)));
  others.forEach((i, k) => {
    const outcome = settled[k]!;
    results[i] = outcome.status === "fulfilled" ? { replica: outcome.value } : { error: outcome.reason };
  });
  const primaries = results.map((r, i) => ({ r, i })).filter(({ r }) => r.replica?.state.role === "PRIMARY");
  const target = candidates[start]!.target;
  if (primaries.length > 1) {
    throw conflictError(
      { ...groupContext("find the primary of", name), target },
      "EMULTIPLEPRIMARY",
      `${primaries.map(({ r, i }) => `'${r.replica!.serverName}' (${candidates[i]!.target})`).join(" and ")} both hold the PRIMARY role ` +
        "(after a forced failover the old primary keeps it until it is told otherwise): resolve it by hand (fail over or drop the group on one of them), then run pulumi refresh",
    );
  }
  if (primaries.length === 1) {
    const { r, i } = primaries[0]!;
    return { index: i, client: candidates[i]!, replica: r.replica! };
  }
  const failed = results.map((r, i) => ({ r, i })).filter(({ r }) => r.error !== undefined);
  const known = results.filter((r) => r.replica !== undefined).map((r) => r.replica!);
  if (known.length === 0 && failed.length === 0) return undefined;
  if (known.length === 0 && failed.length === candidates.length) throw failed[0]!.r.error;
  const named = known.map((r) => r.primaryReplica).find((p): p is string => p !== null);
  const unreachable = failed.map(({ r, i }) => `${candidates[i]!.target}: ${describeFailure(r.error)}`);
  const roles = known.map((r) => `'${r.serverName}' is ${r.state.role ?? "of unknown role"}`);
  throw conflictError(
    { ...groupContext("find the primary of", name), target },
    failed.length > 0 ? "EPRIMARYUNREACHABLE" : "ENOPRIMARY",
    (named !== undefined ? `the current primary is '${named}', which was not among the replicas that answered` : "no replica that answered holds the PRIMARY role") +
      (roles.length > 0 ? ` (${roles.join(", ")})` : "") +
      (unreachable.length > 0 ? `; unreachable: ${unreachable.join("; ")}` : "") +
      " — bring the primary back (or fail over to a secondary), then run pulumi up again",
  );
}

function sameReplicaNames(record: AvailabilityGroupRecord, spec: AvailabilityGroupSpec): boolean {
  const have = record.replicas.map((r) => r.serverName.toLowerCase()).sort();
  const want = spec.replicas.map((r) => r.serverName.toLowerCase()).sort();
  return have.length === want.length && have.every((n, i) => n === want[i]);
}

/**
 * Creates the group on `client` (the instance of `spec.replicas[0]`, which becomes the primary):
 * a read, `CREATE AVAILABILITY GROUP` alone, then (when `grantCreateAnyDatabase`) `GRANT CREATE ANY
 * DATABASE` alone so the primary can receive automatically seeded copies after a failover, and a
 * read-back. A group of that name already there is reported as `existedBefore` (the caller refuses
 * it) unless it is this call's own (a retry, or `options.resumed`, with the same cluster type and
 * replicas).
 */
export async function createAvailabilityGroup(
  client: SqlClient,
  spec: AvailabilityGroupSpec,
  options: CreateOptions & { grantCreateAnyDatabase?: boolean } = {},
): Promise<CreateResult<AvailabilityGroupRecord>> {
  const ctx = groupContext("create", spec.name);
  const create = buildCreateAvailabilityGroup(spec);
  const query = availabilityGroupQuery(spec.name);
  const before = await readOne(client, ctx, query);
  if (before === undefined) await runAlone(client, ctx, create, async () => (await probe(client, query)) !== undefined);
  const own = (record: AvailabilityGroupRecord) => record.clusterType === spec.clusterType && sameReplicaNames(record, spec);
  if (before !== undefined && !(options.resumed === true && own(before))) return { record: before, existedBefore: true };
  if (options.grantCreateAnyDatabase) await runAlone(client, groupContext("grant CREATE ANY DATABASE to", spec.name), buildGrantCreateAnyDatabase(spec.name));
  const record = await readOne(client, ctx, query);
  if (record === undefined) {
    throw conflictError({ ...ctx, target: client.target }, "ENOTVISIBLE", "it is not in the catalog after CREATE AVAILABILITY GROUP; the connecting login may lack VIEW ANY DEFINITION");
  }
  return { record, existedBefore: false };
}

/** What an ALTER did. */
export interface AlterResult {
  /** The group as read back on the primary. */
  record: AvailabilityGroupRecord;
  /** Replicas added (they must JOIN next). */
  added: string[];
  /** Replicas removed (their copies stay RESTORING). */
  removed: string[];
  /** Statements sent. */
  statements: number;
}

/**
 * Brings the group from `current` (a fresh read on the primary `client`) to `desired`: each
 * statement of {@link buildAlterAvailabilityGroup} alone, in its order, then a read-back. No
 * request at all when nothing differs. A retried step is skipped when a fresh read shows it done.
 */
export async function alterAvailabilityGroup(client: SqlClient, current: AvailabilityGroupRecord, desired: AvailabilityGroupSpec): Promise<AlterResult> {
  const plan = buildAlterAvailabilityGroup(current, desired);
  if (plan.statements.length === 0) return { record: current, added: [], removed: [], statements: 0 };
  const ctx = groupContext("update", desired.name);
  const query = availabilityGroupQuery(desired.name);
  for (const step of plan.statements) {
    await runAlone(client, ctx, step, async () => {
      const fresh = await probe(client, query);
      return fresh !== undefined && !buildAlterAvailabilityGroup(fresh, desired).statements.some((s) => s.sql === step.sql);
    });
  }
  const record = await readOne(client, ctx, query);
  if (record === undefined) throw conflictError({ ...ctx, target: client.target }, "ENOTVISIBLE", "it is not in the catalog after ALTER AVAILABILITY GROUP");
  return { record, added: plan.added, removed: plan.removed, statements: plan.statements.length };
}

/**
 * Joins this instance's replica to the group (`JOIN WITH (CLUSTER_TYPE = …)` alone) unless it has
 * joined already. Returns whether it had. Two requests when it joins (read, JOIN), one otherwise.
 */
export async function joinAvailabilityGroup(client: SqlClient, name: string, clusterType: ClusterType): Promise<{ alreadyJoined: boolean }> {
  const ctx = groupContext("join", name);
  const query = localReplicaQuery(name);
  if ((await readOne(client, ctx, query)) !== undefined) return { alreadyJoined: true };
  await runAlone(client, ctx, buildJoinAvailabilityGroup(name, clusterType), async () => (await probe(client, query)) !== undefined);
  return { alreadyJoined: false };
}

/**
 * `GRANT CREATE ANY DATABASE` for the group on this instance (alone; granting again changes
 * nothing). SQL Server shows this grant in no catalog view, so it cannot be read back.
 */
export async function grantCreateAnyDatabase(client: SqlClient, name: string): Promise<void> {
  await runAlone(client, groupContext("grant CREATE ANY DATABASE to", name), buildGrantCreateAnyDatabase(name));
}

/** `REMOVE REPLICA ON N'x'` on the primary `client`, unless the group no longer lists it. Returns whether it was listed. */
export async function removeReplica(client: SqlClient, name: string, serverName: string): Promise<boolean> {
  const ctx = groupContext("remove replica", name, `'${serverName}'`);
  const query = availabilityGroupQuery(name);
  const listed = (record: AvailabilityGroupRecord | undefined) => record?.replicas.some((r) => r.serverName.toLowerCase() === serverName.toLowerCase()) === true;
  if (!listed(await readOne(client, ctx, query))) return false;
  await runAlone(client, ctx, buildRemoveReplica(name, serverName), async () => !listed(await probe(client, query)));
  return true;
}

/**
 * Drops the group on this instance (`DROP AVAILABILITY GROUP` alone) if the instance still has it.
 * Returns whether it had. On the primary, the group's databases stay ONLINE; on a secondary, its
 * copies stay RESTORING. Never drops a database.
 */
export async function dropAvailabilityGroup(client: SqlClient, name: string): Promise<boolean> {
  const ctx = groupContext("drop", name);
  const query = hadrReadinessQuery(name);
  if (!(await readOne(client, ctx, query))!.groupExists) return false;
  await runAlone(client, ctx, buildDropAvailabilityGroup(name), async () => !(await probe(client, query))!.groupExists);
  return true;
}

/** The database as a member of the group, read on the primary, or undefined when the group does not hold it. One request. */
export async function readAvailabilityDatabase(client: SqlClient, group: string, database: string): Promise<AvailabilityDatabaseRecord | undefined> {
  return readOne(client, databaseContext("read", database, group), availabilityDatabaseQuery(group, database));
}

/** `ADD DATABASE [d]` on the primary `client` (alone) unless the group holds it. Returns whether it did already. */
export async function addDatabase(client: SqlClient, group: string, database: string): Promise<{ alreadyAdded: boolean }> {
  const ctx = databaseContext("add", database, group);
  const query = availabilityDatabaseQuery(group, database);
  if ((await readOne(client, ctx, query)) !== undefined) return { alreadyAdded: true };
  await runAlone(client, ctx, buildAddDatabase(group, database), async () => (await probe(client, query)) !== undefined);
  return { alreadyAdded: false };
}

/**
 * `REMOVE DATABASE [d]` on the primary `client` (alone) if the group holds it. Returns the
 * replicas that held a secondary copy (now RESTORING, never dropped) as read just before, or
 * undefined when the group did not hold the database.
 */
export async function removeDatabase(client: SqlClient, group: string, database: string): Promise<{ secondaryCopies: string[] } | undefined> {
  const ctx = databaseContext("remove", database, group);
  const query = availabilityDatabaseQuery(group, database);
  const before = await readOne(client, ctx, query);
  if (before === undefined) return undefined;
  await runAlone(client, ctx, buildRemoveDatabase(group, database), async () => (await probe(client, query)) === undefined);
  return { secondaryCopies: before.replicas.filter((r) => !r.isPrimary).map((r) => r.serverName) };
}

/** A database on one instance (state, joined to a group), or undefined. One request. */
export async function readLocalDatabase(client: SqlClient, database: string): Promise<LocalDatabaseRecord | undefined> {
  return readOne(client, { operation: "read", objectType: "database", objectName: database }, localDatabaseQuery(database));
}

/**
 * Manual seeding, on a secondary: joins the copy restored WITH NORECOVERY to the group
 * (`ALTER DATABASE … SET HADR AVAILABILITY GROUP = …` alone). It must exist and be RESTORING
 * (a clear error otherwise: this never restores or recovers a database). Nothing when it has joined.
 */
export async function joinDatabase(client: SqlClient, group: string, database: string): Promise<{ alreadyJoined: boolean }> {
  const ctx = databaseContext("join the secondary copy of", database, group);
  const query = localDatabaseQuery(database);
  const local = await readOne(client, ctx, query);
  if (local?.joined) return { alreadyJoined: true };
  if (local === undefined || local.state !== "RESTORING") {
    throw conflictError(
      { ...ctx, target: client.target },
      "ENOSECONDARYCOPY",
      `${local === undefined ? "the database does not exist here" : `the database here is ${local.state}, not RESTORING`}: with manual seeding, restore a full backup ` +
        `and a log backup of the primary's copy here WITH NORECOVERY first (or use seedingMode AUTOMATIC); nothing here restores or recovers a database`,
    );
  }
  await runAlone(client, ctx, buildJoinDatabase(database, group), async () => (await probe(client, query))?.joined === true);
  return { alreadyJoined: false };
}

/**
 * The full backup the program asked for (`BACKUP DATABASE … TO DISK`), alone. Never retried: when
 * its reply is lost the backup may exist, and the next prerequisite check (msdb's history) says so,
 * rather than a second backup being written.
 */
export async function takeFullBackup(client: SqlClient, database: string, disk: string): Promise<void> {
  const statement = buildFullBackup(database, disk);
  try {
    await client.query(statement.sql, statement.params);
  } catch (error) {
    throw toSqlServerError(error, { operation: "back up", objectType: "database", objectName: database, target: client.target });
  }
}

/** One reason a database cannot join a group yet. */
export interface PrerequisiteProblem {
  /** Which rule: the database is missing, a system database, not ONLINE, read-only, not multi-user, AUTO_CLOSE, not FULL, never backed up, in another group, mirrored. */
  rule: "missing" | "system" | "state" | "readOnly" | "userAccess" | "autoClose" | "recovery" | "backup" | "otherGroup" | "mirrored";
  /** What is wrong and the fix, as a sentence that follows the database name. */
  reason: string;
}

/**
 * Why `record` (a database read on the primary) cannot join group `group`, per Microsoft's
 * "Prerequisites, restrictions, and recommendations for Always On availability groups"
 * (availability databases): a user database, ONLINE, read-write, multi-user, no AUTO_CLOSE, the FULL
 * recovery model, a full backup, no other group, no mirroring. Each reason names the fix; none of
 * them is ever applied here (this package never changes a recovery model or takes an unrequested backup).
 */
export function databasePrerequisiteProblems(record: DatabasePrerequisitesRecord | undefined, database: string, group: string): PrerequisiteProblem[] {
  const name = displayName(database);
  if (record === undefined) {
    return [{ rule: "missing", reason: `does not exist on the primary: create or restore it there first (this package never creates a database)` }];
  }
  if (record.databaseId <= 4 || SYSTEM_DATABASES.includes(record.name.toLowerCase())) {
    return [{ rule: "system", reason: "is a system database; availability groups hold user databases only (35249)" }];
  }
  const problems: PrerequisiteProblem[] = [];
  if (record.availabilityGroup !== null && record.availabilityGroup.toLowerCase() !== group.toLowerCase()) {
    problems.push({ rule: "otherGroup", reason: `already belongs to availability group ${displayName(record.availabilityGroup)}: remove it there first (a database joins one group, 35244)` });
  }
  if (record.state !== "ONLINE") {
    problems.push({
      rule: "state",
      reason:
        record.state === "RESTORING"
          ? "is RESTORING here, so this is not the primary copy: add the database on the instance that holds it ONLINE"
          : `is ${record.state}, not ONLINE: bring it online first (ALTER DATABASE ${name} SET ONLINE)`,
    });
  }
  if (record.readOnly) problems.push({ rule: "readOnly", reason: `is read-only: make it read-write first (ALTER DATABASE ${name} SET READ_WRITE)` });
  if (record.userAccess !== "MULTI_USER") problems.push({ rule: "userAccess", reason: `is ${record.userAccess}: make it multi-user first (ALTER DATABASE ${name} SET MULTI_USER)` });
  if (record.autoClose) problems.push({ rule: "autoClose", reason: `uses AUTO_CLOSE: turn it off first (ALTER DATABASE ${name} SET AUTO_CLOSE OFF)` });
  if (record.recoveryModel !== "FULL") {
    problems.push({
      rule: "recovery",
      reason: `uses the ${record.recoveryModel} recovery model; availability groups need FULL: run ALTER DATABASE ${name} SET RECOVERY FULL, then take a full backup (this package changes neither)`,
    });
  } else if (!backupCoversDatabase(record.lastFullBackup, record.createDate)) {
    problems.push({
      rule: "backup",
      reason:
        `has no full backup taken under the FULL recovery model since it was created, so its log chain has not started: run BACKUP DATABASE ${name} TO DISK = N'…' ` +
        "(or give initialFullBackup: { disk } to have one taken; none is ever taken otherwise)",
    });
  }
  if (record.mirrored) problems.push({ rule: "mirrored", reason: `is in a database mirroring session: end it first (ALTER DATABASE ${name} SET PARTNER OFF)` });
  return problems;
}

/** The database's prerequisites as read on the primary `client` (one request), with the problems found. */
export async function checkDatabasePrerequisites(
  client: SqlClient,
  group: string,
  database: string,
): Promise<{ record: DatabasePrerequisitesRecord | undefined; problems: PrerequisiteProblem[] }> {
  const record = await readOne(client, databaseContext("check", database, group), databasePrerequisitesQuery(database));
  return { record, problems: databasePrerequisiteProblems(record, database, group) };
}

/** The error for a database that cannot join: every problem at once, each with its fix. */
export function prerequisiteError(client: SqlClient, group: string, database: string, problems: readonly PrerequisiteProblem[]): SqlServerError {
  const name = displayName(database);
  return conflictError(
    { ...databaseContext("add", database, group), target: client.target },
    "EPREREQUISITE",
    problems.length === 1 ? `database ${name} ${problems[0]!.reason}` : `database ${name}: ${problems.map((p, i) => `(${i + 1}) ${p.reason}`).join("; ")}`,
  );
}
