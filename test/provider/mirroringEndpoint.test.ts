/** MirroringEndpoint over TDS: every updatable property, replacement, drift, adoption. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, replaceOn, SERIALIZED_PROVIDER, UPDATE, type Props } from "./driver";
import { catalogDelta, catalogOf, checkedConnectionOf, connectionOf, cost, rowOf, rowsOf, sa, startInstances, stopInstances, warmPool } from "./support";
import { reservePorts } from "../support/ports";

let a: EmulatorInstance;
/** The endpoint's port, the one drift moves it to and a third, reserved: a STARTED endpoint really listens, beside other test files'. */
let PORT = 0;
let OTHER_PORT = 0;
let THIRD_PORT = 0;

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "EP" });
  [PORT, OTHER_PORT, THIRD_PORT] = (await reservePorts(3)) as [number, number, number];
  // The endpoint's prerequisites are part of the baseline: DMK, two certificates, a second owner.
  await sa(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-ep-suite!1'");
  await sa(a, "CREATE CERTIFICATE ep_cert_1 WITH SUBJECT = 'endpoint one'");
  await sa(a, "CREATE CERTIFICATE ep_cert_2 WITH SUBJECT = 'endpoint two'");
  await sa(a, "CREATE LOGIN ep_owner WITH PASSWORD = N'Marker-Login-ep-owner!1'");
});
beforeEach(() => warmPool(a));
// A failed test must not leave its endpoint to the next one (an instance has at most one).
afterEach(async () => {
  for (const row of catalogOf(a)["sys.database_mirroring_endpoints"]!) await sa(a, `DROP ENDPOINT [${String(row.name)}]`);
});
afterAll(() => stopInstances([a]));

/** Arguments as `new MirroringEndpoint(...)` passes them (unset ones are left out by the SDK). */
function args(overrides: Props = {}): Props {
  return { connection: connectionOf(a), port: PORT, certificateName: "ep_cert_1", role: "PARTNER", ...overrides };
}

/** The endpoint's rows in the three catalog views the provider reads. */
function endpointRows(name: string) {
  return {
    endpoint: rowOf(a, "sys.endpoints", "name", name),
    tcp: rowOf(a, "sys.tcp_endpoints", "name", name),
    mirroring: rowOf(a, "sys.database_mirroring_endpoints", "name", name),
  };
}

function certificateId(name: string): unknown {
  return rowOf(a, "sys.certificates", "name", name).certificate_id;
}

function principalId(name: string): unknown {
  return rowOf(a, "sys.server_principals", "name", name).principal_id;
}

describe("MirroringEndpoint lifecycle", () => {
  it("creates, reads, updates each property in place with one ALTER, renames by delete-then-create, and drops", async () => {
    const base = catalogOf(a);
    const ep = new Driven("MirroringEndpoint");
    const created = await cost(a, () => ep.create(args()));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    const rows = endpointRows("hadr_endpoint");
    expect(rows.mirroring).toMatchObject({
      state_desc: "STARTED",
      role_desc: "PARTNER",
      connection_auth_desc: "CERTIFICATE",
      certificate_id: certificateId("ep_cert_1"),
      is_encryption_enabled: true,
      encryption_algorithm_desc: "AES",
      principal_id: 1,
    });
    expect(rows.tcp).toMatchObject({ port: PORT, ip_address: null });
    expect(catalogDelta(base, catalogOf(a))).toEqual({
      "sys.endpoints": { removed: [], added: [rows.endpoint] },
      "sys.tcp_endpoints": { removed: [], added: [rows.tcp] },
      "sys.database_mirroring_endpoints": { removed: [], added: [rows.mirroring] },
    });
    expect(ep.id).toBe(`127.0.0.1:${a.port}/endpoint/hadr_endpoint`);
    expect(ep.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      name: "hadr_endpoint",
      endpointId: rows.endpoint.endpoint_id,
      port: PORT,
      listenerIp: "ALL",
      certificateName: "ep_cert_1",
      encryption: "REQUIRED",
      algorithm: "AES",
      role: "PARTNER",
      state: "STARTED",
      owner: "sa",
      adopt: false,
      adopted: false,
      url: `TCP://127.0.0.1:${PORT}`,
    });

    const stored = ep.state;
    const read = await cost(a, () => ep.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(ep.state).toEqual(stored);
    const same = await ep.plan(args());
    expect(same.diff).toEqual(NO_CHANGE);
    expect((await cost(a, () => ep.update(same.inputs))).requests).toBe(0);

    // Each property in turn: a fresh read, then one request with the changed clauses and the read-back
    // (and, for the owner, the permissions read in between).
    const steps: Array<[Props, Record<string, unknown>, Props]> = [
      [{ port: THIRD_PORT }, { tcp: { port: THIRD_PORT } }, { port: THIRD_PORT, url: `TCP://127.0.0.1:${THIRD_PORT}` }],
      [{ listenerIp: "127.0.0.1" }, { tcp: { ip_address: "127.0.0.1" } }, { listenerIp: "127.0.0.1" }],
      [{ certificateName: "ep_cert_2" }, { mirroring: { certificate_id: certificateId("ep_cert_2") } }, { certificateName: "ep_cert_2" }],
      [
        { encryption: "SUPPORTED", algorithm: "AES RC4" },
        { mirroring: { is_encryption_enabled: true, encryption_algorithm_desc: "NONE, AES, RC4" } },
        { encryption: "SUPPORTED", algorithm: "AES RC4" },
      ],
      [{ role: "ALL" }, { mirroring: { role_desc: "ALL" } }, { role: "ALL" }],
      [{ state: "STOPPED" }, { mirroring: { state_desc: "STOPPED" }, endpoint: { state_desc: "STOPPED" } }, { state: "STOPPED" }],
      [{ owner: "ep_owner" }, { mirroring: { principal_id: principalId("ep_owner") } }, { owner: "ep_owner" }],
    ];
    let program = args();
    let expected: Props = ep.state;
    for (const [change, catalogChange, outputChange] of steps) {
      program = { ...program, ...change };
      const before = catalogOf(a);
      const plan = await ep.plan(program);
      expect(plan.diff, JSON.stringify(change)).toEqual(UPDATE);
      const updated = await cost(a, () => ep.update(plan.inputs));
      // A new owner reads the endpoint's permissions first (ALTER AUTHORIZATION drops them; they are put back).
      expect(updated.requests, JSON.stringify(change)).toBe("owner" in change ? 3 : 2);
      expected = { ...expected, ...change, ...outputChange };
      expect(ep.state).toEqual(expected);
      const now = endpointRows("hadr_endpoint");
      for (const [view, columns] of Object.entries(catalogChange)) expect(now[view as keyof typeof now]).toMatchObject(columns as object);
      // Nothing but the endpoint's own rows changed.
      expect(Object.keys(catalogDelta(before, catalogOf(a))).every((v) => ["sys.endpoints", "sys.tcp_endpoints", "sys.database_mirroring_endpoints"].includes(v))).toBe(true);
      expect((await ep.plan(program)).diff).toEqual(NO_CHANGE);
    }

    // Several properties at once are still one ALTER.
    program = { ...program, port: PORT, listenerIp: "ALL", role: "PARTNER", state: "STARTED", encryption: "REQUIRED", algorithm: "AES" };
    const combined = await ep.plan(program);
    expect(combined.diff).toEqual(UPDATE);
    expect((await cost(a, () => ep.update(combined.inputs))).requests).toBe(2);
    expect(endpointRows("hadr_endpoint").mirroring).toMatchObject({ state_desc: "STARTED", role_desc: "PARTNER", encryption_algorithm_desc: "AES" });

    // The host peers use only changes the URL: no SQL.
    program = { ...program, endpointHost: "sql-a.example" };
    const host = await ep.plan(program);
    expect(host.diff).toEqual(UPDATE);
    expect((await cost(a, () => ep.update(host.inputs))).requests).toBe(0);
    expect(ep.state.url).toBe(`TCP://sql-a.example:${PORT}`);
    // …and leaving it out again goes back to connection.server.
    const { endpointHost: _host, ...withoutHost } = program;
    const back = await ep.plan(withoutHost);
    expect(back.diff).toEqual(UPDATE);
    expect((await cost(a, () => ep.update(back.inputs))).requests).toBe(0);
    expect(ep.state.url).toBe(`TCP://127.0.0.1:${PORT}`);
    expect(ep.state).not.toHaveProperty("endpointHost");
    expect((await cost(a, () => ep.update(host.inputs))).requests).toBe(0);

    // One mirroring endpoint per instance: a new name drops the old endpoint first.
    const renamed = { ...program, name: "mirror_ep" };
    expect((await ep.plan(renamed)).diff).toEqual(replaceOn(["name"], true));
    expect((await cost(a, () => ep.delete())).requests).toBe(1);
    expect(rowsOf(a, "sys.endpoints", "name", "hadr_endpoint")).toEqual([]);
    const next = new Driven("MirroringEndpoint");
    expect((await cost(a, () => next.create(renamed))).requests).toBe(1);
    expect(next.state).toMatchObject({ name: "mirror_ep", owner: "ep_owner", certificateName: "ep_cert_2", url: `TCP://sql-a.example:${PORT}` });
    expect(endpointRows("mirror_ep").mirroring).toMatchObject({ principal_id: principalId("ep_owner"), certificate_id: certificateId("ep_cert_2") });

    expect((await cost(a, () => next.delete())).requests).toBe(1);
    expect(catalogOf(a)).toEqual(base);
  });
});

describe("MirroringEndpoint drift", () => {
  it("shows a port changed out of band, previews the repair as an update, and repairs it", async () => {
    const base = catalogOf(a);
    const ep = new Driven("MirroringEndpoint");
    await ep.create(args());
    await sa(a, `ALTER ENDPOINT hadr_endpoint AS TCP (LISTENER_PORT = ${OTHER_PORT})`);
    const read = await cost(a, () => ep.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(ep.state).toMatchObject({ port: OTHER_PORT, url: `TCP://127.0.0.1:${OTHER_PORT}` });
    // Refresh stores the actual value as the input too, so preview shows port OTHER_PORT => PORT.
    expect(ep.inputs.port).toBe(OTHER_PORT);
    const plan = await ep.plan(args());
    expect(plan.diff).toEqual(UPDATE);
    expect(plan.inputs.port).toBe(PORT);
    expect((await cost(a, () => ep.update(plan.inputs))).requests).toBe(2);
    expect(endpointRows("hadr_endpoint").tcp.port).toBe(PORT);
    expect(ep.state).toMatchObject({ port: PORT, url: `TCP://127.0.0.1:${PORT}` });
    await ep.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("takes an IPv6 listener address in any valid form: canonical in DDL (else 7887), in state and on refresh, so no permanent drift", async () => {
    const ep = new Driven("MirroringEndpoint");
    await ep.create(args({ listenerIp: "FD00:0:0:0:0:0:0:5" }));
    expect(endpointRows("hadr_endpoint").tcp).toMatchObject({ ip_address: "fd00::5" });
    expect(ep.state.listenerIp).toBe("fd00::5");
    expect(await ep.read()).toBe(true);
    expect(ep.state.listenerIp).toBe("fd00::5");
    expect((await ep.plan(args({ listenerIp: "fd00:0000::5" }))).diff).toEqual(NO_CHANGE);
    const moved = await ep.plan(args({ listenerIp: "fd00::1:0:0:0:5" }));
    expect(moved.diff).toEqual(UPDATE);
    await ep.update(moved.inputs);
    expect(endpointRows("hadr_endpoint").tcp).toMatchObject({ ip_address: "fd00:0:0:1::5" });
    await ep.delete();
  });

  it("reports an endpoint dropped out of band as gone", async () => {
    const ep = new Driven("MirroringEndpoint");
    await ep.create(args());
    await sa(a, "DROP ENDPOINT hadr_endpoint");
    const read = await cost(a, () => ep.provider.read(ep.id, ep.state));
    expect([read.value, read.requests]).toEqual([{ id: "", props: {} }, 1]);
  });
});

describe("MirroringEndpoint adoption", () => {
  const EXISTING =
    "CREATE ENDPOINT hadr_endpoint AUTHORIZATION ep_owner STATE = STOPPED AS TCP (LISTENER_PORT = 5099, LISTENER_IP = (127.0.0.1)) " +
    "FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE ep_cert_2, ENCRYPTION = SUPPORTED ALGORITHM RC4, ROLE = WITNESS)";

  it("takes over an existing endpoint with adopt: true and puts back its exact configuration on delete", async () => {
    await sa(a, EXISTING);
    const before = catalogOf(a);
    const original = endpointRows("hadr_endpoint");
    const ep = new Driven("MirroringEndpoint");
    const created = await cost(a, () => ep.create(args({ adopt: true })));
    expect(created.requests).toBe(2);
    expect(ep.state).toMatchObject({
      name: "hadr_endpoint",
      endpointId: original.endpoint.endpoint_id,
      port: PORT,
      listenerIp: "ALL",
      certificateName: "ep_cert_1",
      encryption: "REQUIRED",
      algorithm: "AES",
      role: "PARTNER",
      state: "STARTED",
      owner: "ep_owner",
      adopt: true,
      adopted: true,
    });
    const managed = endpointRows("hadr_endpoint");
    // Windows authentication, which other partners may rely on, is kept (and still tried first).
    expect(managed.mirroring).toMatchObject({ connection_auth_desc: "NEGOTIATE, CERTIFICATE", certificate_id: certificateId("ep_cert_1"), role_desc: "PARTNER" });
    expect(managed.tcp).toMatchObject({ port: PORT, ip_address: null });
    expect(await ep.read()).toBe(true);
    expect((await ep.plan(args({ adopt: true }))).diff).toEqual(NO_CHANGE);

    const deleted = await cost(a, () => ep.delete());
    expect(deleted.requests).toBe(2);
    expect(endpointRows("hadr_endpoint")).toEqual(original);
    expect(catalogOf(a)).toEqual(before);
    await sa(a, "DROP ENDPOINT hadr_endpoint");
  });

  it("adopting with an owner, and putting the original owner back on delete, keeps every permission on the endpoint (grants it never made included)", async () => {
    await sa(a, EXISTING);
    await sa(a, "CREATE LOGIN stack_owner WITH PASSWORD = N'Marker-Login-stack-own!1'; CREATE LOGIN peer_x WITH PASSWORD = N'Marker-Login-peer-x!1'; CREATE LOGIN peer_y WITH PASSWORD = N'Marker-Login-peer-y!1'");
    await sa(a, "GRANT CONNECT ON ENDPOINT::hadr_endpoint TO peer_x WITH GRANT OPTION; GRANT CONNECT ON ENDPOINT::hadr_endpoint TO peer_y AS peer_x; DENY VIEW DEFINITION ON ENDPOINT::hadr_endpoint TO peer_y");
    const before = catalogOf(a);
    const permissions = () => catalogOf(a)["sys.server_permissions"]!.map((r) => JSON.stringify(r)).sort();
    const found = permissions();
    const ep = new Driven("MirroringEndpoint");
    const created = await cost(a, () => ep.create(args({ adopt: true, owner: "stack_owner" })));
    // Read the endpoint, read its permissions, then ALTER ENDPOINT + transfer + permissions put back + read-backs.
    expect(created.requests).toBe(3);
    expect(ep.state).toMatchObject({ owner: "stack_owner", adopted: true, original: expect.objectContaining({ owner: "ep_owner" }) });
    expect(endpointRows("hadr_endpoint").endpoint.principal_id).toBe(principalId("stack_owner"));
    expect(permissions()).toEqual(found);

    await ep.delete();
    expect(endpointRows("hadr_endpoint").endpoint.principal_id).toBe(principalId("ep_owner"));
    expect(permissions()).toEqual(found);
    expect(catalogDelta(before, catalogOf(a))).toEqual({});
    await sa(a, "DROP ENDPOINT hadr_endpoint; DROP LOGIN stack_owner; DROP LOGIN peer_x; DROP LOGIN peer_y");
  });

  it("without adopt, refuses an existing endpoint of the same name and names the fix", async () => {
    await sa(a, EXISTING);
    const before = catalogOf(a);
    await expect(new Driven("MirroringEndpoint").create(args())).rejects.toThrow(
      `unable to create mirroring endpoint [hadr_endpoint] on 127.0.0.1:${a.port}: it already exists; ` +
        "if a Pulumi stack already manages it (this instance declared in two MirroringTopology or MirroringInstance components, or in two stacks), " +
        "do not set adopt: true: the two would fight over the one endpoint, each switching it to its own certificate; declare the instance once " +
        "(one MirroringTopology with instances and every availability group and mirroring session that uses it). " +
        "Only for an endpoint made outside Pulumi: set adopt: true to manage it (its settings are restored on destroy)",
    );
    expect(catalogOf(a)).toEqual(before);
    await sa(a, "DROP ENDPOINT hadr_endpoint");
  });

  it("refuses an existing endpoint under another name, with or without adopt, naming it", async () => {
    await sa(a, EXISTING.replace("hadr_endpoint", "legacy_mirroring"));
    const before = catalogOf(a);
    const refusal = await new Driven("MirroringEndpoint").create(args()).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ name: "SqlServerError", number: 7862 });
    expect((refusal as Error).message).toContain("this instance already has the mirroring endpoint [legacy_mirroring] (port 5099)");
    await expect(new Driven("MirroringEndpoint").create(args({ adopt: true }))).rejects.toThrow(
      `unable to adopt the mirroring endpoint on 127.0.0.1:${a.port}: it is named [legacy_mirroring], not [hadr_endpoint]; set name: "legacy_mirroring"`,
    );
    expect(catalogOf(a)).toEqual(before);
    await sa(a, "DROP ENDPOINT legacy_mirroring");
  });
});
