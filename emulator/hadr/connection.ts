/**
 * An established, authenticated endpoint connection: what the later layers (availability-group
 * metadata, log blocks, heartbeats) send application messages over. Either side may send; frames
 * arrive in order; nothing is queued while the connection is down (a closed connection's `send`
 * returns false and the caller resends on the next one).
 */
import type { MirroringConnectionRow } from "../engine/engine";
import { decodeMessage, encodeMessage, FrameType, FramingError, type Message } from "./framing";
import type { Encryption, Established } from "./protocol";
import type { Wire, WireClosedError } from "./wire";

/** Largest application frame once authenticated (channel + body + 3 bytes): 16 MiB; larger payloads are the caller's to split. */
export const MAX_MESSAGE_FRAME_BYTES = 16 * 1024 * 1024;
/** Messages kept for a connection nobody listens to yet; beyond this the oldest are dropped. */
const MAX_UNREAD = 1000;

/** Who is at the other end. */
export interface PeerInfo {
  /** The other instance's @@SERVERNAME, as it announced itself. */
  serverName: string;
  /** Outbound: the URL connected to. Inbound: the initiator's address, `TCP://<address>:<port>` of its socket. */
  url: string;
  /** The role the initiator plays (replica, partner, witness). */
  role: "replica" | "partner" | "witness";
  /** The role the initiator addressed the acceptor in. */
  peerRole: "partner" | "witness";
  /** Inbound only: the login validated for CONNECT. */
  login?: string;
  /** Inbound only: certificate_id of the local copy of the initiator's certificate. */
  certificateId?: number;
}

/** Why a connection closed. */
export type CloseReason =
  /** `close()` was called, or the link that owns it was closed. */
  | "closed"
  /** The other side closed or reset it, or the network failed. */
  | "peer"
  /** The local endpoint was stopped, disabled, dropped or moved. */
  | "endpoint"
  /** The local instance stopped or restarted. */
  | "instance"
  /** `faults.dropEndpointConnections()`. */
  | "fault"
  /** The other side broke the framing. */
  | "protocol";

/** An established connection (see the module comment). */
export class EndpointConnection {
  /** `connection_id`: the same GUID on both sides. */
  readonly id: string;
  /** The local socket's GUID (`transport_stream_id`). */
  readonly transportStreamId: string;
  /** outbound: this instance connected; inbound: the peer did (`is_accept`). */
  readonly direction: "outbound" | "inbound";
  readonly peer: PeerInfo;
  /** The algorithm the endpoints agreed on (recorded, not applied). */
  readonly encryption: Encryption;
  /** When the TCP connection opened / the handshake completed (the instance's clock). */
  readonly connectTime: Date;
  readonly loginTime: Date;
  /** Application messages sent / received. */
  fragmentsSent = 0;
  fragmentsReceived = 0;
  private closeReason?: CloseReason;
  private readonly messageHandlers = new Set<(message: Message) => void>();
  private readonly closeHandlers = new Set<(reason: CloseReason) => void>();
  private readonly unread: Message[] = [];
  /** Resolves with the reason once the connection is closed. */
  readonly closed: Promise<CloseReason>;

  constructor(
    private readonly wire: Wire,
    direction: "outbound" | "inbound",
    established: Established,
    peerUrl: string,
    connectTime: Date,
    loginTime: Date,
    transportStreamId: string,
  ) {
    this.id = established.connectionId;
    this.transportStreamId = transportStreamId;
    this.direction = direction;
    this.encryption = established.encryption;
    this.connectTime = connectTime;
    this.loginTime = loginTime;
    this.peer = {
      serverName: established.peerServer,
      url: peerUrl,
      role: established.role,
      peerRole: established.peerRole,
      ...(established.login !== undefined ? { login: established.login } : {}),
      ...(established.peerCertificateId !== undefined ? { certificateId: established.peerCertificateId } : {}),
    };
    let resolveClosed!: (reason: CloseReason) => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    this.closeHandlers.add(resolveClosed);
    wire.maxFrameBytes = MAX_MESSAGE_FRAME_BYTES;
    wire.onClose((error: WireClosedError) => (error.reason === "framing" ? this.cut("protocol") : this.finish("peer")));
    wire.stream((frame) => {
      if (frame.type !== FrameType.Data) return this.cut("protocol");
      let message: Message;
      try {
        message = decodeMessage(frame.payload);
      } catch (e) {
        if (!(e instanceof FramingError)) throw e;
        return this.cut("protocol");
      }
      this.fragmentsReceived++;
      if (this.messageHandlers.size === 0) {
        if (this.unread.push(message) > MAX_UNREAD) this.unread.shift();
        return;
      }
      for (const handler of [...this.messageHandlers]) handler(message);
    });
  }

  /** True until the connection closes. */
  get open(): boolean {
    return this.closeReason === undefined;
  }

  /** Why it closed (undefined while open). */
  get reason(): CloseReason | undefined {
    return this.closeReason;
  }

  /** Sends one application message; false when the connection is closed. */
  send(channel: string, body: Buffer | string): boolean {
    if (!this.open) return false;
    const sent = this.wire.send(FrameType.Data, encodeMessage({ channel, body: typeof body === "string" ? Buffer.from(body, "utf8") : body }));
    if (sent) this.fragmentsSent++;
    return sent;
  }

  /** Receives every message (those that arrived before the first handler first). Returns the unsubscribe function. */
  onMessage(handler: (message: Message) => void): () => void {
    this.messageHandlers.add(handler);
    for (const message of this.unread.splice(0)) handler(message);
    return () => this.messageHandlers.delete(handler);
  }

  /** Called once when the connection closes (at once if it already has). Returns the unsubscribe function. */
  onClose(handler: (reason: CloseReason) => void): () => void {
    if (this.closeReason !== undefined) {
      handler(this.closeReason);
      return () => undefined;
    }
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /** Closes the connection (the peer sees it closed). */
  close(): void {
    this.cut("closed");
  }

  /** Closes it for `reason`. */
  cut(reason: CloseReason): void {
    if (!this.open) return;
    this.finish(reason);
    this.wire.destroy();
  }

  /** The row `sys.dm_db_mirroring_connections` shows for it. */
  row(): MirroringConnectionRow {
    const t = this.wire.totals;
    return {
      connectionId: this.id,
      transportStreamId: this.transportStreamId,
      connectTime: this.connectTime,
      loginTime: this.loginTime,
      lastActivityTime: this.wire.lastActivity,
      isAccept: this.direction === "inbound",
      principalName: this.peer.login ?? null,
      peerCertificateId: this.peer.certificateId ?? null,
      encryption: this.encryption,
      totals: { bytesSent: t.bytesSent, bytesReceived: t.bytesReceived, fragmentsSent: this.fragmentsSent, fragmentsReceived: this.fragmentsReceived, sends: t.sends, receives: t.receives },
    };
  }

  private finish(reason: CloseReason): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    for (const handler of [...this.closeHandlers]) handler(reason);
    this.closeHandlers.clear();
    this.messageHandlers.clear();
  }
}
