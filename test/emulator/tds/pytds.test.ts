/**
 * A second, independent client: Python's pytds logs in over plaintext TDS and runs batches, an
 * sp_executesql with parameters, an error and transactions. pytds' TLS needs pyOpenSSL, which the
 * pinned virtualenv does not carry, so TLS is covered by the mssql/tedious tests only.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pytdsInterpreter, runPython } from "../../support/pytds";
import { makeCertificate, startFakeServer } from "./fixtures";

const python = pytdsInterpreter("pytds interoperability test");

describe.skipIf(!python)("pytds (second independent TDS client)", () => {
  let ctx: Awaited<ReturnType<typeof startFakeServer>>;
  beforeAll(async () => {
    ctx = await startFakeServer(await makeCertificate());
  });
  afterAll(async () => {
    await ctx.server.close();
  });

  it("logs in, queries, passes parameters, reports errors and runs transactions", async () => {
    const stdout = await runPython(python!, path.join(__dirname, "pytds-client.py"), [String(ctx.server.port)]);
    expect(JSON.parse(stdout)).toEqual({
      select1: [[1]],
      echo_columns: ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"],
      echo: [[42, "héllo ✓", "0102ff", "2.5", "12.34", "2020-01-02 03:04:05.006000", "6f9619ff-8b86-d011-b42d-00c04fc964ff", true]],
      rowcount: 3,
      error: [2627, 3, 14, 7, "Violation of PRIMARY KEY constraint."],
      after_error: [[1]],
      transactions: "ok",
    });
    const login = ctx.recorded.logins[0]!;
    expect(login.request).toMatchObject({ userName: "sa", password: "P@ssw0rd!", database: "appdb", appName: "pytds-test" });
    expect(login.connection.encryption).toBe("off");
    const echo = ctx.recorded.executes.find((e) => e.sql.startsWith("select echo"))!;
    expect(echo.kind).toBe("rpc");
    expect(echo.params.map((p) => [p.name, p.type, p.value])).toEqual([
      ["@P1", "int", 42],
      ["@P2", "nvarchar", "héllo ✓"],
      ["@P3", "varbinary", Buffer.from([1, 2, 0xff])],
      ["@P4", "float", 2.5],
      ["@P5", "decimal", 12.34],
      ["@P6", "datetime2", new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6))],
      ["@P7", "uniqueidentifier", "6F9619FF-8B86-D011-B42D-00C04FC964FF"],
      ["@P8", "bit", true],
    ]);
    expect(ctx.recorded.transactions.map((t) => t.request)).toEqual(["begin", "commit", "begin", "rollback", "begin"]);
  });
});
