/**
 * The database master key of `master`: read, create (or find one to adopt), change its password,
 * make sure the service master key encrypts it, drop.
 */
import { masterKeyQuery } from "../catalog";
import type { SqlClient } from "../client";
import { SqlServerError } from "../errors";
import type { MasterKeyRecord } from "../records";
import {
  buildChangeMasterKeyPassword,
  buildCreateMasterKey,
  buildDropMasterKey,
  buildDropMasterKeyPassword,
  buildEnsureServiceMasterKeyEncryption,
  buildOpenAndCloseMasterKey,
  type MasterKeySpec,
} from "../statements/masterKey";
import { alterAndReadBack, createAndReadBack, execute, notVisible, readOne, type CreateOptions, type CreateResult, type OperationContext } from "./run";

function context(operation: string): OperationContext {
  return { operation, objectType: "database master key" };
}

/** The DMK of master, or undefined when there is none. One request. */
export async function readMasterKey(client: SqlClient): Promise<MasterKeyRecord | undefined> {
  return readOne(client, context("read"), masterKeyQuery());
}

/**
 * Creates the DMK unless master has one; one request. `existedBefore: true` means an existing key
 * was found and its password was NOT set: the caller adopts it (knowing its password) or refuses.
 * After a retry (or when `options.resumed`), a key found in place is this call's own only if
 * `spec.password` opens it (a second request, {@link masterKeyOpensWith}); otherwise it is reported
 * as pre-existing: the safe side, since only a key this stack created may be dropped.
 */
export async function createMasterKey(client: SqlClient, spec: MasterKeySpec, options: CreateOptions = {}): Promise<CreateResult<MasterKeyRecord>> {
  return createAndReadBack(client, context("create"), masterKeyQuery(), [buildCreateMasterKey(spec)], () => masterKeyOpensWith(client, spec.password), options);
}

/** Whether `password` opens the DMK (OPEN then CLOSE MASTER KEY; 15313 means it does not). One request. */
export async function masterKeyOpensWith(client: SqlClient, password: string): Promise<boolean> {
  try {
    await execute(client, context("open"), buildOpenAndCloseMasterKey(password));
    return true;
  } catch (error) {
    if (isServerError(error, 15313)) return false;
    throw error;
  }
}

function isServerError(error: unknown, number: number): boolean {
  return error instanceof SqlServerError && error.number === number;
}

/**
 * Changes the DMK password: adds `newPassword`, then drops `oldPassword`, then reads back; one
 * request, none when the two are equal. If the new password already encrypts the key (15557: an
 * earlier run or attempt added it), only the drop of the old one is sent; if that in turn finds the
 * old password gone (15313), the change is already complete and the key is read back. That
 * recovery path alone takes up to three requests.
 */
export async function changeMasterKeyPassword(
  client: SqlClient,
  current: MasterKeyRecord,
  oldPassword: string,
  newPassword: string,
): Promise<MasterKeyRecord> {
  const ctx = context("change the password of");
  const query = masterKeyQuery();
  try {
    return await alterAndReadBack(client, ctx, query, buildChangeMasterKeyPassword(oldPassword, newPassword), current);
  } catch (error) {
    if (!isServerError(error, 15557)) throw error;
  }
  try {
    return await alterAndReadBack(client, ctx, query, [buildDropMasterKeyPassword(oldPassword)], current);
  } catch (error) {
    if (!isServerError(error, 15313)) throw error;
  }
  const record = await readOne(client, ctx, query);
  if (record === undefined) throw notVisible(client, ctx, "after the password change");
  return record;
}

/**
 * Makes sure a copy of the DMK is encrypted by the service master key (so the endpoint can open
 * its certificate's private key unattended); `password` opens the key for that. No request when
 * `current` already says so; otherwise one.
 */
export async function ensureMasterKeyServiceEncryption(client: SqlClient, current: MasterKeyRecord, password: string): Promise<MasterKeyRecord> {
  const ddl = current.encryptedByServiceMasterKey ? [] : [buildEnsureServiceMasterKeyEncryption(password)];
  return alterAndReadBack(client, context("add service master key encryption to"), masterKeyQuery(), ddl, current);
}

/** Drops the DMK if there is one; one request. Fails (15580) while it protects any private key. */
export async function dropMasterKey(client: SqlClient): Promise<void> {
  await execute(client, context("drop"), [buildDropMasterKey()]);
}
