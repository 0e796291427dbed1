import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { endpointPermissionQuery, loginQuery, userQuery } from "../../../provider/sql/catalog";
import { createLogin, dropLogin, readLogin, updateLogin } from "../../../provider/sql/objects/login";
import { grantEndpointConnect, readEndpointPermission, revokeEndpointConnect } from "../../../provider/sql/objects/permission";
import { createUser, dropUser, readUser, updateUser } from "../../../provider/sql/objects/user";
import { connectionError, FakeClient, loginRow, permissionRow, requestError, userRow } from "./fakes";

const batch = (...statements: string[]) => statements.map((s) => `${s};`).join("\n");

describe("logins", () => {
  const READ = loginQuery("peer_b").statements[0].sql;
  const CREATE =
    "IF NOT EXISTS (SELECT 1 FROM master.sys.server_principals WHERE name = @name) CREATE LOGIN [peer_b] WITH PASSWORD = N'Gen-MARKER-1', CHECK_POLICY = ON, CHECK_EXPIRATION = OFF";
  const spec = { name: "peer_b", password: "Gen-MARKER-1" };

  it("read: one request", async () => {
    const client = new FakeClient([[[loginRow()]]]);
    await expect(readLogin(client, "peer_b")).resolves.toMatchObject({ name: "peer_b", type: "S" });
    expect(client.requests).toEqual([{ sql: batch(READ), params: { name: { type: "nvarchar", value: "peer_b" } } }]);
  });

  it("create: one request; existing one reported", async () => {
    const client = new FakeClient([[[], [loginRow()]], [[loginRow()], [loginRow()]]]);
    await expect(createLogin(client, spec)).resolves.toMatchObject({ existedBefore: false });
    await expect(createLogin(client, spec)).resolves.toMatchObject({ existedBefore: true });
    expect(client.statements[0]).toBe(batch(READ, CREATE, READ));
  });

  it("create retried: a SQL login with the same flags and password is ours; a Windows login or another password is not", async () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const hashOf = (password: string) =>
      Buffer.concat([Buffer.from([2, 0]), salt, createHash("sha512").update(Buffer.from(password, "utf16le")).update(salt).digest()]);
    const ours = new FakeClient([connectionError("ECONNCLOSED", "closed"), [[loginRow()], [loginRow()]], [[{ password_hash: hashOf(spec.password) }]]]);
    await expect(createLogin(ours, spec)).resolves.toMatchObject({ existedBefore: false });
    expect(ours.statements[2]).toBe(batch("SELECT password_hash FROM master.sys.sql_logins WHERE name = @name"));
    const otherPassword = new FakeClient([connectionError("ECONNCLOSED", "closed"), [[loginRow()], [loginRow()]], [[{ password_hash: hashOf("another") }]]]);
    await expect(createLogin(otherPassword, spec)).resolves.toMatchObject({ existedBefore: true });
    const theirs = new FakeClient([connectionError("ECONNCLOSED", "closed"), [[loginRow({ type: "U" })], [loginRow({ type: "U" })]]]);
    await expect(createLogin(theirs, spec)).resolves.toMatchObject({ existedBefore: true });
  });

  it("create: the password never appears in the error", async () => {
    const client = new FakeClient([requestError(15118, "Password validation failed. 'Gen-MARKER-1' is not complex enough.")]);
    const error = await createLogin(client, spec).catch((e: unknown) => e);
    expect(inspect(error, { depth: 10 })).not.toContain("MARKER");
    expect(String(error)).toMatch(/unable to create login \[peer_b] on sql1:1433: Password validation failed. '\*\*\*'/);
  });

  it("update: none when nothing changes; one request otherwise", async () => {
    const current = loginQuery("peer_b").map([[loginRow()]])!;
    const client = new FakeClient([[[loginRow()]]]);
    await expect(updateLogin(client, current, {})).resolves.toBe(current);
    await expect(updateLogin(client, current, { checkPolicy: true })).resolves.toBe(current);
    expect(client.requests).toHaveLength(0);
    await updateLogin(client, current, { password: "n" });
    expect(client.statements).toEqual([batch("ALTER LOGIN [peer_b] WITH PASSWORD = N'n'", READ)]);
  });

  it("drop: one guarded request; a login that owns the endpoint is an error", async () => {
    const client = new FakeClient([[], requestError(15141, "The server principal owns one or more endpoints and cannot be dropped.")]);
    await dropLogin(client, "peer_b");
    expect(client.statements).toEqual([batch("IF EXISTS (SELECT 1 FROM master.sys.server_principals WHERE name = @name) DROP LOGIN [peer_b]")]);
    await expect(dropLogin(client, "peer_b")).rejects.toThrow(/\(Msg 15141, State 1\) — the login owns an endpoint/);
  });
});

describe("users", () => {
  const READ = userQuery("peer_b_user").statements[0].sql;
  const spec = { name: "peer_b_user", loginName: "peer_b" };

  it("read: one request", async () => {
    const client = new FakeClient([[[userRow()]]]);
    await expect(readUser(client, "peer_b_user")).resolves.toMatchObject({ loginName: "peer_b" });
    expect(client.statements).toEqual([batch(READ)]);
  });

  it("create: one request", async () => {
    const client = new FakeClient([[[], [userRow()]]]);
    await expect(createUser(client, spec)).resolves.toMatchObject({ existedBefore: false, record: { name: "peer_b_user" } });
    expect(client.statements).toEqual([
      batch(READ, "IF NOT EXISTS (SELECT 1 FROM master.sys.database_principals WHERE name = @name) CREATE USER [peer_b_user] FOR LOGIN [peer_b]", READ),
    ]);
  });

  it("update: remap in one request, none when already mapped", async () => {
    const current = userQuery("peer_b_user").map([[userRow()]])!;
    const client = new FakeClient([[[userRow({ login_name: "peer_c" })]]]);
    await expect(updateUser(client, current, spec)).resolves.toBe(current);
    await expect(updateUser(client, current, { ...spec, loginName: "peer_c" })).resolves.toMatchObject({ loginName: "peer_c" });
    expect(client.statements).toEqual([batch("ALTER USER [peer_b_user] WITH LOGIN = [peer_c]", READ)]);
  });

  it("drop: DROP USER IF EXISTS; owning a certificate is an error", async () => {
    const client = new FakeClient([[], requestError(15138, "The database principal owns a certificate in the database, and cannot be dropped.")]);
    await dropUser(client, "peer_b_user");
    expect(client.statements).toEqual([batch("DROP USER IF EXISTS [peer_b_user]")]);
    await expect(dropUser(client, "peer_b_user")).rejects.toMatchObject({ number: 15138, objectType: "user" });
  });
});

describe("CONNECT on the endpoint", () => {
  const READ = endpointPermissionQuery("hadr", "peer_b").statements[0].sql;
  const spec = { endpointName: "hadr", loginName: "peer_b" };
  const params = { endpoint: { type: "nvarchar", value: "hadr" }, login: { type: "nvarchar", value: "peer_b" } };

  it("read: one request", async () => {
    const client = new FakeClient([[[permissionRow("D")]]]);
    await expect(readEndpointPermission(client, spec)).resolves.toEqual({ endpointName: "hadr", loginName: "peer_b", state: "D" });
    expect(client.requests).toEqual([{ sql: batch(READ), params }]);
  });

  it("grant: one request; a DENY before does not count as granted", async () => {
    const client = new FakeClient([[[], [permissionRow("G")]], [[permissionRow("D")], [permissionRow("G")]], [[permissionRow("W")], [permissionRow("W")]]]);
    await expect(grantEndpointConnect(client, spec)).resolves.toEqual({ existedBefore: false, record: { endpointName: "hadr", loginName: "peer_b", state: "G" } });
    await expect(grantEndpointConnect(client, spec)).resolves.toMatchObject({ existedBefore: false });
    await expect(grantEndpointConnect(client, spec)).resolves.toMatchObject({ existedBefore: true });
    expect(client.requests[0]).toEqual({ sql: batch(READ, "GRANT CONNECT ON ENDPOINT::[hadr] TO [peer_b]", READ), params });
  });

  it("grant on a missing endpoint: the server's error, with context", async () => {
    const client = new FakeClient([requestError(15151, "Cannot find the endpoint 'hadr', because it does not exist or you do not have permission.")]);
    await expect(grantEndpointConnect(client, spec)).rejects.toThrow(
      /^unable to grant CONNECT on endpoint \[hadr] for login \[peer_b] on sql1:1433: Cannot find the endpoint 'hadr'.* \(Msg 15151, State 1\)/,
    );
  });

  it("revoke: one guarded request", async () => {
    const client = new FakeClient([[]]);
    await revokeEndpointConnect(client, spec);
    expect(client.requests).toHaveLength(1);
    expect(client.requests[0].sql).toMatch(/^IF EXISTS \(SELECT 1 FROM master\.sys\.server_permissions .* REVOKE CONNECT ON ENDPOINT::\[hadr] FROM \[peer_b];$/);
    expect(client.requests[0].params).toEqual(params);
  });
});
