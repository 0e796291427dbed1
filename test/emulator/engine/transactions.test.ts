import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STRONG, errorNumbers, errorOf, ok, openInstance, rows, run, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
});
afterEach(async () => {
  await t.engine.close();
});

const logins = async () => (await rows(t.sa, "SELECT name FROM sys.server_principals WHERE principal_id >= 256 ORDER BY name")).map((r) => r.name);

describe("transactions in batches", () => {
  it("rolls back CREATE LOGIN, as SQL Server documents", async () => {
    const outcomes = await ok(t.sa, `BEGIN TRAN; CREATE LOGIN temp WITH PASSWORD = N'${STRONG}'; SELECT @@TRANCOUNT AS n`);
    expect(outcomes).toEqual([
      { kind: "transaction", event: "begin" },
      { kind: "done" },
      { kind: "done" },
      { kind: "rows", columns: [{ name: "n", type: "int" }], rows: [[1]] },
    ]);
    expect(await logins()).toEqual(["temp"]);
    expect(await ok(t.sa, "ROLLBACK TRANSACTION")).toEqual([{ kind: "transaction", event: "rollback" }, { kind: "done" }]);
    expect(await logins()).toEqual([]);
    expect(t.engine.authenticate("temp", STRONG).ok).toBe(false);
  });

  it("keeps committed work and reports the commit", async () => {
    expect(await ok(t.sa, `BEGIN TRANSACTION; CREATE LOGIN kept WITH PASSWORD = N'${STRONG}'; COMMIT`)).toEqual([
      { kind: "transaction", event: "begin" },
      { kind: "done" },
      { kind: "done" },
      { kind: "transaction", event: "commit" },
      { kind: "done" },
    ]);
    expect(await logins()).toEqual(["kept"]);
  });

  it("nests by @@TRANCOUNT: only the outermost COMMIT commits, ROLLBACK undoes everything", async () => {
    const outcomes = await ok(t.sa, `BEGIN TRAN; CREATE LOGIN a WITH PASSWORD = N'${STRONG}'; BEGIN TRAN; CREATE LOGIN b WITH PASSWORD = N'${STRONG}'; COMMIT; SELECT @@TRANCOUNT`);
    expect(outcomes.filter((o) => o.kind === "transaction")).toEqual([{ kind: "transaction", event: "begin" }]);
    expect(await scalar(t.sa, "SELECT @@TRANCOUNT")).toBe(1);
    await ok(t.sa, "ROLLBACK");
    expect(await logins()).toEqual([]);
    expect(await scalar(t.sa, "SELECT @@TRANCOUNT")).toBe(0);
  });

  it("undoes certificates, master key, users, grants and drops alike", async () => {
    await ok(t.sa, `CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; CREATE USER peer FOR LOGIN peer`);
    const before = t.engine.snapshot();
    await ok(
      t.sa,
      `BEGIN TRAN
       CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'
       CREATE CERTIFICATE c AUTHORIZATION peer WITH SUBJECT = N'c'
       ALTER LOGIN peer DISABLE
       GRANT VIEW SERVER STATE TO peer
       DROP USER IF EXISTS nobody
       CREATE LOGIN other WITH PASSWORD = N'${STRONG}'
       DROP LOGIN other`,
    );
    expect(t.engine.snapshot()).not.toEqual(before);
    await ok(t.sa, "ROLLBACK");
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("restores a dropped login with its permissions on rollback", async () => {
    await ok(t.sa, `CREATE LOGIN gone WITH PASSWORD = N'${STRONG}'; GRANT VIEW SERVER STATE TO gone`);
    const before = t.engine.snapshot();
    await ok(t.sa, "BEGIN TRAN; DROP LOGIN gone; ROLLBACK");
    expect(t.engine.snapshot()).toEqual(before);
    expect(t.engine.authenticate("gone", STRONG)).toEqual({ ok: true });
  });

  it("answers COMMIT / ROLLBACK without a transaction with 3902 / 3903", async () => {
    expect(await errorOf(t.sa, "COMMIT")).toMatchObject({ number: 3902, message: "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION." });
    expect(await errorOf(t.sa, "ROLLBACK TRAN")).toMatchObject({ number: 3903, message: "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION." });
  });

  it("keeps the transaction open after a statement error (XACT_ABORT OFF)", async () => {
    const outcomes = await run(t.sa, `BEGIN TRAN; CREATE LOGIN a WITH PASSWORD = N'${STRONG}'; DROP LOGIN nope; CREATE LOGIN b WITH PASSWORD = N'${STRONG}'`);
    expect(errorNumbers(outcomes)).toEqual([15151]);
    expect(await scalar(t.sa, "SELECT @@TRANCOUNT")).toBe(1);
    await ok(t.sa, "COMMIT");
    expect(await logins()).toEqual(["a", "b"]);
  });

  it("with XACT_ABORT ON, an error rolls back the transaction and ends the batch", async () => {
    const outcomes = await run(t.sa, `SET XACT_ABORT ON; BEGIN TRAN; CREATE LOGIN a WITH PASSWORD = N'${STRONG}'; DROP LOGIN nope; CREATE LOGIN b WITH PASSWORD = N'${STRONG}'`);
    expect(outcomes.slice(-3)).toEqual([
      { kind: "error", error: expect.objectContaining({ number: 15151 }) },
      { kind: "transaction", event: "rollback" },
      { kind: "done" },
    ]);
    expect(await logins()).toEqual([]);
    expect(await scalar(t.sa, "SELECT @@TRANCOUNT")).toBe(0);
  });

  it("makes each statement atomic: a failing statement leaves none of its own changes", async () => {
    await ok(t.sa, `CREATE LOGIN a WITH PASSWORD = N'${STRONG}'`);
    const before = t.engine.snapshot();
    expect((await errorOf(t.sa, "GRANT VIEW SERVER STATE TO a, nobody")).number).toBe(15151);
    expect(t.engine.snapshot()).toEqual(before);
  });
});

describe("transaction-manager requests (mssql's Transaction)", () => {
  it("begin / commit / rollback return the events the TDS layer turns into ENVCHANGEs", async () => {
    expect(t.sa.beginTransaction()).toEqual([{ kind: "transaction", event: "begin" }, { kind: "done" }]);
    await ok(t.sa, `CREATE LOGIN tm WITH PASSWORD = N'${STRONG}'`);
    expect(t.sa.rollback()).toEqual([{ kind: "transaction", event: "rollback" }, { kind: "done" }]);
    expect(await logins()).toEqual([]);
    t.sa.beginTransaction();
    await ok(t.sa, `CREATE LOGIN tm WITH PASSWORD = N'${STRONG}'`);
    expect(t.sa.commit()).toEqual([{ kind: "transaction", event: "commit" }, { kind: "done" }]);
    expect(await logins()).toEqual(["tm"]);
    expect(t.sa.commit()).toEqual([{ kind: "error", error: expect.objectContaining({ number: 3902 }) }]);
    expect(t.sa.rollback()).toEqual([{ kind: "error", error: expect.objectContaining({ number: 3903 }) }]);
  });

  it("reset() and close() roll back an open transaction", async () => {
    t.sa.beginTransaction();
    await ok(t.sa, `CREATE LOGIN r WITH PASSWORD = N'${STRONG}'; SET XACT_ABORT ON`);
    t.sa.reset();
    expect(await logins()).toEqual([]);
    expect(await scalar(t.sa, "SELECT @@TRANCOUNT")).toBe(0);
    const other = t.engine.openSession("sa");
    await ok(other, `BEGIN TRAN; CREATE LOGIN c WITH PASSWORD = N'${STRONG}'`);
    other.close();
    expect(await logins()).toEqual([]);
  });

  it("shows another session's uncommitted changes (no locking in the emulator)", async () => {
    const other = t.engine.openSession("sa");
    await ok(other, `BEGIN TRAN; CREATE LOGIN pending WITH PASSWORD = N'${STRONG}'`);
    expect(await logins()).toEqual(["pending"]);
    other.rollback();
    expect(await logins()).toEqual([]);
    other.close();
  });
});
