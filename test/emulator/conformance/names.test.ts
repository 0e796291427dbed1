/**
 * Names and passwords that break naive quoting — `]`, `'`, `"`, `;`, `--`, Unicode beyond the BMP,
 * exactly 128 UTF-16 code units — round-trip exactly through the mssql driver: created by quoted DDL
 * and by dynamic SQL built with QUOTENAME from sp_executesql parameters, read back from the catalog,
 * and used to log in (LOGIN7 carries the name and the password). 129 code units is error 103.
 */
import sql from "mssql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../../emulator";
import { generateSelfSignedCertificate } from "../../../emulator/crypto/x509";
import { MODES, STRONG, bracket, close, closeAll, connect, expectError, hex, literal, ok, start, type Mode } from "./support";

/** 128 UTF-16 code units: the awkward characters, then filler. */
const LONG_NAME = `]]'"; --x${"é".repeat(61)}${"𝄞".repeat(29)}`;
const LONG_PASSWORD = `Aa1!]'";--${"ü".repeat(100)}${"𝄞".repeat(9)}`;

/** [name, password, how it is created]. Passwords meet the policy (three classes, no name inside). */
const CASES: Array<[string, string, "quoted" | "quotename"]> = [
  ["peer]; DROP LOGIN sa; --", "P@ss'w0rd\"; --]", "quoted"],
  ["O'Brien \"the\" ]admin[", "Robert'); DROP--1A", "quotename"],
  ["Zoë_ミラー_𝄞", "Pässwörd✓1𝄞'", "quoted"],
  [LONG_NAME, LONG_PASSWORD, "quotename"],
];

describe("the test data", () => {
  it("is as long as intended", () => {
    expect([LONG_NAME.length, LONG_PASSWORD.length]).toEqual([128, 128]);
  });
});

describe.each(MODES)("names and passwords through mssql (%s)", (mode: Mode) => {
  let instance: EmulatorInstance;
  let pool: sql.ConnectionPool;
  let der: Buffer;

  beforeAll(async () => {
    instance = await start();
    pool = await connect(instance, mode);
    der = (await generateSelfSignedCertificate({ subject: "named", notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000), keyBits: 1024 })).der;
  });
  afterAll(closeAll);

  it.each(CASES)("login %j: created, read back, logged in with its password, refused with another", async (name, password, how) => {
    if (how === "quoted") {
      await ok(pool, `CREATE LOGIN ${bracket(name)} WITH PASSWORD = ${literal(password)}`);
    } else {
      // The DBA's dynamic SQL: names and passwords arrive as parameters and are quoted by the server.
      await pool
        .request()
        .input("name", sql.NVarChar(128), name)
        .input("password", sql.NVarChar(128), password)
        .query("DECLARE @ddl nvarchar(max) = N'CREATE LOGIN ' + QUOTENAME(@name) + N' WITH PASSWORD = ' + QUOTENAME(@password, ''''); EXEC (@ddl)");
    }
    const found = await pool.request().input("name", sql.NVarChar(128), name).query("SELECT name, LEN(name) AS length, DATALENGTH(name) AS bytes FROM sys.server_principals WHERE name = @name");
    expect(found.recordset).toEqual([{ name, length: name.length, bytes: 2 * name.length }]);

    const asLogin = await connect(instance, mode, { user: name, password });
    const me = await asLogin.request().query("SELECT SUSER_NAME() AS login, ORIGINAL_LOGIN() AS original, SYSTEM_USER AS [system_user]");
    expect(me.recordset).toEqual([{ login: name, original: name, system_user: name }]);
    await close(asLogin);

    const wrong = await connect(instance, mode, { user: name, password: `${password.slice(0, -1)}x` }).then(
      () => undefined,
      (e: unknown) => e as sql.ConnectionError,
    );
    expect([wrong?.code, wrong?.message]).toEqual(["ELOGIN", `Login failed for user '${name}'.`]);
  });

  it.each(CASES)("user, certificate and grant named %j round-trip", async (name) => {
    const certificate = `${name.slice(0, 120)} cert`;
    await ok(pool, `CREATE USER ${bracket(name)} FOR LOGIN ${bracket(name)}`);
    await ok(pool, `CREATE CERTIFICATE ${bracket(certificate)} AUTHORIZATION ${bracket(name)} FROM BINARY = ${hex(der)}`);
    const owned = await pool
      .request()
      .input("name", sql.NVarChar(128), name)
      .query("SELECT c.name AS certificate, USER_NAME(c.principal_id) AS owner, QUOTENAME(USER_NAME(c.principal_id)) AS quoted FROM sys.certificates c JOIN sys.database_principals u ON u.principal_id = c.principal_id WHERE u.name = @name");
    expect(owned.recordset).toEqual([{ certificate, owner: name, quoted: name.length <= 128 ? bracket(name) : null }]);
    await ok(pool, `DROP CERTIFICATE ${bracket(certificate)}; DROP USER ${bracket(name)}`);
  });

  it("an endpoint with such a name takes a grant to such a login", async () => {
    const [login] = CASES[0]!;
    const endpoint = CASES[1]![0];
    await ok(pool, `CREATE ENDPOINT ${bracket(endpoint)} AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL); GRANT CONNECT ON ENDPOINT::${bracket(endpoint)} TO ${bracket(login)}`);
    const grants = await pool.request().query(`SELECT e.name AS endpoint_name, sp.name AS grantee FROM sys.server_permissions p
      JOIN sys.endpoints e ON e.endpoint_id = p.major_id JOIN sys.server_principals sp ON sp.principal_id = p.grantee_principal_id
      WHERE p.class = 105 AND e.endpoint_id >= 65536`);
    expect(grants.recordset).toEqual([{ endpoint_name: endpoint, grantee: login }]);
    await ok(pool, `DROP ENDPOINT ${bracket(endpoint)}`);
  });

  it("129 UTF-16 code units is too long: 103, nothing created", async () => {
    for (const name of [`${LONG_NAME}x`, "𝄞".repeat(65)]) {
      expect(name.length).toBe(129 + (name.startsWith("𝄞") ? 1 : 0));
      await expectError(instance, pool, `CREATE LOGIN ${bracket(name)} WITH PASSWORD = N'${STRONG}'`, {
        number: 103,
        state: 4,
        class: 15,
        message: `The identifier that starts with '${name.slice(0, 128)}' is too long. Maximum length is 128.`,
      });
    }
  });
});
