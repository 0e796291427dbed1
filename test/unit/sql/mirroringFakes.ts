/**
 * Catalog rows of database mirroring as the mssql driver returns them (uniqueidentifier as an
 * upper-case string, bit as boolean, numeric(25,0) as a number or string), for the unit tests of
 * the readers, operations and waits. Values follow Microsoft's pages for sys.database_mirroring,
 * sys.database_mirroring_witnesses and sys.database_recovery_status.
 */
import type { Row } from "../../../provider/sql/client";

/** The mirroring GUID of the sample session. */
export const GUID = "2C7B2B0E-5B0F-4C55-9E77-0D3B4E1A9C11";

/** A `sys.databases` ⟕ `sys.database_recovery_status` ⟕ `sys.database_mirroring` row with no session. */
export function databaseRow(overrides: Record<string, unknown> = {}): Row {
  return {
    name: "sales",
    database_id: 5,
    state_desc: "ONLINE",
    recovery_model_desc: "FULL",
    is_read_only: false,
    user_access_desc: "MULTI_USER",
    is_auto_close_on: false,
    group_database_id: null,
    last_log_backup_lsn: "39000000045600001",
    mirroring_guid: null,
    mirroring_role_desc: null,
    mirroring_state_desc: null,
    mirroring_safety_level_desc: null,
    mirroring_partner_name: null,
    mirroring_partner_instance: null,
    mirroring_witness_name: null,
    mirroring_witness_state_desc: null,
    mirroring_connection_timeout: null,
    ...overrides,
  };
}

/** The row of a copy in the sample session, as `role` sees it (partner SQL-B at 5023 for the principal, SQL-A at 5022 for the mirror). */
export function sessionRow(role: "PRINCIPAL" | "MIRROR", overrides: Record<string, unknown> = {}): Row {
  return databaseRow({
    ...(role === "MIRROR" ? { state_desc: "RESTORING", last_log_backup_lsn: null } : {}),
    mirroring_guid: GUID.toLowerCase(),
    mirroring_role_desc: role,
    mirroring_state_desc: "SYNCHRONIZED",
    mirroring_safety_level_desc: "FULL",
    mirroring_partner_name: role === "PRINCIPAL" ? "TCP://sql-b.corp:5023" : "TCP://sql-a.corp:5022",
    mirroring_partner_instance: role === "PRINCIPAL" ? "SQL-B" : "SQL-A",
    mirroring_witness_name: "",
    mirroring_witness_state_desc: null,
    mirroring_connection_timeout: 10,
    ...overrides,
  });
}

/** The three recordsets of `mirroringPartnerQuery`: @@SERVERNAME, the database (or none), the endpoint (or none). */
export function partnerReply(serverName: string, database: Row | null, endpoint: Row | null = { role_desc: "PARTNER", state_desc: "STARTED" }): Row[][] {
  return [[{ server_name: serverName }], database === null ? [] : [database], endpoint === null ? [] : [endpoint]];
}

/** A witnessed session's principal row: witness CONNECTED at 5024. */
export function witnessed(role: "PRINCIPAL" | "MIRROR", overrides: Record<string, unknown> = {}): Row {
  return sessionRow(role, { mirroring_witness_name: "TCP://sql-w.corp:5024", mirroring_witness_state_desc: "CONNECTED", ...overrides });
}

/** A `sys.database_mirroring_witnesses` row. */
export function witnessRow(overrides: Record<string, unknown> = {}): Row {
  return {
    database_name: "sales",
    principal_server_name: "SQL-A",
    mirror_server_name: "SQL-B",
    safety_level_desc: "FULL",
    mirroring_guid: GUID.toLowerCase(),
    is_suspended: false,
    partner_sync_state_desc: "SYNCHRONIZED",
    ...overrides,
  };
}

/** The one recordset of `seedingStateQuery`. */
export function seedingReply(overrides: Record<string, unknown> | null = {}): Row[][] {
  if (overrides === null) return [[]];
  return [[{ state_desc: "ONLINE", recovery_model_desc: "FULL", group_database_id: null, last_log_backup_lsn: "39000000045600001", ...overrides }]];
}
