/**
 * Statements for Always On availability groups: CREATE, ALTER (join, seeding grant, databases,
 * replicas, group options), DROP, and the database statements a group needs (SET HADR, the one
 * explicit full backup).
 *
 * SQL Server runs CREATE / ALTER / DROP AVAILABILITY GROUP neither inside a transaction nor as part
 * of a batch, and takes no expressions or variables in them ("Transact-SQL statements for Always On
 * availability groups", Restrictions). So unlike the other objects' statements, these carry no
 * `IF NOT EXISTS` guard and no parameter: each is sent as a request of its own, and the operations
 * (objects/availabilityGroup.ts) read the catalog before and after instead, which keeps every step
 * re-runnable. Names are bracket-quoted and replica names and URLs are `N'…'` literals, as the
 * documented grammar writes them.
 *
 * CREATE writes every replica option out (defaults included) so the result does not depend on the
 * server version's defaults; group options are written only when given, and an option left out
 * means "no opinion" to the comparisons below, like an endpoint's owner.
 */
import type {
  AutomatedBackupPreference,
  AvailabilityGroupRecord,
  AvailabilityMode,
  AvailabilityReplicaRecord,
  ClusterType,
  FailoverMode,
  PrimaryAllowConnections,
  SecondaryAllowConnections,
  SeedingMode,
} from "../availabilityGroupRecords";
import { statement, type Statement } from "../client";
import { ValidationError } from "../errors";
import { quoteIdentifier, quoteString } from "../quote";
import {
  availabilityGroupProblems,
  DEFAULT_BACKUP_PRIORITY,
  DEFAULT_SESSION_TIMEOUT_SECONDS,
  failoverModeFor,
  replicaProblems,
  validateAvailabilityDatabaseName,
  validateTcpUrl,
} from "../validateAvailabilityGroup";
import { assertValid, validateFilePath } from "../validate";

/** One replica of a group, as the program wants it. */
export interface ReplicaSpec {
  /** The instance's `@@SERVERNAME` (`REPLICA ON N'…'`). */
  serverName: string;
  /** `ENDPOINT_URL`: `TCP://host:port` of the instance's DATABASE_MIRRORING endpoint, as the other replicas reach it. */
  endpointUrl: string;
  /** `AVAILABILITY_MODE`. */
  availabilityMode: AvailabilityMode;
  /** `FAILOVER_MODE`. Default: MANUAL with CLUSTER_TYPE = NONE, EXTERNAL with EXTERNAL. Not written for CONFIGURATION_ONLY. */
  failoverMode?: FailoverMode;
  /** `SEEDING_MODE`. Default AUTOMATIC (SQL Server's own default is MANUAL). */
  seedingMode?: SeedingMode;
  /** `BACKUP_PRIORITY` (0–100). Default 50. */
  backupPriority?: number;
  /** `SECONDARY_ROLE (ALLOW_CONNECTIONS = …)`. Default NO. */
  secondaryAllowConnections?: SecondaryAllowConnections;
  /** `SECONDARY_ROLE (READ_ONLY_ROUTING_URL = …)`: the instance's own TDS address. Default: none; once set, leaving it out changes nothing. */
  readOnlyRoutingUrl?: string;
  /** `PRIMARY_ROLE (ALLOW_CONNECTIONS = …)`. Default ALL. */
  primaryAllowConnections?: PrimaryAllowConnections;
  /** `SESSION_TIMEOUT`, seconds. Default 10. */
  sessionTimeout?: number;
}

/** An availability group as the program wants it. */
export interface AvailabilityGroupSpec {
  /** Group name (sysname). Cannot be changed by ALTER. */
  name: string;
  /** `CLUSTER_TYPE`. Cannot be changed by ALTER. */
  clusterType: ClusterType;
  /** The replicas; the first is where CREATE runs and becomes the initial primary. */
  replicas: readonly ReplicaSpec[];
  /** `FOR DATABASE …`: databases added by CREATE itself (the resources add them one by one instead). */
  databases?: readonly string[];
  /** `AUTOMATED_BACKUP_PREFERENCE`. Default: SQL Server's (SECONDARY). */
  automatedBackupPreference?: AutomatedBackupPreference;
  /** `FAILURE_CONDITION_LEVEL` (1–5). Default: SQL Server's (3). */
  failureConditionLevel?: number;
  /** `HEALTH_CHECK_TIMEOUT`, milliseconds. Default: SQL Server's (30 000). */
  healthCheckTimeout?: number;
  /** `DB_FAILOVER = ON | OFF`. Default: SQL Server's (OFF). */
  dbFailover?: boolean;
  /** `DTC_SUPPORT = PER_DB` when true, `NONE` when false. Default: SQL Server's (NONE). */
  dtcSupport?: boolean;
  /** `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT`. Default: SQL Server's (0); refused with EXTERNAL (the cluster resource owns it). */
  requiredSynchronizedSecondariesToCommit?: number;
}

/** A replica with every default applied (see {@link ReplicaSpec} for each field's meaning). */
export interface ResolvedReplica {
  /** `REPLICA ON N'…'`. */
  serverName: string;
  /** `ENDPOINT_URL`. */
  endpointUrl: string;
  /** `AVAILABILITY_MODE`. */
  availabilityMode: AvailabilityMode;
  /** `FAILOVER_MODE` (not written for CONFIGURATION_ONLY). */
  failoverMode: FailoverMode;
  /** `SEEDING_MODE`. */
  seedingMode: SeedingMode;
  /** `BACKUP_PRIORITY`. */
  backupPriority: number;
  /** `SECONDARY_ROLE (ALLOW_CONNECTIONS = …)`. */
  secondaryAllowConnections: SecondaryAllowConnections;
  /** `SECONDARY_ROLE (READ_ONLY_ROUTING_URL = …)`, or undefined (not written). */
  readOnlyRoutingUrl: string | undefined;
  /** `PRIMARY_ROLE (ALLOW_CONNECTIONS = …)`. */
  primaryAllowConnections: PrimaryAllowConnections;
  /** `SESSION_TIMEOUT`, seconds. */
  sessionTimeout: number;
}

/** The replica defaults {@link ReplicaSpec} documents (failover mode depends on the cluster type). */
export const REPLICA_DEFAULTS = {
  seedingMode: "AUTOMATIC",
  backupPriority: DEFAULT_BACKUP_PRIORITY,
  secondaryAllowConnections: "NO",
  primaryAllowConnections: "ALL",
  sessionTimeout: DEFAULT_SESSION_TIMEOUT_SECONDS,
} as const;

/** `spec` with defaults applied. */
export function resolveReplica(spec: ReplicaSpec, clusterType: ClusterType): ResolvedReplica {
  return {
    serverName: spec.serverName,
    endpointUrl: spec.endpointUrl,
    availabilityMode: spec.availabilityMode,
    failoverMode: spec.failoverMode ?? failoverModeFor(clusterType),
    seedingMode: spec.seedingMode ?? REPLICA_DEFAULTS.seedingMode,
    backupPriority: spec.backupPriority ?? REPLICA_DEFAULTS.backupPriority,
    secondaryAllowConnections: spec.secondaryAllowConnections ?? REPLICA_DEFAULTS.secondaryAllowConnections,
    readOnlyRoutingUrl: spec.readOnlyRoutingUrl,
    primaryAllowConnections: spec.primaryAllowConnections ?? REPLICA_DEFAULTS.primaryAllowConnections,
    sessionTimeout: spec.sessionTimeout ?? REPLICA_DEFAULTS.sessionTimeout,
  };
}

/** Throws the first problem the group rules find (the resources' `check` reports them all earlier). */
function assertGroup(spec: AvailabilityGroupSpec): void {
  quoteIdentifier(spec.name, "name");
  const [problem] = availabilityGroupProblems({
    clusterType: spec.clusterType,
    replicas: spec.replicas.map((r) => ({ ...resolveReplica(r, spec.clusterType), readOnlyRoutingUrl: r.readOnlyRoutingUrl })),
    requiredSynchronizedSecondariesToCommit: spec.requiredSynchronizedSecondariesToCommit,
    failureConditionLevel: spec.failureConditionLevel,
    healthCheckTimeout: spec.healthCheckTimeout,
    databases: spec.databases,
  });
  if (problem !== undefined) throw new ValidationError(problem.property, problem.reason);
}

function assertReplica(replica: ReplicaSpec, clusterType: ClusterType, property: string): ResolvedReplica {
  const resolved = resolveReplica(replica, clusterType);
  const [problem] = replicaProblems({ ...resolved, readOnlyRoutingUrl: replica.readOnlyRoutingUrl }, clusterType, `${property}.`);
  if (problem !== undefined) throw new ValidationError(problem.property, problem.reason);
  return resolved;
}

const groupName = (name: string) => quoteIdentifier(name, "name");
const replicaName = (name: string) => {
  quoteIdentifier(name, "serverName");
  return quoteString(name);
};
const url = (value: string, property: string) => {
  assertValid(property, validateTcpUrl(value));
  return quoteString(value);
};
const databaseName = (name: string) => {
  assertValid("database", validateAvailabilityDatabaseName(name));
  return quoteIdentifier(name, "database");
};

function secondaryRoleClause(replica: ResolvedReplica): string {
  const routing = replica.readOnlyRoutingUrl === undefined ? "" : `, READ_ONLY_ROUTING_URL = ${url(replica.readOnlyRoutingUrl, "readOnlyRoutingUrl")}`;
  return `SECONDARY_ROLE (ALLOW_CONNECTIONS = ${replica.secondaryAllowConnections}${routing})`;
}

/** `N'<server>' WITH (ENDPOINT_URL = …, AVAILABILITY_MODE = …, …)`: every option written out. */
function replicaClause(replica: ResolvedReplica): string {
  const options = [`ENDPOINT_URL = ${url(replica.endpointUrl, "endpointUrl")}`, `AVAILABILITY_MODE = ${replica.availabilityMode}`];
  if (replica.availabilityMode !== "CONFIGURATION_ONLY") {
    options.push(
      `FAILOVER_MODE = ${replica.failoverMode}`,
      `SEEDING_MODE = ${replica.seedingMode}`,
      `BACKUP_PRIORITY = ${replica.backupPriority}`,
      secondaryRoleClause(replica),
      `PRIMARY_ROLE (ALLOW_CONNECTIONS = ${replica.primaryAllowConnections})`,
      `SESSION_TIMEOUT = ${replica.sessionTimeout}`,
    );
  }
  return `${replicaName(replica.serverName)} WITH (${options.join(", ")})`;
}

/** The `SET`/`WITH` group options that are given, as `OPTION = value`. */
function groupOptions(spec: Omit<AvailabilityGroupSpec, "replicas" | "name" | "clusterType">): Array<[GroupOption, string]> {
  const options: Array<[GroupOption, string]> = [];
  if (spec.automatedBackupPreference !== undefined) options.push(["automatedBackupPreference", `AUTOMATED_BACKUP_PREFERENCE = ${spec.automatedBackupPreference}`]);
  if (spec.failureConditionLevel !== undefined) options.push(["failureConditionLevel", `FAILURE_CONDITION_LEVEL = ${spec.failureConditionLevel}`]);
  if (spec.healthCheckTimeout !== undefined) options.push(["healthCheckTimeout", `HEALTH_CHECK_TIMEOUT = ${spec.healthCheckTimeout}`]);
  if (spec.dbFailover !== undefined) options.push(["dbFailover", `DB_FAILOVER = ${spec.dbFailover ? "ON" : "OFF"}`]);
  if (spec.dtcSupport !== undefined) options.push(["dtcSupport", `DTC_SUPPORT = ${spec.dtcSupport ? "PER_DB" : "NONE"}`]);
  if (spec.requiredSynchronizedSecondariesToCommit !== undefined) {
    options.push(["requiredSynchronizedSecondariesToCommit", `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = ${spec.requiredSynchronizedSecondariesToCommit}`]);
  }
  return options;
}

/**
 * `CREATE AVAILABILITY GROUP [n] WITH (CLUSTER_TYPE = …[, group options]) FOR [DATABASE [d], …]
 * REPLICA ON N'a' WITH (…), N'b' WITH (…)`. Run it alone, on the first replica's instance.
 */
export function buildCreateAvailabilityGroup(spec: AvailabilityGroupSpec): Statement {
  assertGroup(spec);
  const withOptions = [`CLUSTER_TYPE = ${spec.clusterType}`, ...groupOptions(spec).map(([, text]) => text)];
  const databases = spec.databases !== undefined && spec.databases.length > 0 ? `DATABASE ${spec.databases.map(databaseName).join(", ")} ` : "";
  const replicas = spec.replicas.map((r) => replicaClause(resolveReplica(r, spec.clusterType))).join(", ");
  return statement(`CREATE AVAILABILITY GROUP ${groupName(spec.name)} WITH (${withOptions.join(", ")}) FOR ${databases}REPLICA ON ${replicas}`);
}

/** `ALTER AVAILABILITY GROUP [n] JOIN WITH (CLUSTER_TYPE = …)` (plain `JOIN` for WSFC). Run it alone, on the joining secondary. */
export function buildJoinAvailabilityGroup(name: string, clusterType: ClusterType): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} JOIN${clusterType === "WSFC" ? "" : ` WITH (CLUSTER_TYPE = ${clusterType})`}`);
}

/** `ALTER AVAILABILITY GROUP [n] GRANT CREATE ANY DATABASE`: lets automatic seeding create the secondary copies on this instance. */
export function buildGrantCreateAnyDatabase(name: string): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} GRANT CREATE ANY DATABASE`);
}

/** `ALTER AVAILABILITY GROUP [n] DENY CREATE ANY DATABASE`. */
export function buildDenyCreateAnyDatabase(name: string): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} DENY CREATE ANY DATABASE`);
}

/** `ALTER AVAILABILITY GROUP [n] ADD DATABASE [d]`, on the primary. */
export function buildAddDatabase(name: string, database: string): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} ADD DATABASE ${databaseName(database)}`);
}

/** `ALTER AVAILABILITY GROUP [n] REMOVE DATABASE [d]`, on the primary: the primary copy stays ONLINE, secondary copies go to RESTORING. */
export function buildRemoveDatabase(name: string, database: string): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} REMOVE DATABASE ${databaseName(database)}`);
}

/** `ALTER AVAILABILITY GROUP [n] ADD REPLICA ON N'x' WITH (…)`, on the primary; the new secondary then joins. */
export function buildAddReplica(name: string, clusterType: ClusterType, replica: ReplicaSpec): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} ADD REPLICA ON ${replicaClause(assertReplica(replica, clusterType, "replica"))}`);
}

/** `ALTER AVAILABILITY GROUP [n] REMOVE REPLICA ON N'x'`, on the primary: the removed replica's copies go to RESTORING. */
export function buildRemoveReplica(name: string, serverName: string): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} REMOVE REPLICA ON ${replicaName(serverName)}`);
}

/** `DROP AVAILABILITY GROUP [n]`. Run it alone. On the primary, its databases stay ONLINE; elsewhere their copies stay RESTORING. */
export function buildDropAvailabilityGroup(name: string): Statement {
  return statement(`DROP AVAILABILITY GROUP ${groupName(name)}`);
}

/** `ALTER DATABASE [d] SET HADR AVAILABILITY GROUP = [n]`: joins a secondary copy restored WITH NORECOVERY (manual seeding), on that secondary. */
export function buildJoinDatabase(database: string, name: string): Statement {
  return statement(`ALTER DATABASE ${databaseName(database)} SET HADR AVAILABILITY GROUP = ${groupName(name)}`);
}

/**
 * `BACKUP DATABASE [d] TO DISK = N'…'`: the full backup a database needs before it can join a
 * group. Only ever sent when the program asks for it: it starts a new differential base.
 */
export function buildFullBackup(database: string, disk: string): Statement {
  assertValid("disk", validateFilePath(disk));
  return statement(`BACKUP DATABASE ${databaseName(database)} TO DISK = ${quoteString(disk)}`);
}

/** A replica property an ALTER can change in place. */
export type ReplicaChange =
  | "endpointUrl"
  | "availabilityMode"
  | "failoverMode"
  | "seedingMode"
  | "backupPriority"
  | "secondaryAllowConnections"
  | "readOnlyRoutingUrl"
  | "primaryAllowConnections"
  | "sessionTimeout";

/** A group option an ALTER … SET can change in place. */
export type GroupOption =
  | "automatedBackupPreference"
  | "failureConditionLevel"
  | "healthCheckTimeout"
  | "dbFailover"
  | "dtcSupport"
  | "requiredSynchronizedSecondariesToCommit";

const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

/** What differs between a replica as configured and as wanted (empty when they agree). */
export function replicaChanges(current: AvailabilityReplicaRecord, desired: ReplicaSpec, clusterType: ClusterType): ReplicaChange[] {
  const wanted = resolveReplica(desired, clusterType);
  const changes: ReplicaChange[] = [];
  if (!same(current.endpointUrl, wanted.endpointUrl)) changes.push("endpointUrl");
  if (current.availabilityMode !== wanted.availabilityMode) changes.push("availabilityMode");
  if (wanted.availabilityMode === "CONFIGURATION_ONLY" || current.availabilityMode === "CONFIGURATION_ONLY") return changes;
  if (current.failoverMode !== wanted.failoverMode) changes.push("failoverMode");
  if (current.seedingMode !== wanted.seedingMode) changes.push("seedingMode");
  if (current.backupPriority !== wanted.backupPriority) changes.push("backupPriority");
  if (current.secondaryAllowConnections !== wanted.secondaryAllowConnections) changes.push("secondaryAllowConnections");
  if (wanted.readOnlyRoutingUrl !== undefined && !same(current.readOnlyRoutingUrl, wanted.readOnlyRoutingUrl)) changes.push("readOnlyRoutingUrl");
  if (current.primaryAllowConnections !== wanted.primaryAllowConnections) changes.push("primaryAllowConnections");
  if (current.sessionTimeout !== wanted.sessionTimeout) changes.push("sessionTimeout");
  return changes;
}

/** What differs between the group's options as configured and as wanted; options left out are not compared. */
export function groupOptionChanges(current: AvailabilityGroupRecord, desired: AvailabilityGroupSpec): GroupOption[] {
  const changes: GroupOption[] = [];
  if (desired.automatedBackupPreference !== undefined && desired.automatedBackupPreference !== current.automatedBackupPreference) changes.push("automatedBackupPreference");
  if (desired.failureConditionLevel !== undefined && desired.failureConditionLevel !== current.failureConditionLevel) changes.push("failureConditionLevel");
  if (desired.healthCheckTimeout !== undefined && desired.healthCheckTimeout !== current.healthCheckTimeout) changes.push("healthCheckTimeout");
  if (desired.dbFailover !== undefined && desired.dbFailover !== current.dbFailover) changes.push("dbFailover");
  if (desired.dtcSupport !== undefined && desired.dtcSupport !== current.dtcSupport) changes.push("dtcSupport");
  if (desired.requiredSynchronizedSecondariesToCommit !== undefined && desired.requiredSynchronizedSecondariesToCommit !== current.requiredSynchronizedSecondariesToCommit) {
    changes.push("requiredSynchronizedSecondariesToCommit");
  }
  return changes;
}

/** `ALTER AVAILABILITY GROUP [n] MODIFY REPLICA ON N'x' WITH (<one option>)`: SQL Server's grammar takes one option per MODIFY. */
function modifyReplica(name: string, serverName: string, option: string): Statement {
  return statement(`ALTER AVAILABILITY GROUP ${groupName(name)} MODIFY REPLICA ON ${replicaName(serverName)} WITH (${option})`);
}

function replicaOption(change: ReplicaChange, replica: ResolvedReplica): string {
  switch (change) {
    case "endpointUrl":
      return `ENDPOINT_URL = ${url(replica.endpointUrl, "endpointUrl")}`;
    case "availabilityMode":
      return `AVAILABILITY_MODE = ${replica.availabilityMode}`;
    case "failoverMode":
      return `FAILOVER_MODE = ${replica.failoverMode}`;
    case "seedingMode":
      return `SEEDING_MODE = ${replica.seedingMode}`;
    case "backupPriority":
      return `BACKUP_PRIORITY = ${replica.backupPriority}`;
    case "secondaryAllowConnections":
      return `SECONDARY_ROLE (ALLOW_CONNECTIONS = ${replica.secondaryAllowConnections})`;
    case "readOnlyRoutingUrl":
      return `SECONDARY_ROLE (READ_ONLY_ROUTING_URL = ${url(replica.readOnlyRoutingUrl as string, "readOnlyRoutingUrl")})`;
    case "primaryAllowConnections":
      return `PRIMARY_ROLE (ALLOW_CONNECTIONS = ${replica.primaryAllowConnections})`;
    case "sessionTimeout":
      return `SESSION_TIMEOUT = ${replica.sessionTimeout}`;
  }
}

/** The change plan of one ALTER: statements in the order they must run. */
export interface AlterPlan {
  /** The statements, each to be sent alone, in order. */
  statements: Statement[];
  /** Server names of replicas the plan adds (they must JOIN next). */
  added: string[];
  /** Server names of replicas the plan removes (their copies go to RESTORING). */
  removed: string[];
}

/**
 * The statements that turn the group from `current` (read on its primary) into `desired`, each to
 * be sent alone, ordered so that no intermediate state breaks a limit SQL Server checks:
 *
 * 1. `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT` when it goes down (before synchronous replicas go);
 * 2. `REMOVE REPLICA` for replicas no longer wanted (frees synchronous and failover slots);
 * 3. downgrades: `FAILOVER_MODE` away from AUTOMATIC, then `AVAILABILITY_MODE` to asynchronous
 *    (automatic failover needs synchronous commit, 35211);
 * 4. every other replica option, one per `MODIFY REPLICA` (the grammar takes one option each);
 * 5. upgrades: `AVAILABILITY_MODE` to synchronous, then `FAILOVER_MODE` to AUTOMATIC;
 * 6. `ADD REPLICA` for new replicas;
 * 7. the other group options, and `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT` when it goes up.
 *
 * Refused (ValidationError): a new name or cluster type (a replacement), removing the current
 * primary (fail over first), and changing a replica to or from CONFIGURATION_ONLY (SQL Server cannot).
 */
export function buildAlterAvailabilityGroup(current: AvailabilityGroupRecord, desired: AvailabilityGroupSpec): AlterPlan {
  if (current.name !== desired.name) {
    throw new ValidationError("name", `an availability group cannot be renamed ([${current.name}] → [${desired.name}]); it has to be replaced`);
  }
  if (current.clusterType !== desired.clusterType) {
    throw new ValidationError("clusterType", `the cluster type of an availability group cannot change (${current.clusterType} → ${desired.clusterType}); it has to be replaced`);
  }
  assertGroup(desired);
  const name = desired.name;
  const byName = new Map(current.replicas.map((r) => [r.serverName.toLowerCase(), r]));
  const wanted = new Map(desired.replicas.map((r) => [r.serverName.toLowerCase(), r]));
  const statements: Statement[] = [];
  const removed = current.replicas.filter((r) => !wanted.has(r.serverName.toLowerCase())).map((r) => r.serverName);
  const added = desired.replicas.filter((r) => !byName.has(r.serverName.toLowerCase()));
  if (current.primaryReplica !== null && removed.some((r) => same(r, current.primaryReplica))) {
    throw new ValidationError(
      "replicas",
      `'${current.primaryReplica}' is the current primary of [${name}] and cannot be removed: fail the group over to another replica first, or keep it`,
    );
  }

  const options = groupOptionChanges(current, desired);
  const required = desired.requiredSynchronizedSecondariesToCommit;
  const requiredGoesDown = options.includes("requiredSynchronizedSecondariesToCommit") && (required as number) < current.requiredSynchronizedSecondariesToCommit;
  const setOption = (text: string) => statement(`ALTER AVAILABILITY GROUP ${groupName(name)} SET (${text})`);
  const optionText = new Map(groupOptions(desired));
  if (requiredGoesDown) statements.push(setOption(optionText.get("requiredSynchronizedSecondariesToCommit")!));

  for (const serverName of removed) statements.push(buildRemoveReplica(name, serverName));

  const modified = desired.replicas
    .filter((r) => byName.has(r.serverName.toLowerCase()))
    .map((r) => {
      const record = byName.get(r.serverName.toLowerCase())!;
      const resolved = resolveReplica(r, desired.clusterType);
      if ((record.availabilityMode === "CONFIGURATION_ONLY") !== (resolved.availabilityMode === "CONFIGURATION_ONLY")) {
        throw new ValidationError(
          "availabilityMode",
          `replica '${record.serverName}' cannot change from ${record.availabilityMode} to ${resolved.availabilityMode}: SQL Server cannot alter a CONFIGURATION_ONLY replica; remove it in one update and add it back in the next`,
        );
      }
      return { record, resolved, changes: replicaChanges(record, r, desired.clusterType) };
    });
  const phase = (pick: (m: (typeof modified)[number]) => ReplicaChange | undefined) => {
    for (const m of modified) {
      const change = pick(m);
      if (change !== undefined) statements.push(modifyReplica(name, m.record.serverName, replicaOption(change, m.resolved)));
    }
  };
  const has = (m: (typeof modified)[number], c: ReplicaChange) => m.changes.includes(c);
  phase((m) => (has(m, "failoverMode") && m.record.failoverMode === "AUTOMATIC" ? "failoverMode" : undefined));
  phase((m) => (has(m, "availabilityMode") && m.resolved.availabilityMode === "ASYNCHRONOUS_COMMIT" ? "availabilityMode" : undefined));
  const others: ReplicaChange[] = ["endpointUrl", "seedingMode", "backupPriority", "secondaryAllowConnections", "readOnlyRoutingUrl", "primaryAllowConnections", "sessionTimeout"];
  for (const m of modified) {
    for (const change of others) if (has(m, change)) statements.push(modifyReplica(name, m.record.serverName, replicaOption(change, m.resolved)));
  }
  phase((m) => (has(m, "availabilityMode") && m.resolved.availabilityMode === "SYNCHRONOUS_COMMIT" ? "availabilityMode" : undefined));
  phase((m) => (has(m, "failoverMode") && m.record.failoverMode !== "AUTOMATIC" ? "failoverMode" : undefined));

  for (const replica of added) statements.push(buildAddReplica(name, desired.clusterType, replica));

  for (const option of options) {
    if (option === "requiredSynchronizedSecondariesToCommit") continue;
    statements.push(setOption(optionText.get(option)!));
  }
  if (options.includes("requiredSynchronizedSecondariesToCommit") && !requiredGoesDown) {
    statements.push(setOption(optionText.get("requiredSynchronizedSecondariesToCommit")!));
  }
  return { statements, added: added.map((r) => r.serverName), removed };
}
