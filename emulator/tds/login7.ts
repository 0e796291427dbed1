/**
 * LOGIN7 (MS-TDS 2.2.6.4): the fixed 94-byte part, the offset/length table of variable fields,
 * password de-obfuscation and the FeatureExt block. Every offset is checked against the
 * message's own Length before it is followed.
 */
import { ByteReader } from "./bytes";
import { TdsProtocolError } from "./protocol";

/** Everything a LOGIN7 message carries that this server reads. */
export interface Login7 {
  /** `TDSVersion` the client speaks (0x74000004 for 7.4). */
  tdsVersion: number;
  /** `PacketSize` the client asks for, in bytes (0 means "server default"). */
  packetSize: number;
  /** `ClientProgVer`. */
  clientProgramVersion: number;
  /** `ClientPID`. */
  clientPid: number;
  /** `OptionFlags1`, `OptionFlags2`, `TypeFlags`, `OptionFlags3`, in wire order. */
  flags: { option1: number; option2: number; type: number; option3: number };
  /** `ClientLCID`. */
  clientLcid: number;
  /** `HostName`. */
  hostName: string;
  /** `UserName`. */
  userName: string;
  /** `Password`, de-obfuscated. */
  password: string;
  /** `AppName` (mssql sends `node-mssql`). */
  appName: string;
  /** `ServerName` the client connected to. */
  serverName: string;
  /** `CltIntName`, the client library (tedious sends `Tedious`). */
  libraryName: string;
  /** `Language` ('' = server default). */
  language: string;
  /** `Database` ('' = the login's default). */
  database: string;
  /** `ChangePassword`, de-obfuscated ('' when not changing). */
  newPassword: string;
  /** True when the client asks for integrated (SSPI/NTLM) authentication. */
  integratedSecurity: boolean;
  /** FeatureExt feature ids in order (UTF8_SUPPORT = 0x0A, FEDAUTH = 0x02). */
  features: number[];
}

const FIXED_LENGTH = 94;
const OPTION2_INTEGRATED_SECURITY = 0x80;
const OPTION3_EXTENSION = 0x10;
const FEATURE_TERMINATOR = 0xff;

/** Parses a LOGIN7 payload; throws {@link TdsProtocolError} on any inconsistency. */
export function parseLogin7(payload: Buffer): Login7 {
  const r = new ByteReader(payload, 0, "LOGIN7");
  const length = r.u32();
  if (length < FIXED_LENGTH || length > payload.length) {
    throw new TdsProtocolError(`LOGIN7 Length ${length} does not fit the ${payload.length}-byte message`);
  }
  const body = payload.subarray(0, length);
  const tdsVersion = r.u32();
  const packetSize = r.u32();
  const clientProgramVersion = r.u32();
  const clientPid = r.u32();
  r.u32(); // ConnectionID: only meaningful for routing, which this server does not do.
  const flags = { option1: r.u8(), option2: r.u8(), type: r.u8(), option3: r.u8() };
  r.i32(); // ClientTimeZone: SQL Server ignores it as well.
  const clientLcid = r.u32();

  // Variable fields: (offset u16, length u16); lengths in characters except where noted.
  const field = (what: string, unitBytes: number): Buffer => {
    const offset = r.u16();
    const count = r.u16();
    return slice(body, offset, count * unitBytes, what);
  };
  const hostName = ucs2(field("HostName", 2));
  const userName = ucs2(field("UserName", 2));
  const password = ucs2(deobfuscate(field("Password", 2)));
  const appName = ucs2(field("AppName", 2));
  const serverName = ucs2(field("ServerName", 2));
  const extension = field("Extension", 1); // cbExtension counts bytes, not characters.
  const libraryName = ucs2(field("CltIntName", 2));
  const language = ucs2(field("Language", 2));
  const database = ucs2(field("Database", 2));
  r.bytes(6); // ClientID (a MAC address).
  field("SSPI", 1);
  field("AtchDBFile", 2);
  const newPassword = ucs2(deobfuscate(field("ChangePassword", 2)));

  const features = flags.option3 & OPTION3_EXTENSION ? parseFeatureExt(body, extension) : [];
  return {
    tdsVersion,
    packetSize,
    clientProgramVersion,
    clientPid,
    flags,
    clientLcid,
    hostName,
    userName,
    password,
    appName,
    serverName,
    libraryName,
    language,
    database,
    newPassword,
    integratedSecurity: (flags.option2 & OPTION2_INTEGRATED_SECURITY) !== 0,
    features,
  };
}

/** A variable field: must lie after the fixed part and inside the message. */
function slice(body: Buffer, offset: number, bytes: number, what: string): Buffer {
  if (bytes === 0) return body.subarray(0, 0);
  if (offset < FIXED_LENGTH || offset + bytes > body.length) {
    throw new TdsProtocolError(`LOGIN7 ${what} (offset ${offset}, ${bytes} bytes) lies outside the ${body.length}-byte message`);
  }
  return body.subarray(offset, offset + bytes);
}

function ucs2(b: Buffer): string {
  return b.toString("utf16le");
}

/** Undoes the client's obfuscation: it swapped the nibbles of each byte, then XOR-ed with 0xA5. */
function deobfuscate(obfuscated: Buffer): Buffer {
  const out = Buffer.allocUnsafe(obfuscated.length);
  for (let i = 0; i < obfuscated.length; i++) {
    const x = obfuscated[i]! ^ 0xa5;
    out[i] = ((x & 0x0f) << 4) | (x >> 4);
  }
  return out;
}

/** Walks FeatureExt (`[id u8, length u32, data]* 0xFF`) to validate it; returns the feature ids. */
function parseFeatureExt(body: Buffer, extension: Buffer): number[] {
  if (extension.length < 4) throw new TdsProtocolError("LOGIN7 Extension is shorter than its 4-byte FeatureExt offset");
  const r = new ByteReader(body, extension.readUInt32LE(0), "LOGIN7 FeatureExt");
  if (r.offset < FIXED_LENGTH) throw new TdsProtocolError(`LOGIN7 FeatureExt offset ${r.offset} points into the fixed part`);
  const ids: number[] = [];
  for (;;) {
    const id = r.u8();
    if (id === FEATURE_TERMINATOR) return ids;
    r.bytes(r.u32());
    ids.push(id);
  }
}
