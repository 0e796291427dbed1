/**
 * Input rules for availability groups, checked before any statement is built: by the resources'
 * `check` and by the topology's planning, so a bad combination fails `pulumi preview` with 0
 * requests. Written in the style of validate.ts: each rule returns reasons, one sentence each,
 * saying what is wrong and how to fix it. Rules are what SQL Server refuses (its message number in
 * parentheses) or what would leave a group that cannot work; nothing stricter.
 *
 * Sources (Microsoft's documentation): CREATE / ALTER AVAILABILITY GROUP; "What is an Always On
 * availability group?" (limits of SQL Server 2019 and later: one primary and up to eight
 * secondaries, up to five synchronous-commit replicas, automatic failover among them); "Configure a
 * SQL Server availability group for read-scale on Linux" (CLUSTER_TYPE = NONE takes MANUAL
 * failover); "Create and configure an availability group for SQL Server on Linux" (EXTERNAL takes
 * FAILOVER_MODE = EXTERNAL; a configuration-only replica takes only ENDPOINT_URL and
 * AVAILABILITY_MODE); "High availability and data protection for availability group
 * configurations" (configuration-only rules); the database engine's error list (35211–35249).
 */
import type {
  AutomatedBackupPreference,
  AvailabilityMode,
  ClusterType,
  FailoverMode,
  PrimaryAllowConnections,
  SecondaryAllowConnections,
  SeedingMode,
} from "./availabilityGroupRecords";
import { validateSysname } from "./validate";

/** Most replicas a group holds: one primary and eight secondaries (SQL Server 2014 and later). */
export const MAX_AVAILABILITY_REPLICAS = 9;

/** Most synchronous-commit replicas, the primary included (SQL Server 2019 and later, so 2022; 3 before). */
export const MAX_SYNCHRONOUS_COMMIT_REPLICAS = 5;

/** Most replicas with automatic failover, the primary included (SQL Server 2019 and later). */
export const MAX_AUTOMATIC_FAILOVER_REPLICAS = 5;

/** Shortest `SESSION_TIMEOUT` SQL Server accepts, seconds (35214). */
export const MIN_SESSION_TIMEOUT_SECONDS = 5;

/** SQL Server's default `SESSION_TIMEOUT`, seconds (Microsoft recommends 10 or more). */
export const DEFAULT_SESSION_TIMEOUT_SECONDS = 10;

/** SQL Server's default `BACKUP_PRIORITY`. */
export const DEFAULT_BACKUP_PRIORITY = 50;

/** Shortest `HEALTH_CHECK_TIMEOUT`, milliseconds (35229). */
export const MIN_HEALTH_CHECK_TIMEOUT_MS = 15_000;

/** Longest `HEALTH_CHECK_TIMEOUT`, milliseconds. */
export const MAX_HEALTH_CHECK_TIMEOUT_MS = 4_294_967_295;

/** The values each option takes, as T-SQL spells them. */
export const CLUSTER_TYPES: readonly ClusterType[] = ["WSFC", "EXTERNAL", "NONE"];
/** See {@link AvailabilityMode}. */
export const AVAILABILITY_MODES: readonly AvailabilityMode[] = ["SYNCHRONOUS_COMMIT", "ASYNCHRONOUS_COMMIT", "CONFIGURATION_ONLY"];
/** See {@link FailoverMode}. */
export const FAILOVER_MODES: readonly FailoverMode[] = ["AUTOMATIC", "MANUAL", "EXTERNAL"];
/** See {@link SeedingMode}. */
export const SEEDING_MODES: readonly SeedingMode[] = ["AUTOMATIC", "MANUAL"];
/** See {@link SecondaryAllowConnections}. */
export const SECONDARY_ALLOW_CONNECTIONS: readonly SecondaryAllowConnections[] = ["NO", "READ_ONLY", "ALL"];
/** See {@link PrimaryAllowConnections}. */
export const PRIMARY_ALLOW_CONNECTIONS: readonly PrimaryAllowConnections[] = ["READ_WRITE", "ALL"];
/** See {@link AutomatedBackupPreference}. */
export const AUTOMATED_BACKUP_PREFERENCES: readonly AutomatedBackupPreference[] = ["PRIMARY", "SECONDARY_ONLY", "SECONDARY", "NONE"];

/** Databases an availability group can never hold (35249). */
export const SYSTEM_DATABASES: readonly string[] = ["master", "model", "msdb", "tempdb"];

/** A problem with one property: the property (relative to what was checked) and the reason. */
export interface AvailabilityGroupProblem {
  /** e.g. `replicas[1].failoverMode` or `requiredSynchronizedSecondariesToCommit`. */
  property: string;
  /** What is wrong and how to fix it. */
  reason: string;
}

const URL = /^tcp:\/\/(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?):(\d{1,5})$/i;

/**
 * An endpoint or read-only routing URL: `TCP://host:port` (any case of `TCP`), the host a DNS name,
 * an IPv4 address or a bracketed IPv6 address, the port 1–65535. SQL Server refuses others (35232).
 */
export function validateTcpUrl(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a URL like TCP://sql-b.corp:5022 (got ${value === null ? "null" : typeof value})`;
  const match = URL.exec(value);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    return `must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got '${value}'`;
  }
  return undefined;
}

/** An availability group name: a SQL Server name of at most 128 characters (CREATE AVAILABILITY GROUP). */
export function validateAvailabilityGroupName(value: unknown): string | undefined {
  return validateSysname(value);
}

/** A database that may be listed for an availability group: a valid name, and not a system database (35249). */
export function validateAvailabilityDatabaseName(value: unknown): string | undefined {
  const reason = validateSysname(value);
  if (reason !== undefined) return reason;
  if (SYSTEM_DATABASES.includes((value as string).toLowerCase())) {
    return `is a system database; availability groups hold user databases only (SQL Server refuses it, 35249)`;
  }
  return undefined;
}

/** One replica as the rules see it; `undefined` means "not given" (the default applies). */
export interface ReplicaRuleInput {
  /** `@@SERVERNAME` of the instance (the replica's name). */
  serverName?: string;
  /** `ENDPOINT_URL`. */
  endpointUrl?: string;
  /** `AVAILABILITY_MODE` as resolved (defaults applied). */
  availabilityMode: AvailabilityMode;
  /** `FAILOVER_MODE` as resolved; ignored for CONFIGURATION_ONLY. */
  failoverMode: FailoverMode;
  /** Options given explicitly by the program that a configuration-only replica cannot take. */
  explicitOptions?: readonly string[];
  /** `SESSION_TIMEOUT`, when given. */
  sessionTimeout?: number;
  /** `BACKUP_PRIORITY`, when given. */
  backupPriority?: number;
  /** `READ_ONLY_ROUTING_URL`, when given. */
  readOnlyRoutingUrl?: string;
}

/** A group as the rules see it: replicas in order (the first is the initial primary). */
export interface GroupRuleInput {
  /** `CLUSTER_TYPE`. */
  clusterType: ClusterType;
  /** The replicas; the first creates the group and is its initial primary. */
  replicas: readonly ReplicaRuleInput[];
  /** `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT`, when given. */
  requiredSynchronizedSecondariesToCommit?: number;
  /** `FAILURE_CONDITION_LEVEL`, when given. */
  failureConditionLevel?: number;
  /** `HEALTH_CHECK_TIMEOUT`, when given (milliseconds). */
  healthCheckTimeout?: number;
  /** Databases listed for the group, when known. */
  databases?: readonly string[];
}

const isWholeNumber = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** The failover mode a cluster type requires, for the fix in messages. */
export function failoverModeFor(clusterType: ClusterType): FailoverMode {
  return clusterType === "EXTERNAL" ? "EXTERNAL" : "MANUAL";
}

/** Problems with one replica's settings (property names relative to `prefix`). */
export function replicaProblems(replica: ReplicaRuleInput, clusterType: ClusterType, prefix: string): AvailabilityGroupProblem[] {
  const problems: AvailabilityGroupProblem[] = [];
  const add = (property: string, reason: string | undefined) => reason !== undefined && problems.push({ property: `${prefix}${property}`, reason });
  if (replica.serverName !== undefined) add("serverName", validateSysname(replica.serverName));
  if (replica.endpointUrl !== undefined) add("endpointUrl", validateTcpUrl(replica.endpointUrl));
  if (replica.readOnlyRoutingUrl !== undefined) add("secondaryRole.readOnlyRoutingUrl", validateTcpUrl(replica.readOnlyRoutingUrl));
  if (replica.sessionTimeout !== undefined && !(isWholeNumber(replica.sessionTimeout) && replica.sessionTimeout >= MIN_SESSION_TIMEOUT_SECONDS && replica.sessionTimeout <= 2_147_483_647)) {
    add("sessionTimeoutSeconds", `must be a whole number of seconds, at least ${MIN_SESSION_TIMEOUT_SECONDS} (SQL Server refuses less, 35214; 10 or more is recommended), got ${JSON.stringify(replica.sessionTimeout)}`);
  }
  if (replica.backupPriority !== undefined && !(isWholeNumber(replica.backupPriority) && replica.backupPriority >= 0 && replica.backupPriority <= 100)) {
    add("backupPriority", `must be a whole number from 0 (never back up here) to 100, got ${JSON.stringify(replica.backupPriority)}`);
  }
  if (replica.availabilityMode === "CONFIGURATION_ONLY") {
    if (clusterType === "WSFC") add("availabilityMode", "CONFIGURATION_ONLY is not valid with CLUSTER_TYPE = WSFC");
    for (const option of replica.explicitOptions ?? []) {
      add(option, "cannot be set on a CONFIGURATION_ONLY replica: it holds the group's metadata only (give it ENDPOINT_URL and AVAILABILITY_MODE alone)");
    }
    return problems;
  }
  if (replica.failoverMode === "AUTOMATIC" && replica.availabilityMode !== "SYNCHRONOUS_COMMIT") {
    add("failoverMode", "AUTOMATIC needs availabilityMode SYNCHRONOUS_COMMIT (SQL Server refuses automatic failover of an asynchronous replica, 35211)");
  }
  if (clusterType === "NONE" && replica.failoverMode !== "MANUAL") {
    add("failoverMode", `must be MANUAL with CLUSTER_TYPE = NONE: without a cluster manager nothing can fail over automatically, got ${replica.failoverMode}`);
  } else if (clusterType === "EXTERNAL" && replica.failoverMode !== "EXTERNAL") {
    add("failoverMode", `must be EXTERNAL with CLUSTER_TYPE = EXTERNAL: the cluster manager (Pacemaker) decides failovers, got ${replica.failoverMode}`);
  } else if (clusterType === "WSFC" && replica.failoverMode === "EXTERNAL") {
    add("failoverMode", "EXTERNAL is only valid with CLUSTER_TYPE = EXTERNAL; use AUTOMATIC or MANUAL");
  }
  return problems;
}

/**
 * Every problem with a group: cluster type, replica count and names, each replica's settings, the
 * synchronous-commit and automatic-failover limits, configuration-only rules, group options and
 * databases. Property names are relative to the group (`replicas[i].…`); the topology maps them
 * to its own names.
 */
export function availabilityGroupProblems(group: GroupRuleInput): AvailabilityGroupProblem[] {
  const problems: AvailabilityGroupProblem[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });
  if (group.clusterType === "WSFC") {
    add(
      "clusterType",
      "WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE (no cluster manager: read-scale and manual failover) or EXTERNAL (a Pacemaker cluster)",
    );
  }
  const replicas = group.replicas;
  if (replicas.length < 1 || replicas.length > MAX_AVAILABILITY_REPLICAS) {
    add("replicas", `an availability group has 1 to ${MAX_AVAILABILITY_REPLICAS} replicas (one primary and up to eight secondaries), got ${replicas.length}`);
  }
  const names = new Map<string, number>();
  const urls = new Map<string, number>();
  replicas.forEach((replica, i) => {
    problems.push(...replicaProblems(replica, group.clusterType, `replicas[${i}].`));
    if (replica.serverName !== undefined) {
      const key = replica.serverName.toLowerCase();
      const first = names.get(key);
      if (first !== undefined) add(`replicas[${i}].serverName`, `'${replica.serverName}' is also replicas[${first}]: each replica must be a different instance (35235)`);
      else names.set(key, i);
    }
    if (replica.endpointUrl !== undefined && validateTcpUrl(replica.endpointUrl) === undefined) {
      const key = replica.endpointUrl.toLowerCase();
      const first = urls.get(key);
      if (first !== undefined) add(`replicas[${i}].endpointUrl`, `'${replica.endpointUrl}' is also the endpoint of replicas[${first}]: each replica needs its own endpoint`);
      else urls.set(key, i);
    }
  });

  const configurationOnly = replicas.map((r, i) => [r, i] as const).filter(([r]) => r.availabilityMode === "CONFIGURATION_ONLY");
  if (configurationOnly.length > 1) {
    add(`replicas[${configurationOnly[1]![1]}].availabilityMode`, "a group has at most one CONFIGURATION_ONLY replica");
  }
  if (replicas[0]?.availabilityMode === "CONFIGURATION_ONLY") {
    add("replicas[0].availabilityMode", "the first replica creates the group and becomes its primary; a CONFIGURATION_ONLY replica can never be primary: list a data replica first");
  }
  const dataReplicas = replicas.filter((r) => r.availabilityMode !== "CONFIGURATION_ONLY");
  if (configurationOnly.length > 0 && dataReplicas.length < 2) {
    add("replicas", "a group with a CONFIGURATION_ONLY replica needs a secondary replica besides the primary");
  }

  const synchronous = replicas.filter((r) => r.availabilityMode === "SYNCHRONOUS_COMMIT").length;
  if (synchronous > MAX_SYNCHRONOUS_COMMIT_REPLICAS) {
    add(
      "replicas",
      `${synchronous} replicas use SYNCHRONOUS_COMMIT; SQL Server allows at most ${MAX_SYNCHRONOUS_COMMIT_REPLICAS}, the primary included (35212): make the others ASYNCHRONOUS_COMMIT`,
    );
  }
  const automatic = replicas.filter((r) => r.availabilityMode !== "CONFIGURATION_ONLY" && r.failoverMode === "AUTOMATIC").length;
  if (automatic > MAX_AUTOMATIC_FAILOVER_REPLICAS) {
    add("replicas", `${automatic} replicas use AUTOMATIC failover; SQL Server allows at most ${MAX_AUTOMATIC_FAILOVER_REPLICAS} (35213): make the others MANUAL`);
  }

  const required = group.requiredSynchronizedSecondariesToCommit;
  if (required !== undefined) {
    if (group.clusterType === "EXTERNAL") {
      add(
        "requiredSynchronizedSecondariesToCommit",
        "is managed by the cluster resource with CLUSTER_TYPE = EXTERNAL (Pacemaker sets it when the group is added): set it there (pcs resource update <ag> required_synchronized_secondaries_to_commit=N), not here",
      );
    } else if (!isWholeNumber(required) || required < 0 || required > Math.max(0, replicas.length - 1)) {
      add("requiredSynchronizedSecondariesToCommit", `must be a whole number from 0 to ${Math.max(0, replicas.length - 1)} (the number of replicas minus one), got ${JSON.stringify(required)}`);
    } else if (required > Math.max(0, synchronous - 1)) {
      add(
        "requiredSynchronizedSecondariesToCommit",
        `is ${required}, but only ${Math.max(0, synchronous - 1)} secondary replica(s) use SYNCHRONOUS_COMMIT (35248): commits on the primary would fail; lower it or make more replicas synchronous`,
      );
    }
  }
  const level = group.failureConditionLevel;
  if (level !== undefined && !(isWholeNumber(level) && level >= 1 && level <= 5)) {
    add("failureConditionLevel", `must be a whole number from 1 to 5 (35228), got ${JSON.stringify(level)}`);
  }
  const health = group.healthCheckTimeout;
  if (health !== undefined && !(isWholeNumber(health) && health >= MIN_HEALTH_CHECK_TIMEOUT_MS && health <= MAX_HEALTH_CHECK_TIMEOUT_MS)) {
    add("healthCheckTimeoutMs", `must be a whole number of milliseconds from ${MIN_HEALTH_CHECK_TIMEOUT_MS} to ${MAX_HEALTH_CHECK_TIMEOUT_MS} (35229), got ${JSON.stringify(health)}`);
  }
  const seen = new Map<string, number>();
  (group.databases ?? []).forEach((database, i) => {
    const reason = validateAvailabilityDatabaseName(database);
    if (reason !== undefined) {
      add(`databases[${i}]`, reason);
      return;
    }
    const key = database.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) add(`databases[${i}]`, `'${database}' is listed twice (also databases[${first}]); list each database once (35234)`);
    else seen.set(key, i);
  });
  return problems;
}
