/**
 * The engine's side of the live endpoints, without any socket: the committed-change notification,
 * signing with the endpoint certificate (the key never leaves the engine), and the accepting side's
 * rule with a proof of possession.
 */
import { X509Certificate, verify } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { STRONG, certificateDer, ok, openInstance, outbound, run, scalar, type TestInstance } from "./helpers";

const opened: TestInstance[] = [];
afterEach(async () => {
  for (const i of opened.splice(0)) await i.engine.close();
});

async function instance(serverName = "SQL1"): Promise<TestInstance> {
  const i = await openInstance({ serverName });
  opened.push(i);
  return i;
}

describe("Engine.onCommitted", () => {
  it("runs after a statement that committed a change, after COMMIT and after ROLLBACK; not inside a transaction nor for a read", async () => {
    const { engine, sa } = await instance();
    const calls: string[] = [];
    let label = "";
    const off = engine.onCommitted(() => void calls.push(label));
    label = "create";
    await ok(sa, `CREATE LOGIN l1 WITH PASSWORD = N'${STRONG}'`);
    label = "select";
    await ok(sa, "SELECT name FROM sys.server_principals");
    label = "in transaction";
    await ok(sa, `BEGIN TRANSACTION; CREATE LOGIN l2 WITH PASSWORD = N'${STRONG}'`);
    label = "commit";
    await ok(sa, "COMMIT");
    label = "rollback";
    await ok(sa, `BEGIN TRANSACTION; CREATE LOGIN l3 WITH PASSWORD = N'${STRONG}'; ROLLBACK`);
    label = "failed";
    await run(sa, "CREATE LOGIN l1 WITH PASSWORD = N'x'");
    expect(calls).toEqual(["create", "commit", "rollback"]);
    off();
    label = "after unsubscribe";
    await ok(sa, `CREATE LOGIN l4 WITH PASSWORD = N'${STRONG}'`);
    expect(calls).toHaveLength(3);
  });

  it("the statement's reply waits for the listeners; a listener that throws does not fail the statement", async () => {
    const { engine, sa } = await instance();
    let done = false;
    engine.onCommitted(async () => {
      await new Promise((r) => setTimeout(r, 30));
      done = true;
    });
    engine.onCommitted(() => {
      throw new Error("listener failure");
    });
    const outcomes = await run(sa, `CREATE LOGIN l1 WITH PASSWORD = N'${STRONG}'`);
    expect(done).toBe(true);
    expect(outcomes.filter((o) => o.kind === "error")).toEqual([]);
  });
});

describe("Engine.signWithEndpointCertificate and endpointCredentials", () => {
  it("sign with the endpoint certificate's private key; the signature verifies with the certificate's public key", async () => {
    const a = await instance();
    await outbound(a.sa, { certificate: "a_cert", role: "ALL" });
    const der = await certificateDer(a.sa, "a_cert");
    const credentials = a.engine.endpointCredentials();
    expect(credentials).toEqual({ ok: true, certificate: der, endpoint: { encryption: "REQUIRED", algorithms: ["AES"], role: "ALL" } });
    const data = Buffer.from("challenge bytes");
    const signed = a.engine.signWithEndpointCertificate(data);
    if (!signed.ok) throw new Error(signed.error.message);
    expect(signed.certificate).toEqual(der);
    expect(verify("sha256", data, new X509Certificate(der).publicKey, signed.signature)).toBe(true);
    expect(verify("sha256", Buffer.from("other bytes"), new X509Certificate(der).publicKey, signed.signature)).toBe(false);
    // Nothing private in what comes back.
    expect(Object.keys(signed).sort()).toEqual(["certificate", "data", "endpoint", "ok", "signature"]);
    // What is signed may name the certificate that signs it, decided inside the same call.
    const bound = a.engine.signWithEndpointCertificate((certificate) => Buffer.concat([Buffer.from("for "), certificate]));
    if (!bound.ok) throw new Error(bound.error.message);
    expect(bound.data).toEqual(Buffer.concat([Buffer.from("for "), der]));
    expect(verify("sha256", bound.data, new X509Certificate(der).publicKey, bound.signature)).toBe(true);
  });

  it("fail with the handshake's numbers: no endpoint 28080 State 1, stopped 9666, no SMK copy 28037 / 15581, outside validity 28022 / 28023", async () => {
    const a = await instance();
    expect(a.engine.signWithEndpointCertificate(Buffer.alloc(1))).toEqual({ ok: false, error: { number: 28080, message: "Connection handshake failed. The Database Mirroring endpoint is not configured. State 1." } });
    await outbound(a.sa, { certificate: "a_cert", role: "ALL" });
    await ok(a.sa, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(a.engine.endpointCredentials()).toEqual({ ok: false, error: { number: 9666, message: "The Database Mirroring endpoint is in disabled or stopped state." } });
    await ok(a.sa, "ALTER ENDPOINT Mirroring STATE = STARTED; ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect(a.engine.signWithEndpointCertificate(Buffer.alloc(1))).toMatchObject({ ok: false, error: { number: 28037, message: expect.stringContaining("Error 15581 occurred") } });
    await ok(a.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY`);
    expect(a.engine.signWithEndpointCertificate(Buffer.alloc(1), new Date("2000-01-01Z"))).toMatchObject({ ok: false, error: { number: 28022 } });
    expect(a.engine.signWithEndpointCertificate(Buffer.alloc(1), new Date("2099-01-01Z"))).toMatchObject({ ok: false, error: { number: 28023 } });
    expect(a.engine.signWithEndpointCertificate(Buffer.alloc(1))).toMatchObject({ ok: true });
  });
});

describe("Engine.acceptPeer", () => {
  it("accepts a proof made by the peer's engine and names the login and the held certificate; any other bytes are 28038", async () => {
    const a = await instance("A");
    const b = await instance("B");
    await outbound(a.sa, { certificate: "a_cert", role: "ALL" });
    await outbound(b.sa, { certificate: "b_cert", role: "ALL" });
    const der = await certificateDer(a.sa, "a_cert");
    await ok(
      b.sa,
      `CREATE LOGIN a_login WITH PASSWORD = N'${STRONG}'; CREATE USER a_user FOR LOGIN a_login;
       CREATE CERTIFICATE a_copy AUTHORIZATION a_user FROM BINARY = 0x${der.toString("hex")}; GRANT CONNECT ON ENDPOINT::Mirroring TO a_login`,
    );
    const data = Buffer.from("challenge");
    const signed = a.engine.signWithEndpointCertificate(data);
    if (!signed.ok) throw new Error(signed.error.message);
    const offer = { certificate: signed.certificate, endpoint: signed.endpoint, role: "replica" as const, peerRole: "partner" as const };
    const accepted = b.engine.acceptPeer(offer, { data, signature: signed.signature });
    const heldId = await scalar(b.sa, "SELECT certificate_id FROM sys.certificates WHERE name = N'a_copy'");
    expect(accepted).toEqual({ ok: true, login: "a_login", certificateId: heldId, endpoint: { encryption: "REQUIRED", algorithms: ["AES"], role: "ALL" } });
    expect(b.engine.acceptPeer(offer, { data: Buffer.from("other"), signature: signed.signature })).toEqual({
      ok: false,
      error: { number: 28038, message: "Connection handshake failed. The handshake verification failed. State 1." },
    });
    expect(b.engine.acceptPeer(offer, { data, signature: Buffer.from("garbage") })).toMatchObject({ ok: false, error: { number: 28038 } });
    expect(b.engine.acceptPeer({ ...offer, certificate: Buffer.from("not a certificate") }, { data, signature: signed.signature })).toMatchObject({ ok: false, error: { number: 28035 } });
    await ok(b.sa, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM a_login");
    expect(b.engine.acceptPeer(offer, { data, signature: signed.signature })).toEqual({
      ok: false,
      login: "a_login",
      error: { number: 28034, message: "Connection handshake failed. The login 'a_login' does not have CONNECT permission on the endpoint. State 84." },
    });
  });
});
