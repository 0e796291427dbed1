/**
 * Catalog reads for database mirroring sessions: the SELECT text of each read and the mapping of
 * its rows to a record. Every look-up is parameterised and names its views `master.sys.…`, so it
 * reads the same whatever the session's database.
 *
 * Where a read is made matters: each partner's `sys.database_mirroring` row describes the session
 * as that partner sees it (its own role; the state is the same on both but for PENDING_FAILOVER).
 * On the mirror, whose copy is RESTORING, only sysadmin sees non-NULL values ("sys.database_mirroring
 * (Transact-SQL)"); the connections this package uses are sysadmin. Which partner is principal is
 * therefore asked of the partners themselves (objects/mirroring.ts), never assumed.
 */
import type { CatalogQuery } from "./catalog";
import { statement, type Row } from "./client";
import type {
  MirroringDatabaseRecord,
  MirroringPartnerRecord,
  MirroringRole,
  MirroringSafetyLevel,
  MirroringSessionRecord,
  MirroringState,
  MirroringWitnessRecord,
  SeedingStateRecord,
  WitnessState,
} from "./mirroringRecords";
import { flag, integer, oneOf, text, textOrNull } from "./rows";

const nvarchar = (value: string) => ({ type: "nvarchar" as const, value });

const ROLES: readonly MirroringRole[] = ["PRINCIPAL", "MIRROR"];
const STATES: readonly MirroringState[] = ["SUSPENDED", "DISCONNECTED", "SYNCHRONIZING", "PENDING_FAILOVER", "SYNCHRONIZED", "UNSYNCHRONIZED"];
const SAFETY: readonly MirroringSafetyLevel[] = ["FULL", "OFF", "UNKNOWN"];
const WITNESS: readonly WitnessState[] = ["UNKNOWN", "CONNECTED", "DISCONNECTED"];

const present = (row: Row, column: string) => row[column] !== null && row[column] !== undefined;
const enumOrNull = <T extends string>(row: Row, column: string, allowed: readonly T[]): T | null => (present(row, column) ? oneOf(row, column, allowed) : null);
const integerOrNull = (row: Row, column: string): number | null => (present(row, column) ? integer(row, column) : null);
/** A uniqueidentifier comes back from the driver as a string; upper case, as SQL Server prints it. */
const guid = (row: Row, column: string) => text(row, column).toUpperCase();

/** The mirroring columns of a `sys.database_mirroring` row, or null when the database is not mirrored. */
function sessionOf(row: Row): MirroringSessionRecord | null {
  if (!present(row, "mirroring_guid")) return null;
  return {
    mirroringGuid: guid(row, "mirroring_guid"),
    role: enumOrNull(row, "mirroring_role_desc", ROLES),
    state: enumOrNull(row, "mirroring_state_desc", STATES),
    safety: enumOrNull(row, "mirroring_safety_level_desc", SAFETY),
    partnerName: present(row, "mirroring_partner_name") ? textOrNull(row, "mirroring_partner_name") : null,
    partnerInstance: present(row, "mirroring_partner_instance") ? textOrNull(row, "mirroring_partner_instance") : null,
    witnessName: present(row, "mirroring_witness_name") && text(row, "mirroring_witness_name") !== "" ? text(row, "mirroring_witness_name") : null,
    witnessState: enumOrNull(row, "mirroring_witness_state_desc", WITNESS),
    connectionTimeout: integerOrNull(row, "mirroring_connection_timeout"),
  };
}

const DATABASE_COLUMNS =
  "d.name, d.database_id, d.state_desc, d.recovery_model_desc, d.is_read_only, d.user_access_desc, d.is_auto_close_on, d.group_database_id, r.last_log_backup_lsn";

function databaseOf(row: Row, session: MirroringSessionRecord | null): MirroringDatabaseRecord {
  return {
    name: text(row, "name"),
    databaseId: integer(row, "database_id"),
    state: text(row, "state_desc").trim(),
    recoveryModel: text(row, "recovery_model_desc").trim(),
    readOnly: flag(row, "is_read_only"),
    userAccess: text(row, "user_access_desc").trim(),
    autoClose: flag(row, "is_auto_close_on"),
    inAvailabilityGroup: present(row, "group_database_id"),
    logChainStarted: present(row, "last_log_backup_lsn"),
    session,
  };
}

const PARTNER_DATABASE =
  `SELECT ${DATABASE_COLUMNS}, m.mirroring_guid, m.mirroring_role_desc, m.mirroring_state_desc, m.mirroring_safety_level_desc, ` +
  "m.mirroring_partner_name, m.mirroring_partner_instance, m.mirroring_witness_name, m.mirroring_witness_state_desc, m.mirroring_connection_timeout " +
  "FROM master.sys.databases AS d LEFT JOIN master.sys.database_mirroring AS m ON m.database_id = d.database_id " +
  "LEFT JOIN master.sys.database_recovery_status AS r ON r.database_id = d.database_id WHERE d.name = @database";

/**
 * Everything about one instance of a session, in one request: `@@SERVERNAME`, the database (state,
 * recovery model, the prerequisites SQL Server checks, the log chain, and its session as this
 * instance sees it) and the instance's DATABASE_MIRRORING endpoint (role and state). Never
 * undefined: a missing database or endpoint is null. The same read serves principal discovery,
 * the readiness checks before a create, the waits and `refresh`.
 */
export function mirroringPartnerQuery(database: string): CatalogQuery<MirroringPartnerRecord> {
  return {
    statements: [
      statement("SELECT @@SERVERNAME AS server_name"),
      statement(PARTNER_DATABASE, { database: nvarchar(database) }),
      statement("SELECT e.role_desc, e.state_desc FROM master.sys.database_mirroring_endpoints AS e"),
    ],
    resultCount: 3,
    map([server, databases, endpoints]) {
      const serverRow = server?.[0];
      if (serverRow === undefined) throw new TypeError("unexpected catalog result: SELECT @@SERVERNAME returned no row");
      if ((databases ?? []).length > 1) throw new TypeError(`unexpected catalog result: ${databases!.length} databases named [${database}]`);
      const row = databases?.[0];
      const endpoint = endpoints?.[0];
      return {
        serverName: textOrNull(serverRow, "server_name"),
        database: row === undefined ? null : databaseOf(row, sessionOf(row)),
        endpoint: endpoint === undefined ? null : { role: text(endpoint, "role_desc").trim(), state: text(endpoint, "state_desc").trim() },
      };
    },
  };
}

/**
 * The sessions of `database` this instance serves as witness (`sys.database_mirroring_witnesses`),
 * one per partnership (a witness may serve several sessions of databases with one name, on other
 * partner pairs). Never undefined: an empty list when it serves none.
 */
export function mirroringWitnessQuery(database: string): CatalogQuery<MirroringWitnessRecord[]> {
  return {
    statements: [
      statement(
        "SELECT w.database_name, w.principal_server_name, w.mirror_server_name, w.safety_level_desc, w.mirroring_guid, w.is_suspended, w.partner_sync_state_desc " +
          "FROM master.sys.database_mirroring_witnesses AS w WHERE w.database_name = @database ORDER BY w.principal_server_name",
        { database: nvarchar(database) },
      ),
    ],
    resultCount: 1,
    map: ([rows]) =>
      (rows ?? []).map((row) => ({
        database: text(row, "database_name"),
        principalServerName: text(row, "principal_server_name"),
        mirrorServerName: text(row, "mirror_server_name"),
        safety: oneOf(row, "safety_level_desc", SAFETY),
        mirroringGuid: guid(row, "mirroring_guid"),
        suspended: flag(row, "is_suspended"),
        partnerSyncState: text(row, "partner_sync_state_desc").trim(),
      })),
  };
}

/**
 * The database as seeding sees it on either side — state, recovery model, log chain, availability
 * group — from `sys.databases` and `sys.database_recovery_status` only (no mirroring view), so the
 * backup and restore steps stand on their own. Undefined when the database does not exist.
 */
export function seedingStateQuery(database: string): CatalogQuery<SeedingStateRecord> {
  return {
    statements: [
      statement(
        "SELECT d.state_desc, d.recovery_model_desc, d.group_database_id, r.last_log_backup_lsn FROM master.sys.databases AS d " +
          "LEFT JOIN master.sys.database_recovery_status AS r ON r.database_id = d.database_id WHERE d.name = @database",
        { database: nvarchar(database) },
      ),
    ],
    resultCount: 1,
    map([rows]) {
      const row = rows?.[0];
      if (row === undefined) return undefined;
      return {
        state: text(row, "state_desc").trim(),
        recoveryModel: text(row, "recovery_model_desc").trim(),
        logChainStarted: present(row, "last_log_backup_lsn"),
        inAvailabilityGroup: present(row, "group_database_id"),
      };
    },
  };
}
