/** SQL logins standing in for peer instances: read, create, update, drop. */
import { createHash, timingSafeEqual } from "node:crypto";
import { loginQuery } from "../catalog";
import { statement, type SqlClient } from "../client";
import type { LoginRecord } from "../records";
import { buildAlterLogin, buildCreateLogin, buildDropLogin, type LoginSpec, type LoginUpdate } from "../statements/login";
import { alterAndReadBack, createAndReadBack, execute, readOne, type CreateOptions, type CreateResult, type OperationContext } from "./run";

function context(operation: string, name: string): OperationContext {
  return { operation, objectType: "login", objectName: name };
}

/** The server principal with this name, or undefined. One request. */
export async function readLogin(client: SqlClient, name: string): Promise<LoginRecord | undefined> {
  return readOne(client, context("read", name), loginQuery(name));
}

/**
 * Creates the SQL login unless a principal of that name exists; one request. A pre-existing one
 * (`existedBefore`) kept its own password, and may not even be a SQL login (`record.type`). After a
 * retry (or when `options.resumed`) a login found in place is this call's own only if it also has
 * `spec.password` (checked against its hash: a second request, {@link loginHasPassword}).
 */
export async function createLogin(client: SqlClient, spec: LoginSpec, options: CreateOptions = {}): Promise<CreateResult<LoginRecord>> {
  const matches = async (record: LoginRecord) =>
    record.type === "S" &&
    record.checkPolicy === (spec.checkPolicy ?? true) &&
    record.checkExpiration === (spec.checkExpiration ?? false) &&
    (await loginHasPassword(client, spec.name, spec.password));
  return createAndReadBack(client, context("create", spec.name), loginQuery(spec.name), [buildCreateLogin(spec)], matches, options);
}

/**
 * Whether the SQL login's password is `password`, as `PWDCOMPARE` decides it: the hash in
 * `sys.sql_logins.password_hash` (SQL Server 2012+ format `0x0200`, 4-byte salt, SHA-512 of the
 * UTF-16LE password and the salt) recomputed here, so the password never travels. One request.
 */
export async function loginHasPassword(client: SqlClient, name: string, password: string): Promise<boolean> {
  const { recordsets } = await execute(client, context("read", name), [
    statement("SELECT password_hash FROM master.sys.sql_logins WHERE name = @name", { name: { type: "nvarchar", value: name } }),
  ]);
  const hash = recordsets[0]?.[0]?.password_hash;
  if (!Buffer.isBuffer(hash) || hash.length !== 70 || hash[0] !== 0x02 || hash[1] !== 0x00) return false;
  const salt = hash.subarray(2, 6);
  const digest = createHash("sha512").update(Buffer.from(password, "utf16le")).update(salt).digest();
  return timingSafeEqual(digest, hash.subarray(6));
}

/** Applies `update` (see {@link LoginUpdate}) and reads back; one request, none when nothing changes. */
export async function updateLogin(client: SqlClient, current: LoginRecord, update: LoginUpdate): Promise<LoginRecord> {
  return alterAndReadBack(client, context("update", current.name), loginQuery(current.name), buildAlterLogin(current, update), current);
}

/** Drops the login if it exists; one request. */
export async function dropLogin(client: SqlClient, name: string): Promise<void> {
  await execute(client, context("drop", name), [buildDropLogin(name)]);
}
