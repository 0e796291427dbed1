import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatementOutcome } from "../../../emulator/results";
import { STRONG, errorNumbers, errorOf, nvarchar, ok, openInstance, rows, run, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
  await ok(t.sa, "CREATE DATABASE app; USE app");
});
afterEach(async () => {
  await t.engine.close();
});

const ORDERS = "CREATE TABLE dbo.orders (id int NOT NULL PRIMARY KEY, item nvarchar(20) NOT NULL, qty int NULL, price decimal(10,2), placed datetime2, ref uniqueidentifier, big bigint, flag bit, data varbinary(4), note varchar(max))";

/** Error outcomes with their number, class, state and text, and info outcomes' numbers. */
function messages(outcomes: StatementOutcome[]): Array<Record<string, string | number>> {
  return outcomes.flatMap((o): Array<Record<string, string | number>> =>
    o.kind === "error" ? [{ error: o.error.number, class: o.error.class, state: o.error.state, message: o.error.message }] : o.kind === "info" ? [{ info: o.info.number }] : [],
  );
}

describe("CREATE TABLE and sys.tables", () => {
  it("creates a table with the subset's column types; sys.tables lists it in its database only", async () => {
    await ok(t.sa, ORDERS);
    expect(await rows(t.sa, "SELECT name, object_id, schema_id, type, type_desc, create_date, modify_date, max_column_id_used, lob_data_space_id FROM sys.tables")).toEqual([
      { name: "orders", object_id: 901578250, schema_id: 1, type: "U ", type_desc: "USER_TABLE", create_date: t.clock.now, modify_date: t.clock.now, max_column_id_used: 10, lob_data_space_id: 1 },
    ]);
    expect(await rows(t.sa, "SELECT name FROM master.sys.tables")).toEqual([]);
    expect(await rows(t.sa, "SELECT name FROM app.sys.tables")).toEqual([{ name: "orders" }]);
    await ok(t.sa, "USE master");
    expect(await rows(t.sa, "SELECT name FROM sys.tables")).toEqual([]);
    expect(await rows(t.sa, "SELECT t.name, s.name AS s FROM app.sys.tables AS t JOIN app.sys.schemas AS s ON s.schema_id = t.schema_id")).toEqual([{ name: "orders", s: "dbo" }]);
    expect(t.engine.databases.get("app")!.tables).toEqual(["orders"]);
  });

  it("reports the columns' types to the client as declared", async () => {
    await ok(t.sa, ORDERS);
    const set = (await ok(t.sa, "SELECT * FROM orders")).find((o) => o.kind === "rows");
    if (set?.kind !== "rows") throw new Error("no rows");
    expect(set.columns).toEqual([
      { name: "id", type: "int" },
      { name: "item", type: "nvarchar", length: 20 },
      { name: "qty", type: "int" },
      { name: "price", type: "decimal", precision: 10, scale: 2 },
      { name: "placed", type: "datetime2" },
      { name: "ref", type: "uniqueidentifier" },
      { name: "big", type: "bigint" },
      { name: "flag", type: "bit" },
      { name: "data", type: "varbinary", length: 4 },
      { name: "note", type: "varchar" },
    ]);
    const named = (await ok(t.sa, "SELECT price, price * 2 AS doubled FROM orders")).find((o) => o.kind === "rows");
    expect(named).toMatchObject({ columns: [{ name: "price", type: "decimal", precision: 10, scale: 2 }, { name: "doubled", type: "decimal", precision: 38, scale: 2 }] });
  });

  it("refuses what SQL Server refuses: 2714, 2705, 8110, 8111, 1911, 1919, 2760, 2702, 2715", async () => {
    await ok(t.sa, ORDERS);
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "CREATE TABLE ORDERS (a int)")).toMatchObject({ number: 2714, class: 16, state: 6, message: "There is already an object named 'ORDERS' in the database." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a int, A int)")).toMatchObject({ number: 2705, message: "Column names in each table must be unique. Column name 'A' in table 'd' is specified more than once." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a int PRIMARY KEY, b int PRIMARY KEY)")).toMatchObject({ number: 8110, message: "Cannot add multiple PRIMARY KEY constraints to table 'd'." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a int PRIMARY KEY, b int, CONSTRAINT pk PRIMARY KEY (b))")).toMatchObject({ number: 8110 });
    expect(await errorOf(t.sa, "CREATE TABLE d (a int NULL PRIMARY KEY)")).toMatchObject({ number: 8111, message: "Cannot define PRIMARY KEY constraint on nullable column in table 'd'." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a int, PRIMARY KEY (b))")).toMatchObject({ number: 1911, message: "Column name 'b' does not exist in the target table or view." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a nvarchar(max) PRIMARY KEY)")).toMatchObject({ number: 1919, message: "Column 'a' in table 'd' is of a type that is invalid for use as a key column in an index." });
    expect(await errorOf(t.sa, "CREATE TABLE sales.d (a int)")).toMatchObject({ number: 2760, message: 'The specified schema name "sales" either does not exist or you do not have permission to use it.' });
    expect(await errorOf(t.sa, "CREATE TABLE nodb.dbo.d (a int)")).toMatchObject({ number: 2702, message: "Database 'nodb' does not exist." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a int, b widget)")).toMatchObject({ number: 2715, message: "Column, parameter, or variable #2: Cannot find data type widget." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a float)")).toMatchObject({ number: 50000, message: "column type float is not supported by the emulator." });
    expect(await errorOf(t.sa, "CREATE TABLE d (a int DEFAULT 1)")).toMatchObject({ number: 50000, message: "CREATE TABLE … DEFAULT is not supported by the emulator." });
    expect(await errorOf(t.sa, "CREATE TABLE master.dbo.d (a int)")).toMatchObject({ number: 50000, message: "CREATE TABLE in the system database 'master' is not supported by the emulator." });
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("names the primary key as written, or PK__<table>__<hex>", async () => {
    await ok(t.sa, "CREATE TABLE a (x int CONSTRAINT pk_a PRIMARY KEY); CREATE TABLE b (x int, y int, CONSTRAINT pk_b PRIMARY KEY CLUSTERED (y, x)); CREATE TABLE c (x int PRIMARY KEY)");
    expect(errorNumbers(await run(t.sa, "INSERT INTO a VALUES (1), (1)"))).toEqual([2627]);
    expect(await errorOf(t.sa, "INSERT INTO b VALUES (1, 2), (1, 2)")).toMatchObject({ message: "Violation of PRIMARY KEY constraint 'pk_b'. Cannot insert duplicate key in object 'dbo.b'. The duplicate key value is (2, 1)." });
    expect((await errorOf(t.sa, "INSERT INTO c VALUES (7), (7)")).message).toMatch(/^Violation of PRIMARY KEY constraint 'PK__c__[0-9A-F]{16}'\. Cannot insert duplicate key in object 'dbo\.c'\. The duplicate key value is \(7\)\.$/);
  });

  it("DROP TABLE [IF EXISTS]; 3701 for a missing table", async () => {
    await ok(t.sa, "CREATE TABLE a (x int); CREATE TABLE b (x int)");
    await ok(t.sa, "DROP TABLE a; DROP TABLE IF EXISTS nothere, app.dbo.b");
    expect(await rows(t.sa, "SELECT name FROM sys.tables")).toEqual([]);
    expect(await errorOf(t.sa, "DROP TABLE a")).toMatchObject({ number: 3701, class: 11, message: "Cannot drop the table 'a', because it does not exist or you do not have permission." });
  });
});

describe("INSERT, SELECT, UPDATE, DELETE", () => {
  beforeEach(async () => {
    await ok(t.sa, ORDERS);
  });

  it("inserts rows and reads them back with WHERE (AND / OR, =, <>, <, >, IS NULL), ORDER BY and COUNT(*)", async () => {
    const insert = await ok(
      t.sa,
      "INSERT INTO orders (id, item, qty, price, placed, ref, big, flag, data, note) VALUES (2, N'pear', 5, 1.25, '2030-01-02T03:04:05.678', '1b4e28ba-2fa1-11d2-883f-0016d3cca427', 9007199254740993, 1, 0x0102, 'memo'), (1, N'apple', NULL, 3, '20300101', NULL, NULL, 0, NULL, NULL)",
    );
    expect(insert).toEqual([{ kind: "done", rowCount: 2 }]);
    await ok(t.sa, "INSERT orders (item, id) VALUES (N'fig', 3)");
    expect(await rows(t.sa, "SELECT id, item, qty, price, placed, ref, big, flag, data, note FROM orders WHERE id = 2")).toEqual([
      { id: 2, item: "pear", qty: 5, price: 1.25, placed: new Date("2030-01-02T03:04:05.678Z"), ref: "1B4E28BA-2FA1-11D2-883F-0016D3CCA427", big: 9007199254740993n, flag: true, data: Buffer.from([1, 2]), note: "memo" },
    ]);
    // Without ORDER BY, a table with a primary key is read in key order.
    expect((await rows(t.sa, "SELECT id FROM orders")).map((r) => r.id)).toEqual([1, 2, 3]);
    expect((await rows(t.sa, "SELECT id FROM orders WHERE qty IS NULL OR item = N'PEAR' ORDER BY id DESC")).map((r) => r.id)).toEqual([3, 2, 1]);
    expect((await rows(t.sa, "SELECT id FROM orders WHERE qty > 1 AND id <> 3")).map((r) => r.id)).toEqual([2]);
    expect((await rows(t.sa, "SELECT id FROM orders WHERE id < 3 AND qty IS NOT NULL")).map((r) => r.id)).toEqual([2]);
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM app.dbo.orders")).toBe(3);
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM app..orders WHERE flag = 1")).toBe(1);
    expect(await scalar(t.sa, "SELECT MAX(price) FROM dbo.orders")).toBe(3);
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM orders o WHERE EXISTS (SELECT 1 FROM orders p WHERE p.id = o.id + 1)")).toBe(2);
  });

  it("UPDATE evaluates SET against the old row; DELETE removes matching rows; both report the rows affected", async () => {
    await ok(t.sa, "INSERT INTO orders (id, item, qty) VALUES (1, N'a', 1), (2, N'b', 2), (3, N'c', 3)");
    expect(await ok(t.sa, "UPDATE orders SET qty = qty * 10, item = item + N'!' WHERE id >= 2")).toEqual([{ kind: "done", rowCount: 2 }]);
    expect(await rows(t.sa, "SELECT id, item, qty FROM orders")).toEqual([
      { id: 1, item: "a", qty: 1 },
      { id: 2, item: "b!", qty: 20 },
      { id: 3, item: "c!", qty: 30 },
    ]);
    // Keys may be swapped in one statement: every SET reads the row as it was.
    await ok(t.sa, "UPDATE orders SET id = 4 - id WHERE id <> 2");
    expect((await rows(t.sa, "SELECT id, item FROM orders")).map((r) => `${r.id}${r.item}`)).toEqual(["1c!", "2b!", "3a"]);
    expect(await ok(t.sa, "DELETE FROM orders WHERE item LIKE N'%!'")).toEqual([{ kind: "done", rowCount: 2 }]);
    expect(await ok(t.sa, "DELETE orders")).toEqual([{ kind: "done", rowCount: 1 }]);
    expect(await scalar(t.sa, "SELECT @@ROWCOUNT")).toBe(1);
    expect(await ok(t.sa, "SET NOCOUNT ON; UPDATE orders SET qty = 1")).toEqual([{ kind: "done" }, { kind: "done" }]);
  });

  it("duplicate key 2627 (class 14) followed by 3621; the whole statement is undone", async () => {
    await ok(t.sa, "INSERT INTO orders (id, item) VALUES (1, N'a')");
    const before = t.engine.snapshot();
    const outcomes = await run(t.sa, "INSERT INTO orders (id, item) VALUES (2, N'b'), (1, N'again'), (3, N'c')");
    expect(messages(outcomes)).toEqual([
      { error: 2627, class: 14, state: 1, message: "Violation of PRIMARY KEY constraint 'PK__orders__0000000035BCFE0A'. Cannot insert duplicate key in object 'dbo.orders'. The duplicate key value is (1)." },
      { info: 3621 },
    ]);
    expect(t.engine.snapshot()).toEqual(before);
    expect(errorNumbers(await run(t.sa, "INSERT INTO orders (id, item) VALUES (2, N'b'); UPDATE orders SET id = 1 WHERE id = 2"))).toEqual([2627]);
    expect((await rows(t.sa, "SELECT id FROM orders")).map((r) => r.id)).toEqual([1, 2]);
  });

  it("conversions on store: 515 NULL, 2628 truncation, 8115 overflow, 8169 uniqueidentifier, 245 and 241 conversions — each followed by 3621", async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ["INSERT INTO orders (id, item) VALUES (1, NULL)", { error: 515, class: 16, state: 2, message: "Cannot insert the value NULL into column 'item', table 'app.dbo.orders'; column does not allow nulls. INSERT fails." }],
      ["INSERT INTO orders (id, item) VALUES (1, N'0123456789012345678901')", { error: 2628, message: "String or binary data would be truncated in table 'app.dbo.orders', column 'item'. Truncated value: '01234567890123456789'." }],
      ["INSERT INTO orders (id, item) VALUES (2147483648, N'x')", { error: 8115, message: "Arithmetic overflow error converting expression to data type int." }],
      ["INSERT INTO orders (id, item, price) VALUES (1, N'x', 123456789)", { error: 8115, message: "Arithmetic overflow error converting numeric to data type numeric." }],
      ["INSERT INTO orders (id, item, ref) VALUES (1, N'x', 'not-a-guid')", { error: 8169, message: "Conversion failed when converting from a character string to uniqueidentifier." }],
      ["INSERT INTO orders (id, item) VALUES ('one', N'x')", { error: 245 }],
      ["INSERT INTO orders (id, item, placed) VALUES (1, N'x', 'yesterday')", { error: 241 }],
      ["INSERT INTO orders (id, item, data) VALUES (1, N'x', 0x0102030405)", { error: 2628 }],
    ];
    for (const [sql, expected] of cases) {
      const m = messages(await run(t.sa, sql));
      expect(m[0]).toMatchObject(expected);
      expect(m.slice(1)).toEqual([{ info: 3621 }]);
    }
    await ok(t.sa, "INSERT INTO orders (id, item) VALUES (1, N'x')");
    expect(messages(await run(t.sa, "UPDATE orders SET item = NULL"))[0]).toMatchObject({ error: 515, message: "Cannot insert the value NULL into column 'item', table 'app.dbo.orders'; column does not allow nulls. UPDATE fails." });
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM orders")).toBe(1);
  });

  it("binding errors stop the batch before anything runs: 109, 110, 213, 10710, 264, 207", async () => {
    const cases: Array<[string, number, string?]> = [
      ["INSERT INTO orders (id, item) VALUES (1)", 109],
      ["INSERT INTO orders (id) VALUES (1, N'x')", 110],
      ["INSERT INTO orders VALUES (1, N'x')", 213, "Column name or number of supplied values does not match table definition."],
      ["INSERT INTO orders (id, item) VALUES (1, N'x'), (2)", 10710, "The number of columns for each row in a table value constructor must be the same."],
      ["INSERT INTO orders (id, id) VALUES (1, 2)", 264],
      ["UPDATE orders SET qty = 1, qty = 2", 264],
      ["INSERT INTO orders (id, nope) VALUES (1, 2)", 207, "Invalid column name 'nope'."],
      ["UPDATE orders SET nope = 1", 207],
      ["DELETE FROM orders WHERE nope = 1", 207],
    ];
    for (const [sql, number, message] of cases) {
      const outcomes = await run(t.sa, `INSERT INTO orders (id, item) VALUES (99, N'first'); ${sql}`);
      expect(errorNumbers(outcomes), sql).toEqual([number]);
      if (message) expect(messages(outcomes)[0]).toMatchObject({ message });
      expect(await scalar(t.sa, "SELECT COUNT(*) FROM orders"), sql).toBe(0);
    }
  });

  it("resolves a table the same batch creates when the statement runs (deferred name resolution); 208 if it still does not exist", async () => {
    const outcomes = await ok(t.sa, "CREATE TABLE later (a int); INSERT INTO later VALUES (1), (2); UPDATE later SET a = a + 10; SELECT a FROM later ORDER BY a");
    expect(outcomes.at(-1)).toEqual({ kind: "rows", columns: [{ name: "a", type: "int" }], rows: [[11], [12]] });
    const missing = await run(t.sa, "INSERT INTO later VALUES (3); SELECT * FROM nothere; INSERT INTO later VALUES (4)");
    expect(messages(missing)).toEqual([{ error: 208, class: 16, state: 1, message: "Invalid object name 'nothere'." }]);
    expect((await rows(t.sa, "SELECT a FROM later ORDER BY a")).map((r) => r.a)).toEqual([3, 11, 12]);
    expect(errorNumbers(await run(t.sa, "UPDATE nothere SET a = 1"))).toEqual([208]);
    // A table created in another database of the same batch, after USE.
    await ok(t.sa, "CREATE DATABASE other");
    expect((await ok(t.sa, "USE other; CREATE TABLE o (x int); INSERT INTO o VALUES (5); SELECT x FROM o")).at(-1)).toMatchObject({ kind: "rows", rows: [[5]] });
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM app.dbo.later")).toBe(3);
  });

  it("takes values from variables and parameters", async () => {
    await ok(t.sa, "DECLARE @n nvarchar(20) = N'var'; INSERT INTO orders (id, item) VALUES (1, @n)");
    await ok(t.sa, "INSERT INTO orders (id, item) VALUES (@id, @item)", [{ name: "@id", type: "int", value: 2 }, nvarchar("@item", "param")]);
    expect(await rows(t.sa, "SELECT item FROM orders WHERE id = @id", [{ name: "@id", type: "int", value: 2 }])).toEqual([{ item: "param" }]);
  });

  it("refuses writes on a read-only secondary with 3906 and reads on a non-accessible one with the layer's error", async () => {
    await ok(t.sa, "INSERT INTO orders (id, item) VALUES (1, N'a'); USE master");
    t.engine.databases.setAccess("app", { kind: "readOnly" });
    expect(await errorOf(t.sa, "INSERT INTO app.dbo.orders (id, item) VALUES (2, N'b')")).toMatchObject({ number: 3906, class: 16, message: 'Failed to update database "app" because the database is read-only.' });
    expect(errorNumbers(await run(t.sa, "UPDATE app.dbo.orders SET qty = 1; DELETE FROM app.dbo.orders; DROP TABLE app.dbo.orders; CREATE TABLE app.dbo.x (a int)"))).toEqual([3906, 3906, 3906, 3906]);
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM app.dbo.orders")).toBe(1);
    t.engine.databases.setAccess("app", { kind: "notAccessible", error: { number: 976, class: 14, state: 1, message: "not readable", line: 1 } });
    expect(await errorOf(t.sa, "SELECT * FROM app.dbo.orders")).toMatchObject({ number: 976, message: "not readable" });
    t.engine.databases.setState("app", "RESTORING");
    t.engine.databases.setAccess("app", { kind: "readWrite" });
    expect(await errorOf(t.sa, "SELECT * FROM app.dbo.orders")).toMatchObject({ number: 927 });
  });

  it("is refused to logins that cannot use the database (916)", async () => {
    await ok(t.sa, `CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    const plain = t.engine.openSession("plain");
    expect(await errorOf(plain, "SELECT * FROM app.dbo.orders")).toMatchObject({ number: 916 });
    expect(await errorOf(plain, "INSERT INTO app.dbo.orders (id, item) VALUES (1, N'x')")).toMatchObject({ number: 916 });
  });
});

describe("transactions over table data", () => {
  beforeEach(async () => {
    await ok(t.sa, "CREATE TABLE kv (k int PRIMARY KEY, v nvarchar(10))");
  });

  it("ROLLBACK removes inserted rows, restores updated and deleted ones, and writes no log record", async () => {
    await ok(t.sa, "INSERT INTO kv VALUES (1, N'one')");
    const lsn = t.engine.databases.get("app")!.lastLsn;
    const before = t.engine.snapshot();
    await ok(t.sa, "BEGIN TRAN; INSERT INTO kv VALUES (2, N'two'); UPDATE kv SET v = N'uno' WHERE k = 1; DELETE FROM kv WHERE k = 1; CREATE TABLE gone (a int)");
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM kv")).toBe(1);
    // Uncommitted changes are not in the log yet.
    expect(t.engine.databases.get("app")!.lastLsn).toBe(lsn);
    await ok(t.sa, "ROLLBACK");
    expect(t.engine.snapshot()).toEqual(before);
    expect(t.engine.databases.get("app")!.lastLsn).toBe(lsn);
    expect(await rows(t.sa, "SELECT k, v FROM kv")).toEqual([{ k: 1, v: "one" }]);
  });

  it("COMMIT writes the transaction's records as one LSN block", async () => {
    const events: Array<{ database: string; kinds: string[]; origin: string }> = [];
    const stop = t.engine.databases.onCommit((e) => events.push({ database: e.database, kinds: e.records.map((r) => r.kind), origin: e.origin }));
    await ok(t.sa, "BEGIN TRAN; INSERT INTO kv VALUES (1, N'one'); INSERT INTO kv VALUES (2, N'two'); UPDATE kv SET v = N'2' WHERE k = 2");
    expect(events).toEqual([]);
    await ok(t.sa, "COMMIT");
    expect(events).toEqual([{ database: "app", kinds: ["insert", "insert", "update"], origin: "session" }]);
    const log = t.engine.databases.readLog("app");
    const block = log.slice(-3);
    expect(block.map((r) => r.lsn - block[0]!.lsn)).toEqual([0n, 1n, 2n]);
    expect(block.map((r) => r.previousLsn)).toEqual([log.at(-4)!.lsn, block[0]!.lsn, block[1]!.lsn]);
    stop();
  });

  it("XACT_ABORT ON rolls the transaction back at the first error, rows included", async () => {
    await ok(t.sa, "INSERT INTO kv VALUES (1, N'one')");
    const outcomes = await run(t.sa, "SET XACT_ABORT ON; BEGIN TRAN; INSERT INTO kv VALUES (2, N'two'); INSERT INTO kv VALUES (1, N'dup'); INSERT INTO kv VALUES (3, N'three')");
    expect(errorNumbers(outcomes)).toEqual([2627]);
    expect(await scalar(t.sa, "SELECT @@TRANCOUNT")).toBe(0);
    expect((await rows(t.sa, "SELECT k FROM kv")).map((r) => r.k)).toEqual([1]);
  });

  it("a session closed with an open transaction leaves no rows", async () => {
    const other = t.engine.openSession("sa", { database: "app" });
    await ok(other, "BEGIN TRAN; INSERT INTO kv VALUES (5, N'five')");
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM kv")).toBe(1);
    other.close();
    expect(await scalar(t.sa, "SELECT COUNT(*) FROM kv")).toBe(0);
  });
});
