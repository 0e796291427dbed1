import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STRONG, errorOf, nvarchar, ok, openInstance, outbound, rows, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
});
afterEach(async () => {
  await t.engine.close();
});

const login = async (name: string) => (await rows(t.sa, "SELECT * FROM sys.server_principals WHERE name = @n", [nvarchar("@n", name)]))[0];

describe("fixed principals", () => {
  it("lists sa and the fixed server roles in sys.server_principals", async () => {
    expect(await rows(t.sa, "SELECT principal_id, name, sid, type, type_desc, is_disabled, is_fixed_role FROM sys.server_principals ORDER BY principal_id")).toEqual([
      { principal_id: 1, name: "sa", sid: Buffer.from([1]), type: "S", type_desc: "SQL_LOGIN", is_disabled: 0, is_fixed_role: false },
      { principal_id: 2, name: "public", sid: Buffer.from([2]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: false },
      { principal_id: 3, name: "sysadmin", sid: Buffer.from([3]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
      { principal_id: 4, name: "securityadmin", sid: Buffer.from([4]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
      { principal_id: 5, name: "serveradmin", sid: Buffer.from([5]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
      { principal_id: 6, name: "setupadmin", sid: Buffer.from([6]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
      { principal_id: 7, name: "processadmin", sid: Buffer.from([7]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
      { principal_id: 8, name: "diskadmin", sid: Buffer.from([8]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
      { principal_id: 9, name: "dbcreator", sid: Buffer.from([9]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
      { principal_id: 10, name: "bulkadmin", sid: Buffer.from([10]), type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
    ]);
  });

  it("lists dbo, guest, INFORMATION_SCHEMA, sys, public and the fixed roles in master's sys.database_principals", async () => {
    expect(await rows(t.sa, "SELECT principal_id, name, type_desc, default_schema_name, authentication_type_desc FROM sys.database_principals ORDER BY principal_id")).toEqual([
      { principal_id: 0, name: "public", type_desc: "DATABASE_ROLE", default_schema_name: null, authentication_type_desc: "NONE" },
      { principal_id: 1, name: "dbo", type_desc: "SQL_USER", default_schema_name: "dbo", authentication_type_desc: "INSTANCE" },
      { principal_id: 2, name: "guest", type_desc: "SQL_USER", default_schema_name: "guest", authentication_type_desc: "NONE" },
      { principal_id: 3, name: "INFORMATION_SCHEMA", type_desc: "SQL_USER", default_schema_name: null, authentication_type_desc: "NONE" },
      { principal_id: 4, name: "sys", type_desc: "SQL_USER", default_schema_name: null, authentication_type_desc: "NONE" },
      ...["db_owner", "db_accessadmin", "db_securityadmin", "db_ddladmin", "db_backupoperator", "db_datareader", "db_datawriter", "db_denydatareader", "db_denydatawriter"].map((name, i) => ({
        principal_id: [16384, 16385, 16386, 16387, 16389, 16390, 16391, 16392, 16393][i],
        name,
        type_desc: "DATABASE_ROLE",
        default_schema_name: null,
        authentication_type_desc: "NONE",
      })),
    ]);
  });

  it("grants sa CONNECT SQL and public VIEW ANY DATABASE and CONNECT on the TSQL endpoints", async () => {
    expect(await rows(t.sa, "SELECT class_desc, major_id, grantee_principal_id, type, permission_name, state_desc FROM sys.server_permissions ORDER BY grantee_principal_id, class, major_id")).toEqual([
      { class_desc: "SERVER", major_id: 0, grantee_principal_id: 1, type: "COSQ", permission_name: "CONNECT SQL", state_desc: "GRANT" },
      { class_desc: "SERVER", major_id: 0, grantee_principal_id: 2, type: "VWDB", permission_name: "VIEW ANY DATABASE", state_desc: "GRANT" },
      ...[2, 3, 4, 5].map((major_id) => ({ class_desc: "ENDPOINT", major_id, grantee_principal_id: 2, type: "CO  ", permission_name: "CONNECT", state_desc: "GRANT" })),
    ]);
  });
});

describe("CREATE LOGIN", () => {
  it("creates an enabled SQL login with CONNECT SQL; it can log in with its password", async () => {
    await ok(t.sa, `CREATE LOGIN peer_login WITH PASSWORD = N'${STRONG}'`);
    const l = await login("peer_login");
    expect(l).toMatchObject({
      principal_id: 256,
      type: "S",
      type_desc: "SQL_LOGIN",
      is_disabled: 0,
      create_date: t.clock.now,
      modify_date: t.clock.now,
      default_database_name: "master",
      default_language_name: "us_english",
      credential_id: null,
      owning_principal_id: null,
      is_fixed_role: false,
    });
    expect((l!.sid as Buffer).length).toBe(16);
    expect(await rows(t.sa, "SELECT permission_name, state_desc, grantor_principal_id FROM sys.server_permissions WHERE grantee_principal_id = 256")).toEqual([
      { permission_name: "CONNECT SQL", state_desc: "GRANT", grantor_principal_id: 1 },
    ]);
    expect(await rows(t.sa, "SELECT is_policy_checked, is_expiration_checked FROM sys.sql_logins WHERE name = 'peer_login'")).toEqual([{ is_policy_checked: true, is_expiration_checked: false }]);
    expect(t.engine.authenticate("peer_login", STRONG)).toEqual({ ok: true });
  });

  it("keeps only SQL Server's salted SHA-512 hash, never the password", async () => {
    await ok(t.sa, `CREATE LOGIN h WITH PASSWORD = N'${STRONG}'`);
    const hash = (await scalar(t.sa, "SELECT password_hash FROM sys.sql_logins WHERE name = 'h'")) as Buffer;
    expect(hash.length).toBe(70);
    expect(hash.subarray(0, 2)).toEqual(Buffer.from([2, 0]));
    expect(JSON.stringify(t.engine.snapshot())).not.toContain(STRONG);
    // The same hash re-creates a login with the same password.
    await ok(t.sa, `CREATE LOGIN h2 WITH PASSWORD = 0x${hash.toString("hex")} HASHED`);
    expect(t.engine.authenticate("h2", STRONG)).toEqual({ ok: true });
  });

  it("refuses a duplicate (15025), also against a role name and in another case", async () => {
    await ok(t.sa, `CREATE LOGIN dup WITH PASSWORD = N'${STRONG}'`);
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, `CREATE LOGIN DUP WITH PASSWORD = N'${STRONG}'`)).toMatchObject({ number: 15025, message: "The server principal 'DUP' already exists." });
    expect((await errorOf(t.sa, `CREATE LOGIN sysadmin WITH PASSWORD = N'${STRONG}'`)).number).toBe(15025);
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("applies the password policy with CHECK_POLICY ON (the default)", async () => {
    expect(await errorOf(t.sa, "CREATE LOGIN p WITH PASSWORD = N'Sh0rt!'")).toMatchObject({
      number: 15116,
      message: "Password validation failed. The password does not meet the operating system policy requirements because it is too short.",
    });
    expect(await errorOf(t.sa, "CREATE LOGIN p WITH PASSWORD = N'onlylowercase1'")).toMatchObject({
      number: 15118,
      message: "Password validation failed. The password does not meet the operating system policy requirements because it is not complex enough.",
    });
    expect((await errorOf(t.sa, "CREATE LOGIN mirror_peer WITH PASSWORD = N'Mirror_Peer#1'")).number).toBe(15118);
    expect((await errorOf(t.sa, `CREATE LOGIN p WITH PASSWORD = N'${"Aa1!".repeat(33)}'`)).number).toBe(15117);
    await ok(t.sa, "CREATE LOGIN p WITH PASSWORD = N'weak', CHECK_POLICY = OFF");
    expect(t.engine.authenticate("p", "weak")).toEqual({ ok: true });
  });

  it("checks the option combinations (15122, 15099, 15128)", async () => {
    expect(await errorOf(t.sa, `CREATE LOGIN p WITH PASSWORD = N'${STRONG}', CHECK_POLICY = OFF, CHECK_EXPIRATION = ON`)).toMatchObject({
      number: 15122,
      message: "The CHECK_EXPIRATION option cannot be used when CHECK_POLICY is OFF.",
    });
    expect((await errorOf(t.sa, `CREATE LOGIN p WITH PASSWORD = N'${STRONG}' MUST_CHANGE`)).number).toBe(15099);
    expect((await errorOf(t.sa, `CREATE LOGIN p WITH PASSWORD = N'${STRONG}' MUST_CHANGE, CHECK_POLICY = OFF`)).number).toBe(15128);
    await ok(t.sa, `CREATE LOGIN p WITH PASSWORD = N'${STRONG}' MUST_CHANGE, CHECK_EXPIRATION = ON, DEFAULT_DATABASE = [master], DEFAULT_LANGUAGE = us_english`);
    expect(t.engine.authenticate("p", STRONG)).toMatchObject({ ok: false, error: { number: 18488, class: 14, message: "Login failed for user 'p'. Reason: The password of the account must be changed." } });
  });

  it("refuses a backslash (15407), an unknown default database (15010) or language (15033)", async () => {
    expect(await errorOf(t.sa, `CREATE LOGIN [dom\\user] WITH PASSWORD = N'${STRONG}'`)).toMatchObject({
      number: 15407,
      message: "'dom\\user' is not a valid Windows NT name. Give the complete name: <domain\\username>.",
    });
    expect((await errorOf(t.sa, `CREATE LOGIN p WITH PASSWORD = N'${STRONG}', DEFAULT_DATABASE = msdb`)).number).toBe(15010);
    expect((await errorOf(t.sa, `CREATE LOGIN p WITH PASSWORD = N'${STRONG}', DEFAULT_LANGUAGE = Klingon`)).number).toBe(15033);
  });

  it("takes a given SID (16 bytes, unused: 15419 / 15433)", async () => {
    await ok(t.sa, `CREATE LOGIN s WITH PASSWORD = N'${STRONG}', SID = 0x0102030405060708090A0B0C0D0E0F10`);
    expect((await login("s"))!.sid).toEqual(Buffer.from("0102030405060708090A0B0C0D0E0F10", "hex"));
    expect((await errorOf(t.sa, `CREATE LOGIN s2 WITH PASSWORD = N'${STRONG}', SID = 0x01`)).number).toBe(15419);
    expect((await errorOf(t.sa, `CREATE LOGIN s2 WITH PASSWORD = N'${STRONG}', SID = 0x0102030405060708090A0B0C0D0E0F10`)).number).toBe(15433);
  });
});

describe("authenticate", () => {
  it("answers 18456 'Login failed' alike for unknown, wrong password and disabled, with distinct states", async () => {
    await ok(t.sa, `CREATE LOGIN a WITH PASSWORD = N'${STRONG}'`);
    const failure = (state: number, user: string) => ({ ok: false, error: { number: 18456, class: 14, state, line: 1, message: `Login failed for user '${user}'.` } });
    expect(t.engine.authenticate("nobody", STRONG)).toEqual(failure(5, "nobody"));
    expect(t.engine.authenticate("a", "wrong")).toEqual(failure(8, "a"));
    expect(t.engine.authenticate("a", STRONG.toUpperCase())).toEqual(failure(8, "a"));
    await ok(t.sa, "ALTER LOGIN a DISABLE");
    expect(t.engine.authenticate("a", STRONG)).toEqual(failure(7, "a"));
    await ok(t.sa, "ALTER LOGIN a ENABLE; DENY CONNECT SQL TO a");
    expect(t.engine.authenticate("a", STRONG)).toEqual(failure(12, "a"));
    expect(t.engine.authenticate("sa", "Sa!Passw0rd")).toEqual({ ok: true });
    expect(t.engine.counters.logins).toEqual({ succeeded: 1, failed: 5 });
  });
});

describe("ALTER LOGIN", () => {
  beforeEach(async () => {
    await ok(t.sa, `CREATE LOGIN a WITH PASSWORD = N'${STRONG}'`);
  });

  it("changes the password, enables, disables and renames", async () => {
    t.clock.now = new Date("2030-02-01T00:00:00Z");
    await ok(t.sa, "ALTER LOGIN a WITH PASSWORD = N'N3w!Passw0rd'");
    expect(t.engine.authenticate("a", "N3w!Passw0rd")).toEqual({ ok: true });
    expect(t.engine.authenticate("a", STRONG).ok).toBe(false);
    await ok(t.sa, "ALTER LOGIN a DISABLE");
    expect((await login("a"))!.is_disabled).toBe(1);
    await ok(t.sa, "ALTER LOGIN a ENABLE; ALTER LOGIN a WITH NAME = [b]");
    expect(await login("a")).toBeUndefined();
    expect(await login("b")).toMatchObject({ principal_id: 256, is_disabled: 0, modify_date: t.clock.now });
    expect(await errorOf(t.sa, "ALTER LOGIN nope ENABLE")).toMatchObject({ number: 15151, message: "Cannot alter the login 'nope', because it does not exist or you do not have permission." });
    expect((await errorOf(t.sa, "ALTER LOGIN b WITH NAME = sa")).number).toBe(15025);
  });

  it("lets a login change its own password only with the right OLD_PASSWORD", async () => {
    const self = t.engine.openSession("a");
    expect((await errorOf(self, "ALTER LOGIN a WITH PASSWORD = N'N3w!Passw0rd' OLD_PASSWORD = N'wrong'")).number).toBe(15151);
    expect((await errorOf(self, "ALTER LOGIN a WITH PASSWORD = N'N3w!Passw0rd'")).number).toBe(15151);
    await ok(self, `ALTER LOGIN a WITH PASSWORD = N'N3w!Passw0rd' OLD_PASSWORD = N'${STRONG}'`);
    expect(t.engine.authenticate("a", "N3w!Passw0rd")).toEqual({ ok: true });
    expect((await errorOf(self, "ALTER LOGIN sa DISABLE")).number).toBe(15151);
    self.close();
  });
});

describe("DROP LOGIN", () => {
  it("drops the login and its permissions; its users become orphans", async () => {
    await outbound(t.sa);
    await ok(t.sa, `CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; CREATE USER peer_user FOR LOGIN peer; GRANT CONNECT ON ENDPOINT::Mirroring TO peer`);
    await ok(t.sa, "DROP LOGIN peer");
    expect(await login("peer")).toBeUndefined();
    expect(await rows(t.sa, "SELECT type FROM sys.server_permissions WHERE grantee_principal_id = 256")).toEqual([]);
    expect(await rows(t.sa, "SELECT u.name, l.name AS login_name FROM sys.database_principals u LEFT JOIN sys.server_principals l ON l.sid = u.sid WHERE u.name = 'peer_user'")).toEqual([
      { name: "peer_user", login_name: null },
    ]);
  });

  it("refuses a missing login or sa (15151), a connected one (15434), an endpoint owner (15141)", async () => {
    expect(await errorOf(t.sa, "DROP LOGIN nope")).toMatchObject({ number: 15151, message: "Cannot drop the login 'nope', because it does not exist or you do not have permission." });
    expect((await errorOf(t.sa, "DROP LOGIN sa")).number).toBe(15151);
    await ok(t.sa, `CREATE LOGIN busy WITH PASSWORD = N'${STRONG}'`);
    const busy = t.engine.openSession("busy");
    expect(await errorOf(t.sa, "DROP LOGIN busy")).toMatchObject({ number: 15434, message: "Could not drop login 'busy' as the user is currently logged in." });
    busy.close();
    await ok(t.sa, "DROP LOGIN busy");
    await ok(t.sa, `CREATE LOGIN owner_login WITH PASSWORD = N'${STRONG}'; CREATE ENDPOINT e AUTHORIZATION owner_login AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)`);
    expect(await errorOf(t.sa, "DROP LOGIN owner_login")).toMatchObject({ number: 15141, message: "The server principal owns one or more endpoint(s) and cannot be dropped." });
  });
});

describe("CREATE / ALTER / DROP USER", () => {
  beforeEach(async () => {
    await ok(t.sa, `CREATE LOGIN l1 WITH PASSWORD = N'${STRONG}'; CREATE LOGIN l2 WITH PASSWORD = N'${STRONG}'`);
  });

  it("maps a user to its login by SID", async () => {
    await ok(t.sa, "CREATE USER u1 FOR LOGIN l1");
    const [u] = await rows(t.sa, "SELECT u.*, SUSER_SNAME(u.sid) AS login_name FROM sys.database_principals u WHERE u.name = 'u1'");
    expect(u).toMatchObject({ principal_id: 5, type: "S", type_desc: "SQL_USER", default_schema_name: "dbo", owning_principal_id: null, is_fixed_role: false, authentication_type: 1, authentication_type_desc: "INSTANCE", login_name: "l1" });
    expect(u!.sid).toEqual((await login("l1"))!.sid);
    await ok(t.sa, "CREATE USER l2");
    expect(await scalar(t.sa, "SELECT SUSER_SNAME(sid) FROM sys.database_principals WHERE name = 'l2'")).toBe("l2");
    await ok(t.sa, "CREATE USER nologin WITHOUT LOGIN WITH DEFAULT_SCHEMA = guest");
    expect(await rows(t.sa, "SELECT authentication_type_desc, default_schema_name FROM sys.database_principals WHERE name = 'nologin'")).toEqual([{ authentication_type_desc: "NONE", default_schema_name: "guest" }]);
  });

  it("refuses duplicates (15023), unknown logins (15007), logins mapped already (15063)", async () => {
    await ok(t.sa, "CREATE USER u1 FOR LOGIN l1");
    expect(await errorOf(t.sa, "CREATE USER U1 FOR LOGIN l2")).toMatchObject({ number: 15023, message: "User, group, or role 'U1' already exists in the current database." });
    expect((await errorOf(t.sa, "CREATE USER guest FOR LOGIN l2")).number).toBe(15023);
    expect(await errorOf(t.sa, "CREATE USER u2 FOR LOGIN nope")).toMatchObject({ number: 15007, message: "'nope' is not a valid login or you do not have permission." });
    expect(await errorOf(t.sa, "CREATE USER u2 FROM LOGIN l1")).toMatchObject({ number: 15063, message: "The login already has an account under a different user name." });
    expect((await errorOf(t.sa, "CREATE USER u2 FOR LOGIN sa")).number).toBe(15063);
  });

  it("remaps and renames with ALTER USER", async () => {
    await ok(t.sa, "CREATE USER u1 FOR LOGIN l1; ALTER USER u1 WITH LOGIN = l2, NAME = u2");
    expect(await rows(t.sa, "SELECT name, SUSER_SNAME(sid) AS login_name FROM sys.database_principals WHERE principal_id = 5")).toEqual([{ name: "u2", login_name: "l2" }]);
    expect(await errorOf(t.sa, "ALTER USER nope WITH NAME = x")).toMatchObject({ number: 15151, message: "Cannot alter the user 'nope', because it does not exist or you do not have permission." });
  });

  it("drops; IF EXISTS tolerates a missing user; an owner of a certificate is 15138", async () => {
    await ok(t.sa, "CREATE USER u1 FOR LOGIN l1; DROP USER u1; DROP USER IF EXISTS u1");
    expect(await errorOf(t.sa, "DROP USER u1")).toMatchObject({ number: 15151, message: "Cannot drop the user 'u1', because it does not exist or you do not have permission." });
    await ok(t.sa, `CREATE USER owner_user FOR LOGIN l1; CREATE CERTIFICATE owned AUTHORIZATION owner_user ENCRYPTION BY PASSWORD = N'${STRONG}' WITH SUBJECT = N'o'`);
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "DROP USER owner_user")).toMatchObject({ number: 15138, message: "The database principal owns a certificate in the database, and cannot be dropped." });
    expect(t.engine.snapshot()).toEqual(before);
    expect((await errorOf(t.sa, "DROP USER dbo")).number).toBe(15150);
    expect((await errorOf(t.sa, "DROP USER guest")).number).toBe(15539);
  });
});

describe("GRANT / DENY / REVOKE on an endpoint", () => {
  beforeEach(async () => {
    await outbound(t.sa);
    await ok(t.sa, `CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; CREATE LOGIN other WITH PASSWORD = N'${STRONG}'`);
  });
  const connectRows = () =>
    rows(t.sa, "SELECT SUSER_NAME(grantee_principal_id) AS grantee, SUSER_NAME(grantor_principal_id) AS grantor, class, type, state, state_desc FROM sys.server_permissions WHERE major_id = 65536 ORDER BY grantee");

  it("grants CONNECT (class 105, CO), with grant option (W), denies (D) and revokes", async () => {
    await ok(t.sa, "GRANT CONNECT ON ENDPOINT::[Mirroring] TO [peer]");
    expect(await connectRows()).toEqual([{ grantee: "peer", grantor: "sa", class: 105, type: "CO  ", state: "G", state_desc: "GRANT" }]);
    await ok(t.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO peer WITH GRANT OPTION");
    expect((await connectRows())[0]).toMatchObject({ state: "W", state_desc: "GRANT_WITH_GRANT_OPTION" });
    expect(await errorOf(t.sa, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM peer")).toMatchObject({ number: 4611, message: "To revoke or deny grantable privileges, specify the CASCADE option." });
    await ok(t.sa, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM peer CASCADE");
    expect(await connectRows()).toEqual([]);
    await ok(t.sa, "DENY CONNECT ON ENDPOINT::Mirroring TO peer");
    expect(await connectRows()).toEqual([{ grantee: "peer", grantor: "sa", class: 105, type: "CO  ", state: "D", state_desc: "DENY" }]);
    await ok(t.sa, "REVOKE CONNECT ON ENDPOINT::Mirroring TO peer");
    expect(await connectRows()).toEqual([]);
  });

  it("grants to several principals and to public; revoking what is not granted is a no-op", async () => {
    await ok(t.sa, "GRANT CONNECT, VIEW DEFINITION ON ENDPOINT::Mirroring TO peer, other, public");
    expect((await rows(t.sa, "SELECT COUNT(*) AS n FROM sys.server_permissions WHERE major_id = 65536"))[0]!.n).toBe(6);
    await ok(t.sa, "REVOKE ALTER ON ENDPOINT::Mirroring FROM peer");
  });

  it("reports a missing endpoint or login with 15151, sa/self/owner with 4624, fixed roles with 4617", async () => {
    expect(await errorOf(t.sa, "GRANT CONNECT ON ENDPOINT::nope TO peer")).toMatchObject({ number: 15151, message: "Cannot find the endpoint 'nope', because it does not exist or you do not have permission." });
    expect(await errorOf(t.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO nobody")).toMatchObject({ number: 15151, message: "Cannot find the login 'nobody', because it does not exist or you do not have permission." });
    expect(await errorOf(t.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO sa")).toMatchObject({
      number: 4624,
      message: "Cannot grant, deny, or revoke permissions to sa, dbo, entity owner, information_schema, sys, or yourself.",
    });
    expect((await errorOf(t.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO sysadmin")).number).toBe(4617);
  });

  it("lets a non-sysadmin grant only what it holds WITH GRANT OPTION (4613)", async () => {
    const peer = t.engine.openSession("peer");
    expect(await errorOf(peer, "GRANT CONNECT ON ENDPOINT::Mirroring TO other")).toMatchObject({ number: 4613, message: "Grantor does not have GRANT permission." });
    await ok(t.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO peer WITH GRANT OPTION");
    await ok(peer, "GRANT CONNECT ON ENDPOINT::Mirroring TO other");
    expect((await connectRows()).find((r) => r.grantee === "other")).toMatchObject({ grantor: "peer", state: "G" });
    // Taking the grantable permission from peer with CASCADE also takes what peer passed on.
    await ok(t.sa, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM peer CASCADE");
    expect(await connectRows()).toEqual([]);
    peer.close();
  });

  it("grants server permissions (class 100)", async () => {
    await ok(t.sa, "GRANT VIEW SERVER STATE TO peer; DENY ALTER ANY LOGIN TO other");
    expect(await rows(t.sa, "SELECT SUSER_NAME(grantee_principal_id) AS who, type, permission_name, state FROM sys.server_permissions WHERE class = 100 AND grantee_principal_id >= 256 AND type <> 'COSQ' ORDER BY who")).toEqual([
      { who: "other", type: "ALLG", permission_name: "ALTER ANY LOGIN", state: "D" },
      { who: "peer", type: "VWSS", permission_name: "VIEW SERVER STATE", state: "G" },
    ]);
  });
});

describe("metadata visibility for a login that is not sysadmin", () => {
  it("shows its own login, sa and the roles; its own user; no keys; only permissions that concern it", async () => {
    await outbound(t.sa);
    await ok(t.sa, `CREATE LOGIN viewer WITH PASSWORD = N'${STRONG}'; CREATE LOGIN hidden WITH PASSWORD = N'${STRONG}'; CREATE USER viewer FOR LOGIN viewer`);
    const viewer = t.engine.openSession("viewer");
    const names = async (sql: string) => (await rows(viewer, sql)).map((r) => r.name);
    expect(await names("SELECT name FROM sys.server_principals WHERE type = 'S' ORDER BY name")).toEqual(["sa", "viewer"]);
    expect(await names("SELECT name FROM sys.symmetric_keys")).toEqual([]);
    expect(await names("SELECT name FROM sys.certificates")).toEqual([]);
    expect(await names("SELECT name FROM sys.database_mirroring_endpoints")).toEqual([]);
    expect(await rows(viewer, "SELECT USER_NAME() AS u, SUSER_NAME() AS l, IS_SRVROLEMEMBER('sysadmin') AS s")).toEqual([{ u: "viewer", l: "viewer", s: 0 }]);
    await ok(t.sa, "GRANT CONNECT ON ENDPOINT::Mirroring TO viewer");
    expect(await names("SELECT name FROM sys.database_mirroring_endpoints")).toEqual(["Mirroring"]);
    viewer.close();
  });
});
