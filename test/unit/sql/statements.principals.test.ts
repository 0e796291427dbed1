import { describe, expect, it } from "vitest";
import type { LoginRecord, UserRecord } from "../../../provider/sql/records";
import { buildAlterLogin, buildCreateLogin, buildDropLogin } from "../../../provider/sql/statements/login";
import { buildGrantEndpointConnect, buildRevokeEndpointConnect } from "../../../provider/sql/statements/permission";
import { buildAlterUser, buildCreateUser, buildDropUser } from "../../../provider/sql/statements/user";

const LOGIN_GUARD = "IF NOT EXISTS (SELECT 1 FROM master.sys.server_principals WHERE name = @name)";

describe("CREATE LOGIN", () => {
  it.each([
    [{}, "CHECK_POLICY = ON, CHECK_EXPIRATION = OFF"],
    [{ checkPolicy: true, checkExpiration: true }, "CHECK_POLICY = ON, CHECK_EXPIRATION = ON"],
    [{ checkPolicy: false }, "CHECK_POLICY = OFF, CHECK_EXPIRATION = OFF"],
    [{ checkPolicy: false, checkExpiration: false }, "CHECK_POLICY = OFF, CHECK_EXPIRATION = OFF"],
  ])("flags %j", (flags, clause) => {
    expect(buildCreateLogin({ name: "peer_b", password: "Pa'ss;--", ...flags })).toEqual({
      sql: `${LOGIN_GUARD} CREATE LOGIN [peer_b] WITH PASSWORD = N'Pa''ss;--', ${clause}`,
      params: { name: { type: "nvarchar", value: "peer_b" } },
      secrets: ["Pa'ss;--"],
    });
  });

  it.each([
    [{ name: "CORP\\peer", password: "p" }, /^name: must not contain a backslash/],
    [{ name: "peer", password: "" }, /^password: must not be empty/],
    [{ name: "peer", password: "p".repeat(129) }, /^password: is 129 characters long/],
    [{ name: "peer", password: "p", checkPolicy: false, checkExpiration: true }, /^checkExpiration: needs checkPolicy/],
  ])("refuses %j", (spec, reason) => {
    expect(() => buildCreateLogin(spec)).toThrow(reason);
  });

  it("accepts a 128-character password", () => {
    expect(buildCreateLogin({ name: "l", password: "p".repeat(128) }).sql).toContain(`N'${"p".repeat(128)}'`);
  });
});

describe("ALTER LOGIN", () => {
  const current: LoginRecord = {
    name: "peer_b", principalId: 267, type: "S", sid: "0A0B", isDisabled: false, checkPolicy: true, checkExpiration: false, createDate: "2025-01-01T00:00:00Z",
  };
  const sqlOf = (update: Parameters<typeof buildAlterLogin>[1]) => buildAlterLogin(current, update).map((s) => s.sql);

  it("nothing to change", () => {
    expect(sqlOf({})).toEqual([]);
    expect(sqlOf({ checkPolicy: true, checkExpiration: false })).toEqual([]);
  });

  it("password: always applied when given, as a secret", () => {
    expect(buildAlterLogin(current, { password: "n'ew" })).toEqual([{ sql: "ALTER LOGIN [peer_b] WITH PASSWORD = N'n''ew'", params: {}, secrets: ["n'ew"] }]);
  });

  it("policy flags: both written, before the password", () => {
    expect(sqlOf({ checkPolicy: false, password: "weak" })).toEqual([
      "ALTER LOGIN [peer_b] WITH CHECK_POLICY = OFF, CHECK_EXPIRATION = OFF",
      "ALTER LOGIN [peer_b] WITH PASSWORD = N'weak'",
    ]);
    expect(sqlOf({ checkExpiration: true })).toEqual(["ALTER LOGIN [peer_b] WITH CHECK_POLICY = ON, CHECK_EXPIRATION = ON"]);
  });

  it("refuses expiration without policy", () => {
    expect(() => sqlOf({ checkPolicy: false, checkExpiration: true })).toThrow(/^checkExpiration: /);
  });
});

describe("DROP LOGIN", () => {
  it("guarded", () => {
    expect(buildDropLogin("peer_b")).toEqual({
      sql: "IF EXISTS (SELECT 1 FROM master.sys.server_principals WHERE name = @name) DROP LOGIN [peer_b]",
      params: { name: { type: "nvarchar", value: "peer_b" } },
      secrets: [],
    });
  });
});

describe("users in master", () => {
  it("create: guarded, FOR LOGIN", () => {
    expect(buildCreateUser({ name: "peer_b_user", loginName: "peer]b" })).toEqual({
      sql: "IF NOT EXISTS (SELECT 1 FROM master.sys.database_principals WHERE name = @name) CREATE USER [peer_b_user] FOR LOGIN [peer]]b]",
      params: { name: { type: "nvarchar", value: "peer_b_user" } },
      secrets: [],
    });
  });

  it("create: names the bad property", () => {
    expect(() => buildCreateUser({ name: "u", loginName: "" })).toThrow(/^loginName: /);
  });

  const current: UserRecord = { name: "u", principalId: 5, type: "S", sid: "0A0B", loginName: "peer_b", createDate: "2025-01-01T00:00:00Z" };
  it("remap: ALTER USER … WITH LOGIN, only when different", () => {
    expect(buildAlterUser(current, { name: "u", loginName: "peer_b" })).toEqual([]);
    expect(buildAlterUser(current, { name: "u", loginName: "peer_c" }).map((s) => s.sql)).toEqual(["ALTER USER [u] WITH LOGIN = [peer_c]"]);
    expect(buildAlterUser({ ...current, loginName: null }, { name: "u", loginName: "peer_b" }).map((s) => s.sql)).toEqual(["ALTER USER [u] WITH LOGIN = [peer_b]"]);
  });

  it("drop: DROP USER IF EXISTS", () => {
    expect(buildDropUser("u'1")).toEqual({ sql: "DROP USER IF EXISTS [u'1]", params: {}, secrets: [] });
  });
});

describe("CONNECT on the endpoint", () => {
  const spec = { endpointName: "hadr", loginName: "peer_b" };

  it("grant", () => {
    expect(buildGrantEndpointConnect(spec)).toEqual({ sql: "GRANT CONNECT ON ENDPOINT::[hadr] TO [peer_b]", params: {}, secrets: [] });
  });

  it("revoke: guarded on sys.server_permissions (class 105, CO)", () => {
    expect(buildRevokeEndpointConnect(spec)).toEqual({
      sql:
        "IF EXISTS (SELECT 1 FROM master.sys.server_permissions AS p " +
        "JOIN master.sys.endpoints AS e ON e.endpoint_id = p.major_id " +
        "JOIN master.sys.server_principals AS sp ON sp.principal_id = p.grantee_principal_id " +
        "WHERE p.class = 105 AND p.type = 'CO' AND e.name = @endpoint AND sp.name = @login) " +
        "REVOKE CONNECT ON ENDPOINT::[hadr] FROM [peer_b]",
      params: { endpoint: { type: "nvarchar", value: "hadr" }, login: { type: "nvarchar", value: "peer_b" } },
      secrets: [],
    });
  });

  it("names the bad property", () => {
    expect(() => buildGrantEndpointConnect({ endpointName: "", loginName: "x" })).toThrow(/^endpointName: /);
    expect(() => buildRevokeEndpointConnect({ endpointName: "e", loginName: "x".repeat(200) })).toThrow(/^loginName: /);
  });
});
