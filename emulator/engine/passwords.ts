/**
 * Login passwords and the password policy. Logins keep only SQL Server's own salted hash format
 * (SQL Server 2012+: `0x0200`, a 4-byte salt, SHA-512 of the UTF-16LE password followed by the salt),
 * so `CREATE LOGIN … WITH PASSWORD = 0x0200… HASHED` round-trips with `sys.sql_logins.password_hash`.
 */
import * as crypto from "node:crypto";
import { fail } from "./errors";

const HASH_VERSION = Buffer.from([0x02, 0x00]);

function digest(password: string, salt: Buffer): Buffer {
  return crypto.createHash("sha512").update(Buffer.from(password, "utf16le")).update(salt).digest();
}

/** The salted hash of a login password. */
export function hashLoginPassword(password: string): Buffer {
  const salt = crypto.randomBytes(4);
  return Buffer.concat([HASH_VERSION, salt, digest(password, salt)]);
}

/** True when `hash` has the SQL Server 2012+ shape (version 0x0200, 4-byte salt, 64-byte digest). */
export function isLoginPasswordHash(hash: Buffer): boolean {
  return hash.length === 70 && hash[0] === 0x02 && hash[1] === 0x00;
}

/** True when `password` matches `hash` (constant-time). */
export function verifyLoginPassword(hash: Buffer, password: string): boolean {
  if (!isLoginPasswordHash(hash)) return false;
  const expected = digest(password, hash.subarray(2, 6));
  return crypto.timingSafeEqual(expected, hash.subarray(6));
}

/** SQL Server's maximum password length. */
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Applies SQL Server's documented password complexity (Microsoft's "Password Policy" page): 8–128
 * characters, characters from three of the four categories Latin upper case (A–Z), Latin lower
 * case (a–z), base-10 digits (0–9) and non-alphanumeric characters, and not containing the login
 * name. Assumption: every character outside A–Z, a–z, 0–9 (a non-Latin letter too) counts as
 * non-alphanumeric. Throws 15116 / 15117 / 15118.
 */
export function checkPasswordPolicy(password: string, loginName?: string): void {
  if (password.length > MAX_PASSWORD_LENGTH) fail(15117);
  if (password.length < 8) fail(15116);
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) fail(15118);
  if (loginName && loginName.length >= 3 && password.toLowerCase().includes(loginName.toLowerCase())) fail(15118);
}
