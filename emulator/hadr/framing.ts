/**
 * Framing of the emulator's endpoint protocol (its own design: SQL Server's endpoint protocol is not
 * public). A frame is a 4-byte big-endian length, then a 1-byte type, then the payload; the length
 * counts the type byte and the payload. Application messages (`Data`) carry a channel name and a
 * body: a 2-byte big-endian channel length, the channel in UTF-8, then the body.
 */

/** Frame types. Handshake frames come first, in this order; `Data` only after `Accept`. */
export const FrameType = {
  /** Acceptor → initiator: `{ protocol, version, server, challenge }` (JSON). */
  Challenge: 1,
  /** Initiator → acceptor: who it is, its endpoint's terms, its certificate, the challenge echoed (JSON). */
  Hello: 2,
  /** Initiator → acceptor: the signature (raw bytes) over the challenge and the exact Hello bytes. */
  Proof: 3,
  /** Acceptor → initiator: the connection is established (`{ connectionId, encryption }`, JSON). */
  Accept: 4,
  /** Acceptor → initiator: refused (`{ number, message }`, JSON); the acceptor then closes. */
  Refuse: 5,
  /** Either way, after Accept: one application message. */
  Data: 16,
} as const;

/** A frame type number. */
export type FrameTypeNumber = (typeof FrameType)[keyof typeof FrameType];

/** One decoded frame. */
export interface Frame {
  /** A {@link FrameType} number (anything else is the peer's protocol error). */
  type: number;
  /** The bytes after the type. */
  payload: Buffer;
}

/** An application message: a channel (what the later layers multiplex on) and bytes. */
export interface Message {
  /** What the message is about, e.g. `ag/metadata`, `log`, `heartbeat` (at most 1024 UTF-8 bytes). */
  channel: string;
  /** The message itself. */
  body: Buffer;
}

/** The input broke the framing rules: empty or oversized frame. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FramingError";
  }
}

const HEADER_BYTES = 4;
/** Longest channel name in bytes. */
export const MAX_CHANNEL_BYTES = 1024;

/** Encodes one frame. */
export function encodeFrame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES + 1);
  header.writeUInt32BE(payload.length + 1, 0);
  header.writeUInt8(type, HEADER_BYTES);
  return Buffer.concat([header, payload]);
}

/** Encodes a `Data` payload. */
export function encodeMessage(message: Message): Buffer {
  const channel = Buffer.from(message.channel, "utf8");
  if (channel.length > MAX_CHANNEL_BYTES) throw new RangeError(`channel name is ${channel.length} bytes; at most ${MAX_CHANNEL_BYTES}`);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(channel.length, 0);
  return Buffer.concat([head, channel, message.body]);
}

/** Decodes a `Data` payload; throws {@link FramingError} when it is malformed. */
export function decodeMessage(payload: Buffer): Message {
  if (payload.length < 2) throw new FramingError("data frame shorter than its channel length");
  const length = payload.readUInt16BE(0);
  if (length > MAX_CHANNEL_BYTES || payload.length < 2 + length) throw new FramingError("data frame with a bad channel length");
  return { channel: payload.subarray(2, 2 + length).toString("utf8"), body: Buffer.from(payload.subarray(2 + length)) };
}

/**
 * Splits a byte stream into frames. Bounded: a frame longer than `maxFrameBytes` (type + payload)
 * is refused before its payload is buffered.
 */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(
    /** Largest frame accepted (type byte + payload). Can be raised once the peer is authenticated. */
    public maxFrameBytes: number,
  ) {}

  /** Feeds bytes; returns the frames completed by them, in order. Throws {@link FramingError}. */
  push(chunk: Buffer): Frame[] {
    this.buffered.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.size < HEADER_BYTES) break;
      const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
      this.buffered = [all];
      const length = all.readUInt32BE(0);
      if (length === 0) throw new FramingError("empty frame");
      if (length > this.maxFrameBytes) throw new FramingError(`frame of ${length} bytes is over the limit of ${this.maxFrameBytes}`);
      if (this.size < HEADER_BYTES + length) break;
      frames.push({ type: all[HEADER_BYTES]!, payload: Buffer.from(all.subarray(HEADER_BYTES + 1, HEADER_BYTES + length)) });
      const rest = all.subarray(HEADER_BYTES + length);
      this.buffered = rest.length ? [rest] : [];
      this.size = rest.length;
    }
    return frames;
  }
}
