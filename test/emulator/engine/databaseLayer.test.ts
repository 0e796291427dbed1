import { appendFile, readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DatabaseLayerError, decodeImage, decodeLogRecords, encodeImage, encodeLogRecords, formatLsn, nextTransactionLsn, type DatabaseCommitEvent, type LogRecord } from "../../../emulator/engine/databases";
import { errorOf, ok, openInstance, rows, scalar, tempDir, type TestInstance } from "./helpers";

let primary: TestInstance;
let secondary: TestInstance;
let folder: string;
beforeEach(async () => {
  folder = await tempDir("engine-layer-");
  primary = await openInstance({ serverName: "P1" });
  secondary = await openInstance({ serverName: "S1" });
  await ok(primary.sa, "CREATE DATABASE sales; USE sales; CREATE TABLE t (id int PRIMARY KEY, v nvarchar(20)); USE master");
});
afterEach(async () => {
  await primary.engine.close();
  await secondary.engine.close();
});

/** Seeds the secondary the way the mirroring / availability-group layers will: full + log backup, restored WITH NORECOVERY. */
async function seed(): Promise<void> {
  const full = path.join(folder, "full.bak");
  const log = path.join(folder, "log.trn");
  await ok(primary.sa, `BACKUP DATABASE sales TO DISK = N'${full}'; BACKUP LOG sales TO DISK = N'${log}'`);
  await ok(secondary.sa, `RESTORE DATABASE sales FROM DISK = N'${full}' WITH NORECOVERY; RESTORE LOG sales FROM DISK = N'${log}' WITH NORECOVERY`);
}

describe("the transaction log", () => {
  it("gives every committed record a larger LSN of SQL Server's shape, chained by previousLsn", async () => {
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (1, N'a'); INSERT INTO sales.dbo.t VALUES (2, N'b'); UPDATE sales.dbo.t SET v = N'c' WHERE id = 2; DELETE FROM sales.dbo.t WHERE id = 1");
    const log = primary.engine.databases.readLog("sales");
    expect(log.map((r) => r.kind)).toEqual(["createTable", "insert", "insert", "update", "delete"]);
    for (let i = 1; i < log.length; i++) {
      expect(log[i]!.lsn > log[i - 1]!.lsn).toBe(true);
      expect(log[i]!.previousLsn).toBe(log[i - 1]!.lsn);
    }
    expect(log[0]!.previousLsn).toBeNull();
    // VLF 1, a new block per commit, slot 1 for a one-record transaction: 1 000000008 00001 for the first.
    expect(formatLsn(log[0]!.lsn)).toBe("1000000000800001");
    expect(log[1]!.lsn).toBe(nextTransactionLsn(log[0]!.lsn));
    expect(log.every((r) => r.lsn < 2n ** 53n)).toBe(true);
    expect(log[1]).toMatchObject({ kind: "insert", objectId: 901578250, values: [1, "a"], time: primary.clock.now });
    expect(primary.engine.databases.readLog("sales", log[2]!.lsn).map((r) => r.kind)).toEqual(["update", "delete"]);
    expect(primary.engine.databases.get("sales")).toMatchObject({ lastLsn: log.at(-1)!.lsn, nextLsn: nextTransactionLsn(log.at(-1)!.lsn), hasLogChain: false, tables: ["t"] });
  });

  it("announces each commit once, after it commits; a rollback announces nothing", async () => {
    const events: DatabaseCommitEvent[] = [];
    const stop = primary.engine.databases.onCommit((e) => events.push(e));
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (1, N'a')");
    await ok(primary.sa, "BEGIN TRAN; INSERT INTO sales.dbo.t VALUES (2, N'b'); ROLLBACK");
    await ok(primary.sa, "BEGIN TRAN; INSERT INTO sales.dbo.t VALUES (3, N'c'); INSERT INTO sales.dbo.t VALUES (4, N'd'); COMMIT");
    expect(events.map((e) => [e.database, e.origin, e.records.map((r) => ("values" in r ? r.values : r.kind))])).toEqual([
      ["sales", "session", [[1, "a"]]],
      ["sales", "session", [[3, "c"], [4, "d"]]],
    ]);
    stop();
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (5, N'e')");
    expect(events).toHaveLength(2);
  });
});

describe("shipping log records to a copy", () => {
  it("applies records shipped from the primary to a RESTORING copy; the copy then reads as the primary", async () => {
    await seed();
    const shipped: string[] = [];
    primary.engine.databases.onCommit((e) => {
      if (e.origin === "session" && e.database === "sales") shipped.push(encodeLogRecords(e.records));
    });
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (1, N'a'), (2, N'b'); UPDATE sales.dbo.t SET v = N'B' WHERE id = 2");
    await ok(primary.sa, "CREATE TABLE sales.dbo.more (x int); INSERT INTO sales.dbo.more VALUES (7)");
    for (const text of shipped) secondary.engine.databases.applyLog("sales", decodeLogRecords(text));
    expect(secondary.engine.databases.get("sales")!.lastLsn).toBe(primary.engine.databases.get("sales")!.lastLsn);
    // A readable secondary: ONLINE for readers, writes refused with 3906.
    secondary.engine.databases.setState("sales", "ONLINE");
    secondary.engine.databases.setAccess("sales", { kind: "readOnly" });
    expect(await rows(secondary.sa, "SELECT id, v FROM sales.dbo.t")).toEqual([{ id: 1, v: "a" }, { id: 2, v: "B" }]);
    expect(await scalar(secondary.sa, "SELECT COUNT(*) FROM sales.dbo.more")).toBe(1);
    expect(await errorOf(secondary.sa, "INSERT INTO sales.dbo.t VALUES (3, N'c')")).toMatchObject({ number: 3906 });
    // Records keep arriving while it is read-only.
    await ok(primary.sa, "DELETE FROM sales.dbo.t WHERE id = 1");
    secondary.engine.databases.applyLog("sales", decodeLogRecords(shipped.at(-1)!));
    expect(await scalar(secondary.sa, "SELECT COUNT(*) FROM sales.dbo.t")).toBe(1);
  });

  it("skips records it already has, refuses a gap atomically, and refuses a database sessions can write to", async () => {
    await seed();
    const batches: LogRecord[][] = [];
    primary.engine.databases.onCommit((e) => batches.push([...e.records]));
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (1, N'a')");
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (2, N'b')");
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (3, N'c')");
    const layer = secondary.engine.databases;
    expect(layer.applyLog("sales", batches[0]!)).toEqual({ applied: 1, lastLsn: batches[0]![0]!.lsn });
    expect(layer.applyLog("sales", [...batches[0]!, ...batches[1]!])).toEqual({ applied: 1, lastLsn: batches[1]![0]!.lsn });
    const before = secondary.engine.snapshot();
    expect(() => layer.applyLog("sales", [...batches[2]!.map((r) => ({ ...r, previousLsn: r.lsn - 7n }))])).toThrow(DatabaseLayerError);
    expect(secondary.engine.snapshot()).toEqual(before);
    expect(() => primary.engine.databases.applyLog("sales", batches[2]!)).toThrow(/ONLINE and read-write/);
    expect(() => layer.applyLog("nothere", [])).toThrow(/does not exist/);
  });

  it("seeds a copy from an image, as automatic seeding would, and continues it with log records", async () => {
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (1, N'a')");
    const image = decodeImage(encodeImage(primary.engine.databases.createImage("sales")));
    const info = secondary.engine.databases.restoreImage(image);
    expect(info).toMatchObject({ name: "sales", state: "RESTORING", lastLsn: primary.engine.databases.get("sales")!.lastLsn, familyGuid: primary.engine.databases.get("sales")!.familyGuid });
    expect(() => secondary.engine.databases.restoreImage(image)).toThrow(/exists/);
    const next: LogRecord[] = [];
    primary.engine.databases.onCommit((e) => next.push(...e.records));
    await ok(primary.sa, "INSERT INTO sales.dbo.t VALUES (2, N'b')");
    secondary.engine.databases.applyLog("sales", next);
    secondary.engine.databases.setState("sales", "ONLINE");
    expect(await rows(secondary.sa, "SELECT id FROM sales.dbo.t")).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe("state, access and availability-group ids", () => {
  it("show in sys.databases and survive in the catalog snapshot", async () => {
    const layer = primary.engine.databases;
    layer.setAvailabilityGroupIds("sales", { replicaId: "6f1e2c0a-2b7e-4d55-9a3c-1c1e9a9f0b01", groupDatabaseId: "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f" });
    layer.setState("sales", "RECOVERING");
    expect(await rows(primary.sa, "SELECT state, state_desc, replica_id, group_database_id FROM sys.databases WHERE name = N'sales'")).toEqual([
      { state: 2, state_desc: "RECOVERING", replica_id: "6F1E2C0A-2B7E-4D55-9A3C-1C1E9A9F0B01", group_database_id: "0C9D8E7F-6A5B-4C3D-2E1F-0A9B8C7D6E5F" },
    ]);
    expect(primary.engine.snapshot()["sys.databases"]!.find((d) => d.name === "sales")).toMatchObject({ state_desc: "RECOVERING", replica_id: "6F1E2C0A-2B7E-4D55-9A3C-1C1E9A9F0B01" });
    layer.setAvailabilityGroupIds("sales", null);
    layer.setState("sales", "ONLINE");
    expect(await rows(primary.sa, "SELECT state_desc, replica_id FROM sys.databases WHERE name = N'sales'")).toEqual([{ state_desc: "ONLINE", replica_id: null }]);
    expect(() => layer.setState("master", "OFFLINE")).toThrow(DatabaseLayerError);
    expect(() => layer.setState("sales", "NOPE" as never)).toThrow(DatabaseLayerError);
    expect(layer.list().map((d) => d.name)).toEqual(["master", "tempdb", "model", "msdb", "sales"]);
  });

  it("report the sessions using a database", async () => {
    const user = primary.engine.openSession("sa", { spid: 77, database: "sales" });
    expect(primary.engine.databases.sessionsUsing("sales")).toEqual([77]);
    user.close();
    expect(primary.engine.databases.get("sales")!.sessions).toEqual([]);
  });

  it("persist a commit as one appended log line, replayed onto the database's snapshot when the instance opens", async () => {
    const dataDir = await tempDir("engine-layer-log-");
    const p = await openInstance({ dataDir, serverName: "P3" });
    await ok(p.sa, "CREATE DATABASE appendonly; USE appendonly; CREATE TABLE k (a int PRIMARY KEY, b nvarchar(10))");
    const id = p.engine.databases.get("appendonly")!.id;
    const snapshotFile = path.join(dataDir, "databases", `${id}.json`);
    const logFile = path.join(dataDir, "databases", `${id}.log`);
    const snapshot = await readFile(snapshotFile, "utf8");
    await ok(p.sa, "INSERT INTO k VALUES (1, N'a')");
    await ok(p.sa, "INSERT INTO k VALUES (2, N'b'); UPDATE k SET b = N'B' WHERE a = 2");
    expect(await readFile(snapshotFile, "utf8")).toBe(snapshot);
    expect((await readFile(logFile, "utf8")).trim().split("\n")).toHaveLength(4);
    const before = p.engine.snapshot();
    const log = p.engine.databases.readLog("appendonly");
    await p.engine.close();
    // A line cut short by a crash at the end of the file is not a committed record.
    await appendFile(logFile, '{"kind":"insert","objectId":');
    const q = await openInstance({ dataDir, serverName: "P3", start: p.clock.now });
    expect(q.engine.snapshot()).toEqual(before);
    expect(q.engine.databases.readLog("appendonly")).toEqual(log);
    // A change to anything but the log rewrites the snapshot, which then holds the whole log.
    await ok(q.sa, "ALTER DATABASE appendonly SET RECOVERY SIMPLE");
    await expect(stat(logFile)).rejects.toThrow();
    expect(JSON.parse(await readFile(snapshotFile, "utf8")).database.log).toHaveLength(log.length);
    await q.engine.close();
  });

  it("persist with dataDir across a reopen: state, access, ids, tables, rows, log and backup history", async () => {
    const dataDir = await tempDir("engine-layer-data-");
    const p = await openInstance({ dataDir, serverName: "P2" });
    await ok(p.sa, `CREATE DATABASE keep; USE keep; CREATE TABLE k (a int PRIMARY KEY, b nvarchar(max), c datetime2, d bigint); INSERT INTO k VALUES (1, N'x', '2030-01-01', 9007199254740993); BACKUP DATABASE keep TO DISK = N'${path.join(folder, "k.bak")}'`);
    await ok(p.sa, "BEGIN TRAN; INSERT INTO k VALUES (2, N'uncommitted', NULL, NULL)");
    p.engine.databases.setAvailabilityGroupIds("keep", { replicaId: "11111111-2222-3333-4444-555555555555", groupDatabaseId: "66666666-7777-8888-9999-000000000000" });
    p.engine.databases.setAccess("keep", { kind: "readOnly" });
    await ok(p.sa, "ROLLBACK");
    await p.engine.flush();
    const before = p.engine.snapshot();
    const log = p.engine.databases.readLog("keep");
    await p.engine.close();
    const q = await openInstance({ dataDir, serverName: "P2", start: p.clock.now });
    expect(q.engine.snapshot()).toEqual(before);
    expect(q.engine.databases.readLog("keep")).toEqual(log);
    expect(q.engine.databases.get("keep")).toMatchObject({ access: { kind: "readOnly" }, replicaId: "11111111-2222-3333-4444-555555555555", hasLogChain: true });
    expect(await rows(q.sa, "SELECT a, d FROM keep.dbo.k")).toEqual([{ a: 1, d: 9007199254740993n }]);
    await ok(q.sa, "DROP DATABASE keep");
    await q.engine.close();
    const r = await openInstance({ dataDir, serverName: "P2", start: p.clock.now });
    expect(r.engine.databases.get("keep")).toBeUndefined();
    expect(await scalar(r.sa, "SELECT COUNT(*) FROM msdb.dbo.backupset WHERE database_name = N'keep'")).toBe(1);
    await r.engine.close();
  });
});
