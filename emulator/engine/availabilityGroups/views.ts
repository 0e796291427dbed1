/**
 * The availability-group views: the catalog views (from the configuration every joined replica
 * keeps: sys.availability_groups, sys.availability_replicas, sys.availability_databases_cluster) and
 * the dynamic management views (from the live state the hadr/ layer reports:
 * sys.dm_hadr_availability_group_states, sys.dm_hadr_availability_replica_states,
 * sys.dm_hadr_database_replica_states, sys.dm_hadr_automatic_seeding). Columns, order and codes are
 * those of each view's page. Visibility: the catalog views show every group to sysadmin (other
 * logins hold no permission on a group in the subset and see none); the dynamic views need VIEW
 * SERVER STATE (300 + 297) and, on a secondary, show the local replica's rows only, while the primary
 * shows every replica's ("sys.dm_hadr_availability_replica_states": the primary returns a row for
 * every replica; a secondary returns its own).
 */
import type { Column, ColumnType, SqlValue } from "../../results";
import { hasServerPermission } from "../access";
import { SqlError, sqlMessage } from "../errors";
import type { CatalogView, ViewContext } from "../views";
import type { AvailabilityGroupLayer } from "./layer";
import type { DatabaseReplicaLiveState, GroupRecord, ReplicaConfig } from "./model";

type Spec = { type: ColumnType; length?: number; precision?: number; scale?: number };
const guid: Spec = { type: "uniqueidentifier" };
const int: Spec = { type: "int" };
const tinyint: Spec = { type: "tinyint" };
const smallint: Spec = { type: "smallint" };
const bit: Spec = { type: "bit" };
const bigint: Spec = { type: "bigint" };
const datetime: Spec = { type: "datetime" };
const sysname: Spec = { type: "nvarchar", length: 128 };
const nvarchar = (length: number): Spec => ({ type: "nvarchar", length });
const varbinary = (length: number): Spec => ({ type: "varbinary", length });
/** numeric(25,0): how SQL Server shows LSNs. */
const numeric: Spec = { type: "decimal", precision: 25, scale: 0 };

type Getter<T> = (row: T, ctx: ViewContext) => SqlValue;

function view<T>(name: string, source: (ctx: ViewContext) => T[], columns: Array<[string, Spec, Getter<T>]>): CatalogView {
  return {
    name,
    columns: columns.map(([n, spec]): Column => ({ name: n, ...spec })),
    rows: (ctx) => source(ctx).map((r) => columns.map(([, , get]) => get(r, ctx))),
  };
}

const groupsOf = (ctx: ViewContext): GroupRecord[] => (ctx.viewer.sysadmin ? (ctx.catalog.state.availabilityGroups ?? []) : []);

const MODE_CODES = { ASYNCHRONOUS_COMMIT: 0, SYNCHRONOUS_COMMIT: 1, CONFIGURATION_ONLY: 4 } as const;
const FAILOVER_CODES = { AUTOMATIC: 0, MANUAL: 1, EXTERNAL: 2 } as const;
const PRIMARY_CONNECTION_CODES = { ALL: 2, READ_WRITE: 3 } as const;
const SECONDARY_CONNECTION_CODES = { NO: 0, READ_ONLY: 1, ALL: 2 } as const;
const BACKUP_CODES = { PRIMARY: 0, SECONDARY_ONLY: 1, SECONDARY: 2, NONE: 3 } as const;
const CLUSTER_CODES = { WSFC: 0, EXTERNAL: 1, NONE: 2 } as const;
const SYNC_CODES = { "NOT SYNCHRONIZING": 0, SYNCHRONIZING: 1, SYNCHRONIZED: 2, REVERTING: 3, INITIALIZING: 4 } as const;
const HEALTH = ["NOT_HEALTHY", "PARTIALLY_HEALTHY", "HEALTHY"] as const;
type Health = 0 | 1 | 2;

const groups = view<GroupRecord>("sys.availability_groups", groupsOf, [
  ["group_id", guid, (g) => g.config.id],
  ["name", sysname, (g) => g.config.name],
  ["resource_id", nvarchar(40), (g) => g.config.id.toLowerCase()],
  ["resource_group_id", nvarchar(40), (g) => g.config.id.toLowerCase()],
  ["failure_condition_level", int, (g) => g.config.failureConditionLevel],
  ["health_check_timeout", int, (g) => g.config.healthCheckTimeout],
  ["automated_backup_preference", tinyint, (g) => BACKUP_CODES[g.config.automatedBackupPreference]],
  ["automated_backup_preference_desc", nvarchar(60), (g) => g.config.automatedBackupPreference],
  ["version", smallint, () => 4],
  ["basic_features", bit, () => false],
  ["dtc_support", bit, (g) => g.config.dtcSupport],
  ["db_failover", bit, (g) => g.config.dbFailover],
  ["is_distributed", bit, () => false],
  ["cluster_type", tinyint, (g) => CLUSTER_CODES[g.config.clusterType]],
  // Lower case, as SQL Server shows it (none, external, wsfc).
  ["cluster_type_desc", nvarchar(60), (g) => g.config.clusterType.toLowerCase()],
  ["required_synchronized_secondaries_to_commit", int, (g) => g.config.requiredSynchronizedSecondariesToCommit],
  ["sequence_number", bigint, (g) => BigInt(g.config.sequence)],
  ["is_contained", bit, () => false],
]);

interface ReplicaRow {
  g: GroupRecord;
  r: ReplicaConfig;
}

const replicaRows = (ctx: ViewContext): ReplicaRow[] => groupsOf(ctx).flatMap((g) => g.config.replicas.map((r) => ({ g, r })));

const replicas = view<ReplicaRow>("sys.availability_replicas", replicaRows, [
  ["replica_id", guid, ({ r }) => r.id],
  ["group_id", guid, ({ g }) => g.config.id],
  ["replica_metadata_id", int, ({ g, r }) => (r.id === g.localReplicaId ? 1 : null)],
  ["replica_server_name", nvarchar(256), ({ r }) => r.serverName],
  ["owner_sid", varbinary(85), ({ g, r }) => (r.id === g.localReplicaId ? Buffer.from([1]) : null)],
  ["endpoint_url", nvarchar(128), ({ r }) => r.endpointUrl],
  ["availability_mode", tinyint, ({ r }) => MODE_CODES[r.availabilityMode]],
  ["availability_mode_desc", nvarchar(60), ({ r }) => r.availabilityMode],
  ["failover_mode", tinyint, ({ r }) => FAILOVER_CODES[r.failoverMode]],
  ["failover_mode_desc", nvarchar(60), ({ r }) => r.failoverMode],
  ["session_timeout", int, ({ r }) => r.sessionTimeout],
  ["primary_role_allow_connections", tinyint, ({ r }) => PRIMARY_CONNECTION_CODES[r.primaryAllowConnections]],
  ["primary_role_allow_connections_desc", nvarchar(60), ({ r }) => r.primaryAllowConnections],
  ["secondary_role_allow_connections", tinyint, ({ r }) => SECONDARY_CONNECTION_CODES[r.secondaryAllowConnections]],
  ["secondary_role_allow_connections_desc", nvarchar(60), ({ r }) => r.secondaryAllowConnections],
  ["create_date", datetime, ({ r }) => r.createDate],
  ["modify_date", datetime, ({ r }) => r.modifyDate],
  ["backup_priority", int, ({ r }) => r.backupPriority],
  ["read_only_routing_url", nvarchar(256), ({ r }) => r.readOnlyRoutingUrl],
  ["seeding_mode", tinyint, ({ r }) => (r.seedingMode === "AUTOMATIC" ? 0 : 1)],
  ["seeding_mode_desc", nvarchar(60), ({ r }) => r.seedingMode],
  ["read_write_routing_url", nvarchar(256), ({ r }) => r.readWriteRoutingUrl],
]);

interface GroupDatabaseRow {
  g: GroupRecord;
  name: string;
  groupDatabaseId: string;
}

const databasesCluster = view<GroupDatabaseRow>(
  "sys.availability_databases_cluster",
  (ctx) => groupsOf(ctx).flatMap((g) => g.config.databases.map((d) => ({ g, ...d }))),
  [
    ["group_id", guid, ({ g }) => g.config.id],
    ["group_database_id", guid, (d) => d.groupDatabaseId],
    ["database_name", sysname, (d) => d.name],
    ["truncation_lsn", numeric, () => null],
  ],
);

/** The catalog views (part of catalog snapshots). */
export const AVAILABILITY_GROUP_CATALOG_VIEWS: readonly CatalogView[] = [groups, replicas, databasesCluster];

// ---------------------------------------------------------------------------------------------
// Dynamic management views
// ---------------------------------------------------------------------------------------------

function live(ctx: ViewContext): { layer: AvailabilityGroupLayer; groups: readonly GroupRecord[] } {
  if (!hasServerPermission(ctx.catalog, ctx.viewer.loginId, "VWSS")) {
    throw new SqlError(sqlMessage(297), "statement", [sqlMessage(300, ["VIEW SERVER STATE", "server", "master"])]);
  }
  const layer = ctx.instance?.availabilityGroups;
  return layer ? { layer, groups: layer.list() } : { layer: undefined as never, groups: [] };
}

/** A copy's synchronization state: the local primary copy is SYNCHRONIZED (SYNCHRONIZING when the primary itself commits asynchronously, an assumption); others as reported. */
function copyState(layer: AvailabilityGroupLayer, g: GroupRecord, r: ReplicaConfig, groupDatabaseId: string): DatabaseReplicaLiveState["synchronizationState"] {
  if (r.id === g.config.primaryReplicaId && layer.isPrimary(g)) return r.availabilityMode === "SYNCHRONOUS_COMMIT" ? "SYNCHRONIZED" : "SYNCHRONIZING";
  if (r.id !== g.localReplicaId && !layer.replicaState(g.config.id, r.id)?.connected) return "NOT SYNCHRONIZING";
  return layer.databaseState(g.config.id, r.id, groupDatabaseId)?.synchronizationState ?? "NOT SYNCHRONIZING";
}

/**
 * A copy's health ("sys.dm_hadr_database_replica_states", synchronization_health): HEALTHY when a
 * synchronous-commit copy is SYNCHRONIZED or an asynchronous one SYNCHRONIZING, PARTIALLY_HEALTHY when
 * a synchronous-commit copy is only SYNCHRONIZING, NOT_HEALTHY when it is not synchronizing.
 */
function copyHealth(r: ReplicaConfig, state: string): Health {
  if (state === "SYNCHRONIZED") return 2;
  if (state === "SYNCHRONIZING") return r.availabilityMode === "SYNCHRONOUS_COMMIT" ? 1 : 2;
  return 0;
}

function connectedOf(layer: AvailabilityGroupLayer, g: GroupRecord, r: ReplicaConfig): boolean {
  // The primary is connected to itself; a secondary's own row says whether the primary is connected to it.
  if (r.id === g.config.primaryReplicaId && layer.isPrimary(g)) return true;
  return layer.replicaState(g.config.id, r.id)?.connected ?? false;
}

/** A replica's health: NOT_HEALTHY when disconnected, else the worst of its copies' (HEALTHY without any). */
function replicaHealth(layer: AvailabilityGroupLayer, g: GroupRecord, r: ReplicaConfig): Health {
  if (r.availabilityMode === "CONFIGURATION_ONLY") return connectedOf(layer, g, r) ? 2 : 0;
  if (!connectedOf(layer, g, r)) return 0;
  let worst: Health = 2;
  for (const d of g.config.databases) worst = Math.min(worst, copyHealth(r, copyState(layer, g, r, d.groupDatabaseId))) as Health;
  return worst;
}

/** The replicas a replica's DMVs show: every replica on the primary, the local one on a secondary. */
function visibleReplicas(layer: AvailabilityGroupLayer, g: GroupRecord): ReplicaConfig[] {
  return layer.isPrimary(g) ? g.config.replicas : g.config.replicas.filter((r) => r.id === g.localReplicaId);
}

interface ReplicaStateRow {
  layer: AvailabilityGroupLayer;
  g: GroupRecord;
  r: ReplicaConfig;
}

const ROLE_DESC = ["RESOLVING", "PRIMARY", "SECONDARY"] as const;

function roleOf({ layer, g, r }: ReplicaStateRow): 0 | 1 | 2 | null {
  if (r.id === g.config.primaryReplicaId) return 1;
  if (r.id === g.localReplicaId) return 2;
  // A remote replica's role is known while it is connected.
  return layer.replicaState(g.config.id, r.id)?.connected ? 2 : null;
}

const replicaStates = view<ReplicaStateRow>(
  "sys.dm_hadr_availability_replica_states",
  (ctx) => {
    const { layer, groups: gs } = live(ctx);
    return gs.flatMap((g) => visibleReplicas(layer, g).map((r) => ({ layer, g, r })));
  },
  [
    ["replica_id", guid, ({ r }) => r.id],
    ["group_id", guid, ({ g }) => g.config.id],
    ["is_local", bit, ({ g, r }) => r.id === g.localReplicaId],
    ["role", tinyint, (row) => roleOf(row)],
    ["role_desc", nvarchar(60), (row) => {
      const role = roleOf(row);
      return role === null ? null : ROLE_DESC[role];
    }],
    ["operational_state", tinyint, ({ g, r }) => (r.id === g.localReplicaId ? 2 : null)],
    ["operational_state_desc", nvarchar(60), ({ g, r }) => (r.id === g.localReplicaId ? "ONLINE" : null)],
    ["connected_state", tinyint, ({ layer, g, r }) => (connectedOf(layer, g, r) ? 1 : 0)],
    ["connected_state_desc", nvarchar(60), ({ layer, g, r }) => (connectedOf(layer, g, r) ? "CONNECTED" : "DISCONNECTED")],
    ["recovery_health", tinyint, ({ g, r }) => (r.id === g.localReplicaId ? 1 : null)],
    ["recovery_health_desc", nvarchar(60), ({ g, r }) => (r.id === g.localReplicaId ? "ONLINE" : null)],
    ["synchronization_health", tinyint, ({ layer, g, r }) => replicaHealth(layer, g, r)],
    ["synchronization_health_desc", nvarchar(60), ({ layer, g, r }) => HEALTH[replicaHealth(layer, g, r)]],
    ["last_connect_error_number", int, ({ layer, g, r }) => layer.replicaState(g.config.id, r.id)?.lastConnectError?.number ?? null],
    ["last_connect_error_description", nvarchar(1024), ({ layer, g, r }) => layer.replicaState(g.config.id, r.id)?.lastConnectError?.description ?? null],
    ["last_connect_error_timestamp", datetime, ({ layer, g, r }) => layer.replicaState(g.config.id, r.id)?.lastConnectError?.at ?? null],
    ["write_lease_remaining_ticks", bigint, () => null],
    ["current_configuration_commit_start_time_utc", datetime, () => null],
  ],
);

interface DatabaseStateRow {
  layer: AvailabilityGroupLayer;
  g: GroupRecord;
  r: ReplicaConfig;
  groupDatabaseId: string;
  name: string;
  databaseId: number | null;
}

const DATABASE_STATE_CODES: Record<string, number> = { ONLINE: 0, RESTORING: 1, RECOVERING: 2, RECOVERY_PENDING: 3, SUSPECT: 4, EMERGENCY: 5, OFFLINE: 6 };

function localCopy(ctx: ViewContext, row: DatabaseStateRow) {
  if (row.r.id !== row.g.localReplicaId) return undefined;
  const db = ctx.instance?.databases.byName(row.name);
  return db && db.groupDatabaseId === row.groupDatabaseId ? db : undefined;
}

const databaseStates = view<DatabaseStateRow>(
  "sys.dm_hadr_database_replica_states",
  (ctx) => {
    const { layer, groups: gs } = live(ctx);
    const rows: DatabaseStateRow[] = [];
    for (const g of gs) {
      for (const d of g.config.databases) {
        for (const r of visibleReplicas(layer, g)) {
          if (r.availabilityMode === "CONFIGURATION_ONLY") continue;
          const local = r.id === g.localReplicaId ? ctx.instance?.databases.byName(d.name) : undefined;
          // A secondary lists its own copy once it has joined; the primary lists every data replica's.
          if (r.id === g.localReplicaId && local?.groupDatabaseId !== d.groupDatabaseId) continue;
          rows.push({ layer, g, r, groupDatabaseId: d.groupDatabaseId, name: d.name, databaseId: local?.id ?? null });
        }
      }
    }
    return rows;
  },
  [
    ["database_id", int, (row) => row.databaseId],
    ["group_id", guid, ({ g }) => g.config.id],
    ["replica_id", guid, ({ r }) => r.id],
    ["group_database_id", guid, (row) => row.groupDatabaseId],
    ["is_local", bit, ({ g, r }) => r.id === g.localReplicaId],
    ["is_primary_replica", bit, ({ g, r }) => r.id === g.config.primaryReplicaId],
    ["synchronization_state", tinyint, ({ layer, g, r, groupDatabaseId }) => SYNC_CODES[copyState(layer, g, r, groupDatabaseId)]],
    ["synchronization_state_desc", nvarchar(60), ({ layer, g, r, groupDatabaseId }) => copyState(layer, g, r, groupDatabaseId)],
    ["is_commit_participant", bit, ({ layer, g, r, groupDatabaseId }) => r.availabilityMode === "SYNCHRONOUS_COMMIT" && copyState(layer, g, r, groupDatabaseId) === "SYNCHRONIZED"],
    ["synchronization_health", tinyint, ({ layer, g, r, groupDatabaseId }) => copyHealth(r, copyState(layer, g, r, groupDatabaseId))],
    ["synchronization_health_desc", nvarchar(60), ({ layer, g, r, groupDatabaseId }) => HEALTH[copyHealth(r, copyState(layer, g, r, groupDatabaseId))]],
    ["database_state", tinyint, (row, ctx) => {
      const db = localCopy(ctx, row);
      return db ? (DATABASE_STATE_CODES[db.state] ?? null) : null;
    }],
    ["database_state_desc", nvarchar(60), (row, ctx) => localCopy(ctx, row)?.state ?? null],
    ["is_suspended", bit, () => false],
    ["suspend_reason", tinyint, () => null],
    ["suspend_reason_desc", nvarchar(60), () => null],
    ["recovery_lsn", numeric, () => null],
    ["truncation_lsn", numeric, () => null],
    ["last_sent_lsn", numeric, () => null],
    ["last_sent_time", datetime, ({ layer, g, r, groupDatabaseId }) => layer.databaseState(g.config.id, r.id, groupDatabaseId)?.lastSent ?? null],
    ["last_received_lsn", numeric, () => null],
    ["last_received_time", datetime, ({ layer, g, r, groupDatabaseId }) => layer.databaseState(g.config.id, r.id, groupDatabaseId)?.lastReceived ?? null],
    ["last_hardened_lsn", numeric, ({ layer, g, r, groupDatabaseId }) => {
      const lsn = layer.databaseState(g.config.id, r.id, groupDatabaseId)?.lastHardenedLsn;
      return lsn === undefined || lsn === null ? null : lsn;
    }],
    ["last_hardened_time", datetime, () => null],
    ["last_redone_lsn", numeric, () => null],
    ["last_redone_time", datetime, () => null],
    ["log_send_queue_size", bigint, () => null],
    ["log_send_rate", bigint, () => null],
    ["redo_queue_size", bigint, () => null],
    ["redo_rate", bigint, () => null],
    ["filestream_send_rate", bigint, () => null],
    ["end_of_log_lsn", numeric, () => null],
    ["last_commit_lsn", numeric, () => null],
    ["last_commit_time", datetime, () => null],
    ["low_water_mark_for_ghosts", bigint, () => null],
    ["secondary_lag_seconds", bigint, () => null],
  ],
);

interface GroupStateRow {
  layer: AvailabilityGroupLayer;
  g: GroupRecord;
}

/** The group's health: HEALTHY when every visible replica is, NOT_HEALTHY when none is, else PARTIALLY_HEALTHY. */
function groupHealth({ layer, g }: GroupStateRow): Health {
  const healths = visibleReplicas(layer, g).map((r) => replicaHealth(layer, g, r));
  if (healths.every((h) => h === 2)) return 2;
  return healths.some((h) => h === 2) ? 1 : 0;
}

const groupStates = view<GroupStateRow>(
  "sys.dm_hadr_availability_group_states",
  (ctx) => {
    const { layer, groups: gs } = live(ctx);
    return gs.map((g) => ({ layer, g }));
  },
  [
    ["group_id", guid, ({ g }) => g.config.id],
    ["primary_replica", nvarchar(128), ({ g }) => g.config.replicas.find((r) => r.id === g.config.primaryReplicaId)?.serverName ?? null],
    ["primary_recovery_health", tinyint, ({ layer, g }) => (layer.isPrimary(g) ? 1 : null)],
    ["primary_recovery_health_desc", nvarchar(60), ({ layer, g }) => (layer.isPrimary(g) ? "ONLINE" : null)],
    ["secondary_recovery_health", tinyint, ({ layer, g }) => (layer.isPrimary(g) ? null : 1)],
    ["secondary_recovery_health_desc", nvarchar(60), ({ layer, g }) => (layer.isPrimary(g) ? null : "ONLINE")],
    ["synchronization_health", tinyint, (row) => groupHealth(row)],
    ["synchronization_health_desc", nvarchar(60), (row) => HEALTH[groupHealth(row)]],
  ],
);

/** failure_state_desc by failure_state; none (NULL) without a failure (an assumption: the page lists the failure states only). */
const FAILURE_STATES: Record<number, string> = { 1: "Checking seeding", 2: "Failed seeding" };

const automaticSeeding = view<ReturnType<AvailabilityGroupLayer["seeding"]>[number]>(
  "sys.dm_hadr_automatic_seeding",
  (ctx) => {
    const { layer } = live(ctx);
    return layer ? [...layer.seeding()] : [];
  },
  [
    ["start_time", datetime, (a) => a.startTime],
    ["completion_time", datetime, (a) => a.completionTime],
    ["ag_id", guid, (a) => a.groupId],
    ["ag_db_id", guid, (a) => a.groupDatabaseId],
    ["ag_remote_replica_id", guid, (a) => a.remoteReplicaId],
    ["operation_id", guid, (a) => a.operationId],
    ["is_source", bit, (a) => a.isSource],
    ["current_state", nvarchar(32), (a) => a.currentState],
    ["performed_seeding", bit, (a) => a.currentState === "COMPLETED"],
    ["failure_state", int, (a) => a.failureState],
    ["failure_state_desc", nvarchar(128), (a) => a.failureStateDesc ?? FAILURE_STATES[a.failureState] ?? null],
    ["error_code", int, (a) => a.errorCode],
    ["number_of_attempts", int, (a) => a.attempts],
  ],
);

/** The dynamic management views (never part of a snapshot). */
export const AVAILABILITY_GROUP_DYNAMIC_VIEWS: readonly CatalogView[] = [groupStates, replicaStates, databaseStates, automaticSeeding];
