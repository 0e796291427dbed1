/**
 * A deliberately small TDS client written from the spec for tests that must send what real
 * drivers never send. It shares no code with the server, so the two cannot agree on a mistake.
 */
import * as net from "node:net";

export const TYPE = { batch: 0x01, rpc: 0x03, reply: 0x04, attention: 0x06, bulk: 0x07, tm: 0x0e, login7: 0x10, prelogin: 0x12 } as const;
export const EOM = 0x01;
export const IGNORE = 0x02;

/** One packet: big-endian length in the header, as MS-TDS 2.2.3.1 says. */
export function packet(type: number, status: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header[1] = status;
  header.writeUInt16BE(payload.length + 8, 2);
  header[6] = 1;
  return Buffer.concat([header, payload]);
}

/** A PRELOGIN payload with VERSION, ENCRYPTION and a terminator. */
export function preloginPayload(encryption: number): Buffer {
  const table = Buffer.from([0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xff]);
  return Buffer.concat([table, Buffer.from([1, 2, 0, 3, 0, 0]), Buffer.from([encryption])]);
}

/** Obfuscates a password like a client does: swap nibbles, then XOR 0xA5. */
function obfuscate(password: string): Buffer {
  const bytes = Buffer.from(password, "utf16le");
  for (let i = 0; i < bytes.length; i++) bytes[i] = (((bytes[i]! << 4) & 0xf0) | (bytes[i]! >> 4)) ^ 0xa5;
  return bytes;
}

/** A LOGIN7 payload; `corrupt` rewrites the fixed part after it is built. */
export function login7Payload(user: string, password: string, corrupt?: (fixed: Buffer) => void): Buffer {
  const fields: Buffer[] = [
    Buffer.from("rawhost", "utf16le"),
    Buffer.from(user, "utf16le"),
    obfuscate(password),
    Buffer.from("raw-test", "utf16le"),
    Buffer.from("127.0.0.1", "utf16le"),
    Buffer.alloc(0), // extension
    Buffer.from("RawClient", "utf16le"),
    Buffer.alloc(0), // language
    Buffer.from("rawdb", "utf16le"),
  ];
  const fixed = Buffer.alloc(94);
  fixed.writeUInt32LE(0x74000004, 4);
  fixed.writeUInt32LE(4096, 8);
  fixed[24] = 0xe0;
  let offset = 94;
  fields.forEach((f, i) => {
    fixed.writeUInt16LE(offset, 36 + i * 4);
    fixed.writeUInt16LE(i === 5 ? f.length : f.length / 2, 38 + i * 4);
    offset += f.length;
  });
  for (const at of [78, 82, 86]) fixed.writeUInt16LE(offset, at); // SSPI, AtchDBFile, ChangePassword: empty
  const payload = Buffer.concat([fixed, ...fields]);
  payload.writeUInt32LE(payload.length, 0);
  corrupt?.(payload);
  return payload;
}

/** ALL_HEADERS with a zero transaction descriptor, as tedious sends it. */
export function allHeaders(): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(22, 0);
  b.writeUInt32LE(18, 4);
  b.writeUInt16LE(2, 8);
  b.writeUInt32LE(1, 18);
  return b;
}

/** A SQL_BATCH payload. */
export function batchPayload(text: string): Buffer {
  return Buffer.concat([allHeaders(), Buffer.from(text, "utf16le")]);
}

/** A DONE token, for comparing with replies. */
export function doneToken(status: number, rowCount = 0): Buffer {
  const b = Buffer.alloc(13);
  b[0] = 0xfd;
  b.writeUInt16LE(status, 1);
  b.writeBigUInt64LE(BigInt(rowCount), 5);
  return b;
}

/** A raw socket with message reassembly for the server's replies. */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private arrived: Buffer[] = [];
  private waiters: (() => void)[] = [];
  /** Resolves when the server (or the test) closes the socket. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.arrived.push(chunk);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        resolve();
        for (const wake of this.waiters.splice(0)) wake();
      }),
    );
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Reads one whole reply message (packets up to EOM); fails after `ms`. */
  async readMessage(ms = 3000): Promise<{ type: number; payload: Buffer }> {
    const deadline = Date.now() + ms;
    const parts: Buffer[] = [];
    let type = -1;
    for (;;) {
      // Chunks are joined only when needed, so reading megabytes of replies stays linear.
      if (this.arrived.length > 0 && (this.buffered.length < 8 || this.buffered.length < this.buffered.readUInt16BE(2))) {
        this.buffered = Buffer.concat([this.buffered, ...this.arrived]);
        this.arrived = [];
      }
      while (this.buffered.length >= 8 && this.buffered.length >= this.buffered.readUInt16BE(2)) {
        const length = this.buffered.readUInt16BE(2);
        type = this.buffered[0]!;
        const status = this.buffered[1]!;
        parts.push(this.buffered.subarray(8, length));
        this.buffered = this.buffered.subarray(length);
        if (status & EOM) return { type, payload: Buffer.concat(parts) };
      }
      if (this.arrived.length > 0) continue;
      if (this.socket.destroyed) throw new Error("socket closed before a whole message arrived");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a reply message");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** True when the socket closes within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** PRELOGIN (no encryption) and LOGIN7; returns the login reply. */
  async login(user: string, password: string): Promise<Buffer> {
    this.send(packet(TYPE.prelogin, EOM, preloginPayload(2)));
    await this.readMessage();
    this.send(packet(TYPE.login7, EOM, login7Payload(user, password)));
    return (await this.readMessage()).payload;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
