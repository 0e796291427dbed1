/**
 * The database layer through the real mssql driver, in each encryption mode: databases, tables and
 * rows with their driver types, the login's initial database, backup and restore across two
 * instances reading the same files, msdb's backup history, SQL Server's errors, and persistence across
 * restart with dataDir.
 */
import * as path from "node:path";
import sql from "mssql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../../emulator";
import { MODES, close, closeAll, connect, expectError, ok, requestError, rows, seen, start, tempDir, type Mode } from "./support";

describe.each(MODES)("databases through mssql (%s)", (mode: Mode) => {
  let primary: EmulatorInstance;
  let secondary: EmulatorInstance;
  let p: sql.ConnectionPool;
  let s: sql.ConnectionPool;
  let backups: string;
  const file = (name: string) => path.join(backups, name);

  beforeAll(async () => {
    backups = await tempDir();
    // The primary's backup folder is where the secondary reads from, as a share would be.
    primary = await start({ backupDir: backups });
    secondary = await start();
    p = await connect(primary, mode);
    s = await connect(secondary, mode);
    await ok(p, "CREATE DATABASE sales");
    await ok(p, "USE sales; CREATE TABLE dbo.orders (id int PRIMARY KEY, item nvarchar(50) NOT NULL, qty int, price decimal(10,2), placed datetime2, ref uniqueidentifier, big bigint, flag bit)");
  });
  afterAll(closeAll);

  it("creates a database and a table, inserts rows and reads them back with the driver's types", async () => {
    const r = await p.request().batch("USE sales; INSERT INTO orders VALUES (1, N'apple', 3, 1.25, '2030-01-02T03:04:05', '1B4E28BA-2FA1-11D2-883F-0016D3CCA427', 9007199254740993, 1), (2, N'pear', NULL, 10, NULL, NULL, NULL, 0)");
    expect(r.rowsAffected).toEqual([2]);
    await p.request().input("id", sql.Int, 3).input("item", sql.NVarChar(50), "fig").input("price", sql.Decimal(10, 2), 2.5).query("INSERT INTO sales.dbo.orders (id, item, price) VALUES (@id, @item, @price)");
    const result = await p.request().query("SELECT id, item, qty, price, placed, ref, big, flag FROM sales.dbo.orders WHERE qty IS NULL OR id = 1 ORDER BY id");
    expect(result.recordset).toEqual([
      { id: 1, item: "apple", qty: 3, price: 1.25, placed: new Date("2030-01-02T03:04:05Z"), ref: "1B4E28BA-2FA1-11D2-883F-0016D3CCA427", big: "9007199254740993", flag: true },
      { id: 2, item: "pear", qty: null, price: 10, placed: null, ref: null, big: null, flag: false },
      { id: 3, item: "fig", qty: null, price: 2.5, placed: null, ref: null, big: null, flag: null },
    ]);
    const c = result.recordset.columns;
    expect([c.id!.type, c.item!.type, c.price!.type, c.placed!.type, c.ref!.type, c.big!.type, c.flag!.type]).toEqual([sql.Int, sql.NVarChar, sql.Decimal, sql.DateTime2, sql.UniqueIdentifier, sql.BigInt, sql.Bit]);
    expect([c.price!.precision, c.price!.scale]).toEqual([10, 2]);
    expect(await rows(p, "SELECT COUNT(*) AS n FROM sales.dbo.orders")).toEqual([{ n: 3 }]);
    expect(await rows(p, "SELECT name, state_desc, recovery_model_desc FROM sys.databases WHERE database_id > 4")).toEqual([{ name: "sales", state_desc: "ONLINE", recovery_model_desc: "FULL" }]);
    expect(primary.catalog()["sales.dbo.orders"]!.map((row) => row.id)).toEqual([1, 2, 3]);
  });

  it("2627 for a duplicate key, then the statement is terminated (3621); nothing changes", async () => {
    const infos: number[] = [];
    const request = p.request();
    request.on("info", (i: { number: number }) => infos.push(i.number));
    const before = primary.catalog();
    const error = await requestError(request.batch("INSERT INTO sales.dbo.orders (id, item) VALUES (10, N'new'), (1, N'dup')"));
    expect(seen(error)).toMatchObject({ number: 2627, class: 14, state: 1 });
    expect(error.message).toMatch(/^Violation of PRIMARY KEY constraint 'PK__orders__[0-9A-F]{16}'\. Cannot insert duplicate key in object 'dbo\.orders'\. The duplicate key value is \(1\)\.$/);
    expect(infos).toContain(3621);
    expect(primary.catalog()).toEqual(before);
  });

  it("starts in the database LOGIN7 asks for; an unknown one is 4060 and the login fails", async () => {
    const inSales = await connect(primary, mode, { database: "sales" });
    expect(await rows(inSales, "SELECT DB_NAME() AS db, COUNT(*) AS n FROM orders")).toEqual([{ db: "sales", n: 3 }]);
    await close(inSales);
    const failed = await connect(primary, mode, { database: "nothere" }).then(
      () => undefined,
      (e: unknown) => e as sql.ConnectionError,
    );
    expect(failed).toBeInstanceOf(sql.ConnectionError);
    expect(failed!.message).toContain('Cannot open database "nothere" requested by the login. The login failed.');
  });

  it("backs up full and log on one instance and restores the chain on another reading the same files", async () => {
    await ok(p, `BACKUP DATABASE sales TO DISK = N'${file("sales.bak")}' WITH INIT`);
    await ok(p, "INSERT INTO sales.dbo.orders (id, item) VALUES (4, N'kiwi')");
    await ok(p, `BACKUP LOG sales TO DISK = N'${file("sales_1.trn")}' WITH INIT`);
    await ok(p, "UPDATE sales.dbo.orders SET qty = 99 WHERE id = 4");
    await ok(p, `BACKUP LOG sales TO DISK = N'${file("sales_2.trn")}' WITH INIT`);

    await ok(s, `RESTORE DATABASE sales FROM DISK = N'${file("sales.bak")}' WITH NORECOVERY`);
    expect(await rows(s, "SELECT state_desc FROM sys.databases WHERE name = N'sales'")).toEqual([{ state_desc: "RESTORING" }]);
    await expectError(secondary, s, "USE sales", { number: 927, class: 14, state: 2, message: "Database 'sales' cannot be opened. It is in the middle of a restore." });
    // A missing log backup: 4305, then 3013.
    const gap = await requestError(s.request().batch(`RESTORE LOG sales FROM DISK = N'${file("sales_2.trn")}' WITH NORECOVERY`));
    expect(seen(gap)).toMatchObject({ number: 3013, class: 16, message: "RESTORE LOG is terminating abnormally." });
    expect(gap.precedingErrors?.map((e) => e.number)).toEqual([4305]);
    expect(gap.precedingErrors?.[0]?.message).toMatch(/^The log in this backup set begins at LSN \d+, which is too recent to apply to the database\. An earlier log backup that includes LSN \d+ can be restored\.$/);
    await ok(s, `RESTORE LOG sales FROM DISK = N'${file("sales_1.trn")}' WITH NORECOVERY`);
    await ok(s, `RESTORE LOG sales FROM DISK = N'${file("sales_2.trn")}' WITH RECOVERY`);
    expect(await rows(s, "SELECT id, qty FROM sales.dbo.orders WHERE id >= 3 ORDER BY id")).toEqual([{ id: 3, qty: null }, { id: 4, qty: 99 }]);

    // msdb.dbo.backupset: the columns dbatools and SqlServerDsc read.
    const history = await rows<Record<string, unknown>>(
      p,
      "SELECT s.backup_set_id, s.media_set_id, s.database_name, s.type, s.first_lsn, s.last_lsn, s.checkpoint_lsn, s.database_backup_lsn, s.backup_start_date, s.backup_finish_date, s.is_copy_only, s.recovery_model, s.server_name, f.physical_device_name, f.device_type, CONVERT(nvarchar(30), s.last_lsn) AS last_text FROM msdb.dbo.backupset AS s JOIN msdb.dbo.backupmediafamily AS f ON f.media_set_id = s.media_set_id ORDER BY s.backup_set_id",
    );
    expect(history.map((h) => [h.type, h.database_name, h.is_copy_only, h.recovery_model, h.server_name, h.physical_device_name, h.device_type])).toEqual([
      ["D", "sales", false, "FULL", primary.name, file("sales.bak"), 2],
      ["L", "sales", false, "FULL", primary.name, file("sales_1.trn"), 2],
      ["L", "sales", false, "FULL", primary.name, file("sales_2.trn"), 2],
    ]);
    // LSNs travel as numeric(25,0); with the emulator's VLF 1 they stay exact as JavaScript numbers.
    expect(history.every((h) => typeof h.first_lsn === "number" && String(h.last_lsn) === h.last_text)).toBe(true);
    expect(history[1]!.first_lsn).toBe(history[0]!.first_lsn);
    expect(history[2]!.first_lsn).toBe(history[1]!.last_lsn);
    expect(history.every((h) => h.backup_start_date instanceof Date && h.backup_finish_date instanceof Date)).toBe(true);
    const recovery = await rows<{ last_log_backup_lsn: number }>(p, "SELECT last_log_backup_lsn FROM sys.database_recovery_status WHERE database_id = DB_ID(N'sales')");
    expect(recovery).toEqual([{ last_log_backup_lsn: history[2]!.last_lsn as number }]);
  });

  it("4208 under SIMPLE and 4214 without a full backup, each followed by 3013", async () => {
    await ok(p, "CREATE DATABASE plain; CREATE DATABASE simple_db; ALTER DATABASE simple_db SET RECOVERY SIMPLE");
    const noFull = await requestError(p.request().batch(`BACKUP LOG plain TO DISK = N'${file("plain.trn")}'`));
    expect([noFull.precedingErrors?.[0] && seen(noFull.precedingErrors[0]), seen(noFull)]).toEqual([
      { number: 4214, state: 1, class: 16, message: "BACKUP LOG cannot be performed because there is no current database backup." },
      { number: 3013, state: 1, class: 16, message: "BACKUP LOG is terminating abnormally." },
    ]);
    const simple = await requestError(p.request().batch(`BACKUP LOG simple_db TO DISK = N'${file("simple.trn")}'`));
    expect(simple.precedingErrors?.map((e) => e.number)).toEqual([4208]);
    expect(simple.precedingErrors?.[0]?.message).toBe("The statement BACKUP LOG is not allowed while the recovery model is SIMPLE. Use BACKUP DATABASE or change the recovery model using ALTER DATABASE.");
  });

  it("3159 when restoring over a database whose tail was not backed up; 911 for an unknown database", async () => {
    await ok(p, "INSERT INTO sales.dbo.orders (id, item) VALUES (5, N'tail')");
    // (USE master first: the pool's connection may still be in sales, and RESTORE refuses its own session's database: 3102.)
    const tail = await requestError(p.request().batch(`USE master; RESTORE DATABASE sales FROM DISK = N'${file("sales.bak")}'`));
    expect(tail.precedingErrors?.map((e) => e.number)).toEqual([3159]);
    expect(seen(tail)).toMatchObject({ number: 3013, message: "RESTORE DATABASE is terminating abnormally." });
    expect(await rows(p, "SELECT COUNT(*) AS n FROM sales.dbo.orders")).toEqual([{ n: 5 }]);
    await expectError(primary, p, "USE nothere", { number: 911, class: 16, state: 1, message: "Database 'nothere' does not exist. Make sure that the name is entered correctly." });
  });

  it("refuses writes on a read-only secondary with 3906 while reads work", async () => {
    secondary.engine.databases.setAccess("sales", { kind: "readOnly" });
    expect(await rows(s, "SELECT COUNT(*) AS n FROM sales.dbo.orders")).toEqual([{ n: 4 }]);
    await expectError(secondary, s, "UPDATE sales.dbo.orders SET qty = 1", { number: 3906, class: 16, message: 'Failed to update database "sales" because the database is read-only.' });
    secondary.engine.databases.setAccess("sales", { kind: "readWrite" });
  });
});

describe("databases across restart with dataDir (encrypt-false)", () => {
  let instance: EmulatorInstance;
  let pool: sql.ConnectionPool;
  afterAll(closeAll);

  beforeAll(async () => {
    instance = await start({ dataDir: await tempDir() });
    pool = await connect(instance, "encrypt-false");
  });

  it("keeps databases, tables, rows, the log and the backup history; a restoring copy stays RESTORING", async () => {
    await ok(pool, "CREATE DATABASE kept; USE kept; CREATE TABLE t (id int PRIMARY KEY, v nvarchar(max)); INSERT INTO t VALUES (1, N'persisted')");
    await ok(pool, `USE master; BACKUP DATABASE kept TO DISK = N'kept.bak'; RESTORE DATABASE copy FROM DISK = N'kept.bak' WITH NORECOVERY, MOVE N'kept' TO N'/var/opt/mssql/data/copy.mdf', MOVE N'kept_log' TO N'/var/opt/mssql/data/copy_log.ldf'`);
    const before = instance.catalog();
    const lastLsn = instance.engine.databases.get("kept")!.lastLsn;
    await instance.restart();
    expect(instance.catalog()).toEqual(before);
    expect(instance.engine.databases.get("kept")!.lastLsn).toBe(lastLsn);
    expect(await rows(pool, "SELECT v FROM kept.dbo.t")).toEqual([{ v: "persisted" }]);
    expect(await rows(pool, "SELECT name, state_desc FROM sys.databases WHERE database_id > 4 ORDER BY database_id")).toEqual([
      { name: "kept", state_desc: "ONLINE" },
      { name: "copy", state_desc: "RESTORING" },
    ]);
    expect(await rows(pool, "SELECT database_name, type FROM msdb.dbo.backupset")).toEqual([{ database_name: "kept", type: "D" }]);
    await ok(pool, "RESTORE DATABASE copy WITH RECOVERY");
    expect(await rows(pool, "SELECT v FROM copy.dbo.t")).toEqual([{ v: "persisted" }]);
  });
});
