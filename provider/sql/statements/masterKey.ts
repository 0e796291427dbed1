/**
 * Statements for the database master key (DMK) in `master`. The DMK protects the private key of
 * the endpoint certificate; its copy encrypted by the service master key (SMK) is what lets the
 * endpoint open that key unattended.
 */
import { statement, type Statement } from "../client";
import { quoteString } from "../quote";
import { assertValid, validatePassword } from "../validate";

/** The catalog name every database master key has in `sys.symmetric_keys`. */
export const MASTER_KEY_NAME = "##MS_DatabaseMasterKey##";

/** True when master has a DMK. A constant: the name never varies, so no parameter is needed. */
const MASTER_KEY_EXISTS = `SELECT 1 FROM master.sys.symmetric_keys WHERE name = N'${MASTER_KEY_NAME}'`;

/** The desired database master key. */
export interface MasterKeySpec {
  /** `ENCRYPTION BY PASSWORD`: protects the key; required on SQL Server (secret). */
  password: string;
}

function checkedPassword(value: string, property: string): string {
  assertValid(property, validatePassword(value));
  return quoteString(value);
}

/**
 * `CREATE MASTER KEY ENCRYPTION BY PASSWORD = …`, skipped when master already has one (the caller
 * learns that from the read-back and decides to adopt or refuse). SQL Server also encrypts a copy
 * with the SMK by default, which is what the endpoint needs.
 */
export function buildCreateMasterKey(spec: MasterKeySpec): Statement {
  const password = checkedPassword(spec.password, "password");
  return statement(`IF NOT EXISTS (${MASTER_KEY_EXISTS}) CREATE MASTER KEY ENCRYPTION BY PASSWORD = ${password}`, {}, [spec.password]);
}

/**
 * `ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = …`: the first half of a password change. Adding
 * then dropping keeps the key openable by a known password throughout, and re-encrypts nothing
 * (REGENERATE would re-encrypt every key under the DMK and is never used).
 */
export function buildAddMasterKeyPassword(newPassword: string): Statement {
  return statement(`ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = ${checkedPassword(newPassword, "newPassword")}`, {}, [newPassword]);
}

/** `ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = …`: the second half of a password change. */
export function buildDropMasterKeyPassword(oldPassword: string): Statement {
  return statement(`ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = ${checkedPassword(oldPassword, "oldPassword")}`, {}, [oldPassword]);
}

/**
 * A password change: add the new password, then drop the old one. Nothing when they are equal
 * (dropping the password just "added" would remove the only one).
 */
export function buildChangeMasterKeyPassword(oldPassword: string, newPassword: string): Statement[] {
  if (oldPassword === newPassword) return [];
  return [buildAddMasterKeyPassword(newPassword), buildDropMasterKeyPassword(oldPassword)];
}

/**
 * Makes sure the DMK is encrypted by the service master key, so the endpoint can open it without
 * a password. Skipped when `sys.databases.is_master_key_encrypted_by_server` already says so;
 * otherwise the key is opened with its password first (without the SMK copy it cannot open itself:
 * 15581), the SMK encryption added, and the key closed again so the pooled session does not keep it open.
 */
export function buildEnsureServiceMasterKeyEncryption(password: string): Statement {
  const literal = checkedPassword(password, "password");
  return statement(
    "IF NOT EXISTS (SELECT 1 FROM master.sys.databases WHERE name = N'master' AND is_master_key_encrypted_by_server = 1) " +
      `BEGIN OPEN MASTER KEY DECRYPTION BY PASSWORD = ${literal}; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; CLOSE MASTER KEY; END`,
    {},
    [password],
  );
}

/**
 * `OPEN MASTER KEY DECRYPTION BY PASSWORD = …; CLOSE MASTER KEY`: succeeds only when `password`
 * is one of the key's password encryptions (else 15313). Proves that a key found after a create
 * whose reply was lost is the one that create made, and changes nothing.
 */
export function buildOpenAndCloseMasterKey(password: string): Statement[] {
  return [statement(`OPEN MASTER KEY DECRYPTION BY PASSWORD = ${checkedPassword(password, "password")}`, {}, [password]), statement("CLOSE MASTER KEY")];
}

/**
 * `DROP MASTER KEY`, skipped when there is none. SQL Server refuses (15580) while any private key
 * in master is protected by it, e.g. a TDE certificate: only a key this stack created should be dropped.
 */
export function buildDropMasterKey(): Statement {
  return statement(`IF EXISTS (${MASTER_KEY_EXISTS}) DROP MASTER KEY`);
}
