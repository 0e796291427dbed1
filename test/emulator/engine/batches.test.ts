import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STRONG, errorNumbers, errorOf, nvarchar, ok, openInstance, rows, run, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
});
afterEach(async () => {
  await t.engine.close();
});

const loginExists = async (name: string) => (await rows(t.sa, "SELECT name FROM sys.server_principals WHERE name = @n", [nvarchar("@n", name)])).length === 1;

describe("syntax errors", () => {
  it("stop the whole batch before anything runs, with the line of the error", async () => {
    const outcomes = await run(t.sa, `CREATE LOGIN early WITH PASSWORD = N'${STRONG}';\nSELECT 1\nFROM WHERE`);
    expect(outcomes).toEqual([{ kind: "error", error: { number: 156, state: 1, class: 15, message: "Incorrect syntax near the keyword 'WHERE'.", line: 3 } }]);
    expect(await loginExists("early")).toBe(false);
  });

  it("quote a non-keyword token with 102", async () => {
    const e = await errorOf(t.sa, "SELECT 1\n\nCREATE LOGIN x WITH PASSWORD = N'a' garbage");
    expect(e).toMatchObject({ number: 102, class: 15, line: 3, message: "Incorrect syntax near 'garbage'." });
  });

  it("quote the last token when the batch ends too early", async () => {
    expect(await errorOf(t.sa, "SELECT 1;\nCREATE CERTIFICATE c")).toMatchObject({ number: 102, message: "Incorrect syntax near 'c'.", line: 2 });
  });

  it("treat GO as text, not as a batch separator", async () => {
    expect(await errorOf(t.sa, `CREATE LOGIN g WITH PASSWORD = N'${STRONG}'\nGO`)).toMatchObject({ number: 102, message: "Incorrect syntax near 'GO'.", line: 2 });
  });

  it("run a name alone at the start of a batch as a procedure call (2812)", async () => {
    expect(await errorOf(t.sa, "GO")).toMatchObject({ number: 2812, class: 16, message: "Could not find stored procedure 'GO'." });
    expect(await errorOf(t.sa, "EXEC sp_who 'active'")).toMatchObject({ number: 2812, message: "Could not find stored procedure 'sp_who'." });
  });

  it("refuse variables where DDL needs literals", async () => {
    const e = await errorOf(t.sa, "CREATE LOGIN x WITH PASSWORD = @pw", [nvarchar("@pw", STRONG)]);
    expect(e).toMatchObject({ number: 102, message: "Incorrect syntax near '@pw'." });
  });
});

describe("T-SQL outside the subset", () => {
  it.each([
    ["MERGE t USING s ON 1 = 1 WHEN MATCHED THEN DELETE", "MERGE is not supported by the emulator."],
    ["CREATE VIEW v AS SELECT 1", "CREATE VIEW is not supported by the emulator."],
    ["CREATE TABLE t (a int)", "CREATE TABLE in the system database 'master' is not supported by the emulator."],
    ["CREATE TABLE t (a int IDENTITY)", "CREATE TABLE … IDENTITY is not supported by the emulator."],
    ["CREATE SYMMETRIC KEY k WITH ALGORITHM = AES_256 ENCRYPTION BY PASSWORD = 'x'", "CREATE SYMMETRIC KEY is not supported by the emulator."],
    ["CREATE LOGIN [d\\u] FROM WINDOWS", "CREATE LOGIN … FROM WINDOWS is not supported by the emulator."],
    ["CREATE ENDPOINT e AS TCP (LISTENER_PORT = 1) FOR SERVICE_BROKER (AUTHENTICATION = WINDOWS)", "CREATE ENDPOINT … FOR SERVICE_BROKER is not supported by the emulator."],
    ["BEGIN TRY SELECT 1 END TRY BEGIN CATCH END CATCH", "BEGIN TRY is not supported by the emulator."],
    ["SELECT 1 FROM sys.certificates GROUP BY name", "GROUP BY is not supported by the emulator."],
    ["BACKUP DATABASE master TO DISK = 'x'", "BACKUP DATABASE of the system database 'master' is not supported by the emulator."],
    ["BACKUP DATABASE d TO URL = 'https://x/y.bak'", "TO URL is not supported by the emulator."],
    ["SET ANSI_NULLS OFF", "SET ANSI_NULLS OFF is not supported by the emulator."],
  ])("%s → 50000", async (sql, message) => {
    expect(await errorOf(t.sa, sql)).toMatchObject({ number: 50000, class: 16, message });
  });

  it("refuses the batch before running any of it", async () => {
    const outcomes = await run(t.sa, `CREATE LOGIN before WITH PASSWORD = N'${STRONG}'; TRUNCATE TABLE x`);
    expect(errorNumbers(outcomes)).toEqual([50000]);
    expect(await loginExists("before")).toBe(false);
  });
});

describe("statements and batches", () => {
  it("separates statements by ; or whitespace alone", async () => {
    const outcomes = await ok(t.sa, `CREATE LOGIN a1 WITH PASSWORD = N'${STRONG}' CREATE LOGIN a2 WITH PASSWORD = N'${STRONG}';;SELECT 1`);
    expect(outcomes.map((o) => o.kind)).toEqual(["done", "done", "rows"]);
  });

  it("continues after a statement-level error and reports its line", async () => {
    const outcomes = await run(t.sa, `SELECT 1\nDROP LOGIN nobody\nCREATE LOGIN after_error WITH PASSWORD = N'${STRONG}'`);
    expect(outcomes[1]).toEqual({
      kind: "error",
      error: { number: 15151, state: 1, class: 16, line: 2, message: "Cannot drop the login 'nobody', because it does not exist or you do not have permission." },
    });
    expect(outcomes[2]).toEqual({ kind: "done" });
    expect(await loginExists("after_error")).toBe(true);
  });

  it("ends the batch at an unknown object (208) after running what came before", async () => {
    const outcomes = await run(t.sa, `CREATE LOGIN first WITH PASSWORD = N'${STRONG}'\nSELECT * FROM sys.nothing\nCREATE LOGIN never WITH PASSWORD = N'${STRONG}'`);
    expect(outcomes.map((o) => (o.kind === "error" ? [o.error.number, o.error.line, o.error.message] : o.kind))).toEqual(["done", [208, 2, "Invalid object name 'sys.nothing'."]]);
    expect(await loginExists("first")).toBe(true);
    expect(await loginExists("never")).toBe(false);
  });

  it("accepts mssql's initial batch and answers SET LANGUAGE with 5703", async () => {
    const initial = [
      "set ansi_nulls on",
      "set ansi_null_dflt_on on",
      "set ansi_padding on",
      "set ansi_warnings on",
      "set arithabort on",
      "set concat_null_yields_null on",
      "set datefirst 7",
      "set dateformat mdy",
      "set implicit_transactions off",
      "set language us_english",
      "set numeric_roundabort off",
      "set quoted_identifier on",
      "set textsize 2147483647",
      "set transaction isolation level read committed",
      "set xact_abort off",
    ].join("\n");
    const outcomes = await ok(t.sa, initial);
    expect(outcomes.filter((o) => o.kind === "rows")).toEqual([]);
    expect(outcomes.filter((o) => o.kind === "info")).toEqual([{ kind: "info", info: { number: 5703, state: 1, class: 0, message: "Changed language setting to us_english.", line: 10 } }]);
  });

  it("rejects an unknown SET option with 195 and bad values with their own errors", async () => {
    expect(await errorOf(t.sa, "SET FOO ON")).toMatchObject({ number: 195, class: 15, message: "'FOO' is not a recognized SET option." });
    expect(await errorOf(t.sa, "SET DATEFORMAT xyz")).toMatchObject({ number: 2741, message: "SET DATEFORMAT date order 'xyz' is invalid." });
    expect(await errorOf(t.sa, "SET DATEFIRST 9")).toMatchObject({ number: 2742, message: "SET DATEFIRST 9 is out of range." });
    expect((await errorOf(t.sa, "SET LANGUAGE Klingon")).number).toBe(2740);
  });

  it("USE master changes nothing but says so; unknown databases are 911", async () => {
    expect(await ok(t.sa, "USE master")).toEqual([
      { kind: "database", name: "master", previous: "master" },
      { kind: "info", info: { number: 5701, state: 1, class: 0, message: "Changed database context to 'master'.", line: 1 } },
      { kind: "done" },
    ]);
    expect(await errorOf(t.sa, "USE [nodb]")).toMatchObject({ number: 911, class: 16, message: "Database 'nodb' does not exist. Make sure that the name is entered correctly." });
  });

  it("runs IF [NOT] EXISTS … ELSE with single statements and BEGIN … END blocks", async () => {
    const sql = `IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'cond')
      BEGIN
        CREATE LOGIN cond WITH PASSWORD = N'${STRONG}';
        PRINT 'created';
      END
    ELSE PRINT 'exists'`;
    const first = await ok(t.sa, sql);
    expect(first.filter((o) => o.kind === "info").map((o) => o.kind === "info" && o.info.message)).toEqual(["created"]);
    const second = await ok(t.sa, sql);
    expect(second.filter((o) => o.kind === "info").map((o) => o.kind === "info" && o.info.message)).toEqual(["exists"]);
  });

  it("refuses a ; between the IF statement and ELSE, as T-SQL does", async () => {
    expect(await errorOf(t.sa, "IF 1 = 1 PRINT 'a'; ELSE PRINT 'b'")).toMatchObject({ number: 156, message: "Incorrect syntax near the keyword 'ELSE'." });
  });

  it("runs EXEC (N'…') as its own batch, with string concatenation", async () => {
    await ok(t.sa, `EXEC (N'CREATE LOGIN ' + N'[dyn]' + N' WITH PASSWORD = N''${STRONG}''')`);
    expect(await loginExists("dyn")).toBe(true);
  });

  it("reports a syntax error inside EXEC without ending the outer batch", async () => {
    const outcomes = await run(t.sa, `EXECUTE (N'SELECT FROM')\nCREATE LOGIN outer_ok WITH PASSWORD = N'${STRONG}'`);
    expect(errorNumbers(outcomes)).toEqual([156]);
    expect(outcomes.at(-1)).toEqual({ kind: "done" });
    expect(await loginExists("outer_ok")).toBe(true);
  });

  it("builds dynamic SQL from variables (DECLARE, SET) and parameters", async () => {
    await ok(t.sa, "DECLARE @sql nvarchar(max) = N'CREATE LOGIN ' + QUOTENAME(@name) + N' WITH PASSWORD = ' + QUOTENAME(@pw, ''''); SET @sql = @sql + N', CHECK_POLICY = OFF'; EXEC (@sql)", [
      nvarchar("@name", "odd]name"),
      nvarchar("@pw", "it's"),
    ]);
    expect(await loginExists("odd]name")).toBe(true);
    expect(t.engine.authenticate("odd]name", "it's")).toEqual({ ok: true });
  });

  it("fails the batch at compile time for an undeclared variable (137)", async () => {
    const outcomes = await run(t.sa, `CREATE LOGIN c137 WITH PASSWORD = N'${STRONG}'\nSELECT @nope`);
    expect(outcomes).toEqual([{ kind: "error", error: { number: 137, state: 2, class: 15, line: 2, message: 'Must declare the scalar variable "@nope".' } }]);
    expect(await loginExists("c137")).toBe(false);
  });

  it("prints with PRINT as message 0", async () => {
    expect((await ok(t.sa, "PRINT N'hello ' + @@SERVERNAME"))[0]).toEqual({ kind: "info", info: { number: 0, state: 1, class: 0, message: "hello SQL1", line: 1 } });
  });

  it("keeps 128-character names exactly and rejects 129", async () => {
    const name = "L" + "x".repeat(126) + "]";
    expect(name.length).toBe(128);
    await ok(t.sa, `CREATE LOGIN [${name.replace(/]/g, "]]")}] WITH PASSWORD = N'${STRONG}'`);
    expect(await scalar(t.sa, "SELECT name FROM sys.server_principals WHERE principal_id = SUSER_ID(@n)", [nvarchar("@n", name)])).toBe(name);
    expect(await errorOf(t.sa, `CREATE LOGIN [${"y".repeat(129)}] WITH PASSWORD = N'${STRONG}'`)).toMatchObject({ number: 103, class: 15 });
  });

  it("keeps escaped quotes, brackets, semicolons and comment markers in names and literals", async () => {
    const name = `we'ird; -- /* "name" ]`;
    const password = `pa'ss]; -- /* "x"`;
    await ok(t.sa, `CREATE LOGIN [${name.replace(/]/g, "]]")}] WITH PASSWORD = N'${password.replace(/'/g, "''")}', CHECK_POLICY = OFF`);
    expect(await loginExists(name)).toBe(true);
    expect(t.engine.authenticate(name, password)).toEqual({ ok: true });
    await ok(t.sa, `DROP LOGIN "${name.replace(/"/g, '""')}"`);
    expect(await loginExists(name)).toBe(false);
  });
});
