/**
 * Database mirroring sessions in the emulator, end to end over real endpoint connections: seeding
 * by BACKUP / RESTORE … WITH NORECOVERY, SET PARTNER on the mirror then the principal, SET WITNESS,
 * the exact rows of sys.database_mirroring on both partners and of sys.database_mirroring_witnesses
 * on the witness, the rows written on the principal found on the mirror after a manual and an
 * automatic failover, and the old principal coming back as the mirror.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../../emulator";
import { query, SA_PASSWORD, sql, stopAll, type Node } from "./helpers";
import { errorsOf, mirroringRow, mirroringTrio, seed, startSession, waitForState } from "./mirroringSupport";

afterEach(stopAll);

const lastLsn = (n: Node, db = "Sales") => n.instance.engine.databases.get(db)!.lastLsn;
const orders = (n: Node) => query(n, "SELECT id, item FROM Sales.dbo.orders");
const NULL_MIRRORING = {
  mirroring_guid: null, mirroring_state: null, mirroring_state_desc: null, mirroring_role: null, mirroring_role_desc: null, mirroring_role_sequence: null,
  mirroring_safety_level: null, mirroring_safety_level_desc: null, mirroring_safety_sequence: null, mirroring_partner_name: null, mirroring_partner_instance: null,
  mirroring_witness_name: null, mirroring_witness_state: null, mirroring_witness_state_desc: null, mirroring_failover_lsn: null, mirroring_connection_timeout: null,
  mirroring_redo_queue: null, mirroring_redo_queue_type: null, mirroring_end_of_log_lsn: null, mirroring_replication_lsn: null,
};

describe("sys.database_mirroring and sys.database_mirroring_witnesses", () => {
  it("show every column in Microsoft's order: NULLs outside a session, the session on both partners and the witness", async () => {
    const { a, b, w } = await mirroringTrio({ witness: true });
    await seed(a, b);
    const before = await query(a, "SELECT * FROM sys.database_mirroring");
    expect(before.map((r) => Object.keys(r))[0]).toEqual(["database_id", ...Object.keys(NULL_MIRRORING)]);
    expect(before).toEqual([1, 2, 3, 4, 5].map((id) => ({ database_id: id, ...NULL_MIRRORING })));
    expect(await query(w!, "SELECT * FROM sys.database_mirroring_witnesses")).toEqual([]);

    await startSession(a, b);
    await waitForState(a, "SYNCHRONIZED");
    await sql(a, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`);
    const principal = await waitForState(a, "SYNCHRONIZED", "Sales", "CONNECTED");
    const mirror = await waitForState(b, "SYNCHRONIZED", "Sales", "CONNECTED");
    const guid = principal["mirroring_guid"];
    expect(guid).toMatch(/^[0-9A-F-]{36}$/);
    const lsn = lastLsn(a);
    expect(lastLsn(b)).toBe(lsn);
    const common = {
      database_id: 5, mirroring_guid: guid, mirroring_state: 4, mirroring_state_desc: "SYNCHRONIZED", mirroring_role_sequence: 1,
      mirroring_safety_level: 2, mirroring_safety_level_desc: "FULL", mirroring_safety_sequence: 1,
      mirroring_witness_name: w!.url, mirroring_witness_state: 1, mirroring_witness_state_desc: "CONNECTED",
      mirroring_failover_lsn: lsn, mirroring_connection_timeout: 10, mirroring_redo_queue: null, mirroring_redo_queue_type: "UNLIMITED",
      mirroring_end_of_log_lsn: lsn, mirroring_replication_lsn: lsn,
    };
    expect(principal).toEqual({ ...common, mirroring_role: 1, mirroring_role_desc: "PRINCIPAL", mirroring_partner_name: b.url, mirroring_partner_instance: "B" });
    expect(mirror).toEqual({ ...common, mirroring_role: 2, mirroring_role_desc: "MIRROR", mirroring_partner_name: a.url, mirroring_partner_instance: "A" });
    expect(await query(w!, "SELECT * FROM sys.database_mirroring_witnesses")).toEqual([
      {
        database_name: "Sales", principal_server_name: "A", mirror_server_name: "B", safety_level: 2, safety_level_desc: "FULL", safety_sequence_number: 1,
        role_sequence_number: 1, mirroring_guid: guid, family_guid: a.instance.engine.databases.get("Sales")!.familyGuid, is_suspended: false,
        is_suspended_sequence_number: 0, partner_sync_state: 5, partner_sync_state_desc: "SYNCHRONIZED",
      },
    ]);
    // The other databases stay NULL; the mirror copy is RESTORING and closed to sessions (954).
    expect((await query(b, "SELECT * FROM sys.database_mirroring WHERE database_id = 1"))[0]).toEqual({ database_id: 1, ...NULL_MIRRORING });
    expect(await query(b, "SELECT state_desc FROM sys.databases WHERE name = N'Sales'")).toEqual([{ state_desc: "RESTORING" }]);
    expect(await errorsOf(b, "SELECT * FROM Sales.dbo.orders")).toEqual([{ number: 954, message: 'The database "Sales" cannot be opened. It is acting as a mirror database.' }]);
  });
});

describe("failovers", () => {
  it("SET PARTNER FAILOVER swaps the roles when synchronized: the new principal has every committed row, and can fail back", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'third'); UPDATE Sales.dbo.orders SET item = N'FIRST' WHERE id = 1; DELETE FROM Sales.dbo.orders WHERE id = 2;");
    await waitForState(a, "SYNCHRONIZED");
    await sql(a, "ALTER DATABASE Sales SET PARTNER FAILOVER");
    expect(await mirroringRow(a)).toMatchObject({ mirroring_role_desc: "MIRROR", mirroring_role_sequence: 2 });
    const now = await waitForState(b, "SYNCHRONIZED");
    expect(now).toMatchObject({ mirroring_role_desc: "PRINCIPAL", mirroring_role_sequence: 2, mirroring_partner_name: a.url });
    expect(await orders(b)).toEqual([{ id: 1, item: "FIRST" }, { id: 3, item: "third" }]);
    expect(await query(a, "SELECT state_desc FROM sys.databases WHERE name = N'Sales'")).toEqual([{ state_desc: "RESTORING" }]);
    expect((await errorsOf(a, "USE Sales")).map((e) => e.number)).toEqual([954]);
    // Writes continue on the new principal and flow back to the old one.
    await sql(b, "INSERT INTO Sales.dbo.orders VALUES (4, N'fourth')");
    await waitForState(b, "SYNCHRONIZED");
    await waitForState(a, "SYNCHRONIZED");
    await sql(b, "ALTER DATABASE Sales SET PARTNER FAILOVER");
    await waitForState(a, "SYNCHRONIZED");
    expect(await mirroringRow(a)).toMatchObject({ mirroring_role_desc: "PRINCIPAL", mirroring_role_sequence: 3 });
    expect(await orders(a)).toEqual([{ id: 1, item: "FIRST" }, { id: 3, item: "third" }, { id: 4, item: "fourth" }]);
  });

  it("with a witness and safety FULL, stopping the principal's instance makes the mirror the principal; the old principal comes back as the mirror", async () => {
    const data = await mkdtemp(path.join(os.tmpdir(), "mirroring-a-"));
    // A keeps its state on disk so that it can come back (started again below on the same folder).
    const { a, b, w } = await mirroringTrio({ witness: true, aOptions: { dataDir: data } });
    await seed(a, b);
      await startSession(a, b);
      await sql(a, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`);
      await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'before the failover')");
      await waitForState(a, "SYNCHRONIZED", "Sales", "CONNECTED");
      await waitForState(b, "SYNCHRONIZED", "Sales", "CONNECTED");

      await a.instance.stop();
      const promoted = await waitForState(b, "DISCONNECTED", "Sales", "CONNECTED");
      await waitUntilRole(b, "PRINCIPAL");
      expect(await mirroringRow(b)).toMatchObject({ mirroring_role_desc: "PRINCIPAL", mirroring_role_sequence: 2, mirroring_state_desc: "DISCONNECTED" });
      expect(promoted["mirroring_partner_name"]).toBe(a.url);
      expect(await query(b, "SELECT state_desc FROM sys.databases WHERE name = N'Sales'")).toEqual([{ state_desc: "ONLINE" }]);
      expect(await orders(b)).toEqual([{ id: 1, item: "first" }, { id: 2, item: "second" }, { id: 3, item: "before the failover" }]);
      await sql(b, "INSERT INTO Sales.dbo.orders VALUES (4, N'while A was down')");
      expect(await query(w!, "SELECT principal_server_name, mirror_server_name, role_sequence_number FROM sys.database_mirroring_witnesses")).toEqual([
        { principal_server_name: "B", mirror_server_name: "A", role_sequence_number: 2 },
      ]);

      // A comes back: it is the mirror now, RESTORING, and catches up.
      const back = await startedOn(a, data);
      try {
        await waitForState(back, "SYNCHRONIZED", "Sales", "CONNECTED");
        await waitForState(b, "SYNCHRONIZED", "Sales", "CONNECTED");
        expect(await mirroringRow(back)).toMatchObject({ mirroring_role_desc: "MIRROR", mirroring_role_sequence: 2, mirroring_partner_name: b.url });
        expect(await query(back, "SELECT state_desc FROM sys.databases WHERE name = N'Sales'")).toEqual([{ state_desc: "RESTORING" }]);
        expect(lastLsn(back)).toBe(lastLsn(b));
        // Nothing fails back on its own; a planned failover does.
        await sql(b, "ALTER DATABASE Sales SET PARTNER FAILOVER");
        await waitForState(back, "SYNCHRONIZED");
        expect(await orders(back)).toEqual([{ id: 1, item: "first" }, { id: 2, item: "second" }, { id: 3, item: "before the failover" }, { id: 4, item: "while A was down" }]);
      } finally {
        await back.instance.stop();
      }
  });
});

describe("high-safety mode", () => {
  it("under SAFETY FULL a commit's reply comes once the mirror holds it, so the mirror is never behind an acknowledged transaction", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await waitForState(a, "SYNCHRONIZED");
    for (let i = 3; i < 13; i++) {
      await sql(a, `INSERT INTO Sales.dbo.orders VALUES (${i}, N'row ${i}')`);
      expect(lastLsn(b)).toBe(lastLsn(a));
    }
    await sql(a, "BEGIN TRANSACTION; UPDATE Sales.dbo.orders SET item = N'changed'; DELETE FROM Sales.dbo.orders WHERE id > 10; COMMIT");
    expect(lastLsn(b)).toBe(lastLsn(a));
  });
});

describe("quorum", () => {
  it("with a witness, a principal that loses both the mirror and the witness refuses its database (955) until one of them is back; the mirror does not fail over without the witness", async () => {
    const { a, b, w } = await mirroringTrio({ witness: true });
    await seed(a, b);
    await startSession(a, b);
    await sql(a, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`);
    await waitForState(b, "SYNCHRONIZED", "Sales", "CONNECTED");
    await sql(w!, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    await waitForState(a, "SYNCHRONIZED", "Sales", "DISCONNECTED");
    // The mirror still connects the principal to quorum: the database serves.
    expect(await orders(a)).toHaveLength(2);
    await sql(b, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    await waitForState(a, "DISCONNECTED", "Sales", "DISCONNECTED");
    expect(await errorsOf(a, "SELECT * FROM Sales.dbo.orders")).toEqual([
      { number: 955, message: "Database Sales is enabled for Database Mirroring, but the database lacks quorum: the database cannot be opened. Check the partner and witness connections if configured." },
    ]);
    await sql(w!, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await waitForState(a, "DISCONNECTED", "Sales", "CONNECTED");
    expect(await orders(a)).toHaveLength(2);
    await sql(b, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await waitForState(a, "SYNCHRONIZED", "Sales", "CONNECTED");
    expect(await mirroringRow(b)).toMatchObject({ mirroring_role_desc: "MIRROR", mirroring_role_sequence: 1 });
  });
});

/** Waits (bounded) until `n`'s copy of Sales has `role`. */
async function waitUntilRole(n: Node, role: string, ms = 12000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await mirroringRow(n))["mirroring_role_desc"] !== role) {
    if (Date.now() > deadline) throw new Error(`${n.name} did not become ${role} in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `n` started again on `data`, where its catalog (endpoint, trusts) and sessions were kept. */
async function startedOn(n: Node, data: string): Promise<Node> {
  const instance = await startEmulator({ saPassword: SA_PASSWORD, name: n.name.toUpperCase(), now: () => n.clock.now, log: (line) => n.log.push(line), dataDir: data });
  return { ...n, instance, sa: instance.engine.openSession("sa") };
}
