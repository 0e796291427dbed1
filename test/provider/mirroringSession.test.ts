/**
 * MirroringSession over real TDS against three emulator instances (two partners and a witness
 * whose endpoints trust each other, set up by hand as the transport layer would): created with
 * seeding through a shared folder and a witness; read after an out-of-band failover shows the new
 * principal (a failover is a fact); safety, timeout and the witness change in place on whichever
 * partner is principal now; delete ends the session and leaves both copies.
 */
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, UPDATE, type Props } from "./driver";
import { connectionOf, sa, startInstances, stopInstances, warmPool } from "./support";
import { reservePorts } from "../support/ports";

const STRONG = "Str0ng!Passw0rd";
let a: EmulatorInstance;
let b: EmulatorInstance;
let w: EmulatorInstance;
let urls: { a: string; b: string; w: string };
let share: string;

/** Master key, certificate and a STARTED endpoint with `role`; returns the certificate's DER as hex. */
async function transport(instance: EmulatorInstance, name: string, port: number, role: string): Promise<string> {
  await sa(
    instance,
    `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}';
     CREATE CERTIFICATE ${name}_cert WITH SUBJECT = N'${name}', EXPIRY_DATE = '29991231';
     CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${port}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${name}_cert, ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ${role});`,
  );
  const [row] = await sa(instance, `SELECT CONVERT(varchar(max), CERTENCODED(CERT_ID(N'${name}_cert')), 1) AS der`);
  return String(row!.der);
}

/** `receiver` accepts `peer` (login, user, certificate, CONNECT). */
async function trust(receiver: EmulatorInstance, peer: string, der: string): Promise<void> {
  await sa(
    receiver,
    `CREATE LOGIN ${peer}_login WITH PASSWORD = N'${STRONG}'; CREATE USER ${peer}_user FOR LOGIN ${peer}_login;
     CREATE CERTIFICATE ${peer}_cert AUTHORIZATION ${peer}_user FROM BINARY = ${der};
     GRANT CONNECT ON ENDPOINT::Mirroring TO ${peer}_login;`,
  );
}

beforeAll(async () => {
  [a, b, w] = await startInstances(3, { namePrefix: "DBM" });
  const [pa, pb, pw] = await reservePorts(3);
  const ders = { a: await transport(a, "a", pa!, "PARTNER"), b: await transport(b, "b", pb!, "PARTNER"), w: await transport(w, "w", pw!, "WITNESS") };
  for (const [receiver, peers] of [[a, ["b", "w"]], [b, ["a", "w"]], [w, ["a", "b"]]] as const) for (const p of peers) await trust(receiver, p, ders[p]);
  urls = { a: `TCP://127.0.0.1:${pa}`, b: `TCP://127.0.0.1:${pb}`, w: `TCP://127.0.0.1:${pw}` };
  share = await mkdtemp(path.join(os.tmpdir(), "mirroring-share-"));
  await sa(a, "CREATE DATABASE Sales; ALTER DATABASE Sales SET RECOVERY FULL; CREATE TABLE Sales.dbo.orders (id int PRIMARY KEY); INSERT INTO Sales.dbo.orders VALUES (1), (2)");
  await sa(a, `BACKUP DATABASE Sales TO DISK = N'${path.join(share, "own.bak")}'`);
  for (const i of [a, b, w]) await warmPool(i);
});
afterAll(async () => {
  await stopInstances([a, b, w]);
  await rm(share, { recursive: true, force: true });
});

/** The program's arguments, as MirroringSession's constructor passes them. */
function args(overrides: Props = {}): Props {
  return {
    database: "Sales",
    partners: [
      { name: "a", endpointUrl: urls.a },
      { name: "b", endpointUrl: urls.b },
    ],
    partnerConnections: [connectionOf(a), connectionOf(b)],
    witness: { name: "w", endpointUrl: urls.w },
    witnessConnection: connectionOf(w),
    seeding: { backupPath: share },
    waitTimeoutMs: 15000,
    ...overrides,
  };
}

const row = async (instance: EmulatorInstance) =>
  (await sa(instance, "SELECT m.mirroring_role_desc, m.mirroring_state_desc, m.mirroring_safety_level_desc, m.mirroring_connection_timeout, m.mirroring_witness_name FROM master.sys.database_mirroring AS m WHERE m.database_id = DB_ID(N'Sales')"))[0];
const stateOf = async (instance: EmulatorInstance) => (await sa(instance, "SELECT state_desc FROM master.sys.databases WHERE name = N'Sales'"))[0]?.state_desc;
const outputsOf = (state: Props) => ({ roles: state.roles, currentPrincipal: state.currentPrincipal, mirroringState: state.mirroringState, witnessState: state.witnessState, synchronized: state.synchronized });

describe("MirroringSession over TDS", () => {
  const session = new Driven("MirroringSession");

  it("create: seeds the mirror copy, SET PARTNER on the mirror then the principal, SET WITNESS; SYNCHRONIZED with the witness CONNECTED", async () => {
    const state = await session.create(args());
    expect(outputsOf(state)).toEqual({ roles: { a: "PRINCIPAL", b: "MIRROR" }, currentPrincipal: "a", mirroringState: "SYNCHRONIZED", witnessState: "CONNECTED", synchronized: true });
    expect(await row(a)).toEqual({ mirroring_role_desc: "PRINCIPAL", mirroring_state_desc: "SYNCHRONIZED", mirroring_safety_level_desc: "FULL", mirroring_connection_timeout: 10, mirroring_witness_name: urls.w });
    expect(await row(b)).toMatchObject({ mirroring_role_desc: "MIRROR", mirroring_state_desc: "SYNCHRONIZED" });
    expect([await stateOf(a), await stateOf(b)]).toEqual(["ONLINE", "RESTORING"]);
    expect(await sa(w, "SELECT principal_server_name, mirror_server_name, partner_sync_state_desc FROM master.sys.database_mirroring_witnesses")).toEqual([
      { principal_server_name: "DBM1", mirror_server_name: "DBM2", partner_sync_state_desc: "SYNCHRONIZED" },
    ]);
  });

  it("read after a failover made out of band shows the new principal, and the rows are there", async () => {
    await sa(a, "INSERT INTO Sales.dbo.orders VALUES (3)");
    const deadline = Date.now() + 8000;
    while ((await row(a))?.mirroring_state_desc !== "SYNCHRONIZED" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await sa(a, "ALTER DATABASE Sales SET PARTNER FAILOVER");
    expect(await session.read()).toBe(true);
    expect(session.state).toMatchObject({ roles: { a: "MIRROR", b: "PRINCIPAL" }, currentPrincipal: "b" });
    expect(await sa(b, "SELECT id FROM Sales.dbo.orders")).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    // A failover is a fact: the unchanged program plans nothing.
    expect((await session.plan(args())).diff.changes).toBe(false);
  });

  it("updates timeout, witness and safety in place, on the partner that is principal now", async () => {
    const plan = await session.plan(args({ timeoutSeconds: 30, witness: undefined, witnessConnection: undefined, safety: "OFF" }));
    expect(plan.diff).toEqual(UPDATE);
    const state = await session.update(plan.inputs);
    expect(outputsOf(state)).toEqual({ roles: { a: "MIRROR", b: "PRINCIPAL" }, currentPrincipal: "b", mirroringState: "SYNCHRONIZING", witnessState: null, synchronized: true });
    expect(await row(b)).toEqual({ mirroring_role_desc: "PRINCIPAL", mirroring_state_desc: "SYNCHRONIZING", mirroring_safety_level_desc: "OFF", mirroring_connection_timeout: 30, mirroring_witness_name: null });
    expect(await sa(w, "SELECT * FROM master.sys.database_mirroring_witnesses")).toEqual([]);
    const back = await session.update((await session.plan(args({ timeoutSeconds: 30 }))).inputs);
    expect(outputsOf(back)).toMatchObject({ currentPrincipal: "b", mirroringState: "SYNCHRONIZED", witnessState: "CONNECTED", synchronized: true });
    expect(await row(a)).toMatchObject({ mirroring_role_desc: "MIRROR", mirroring_safety_level_desc: "FULL", mirroring_connection_timeout: 30, mirroring_witness_name: urls.w });
  });

  it("delete ends the session and leaves both copies: the principal ONLINE with its rows, the mirror RESTORING", async () => {
    await session.delete();
    for (const i of [a, b]) expect(await row(i)).toMatchObject({ mirroring_role_desc: null });
    expect([await stateOf(b), await stateOf(a)]).toEqual(["ONLINE", "RESTORING"]);
    expect(await sa(b, "SELECT id FROM Sales.dbo.orders")).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(await sa(w, "SELECT * FROM master.sys.database_mirroring_witnesses")).toEqual([]);
  });
});
