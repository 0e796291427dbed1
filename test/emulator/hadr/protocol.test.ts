/**
 * The handshake over real sockets between emulated instances: proof of possession (a forged
 * signature, a replayed challenge, an impostor certificate with the same issuer and serial number),
 * each acceptance rule as a refusal on the wire with the acceptor's error-log line, and
 * authorization at connect time (what an established connection survives).
 */
import { generateKeyPairSync, sign } from "node:crypto";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkHandshake } from "../../../emulator";
import { generateSelfSignedCertificate, parseCertificate } from "../../../emulator/crypto/x509";
import { FrameType } from "../../../emulator/hadr/framing";
import { PROTOCOL, PROTOCOL_VERSION, proofData } from "../../../emulator/hadr/protocol";
import { certificateDer, next, node, pair, query, rawConnect, sql, stopAll, trust, waitUntil, type Node } from "./helpers";

afterEach(stopAll);

const refused = (number: number, message: string) => ({ ok: false, error: { number, message } });

/** A Hello as `from` would send it to `to` over a raw connection, with parts replaceable. */
async function rawAttempt(
  from: Node,
  to: Node,
  tamper: { certificate?: Buffer; signer?: (data: Buffer) => Buffer; replay?: { hello: Buffer; proof: Buffer }; echo?: Buffer } = {},
): Promise<{ reply: Awaited<ReturnType<typeof next>>; hello: Buffer; proof: Buffer }> {
  const wire = await rawConnect(to.port);
  const challengeFrame = await next(wire);
  expect(challengeFrame.type).toBe(FrameType.Challenge);
  expect(challengeFrame.json).toMatchObject({ protocol: PROTOCOL, version: PROTOCOL_VERSION, server: to.name.toUpperCase() });
  const challenge = Buffer.from(challengeFrame.json!.challenge as string, "base64");
  expect(challenge).toHaveLength(32);
  const credentials = from.instance.engine.endpointCredentials();
  if (!credentials.ok) throw new Error(credentials.error.message);
  const hello =
    tamper.replay?.hello ??
    Buffer.from(
      JSON.stringify({
        protocol: PROTOCOL,
        version: PROTOCOL_VERSION,
        server: from.name.toUpperCase(),
        target: to.url,
        role: "replica",
        peerRole: "partner",
        endpoint: credentials.endpoint,
        certificate: (tamper.certificate ?? credentials.certificate).toString("base64"),
        challenge: (tamper.echo ?? challenge).toString("base64"),
      }),
    );
  let proof = tamper.replay?.proof;
  if (!proof) {
    const data = proofData(challenge, hello);
    if (tamper.signer) proof = tamper.signer(data);
    else {
      const signed = from.instance.engine.signWithEndpointCertificate(data);
      if (!signed.ok) throw new Error(signed.error.message);
      proof = signed.signature;
    }
  }
  wire.send(FrameType.Hello, hello);
  wire.send(FrameType.Proof, proof);
  const reply = await next(wire);
  wire.destroy();
  return { reply, hello, proof };
}

describe("proof of possession", () => {
  it("a genuine Hello and Proof are accepted: the acceptor answers Accept with the connection's id and the agreed algorithm", async () => {
    const [a, b] = await pair();
    const { reply } = await rawAttempt(a, b);
    expect(reply.type).toBe(FrameType.Accept);
    expect(reply.json).toEqual({ connectionId: expect.stringMatching(/^[0-9A-F-]{36}$/), encryption: "AES" });
  });

  it("a signature made with any other key: 28038 State 1, logged on the acceptor, sent to the initiator", async () => {
    const [a, b] = await pair();
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const { reply } = await rawAttempt(a, b, { signer: (data) => sign("sha256", data, privateKey) });
    expect(reply).toMatchObject({ type: FrameType.Refuse, json: { number: 28038, message: "Connection handshake failed. The handshake verification failed. State 1." } });
    expect(b.log).toContain("Database Mirroring login attempt failed with error: 'Connection handshake failed. The handshake verification failed. State 1.'. [CLIENT: 127.0.0.1]");
  });

  it("a recorded Hello and Proof replayed on a new connection: 28038 State 2; the old proof under the new challenge: State 1", async () => {
    const [a, b] = await pair();
    const first = await rawAttempt(a, b);
    expect(first.reply.type).toBe(FrameType.Accept);
    const replayed = await rawAttempt(a, b, { replay: { hello: first.hello, proof: first.proof } });
    expect(replayed.reply.json).toEqual({ number: 28038, message: "Connection handshake failed. The handshake verification failed. State 2." });
    // An attacker who echoes the fresh challenge cannot re-sign: the recorded signature no longer verifies.
    const patched = await rawAttempt(a, b, { signer: () => first.proof });
    expect(patched.reply.json).toEqual({ number: 28038, message: "Connection handshake failed. The handshake verification failed. State 1." });
  });

  it("an impostor certificate with the issuer and serial number of the held one, proved with its own key: 28045", async () => {
    const [a, b] = await pair();
    const genuine = parseCertificate(await certificateDer(a));
    const impostor = await generateSelfSignedCertificate({ subject: "a endpoint", serial: genuine.serial, notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    expect(parseCertificate(impostor.der).issuer).toBe(genuine.issuer);
    const { reply } = await rawAttempt(a, b, { certificate: impostor.der, signer: (data) => sign("sha256", data, impostor.privateKeyPem) });
    expect(reply.json).toEqual({
      number: 28045,
      message: "Connection handshake failed. The certificate used by the peer does not match the one in master database with same issuer name and serial number. State 90.",
    });
  });

  it("the genuine certificate presented, but signed with the impostor's key: 28038 (the held copy's public key decides)", async () => {
    const [a, b] = await pair();
    const impostor = await generateSelfSignedCertificate({ subject: "a endpoint", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    const { reply } = await rawAttempt(a, b, { signer: (data) => sign("sha256", data, impostor.privateKeyPem) });
    expect(reply.json).toMatchObject({ number: 28038 });
  });

  it("the endpoint switching certificates during a handshake (a rotation): the Hello names the certificate that signs it", async () => {
    const [a, b] = await pair();
    await sql(a, "CREATE CERTIFICATE a_cert2 WITH SUBJECT = N'a rotated', START_DATE = '20300101', EXPIRY_DATE = '20310101'");
    await sql(b, `CREATE CERTIFICATE a_cert2 AUTHORIZATION a_user FROM BINARY = 0x${(await certificateDer(a, "a_cert2")).toString("hex")}`);
    // A relay in front of b that switches a's endpoint after a has checked its certificate and
    // connected, before b's challenge reaches it.
    const relay = net.createServer((client) => {
      void sql(a, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE a_cert2)").then(() => {
        const upstream = net.connect({ host: "127.0.0.1", port: b.port });
        client.pipe(upstream).pipe(client);
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    try {
      const url = `TCP://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
      // a checked a_cert before connecting; the relay switched it to a_cert2 before the challenge.
      expect(await checkHandshake(a.instance, url)).toEqual({ ok: true });
      expect(await query(a, "SELECT c.name FROM sys.database_mirroring_endpoints m JOIN sys.certificates c ON c.certificate_id = m.certificate_id")).toEqual([{ name: "a_cert2" }]);
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it("anything but the protocol: 9758 logged and the connection closed", async () => {
    const [, b] = await pair();
    const wire = await rawConnect(b.port);
    expect((await next(wire)).type).toBe(FrameType.Challenge);
    wire.send(FrameType.Data, Buffer.from("hello?"));
    wire.send(FrameType.Proof, Buffer.alloc(0));
    expect((await next(wire)).json).toEqual({ number: 9758, message: "Login protocol negotiation error occurred." });
    expect(b.log).toContain("Database Mirroring login attempt failed with error: 'Login protocol negotiation error occurred.'. [CLIENT: 127.0.0.1]");
    wire.destroy();
    // An oversized frame before authentication is refused before it is buffered.
    const big = await rawConnect(b.port);
    await next(big);
    big.socket.write(Buffer.from("7fffffff02", "hex"));
    await expect(next(big)).resolves.toMatchObject({ json: { number: 9758 } });
    big.destroy();
  });
});

describe("each acceptance rule, refused on the wire", () => {
  it("no copy of the peer's certificate: 28035 State 89", async () => {
    const [a, b] = await Promise.all([node("a"), node("b")]);
    expect(await checkHandshake(a.instance, b.instance)).toEqual(
      refused(28035, "Connection handshake failed. The certificate used by the peer is invalid due to the following reason: Certificate not found. State 89."),
    );
    expect(b.log).toContain(
      "Database Mirroring login attempt failed with error: 'Connection handshake failed. The certificate used by the peer is invalid due to the following reason: Certificate not found. State 89.'. [CLIENT: 127.0.0.1]",
    );
  });

  it("no CONNECT for the certificate owner's login: 28034 State 84, logged as 28048 with the login", async () => {
    const [a, b] = await Promise.all([node("a"), node("b")]);
    await trust(b, a, { connect: false });
    const text = "Connection handshake failed. The login 'a_login' does not have CONNECT permission on the endpoint. State 84.";
    expect(await checkHandshake(a.instance, b.instance)).toEqual(refused(28034, text));
    expect(b.log).toContain(`Database Mirroring login attempt by user 'a_login' failed with error: '${text}'. [CLIENT: 127.0.0.1]`);
    await sql(b, "GRANT CONNECT ON ENDPOINT::Mirroring TO a_login");
    expect(await checkHandshake(a.instance, b.instance)).toEqual({ ok: true });
  });

  it("encryption DISABLED against REQUIRED, or no common algorithm: 28027 State 22, both ways", async () => {
    const [a, b] = await pair();
    await sql(a, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED)");
    const none = refused(28027, "Connection handshake failed. There is no compatible encryption algorithm. State 22.");
    expect(await checkHandshake(a.instance, b.instance)).toEqual(none);
    expect(await checkHandshake(b.instance, a.instance)).toEqual(none);
    await sql(a, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM RC4)");
    expect(await checkHandshake(a.instance, b.instance)).toEqual(none);
    await sql(b, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = SUPPORTED ALGORITHM AES RC4)");
    expect(await checkHandshake(a.instance, b.instance)).toEqual({ ok: true });
  });

  it("mirroring roles: a WITNESS endpoint does not act as a partner (28080 State 32 as acceptor, 31 as initiator)", async () => {
    const [p, w] = await Promise.all([node("p", { role: "PARTNER" }), node("w", { role: "WITNESS" })]);
    await Promise.all([trust(p, w), trust(w, p)]);
    expect(await checkHandshake(p.instance, w.instance, { role: "partner", peerRole: "witness" })).toEqual({ ok: true });
    expect(await checkHandshake(w.instance, p.instance, { role: "witness" })).toEqual({ ok: true });
    expect(await checkHandshake(p.instance, w.instance, { role: "partner" })).toEqual(refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 32."));
    expect(await checkHandshake(w.instance, p.instance, { role: "partner" })).toEqual(refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 31."));
    await expect(checkHandshake(w.instance, p.instance, { role: "witness", peerRole: "witness" })).rejects.toThrow(TypeError);
  });

  it("a local failure never reaches the network: the initiator's own 9666 / 28037 with no line in the acceptor's log", async () => {
    const [a, b] = await pair();
    await sql(a, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(await checkHandshake(a.instance, b.instance)).toEqual(refused(9666, "The Database Mirroring endpoint is in disabled or stopped state."));
    await sql(a, "ALTER ENDPOINT Mirroring STATE = STARTED; ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect(await checkHandshake(a.instance, b.instance)).toMatchObject({ ok: false, error: { number: 28037, message: expect.stringContaining("Error 15581 occurred") } });
    expect(b.log.filter((l) => l.includes("login attempt"))).toEqual([]);
    expect(a.log).toContain(`Database Mirroring login attempt failed with error: 'The Database Mirroring endpoint is in disabled or stopped state.'. [SERVER: ${b.url}]`);
  });

  it("nothing at the address: 1474 with the socket error; a TDS port that never answers the protocol: 1474 after the bound", async () => {
    const [a, b] = await pair();
    await sql(b, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(await checkHandshake(a.instance, b.instance)).toEqual(
      refused(1474, `Database mirroring connection error 2 'Connection attempt failed with error: '10061(No connection could be made because the target machine actively refused it.)'.' for '${b.url}'.`),
    );
    expect(a.log).toContain(
      `Error: 1474, Severity: 16, State: 1. Database mirroring connection error 2 'Connection attempt failed with error: '10061(No connection could be made because the target machine actively refused it.)'.' for '${b.url}'.`,
    );
    // The instance's TDS port: a server that waits for the client to speak first.
    const tds = `TCP://127.0.0.1:${b.instance.port}`;
    expect(await checkHandshake(a.instance, tds, { timeoutMs: 300 })).toEqual(
      refused(
        1474,
        `Database mirroring connection error 4 'An error occurred while receiving data: '10060(A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.)'.' for '${tds}'.`,
      ),
    );
    await expect(checkHandshake(a.instance, "127.0.0.1:5022")).rejects.toThrow(TypeError);
  });
});

describe("connections are authorized when they are made", () => {
  it("a revoked CONNECT or a dropped peer certificate does not cut an established connection; the next attempt fails", async () => {
    const [a, b] = await pair();
    const received: string[] = [];
    b.instance.hadr.onConnection((c) => c.onMessage((m) => received.push(m.body.toString())));
    const link = a.instance.hadr.openLink(b.url, { retry: { initialMs: 20, maxMs: 50 } });
    await link.waitFor("connected");
    await sql(b, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM a_login");
    expect(link.send("test", "after revoke")).toBe(true);
    await waitUntil(() => received.includes("after revoke"), "the message sent after REVOKE");
    expect(link.state.status).toBe("connected");
    expect(await checkHandshake(a.instance, b.instance)).toMatchObject({ ok: false, error: { number: 28034 } });
    await sql(b, "GRANT CONNECT ON ENDPOINT::Mirroring TO a_login; DROP CERTIFICATE a_cert");
    expect(link.send("test", "after drop")).toBe(true);
    await waitUntil(() => received.includes("after drop"), "the message sent after DROP CERTIFICATE");
    expect(await checkHandshake(a.instance, b.instance)).toMatchObject({ ok: false, error: { number: 28035 } });
    // Cut it: the link tries again, and is refused with the current rule.
    b.instance.faults.dropEndpointConnections();
    const down = await link.waitFor((s) => s.lastError?.number === 28035);
    expect(down.lastError!.message).toContain("Certificate not found. State 89.");
    link.close();
  });

  it("an established connection outlives its certificate's expiry; new ones fail: 28023 on the initiator, or 28035 State 92 on an acceptor whose clock is ahead", async () => {
    const [a, b] = await pair();
    const received: string[] = [];
    b.instance.hadr.onConnection((c) => c.onMessage((m) => received.push(m.body.toString())));
    const link = a.instance.hadr.openLink(b.url);
    await link.waitFor("connected");
    a.clock.now = b.clock.now = new Date("2031-02-01T00:00:00Z");
    expect(link.send("test", "after expiry")).toBe(true);
    await waitUntil(() => received.includes("after expiry"), "the message sent after expiry");
    expect(link.state.status).toBe("connected");
    expect(await checkHandshake(a.instance, b.instance)).toEqual(
      refused(28023, "An error occurred while looking up the public key certificate associated with this SQL Server instance: The certificate has expired."),
    );
    a.clock.now = new Date("2030-12-31T00:00:00Z");
    expect(await checkHandshake(a.instance, b.instance)).toEqual(
      refused(28035, "Connection handshake failed. The certificate used by the peer is invalid due to the following reason: Certificate has expired. State 92."),
    );
    expect(link.state.status).toBe("connected");
    link.close();
  });

  it("the DMV shows the connection on both sides while it lasts", async () => {
    const [a, b] = await pair();
    const link = a.instance.hadr.openLink(b.url);
    await link.waitFor("connected");
    const columns = "connection_id, state_desc, is_accept, principal_name, peer_certificate_id, login_state_desc, encryption_algorithm_desc";
    const [outbound] = await query(a, `SELECT ${columns} FROM sys.dm_db_mirroring_connections`);
    const [inbound] = await query(b, `SELECT ${columns} FROM sys.dm_db_mirroring_connections`);
    const [held] = await query(b, "SELECT certificate_id FROM sys.certificates WHERE name = N'a_cert'");
    expect(outbound).toEqual({ connection_id: inbound!.connection_id, state_desc: "LOGGED_IN", is_accept: false, principal_name: null, peer_certificate_id: null, login_state_desc: "ONLINE", encryption_algorithm_desc: "AES" });
    expect(inbound).toMatchObject({ state_desc: "LOGGED_IN", is_accept: true, principal_name: "a_login", peer_certificate_id: held!.certificate_id, encryption_algorithm_desc: "AES" });
    link.close();
    await waitUntil(() => b.instance.hadr.connections.length === 0, "b to see the connection closed");
    expect(await query(a, "SELECT COUNT(*) AS n FROM sys.dm_db_mirroring_connections")).toEqual([{ n: 0 }]);
    expect(await query(b, "SELECT COUNT(*) AS n FROM sys.dm_db_mirroring_connections")).toEqual([{ n: 0 }]);
  });
});
