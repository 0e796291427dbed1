/** EndpointPermission over TDS: GRANT / REVOKE, replacement, drift (revoked, denied). */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, replaceOn, SERIALIZED_PROVIDER, UPDATE, type Props } from "./driver";
import { catalogDelta, catalogOf, checkedConnectionOf, connectionOf, cost, rowOf, rowsOf, sa, startInstances, stopInstances, warmPool } from "./support";
import { reservePort } from "../support/ports";

let a: EmulatorInstance;

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "PERM" });
  await sa(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-perm-suite!1'");
  await sa(a, "CREATE CERTIFICATE a_cert WITH SUBJECT = 'mirroring a'");
  // A reserved port: the STARTED endpoint really listens, beside other test files'.
  await sa(a, `CREATE ENDPOINT hadr_endpoint STATE = STARTED AS TCP (LISTENER_PORT = ${await reservePort()}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE a_cert, ROLE = ALL)`);
  await sa(a, "CREATE LOGIN peer_b_login WITH PASSWORD = N'Marker-Login-perm-suite!1'");
  await sa(a, "CREATE LOGIN peer_c_login WITH PASSWORD = N'Marker-Login-perm-suite!2'");
});
beforeEach(() => warmPool(a));
// A failed test must not leave its grant (or deny) to the next one.
afterEach(async () => {
  for (const login of ["peer_b_login", "peer_c_login"]) await sa(a, `REVOKE CONNECT ON ENDPOINT::hadr_endpoint FROM ${login}`);
});
afterAll(() => stopInstances([a]));

function args(overrides: Props = {}): Props {
  return { connection: connectionOf(a), endpoint: "hadr_endpoint", login: "peer_b_login", ...overrides };
}

/** The CONNECT rows on the endpoint for a login. */
function connectRows(login: string) {
  const endpointId = rowOf(a, "sys.endpoints", "name", "hadr_endpoint").endpoint_id;
  const grantee = rowOf(a, "sys.server_principals", "name", login).principal_id;
  return rowsOf(a, "sys.server_permissions", "grantee_principal_id", grantee).filter((p) => p.class === 105 && p.major_id === endpointId);
}

describe("EndpointPermission lifecycle", () => {
  it("grants CONNECT, reads it, is replaced for another login, and revokes it", async () => {
    const base = catalogOf(a);
    const grant = new Driven("EndpointPermission");
    const created = await cost(a, () => grant.create(args()));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    const [row, ...more] = connectRows("peer_b_login");
    expect(more).toEqual([]);
    expect(row).toMatchObject({ class_desc: "ENDPOINT", minor_id: 0, type: "CO  ", permission_name: "CONNECT", state: "G", state_desc: "GRANT", grantor_principal_id: 1 });
    expect(catalogDelta(base, catalogOf(a))).toEqual({ "sys.server_permissions": { removed: [], added: [row] } });
    expect(grant.id).toBe(`127.0.0.1:${a.port}/endpoint-permission/hadr_endpoint/peer_b_login`);
    expect(grant.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      endpoint: "hadr_endpoint",
      login: "peer_b_login",
      state: "GRANT",
    });

    const stored = grant.state;
    const read = await cost(a, () => grant.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(grant.state).toEqual(stored);
    const same = await grant.plan(args());
    expect(same.diff).toEqual(NO_CHANGE);
    expect((await cost(a, () => grant.update(same.inputs))).requests).toBe(0);
    // Nothing to update in place: TLS settings only touch the connection.
    const tls = await grant.plan(args({ connection: connectionOf(a, { encrypt: "strict" }) }));
    expect(tls.diff).toEqual(UPDATE);
    expect((await cost(a, () => grant.update(tls.inputs))).requests).toBe(0);
    expect(grant.state).toEqual({ ...stored, connection: checkedConnectionOf(a, { encrypt: "strict" }) });
    await grant.update((await grant.plan(args())).inputs);
    await warmPool(a);

    expect((await grant.plan(args({ endpoint: "other_endpoint" }))).diff).toEqual(replaceOn(["endpoint"]));
    const other = args({ login: "peer_c_login" });
    expect((await grant.plan(other)).diff).toEqual(replaceOn(["login"]));
    const next = new Driven("EndpointPermission");
    expect((await cost(a, () => next.create(other))).requests).toBe(1);
    expect(connectRows("peer_c_login").map((p) => p.state)).toEqual(["G"]);
    expect((await cost(a, () => grant.delete())).requests).toBe(1);
    expect(connectRows("peer_b_login")).toEqual([]);
    expect((await cost(a, () => next.delete())).requests).toBe(1);
    expect(catalogOf(a)).toEqual(base);
  });
});

describe("EndpointPermission drift", () => {
  it("reports CONNECT revoked out of band as gone", async () => {
    const grant = new Driven("EndpointPermission");
    await grant.create(args());
    await sa(a, "REVOKE CONNECT ON ENDPOINT::hadr_endpoint FROM peer_b_login");
    const read = await cost(a, () => grant.provider.read(grant.id, grant.state));
    expect([read.value, read.requests]).toEqual([{ id: "", props: {} }, 1]);
  });

  it("shows CONNECT denied out of band and grants it again", async () => {
    const base = catalogOf(a);
    const grant = new Driven("EndpointPermission");
    await grant.create(args());
    await sa(a, "DENY CONNECT ON ENDPOINT::hadr_endpoint TO peer_b_login");
    expect(connectRows("peer_b_login").map((p) => p.state_desc)).toEqual(["DENY"]);

    expect(await grant.read()).toBe(true);
    expect(grant.state.state).toBe("DENY");
    const plan = await grant.plan(args());
    expect(plan.diff).toEqual(UPDATE);
    expect((await cost(a, () => grant.update(plan.inputs))).requests).toBe(1);
    expect(grant.state.state).toBe("GRANT");
    expect(connectRows("peer_b_login").map((p) => p.state_desc)).toEqual(["GRANT"]);
    expect((await grant.plan(args())).diff).toEqual(NO_CHANGE);
    await grant.delete();
    expect(catalogOf(a)).toEqual(base);
  });
});
