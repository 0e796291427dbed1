import { describe, expect, it } from "vitest";
import { certificateProvider, DEFAULT_CERTIFICATE_SUBJECT } from "../../../provider/resources/certificate";
import { check, connection, failuresOf, UNKNOWN } from "./fixtures";

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 19) + "Z";

describe("Certificate check", () => {
  it("generates a name once and keeps it", async () => {
    const first = await check(certificateProvider, { connection });
    expect(first.inputs.name).toMatch(/^mirroring_cert_[0-9a-f]{8}$/);
    expect(first.inputs.subject).toBe(DEFAULT_CERTIFICATE_SUBJECT);
    const again = await check(certificateProvider, { connection }, first.inputs);
    expect(again.inputs.name).toBe(first.inputs.name);
  });

  it("uses the prefix and a given name", async () => {
    expect((await check(certificateProvider, { connection, namePrefix: "sqlA" })).inputs.name).toMatch(/^sqlA_[0-9a-f]{8}$/);
    expect((await check(certificateProvider, { connection, name: "cert ]'" })).inputs.name).toBe("cert ]'");
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ["a 129-character name", { name: "n".repeat(129) }, "name", "is 129 characters long; SQL Server names hold at most 128, so shorten it"],
    ["an empty name", { name: "" }, "name", "must not be empty"],
    ["a 129-character subject", { subject: "s".repeat(129) }, "subject", "is 129 characters long; SQL Server accepts at most 128, so shorten it"],
    ["a local start date", { startDate: "2030-01-01T00:00:00+02:00" }, "startDate", "must be an ISO-8601 UTC date such as 2030-01-31 or 2030-01-31T00:00:00Z (got '2030-01-01T00:00:00+02:00')"],
    ["zero validity days", { validityDays: 0 }, "validityDays", "must be a whole number from 1 to 36500, got 0"],
  ])("rejects %s", async (_label, override, property, reason) => {
    expect(await failuresOf(certificateProvider, { connection, ...override })).toEqual({ [property]: reason });
  });

  it("rejects an expiry before the start", async () => {
    const f = await failuresOf(certificateProvider, { connection, startDate: future(10), expiryDate: future(5) });
    expect(f.expiryDate).toMatch(/^expiry date .* must be after the start date /);
  });

  it("rejects an expiry in the past", async () => {
    const f = await failuresOf(certificateProvider, { connection, expiryDate: "2020-01-01" });
    expect(f.expiryDate).toBe("expiry date 2020-01-01T00:00:00Z is in the past; an endpoint cannot use an expired certificate");
  });

  it("rejects expiryDate together with validityDays", async () => {
    expect((await failuresOf(certificateProvider, { connection, expiryDate: future(30), validityDays: 30 })).validityDays).toBe(
      "cannot be combined with expiryDate: give one of them",
    );
  });

  it("skips unknown values", async () => {
    expect(await failuresOf(certificateProvider, { connection, subject: UNKNOWN, expiryDate: UNKNOWN, name: UNKNOWN })).toEqual({});
  });
});

describe("Certificate diff", () => {
  const state = {
    connection,
    name: "c1",
    subject: "S",
    startDate: "2026-01-01T00:00:00Z",
    expiryDate: "2027-01-01T00:00:00Z",
    validityDays: undefined,
  };
  const news = { connection, name: "c1", subject: "S" };

  it.each<[string, Record<string, unknown>, string[]]>([
    ["nothing", {}, []],
    ["the name", { name: "c2" }, ["name"]],
    ["the subject", { subject: "T" }, ["subject"]],
    ["the start date", { startDate: "2026-02-01T00:00:00Z" }, ["startDate"]],
    ["the expiry date", { expiryDate: "2028-01-01" }, ["expiryDate"]],
    ["the validity", { validityDays: 90 }, ["validityDays"]],
    ["the server", { connection: { ...connection, server: "other" } }, ["connection"]],
  ])("changing %s replaces exactly that", async (_label, change, replaces) => {
    const d = await certificateProvider.diff!("id", state, { ...news, ...change });
    expect(d.replaces).toEqual(replaces);
    expect(d.changes).toBe(replaces.length > 0);
  });

  it("sees the same instant in another spelling as no change", async () => {
    const d = await certificateProvider.diff!("id", state, { ...news, expiryDate: "2027-01-01", startDate: "2026-01-01T00:00:00.000Z" });
    expect(d.changes).toBe(false);
  });

  it("deletes before replacing a fixed name, creates first for a new name", async () => {
    expect((await certificateProvider.diff!("id", state, { ...news, subject: "T" })).deleteBeforeReplace).toBe(true);
    expect((await certificateProvider.diff!("id", state, { ...news, name: "c2", subject: "T" })).deleteBeforeReplace).toBe(false);
  });

  it("creates a generated-name replacement beside the old certificate (rotation)", async () => {
    const d = await certificateProvider.diff!("id", { ...state, autoNamed: true }, { ...news, autoNamed: true, validityDays: 400 });
    expect(d).toEqual({ changes: true, replaces: ["validityDays"], deleteBeforeReplace: false });
  });

  it("regenerates a generated name only when check runs without olds (the engine's replacement re-check)", async () => {
    const kept = await check(certificateProvider, { connection }, { name: "mirroring_cert_0000abcd", autoNamed: true });
    expect(kept.inputs).toMatchObject({ name: "mirroring_cert_0000abcd", autoNamed: true });
    const fresh = await check(certificateProvider, { connection });
    expect(fresh.inputs.name).not.toBe("mirroring_cert_0000abcd");
    const given = await check(certificateProvider, { connection }, { name: "fixed", autoNamed: false });
    expect(given.inputs.name).not.toBe("fixed");
  });

  it("updates in place when only the password changes", async () => {
    const d = await certificateProvider.diff!("id", state, { ...news, connection: { ...connection, password: "new" } });
    expect(d).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
});

describe("Certificate automatic rotation", () => {
  const CLOCK = "PULUMI_MSSQL_MIRRORING_TEST_NOW";
  const state = { connection, name: "mirroring_cert_0000abcd", autoNamed: true, subject: "S", startDate: "2030-12-31T23:00:00Z", expiryDate: "2031-01-30T23:00:00Z", validityDays: 30, rotateBeforeDays: 10 };
  const news = { connection, name: "mirroring_cert_0000abcd", autoNamed: true, subject: "S", validityDays: 30, rotateBeforeDays: 10 };
  const diffAt = async (now: string, n: Record<string, unknown> = news, s: Record<string, unknown> = state) => {
    process.env[CLOCK] = now;
    try {
      return await certificateProvider.diff!("id", s, n);
    } finally {
      delete process.env[CLOCK];
    }
  };

  it("replaces (create-before-delete) from exactly rotateBeforeDays before the stored expiry", async () => {
    expect(await diffAt("2031-01-20T22:59:59Z")).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await diffAt("2031-01-20T23:00:00Z")).toEqual({ changes: true, replaces: ["expiryDate"], deleteBeforeReplace: false });
    expect(await diffAt("2031-02-05T00:00:00Z")).toEqual({ changes: true, replaces: ["expiryDate"], deleteBeforeReplace: false });
  });

  it("does not rotate without rotateBeforeDays, a pending create, or when another change replaces it anyway", async () => {
    const { rotateBeforeDays: _r, ...off } = news;
    void _r;
    expect((await diffAt("2031-01-25T00:00:00Z", off)).changes).toBe(false);
    expect((await diffAt("2031-01-25T00:00:00Z", news, { ...state, createPending: true })).replaces).toEqual([]);
    expect((await diffAt("2031-01-25T00:00:00Z", { ...news, subject: "T" })).replaces).toEqual(["subject"]);
    // Changing only the window is no change to SQL Server (the next run decides with the new one).
    expect((await diffAt("2031-01-01T00:00:00Z", { ...news, rotateBeforeDays: 20 })).changes).toBe(false);
    expect((await diffAt("2031-01-11T00:00:00Z", { ...news, rotateBeforeDays: 20 })).replaces).toEqual(["expiryDate"]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["rotateBeforeDays >= validityDays", { validityDays: 30, rotateBeforeDays: 30 }, "must be less than validityDays (30), got 30: a renewed certificate would be due for rotation at once"],
    ["rotation without validityDays", { rotateBeforeDays: 10 }, "needs validityDays: the validity of each renewed certificate, e.g. validityDays: 365"],
    ["a negative window", { validityDays: 30, rotateBeforeDays: -5 }, "must be a whole number of days from 1 to 36499, got -5"],
    ["a fractional window", { validityDays: 30, rotateBeforeDays: 0.5 }, "must be a whole number of days from 1 to 36499, got 0.5"],
  ])("check refuses %s", async (_label, override, reason) => {
    expect(await failuresOf(certificateProvider, { connection, ...override })).toEqual({ rotateBeforeDays: reason });
  });

  it("check refuses rotation with a fixed name (the renewal must live beside the old certificate)", async () => {
    expect((await failuresOf(certificateProvider, { connection, name: "fixed", validityDays: 30, rotateBeforeDays: 10 })).rotateBeforeDays).toMatch(/^cannot be combined with a fixed name: /);
  });

  it("check refuses rotation with a fixed expiry date, and skips unknown values", async () => {
    expect((await failuresOf(certificateProvider, { connection, expiryDate: future(30), rotateBeforeDays: 10 })).rotateBeforeDays).toMatch(/^cannot be combined with expiryDate: /);
    expect(await failuresOf(certificateProvider, { connection, validityDays: UNKNOWN, rotateBeforeDays: 10 })).toEqual({});
    expect(await failuresOf(certificateProvider, { connection, validityDays: 30, rotateBeforeDays: UNKNOWN })).toEqual({});
  });
});
