/**
 * A minimal DER (ASN.1 Distinguished Encoding Rules) writer: just the types an X.509 v3 certificate
 * needs. Writing DER by hand keeps the emulator free of third-party crypto packages; Node's own
 * `crypto` does the key generation, signing and parsing.
 */

/** Encodes a DER length (short form below 128, long form above). */
function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A tag-length-value triple. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** SEQUENCE of already-encoded elements. */
export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
/** SET of already-encoded elements (callers pass them in DER order). */
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
/** NULL. */
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
/** UTF8String. */
export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
/** OCTET STRING. */
export const octetString = (b: Buffer): Buffer => tlv(0x04, b);
/** BIT STRING with no unused bits. */
export const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
/** BOOLEAN. */
export const boolean = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
/** Context-specific constructed tag `[n]` (EXPLICIT). */
export const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 | n, content);
/** Context-specific primitive tag `[n]` (IMPLICIT, e.g. a GeneralName). */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);

/** INTEGER from unsigned big-endian magnitude bytes (adds the sign byte DER requires). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let bytes = magnitude.subarray(start);
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

/** INTEGER from a small non-negative number. */
export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

/** OBJECT IDENTIFIER from dotted form. */
export function objectIdentifier(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const bytes: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let n = part;
    do {
      chunk.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/**
 * X.509 Time: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5), whole seconds, UTC.
 */
export function x509Time(date: Date): Buffer {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const y = date.getUTCFullYear();
  const rest =
    pad(date.getUTCMonth() + 1) + pad(date.getUTCDate()) + pad(date.getUTCHours()) + pad(date.getUTCMinutes()) + pad(date.getUTCSeconds()) + "Z";
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(pad(y % 100) + rest, "ascii"));
  return tlv(0x18, Buffer.from(pad(y, 4) + rest, "ascii"));
}

/** One decoded DER element: its tag and the bounds of its content inside the source buffer. */
export interface DerElement {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

/** Reads the element at `offset`; throws on truncated or indefinite-length input. */
export function readElement(buf: Buffer, offset: number): DerElement {
  if (offset + 2 > buf.length) throw new Error("truncated DER");
  const tag = buf[offset]!;
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > buf.length) throw new Error("bad DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > buf.length) throw new Error("truncated DER");
  return { tag, start, end };
}

/** The child elements of a constructed element. */
export function children(buf: Buffer, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let o = parent.start; o < parent.end; ) {
    const e = readElement(buf, o);
    out.push(e);
    o = e.end;
  }
  return out;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "S",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "E",
};

/** Decodes an OBJECT IDENTIFIER's content to dotted form. */
export function decodeObjectIdentifier(content: Buffer): string {
  const parts: number[] = [Math.floor(content[0]! / 40), content[0]! % 40];
  let n = 0;
  for (const byte of content.subarray(1)) {
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join(".");
}

/** Decodes an X.501 Name into its attributes, in order, with the raw string values. */
export function decodeName(buf: Buffer, name: DerElement): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  for (const rdn of children(buf, name)) {
    for (const atv of children(buf, rdn)) {
      const [oid, value] = children(buf, atv);
      if (!oid || !value) throw new Error("bad Name");
      const dotted = decodeObjectIdentifier(buf.subarray(oid.start, oid.end));
      const raw = buf.subarray(value.start, value.end);
      // BMPString is UTF-16BE; every other string type here is ASCII-compatible or UTF-8.
      const text = value.tag === 0x1e ? Buffer.from(raw).swap16().toString("utf16le") : raw.toString("utf8");
      out.push({ type: ATTRIBUTE_NAMES[dotted] ?? dotted, value: text });
    }
  }
  return out;
}
