/**
 * The byte transport under TDS for one connection, in the three shapes tedious uses on one port:
 *
 * - plaintext (`encrypt: false`): TDS packets straight on the socket;
 * - TLS negotiated inside PRELOGIN (`encrypt: true`): after the PRELOGIN exchange the client's
 *   handshake records arrive wrapped in PRELOGIN packets and each server flight must go back as
 *   exactly one PRELOGIN message; once the client starts sending raw TLS records, everything is
 *   raw TLS;
 * - TDS 8.0 strict (`encrypt: 'strict'`): the client opens with a TLS ClientHello (first byte 0x16
 *   instead of 0x12, ALPN `tds/8.0`) and TDS runs inside that TLS from the first byte.
 *
 * Node's TLS engine runs over an in-memory duplex pair so the server decides what goes on the wire.
 */
import type * as net from "node:net";
import { duplexPair, type Duplex } from "node:stream";
import * as tls from "node:tls";
import { encodeMessage, MessageAssembler } from "./packets";
import { PacketType, TdsProtocolError } from "./protocol";

/** How the connection's bytes are protected; reported to the handler as `ConnectionInfo.encryption`. */
export type EncryptionMode = "off" | "tls" | "strict";

/** TLS material shared by every connection of a server. */
export interface TlsContexts {
  /** For TLS inside PRELOGIN: capped at TLS 1.2 like SQL Server, because a TLS 1.3 server sends session tickets after the handshake, outside the one-reply-per-flight rhythm. */
  prelogin: tls.SecureContext;
  /** For TDS 8.0 strict mode. */
  strict: tls.SecureContext;
}

/** Creates both secure contexts from PEM key and certificate. */
export function createTlsContexts(key: string, cert: string): TlsContexts {
  return {
    prelogin: tls.createSecureContext({ key, cert, maxVersion: "TLSv1.2" }),
    strict: tls.createSecureContext({ key, cert }),
  };
}

/** Callbacks from the transport to its connection. */
export interface TransportEvents {
  /** Cleartext TDS bytes from the client. */
  onData(chunk: Buffer): void;
  /** The transport failed (bad TLS, bad wrapping); the connection must close. */
  onError(error: Error): void;
}

/** Record content types that start a raw TLS record (change_cipher_spec, alert, handshake, application_data). */
const TLS_RECORD_FIRST = 0x14;
const TLS_RECORD_LAST = 0x17;
const TLS_HANDSHAKE_RECORD = 0x16;
/** PRELOGIN packet size used for wrapped handshake flights (login has not negotiated a size yet). */
const HANDSHAKE_PACKET_SIZE = 4096;
/** Handshake messages are a few kilobytes; anything much larger is not a handshake. */
const HANDSHAKE_LIMITS = { maxPacketLength: 32768, maxMessageBytes: 256 * 1024 };

type State = "sniff" | "plain" | "wrapped-handshake" | "tls";

/** One connection's transport. Construct it on a fresh socket; it takes over the socket's `data` events. */
export class TdsTransport {
  /** Current protection; `off` until TLS starts. */
  mode: EncryptionMode = "off";
  private state: State = "sniff";
  private cleartext: tls.TLSSocket | undefined;
  private encrypted: Duplex | undefined;
  private handshakeFrames: MessageAssembler | undefined;
  private flight: Buffer[] = [];
  private flushScheduled = false;

  /** Wraps a freshly accepted socket; `spid` goes into the headers of wrapped handshake packets. */
  constructor(
    private readonly socket: net.Socket,
    private readonly contexts: TlsContexts,
    private readonly spid: number,
    private readonly events: TransportEvents,
  ) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
  }

  /** Sends cleartext TDS bytes (already framed as packets). */
  send(bytes: Buffer): void {
    if (this.cleartext) this.cleartext.write(bytes);
    else this.socket.write(bytes);
  }

  /**
   * Starts the TLS handshake carried in PRELOGIN packets. Call right after sending a PRELOGIN
   * reply that says ENCRYPT_ON, before any more bytes arrive.
   */
  beginPreloginTls(): void {
    this.handshakeFrames = new MessageAssembler(HANDSHAKE_LIMITS);
    this.state = "wrapped-handshake";
    this.startTls("tls");
  }

  /** Sends what is queued, then closes gracefully (TLS close_notify, then FIN). */
  end(): void {
    if (this.cleartext) this.cleartext.end();
    else this.socket.end();
  }

  /** Tears down TLS state; the connection destroys the socket itself. */
  destroy(): void {
    this.cleartext?.destroy();
    this.encrypted?.destroy();
  }

  private receive(chunk: Buffer): void {
    try {
      switch (this.state) {
        case "sniff":
          if (chunk[0] === TLS_HANDSHAKE_RECORD) {
            this.state = "tls";
            this.startTls("strict");
            this.encrypted!.write(chunk);
          } else {
            this.state = "plain";
            this.events.onData(chunk);
          }
          return;
        case "plain":
          this.events.onData(chunk);
          return;
        case "wrapped-handshake":
          this.receiveHandshake(chunk);
          return;
        case "tls":
          this.encrypted!.write(chunk);
          return;
      }
    } catch (error) {
      this.events.onError(error as Error);
    }
  }

  private receiveHandshake(chunk: Buffer): void {
    const frames = this.handshakeFrames!;
    // The client switches to raw TLS only after our final flight reached it, so a record header
    // at a packet boundary marks the end of wrapping for both directions.
    if (frames.bufferedBytes === 0 && chunk[0]! >= TLS_RECORD_FIRST && chunk[0]! <= TLS_RECORD_LAST) {
      this.flushFlight();
      this.state = "tls";
      this.handshakeFrames = undefined;
      this.encrypted!.write(chunk);
      return;
    }
    for (const message of frames.push(chunk)) {
      if (message.type !== PacketType.Prelogin) {
        throw new TdsProtocolError(`packet type 0x${message.type.toString(16)} during the PRELOGIN TLS handshake`);
      }
      this.encrypted!.write(message.payload);
    }
  }

  private startTls(mode: "tls" | "strict"): void {
    const [outer, inner] = duplexPair();
    this.mode = mode;
    this.encrypted = outer;
    this.cleartext = new tls.TLSSocket(inner, {
      isServer: true,
      secureContext: mode === "strict" ? this.contexts.strict : this.contexts.prelogin,
      ...(mode === "strict" ? { ALPNProtocols: ["tds/8.0"] } : {}),
    });
    outer.on("data", (records: Buffer) => this.sendRecords(records));
    outer.on("end", () => this.socket.end());
    outer.on("error", (error: Error) => this.events.onError(error));
    this.cleartext.on("data", (chunk: Buffer) => this.events.onData(chunk));
    this.cleartext.on("error", (error: Error) => this.events.onError(error));
  }

  private sendRecords(records: Buffer): void {
    if (this.state !== "wrapped-handshake") {
      this.socket.write(records);
      return;
    }
    // tedious answers each PRELOGIN message it sends by reading exactly one message, so the
    // records of one flight (written by the TLS engine in several chunks) go out together.
    this.flight.push(records);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushFlight());
    }
  }

  private flushFlight(): void {
    this.flushScheduled = false;
    if (this.flight.length === 0 || this.socket.destroyed) return;
    const flight = Buffer.concat(this.flight);
    this.flight = [];
    this.socket.write(encodeMessage(PacketType.Prelogin, flight, HANDSHAKE_PACKET_SIZE, this.spid));
  }
}
