import { describe, expect, it } from "vitest";
import {
  buildAddMasterKeyPassword,
  buildChangeMasterKeyPassword,
  buildCreateMasterKey,
  buildDropMasterKey,
  buildDropMasterKeyPassword,
  buildEnsureServiceMasterKeyEncryption,
} from "../../../provider/sql/statements/masterKey";

const EXISTS = "SELECT 1 FROM master.sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'";

describe("master key statements", () => {
  it("create: guarded, password as N'' literal, secret recorded", () => {
    expect(buildCreateMasterKey({ password: "Str0ng'Pass" })).toEqual({
      sql: `IF NOT EXISTS (${EXISTS}) CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Str0ng''Pass'`,
      params: {},
      secrets: ["Str0ng'Pass"],
    });
  });

  it("create: a password longer than 128 characters is spliced whole (no QUOTENAME)", () => {
    const password = "x".repeat(200);
    expect(buildCreateMasterKey({ password }).sql).toContain(`N'${password}'`);
  });

  it("create: refuses an empty password", () => {
    expect(() => buildCreateMasterKey({ password: "" })).toThrow(/^password: must not be empty/);
  });

  it("password change: add the new one, then drop the old one (never REGENERATE)", () => {
    expect(buildChangeMasterKeyPassword("old'1", "new'2")).toEqual([
      { sql: "ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'new''2'", params: {}, secrets: ["new'2"] },
      { sql: "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'old''1'", params: {}, secrets: ["old'1"] },
    ]);
  });

  it("password change: nothing when the passwords are equal", () => {
    expect(buildChangeMasterKeyPassword("same", "same")).toEqual([]);
  });

  it("password halves name their own property", () => {
    expect(() => buildAddMasterKeyPassword("")).toThrow(/^newPassword: /);
    expect(() => buildDropMasterKeyPassword("")).toThrow(/^oldPassword: /);
  });

  it("service master key encryption: guarded on sys.databases, opens and closes the key", () => {
    expect(buildEnsureServiceMasterKeyEncryption("pw")).toEqual({
      sql:
        "IF NOT EXISTS (SELECT 1 FROM master.sys.databases WHERE name = N'master' AND is_master_key_encrypted_by_server = 1) " +
        "BEGIN OPEN MASTER KEY DECRYPTION BY PASSWORD = N'pw'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; CLOSE MASTER KEY; END",
      params: {},
      secrets: ["pw"],
    });
  });

  it("drop: guarded", () => {
    expect(buildDropMasterKey()).toEqual({ sql: `IF EXISTS (${EXISTS}) DROP MASTER KEY`, params: {}, secrets: [] });
  });
});
