import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_VERSION } from "../../../emulator/engine/engine";
import { STRONG, errorOf, nvarchar, ok, openInstance, outbound, rows, run, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeAll(async () => {
  t = await openInstance();
  await outbound(t.sa);
  for (const name of ["alice", "bob", "carol"]) {
    await ok(t.sa, `CREATE LOGIN ${name} WITH PASSWORD = N'${STRONG}'; CREATE USER ${name}_user FOR LOGIN ${name}`);
  }
  await ok(t.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO alice, bob");
});
afterAll(async () => {
  await t.engine.close();
});

describe("SELECT without FROM", () => {
  it("returns typed unnamed and aliased columns", async () => {
    const [result] = await ok(t.sa, "SELECT 1, N'x' AS [a b], 0xAB, NULL, @@SPID spid, 'v' = 2");
    expect(result).toEqual({
      kind: "rows",
      columns: [
        { name: "", type: "int" },
        { name: "a b", type: "nvarchar", length: 1 },
        { name: "", type: "varbinary", length: 1 },
        { name: "", type: "int" },
        { name: "spid", type: "smallint" },
        { name: "v", type: "int" },
      ],
      rows: [[1, "x", Buffer.from([0xab]), null, 51, 2]],
    });
  });

  it("answers SELECT 1 (the pool's validation query)", async () => {
    expect(await scalar(t.sa, "SELECT 1;")).toBe(1);
  });

  it("knows @@VERSION, @@SERVERNAME, SUSER_NAME, USER_NAME, DB_NAME, SERVERPROPERTY", async () => {
    const [r] = await rows(
      t.sa,
      "SELECT @@VERSION AS v, @@SERVERNAME AS s, SUSER_NAME() AS l, SUSER_SNAME() AS l2, USER_NAME() AS u, DB_NAME() AS d, SERVERPROPERTY('ProductMajorVersion') AS major, SERVERPROPERTY('ServerName') AS sn, IS_SRVROLEMEMBER('sysadmin') AS sa",
    );
    expect(r).toEqual({ v: DEFAULT_VERSION, s: "SQL1", l: "sa", l2: "sa", u: "dbo", d: "master", major: "16", sn: "SQL1", sa: 1 });
  });

  it("uses parameters with their declared types", async () => {
    const [result] = await ok(t.sa, "SELECT @n AS n, @i AS i, @b AS b", [nvarchar("@n", "zoë"), { name: "@i", type: "int", value: 7 }, { name: "@b", type: "varbinary(max)", value: Buffer.from("01", "hex") }]);
    expect(result).toMatchObject({ columns: [{ name: "n", type: "nvarchar" }, { name: "i", type: "int" }, { name: "b", type: "varbinary" }], rows: [["zoë", 7, Buffer.from("01", "hex")]] });
  });

  it("converts binary to hex text with CONVERT style 1 and 2", async () => {
    expect(await rows(t.sa, "SELECT CONVERT(varchar(max), 0x0A1B, 1) AS a, CONVERT(varchar(max), 0x0A1B, 2) AS b, CAST(N'5' AS int) + 1 AS c")).toEqual([{ a: "0x0A1B", b: "0A1B", c: 6 }]);
  });

  it("QUOTENAME doubles the closing delimiter and returns NULL past 128 characters", async () => {
    expect(await rows(t.sa, "SELECT QUOTENAME(N'a]b') AS a, QUOTENAME(N'it''s', '''') AS b")).toEqual([{ a: "[a]]b]", b: "'it''s'" }]);
    expect(await scalar(t.sa, "SELECT QUOTENAME(@s)", [nvarchar("@s", "x".repeat(129))])).toBeNull();
  });

  it("LEN counts bytes of binary (as varchar: trailing 0x20 not counted) and characters of strings", async () => {
    expect(await rows(t.sa, "SELECT LEN(0x0102030405) AS b, LEN(0x4120) AS spaced, LEN(N'ab  ') AS s, DATALENGTH(0x0102030405) AS d")).toEqual([{ b: 5, spaced: 1, s: 2, d: 5 }]);
    expect(await rows(t.sa, "SELECT LEN(sid) AS n FROM sys.server_principals WHERE name = 'alice'")).toEqual([{ n: 16 }]);
  });
});

describe("SELECT FROM catalog views", () => {
  it("accepts sys.x and master.sys.x in any case, with aliases", async () => {
    const a = await rows(t.sa, "SELECT name FROM sys.server_principals WHERE name = 'alice'");
    const b = await rows(t.sa, "SELECT p.name FROM MASTER.SYS.Server_Principals AS p WHERE p.name = 'alice'");
    expect(a).toEqual([{ name: "alice" }]);
    expect(b).toEqual(a);
  });

  it("supports *, qualified *, TOP (n) and ORDER BY (ordinal, alias, DESC)", async () => {
    const r = await rows(t.sa, "SELECT TOP (2) p.*, p.name AS n FROM sys.server_principals p WHERE p.type = 'S' ORDER BY n DESC");
    expect(r.map((x) => x.n)).toEqual(["sa", "carol"]);
    expect(Object.keys(r[0]!).slice(0, 3)).toEqual(["name", "principal_id", "sid"]);
    expect((await rows(t.sa, "SELECT name FROM sys.server_principals WHERE type = 'S' ORDER BY 1")).map((x) => x.name)).toEqual(["alice", "bob", "carol", "sa"]);
  });

  it("compares strings case-insensitively, ignoring trailing spaces, as the collation does", async () => {
    expect(await rows(t.sa, "SELECT name FROM sys.server_principals WHERE name = N'ALICE  '")).toEqual([{ name: "alice" }]);
    // sys.server_permissions.type is char(4): 'CO  ' equals 'CO'.
    expect((await rows(t.sa, "SELECT type FROM sys.server_permissions WHERE type = 'CO' AND major_id >= 65536")).map((r) => r.type)).toEqual(["CO  ", "CO  "]);
  });

  it("supports AND / OR / NOT / parentheses, <>, !=, <, >, IN, NOT IN, IS [NOT] NULL, LIKE, BETWEEN", async () => {
    const names = async (where: string) => (await rows(t.sa, `SELECT name FROM sys.server_principals WHERE ${where} ORDER BY name`)).map((r) => r.name);
    expect(await names("type = 'S' AND (name = 'alice' OR name = 'bob') AND NOT name = 'bob'")).toEqual(["alice"]);
    expect(await names("type = 'S' AND name <> 'sa' AND name != 'carol'")).toEqual(["alice", "bob"]);
    expect(await names("principal_id > 2 AND principal_id < 5")).toEqual(["securityadmin", "sysadmin"]);
    expect(await names("name IN (N'bob', N'carol', N'zed')")).toEqual(["bob", "carol"]);
    expect(await names("type = 'S' AND name NOT IN ('bob', 'carol')")).toEqual(["alice", "sa"]);
    expect(await names("default_database_name IS NULL AND name LIKE 's%admin'")).toEqual(["securityadmin", "serveradmin", "setupadmin", "sysadmin"]);
    expect(await names("default_database_name IS NOT NULL AND name LIKE '_o_'")).toEqual(["bob"]);
    expect(await names("principal_id BETWEEN 9 AND 10")).toEqual(["bulkadmin", "dbcreator"]);
  });

  it("treats NULL comparisons as unknown", async () => {
    expect(await rows(t.sa, "SELECT name FROM sys.server_principals WHERE default_database_name = NULL")).toEqual([]);
    expect(await rows(t.sa, "SELECT name FROM sys.server_principals WHERE NOT (default_database_name = NULL)")).toEqual([]);
  });

  it("joins with INNER and LEFT JOIN on AND-ed equalities (reference §4 permission query)", async () => {
    const r = await rows(
      t.sa,
      `SELECT e.name AS endpoint_name, sp.name AS grantee, p.permission_name, p.state_desc
       FROM sys.server_permissions AS p
       JOIN sys.endpoints AS e ON e.endpoint_id = p.major_id
       JOIN sys.server_principals AS sp ON sp.principal_id = p.grantee_principal_id
       WHERE p.class = 105 AND p.type = 'CO' AND e.type = 4
       ORDER BY grantee`,
    );
    expect(r).toEqual([
      { endpoint_name: "Mirroring", grantee: "alice", permission_name: "CONNECT", state_desc: "GRANT" },
      { endpoint_name: "Mirroring", grantee: "bob", permission_name: "CONNECT", state_desc: "GRANT" },
    ]);
    const left = await rows(
      t.sa,
      "SELECT l.name, u.name AS user_name FROM sys.server_principals l LEFT OUTER JOIN sys.database_principals u ON u.sid = l.sid AND u.type = 'S' WHERE l.type = 'S' ORDER BY l.name",
    );
    expect(left).toEqual([
      { name: "alice", user_name: "alice_user" },
      { name: "bob", user_name: "bob_user" },
      { name: "carol", user_name: "carol_user" },
      { name: "sa", user_name: "dbo" },
    ]);
  });

  it("counts, takes MIN / MAX, and selects DISTINCT", async () => {
    expect(await rows(t.sa, "SELECT COUNT(*) AS n, MIN(name) AS first, MAX(principal_id) AS top_id FROM sys.server_principals WHERE type = 'S'")).toEqual([{ n: 4, first: "alice", top_id: 258 }]);
    expect(await rows(t.sa, "SELECT DISTINCT type FROM sys.server_principals ORDER BY type")).toEqual([{ type: "R" }, { type: "S" }]);
  });

  it("evaluates scalar and EXISTS subqueries, also correlated", async () => {
    expect(await scalar(t.sa, "SELECT (SELECT COUNT(*) FROM sys.database_mirroring_endpoints)")).toBe(1);
    const r = await rows(t.sa, "SELECT l.name FROM sys.server_principals l WHERE l.type = 'S' AND EXISTS (SELECT 1 FROM sys.server_permissions p WHERE p.grantee_principal_id = l.principal_id AND p.class = 105) ORDER BY l.name");
    expect(r).toEqual([{ name: "alice" }, { name: "bob" }]);
    expect((await errorOf(t.sa, "SELECT (SELECT name FROM sys.server_principals)")).number).toBe(512);
  });
});

describe("binding errors", () => {
  it("207 invalid column, 209 ambiguous, 4104 unbound qualifier — before anything runs", async () => {
    const outcomes = await run(t.sa, `CREATE LOGIN bind1 WITH PASSWORD = N'${STRONG}'\nSELECT nope FROM sys.certificates`);
    expect(outcomes).toEqual([{ kind: "error", error: { number: 207, state: 1, class: 16, line: 2, message: "Invalid column name 'nope'." } }]);
    expect(await rows(t.sa, "SELECT name FROM sys.server_principals WHERE name = 'bind1'")).toEqual([]);
    expect(await errorOf(t.sa, "SELECT name FROM sys.endpoints e JOIN sys.tcp_endpoints t ON t.endpoint_id = e.endpoint_id")).toMatchObject({ number: 209, message: "Ambiguous column name 'name'." });
    expect(await errorOf(t.sa, "SELECT x.name FROM sys.endpoints e")).toMatchObject({ number: 4104, message: 'The multi-part identifier "x.name" could not be bound.' });
  });

  it("195 unknown function, 174 wrong argument count, 4145 non-boolean condition", async () => {
    expect(await errorOf(t.sa, "SELECT NO_SUCH_FN(1)")).toMatchObject({ number: 195, message: "'NO_SUCH_FN' is not a recognized built-in function name." });
    expect(await errorOf(t.sa, "SELECT CERT_ID()")).toMatchObject({ number: 174, message: "The CERT_ID function requires 1 argument(s)." });
    expect((await errorOf(t.sa, "SELECT 1 FROM sys.certificates WHERE name")).number).toBe(4145);
  });

  it("245 when a string does not convert to a number", async () => {
    expect(await errorOf(t.sa, "SELECT name FROM sys.server_principals WHERE principal_id = 'abc'")).toMatchObject({
      number: 245,
      message: "Conversion failed when converting the varchar value 'abc' to data type int.",
    });
  });
});

describe("certificate functions", () => {
  it("CERT_ID and CERTENCODED return the id and the DER of a certificate, NULL when unknown", async () => {
    const [r] = await rows(t.sa, "SELECT CERT_ID(N'local_cert') AS id, CERTENCODED(CERT_ID(N'local_cert')) AS der, CERT_ID(N'none') AS missing, CERTENCODED(12345) AS nothing");
    expect(r!.id).toBe(256);
    expect((r!.der as Buffer)[0]).toBe(0x30);
    expect(r!.missing).toBeNull();
    expect(r!.nothing).toBeNull();
  });
});
