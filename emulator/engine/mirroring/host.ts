/**
 * What the engine needs from the database mirroring layer (emulator/hadr/mirroring/), which owns
 * the sessions and talks to the partners and the witness over the endpoints. The engine stays free
 * of networking: it parses the statements, checks who may run them, hands them to the host, and
 * serves the host's rows in sys.database_mirroring and sys.database_mirroring_witnesses.
 */
import type { MirroringOption, MirroringSafety } from "./options";

/** One ALTER DATABASE mirroring statement, as the engine hands it to the host. */
export interface MirroringAlterRequest {
  /** The database's name as the catalog spells it. */
  database: string;
  /** The option. */
  option: MirroringOption;
  /** The session's current database (SET PARTNER FAILOVER requires master). */
  currentDatabase: string;
}

/** Role of the local copy: PRINCIPAL (1) or MIRROR (2). */
export type MirroringRole = "PRINCIPAL" | "MIRROR";

/** sys.database_mirroring.mirroring_state_desc (the page's codes: 0 SUSPENDED … 4 SYNCHRONIZED). */
export type MirroringStateDesc = "SUSPENDED" | "DISCONNECTED" | "SYNCHRONIZING" | "PENDING_FAILOVER" | "SYNCHRONIZED";

/** mirroring_witness_state_desc: 0 UNKNOWN, 1 CONNECTED, 2 DISCONNECTED. */
export type WitnessStateDesc = "UNKNOWN" | "CONNECTED" | "DISCONNECTED";

/** The mirroring columns of one database's sys.database_mirroring row (a database not listed shows NULLs). */
export interface MirroringDatabaseRow {
  /** database_id. */
  databaseId: number;
  /** mirroring_guid: the partnership's id (upper-case GUID). */
  guid: string;
  /** mirroring_state. */
  state: MirroringStateDesc;
  /** mirroring_role. */
  role: MirroringRole;
  /** mirroring_role_sequence: role switches (failovers) so far. */
  roleSequence: number;
  /** mirroring_safety_level. */
  safety: MirroringSafety;
  /** mirroring_safety_sequence: safety changes so far. */
  safetySequence: number;
  /** mirroring_partner_name: the partner's server network address (`TCP://host:port`). */
  partnerName: string;
  /** mirroring_partner_instance: the partner's @@SERVERNAME, null until it is known. */
  partnerInstance: string | null;
  /** mirroring_witness_name: the witness's address, null without a witness. */
  witnessName: string | null;
  /** mirroring_witness_state, null without a witness. */
  witnessState: WitnessStateDesc | null;
  /** mirroring_failover_lsn: the last LSN both copies are known to hold, null before any. */
  failoverLsn: bigint | null;
  /** mirroring_connection_timeout, seconds (default 10). */
  timeoutSeconds: number;
  /** mirroring_end_of_log_lsn: the local end of log. */
  endOfLogLsn: bigint | null;
}

/** One sys.database_mirroring_witnesses row: a session this instance serves as witness. */
export interface MirroringWitnessRow {
  /** database_name. */
  databaseName: string;
  /** principal_server_name: @@SERVERNAME of the partner whose copy is principal. */
  principalServerName: string;
  /** mirror_server_name. */
  mirrorServerName: string;
  /** safety_level. */
  safety: MirroringSafety;
  /** safety_sequence_number. */
  safetySequence: number;
  /** role_sequence_number. */
  roleSequence: number;
  /** mirroring_guid. */
  guid: string;
  /** family_guid of the database. */
  familyGuid: string;
  /** is_suspended. */
  suspended: boolean;
  /** is_suspended_sequence_number. */
  suspendedSequence: number;
  /** partner_sync_state: synchronized (5) or not (6). */
  synchronized: boolean;
}

/** The database mirroring layer, as the engine sees it. */
export interface MirroringHost {
  /**
   * Runs one statement. Resolves when it took effect; rejects with an `SqlError` carrying SQL
   * Server's message (1416, 1418, …) when it is refused.
   */
  alter(request: MirroringAlterRequest): Promise<void>;
  /** The mirrored databases' rows. */
  databaseRows(): MirroringDatabaseRow[];
  /** The sessions this instance is witness of. */
  witnessRows(): MirroringWitnessRow[];
}
