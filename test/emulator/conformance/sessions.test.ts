/**
 * What a client sees of an instance beyond single statements, through the real mssql driver in each
 * encryption mode: the product version, transactions over TDS, the fault hooks, the counters, and a
 * restart that keeps the catalog in `dataDir`.
 */
import sql from "mssql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../../emulator";
import { reservePort } from "../../support/ports";
import { MODES, SA_PASSWORD, STRONG, close, closeAll, config, connect, requestError, rows, seen, start, stop, tempDir, type Mode } from "./support";

const loginCount = (pool: sql.ConnectionPool, name: string) => rows<{ n: number }>(pool, `SELECT COUNT(*) AS n FROM sys.server_principals WHERE name = N'${name}'`).then((r) => r[0]!.n);

/** The ConnectionError of a failed connect, with the login error tokens tedious received. */
async function failedConnect(instance: EmulatorInstance, mode: Mode, extra: Partial<sql.config> = {}) {
  const tokens: Array<{ number: number; state: number; class: number; message: string }> = [];
  const error = await connect(instance, mode, {
    ...extra,
    beforeConnect: (c) => c.on("errorMessage", (t: { number: number; state: number; class: number; message: string }) => tokens.push({ number: t.number, state: t.state, class: t.class, message: t.message })),
  } as Partial<sql.config>).then(
    () => undefined,
    (e: unknown) => e as sql.ConnectionError,
  );
  expect(error).toBeInstanceOf(sql.ConnectionError);
  return { code: error!.code, message: error!.message, tokens };
}

describe.each(MODES)("sessions through mssql (%s)", (mode: Mode) => {
  let instance: EmulatorInstance;
  let pool: sql.ConnectionPool;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await tempDir();
    instance = await start({ dataDir });
    pool = await connect(instance, mode);
  });
  afterAll(closeAll);

  it("reports SQL Server 2022 RTM, 16.0.1000, in PRELOGIN, LOGINACK, @@VERSION and SERVERPROPERTY", async () => {
    const debug: string[] = [];
    const watched = new sql.ConnectionPool({ ...config(instance, mode), debug: true } as sql.config);
    watched.on("debug", (_connection: unknown, message: string) => debug.push(message.replace(/\x1b\[\d+m/g, "")));
    await watched.connect();
    try {
      // tedious logs its own PRELOGIN (its version) and the server's reply.
      expect(debug.filter((m) => /^\s*PreLogin - version:/.test(m)).map((m) => /version:([\d.]+)/.exec(m)![1])).toContain("16.0.1000.0");
      expect(debug.find((m) => m.startsWith("LoginAckToken"))).toContain("progVersion: { major: 16, minor: 0, buildNumHi: 3, buildNumLow: 232 }");
      const [v] = await rows<Record<string, string>>(
        watched,
        "SELECT @@VERSION AS version, CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product, CAST(SERVERPROPERTY('ProductMajorVersion') AS nvarchar(128)) AS major, CAST(SERVERPROPERTY('ProductLevel') AS nvarchar(128)) AS level",
      );
      expect(v!.version).toMatch(/^Microsoft SQL Server 2022 \(RTM\) - 16\.0\.1000\.6 \(X64\) /);
      expect([v!.product, v!.major, v!.level]).toEqual(["16.0.1000.6", "16", "RTM"]);
    } finally {
      await watched.close();
    }
  });

  describe("transactions over TDS", () => {
    it("CREATE LOGIN inside sql.Transaction is visible inside and gone after transaction.rollback()", async () => {
      const before = instance.catalog();
      const transaction = new sql.Transaction(pool);
      await transaction.begin();
      await new sql.Request(transaction).batch(`CREATE LOGIN rolled_back WITH PASSWORD = N'${STRONG}'`);
      const inside = await new sql.Request(transaction).query("SELECT @@TRANCOUNT AS trancount, COUNT(*) AS n FROM sys.server_principals WHERE name = N'rolled_back'");
      expect(inside.recordset).toEqual([{ trancount: 1, n: 1 }]);
      await transaction.rollback();
      expect(await loginCount(pool, "rolled_back")).toBe(0);
      expect(instance.catalog()).toEqual(before);
    });

    it("commit keeps the login; BEGIN TRAN … ROLLBACK in one batch undoes it", async () => {
      const transaction = new sql.Transaction(pool);
      await transaction.begin();
      await new sql.Request(transaction).batch(`CREATE LOGIN committed WITH PASSWORD = N'${STRONG}'`);
      await transaction.commit();
      expect(await loginCount(pool, "committed")).toBe(1);
      const result = await pool.request().batch(`BEGIN TRAN; CREATE LOGIN undone WITH PASSWORD = N'${STRONG}'; SELECT @@TRANCOUNT AS trancount; ROLLBACK; SELECT @@TRANCOUNT AS trancount`);
      expect((result.recordsets as Array<sql.IRecordSet<unknown>>).map((r) => [...r])).toEqual([[{ trancount: 1 }], [{ trancount: 0 }]]);
      expect(await loginCount(pool, "undone")).toBe(0);
    });
  });

  describe("fault hooks, as a client sees them", () => {
    it("failNext: the next matching statement fails with the exact error and does not run; then it works", async () => {
      instance.faults.failNext("CREATE LOGIN", 1205);
      const error = await requestError(pool.request().batch(`CREATE LOGIN injected WITH PASSWORD = N'${STRONG}'`));
      expect(seen(error)).toEqual({ number: 1205, state: 1, class: 16, message: "Fault injected by the emulator (error 1205)." });
      expect(await loginCount(pool, "injected")).toBe(0);
      instance.faults.failNext(/CREATE LOGIN \[?injected/i, { number: 15247, message: "User does not have permission to perform this action.", state: 2 }, 2);
      for (let i = 0; i < 2; i++) {
        expect(seen(await requestError(pool.request().query(`CREATE LOGIN [injected] WITH PASSWORD = N'${STRONG}'`)))).toEqual({
          number: 15247,
          state: 2,
          class: 16,
          message: "User does not have permission to perform this action.",
        });
      }
      await pool.request().query(`CREATE LOGIN [injected] WITH PASSWORD = N'${STRONG}'`);
      expect(await loginCount(pool, "injected")).toBe(1);
    });

    it("dropConnectionOn 'before': the connection dies (ECONNRESET) and the statement did not run; 'after': it ran", async () => {
      const single = await connect(instance, mode, { pool: { max: 1 } });
      instance.faults.dropConnectionOn("CREATE LOGIN lost_request", "before");
      const before = await requestError(single.request().batch(`CREATE LOGIN lost_request WITH PASSWORD = N'${STRONG}'`));
      expect([before.code, before.message]).toEqual(["ECONNRESET", "socket hang up"]);
      expect(await loginCount(pool, "lost_request")).toBe(0);

      instance.faults.dropConnectionOn(/CREATE LOGIN lost_reply/, "after");
      const after = await requestError(single.request().query(`CREATE LOGIN lost_reply WITH PASSWORD = N'${STRONG}'`));
      expect([after.code, after.message]).toEqual(["ECONNRESET", "socket hang up"]);
      expect(await loginCount(pool, "lost_reply")).toBe(1);

      // The same pool carries on: mssql validates and replaces the dead connection.
      expect(await rows(single, "SELECT SUSER_NAME() AS me")).toEqual([{ me: "sa" }]);
      await close(single);
    });

    it("refuseLogins: the next login fails with ELOGIN 18456 whatever the password; the one after succeeds", async () => {
      const failedBefore = instance.counters.failedLogins;
      instance.faults.refuseLogins(1);
      expect(await failedConnect(instance, mode)).toEqual({
        code: "ELOGIN",
        message: "Login failed for user 'sa'.",
        tokens: [{ number: 18456, state: 1, class: 14, message: "Login failed for user 'sa'." }],
      });
      expect(instance.counters.failedLogins).toBe(failedBefore + 1);
      const next = await connect(instance, mode);
      expect(await rows(next, "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
      await close(next);
    });

    it("delayResponses past requestTimeout: ETIMEOUT, and the same connection answers the next request", async () => {
      // No validation query on acquire, so the delayed reply is the request's own.
      const slow = await connect(instance, mode, { requestTimeout: 300, validateConnection: false, pool: { max: 1 } } as Partial<sql.config>);
      const [{ spid }] = await rows<{ spid: number }>(slow, "SELECT @@SPID AS spid");
      instance.faults.delayResponses(2000);
      const started = Date.now();
      const timeout = await requestError(slow.request().query("SELECT 1 AS one"));
      expect([timeout.code, timeout.message]).toEqual(["ETIMEOUT", "Timeout: Request failed to complete in 300ms"]);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await rows(slow, "SELECT @@SPID AS spid, 2 AS two")).toEqual([{ spid, two: 2 }]);
      await close(slow);
    });

    it("dropConnections: every client connection is cut; pools reconnect", async () => {
      const other = await connect(instance, mode, { pool: { max: 1 } });
      const [{ spid }] = await rows<{ spid: number }>(other, "SELECT @@SPID AS spid");
      const loginsBefore = instance.counters.logins;
      instance.faults.dropConnections();
      const [{ spid: after }] = await rows<{ spid: number }>(other, "SELECT @@SPID AS spid");
      expect(after).not.toBe(spid);
      expect(instance.counters.logins).toBeGreaterThan(loginsBefore);
      await close(other);
    });
  });

  it("counters: logins, failed logins, requests (tedious' SET batch included), batches, RPCs, transaction-manager requests, statements by kind", async () => {
    instance.resetCounters();
    expect(instance.counters).toEqual({ logins: 0, failedLogins: 0, requests: 0, batches: 0, rpcs: 0, transactionRequests: 0, statements: {} });
    const counted = await connect(instance, mode, { validateConnection: false, pool: { max: 1 } } as Partial<sql.config>);
    // mssql's connect() logs in a probe connection and closes it; tedious sends its SET batch (15 SET
    // statements) right after every login: one request, one batch.
    expect(instance.counters).toEqual({ logins: 1, failedLogins: 0, requests: 1, batches: 1, rpcs: 0, transactionRequests: 0, statements: { SET: 15 } });
    // The first request opens the pool's connection: a second login and SET batch, then the RPC.
    await counted.request().input("n", sql.Int, 1).query(`CREATE LOGIN counted WITH PASSWORD = N'${STRONG}'; SELECT @n AS n`);
    expect(instance.counters).toEqual({ logins: 2, failedLogins: 0, requests: 3, batches: 2, rpcs: 1, transactionRequests: 0, statements: { SET: 30, "CREATE LOGIN": 1, SELECT: 1 } });
    await counted.request().batch("SELECT name FROM sys.certificates; SELECT 1 AS one");
    const transaction = new sql.Transaction(counted);
    await transaction.begin();
    await new sql.Request(transaction).query("ALTER LOGIN counted DISABLE");
    await transaction.commit();
    await failedConnect(instance, mode, { password: `${SA_PASSWORD}x` });
    // query() is an RPC (sp_executesql), batch() a SQL batch, begin / commit transaction-manager requests.
    expect(instance.counters).toEqual({
      logins: 2,
      failedLogins: 1,
      requests: 7,
      batches: 3,
      rpcs: 2,
      transactionRequests: 2,
      statements: { SET: 30, "CREATE LOGIN": 1, SELECT: 3, "ALTER LOGIN": 1 },
    });
    await close(counted);
  });

  it("restart with dataDir keeps the catalog; clients reconnect; a new instance on the same dataDir has it too", async () => {
    await pool.request().batch(
      `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}';
       CREATE CERTIFICATE kept_cert WITH SUBJECT = N'kept';
       CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${await reservePort()}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE kept_cert, ROLE = ALL);
       CREATE LOGIN kept_login WITH PASSWORD = N'${STRONG}'; GRANT CONNECT ON ENDPOINT::Mirroring TO kept_login`,
    );
    const before = instance.catalog();
    const port = instance.port;
    await instance.restart();
    expect(instance.port).toBe(port);
    expect(instance.catalog()).toEqual(before);
    // The pool's connection died with the restart; mssql replaces it on the next request.
    expect(await rows(pool, "SELECT name, pvt_key_encryption_type FROM sys.certificates")).toEqual([{ name: "kept_cert", pvt_key_encryption_type: "MK" }]);
    // The master key opens unattended after the restart (its service-master-key copy was kept).
    await pool.request().batch("CREATE CERTIFICATE after_restart WITH SUBJECT = N'after'");
    const kept = await connect(instance, mode, { user: "kept_login", password: STRONG });
    expect(await rows(kept, "SELECT SUSER_NAME() AS me")).toEqual([{ me: "kept_login" }]);
    await close(kept);

    const snapshot = instance.catalog();
    await close(pool);
    await stop(instance);
    instance = await start({ dataDir });
    pool = await connect(instance, mode);
    expect(instance.catalog()).toEqual(snapshot);
    expect(await rows(pool, "SELECT name FROM sys.certificates ORDER BY name")).toEqual([{ name: "after_restart" }, { name: "kept_cert" }]);
  });
});
