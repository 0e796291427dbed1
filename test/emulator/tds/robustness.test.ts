/**
 * Malformed and hostile input over raw sockets. Each case must close only the offending
 * connection: the server keeps running, a logged-in raw connection and an mssql pool opened
 * before the abuse keep working, and nothing throws unhandled.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import sql from "mssql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeCertificate, mssqlConfig, PASSWORD, startFakeServer, USER, waitFor } from "./fixtures";
import { batchPayload, doneToken, EOM, IGNORE, login7Payload, packet, preloginPayload, RawClient, TYPE } from "./raw-client";

let tlsMaterial: { key: string; cert: string };
let ctx: Awaited<ReturnType<typeof startFakeServer>>;
let pool: sql.ConnectionPool;
let bystander: RawClient;
const MAX_MESSAGE = 256 * 1024;

beforeAll(async () => {
  tlsMaterial = await makeCertificate();
  ctx = await startFakeServer(tlsMaterial, { maxMessageBytes: MAX_MESSAGE, loginTimeoutMs: 500 });
  pool = await new sql.ConnectionPool(mssqlConfig(ctx.server.port, "off", tlsMaterial.cert, { pool: { max: 2 } })).connect();
  bystander = await RawClient.connect(ctx.server.port);
  await bystander.login(USER, PASSWORD);
});
afterAll(async () => {
  bystander.destroy();
  await pool.close();
  await ctx.server.close();
});

/** After every abuse: the other connections still answer. */
afterEach(async () => {
  expect((await pool.request().query("select 1")).recordset).toEqual([{ "": 1 }]);
  bystander.send(packet(TYPE.batch, EOM, batchPayload("update t")));
  expect((await bystander.readMessage()).payload).toEqual(doneToken(0x10, 3));
});

async function expectClosed(client: RawClient, reason: RegExp): Promise<void> {
  expect(await client.closesWithin(2000)).toBe(true);
  await waitFor(() => ctx.logs.some((l) => reason.test(l)), 1000, `a log line matching ${reason}`);
}

async function afterPrelogin(): Promise<RawClient> {
  const client = await RawClient.connect(ctx.server.port);
  client.send(packet(TYPE.prelogin, EOM, preloginPayload(2)));
  await client.readMessage();
  return client;
}

describe("framing", () => {
  it("closes on garbage bytes", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(Buffer.from("\x47\x45\x00\x20 this is not a TDS packet at all........", "latin1"));
    await expectClosed(client, /packet type 0x47 where PRELOGIN was expected/);
  });

  it("closes on a header whose length is below 8", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(Buffer.from([0x12, 0x01, 0x00, 0x04, 0, 0, 0, 0]));
    await expectClosed(client, /packet length 4 outside 8\.\.32768/);
  });

  it("closes on a header whose length is above the largest packet", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(Buffer.from([0x12, 0x01, 0xff, 0xff, 0, 0, 0, 0]));
    await expectClosed(client, /packet length 65535 outside 8\.\.32768/);
  });

  it("cleans up after a truncated packet and a close", async () => {
    const before = ctx.server.connectionCount();
    const client = await RawClient.connect(ctx.server.port);
    await waitFor(() => ctx.server.connectionCount() === before + 1, 1000, "the connection to register");
    client.send(Buffer.from([0x12, 0x01, 0x00, 0x40, 0, 0]));
    client.socket.end();
    await client.closed;
    await waitFor(() => ctx.server.connectionCount() === before, 2000, "the server to forget the connection");
  });

  it("closes a connection that sends half a packet and then nothing (login timeout)", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(Buffer.from([0x12, 0x01, 0x00]));
    await expectClosed(client, /no login within 500 ms/);
  });

  it("closes on a message larger than maxMessageBytes", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    const chunk = Buffer.alloc(32000);
    for (let i = 0; i * chunk.length <= MAX_MESSAGE; i++) client.send(packet(TYPE.batch, 0, chunk));
    await expectClosed(client, /message larger than 262144 bytes/);
  });

  it("closes when a message switches packet type half-way", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    client.send(Buffer.concat([packet(TYPE.batch, 0, batchPayload("sel")), packet(TYPE.rpc, EOM, Buffer.alloc(4))]));
    await expectClosed(client, /packet of type 0x3 inside a message of type 0x1/);
  });
});

describe("PRELOGIN and LOGIN7", () => {
  it("closes on a PRELOGIN option table without a terminator", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(packet(TYPE.prelogin, EOM, Buffer.from([0x00, 0, 5, 0, 6])));
    await expectClosed(client, /PRELOGIN option table truncated/);
  });

  it("closes on a PRELOGIN option that points outside the payload", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(packet(TYPE.prelogin, EOM, Buffer.from([0x01, 0, 200, 0, 1, 0xff, 2])));
    await expectClosed(client, /PRELOGIN option 0x1 points outside the payload/);
  });

  it("closes on a PRELOGIN with ENCRYPTION given twice", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(packet(TYPE.prelogin, EOM, Buffer.from([0x01, 0, 11, 0, 1, 0x01, 0, 11, 0, 1, 0xff, 2])));
    await expectClosed(client, /PRELOGIN option 0x1 given twice/);
  });

  it("closes on a LOGIN7 whose UserName points outside the message, without calling the handler", async () => {
    const logins = ctx.recorded.logins.length;
    const client = await afterPrelogin();
    client.send(packet(TYPE.login7, EOM, login7Payload(USER, PASSWORD, (p) => p.writeUInt16LE(60000, 40))));
    await expectClosed(client, /LOGIN7 UserName \(offset 60000, 4 bytes\) lies outside/);
    expect(ctx.recorded.logins.length).toBe(logins);
  });

  it("closes on a LOGIN7 whose Length claims more than was sent", async () => {
    const client = await afterPrelogin();
    client.send(packet(TYPE.login7, EOM, login7Payload(USER, PASSWORD, (p) => p.writeUInt32LE(p.length + 10, 0))));
    await expectClosed(client, /LOGIN7 Length \d+ does not fit/);
  });

  it("closes on a LOGIN7 with an offset into the fixed part", async () => {
    const client = await afterPrelogin();
    client.send(packet(TYPE.login7, EOM, login7Payload(USER, PASSWORD, (p) => p.writeUInt16LE(10, 36))));
    await expectClosed(client, /LOGIN7 HostName \(offset 10/);
  });

  it("closes on a request sent before login", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(packet(TYPE.batch, EOM, batchPayload("select 1")));
    await expectClosed(client, /packet type 0x1 where PRELOGIN was expected/);
  });

  it("closes on a request sent after PRELOGIN but before LOGIN7", async () => {
    const client = await afterPrelogin();
    client.send(packet(TYPE.batch, EOM, batchPayload("select 1")));
    await expectClosed(client, /packet type 0x1 where LOGIN7 was expected/);
  });

  it("closes on ATTENTION before login", async () => {
    const client = await afterPrelogin();
    client.send(packet(TYPE.attention, EOM, Buffer.alloc(0)));
    await expectClosed(client, /ATTENTION before login completed/);
  });

  it("answers a failed raw login with 18456 and closes", async () => {
    const client = await RawClient.connect(ctx.server.port);
    const reply = await client.login(USER, "nope");
    expect(reply[0]).toBe(0xaa);
    expect(reply.readInt32LE(3)).toBe(18456);
    expect(reply.subarray(-13)).toEqual(doneToken(0x02));
    expect(await client.closesWithin(2000)).toBe(true);
  });
});

describe("requests", () => {
  it("closes on an unknown packet type after login", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    client.send(packet(0x09, EOM, Buffer.alloc(4)));
    await expectClosed(client, /packet type 0x9 is not a request this server accepts/);
  });

  it("closes on BULK_LOAD, which is not supported", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    client.send(packet(TYPE.bulk, EOM, Buffer.alloc(4)));
    await expectClosed(client, /packet type 0x7 is not a request/);
  });

  it("closes on a SQL batch without ALL_HEADERS", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    client.send(packet(TYPE.batch, EOM, Buffer.from("select 1", "utf16le")));
    await expectClosed(client, /SQL_BATCH ALL_HEADERS length \d+ does not fit/);
  });

  it("closes on an RPC whose parameter value runs past the end", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    const rpc = Buffer.concat([
      Buffer.from([0xff, 0xff, 10, 0, 0, 0]), // ProcID 10, option flags
      Buffer.from([0x00, 0x00, 0xe7, 0x40, 0x1f, 0x09, 0x04, 0xd0, 0x00, 0x34]), // unnamed nvarchar(4000)
      Buffer.from([0x00, 0x10, 0x41]), // says 4096 bytes, has 1
    ]);
    const allHeaders = Buffer.alloc(22);
    allHeaders.writeUInt32LE(22, 0);
    allHeaders.writeUInt32LE(18, 4);
    allHeaders.writeUInt16LE(2, 8);
    client.send(packet(TYPE.rpc, EOM, Buffer.concat([allHeaders, rpc])));
    await expectClosed(client, /RPC truncated/);
  });

  it("discards a message with the IGNORE bit, answers it with DONE and stays usable", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    const executes = ctx.recorded.executes.length;
    client.send(packet(TYPE.batch, 0, batchPayload("update first half")));
    client.send(packet(TYPE.batch, EOM | IGNORE, Buffer.from(" and the rest", "utf16le")));
    expect((await client.readMessage()).payload).toEqual(doneToken(0));
    expect(ctx.recorded.executes.length).toBe(executes);
    client.send(packet(TYPE.batch, EOM, batchPayload("update t")));
    expect((await client.readMessage()).payload).toEqual(doneToken(0x10, 3));
    client.destroy();
  });

  it("acknowledges an ATTENTION that arrives after the reply with a lone DONE(ATTN)", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    client.send(packet(TYPE.batch, EOM, batchPayload("update t")));
    expect((await client.readMessage()).payload).toEqual(doneToken(0x10, 3));
    client.send(packet(TYPE.attention, EOM, Buffer.alloc(0)));
    expect((await client.readMessage()).payload).toEqual(doneToken(0x20));
    client.destroy();
  });

  it("answers a cancelled request, then acknowledges the attention in a separate message", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    client.send(packet(TYPE.batch, EOM, batchPayload("waitfor 5000")));
    await waitFor(() => ctx.recorded.executes.at(-1)?.sql === "waitfor 5000", 1000, "the request to start");
    client.send(packet(TYPE.attention, EOM, Buffer.alloc(0)));
    expect((await client.readMessage()).payload).toEqual(doneToken(0));
    expect((await client.readMessage()).payload).toEqual(doneToken(0x20));
    client.destroy();
  });

  it("stops running requests while the client leaves replies unread, and resumes when it reads", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    const spid = ctx.recorded.logins.at(-1)!.connection.spid;
    const ran = (): number => ctx.recorded.executes.filter((e) => e.spid === spid).length;
    client.socket.pause();
    const requests = 120; // about 17 MB of replies, far beyond the socket buffers
    for (let i = 0; i < requests; i++) client.send(packet(TYPE.batch, EOM, batchPayload("select types")));
    await waitFor(() => ran() > 0, 1000, "the first request to run");
    await new Promise((r) => setTimeout(r, 300));
    const whilePaused = ran();
    expect(whilePaused).toBeLessThan(requests);
    client.socket.resume();
    for (let i = 0; i < requests; i++) expect((await client.readMessage(5000)).payload[0]).toBe(0x81);
    expect(ran()).toBe(requests);
    client.destroy();
  });

  it("aborts the running handler and closes the session when the client disconnects mid-request", async () => {
    const client = await RawClient.connect(ctx.server.port);
    await client.login(USER, PASSWORD);
    const spid = ctx.recorded.logins.at(-1)!.connection.spid;
    client.send(packet(TYPE.batch, EOM, batchPayload("waitfor 4000")));
    await waitFor(() => ctx.recorded.executes.at(-1)?.sql === "waitfor 4000", 1000, "the request to start");
    client.destroy();
    await waitFor(() => ctx.recorded.closes.includes(spid), 2000, "session.close()");
    expect(ctx.recorded.aborted.filter((s) => s === "waitfor 4000").length).toBeGreaterThanOrEqual(1);
  });
});

describe("TLS", () => {
  it("closes on garbage inside the PRELOGIN-wrapped handshake", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(packet(TYPE.prelogin, EOM, preloginPayload(1)));
    const reply = await client.readMessage();
    expect(reply.payload[reply.payload.readUInt16BE(6)]).toBe(1); // ENCRYPTION: ON
    client.send(packet(TYPE.prelogin, EOM, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])));
    expect(await client.closesWithin(2000)).toBe(true);
  });

  it("closes on a non-PRELOGIN packet during the wrapped handshake", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(packet(TYPE.prelogin, EOM, preloginPayload(1)));
    await client.readMessage();
    client.send(packet(TYPE.login7, EOM, Buffer.alloc(10)));
    await expectClosed(client, /packet type 0x10 during the PRELOGIN TLS handshake/);
  });

  it("cleans up after a client that disconnects mid-handshake (wrapped and strict)", async () => {
    const before = ctx.server.connectionCount();
    const wrapped = await RawClient.connect(ctx.server.port);
    wrapped.send(packet(TYPE.prelogin, EOM, preloginPayload(1)));
    await wrapped.readMessage();
    wrapped.destroy();
    // Strict: a real ClientHello, then the client vanishes before finishing.
    const raw = net.connect(ctx.server.port, "127.0.0.1");
    raw.on("error", () => undefined);
    const strict = tls.connect({ socket: raw, ALPNProtocols: ["tds/8.0"], servername: "localhost", rejectUnauthorized: false });
    strict.on("error", () => undefined);
    await new Promise<void>((resolve) => strict.once("secureConnect", () => resolve()));
    strict.destroy();
    await waitFor(() => ctx.server.connectionCount() === before, 2000, "both connections to be forgotten");
  });

  it("closes a strict-mode connection whose TLS records are garbage", async () => {
    const client = await RawClient.connect(ctx.server.port);
    client.send(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef]));
    expect(await client.closesWithin(2000)).toBe(true);
  });
});
