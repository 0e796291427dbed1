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
    expect(client.statements[2]).toBe(batch("OPEN MASTER KEY DECRYPTION BY PASSWORD = N'P@ss''w0rd'", "CLOSE MASTER KEY"));
  });

  it("after a lost reply, a key our password opens is the one the lost attempt created (hardening: it was adopted and never dropped)", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost - read ECONNRESET"), [...present(), ...present()], []]);
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
  const ADD = "ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'new'";
  const DROP = "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'old'";

  it("no request when the passwords are equal", async () => {
    const client = new FakeClient();
    await expect(changeMasterKeyPassword(client, record, "same", "same")).resolves.toBe(record);
    expect(client.requests).toHaveLength(0);
  });

  it("one request: add new, drop old, read back", async () => {
    const client = new FakeClient([present()]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).resolves.toEqual(record);
    expect(client.statements).toEqual([batch(ADD, DROP, ...READ)]);
  });

  it("new password already there (15557): only the old one is dropped", async () => {
    const client = new FakeClient([requestError(15557, "There is already a master key encryption by password"), present()]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).resolves.toEqual(record);
    expect(client.statements).toEqual([batch(ADD, DROP, ...READ), batch(DROP, ...READ)]);
  });

  it("…and if the old one is gone too (15313), the change is complete: read back", async () => {
    const client = new FakeClient([requestError(15557, "already"), requestError(15313, "The key is not encrypted using the specified decryptor."), present()]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).resolves.toEqual(record);
    expect(client.statements).toEqual([batch(ADD, DROP, ...READ), batch(DROP, ...READ), batch(...READ)]);
  });

  it("a wrong old password on the first attempt is an error, not recovered", async () => {
    const client = new FakeClient([requestError(15313, "The key is not encrypted using the specified decryptor.")]);
    await expect(changeMasterKeyPassword(client, record, "old", "new")).rejects.toThrow(
      /^unable to change the password of database master key on sql1:1433: .*\(Msg 15313, State 1\) — the password given does not open/,
    );
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
          "BEGIN OPEN MASTER KEY DECRYPTION BY PASSWORD = N'pw'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; CLOSE MASTER KEY; END",
        ...READ,
      ),
    ]);
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
