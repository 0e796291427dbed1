/**
 * Runs CREATE / ALTER / DROP AVAILABILITY GROUP and ALTER DATABASE … SET HADR with the rules of
 * Microsoft's pages ("CREATE AVAILABILITY GROUP", "ALTER AVAILABILITY GROUP", "DROP AVAILABILITY
 * GROUP", "ALTER DATABASE … SET HADR") and the errors of "Database engine events and errors 31000 to
 * 41399". Catalog changes go through the statement's journal; what a change does to databases runs
 * when it commits. The hadr/ layer sees the result after the commit (Engine.onCommitted) and carries
 * it to the other replicas.
 */
import { randomUUID } from "node:crypto";
import type { Statement } from "../ast";
import { sameName } from "../collation";
import type { ExecContext } from "../context";
import { fail, notFound } from "../errors";
import type { AlterGroupAction, AvailabilityGroupStatementBody, GroupOptions, ReplicaSpec } from "./ast";
import type { AvailabilityGroupLayer } from "./layer";
import type { ClusterType, GroupConfig, GroupRecord, ReplicaConfig } from "./model";

/** Most replicas of a group: a primary and eight secondaries ("What is an Always On availability group?"). */
export const MAX_REPLICAS = 9;
/** Most synchronous-commit replicas, the primary included (SQL Server 2019 and later). */
export const MAX_SYNCHRONOUS_REPLICAS = 5;
/** Most automatic failover targets (SQL Server 2019 and later); none without a cluster manager (an assumption: NONE has nothing that fails over). */
export const MAX_AUTOMATIC_FAILOVER = 5;
/** Shortest SESSION_TIMEOUT, seconds (35214). */
export const MIN_SESSION_TIMEOUT = 5;
/** Shortest HEALTH_CHECK_TIMEOUT, milliseconds (35229). */
export const MIN_HEALTH_CHECK_TIMEOUT = 15000;

const SYSTEM_DATABASES = ["master", "model", "msdb", "tempdb"];
const URL = /^tcp:\/\/(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?):(\d{1,5})$/i;

const newGuid = () => randomUUID().toUpperCase();

function layerOf(ctx: ExecContext): AvailabilityGroupLayer {
  const layer = ctx.instance.availabilityGroups;
  if (!layer) throw new Error("the engine was opened without an availability-group layer");
  return layer;
}

/** The checks every availability-group statement starts with: Always On enabled (35221), no user transaction (226), master (35208). */
function common(ctx: ExecContext, what: string): AvailabilityGroupLayer {
  const layer = layerOf(ctx);
  if (!layer.enabled) fail(35221);
  if (ctx.session.trancount > 0) fail(226, what);
  return layer;
}

/** Runs one availability-group statement. */
export function executeAvailabilityGroupStatement(ctx: ExecContext, s: Statement & AvailabilityGroupStatementBody): void {
  switch (s.kind) {
    case "createAvailabilityGroup": {
      const layer = common(ctx, "CREATE AVAILABILITY GROUP");
      if (ctx.session.database !== "master") fail(35208);
      createGroup(ctx, layer, s);
      return;
    }
    case "alterAvailabilityGroup": {
      const layer = common(ctx, "ALTER AVAILABILITY GROUP");
      if (ctx.session.database !== "master") fail(35208);
      alterGroup(ctx, layer, s.name, s);
      return;
    }
    case "dropAvailabilityGroup": {
      const layer = common(ctx, "DROP AVAILABILITY GROUP");
      if (ctx.session.database !== "master") fail(35208);
      const g = layer.byName(s.name) ?? notFound("drop", "availability group", s.name);
      ctx.journal.onCommit(() => layer.removeLocal(g));
      markChanged(ctx);
      return;
    }
    case "alterDatabaseHadr": {
      const layer = common(ctx, "ALTER DATABASE");
      setHadr(ctx, layer, s.database, s.group);
      return;
    }
  }
}

/** The catalog changes with the statement (so the session persists master.json and notifies the network layer). */
function markChanged(ctx: ExecContext): void {
  const state = ctx.catalog.state;
  if (!state.availabilityGroups) ctx.journal.assign(state, "availabilityGroups", []);
  else ctx.journal.assign(state, "availabilityGroups", state.availabilityGroups);
}

function groupList(ctx: ExecContext): GroupRecord[] {
  markChanged(ctx);
  return ctx.catalog.state.availabilityGroups!;
}

function validUrl(url: string): boolean {
  const m = URL.exec(url);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/** A replica from its WITH options, after the per-replica rules (35236, 35232, 35209, 35214, 35211, the cluster type's failover mode). */
function buildReplica(ctx: ExecContext, spec: ReplicaSpec, clusterType: ClusterType, operation: string): ReplicaConfig {
  const o = spec.options;
  if (o.endpointUrl === undefined) fail(35236, spec.serverName);
  if (!validUrl(o.endpointUrl)) fail(35232, o.endpointUrl);
  // AVAILABILITY_MODE is required, and FAILOVER_MODE for every replica that holds data (the grammar's
  // "required" options): their absence is refused like any incomplete clause (an assumption: 102).
  if (o.availabilityMode === undefined) fail(102, ")");
  const configurationOnly = o.availabilityMode === "CONFIGURATION_ONLY";
  if (configurationOnly) {
    if (clusterType === "WSFC") fail(50000, "AVAILABILITY_MODE = CONFIGURATION_ONLY with CLUSTER_TYPE = WSFC");
    const extra = o.written.filter((w) => w !== "ENDPOINT_URL" && w !== "AVAILABILITY_MODE");
    if (extra.length > 0) fail(50000, `${extra[0]} on a CONFIGURATION_ONLY replica`);
  } else if (o.failoverMode === undefined) fail(102, ")");
  const failoverMode = o.failoverMode ?? "MANUAL";
  if (!configurationOnly) checkReplicaValues(spec.serverName, { ...o, failoverMode, availabilityMode: o.availabilityMode }, clusterType, operation);
  const now = ctx.instance.now();
  return {
    id: newGuid(),
    serverName: spec.serverName,
    endpointUrl: o.endpointUrl,
    availabilityMode: o.availabilityMode,
    failoverMode: configurationOnly ? "MANUAL" : failoverMode,
    seedingMode: o.seedingMode ?? "MANUAL",
    backupPriority: o.backupPriority ?? 50,
    sessionTimeout: o.sessionTimeout ?? 10,
    primaryAllowConnections: o.primaryAllowConnections ?? "ALL",
    secondaryAllowConnections: o.secondaryAllowConnections ?? "NO",
    readOnlyRoutingUrl: o.readOnlyRoutingUrl ?? null,
    readWriteRoutingUrl: o.readWriteRoutingUrl ?? null,
    createDate: now,
    modifyDate: now,
  };
}

function checkReplicaValues(
  serverName: string,
  o: { backupPriority?: number; sessionTimeout?: number; availabilityMode: string; failoverMode: string; readOnlyRoutingUrl?: string; readWriteRoutingUrl?: string },
  clusterType: ClusterType,
  operation: string,
): void {
  if (o.backupPriority !== undefined && (o.backupPriority < 0 || o.backupPriority > 100)) fail(35209, operation, serverName, 0, 100);
  if (o.sessionTimeout !== undefined && o.sessionTimeout < MIN_SESSION_TIMEOUT) fail(35214, operation, serverName, MIN_SESSION_TIMEOUT);
  if (o.readOnlyRoutingUrl !== undefined && !validUrl(o.readOnlyRoutingUrl)) fail(35232, o.readOnlyRoutingUrl);
  if (o.readWriteRoutingUrl !== undefined && !validUrl(o.readWriteRoutingUrl)) fail(35232, o.readWriteRoutingUrl);
  if (o.availabilityMode === "CONFIGURATION_ONLY") return;
  if (o.failoverMode === "AUTOMATIC" && o.availabilityMode !== "SYNCHRONOUS_COMMIT") fail(35211, operation, serverName);
  // FAILOVER_MODE = EXTERNAL belongs to CLUSTER_TYPE = EXTERNAL, which takes no other ("CREATE AVAILABILITY GROUP", FAILOVER_MODE).
  if ((o.failoverMode === "EXTERNAL") !== (clusterType === "EXTERNAL")) {
    fail(50000, `FAILOVER_MODE = ${o.failoverMode} with CLUSTER_TYPE = ${clusterType}`);
  }
}

/** The group-wide limits on a whole replica list (35212, 35213). */
function checkReplicaLimits(replicas: ReplicaConfig[], clusterType: ClusterType, name: string, operation: string): void {
  const synchronous = replicas.filter((r) => r.availabilityMode === "SYNCHRONOUS_COMMIT").length;
  if (synchronous > MAX_SYNCHRONOUS_REPLICAS) fail(35212, operation, MAX_SYNCHRONOUS_REPLICAS, name);
  const automatic = replicas.filter((r) => r.availabilityMode !== "CONFIGURATION_ONLY" && r.failoverMode === "AUTOMATIC").length;
  const limit = clusterType === "NONE" ? 0 : MAX_AUTOMATIC_FAILOVER;
  if (automatic > limit) fail(35213, operation, limit, name);
}

function applyGroupOptions(config: Pick<GroupConfig, "name" | "automatedBackupPreference" | "failureConditionLevel" | "healthCheckTimeout" | "dbFailover" | "dtcSupport" | "requiredSynchronizedSecondariesToCommit">, o: GroupOptions): void {
  if (o.failureConditionLevel !== undefined && (o.failureConditionLevel < 1 || o.failureConditionLevel > 5)) fail(35228, config.name, 1, 5);
  if (o.healthCheckTimeout !== undefined && o.healthCheckTimeout < MIN_HEALTH_CHECK_TIMEOUT) fail(35229, config.name, MIN_HEALTH_CHECK_TIMEOUT);
  if (o.automatedBackupPreference !== undefined) config.automatedBackupPreference = o.automatedBackupPreference;
  if (o.failureConditionLevel !== undefined) config.failureConditionLevel = o.failureConditionLevel;
  if (o.healthCheckTimeout !== undefined) config.healthCheckTimeout = o.healthCheckTimeout;
  if (o.dbFailover !== undefined) config.dbFailover = o.dbFailover;
  if (o.dtcSupport !== undefined) config.dtcSupport = o.dtcSupport;
  if (o.requiredSynchronizedSecondariesToCommit !== undefined) config.requiredSynchronizedSecondariesToCommit = o.requiredSynchronizedSecondariesToCommit;
}

/** The checks a database passes before a group takes it (35249, 35238, 35280, 35244). */
function checkDatabaseForGroup(ctx: ExecContext, layer: AvailabilityGroupLayer, name: string, group: string, groupId: string | undefined): string {
  if (SYSTEM_DATABASES.includes(name.toLowerCase())) fail(35249, name);
  const db = ctx.instance.databases.byName(name);
  if (!db) fail(35238, name, group);
  for (const g of layer.list()) {
    if (g.config.databases.some((d) => sameName(d.name, db.name))) fail(g.config.id === groupId ? 35280 : 35244, db.name, group);
  }
  return db.name;
}

function createGroup(ctx: ExecContext, layer: AvailabilityGroupLayer, s: { name: string; options: GroupOptions; databases: string[]; replicas: ReplicaSpec[] }): void {
  const operation = "CREATE AVAILABILITY GROUP";
  if (layer.byName(s.name)) fail(41106, s.name);
  const clusterType = s.options.clusterType ?? "WSFC";
  // There is no Windows Server Failover Cluster here: WSFC (the default) fails as on a server that is not a cluster node.
  if (clusterType === "WSFC") fail(35220);
  if (s.replicas.length > MAX_REPLICAS) fail(35233, s.replicas.length, "", MAX_REPLICAS);
  const seen = new Set<string>();
  for (const r of s.replicas) {
    if (seen.has(r.serverName.toLowerCase())) fail(35235, r.serverName);
    seen.add(r.serverName.toLowerCase());
  }
  const localSpec = s.replicas.find((r) => sameName(r.serverName, ctx.instance.serverName));
  if (!localSpec) fail(35237, s.name);
  const replicas = s.replicas.map((r) => buildReplica(ctx, r, clusterType, operation));
  const local = replicas[s.replicas.indexOf(localSpec)]!;
  if (local.availabilityMode === "CONFIGURATION_ONLY") fail(50000, "a CONFIGURATION_ONLY replica as the initial primary");
  checkReplicaLimits(replicas, clusterType, s.name, operation);
  const names = new Set<string>();
  for (const d of s.databases) {
    if (names.has(d.toLowerCase())) fail(35234, d);
    names.add(d.toLowerCase());
  }
  const config: GroupConfig = {
    id: newGuid(),
    name: s.name,
    clusterType,
    automatedBackupPreference: "SECONDARY",
    failureConditionLevel: 3,
    healthCheckTimeout: 30000,
    dbFailover: false,
    dtcSupport: false,
    requiredSynchronizedSecondariesToCommit: 0,
    replicas,
    databases: [],
    primaryReplicaId: local.id,
    sequence: 1,
  };
  applyGroupOptions(config, s.options);
  for (const d of s.databases) config.databases.push({ name: checkDatabaseForGroup(ctx, layer, d, s.name, config.id), groupDatabaseId: newGuid() });
  const record: GroupRecord = { config, localReplicaId: local.id, joined: true, createAnyDatabase: false };
  ctx.journal.insert(groupList(ctx), record);
  ctx.journal.onCommit(() => layer.refreshLocalDatabasesAfterAdd(record));
}

function requirePrimary(layer: AvailabilityGroupLayer, g: GroupRecord): void {
  if (!layer.isPrimary(g)) fail(41140, g.config.name);
}

/** A configuration change on the primary: a new sequence number, so every replica takes it. */
function bump(ctx: ExecContext, g: GroupRecord, change: (config: GroupConfig) => void): void {
  const next: GroupConfig = { ...g.config, replicas: g.config.replicas.map((r) => ({ ...r })), databases: g.config.databases.map((d) => ({ ...d })) };
  change(next);
  next.sequence = g.config.sequence + 1;
  markChanged(ctx);
  ctx.journal.assign(g, "config", next);
}

function alterGroup(ctx: ExecContext, layer: AvailabilityGroupLayer, name: string, a: AlterGroupAction): void {
  if (a.action === "join") return joinGroup(ctx, layer, name, a.clusterType);
  const g = layer.byName(name) ?? notFound("alter", "availability group", name);
  const groupName = g.config.name;
  switch (a.action) {
    case "grantCreateAnyDatabase":
    case "denyCreateAnyDatabase":
      markChanged(ctx);
      ctx.journal.assign(g, "createAnyDatabase", a.action === "grantCreateAnyDatabase");
      return;
    case "addDatabase": {
      requirePrimary(layer, g);
      const names = new Set<string>();
      for (const d of a.databases) {
        if (names.has(d.toLowerCase())) fail(35234, d);
        names.add(d.toLowerCase());
      }
      const added = a.databases.map((d) => ({ name: checkDatabaseForGroup(ctx, layer, d, groupName, g.config.id), groupDatabaseId: newGuid() }));
      bump(ctx, g, (c) => c.databases.push(...added));
      ctx.journal.onCommit(() => layer.refreshLocalDatabasesAfterAdd(g));
      return;
    }
    case "removeDatabase": {
      requirePrimary(layer, g);
      const d = g.config.databases.find((x) => sameName(x.name, a.database));
      if (!d) fail(35281, a.database, groupName);
      bump(ctx, g, (c) => (c.databases = c.databases.filter((x) => x !== c.databases.find((y) => y.groupDatabaseId === d.groupDatabaseId))));
      ctx.journal.onCommit(() => layer.leaveDatabase(d.name, d.groupDatabaseId, true));
      return;
    }
    case "addReplica": {
      requirePrimary(layer, g);
      const operation = "ALTER AVAILABILITY GROUP";
      if (g.config.replicas.length + a.replicas.length > MAX_REPLICAS) fail(35223, a.replicas.length, groupName, g.config.replicas.length, MAX_REPLICAS);
      const seen = new Set(g.config.replicas.map((r) => r.serverName.toLowerCase()));
      for (const r of a.replicas) {
        if (seen.has(r.serverName.toLowerCase())) fail(35282, r.serverName, groupName);
        seen.add(r.serverName.toLowerCase());
      }
      const added = a.replicas.map((r) => buildReplica(ctx, r, g.config.clusterType, operation));
      checkReplicaLimits([...g.config.replicas, ...added], g.config.clusterType, groupName, operation);
      bump(ctx, g, (c) => c.replicas.push(...added));
      return;
    }
    case "modifyReplica": {
      requirePrimary(layer, g);
      const current = g.config.replicas.find((r) => sameName(r.serverName, a.replica.serverName));
      if (!current) fail(35210, a.replica.serverName, groupName);
      const o = a.replica.options;
      const changed: ReplicaConfig = {
        ...current,
        endpointUrl: o.endpointUrl ?? current.endpointUrl,
        availabilityMode: o.availabilityMode ?? current.availabilityMode,
        failoverMode: o.failoverMode ?? current.failoverMode,
        seedingMode: o.seedingMode ?? current.seedingMode,
        backupPriority: o.backupPriority ?? current.backupPriority,
        sessionTimeout: o.sessionTimeout ?? current.sessionTimeout,
        primaryAllowConnections: o.primaryAllowConnections ?? current.primaryAllowConnections,
        secondaryAllowConnections: o.secondaryAllowConnections ?? current.secondaryAllowConnections,
        readOnlyRoutingUrl: o.readOnlyRoutingUrl ?? current.readOnlyRoutingUrl,
        readWriteRoutingUrl: o.readWriteRoutingUrl ?? current.readWriteRoutingUrl,
        modifyDate: ctx.instance.now(),
      };
      if ((current.availabilityMode === "CONFIGURATION_ONLY") !== (changed.availabilityMode === "CONFIGURATION_ONLY")) {
        fail(50000, "changing a replica to or from AVAILABILITY_MODE = CONFIGURATION_ONLY");
      }
      if (o.endpointUrl !== undefined && !validUrl(o.endpointUrl)) fail(35232, o.endpointUrl);
      checkReplicaValues(changed.serverName, { ...o, availabilityMode: changed.availabilityMode, failoverMode: changed.failoverMode }, g.config.clusterType, "ALTER AVAILABILITY GROUP");
      const replicas = g.config.replicas.map((r) => (r === current ? changed : r));
      checkReplicaLimits(replicas, g.config.clusterType, groupName, "ALTER AVAILABILITY GROUP");
      bump(ctx, g, (c) => (c.replicas = c.replicas.map((r) => (r.id === changed.id ? changed : r))));
      ctx.journal.onCommit(() => layer.refreshLocalDatabases(g));
      return;
    }
    case "removeReplica": {
      requirePrimary(layer, g);
      const current = g.config.replicas.find((r) => sameName(r.serverName, a.serverName));
      if (!current) fail(35283, a.serverName, groupName);
      if (current.id === g.localReplicaId) fail(35284, current.serverName, groupName);
      bump(ctx, g, (c) => (c.replicas = c.replicas.filter((r) => r.id !== current.id)));
      return;
    }
    case "set":
      requirePrimary(layer, g);
      bump(ctx, g, (c) => applyGroupOptions(c, a.options));
      return;
    case "failover":
    case "forceFailover":
      if (layer.isPrimary(g)) fail(41122, groupName);
      fail(50000, a.action === "failover" ? "ALTER AVAILABILITY GROUP … FAILOVER" : "ALTER AVAILABILITY GROUP … FORCE_FAILOVER_ALLOW_DATA_LOSS");
  }
}

/**
 * JOIN on a secondary: takes the configuration the primary offered over the endpoint connection
 * (the primary sends it as soon as it connects, and CREATE / ADD REPLICA wait for that); without
 * one the primary is not connected: 41158 naming 35250.
 */
function joinGroup(ctx: ExecContext, layer: AvailabilityGroupLayer, name: string, clusterType: ClusterType | undefined): void {
  const existing = layer.byName(name);
  if (existing) fail(41106, existing.config.name);
  const offer = layer.offer(name);
  const local = offer?.replicas.find((r) => sameName(r.serverName, ctx.instance.serverName));
  if (!offer || !local) fail(41158, name, 35250);
  // JOIN names the group's cluster type for NONE and EXTERNAL and none for WSFC ("ALTER AVAILABILITY GROUP", JOIN).
  if ((clusterType ?? "WSFC") !== offer.clusterType) fail(41158, offer.name, 35250);
  const record: GroupRecord = {
    config: { ...offer, replicas: offer.replicas.map((r) => ({ ...r })), databases: offer.databases.map((d) => ({ ...d })) },
    localReplicaId: local.id,
    joined: true,
    createAnyDatabase: false,
  };
  ctx.journal.insert(groupList(ctx), record);
}

/** ALTER DATABASE … SET HADR AVAILABILITY GROUP = g (a secondary copy joins, manual seeding) or SET HADR OFF (it leaves). */
function setHadr(ctx: ExecContext, layer: AvailabilityGroupLayer, database: string, group: string | null): void {
  const db = ctx.instance.databases.byName(database);
  if (group === null) {
    const g = db ? layer.list().find((x) => x.config.databases.some((d) => d.groupDatabaseId === db.groupDatabaseId)) : undefined;
    if (!db || !g) fail(35242, database);
    if (layer.isPrimary(g)) fail(35240, db.name, g.config.name);
    markChanged(ctx);
    const id = db.groupDatabaseId!;
    ctx.journal.onCommit(() => layer.leaveDatabase(db.name, id));
    return;
  }
  const g = layer.byName(group) ?? notFound("alter", "availability group", group);
  if (!db) fail(41148, database, g.config.name);
  if (SYSTEM_DATABASES.includes(db.name.toLowerCase())) fail(35249, db.name);
  if (layer.isPrimary(g)) fail(35240, db.name, g.config.name);
  const d = g.config.databases.find((x) => sameName(x.name, db.name));
  if (!d) fail(41132, db.name, g.config.name);
  if (db.groupDatabaseId === d.groupDatabaseId) {
    ctx.infos.push({ number: 41145, args: [db.name, g.config.name] });
    return;
  }
  if (!layer.replicaState(g.config.id, g.localReplicaId)?.connected) fail(35250);
  // Only a copy restored WITH NORECOVERY can join: its log continues the primary's.
  if (db.state !== "RESTORING") fail(41132, db.name, g.config.name);
  markChanged(ctx);
  ctx.journal.onCommit(() => layer.joinDatabase(g, db.name));
}
