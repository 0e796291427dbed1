import { describe, expect, it } from "vitest";
import { checkConnection } from "../../../provider/resources/connection";
import { diffResult } from "../../../provider/resources/lifecycle";
import { connection, UNKNOWN } from "./fixtures";

function problems(raw: unknown): Record<string, string> {
  const failures: Array<{ property: string; reason: string }> = [];
  checkConnection(raw, failures);
  return Object.fromEntries(failures.map((f) => [f.property, f.reason]));
}

describe("checkConnection", () => {
  it("applies the secure defaults", () => {
    const failures: never[] = [];
    expect(checkConnection({ server: "s", user: "u", password: "p" }, failures)).toEqual({
      server: "s",
      port: 1433,
      user: "u",
      password: "p",
      encrypt: true,
      trustServerCertificate: false,
    });
    expect(failures).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ["an empty server", { server: "" }, "connection.server", "must be a host name or IP address"],
    ["a named instance", { server: "host\\inst" }, "connection.server", "named instances (host\\instance) are not supported: give the host and set connection.port"],
    ["an empty password", { password: "" }, "connection.password", "must not be empty: give the password of connection.user"],
    ["port 0", { port: 0 }, "connection.port", "must be an integer from 1 to 65535 (got 0)"],
    ["port 65536", { port: 65536 }, "connection.port", "must be an integer from 1 to 65535 (got 65536)"],
    ["encrypt 'yes'", { encrypt: "yes" }, "connection.encrypt", 'must be true, false or "strict"'],
    ["a ca that is not PEM", { ca: "abc" }, "connection.ca", "must be PEM text (-----BEGIN CERTIFICATE----- …)"],
    ["trustServerCertificate 1", { trustServerCertificate: 1 }, "connection.trustServerCertificate", "must be true or false"],
  ])("rejects %s", (_label, override, property, reason) => {
    expect(problems({ ...connection, ...override })).toEqual({ [property]: reason });
  });

  it("rejects a missing connection", () => {
    expect(Object.keys(problems(undefined))).toEqual(["connection"]);
  });

  it("skips values preview does not know yet", () => {
    expect(problems({ ...connection, server: UNKNOWN, password: UNKNOWN, port: UNKNOWN })).toEqual({});
  });
});

describe("diffResult", () => {
  const state = { connection: { ...connection } };
  it("replaces on another server or port", () => {
    expect(diffResult(state, { connection: { ...connection, server: "sql2" } }, [], [])).toEqual({ changes: true, replaces: ["connection"], deleteBeforeReplace: false });
    expect(diffResult(state, { connection: { ...connection, port: 1434 } }, [], [])).toMatchObject({ replaces: ["connection"] });
  });
  it("treats the same server in other case as the same instance", () => {
    expect(diffResult(state, { connection: { ...connection, server: "SQL1.example" } }, [], [])).toMatchObject({ changes: false });
  });
  it.each(["user", "password", "encrypt", "trustServerCertificate", "ca"])("updates in place when only %s changes", (key) => {
    const changed = { connection: { ...connection, [key]: key === "encrypt" ? "strict" : "x" } };
    expect(diffResult(state, changed, [], [])).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
  it("reports no change for identical connections", () => {
    expect(diffResult(state, { connection: { ...connection } }, [], [])).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });
});
