/**
 * The server collation and the single-byte code page behind VARCHAR. The emulator runs as
 * SQL_Latin1_General_CP1_CI_AS (the SQL Server setup default for US English), whose code page is
 * Windows-1252; VARCHAR values travel in that code page.
 */

/** SQL_Latin1_General_CP1_CI_AS as the 5-byte TDS COLLATION (LCID 0x0409, CI/AS flags, sort id 52). */
export const SERVER_COLLATION: Buffer = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

/** Collation flag bit (in byte 3 of the TDS COLLATION) for `_UTF8` collations. */
const UTF8_FLAG_BYTE3 = 0x04;

/** True when a TDS COLLATION says the bytes are UTF-8 (a `*_UTF8` collation). */
export function isUtf8Collation(collation: Buffer): boolean {
  return collation.length >= 4 && (collation[3]! & UTF8_FLAG_BYTE3) !== 0;
}

// Windows-1252 differs from ISO-8859-1 only in 0x80–0x9F; five of those bytes are unassigned and
// map to the C1 control with the same number, as Windows' own conversion does.
const CP1252_HIGH = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ";
const UNICODE_TO_CP1252 = new Map<number, number>();
for (let i = 0; i < CP1252_HIGH.length; i++) UNICODE_TO_CP1252.set(CP1252_HIGH.charCodeAt(i), 0x80 + i);

/** Decodes Windows-1252 bytes. */
export function decodeCp1252(bytes: Buffer): string {
  let needsTable = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 && b <= 0x9f) {
      needsTable = true;
      break;
    }
  }
  const latin1 = bytes.toString("latin1");
  if (!needsTable) return latin1;
  return latin1.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

/** Encodes text as Windows-1252; characters it cannot represent become `?`, as SQL Server does. */
export function encodeCp1252(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const mapped = UNICODE_TO_CP1252.get(code);
    if (mapped !== undefined) out[n++] = mapped;
    else if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) out[n++] = code;
    else out[n++] = 0x3f;
  }
  return out.subarray(0, n);
}
