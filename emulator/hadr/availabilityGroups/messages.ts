/**
 * What availability-group replicas say to each other over the endpoint connections, on the `ag`
 * channel, as JSON (dates, bytes and LSNs tagged as master.json tags them). The primary opens a link
 * to every secondary and speaks first; a secondary answers on that same connection. This protocol
 * is the emulator's own (SQL Server's is not public).
 */
import type { GroupConfig } from "../../engine/availabilityGroups/model";
import { replacer, reviver } from "../../engine/persistence";

/** The channel every message below travels on. */
export const AG_CHANNEL = "ag";

/** What a secondary reports about itself (after every configuration, seeding, log gap, or local change). */
export interface ReplicaStatus {
  t: "status";
  /** The group's name and the configuration's group_id the secondary holds (null before JOIN). */
  group: string;
  groupId: string | null;
  /** JOIN has run here. */
  joined: boolean;
  /** GRANT CREATE ANY DATABASE has run here. */
  createAnyDatabase: boolean;
  /** The secondary's own link to the primary's endpoint: whether it connects, and why not. */
  toPrimary: { connected: boolean; lastError?: { number: number; description: string; at: Date } };
  /** Each group database the secondary holds a joined copy of, with its last LSN (text). */
  databases: Array<{ groupDatabaseId: string; lastLsn: string | null }>;
}

/** Primary → secondary and back. */
export type AgMessage =
  | { t: "config"; config: GroupConfig }
  | { t: "seed"; group: string; groupDatabaseId: string; database: string; operationId: string; image: string }
  | { t: "log"; group: string; groupDatabaseId: string; database: string; records: string }
  | ReplicaStatus
  | { t: "ack"; group: string; groupDatabaseId: string; lastLsn: string | null }
  | { t: "seeded"; group: string; operationId: string; errorCode: number };

/** The message as the body of a frame. */
export function encodeAgMessage(message: AgMessage): string {
  return JSON.stringify(message, replacer);
}

/** A frame's body back as a message (undefined when it is not one: the peer is then ignored). */
export function decodeAgMessage(body: Buffer): AgMessage | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8"), reviver) as AgMessage;
    return typeof parsed === "object" && parsed !== null && typeof parsed.t === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}
