import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STRONG, errorNumbers, errorOf, nvarchar, ok, openInstance, rows, run, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
});
afterEach(async () => {
  await t.engine.close();
});

const SUMMARY = "SELECT name, database_id, state_desc, recovery_model_desc, user_access_desc, is_read_only, replica_id, group_database_id FROM sys.databases";

describe("sys.databases", () => {
  it("lists master, tempdb, model and msdb with their recovery models", async () => {
    expect(await rows(t.sa, `${SUMMARY} ORDER BY database_id`)).toEqual([
      { name: "master", database_id: 1, state_desc: "ONLINE", recovery_model_desc: "SIMPLE", user_access_desc: "MULTI_USER", is_read_only: false, replica_id: null, group_database_id: null },
      { name: "tempdb", database_id: 2, state_desc: "ONLINE", recovery_model_desc: "SIMPLE", user_access_desc: "MULTI_USER", is_read_only: false, replica_id: null, group_database_id: null },
      { name: "model", database_id: 3, state_desc: "ONLINE", recovery_model_desc: "FULL", user_access_desc: "MULTI_USER", is_read_only: false, replica_id: null, group_database_id: null },
      { name: "msdb", database_id: 4, state_desc: "ONLINE", recovery_model_desc: "SIMPLE", user_access_desc: "MULTI_USER", is_read_only: false, replica_id: null, group_database_id: null },
    ]);
  });

  it("has Microsoft's columns in Microsoft's order and types, from name to is_ledger_on", async () => {
    const set = (await ok(t.sa, "SELECT * FROM sys.databases WHERE database_id = 1")).find((o) => o.kind === "rows");
    if (set?.kind !== "rows") throw new Error("no rows");
    const columns = set.columns.map((c) => `${c.name}:${c.type}${c.length !== undefined ? `(${c.length})` : ""}`);
    expect(columns.slice(0, 16)).toEqual([
      "name:nvarchar(128)",
      "database_id:int",
      "source_database_id:int",
      "owner_sid:varbinary(85)",
      "create_date:datetime",
      "compatibility_level:tinyint",
      "collation_name:nvarchar(128)",
      "user_access:tinyint",
      "user_access_desc:nvarchar(60)",
      "is_read_only:bit",
      "is_auto_close_on:bit",
      "is_auto_shrink_on:bit",
      "state:tinyint",
      "state_desc:nvarchar(60)",
      "is_in_standby:bit",
      "is_cleanly_shutdown:bit",
    ]);
    const names = set.columns.map((c) => c.name);
    expect(names.indexOf("recovery_model")).toBe(names.indexOf("recovery_model_desc") - 1);
    expect(names.slice(names.indexOf("log_reuse_wait"), names.indexOf("log_reuse_wait") + 2)).toEqual(["log_reuse_wait", "log_reuse_wait_desc"]);
    expect(names.slice(names.indexOf("is_honor_broker_priority_on"), names.indexOf("is_honor_broker_priority_on") + 3)).toEqual(["is_honor_broker_priority_on", "replica_id", "group_database_id"]);
    expect(set.columns.find((c) => c.name === "replica_id")!.type).toBe("uniqueidentifier");
    expect(names.at(-1)).toBe("is_ledger_on");
    expect(names).toHaveLength(81);
    expect(set.rows[0]![names.indexOf("owner_sid")]).toEqual(Buffer.from([1]));
    expect(set.rows[0]![names.indexOf("compatibility_level")]).toBe(160);
  });

  it("shows msdb TRUSTWORTHY with Service Broker, as msdb's option table lists them", async () => {
    expect(await rows(t.sa, "SELECT name, is_trustworthy_on, is_broker_enabled FROM sys.databases WHERE database_id IN (1, 4) ORDER BY database_id")).toEqual([
      { name: "master", is_trustworthy_on: false, is_broker_enabled: false },
      { name: "msdb", is_trustworthy_on: true, is_broker_enabled: true },
    ]);
  });
});

describe("CREATE DATABASE", () => {
  it("creates an ONLINE database with the next database_id, model's recovery model and the creator as owner", async () => {
    await ok(t.sa, "CREATE DATABASE sales; CREATE DATABASE [Quoted Name]");
    expect(await rows(t.sa, `${SUMMARY} WHERE database_id > 4 ORDER BY database_id`)).toEqual([
      { name: "sales", database_id: 5, state_desc: "ONLINE", recovery_model_desc: "FULL", user_access_desc: "MULTI_USER", is_read_only: false, replica_id: null, group_database_id: null },
      { name: "Quoted Name", database_id: 6, state_desc: "ONLINE", recovery_model_desc: "FULL", user_access_desc: "MULTI_USER", is_read_only: false, replica_id: null, group_database_id: null },
    ]);
    expect(await rows(t.sa, "SELECT owner_sid, create_date, collation_name, compatibility_level, log_reuse_wait_desc FROM sys.databases WHERE name = N'sales'")).toEqual([
      { owner_sid: Buffer.from([1]), create_date: t.clock.now, collation_name: "SQL_Latin1_General_CP1_CI_AS", compatibility_level: 160, log_reuse_wait_desc: "NOTHING" },
    ]);
  });

  it("copies model's current recovery model (model database page)", async () => {
    await ok(t.sa, "ALTER DATABASE model SET RECOVERY SIMPLE; CREATE DATABASE s1; ALTER DATABASE model SET RECOVERY BULK_LOGGED; CREATE DATABASE b1");
    expect(await rows(t.sa, "SELECT name, recovery_model, recovery_model_desc FROM sys.databases WHERE database_id > 4 ORDER BY database_id")).toEqual([
      { name: "s1", recovery_model: 3, recovery_model_desc: "SIMPLE" },
      { name: "b1", recovery_model: 2, recovery_model_desc: "BULK_LOGGED" },
    ]);
  });

  it("refuses an existing name (any case) with 1801, a non-sysadmin with 262, a transaction with 226", async () => {
    await ok(t.sa, "CREATE DATABASE sales");
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "CREATE DATABASE SALES")).toMatchObject({ number: 1801, class: 16, state: 3, message: "Database 'SALES' already exists. Choose a different database name." });
    expect(await errorOf(t.sa, "CREATE DATABASE master")).toMatchObject({ number: 1801 });
    await ok(t.sa, `CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    const plain = t.engine.openSession("plain");
    const afterLogin = t.engine.snapshot();
    expect(await errorOf(plain, "CREATE DATABASE mine")).toMatchObject({ number: 262, class: 16, message: "CREATE DATABASE permission denied in database 'master'." });
    expect(await errorOf(t.sa, "BEGIN TRAN; CREATE DATABASE intx")).toMatchObject({ number: 226, message: "CREATE DATABASE statement not allowed within multi-statement transaction." });
    await ok(t.sa, "ROLLBACK");
    expect(t.engine.snapshot()).toEqual(afterLogin);
    expect(before["sys.databases"]).toEqual(afterLogin["sys.databases"]);
  });

  it("refuses options outside the subset with 50000", async () => {
    expect(await errorOf(t.sa, "CREATE DATABASE d ON PRIMARY (NAME = d, FILENAME = '/x/d.mdf')")).toMatchObject({ number: 50000, message: "CREATE DATABASE … ON is not supported by the emulator." });
    expect(await errorOf(t.sa, "CREATE DATABASE d COLLATE Latin1_General_100_CI_AS_SC_UTF8")).toMatchObject({ number: 50000 });
    await ok(t.sa, "CREATE DATABASE d COLLATE SQL_Latin1_General_CP1_CI_AS");
  });
});

describe("DROP DATABASE", () => {
  it("drops one or several databases; IF EXISTS skips missing ones", async () => {
    await ok(t.sa, "CREATE DATABASE a; CREATE DATABASE b; CREATE DATABASE c");
    await ok(t.sa, "DROP DATABASE a, c; DROP DATABASE IF EXISTS nothere, b");
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM sys.databases")).toBe(4);
  });

  it("3701 unknown, 3708 system databases, 3702 while a session uses it (also this one), 226 in a transaction", async () => {
    await ok(t.sa, "CREATE DATABASE busy");
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "DROP DATABASE nothere")).toMatchObject({ number: 3701, class: 11, message: "Cannot drop the database 'nothere', because it does not exist or you do not have permission." });
    for (const name of ["master", "tempdb", "model", "msdb"]) {
      expect(await errorOf(t.sa, `DROP DATABASE ${name}`)).toMatchObject({ number: 3708, class: 16, message: `Cannot drop the database '${name}' because it is a system database.` });
    }
    const other = t.engine.openSession("sa");
    await ok(other, "USE busy");
    expect(await errorOf(t.sa, "DROP DATABASE busy")).toMatchObject({ number: 3702, class: 16, state: 4, message: 'Cannot drop database "busy" because it is currently in use.' });
    other.close();
    await ok(t.sa, "USE busy");
    expect(await errorOf(t.sa, "DROP DATABASE busy")).toMatchObject({ number: 3702 });
    await ok(t.sa, "USE master");
    expect(await errorOf(t.sa, "BEGIN TRAN; DROP DATABASE busy")).toMatchObject({ number: 226, message: "DROP DATABASE statement not allowed within multi-statement transaction." });
    await ok(t.sa, "ROLLBACK");
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("is refused to a login that is not sysadmin with 3701 (no permission looks like no database)", async () => {
    await ok(t.sa, `CREATE DATABASE kept; CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    const plain = t.engine.openSession("plain");
    expect(await errorOf(plain, "DROP DATABASE kept")).toMatchObject({ number: 3701, message: "Cannot drop the database 'kept', because it does not exist or you do not have permission." });
  });

  it("lets a replication layer veto it through a guard", async () => {
    await ok(t.sa, "CREATE DATABASE joined");
    const remove = t.engine.databases.addGuard("drop", (db) => (db.name === "joined" ? { number: 3752, class: 16, state: 1, message: `The database '${db.name}' is joined.`, line: 1 } : undefined));
    expect(await errorOf(t.sa, "DROP DATABASE joined")).toMatchObject({ number: 3752, message: "The database 'joined' is joined." });
    remove();
    await ok(t.sa, "DROP DATABASE joined");
  });
});

describe("ALTER DATABASE … SET RECOVERY", () => {
  it("sets FULL, SIMPLE and BULK_LOGGED, with or without a termination clause, by name or CURRENT", async () => {
    await ok(t.sa, "CREATE DATABASE r");
    const model = async () => scalar(t.sa, "SELECT recovery_model_desc FROM sys.databases WHERE name = N'r'");
    await ok(t.sa, "ALTER DATABASE r SET RECOVERY SIMPLE");
    expect(await model()).toBe("SIMPLE");
    await ok(t.sa, "ALTER DATABASE [r] SET RECOVERY BULK_LOGGED WITH NO_WAIT");
    expect(await model()).toBe("BULK_LOGGED");
    await ok(t.sa, "USE r; ALTER DATABASE CURRENT SET RECOVERY FULL WITH ROLLBACK IMMEDIATE");
    expect(await model()).toBe("FULL");
    expect(await scalar(t.sa, "SELECT DATABASEPROPERTYEX(N'r', 'Recovery')")).toBe("FULL");
  });

  it("5011 + 5069 for an unknown database or without permission, 5058 + 5069 for tempdb, 5052 + 5069 while RESTORING", async () => {
    const outcomes = await run(t.sa, "ALTER DATABASE nothere SET RECOVERY SIMPLE");
    expect(outcomes.flatMap((o) => (o.kind === "error" ? [{ number: o.error.number, class: o.error.class, message: o.error.message }] : []))).toEqual([
      { number: 5011, class: 14, message: "User does not have permission to alter database 'nothere', the database does not exist, or the database is not in a state that allows access checks." },
      { number: 5069, class: 16, message: "ALTER DATABASE statement failed." },
    ]);
    expect(errorNumbers(await run(t.sa, "ALTER DATABASE tempdb SET RECOVERY FULL"))).toEqual([5058, 5069]);
    expect((await run(t.sa, "ALTER DATABASE tempdb SET RECOVERY FULL"))[0]).toMatchObject({ kind: "error", error: { message: "Option 'RECOVERY' cannot be set in database 'tempdb'." } });
    await ok(t.sa, `CREATE DATABASE r; CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    expect(errorNumbers(await run(t.engine.openSession("plain"), "ALTER DATABASE r SET RECOVERY SIMPLE"))).toEqual([5011, 5069]);
    t.engine.databases.setState("r", "RESTORING");
    const restoring = await run(t.sa, "ALTER DATABASE r SET RECOVERY SIMPLE");
    expect(errorNumbers(restoring)).toEqual([5052, 5069]);
    expect(restoring[0]).toMatchObject({ kind: "error", error: { message: "ALTER DATABASE is not permitted while a database is in the Restoring state." } });
    expect(await errorOf(t.sa, "ALTER DATABASE r SET PARTNER = N'TCP://peer:5022'")).toMatchObject({ number: 50000, message: "ALTER DATABASE … SET PARTNER is not supported by the emulator." });
  });
});

describe("USE, DB_ID, DB_NAME, DATABASEPROPERTYEX", () => {
  it("changes the session's database: ENVCHANGE, 5701, DB_NAME() and DB_ID() follow", async () => {
    await ok(t.sa, "CREATE DATABASE Sales");
    expect(await ok(t.sa, "USE sales")).toEqual([
      { kind: "database", name: "Sales", previous: "master" },
      { kind: "info", info: { number: 5701, state: 1, class: 0, message: "Changed database context to 'Sales'.", line: 1 } },
      { kind: "done" },
    ]);
    expect(await rows(t.sa, "SELECT DB_NAME() AS name, DB_ID() AS id, DB_ID(N'master') AS master, DB_NAME(4) AS four, DB_NAME(99) AS none, DB_ID(N'nope') AS nope")).toEqual([
      { name: "Sales", id: 5, master: 1, four: "msdb", none: null, nope: null },
    ]);
    // Another session is not affected.
    expect(await scalar(t.engine.openSession("sa"), "SELECT DB_NAME()")).toBe("master");
  });

  it("911 for an unknown database; 927 while RESTORING; an access error a layer set; nothing changes", async () => {
    await ok(t.sa, "CREATE DATABASE r");
    expect(await errorOf(t.sa, "USE nothere")).toMatchObject({ number: 911, class: 16, message: "Database 'nothere' does not exist. Make sure that the name is entered correctly." });
    t.engine.databases.setState("r", "RESTORING");
    expect(await errorOf(t.sa, "USE r")).toMatchObject({ number: 927, class: 14, state: 2, message: "Database 'r' cannot be opened. It is in the middle of a restore." });
    expect(await scalar(t.sa, "SELECT DB_NAME()")).toBe("master");
    t.engine.databases.setState("r", "OFFLINE");
    expect(await errorOf(t.sa, "USE r")).toMatchObject({ number: 942, class: 14, message: "Database 'r' cannot be opened because it is offline." });
    t.engine.databases.setState("r", "ONLINE");
    const notReadable = { number: 976, class: 14, state: 1, message: "The target database, 'r', is participating in an availability group and is currently not accessible for queries.", line: 1 };
    t.engine.databases.setAccess("r", { kind: "notAccessible", error: notReadable });
    expect(await errorOf(t.sa, "USE r")).toMatchObject({ number: 976, class: 14, message: notReadable.message });
    expect(await errorOf(t.sa, "SELECT * FROM r.sys.tables")).toMatchObject({ number: 976 });
    t.engine.databases.setAccess("r", { kind: "readWrite" });
    await ok(t.sa, "USE r");
  });

  it("916 for a login that is not sysadmin and does not own the database; master, tempdb and msdb are open to everyone", async () => {
    await ok(t.sa, `CREATE DATABASE private; CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    const plain = t.engine.openSession("plain");
    expect(await errorOf(plain, "USE private")).toMatchObject({ number: 916, class: 14, message: 'The server principal "plain" is not able to access the database "private" under the current security context.' });
    expect(await errorOf(plain, "SELECT * FROM private.sys.tables")).toMatchObject({ number: 916 });
    await ok(plain, "USE tempdb; USE msdb; USE master");
    expect(await errorOf(plain, "USE model")).toMatchObject({ number: 916 });
    // VIEW ANY DATABASE (public's by default) shows every row of sys.databases; DB_ID sees what it shows.
    expect(await scalar(plain, "SELECT COUNT(*) FROM sys.databases")).toBe(5);
    expect(await scalar(plain, "SELECT DB_ID(N'private')")).toBe(5);
    await ok(t.sa, "DENY VIEW ANY DATABASE TO plain");
    expect((await rows(plain, "SELECT name FROM sys.databases ORDER BY database_id")).map((r) => r.name)).toEqual(["master", "tempdb"]);
    expect(await scalar(plain, "SELECT DB_ID(N'private')")).toBeNull();
  });

  it("DATABASEPROPERTYEX: Recovery, Status, Updateability, UserAccess, Collation; NULL for the rest", async () => {
    await ok(t.sa, "CREATE DATABASE p");
    const props = async () =>
      (await rows(t.sa, "SELECT DATABASEPROPERTYEX(N'p', 'Recovery') AS r, DATABASEPROPERTYEX(N'p', 'Status') AS s, DATABASEPROPERTYEX(N'p', 'Updateability') AS u, DATABASEPROPERTYEX(N'p', 'UserAccess') AS a, DATABASEPROPERTYEX(N'p', 'Collation') AS c, DATABASEPROPERTYEX(N'p', 'IsFulltextEnabled') AS other, DATABASEPROPERTYEX(N'nope', 'Status') AS missing"))[0];
    expect(await props()).toEqual({ r: "FULL", s: "ONLINE", u: "READ_WRITE", a: "MULTI_USER", c: "SQL_Latin1_General_CP1_CI_AS", other: null, missing: null });
    t.engine.databases.setAccess("p", { kind: "readOnly" });
    expect(await props()).toMatchObject({ u: "READ_ONLY" });
    t.engine.databases.setState("p", "RESTORING");
    expect(await props()).toMatchObject({ s: "RESTORING", c: null });
  });

  it("keeps master's security DDL in master: in another database it is 50000", async () => {
    await ok(t.sa, "CREATE DATABASE app; USE app");
    expect(await errorOf(t.sa, "CREATE CERTIFICATE c WITH SUBJECT = N'c'")).toMatchObject({ number: 50000, message: "CREATE CERTIFICATE in a database other than master is not supported by the emulator." });
    expect(await errorOf(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`)).toMatchObject({ number: 50000 });
    // Server-level DDL works anywhere; master's database-scoped views show the current database's (empty) catalog.
    await ok(t.sa, `CREATE LOGIN anywhere WITH PASSWORD = N'${STRONG}'`);
    expect(await rows(t.sa, "SELECT name FROM sys.certificates")).toEqual([]);
    expect(await rows(t.sa, "SELECT name FROM sys.symmetric_keys")).toEqual([]);
    expect((await rows(t.sa, "SELECT name FROM sys.database_principals WHERE principal_id < 5 ORDER BY principal_id")).map((r) => r.name)).toEqual(["public", "dbo", "guest", "INFORMATION_SCHEMA", "sys"]);
    expect(await rows(t.sa, "SELECT name FROM master.sys.symmetric_keys")).toEqual([{ name: "##MS_ServiceMasterKey##" }]);
  });
});

describe("the login's initial database", () => {
  it("accepts an existing database that opens for the login, spelled as the catalog spells it; else 4060", async () => {
    await ok(t.sa, `CREATE DATABASE Sales; CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    expect(t.engine.checkInitialDatabase("sa", "sales")).toEqual({ ok: true, database: "Sales" });
    expect(t.engine.checkInitialDatabase("sa", "")).toEqual({ ok: true, database: "master" });
    const refused = (name: string) => ({ ok: false, error: { number: 4060, class: 11, state: 1, message: `Cannot open database "${name}" requested by the login. The login failed.`, line: 1 } });
    expect(t.engine.checkInitialDatabase("sa", "nothere")).toEqual(refused("nothere"));
    expect(t.engine.checkInitialDatabase("plain", "Sales")).toEqual(refused("Sales"));
    t.engine.databases.setState("Sales", "RESTORING");
    expect(t.engine.checkInitialDatabase("sa", "Sales")).toEqual(refused("Sales"));
    const session = t.engine.openSession("sa", { database: "msdb" });
    expect(await scalar(session, "SELECT DB_NAME()")).toBe("msdb");
    await ok(session, "USE master");
    session.reset();
    expect(await scalar(session, "SELECT DB_NAME()")).toBe("msdb");
    expect(await scalar(t.sa, "SELECT DB_NAME() AS n", [nvarchar("@unused", "x")])).toBe("master");
  });
});
