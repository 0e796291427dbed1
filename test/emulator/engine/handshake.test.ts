import { afterEach, describe, expect, it } from "vitest";
import { checkHandshake } from "../../../emulator/engine/engine";
import { generateSelfSignedCertificate, parseCertificate } from "../../../emulator/crypto/x509";
import { STRONG, certificateDer, ok, openInstance, outbound, type TestInstance } from "./helpers";

const opened: TestInstance[] = [];
afterEach(async () => {
  for (const i of opened.splice(0)) await i.engine.close();
});

async function instance(name: string, role: string): Promise<TestInstance & { name: string }> {
  const i = await openInstance({ serverName: name });
  opened.push(i);
  await outbound(i.sa, { certificate: `${name}_cert`, role });
  return Object.assign(i, { name });
}

/** The inbound half, by hand: login, user, the peer's public certificate owned by the user, CONNECT. */
async function trust(receiver: TestInstance, peer: TestInstance & { name: string }): Promise<void> {
  const der = await certificateDer(peer.sa, `${peer.name}_cert`);
  await ok(
    receiver.sa,
    `CREATE LOGIN [${peer.name}_login] WITH PASSWORD = N'${STRONG}';
     CREATE USER [${peer.name}_user] FOR LOGIN [${peer.name}_login];
     CREATE CERTIFICATE [${peer.name}_cert] AUTHORIZATION [${peer.name}_user] FROM BINARY = 0x${der.toString("hex")};
     GRANT CONNECT ON ENDPOINT::[Mirroring] TO [${peer.name}_login];`,
  );
}

/** Two availability-group replicas trusting each other. */
async function replicas() {
  const a = await instance("a", "ALL");
  const b = await instance("b", "ALL");
  await trust(a, b);
  await trust(b, a);
  expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
  return { a, b };
}

const refused = (number: number, message: string) => ({ ok: false, error: { number, message } });

describe("checkHandshake: a complete setup", () => {
  it("accepts all six directed connections of two partners and a witness, with their roles", async () => {
    const p1 = await instance("p1", "PARTNER");
    const p2 = await instance("p2", "PARTNER");
    const w = await instance("w", "WITNESS");
    for (const [x, y] of [[p1, p2], [p2, p1], [p1, w], [w, p1], [p2, w], [w, p2]] as const) await trust(x, y);
    expect(checkHandshake(p1.engine, p2.engine, { role: "partner" })).toEqual({ ok: true });
    expect(checkHandshake(p2.engine, p1.engine, { role: "partner" })).toEqual({ ok: true });
    expect(checkHandshake(p1.engine, w.engine, { role: "partner", peerRole: "witness" })).toEqual({ ok: true });
    expect(checkHandshake(p2.engine, w.engine, { role: "partner", peerRole: "witness" })).toEqual({ ok: true });
    expect(checkHandshake(w.engine, p1.engine, { role: "witness" })).toEqual({ ok: true });
    expect(checkHandshake(w.engine, p2.engine, { role: "witness" })).toEqual({ ok: true });
    // The witness endpoint (ROLE = WITNESS) cannot act as a partner.
    expect(checkHandshake(p1.engine, w.engine, { role: "partner" })).toEqual(
      refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 32."),
    );
    expect(checkHandshake(w.engine, p1.engine, { role: "partner" })).toEqual(
      refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 31."),
    );
  });

  it("ignores endpoint roles for availability-group replicas (the default)", async () => {
    const a = await instance("a", "WITNESS");
    const b = await instance("b", "PARTNER");
    await trust(b, a);
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
    expect(checkHandshake(a.engine, b.engine, { role: "replica" })).toEqual({ ok: true });
  });
});

describe("checkHandshake: each missing piece", () => {
  it("no CONNECT on the receiving endpoint → 28034 (state 84)", async () => {
    const { a, b } = await replicas();
    await ok(b.sa, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM a_login");
    expect(checkHandshake(a.engine, b.engine)).toEqual(refused(28034, "Connection handshake failed. The login 'a_login' does not have CONNECT permission on the endpoint. State 84."));
    // CONNECT through public works, and DENY beats it.
    await ok(b.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO public");
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
    await ok(b.sa, "DENY CONNECT ON ENDPOINT::Mirroring TO a_login");
    expect(checkHandshake(a.engine, b.engine)).toMatchObject({ ok: false, error: { number: 28034 } });
    // The reverse direction is unaffected.
    expect(checkHandshake(b.engine, a.engine)).toEqual({ ok: true });
  });

  it("the login behind the certificate is disabled or gone → 28034", async () => {
    const { a, b } = await replicas();
    await ok(b.sa, "ALTER LOGIN a_login DISABLE");
    expect(checkHandshake(a.engine, b.engine)).toEqual(refused(28034, "Connection handshake failed. The login 'a_login' does not have CONNECT permission on the endpoint. State 86."));
    await ok(b.sa, "ALTER LOGIN a_login ENABLE; DROP LOGIN a_login");
    expect(checkHandshake(a.engine, b.engine)).toEqual(refused(28034, "Connection handshake failed. The login 'a_user' does not have CONNECT permission on the endpoint. State 85."));
  });

  it("the receiver lacks the sender's certificate → 28035 Certificate not found", async () => {
    const { a, b } = await replicas();
    await ok(b.sa, "DROP CERTIFICATE a_cert");
    expect(checkHandshake(a.engine, b.engine)).toEqual(
      refused(28035, "Connection handshake failed. The certificate used by the peer is invalid due to the following reason: Certificate not found. State 89."),
    );
  });

  it("the receiver holds a different certificate with the same issuer and serial → 28045", async () => {
    const { a, b } = await replicas();
    const genuine = parseCertificate(await certificateDer(a.sa, "a_cert"));
    const impostor = await generateSelfSignedCertificate({ subject: genuine.subject, serial: genuine.serial, notBefore: genuine.notBefore, notAfter: genuine.notAfter, keyBits: 1024 });
    await ok(b.sa, `DROP CERTIFICATE a_cert; CREATE CERTIFICATE a_cert AUTHORIZATION a_user FROM BINARY = 0x${impostor.der.toString("hex")}`);
    expect(checkHandshake(a.engine, b.engine)).toEqual(
      refused(28045, "Connection handshake failed. The certificate used by the peer does not match the one in master database with same issuer name and serial number. State 90."),
    );
  });

  it("the sender's certificate is outside its validity window → 28022 / 28023", async () => {
    const { a, b } = await replicas();
    expect(checkHandshake(a.engine, b.engine, { at: new Date("2031-06-01T00:00:00Z") })).toEqual(
      refused(28023, "An error occurred while looking up the public key certificate associated with this SQL Server instance: The certificate has expired."),
    );
    expect(checkHandshake(a.engine, b.engine, { at: new Date("2029-06-01T00:00:00Z") })).toEqual(
      refused(28022, "An error occurred while looking up the public key certificate associated with this SQL Server instance: The certificate is not yet valid."),
    );
    // Without `at`, the sender's clock decides.
    a.clock.now = new Date("2032-01-01T00:00:00Z");
    expect(checkHandshake(a.engine, b.engine)).toMatchObject({ ok: false, error: { number: 28023 } });
  });

  it("an endpoint is stopped or disabled → 9666; missing → 28080", async () => {
    const { a, b } = await replicas();
    await ok(b.sa, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(checkHandshake(a.engine, b.engine)).toEqual(refused(9666, "The Database Mirroring endpoint is in disabled or stopped state."));
    await ok(b.sa, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await ok(a.sa, "ALTER ENDPOINT Mirroring STATE = DISABLED");
    expect(checkHandshake(a.engine, b.engine)).toMatchObject({ ok: false, error: { number: 9666 } });
    await ok(a.sa, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await ok(b.sa, "DROP ENDPOINT Mirroring");
    expect(checkHandshake(a.engine, b.engine)).toEqual(refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 2."));
    expect(checkHandshake(b.engine, a.engine)).toEqual(refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 1."));
  });

  it("encryption DISABLED against REQUIRED, or no common algorithm → 28027", async () => {
    const { a, b } = await replicas();
    const noAlgorithm = refused(28027, "Connection handshake failed. There is no compatible encryption algorithm. State 22.");
    await ok(a.sa, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED)");
    expect(checkHandshake(a.engine, b.engine)).toEqual(noAlgorithm);
    expect(checkHandshake(b.engine, a.engine)).toEqual(noAlgorithm);
    await ok(b.sa, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = SUPPORTED)");
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
    await ok(a.sa, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM RC4)");
    await ok(b.sa, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES)");
    expect(checkHandshake(a.engine, b.engine)).toEqual(noAlgorithm);
    await ok(b.sa, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = SUPPORTED ALGORITHM AES RC4)");
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
  });

  it("an endpoint without certificate authentication → 28027 (authentication protocol)", async () => {
    const { a, b } = await replicas();
    await ok(b.sa, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE)");
    expect(checkHandshake(a.engine, b.engine)).toEqual(refused(28027, "Connection handshake failed. There is no compatible authentication protocol. State 21."));
    await ok(b.sa, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE b_cert)");
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
  });

  it("the sender cannot open its private key unattended → 28037", async () => {
    const { a, b } = await replicas();
    await ok(a.sa, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect(checkHandshake(a.engine, b.engine)).toEqual(
      refused(
        28037,
        "Connection handshake failed. Error 15581 occurred while initializing the private key corresponding to the certificate. The SQL Server errorlog and the operating system error log may contain entries related to this error. State 3.",
      ),
    );
    await ok(a.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY`);
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
    await ok(a.sa, "ALTER CERTIFICATE a_cert WITH PRIVATE KEY (ENCRYPTION BY PASSWORD = N'K3y!Passw0rd')");
    expect(checkHandshake(a.engine, b.engine)).toMatchObject({ ok: false, error: { number: 28037, message: expect.stringContaining("Error 15334 occurred") } });
    await ok(a.sa, "ALTER CERTIFICATE a_cert REMOVE PRIVATE KEY");
    expect(checkHandshake(a.engine, b.engine)).toMatchObject({ ok: false, error: { number: 28037, message: expect.stringContaining("Error 15563 occurred") } });
  });

  it("a certificate owned by dbo maps to sa, which may always connect", async () => {
    const { a, b } = await replicas();
    await ok(b.sa, "ALTER AUTHORIZATION ON CERTIFICATE::a_cert TO dbo; REVOKE CONNECT ON ENDPOINT::Mirroring FROM a_login");
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
  });
});
