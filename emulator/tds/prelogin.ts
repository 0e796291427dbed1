/**
 * PRELOGIN (MS-TDS 2.2.6.5): the option table both sides exchange first, and the encryption
 * decision that follows from the client's ENCRYPTION option.
 */
import { ByteReader, ByteWriter } from "./bytes";
import { TdsProtocolError } from "./protocol";

/** PRELOGIN option tokens. */
const Option = { Version: 0x00, Encryption: 0x01, InstOpt: 0x02, ThreadId: 0x03, Mars: 0x04, Terminator: 0xff } as const;

/** ENCRYPTION option values (MS-TDS 2.2.6.5, `B_FENCRYPTION`). */
export const Encryption = {
  /** Encryption available but off (login-only encryption). */
  Off: 0x00,
  /** Encryption on. */
  On: 0x01,
  /** Encryption not supported. */
  NotSupported: 0x02,
  /** Encryption required. */
  Required: 0x03,
} as const;

/** What the server needs from a client's PRELOGIN. */
export interface PreloginRequest {
  /** The client's ENCRYPTION value without the client-certificate bit; `undefined` when absent. */
  encryption: number | undefined;
}

const OPTION_ENTRY_LENGTH = 5;
const CLIENT_CERT_BIT = 0x80;

/** Parses a client PRELOGIN payload, validating the option table against the payload bounds. */
export function parsePrelogin(payload: Buffer): PreloginRequest {
  const table = new ByteReader(payload, 0, "PRELOGIN option table");
  const entries: { token: number; offset: number; length: number }[] = [];
  for (;;) {
    const token = table.u8();
    if (token === Option.Terminator) break;
    entries.push({ token, offset: table.u16be(), length: table.u16be() });
  }
  const dataStart = table.offset;
  const seen = new Set<number>();
  let encryption: number | undefined;
  for (const { token, offset, length } of entries) {
    if (seen.has(token)) throw new TdsProtocolError(`PRELOGIN option 0x${token.toString(16)} given twice`);
    seen.add(token);
    if (length > 0 && (offset < dataStart || offset + length > payload.length)) {
      throw new TdsProtocolError(`PRELOGIN option 0x${token.toString(16)} points outside the payload`);
    }
    if (token === Option.Encryption) {
      if (length !== 1) throw new TdsProtocolError(`PRELOGIN ENCRYPTION has length ${length}, expected 1`);
      encryption = payload[offset]! & ~CLIENT_CERT_BIT;
      if (encryption > Encryption.Required) throw new TdsProtocolError(`PRELOGIN ENCRYPTION value ${encryption} unknown`);
    }
  }
  return { encryption };
}

/**
 * The ENCRYPTION answer. Clients that ask for encryption (ON/REQ) get ON and a TLS handshake;
 * clients that offer only login encryption (OFF) or none get NOT_SUP and stay plaintext, because
 * login-only encryption is not implemented (tedious never asks for it). Inside TDS 8.0 strict TLS
 * the value is ignored by clients, so NOT_SUP is sent to avoid a second handshake.
 */
export function answerEncryption(request: PreloginRequest, alreadyEncrypted: boolean): number {
  if (alreadyEncrypted) return Encryption.NotSupported;
  return request.encryption === Encryption.On || request.encryption === Encryption.Required ? Encryption.On : Encryption.NotSupported;
}

/** Server version as PRELOGIN VERSION and LOGINACK carry it. */
export interface ServerVersion {
  /** Major version (16 = SQL Server 2022). */
  major: number;
  /** Minor version. */
  minor: number;
  /** Build number (u16). */
  build: number;
}

/** Builds the PRELOGIN reply payload: VERSION, ENCRYPTION, INSTOPT (0), THREADID (empty), MARS (off). */
export function buildPreloginReply(version: ServerVersion, encryption: number): Buffer {
  const versionBytes = new ByteWriter(6).u8(version.major).u8(version.minor).u16be(version.build).u16be(0).finish();
  const options: [number, Buffer][] = [
    [Option.Version, versionBytes],
    [Option.Encryption, Buffer.from([encryption])],
    [Option.InstOpt, Buffer.from([0])],
    [Option.ThreadId, Buffer.alloc(0)],
    [Option.Mars, Buffer.from([0])],
  ];
  const w = new ByteWriter();
  let dataOffset = options.length * OPTION_ENTRY_LENGTH + 1;
  for (const [token, data] of options) {
    w.u8(token).u16be(dataOffset).u16be(data.length);
    dataOffset += data.length;
  }
  w.u8(Option.Terminator);
  for (const [, data] of options) w.bytes(data);
  return Buffer.from(w.finish());
}
