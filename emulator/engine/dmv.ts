/**
 * Dynamic management views: rows about what the instance is doing now rather than what its catalog
 * holds. They are computed from facts the instance glue supplies (`InstanceServices`), so the engine
 * stays free of networking, and they are left out of catalog snapshots (`Engine.snapshot`), whose
 * before/after comparisons they would make volatile.
 *
 * - `sys.dm_db_mirroring_connections` ("Database Mirroring - sys.dm_db_mirroring_connections",
 *   relational-databases/system-dynamic-management-views/database-mirroring-sys-dm-db-mirroring-connections):
 *   one row per established endpoint connection, both directions (`is_accept`); VIEW SERVER STATE
 *   required (300 + 297 otherwise).
 */
import type { ColumnType } from "../results";
import { hasServerPermission } from "./access";
import { SqlError, sqlMessage } from "./errors";
import { defineView, type CatalogView } from "./views";
import { AVAILABILITY_GROUP_DYNAMIC_VIEWS } from "./availabilityGroups/views";

/**
 * One established database-mirroring endpoint connection, as the network layer reports it. Times are
 * the instance's clock.
 */
export interface MirroringConnectionRow {
  /** `connection_id`: the connection's GUID (the same on both sides of one connection). */
  connectionId: string;
  /** `transport_stream_id`: this side's socket's GUID. */
  transportStreamId: string;
  /** When the TCP connection was opened (`connect_time`). */
  connectTime: Date;
  /** When the handshake completed (`login_time`). */
  loginTime: Date;
  /** When a message was last sent or received (`last_activity_time`). */
  lastActivityTime: Date;
  /** `is_accept`: true when the remote instance opened the connection. */
  isAccept: boolean;
  /** `principal_name`: the login validated for CONNECT (accepted connections), else null. */
  principalName: string | null;
  /** `peer_certificate_id`: certificate_id of the local copy of the peer's certificate (accepted connections), else null. */
  peerCertificateId: number | null;
  /** The algorithm the two endpoints agreed on; `NONE` when they do not encrypt. */
  encryption: "NONE" | "RC4" | "AES";
  /** Traffic counters: bytes, application messages (fragments), socket writes / reads. */
  totals: {
    /** `total_bytes_sent`. */
    bytesSent: number;
    /** `total_bytes_received`. */
    bytesReceived: number;
    /** `total_fragments_sent`: application messages sent. */
    fragmentsSent: number;
    /** `total_fragments_received`. */
    fragmentsReceived: number;
    /** `total_sends`: socket writes. */
    sends: number;
    /** `total_receives`: socket reads. */
    receives: number;
  };
}

type Spec = { type: ColumnType; length?: number };
const guid: Spec = { type: "uniqueidentifier" };
const smallint: Spec = { type: "smallint" };
const datetime: Spec = { type: "datetime" };
const bit: Spec = { type: "bit" };
const int: Spec = { type: "int" };
const bigint: Spec = { type: "bigint" };
const nvarchar = (length: number): Spec => ({ type: "nvarchar", length });

/** `encryption_algorithm` codes of the page (0 None, 1 RC4, 2 AES). */
const ALGORITHM = { NONE: 0, RC4: 1, AES: 2 } as const;
/**
 * login_state_desc of login_state 12. The page lists the column as nvarchar(60) and its values as
 * sentences of up to 130 characters, which cannot both hold; the emulator shows the state's name
 * from the login_state list (an assumption, in emulator/README.md).
 */
const ONLINE = "ONLINE";

const mirroringConnections = defineView<MirroringConnectionRow>(
  "sys.dm_db_mirroring_connections",
  ({ catalog, viewer, instance }) => {
    if (!hasServerPermission(catalog, viewer.loginId, "VWSS")) {
      throw new SqlError(sqlMessage(297), "statement", [sqlMessage(300, ["VIEW SERVER STATE", "server", "master"])]);
    }
    return instance?.mirroringConnections() ?? [];
  },
  [
    ["connection_id", guid, (r) => r.connectionId],
    ["transport_stream_id", guid, (r) => r.transportStreamId],
    // Only established connections are listed: LOGGED_IN (4), login state ONLINE (12).
    ["state", smallint, () => 4],
    ["state_desc", nvarchar(60), () => "LOGGED_IN"],
    ["connect_time", datetime, (r) => r.connectTime],
    ["login_time", datetime, (r) => r.loginTime],
    ["authentication_method", nvarchar(128), () => "CERTIFICATE"],
    ["principal_name", nvarchar(128), (r) => r.principalName],
    ["remote_user_name", nvarchar(128), () => null],
    ["last_activity_time", datetime, (r) => r.lastActivityTime],
    ["is_accept", bit, (r) => r.isAccept],
    ["login_state", smallint, () => 12],
    ["login_state_desc", nvarchar(60), () => ONLINE],
    ["peer_certificate_id", int, (r) => r.peerCertificateId],
    ["encryption_algorithm", smallint, (r) => ALGORITHM[r.encryption]],
    ["encryption_algorithm_desc", nvarchar(60), (r) => r.encryption],
    ["receives_posted", smallint, () => 0],
    ["is_receive_flow_controlled", bit, () => false],
    ["sends_posted", smallint, () => 0],
    ["is_send_flow_controlled", bit, () => false],
    ["total_bytes_sent", bigint, (r) => BigInt(r.totals.bytesSent)],
    ["total_bytes_received", bigint, (r) => BigInt(r.totals.bytesReceived)],
    ["total_fragments_sent", bigint, (r) => BigInt(r.totals.fragmentsSent)],
    ["total_fragments_received", bigint, (r) => BigInt(r.totals.fragmentsReceived)],
    ["total_sends", bigint, (r) => BigInt(r.totals.sends)],
    ["total_receives", bigint, (r) => BigInt(r.totals.receives)],
    ["peer_arbitration_id", guid, () => null],
  ],
);

/** Every dynamic management view of the subset, by lower-case `sys.name` (never part of a snapshot). */
export const DYNAMIC_VIEWS: ReadonlyMap<string, CatalogView> = new Map([mirroringConnections, ...AVAILABILITY_GROUP_DYNAMIC_VIEWS].map((v) => [v.name, v]));
