/**
 * Protocol features beyond the basic request/response path, seen through mssql and raw tedious:
 * transaction descriptors, RESETCONNECTION, database changes, OUTPUT parameters, prepared
 * statements, unknown procedures, handler failures and faults, cancel edge cases, many connections.
 */
import * as net from "node:net";
import sql from "mssql";
import type { Connection } from "tedious";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTdsServer } from "../../../emulator/tds/server";
import { fakeHandler, makeCertificate, mssqlConfig, SERVER_NAME, startFakeServer, waitFor } from "./fixtures";
import { call, closeTedious, connectTedious, run } from "./tedious-client";

let tlsMaterial: { key: string; cert: string };
let ctx: Awaited<ReturnType<typeof startFakeServer>>;
let pool: sql.ConnectionPool;
beforeAll(async () => {
  tlsMaterial = await makeCertificate();
  ctx = await startFakeServer(tlsMaterial, { attentionGraceMs: 300 });
  pool = await new sql.ConnectionPool(mssqlConfig(ctx.server.port, "off", tlsMaterial.cert)).connect();
});
afterAll(async () => {
  await pool.close();
  await ctx.server.close();
});

/** tedious emits 'rollbackTransaction' but its type declarations have no `on` overload for it. */
const onRollback = (connection: Connection, listener: () => void): void => void (connection as unknown as NodeJS.EventEmitter).on("rollbackTransaction", listener);

const requestError = (p: Promise<unknown>): Promise<sql.RequestError> => p.then(() => { throw new Error("expected a failure"); }, (e: unknown) => e as sql.RequestError);

describe("transaction descriptors", () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await connectTedious(ctx.server.port);
  });
  afterAll(async () => {
    await closeTedious(connection);
  });

  it("hands out a fresh 8-byte descriptor per TM begin and clears it on commit and rollback", async () => {
    const zero = Buffer.alloc(8);
    const first = await call<Buffer>((cb) => connection.beginTransaction(cb));
    expect(first!.length).toBe(8);
    expect(first!.equals(zero)).toBe(false);
    expect(connection.inTransaction).toBe(true);
    await call((cb) => connection.commitTransaction(cb));
    expect(connection.inTransaction).toBe(false);
    expect(connection.currentTransactionDescriptor().equals(zero)).toBe(true);
    let rolledBack = 0;
    onRollback(connection, () => rolledBack++);
    const second = await call<Buffer>((cb) => connection.beginTransaction(cb));
    expect(second!.equals(first!)).toBe(false);
    await call((cb) => connection.rollbackTransaction(cb));
    expect(rolledBack).toBe(1);
    expect(connection.inTransaction).toBe(false);
  });

  it("reports BEGIN TRAN/COMMIT inside batches and RPCs with the same ENVCHANGEs", async () => {
    await run(connection, "begin tran", true);
    expect(connection.inTransaction).toBe(true);
    const descriptor = Buffer.from(connection.currentTransactionDescriptor());
    expect(descriptor.equals(Buffer.alloc(8))).toBe(false);
    await run(connection, "commit");
    expect(connection.inTransaction).toBe(false);
    await run(connection, "begin tran");
    expect(connection.currentTransactionDescriptor().equals(descriptor)).toBe(false);
    await run(connection, "rollback", true);
    expect(connection.inTransaction).toBe(false);
  });

  it("does not announce a transaction whose TM begin failed", async () => {
    const error = (await call<Buffer>((cb) => connection.beginTransaction(cb, "fail")).catch((e: unknown) => e)) as { number: number; message: string };
    expect(error.number).toBe(3903);
    expect(connection.inTransaction).toBe(false);
    expect(ctx.recorded.transactions.at(-1)).toMatchObject({ request: "begin", name: "fail" });
  });

  it("passes TM save requests with their name", async () => {
    await call<Buffer>((cb) => connection.beginTransaction(cb, "outer"));
    await call((cb) => connection.saveTransaction(cb, "sp1"));
    await call((cb) => connection.commitTransaction(cb, "outer"));
    expect(ctx.recorded.transactions.slice(-3).map((t) => [t.request, t.name])).toEqual([["begin", "outer"], ["save", "sp1"], ["commit", "outer"]]);
    expect(connection.inTransaction).toBe(false);
  });
});

describe("session reset and environment changes", () => {
  it("calls session.reset() on RESETCONNECTION, acknowledges it, and rolls back an open transaction", async () => {
    const connection = await connectTedious(ctx.server.port);
    try {
      const spid = ctx.recorded.logins.at(-1)!.connection.spid;
      let acks = 0;
      let rollbacks = 0;
      connection.on("resetConnection", () => acks++);
      onRollback(connection, () => rollbacks++);
      await run(connection, "begin tran", true);
      await call((cb) => connection.reset(cb));
      expect(ctx.recorded.resets).toContain(spid);
      expect(acks).toBe(1);
      expect(rollbacks).toBe(1);
      expect(connection.inTransaction).toBe(false);
      expect(await run(connection, "select 1")).toEqual([[1]]);
    } finally {
      await closeTedious(connection);
    }
  });

  it("announces a database change (ENVCHANGE 1) to the client", async () => {
    const connection = await connectTedious(ctx.server.port);
    try {
      const changes: string[] = [];
      connection.on("databaseChange", (db) => changes.push(db));
      await run(connection, "use otherdb", true);
      expect(changes).toEqual(["otherdb"]);
    } finally {
      await closeTedious(connection);
    }
  });

  it("starts sessions in the database the handler chose", async () => {
    const changes: string[] = [];
    const connection = await connectTedious(ctx.server.port, { database: undefined }, (c) => c.on("databaseChange", (db) => changes.push(db)));
    expect(ctx.recorded.logins.at(-1)!.request.database).toBe("");
    expect(changes).toEqual(["master"]);
    await closeTedious(connection);
  });
});

describe("procedures", () => {
  it("echoes OUTPUT parameters back as RETURNVALUE", async () => {
    const result = await pool.request().input("a", sql.Int, 1).output("out", sql.Int, 42).output("name", sql.NVarChar(20), "ok").query("select echo");
    expect(result.output).toEqual({ out: 42, name: "ok" });
  });

  it("runs mssql PreparedStatement through sp_prepare / sp_execute / sp_unprepare", async () => {
    const ps = new sql.PreparedStatement(pool);
    ps.input("n", sql.Int);
    await ps.prepare("select echo");
    const first = await ps.execute({ n: 5 });
    const second = await ps.execute({ n: 6 });
    await ps.unprepare();
    expect(first.recordset).toEqual([{ n: 5 }]);
    expect(first.returnValue).toBe(0);
    expect(second.recordset).toEqual([{ n: 6 }]);
    expect(ctx.recorded.executes.slice(-2).map((e) => [e.sql, e.kind, e.params])).toEqual([
      ["select echo", "rpc", [{ name: "@n", type: "int", value: 5 }]],
      ["select echo", "rpc", [{ name: "@n", type: "int", value: 6 }]],
    ]);
  });

  it("answers an unknown prepared handle with error 8179", async () => {
    const error = await requestError(pool.request().input("handle", sql.Int, 999).execute("sp_execute"));
    expect([error.number, error.class, error.message]).toEqual([8179, 16, "Could not find prepared statement with handle 999."]);
  });

  it("answers any other procedure with error 2812", async () => {
    const error = await requestError(pool.request().input("a", sql.Int, 1).execute("dbo.myproc"));
    expect([error.number, error.state, error.class, error.lineNumber, error.serverName, error.message]).toEqual([
      2812, 62, 16, 1, SERVER_NAME, "Could not find stored procedure 'dbo.myproc'.",
    ]);
  });

  it("answers a table-valued parameter with error 8009 and stays usable", async () => {
    const table = new sql.Table("dbo.IdList");
    table.columns.add("id", sql.Int);
    table.rows.add(1);
    const error = await requestError(pool.request().input("ids", table).query("select echo"));
    expect(error.number).toBe(8009);
    expect(error.message).toBe('The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. Parameter 3 ("@ids"): Data type 0xF3 is not supported.');
    expect((await pool.request().query("select 1")).recordset).toEqual([{ "": 1 }]);
  });
});

describe("handler failures and faults", () => {
  it("turns a handler exception into error 50000 and keeps the connection", async () => {
    const single = await new sql.ConnectionPool(mssqlConfig(ctx.server.port, "off", tlsMaterial.cert, { pool: { max: 1 } })).connect();
    try {
      const error = await requestError(single.request().query("throw"));
      expect([error.number, error.state, error.class, error.message]).toEqual([50000, 1, 16, "kaboom"]);
      const spid = ctx.recorded.executes.at(-1)!.spid;
      expect((await single.request().query("select 1")).recordset).toEqual([{ "": 1 }]);
      expect(ctx.recorded.executes.at(-1)!.spid).toBe(spid);
    } finally {
      await single.close();
    }
  });

  it("turns values a column cannot hold into error 50000", async () => {
    const error = await requestError(pool.request().query("bad value"));
    expect([error.number, error.message]).toEqual([50000, "Emulator could not encode the result: column 'n' (int) cannot hold string not a number"]);
    const malformed = await requestError(pool.request().batch("not an array"));
    expect(malformed.message).toBe("Emulator could not encode the result: the session's reply has no outcomes array");
  });

  it("drops the connection without a reply when the handler asks for it", async () => {
    const connection = await connectTedious(ctx.server.port);
    const ended = new Promise<void>((resolve) => connection.once("end", () => resolve()));
    const error = (await run(connection, "disconnect").catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/socket hang up/);
    await ended;
    expect((await pool.request().query("select 1")).recordset).toEqual([{ "": 1 }]);
  });

  it("closes the connection after an error of class 20 or more, as SQL Server does", async () => {
    const connection = await connectTedious(ctx.server.port);
    const ended = new Promise<void>((resolve) => connection.once("end", () => resolve()));
    const error = (await run(connection, "raise 9001 1 21 1 The log for database 'appdb' is not available.").catch((e: unknown) => e)) as { number: number; class: number };
    expect([error.number, error.class]).toEqual([9001, 21]);
    await ended;
  });

  it("acknowledges a cancel after the grace period when the handler ignores its signal", async () => {
    const single = await new sql.ConnectionPool(mssqlConfig(ctx.server.port, "off", tlsMaterial.cert, { requestTimeout: 100, pool: { max: 1 } })).connect();
    try {
      const started = Date.now();
      const error = await requestError(single.request().query("ignore cancel"));
      expect(error.code).toBe("ETIMEOUT");
      // 100 ms timeout + 300 ms grace, well before the handler's 1500 ms.
      expect(Date.now() - started).toBeLessThan(1200);
      // The next request waits for the ignoring handler to finish, then runs normally.
      expect((await single.request().query("select 1")).recordset).toEqual([{ "": 1 }]);
      await waitFor(() => ctx.logs.some((l) => l.includes("handler ignored the cancel")), 1000, "the grace log line");
    } finally {
      await single.close();
    }
  });

  it("still tells the client about a transaction that began in a cancelled request", async () => {
    const connection = await connectTedious(ctx.server.port, { requestTimeout: 100 });
    try {
      const error = (await run(connection, "waitfor 5000 then begin").catch((e: unknown) => e)) as { code: string };
      expect(error.code).toBe("ETIMEOUT");
      expect(connection.inTransaction).toBe(true);
      await run(connection, "rollback");
      expect(connection.inTransaction).toBe(false);
    } finally {
      await closeTedious(connection);
    }
  });
});

describe("many connections", () => {
  let own: Awaited<ReturnType<typeof startFakeServer>>;
  beforeAll(async () => {
    own = await startFakeServer(tlsMaterial);
  });
  afterAll(async () => {
    await own.server.close();
  });

  it("serves 50 concurrent connections and counts them", async () => {
    const baseline = 0;
    const connections = await Promise.all(Array.from({ length: 50 }, () => connectTedious(own.server.port)));
    try {
      expect(own.server.connectionCount()).toBe(baseline + 50);
      const results = await Promise.all(connections.map((c) => run(c, "select 1")));
      expect(results).toEqual(Array.from({ length: 50 }, () => [[1]]));
    } finally {
      await Promise.all(connections.map(closeTedious));
    }
    await waitFor(() => own.server.connectionCount() === baseline, 3000, "connections to close");
    expect(own.recorded.closes.length).toBeGreaterThanOrEqual(50);
  });

  it("drops every connection on dropAllConnections() and keeps accepting new ones", async () => {
    const connection = await connectTedious(own.server.port);
    const ended = new Promise<void>((resolve) => connection.once("end", () => resolve()));
    own.server.dropAllConnections();
    await ended;
    await waitFor(() => own.server.connectionCount() === 0, 3000, "all connections to close");
    const fresh = await new sql.ConnectionPool(mssqlConfig(own.server.port, "off", tlsMaterial.cert)).connect();
    expect((await fresh.request().query("select 1")).recordset).toEqual([{ "": 1 }]);
    await fresh.close();
  });
});

describe("server lifecycle", () => {
  it("starts in well under a second on 127.0.0.1 and closes with connections open", async () => {
    const started = performance.now();
    const server = await startTdsServer({ serverName: "LIFECYCLE", tls: tlsMaterial, handler: fakeHandler().handler });
    expect(performance.now() - started).toBeLessThan(250);
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    const connection = await connectTedious(server.port);
    const ended = new Promise<void>((resolve) => connection.once("end", () => resolve()));
    await server.close();
    await ended;
    expect(server.connectionCount()).toBe(0);
    const refused = await new Promise<string>((resolve) => net.connect(server.port, "127.0.0.1").once("error", (e: NodeJS.ErrnoException) => resolve(e.code!)));
    expect(refused).toBe("ECONNREFUSED");
  });

  it("reports a handler that throws during login as ELOGIN with the reason", async () => {
    const server = await startTdsServer({ serverName: "THROWS", tls: tlsMaterial, handler: { login: async () => Promise.reject(new Error("database offline")) } });
    try {
      const error = (await new sql.ConnectionPool(mssqlConfig(server.port, "off", tlsMaterial.cert)).connect().catch((e: unknown) => e)) as sql.ConnectionError;
      expect([error.code, error.message]).toEqual(["ELOGIN", "Login failed for user 'sa'. database offline"]);
    } finally {
      await server.close();
    }
  });

  it("refuses integrated (NTLM) authentication with error 18452", async () => {
    const { Connection } = await import("tedious");
    const connection = new Connection({
      server: "127.0.0.1",
      authentication: { type: "ntlm", options: { userName: "u", password: "p", domain: "CORP" } },
      options: { port: ctx.server.port, encrypt: false, connectTimeout: 5000 },
    });
    connection.on("error", () => undefined);
    const error = await new Promise<Error & { code?: string }>((resolve) => connection.connect((e) => resolve(e!)));
    expect([error.code, error.message]).toEqual(["ELOGIN", "Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication."]);
  });

  it("rejects when the port is taken", async () => {
    const error = await startTdsServer({ serverName: "DUP", tls: tlsMaterial, handler: fakeHandler().handler, port: ctx.server.port }).catch((e: NodeJS.ErrnoException) => e);
    expect((error as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
  });
});
