/**
 * A running session's state as the connections make it: a trust broken (CONNECT revoked and the
 * connections cut, the peer certificate dropped, the endpoint stopped) → DISCONNECTED on both
 * partners, repaired → caught up and SYNCHRONIZED on its own; SAFETY OFF → SYNCHRONIZING; SUSPEND /
 * RESUME; TIMEOUT; SET PARTNER OFF leaving both copies; restarts with `dataDir`.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { certificateDer, query, sql, stopAll, type Node } from "./helpers";
import { errorsOf, mirroringRow, mirroringTrio, seed, startSession, waitForNoSession, waitForState } from "./mirroringSupport";

afterEach(stopAll);

const lastLsn = (n: Node) => n.instance.engine.databases.get("Sales")!.lastLsn;
const bothAre = async (a: Node, b: Node, state: string) => Promise.all([waitForState(a, state), waitForState(b, state)]);

describe("the state follows the connections", () => {
  it("CONNECT revoked on the mirror and its connections cut → DISCONNECTED on both; granted again → caught up and SYNCHRONIZED", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await bothAre(a, b, "SYNCHRONIZED");
    await sql(b, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM a_login");
    // Connections are authorized when made: nothing changes until they are cut.
    expect((await mirroringRow(a))["mirroring_state_desc"]).toBe("SYNCHRONIZED");
    b.instance.faults.dropEndpointConnections();
    await bothAre(a, b, "DISCONNECTED");
    await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'while disconnected')");
    expect(lastLsn(b)).toBeLessThan(lastLsn(a)!);
    await sql(b, "GRANT CONNECT ON ENDPOINT::Mirroring TO a_login");
    await bothAre(a, b, "SYNCHRONIZED");
    expect(lastLsn(b)).toBe(lastLsn(a));
    await sql(a, "ALTER DATABASE Sales SET PARTNER FAILOVER");
    expect(await query(b, "SELECT id FROM Sales.dbo.orders")).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it("the principal's certificate dropped on the mirror, or the mirror's endpoint stopped → DISCONNECTED until repaired", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await bothAre(a, b, "SYNCHRONIZED");
    await sql(b, "DROP CERTIFICATE a_cert");
    b.instance.faults.dropEndpointConnections();
    await bothAre(a, b, "DISCONNECTED");
    const der = await certificateDer(a);
    await sql(b, `CREATE CERTIFICATE a_cert AUTHORIZATION a_user FROM BINARY = 0x${der.toString("hex")}`);
    await bothAre(a, b, "SYNCHRONIZED");
    await sql(b, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    await bothAre(a, b, "DISCONNECTED");
    await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'x')");
    await sql(b, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await bothAre(a, b, "SYNCHRONIZED");
    expect(lastLsn(b)).toBe(lastLsn(a));
  });
});

describe("settings", () => {
  it("SAFETY OFF runs asynchronously (SYNCHRONIZING), FULL again → SYNCHRONIZED; each change counts in mirroring_safety_sequence on both partners", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await bothAre(a, b, "SYNCHRONIZED");
    await sql(a, "ALTER DATABASE Sales SET PARTNER SAFETY OFF");
    const [pa, pb] = await bothAre(a, b, "SYNCHRONIZING");
    for (const row of [pa, pb]) expect(row).toMatchObject({ mirroring_safety_level: 1, mirroring_safety_level_desc: "OFF", mirroring_safety_sequence: 2 });
    await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'async')");
    await sql(a, "ALTER DATABASE Sales SET PARTNER SAFETY FULL");
    const [fa, fb] = await bothAre(a, b, "SYNCHRONIZED");
    for (const row of [fa, fb]) expect(row).toMatchObject({ mirroring_safety_level_desc: "FULL", mirroring_safety_sequence: 3 });
    expect(lastLsn(b)).toBe(lastLsn(a));
  });

  it("SUSPEND (on the mirror) stops the log on both partners; RESUME on the principal catches up", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await bothAre(a, b, "SYNCHRONIZED");
    await sql(b, "ALTER DATABASE Sales SET PARTNER SUSPEND");
    await bothAre(a, b, "SUSPENDED");
    const before = lastLsn(b);
    await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'suspended')");
    await waitForState(a, "SUSPENDED");
    expect(lastLsn(b)).toBe(before);
    expect(await errorsOf(b, "ALTER DATABASE Sales SET PARTNER RESUME")).toEqual([
      { number: 1470, message: 'The alter database for this partner config values may only be initiated on the current principal server for database "Sales".' },
    ]);
    await sql(a, "ALTER DATABASE Sales SET PARTNER RESUME");
    await bothAre(a, b, "SYNCHRONIZED");
    expect(lastLsn(b)).toBe(lastLsn(a));
  });
});

describe("SET PARTNER OFF", () => {
  it("ends the session on both partners and leaves both copies: the principal ONLINE with its rows, the mirror RESTORING (927); the witness forgets it", async () => {
    const { a, b, w } = await mirroringTrio({ witness: true });
    await seed(a, b);
    await startSession(a, b);
    await sql(a, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`);
    await bothAre(a, b, "SYNCHRONIZED");
    await sql(a, "ALTER DATABASE Sales SET PARTNER OFF");
    expect((await mirroringRow(a))["mirroring_guid"]).toBeNull();
    await waitForNoSession(b);
    expect(await query(w!, "SELECT * FROM sys.database_mirroring_witnesses")).toEqual([]);
    expect(await query(a, "SELECT state_desc FROM sys.databases WHERE name = N'Sales'")).toEqual([{ state_desc: "ONLINE" }]);
    expect(await query(b, "SELECT state_desc FROM sys.databases WHERE name = N'Sales'")).toEqual([{ state_desc: "RESTORING" }]);
    expect(await query(a, "SELECT id FROM Sales.dbo.orders")).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await errorsOf(b, "USE Sales")).toEqual([{ number: 927, message: "Database 'Sales' cannot be opened. It is in the middle of a restore." }]);
    // Nothing is recovered or dropped for the program; the mirror copy can start a new session.
    await startSession(a, b);
    await bothAre(a, b, "SYNCHRONIZED");
  });

  it("run on a partner cut off from the other: the other ends it when they reconnect", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await bothAre(a, b, "SYNCHRONIZED");
    await sql(b, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    await bothAre(a, b, "DISCONNECTED");
    await sql(b, "ALTER DATABASE Sales SET PARTNER OFF");
    expect((await mirroringRow(a))["mirroring_role_desc"]).toBe("PRINCIPAL");
    await sql(b, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await waitForNoSession(a);
  });
});

describe("restarts", () => {
  it("the session survives restart() with dataDir on either partner and on the witness, and what the principal committed meanwhile reaches the mirror", async () => {
    const [da, db, dw] = await Promise.all(["a", "b", "w"].map((n) => mkdtemp(path.join(os.tmpdir(), `mirroring-${n}-`))));
    const { a, b, w } = await mirroringTrio({ witness: true, aOptions: { dataDir: da }, bOptions: { dataDir: db }, witnessOptions: { dataDir: dw } });
    await seed(a, b);
    await startSession(a, b);
    await sql(a, "ALTER DATABASE Sales SET PARTNER TIMEOUT 25");
    const guid = (await bothAre(a, b, "SYNCHRONIZED"))[0]["mirroring_guid"];
    await b.instance.restart();
    await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'during the restart')");
    const bAgain: Node = { ...b, sa: b.instance.engine.openSession("sa") };
    await bothAre(a, bAgain, "SYNCHRONIZED");
    expect(lastLsn(bAgain)).toBe(lastLsn(a));
    await a.instance.restart();
    const aAgain: Node = { ...a, sa: a.instance.engine.openSession("sa") };
    const [ra, rb] = await bothAre(aAgain, bAgain, "SYNCHRONIZED");
    expect(ra).toMatchObject({ mirroring_guid: guid, mirroring_role_desc: "PRINCIPAL", mirroring_connection_timeout: 25 });
    expect(rb).toMatchObject({ mirroring_guid: guid, mirroring_role_desc: "MIRROR", mirroring_connection_timeout: 25 });
    await sql(aAgain, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`);
    await waitForState(bAgain, "SYNCHRONIZED", "Sales", "CONNECTED");
    await w!.instance.restart();
    const wAgain: Node = { ...w!, sa: w!.instance.engine.openSession("sa") };
    expect(await query(wAgain, "SELECT database_name, principal_server_name, mirror_server_name, mirroring_guid FROM sys.database_mirroring_witnesses")).toEqual([
      { database_name: "Sales", principal_server_name: "A", mirror_server_name: "B", mirroring_guid: guid },
    ]);
    await waitForState(aAgain, "SYNCHRONIZED", "Sales", "CONNECTED");
    await waitForState(bAgain, "SYNCHRONIZED", "Sales", "CONNECTED");
  });
});
