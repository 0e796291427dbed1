/** Users in `master` mapping peer logins: read, create, remap, drop. */
import { userQuery } from "../catalog";
import type { SqlClient } from "../client";
import type { UserRecord } from "../records";
import { buildAlterUser, buildCreateUser, buildDropUser, type UserSpec } from "../statements/user";
import { alterAndReadBack, createAndReadBack, execute, readOne, type CreateOptions, type CreateResult, type OperationContext } from "./run";

function context(operation: string, name: string): OperationContext {
  return { operation, objectType: "user", objectName: name };
}

/** The principal of this name in master, or undefined. One request. */
export async function readUser(client: SqlClient, name: string): Promise<UserRecord | undefined> {
  return readOne(client, context("read", name), userQuery(name));
}

/** Creates the user unless a principal of that name exists in master; one request. Check `record.loginName` before adopting one. */
export async function createUser(client: SqlClient, spec: UserSpec, options: CreateOptions = {}): Promise<CreateResult<UserRecord>> {
  return createAndReadBack(client, context("create", spec.name), userQuery(spec.name), [buildCreateUser(spec)], (record) => record.loginName === spec.loginName, options);
}

/** Maps the user to `desired.loginName` and reads back; one request, none when it already is. */
export async function updateUser(client: SqlClient, current: UserRecord, desired: UserSpec): Promise<UserRecord> {
  return alterAndReadBack(client, context("update", current.name), userQuery(current.name), buildAlterUser(current, desired), current);
}

/** Drops the user if it exists; one request. Fails while it owns a certificate (15138). */
export async function dropUser(client: SqlClient, name: string): Promise<void> {
  await execute(client, context("drop", name), [buildDropUser(name)]);
}
