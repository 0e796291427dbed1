/** Pure parts of the endpoint transport: framing, messages, URLs, Hello decoding, negotiation, bind addresses. */
import { describe, expect, it } from "vitest";
import { FrameDecoder, FramingError, FrameType, decodeMessage, encodeFrame, encodeMessage } from "../../../emulator/hadr/framing";
import { negotiate, parseHello, PROTOCOL, PROTOCOL_VERSION, proofData } from "../../../emulator/hadr/protocol";
import { bindAddress } from "../../../emulator/hadr/reconcile";
import { formatEndpointUrl, parseEndpointUrl } from "../../../emulator/hadr/url";

describe("frames", () => {
  it("are a 4-byte big-endian length (type + payload), the type, the payload", () => {
    expect(encodeFrame(FrameType.Data, Buffer.from("abc")).toString("hex")).toBe("0000000410616263");
    expect(encodeFrame(FrameType.Accept, Buffer.alloc(0)).toString("hex")).toBe("0000000104");
  });

  it("decode whatever way the bytes are split, in order", () => {
    const stream = Buffer.concat([encodeFrame(1, Buffer.from("one")), encodeFrame(2, Buffer.alloc(0)), encodeFrame(16, Buffer.alloc(300, 7))]);
    for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
      const decoder = new FrameDecoder(1024);
      const frames = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...decoder.push(stream.subarray(i, i + size)));
      expect(frames.map((f) => [f.type, f.payload.length])).toEqual([
        [1, 3],
        [2, 0],
        [16, 300],
      ]);
      expect(frames[0]!.payload.toString()).toBe("one");
    }
  });

  it("refuse an empty frame and one over the limit before buffering its payload", () => {
    expect(() => new FrameDecoder(16).push(Buffer.from("00000000", "hex"))).toThrow(new FramingError("empty frame"));
    // Only the header of a 1 MiB frame arrives: refused at once.
    expect(() => new FrameDecoder(16).push(Buffer.from("00100000", "hex"))).toThrow(FramingError);
    const decoder = new FrameDecoder(16);
    expect(decoder.push(encodeFrame(1, Buffer.alloc(15)))).toHaveLength(1);
    expect(() => decoder.push(encodeFrame(1, Buffer.alloc(16)))).toThrow("frame of 17 bytes is over the limit of 16");
  });

  it("carry messages as channel + body; a bad channel length is a framing error", () => {
    const payload = encodeMessage({ channel: "ag/metadata", body: Buffer.from([1, 2, 3]) });
    expect(payload.readUInt16BE(0)).toBe(11);
    expect(decodeMessage(payload)).toEqual({ channel: "ag/metadata", body: Buffer.from([1, 2, 3]) });
    expect(decodeMessage(encodeMessage({ channel: "é", body: Buffer.alloc(0) }))).toEqual({ channel: "é", body: Buffer.alloc(0) });
    expect(() => decodeMessage(Buffer.from([0]))).toThrow(FramingError);
    expect(() => decodeMessage(Buffer.from([0, 9, 65]))).toThrow(FramingError);
    expect(() => encodeMessage({ channel: "x".repeat(1025), body: Buffer.alloc(0) })).toThrow(RangeError);
  });
});

describe("endpoint URLs", () => {
  it("parse TCP://host:port (any case), IPv6 in brackets; refuse anything else naming the URL", () => {
    expect(parseEndpointUrl("TCP://127.0.0.1:5022")).toEqual({ host: "127.0.0.1", port: 5022 });
    expect(parseEndpointUrl("tcp://sql-a.example.com:7022")).toEqual({ host: "sql-a.example.com", port: 7022 });
    expect(parseEndpointUrl("TCP://[::1]:5022")).toEqual({ host: "::1", port: 5022 });
    for (const bad of ["127.0.0.1:5022", "TCP://host", "TCP://host:0", "TCP://host:65536", "HTTP://host:5022", "TCP://[abc]:5022", "TCP://a b:1"]) {
      expect(() => parseEndpointUrl(bad), bad).toThrow(new TypeError(`endpoint URL ${JSON.stringify(bad)} ${bad === "TCP://[abc]:5022" ? "has a bracketed host that is not an IPv6 address" : "is not of the form TCP://<host>:<port> (port 1–65535)"}`));
    }
    expect(formatEndpointUrl("::1", 5022)).toBe("TCP://[::1]:5022");
    expect(formatEndpointUrl("127.0.0.1", 5022)).toBe("TCP://127.0.0.1:5022");
  });
});

describe("Hello", () => {
  const hello = {
    protocol: PROTOCOL,
    version: PROTOCOL_VERSION,
    server: "A",
    target: "TCP://127.0.0.1:5022",
    role: "partner",
    peerRole: "witness",
    endpoint: { encryption: "REQUIRED", algorithms: ["AES"], role: "PARTNER" },
    certificate: Buffer.from("cert").toString("base64"),
    challenge: Buffer.alloc(32, 1).toString("base64"),
  };
  const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

  it("decodes a well-formed one", () => {
    expect(parseHello(bytes(hello))).toEqual({
      server: "A",
      target: "TCP://127.0.0.1:5022",
      role: "partner",
      peerRole: "witness",
      endpoint: { encryption: "REQUIRED", algorithms: ["AES"], role: "PARTNER" },
      certificate: Buffer.from("cert"),
      challenge: Buffer.alloc(32, 1),
    });
  });

  it("refuses other protocols, versions, shapes, and a witness addressing a witness", () => {
    const bad: unknown[] = [
      { ...hello, protocol: "x" },
      { ...hello, version: 2 },
      { ...hello, role: "primary" },
      { ...hello, role: "witness", peerRole: "witness" },
      { ...hello, endpoint: { ...hello.endpoint, algorithms: ["DES"] } },
      { ...hello, endpoint: { ...hello.endpoint, encryption: "MAYBE" } },
      { ...hello, certificate: "not base64!" },
      { ...hello, server: 1 },
      [hello],
    ];
    for (const b of bad) expect(parseHello(bytes(b)), JSON.stringify(b)).toBeUndefined();
    expect(parseHello(Buffer.from("{not json"))).toBeUndefined();
  });

  it("is signed with the challenge, under a label of its own", () => {
    const a = proofData(Buffer.alloc(32, 1), bytes(hello));
    expect(a.subarray(0, PROTOCOL.length).toString()).toBe(PROTOCOL);
    expect(a.equals(proofData(Buffer.alloc(32, 2), bytes(hello)))).toBe(false);
    expect(a.equals(proofData(Buffer.alloc(32, 1), bytes({ ...hello, role: "replica" })))).toBe(false);
  });
});

describe("encryption negotiation", () => {
  const terms = (encryption: "DISABLED" | "SUPPORTED" | "REQUIRED", algorithms: Array<"AES" | "RC4">) => ({ encryption, algorithms, role: "ALL" as const });
  it("the accepting endpoint's order wins; DISABLED on either side means none", () => {
    expect(negotiate(terms("REQUIRED", ["AES", "RC4"]), terms("REQUIRED", ["RC4", "AES"]))).toBe("AES");
    expect(negotiate(terms("REQUIRED", ["RC4", "AES"]), terms("SUPPORTED", ["AES", "RC4"]))).toBe("RC4");
    expect(negotiate(terms("SUPPORTED", ["AES"]), terms("SUPPORTED", ["AES"]))).toBe("AES");
    expect(negotiate(terms("SUPPORTED", ["AES"]), terms("DISABLED", []))).toBe("NONE");
    expect(negotiate(terms("DISABLED", []), terms("SUPPORTED", ["RC4"]))).toBe("NONE");
  });
});

describe("the address an endpoint binds", () => {
  it("is the instance's host for ALL, a LISTENER_IP that is the host's own, and nothing otherwise", () => {
    expect(bindAddress(null, "127.0.0.1")).toBe("127.0.0.1");
    expect(bindAddress("127.0.0.1", "127.0.0.1")).toBe("127.0.0.1");
    expect(bindAddress("10.1.2.3", "127.0.0.1")).toBeUndefined();
    expect(bindAddress("::1", "127.0.0.1")).toBeUndefined();
    expect(bindAddress("::1", "localhost")).toBe("::1");
    expect(bindAddress(null, "localhost")).toBe("localhost");
  });
});
