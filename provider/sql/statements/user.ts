/**
 * Statements for the user in `master` that maps a peer's login and owns the peer's certificate:
 * SQL Server identifies an inbound peer by its certificate's owner, then checks that user's login
 * for CONNECT on the endpoint.
 */
import { statement, type Statement } from "../client";
import type { UserRecord } from "../records";
import { quoteIdentifier } from "../quote";

/** The desired user in master. */
export interface UserSpec {
  /** User name (sysname). */
  name: string;
  /** `FOR LOGIN`: the login it maps to. */
  loginName: string;
}

/** `CREATE USER [u] FOR LOGIN [l]`, skipped when a principal of that name exists in master. */
export function buildCreateUser(spec: UserSpec): Statement {
  return statement(
    "IF NOT EXISTS (SELECT 1 FROM master.sys.database_principals WHERE name = @name) " +
      `CREATE USER ${quoteIdentifier(spec.name, "name")} FOR LOGIN ${quoteIdentifier(spec.loginName, "loginName")}`,
    { name: { type: "nvarchar", value: spec.name } },
  );
}

/** `ALTER USER [u] WITH LOGIN = [l]` when the user maps to another login (or none); empty otherwise. */
export function buildAlterUser(current: UserRecord, desired: UserSpec): Statement[] {
  if (current.loginName === desired.loginName) return [];
  return [statement(`ALTER USER ${quoteIdentifier(current.name, "name")} WITH LOGIN = ${quoteIdentifier(desired.loginName, "loginName")}`)];
}

/**
 * `DROP USER IF EXISTS [u]`: the one DROP with a documented IF EXISTS (SQL Server 2016+). Fails
 * while the user still owns the peer certificate (15138).
 */
export function buildDropUser(name: string): Statement {
  return statement(`DROP USER IF EXISTS ${quoteIdentifier(name, "name")}`);
}
