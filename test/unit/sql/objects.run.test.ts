import { describe, expect, it } from "vitest";
import { statement } from "../../../provider/sql/client";
import { batchText, execute, mergeParams, splitResults } from "../../../provider/sql/objects/run";
import { FakeClient, requestError } from "./fakes";

describe("one request per operation", () => {
  it("joins statements with terminators, one per line", () => {
    expect(batchText([statement("SELECT 1"), statement("SELECT 2")])).toBe("SELECT 1;\nSELECT 2;");
  });

  it("merges parameters; the same name must carry the same value", () => {
    const a = statement("A", { name: { type: "nvarchar", value: "x" }, t: { type: "varbinary", value: Buffer.from("aa", "hex") } });
    const b = statement("B", { name: { type: "nvarchar", value: "x" }, t: { type: "varbinary", value: Buffer.from("aa", "hex") } });
    expect(mergeParams([a, b])).toEqual(a.params);
    expect(() => mergeParams([a, statement("C", { name: { type: "nvarchar", value: "y" } })])).toThrow(/@name is used with two different values/);
  });

  it("splits result sets and refuses a count mismatch", () => {
    expect(splitResults([[{ a: 1 }], [], [{ b: 2 }]], [1, 2])).toEqual([[[{ a: 1 }]], [[], [{ b: 2 }]]]);
    expect(() => splitResults([[]], [1, 1])).toThrow(/1 result sets where 2 were expected/);
  });

  it("retries transient errors and scrubs secrets from the final one", async () => {
    const client = new FakeClient([requestError(1205, "deadlock"), requestError(1205, "deadlock"), requestError(102, "Incorrect syntax near 'TOPSECRET'.")]);
    const error = await execute(client, { operation: "create", objectType: "login", objectName: "l" }, [statement("X", {}, ["TOPSECRET"])]).catch((e: unknown) => e);
    expect(String(error)).toBe("SqlServerError: unable to create login [l] on sql1:1433: Incorrect syntax near '***'. (Msg 102, State 1) [after 3 attempts]");
    expect(client.requests).toHaveLength(3);
  });
});
