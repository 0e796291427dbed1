/**
 * Statements for the SQL login that stands in for a peer instance. Nobody logs in with it: the
 * peer authenticates with its certificate, which a user of this login owns. Its password only has
 * to satisfy the server's policy.
 */
import { statement, type Statement } from "../client";
import { ValidationError } from "../errors";
import type { LoginRecord } from "../records";
import { quoteIdentifier, quoteString } from "../quote";
import { assertValid, MAX_LOGIN_PASSWORD_LENGTH, validateLoginName, validatePassword } from "../validate";

/** The desired SQL login. */
export interface LoginSpec {
  /** Login name: a sysname without a backslash. */
  name: string;
  /** `PASSWORD` (secret), at most 128 characters. */
  password: string;
  /** `CHECK_POLICY`: enforce the Windows password policy. Default true (SQL Server's default). */
  checkPolicy?: boolean;
  /** `CHECK_EXPIRATION`: enforce password expiry; needs checkPolicy. Default false (SQL Server's default). */
  checkExpiration?: boolean;
}

/** Changes to a login; absent fields stay as they are. */
export interface LoginUpdate {
  /** A new `PASSWORD` (secret). Always applied when given: the current one cannot be read. */
  password?: string;
  /** New `CHECK_POLICY`, applied when it differs from the catalog. */
  checkPolicy?: boolean;
  /** New `CHECK_EXPIRATION`, applied when it differs from the catalog. */
  checkExpiration?: boolean;
}

function onOff(value: boolean): string {
  return value ? "ON" : "OFF";
}

function loginName(name: string): string {
  assertValid("name", validateLoginName(name));
  return quoteIdentifier(name);
}

function password(value: string): string {
  assertValid("password", validatePassword(value, MAX_LOGIN_PASSWORD_LENGTH));
  return quoteString(value);
}

function checkFlags(checkPolicy: boolean, checkExpiration: boolean): void {
  if (checkExpiration && !checkPolicy) {
    throw new ValidationError("checkExpiration", "needs checkPolicy: SQL Server refuses CHECK_EXPIRATION = ON with CHECK_POLICY = OFF (15122)");
  }
}

/**
 * `CREATE LOGIN [n] WITH PASSWORD = N'…', CHECK_POLICY = …, CHECK_EXPIRATION = …`, skipped when a
 * server principal of that name exists. Both flags are always written, defaults included.
 */
export function buildCreateLogin(spec: LoginSpec): Statement {
  const name = loginName(spec.name);
  const checkPolicy = spec.checkPolicy ?? true;
  const checkExpiration = spec.checkExpiration ?? false;
  checkFlags(checkPolicy, checkExpiration);
  return statement(
    "IF NOT EXISTS (SELECT 1 FROM master.sys.server_principals WHERE name = @name) " +
      `CREATE LOGIN ${name} WITH PASSWORD = ${password(spec.password)}, CHECK_POLICY = ${onOff(checkPolicy)}, CHECK_EXPIRATION = ${onOff(checkExpiration)}`,
    { name: { type: "nvarchar", value: spec.name } },
    [spec.password],
  );
}

/**
 * `ALTER LOGIN [n] WITH CHECK_POLICY = …, CHECK_EXPIRATION = …` when a flag differs from the
 * catalog, then `ALTER LOGIN [n] WITH PASSWORD = N'…'` when a password is given (flags first, so
 * a password is judged by the policy it will live under). Empty when nothing changes.
 */
export function buildAlterLogin(current: LoginRecord, update: LoginUpdate): Statement[] {
  const name = loginName(current.name);
  const statements: Statement[] = [];
  const checkPolicy = update.checkPolicy ?? current.checkPolicy ?? true;
  const checkExpiration = update.checkExpiration ?? current.checkExpiration ?? false;
  if (checkPolicy !== current.checkPolicy || checkExpiration !== current.checkExpiration) {
    checkFlags(checkPolicy, checkExpiration);
    statements.push(statement(`ALTER LOGIN ${name} WITH CHECK_POLICY = ${onOff(checkPolicy)}, CHECK_EXPIRATION = ${onOff(checkExpiration)}`));
  }
  if (update.password !== undefined) {
    statements.push(statement(`ALTER LOGIN ${name} WITH PASSWORD = ${password(update.password)}`, {}, [update.password]));
  }
  return statements;
}

/** `DROP LOGIN [n]`, skipped when there is none. Fails while the login owns the endpoint (15141) or is connected (15434). */
export function buildDropLogin(name: string): Statement {
  return statement(`IF EXISTS (SELECT 1 FROM master.sys.server_principals WHERE name = @name) DROP LOGIN ${loginName(name)}`, {
    name: { type: "nvarchar", value: name },
  });
}
