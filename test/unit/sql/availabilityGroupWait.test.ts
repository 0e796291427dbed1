import { describe, expect, it } from "vitest";
import { availabilityGroupQuery } from "../../../provider/sql/availabilityGroupCatalog";
import type { SqlServerError } from "../../../provider/sql/errors";
import {
  describeConnectError,
  MAX_POLLS,
  pollUntil,
  synchronizationLag,
  synchronizationTargets,
  waitForDatabaseSynchronized,
  waitForReplicaConnected,
  type WaitOptions,
} from "../../../provider/sql/objects/availabilityGroupWait";
import { databaseReplicaRow, groupRow, localRow, replicaRow, seedingRow } from "./availabilityGroupFakes";
import { FakeClient } from "./fakes";

/** A fake clock: `sleep` advances it, so a wait's bound is checked without real time passing. */
function clock(timeoutMs: number, extra: Partial<WaitOptions> = {}) {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    options: { timeoutMs, now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)), ...extra } satisfies WaitOptions,
  };
}

describe("pollUntil", () => {
  it("polls at once, then backs off 250, 500, 1000, 2000, 2000 … and never sleeps past the deadline", async () => {
    const { options, sleeps } = clock(6000);
    let n = 0;
    const outcome = await pollUntil(async () => ++n, () => false, options);
    expect(sleeps).toEqual([250, 500, 1000, 2000, 2000, 250]);
    expect(outcome).toEqual({ value: 7, settled: false, polls: 7, elapsedMs: 6000 });
  });

  it("stops as soon as the value settles", async () => {
    const { options, sleeps } = clock(60_000);
    let n = 0;
    await expect(pollUntil(async () => ++n, (v) => v === 3, options)).resolves.toMatchObject({ value: 3, settled: true, polls: 3 });
    expect(sleeps).toEqual([250, 500]);
  });

  it("a zero timeout polls once; a clock that never moves still stops after MAX_POLLS", async () => {
    await expect(pollUntil(async () => 1, () => false, { timeoutMs: 0, now: () => 0, sleep: async () => {} })).resolves.toMatchObject({ polls: 1, settled: false });
    await expect(pollUntil(async () => 1, () => false, { timeoutMs: 1000, now: () => 0, sleep: async () => {} })).resolves.toMatchObject({ polls: MAX_POLLS });
  });
});

describe("waitForReplicaConnected", () => {
  it("returns the replica once it is CONNECTED", async () => {
    const client = new FakeClient([[[localRow("SQL-B", "SECONDARY", { connected_state_desc: "DISCONNECTED" })]], [[localRow("SQL-B", "SECONDARY")]]]);
    const { options } = clock(10_000);
    await expect(waitForReplicaConnected(client, "ag1", "SQL-B", options)).resolves.toMatchObject({ state: { connectedState: "CONNECTED" } });
    expect(client.requests).toHaveLength(2);
  });

  it("fails at the deadline naming the replica and SQL Server's last connection error, with the advice for it", async () => {
    const row = localRow("SQL-B", "SECONDARY", {
      connected_state_desc: "DISCONNECTED",
      last_connect_error_number: 28034,
      last_connect_error_description: "Connection handshake failed. The login 'mirroring_sql-b_login' does not have CONNECT permission on the endpoint. State 84.",
    });
    const client = new FakeClient(Array.from({ length: 20 }, () => [[row]]));
    const { options } = clock(3000);
    const error = (await waitForReplicaConnected(client, "ag1", "SQL-B", options).catch((e: unknown) => e)) as SqlServerError;
    expect(error.code).toBe("ENOTCONNECTED");
    expect(error.message).toBe(
      "unable to wait for the connection of availability replica [SQL-B] of availability group [ag1] on sql1:1433: replica 'SQL-B' is DISCONNECTED after 3 s: " +
        "SQL Server's last connection error is Connection handshake failed. The login 'mirroring_sql-b_login' does not have CONNECT permission on the endpoint. State 84. (Msg 28034) — " +
        "the connecting replica's login lacks CONNECT on this endpoint: grant it (EndpointPermission), or run pulumi up to repair a revoked grant",
    );
  });

  it("a replica that left the group is not waited for", async () => {
    const client = new FakeClient([[[]]]);
    await expect(waitForReplicaConnected(client, "ag1", "SQL-B", clock(10_000).options)).rejects.toMatchObject({ code: "ENOTJOINED" });
    expect(client.requests).toHaveLength(1);
  });

  it("with no error reported, says what to check", () => {
    expect(describeConnectError(null)).toBe(
      "SQL Server reports no connection error: check that each replica's endpoint URL is reachable from the others and that the endpoints are STARTED",
    );
  });
});

describe("synchronization targets", () => {
  const group = (primaryMode: string) =>
    availabilityGroupQuery("ag1").map([
      [groupRow()],
      [
        replicaRow("SQL-A", { availability_mode_desc: primaryMode }),
        replicaRow("SQL-B"),
        replicaRow("SQL-C", { availability_mode_desc: "ASYNCHRONOUS_COMMIT" }),
        replicaRow("SQL-W", { availability_mode_desc: "CONFIGURATION_ONLY" }),
      ],
      [],
    ])!;

  it("SYNCHRONIZED for synchronous secondaries of a synchronous primary, SYNCHRONIZING otherwise; no target for the primary or a configuration-only replica", () => {
    expect([...synchronizationTargets(group("SYNCHRONOUS_COMMIT"), "sql-a")]).toEqual([
      ["SQL-B", "SYNCHRONIZED"],
      ["SQL-C", "SYNCHRONIZING"],
    ]);
    // An asynchronous primary commits asynchronously for every secondary.
    expect([...synchronizationTargets(group("ASYNCHRONOUS_COMMIT"), "SQL-A")]).toEqual([
      ["SQL-B", "SYNCHRONIZING"],
      ["SQL-C", "SYNCHRONIZING"],
    ]);
  });

  it("lag: what is missing per replica, seeding failures marked", () => {
    const targets = new Map([
      ["SQL-B", "SYNCHRONIZED" as const],
      ["SQL-C", "SYNCHRONIZING" as const],
      ["SQL-D", "SYNCHRONIZING" as const],
    ]);
    const record = {
      name: "sales",
      replicas: [
        { serverName: "SQL-B", isPrimary: false, synchronizationState: "SYNCHRONIZING" as const, synchronizationHealth: "PARTIALLY_HEALTHY" as const, databaseState: "ONLINE", suspended: false, suspendReason: null },
        { serverName: "SQL-C", isPrimary: false, synchronizationState: "SYNCHRONIZED" as const, synchronizationHealth: "HEALTHY" as const, databaseState: "ONLINE", suspended: false, suspendReason: null },
      ],
      seeding: [{ serverName: "SQL-D", currentState: "FAILED", failureState: "Seeding Check Message Timeout", errorCode: 21 }],
    };
    expect(synchronizationLag(record, targets)).toEqual([
      { serverName: "SQL-B", target: "SYNCHRONIZED", state: "SYNCHRONIZING", seeding: null, failed: false },
      { serverName: "SQL-D", target: "SYNCHRONIZING", state: null, seeding: "automatic seeding FAILED (Seeding Check Message Timeout, error 21)", failed: true },
    ]);
  });
});

describe("waitForDatabaseSynchronized", () => {
  const targets = new Map([["SQL-B", "SYNCHRONIZED" as const]]);
  const reply = (state: string, seeding: ReturnType<typeof seedingRow>[] = []) => [[{ database_name: "sales" }], [databaseReplicaRow("SQL-A", { is_primary_replica: true }), databaseReplicaRow("SQL-B", { synchronization_state_desc: state })], seeding];

  it("returns once every target is met", async () => {
    const client = new FakeClient([reply("SYNCHRONIZING"), reply("SYNCHRONIZED")]);
    await expect(waitForDatabaseSynchronized(client, "ag1", "sales", targets, clock(30_000).options)).resolves.toMatchObject({ name: "sales" });
    expect(client.requests).toHaveLength(2);
  });

  it("fails fast when automatic seeding FAILED, without waiting for the deadline", async () => {
    const client = new FakeClient([reply("NOT SYNCHRONIZING", [seedingRow("SQL-B", { current_state: "FAILED", failure_state_desc: "Seeding Check Message Timeout", error_code: 21 })])]);
    const probe = async (serverName: string) => `its own view: ${serverName} is DISCONNECTED`;
    const error = (await waitForDatabaseSynchronized(client, "ag1", "sales", targets, clock(30_000).options, probe).catch((e: unknown) => e)) as SqlServerError;
    expect(error.code).toBe("ESEEDINGFAILED");
    expect(error.message).toBe(
      "unable to wait for the synchronization of availability database [sales] of availability group [ag1] on sql1:1433: automatic seeding failed: " +
        "replica 'SQL-B' is NOT SYNCHRONIZING (wanted SYNCHRONIZED), automatic seeding FAILED (Seeding Check Message Timeout, error 21); its own view: SQL-B is DISCONNECTED — " +
        "check that the secondary granted CREATE ANY DATABASE to the group, has the primary's data and log paths, and has room for the copy",
    );
    expect(client.requests).toHaveLength(1);
  });

  it("at the deadline, names each lagging replica", async () => {
    const client = new FakeClient(Array.from({ length: 20 }, () => [[{ database_name: "sales" }], [databaseReplicaRow("SQL-A", { is_primary_replica: true })], []]));
    const error = (await waitForDatabaseSynchronized(client, "ag1", "sales", targets, clock(1000).options).catch((e: unknown) => e)) as SqlServerError;
    expect(error.code).toBe("ENOTSYNCHRONIZED");
    expect(error.message).toMatch(/: not synchronized after 1 s: replica 'SQL-B' is without a copy yet \(wanted SYNCHRONIZED\) — raise the wait \(synchronizationTimeoutSeconds\)/);
  });

  it("a database removed out of band ends the wait", async () => {
    await expect(waitForDatabaseSynchronized(new FakeClient([[[], [], []]]), "ag1", "sales", targets, clock(1000).options)).rejects.toMatchObject({ code: "ENOTINGROUP" });
  });
});
