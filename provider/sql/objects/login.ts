/** SQL logins standing in for peer instances: read, create, update, drop. */
import { loginQuery } from "../catalog";
import type { SqlClient } from "../client";
import type { LoginRecord } from "../records";
import { buildAlterLogin, buildCreateLogin, buildDropLogin, type LoginSpec, type LoginUpdate } from "../statements/login";
import { alterAndReadBack, createAndReadBack, execute, readOne, type CreateResult, type OperationContext } from "./run";

function context(operation: string, name: string): OperationContext {
  return { operation, objectType: "login", objectName: name };
}

/** The server principal with this name, or undefined. One request. */
export async function readLogin(client: SqlClient, name: string): Promise<LoginRecord | undefined> {
  return readOne(client, context("read", name), loginQuery(name));
}

/**
 * Creates the SQL login unless a principal of that name exists; one request. A pre-existing one
 * (`existedBefore`) kept its own password, and may not even be a SQL login (`record.type`).
 */
export async function createLogin(client: SqlClient, spec: LoginSpec): Promise<CreateResult<LoginRecord>> {
  return createAndReadBack(client, context("create", spec.name), loginQuery(spec.name), [buildCreateLogin(spec)], (record) => {
    return record.type === "S" && record.checkPolicy === (spec.checkPolicy ?? true) && record.checkExpiration === (spec.checkExpiration ?? false);
  });
}

/** Applies `update` (see {@link LoginUpdate}) and reads back; one request, none when nothing changes. */
export async function updateLogin(client: SqlClient, current: LoginRecord, update: LoginUpdate): Promise<LoginRecord> {
  return alterAndReadBack(client, context("update", current.name), loginQuery(current.name), buildAlterLogin(current, update), current);
}

/** Drops the login if it exists; one request. */
export async function dropLogin(client: SqlClient, name: string): Promise<void> {
  await execute(client, context("drop", name), [buildDropLogin(name)]);
}
