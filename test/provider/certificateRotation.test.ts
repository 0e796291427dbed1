/**
 * Automatic certificate rotation over TDS: the Certificate provider decides a due rotation in
 * `diff` from its state and the clock (no request), the replacement gets a new name and a validity
 * measured from the rotation, the renewed certificate is not due again, and a server whose clock is
 * behind the Pulumi machine's lets its endpoint switch to the renewed certificate at once (up to the
 * one-hour allowance; beyond it ALTER ENDPOINT refuses it, 28055, and the old one stays in use).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { DAY_MS, TEST_CLOCK_VARIABLE } from "../../provider/resources/certificateLifecycle";
import { reservePort } from "../support/ports";
import { Driven, NO_CHANGE, replaceOn, type Props } from "./driver";
import { catalogOf, connectionOf, cost, rowOf, sa, startInstances, stopInstances, warmPool } from "./support";

const HOUR = 3_600_000;
const T0 = new Date("2030-06-01T12:00:00Z");
const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

// Each instance's clock, moved by the tests (the Pulumi side's clock is the test-only variable).
const serverClock = { now: T0 };
let a: EmulatorInstance;

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "ROT", now: () => serverClock.now });
  await sa(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-rot-suite!1'");
});
afterEach(() => {
  delete process.env[TEST_CLOCK_VARIABLE];
  serverClock.now = T0;
});
afterAll(() => stopInstances([a]));

/** Sets the Pulumi machine's clock (the providers run in this process). */
function pulumiClock(d: Date): void {
  process.env[TEST_CLOCK_VARIABLE] = iso(d);
}

function args(overrides: Props = {}): Props {
  return { connection: connectionOf(a), subject: "mirroring rot", validityDays: 30, rotateBeforeDays: 10, ...overrides };
}

describe("automatic rotation decided by the Certificate provider", () => {
  it("replaces exactly from rotateBeforeDays before the expiry on, with no request, and never twice", async () => {
    const base = catalogOf(a);
    await warmPool(a);
    pulumiClock(T0);
    const cert = new Driven("Certificate");
    await cert.create(args());
    const expiry = new Date(T0.getTime() - HOUR + 30 * DAY_MS);
    expect(cert.state).toMatchObject({ startDate: iso(new Date(T0.getTime() - HOUR)), expiryDate: iso(expiry), rotateBeforeDays: 10 });
    const windowStart = expiry.getTime() - 10 * DAY_MS;

    pulumiClock(new Date(windowStart - 1000));
    const outside = await cost(a, () => cert.plan(args()));
    expect([outside.value.diff, outside.requests, outside.logins]).toEqual([NO_CHANGE, 0, 0]);

    pulumiClock(new Date(windowStart));
    serverClock.now = new Date(windowStart);
    const due = await cost(a, () => cert.plan(args()));
    expect([due.value.diff, due.requests, due.logins]).toEqual([replaceOn(["expiryDate"]), 0, 0]);
    // The engine's replacement: check without olds (a new generated name), create, delete the old one.
    const renewed = new Driven("Certificate");
    await renewed.create(args());
    expect(renewed.state.certificateName).not.toBe(cert.state.certificateName);
    expect(renewed.state.expiryDate).toBe(iso(new Date(windowStart - HOUR + 30 * DAY_MS)));
    await cert.delete();

    // The next run, at once or a second later, finds nothing due.
    expect((await renewed.plan(args())).diff).toEqual(NO_CHANGE);
    pulumiClock(new Date(windowStart + 1000));
    expect((await renewed.plan(args())).diff).toEqual(NO_CHANGE);
    // Turned off (or a fixed expiry date given instead), nothing is decided from the clock.
    pulumiClock(new Date(windowStart + 25 * DAY_MS));
    expect((await renewed.plan(args({ rotateBeforeDays: undefined }))).diff).toEqual(NO_CHANGE);
    expect((await renewed.plan(args())).diff).toEqual(replaceOn(["expiryDate"]));
    await renewed.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("check refuses nonsense combinations with 0 requests", async () => {
    await warmPool(a);
    const failures = async (overrides: Props) => {
      const r = await cost(a, () => new Driven("Certificate").check(args(overrides), {}));
      expect(r.requests).toBe(0);
      return Object.fromEntries(r.value.failures.map((f) => [f.property, f.reason]));
    };
    expect(await failures({ rotateBeforeDays: 30 })).toEqual({
      rotateBeforeDays: "must be less than validityDays (30), got 30: a renewed certificate would be due for rotation at once",
    });
    expect(await failures({ validityDays: undefined })).toEqual({
      rotateBeforeDays: "needs validityDays: the validity of each renewed certificate, e.g. validityDays: 365",
    });
    expect(await failures({ rotateBeforeDays: 2.5 })).toEqual({ rotateBeforeDays: "must be a whole number of days from 1 to 36499, got 2.5" });
  });
});

describe("clock skew between the Pulumi machine and the server", () => {
  /**
   * An endpoint on a certificate made a day earlier (both clocks agreeing then), then a renewal made
   * at the Pulumi clock T0 while the server's clock reads `serverNow`, and the endpoint's switch to it.
   */
  async function rotateWithServerAt(serverNow: Date): Promise<{ old: Driven; renewed: Driven; endpoint: Driven; switched: unknown }> {
    await warmPool(a);
    pulumiClock(new Date(T0.getTime() - DAY_MS));
    serverClock.now = new Date(T0.getTime() - DAY_MS);
    const old = new Driven("Certificate");
    await old.create(args());
    const endpoint = new Driven("MirroringEndpoint");
    const port = await reservePort();
    const endpointArgs = (certificateName: unknown) => ({ connection: connectionOf(a), port, certificateName, role: "ALL" });
    await endpoint.create(endpointArgs(old.state.certificateName));

    pulumiClock(T0);
    serverClock.now = serverNow;
    const renewed = new Driven("Certificate");
    await renewed.create(args());
    let switched: unknown;
    try {
      switched = await endpoint.update((await endpoint.plan(endpointArgs(renewed.state.certificateName))).inputs);
    } catch (e) {
      switched = e;
    }
    return { old, renewed, endpoint, switched };
  }

  async function cleanUp(r: { old: Driven; renewed: Driven; endpoint: Driven }): Promise<void> {
    await r.endpoint.delete();
    await r.renewed.delete();
    await r.old.delete();
  }

  it("a server 30 minutes behind takes the renewal at once: the endpoint switches to it", async () => {
    const base = catalogOf(a);
    const r = await rotateWithServerAt(new Date(T0.getTime() - 30 * 60_000));
    expect(r.switched).not.toBeInstanceOf(Error);
    expect(rowOf(a, "sys.certificates", "name", r.renewed.state.certificateName).start_date).toBe(new Date(T0.getTime() - HOUR).toISOString());
    expect(rowOf(a, "sys.database_mirroring_endpoints", "name", "hadr_endpoint").certificate_id).toBe(r.renewed.state.certificateId);
    await cleanUp(r);
    expect(catalogOf(a)).toEqual(base);
  });

  it("a server more than an hour behind refuses the switch (28055) and keeps the old certificate: the limit of the allowance", async () => {
    const base = catalogOf(a);
    const r = await rotateWithServerAt(new Date(T0.getTime() - 2 * HOUR));
    expect(r.switched).toBeInstanceOf(Error);
    expect(String((r.switched as Error).message)).toMatch(/28055/);
    expect(rowOf(a, "sys.database_mirroring_endpoints", "name", "hadr_endpoint").certificate_id).toBe(r.old.state.certificateId);
    await cleanUp(r);
    expect(catalogOf(a)).toEqual(base);
  });
});
