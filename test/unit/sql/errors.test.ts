import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { classifyError, conflictError, SqlServerError, toSqlServerError, ValidationError, type SqlErrorContext } from "../../../provider/sql/errors";
import { scrubErrorInPlace, scrubText } from "../../../provider/sql/scrub";
import { batchError, connectionError, nodeError, requestError } from "./fakes";

const ctx: SqlErrorContext = { operation: "create", objectType: "certificate", objectName: "c1", target: "sql1:1433" };

function wrap(error: unknown, extra: Partial<SqlErrorContext> = {}): SqlServerError {
  const wrapped = toSqlServerError(error, { ...ctx, ...extra });
  expect(wrapped).toBeInstanceOf(SqlServerError);
  return wrapped as SqlServerError;
}

describe("toSqlServerError: server errors", () => {
  it("carries number, state, class, line and server, with operation, object and target", () => {
    const original = requestError(15232, "A certificate with name 'c1' already exists or this certificate already has been added to the database.", { lineNumber: 3 });
    const error = wrap(original);
    expect(error.message).toBe(
      "unable to create certificate [c1] on sql1:1433: A certificate with name 'c1' already exists or this certificate already has been added to the database. " +
        "(Msg 15232, State 1) — a certificate with this name exists, or the same certificate is already present under another name",
    );
    expect(error).toMatchObject({
      name: "SqlServerError",
      category: "server",
      number: 15232,
      state: 1,
      class: 16,
      lineNumber: 3,
      serverName: "SQL1",
      code: "EREQUEST",
      operation: "create",
      objectType: "certificate",
      objectName: "c1",
      target: "sql1:1433",
      attempts: 1,
    });
    expect(error.cause).toBe(original);
    expect(error.messages).toHaveLength(1); // the RequestError and its originalError are one message
  });

  it("flattens mssql's precedingErrors: the first error explains, the rest follow", () => {
    const error = wrap(
      batchError(requestError(7890, "An error occurred while attempting to register the endpoint 'hadr'."), requestError(7807, "An error ('0x80070020') occurred while attempting to register the endpoint 'hadr'.")),
      { objectType: "mirroring endpoint", objectName: "hadr" },
    );
    expect(error.number).toBe(7890);
    expect(error.messages.map((m) => m.number)).toEqual([7890, 7807]);
    expect(error.message).toBe(
      "unable to create mirroring endpoint [hadr] on sql1:1433: An error occurred while attempting to register the endpoint 'hadr'. (Msg 7890, State 1); " +
        "also: An error ('0x80070020') occurred while attempting to register the endpoint 'hadr'. (Msg 7807) — " +
        "the endpoint could not register its port: another process probably holds it; choose another port",
    );
  });

  it("flattens tedious' AggregateError", () => {
    const aggregate = new AggregateError([requestError(15151, "Cannot find the user 'u', because it does not exist or you do not have permission."), requestError(15138, "second")]);
    const error = wrap(aggregate);
    expect(error.messages.map((m) => m.number)).toEqual([15151, 15138]);
    expect(error.number).toBe(15151);
  });

  it("skips informational messages when choosing the primary", () => {
    const error = wrap(batchError(requestError(5701, "Changed database context", { class: 0 }), requestError(15247, "User does not have permission")));
    expect(error.number).toBe(15247);
  });

  it("a custom hint replaces the built-in one; attempts are reported", () => {
    const error = wrap(requestError(7862, "An endpoint of the requested type already exists."), { hint: "adopt [old]", attempts: 3 });
    expect(error.message).toBe("unable to create certificate [c1] on sql1:1433: An endpoint of the requested type already exists. (Msg 7862, State 1) — adopt [old] [after 3 attempts]");
    expect(error.attempts).toBe(3);
  });

  it("quotes the object name like T-SQL; omits it for the master key", () => {
    expect(wrap(requestError(1, "x"), { objectName: "a]b" }).message).toMatch(/^unable to create certificate \[a]]b] on/);
    expect(wrap(requestError(1, "x"), { objectType: "database master key", objectName: undefined }).message).toMatch(/^unable to create database master key on sql1:1433: /);
    expect(wrap(requestError(1, "x"), { qualifier: "for login [p]" }).message).toMatch(/^unable to create certificate \[c1] for login \[p] on sql1:1433/);
  });

  it("passes ValidationError and SqlServerError through", () => {
    const validation = new ValidationError("name", "must not be empty");
    expect(toSqlServerError(validation, ctx)).toBe(validation);
    const already = wrap(requestError(1, "x"));
    expect(toSqlServerError(already, ctx)).toBe(already);
  });
});

describe("toSqlServerError: connection failures get actionable messages", () => {
  it.each([
    ["login (ELOGIN)", connectionError("ELOGIN", "Login failed for user 'sa'."), "login", /login failed — check connection.user and connection.password \(Login failed for user 'sa'.\)/],
    [
      "refused",
      connectionError("ESOCKET", "Failed to connect to sql1:1433 - connect ECONNREFUSED 10.0.0.1:1433", nodeError("ECONNREFUSED", "connect ECONNREFUSED")),
      "network",
      /cannot reach SQL Server — check connection.server and connection.port/,
    ],
    ["unknown host", connectionError("ESOCKET", "Failed to connect", nodeError("ENOTFOUND", "getaddrinfo ENOTFOUND sql9")), "network", /connection.server/],
    [
      "untrusted certificate",
      connectionError("ESOCKET", "Failed to connect to sql1:1433 - self-signed certificate", nodeError("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate")),
      "tls",
      /TLS certificate is not trusted — set connection.ca .*trustServerCertificate/,
    ],
    ["wrong host name in certificate", connectionError("ESOCKET", "x", nodeError("ERR_TLS_CERT_ALTNAME_INVALID", "altname")), "tls", /connection.ca/],
    ["encryption mismatch", connectionError("EENCRYPT", "Server requires encryption, set 'encrypt' config option to `true`."), "tls", /check connection.encrypt/],
    ["timeout", connectionError("ETIMEOUT", "Failed to connect to sql1:1433 in 15000ms"), "timeout", /timed out — raise connection.connectTimeoutMs/],
    ["anything else", new Error("boom"), "driver", /on sql1:1433: boom$/],
  ])("%s", (_case, raw, category, message) => {
    const error = wrap(raw);
    expect(error.category).toBe(category);
    expect(classifyError(raw)).toBe(category);
    expect(error.message).toMatch(message);
    expect(error.number).toBeUndefined();
  });

  it("18456 as a server message is a login failure too", () => {
    expect(wrap(requestError(18456, "Login failed for user 'x'.", { class: 14 })).category).toBe("login");
  });
});

describe("secrets never appear in errors", () => {
  const MARKER = "Pw-MARKER-7f3'q";
  const secrets = [MARKER];

  function assertClean(error: SqlServerError): void {
    const everything = [
      error.message,
      error.stack ?? "",
      inspect(error, { depth: 20, showHidden: true }),
      JSON.stringify(error.messages),
    ].join("\n");
    expect(everything).not.toContain("MARKER");
  }

  it("from the server message, preceding errors, originalError and their stacks", () => {
    const echoed = requestError(102, `Incorrect syntax near '${MARKER.replace(/'/g, "''")}'.`);
    const preceding = requestError(15118, `Password validation failed: '${MARKER}' is not complex enough.`);
    const error = wrap(batchError(preceding, echoed), { secrets });
    assertClean(error);
    expect(error.message).toContain("***");
  });

  it("from an AggregateError and nested causes", () => {
    const cause = nodeError("ECONNRESET", `reset while sending ${MARKER}`);
    const aggregate = new AggregateError([connectionError("ESOCKET", `Connection lost - ${MARKER}`, cause)], `many ${MARKER}`);
    assertClean(wrap(aggregate, { secrets }));
  });

  it("from a read-only message", () => {
    const raw = new Error("placeholder");
    Object.defineProperty(raw, "message", { value: `secret ${MARKER}`, writable: false, configurable: true, enumerable: false });
    assertClean(wrap(raw, { secrets }));
  });

  it("conflict errors carry no cause at all", () => {
    const error = conflictError(ctx, "EDUPLICATECERT", "same certificate as [x]");
    expect(error.message).toBe("unable to create certificate [c1] on sql1:1433: same certificate as [x]");
    expect(error).toMatchObject({ category: "conflict", code: "EDUPLICATECERT", messages: [] });
    expect(error.cause).toBeUndefined();
  });

  it("scrubText replaces both the raw and the T-SQL-quoted form, longest first", () => {
    expect(scrubText("a it's b it''s c", ["it's"])).toBe("a *** b *** c");
    expect(scrubText("abcd abc", ["abc", "abcd"])).toBe("*** ***");
    expect(scrubText("nothing", ["", "zzz"])).toBe("nothing");
  });

  it("scrubErrorInPlace tolerates frozen errors and non-errors", () => {
    const frozen = Object.freeze(new Error("x"));
    expect(() => scrubErrorInPlace(frozen, ["x"])).not.toThrow();
    expect(() => scrubErrorInPlace("text", ["x"])).not.toThrow();
    expect(() => scrubErrorInPlace(null, ["x"])).not.toThrow();
  });

  it("survives a cyclic cause chain", () => {
    const a = new Error(`a ${MARKER}`) as Error & { cause?: unknown };
    const b = new Error(`b ${MARKER}`, { cause: a });
    a.cause = b;
    assertClean(wrap(b, { secrets }));
  });
});
