/**
 * checkHandshake over a topology a DBA builds by hand in T-SQL through the mssql driver: two
 * mirroring partners and a witness (each instance reached in a different encryption mode), every
 * piece of reference §0 done as SQL statements, the peer certificates moved once as a backup file and
 * otherwise as CERTENCODED bytes. Then each piece is taken away in turn, and put back. Every check is
 * a real connection from one instance's endpoint to the other's, so the numbers are what the wire
 * gives: the acceptor's refusal, the initiator's own failure, or 1474 when nothing listens.
 */
import { copyFile } from "node:fs/promises";
import * as path from "node:path";
import type sql from "mssql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../../emulator";
import { generateSelfSignedCertificate } from "../../../emulator/crypto/x509";
import { reservePorts } from "../../support/ports";
import { STRONG, closeAll, connect, hex, ok, rows, start, type Mode } from "./support";

const clock = { now: new Date("2030-01-15T12:00:00Z") };

interface Node {
  name: "p1" | "p2" | "w";
  instance: EmulatorInstance;
  pool: sql.ConnectionPool;
  /** Its endpoint's port, reserved: the three endpoints listen on 127.0.0.1 beside other test files'. */
  port: number;
}
let p1: Node;
let p2: Node;
let w: Node;

async function node(name: Node["name"], mode: Mode, role: "PARTNER" | "WITNESS", port: number): Promise<Node> {
  const instance = await start({ name: name.toUpperCase(), now: () => clock.now });
  const pool = await connect(instance, mode);
  // Outbound: master key, the instance's own certificate, the endpoint that presents it.
  await ok(
    pool,
    `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}';
     CREATE CERTIFICATE ${name}_cert WITH SUBJECT = N'${name} endpoint', START_DATE = '20300101', EXPIRY_DATE = '20310101';
     CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${port}, LISTENER_IP = ALL)
       FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${name}_cert, ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ${role});`,
  );
  return { name, instance, pool, port };
}

async function certificateDer(from: Node): Promise<Buffer> {
  const [{ der }] = await rows<{ der: Buffer }>(from.pool, `SELECT CERTENCODED(CERT_ID(N'${from.name}_cert')) AS der`);
  return der!;
}

/** Inbound on `receiver` for `peer`: login → user → the peer's certificate owned by the user → CONNECT. */
async function trust(receiver: Node, peer: Node, via: "binary" | "file" = "binary"): Promise<void> {
  let source: string;
  if (via === "file") {
    await ok(peer.pool, `BACKUP CERTIFICATE ${peer.name}_cert TO FILE = '${peer.name}_for_${receiver.name}.cer'`);
    await copyFile(path.join(peer.instance.backupDir, `${peer.name}_for_${receiver.name}.cer`), path.join(receiver.instance.backupDir, `${peer.name}.cer`));
    source = `FILE = '${peer.name}.cer'`;
  } else {
    source = `BINARY = ${hex(await certificateDer(peer))}`;
  }
  await ok(
    receiver.pool,
    `CREATE LOGIN ${peer.name}_login WITH PASSWORD = N'${STRONG}';
     CREATE USER ${peer.name}_user FOR LOGIN ${peer.name}_login;
     CREATE CERTIFICATE ${peer.name}_cert AUTHORIZATION ${peer.name}_user FROM ${source};
     GRANT CONNECT ON ENDPOINT::Mirroring TO ${peer.name}_login;`,
  );
}

const accepted = { ok: true };
const refused = (number: number, message: string) => ({ ok: false, error: { number, message } });
/** p1 → p2 as mirroring partners: the connection every "missing piece" below breaks. */
const p1ToP2 = () => checkHandshake(p1.instance, p2.instance, { role: "partner" });

beforeAll(async () => {
  const [port1, port2, portW] = (await reservePorts(3)) as [number, number, number];
  [p1, p2, w] = await Promise.all([node("p1", "encrypt-false", "PARTNER", port1), node("p2", "encrypt-true-ca", "PARTNER", port2), node("w", "encrypt-strict-ca", "WITNESS", portW)]);
  await trust(p1, p2);
  await trust(p2, p1);
  await trust(p1, w);
  await trust(w, p1, "file");
  await trust(p2, w);
  await trust(w, p2);
});
afterAll(closeAll);

describe("checkHandshake on a partners + witness topology built in T-SQL through mssql", () => {
  it("accepts all six directed connections with their roles", async () => {
    expect(await checkHandshake(p1.instance, p2.instance, { role: "partner" })).toEqual(accepted);
    expect(await checkHandshake(p2.instance, p1.instance, { role: "partner" })).toEqual(accepted);
    expect(await checkHandshake(p1.instance, w.instance, { role: "partner", peerRole: "witness" })).toEqual(accepted);
    expect(await checkHandshake(p2.instance, w.instance, { role: "partner", peerRole: "witness" })).toEqual(accepted);
    expect(await checkHandshake(w.instance, p1.instance, { role: "witness" })).toEqual(accepted);
    expect(await checkHandshake(w.instance, p2.instance, { role: "witness" })).toEqual(accepted);
  });

  it("the witness endpoint (ROLE = WITNESS) refuses to act as a partner: 28080 state 32 / 31", async () => {
    expect(await checkHandshake(p1.instance, w.instance, { role: "partner" })).toEqual(refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 32."));
    expect(await checkHandshake(w.instance, p1.instance, { role: "partner" })).toEqual(refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 31."));
  });
});

describe("each missing piece, taken away and put back through mssql", () => {
  it("no CONNECT on the receiving endpoint (revoked, or denied): 28034 state 84", async () => {
    const noConnect = refused(28034, "Connection handshake failed. The login 'p1_login' does not have CONNECT permission on the endpoint. State 84.");
    await ok(p2.pool, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM p1_login");
    expect(await p1ToP2()).toEqual(noConnect);
    // The other directions are unaffected.
    expect(await checkHandshake(p2.instance, p1.instance, { role: "partner" })).toEqual(accepted);
    await ok(p2.pool, "DENY CONNECT ON ENDPOINT::Mirroring TO p1_login");
    expect(await p1ToP2()).toEqual(noConnect);
    await ok(p2.pool, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM p1_login; GRANT CONNECT ON ENDPOINT::Mirroring TO p1_login");
    expect(await p1ToP2()).toEqual(accepted);
  });

  it("the login behind the peer certificate disabled (state 86) or dropped (state 85): 28034", async () => {
    await ok(p2.pool, "ALTER LOGIN p1_login DISABLE");
    expect(await p1ToP2()).toEqual(refused(28034, "Connection handshake failed. The login 'p1_login' does not have CONNECT permission on the endpoint. State 86."));
    await ok(p2.pool, "ALTER LOGIN p1_login ENABLE; DROP LOGIN p1_login");
    expect(await p1ToP2()).toEqual(refused(28034, "Connection handshake failed. The login 'p1_user' does not have CONNECT permission on the endpoint. State 85."));
    // A new login, the orphaned user mapped to it, CONNECT granted again.
    await ok(p2.pool, `CREATE LOGIN p1_login WITH PASSWORD = N'${STRONG}'; ALTER USER p1_user WITH LOGIN = p1_login; GRANT CONNECT ON ENDPOINT::Mirroring TO p1_login`);
    expect(await p1ToP2()).toEqual(accepted);
  });

  it("the receiver lacks the sender's certificate: 28035 state 89", async () => {
    await ok(p2.pool, "DROP CERTIFICATE p1_cert");
    expect(await p1ToP2()).toEqual(refused(28035, "Connection handshake failed. The certificate used by the peer is invalid due to the following reason: Certificate not found. State 89."));
    await ok(p2.pool, `CREATE CERTIFICATE p1_cert AUTHORIZATION p1_user FROM BINARY = ${hex(await certificateDer(p1))}`);
    expect(await p1ToP2()).toEqual(accepted);
  });

  it("the receiver holds another certificate with the same issuer and serial number: 28045 state 90", async () => {
    const [genuine] = await rows<{ subject: string; serial: string }>(p1.pool, "SELECT subject, cert_serial_number AS serial FROM sys.certificates WHERE name = N'p1_cert'");
    const impostor = await generateSelfSignedCertificate({
      subject: genuine!.subject,
      serial: Buffer.from(genuine!.serial.replace(/ /g, ""), "hex"),
      notBefore: new Date("2030-01-01Z"),
      notAfter: new Date("2031-01-01Z"),
      keyBits: 1024,
    });
    await ok(p2.pool, `DROP CERTIFICATE p1_cert; CREATE CERTIFICATE p1_cert AUTHORIZATION p1_user FROM BINARY = ${hex(impostor.der)}`);
    expect(await p1ToP2()).toEqual(refused(28045, "Connection handshake failed. The certificate used by the peer does not match the one in master database with same issuer name and serial number. State 90."));
    await ok(p2.pool, `DROP CERTIFICATE p1_cert; CREATE CERTIFICATE p1_cert AUTHORIZATION p1_user FROM BINARY = ${hex(await certificateDer(p1))}`);
    expect(await p1ToP2()).toEqual(accepted);
  });

  it("the sender's certificate outside its validity window: 28022 / 28023", async () => {
    expect(await checkHandshake(p1.instance, p2.instance, { role: "partner", at: new Date("2029-06-01T00:00:00Z") })).toEqual(
      refused(28022, "An error occurred while looking up the public key certificate associated with this SQL Server instance: The certificate is not yet valid."),
    );
    expect(await checkHandshake(p1.instance, p2.instance, { role: "partner", at: new Date("2031-06-01T00:00:00Z") })).toEqual(
      refused(28023, "An error occurred while looking up the public key certificate associated with this SQL Server instance: The certificate has expired."),
    );
  });

  it("an endpoint stopped (nothing listens: 1474), disabled (listens, refuses: 9666) or dropped (1474 as receiver, 28080 state 1 as sender)", async () => {
    const url = `TCP://127.0.0.1:${p2.port}`;
    const nothingListens = refused(
      1474,
      `Database mirroring connection error 2 'Connection attempt failed with error: '10061(No connection could be made because the target machine actively refused it.)'.' for '${url}'.`,
    );
    await ok(p2.pool, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(await p1ToP2()).toEqual(nothingListens);
    await ok(p2.pool, "ALTER ENDPOINT Mirroring STATE = DISABLED");
    expect(await p1ToP2()).toEqual(refused(9666, "The Database Mirroring endpoint is in disabled or stopped state."));
    await ok(p2.pool, "DROP ENDPOINT Mirroring");
    expect(await p1ToP2()).toEqual(nothingListens);
    expect(await checkHandshake(p2.instance, p1.instance, { role: "partner" })).toEqual(refused(28080, "Connection handshake failed. The Database Mirroring endpoint is not configured. State 1."));
    // Dropping the endpoint dropped its grants: both have to be made again.
    await ok(
      p2.pool,
      `CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${p2.port}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE p2_cert, ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = PARTNER)`,
    );
    expect(await p1ToP2()).toMatchObject({ ok: false, error: { number: 28034 } });
    await ok(p2.pool, "GRANT CONNECT ON ENDPOINT::Mirroring TO p1_login; GRANT CONNECT ON ENDPOINT::Mirroring TO w_login");
    expect(await p1ToP2()).toEqual(accepted);
    expect(await checkHandshake(w.instance, p2.instance, { role: "witness" })).toEqual(accepted);
  });

  it("encryption DISABLED against REQUIRED, or no common algorithm: 28027 state 22", async () => {
    const noAlgorithm = refused(28027, "Connection handshake failed. There is no compatible encryption algorithm. State 22.");
    await ok(p1.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED)");
    expect(await p1ToP2()).toEqual(noAlgorithm);
    await ok(p1.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM RC4)");
    expect(await p1ToP2()).toEqual(noAlgorithm);
    await ok(p2.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = SUPPORTED ALGORITHM AES RC4)");
    expect(await p1ToP2()).toEqual(accepted);
    await ok(p1.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES)");
    await ok(p2.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES)");
    expect(await p1ToP2()).toEqual(accepted);
  });

  it("an endpoint without certificate authentication: 28027 state 21", async () => {
    await ok(p2.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE)");
    expect(await p1ToP2()).toEqual(refused(28027, "Connection handshake failed. There is no compatible authentication protocol. State 21."));
    await ok(p2.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE p2_cert)");
    expect(await p1ToP2()).toEqual(accepted);
    await ok(p2.pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE p2_cert)");
  });

  it("the sender cannot open its private key unattended: 28037 with 15581 (no SMK copy) / 15334 (password-protected)", async () => {
    await ok(p1.pool, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect(await p1ToP2()).toEqual(
      refused(
        28037,
        "Connection handshake failed. Error 15581 occurred while initializing the private key corresponding to the certificate. The SQL Server errorlog and the operating system error log may contain entries related to this error. State 3.",
      ),
    );
    await ok(p1.pool, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; CLOSE MASTER KEY`);
    expect(await p1ToP2()).toEqual(accepted);
    await ok(p1.pool, "ALTER CERTIFICATE p1_cert WITH PRIVATE KEY (ENCRYPTION BY PASSWORD = N'K3y!Passw0rd')");
    expect(await p1ToP2()).toMatchObject({ ok: false, error: { number: 28037, message: expect.stringContaining("Error 15334 occurred") } });
    await ok(p1.pool, "ALTER CERTIFICATE p1_cert WITH PRIVATE KEY (DECRYPTION BY PASSWORD = N'K3y!Passw0rd')");
    expect(await rows(p1.pool, "SELECT pvt_key_encryption_type FROM sys.certificates WHERE name = N'p1_cert'")).toEqual([{ pvt_key_encryption_type: "MK" }]);
    expect(await p1ToP2()).toEqual(accepted);
  });

  it("after all that, the six directions are accepted again", async () => {
    expect(await checkHandshake(p1.instance, p2.instance, { role: "partner" })).toEqual(accepted);
    expect(await checkHandshake(p2.instance, p1.instance, { role: "partner" })).toEqual(accepted);
    expect(await checkHandshake(p1.instance, w.instance, { role: "partner", peerRole: "witness" })).toEqual(accepted);
    expect(await checkHandshake(p2.instance, w.instance, { role: "partner", peerRole: "witness" })).toEqual(accepted);
    expect(await checkHandshake(w.instance, p1.instance, { role: "witness" })).toEqual(accepted);
    expect(await checkHandshake(w.instance, p2.instance, { role: "witness" })).toEqual(accepted);
  });
});
