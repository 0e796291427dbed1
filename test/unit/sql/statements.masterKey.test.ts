import { describe, expect, it } from "vitest";
import {
  buildAddMasterKeyPassword,
  buildChangeMasterKeyPassword,
  buildCreateMasterKey,
  buildDropMasterKey,
  buildDropMasterKeyPassword,
  buildEnsureServiceMasterKeyEncryption,
  buildProveMasterKeyPassword,
  MASTER_KEY_PASSWORD_COUNT,
} from "../../../provider/sql/statements/masterKey";

const EXISTS = "SELECT 1 FROM master.sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'";
const OPEN_DMK = "SELECT 1 FROM master.sys.openkeys WHERE database_name = N'master' AND key_name = N'##MS_DatabaseMasterKey##'";
const CLOSE_IF_OPEN = `IF EXISTS (${OPEN_DMK}) CLOSE MASTER KEY`;

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

  it("password change: open with the old one, add the new one and drop the old one only if that opened it, prove the result (never REGENERATE)", () => {
    expect(buildChangeMasterKeyPassword("old'1", "new'2")).toEqual([
      { sql: CLOSE_IF_OPEN, params: {}, secrets: [] },
      { sql: "OPEN MASTER KEY DECRYPTION BY PASSWORD = N'old''1'", params: {}, secrets: ["old'1"] },
      {
        sql: `IF EXISTS (${OPEN_DMK}) BEGIN ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'new''2'; ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'old''1'; END`,
        params: {},
        secrets: ["new'2", "old'1"],
      },
      ...buildProveMasterKeyPassword("new'2"),
      MASTER_KEY_PASSWORD_COUNT,
    ]);
    expect(MASTER_KEY_PASSWORD_COUNT.sql).toBe(
      "SELECT COUNT(*) AS passwords FROM master.sys.key_encryptions AS e JOIN master.sys.symmetric_keys AS k ON k.symmetric_key_id = e.key_id " +
        "WHERE k.name = N'##MS_DatabaseMasterKey##' AND e.crypt_type IN ('ESKP', 'ESP2')",
    );
  });

  it("password proof: positive (sys.openkeys after the OPEN), never the absence of an error; closes only a key this session opened", () => {
    expect(buildProveMasterKeyPassword("p'w").map((s) => s.sql)).toEqual([
      CLOSE_IF_OPEN,
      "OPEN MASTER KEY DECRYPTION BY PASSWORD = N'p''w'",
      "SELECT COUNT(*) AS opened FROM master.sys.openkeys WHERE database_name = N'master' AND key_name = N'##MS_DatabaseMasterKey##'",
      CLOSE_IF_OPEN,
    ]);
    expect(buildProveMasterKeyPassword("p'w").flatMap((s) => s.secrets)).toEqual(["p'w"]);
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
        `BEGIN OPEN MASTER KEY DECRYPTION BY PASSWORD = N'pw'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; ${CLOSE_IF_OPEN}; END`,
      params: {},
      secrets: ["pw"],
    });
  });

  it("drop: guarded", () => {
    expect(buildDropMasterKey()).toEqual({ sql: `IF EXISTS (${EXISTS}) DROP MASTER KEY`, params: {}, secrets: [] });
  });
});
