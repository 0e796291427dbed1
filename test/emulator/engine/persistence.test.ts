import { readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Engine, checkHandshake } from "../../../emulator/engine/engine";
import { SA_PASSWORD, STRONG, certificateDer, ok, openInstance, outbound, rows, scalar, tempDir } from "./helpers";

const stateText = (dataDir: string) => readFile(path.join(dataDir, "master.json"), "utf8");
const loginNames = async (engine: Engine) => {
  const session = engine.openSession("sa");
  const names = (await rows(session, "SELECT name FROM sys.server_principals WHERE principal_id >= 256 ORDER BY name")).map((r) => r.name);
  session.close();
  return names;
};

describe("persistence in dataDir", () => {
  it("keeps the whole catalog across a restart, keys included", async () => {
    const dataDir = await tempDir();
    const a = await openInstance({ dataDir });
    await outbound(a.sa);
    await ok(a.sa, `CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; CREATE USER peer_user FOR LOGIN peer; GRANT CONNECT ON ENDPOINT::Mirroring TO peer`);
    const der = await certificateDer(a.sa, "local_cert");
    const before = a.engine.snapshot();
    await a.engine.close();

    const b = await openInstance({ dataDir, start: a.clock.now });
    expect(b.engine.snapshot()).toEqual(before);
    expect(await certificateDer(b.sa, "local_cert")).toEqual(der);
    expect(b.engine.authenticate("peer", STRONG)).toEqual({ ok: true });
    // The master key still opens through the service master key, so the private key is usable.
    expect(await scalar(b.sa, "SELECT CERTPRIVATEKEY(CERT_ID(N'local_cert'), N'Exp0rt!Passw0rd')")).toBeInstanceOf(Buffer);
    await ok(b.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'`);
    await b.engine.close();
  });

  it("writes after every committed change, without flush or close", async () => {
    const dataDir = await tempDir();
    const a = await openInstance({ dataDir });
    await ok(a.sa, `CREATE LOGIN written WITH PASSWORD = N'${STRONG}'`);
    const reader = await Engine.open({ serverName: "READER", saPassword: SA_PASSWORD, dataDir, backupDir: a.backupDir });
    expect(await loginNames(reader)).toEqual(["written"]);
    await a.engine.close();
  });

  it("never writes uncommitted changes: a write waits for the open transaction to end", async () => {
    const dataDir = await tempDir();
    const a = await openInstance({ dataDir });
    const other = a.engine.openSession("sa");
    await ok(other, `BEGIN TRAN; CREATE LOGIN uncommitted WITH PASSWORD = N'${STRONG}'`);
    await ok(a.sa, `CREATE LOGIN committed WITH PASSWORD = N'${STRONG}'`);
    await a.engine.flush();
    expect(await stateText(dataDir)).not.toContain("committed");
    other.rollback();
    await a.engine.flush();
    const text = await stateText(dataDir);
    expect(text).toContain('"committed"');
    expect(text).not.toContain("uncommitted");
    other.close();
    await a.engine.close();
  });

  it("stores no password and no private key in the clear; the file is private to its owner", async () => {
    const dataDir = await tempDir();
    const a = await openInstance({ dataDir });
    await outbound(a.sa);
    await ok(a.sa, `CREATE LOGIN p WITH PASSWORD = N'Pl41n!Secret'`);
    await a.engine.close();
    const text = await stateText(dataDir);
    for (const secret of [STRONG, "Pl41n!Secret", SA_PASSWORD, "PRIVATE KEY"]) expect(text).not.toContain(secret);
    expect((await stat(path.join(dataDir, "master.json"))).mode & 0o777).toBe(0o600);
  });

  it("applies the configured sa password at every open", async () => {
    const dataDir = await tempDir();
    const a = await openInstance({ dataDir });
    await a.engine.close();
    const b = await Engine.open({ serverName: "SQL1", saPassword: "N3w!SaPassw0rd", dataDir });
    expect(b.authenticate("sa", "N3w!SaPassw0rd")).toEqual({ ok: true });
    expect(b.authenticate("sa", SA_PASSWORD).ok).toBe(false);
    await b.close();
  });

  it("keeps two instances' handshake working after both restart", async () => {
    const [dirA, dirB] = [await tempDir(), await tempDir()];
    let a = await openInstance({ dataDir: dirA });
    let b = await openInstance({ dataDir: dirB });
    await outbound(a.sa, { certificate: "a_cert" });
    await outbound(b.sa, { certificate: "b_cert" });
    const der = await certificateDer(a.sa, "a_cert");
    await ok(b.sa, `CREATE LOGIN a_login WITH PASSWORD = N'${STRONG}'; CREATE USER a_user FOR LOGIN a_login; CREATE CERTIFICATE a_cert AUTHORIZATION a_user FROM BINARY = 0x${der.toString("hex")}; GRANT CONNECT ON ENDPOINT::Mirroring TO a_login`);
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
    await a.engine.close();
    await b.engine.close();
    a = await openInstance({ dataDir: dirA });
    b = await openInstance({ dataDir: dirB });
    expect(checkHandshake(a.engine, b.engine)).toEqual({ ok: true });
    await a.engine.close();
    await b.engine.close();
  });
});
