/** Certificate over TDS: lifecycle with every replacement trigger, connection-only updates, drift. */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, replaceOn, SERIALIZED_PROVIDER, UPDATE, type Props } from "./driver";
import { catalogDelta, catalogOf, checkedConnectionOf, connectionOf, cost, rowOf, rowsOf, sa, SA_PASSWORD, startInstances, stopInstances, warmPool } from "./support";

let a: EmulatorInstance;

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "CERT" });
  // Certificates need the DMK; it is part of the baseline here.
  await sa(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-cert-suite!1'");
});
// Some tests change the connection settings: every test starts on a warm pool for the defaults.
beforeEach(() => warmPool(a));
afterAll(() => stopInstances([a]));

// Dates relative to this year: check refuses an expiry in the past.
const YEAR = new Date().getUTCFullYear();
const START = `${YEAR}-01-01T00:00:00Z`;
const EXPIRY = `${YEAR + 10}-01-01T00:00:00Z`;

function args(overrides: Props = {}): Props {
  return { connection: connectionOf(a), subject: "mirroring alpha", startDate: START, expiryDate: EXPIRY, ...overrides };
}

/** The outputs a certificate row stands for, exactly as the provider must report them. */
function outputsOf(row: Record<string, unknown>, publicKey: string): Props {
  return {
    certificateName: row.name,
    certificateId: row.certificate_id,
    thumbprint: String(row.thumbprint).slice(2),
    publicKey,
    subject: row.subject,
    issuer: row.issuer_name,
    startDate: `${String(row.start_date).slice(0, 19)}Z`,
    expiryDate: `${String(row.expiry_date).slice(0, 19)}Z`,
    serialNumber: row.cert_serial_number,
    privateKeyEncryption: "MK",
    owner: "dbo",
  };
}

function sha1(base64: unknown): string {
  return createHash("sha1").update(Buffer.from(String(base64), "base64")).digest("hex").toUpperCase();
}

describe("Certificate lifecycle", () => {
  it("creates a DMK-protected certificate under a generated name, reads it, updates connection settings without SQL, and deletes it", async () => {
    const base = catalogOf(a);
    const cert = new Driven("Certificate");
    const created = await cost(a, () => cert.create(args()));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    const name = cert.state.certificateName as string;
    expect(name).toMatch(/^mirroring_cert_[0-9a-f]{8}$/);
    const row = rowOf(a, "sys.certificates", "name", name);
    expect(row).toMatchObject({
      principal_id: 1,
      pvt_key_encryption_type: "MK",
      subject: "mirroring alpha",
      start_date: `${YEAR}-01-01T00:00:00.000Z`,
      expiry_date: `${YEAR + 10}-01-01T00:00:00.000Z`,
    });
    expect(catalogDelta(base, catalogOf(a))).toEqual({ "sys.certificates": { removed: [], added: [row] } });
    expect(cert.id).toBe(`127.0.0.1:${a.port}/certificate/${name}`);
    expect(sha1(cert.state.publicKey)).toBe(cert.state.thumbprint);
    const [encoded] = await sa(a, `SELECT CERTENCODED(certificate_id) AS der FROM sys.certificates WHERE name = N'${name}'`);
    expect((encoded!.der as Buffer).toString("base64")).toBe(cert.state.publicKey);
    expect(cert.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      name,
      autoNamed: true,
      ...outputsOf(row, cert.state.publicKey as string),
    });

    const stored = cert.state;
    const read = await cost(a, () => cert.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(cert.state).toEqual(stored);

    const same = await cert.plan(args());
    expect(same.diff).toEqual(NO_CHANGE);
    expect(same.inputs.name).toBe(name);
    expect((await cost(a, () => cert.update(same.inputs))).requests).toBe(0);

    // TLS options: an update that never reaches SQL Server; the next read uses the new settings.
    const strict = await cert.plan(args({ connection: connectionOf(a, { encrypt: "strict" }) }));
    expect(strict.diff).toEqual(UPDATE);
    const toStrict = await cost(a, () => cert.update(strict.inputs));
    expect([toStrict.requests, toStrict.logins]).toEqual([0, 0]);
    expect(cert.state).toEqual({ ...stored, connection: checkedConnectionOf(a, { encrypt: "strict" }) });
    const strictRead = await cost(a, () => cert.read());
    expect(strictRead.value).toBe(true);
    expect(strictRead.logins).toBeGreaterThan(0);
    expect(cert.state).toEqual({ ...stored, connection: checkedConnectionOf(a, { encrypt: "strict" }) });

    const back = await cert.plan(args());
    expect(back.diff).toEqual(UPDATE);
    await cert.update(back.inputs);
    // The settings changed twice, so the pool is new: open it first to count the drop alone.
    await warmPool(a);
    const deleted = await cost(a, () => cert.delete());
    expect([deleted.requests, deleted.logins]).toEqual([1, 0]);
    expect(catalogOf(a)).toEqual(base);
  });

  it("takes a connection password rotated by the DBA as an update without SQL", async () => {
    const cert = new Driven("Certificate");
    await cert.create(args());
    const row = rowOf(a, "sys.certificates", "name", cert.state.certificateName);
    const rotated = "Marker-Conn-rotated-5d2e!";
    await sa(a, `ALTER LOGIN sa WITH PASSWORD = N'${rotated}'`);
    try {
      const plan = await cert.plan(args({ connection: connectionOf(a, { password: rotated }) }));
      expect(plan.diff).toEqual(UPDATE);
      const updated = await cost(a, () => cert.update(plan.inputs));
      expect([updated.requests, updated.logins]).toEqual([0, 0]);
      expect(cert.state.connection).toEqual(checkedConnectionOf(a, { password: rotated }));
      // The pool opened with the old password is replaced, not reused.
      const read = await cost(a, () => cert.read());
      expect(read.value).toBe(true);
      expect(read.logins).toBeGreaterThan(0);
      await cert.delete();
    } finally {
      await sa(a, `ALTER LOGIN sa WITH PASSWORD = N'${SA_PASSWORD}'`);
    }
    expect(rowsOf(a, "sys.certificates", "name", row.name)).toEqual([]);
  });

  it.each<[string, Props, string]>([
    ["subject", { subject: "mirroring alpha v2" }, "subject"],
    ["start date", { startDate: `${YEAR}-02-01T00:00:00Z` }, "startDate"],
    ["expiry date", { expiryDate: `${YEAR + 9}-06-30T12:00:00Z` }, "expiryDate"],
  ])("replaces on a new %s: new generated name beside the old certificate, then the old one is dropped", async (_label, change, property) => {
    const base = catalogOf(a);
    const old = new Driven("Certificate");
    await old.create(args());
    const oldName = old.state.certificateName as string;

    const plan = await old.plan(args(change));
    expect(plan.diff).toEqual(replaceOn([property]));
    const next = new Driven("Certificate");
    const created = await cost(a, () => next.create(args(change)));
    expect(created.requests).toBe(1);
    const newName = next.state.certificateName as string;
    expect(newName).toMatch(/^mirroring_cert_[0-9a-f]{8}$/);
    expect(newName).not.toBe(oldName);
    const row = rowOf(a, "sys.certificates", "name", newName);
    expect(next.state).toMatchObject(outputsOf(row, next.state.publicKey as string));
    expect(rowsOf(a, "sys.certificates", "name", oldName)).toHaveLength(1);

    expect((await cost(a, () => old.delete())).requests).toBe(1);
    expect(rowsOf(a, "sys.certificates", "name", oldName)).toEqual([]);
    await next.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("takes the same instant in another ISO spelling as no change", async () => {
    const cert = new Driven("Certificate");
    await cert.create(args());
    expect((await cert.plan(args({ startDate: `${YEAR}-01-01`, expiryDate: `${YEAR + 10}-01-01T00:00:00.000Z` }))).diff).toEqual(NO_CHANGE);
    await cert.delete();
  });

  it("computes the expiry from validityDays and replaces when it changes", async () => {
    const base = catalogOf(a);
    const cert = new Driven("Certificate");
    const start = `${YEAR + 1}-01-01T00:00:00Z`;
    await cert.create({ connection: connectionOf(a), subject: "mirroring beta", startDate: start, validityDays: 30 });
    const row = rowOf(a, "sys.certificates", "name", cert.state.certificateName);
    expect([row.start_date, row.expiry_date]).toEqual([`${YEAR + 1}-01-01T00:00:00.000Z`, `${YEAR + 1}-01-31T00:00:00.000Z`]);
    expect((await cert.plan({ connection: connectionOf(a), subject: "mirroring beta", startDate: start, validityDays: 30 })).diff).toEqual(NO_CHANGE);
    expect((await cert.plan({ connection: connectionOf(a), subject: "mirroring beta", startDate: start, validityDays: 60 })).diff).toEqual(
      replaceOn(["validityDays"]),
    );
    await cert.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("with a fixed name, renames by replacement and drops the old certificate first when the name stays", async () => {
    const base = catalogOf(a);
    const cert = new Driven("Certificate");
    await cert.create(args({ name: "ep_cert_fixed" }));
    expect(cert.state.certificateName).toBe("ep_cert_fixed");
    expect((await cert.plan(args({ name: "ep_cert_renamed" }))).diff).toEqual(replaceOn(["name"]));
    // Same name, new subject: SQL Server cannot hold both, so delete-before-replace.
    expect((await cert.plan(args({ name: "ep_cert_fixed", subject: "mirroring alpha v2" }))).diff).toEqual(replaceOn(["subject"], true));
    await cert.delete();
    const next = new Driven("Certificate");
    expect((await cost(a, () => next.create(args({ name: "ep_cert_fixed", subject: "mirroring alpha v2" })))).requests).toBe(1);
    expect(rowOf(a, "sys.certificates", "name", "ep_cert_fixed").subject).toBe("mirroring alpha v2");
    await next.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("refuses to take over a certificate that already has the given name", async () => {
    await sa(a, "CREATE CERTIFICATE ep_cert_taken WITH SUBJECT = 'someone else'");
    const before = catalogOf(a);
    await expect(new Driven("Certificate").create(args({ name: "ep_cert_taken" }))).rejects.toThrow(
      `unable to create certificate [ep_cert_taken] on 127.0.0.1:${a.port}: it already exists; give another name, or leave name unset to have one generated`,
    );
    expect(catalogOf(a)).toEqual(before);
    await sa(a, "DROP CERTIFICATE ep_cert_taken");
  });
});

describe("Certificate drift", () => {
  it("reports a certificate dropped out of band as gone", async () => {
    const cert = new Driven("Certificate");
    await cert.create(args());
    await sa(a, `DROP CERTIFICATE [${String(cert.state.certificateName)}]`);
    const read = await cost(a, () => cert.provider.read(cert.id, cert.state));
    expect([read.value, read.requests]).toEqual([{ id: "", props: {} }, 1]);
  });
});
