/**
 * The database mirroring catalog views, with Microsoft's columns in Microsoft's order and types:
 * - `sys.database_mirroring` ("sys.database_mirroring (Transact-SQL)"): one row per database the
 *   viewer can see; every `mirroring_` column NULL unless the database is in a session. Non-NULL
 *   values of a mirror copy are shown to sysadmin only (the page).
 * - `sys.database_mirroring_witnesses` ("Database Mirroring Witness Catalog Views -
 *   sys.database_mirroring_witnesses"): a row for every witness role this instance plays.
 *
 * Their rows come from the mirroring layer (`InstanceServices.mirroring`) and change with the
 * connections, so, like the dynamic views, they are left out of catalog snapshots.
 */
import type { ColumnType, SqlValue } from "../../results";
import { canSeeDatabase } from "../databases/access";
import type { CatalogView, ViewContext } from "../views";
import type { MirroringDatabaseRow, MirroringStateDesc, MirroringWitnessRow, WitnessStateDesc } from "./host";

type Spec = { type: ColumnType; length?: number; precision?: number; scale?: number };
const int: Spec = { type: "int" };
const tinyint: Spec = { type: "tinyint" };
const bit: Spec = { type: "bit" };
const guid: Spec = { type: "uniqueidentifier" };
const sysname: Spec = { type: "nvarchar", length: 128 };
const nvarchar = (length: number): Spec => ({ type: "nvarchar", length });
/** numeric(25,0), how SQL Server shows LSNs. */
const lsn: Spec = { type: "decimal", precision: 25, scale: 0 };

/** The page's codes for mirroring_state. */
const STATE_CODES: Record<MirroringStateDesc, number> = { SUSPENDED: 0, DISCONNECTED: 1, SYNCHRONIZING: 2, PENDING_FAILOVER: 3, SYNCHRONIZED: 4 };
/** mirroring_witness_state codes. */
const WITNESS_CODES: Record<WitnessStateDesc, number> = { UNKNOWN: 0, CONNECTED: 1, DISCONNECTED: 2 };
/** mirroring_safety_level / safety_level codes: 1 OFF, 2 FULL. */
const SAFETY_CODES = { OFF: 1, FULL: 2 } as const;

type Row = { databaseId: number; session: MirroringDatabaseRow | null };
type Getter<T> = (row: T) => SqlValue;

function view<T>(name: string, source: (ctx: ViewContext) => T[], columns: Array<[string, Spec, Getter<T>]>): CatalogView {
  return {
    name,
    columns: columns.map(([n, spec]) => ({ name: n, ...spec })),
    rows: (ctx) => source(ctx).map((r) => columns.map(([, , get]) => get(r))),
  };
}

/** A getter of a session column, NULL for a database outside any session. */
const m = (get: (s: MirroringDatabaseRow) => SqlValue): Getter<Row> => (r) => (r.session ? get(r.session) : null);

const databaseMirroring = view<Row>(
  "sys.database_mirroring",
  (ctx) => {
    const store = ctx.databases;
    if (!store) return [];
    const sessions = new Map((ctx.instance?.mirroring?.databaseRows() ?? []).map((s) => [s.databaseId, s]));
    return [...store.state.databases]
      .filter((d) => canSeeDatabase(ctx, d, ctx.database))
      .sort((a, b) => a.id - b.id)
      .map((d) => {
        const session = sessions.get(d.id) ?? null;
        // "To see non-NULL values on a mirror database, you must be a member of the sysadmin fixed server role."
        const shown = session && (session.role === "PRINCIPAL" || ctx.viewer.sysadmin) ? session : null;
        return { databaseId: d.id, session: shown };
      });
  },
  [
    ["database_id", int, (r) => r.databaseId],
    ["mirroring_guid", guid, m((s) => s.guid)],
    ["mirroring_state", tinyint, m((s) => STATE_CODES[s.state])],
    ["mirroring_state_desc", nvarchar(60), m((s) => s.state)],
    ["mirroring_role", tinyint, m((s) => (s.role === "PRINCIPAL" ? 1 : 2))],
    ["mirroring_role_desc", nvarchar(60), m((s) => s.role)],
    ["mirroring_role_sequence", int, m((s) => s.roleSequence)],
    ["mirroring_safety_level", tinyint, m((s) => SAFETY_CODES[s.safety])],
    ["mirroring_safety_level_desc", nvarchar(60), m((s) => s.safety)],
    ["mirroring_safety_sequence", int, m((s) => s.safetySequence)],
    ["mirroring_partner_name", sysname, m((s) => s.partnerName)],
    ["mirroring_partner_instance", sysname, m((s) => s.partnerInstance)],
    ["mirroring_witness_name", sysname, m((s) => s.witnessName)],
    ["mirroring_witness_state", tinyint, m((s) => (s.witnessState === null ? null : WITNESS_CODES[s.witnessState]))],
    ["mirroring_witness_state_desc", nvarchar(60), m((s) => s.witnessState)],
    ["mirroring_failover_lsn", lsn, m((s) => s.failoverLsn)],
    ["mirroring_connection_timeout", int, m((s) => s.timeoutSeconds)],
    // UNLIMITED (the default): "If mirroring_redo_queue_type is set to UNLIMITED … this column is NULL."
    ["mirroring_redo_queue", int, () => null],
    ["mirroring_redo_queue_type", nvarchar(60), m(() => "UNLIMITED")],
    ["mirroring_end_of_log_lsn", lsn, m((s) => s.endOfLogLsn)],
    // Assumption: replication may send what both copies hold (the failover LSN).
    ["mirroring_replication_lsn", lsn, m((s) => s.failoverLsn)],
  ],
);

const witnesses = view<MirroringWitnessRow>(
  "sys.database_mirroring_witnesses",
  (ctx) => (ctx.viewer.sysadmin ? (ctx.instance?.mirroring?.witnessRows() ?? []) : []),
  [
    ["database_name", sysname, (w) => w.databaseName],
    ["principal_server_name", sysname, (w) => w.principalServerName],
    ["mirror_server_name", sysname, (w) => w.mirrorServerName],
    ["safety_level", tinyint, (w) => SAFETY_CODES[w.safety]],
    ["safety_level_desc", nvarchar(60), (w) => w.safety],
    ["safety_sequence_number", int, (w) => w.safetySequence],
    ["role_sequence_number", int, (w) => w.roleSequence],
    ["mirroring_guid", guid, (w) => w.guid],
    ["family_guid", guid, (w) => w.familyGuid],
    ["is_suspended", bit, (w) => w.suspended],
    ["is_suspended_sequence_number", int, (w) => w.suspendedSequence],
    // The page's codes: 5 synchronized, 6 not.
    ["partner_sync_state", tinyint, (w) => (w.synchronized ? 5 : 6)],
    ["partner_sync_state_desc", nvarchar(60), (w) => (w.synchronized ? "SYNCHRONIZED" : "UNSYNCHRONIZED")],
  ],
);

/** The mirroring views by lower-case `sys.name` (never part of a snapshot). */
export const MIRRORING_VIEWS: ReadonlyMap<string, CatalogView> = new Map([databaseMirroring, witnesses].map((v) => [v.name, v]));
