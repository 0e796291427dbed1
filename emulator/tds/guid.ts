/**
 * UNIQUEIDENTIFIER byte order: SQL Server stores a GUID like Windows' `GUID` struct, so the
 * first three groups are little-endian and the last two are in text order.
 */

const GUID_TEXT = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (braces optional) into the 16 wire bytes; `undefined` when not a GUID. */
export function guidToBytes(text: string): Buffer | undefined {
  const m = GUID_TEXT.exec(text.trim());
  if (!m) return undefined;
  const out = Buffer.alloc(16);
  Buffer.from(m[1]!, "hex").reverse().copy(out, 0);
  Buffer.from(m[2]!, "hex").reverse().copy(out, 4);
  Buffer.from(m[3]!, "hex").reverse().copy(out, 6);
  Buffer.from(m[4]! + m[5]!, "hex").copy(out, 8);
  return out;
}

/** Formats 16 wire bytes as an upper-case GUID string, as SQL Server and tedious display it. */
export function bytesToGuid(bytes: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString("hex");
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join("-").toUpperCase();
}
