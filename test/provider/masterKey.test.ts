/** MasterKey over TDS: lifecycle, drift (dropped, SMK encryption lost), adoption. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, replaceOn, SERIALIZED_PROVIDER, UPDATE } from "./driver";
import { catalogDelta, catalogOf, checkedConnectionOf, connectionOf, cost, rowOf, sa, startInstances, stopInstances, warmPool } from "./support";

const MK1 = "Marker-MK-7f3a-one!A1";
const MK2 = "Marker-MK-7f3a-two!B2";
const DMK = "##MS_DatabaseMasterKey##";

let a: EmulatorInstance;
let b: EmulatorInstance;

beforeAll(async () => {
  [a, b] = await startInstances(2, { namePrefix: "MK" });
  await warmPool(a);
  await warmPool(b);
});
afterAll(() => stopInstances([a, b]));

/** `SQL Server's datetime` as the provider reports it: whole seconds, `Z`. */
function seconds(iso: unknown): string {
  return `${String(iso).slice(0, 19)}Z`;
}

/** The program's arguments, as `new MasterKey(...)` passes them (adopt defaults to true). */
function args(instance: EmulatorInstance, password: string, adopt = true) {
  return { connection: connectionOf(instance), password, adopt };
}

/** Whether `password` opens the DMK (15313 when it does not). */
async function opensWith(instance: EmulatorInstance, password: string): Promise<true | number> {
  try {
    await sa(instance, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${password}'; CLOSE MASTER KEY;`);
    return true;
  } catch (error) {
    return (error as { number: number }).number;
  }
}

describe("MasterKey lifecycle", () => {
  it("creates, reads, changes the password in place, is replaced on another server, and is dropped", async () => {
    const baseA = catalogOf(a);
    const baseB = catalogOf(b);
    const mk = new Driven("MasterKey");

    const created = await cost(a, () => mk.create(args(a, MK1)));
    expect([created.requests, created.logins]).toEqual([1, 0]);
    const key = rowOf(a, "sys.symmetric_keys", "name", DMK);
    expect(mk.id).toBe(`127.0.0.1:${a.port}/master-key`);
    expect(mk.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      password: MK1,
      adopt: true,
      adopted: false,
      encryptedByServer: true,
      createDate: seconds(key.create_date),
    });
    const delta = catalogDelta(baseA, catalogOf(a));
    expect(Object.keys(delta).sort()).toEqual(["sys.databases", "sys.key_encryptions", "sys.symmetric_keys"]);
    expect(delta["sys.symmetric_keys"]).toEqual({ removed: [], added: [key] });
    expect(key).toMatchObject({ name: DMK, principal_id: 1, symmetric_key_id: 101, key_length: 256, algorithm_desc: "AES_256" });
    expect(delta["sys.key_encryptions"]!.removed).toEqual([]);
    expect(delta["sys.key_encryptions"]!.added.map((r) => r.crypt_type).sort()).toEqual(["ESKM", "ESP2"]);
    expect(delta["sys.databases"]!.added).toEqual([{ ...delta["sys.databases"]!.removed[0], is_master_key_encrypted_by_server: true }]);
    expect(await opensWith(a, MK1)).toBe(true);

    const stored = mk.state;
    const refreshed = await cost(a, () => mk.read());
    expect([refreshed.value, refreshed.requests]).toEqual([true, 1]);
    expect(mk.state).toEqual(stored);

    const same = await mk.plan(args(a, MK1));
    expect(same.diff).toEqual(NO_CHANGE);
    const noop = await cost(a, () => mk.update(same.inputs));
    expect(noop.requests).toBe(0);

    const beforeChange = catalogOf(a);
    const change = await mk.plan(args(a, MK2));
    expect(change.diff).toEqual(UPDATE);
    const changed = await cost(a, () => mk.update(change.inputs));
    expect(changed.requests).toBe(1);
    expect(mk.state).toMatchObject({ password: MK2, adopted: false, encryptedByServer: true, createDate: seconds(key.create_date) });
    // Only the password encryption changed (and the key's modify_date): same key, same SMK copy.
    const passwordDelta = catalogDelta(beforeChange, catalogOf(a));
    expect(Object.keys(passwordDelta).sort()).toEqual(["sys.key_encryptions", "sys.symmetric_keys"]);
    const { modify_date: _modified, ...unchanged } = key;
    expect(passwordDelta["sys.symmetric_keys"]).toEqual({ removed: [key], added: [{ ...unchanged, modify_date: expect.any(String) }] });
    expect(passwordDelta["sys.key_encryptions"]!.removed.map((r) => r.crypt_type)).toEqual(["ESP2"]);
    expect(passwordDelta["sys.key_encryptions"]!.added.map((r) => r.crypt_type)).toEqual(["ESP2"]);
    expect(await opensWith(a, MK2)).toBe(true);
    expect(await opensWith(a, MK1)).toBe(15313);

    // Another server: a new key there first, then the old one dropped.
    const move = await mk.plan({ ...args(b, MK2) });
    expect(move.diff).toEqual(replaceOn(["connection"]));
    const next = new Driven("MasterKey");
    const createdB = await cost(b, () => next.create(args(b, MK2)));
    expect(createdB.requests).toBe(1);
    expect(next.state).toMatchObject({ connection: checkedConnectionOf(b), adopted: false, encryptedByServer: true });
    const deletedA = await cost(a, () => mk.delete());
    expect(deletedA.requests).toBe(1);
    expect(catalogOf(a)).toEqual(baseA);

    const deletedB = await cost(b, () => next.delete());
    expect(deletedB.requests).toBe(1);
    expect(catalogOf(b)).toEqual(baseB);
  });
});

describe("MasterKey drift", () => {
  it("shows a key that lost its service-master-key encryption and repairs it in place", async () => {
    const base = catalogOf(a);
    const mk = new Driven("MasterKey");
    await mk.create(args(a, MK1));
    await sa(a, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect(rowOf(a, "sys.databases", "name", "master").is_master_key_encrypted_by_server).toBe(false);

    const read = await cost(a, () => mk.read());
    expect([read.value, read.requests]).toEqual([true, 1]);
    expect(mk.state.encryptedByServer).toBe(false);
    const plan = await mk.plan(args(a, MK1));
    expect(plan.diff).toEqual(UPDATE);
    const repaired = await cost(a, () => mk.update(plan.inputs));
    expect(repaired.requests).toBe(1);
    expect(mk.state.encryptedByServer).toBe(true);
    expect(rowOf(a, "sys.databases", "name", "master").is_master_key_encrypted_by_server).toBe(true);
    expect((await mk.plan(args(a, MK1))).diff).toEqual(NO_CHANGE);

    await mk.delete();
    expect(catalogOf(a)).toEqual(base);
  });

  it("reports a key dropped out of band as gone", async () => {
    const base = catalogOf(a);
    const mk = new Driven("MasterKey");
    await mk.create(args(a, MK1));
    await sa(a, "DROP MASTER KEY");
    const read = await cost(a, () => mk.provider.read(mk.id, mk.state));
    expect(read.value).toEqual({ id: "", props: {} });
    expect(read.requests).toBe(1);
    expect(catalogOf(a)).toEqual(base);
  });
});

describe("MasterKey adoption", () => {
  it("adopts an existing key by default, never alters it, and leaves it on delete", async () => {
    await sa(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-dba-owned!9'");
    const before = catalogOf(a);
    const mk = new Driven("MasterKey");
    const created = await cost(a, () => mk.create(args(a, MK1)));
    expect(created.requests).toBe(1);
    expect(mk.state).toMatchObject({ adopt: true, adopted: true, encryptedByServer: true });
    expect(catalogOf(a)).toEqual(before);

    // Its passwords belong to whoever created it: a new password in the program changes nothing.
    expect((await mk.plan(args(a, MK2))).diff).toEqual(NO_CHANGE);
    const deleted = await cost(a, () => mk.delete());
    expect(deleted.requests).toBe(0);
    expect(catalogOf(a)).toEqual(before);
    expect(await opensWith(a, "Marker-MK-dba-owned!9")).toBe(true);
    await sa(a, "DROP MASTER KEY");
  });

  it("refuses an existing key with adopt: false, naming the fix, and changes nothing", async () => {
    await sa(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-dba-owned!9'");
    const before = catalogOf(a);
    const mk = new Driven("MasterKey");
    await expect(mk.create(args(a, MK1, false))).rejects.toThrow(
      `unable to create the database master key of master on 127.0.0.1:${a.port}: it already exists; ` +
        "it may protect other keys (TDE certificates, backups): set adopt: true to use it without ever altering or dropping it",
    );
    expect(catalogOf(a)).toEqual(before);
    await sa(a, "DROP MASTER KEY");
  });
});

describe("MasterKey: a new password while the service-master-key copy is missing", () => {
  it.each([
    ["after a refresh saw the copy gone", true],
    ["before any refresh (state still says the copy is there)", false],
  ])("one update changes the password and repairs the copy (%s)", async (_case, refresh) => {
    const base = catalogOf(a);
    const mk = new Driven("MasterKey");
    await mk.create(args(a, MK1));
    await sa(a, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    if (refresh) expect(await mk.read()).toBe(true);
    const plan = await mk.plan(args(a, MK2));
    expect(plan.diff).toEqual(UPDATE);
    // Without the copy the key does not open by itself: the change opens it with the old password first.
    await mk.update(plan.inputs);
    expect(mk.state).toMatchObject({ password: MK2, encryptedByServer: true });
    expect(rowOf(a, "sys.databases", "name", "master").is_master_key_encrypted_by_server).toBe(true);
    expect(await opensWith(a, MK2)).toBe(true);
    expect(await opensWith(a, MK1)).toBe(15313);
    expect((await mk.plan(args(a, MK2))).diff).toEqual(NO_CHANGE);
    await mk.delete();
    expect(catalogOf(a)).toEqual(base);
  });
});

describe("MasterKey proofs do not depend on severity: 15313 / 15557 / 15558 raised at 10 (informational), as Microsoft's message table lists them", () => {
  let ten: EmulatorInstance;
  beforeAll(async () => {
    [ten] = await startInstances(1, { namePrefix: "MK10", messageSeverities: { 15313: 10, 15557: 10, 15558: 10 } });
    await warmPool(ten);
  });
  afterAll(() => stopInstances([ten]));

  it("a pending create never drops a key its password does not open, even though the OPEN raises no error", async () => {
    await sa(ten, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-dba-owned!9'");
    const before = catalogOf(ten);
    const mk = new Driven("MasterKey");
    await mk.provider.delete(`127.0.0.1:${ten.port}/master-key`, { ...args(ten, MK1), adopted: true, createPending: true });
    expect(catalogOf(ten)).toEqual(before);
    // A pending create that resumes adopts it instead of claiming it.
    mk.id = `127.0.0.1:${ten.port}/master-key`;
    mk.state = { ...args(ten, MK1), adopted: true, createPending: true };
    mk.inputs = args(ten, MK1);
    const plan = await mk.plan(args(ten, MK1));
    await mk.update(plan.inputs);
    expect(mk.state).toMatchObject({ adopted: true });
    expect(catalogOf(ten)).toEqual(before);
    await sa(ten, "DROP MASTER KEY");
  });

  it("a key its password opens is proved its own (sys.openkeys) and dropped", async () => {
    const base = catalogOf(ten);
    await sa(ten, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${MK1}'`);
    await new Driven("MasterKey").provider.delete(`127.0.0.1:${ten.port}/master-key`, { ...args(ten, MK1), adopted: true, createPending: true });
    expect(catalogOf(ten)).toEqual(base);
  });

  it("a password change is proved, and a state password that no longer opens the key is an error, not a silent success", async () => {
    const base = catalogOf(ten);
    const mk = new Driven("MasterKey");
    await mk.create(args(ten, MK1));
    await mk.update((await mk.plan(args(ten, MK2))).inputs);
    expect(await opensWith(ten, MK2)).toBe(true);
    expect(rowsOfPasswords(ten)).toBe(1);
    // Out of band: the password is changed behind the stack's back.
    await sa(ten, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${MK2}'; ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'Marker-MK-oob!7'; ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'${MK2}'; CLOSE MASTER KEY`);
    const before = catalogOf(ten);
    await expect(mk.update((await mk.plan(args(ten, "Marker-MK-7f3a-three!C3"))).inputs)).rejects.toThrow(/neither the password in state nor the new password opens it/);
    expect(catalogOf(ten)).toEqual(before);
    await sa(ten, "DROP MASTER KEY");
    expect(catalogOf(ten)).toEqual(base);
  });
});

/** How many password encryptions the DMK has. */
function rowsOfPasswords(instance: EmulatorInstance): number {
  return catalogOf(instance)["sys.key_encryptions"]!.filter((r) => r.crypt_type === "ESP2").length;
}
