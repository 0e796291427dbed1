/**
 * Database mirroring sessions in the emulator: seeding, SET PARTNER in SQL Server's order, the
 * views on both partners and the witness, log shipping, failovers manual and automatic.
 */
import { afterEach, describe, expect, it } from "vitest";
import { query, sql, stopAll } from "./helpers";
import { errorsOf, mirroringRow, mirroringTrio, seed, startSession, waitForState } from "./mirroringSupport";

afterEach(stopAll);

describe("a mirroring session", () => {
  it("starts mirror first, then principal, and reaches SYNCHRONIZED with the rows on the mirror", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    const principal = await waitForState(a, "SYNCHRONIZED");
    const mirror = await waitForState(b, "SYNCHRONIZED");
    expect(principal).toMatchObject({ mirroring_role_desc: "PRINCIPAL", mirroring_partner_name: b.url, mirroring_partner_instance: "B", mirroring_safety_level_desc: "FULL" });
    expect(mirror).toMatchObject({ mirroring_role_desc: "MIRROR", mirroring_partner_name: a.url, mirroring_partner_instance: "A" });
    await sql(a, "INSERT INTO Sales.dbo.orders VALUES (3, N'third')");
    await waitForState(a, "SYNCHRONIZED");
    expect(await errorsOf(b, "USE Sales")).toEqual([{ number: 954, message: 'The database "Sales" cannot be opened. It is acting as a mirror database.' }]);
    await sql(a, "ALTER DATABASE Sales SET PARTNER FAILOVER");
    await waitForState(b, "SYNCHRONIZED");
    expect((await mirroringRow(b)).mirroring_role_desc).toBe("PRINCIPAL");
    expect(await query(b, "SELECT id, item FROM Sales.dbo.orders")).toEqual([
      { id: 1, item: "first" },
      { id: 2, item: "second" },
      { id: 3, item: "third" },
    ]);
  });
});
