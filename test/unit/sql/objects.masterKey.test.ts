import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { SqlServerError } from "../../../provider/sql/errors";
import {
  changeMasterKeyPassword,
  createMasterKey,
  dropMasterKey,
  ensureMasterKeyServiceEncryption,
  readMasterKey,
} from "../../../provider/sql/objects/masterKey";
import type { MasterKeyRecord } from "../../../provider/sql/records";
import {
  buildChangeMasterKeyPassword,
  buildFinishMasterKeyPasswordChange,
  buildProveMasterKeyPassword,
  buildProveMasterKeyPasswordChange,
} from "../../../provider/sql/statements/masterKey";
import { connectionError, FakeClient, requestError } from "./fakes";

const batch = (...statements: string[]) => statements.map((s) => `${s};`).join("\n");
const READ = [
  "SELECT k.create_date FROM master.sys.symmetric_keys AS k WHERE k.name = N'##MS_DatabaseMasterKey##'",
  "SELECT d.is_master_key_encrypted_by_server FROM master.sys.databases AS d WHERE d.name = N'master'",
];
const EXISTS = "SELECT 1 FROM master.sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'";
const present = (smk = true) => [[{ create_date: new Date("2025-01-01T00:00:00Z") }], [{ is_master_key_encrypted_by_server: smk }]];
const absent = () => [[], [{ is_master_key_encrypted_by_server: false }]];
const record: MasterKeyRecord = { createDate: "2025-01-01T00:00:00Z", encryptedByServiceMasterKey: true };
/** The SQL of a password proof (the literal as quoted). */
const PROVE = (quoted: string) => buildProveMasterKeyPassword(quoted.replace(/''/g, "'")).map((st) => st.sql);

describe("readMasterKey", () => {
  it("one request; undefined when absent", async () => {
    const client = new FakeClient([absent(), present(false)]);
    await expect(readMasterKey(client)).resolves.toBeUndefined();
    await expect(readMasterKey(client)).resolves.toEqual({ createDate: "2025-01-01T00:00:00Z", encryptedByServiceMasterKey: false });
    expect(client.statements).toEqual([batch(...READ), batch(...READ)]);
    expect(client.requests[0].params).toEqual({});
  });
});

describe("createMasterKey", () => {
  const create = `IF NOT EXISTS (${EXISTS}) CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'P@ss''w0rd'`;

  it("one request: read, guarded CREATE, read back", async () => {
    const client = new FakeClient([[...absent(), ...present()]]);
    await expect(createMasterKey(client, { password: "P@ss'w0rd" })).resolves.toEqual({ record, existedBefore: false });
    expect(client.statements).toEqual([batch(...READ, create, ...READ)]);
  });

  it("reports an existing key for adoption", async () => {
    const client = new FakeClient([[...present(), ...present()]]);
    await expect(createMasterKey(client, { password: "P@ss'w0rd" })).resolves.toEqual({ record, existedBefore: true });
  });

  it("after a lost reply, an existing key our password does not open still counts as pre-existing (never dropped by mistake)", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost - read ECONNRESET"), [...present(), ...present()], requestError(15313, "The key is not encrypted using the specified decryptor.")]);
    await expect(createMasterKey(client, { password: "P@ss'w0rd" })).resolves.toEqual({ record, existedBefore: true });
    expect(client.statements[2]).toBe(batch(...PROVE("P@ss''w0rd")));
  });

  it("…also when 15313 comes at severity 10 (no error at all): the key is not in sys.openkeys, so it is not ours", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost - read ECONNRESET"), [...present(), ...present()], [[{ opened: 0 }]]]);
    await expect(createMasterKey(client, { password: "P@ss'w0rd" })).resolves.toEqual({ record, existedBefore: true });
  });

  it("after a lost reply, a key our password opens (listed in sys.openkeys) is the one the lost attempt created (hardening: it was adopted and never dropped)", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost - read ECONNRESET"), [...present(), ...present()], [[{ opened: 1 }]]]);
    await expect(createMasterKey(client, { password: "P@ss'w0rd" })).resolves.toEqual({ record, existedBefore: false });
    expect(client.requests).toHaveLength(3);
  });

  it("fails with the server's error, password scrubbed", async () => {
    const client = new FakeClient([requestError(15118, "Password validation failed. The password does not meet the operating system policy requirements because it is not complex enough. 'weak''pw'")]);
    const error = (await createMasterKey(client, { password: "weak'pw" }).catch((e: unknown) => e)) as SqlServerError;
    expect(error).toBeInstanceOf(SqlServerError);
    expect(error.message).toMatch(/^unable to create database master key on sql1:1433: Password validation failed/);
    expect(inspect(error, { depth: 10 })).not.toContain("weak");
    expect(client.requests).toHaveLength(1);
  });
});

describe("changeMasterKeyPassword", () => {
  const CHANGE = batch(...buildChangeMasterKeyPassword("old", "new").map((st) => st.sql), ...READ);
  const FINISH = batch(...buildFinishMasterKeyPasswordChange("old", "new").map((st) => st.sql), ...READ);
  /** A change request's reply: the proof (`opened`), the password count, the read-back. */
  const proved = (opened: number, passwords: number) => [[{ opened }], [{ passwords }], ...present()];

  it("no request when the passwords are equal", async () => {
    const client = new FakeClient();
    await expect(changeMasterKeyPassword(client, record, "same", "same")).resolves.toBe(record);
    expect(client.requests).toHaveLength(0);
  });

  it("one request: open with the old one, add new, drop old, prove (the new one opens it and is its only password), read back", async () => {
    const client = new FakeClient([proved(1, 1)]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).resolves.toEqual(record);
    expect(client.statements).toEqual([CHANGE]);
  });

  it("an earlier run added the new password already (15557 at severity 16): each password is proved, the old one dropped", async () => {
    const client = new FakeClient([requestError(15557, "There is already a master key encryption by password"), [[{ opened: 1 }]], [[{ opened: 1 }]], proved(1, 1)]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).resolves.toEqual(record);
    expect(client.statements).toEqual([CHANGE, batch(...PROVE("new")), batch(...PROVE("old")), FINISH]);
  });

  it("the same at severity 10 (no error, the proof shows two passwords): the same repair", async () => {
    const client = new FakeClient([proved(1, 2), [[{ opened: 1 }]], [[{ opened: 1 }]], proved(1, 1)]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).resolves.toEqual(record);
    expect(client.statements).toEqual([CHANGE, batch(...PROVE("new")), batch(...PROVE("old")), FINISH]);
  });

  it("the change is already complete (the old password opens nothing): proved, read back", async () => {
    const client = new FakeClient([requestError(15313, "The key is not encrypted using the specified decryptor."), [[{ opened: 1 }]], requestError(15313, "not encrypted"), proved(1, 1)]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).resolves.toEqual(record);
    expect(client.statements.at(-1)).toBe(batch(...buildProveMasterKeyPasswordChange("new").map((st) => st.sql), ...READ));
  });

  it("neither password opens the key: an error naming the way out, nothing changed", async () => {
    const client = new FakeClient([requestError(15313, "The key is not encrypted using the specified decryptor."), [[{ opened: 0 }]], [[{ opened: 0 }]]]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).rejects.toMatchObject({
      code: "EPASSWORD",
      message: expect.stringContaining("neither the password in state nor the new password opens it"),
    });
    expect(client.requests).toHaveLength(3);
  });

  it("another error is not recovered", async () => {
    const client = new FakeClient([requestError(15247, "User does not have permission to perform this action.")]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).rejects.toMatchObject({ number: 15247 });
    expect(client.requests).toHaveLength(1);
  });
});

describe("ensureMasterKeyServiceEncryption", () => {
  it("no request when the SMK already encrypts it", async () => {
    const client = new FakeClient();
    await expect(ensureMasterKeyServiceEncryption(client, record, "pw")).resolves.toBe(record);
    expect(client.requests).toHaveLength(0);
  });

  it("one request otherwise", async () => {
    const client = new FakeClient([present(true)]);
    await expect(ensureMasterKeyServiceEncryption(client, { ...record, encryptedByServiceMasterKey: false }, "pw")).resolves.toEqual(record);
    expect(client.statements).toEqual([
      batch(
        "IF NOT EXISTS (SELECT 1 FROM master.sys.databases WHERE name = N'master' AND is_master_key_encrypted_by_server = 1) " +
          "BEGIN OPEN MASTER KEY DECRYPTION BY PASSWORD = N'pw'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; " +
          "IF EXISTS (SELECT 1 FROM master.sys.openkeys WHERE database_name = N'master' AND key_name = N'##MS_DatabaseMasterKey##') CLOSE MASTER KEY; END",
        ...READ,
      ),
    ]);
  });

  it("a read-back without the service master key copy is an error (a password that did not open the key raises none at severity 10)", async () => {
    const client = new FakeClient([present(false)]);
    await expect(ensureMasterKeyServiceEncryption(client, { ...record, encryptedByServiceMasterKey: false }, "pw")).rejects.toMatchObject({ code: "ESMK" });
  });
});

describe("dropMasterKey", () => {
  it("one guarded request; a protected key's error is not swallowed", async () => {
    const client = new FakeClient([[], requestError(15580, "Cannot drop master key because certificate 'c1' is encrypted by it.")]);
    await dropMasterKey(client);
    expect(client.statements).toEqual([batch(`IF EXISTS (${EXISTS}) DROP MASTER KEY`)]);
    await expect(dropMasterKey(client)).rejects.toMatchObject({ number: 15580, operation: "drop" });
  });
});
