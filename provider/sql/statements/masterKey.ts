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
 * The DMK as the session's open key (`sys.openkeys`). Proofs that a password opens the key look
 * here instead of at OPEN MASTER KEY's error: Microsoft's message table gives 15313 ("The key is not
 * encrypted using the specified decryptor") severity 10, which a client does not see as an error.
 */
const OPEN_KEY_ROWS = `FROM master.sys.openkeys WHERE database_name = N'master' AND key_name = N'${MASTER_KEY_NAME}'`;
const MASTER_KEY_OPEN = `SELECT 1 ${OPEN_KEY_ROWS}`;

/**
 * `CLOSE MASTER KEY` only when the session has the key open (the CLOSE MASTER KEY page: it "only
 * succeeds when the database master key was opened in the current session").
 */
const CLOSE_IF_OPEN = statement(`IF EXISTS (${MASTER_KEY_OPEN}) CLOSE MASTER KEY`);

/** One row: `opened` is 1 when the DMK is open in this session. */
const OPENED = statement(`SELECT COUNT(*) AS opened ${OPEN_KEY_ROWS}`);

/** One row: `passwords`, how many password encryptions the DMK has (`sys.key_encryptions`). */
export const MASTER_KEY_PASSWORD_COUNT = statement(
  "SELECT COUNT(*) AS passwords FROM master.sys.key_encryptions AS e JOIN master.sys.symmetric_keys AS k ON k.symmetric_key_id = e.key_id " +
    `WHERE k.name = N'${MASTER_KEY_NAME}' AND e.crypt_type IN ('ESKP', 'ESP2')`,
);

function openMasterKey(password: string, property: string): Statement {
  return statement(`OPEN MASTER KEY DECRYPTION BY PASSWORD = ${checkedPassword(password, property)}`, {}, [password]);
}

/**
 * Whether `password` opens the DMK, as one recordset (`opened` 1 or 0): close the key if this
 * session has it open, OPEN MASTER KEY with the password, look in `sys.openkeys`, close it again.
 * Positive and severity-independent: a wrong password leaves the key out of `sys.openkeys` whether
 * its 15313 comes as an error (severity 16, as real servers are reported to send it) or as an
 * informational message (severity 10, as the message table lists it). Changes nothing.
 */
export function buildProveMasterKeyPassword(password: string): Statement[] {
  return [CLOSE_IF_OPEN, openMasterKey(password, "password"), OPENED, CLOSE_IF_OPEN];
}

/**
 * A password change that works whether or not the service master key can open the DMK: open the
 * key with the old password, add the new one, drop the old one, then prove the result in the same
 * request: the new password opens the key (`opened`, one recordset) and it is the only password
 * (`passwords`, one recordset). Nothing when the two are equal (dropping the password just "added"
 * would remove the only one).
 */
export function buildChangeMasterKeyPassword(oldPassword: string, newPassword: string): Statement[] {
  if (oldPassword === newPassword) return [];
  return [
    CLOSE_IF_OPEN,
    openMasterKey(oldPassword, "oldPassword"),
    whileOpen(buildAddMasterKeyPassword(newPassword), buildDropMasterKeyPassword(oldPassword)),
    ...buildProveMasterKeyPassword(newPassword),
    MASTER_KEY_PASSWORD_COUNT,
  ];
}

/**
 * `IF <the DMK is open in this session> BEGIN … END`: nothing changes unless the OPEN before it
 * worked, whatever severity a failed OPEN had (the key would otherwise still be usable through the
 * service master key, and a wrong password would go unnoticed).
 */
function whileOpen(...statements: Statement[]): Statement {
  return statement(`IF EXISTS (${MASTER_KEY_OPEN}) BEGIN ${statements.map((s) => `${s.sql};`).join(" ")} END`, {}, statements.flatMap((s) => s.secrets));
}

/**
 * Drops `oldPassword` from a key that `newPassword` opens (the second half of a change an earlier
 * attempt left half done), then proves as {@link buildChangeMasterKeyPassword} does.
 */
export function buildFinishMasterKeyPasswordChange(oldPassword: string, newPassword: string): Statement[] {
  return [CLOSE_IF_OPEN, openMasterKey(newPassword, "newPassword"), whileOpen(buildDropMasterKeyPassword(oldPassword)), ...buildProveMasterKeyPassword(newPassword), MASTER_KEY_PASSWORD_COUNT];
}

/** The proof alone: whether `newPassword` opens the DMK, and how many passwords it has. */
export function buildProveMasterKeyPasswordChange(newPassword: string): Statement[] {
  return [...buildProveMasterKeyPassword(newPassword), MASTER_KEY_PASSWORD_COUNT];
}

/**
 * Makes sure the DMK is encrypted by the service master key, so the endpoint can open it without
 * a password. Skipped when `sys.databases.is_master_key_encrypted_by_server` already says so;
 * otherwise the key is opened with its password first (without the SMK copy it cannot open itself:
 * 15581), the SMK encryption added, and the key closed again so the pooled session does not keep it
 * open. Whether it worked is read back from `sys.databases`, not inferred from the absence of an error.
 */
export function buildEnsureServiceMasterKeyEncryption(password: string): Statement {
  const literal = checkedPassword(password, "password");
  return statement(
    "IF NOT EXISTS (SELECT 1 FROM master.sys.databases WHERE name = N'master' AND is_master_key_encrypted_by_server = 1) " +
      `BEGIN OPEN MASTER KEY DECRYPTION BY PASSWORD = ${literal}; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; ${CLOSE_IF_OPEN.sql}; END`,
    {},
    [password],
  );
}

/**
 * `DROP MASTER KEY`, skipped when there is none. SQL Server refuses (15580) while any private key
 * in master is protected by it, e.g. a TDE certificate: only a key this stack created should be dropped.
 */
export function buildDropMasterKey(): Statement {
  return statement(`IF EXISTS (${MASTER_KEY_EXISTS}) DROP MASTER KEY`);
}
