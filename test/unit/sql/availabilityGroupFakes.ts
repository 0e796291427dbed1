/**
 * Catalog rows of availability groups as the mssql driver returns them (uniqueidentifier as an
 * upper-case string, bit as boolean, datetime as Date, sql_variant as its value), for the unit
 * tests of the readers and operations. Values follow Microsoft's pages for each view.
 */
import type { Row } from "../../../provider/sql/client";

/** A `sys.availability_groups` ⟕ `sys.dm_hadr_availability_group_states` row. */
export function groupRow(overrides: Record<string, unknown> = {}): Row {
  return {
    group_id: "8F7E2C1A-4B3D-4E5F-9A8B-1C2D3E4F5A6B",
    name: "ag1",
    cluster_type_desc: "none",
    automated_backup_preference_desc: "SECONDARY",
    failure_condition_level: 3,
    health_check_timeout: 30000,
    db_failover: false,
    dtc_support: false,
    required_synchronized_secondaries_to_commit: 0,
    basic_features: false,
    is_distributed: false,
    primary_replica: "SQL-A",
    ...overrides,
  };
}

/** A `sys.availability_replicas` ⟕ `sys.dm_hadr_availability_replica_states` row. */
export function replicaRow(serverName: string, overrides: Record<string, unknown> = {}): Row {
  return {
    replica_server_name: serverName,
    endpoint_url: `TCP://${serverName.toLowerCase()}.corp:5022`,
    availability_mode_desc: "SYNCHRONOUS_COMMIT",
    failover_mode_desc: "MANUAL",
    seeding_mode_desc: "AUTOMATIC",
    backup_priority: 50,
    session_timeout: 10,
    primary_role_allow_connections_desc: "ALL",
    secondary_role_allow_connections_desc: "NO",
    read_only_routing_url: null,
    is_local: false,
    role_desc: "SECONDARY",
    connected_state_desc: "CONNECTED",
    synchronization_health_desc: "HEALTHY",
    last_connect_error_number: null,
    last_connect_error_description: null,
    ...overrides,
  };
}

/** A local-replica row (`@@SERVERNAME` + the local state + the primary it knows). */
export function localRow(serverName: string, role: string, overrides: Record<string, unknown> = {}): Row {
  return {
    server_name: serverName,
    is_local: true,
    role_desc: role,
    connected_state_desc: "CONNECTED",
    synchronization_health_desc: "HEALTHY",
    last_connect_error_number: null,
    last_connect_error_description: null,
    primary_replica: role === "PRIMARY" ? serverName : "SQL-A",
    ...overrides,
  };
}

/** A `sys.dm_hadr_database_replica_states` row joined to its replica's name. */
export function databaseReplicaRow(serverName: string, overrides: Record<string, unknown> = {}): Row {
  return {
    replica_server_name: serverName,
    is_primary_replica: false,
    synchronization_state_desc: "SYNCHRONIZED",
    synchronization_health_desc: "HEALTHY",
    database_state_desc: "ONLINE",
    is_suspended: false,
    suspend_reason_desc: null,
    ...overrides,
  };
}

/** A `sys.dm_hadr_automatic_seeding` row joined to its remote replica's name. */
export function seedingRow(serverName: string, overrides: Record<string, unknown> = {}): Row {
  return { replica_server_name: serverName, current_state: "COMPLETED", failure_state_desc: null, error_code: 0, ...overrides };
}

/** A `sys.databases` row for the prerequisite check. */
export function databaseRow(overrides: Record<string, unknown> = {}): Row {
  return {
    name: "sales",
    database_id: 5,
    state_desc: "ONLINE",
    recovery_model_desc: "FULL",
    is_read_only: false,
    user_access_desc: "MULTI_USER",
    is_auto_close_on: false,
    create_date: new Date("2025-03-01T10:00:00Z"),
    ...overrides,
  };
}

/** The four recordsets of the prerequisite read: database, mirroring count, last full backup, group. */
export function prerequisiteReply(
  overrides: Record<string, unknown> = {},
  extra: { mirrored?: number; lastFullBackup?: Date | null; group?: string | null } = {},
): Row[][] {
  return [
    [databaseRow(overrides)],
    [{ mirrored: extra.mirrored ?? 0 }],
    [{ last_full_backup: extra.lastFullBackup === undefined ? new Date("2025-03-02T00:00:00Z") : extra.lastFullBackup }],
    extra.group === undefined || extra.group === null ? [] : [{ name: extra.group }],
  ];
}
