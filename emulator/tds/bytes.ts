/**
 * Bounds-checked reading and growable writing of little-endian TDS fields. Every parser goes
 * through {@link ByteReader}, so a length or offset that points outside the message becomes a
 * {@link TdsProtocolError} instead of a RangeError or, worse, a silently short value.
 */
import { TdsProtocolError } from "./protocol";

/** Sequential reader over one message payload. */
export class ByteReader {
  /** Current read position, in bytes from the start of {@link buffer}. */
  offset: number;

  /** Starts reading `buffer` at `offset`. */
  constructor(
    /** The bytes being parsed. */
    readonly buffer: Buffer,
    offset = 0,
    /** What is being parsed, for error messages (e.g. `RPC`). */
    readonly what = "message",
  ) {
    this.offset = offset;
  }

  /** Bytes left after {@link offset}. */
  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  /** Advances past `n` bytes and returns where they start, or throws when they are not all there. */
  private take(n: number): number {
    if (n < 0 || this.offset + n > this.buffer.length) {
      throw new TdsProtocolError(`${this.what} truncated: needs ${n} bytes at offset ${this.offset}, has ${this.remaining}`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  /** Reads an unsigned byte. */
  u8(): number {
    return this.buffer[this.take(1)]!;
  }
  /** Reads a little-endian u16 (USHORT). */
  u16(): number {
    return this.buffer.readUInt16LE(this.take(2));
  }
  /** Reads a big-endian u16 (PRELOGIN option table, packet header). */
  u16be(): number {
    return this.buffer.readUInt16BE(this.take(2));
  }
  /** Reads a little-endian i16. */
  i16(): number {
    return this.buffer.readInt16LE(this.take(2));
  }
  /** Reads a little-endian u32 (DWORD / ULONG). */
  u32(): number {
    return this.buffer.readUInt32LE(this.take(4));
  }
  /** Reads a little-endian i32 (LONG). */
  i32(): number {
    return this.buffer.readInt32LE(this.take(4));
  }
  /** Reads a little-endian u64 (ULONGLONG, e.g. a PLP length). */
  u64(): bigint {
    return this.buffer.readBigUInt64LE(this.take(8));
  }
  /** Reads a little-endian i64 (BIGINT). */
  i64(): bigint {
    return this.buffer.readBigInt64LE(this.take(8));
  }
  /** Reads an IEEE 754 single (REAL). */
  f32(): number {
    return this.buffer.readFloatLE(this.take(4));
  }
  /** Reads an IEEE 754 double (FLOAT). */
  f64(): number {
    return this.buffer.readDoubleLE(this.take(8));
  }
  /** Unsigned little-endian integer of 1–6 bytes (TDS time and date fields). */
  uintLE(bytes: number): number {
    return this.buffer.readUIntLE(this.take(bytes), bytes);
  }
  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buffer.subarray(at, at + n);
  }
  /** `chars` UTF-16 code units. */
  ucs2(chars: number): string {
    const at = this.take(chars * 2);
    return this.buffer.toString("utf16le", at, at + chars * 2);
  }
}

const INITIAL_CAPACITY = 256;

/** Append-only little-endian writer that grows by doubling, for building one reply message. */
export class ByteWriter {
  private buf: Buffer;
  /** Bytes written so far. */
  length = 0;

  /** @param capacity initial size of the internal buffer; it doubles as needed. */
  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /**
   * Makes room for `n` more bytes and returns where they go. It may replace `buf`, so callers
   * must call it before touching `buf` (not inside `this.buf.write…(v, this.reserve(n))`).
   */
  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let capacity = this.buf.length * 2;
      while (capacity < at + n) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.length += n;
    return at;
  }

  /** Appends an unsigned byte. */
  u8(v: number): this {
    const at = this.reserve(1);
    this.buf[at] = v;
    return this;
  }
  /** Appends a little-endian u16. */
  u16(v: number): this {
    const at = this.reserve(2);
    this.buf.writeUInt16LE(v, at);
    return this;
  }
  /** Appends a big-endian u16 (PRELOGIN option table and VERSION). */
  u16be(v: number): this {
    const at = this.reserve(2);
    this.buf.writeUInt16BE(v, at);
    return this;
  }
  /** Appends a little-endian u32. */
  u32(v: number): this {
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }
  /** Appends a little-endian i32. */
  i32(v: number): this {
    const at = this.reserve(4);
    this.buf.writeInt32LE(v, at);
    return this;
  }
  /** Appends a little-endian u64 (row counts, PLP lengths). */
  u64(v: bigint): this {
    const at = this.reserve(8);
    this.buf.writeBigUInt64LE(v, at);
    return this;
  }
  /** Appends a little-endian i64 (BIGINT values). */
  i64(v: bigint): this {
    const at = this.reserve(8);
    this.buf.writeBigInt64LE(v, at);
    return this;
  }
  /** Unsigned little-endian integer of 1–6 bytes. */
  uintLE(v: number, bytes: number): this {
    const at = this.reserve(bytes);
    this.buf.writeUIntLE(v, at, bytes);
    return this;
  }
  /** Appends raw bytes. */
  bytes(b: Uint8Array): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }
  /** The string as UTF-16LE, without a length prefix. */
  ucs2(s: string): this {
    const at = this.reserve(s.length * 2);
    this.buf.write(s, at, "utf16le");
    return this;
  }
  /** B_VARCHAR; longer strings are cut at 255 characters, the most the field can say. */
  bVarchar(s: string): this {
    const text = s.length > 0xff ? s.slice(0, 0xff) : s;
    return this.u8(text.length).ucs2(text);
  }
  /** US_VARCHAR; longer strings are cut at 65 535 characters. */
  usVarchar(s: string): this {
    const text = s.length > 0xffff ? s.slice(0, 0xffff) : s;
    return this.u16(text.length).ucs2(text);
  }
  /** B_VARBYTE: a u8 length, then the bytes. */
  bVarbyte(b: Uint8Array): this {
    return this.u8(b.length).bytes(b);
  }
  /** Overwrites a u16 written earlier (token lengths and DONE status patched after the fact). */
  patchU16(at: number, v: number): void {
    this.buf.writeUInt16LE(v, at);
  }
  /** Reads back a u16 written earlier. */
  peekU16(at: number): number {
    return this.buf.readUInt16LE(at);
  }
  /** The bytes written, as a view of the internal buffer (valid until the next write). */
  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
