import { describe, expect, it } from "vitest";
import {
  CLOCK_SKEW_ALLOWANCE_MS,
  currentTime,
  DAY_MS,
  expiryNotice,
  expiryState,
  lifecycleProblems,
  rotationDue,
  rotationDueFromState,
  TEST_CLOCK_VARIABLE,
  validityWindow,
} from "../../../provider/resources/certificateLifecycle";

const EXPIRY = new Date("2031-03-31T00:00:00Z");
const at = (offsetMs: number) => new Date(EXPIRY.getTime() + offsetMs);
const SECOND = 1000;

describe("the clock", () => {
  it("is the system clock unless the test-only variable fixes it", () => {
    const before = Date.now();
    const now = currentTime({}).getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(currentTime({ [TEST_CLOCK_VARIABLE]: "" }).getTime()).toBeGreaterThanOrEqual(before);
    expect(currentTime({ [TEST_CLOCK_VARIABLE]: "2031-01-02T03:04:05Z" })).toEqual(new Date("2031-01-02T03:04:05Z"));
  });

  it("refuses a malformed fixed time, naming the variable", () => {
    expect(() => currentTime({ [TEST_CLOCK_VARIABLE]: "tomorrow" })).toThrow(
      "PULUMI_MSSQL_MIRRORING_TEST_NOW must be an ISO-8601 UTC date such as 2030-01-31 or 2030-01-31T00:00:00Z (got 'tomorrow'); it fixes the clock for tests only, so unset it to use the system clock",
    );
  });
});

describe("rotation decision", () => {
  it.each<[string, number, boolean]>([
    ["one second before the window", -10 * DAY_MS - SECOND, false],
    ["exactly at the window edge", -10 * DAY_MS, true],
    ["one second inside the window", -10 * DAY_MS + SECOND, true],
    ["at the expiry instant", 0, true],
    ["already expired", 3 * DAY_MS, true],
  ])("%s: due = %s", (_label, offset, due) => {
    expect(rotationDue(EXPIRY, 10, at(offset))).toBe(due);
  });

  const state = { expiryDate: "2031-03-31T00:00:00Z", validityDays: 90 };
  it("from state: only with rotateBeforeDays, no fixed expiry, and a stored expiry", () => {
    const inWindow = at(-DAY_MS);
    expect(rotationDueFromState(state, { rotateBeforeDays: 10 }, inWindow)).toBe(true);
    expect(rotationDueFromState(state, {}, inWindow)).toBe(false);
    expect(rotationDueFromState(state, { rotateBeforeDays: 10, expiryDate: "2031-03-31" }, inWindow)).toBe(false);
    expect(rotationDueFromState(state, { rotateBeforeDays: 2.5 }, inWindow)).toBe(false);
    expect(rotationDueFromState(state, { rotateBeforeDays: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }, inWindow)).toBe(false);
    // A pending create, or state written before the expiry was read, has nothing to decide from.
    expect(rotationDueFromState({}, { rotateBeforeDays: 10 }, inWindow)).toBe(false);
    expect(rotationDueFromState(state, { rotateBeforeDays: 10 }, at(-10 * DAY_MS - SECOND))).toBe(false);
  });

  it("a renewed certificate is not due again before validityDays - rotateBeforeDays have passed", () => {
    const rotatedAt = at(-10 * DAY_MS);
    const renewed = validityWindow(90, rotatedAt);
    expect(renewed.startDate).toEqual(new Date(rotatedAt.getTime() - CLOCK_SKEW_ALLOWANCE_MS));
    expect(renewed.expiryDate).toEqual(new Date(renewed.startDate.getTime() + 90 * DAY_MS));
    const nextWindow = renewed.expiryDate.getTime() - 10 * DAY_MS;
    expect(rotationDue(renewed.expiryDate, 10, rotatedAt)).toBe(false);
    expect(rotationDue(renewed.expiryDate, 10, new Date(nextWindow - SECOND))).toBe(false);
    expect(rotationDue(renewed.expiryDate, 10, new Date(nextWindow))).toBe(true);
  });

  it("clock skew: the decision reads only the Pulumi machine's clock against the recorded expiry, and the renewal starts an hour early", () => {
    // The expiry SQL Server records is the one the provider sent (measured on the Pulumi clock), so
    // a server clock minutes off moves nothing in the decision; only the server's view of validity
    // differs, which the hour of allowance covers (test/provider/certificateRotation.test.ts).
    const pulumiNow = new Date("2031-03-21T00:00:00Z");
    expect(rotationDue(EXPIRY, 10, pulumiNow)).toBe(true);
    expect(rotationDue(EXPIRY, 10, new Date(pulumiNow.getTime() - SECOND))).toBe(false);
    const window = validityWindow(30, new Date("2031-03-21T00:00:00.750Z"));
    // Whole seconds (certificate dates have none), an hour before the clock.
    expect(window.startDate.toISOString()).toBe("2031-03-20T23:00:00.000Z");
    const serverBehindBy59Minutes = new Date(pulumiNow.getTime() - 59 * 60_000);
    expect(window.startDate.getTime()).toBeLessThanOrEqual(serverBehindBy59Minutes.getTime());
  });

  it("a fixed start date is kept", () => {
    const start = new Date("2031-01-01T00:00:00Z");
    expect(validityWindow(10, new Date("2031-06-01T00:00:00Z"), start)).toEqual({ startDate: start, expiryDate: new Date("2031-01-11T00:00:00Z") });
  });
});

describe("expiry state", () => {
  it.each<[string, number, number, string]>([
    ["one second before the warning window", 30, -30 * DAY_MS - SECOND, "valid"],
    ["exactly at the warning window", 30, -30 * DAY_MS, "expiring"],
    ["at the expiry instant (still accepted)", 30, 0, "expiring"],
    ["one second after the expiry", 30, SECOND, "expired"],
    ["warnBeforeDays 0, a day before", 0, -DAY_MS, "valid"],
    ["warnBeforeDays 0, after the expiry", 0, SECOND, "expired"],
  ])("%s", (_label, warn, offset, state) => {
    expect(expiryState(EXPIRY, at(offset), warn)).toBe(state);
  });
});

describe("expiry messages", () => {
  const own = { instance: "sql-a", certificate: "mirroring_cert_1a2b3c4d" };
  const copy = { instance: "sql-b", certificate: "mirroring_sql-a_peer_0badf00d", peer: "sql-a" };

  it("says nothing while valid", () => {
    expect(expiryNotice(own, EXPIRY, at(-31 * DAY_MS), { warnBeforeDays: 30 })).toBeUndefined();
  });

  it("warns for an own certificate, with the way out", () => {
    expect(expiryNotice(own, EXPIRY, at(-12 * DAY_MS - SECOND), { warnBeforeDays: 30 })).toEqual({
      severity: "warning",
      message:
        "certificate [mirroring_cert_1a2b3c4d] of instance 'sql-a' expires on 2031-03-31T00:00:00Z, in 12 days (warnBeforeDays 30): from then on its peers refuse new connections from 'sql-a'; " +
        "rotate it before then: set certificate.rotateBeforeDays and run pulumi up on a schedule, or change certificate.validityDays (or subject) and run pulumi up",
    });
  });

  it("names the moment automatic rotation takes over", () => {
    expect(expiryNotice(own, EXPIRY, at(-DAY_MS - SECOND), { warnBeforeDays: 15, rotateBeforeDays: 1 })!.message).toBe(
      "certificate [mirroring_cert_1a2b3c4d] of instance 'sql-a' expires on 2031-03-31T00:00:00Z, in 1 day (warnBeforeDays 15): from then on its peers refuse new connections from 'sql-a'; " +
        "it is rotated by the first pulumi up from 2031-03-30T00:00:00Z (rotateBeforeDays 1)",
    );
    expect(expiryNotice(own, EXPIRY, at(-SECOND), { warnBeforeDays: 15 })!.message).toContain("expires on 2031-03-31T00:00:00Z, in less than a day (warnBeforeDays 15)");
  });

  it("is an error once expired", () => {
    expect(expiryNotice(own, EXPIRY, at(SECOND), { warnBeforeDays: 30 })).toEqual({
      severity: "error",
      message:
        "certificate [mirroring_cert_1a2b3c4d] of instance 'sql-a' expired on 2031-03-31T00:00:00Z: its peers refuse new connections from 'sql-a' (established connections last until they drop); " +
        "rotate it now: change certificate.validityDays (or subject) and run pulumi up, or set certificate.rotateBeforeDays",
    });
    expect(expiryNotice(own, EXPIRY, at(SECOND), { warnBeforeDays: 30, rotateBeforeDays: 10 })!.message).toMatch(/; the next pulumi up rotates it$/);
  });

  it("names the receiving instance and the peer for an imported copy", () => {
    expect(expiryNotice(copy, EXPIRY, at(-2 * DAY_MS), { warnBeforeDays: 30 })!.message).toBe(
      "certificate [mirroring_sql-a_peer_0badf00d] imported on instance 'sql-b' for peer 'sql-a' expires on 2031-03-31T00:00:00Z, in 2 days (warnBeforeDays 30): from then on 'sql-b' refuses new connections from 'sql-a'; " +
        "rotate the certificate of 'sql-a' and import its new public key on 'sql-b' (a MirroringTopology does both in one pulumi up)",
    );
    expect(expiryNotice(copy, EXPIRY, at(DAY_MS), { warnBeforeDays: 30 })!.message).toBe(
      "certificate [mirroring_sql-a_peer_0badf00d] imported on instance 'sql-b' for peer 'sql-a' expired on 2031-03-31T00:00:00Z: 'sql-b' refuses new connections from 'sql-a' (established connections last until they drop); " +
        "rotate the certificate of 'sql-a' and import its new public key on 'sql-b' (a MirroringTopology does both in one pulumi up)",
    );
  });

  it("quotes a certificate name the way T-SQL does", () => {
    expect(expiryNotice({ instance: "x", certificate: "a]b" }, EXPIRY, at(SECOND), { warnBeforeDays: 0 })!.message).toMatch(/^certificate \[a\]\]b\] of instance 'x'/);
  });
});

describe("lifecycle settings", () => {
  const reasonsOf = (s: Parameters<typeof lifecycleProblems>[0]) => lifecycleProblems(s).map((p) => `${p.property} ${p.reason}`);

  it("accepts sensible combinations", () => {
    expect(reasonsOf({})).toEqual([]);
    expect(reasonsOf({ validityDays: 365, rotateBeforeDays: 30, warnBeforeDays: 45 })).toEqual([]);
    expect(reasonsOf({ validityDays: 2, rotateBeforeDays: 1, warnBeforeDays: 0 })).toEqual([]);
    // Warnings need no validity and go with fixed dates too.
    expect(reasonsOf({ warnBeforeDays: 60, hasExpiryDate: true, hasStartDate: true })).toEqual([]);
  });

  it.each<[string, Parameters<typeof lifecycleProblems>[0], string]>([
    ["rotateBeforeDays equal to validityDays", { validityDays: 30, rotateBeforeDays: 30 }, "rotateBeforeDays must be less than validityDays (30), got 30: a renewed certificate would be due for rotation at once"],
    ["rotateBeforeDays above validityDays", { validityDays: 30, rotateBeforeDays: 45 }, "rotateBeforeDays must be less than validityDays (30), got 45: a renewed certificate would be due for rotation at once"],
    ["a negative rotateBeforeDays", { validityDays: 30, rotateBeforeDays: -1 }, "rotateBeforeDays must be a whole number of days from 1 to 36499, got -1"],
    ["a zero rotateBeforeDays (rotating at the expiry is too late)", { validityDays: 30, rotateBeforeDays: 0 }, "rotateBeforeDays must be a whole number of days from 1 to 36499, got 0"],
    ["a fractional rotateBeforeDays", { validityDays: 30, rotateBeforeDays: 1.5 }, "rotateBeforeDays must be a whole number of days from 1 to 36499, got 1.5"],
    ["a string rotateBeforeDays", { validityDays: 30, rotateBeforeDays: "10" }, 'rotateBeforeDays must be a whole number of days from 1 to 36499, got "10"'],
    ["rotation without a validity", { rotateBeforeDays: 10 }, "rotateBeforeDays needs validityDays: the validity of each renewed certificate, e.g. validityDays: 365"],
    [
      "rotation with a fixed expiry date",
      { rotateBeforeDays: 10, hasExpiryDate: true },
      "rotateBeforeDays cannot be combined with expiryDate: a renewed certificate would get the same expiry date and be due again at once; give validityDays (the validity of each renewed certificate) instead",
    ],
    [
      "rotation with a fixed start date",
      { rotateBeforeDays: 10, validityDays: 30, hasStartDate: true },
      "rotateBeforeDays cannot be combined with startDate: a renewed certificate would get the same dates and be due again at once; give validityDays (the validity of each renewed certificate) instead",
    ],
    [
      "rotation with a fixed name",
      { rotateBeforeDays: 10, validityDays: 30, hasName: true },
      "rotateBeforeDays cannot be combined with a fixed name: a renewal is created beside the old certificate, which its endpoint still uses, so it needs a new generated name; leave name unset",
    ],
    ["a negative warnBeforeDays", { warnBeforeDays: -1 }, "warnBeforeDays must be a whole number of days from 0 to 36500, got -1"],
    ["a fractional warnBeforeDays", { warnBeforeDays: 0.5 }, "warnBeforeDays must be a whole number of days from 0 to 36500, got 0.5"],
  ])("refuses %s", (_label, settings, reason) => {
    expect(reasonsOf(settings)).toEqual([reason]);
  });
});
