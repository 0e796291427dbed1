/**
 * TDS packet framing (MS-TDS 2.2.3): cutting the byte stream into 8-byte-header packets,
 * assembling packets into messages, and splitting replies by the negotiated packet size.
 */
import { PACKET_HEADER_LENGTH, PacketStatus, TdsProtocolError } from "./protocol";

/** One complete client message: the payloads of its packets joined, header fields kept. */
export interface TdsMessage {
  /** Header `Type` of the message's packets ({@link PacketType}). */
  type: number;
  /** Header `Status` bits of all its packets OR-ed together ({@link PacketStatus}). */
  status: number;
  /** The payload without packet headers. */
  payload: Buffer;
}

/** Limits that keep one client from making the server buffer without bound. */
export interface FramingLimits {
  /** Largest packet accepted, header included (header `Length`). */
  maxPacketLength: number;
  /** Largest message accepted, summed over its packets' payloads. */
  maxMessageBytes: number;
}

/**
 * Turns received bytes into messages. Feed it whatever the socket delivers; it returns the
 * messages completed by that chunk and keeps the rest (at most one partial packet plus the
 * packets of one unfinished message).
 */
export class MessageAssembler {
  private pending: Buffer | undefined;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private type = -1;
  private status = 0;

  /** @param limits bounds enforced on every packet and message. */
  constructor(private readonly limits: FramingLimits) {}

  /** Bytes held that do not yet form a complete message. */
  get bufferedBytes(): number {
    return (this.pending?.length ?? 0) + this.partBytes;
  }

  /** Consumes a chunk; returns the messages it completed, in order. Throws {@link TdsProtocolError}. */
  push(chunk: Buffer): TdsMessage[] {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const done: TdsMessage[] = [];
    let at = 0;
    while (data.length - at >= PACKET_HEADER_LENGTH) {
      const type = data[at]!;
      const status = data[at + 1]!;
      const length = data.readUInt16BE(at + 2);
      if (length < PACKET_HEADER_LENGTH || length > this.limits.maxPacketLength) {
        throw new TdsProtocolError(`packet length ${length} outside ${PACKET_HEADER_LENGTH}..${this.limits.maxPacketLength}`);
      }
      if (data.length - at < length) break;
      if (this.type !== -1 && type !== this.type) {
        throw new TdsProtocolError(`packet of type 0x${type.toString(16)} inside a message of type 0x${this.type.toString(16)}`);
      }
      this.type = type;
      this.status |= status;
      this.partBytes += length - PACKET_HEADER_LENGTH;
      if (this.partBytes > this.limits.maxMessageBytes) {
        throw new TdsProtocolError(`message larger than ${this.limits.maxMessageBytes} bytes`);
      }
      this.parts.push(data.subarray(at + PACKET_HEADER_LENGTH, at + length));
      at += length;
      if (status & PacketStatus.EndOfMessage) {
        const payload = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
        done.push({ type: this.type, status: this.status, payload });
        this.parts = [];
        this.partBytes = 0;
        this.type = -1;
        this.status = 0;
      }
    }
    if (at < data.length) this.pending = data.subarray(at);
    return done;
  }
}

/**
 * Frames a message as packets of at most `packetSize` bytes each, the last one flagged EOM.
 * `spid` goes in the header's SPID field so packet captures show which session answered.
 */
export function encodeMessage(type: number, payload: Buffer, packetSize: number, spid: number): Buffer {
  const room = packetSize - PACKET_HEADER_LENGTH;
  const count = Math.max(1, Math.ceil(payload.length / room));
  const out = Buffer.allocUnsafe(payload.length + count * PACKET_HEADER_LENGTH);
  let src = 0;
  let dst = 0;
  for (let i = 0; i < count; i++) {
    const size = Math.min(room, payload.length - src);
    out[dst] = type;
    out[dst + 1] = i === count - 1 ? PacketStatus.EndOfMessage : 0;
    out.writeUInt16BE(size + PACKET_HEADER_LENGTH, dst + 2);
    out.writeUInt16BE(spid & 0xffff, dst + 4);
    out[dst + 6] = (i + 1) & 0xff;
    out[dst + 7] = 0;
    payload.copy(out, dst + PACKET_HEADER_LENGTH, src, src + size);
    src += size;
    dst += size + PACKET_HEADER_LENGTH;
  }
  return out;
}
