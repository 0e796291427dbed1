/** The bounded mirroring waits on a fake clock: when they settle, when they fail fast, and what their errors say. */
import { describe, expect, it } from "vitest";
import type { SqlServerError } from "../../../provider/sql/errors";
import { mirroringPartnerQuery } from "../../../provider/sql/mirroringCatalog";
import type { WaitOptions } from "../../../provider/sql/objects/availabilityGroupWait";
import { mirroringLag, mirroringTargetFor, waitForMirroringSynchronized, waitForPrincipalRole } from "../../../provider/sql/objects/mirroringWait";
import { FakeClient } from "./fakes";
import { databaseRow, partnerReply, sessionRow, witnessed } from "./mirroringFakes";

function clock(timeoutMs: number): { options: WaitOptions; sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return { sleeps, options: { timeoutMs, now: () => t, sleep: async (ms) => void (sleeps.push(ms), (t += ms)) } };
}
const failureOf = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as SqlServerError;
const record = (row: ReturnType<typeof sessionRow>) => mirroringPartnerQuery("sales").map(partnerReply("SQL-A", row));

describe("targets and lag", () => {
  it("FULL waits for SYNCHRONIZED, OFF for SYNCHRONIZING or SYNCHRONIZED; a declared witness must be CONNECTED", () => {
    expect(mirroringTargetFor("FULL", true)).toEqual({ state: "SYNCHRONIZED", witness: true });
    expect(mirroringTargetFor("OFF", false)).toEqual({ state: "SYNCHRONIZING", witness: false });
    expect(mirroringLag(record(sessionRow("PRINCIPAL")), mirroringTargetFor("FULL", false))).toEqual([]);
    expect(mirroringLag(record(sessionRow("PRINCIPAL", { mirroring_state_desc: "SYNCHRONIZING" })), mirroringTargetFor("OFF", false))).toEqual([]);
    expect(mirroringLag(record(sessionRow("PRINCIPAL", { mirroring_state_desc: "SYNCHRONIZING" })), mirroringTargetFor("FULL", true))).toEqual([
      "mirroring is SYNCHRONIZING (wanted SYNCHRONIZED)",
      "no witness is set",
    ]);
    expect(mirroringLag(record(witnessed("PRINCIPAL", { mirroring_state_desc: "DISCONNECTED", mirroring_witness_state_desc: "DISCONNECTED" })), mirroringTargetFor("OFF", true))).toEqual([
      "mirroring is DISCONNECTED (wanted SYNCHRONIZING or SYNCHRONIZED)",
      "the witness TCP://sql-w.corp:5024 is DISCONNECTED (wanted CONNECTED)",
    ]);
    expect(mirroringLag(record(databaseRow()), mirroringTargetFor("FULL", false))).toEqual(["the database is in no mirroring session"]);
  });
});

describe("waitForMirroringSynchronized", () => {
  it("polls the principal until SYNCHRONIZED with the witness CONNECTED", async () => {
    const client = new FakeClient([
      partnerReply("SQL-A", witnessed("PRINCIPAL", { mirroring_state_desc: "SYNCHRONIZING", mirroring_witness_state_desc: "UNKNOWN" })),
      partnerReply("SQL-A", witnessed("PRINCIPAL", { mirroring_witness_state_desc: "DISCONNECTED" })),
      partnerReply("SQL-A", witnessed("PRINCIPAL")),
    ]);
    const { options, sleeps } = clock(60_000);
    await expect(waitForMirroringSynchronized(client, "sales", mirroringTargetFor("FULL", true), options)).resolves.toMatchObject({ database: { session: { state: "SYNCHRONIZED", witnessState: "CONNECTED" } } });
    expect([client.requests.length, sleeps]).toEqual([3, [250, 500]]);
  });

  it("fails at the deadline naming the principal, what SQL Server shows and what the mirror reports", async () => {
    const stuck = partnerReply("SQL-A", witnessed("PRINCIPAL", { mirroring_state_desc: "DISCONNECTED", mirroring_witness_state_desc: "CONNECTED" }));
    const client = new FakeClient(Array.from({ length: 20 }, () => stuck));
    const { options } = clock(3000);
    const error = await failureOf(waitForMirroringSynchronized(client, "sales", mirroringTargetFor("FULL", true), options, async () => "the mirror 'SQL-B' (b:1) reports DISCONNECTED"));
    expect(error.code).toBe("ENOTSYNCHRONIZED");
    expect(error.message).toBe(
      "unable to wait for the synchronization of mirroring session of database [sales] on principal 'SQL-A' on sql1:1433: after 3 s, mirroring is DISCONNECTED (wanted SYNCHRONIZED); " +
        "the mirror 'SQL-B' (b:1) reports DISCONNECTED — check that each partner (and the witness) reaches the others' endpoints and trusts them (certificates, CONNECT on the endpoints), " +
        "or raise waitTimeoutMs for a large database",
    );
  });

  it("a SUSPENDED session fails at once, and says why it is never resumed for the program", async () => {
    const client = new FakeClient([partnerReply("SQL-A", sessionRow("PRINCIPAL", { mirroring_state_desc: "SUSPENDED" }))]);
    const error = await failureOf(waitForMirroringSynchronized(client, "sales", mirroringTargetFor("FULL", false), clock(60_000).options));
    expect([error.code, client.requests.length]).toEqual(["ESUSPENDED", 1]);
    expect(error.message).toMatch(/mirroring is SUSPENDED \(paused by hand, a redo error, or a forced service\): find out why, then resume it yourself \(ALTER DATABASE \[sales\] SET PARTNER RESUME on the principal;/);
  });

  it("a session ended, or a failover during the wait, stop it with their own codes", async () => {
    const ended = await failureOf(waitForMirroringSynchronized(new FakeClient([partnerReply("SQL-A", databaseRow())]), "sales", mirroringTargetFor("FULL", false), clock(60_000).options));
    expect(ended.code).toBe("ENOSESSION");
    const moved = await failureOf(waitForMirroringSynchronized(new FakeClient([partnerReply("SQL-A", sessionRow("MIRROR"))]), "sales", mirroringTargetFor("FULL", false), clock(60_000).options));
    expect(moved.code).toBe("EROLECHANGED");
  });

  it("a zero wait polls once", async () => {
    const client = new FakeClient([partnerReply("SQL-A", sessionRow("PRINCIPAL", { mirroring_state_desc: "SYNCHRONIZING" }))]);
    const error = await failureOf(waitForMirroringSynchronized(client, "sales", mirroringTargetFor("FULL", false), { timeoutMs: 0 }));
    expect([error.code, client.requests.length]).toEqual(["ENOTSYNCHRONIZED", 1]);
  });
});

describe("waitForPrincipalRole", () => {
  it("returns once the copy is PRINCIPAL; fails naming the role it still shows", async () => {
    const ok = new FakeClient([partnerReply("SQL-B", sessionRow("MIRROR")), partnerReply("SQL-B", sessionRow("PRINCIPAL"))]);
    await expect(waitForPrincipalRole(ok, "sales", clock(10_000).options)).resolves.toMatchObject({ serverName: "SQL-B" });
    const stuck = new FakeClient(Array.from({ length: 10 }, () => partnerReply("SQL-B", sessionRow("MIRROR", { mirroring_state_desc: "SYNCHRONIZING" }))));
    const error = await failureOf(waitForPrincipalRole(stuck, "sales", clock(1000).options));
    expect(error.message).toBe(
      "unable to wait for the principal role of mirroring session of database [sales] on 'SQL-B' on sql1:1433: after 1 s its copy is MIRROR (SYNCHRONIZING), not PRINCIPAL: run pulumi refresh to see where the session stands",
    );
  });
});
