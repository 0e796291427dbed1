/**
 * The messages mirroring partners and witnesses exchange over their endpoint connections (channel
 * {@link CHANNEL}), JSON-encoded. The emulator's own protocol, like the handshake: emulated
 * instances talk to each other only. LSNs travel as decimal strings, log records and database
 * images in the database layer's own encodings.
 */
import { createHash } from "node:crypto";
import { encodeLogRecords, type LogRecord } from "../../engine/databases";
import type { MirroringSafety, MirroringStateDesc } from "../../engine/engine";

/** The channel every mirroring message uses. */
export const CHANNEL = "dbm";

/** What a partner says about its copy: the last LSN and a digest of that record (null when it has no record there). */
export interface LogPosition {
  /** The copy's last LSN (decimal), null for an empty log. */
  lastLsn: string | null;
  /** SHA-256 (hex) of the record at that LSN, null when the copy has no record there (rebuilt from an image). */
  lastDigest: string | null;
}

/** What the principal tells its mirror (and the witness) about the session. */
export interface SessionStatus {
  /** mirroring_state_desc as the principal sees it. */
  state: MirroringStateDesc;
  /** SAFETY. */
  safety: MirroringSafety;
  /** mirroring_safety_sequence. */
  safetySequence: number;
  /** TIMEOUT, seconds. */
  timeoutSeconds: number;
  /** The witness's address, or null. */
  witnessUrl: string | null;
  /** The witness's @@SERVERNAME (the mirror tells the witness's connections by it). */
  witnessServer: string | null;
  /** SET PARTNER SUSPEND in effect. */
  suspended: boolean;
  /** is_suspended_sequence_number. */
  suspendedSequence: number;
  /** mirroring_role_sequence: the later one wins when two copies claim the principal role. */
  roleSequence: number;
  /** mirroring_failover_lsn (decimal), or null. */
  failoverLsn: string | null;
}

/** Fields every message carries. */
interface Base {
  /** The database's name. */
  db: string;
  /** The sender's @@SERVERNAME. */
  from: string;
  /** The sender's endpoint address. */
  fromUrl: string;
  /** A request's id: the receiver answers with a `reply` of the same id on the same connection. */
  id?: string;
}

/** The body of a mirroring message. */
export type MirroringMessage = Base &
  (
    | { type: "reply"; ok: boolean; error?: { number: number; args: string[] }; data?: Record<string, unknown> }
    /** Principal → mirror: describe your copy (SET PARTNER on the principal). */
    | { type: "probe" }
    /** Principal → mirror: the session starts. */
    | { type: "start"; guid: string; status: SessionStatus }
    /** Principal → mirror: committed log records. */
    | { type: "log"; guid: string; records: string }
    /** Principal → mirror: the whole database, when the mirror's copy cannot continue the log. */
    | { type: "image"; guid: string; image: string }
    /** Mirror → principal: where its copy stands (after each `log`, `image` and on connecting). */
    | ({ type: "ack"; guid: string } & LogPosition)
    /** Either partner, on connecting: its role and log position. */
    | ({ type: "hello"; guid: string; role: "PRINCIPAL" | "MIRROR"; roleSequence: number } & LogPosition)
    /** Principal → mirror and witness: the session's settings and state (a request when a setting changes). */
    | { type: "status"; guid: string; status: SessionStatus; mirrorServer?: string; mirrorUrl?: string; familyGuid?: string }
    /** Principal → mirror: a planned failover at `lastLsn`. */
    | { type: "failover"; guid: string; lastLsn: string | null }
    /** Either partner: the session is over. */
    | { type: "off"; guid: string }
    /** Mirror → principal: SET PARTNER SUSPEND was run on the mirror. */
    | { type: "suspend"; guid: string }
    /** Partner → witness: stop being this session's witness. */
    | { type: "witnessOff"; guid: string }
    /** Mirror → witness: is the principal still connected to you? */
    | { type: "quorum"; guid: string; principalServer: string }
  );

/** Encodes a message. */
export function encodeMessage(message: MirroringMessage): string {
  return JSON.stringify(message);
}

/** Decodes a message; undefined for a body that is not one. */
export function decodeMessage(body: Buffer): MirroringMessage | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as MirroringMessage;
    return typeof parsed === "object" && parsed !== null && typeof parsed.type === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A digest of one log record, to tell whether two copies hold the same record at one LSN. */
export function recordDigest(record: LogRecord): string {
  return createHash("sha256").update(encodeLogRecords([record])).digest("hex");
}

/** bigint | null → decimal string | null. */
export const lsnText = (lsn: bigint | null): string | null => (lsn === null ? null : lsn.toString());
/** decimal string | null → bigint | null. */
export const lsnValue = (text: string | null | undefined): bigint | null => (text === null || text === undefined ? null : BigInt(text));
