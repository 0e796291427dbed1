import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatementOutcome } from "../../../emulator/results";
import { STRONG, errorNumbers, ok, openInstance, rows, run, scalar, tempDir, type TestInstance } from "./helpers";

let a: TestInstance;
let b: TestInstance;
let shared: string;
beforeEach(async () => {
  shared = await tempDir("engine-shared-backups-");
  a = await openInstance({ serverName: "PRIMARY1" });
  b = await openInstance({ serverName: "SECOND1" });
  await ok(a.sa, "CREATE DATABASE sales; USE sales; CREATE TABLE t (id int PRIMARY KEY, v nvarchar(20)); INSERT INTO t VALUES (1, N'one'); USE master");
});
afterEach(async () => {
  await a.engine.close();
  await b.engine.close();
});

const file = (name: string) => path.join(shared, name);

/** Every message of a batch: errors and informational messages, as number + text. */
function messages(outcomes: StatementOutcome[]) {
  return outcomes.flatMap((o) => (o.kind === "error" ? [{ number: o.error.number, class: o.error.class, message: o.error.message }] : o.kind === "info" ? [{ number: o.info.number, class: o.info.class, message: o.info.message }] : []));
}

/** The error numbers of a failing batch, which must end with 3013 "<statement> is terminating abnormally.". */
async function fails(session: TestInstance["sa"], sql: string, statement: string): Promise<Array<{ number: number; class: number; message: string }>> {
  const m = messages(await run(session, sql));
  expect(m.at(-1)).toEqual({ number: 3013, class: 16, message: `${statement} is terminating abnormally.` });
  return m.slice(0, -1);
}

const history = (session: TestInstance["sa"]) =>
  rows(
    session,
    "SELECT s.backup_set_id, s.media_set_id, s.position, s.database_name, s.type, s.first_lsn, s.last_lsn, s.checkpoint_lsn, s.database_backup_lsn, s.is_copy_only, s.begins_log_chain, s.recovery_model, s.server_name, f.physical_device_name, f.device_type FROM msdb.dbo.backupset AS s JOIN msdb.dbo.backupmediafamily AS f ON f.media_set_id = s.media_set_id ORDER BY s.backup_set_id",
  );

describe("BACKUP DATABASE and BACKUP LOG", () => {
  it("writes full and log backups, reports pages and records the history msdb keeps", async () => {
    const full = messages(await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("sales.bak")}' WITH INIT, COMPRESSION, CHECKSUM, NAME = N'nightly', STATS = 50`));
    expect(full.map((m) => m.number)).toEqual([3211, 3211, 4035, 4035, 3014]);
    expect(full[0]!.message).toBe("50 percent processed.");
    expect(full[2]!.message).toMatch(/^Processed \d+ pages for database 'sales', file 'sales' on file 1\.$/);
    expect(full[3]!.message).toMatch(/^Processed \d+ pages for database 'sales', file 'sales_log' on file 1\.$/);
    expect(full[4]!.message).toMatch(/^BACKUP DATABASE successfully processed \d+ pages in \d+\.\d{3} seconds \(\d+\.\d{3} MB\/sec\)\.$/);
    await ok(a.sa, "INSERT INTO sales.dbo.t VALUES (2, N'two')");
    const log = messages(await ok(a.sa, `BACKUP LOG sales TO DISK = N'${file("sales.trn")}'`));
    expect(log.map((m) => m.number)).toEqual([4035, 3014]);
    expect(log[1]!.message).toMatch(/^BACKUP LOG successfully processed \d+ pages/);
    await ok(a.sa, `BACKUP LOG sales TO DISK = N'${file("sales.trn")}'`);

    const h = await history(a.sa);
    expect(h.map((r) => [r.backup_set_id, r.media_set_id, r.position, r.type, r.database_name, r.is_copy_only, r.begins_log_chain, r.recovery_model, r.server_name, r.physical_device_name, r.device_type])).toEqual([
      [1, 1, 1, "D", "sales", false, false, "FULL", "PRIMARY1", file("sales.bak"), 2],
      [2, 2, 1, "L", "sales", false, true, "FULL", "PRIMARY1", file("sales.trn"), 2],
      [3, 2, 2, "L", "sales", false, false, "FULL", "PRIMARY1", file("sales.trn"), 2],
    ]);
    const [d, l1, l2] = h.map((r) => ({ first: BigInt(r.first_lsn as number), last: BigInt(r.last_lsn as number), checkpoint: BigInt(r.checkpoint_lsn as number), base: BigInt(r.database_backup_lsn as number) }));
    // A full backup: first = checkpoint < last; the first one has no base (0).
    expect(d!.first).toBe(d!.checkpoint);
    expect(d!.last > d!.first).toBe(true);
    expect(d!.base).toBe(0n);
    // The log chain starts at the full backup's first LSN; each log backup starts where the last ended.
    expect(l1!.first).toBe(d!.first);
    expect(l1!.last > d!.last).toBe(true);
    expect(l2!.first).toBe(l1!.last);
    expect([l1!.base, l2!.base]).toEqual([d!.checkpoint, d!.checkpoint]);
    expect(await rows(a.sa, "SELECT name, type, is_copy_only, has_backup_checksums, compression_algorithm FROM msdb.dbo.backupset WHERE backup_set_id = 1")).toEqual([
      { name: "nightly", type: "D", is_copy_only: false, has_backup_checksums: true, compression_algorithm: "MS_XPRESS" },
    ]);
    // sys.database_recovery_status.last_log_backup_lsn: where the next log backup starts.
    expect(await scalar(a.sa, "SELECT last_log_backup_lsn FROM sys.database_recovery_status WHERE database_id = DB_ID(N'sales')")).toBe(l2!.last);
    expect(await scalar(a.sa, "SELECT CONVERT(nvarchar(30), last_lsn) FROM msdb.dbo.backupset WHERE backup_set_id = 3")).toBe(l2!.last.toString());
  });

  it("log_reuse_wait_desc waits for a log backup once a full backup started the chain", async () => {
    const wait = () => scalar(a.sa, "SELECT log_reuse_wait_desc FROM sys.databases WHERE name = N'sales'");
    expect(await wait()).toBe("NOTHING");
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("f.bak")}'`);
    expect(await wait()).toBe("LOG_BACKUP");
    await ok(a.sa, `BACKUP LOG sales TO DISK = N'${file("l.trn")}'`);
    expect(await wait()).toBe("NOTHING");
    await ok(a.sa, "INSERT INTO sales.dbo.t VALUES (2, N'two')");
    expect(await wait()).toBe("LOG_BACKUP");
    await ok(a.sa, "ALTER DATABASE sales SET RECOVERY SIMPLE");
    expect(await wait()).toBe("NOTHING");
  });

  it("4208 under SIMPLE, 4214 before any full backup and again after a switch to SIMPLE, 3035 for a differential without a base", async () => {
    expect(await fails(a.sa, `BACKUP LOG sales TO DISK = N'${file("l.trn")}'`, "BACKUP LOG")).toEqual([{ number: 4214, class: 16, message: "BACKUP LOG cannot be performed because there is no current database backup." }]);
    expect(await fails(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("d.bak")}' WITH DIFFERENTIAL`, "BACKUP DATABASE")).toEqual([
      { number: 3035, class: 16, message: 'Cannot perform a differential backup for database "sales", because a current database backup does not exist. Perform a full database backup by reissuing BACKUP DATABASE, omitting the WITH DIFFERENTIAL option.' },
    ]);
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("f.bak")}'; ALTER DATABASE sales SET RECOVERY SIMPLE`);
    expect(await fails(a.sa, `BACKUP LOG sales TO DISK = N'${file("l.trn")}'`, "BACKUP LOG")).toEqual([
      { number: 4208, class: 16, message: "The statement BACKUP LOG is not allowed while the recovery model is SIMPLE. Use BACKUP DATABASE or change the recovery model using ALTER DATABASE." },
    ]);
    await ok(a.sa, "ALTER DATABASE sales SET RECOVERY FULL");
    expect((await fails(a.sa, `BACKUP LOG sales TO DISK = N'${file("l.trn")}'`, "BACKUP LOG"))[0]!.number).toBe(4214);
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("f2.bak")}'; BACKUP LOG sales TO DISK = N'${file("l.trn")}'`);
    expect(await scalar(a.sa, "SELECT COUNT(*) FROM msdb.dbo.backupset WHERE type = 'L'")).toBe(1);
  });

  it("COPY_ONLY moves neither the differential base nor the log chain", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("f.bak")}'; BACKUP LOG sales TO DISK = N'${file("l1.trn")}'`);
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("c.bak")}' WITH COPY_ONLY; BACKUP LOG sales TO DISK = N'${file("c.trn")}' WITH COPY_ONLY; BACKUP LOG sales TO DISK = N'${file("l2.trn")}'`);
    const h = await rows(a.sa, "SELECT type, is_copy_only, first_lsn, database_backup_lsn FROM msdb.dbo.backupset ORDER BY backup_set_id");
    expect(h.map((r) => [r.type, r.is_copy_only])).toEqual([["D", false], ["L", false], ["D", true], ["L", true], ["L", false]]);
    // The copy-only log backup and the next regular one start at the same point; the copy-only full did not become the base.
    expect(h[3]!.first_lsn).toBe(h[4]!.first_lsn);
    expect(new Set(h.slice(1).map((r) => r.database_backup_lsn))).toEqual(new Set([h[0]!.first_lsn]));
  });

  it("appends backup sets without INIT, replaces them with INIT, writes a new media set with FORMAT", async () => {
    const target = file("media.bak");
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${target}'; BACKUP DATABASE sales TO DISK = N'${target}' WITH NOINIT`);
    expect((await rows(a.sa, "SELECT position, media_set_id FROM msdb.dbo.backupset ORDER BY backup_set_id")).map((r) => [r.position, r.media_set_id])).toEqual([[1, 1], [2, 1]]);
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${target}' WITH INIT`);
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${target}' WITH FORMAT, MEDIANAME = N'fresh'`);
    expect((await rows(a.sa, "SELECT position, media_set_id FROM msdb.dbo.backupset ORDER BY backup_set_id")).map((r) => [r.position, r.media_set_id])).toEqual([[1, 1], [2, 1], [1, 1], [1, 2]]);
    expect(await rows(a.sa, "SELECT media_set_id, name, is_compressed FROM msdb.dbo.backupmediaset ORDER BY media_set_id")).toEqual([
      { media_set_id: 1, name: null, is_compressed: false },
      { media_set_id: 2, name: "fresh", is_compressed: false },
    ]);
  });

  it("relative names go to the instance's backup folder; 3201 when the device cannot be opened; 3241 for a foreign file", async () => {
    await ok(a.sa, "BACKUP DATABASE sales TO DISK = N'relative.bak'");
    expect(await scalar(a.sa, "SELECT physical_device_name FROM msdb.dbo.backupmediafamily")).toBe(path.join(a.backupDir, "relative.bak"));
    const missing = path.join(shared, "no", "such", "folder", "x.bak");
    expect(await fails(a.sa, `BACKUP DATABASE sales TO DISK = N'${missing}'`, "BACKUP DATABASE")).toEqual([
      { number: 3201, class: 16, message: `Cannot open backup device '${missing}'. Operating system error 3(The system cannot find the path specified.).` },
    ]);
    expect((await fails(a.sa, "BACKUP DATABASE sales TO DISK = N'C:\\backups\\x.bak'", "BACKUP DATABASE"))[0]!.number).toBe(3201);
    const foreign = file("foreign.bak");
    await writeFile(foreign, "not a backup");
    expect(await fails(a.sa, `BACKUP DATABASE sales TO DISK = N'${foreign}'`, "BACKUP DATABASE")).toEqual([
      { number: 3241, class: 16, message: `The media family on device '${foreign}' is incorrectly formed. SQL Server cannot process this media family.` },
    ]);
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${foreign}' WITH FORMAT`);
    expect(await fails(b.sa, `RESTORE DATABASE x FROM DISK = N'${file("absent.bak")}'`, "RESTORE DATABASE")).toEqual([
      { number: 3201, class: 16, message: `Cannot open backup device '${file("absent.bak")}'. Operating system error 2(The system cannot find the file specified.).` },
    ]);
  });

  it("refuses 911 unknown, 3147 tempdb, 4212 master's log, 262 without permission, 3021 in a transaction, 927 a RESTORING database", async () => {
    expect((await fails(a.sa, `BACKUP DATABASE nothere TO DISK = N'${file("x")}'`, "BACKUP DATABASE"))[0]!.number).toBe(911);
    expect((await fails(a.sa, `BACKUP DATABASE tempdb TO DISK = N'${file("x")}'`, "BACKUP DATABASE"))[0]).toEqual({ number: 3147, class: 16, message: "Backup and restore operations are not allowed on database tempdb." });
    expect((await fails(a.sa, `BACKUP LOG master TO DISK = N'${file("x")}'`, "BACKUP LOG"))[0]!.number).toBe(4212);
    await ok(a.sa, `CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    expect((await fails(a.engine.openSession("plain"), `BACKUP DATABASE sales TO DISK = N'${file("x")}'`, "BACKUP DATABASE"))[0]).toEqual({ number: 262, class: 16, message: "BACKUP DATABASE permission denied in database 'sales'." });
    expect((await fails(a.sa, `BEGIN TRAN; BACKUP DATABASE sales TO DISK = N'${file("x")}'`, "BACKUP DATABASE"))[0]).toEqual({ number: 3021, class: 16, message: "Cannot perform a backup or restore operation within a transaction." });
    await ok(a.sa, "ROLLBACK");
    a.engine.databases.setState("sales", "RESTORING");
    expect((await fails(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("x")}'`, "BACKUP DATABASE"))[0]!.number).toBe(927);
    expect(await scalar(a.sa, "SELECT COUNT(*) FROM msdb.dbo.backupset")).toBe(0);
  });

  it("BACKUP LOG … WITH NORECOVERY backs up the tail and leaves the database RESTORING (3101 while in use)", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("f.bak")}'`);
    const user = a.engine.openSession("sa", { database: "sales" });
    expect((await fails(a.sa, `BACKUP LOG sales TO DISK = N'${file("tail.trn")}' WITH NORECOVERY`, "BACKUP LOG"))[0]).toEqual({ number: 3101, class: 16, message: "Exclusive access could not be obtained because the database is in use." });
    user.close();
    await ok(a.sa, `BACKUP LOG sales TO DISK = N'${file("tail.trn")}' WITH NORECOVERY`);
    expect(await rows(a.sa, "SELECT state_desc FROM sys.databases WHERE name = N'sales'")).toEqual([{ state_desc: "RESTORING" }]);
    expect(await scalar(a.sa, "SELECT is_force_offline FROM msdb.dbo.backupset WHERE type = 'L'")).toBe(true);
    // The tail is backed up: restoring the full backup over it needs no REPLACE.
    await ok(a.sa, `RESTORE DATABASE sales FROM DISK = N'${file("f.bak")}' WITH NORECOVERY; RESTORE LOG sales FROM DISK = N'${file("tail.trn")}'`);
    expect(await rows(a.sa, "SELECT id FROM sales.dbo.t")).toEqual([{ id: 1 }]);
  });
});

describe("RESTORE", () => {
  /** Full backup, change, log backup 1, change, log backup 2 on the primary. */
  async function chain(): Promise<void> {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("full.bak")}'`);
    await ok(a.sa, "INSERT INTO sales.dbo.t VALUES (2, N'two')");
    await ok(a.sa, `BACKUP LOG sales TO DISK = N'${file("log1.trn")}'`);
    await ok(a.sa, "UPDATE sales.dbo.t SET v = N'ONE' WHERE id = 1; INSERT INTO sales.dbo.t VALUES (3, N'three')");
    await ok(a.sa, `BACKUP LOG sales TO DISK = N'${file("log2.trn")}'`);
  }

  it("restores full WITH NORECOVERY, then the logs, on another instance reading the same files", async () => {
    await chain();
    const restored = messages(await ok(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}' WITH NORECOVERY, STATS`));
    expect(restored.map((m) => m.number)).toEqual([3211, 3211, 3211, 3211, 3211, 3211, 3211, 3211, 3211, 3211, 4035, 4035, 3014]);
    expect(restored.at(-1)!.message).toMatch(/^RESTORE DATABASE successfully processed \d+ pages in \d+\.\d{3} seconds/);
    expect(await rows(b.sa, "SELECT name, state_desc, recovery_model_desc, collation_name FROM sys.databases WHERE name = N'sales'")).toEqual([{ name: "sales", state_desc: "RESTORING", recovery_model_desc: "FULL", collation_name: null }]);
    expect(await run(b.sa, "USE sales").then(messages)).toEqual([{ number: 927, class: 14, message: "Database 'sales' cannot be opened. It is in the middle of a restore." }]);
    expect(messages(await run(b.sa, "SELECT * FROM sales.dbo.t"))[0]!.number).toBe(927);
    expect(messages(await ok(b.sa, `RESTORE LOG sales FROM DISK = N'${file("log1.trn")}' WITH NORECOVERY`)).map((m) => m.number)).toEqual([4035, 3014]);
    await ok(b.sa, `RESTORE LOG sales FROM DISK = N'${file("log2.trn")}' WITH RECOVERY`);
    expect(await rows(b.sa, "SELECT state_desc FROM sys.databases WHERE name = N'sales'")).toEqual([{ state_desc: "ONLINE" }]);
    expect(await rows(b.sa, "SELECT id, v FROM sales.dbo.t")).toEqual([{ id: 1, v: "ONE" }, { id: 2, v: "two" }, { id: 3, v: "three" }]);
    // The copy has the same family and the primary's LSNs; msdb there records the primary's backup sets and the restores.
    const pa = a.engine.databases.get("sales")!;
    const pb = b.engine.databases.get("sales")!;
    expect(pb.familyGuid).toBe(pa.familyGuid);
    expect(pb.databaseGuid).not.toBe(pa.databaseGuid);
    expect(pb.lastLsn).toBe(pa.lastLsn);
    expect((await rows(b.sa, "SELECT type, server_name FROM msdb.dbo.backupset ORDER BY backup_set_id")).map((r) => `${r.type}@${r.server_name}`)).toEqual(["D@PRIMARY1", "L@PRIMARY1", "L@PRIMARY1"]);
    expect(await rows(b.sa, "SELECT destination_database_name, restore_type, recovery, backup_set_id FROM msdb.dbo.restorehistory ORDER BY restore_history_id")).toEqual([
      { destination_database_name: "sales", restore_type: "D", recovery: false, backup_set_id: 1 },
      { destination_database_name: "sales", restore_type: "L", recovery: false, backup_set_id: 2 },
      { destination_database_name: "sales", restore_type: "L", recovery: true, backup_set_id: 3 },
    ]);
    // The restored database continues the log chain: a log backup there works at once.
    await ok(b.sa, `BACKUP LOG sales TO DISK = N'${file("b.trn")}'`);
  });

  it("4305 when a log backup is missing, 4326 when it is too old; RESTORE … WITH RECOVERY alone finishes the sequence", async () => {
    await chain();
    await ok(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}' WITH NORECOVERY`);
    const redo = b.engine.databases.get("sales")!.nextLsn;
    const log2First = await scalar(a.sa, "SELECT CONVERT(nvarchar(30), first_lsn) FROM msdb.dbo.backupset WHERE backup_set_id = 3");
    expect(await fails(b.sa, `RESTORE LOG sales FROM DISK = N'${file("log2.trn")}' WITH NORECOVERY`, "RESTORE LOG")).toEqual([
      { number: 4305, class: 16, message: `The log in this backup set begins at LSN ${String(log2First)}, which is too recent to apply to the database. An earlier log backup that includes LSN ${redo} can be restored.` },
    ]);
    await ok(b.sa, `RESTORE LOG sales FROM DISK = N'${file("log1.trn")}' WITH NORECOVERY`);
    const redo2 = b.engine.databases.get("sales")!.nextLsn;
    const log1Last = await scalar(a.sa, "SELECT CONVERT(nvarchar(30), last_lsn) FROM msdb.dbo.backupset WHERE backup_set_id = 2");
    expect(await fails(b.sa, `RESTORE LOG sales FROM DISK = N'${file("log1.trn")}' WITH NORECOVERY`, "RESTORE LOG")).toEqual([
      { number: 4326, class: 16, message: `The log in this backup set terminates at LSN ${String(log1Last)}, which is too early to apply to the database. A more recent log backup that includes LSN ${redo2} can be restored.` },
    ]);
    await ok(b.sa, "RESTORE DATABASE sales WITH RECOVERY");
    expect(await rows(b.sa, "SELECT id FROM sales.dbo.t")).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await fails(b.sa, "RESTORE DATABASE sales WITH RECOVERY", "RESTORE DATABASE")).toEqual([{ number: 3153, class: 16, message: "The database is already fully recovered." }]);
    expect(await fails(b.sa, `RESTORE LOG sales FROM DISK = N'${file("log2.trn")}'`, "RESTORE LOG")).toEqual([
      { number: 3117, class: 16, message: "The log or differential backup cannot be restored because no files are ready to rollforward." },
    ]);
    expect((await fails(b.sa, `RESTORE LOG nothere FROM DISK = N'${file("log2.trn")}'`, "RESTORE LOG"))[0]!.number).toBe(3118);
  });

  it("3159 over an ONLINE database whose tail was not backed up, unless WITH REPLACE; 3154 for another database's backup", async () => {
    await chain();
    await ok(a.sa, "INSERT INTO sales.dbo.t VALUES (4, N'tail')");
    expect(await fails(a.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}'`, "RESTORE DATABASE")).toEqual([
      {
        number: 3159,
        class: 16,
        message:
          'The tail of the log for the database "sales" has not been backed up. Use BACKUP LOG WITH NORECOVERY to backup the log if it contains work you do not want to lose. Use the WITH REPLACE or WITH STOPAT clause of the RESTORE statement to just overwrite the contents of the log.',
      },
    ]);
    expect(await scalar(a.sa, "SELECT COUNT(*) FROM sales.dbo.t")).toBe(4);
    await ok(a.sa, "CREATE DATABASE other");
    expect(await fails(a.sa, `RESTORE DATABASE other FROM DISK = N'${file("full.bak")}'`, "RESTORE DATABASE")).toEqual([
      { number: 3154, class: 16, message: "The backup set holds a backup of a database other than the existing 'other' database." },
    ]);
    await ok(a.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}' WITH REPLACE`);
    expect(await rows(a.sa, "SELECT id FROM sales.dbo.t")).toEqual([{ id: 1 }]);
    expect(await scalar(a.sa, "SELECT database_id FROM sys.databases WHERE name = N'sales'")).toBe(5);
  });

  it("1834 + 3156 + 3119 when another database owns the files; WITH MOVE relocates them (3234 for a file the backup does not have)", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("full.bak")}'`);
    expect(await fails(a.sa, `RESTORE DATABASE copy FROM DISK = N'${file("full.bak")}'`, "RESTORE DATABASE")).toEqual([
      { number: 1834, class: 16, message: "The file '/var/opt/mssql/data/sales.mdf' cannot be overwritten. It is being used by database 'sales'." },
      { number: 3156, class: 16, message: "File 'sales' cannot be restored to '/var/opt/mssql/data/sales.mdf'. Use WITH MOVE to identify a valid location for the file." },
      { number: 1834, class: 16, message: "The file '/var/opt/mssql/data/sales_log.ldf' cannot be overwritten. It is being used by database 'sales'." },
      { number: 3156, class: 16, message: "File 'sales_log' cannot be restored to '/var/opt/mssql/data/sales_log.ldf'. Use WITH MOVE to identify a valid location for the file." },
      { number: 3119, class: 16, message: "Problems were identified while planning for the RESTORE statement. Previous messages provide details." },
    ]);
    expect(await fails(a.sa, `RESTORE DATABASE copy FROM DISK = N'${file("full.bak")}' WITH MOVE N'nope' TO N'/x.mdf'`, "RESTORE DATABASE")).toEqual([
      { number: 3234, class: 16, message: "Logical file 'nope' is not part of database 'sales'. Use RESTORE FILELISTONLY to list the logical file names." },
    ]);
    await ok(a.sa, `RESTORE DATABASE copy FROM DISK = N'${file("full.bak")}' WITH MOVE N'sales' TO N'/var/opt/mssql/data/copy.mdf', MOVE N'sales_log' TO N'/var/opt/mssql/data/copy_log.ldf'`);
    expect(await rows(a.sa, "SELECT name, database_id, state_desc FROM sys.databases WHERE database_id > 4 ORDER BY database_id")).toEqual([
      { name: "sales", database_id: 5, state_desc: "ONLINE" },
      { name: "copy", database_id: 6, state_desc: "ONLINE" },
    ]);
    expect(await rows(a.sa, "SELECT id, v FROM copy.dbo.t")).toEqual([{ id: 1, v: "one" }]);
  });

  it("exclusive access (3101 another session, 3102 this one), 3135 for the wrong kind of backup, 4038 for a missing FILE, 3110 without permission, 3021 in a transaction", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("full.bak")}'; BACKUP LOG sales TO DISK = N'${file("log.trn")}'`);
    const user = a.engine.openSession("sa", { database: "sales" });
    expect((await fails(a.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}' WITH REPLACE`, "RESTORE DATABASE"))[0]!.number).toBe(3101);
    expect((await fails(user, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}' WITH REPLACE`, "RESTORE DATABASE"))[0]).toEqual({
      number: 3102,
      class: 16,
      message: "RESTORE cannot process database 'sales' because it is in use by this session. It is recommended that the master database be used when performing this operation.",
    });
    user.close();
    expect((await fails(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("log.trn")}'`, "RESTORE DATABASE"))[0]).toEqual({
      number: 3135,
      class: 16,
      message: `The backup set in file '${file("log.trn")}' was created by BACKUP LOG and cannot be used for this restore operation.`,
    });
    expect((await fails(b.sa, `RESTORE LOG sales FROM DISK = N'${file("full.bak")}'`, "RESTORE LOG"))[0]!.number).toBe(3135);
    expect((await fails(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}' WITH FILE = 2`, "RESTORE DATABASE"))[0]).toEqual({ number: 4038, class: 16, message: `Cannot find file ID 2 on device '${file("full.bak")}'.` });
    await ok(b.sa, `CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    expect((await fails(b.engine.openSession("plain"), `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}'`, "RESTORE DATABASE"))[0]).toEqual({ number: 3110, class: 14, message: "User does not have permission to RESTORE database 'sales'." });
    expect((await fails(b.sa, `BEGIN TRAN; RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}'`, "RESTORE DATABASE"))[0]!.number).toBe(3021);
    await ok(b.sa, "ROLLBACK");
    expect(await scalar(b.sa, "SELECT COUNT(*) FROM sys.databases")).toBe(4);
  });

  it("differential backups restore over the full backup they are based on (3136 otherwise)", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("full1.bak")}'`);
    await ok(a.sa, "INSERT INTO sales.dbo.t VALUES (2, N'two')");
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("diff.bak")}' WITH DIFFERENTIAL`);
    const d = await rows(a.sa, "SELECT type, differential_base_lsn, database_backup_lsn FROM msdb.dbo.backupset ORDER BY backup_set_id");
    expect(d.map((r) => r.type)).toEqual(["D", "I"]);
    expect(d[1]!.differential_base_lsn).toBe(d[1]!.database_backup_lsn);
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("full2.bak")}'`);
    await ok(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full2.bak")}' WITH NORECOVERY`);
    expect(await fails(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("diff.bak")}'`, "RESTORE DATABASE")).toEqual([
      { number: 3136, class: 16, message: "This differential backup cannot be restored because the database has not been restored to the correct earlier state." },
    ]);
    await ok(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full1.bak")}' WITH NORECOVERY; RESTORE DATABASE sales FROM DISK = N'${file("diff.bak")}' WITH RECOVERY`);
    expect(await rows(b.sa, "SELECT id FROM sales.dbo.t")).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("RESTORE VERIFYONLY (3262) and FILELISTONLY (the backup's files)", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("full.bak")}'; BACKUP DATABASE sales TO DISK = N'${file("full.bak")}'`);
    expect(messages(await ok(b.sa, `RESTORE VERIFYONLY FROM DISK = N'${file("full.bak")}' WITH FILE = 2`))).toEqual([{ number: 3262, class: 10, message: "The backup set on file 2 is valid." }]);
    const list = await rows(b.sa, `RESTORE FILELISTONLY FROM DISK = N'${file("full.bak")}'`);
    expect(list.map((r) => [r.LogicalName, r.PhysicalName, r.Type, r.FileGroupName, r.FileID, r.IsPresent])).toEqual([
      ["sales", "/var/opt/mssql/data/sales.mdf", "D", "PRIMARY", 1n, true],
      ["sales_log", "/var/opt/mssql/data/sales_log.ldf", "L", null, 2n, true],
    ]);
  });

  it("RESTORE HEADERONLY lists every backup set of the media with msdb's LSNs", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("m.bak")}' WITH NAME = N'full'; BACKUP LOG sales TO DISK = N'${file("m.bak")}' WITH COPY_ONLY, CHECKSUM`);
    const headers = await rows(b.sa, `RESTORE HEADERONLY FROM DISK = N'${file("m.bak")}'`);
    const h = await rows(a.sa, "SELECT first_lsn, last_lsn, checkpoint_lsn, database_backup_lsn, backup_set_uuid, family_guid FROM msdb.dbo.backupset ORDER BY backup_set_id");
    expect(headers.map((r) => [r.BackupName, r.BackupType, r.BackupTypeDescription, r.Position, r.DatabaseName, r.ServerName, r.IsCopyOnly, r.HasBackupChecksums, r.RecoveryModel, r.SoftwareVendorId])).toEqual([
      ["full", 1, "DATABASE", 1, "sales", "PRIMARY1", false, false, "FULL", 4608],
      [null, 2, "TRANSACTION LOG", 2, "sales", "PRIMARY1", true, true, "FULL", 4608],
    ]);
    expect(headers.map((r) => [r.FirstLSN, r.LastLSN, r.CheckpointLSN, r.DatabaseBackupLSN, r.BackupSetGUID, r.FamilyGUID])).toEqual(h.map((r) => [r.first_lsn, r.last_lsn, r.checkpoint_lsn, r.database_backup_lsn, r.backup_set_uuid, r.family_guid]));
    expect(await rows(b.sa, `RESTORE HEADERONLY FROM DISK = N'${file("m.bak")}' WITH FILE = 2`).then((r) => r.map((x) => x.Position))).toEqual([2]);
  });

  it("accepts the options that change nothing here and refuses the ones outside the subset (50000)", async () => {
    await ok(a.sa, `BACKUP DATABASE sales TO DISK = N'${file("o.bak")}' WITH NOFORMAT, NOINIT, SKIP, NOREWIND, NOUNLOAD, BUFFERCOUNT = 8, MAXTRANSFERSIZE = 4194304, DESCRIPTION = N'd', EXPIREDATE = '20991231'`);
    await ok(b.sa, `RESTORE DATABASE sales FROM DISK = N'${file("o.bak")}' WITH FILE = 1, NOUNLOAD, REPLACE, STATS = 25, BUFFERCOUNT = 4`);
    const refused: Array<[string, string]> = [
      [`BACKUP DATABASE sales TO DISK = N'${file("x.bak")}' WITH ENCRYPTION (ALGORITHM = AES_256, SERVER CERTIFICATE = c)`, "BACKUP … WITH ENCRYPTION is not supported by the emulator."],
      [`BACKUP DATABASE sales TO DISK = N'${file("x.bak")}', DISK = N'${file("y.bak")}'`, "a striped backup (several devices) is not supported by the emulator."],
      [`BACKUP DATABASE sales TO sales_device`, "a logical backup device is not supported by the emulator."],
      [`RESTORE DATABASE sales FROM DISK = N'${file("o.bak")}' WITH STOPAT = '20300101'`, "RESTORE … WITH STOPAT is not supported by the emulator."],
      [`RESTORE DATABASE sales FROM DISK = N'${file("o.bak")}' WITH STANDBY = N'/tmp/u'`, "RESTORE … WITH STANDBY is not supported by the emulator."],
      [`RESTORE LABELONLY FROM DISK = N'${file("o.bak")}'`, "RESTORE LABELONLY is not supported by the emulator."],
    ];
    for (const [sql, message] of refused) expect(messages(await run(b.sa, sql))).toEqual([{ number: 50000, class: 16, message }]);
    expect(messages(await run(b.sa, `BACKUP DATABASE sales TO DISK = N'${file("x.bak")}' WITH NORECOVERY`))[0]).toEqual({ number: 102, class: 15, message: "Incorrect syntax near 'NORECOVERY'." });
  });

  it("a restore is undone as a whole when it fails, and the database keeps serving", async () => {
    await mkdir(path.join(shared, "sub"));
    await chain();
    const before = a.engine.snapshot();
    expect(errorNumbers(await run(a.sa, `RESTORE DATABASE sales FROM DISK = N'${file("full.bak")}' WITH MOVE N'nope' TO N'/x'`))).toEqual([3234, 3013]);
    expect(a.engine.snapshot()).toEqual(before);
  });
});
