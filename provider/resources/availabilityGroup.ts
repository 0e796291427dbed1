/**
 * `AvailabilityGroup`: an Always On availability group over instances whose endpoints trust each
 * other, created on its first replica and from then on read and changed through its **current**
 * primary, found among the replicas' connections (never assumed to be the first one).
 *
 * What it does not do: join the secondaries (each {@link AvailabilityGroupJoin} does, on its own
 * instance, after this group exists) nor add databases ({@link AvailabilityGroupDatabase}).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  alterAvailabilityGroup,
  AUTOMATED_BACKUP_PREFERENCES,
  availabilityGroupProblems,
  AVAILABILITY_MODES,
  CLUSTER_TYPES,
  conflictError,
  createAvailabilityGroup,
  dropAvailabilityGroup,
  failoverModeFor,
  FAILOVER_MODES,
  PRIMARY_ALLOW_CONNECTIONS,
  readAvailabilityGroup,
  readHadrReadiness,
  REPLICA_DEFAULTS,
  SECONDARY_ALLOW_CONNECTIONS,
  SEEDING_MODES,
  SqlServerError,
  validateTcpUrl,
  type AutomatedBackupPreference,
  type AvailabilityGroupRecord,
  type AvailabilityGroupSpec,
  type AvailabilityMode,
  type ClusterType,
  type DiscoveredPrimary,
  type FailoverMode,
  type GroupRuleInput,
  type PrimaryAllowConnections,
  type ReplicaRuleInput,
  type ReplicaSpec,
  type SecondaryAllowConnections,
  type SeedingMode,
} from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { connectionInput, type CheckFailure, type ConnectionArgs, type ConnectionInputs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, GONE, ObjectExistsError, objectId, refreshedInputs, withoutProvider, type Props } from "./lifecycle";
import { checkConnectionList, clientsFor, connectionListChanges, defined, findPrimary, replicaHealthOf } from "./replicaConnections";
import { isUnknown } from "./unknown";
import { warn } from "./warnings";

/** `CLUSTER_TYPE` this package supports: NONE (no cluster manager) or EXTERNAL (Pacemaker). WSFC is refused: there is no Windows cluster to join. */
export type AvailabilityGroupClusterType = "NONE" | "EXTERNAL";

/** One replica of an {@link AvailabilityGroup}. Every option but the connection, name and URL has a default. */
export interface AvailabilityReplicaArgs {
  /** How to reach the replica's instance: to find the current primary, to create the group (first replica) and to drop it on destroy. Changing it never touches SQL Server. */
  connection: ConnectionArgs;
  /** The instance's `@@SERVERNAME` (`REPLICA ON N'…'`); {@link ServerName} reads it. SQL Server names replicas by it and nothing else. */
  serverName: pulumi.Input<string>;
  /** `ENDPOINT_URL`: `TCP://host:port` of the instance's DATABASE_MIRRORING endpoint as the other replicas reach it (`MirroringEndpoint.url`). Updated in place. */
  endpointUrl: pulumi.Input<string>;
  /** `AVAILABILITY_MODE`. Default `SYNCHRONOUS_COMMIT` (at most five per group, the primary included). Updated in place, except to or from `CONFIGURATION_ONLY` (refused at preview). */
  availabilityMode?: pulumi.Input<AvailabilityMode>;
  /** `FAILOVER_MODE`. Default `MANUAL` with cluster type NONE (the only value it takes), `EXTERNAL` with EXTERNAL. Updated in place. */
  failoverMode?: pulumi.Input<FailoverMode>;
  /** `SEEDING_MODE`. Default `AUTOMATIC` (copies seeded over the endpoint; SQL Server's own default is MANUAL). Updated in place. */
  seedingMode?: pulumi.Input<SeedingMode>;
  /** `BACKUP_PRIORITY` (0–100, 0 = never back up here). Default 50. Updated in place. */
  backupPriority?: pulumi.Input<number>;
  /** `SECONDARY_ROLE (…)`: what clients may do on this replica while it is a secondary. Updated in place. */
  secondaryRole?: {
    /** `ALLOW_CONNECTIONS`: `NO` (default: a readable secondary must be licensed, a passive one need not), `READ_ONLY` (read-intent connections) or `ALL`. */
    allowConnections?: pulumi.Input<SecondaryAllowConnections>;
    /** `READ_ONLY_ROUTING_URL`: `TCP://host:port` of the instance's own TDS listener. Default: none; once set, leaving it out changes nothing. */
    readOnlyRoutingUrl?: pulumi.Input<string>;
  };
  /** `PRIMARY_ROLE (…)`: what clients may do on this replica while it is the primary. Updated in place. */
  primaryRole?: {
    /** `ALLOW_CONNECTIONS`: `ALL` (default) or `READ_WRITE` (read-intent connections refused). */
    allowConnections?: pulumi.Input<PrimaryAllowConnections>;
  };
  /** `SESSION_TIMEOUT`, seconds (at least 5; 10 or more recommended). Default 10. Updated in place. */
  sessionTimeoutSeconds?: pulumi.Input<number>;
}

/** Arguments of {@link AvailabilityGroup}. Group options left out are SQL Server's defaults and are never compared. */
export interface AvailabilityGroupArgs {
  /** Group name (sysname). Changing it is a replacement, refused at preview unless {@link allowReplacement}. */
  name: pulumi.Input<string>;
  /** `CLUSTER_TYPE`. Default `NONE`. Changing it is a replacement, refused at preview unless {@link allowReplacement}. */
  clusterType?: pulumi.Input<AvailabilityGroupClusterType>;
  /**
   * The replicas (1–9), a plain list. The first is where the group is created and its initial
   * primary; afterwards the order means nothing. Adding one is `ADD REPLICA` (its
   * {@link AvailabilityGroupJoin} then joins it); removing one is `REMOVE REPLICA` (its database
   * copies stay RESTORING); the current primary cannot be removed.
   */
  replicas: AvailabilityReplicaArgs[];
  /** `AUTOMATED_BACKUP_PREFERENCE` (a preference backup jobs may read; SQL Server does not enforce it). Updated in place. */
  automatedBackupPreference?: pulumi.Input<AutomatedBackupPreference>;
  /** `FAILURE_CONDITION_LEVEL` (1–5): what triggers an automatic failover. Updated in place. */
  failureConditionLevel?: pulumi.Input<number>;
  /** `HEALTH_CHECK_TIMEOUT`, milliseconds (15 000 or more). Updated in place. */
  healthCheckTimeoutMs?: pulumi.Input<number>;
  /** `DB_FAILOVER`: database-level health detection. Updated in place. */
  dbFailover?: pulumi.Input<boolean>;
  /** `DTC_SUPPORT = PER_DB` (true) or `NONE` (false). Updated in place. */
  dtcSupport?: pulumi.Input<boolean>;
  /** `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT` (0 to the synchronous secondaries). Refused with EXTERNAL (the cluster resource owns it). Updated in place. */
  requiredSynchronizedSecondariesToCommit?: pulumi.Input<number>;
  /**
   * Allow a new name or cluster type to replace the group: DROP AVAILABILITY GROUP on every
   * replica, then CREATE (databases leave the group; secondary copies fall to RESTORING until added
   * again). Default `false`: such a change fails at preview, naming the property.
   */
  allowReplacement?: pulumi.Input<boolean>;
}

/** Each replica's health, as the primary reports it when the group was last created, updated or refreshed. */
export interface ReplicaHealthOutput {
  /** PRIMARY, SECONDARY or RESOLVING; null when the primary does not know it (not joined yet, or disconnected). */
  role: string | null;
  /** Whether it is CONNECTED (the primary always is). */
  connected: boolean;
  /** HEALTHY, PARTIALLY_HEALTHY or NOT_HEALTHY (its databases against its availability mode); null when not reported. */
  synchronizationHealth: string | null;
  /** SQL Server's last connection error for it, or null. */
  lastConnectError: { number: number; description: string } | null;
}

/** An Always On availability group. */
export class AvailabilityGroup extends MssqlResource {
  /** Group name. */
  declare readonly name: pulumi.Output<string>;
  /** `CLUSTER_TYPE`. */
  declare readonly clusterType: pulumi.Output<string>;
  /** `sys.availability_groups.group_id`: changes only if the group is dropped and created again. */
  declare readonly groupId: pulumi.Output<string>;
  /** `@@SERVERNAME` of the current primary (it changes only with a failover). */
  declare readonly primaryReplica: pulumi.Output<string>;
  /**
   * Each replica's health by server name, as the primary reported it at the last create, update
   * or refresh. Right after the group's create the secondaries have not joined yet (role null,
   * not connected): each {@link AvailabilityGroupJoin} reports its replica's health once joined,
   * and `pulumi refresh` brings this up to date. Only states, never LSNs, queues or timestamps.
   */
  declare readonly replicaHealth: pulumi.Output<Record<string, ReplicaHealthOutput>>;
  /** The group's databases, as the primary lists them. */
  declare readonly databases: pulumi.Output<string[]>;

  constructor(name: string, args: AvailabilityGroupArgs, opts?: pulumi.CustomResourceOptions) {
    const replicas = args.replicas ?? [];
    super(
      "AvailabilityGroup",
      name,
      {
        name: args.name,
        clusterType: args.clusterType,
        replicas: replicas.map((r) => ({
          serverName: r.serverName,
          endpointUrl: r.endpointUrl,
          availabilityMode: r.availabilityMode,
          failoverMode: r.failoverMode,
          seedingMode: r.seedingMode,
          backupPriority: r.backupPriority,
          secondaryRole: r.secondaryRole,
          primaryRole: r.primaryRole,
          sessionTimeoutSeconds: r.sessionTimeoutSeconds,
        })),
        // Connections apart from the settings, so a replica's settings stay readable in diffs.
        replicaConnections: replicas.map((r) => connectionInput(r.connection)),
        automatedBackupPreference: args.automatedBackupPreference,
        failureConditionLevel: args.failureConditionLevel,
        healthCheckTimeoutMs: args.healthCheckTimeoutMs,
        dbFailover: args.dbFailover,
        dtcSupport: args.dtcSupport,
        requiredSynchronizedSecondariesToCommit: args.requiredSynchronizedSecondariesToCommit,
        allowReplacement: args.allowReplacement,
        groupId: undefined,
        primaryReplica: undefined,
        replicaHealth: undefined,
        databases: undefined,
      },
      opts,
      ["replicaConnections"],
    );
  }
}

/** A replica as kept in state (defaults applied by `check`; see {@link AvailabilityReplicaArgs}). A CONFIGURATION_ONLY replica keeps only the first three fields. */
export interface ReplicaProps {
  /** `@@SERVERNAME` of the replica's instance. */
  serverName: string;
  /** `ENDPOINT_URL`. */
  endpointUrl: string;
  /** `AVAILABILITY_MODE`. */
  availabilityMode: AvailabilityMode;
  /** `FAILOVER_MODE`. */
  failoverMode?: FailoverMode;
  /** `SEEDING_MODE`. */
  seedingMode?: SeedingMode;
  /** `BACKUP_PRIORITY`. */
  backupPriority?: number;
  /** `SECONDARY_ROLE (…)`. */
  secondaryRole?: { allowConnections: SecondaryAllowConnections; readOnlyRoutingUrl?: string };
  /** `PRIMARY_ROLE (…)`. */
  primaryRole?: { allowConnections: PrimaryAllowConnections };
  /** `SESSION_TIMEOUT`, seconds. */
  sessionTimeoutSeconds?: number;
}

/** The group's state as the provider sees it. */
type GroupProps = Record<string, unknown> & { name: string; clusterType: ClusterType; replicas: ReplicaProps[]; replicaConnections: ConnectionInputs[] };

const GROUP_OPTIONS = ["automatedBackupPreference", "failureConditionLevel", "healthCheckTimeoutMs", "dbFailover", "dtcSupport", "requiredSynchronizedSecondariesToCommit"] as const;
const DATA_OPTIONS = ["failoverMode", "seedingMode", "backupPriority", "secondaryRole", "primaryRole", "sessionTimeoutSeconds"] as const;

const plainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Checks and normalizes one replica's settings; failures are named `replicas[i].<field>`. */
function checkReplica(raw: unknown, i: number, clusterType: unknown, failures: CheckFailure[]): unknown {
  const at = `replicas[${i}]`;
  if (isUnknown(raw) && !plainObject(raw)) return raw;
  if (!plainObject(raw)) {
    failures.push({ property: at, reason: "must be an object: { connection, serverName, endpointUrl, … }" });
    return raw;
  }
  const c = new Checker(raw);
  const serverName = c.sysname("serverName", { required: true });
  const endpointUrl = raw.endpointUrl;
  if (endpointUrl === undefined || endpointUrl === null) c.fail("endpointUrl", "is required: TCP://host:port of the replica's endpoint");
  else if (!isUnknown(endpointUrl)) {
    const reason = validateTcpUrl(endpointUrl);
    if (reason) c.fail("endpointUrl", reason);
  }
  const availabilityMode = c.oneOf("availabilityMode", AVAILABILITY_MODES, "SYNCHRONOUS_COMMIT");
  const prefix = (f: CheckFailure) => failures.push({ property: `${at}.${f.property}`, reason: f.reason });
  if (availabilityMode === "CONFIGURATION_ONLY") {
    c.failures.forEach(prefix);
    return { serverName, endpointUrl, availabilityMode };
  }
  const known = typeof clusterType === "string" && (CLUSTER_TYPES as readonly string[]).includes(clusterType);
  const failoverMode = c.oneOf("failoverMode", FAILOVER_MODES, known ? failoverModeFor(clusterType as ClusterType) : undefined);
  const seedingMode = c.oneOf("seedingMode", SEEDING_MODES, REPLICA_DEFAULTS.seedingMode);
  const backupPriority = raw.backupPriority ?? REPLICA_DEFAULTS.backupPriority;
  const sessionTimeoutSeconds = raw.sessionTimeoutSeconds ?? REPLICA_DEFAULTS.sessionTimeout;
  const secondary = plainObject(raw.secondaryRole) ? raw.secondaryRole : {};
  const s = new Checker(secondary);
  const secondaryRole = {
    allowConnections: s.oneOf("allowConnections", SECONDARY_ALLOW_CONNECTIONS, REPLICA_DEFAULTS.secondaryAllowConnections),
    ...(secondary.readOnlyRoutingUrl !== undefined && secondary.readOnlyRoutingUrl !== null ? { readOnlyRoutingUrl: secondary.readOnlyRoutingUrl } : {}),
  };
  const primary = plainObject(raw.primaryRole) ? raw.primaryRole : {};
  const p = new Checker(primary);
  const primaryRole = { allowConnections: p.oneOf("allowConnections", PRIMARY_ALLOW_CONNECTIONS, REPLICA_DEFAULTS.primaryAllowConnections) };
  c.failures.forEach(prefix);
  s.failures.forEach((f) => failures.push({ property: `${at}.secondaryRole.${f.property}`, reason: f.reason }));
  p.failures.forEach((f) => failures.push({ property: `${at}.primaryRole.${f.property}`, reason: f.reason }));
  return { serverName, endpointUrl, availabilityMode, failoverMode, seedingMode, backupPriority, secondaryRole, primaryRole, sessionTimeoutSeconds };
}

/** The rules' view of a replica as the program gave it (unknown values left out, so they are not judged). */
function ruleInput(raw: Record<string, unknown>, normalized: Record<string, unknown>): ReplicaRuleInput {
  const known = (v: unknown) => (isUnknown(v) ? undefined : v);
  const mode = known(normalized.availabilityMode);
  const explicit = DATA_OPTIONS.filter((o) => raw[o] !== undefined && raw[o] !== null);
  return {
    serverName: known(normalized.serverName) as string | undefined,
    endpointUrl: known(normalized.endpointUrl) as string | undefined,
    // An unknown mode or failover mode is judged as the least demanding value.
    availabilityMode: ((AVAILABILITY_MODES as readonly unknown[]).includes(mode) ? mode : "ASYNCHRONOUS_COMMIT") as AvailabilityMode,
    failoverMode: ((FAILOVER_MODES as readonly unknown[]).includes(known(normalized.failoverMode)) ? normalized.failoverMode : "MANUAL") as FailoverMode,
    explicitOptions: mode === "CONFIGURATION_ONLY" ? explicit : [],
    sessionTimeout: known(normalized.sessionTimeoutSeconds) as number | undefined,
    backupPriority: known(normalized.backupPriority) as number | undefined,
    readOnlyRoutingUrl: known((normalized.secondaryRole as Record<string, unknown> | undefined)?.readOnlyRoutingUrl) as string | undefined,
  };
}

/** The rules' failures already reported by the per-field checks (same property): not repeated. */
function ruleFailures(group: GroupRuleInput, failures: CheckFailure[]): void {
  const seen = new Set(failures.map((f) => f.property));
  for (const problem of availabilityGroupProblems(group)) {
    if (problem.property.endsWith(".endpointUrl") && seen.has(problem.property) && problem.reason.startsWith("must be a URL")) continue;
    failures.push(problem);
  }
}

const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
const byServerName = (replicas: unknown) => new Map((Array.isArray(replicas) ? (replicas as ReplicaProps[]) : []).map((r) => [lower(r?.serverName) as string, r]));

/** Whether two replica lists describe the same configuration (order, name and URL case aside; a routing URL left out is no opinion). */
function sameReplicas(olds: unknown, news: unknown): boolean {
  const o = byServerName(olds);
  const n = byServerName(news);
  if (o.size !== n.size) return false;
  for (const [key, want] of n) {
    const have = o.get(key);
    if (have === undefined || isUnknown(want)) return false;
    if (lower(have.endpointUrl) !== lower(want.endpointUrl) || have.availabilityMode !== want.availabilityMode) return false;
    if (want.availabilityMode === "CONFIGURATION_ONLY") continue;
    for (const k of ["failoverMode", "seedingMode", "backupPriority", "sessionTimeoutSeconds"] as const) if (have[k] !== want[k]) return false;
    if (have.secondaryRole?.allowConnections !== want.secondaryRole?.allowConnections) return false;
    const route = want.secondaryRole?.readOnlyRoutingUrl;
    if (route !== undefined && lower(route) !== lower(have.secondaryRole?.readOnlyRoutingUrl)) return false;
    if (have.primaryRole?.allowConnections !== want.primaryRole?.allowConnections) return false;
  }
  return true;
}

/** Group options the program sets that differ from state (an option left out is no opinion). */
function changedOptions(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return GROUP_OPTIONS.filter((k) => news[k] !== undefined && news[k] !== olds[k]);
}

/** The SQL layer's spec of the group the inputs describe. */
export function groupSpecOf(inputs: GroupProps): AvailabilityGroupSpec {
  const opt = <T>(k: string) => (inputs[k] === undefined || inputs[k] === null ? {} : ({ [k]: inputs[k] } as T));
  return {
    name: inputs.name,
    clusterType: inputs.clusterType,
    replicas: inputs.replicas.map(
      (r): ReplicaSpec => ({
        serverName: r.serverName,
        endpointUrl: r.endpointUrl,
        availabilityMode: r.availabilityMode,
        ...(r.availabilityMode === "CONFIGURATION_ONLY"
          ? {}
          : {
              failoverMode: r.failoverMode,
              seedingMode: r.seedingMode,
              backupPriority: r.backupPriority,
              secondaryAllowConnections: r.secondaryRole?.allowConnections,
              ...(r.secondaryRole?.readOnlyRoutingUrl !== undefined ? { readOnlyRoutingUrl: r.secondaryRole.readOnlyRoutingUrl } : {}),
              primaryAllowConnections: r.primaryRole?.allowConnections,
              sessionTimeout: r.sessionTimeoutSeconds,
            }),
      }),
    ),
    ...opt<{ automatedBackupPreference: AutomatedBackupPreference }>("automatedBackupPreference"),
    ...opt<{ failureConditionLevel: number }>("failureConditionLevel"),
    ...(inputs.healthCheckTimeoutMs === undefined || inputs.healthCheckTimeoutMs === null ? {} : { healthCheckTimeout: inputs.healthCheckTimeoutMs as number }),
    ...opt<{ dbFailover: boolean }>("dbFailover"),
    ...opt<{ dtcSupport: boolean }>("dtcSupport"),
    ...opt<{ requiredSynchronizedSecondariesToCommit: number }>("requiredSynchronizedSecondariesToCommit"),
  };
}

/** A replica as the catalog describes it, in the shape of {@link ReplicaProps}. */
function replicaPropsOf(record: AvailabilityGroupRecord["replicas"][number]): ReplicaProps {
  if (record.availabilityMode === "CONFIGURATION_ONLY") {
    return { serverName: record.serverName, endpointUrl: record.endpointUrl ?? "", availabilityMode: record.availabilityMode };
  }
  return {
    serverName: record.serverName,
    endpointUrl: record.endpointUrl ?? "",
    availabilityMode: record.availabilityMode,
    failoverMode: record.failoverMode,
    seedingMode: record.seedingMode,
    backupPriority: record.backupPriority,
    secondaryRole: { allowConnections: record.secondaryAllowConnections, ...(record.readOnlyRoutingUrl !== null ? { readOnlyRoutingUrl: record.readOnlyRoutingUrl } : {}) },
    primaryRole: { allowConnections: record.primaryAllowConnections },
    sessionTimeoutSeconds: record.sessionTimeout,
  };
}

/** The outputs: the inputs, then what the primary's catalog says (replicas in the declared order, extra ones after). */
function outputs(inputs: GroupProps, record: AvailabilityGroupRecord, primaryServerName: string): Record<string, unknown> {
  const declared = inputs.replicas.map((r) => lower(r.serverName));
  const replicas = [...record.replicas].sort((a, b) => {
    const ia = declared.indexOf(lower(a.serverName));
    const ib = declared.indexOf(lower(b.serverName));
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
  });
  return {
    ...withoutProvider(inputs),
    name: record.name,
    clusterType: record.clusterType,
    replicas: replicas.map(replicaPropsOf),
    automatedBackupPreference: record.automatedBackupPreference,
    failureConditionLevel: record.failureConditionLevel,
    healthCheckTimeoutMs: record.healthCheckTimeout,
    dbFailover: record.dbFailover,
    dtcSupport: record.dtcSupport,
    // With EXTERNAL the cluster resource owns it; showing its value would only invite a diff.
    ...(record.clusterType === "EXTERNAL" ? {} : { requiredSynchronizedSecondariesToCommit: record.requiredSynchronizedSecondariesToCommit }),
    groupId: record.groupId,
    primaryReplica: record.primaryReplica ?? primaryServerName,
    replicaHealth: replicaHealthOf(record),
    databases: record.databases,
  };
}

/**
 * Before anything is created: every replica's instance has Always On enabled, a STARTED mirroring
 * endpoint, the declared `@@SERVERNAME`, and (unless this is a resumed create) no leftover group of
 * this name on a secondary. One request per replica, at once; every problem reported together.
 */
async function checkReadiness(inputs: GroupProps, resumed: boolean): Promise<void> {
  const clients = clientsFor(inputs.replicaConnections);
  const readiness = await Promise.all(clients.map((client) => readHadrReadiness(client, inputs.name)));
  const problems: string[] = [];
  readiness.forEach((r, i) => {
    const declared = inputs.replicas[i]!.serverName;
    const where = `replicas[${i}] ('${declared}', ${clients[i]!.target})`;
    if (!r.hadrEnabled) {
      problems.push(`${where}: Always On availability groups are not enabled (SERVERPROPERTY('IsHadrEnabled') is 0): on Linux run mssql-conf set hadr.hadrenabled 1 and restart SQL Server`);
    }
    if (r.serverName === null || r.serverName.toLowerCase() !== declared.toLowerCase()) {
      problems.push(`${where}: the instance's @@SERVERNAME is ${r.serverName === null ? "NULL" : `'${r.serverName}'`}; SQL Server names replicas by it, so declare serverName: ${JSON.stringify(r.serverName ?? "<its name>")} (ServerName reads it)`);
    }
    if (!r.endpointStarted) problems.push(`${where}: the instance has no STARTED DATABASE_MIRRORING endpoint; replicas connect only through one (MirroringEndpoint)`);
    if (i > 0 && r.groupExists && !resumed) {
      problems.push(`${where}: the instance already has an availability group named [${inputs.name}] (left over from an earlier one?): drop it there first (DROP AVAILABILITY GROUP)`);
    }
  });
  if (problems.length > 0) {
    throw conflictError({ operation: "create", objectType: "availability group", objectName: inputs.name, target: clients[0]!.target }, "ENOTREADY", problems.join("; "));
  }
}

/** Creates the group on the first replica (kept in state as pending when the outcome is unknown). */
async function createGroup(id: string, inputs: GroupProps, resumed: boolean): Promise<Record<string, unknown>> {
  const client = clientFor(inputs.replicaConnections[0]!);
  const spec = groupSpecOf(inputs);
  const grantCreateAnyDatabase = spec.replicas.some((r) => r.availabilityMode !== "CONFIGURATION_ONLY" && (r.seedingMode ?? "AUTOMATIC") === "AUTOMATIC");
  await checkReadiness(inputs, resumed);
  return createKeepingPending(id, { ...inputs }, async () => {
    const { record, existedBefore } = await createAvailabilityGroup(client, spec, { resumed, grantCreateAnyDatabase });
    if (existedBefore) {
      throw new ObjectExistsError("availability group", inputs.name, client.target, "drop it, or choose another name (an existing group is not taken over)");
    }
    return outputs(inputs, record, inputs.replicas[0]!.serverName);
  });
}

/** The primary now, and the group as it reads it; undefined when no replica knows the group. */
async function primaryAndGroup(props: GroupProps): Promise<{ primary: DiscoveredPrimary; record: AvailabilityGroupRecord } | undefined> {
  const primary = await findPrimary(
    props.replicaConnections,
    props.name,
    props.replicas.map((r) => r.serverName),
    props.primaryReplica,
  );
  if (primary === undefined) return undefined;
  const record = await readAvailabilityGroup(primary.client, props.name);
  return record === undefined ? undefined : { primary, record };
}

const isCode = (error: unknown, code: string) => error instanceof SqlServerError && error.code === code;

/** The provider behind {@link AvailabilityGroup}. */
export const availabilityGroupProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    const c = new Checker(news);
    const name = c.sysname("name", { required: true });
    const clusterType = c.oneOf("clusterType", CLUSTER_TYPES, "NONE");
    const automatedBackupPreference = c.oneOf("automatedBackupPreference", AUTOMATED_BACKUP_PREFERENCES, undefined);
    const allowReplacement = c.boolean("allowReplacement", false);
    for (const key of ["dbFailover", "dtcSupport"] as const) {
      const v = news[key];
      if (v !== undefined && v !== null && !isUnknown(v) && typeof v !== "boolean") c.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    }
    const failures = c.failures;
    const rawReplicas = news.replicas;
    let replicas: unknown = rawReplicas;
    if (!isUnknown(rawReplicas) || Array.isArray(rawReplicas)) {
      if (!Array.isArray(rawReplicas) || rawReplicas.length === 0) {
        failures.push({ property: "replicas", reason: "is required: the replicas, the first one being where the group is created" });
      } else {
        replicas = rawReplicas.map((r, i) => checkReplica(r, i, clusterType, failures));
        const list = replicas as unknown[];
        if (!isUnknown(clusterType) && list.every((r) => plainObject(r))) {
          ruleFailures(
            {
              clusterType: clusterType as ClusterType,
              replicas: list.map((r, i) => ruleInput(rawReplicas[i] as Record<string, unknown>, r as Record<string, unknown>)),
              requiredSynchronizedSecondariesToCommit: isUnknown(news.requiredSynchronizedSecondariesToCommit) ? undefined : (news.requiredSynchronizedSecondariesToCommit as number | undefined) ?? undefined,
              failureConditionLevel: isUnknown(news.failureConditionLevel) ? undefined : (news.failureConditionLevel as number | undefined) ?? undefined,
              healthCheckTimeout: isUnknown(news.healthCheckTimeoutMs) ? undefined : (news.healthCheckTimeoutMs as number | undefined) ?? undefined,
            },
            failures,
          );
        }
      }
    }
    const replicaConnections = checkConnectionList(news.replicaConnections, (i) => `replicas[${i}]`, failures, "replicas");
    if (Array.isArray(rawReplicas) && Array.isArray(replicaConnections) && replicaConnections.length !== rawReplicas.length) {
      failures.push({ property: "replicas", reason: "every replica needs its connection" });
    }
    // What cannot change in place fails here, at preview, unless a replacement is allowed.
    if (olds !== undefined && olds !== null && Object.keys(olds).length > 0 && allowReplacement !== true) {
      for (const key of ["name", "clusterType"] as const) {
        const was = olds[key];
        const now = key === "name" ? name : clusterType;
        if (was !== undefined && !isUnknown(was) && !isUnknown(now) && now !== was) {
          failures.push({
            property: key,
            reason:
              `changing it (${JSON.stringify(was)} → ${JSON.stringify(now)}) replaces the group: DROP AVAILABILITY GROUP on every replica, then CREATE ` +
              "(its databases leave the group and secondary copies fall to RESTORING until added again); set allowReplacement: true to do that",
          });
        }
      }
    }
    if (olds !== undefined && olds !== null && Array.isArray(replicas)) {
      const before = byServerName(olds.replicas);
      (replicas as ReplicaProps[]).forEach((r, i) => {
        const was = plainObject(r) ? before.get(lower(r.serverName) as string) : undefined;
        if (was === undefined || isUnknown(r.availabilityMode)) return;
        if ((was.availabilityMode === "CONFIGURATION_ONLY") !== (r.availabilityMode === "CONFIGURATION_ONLY")) {
          failures.push({
            property: `replicas[${i}].availabilityMode`,
            reason: `cannot change from ${was.availabilityMode} to ${r.availabilityMode}: SQL Server cannot alter a CONFIGURATION_ONLY replica; remove the replica in one update and add it back in the next`,
          });
        }
      });
    }
    return {
      inputs: defined({
        ...news,
        name,
        clusterType,
        replicas,
        replicaConnections: replicaConnections ?? news.replicaConnections,
        allowReplacement,
        ...(automatedBackupPreference !== undefined ? { automatedBackupPreference } : {}),
      }),
      failures,
    };
  },

  async diff(_id, olds, news) {
    const replaces = (["name", "clusterType"] as const).filter((k) => news[k] !== olds[k]);
    const updates: string[] = [];
    if (!sameReplicas(olds.replicas, news.replicas)) updates.push("replicas");
    updates.push(...changedOptions(olds, news));
    const connections = connectionListChanges(olds.replicaConnections, news.replicaConnections);
    if (connections.instances || connections.settings || isUnknown(news.replicaConnections)) updates.push("replicaConnections");
    if (olds[CREATE_PENDING] === true) updates.push(CREATE_PENDING);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs) {
    const props = inputs as GroupProps;
    const id = objectId(props.replicaConnections[0]!, "availability-group", props.name);
    return { id, outs: await createGroup(id, props, false) };
  },

  async read(id, props) {
    const state = props as GroupProps;
    let found: Awaited<ReturnType<typeof primaryAndGroup>>;
    try {
      found = await primaryAndGroup(state);
    } catch (error) {
      // Left only on secondaries (dropped on its primary out of band): the group is gone.
      if (isCode(error, "ENOPRIMARY")) return GONE;
      throw error;
    }
    if (found === undefined) return GONE;
    const outs = outputs(state, found.record, found.primary.replica.serverName);
    const keys = ["name", "clusterType", "replicas", "replicaConnections", ...GROUP_OPTIONS, "allowReplacement"];
    return { id, props: outs, inputs: refreshedInputs(outs as unknown as Props, keys) };
  },

  async update(id, olds, news) {
    const before = olds as GroupProps;
    const wanted = news as GroupProps;
    if (before[CREATE_PENDING] === true) return { outs: await createGroup(id, wanted, true) };
    if (sameReplicas(before.replicas, wanted.replicas) && changedOptions(before, wanted).length === 0) {
      // Only connections changed: nothing for SQL Server to do.
      const kept = Object.fromEntries(["groupId", "primaryReplica", "replicaHealth", "databases", ...GROUP_OPTIONS].map((k) => [k, wanted[k] ?? before[k]]));
      return { outs: { ...withoutProvider(wanted), ...kept, replicas: wanted.replicas } };
    }
    const found = await primaryAndGroup({ ...wanted, primaryReplica: before.primaryReplica });
    if (found === undefined) {
      throw new Error(`availability group [${wanted.name}] no longer exists on any of its replicas; run pulumi refresh, then pulumi up to create it again`);
    }
    const result = await alterAvailabilityGroup(found.primary.client, found.record, groupSpecOf(wanted));
    for (const serverName of result.removed) {
      await warn(
        `availability group [${wanted.name}]: replica '${serverName}' was removed; its copies of the group's databases (${found.record.databases.join(", ") || "none"}) stay RESTORING there, never dropped`,
      );
    }
    return { outs: outputs(wanted, result.record, found.primary.replica.serverName) };
  },

  async delete(_id, props) {
    const state = props as GroupProps;
    const clients = clientsFor(state.replicaConnections);
    if (state[CREATE_PENDING] === true) {
      // A pending create's group is dropped only if it is the one this resource would have made.
      const record = await readAvailabilityGroup(clients[0]!, state.name);
      if (record === undefined || record.clusterType !== state.clusterType) return;
    }
    let found: Awaited<ReturnType<typeof primaryAndGroup>>;
    try {
      found = await primaryAndGroup(state);
    } catch (error) {
      // No primary anywhere (dropped there out of band): only leftovers on secondaries to clear.
      if (!isCode(error, "ENOPRIMARY")) throw error;
      found = undefined;
    }
    // NONE / EXTERNAL: the group lives in each replica's master, so it is dropped on every replica, the primary first.
    if (found !== undefined) await dropAvailabilityGroup(found.primary.client, state.name);
    const others = clients.filter((_, i) => found === undefined || i !== found.primary.index);
    const failures = (await Promise.allSettled(others.map((client) => dropAvailabilityGroup(client, state.name))))
      .map((r, i) => (r.status === "rejected" ? `${others[i]!.target}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}` : undefined))
      .filter((f): f is string => f !== undefined);
    if (found !== undefined && found.record.databases.length > 0) {
      const secondaries = found.record.replicas.filter((r) => r.serverName.toLowerCase() !== found!.primary.replica.serverName.toLowerCase() && r.availabilityMode !== "CONFIGURATION_ONLY");
      await warn(
        `availability group [${state.name}] was dropped: its databases (${found.record.databases.join(", ")}) stay ONLINE on '${found.primary.replica.serverName}'` +
          (secondaries.length > 0 ? `; their copies on ${secondaries.map((r) => `'${r.serverName}'`).join(", ")} stay RESTORING, never dropped or recovered` : ""),
      );
    }
    if (failures.length > 0) {
      throw new Error(`availability group [${state.name}] could not be dropped on every replica (run pulumi destroy again once they are reachable): ${failures.join("; ")}`);
    }
  },
};

