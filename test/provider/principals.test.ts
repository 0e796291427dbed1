/** Login and User over TDS: lifecycle, in-place updates, replacement, drift (dropped, orphaned). */
import * as mssql from "mssql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, replaceOn, SERIALIZED_PROVIDER, UPDATE, type Props } from "./driver";
import { catalogDelta, catalogOf, checkedConnectionOf, connectionOf, cost, rowOf, rowsOf, sa, startInstances, stopInstances, warmPool } from "./support";

let a: EmulatorInstance;

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "PRN" });
});
beforeEach(() => warmPool(a));
afterAll(() => stopInstances([a]));

/** Logs in as `login` with `password` on a connection of its own: true, or the driver's code and message. */
async function logsIn(login: string, password: string): Promise<true | string> {
  const pool = new mssql.ConnectionPool({
    server: "127.0.0.1",
    port: a.port,
    user: login,
    password,
    database: "master",
    options: { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: a.tlsCertificate } },
  });
  try {
    await pool.connect();
    return true;
  } catch (error) {
    return `${String((error as { code?: unknown }).code)}: ${(error as Error).message}`;
  } finally {
    // A connected login cannot be dropped (15434): close before anything else happens.
    await pool.close();
  }
}

function hex(value: unknown): string {
  return String(value).slice(2);
}

describe("Login", () => {
  const args = (overrides: Props = {}): Props => ({ connection: connectionOf(a), name: "peer_b_login", ...overrides });

  // A failed test must not leave its logins to the next one.
  beforeEach(() => async () => {
    for (const login of ["peer_b_login", "peer_b_login2"]) {
      if (rowsOf(a, "sys.server_principals", "name", login).length > 0) await sa(a, `DROP LOGIN ${login}`);
    }
  });

  it("creates with a generated password, reads, changes password and CHECK_POLICY in place, is replaced on a new name, and is dropped", async () => {
    const base = catalogOf(a);
    const login = new Driven("Login");
    const created = await cost(a, () => login.create(args()));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    const principal = rowOf(a, "sys.server_principals", "name", "peer_b_login");
    const sqlLogin = rowOf(a, "sys.sql_logins", "name", "peer_b_login");
    expect(sqlLogin).toMatchObject({ type: "S", is_disabled: 0, is_policy_checked: true, is_expiration_checked: false });
    const granted = rowsOf(a, "sys.server_permissions", "grantee_principal_id", principal.principal_id);
    expect(granted.map((p) => [p.permission_name, p.state_desc])).toEqual([["CONNECT SQL", "GRANT"]]);
    expect(catalogDelta(base, catalogOf(a))).toEqual({
      "sys.server_principals": { removed: [], added: [principal] },
      "sys.sql_logins": { removed: [], added: [sqlLogin] },
      "sys.server_permissions": { removed: [], added: granted },
    });
    // The generated password is forgotten once the login exists: it is in no state and no log.
    expect(sqlLogin.password_hash).toBeTruthy();
    expect(login.id).toBe(`127.0.0.1:${a.port}/login/peer_b_login`);
    expect(login.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      name: "peer_b_login",
      checkPolicy: true,
      principalId: principal.principal_id,
      sid: hex(principal.sid),
      isDisabled: false,
    });

    const stored = login.state;
    const read = await cost(a, () => login.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(login.state).toEqual(stored);
    // No password in the program keeps the generated one.
    const same = await login.plan(args());
    expect(same.diff).toEqual(NO_CHANGE);
    expect((await cost(a, () => login.update(same.inputs))).requests).toBe(0);

    const chosen = "Marker-Login-7f3a-chosen!1";
    const password = await login.plan(args({ password: chosen }));
    expect(password.diff).toEqual(UPDATE);
    expect((await cost(a, () => login.update(password.inputs))).requests).toBe(2);
    expect(login.state).toEqual({ ...stored, password: chosen });
    expect(await logsIn("peer_b_login", chosen)).toBe(true);
    expect(rowOf(a, "sys.sql_logins", "name", "peer_b_login").password_hash).not.toEqual(sqlLogin.password_hash);

    const policy = await login.plan(args({ password: chosen, checkPolicy: false }));
    expect(policy.diff).toEqual(UPDATE);
    expect((await cost(a, () => login.update(policy.inputs))).requests).toBe(2);
    expect(login.state).toEqual({ ...stored, password: chosen, checkPolicy: false });
    expect(rowOf(a, "sys.sql_logins", "name", "peer_b_login").is_policy_checked).toBe(false);
    expect((await login.plan(args({ password: chosen, checkPolicy: false }))).diff).toEqual(NO_CHANGE);

    const renamed = args({ name: "peer_b_login2", password: chosen, checkPolicy: false });
    expect((await login.plan(renamed)).diff).toEqual(replaceOn(["name"]));
    const next = new Driven("Login");
    expect((await cost(a, () => next.create(renamed))).requests).toBe(1);
    expect(next.state).toMatchObject({ name: "peer_b_login2", password: chosen, checkPolicy: false });
    expect((await cost(a, () => login.delete())).requests).toBe(1);
    expect(rowsOf(a, "sys.server_principals", "name", "peer_b_login")).toEqual([]);
    expect((await cost(a, () => next.delete())).requests).toBe(1);
    expect(catalogOf(a)).toEqual(base);
  });

  it("reports a login dropped out of band as gone", async () => {
    const login = new Driven("Login");
    await login.create(args());
    await sa(a, "DROP LOGIN peer_b_login");
    const read = await cost(a, () => login.provider.read(login.id, login.state));
    expect([read.value, read.requests]).toEqual([{ id: "", props: {} }, 1]);
  });

  it("refuses to take over an existing login (its password cannot be verified)", async () => {
    await sa(a, "CREATE LOGIN peer_b_login WITH PASSWORD = N'Marker-Login-dba-owned!2'");
    const before = catalogOf(a);
    await expect(new Driven("Login").create(args())).rejects.toThrow(
      `unable to create login [peer_b_login] on 127.0.0.1:${a.port}: it already exists; drop it or choose another name (its password cannot be verified, so it is not taken over)`,
    );
    expect(catalogOf(a)).toEqual(before);
    await sa(a, "DROP LOGIN peer_b_login");
  });
});

describe("User", () => {
  const args = (overrides: Props = {}): Props => ({ connection: connectionOf(a), name: "peer_b_user", login: "peer_b_login", ...overrides });

  beforeEach(async () => {
    await sa(a, "CREATE LOGIN peer_b_login WITH PASSWORD = N'Marker-Login-user-suite!1'");
    await sa(a, "CREATE LOGIN peer_c_login WITH PASSWORD = N'Marker-Login-user-suite!2'");
    return async () => {
      for (const user of ["peer_b_user", "peer_b_user2"]) await sa(a, `DROP USER IF EXISTS ${user}`);
      for (const login of ["peer_b_login", "peer_c_login"]) {
        if (rowsOf(a, "sys.server_principals", "name", login).length > 0) await sa(a, `DROP LOGIN ${login}`);
      }
    };
  });

  it("creates for a login, reads, remaps to another login in place, is replaced on a new name, and is dropped", async () => {
    const base = catalogOf(a);
    const user = new Driven("User");
    const created = await cost(a, () => user.create(args()));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    const row = rowOf(a, "sys.database_principals", "name", "peer_b_user");
    expect(row).toMatchObject({ type: "S", type_desc: "SQL_USER", sid: rowOf(a, "sys.server_principals", "name", "peer_b_login").sid });
    expect(catalogDelta(base, catalogOf(a))).toEqual({ "sys.database_principals": { removed: [], added: [row] } });
    expect(user.id).toBe(`127.0.0.1:${a.port}/user/peer_b_user`);
    expect(user.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      name: "peer_b_user",
      login: "peer_b_login",
      principalId: row.principal_id,
    });

    const stored = user.state;
    const read = await cost(a, () => user.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(user.state).toEqual(stored);
    const same = await user.plan(args());
    expect(same.diff).toEqual(NO_CHANGE);
    expect((await cost(a, () => user.update(same.inputs))).requests).toBe(0);

    const remap = await user.plan(args({ login: "peer_c_login" }));
    expect(remap.diff).toEqual(UPDATE);
    expect((await cost(a, () => user.update(remap.inputs))).requests).toBe(2);
    expect(user.state).toEqual({ ...stored, login: "peer_c_login" });
    expect(rowOf(a, "sys.database_principals", "name", "peer_b_user").sid).toBe(rowOf(a, "sys.server_principals", "name", "peer_c_login").sid);

    // A login has one user per database (15063): a new name for the same login drops the old user first.
    const renamed = args({ name: "peer_b_user2", login: "peer_c_login" });
    expect((await user.plan(renamed)).diff).toEqual(replaceOn(["name"], true));
    expect((await cost(a, () => user.delete())).requests).toBe(1);
    const next = new Driven("User");
    expect((await cost(a, () => next.create(renamed))).requests).toBe(1);
    expect(next.state).toMatchObject({ name: "peer_b_user2", login: "peer_c_login" });
    // With another login as well, the new user can exist beside the old one.
    expect((await next.plan(args({ name: "peer_b_user3", login: "peer_b_login" }))).diff).toEqual(replaceOn(["name"]));

    expect((await cost(a, () => next.delete())).requests).toBe(1);
    expect(catalogOf(a)).toEqual(base);
  });

  it("shows a user orphaned by its login's drop and repairs it once the login is back", async () => {
    const login = new Driven("Login");
    await login.create({ connection: connectionOf(a), name: "peer_d_login" });
    const user = new Driven("User");
    await user.create(args({ login: "peer_d_login" }));
    await sa(a, "DROP LOGIN peer_d_login");

    // Refresh: the login is gone, the user is orphaned (maps to no login).
    expect(await login.read()).toBe(false);
    const read = await cost(a, () => user.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(user.state.login).toBeNull();
    expect(user.inputs.login).toBeNull();

    // Up: the login is created again (new SID), then the user remapped to it.
    await login.create({ connection: connectionOf(a), name: "peer_d_login" });
    const plan = await user.plan(args({ login: "peer_d_login" }));
    expect(plan.diff).toEqual(UPDATE);
    expect((await cost(a, () => user.update(plan.inputs))).requests).toBe(2);
    expect(user.state.login).toBe("peer_d_login");
    expect(rowOf(a, "sys.database_principals", "name", "peer_b_user").sid).toBe(rowOf(a, "sys.server_principals", "name", "peer_d_login").sid);

    await user.delete();
    await login.delete();
  });

  it("reports a user dropped out of band as gone", async () => {
    const user = new Driven("User");
    await user.create(args());
    await sa(a, "DROP USER peer_b_user");
    const read = await cost(a, () => user.provider.read(user.id, user.state));
    expect([read.value, read.requests]).toEqual([{ id: "", props: {} }, 1]);
  });
});
