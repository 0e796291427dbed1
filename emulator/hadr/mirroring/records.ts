/**
 * What a mirroring session is on one instance, as it is kept (and written to `dataDir`, so a
 * session survives `restart()`): one {@link PartnerRecord} per mirrored database on each partner,
 * one {@link WitnessRecord} per session on the witness.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { MirroringRole, MirroringSafety } from "../../engine/engine";

/** One database's session as one partner keeps it. */
export interface PartnerRecord {
  /** The database's name. */
  database: string;
  /** mirroring_guid (upper case). A mirror that has not been joined by its principal yet has a provisional one. */
  guid: string;
  /** The local copy's role. */
  role: MirroringRole;
  /** False on the mirror between its own SET PARTNER and the principal's: the session has not started. */
  started: boolean;
  /** The other partner's server network address (mirroring_partner_name). */
  partnerUrl: string;
  /** The other partner's @@SERVERNAME, once known (mirroring_partner_instance). */
  partnerServer: string | null;
  /** The witness's address, or null. */
  witnessUrl: string | null;
  /** The witness's @@SERVERNAME, once known. */
  witnessServer: string | null;
  /** SAFETY (default FULL). */
  safety: MirroringSafety;
  /** mirroring_safety_sequence. */
  safetySequence: number;
  /** mirroring_role_sequence. */
  roleSequence: number;
  /** TIMEOUT, seconds (default 10). */
  timeoutSeconds: number;
  /** SET PARTNER SUSPEND in effect. */
  suspended: boolean;
  /** is_suspended_sequence_number (the witness's view). */
  suspendedSequence: number;
  /** The database's family_guid. */
  familyGuid: string;
  /** mirroring_failover_lsn as a decimal string: the last LSN both copies are known to hold. */
  failoverLsn: string | null;
}

/** One session as its witness keeps it (the rows of sys.database_mirroring_witnesses). */
export interface WitnessRecord {
  /** mirroring_guid. */
  guid: string;
  /** database_name. */
  database: string;
  /** principal_server_name: @@SERVERNAME of the partner whose copy is principal. */
  principalServer: string;
  /** The principal's endpoint address (the witness keeps a link to it). */
  principalUrl: string;
  /** mirror_server_name. */
  mirrorServer: string;
  /** The mirror's endpoint address (the witness keeps a link to it). */
  mirrorUrl: string;
  /** safety_level as the principal last reported it. */
  safety: MirroringSafety;
  /** safety_sequence_number. */
  safetySequence: number;
  /** role_sequence_number: a report with a lower one (an old principal's) does not replace this record. */
  roleSequence: number;
  /** family_guid of the database. */
  familyGuid: string;
  /** is_suspended. */
  suspended: boolean;
  /** is_suspended_sequence_number. */
  suspendedSequence: number;
  /** partner_sync_state: what the principal last reported. */
  synchronized: boolean;
}

/** Everything one instance keeps about mirroring. */
export interface MirroringState {
  /** The databases in a session on this instance (as principal or mirror). */
  partners: PartnerRecord[];
  /** The sessions this instance is witness of. */
  witness: WitnessRecord[];
}

const FILE = "mirroring.json";

/** The state saved in `dataDir`, or an empty one. */
export function loadMirroringState(dataDir: string | undefined): MirroringState {
  if (dataDir === undefined) return { partners: [], witness: [] };
  try {
    const parsed = JSON.parse(readFileSync(path.join(dataDir, FILE), "utf8")) as Partial<MirroringState>;
    return { partners: parsed.partners ?? [], witness: parsed.witness ?? [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { partners: [], witness: [] };
    throw error;
  }
}

/** Writes the state to `dataDir` atomically (a temporary file renamed over the old one), mode 0600. */
export function saveMirroringState(dataDir: string | undefined, state: MirroringState): void {
  if (dataDir === undefined) return;
  mkdirSync(dataDir, { recursive: true });
  const target = path.join(dataDir, FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state, null, 1), { mode: 0o600 });
  renameSync(temporary, target);
}
