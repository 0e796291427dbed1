/**
 * Unit and property tests of the byte-level pieces: framing, PRELOGIN and LOGIN7 against the
 * payloads tedious itself builds, value codecs round-tripping through their own decoders, and the
 * shape of encoded replies.
 */
import fc from "fast-check";
import Login7Payload from "tedious/lib/login7-payload";
import PreloginPayload from "tedious/lib/prelogin-payload";
import { describe, expect, it } from "vitest";
import type { Column, SqlValue, StatementOutcome } from "../../../emulator/results";
import { ByteReader, ByteWriter } from "../../../emulator/tds/bytes";
import { decodeCp1252, encodeCp1252 } from "../../../emulator/tds/collation";
import { writeColumnTypeInfo, writeColumnValue } from "../../../emulator/tds/column-values";
import { bytesToGuid, guidToBytes } from "../../../emulator/tds/guid";
import { parseLogin7 } from "../../../emulator/tds/login7";
import { encodeMessage, MessageAssembler } from "../../../emulator/tds/packets";
import { readTypeInfo, readValue } from "../../../emulator/tds/param-values";
import { answerEncryption, buildPreloginReply, Encryption, parsePrelogin } from "../../../emulator/tds/prelogin";
import { TdsProtocolError } from "../../../emulator/tds/protocol";
import { encodeReply } from "../../../emulator/tds/responses";
import { TransactionDescriptors } from "../../../emulator/tds/transactions";

/** Encodes one value as a result column, then decodes the same bytes as a parameter would be. */
function roundTrip(column: Column, value: Exclude<SqlValue, null>): SqlValue {
  const w = new ByteWriter(8);
  writeColumnTypeInfo(w, column);
  writeColumnValue(w, column, value);
  const r = new ByteReader(Buffer.from(w.finish()));
  const type = readTypeInfo(r);
  const decoded = readValue(r, type);
  expect(r.remaining).toBe(0);
  return decoded;
}

describe("packet framing", () => {
  it("reassembles any sequence of messages, whatever the packet size and however TCP splits it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(0x01, 0x03, 0x0e), payload: fc.uint8Array({ maxLength: 20_000 }) }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 512, max: 32767 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 20 }),
        (messages, packetSize, cuts) => {
          const wire = Buffer.concat(messages.map((m) => encodeMessage(m.type, Buffer.from(m.payload), packetSize, 52)));
          const assembler = new MessageAssembler({ maxPacketLength: 32768, maxMessageBytes: 1 << 20 });
          const out = [];
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const next = Math.min(wire.length, at + cuts[i % cuts.length]!);
            out.push(...assembler.push(wire.subarray(at, next)));
            at = next;
          }
          expect(out.map((m) => ({ type: m.type, status: m.status, payload: new Uint8Array(m.payload) }))).toEqual(messages.map((m) => ({ type: m.type, status: 1, payload: m.payload })));
          expect(assembler.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("splits a reply into packets of the negotiated size with EOM only on the last", () => {
    const wire = encodeMessage(0x04, Buffer.alloc(10_000, 1), 4096, 53);
    const headers = [0, 4096, 8192].map((at) => wire.subarray(at, at + 8));
    expect(headers.map((h) => [h[0], h[1], h.readUInt16BE(2), h.readUInt16BE(4), h[6]])).toEqual([
      [4, 0, 4096, 53, 1],
      [4, 0, 4096, 53, 2],
      [4, 1, 10_000 - 2 * 4088 + 8, 53, 3],
    ]);
    expect(encodeMessage(0x04, Buffer.alloc(0), 4096, 1)).toEqual(Buffer.from([4, 1, 0, 8, 0, 1, 1, 0]));
  });

  it("keeps the IGNORE and RESETCONNECTION bits of any packet of the message", () => {
    const first = Buffer.from([0x01, 0x08, 0, 10, 0, 0, 1, 0, 0xaa, 0xbb]);
    const last = Buffer.from([0x01, 0x03, 0, 9, 0, 0, 2, 0, 0xcc]);
    const [message] = new MessageAssembler({ maxPacketLength: 4096, maxMessageBytes: 100 }).push(Buffer.concat([first, last]));
    expect(message).toEqual({ type: 1, status: 0x0b, payload: Buffer.from([0xaa, 0xbb, 0xcc]) });
  });
});

describe("PRELOGIN", () => {
  it("reads the ENCRYPTION option tedious sends and answers it", () => {
    for (const [encrypt, expected] of [[true, Encryption.On], [false, Encryption.NotSupported]] as const) {
      const payload = new PreloginPayload({ encrypt, version: { major: 20, minor: 3, build: 9, subbuild: 0 } }).data;
      const request = parsePrelogin(payload);
      expect(request.encryption).toBe(encrypt ? Encryption.On : Encryption.NotSupported);
      expect(answerEncryption(request, false)).toBe(expected);
      expect(answerEncryption(request, true)).toBe(Encryption.NotSupported);
    }
    expect(answerEncryption({ encryption: Encryption.Off }, false)).toBe(Encryption.NotSupported);
    expect(answerEncryption({ encryption: Encryption.Required }, false)).toBe(Encryption.On);
    expect(answerEncryption({ encryption: undefined }, false)).toBe(Encryption.NotSupported);
  });

  it("builds a reply tedious parses: version, encryption, MARS off", () => {
    const reply = new PreloginPayload(buildPreloginReply({ major: 16, minor: 0, build: 1000 }, Encryption.On));
    expect(reply.version).toEqual({ major: 16, minor: 0, build: 1000, subbuild: 0 });
    expect(reply.encryption).toBe(Encryption.On);
    expect(reply.mars).toBe(0);
  });

  it("rejects an unknown ENCRYPTION value", () => {
    expect(() => parsePrelogin(Buffer.from([0x01, 0, 6, 0, 1, 0xff, 0x07]))).toThrow("PRELOGIN ENCRYPTION value 7 unknown");
  });
});

describe("LOGIN7", () => {
  // tedious always sets a host name (it writes a bogus length without one) and sends ChangePassword
  // unobfuscated, against MS-TDS, so those two are left out of what it builds here.
  function tediousLogin(setup: (p: Login7Payload) => void): Buffer {
    const payload = new Login7Payload({ tdsVersion: 0x74000004, packetSize: 8192, clientProgVer: 0, clientPid: 4321, connectionId: 0, clientTimeZone: 60, clientLcid: 0x409 });
    payload.hostname = "build-agent";
    setup(payload);
    return payload.toBuffer();
  }

  it("parses every field of tedious' LOGIN7, de-obfuscating the password and walking FeatureExt", () => {
    const login = parseLogin7(
      tediousLogin((p) => {
        p.userName = "app_user";
        p.password = "pä$$wörd✓";
        p.appName = "node-mssql";
        p.serverName = "db.example";
        p.libraryName = "Tedious";
        p.language = "us_english";
        p.database = "inventory";
      }),
    );
    expect(login).toMatchObject({
      tdsVersion: 0x74000004,
      packetSize: 8192,
      clientPid: 4321,
      clientLcid: 0x409,
      userName: "app_user",
      password: "pä$$wörd✓",
      hostName: "build-agent",
      appName: "node-mssql",
      serverName: "db.example",
      libraryName: "Tedious",
      language: "us_english",
      database: "inventory",
      newPassword: "",
      integratedSecurity: false,
    });
    // tedious always asks for UTF8_SUPPORT (0x0A).
    expect(login.features).toContain(0x0a);
  });

  it("recognises integrated security (SSPI)", () => {
    const login = parseLogin7(
      tediousLogin((p) => {
        p.sspi = Buffer.from([1, 2, 3]);
      }),
    );
    expect(login.integratedSecurity).toBe(true);
  });

  it("rejects a FeatureExt offset that points outside the message", () => {
    const payload = tediousLogin((p) => {
      p.userName = "u";
      p.password = "p";
    });
    const extension = payload.readUInt16LE(56);
    payload.writeUInt32LE(payload.length + 100, extension);
    expect(() => parseLogin7(payload)).toThrow(TdsProtocolError);
  });
});

describe("value codecs", () => {
  it("round-trips every integer type at its limits and in between", () => {
    const ranges = { tinyint: [0, 255], smallint: [-32768, 32767], int: [-2147483648, 2147483647] } as const;
    for (const [type, [min, max]] of Object.entries(ranges)) {
      fc.assert(fc.property(fc.integer({ min, max }), (n) => {
        expect(roundTrip({ name: "c", type: type as Column["type"] }, n)).toBe(n);
      }));
    }
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        expect(roundTrip({ name: "c", type: "bigint" }, n)).toBe(n);
      }));
    expect(() => roundTrip({ name: "c", type: "tinyint" }, 256)).toThrow("column 'c': 256 is out of range for tinyint");
    expect(roundTrip({ name: "c", type: "int" }, "-17")).toBe(-17);
  });

  it("round-trips datetime2 over the whole calendar and datetime to its 1/300 s precision", () => {
    const min = -62_135_596_800_000; // 0001-01-01T00:00:00Z (Date.UTC would read year 1 as 1901)
    const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    fc.assert(
      fc.property(fc.integer({ min, max }), (ms) => {
        expect((roundTrip({ name: "c", type: "datetime2" }, new Date(ms)) as Date).getTime()).toBe(ms);
      }),
    );
    fc.assert(
      // .998 is the last millisecond that rounds to 23:59:59.997, the largest DATETIME.
      fc.property(fc.integer({ min: Date.UTC(1753, 0, 1), max: max - 1 }), (ms) => {
        const once = roundTrip({ name: "c", type: "datetime" }, new Date(ms)) as Date;
        expect(Math.abs(once.getTime() - ms)).toBeLessThanOrEqual(2);
        expect((roundTrip({ name: "c", type: "datetime" }, once) as Date).getTime()).toBe(once.getTime());
      }),
    );
    expect(() => roundTrip({ name: "c", type: "datetime" }, new Date(Date.UTC(1700, 0, 1)))).toThrow("outside the datetime range");
    expect(() => roundTrip({ name: "c", type: "datetime" }, new Date(max))).toThrow("outside the datetime range");
    expect(() => roundTrip({ name: "c", type: "datetime2" }, new Date(min - 1))).toThrow("outside the datetime2 range");
    expect(() => roundTrip({ name: "c", type: "datetime2" }, new Date(max + 1))).toThrow("outside the datetime2 range");
    expect(roundTrip({ name: "c", type: "datetime" }, new Date(max - 1))).toEqual(new Date(max - 2));
  });

  it("round-trips strings and bytes, limited and MAX", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
        expect(roundTrip({ name: "c", type: "nvarchar" }, s)).toBe(s);
        expect(roundTrip({ name: "c", type: "nvarchar", length: 4000 }, s)).toBe(s);
      }),
    );
    const cp1252Text = fc.string({ unit: fc.constantFrom(..."aZ09 €ŠœŸéÿ¡\u0081"), maxLength: 100 });
    fc.assert(
      fc.property(cp1252Text, (s) => {
        expect(roundTrip({ name: "c", type: "varchar", length: 100 }, s)).toBe(s);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        expect(roundTrip({ name: "c", type: "varbinary" }, Buffer.from(bytes))).toEqual(Buffer.from(bytes));
        expect(roundTrip({ name: "c", type: "varbinary", length: 500 }, Buffer.from(bytes))).toEqual(Buffer.from(bytes));
      }),
    );
    expect(roundTrip({ name: "c", type: "varchar" }, "snow ☃")).toBe("snow ?");
    expect(() => roundTrip({ name: "c", type: "nvarchar", length: 3 }, "four")).toThrow("column 'c': 8 bytes exceed nvarchar(3)");
  });

  it("round-trips bit and uniqueidentifier", () => {
    expect(roundTrip({ name: "c", type: "bit" }, true)).toBe(true);
    expect(roundTrip({ name: "c", type: "bit" }, 0)).toBe(false);
    fc.assert(
      fc.property(fc.uuid(), (g) => {
        expect(roundTrip({ name: "c", type: "uniqueidentifier" }, g)).toBe(g.toUpperCase());
      }),
    );
  });

  it("lays out GUIDs the way SQL Server does and Windows-1252 byte for byte", () => {
    expect(guidToBytes("6F9619FF-8B86-D011-B42D-00C04FC964FF")!.toString("hex")).toBe("ff19966f868b11d0b42d00c04fc964ff");
    expect(bytesToGuid(Buffer.from("ff19966f868b11d0b42d00c04fc964ff", "hex"))).toBe("6F9619FF-8B86-D011-B42D-00C04FC964FF");
    expect(guidToBytes("not-a-guid")).toBeUndefined();
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(encodeCp1252(decodeCp1252(all))).toEqual(all);
    expect(decodeCp1252(Buffer.from([0x80, 0x9f, 0xe9]))).toBe("€Ÿé");
  });

  it("decodes parameter encodings that only other clients send: fixed-length types, money, smalldatetime, time", () => {
    const decode = (hex: string): SqlValue => {
      const r = new ByteReader(Buffer.from(hex.replace(/ /g, ""), "hex"));
      return readValue(r, readTypeInfo(r));
    };
    expect(decode("38 f9ffffff")).toBe(-7); // INT4
    expect(decode("7f 0100000000000000")).toBe(1n); // INT8
    expect(decode("32 01")).toBe(true); // BIT
    expect(decode("3e 000000000000f83f")).toBe(1.5); // FLT8
    expect(decode("6e 08 08 00000000 d4300000")).toBe(1.25); // MONEYN(8): 12500
    expect(decode("7a 983a0000")).toBe(1.5); // MONEY4
    expect(decode("6f 04 04 1f00 3c00")).toEqual(new Date(Date.UTC(1900, 1, 1, 1, 0))); // SMALLDATETIME
    expect(decode("29 00 03 100e00")).toEqual(new Date(3600_000)); // TIME(0) 01:00:00
    expect(decode("1f")).toBe(null); // NULLTYPE
    expect(decode("6a 05 05 02 00")).toBe(null); // DECIMALN NULL
    expect(decode("6a 05 05 02 05 01 39300000")).toBe(123.45); // DECIMALN(5,2) 12345
    expect(decode("6c 05 05 02 05 00 39300000")).toBe(-123.45); // NUMERICN, negative
    expect(decode("23 ffffffff 0904d00034 03000000 616263")).toBe("abc"); // TEXT
    expect(decode("a7 ffff 0904d00434 feffffffffffffff 02000000 c3a9 00000000")).toBe("é"); // VARCHAR(MAX), UTF-8 collation, unknown-length PLP
  });

  it("rejects malformed parameter encodings as protocol errors", () => {
    const decode = (hex: string): SqlValue => {
      const r = new ByteReader(Buffer.from(hex.replace(/ /g, ""), "hex"));
      return readValue(r, readTypeInfo(r));
    };
    expect(() => decode("26 03 03 000000")).toThrow("type 0x26 with length 3");
    expect(() => decode("26 04 02 0000")).toThrow("int value of 2 bytes");
    expect(() => decode("e7 ffff 0904d00034 0400000000000000 02000000 4100 00000000")).toThrow("PLP value announced 4 bytes but carried 2");
    expect(() => decode("e7 0800 0904d00034 0300 414243")).toThrow("nvarchar value of odd length 3");
    expect(() => decode("2a 09")).toThrow("datetime2 scale 9");
  });
});

describe("reply shapes", () => {
  const ctx = () => ({ serverName: "S", transactions: new TransactionDescriptors(() => Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])), leading: [] });
  /** Token ids at the top level of a reply built from DONE, INFO, ENVCHANGE, RETURNSTATUS and DONEPROC tokens. */
  function tokens(payload: Buffer): string[] {
    const out: string[] = [];
    for (let at = 0; at < payload.length; ) {
      const token = payload[at]!;
      if (token === 0xfd || token === 0xfe || token === 0xff) {
        out.push(`${token.toString(16)}:${payload.readUInt16LE(at + 1).toString(16)}`);
        at += 13;
      } else if (token === 0x79) {
        out.push("79");
        at += 5;
      } else {
        out.push(token.toString(16));
        at += 3 + payload.readUInt16LE(at + 1);
      }
    }
    return out;
  }
  const info: StatementOutcome = { kind: "info", info: { number: 1, state: 1, class: 0, message: "m", line: 1 } };

  it("ends a batch with a DONE without MORE, adding one after trailing non-DONE tokens", () => {
    expect(tokens(encodeReply([{ kind: "done", rowCount: 2 }, { kind: "done" }], { kind: "batch" }, ctx()).payload)).toEqual(["fd:11", "fd:0"]);
    expect(tokens(encodeReply([{ kind: "done" }, info], { kind: "batch" }, ctx()).payload)).toEqual(["fd:1", "ab", "fd:0"]);
    expect(tokens(encodeReply([], { kind: "batch" }, ctx()).payload)).toEqual(["fd:0"]);
  });

  it("ends an RPC with RETURNSTATUS and DONEPROC, flagging errors", () => {
    const error: StatementOutcome = { kind: "error", error: { number: 1, state: 1, class: 16, message: "e", line: 1 } };
    expect(tokens(encodeReply([{ kind: "done", rowCount: 1 }, error], { kind: "rpc", returnValues: [] }, ctx()).payload)).toEqual(["ff:11", "aa", "ff:3", "79", "fe:2"]);
  });

  it("stops after a fatal error and says the connection must close", () => {
    const fatal: StatementOutcome = { kind: "error", error: { number: 1, state: 1, class: 20, message: "e", line: 1 } };
    const reply = encodeReply([fatal, { kind: "done", rowCount: 1 }], { kind: "batch" }, ctx());
    expect(reply.fatal).toBe(true);
    expect(tokens(reply.payload)).toEqual(["aa", "fd:2"]);
  });

  it("keeps transaction ENVCHANGEs when the rest of the reply cannot be encoded or was cancelled", () => {
    const outcomes: StatementOutcome[] = [{ kind: "transaction", event: "begin" }, { kind: "rows", columns: [{ name: "n", type: "int" }], rows: [["x"]] }];
    expect(tokens(encodeReply(outcomes, { kind: "batch" }, ctx()).payload)).toEqual(["e3", "aa", "fd:2"]);
    expect(tokens(encodeReply(outcomes, { kind: "cancelled" }, ctx()).payload)).toEqual(["e3", "fd:0"]);
  });
});
