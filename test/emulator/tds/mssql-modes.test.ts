/**
 * The real mssql driver against the TDS server in every encryption mode: plaintext, TLS inside
 * PRELOGIN (trusting the certificate blindly and via a CA), and TDS 8.0 strict.
 */
import sql from "mssql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ALL_VALUES,
  EXPECTED_ENCRYPTION,
  GUID,
  makeCertificate,
  MODES,
  mssqlConfig,
  PASSWORD,
  SERVER_NAME,
  startFakeServer,
  USER,
  waitFor,
  WHEN,
} from "./fixtures";

/** mssql's Binary takes a length at run time; its type declarations omit it. */
const binary = sql.Binary as unknown as (length: number) => sql.ISqlType;

let tlsMaterial: { key: string; cert: string };
let ctx: Awaited<ReturnType<typeof startFakeServer>>;
beforeAll(async () => {
  tlsMaterial = await makeCertificate();
  ctx = await startFakeServer(tlsMaterial);
});
afterAll(async () => {
  await ctx.server.close();
});

describe.each(MODES)("mssql with encryption mode %s", (mode) => {
  let pool: sql.ConnectionPool;
  const config = (extra: Partial<sql.config> = {}): sql.config => mssqlConfig(ctx.server.port, mode, tlsMaterial.cert, extra);
  beforeAll(async () => {
    pool = await new sql.ConnectionPool(config()).connect();
  });
  afterAll(async () => {
    await pool.close();
  });

  it("logs in, passing LOGIN7 fields and the connection's encryption to the handler", async () => {
    const first = await pool.request().query("select 1");
    expect(first.recordset).toEqual([{ "": 1 }]);
    const spid = ctx.recorded.executes.at(-1)!.spid;
    const login = ctx.recorded.logins.find((l) => l.connection.spid === spid)!;
    expect(login.request).toEqual({
      userName: USER,
      password: PASSWORD,
      database: "appdb",
      appName: "node-mssql",
      hostName: expect.any(String),
      serverName: "127.0.0.1",
      language: "us_english",
      packetSize: 4096,
    });
    expect(login.connection).toEqual({ spid, remoteAddress: "127.0.0.1", remotePort: expect.any(Number), encryption: EXPECTED_ENCRYPTION[mode] });
    expect(spid).toBeGreaterThanOrEqual(52);
  });

  it("receives mssql's initial SET batch as a SQL batch and answers it without rows", async () => {
    const spid = ctx.recorded.executes.at(-1)!.spid;
    const initial = ctx.recorded.executes.find((e) => e.spid === spid && /^set ansi_nulls on/.test(e.sql))!;
    expect(initial.kind).toBe("batch");
    expect(initial.params).toEqual([]);
    expect(initial.sql.split("\n")).toContain("set xact_abort off");
    expect(initial.sql.split("\n")).toContain("set textsize 2147483647");
  });

  it("rejects a bad password with ELOGIN and closes that connection", async () => {
    const before = ctx.server.connectionCount();
    const bad = new sql.ConnectionPool(config({ password: "wrong" }));
    const error = await bad.connect().then(
      () => undefined,
      (e: unknown) => e as sql.ConnectionError,
    );
    expect(error).toBeInstanceOf(sql.ConnectionError);
    expect(error!.code).toBe("ELOGIN");
    expect(error!.message).toBe(`Login failed for user '${USER}'.`);
    await bad.close();
    await waitFor(() => ctx.server.connectionCount() === before, 3000, "the failed login's connection to close");
  });

  it("returns every column type, with a NULL row as NBCROW, through query() and batch()", async () => {
    for (const result of [await pool.request().query("select types"), await pool.request().batch("select types")]) {
      const [{ vbmax, ...row }, nulls] = result.recordset as unknown as [Record<string, unknown>, Record<string, unknown>];
      // Compared apart: a deep toEqual over 100 KB of Buffer costs a quarter of a second.
      expect(Buffer.isBuffer(vbmax) && vbmax.equals(Buffer.alloc(100 * 1024, 0xab))).toBe(true);
      expect(row).toEqual({
        i: -2147483648,
        bi: "9007199254740993",
        si: -32768,
        ti: 255,
        b: true,
        nv: "héllo ✓ 𝄞",
        v: "café €",
        vb: Buffer.from([0, 1, 2, 0xff]),
        dt2: WHEN,
        dt: WHEN,
        g: GUID,
        nvmax: "x".repeat(10_000),
        vmax: "y".repeat(9000),
      });
      expect(Object.values(nulls!)).toEqual(ALL_VALUES.map(() => null));
      const columns = result.recordset.columns;
      expect(columns.nv!.type).toBe(sql.NVarChar);
      // mssql reports the TYPE_INFO length, which is in bytes for nvarchar (as with SQL Server).
      expect(columns.nv!.length).toBe(100);
      expect(columns.nvmax!.length).toBe(65535);
      expect(columns.vb!.type).toBe(sql.VarBinary);
      expect(columns.dt2!.type).toBe(sql.DateTime2);
      expect(columns.g!.type).toBe(sql.UniqueIdentifier);
      expect(columns.bi!.type).toBe(sql.BigInt);
      expect(result.rowsAffected).toEqual([2]);
    }
  });

  it("echoes parameters of every type exactly", async () => {
    const req = pool.request();
    const day = new Date(Date.UTC(2020, 0, 2));
    const inputs: [string, sql.ISqlType | (() => sql.ISqlType), unknown, string, unknown][] = [
      // name, mssql type, value sent, type the handler sees, value the handler sees
      ["int", sql.Int, -7, "int", -7],
      ["bigint", sql.BigInt, "12345678901", "bigint", 12345678901n],
      ["smallint", sql.SmallInt, -300, "smallint", -300],
      ["tinyint", sql.TinyInt, 200, "tinyint", 200],
      ["bit", sql.Bit, true, "bit", true],
      ["float", sql.Float, Math.PI, "float", Math.PI],
      ["real", sql.Real, 1.5, "real", 1.5],
      ["decimal", sql.Decimal(18, 4), 12345.6789, "decimal", 12345.6789],
      ["numeric", sql.Numeric(10, 2), -42.5, "numeric", -42.5],
      ["money", sql.Money, -3.25, "money", -3.25],
      ["smallmoney", sql.SmallMoney, 1.5, "smallmoney", 1.5],
      ["nvarchar", sql.NVarChar(50), "Zoë ✓", "nvarchar", "Zoë ✓"],
      ["nvarcharmax", sql.NVarChar(sql.MAX), "n".repeat(5000), "nvarchar", "n".repeat(5000)],
      ["varchar", sql.VarChar(50), "café €", "varchar", "café €"],
      ["varcharmax", sql.VarChar(sql.MAX), "v".repeat(9000), "varchar", "v".repeat(9000)],
      ["char", sql.Char(5), "abc", "char", "abc"],
      ["nchar", sql.NChar(5), "héllo", "nchar", "héllo"],
      ["text", sql.Text, "some text", "text", "some text"],
      ["ntext", sql.NText, "ntext ✓", "nvarchar", "ntext ✓"],
      ["xml", sql.Xml, "<a b='1'/>", "nvarchar", "<a b='1'/>"],
      ["varbinary", sql.VarBinary(16), Buffer.from([9, 8, 7]), "varbinary", Buffer.from([9, 8, 7])],
      ["varbinarymax", sql.VarBinary(sql.MAX), Buffer.alloc(10_000, 3), "varbinary", Buffer.alloc(10_000, 3)],
      ["binary", binary(4), Buffer.from([1, 2, 3, 4]), "binary", Buffer.from([1, 2, 3, 4])],
      ["image", sql.Image, Buffer.from([5, 6]), "image", Buffer.from([5, 6])],
      ["guid", sql.UniqueIdentifier, GUID.toLowerCase(), "uniqueidentifier", GUID],
      ["date", sql.Date, day, "date", day],
      ["time", sql.Time(7), new Date(Date.UTC(1970, 0, 1, 13, 14, 15, 123)), "time", new Date(Date.UTC(1970, 0, 1, 13, 14, 15, 123))],
      ["datetime", sql.DateTime, new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 7)), "datetime", new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 7))],
      ["datetime2", sql.DateTime2(7), WHEN, "datetime2", WHEN],
      ["datetime2s3", sql.DateTime2(3), WHEN, "datetime2", WHEN],
      ["dto", sql.DateTimeOffset(7), WHEN, "datetimeoffset", WHEN],
      ["smalldatetime", sql.SmallDateTime, new Date(Date.UTC(2020, 0, 2, 3, 4)), "smalldatetime", new Date(Date.UTC(2020, 0, 2, 3, 4))],
      ["nullint", sql.Int, null, "int", null],
      ["nullnvarchar", sql.NVarChar(50), null, "nvarchar", null],
      ["nullnvarcharmax", sql.NVarChar(sql.MAX), null, "nvarchar", null],
      ["nullvarbinarymax", sql.VarBinary(sql.MAX), null, "varbinary", null],
      ["nulldatetime2", sql.DateTime2(7), null, "datetime2", null],
      ["nullguid", sql.UniqueIdentifier, null, "uniqueidentifier", null],
      ["nulldecimal", sql.Decimal(18, 2), null, "decimal", null],
      ["nullbit", sql.Bit, null, "bit", null],
    ];
    for (const [name, type, value] of inputs) req.input(name, type, value);
    const result = await req.query("select echo");
    const seen = ctx.recorded.executes.at(-1)!;
    expect(seen.kind).toBe("rpc");
    expect(seen.params).toEqual(inputs.map(([name, , , type, value]) => ({ name: `@${name}`, type, value })));
    const row = result.recordset[0]!;
    for (const [name, , , type, value] of inputs) {
      const textual = ["float", "real", "decimal", "numeric", "money", "smallmoney"].includes(type);
      expect(row[name], name).toEqual(textual && value !== null ? String(value) : type === "bigint" ? String(value) : value);
    }
  });

  it("maps untyped JS values the way mssql declares them", async () => {
    await pool.request().input("s", "text").input("n", 5).input("big", 2 ** 40).input("f", 1.25).input("t", false).input("d", WHEN).input("buf", Buffer.from("hi")).query("select echo");
    expect(ctx.recorded.executes.at(-1)!.params).toEqual([
      { name: "@s", type: "nvarchar", value: "text" },
      { name: "@n", type: "int", value: 5 },
      { name: "@big", type: "bigint", value: 2n ** 40n },
      { name: "@f", type: "float", value: 1.25 },
      { name: "@t", type: "bit", value: false },
      { name: "@d", type: "datetime", value: WHEN },
      { name: "@buf", type: "varbinary", value: Buffer.from("hi") },
    ]);
  });

  it("reassembles 300 KB PLP parameters split across packets, at packet sizes 4096 and 8192", async () => {
    const text = "ab€".repeat(50_000);
    const blob = Buffer.alloc(300 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 0xff;
    for (const packetSize of [4096, 8192]) {
      const big = await new sql.ConnectionPool(config({ options: { packetSize }, pool: { max: 1 } })).connect();
      try {
        const result = await big.request().input("t", sql.NVarChar(sql.MAX), text).input("b", sql.VarBinary(sql.MAX), blob).query("select echo");
        expect(result.recordset[0]!.t).toBe(text);
        expect(Buffer.compare(result.recordset[0]!.b, blob)).toBe(0);
        const spid = ctx.recorded.executes.at(-1)!.spid;
        expect(ctx.recorded.logins.find((l) => l.connection.spid === spid)!.request.packetSize).toBe(packetSize);
      } finally {
        await big.close();
      }
    }
  });

  it("turns ERROR tokens into RequestError with exact number, state, class, line, server and procedure", async () => {
    for (const run of [(t: string) => pool.request().query(t), (t: string) => pool.request().batch(t)]) {
      const error = (await run("raise 2627 3 14 7 Violation of PRIMARY KEY constraint 'PK_t'.").catch((e: unknown) => e)) as sql.RequestError;
      expect(error).toBeInstanceOf(sql.RequestError);
      expect({ code: error.code, number: error.number, state: error.state, class: error.class, lineNumber: error.lineNumber, serverName: error.serverName, procName: error.procName, message: error.message }).toEqual({
        code: "EREQUEST",
        number: 2627,
        state: 3,
        class: 14,
        lineNumber: 7,
        serverName: SERVER_NAME,
        procName: "",
        message: "Violation of PRIMARY KEY constraint 'PK_t'.",
      });
    }
    const two = (await pool.request().batch("two errors").catch((e: unknown) => e)) as sql.RequestError & { precedingErrors: sql.RequestError[] };
    expect(two.number).toBe(3621);
    expect(two.precedingErrors.map((e) => e.number)).toEqual([2627]);
  });

  it("returns multiple result sets, info messages and rowsAffected in order", async () => {
    for (const kind of ["query", "batch"] as const) {
      const req = pool.request();
      const infos: { number: number; message: string; lineNumber: number }[] = [];
      req.on("info", (i: { number: number; message: string; lineNumber: number }) => infos.push({ number: i.number, message: i.message, lineNumber: i.lineNumber }));
      const result = await req[kind]("multi");
      expect((result.recordsets as sql.IRecordSet<unknown>[]).map((r) => [...r])).toEqual([[{ a: 1 }, { a: 2 }], [{ b: "x" }]]);
      expect(result.rowsAffected).toEqual([2, 1, 3]);
      expect(infos).toEqual([{ number: 50001, message: "between the sets", lineNumber: 2 }]);
    }
    expect((await pool.request().query("update t set x = 1")).rowsAffected).toEqual([3]);
  });

  it("runs sql.Transaction begin/commit and begin/rollback through TRANSACTION_MANAGER", async () => {
    const start = ctx.recorded.transactions.length;
    const tx = new sql.Transaction(pool);
    await tx.begin();
    expect((await new sql.Request(tx).query("update t set x = 2")).rowsAffected).toEqual([3]);
    await tx.commit();
    const tx2 = new sql.Transaction(pool);
    await tx2.begin(sql.ISOLATION_LEVEL.SERIALIZABLE);
    await new sql.Request(tx2).query("update t set x = 3");
    await tx2.rollback();
    const tx3 = new sql.Transaction(pool);
    await tx3.begin();
    await tx3.commit();
    const seen = ctx.recorded.transactions.slice(start);
    expect(seen.map((t) => t.request)).toEqual(["begin", "commit", "begin", "rollback", "begin", "commit"]);
    expect(new Set(seen.slice(0, 2).map((t) => t.spid)).size).toBe(1);
  });

  it("cancels on request timeout with ATTENTION and keeps the connection usable", async () => {
    const single = await new sql.ConnectionPool(config({ requestTimeout: 300, pool: { max: 1 } })).connect();
    try {
      const error = (await single.request().query("waitfor 10000").catch((e: unknown) => e)) as sql.RequestError;
      expect(error.code).toBe("ETIMEOUT");
      expect(error.message).toBe("Timeout: Request failed to complete in 300ms");
      expect(ctx.recorded.aborted).toContain("waitfor 10000");
      const spid = ctx.recorded.executes.at(-1)!.spid;
      expect((await single.request().query("select 1")).recordset).toEqual([{ "": 1 }]);
      expect(ctx.recorded.executes.at(-1)!.spid).toBe(spid);
    } finally {
      await single.close();
    }
  });

  it("cancels with request.cancel() and keeps the connection usable", async () => {
    const single = await new sql.ConnectionPool(config({ pool: { max: 1 } })).connect();
    try {
      const req = single.request();
      const pending = req.query("waitfor 10000").catch((e: unknown) => e);
      await waitFor(() => ctx.recorded.executes.at(-1)?.sql === "waitfor 10000", 3000, "the slow request to start");
      req.cancel();
      const error = (await pending) as sql.RequestError;
      expect(error.code).toBe("ECANCEL");
      expect((await single.request().input("n", sql.Int, 9).query("select echo")).recordset).toEqual([{ n: 9 }]);
    } finally {
      await single.close();
    }
  });

  it("serves 200 parallel queries over a pool of 8 connections", async () => {
    const wide = await new sql.ConnectionPool(config({ pool: { max: 8 } })).connect();
    try {
      const firstExecute = ctx.recorded.executes.length;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => wide.request().input("n", sql.Int, i).query("select echo")));
      expect(results.map((r) => r.recordset[0]!.n)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      const spids = new Set(ctx.recorded.executes.slice(firstExecute).map((e) => e.spid));
      expect(spids.size).toBeGreaterThan(1);
      expect(spids.size).toBeLessThanOrEqual(8);
    } finally {
      await wide.close();
    }
  });
});
