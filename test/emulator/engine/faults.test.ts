import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STRONG, errorNumbers, ok, openInstance, rows, run, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
});
afterEach(async () => {
  await t.engine.close();
});

describe("faults.failNext", () => {
  it("fails the next matching statement with the given error; the statement does not run", async () => {
    t.engine.faults.failNext("create login", { number: 1205, message: "Transaction (Process ID 52) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.", class: 13, state: 51 });
    const outcomes = await run(t.sa, `SELECT 1\nCREATE LOGIN victim WITH PASSWORD = N'${STRONG}'\nSELECT 2`);
    expect(outcomes[1]).toEqual({
      kind: "error",
      error: { number: 1205, class: 13, state: 51, line: 2, message: "Transaction (Process ID 52) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction." },
    });
    expect(outcomes[2]).toMatchObject({ kind: "rows" });
    expect(await rows(t.sa, "SELECT name FROM sys.server_principals WHERE name = 'victim'")).toEqual([]);
    // Used up: the retry succeeds.
    await ok(t.sa, `CREATE LOGIN victim WITH PASSWORD = N'${STRONG}'`);
  });

  it("matches regular expressions, counts uses, and knows the emulator's texts", async () => {
    t.engine.faults.failNext(/^CREATE CERTIFICATE/i, { number: 15581 }, 2);
    expect(errorNumbers(await run(t.sa, "CREATE CERTIFICATE a WITH SUBJECT = N'a'; CREATE CERTIFICATE b WITH SUBJECT = N'b'"))).toEqual([15581, 15581]);
    const [outcome] = await run(t.sa, "SELECT 1");
    expect(outcome!.kind).toBe("rows");
    t.engine.faults.failNext("select", { number: 15581 });
    expect((await run(t.sa, "select 1"))[0]).toEqual({
      kind: "error",
      error: { number: 15581, class: 16, state: 1, line: 1, message: "Please create a master key in the database or open the master key in the session before performing this operation." },
    });
  });

  it("hits the statement inside IF and EXEC, only when it really runs; clear() removes pending faults", async () => {
    t.engine.faults.failNext("CREATE LOGIN inner_one", { number: 50001, message: "injected" });
    // The guarded statement does not run, so the fault stays pending…
    expect(errorNumbers(await run(t.sa, `IF 1 = 0 CREATE LOGIN inner_one WITH PASSWORD = N'${STRONG}'`))).toEqual([]);
    // …and fires inside the dynamic batch, with the dynamic batch's line.
    const outcomes = await run(t.sa, `IF 1 = 1\n  EXEC (N'SELECT 1\nCREATE LOGIN inner_one WITH PASSWORD = N''${STRONG}''')`);
    expect(outcomes.find((o) => o.kind === "error")).toEqual({ kind: "error", error: { number: 50001, message: "injected", class: 16, state: 1, line: 2 } });
    t.engine.faults.failNext("select", { number: 50002 });
    t.engine.faults.clear();
    expect(errorNumbers(await run(t.sa, "SELECT 1"))).toEqual([]);
  });
});

describe("counters", () => {
  it("count statements by kind and batches", async () => {
    const start = t.engine.counters.batches;
    await run(t.sa, `SELECT 1; SELECT 2; CREATE LOGIN c WITH PASSWORD = N'${STRONG}'; IF 1 = 0 SELECT 3`);
    await run(t.sa, "SET NOCOUNT ON");
    expect(t.engine.counters.batches - start).toBe(2);
    expect(t.engine.counters.statements).toMatchObject({ SELECT: 2, "CREATE LOGIN": 1, IF: 1, SET: 1 });
  });
});
