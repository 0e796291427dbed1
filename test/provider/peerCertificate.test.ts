/** PeerCertificate over TDS: import by DER, owner changes, replacement on a new key, drift. */
import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, replaceOn, SERIALIZED_PROVIDER, UPDATE, type Props } from "./driver";
import { catalogDelta, catalogOf, checkedConnectionOf, connectionOf, cost, rowOf, rowsOf, sa, startInstances, stopInstances, warmPool } from "./support";

let a: EmulatorInstance;
let b: EmulatorInstance;
/** b's two certificates as DER, the way its `Certificate.publicKey` outputs carry them (base64). */
let key1: string;
let key2: string;

beforeAll(async () => {
  [a, b] = await startInstances(2, { namePrefix: "PEER" });
  await sa(b, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-peer-suite!1'");
  await sa(b, "CREATE CERTIFICATE b_cert_1 WITH SUBJECT = 'mirroring b'");
  await sa(b, "CREATE CERTIFICATE b_cert_2 WITH SUBJECT = 'mirroring b v2'");
  const der = async (name: string) => ((await sa(b, `SELECT CERTENCODED(CERT_ID('${name}')) AS der`))[0]!.der as Buffer).toString("base64");
  [key1, key2] = [await der("b_cert_1"), await der("b_cert_2")];
  // On a, the identity b connects as (part of the baseline), and a second user for owner changes.
  for (const suffix of ["", "2"]) {
    await sa(a, `CREATE LOGIN peer_b_login${suffix} WITH PASSWORD = N'Marker-Login-peer-suite!${suffix}1'`);
    await sa(a, `CREATE USER peer_b_user${suffix} FOR LOGIN peer_b_login${suffix}`);
  }
});
beforeEach(() => warmPool(a));
// A failed test must not leave its import to the next one (same key, same name).
afterEach(async () => {
  for (const row of catalogOf(a)["sys.certificates"]!) await sa(a, `DROP CERTIFICATE [${String(row.name)}]`);
});
afterAll(() => stopInstances([a, b]));

function thumbprint(base64: string): string {
  return createHash("sha1").update(Buffer.from(base64, "base64")).digest("hex").toUpperCase();
}

/** The name a key gets under the PeerTrust prefix: thumbprint-derived. */
function nameFor(base64: string): string {
  return `mirroring_b_peer_${thumbprint(base64).slice(0, 8).toLowerCase()}`;
}

function args(overrides: Props = {}): Props {
  return { connection: connectionOf(a), owner: "peer_b_user", publicKey: key1, namePrefix: "mirroring_b_peer", ...overrides };
}

function principalId(user: string): unknown {
  return rowOf(a, "sys.database_principals", "name", user).principal_id;
}

describe("PeerCertificate lifecycle", () => {
  it("imports the peer's public key owned by its user, reads, changes the owner in place, is replaced by a new key beside the old one, and is dropped", async () => {
    const base = catalogOf(a);
    const peer = new Driven("PeerCertificate");
    const created = await cost(a, () => peer.create(args()));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    const name = nameFor(key1);
    const row = rowOf(a, "sys.certificates", "name", name);
    expect(row).toMatchObject({ principal_id: principalId("peer_b_user"), pvt_key_encryption_type: "NA", subject: "mirroring b", thumbprint: `0x${thumbprint(key1)}` });
    expect(catalogDelta(base, catalogOf(a))).toEqual({ "sys.certificates": { removed: [], added: [row] } });
    expect(peer.id).toBe(`127.0.0.1:${a.port}/certificate/${name}`);
    expect(peer.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      name,
      autoNamed: true,
      namePrefix: "mirroring_b_peer",
      owner: "peer_b_user",
      publicKey: key1,
      certificateName: name,
      certificateId: row.certificate_id,
      thumbprint: thumbprint(key1),
      subject: "mirroring b",
      issuer: row.issuer_name,
      startDate: `${String(row.start_date).slice(0, 19)}Z`,
      expiryDate: `${String(row.expiry_date).slice(0, 19)}Z`,
      serialNumber: row.cert_serial_number,
      privateKeyEncryption: "NA",
    });

    const stored = peer.state;
    const read = await cost(a, () => peer.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(peer.state).toEqual(stored);
    const same = await peer.plan(args());
    expect(same.diff).toEqual(NO_CHANGE);
    expect((await cost(a, () => peer.update(same.inputs))).requests).toBe(0);
    // The same key as CERTENCODED's 0x hex is the same certificate.
    const hex = `0x${Buffer.from(key1, "base64").toString("hex").toUpperCase()}`;
    expect((await peer.plan(args({ publicKey: hex }))).diff).toEqual(NO_CHANGE);

    const owner = await peer.plan(args({ owner: "peer_b_user2" }));
    expect(owner.diff).toEqual(UPDATE);
    expect((await cost(a, () => peer.update(owner.inputs))).requests).toBe(2);
    expect(peer.state).toEqual({ ...stored, owner: "peer_b_user2" });
    expect(rowOf(a, "sys.certificates", "name", name).principal_id).toBe(principalId("peer_b_user2"));

    // Rotation: the new key gets its own name, so it is imported before the old one goes.
    const rotated = args({ owner: "peer_b_user2", publicKey: key2 });
    expect((await peer.plan(rotated)).diff).toEqual(replaceOn(["name", "publicKey"]));
    const next = new Driven("PeerCertificate");
    expect((await cost(a, () => next.create(rotated))).requests).toBe(1);
    expect(next.state).toMatchObject({ name: nameFor(key2), certificateName: nameFor(key2), thumbprint: thumbprint(key2), owner: "peer_b_user2" });
    expect(rowsOf(a, "sys.certificates", "name", name)).toHaveLength(1);
    expect((await cost(a, () => peer.delete())).requests).toBe(1);
    expect(rowsOf(a, "sys.certificates", "name", name)).toEqual([]);

    expect((await cost(a, () => next.delete())).requests).toBe(1);
    expect(catalogOf(a)).toEqual(base);
  });

  it("with a fixed name, replaces a new key by dropping the old certificate first", async () => {
    const base = catalogOf(a);
    const peer = new Driven("PeerCertificate");
    await peer.create(args({ name: "peer_b_fixed" }));
    expect(peer.state).toMatchObject({ name: "peer_b_fixed", autoNamed: false, thumbprint: thumbprint(key1) });
    expect((await peer.plan(args({ name: "peer_b_fixed", publicKey: key2 }))).diff).toEqual(replaceOn(["publicKey"], true));
    await peer.delete();
    const next = new Driven("PeerCertificate");
    await next.create(args({ name: "peer_b_fixed", publicKey: key2 }));
    expect(rowOf(a, "sys.certificates", "name", "peer_b_fixed").thumbprint).toBe(`0x${thumbprint(key2)}`);
    await next.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("refuses a key already imported under another name (SQL Server keeps one copy, 15232)", async () => {
    const peer = new Driven("PeerCertificate");
    await peer.create(args());
    const before = catalogOf(a);
    const error = await new Driven("PeerCertificate").create(args({ name: "peer_b_again" })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SqlServerError", code: "EDUPLICATECERT", category: "conflict" });
    expect((error as Error).message).toContain(`is already present as [${nameFor(key1)}]`);
    expect(catalogOf(a)).toEqual(before);
    await peer.delete();
  });
});

describe("PeerCertificate drift", () => {
  it("shows an owner changed out of band and gives it back", async () => {
    const base = catalogOf(a);
    const peer = new Driven("PeerCertificate");
    await peer.create(args());
    await sa(a, `ALTER AUTHORIZATION ON CERTIFICATE::[${nameFor(key1)}] TO peer_b_user2`);
    expect(await peer.read()).toBe(true);
    expect([peer.state.owner, peer.inputs.owner]).toEqual(["peer_b_user2", "peer_b_user2"]);
    const plan = await peer.plan(args());
    expect(plan.diff).toEqual(UPDATE);
    expect((await cost(a, () => peer.update(plan.inputs))).requests).toBe(2);
    expect(rowOf(a, "sys.certificates", "name", nameFor(key1)).principal_id).toBe(principalId("peer_b_user"));
    await peer.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("replaces a certificate that was swapped for another key under its name, dropping the impostor first", async () => {
    const base = catalogOf(a);
    const peer = new Driven("PeerCertificate");
    await peer.create(args());
    const name = nameFor(key1);
    const der2 = `0x${Buffer.from(key2, "base64").toString("hex")}`;
    await sa(a, `DROP CERTIFICATE [${name}]; CREATE CERTIFICATE [${name}] AUTHORIZATION peer_b_user FROM BINARY = ${der2}`);

    expect(await peer.read()).toBe(true);
    expect(peer.state).toMatchObject({ name, thumbprint: thumbprint(key2), subject: "mirroring b v2", publicKey: key1 });
    const plan = await peer.plan(args());
    expect(plan.diff).toEqual(replaceOn(["publicKey"], true));
    // Delete before replace: the impostor goes, then the declared key comes back under the same name.
    expect((await cost(a, () => peer.delete())).requests).toBe(1);
    const next = new Driven("PeerCertificate");
    expect((await cost(a, () => next.create(args()))).requests).toBe(1);
    expect(rowOf(a, "sys.certificates", "name", name)).toMatchObject({ thumbprint: `0x${thumbprint(key1)}`, principal_id: principalId("peer_b_user") });
    await next.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("reports a certificate dropped out of band as gone", async () => {
    const peer = new Driven("PeerCertificate");
    await peer.create(args());
    await sa(a, `DROP CERTIFICATE [${nameFor(key1)}]`);
    const read = await cost(a, () => peer.provider.read(peer.id, peer.state));
    expect([read.value, read.requests]).toEqual([{ id: "", props: {} }, 1]);
  });
});
