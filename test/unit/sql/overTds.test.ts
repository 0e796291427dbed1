/**
 * The pooled client and the object operations over real TDS (mssql → tedious → the emulator):
 * one request per operation on the wire, a bounded number of logins, TLS validated against the
 * emulator's CA, retries and pool replacement after lost connections and restarts, and clear
 * errors for bad credentials or an untrusted certificate.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type EmulatorInstance } from "../../../emulator";
import { closeAllPools, createSqlClient, POOL_SIZE, type ConnectionConfig } from "../../../provider/sql/connection";
import { SqlServerError } from "../../../provider/sql/errors";
import { createCertificate, readCertificate } from "../../../provider/sql/objects/certificate";
import { createEndpoint, readEndpoint, updateEndpoint } from "../../../provider/sql/objects/endpoint";
import { createMasterKey, readMasterKey } from "../../../provider/sql/objects/masterKey";

const SA_PASSWORD = "Sa!Passw0rd-tds";
let emulator: EmulatorInstance;
let config: ConnectionConfig;
/** Retries without waiting, so fault tests stay fast. */
const quickRetry = { retry: { initialDelayMs: 1, maxDelayMs: 2 } };

beforeAll(async () => {
  emulator = await startEmulator({ saPassword: SA_PASSWORD, name: "TDS1" });
  config = { server: "127.0.0.1", port: emulator.port, user: "sa", password: SA_PASSWORD, ca: emulator.tlsCertificate };
});

afterEach(async () => {
  await closeAllPools();
  emulator.faults.clear();
});

afterAll(async () => {
  await emulator.stop();
});

describe("on the wire", () => {
  it("a read is one request; creates and updates at most one; an unchanged update none", async () => {
    const client = createSqlClient(config);
    await readMasterKey(client); // warm the pool
    emulator.resetCounters();

    await readMasterKey(client);
    expect(emulator.counters.requests).toBe(1);

    const key = await createMasterKey(client, { password: "Mk!Passw0rd-tds" });
    expect(key.record.encryptedByServiceMasterKey).toBe(true);
    const certificate = await createCertificate(client, { name: "tds_cert", subject: "tds mirroring", expiryDate: "2099-01-01" });
    expect(certificate.record).toMatchObject({ name: "tds_cert", privateKeyEncryption: "MK", expiryDate: "2099-01-01T00:00:00Z" });
    expect(certificate.record.publicCertificate[0]).toBe(0x30);
    const endpoint = await createEndpoint(client, { name: "hadr", port: 5022, certificateName: "tds_cert" });
    expect(emulator.counters.requests).toBe(4);

    await updateEndpoint(client, endpoint.record, { name: "hadr", port: 5022, certificateName: "tds_cert" });
    expect(emulator.counters.requests).toBe(4);
    await updateEndpoint(client, endpoint.record, { name: "hadr", port: 5022, certificateName: "tds_cert", role: "PARTNER" });
    expect(emulator.counters.requests).toBe(5);
    expect(emulator.counters.rpcs).toBe(5); // every request is sp_executesql…
    expect(emulator.counters.batches).toBe(0); // …and no validation SELECT 1 on acquire
  });

  it("many concurrent operations log in at most POOL_SIZE times (mssql's probe connection is kept)", async () => {
    emulator.resetCounters();
    const client = createSqlClient(config);
    await Promise.all(Array.from({ length: 20 }, () => readEndpoint(createSqlClient(config), "hadr")));
    await Promise.all(Array.from({ length: 20 }, () => readCertificate(client, "tds_cert")));
    expect(emulator.counters.logins).toBeLessThanOrEqual(POOL_SIZE);
    // Every operation is one sp_executesql; the only batches are tedious' SET options after each login.
    expect(emulator.counters.rpcs).toBe(40);
    expect(emulator.counters.batches).toBe(emulator.counters.logins);
  });
});

describe("transient failures", () => {
  it("a reply lost after the CREATE ran: retried on a new pool, and recognised as this call's own work", async () => {
    const client = createSqlClient(config, quickRetry);
    await readMasterKey(client);
    emulator.resetCounters();
    emulator.faults.dropConnectionOn(/CREATE CERTIFICATE \[lost_reply]/, "after", 1);
    const result = await createCertificate(client, { name: "lost_reply", subject: "lost", expiryDate: "2099-01-01" });
    expect(result.existedBefore).toBe(false);
    expect(emulator.counters.rpcs).toBe(2); // the request, then its retry
    expect(emulator.counters.logins).toBe(1); // on a new pool, whose first connection is mssql's probe
  });

  it("an injected deadlock is retried", async () => {
    const client = createSqlClient(config, quickRetry);
    emulator.faults.failNext(/FROM master\.sys\.certificates/, 1205, 1);
    await expect(readCertificate(client, "tds_cert")).resolves.toMatchObject({ name: "tds_cert" });
  });

  it("a restarted instance is reconnected", async () => {
    const client = createSqlClient(config, quickRetry);
    await readCertificate(client, "tds_cert");
    await emulator.restart();
    await expect(readCertificate(client, "tds_cert")).resolves.toMatchObject({ name: "tds_cert" });
  });
});

describe("connection errors are final and explain themselves", () => {
  it("a wrong password: no retry, names connection.user/password, never shows the password", async () => {
    emulator.resetCounters();
    const client = createSqlClient({ ...config, password: "Wrong-MARKER-pw" }, quickRetry);
    const error = (await readMasterKey(client).catch((e: unknown) => e)) as SqlServerError;
    expect(error).toBeInstanceOf(SqlServerError);
    expect(error.category).toBe("login");
    expect(error.message).toMatch(/^unable to read database master key on 127\.0\.0\.1:\d+: login failed — check connection.user and connection.password/);
    expect(`${error.stack}`).not.toContain("MARKER");
    expect(emulator.counters.failedLogins).toBe(1);
  });

  it("an untrusted server certificate: names connection.ca", async () => {
    const { ca: _ignored, ...withoutCa } = config;
    const error = (await readMasterKey(createSqlClient(withoutCa, quickRetry)).catch((e: unknown) => e)) as SqlServerError;
    expect(error.category).toBe("tls");
    expect(error.message).toMatch(/set connection.ca/);
  });

  it("nothing listening: names connection.server and connection.port", async () => {
    const error = (await readMasterKey(createSqlClient({ ...config, port: 1 }, { retry: { attempts: 2, initialDelayMs: 1 } })).catch((e: unknown) => e)) as SqlServerError;
    expect(error.category).toBe("network");
    expect(error.message).toMatch(/check connection.server and connection.port, .*\[after 2 attempts]$/);
  });
});
