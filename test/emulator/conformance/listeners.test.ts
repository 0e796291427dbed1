/**
 * Endpoints listen for real, driven by DDL through the mssql driver: CREATE / ALTER / DROP ENDPOINT
 * open and close a TCP listener on the instance's host (checked with net.connect), a port taken by
 * another program leaves the endpoint created but not listening with SQL Server's error-log lines,
 * LISTENER_IP never widens the address, restarts (with and without dataDir) reopen the listener and
 * stop() closes it.
 */
import * as net from "node:net";
import type sql from "mssql";
import { afterEach, describe, expect, it } from "vitest";
import { checkHandshake, startEmulator, type EmulatorInstance } from "../../../emulator";
import { reservePort, reservePorts } from "../../support/ports";
import { tcpOpen } from "../hadr/helpers";
import { SA_PASSWORD, STRONG, closeAll, connect, hex, ok, requestError, rows, start, tempDir, waitUntil } from "./support";

afterEach(closeAll);

interface Logged {
  instance: EmulatorInstance;
  pool: sql.ConnectionPool;
  log: string[];
}

async function instance(options: { dataDir?: string; name?: string } = {}): Promise<Logged> {
  const log: string[] = [];
  const i = await start({ log: (line) => log.push(line), ...options });
  const pool = await connect(i, "encrypt-false");
  await ok(pool, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'; CREATE CERTIFICATE ep_cert WITH SUBJECT = N'endpoint'`);
  return { instance: i, pool, log };
}

const endpoint = (port: number, state = "STARTED", ip = "") =>
  `CREATE ENDPOINT Mirroring STATE = ${state} AS TCP (LISTENER_PORT = ${port}${ip}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ep_cert, ROLE = ALL)`;

const LISTENING = (port: number) => [`Server is listening on [ 127.0.0.1 <ipv4> ${port}].`, "The Database Mirroring protocol transport is now listening for connections."];
const STOPPED_LISTENING = "The Database Mirroring protocol transport has stopped listening for connections.";

describe("CREATE / ALTER / DROP ENDPOINT open and close a real listener", () => {
  it("STARTED listens on 127.0.0.1:<LISTENER_PORT>; the default STATE (STOPPED) does not; DROP closes it", async () => {
    const { instance: a, pool, log } = await instance();
    const port = await reservePort();
    await ok(pool, endpoint(port, "STOPPED"));
    expect(await tcpOpen(port)).toBe(false);
    expect(a.hadr.listener).toEqual({ listening: false });
    await ok(pool, "ALTER ENDPOINT Mirroring STATE = STARTED");
    // The reply to the DDL comes after the listener is open.
    expect(await tcpOpen(port)).toBe(true);
    expect(a.hadr.listener).toEqual({ listening: true, host: "127.0.0.1", port });
    expect(a.hadr.endpointUrl).toBe(`TCP://127.0.0.1:${port}`);
    expect(log).toEqual(LISTENING(port));
    await ok(pool, "DROP ENDPOINT Mirroring");
    expect(await tcpOpen(port)).toBe(false);
    expect(log.at(-1)).toBe(STOPPED_LISTENING);
    // After DROP the URL is the last one the endpoint had (where peers would still try).
    expect(a.hadr.endpointUrl).toBe(`TCP://127.0.0.1:${port}`);
  });

  it("STOPPED closes the listener and cuts the connections; DISABLED listens but refuses (9666) and cuts too; a new port moves it", async () => {
    const a = await instance({ name: "LA" });
    const b = await instance({ name: "LB" });
    const [pa, pb, moved] = await reservePorts(3);
    await ok(a.pool, endpoint(pa!));
    await ok(b.pool, endpoint(pb!));
    const [{ der }] = await rows<{ der: Buffer }>(a.pool, "SELECT CERTENCODED(CERT_ID(N'ep_cert')) AS der");
    await ok(b.pool, `CREATE LOGIN a_login WITH PASSWORD = N'${STRONG}'; CREATE USER a_user FOR LOGIN a_login; CREATE CERTIFICATE a_cert AUTHORIZATION a_user FROM BINARY = ${hex(der!)}; GRANT CONNECT ON ENDPOINT::Mirroring TO a_login`);
    const link = a.instance.hadr.openLink(`TCP://127.0.0.1:${pb}`, { retry: { initialMs: 20, maxMs: 100 } });
    await link.waitFor("connected");

    await ok(b.pool, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(await tcpOpen(pb!)).toBe(false);
    expect(b.instance.hadr.connections).toEqual([]);
    await link.waitFor((s) => s.lastError?.number === 1474 && s.lastError.message.includes("10061"));

    await ok(b.pool, "ALTER ENDPOINT Mirroring STATE = DISABLED");
    expect(await tcpOpen(pb!)).toBe(true);
    await link.waitFor((s) => s.lastError?.number === 9666);
    expect(link.state.status).not.toBe("connected");

    await ok(b.pool, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await link.waitFor("connected");
    await ok(b.pool, "ALTER ENDPOINT Mirroring STATE = DISABLED");
    // Leaving STARTED cuts what was established, even though the port stays open.
    await link.waitFor((s) => s.status !== "connected");
    expect(b.instance.hadr.connections).toEqual([]);

    await ok(b.pool, `ALTER ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${moved})`);
    expect([await tcpOpen(pb!), await tcpOpen(moved!)]).toEqual([false, true]);
    expect(await checkHandshake(a.instance, b.instance)).toEqual({ ok: true });
    link.close();
    await link.done;
    expect(link.state.status).toBe("closed");
  });

  it("a port held by another program: the endpoint is created but does not listen, with 26023 and 9692 in the error log; it binds once the port is free and the endpoint restarted", async () => {
    const { instance: a, pool, log } = await instance();
    const port = await reservePort();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
    try {
      await ok(pool, endpoint(port));
      expect(await rows(pool, "SELECT state_desc FROM sys.database_mirroring_endpoints")).toEqual([{ state_desc: "STARTED" }]);
      expect(log).toEqual([
        `Error: 26023, Severity: 16, State: 1. Server TCP provider failed to listen on [ 127.0.0.1 <ipv4> ${port}]. Tcp port is already in use.`,
        `Error: 9692, Severity: 16, State: 1. The Database Mirroring protocol transport cannot listen on port ${port} because it is in use by another process.`,
      ]);
      expect(a.hadr.listener).toEqual({
        listening: false,
        host: "127.0.0.1",
        port,
        error: { number: 9692, message: `The Database Mirroring protocol transport cannot listen on port ${port} because it is in use by another process.` },
      });
      // An unrelated change does not retry the bind.
      await ok(pool, `CREATE LOGIN someone WITH PASSWORD = N'${STRONG}'`);
      expect(log).toHaveLength(2);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await ok(pool, "ALTER ENDPOINT Mirroring STATE = STOPPED; ALTER ENDPOINT Mirroring STATE = STARTED");
    expect(await tcpOpen(port)).toBe(true);
    expect(log.slice(2)).toEqual(LISTENING(port));
  });

  it("the instance's own TDS port is refused at CREATE (7890), as before", async () => {
    const { instance: a, pool } = await instance();
    const error = await requestError(ok(pool, endpoint(a.port)));
    expect(error.number).toBe(7890);
  });

  it("LISTENER_IP: ALL is the instance's host and never wider; its own address listens; another host's address cannot be bound (26024, 9693)", async () => {
    const { instance: a, pool, log } = await instance();
    const port = await reservePort();
    await ok(pool, endpoint(port, "STARTED", ", LISTENER_IP = ALL"));
    // 127.0.0.2 is this machine's loopback too, but the instance was started on 127.0.0.1.
    expect([await tcpOpen(port, "127.0.0.1"), await tcpOpen(port, "127.0.0.2")]).toEqual([true, false]);
    await ok(pool, "ALTER ENDPOINT Mirroring AS TCP (LISTENER_IP = (127.0.0.1))");
    expect(await tcpOpen(port)).toBe(true);
    log.length = 0;
    await ok(pool, "ALTER ENDPOINT Mirroring AS TCP (LISTENER_IP = (10.255.255.1))");
    expect(await rows(pool, "SELECT ip_address FROM sys.tcp_endpoints WHERE name = N'Mirroring'")).toEqual([{ ip_address: "10.255.255.1" }]);
    expect(await tcpOpen(port)).toBe(false);
    expect(log).toEqual([
      STOPPED_LISTENING,
      `Error: 26024, Severity: 16, State: 1. Server failed to listen on 10.255.255.1 <ipv4> ${port}. Error: 0x2741. To proceed, notify your system administrator.`,
      "Error: 9693, Severity: 16, State: 1. The Database Mirroring protocol transport could not listen for connections due to the following error: '10049(The requested address is not valid in its context.)'.",
    ]);
    expect(a.hadr.listener.error?.number).toBe(9693);
  });

  it("endpoint DDL in a transaction is refused (226) and a rolled-back transaction leaves the listener as it was", async () => {
    const { pool } = await instance();
    const port = await reservePort();
    await ok(pool, endpoint(port));
    const error = await requestError(ok(pool, "BEGIN TRANSACTION; ALTER ENDPOINT Mirroring STATE = STOPPED"));
    expect(error.number).toBe(226);
    await ok(pool, `IF @@TRANCOUNT > 0 ROLLBACK; BEGIN TRANSACTION; CREATE LOGIN temp_login WITH PASSWORD = N'${STRONG}'; ROLLBACK`);
    expect(await tcpOpen(port)).toBe(true);
  });
});

describe("restart and stop", () => {
  it("restart() closes the listener and opens it again (memory only)", async () => {
    const { instance: a, pool } = await instance();
    const port = await reservePort();
    await ok(pool, endpoint(port));
    await a.restart();
    expect(await tcpOpen(port)).toBe(true);
    expect(a.hadr.listener.listening).toBe(true);
  });

  it("with dataDir the listener comes back from the saved catalog, after restart() and in a new instance after stop()", async () => {
    const dataDir = await tempDir();
    const log: string[] = [];
    const a = await startEmulator({ saPassword: SA_PASSWORD, dataDir, log: (l) => log.push(l) });
    const pool = await connect(a, "encrypt-false");
    const port = await reservePort();
    await ok(pool, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'; CREATE CERTIFICATE ep_cert WITH SUBJECT = N'endpoint'; ${endpoint(port)}`);
    await pool.close();
    await a.restart();
    expect(await tcpOpen(port)).toBe(true);
    await a.stop();
    expect(await tcpOpen(port)).toBe(false);
    const again = await startEmulator({ saPassword: SA_PASSWORD, dataDir });
    try {
      expect(await tcpOpen(port)).toBe(true);
      expect(again.hadr.listener).toEqual({ listening: true, host: "127.0.0.1", port });
    } finally {
      await again.stop();
    }
    expect(await tcpOpen(port)).toBe(false);
  });

  it("stop() closes the listener, every connection and every link for good", async () => {
    const a = await instance({ name: "SA" });
    const b = await instance({ name: "SB" });
    const [pa, pb] = await reservePorts(2);
    await ok(a.pool, endpoint(pa!));
    await ok(b.pool, endpoint(pb!));
    const link = a.instance.hadr.openLink(`TCP://127.0.0.1:${pb}`, { retry: { initialMs: 10, maxMs: 20 } });
    await link.waitFor((s) => s.lastError !== undefined);
    await a.instance.stop();
    await link.done;
    expect(link.state.status).toBe("closed");
    expect(a.instance.hadr.links).toEqual([]);
    expect(await tcpOpen(pa!)).toBe(false);
    expect(() => a.instance.hadr.openLink(`TCP://127.0.0.1:${pb}`)).toThrow("the instance is stopped");
    await waitUntil(() => b.instance.hadr.connections.length === 0, "b to have no connection left");
  });
});
