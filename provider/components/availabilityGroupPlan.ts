/**
 * Pure planning of availability groups for {@link MirroringTopology}, in the style of plan.ts:
 * every mistake found before a resource is declared (so `pulumi preview` fails with all of them at
 * once and sends nothing), and every default decided here so preview shows the result.
 *
 * It takes a list of groups over named instances from the start: today's `replicas` +
 * `availabilityGroup` is the one-group case (every replica in one group), and the estate form of a
 * later issue (`instances` shared by several `availabilityGroups`) feeds the same planner.
 *
 * Defaults, and why (the anchors' users argue them):
 * - initial primary: the first replica listed (where CREATE runs);
 * - availability mode: synchronous commit for the first replicas up to SQL Server's limit (five,
 *   the primary included, SQL Server 2019 and later), asynchronous for the rest — data protection
 *   first, within what SQL Server accepts, never a preview-time surprise at six replicas;
 * - failover mode: MANUAL with CLUSTER_TYPE = NONE (nothing else is valid: no cluster manager),
 *   EXTERNAL with EXTERNAL (Pacemaker decides);
 * - seeding: AUTOMATIC (no backup share needed; each secondary grants CREATE ANY DATABASE, the step
 *   dbatools' users found missing);
 * - readable secondaries: NO (a readable secondary needs its own license; a passive one does not);
 * - backup priority 50 and session timeout 10 s: SQL Server's own.
 */
import type {
  AutomatedBackupPreference,
  AvailabilityMode,
  ClusterType,
  FailoverMode,
  PrimaryAllowConnections,
  SecondaryAllowConnections,
  SeedingMode,
} from "../sql/availabilityGroupRecords";
import {
  AUTOMATED_BACKUP_PREFERENCES,
  availabilityGroupProblems,
  AVAILABILITY_MODES,
  DEFAULT_BACKUP_PRIORITY,
  DEFAULT_SESSION_TIMEOUT_SECONDS,
  failoverModeFor,
  FAILOVER_MODES,
  MAX_AVAILABILITY_REPLICAS,
  MAX_SYNCHRONOUS_COMMIT_REPLICAS,
  PRIMARY_ALLOW_CONNECTIONS,
  SECONDARY_ALLOW_CONNECTIONS,
  SEEDING_MODES,
  validateAvailabilityGroupName,
  type ReplicaRuleInput,
} from "../sql/validateAvailabilityGroup";
import { validateFilePath } from "../sql/validate";

/** Per-replica options of a group, as a program gives them (any may be left out). */
export interface ReplicaOptionsShape {
  /** `AVAILABILITY_MODE`. */
  availabilityMode?: string;
  /** `FAILOVER_MODE`. */
  failoverMode?: string;
  /** `SEEDING_MODE`. */
  seedingMode?: string;
  /** `BACKUP_PRIORITY`. */
  backupPriority?: number;
  /** `SECONDARY_ROLE (ALLOW_CONNECTIONS = …)`. */
  readableSecondary?: string;
  /** `SECONDARY_ROLE (READ_ONLY_ROUTING_URL = …)`. */
  readOnlyRoutingUrl?: string;
  /** `PRIMARY_ROLE (ALLOW_CONNECTIONS = …)`. */
  primaryAllowConnections?: string;
  /** `SESSION_TIMEOUT`, seconds. */
  sessionTimeoutSeconds?: number;
}

/** A database of a group, as a program gives it. */
export interface DatabaseShape {
  /** Database name. */
  name: string;
  /** AUTOMATIC (default) or MANUAL (copies restored WITH NORECOVERY by the program). */
  seedingMode?: string;
  /** Take a full backup to this file when the database has none. */
  initialFullBackup?: { disk: string };
}

/** One group as planning sees it; values not known at program time are left out. */
export interface AvailabilityGroupShape {
  /** How the program names this group, for messages: `availabilityGroup`, later `availabilityGroups[1]`. */
  path: string;
  /** Group name (must be known at program time: it names the group's resources). */
  name?: unknown;
  /** `CLUSTER_TYPE`. Default NONE. */
  clusterType?: unknown;
  /** Logical names of its replicas' instances, the initial primary first. */
  replicas: readonly string[];
  /** Options per replica, by logical name. */
  replicaOptions?: Readonly<Record<string, ReplicaOptionsShape | undefined>>;
  /** Default of every replica's readable-secondary setting. */
  readableSecondaries?: unknown;
  /** Databases, by name or with options. */
  databases?: readonly (string | DatabaseShape)[];
  /** `AUTOMATED_BACKUP_PREFERENCE`. */
  automatedBackupPreference?: unknown;
  /** `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT`. */
  requiredSynchronizedSecondariesToCommit?: unknown;
  /** `FAILURE_CONDITION_LEVEL`. */
  failureConditionLevel?: unknown;
  /** `HEALTH_CHECK_TIMEOUT`, ms. */
  healthCheckTimeoutMs?: unknown;
  /** `DB_FAILOVER`. */
  dbFailover?: unknown;
  /** `DTC_SUPPORT`. */
  dtcSupport?: unknown;
  /** Wait for each secondary to connect, seconds. */
  connectTimeoutSeconds?: unknown;
  /** Wait for each database to synchronize, seconds. */
  synchronizationTimeoutSeconds?: unknown;
}

/** A replica with every default decided. */
export interface PlannedReplica {
  /** Logical name of its instance. */
  instance: string;
  /** `AVAILABILITY_MODE`. */
  availabilityMode: AvailabilityMode;
  /** `FAILOVER_MODE` (absent for CONFIGURATION_ONLY). */
  failoverMode?: FailoverMode;
  /** `SEEDING_MODE` (absent for CONFIGURATION_ONLY). */
  seedingMode?: SeedingMode;
  /** `BACKUP_PRIORITY` (absent for CONFIGURATION_ONLY). */
  backupPriority?: number;
  /** `SECONDARY_ROLE` (absent for CONFIGURATION_ONLY). */
  secondaryRole?: { allowConnections: SecondaryAllowConnections; readOnlyRoutingUrl?: string };
  /** `PRIMARY_ROLE` (absent for CONFIGURATION_ONLY). */
  primaryRole?: { allowConnections: PrimaryAllowConnections };
  /** `SESSION_TIMEOUT` (absent for CONFIGURATION_ONLY). */
  sessionTimeoutSeconds?: number;
}

/** A database with its options decided. */
export interface PlannedDatabase {
  /** Database name. */
  name: string;
  /** AUTOMATIC or MANUAL. */
  seedingMode: SeedingMode;
  /** The explicit backup, when asked for. */
  initialFullBackup?: { disk: string };
}

/** The group options a program gave, checked (each is the `AvailabilityGroup` argument of the same name). */
export interface PlannedGroupOptions {
  /** `AUTOMATED_BACKUP_PREFERENCE`. */
  automatedBackupPreference?: AutomatedBackupPreference;
  /** `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT`. */
  requiredSynchronizedSecondariesToCommit?: number;
  /** `FAILURE_CONDITION_LEVEL`. */
  failureConditionLevel?: number;
  /** `HEALTH_CHECK_TIMEOUT`, ms. */
  healthCheckTimeoutMs?: number;
  /** `DB_FAILOVER`. */
  dbFailover?: boolean;
  /** `DTC_SUPPORT = PER_DB`. */
  dtcSupport?: boolean;
}

/** A group ready to declare. */
export interface PlannedAvailabilityGroup {
  /** Group name. */
  name: string;
  /** `CLUSTER_TYPE`. */
  clusterType: Exclude<ClusterType, "WSFC">;
  /** Replicas in order; the first is the initial primary. */
  replicas: PlannedReplica[];
  /** Databases in order. */
  databases: PlannedDatabase[];
  /** Group options given (the others are SQL Server's defaults and never compared). */
  options: PlannedGroupOptions;
  /** Wait for each secondary to connect, seconds (undefined: the resource's default). */
  connectTimeoutSeconds?: number;
  /** Wait for each database to synchronize, seconds (undefined: the resource's default). */
  synchronizationTimeoutSeconds?: number;
}

/** What planning returns: the groups, and every problem found (nothing is declared while there is one). */
export interface AvailabilityGroupsPlan {
  /** The groups, in order (only meaningful when `problems` is empty). */
  groups: PlannedAvailabilityGroup[];
  /** Every problem, `<path>.<property> <reason>`. */
  problems: string[];
}

function upper(value: unknown): unknown {
  return typeof value === "string" ? value.trim().toUpperCase().replace(/\s+/g, "_") : value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], property: string, problems: string[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  const v = upper(value);
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  problems.push(`${property} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, not ${JSON.stringify(value)}`);
  return undefined;
}

function whole(value: unknown, min: number, max: number, property: string, problems: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
  problems.push(`${property} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return undefined;
}

function bool(value: unknown, property: string, problems: string[]): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  problems.push(`${property} must be true or false, not ${JSON.stringify(value)}`);
  return undefined;
}

/** `replicaOptions['b'].failoverMode` for the rules' `replicas[1].failoverMode`. */
function optionPath(path: string, instances: readonly string[], property: string): string {
  const m = /^replicas\[(\d+)\](?:\.(.*))?$/.exec(property);
  if (m === null) return `${path}.${property}`;
  const instance = instances[Number(m[1])];
  const field = (m[2] ?? "").replace(/^secondaryRole\.readOnlyRoutingUrl$/, "readOnlyRoutingUrl").replace(/^serverName$/, "name").replace(/^endpointUrl$/, "endpoint");
  return `${path}.replicaOptions['${instance}']${field === "" ? "" : `.${field}`}`;
}

/** Decides the availability modes: the explicit ones, then synchronous for the first others up to the limit. */
function availabilityModes(explicit: ReadonlyArray<AvailabilityMode | undefined>): AvailabilityMode[] {
  let synchronous = explicit.filter((m) => m === "SYNCHRONOUS_COMMIT").length;
  return explicit.map((mode) => {
    if (mode !== undefined) return mode;
    if (synchronous < MAX_SYNCHRONOUS_COMMIT_REPLICAS) {
      synchronous++;
      return "SYNCHRONOUS_COMMIT";
    }
    return "ASYNCHRONOUS_COMMIT";
  });
}

function planGroup(shape: AvailabilityGroupShape, known: ReadonlySet<string>, problems: string[]): PlannedAvailabilityGroup | undefined {
  const at = shape.path;
  const before = problems.length;
  const add = (property: string, reason: string) => problems.push(`${at}.${property} ${reason}`);
  if (typeof shape.name !== "string") add("name", "is required, as a plain string known when the program runs (it names the group's resources)");
  else {
    const reason = validateAvailabilityGroupName(shape.name);
    if (reason !== undefined) add("name", reason);
  }
  const clusterType = (oneOf(shape.clusterType, ["NONE", "EXTERNAL", "WSFC"] as const, `${at}.clusterType`, problems) ?? (shape.clusterType === undefined ? "NONE" : undefined)) as ClusterType | undefined;

  const instances = shape.replicas;
  if (instances.length < 2 || instances.length > MAX_AVAILABILITY_REPLICAS) {
    add("replicas", `an availability group needs 2 to ${MAX_AVAILABILITY_REPLICAS} replicas, got ${instances.length}`);
  }
  const seen = new Set<string>();
  for (const instance of instances) {
    if (!known.has(instance)) add("replicas", `names '${instance}', which is not an instance of the topology`);
    if (seen.has(instance)) add("replicas", `lists '${instance}' twice: an instance hosts one replica of a group`);
    seen.add(instance);
  }
  for (const key of Object.keys(shape.replicaOptions ?? {})) {
    if (!instances.includes(key)) add(`replicaOptions['${key}']`, `is for '${key}', which is not a replica of this group`);
  }

  const readableDefault = oneOf(shape.readableSecondaries, SECONDARY_ALLOW_CONNECTIONS, `${at}.readableSecondaries`, problems);
  const options = instances.map((instance) => shape.replicaOptions?.[instance] ?? {});
  const explicitModes = options.map((o, i) => oneOf(o.availabilityMode, AVAILABILITY_MODES, `${at}.replicaOptions['${instances[i]}'].availabilityMode`, problems));
  const modes = availabilityModes(explicitModes);
  const replicas: PlannedReplica[] = instances.map((instance, i) => {
    const o = options[i]!;
    const p = `${at}.replicaOptions['${instance}']`;
    const mode = modes[i]!;
    if (mode === "CONFIGURATION_ONLY") return { instance, availabilityMode: mode };
    const failoverMode = oneOf(o.failoverMode, FAILOVER_MODES, `${p}.failoverMode`, problems) ?? failoverModeFor(clusterType ?? "NONE");
    const readable = oneOf(o.readableSecondary, SECONDARY_ALLOW_CONNECTIONS, `${p}.readableSecondary`, problems) ?? readableDefault ?? "NO";
    const primaryAllow = oneOf(o.primaryAllowConnections, PRIMARY_ALLOW_CONNECTIONS, `${p}.primaryAllowConnections`, problems) ?? "ALL";
    return {
      instance,
      availabilityMode: mode,
      failoverMode,
      seedingMode: oneOf(o.seedingMode, SEEDING_MODES, `${p}.seedingMode`, problems) ?? "AUTOMATIC",
      backupPriority: o.backupPriority ?? DEFAULT_BACKUP_PRIORITY,
      secondaryRole: { allowConnections: readable, ...(o.readOnlyRoutingUrl !== undefined ? { readOnlyRoutingUrl: o.readOnlyRoutingUrl } : {}) },
      primaryRole: { allowConnections: primaryAllow },
      sessionTimeoutSeconds: o.sessionTimeoutSeconds ?? DEFAULT_SESSION_TIMEOUT_SECONDS,
    };
  });

  const required = whole(shape.requiredSynchronizedSecondariesToCommit, 0, MAX_AVAILABILITY_REPLICAS - 1, `${at}.requiredSynchronizedSecondariesToCommit`, problems);
  const level = whole(shape.failureConditionLevel, 1, 5, `${at}.failureConditionLevel`, problems);
  const health = shape.healthCheckTimeoutMs;
  const databases: PlannedDatabase[] = [];
  const names: string[] = [];
  (shape.databases ?? []).forEach((entry, i) => {
    const d = typeof entry === "string" ? { name: entry } : entry;
    if (d === null || typeof d !== "object" || typeof d.name !== "string") {
      add(`databases[${i}]`, "must be a database name or { name, seedingMode?, initialFullBackup? }");
      return;
    }
    const seedingMode = oneOf(d.seedingMode, SEEDING_MODES, `${at}.databases[${i}].seedingMode`, problems) ?? "AUTOMATIC";
    if (d.initialFullBackup !== undefined) {
      const reason = validateFilePath(d.initialFullBackup?.disk);
      if (reason !== undefined) add(`databases[${i}].initialFullBackup.disk`, reason);
    }
    names.push(d.name);
    databases.push({ name: d.name, seedingMode, ...(d.initialFullBackup !== undefined ? { initialFullBackup: { disk: d.initialFullBackup.disk } } : {}) });
  });

  if (clusterType !== undefined) {
    const rules: ReplicaRuleInput[] = replicas.map((r, i) => ({
      availabilityMode: r.availabilityMode,
      failoverMode: r.failoverMode ?? "MANUAL",
      explicitOptions: r.availabilityMode === "CONFIGURATION_ONLY" ? Object.keys(options[i]!).filter((k) => k !== "availabilityMode" && (options[i] as Record<string, unknown>)[k] !== undefined) : [],
      sessionTimeout: r.sessionTimeoutSeconds,
      backupPriority: r.backupPriority,
      readOnlyRoutingUrl: r.secondaryRole?.readOnlyRoutingUrl,
    }));
    for (const problem of availabilityGroupProblems({
      clusterType,
      replicas: rules,
      requiredSynchronizedSecondariesToCommit: required,
      failureConditionLevel: level,
      healthCheckTimeout: typeof health === "number" ? health : undefined,
      databases: names,
    })) {
      // Replica counts are reported above, in the topology's own words.
      if (problem.property === "replicas" && problem.reason.startsWith("an availability group has")) continue;
      problems.push(`${optionPath(at, instances, problem.property)} ${problem.reason}`);
    }
  }
  if (health !== undefined && typeof health !== "number") add("healthCheckTimeoutMs", `must be a whole number of milliseconds, not ${JSON.stringify(health)}`);
  const connectTimeoutSeconds = whole(shape.connectTimeoutSeconds, 0, 86_400, `${at}.connectTimeoutSeconds`, problems);
  const synchronizationTimeoutSeconds = whole(shape.synchronizationTimeoutSeconds, 0, 604_800, `${at}.synchronizationTimeoutSeconds`, problems);
  const automatedBackupPreference = oneOf(shape.automatedBackupPreference, AUTOMATED_BACKUP_PREFERENCES, `${at}.automatedBackupPreference`, problems);
  const dbFailover = bool(shape.dbFailover, `${at}.dbFailover`, problems);
  const dtcSupport = bool(shape.dtcSupport, `${at}.dtcSupport`, problems);
  if (problems.length > before || clusterType === undefined || clusterType === "WSFC") return undefined;
  return {
    name: shape.name as string,
    clusterType,
    replicas,
    databases,
    options: {
      ...(automatedBackupPreference !== undefined ? { automatedBackupPreference } : {}),
      ...(required !== undefined ? { requiredSynchronizedSecondariesToCommit: required } : {}),
      ...(level !== undefined ? { failureConditionLevel: level } : {}),
      ...(typeof health === "number" ? { healthCheckTimeoutMs: health } : {}),
      ...(dbFailover !== undefined ? { dbFailover } : {}),
      ...(dtcSupport !== undefined ? { dtcSupport } : {}),
    },
    ...(connectTimeoutSeconds !== undefined ? { connectTimeoutSeconds } : {}),
    ...(synchronizationTimeoutSeconds !== undefined ? { synchronizationTimeoutSeconds } : {}),
  };
}

/**
 * Plans every group over the topology's instances (`instances`: their logical names). Across
 * groups: names are unique, and two groups that share an instance cannot list the same database
 * (it would be one database on that instance).
 */
export function planAvailabilityGroups(instances: readonly string[], groups: readonly AvailabilityGroupShape[]): AvailabilityGroupsPlan {
  const problems: string[] = [];
  const known = new Set(instances);
  const planned = groups.map((g) => planGroup(g, known, problems));
  const byName = new Map<string, string>();
  groups.forEach((g) => {
    if (typeof g.name !== "string") return;
    const other = byName.get(g.name.toLowerCase());
    if (other !== undefined) problems.push(`${g.path}.name '${g.name}' is also the name of ${other}: group names are unique`);
    else byName.set(g.name.toLowerCase(), g.path);
  });
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      const shared = groups[i]!.replicas.filter((r) => groups[j]!.replicas.includes(r));
      if (shared.length === 0) continue;
      const dbs = (g: AvailabilityGroupShape) => new Set((g.databases ?? []).map((d) => (typeof d === "string" ? d : d?.name)).filter((d): d is string => typeof d === "string").map((d) => d.toLowerCase()));
      const theirs = dbs(groups[j]!);
      for (const db of dbs(groups[i]!)) {
        if (theirs.has(db)) problems.push(`${groups[j]!.path}.databases lists '${db}', which ${groups[i]!.path} also holds on '${shared[0]}': a database belongs to one group`);
      }
    }
  }
  return { groups: problems.length === 0 ? (planned as PlannedAvailabilityGroup[]) : [], problems };
}
