/**
 * The database master key of `master`: read, create (or find one to adopt), change its password,
 * make sure the service master key encrypts it, drop.
 */
import { masterKeyQuery } from "../catalog";
import type { Recordset, SqlClient, Statement } from "../client";
import { conflictError, SqlServerError } from "../errors";
import type { MasterKeyRecord } from "../records";
import { integer } from "../rows";
import {
  buildChangeMasterKeyPassword,
  buildCreateMasterKey,
  buildDropMasterKey,
  buildEnsureServiceMasterKeyEncryption,
  buildFinishMasterKeyPasswordChange,
  buildProveMasterKeyPassword,
  buildProveMasterKeyPasswordChange,
  type MasterKeySpec,
} from "../statements/masterKey";
import { alterAndReadBack, createAndReadBack, execute, notVisible, readOne, splitResults, type CreateOptions, type CreateResult, type OperationContext } from "./run";

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

/** `opened` of a proof's recordset (see buildProveMasterKeyPassword). */
function opened(rows: Recordset | undefined): boolean {
  return rows?.[0] !== undefined && integer(rows[0], "opened") === 1;
}

/**
 * Whether `password` opens the DMK; one request. True only when the key is then listed in
 * `sys.openkeys` (positive proof). A 15313 error (wrong password at severity 16) is false, and so is
 * a wrong password reported at severity 10, which raises no error at all: the key is not listed.
 */
export async function masterKeyOpensWith(client: SqlClient, password: string): Promise<boolean> {
  try {
    const { recordsets } = await execute(client, context("open"), buildProveMasterKeyPassword(password));
    return opened(splitResults(recordsets, [1])[0]![0]);
  } catch (error) {
    if (isServerError(error, 15313)) return false;
    throw error;
  }
}

function isServerError(error: unknown, number: number): boolean {
  return error instanceof SqlServerError && error.number === number;
}

/** Errors a half-done or already-done password change can meet (severity 16), answered by proving the state. */
const PASSWORD_CHANGE_STATES = [15313, 15557, 15558, 15581];

/** Rounds of proof-and-repair a password change takes at most after its first request. */
const PASSWORD_CHANGE_ROUNDS = 3;

/**
 * Changes the DMK password: opens the key with `oldPassword` (so it works when the service master
 * key cannot open it), adds `newPassword`, drops `oldPassword`, and proves in the same request that
 * the new password opens the key and is its only password; then reads back. One request; none
 * when the two are equal.
 *
 * When that proof fails, or the request meets a state error (15557: an earlier run added the new
 * password already; 15313 / 15558: the old one is gone or is the only one; 15581), nothing is
 * inferred from the error: each password is proved ({@link masterKeyOpensWith}), the missing half is
 * done, and the proof repeated, at most {@link PASSWORD_CHANGE_ROUNDS} rounds.
 */
export async function changeMasterKeyPassword(
  client: SqlClient,
  current: MasterKeyRecord,
  oldPassword: string,
  newPassword: string,
): Promise<MasterKeyRecord> {
  if (oldPassword === newPassword) return current;
  const ctx = context("change the password of");
  const query = masterKeyQuery();
  const attempt = async (ddl: Statement[]): Promise<MasterKeyRecord | undefined> => {
    try {
      const { recordsets } = await execute(client, ctx, [...ddl, ...query.statements]);
      const [proof, count, record] = splitResults(recordsets, [1, 1, query.resultCount]);
      const passwords = count![0]?.[0] === undefined ? 0 : integer(count![0][0], "passwords");
      if (!opened(proof![0]) || passwords !== 1) return undefined;
      const changed = query.map(record!);
      if (changed === undefined) throw notVisible(client, ctx, "after the password change");
      return changed;
    } catch (error) {
      if (PASSWORD_CHANGE_STATES.some((n) => isServerError(error, n))) return undefined;
      throw error;
    }
  };
  const done = await attempt(buildChangeMasterKeyPassword(oldPassword, newPassword));
  if (done !== undefined) return done;
  for (let round = 1; round <= PASSWORD_CHANGE_ROUNDS; round++) {
    const newOpens = await masterKeyOpensWith(client, newPassword);
    const oldOpens = await masterKeyOpensWith(client, oldPassword);
    if (newOpens && !oldOpens) {
      const record = await attempt(buildProveMasterKeyPasswordChange(newPassword));
      if (record !== undefined) return record;
      throw conflictError({ ...ctx, target: client.target }, "EPASSWORD", "the new password opens it, but so does another password than the one in state (added out of band): drop that one, or adopt the key");
    }
    if (!newOpens && !oldOpens) {
      throw conflictError({ ...ctx, target: client.target }, "EPASSWORD", "neither the password in state nor the new password opens it: it was changed out of band; set the program's password to the one it has now");
    }
    const next = await attempt(newOpens ? buildFinishMasterKeyPasswordChange(oldPassword, newPassword) : buildChangeMasterKeyPassword(oldPassword, newPassword));
    if (next !== undefined) return next;
  }
  throw conflictError({ ...ctx, target: client.target }, "EPASSWORD", `the new password still does not replace the old one after ${PASSWORD_CHANGE_ROUNDS} attempts`);
}

/**
 * Makes sure a copy of the DMK is encrypted by the service master key (so the endpoint can open
 * its certificate's private key unattended); `password` opens the key for that. No request when
 * `current` already says so; otherwise one, whose read-back must show the copy (else an error:
 * nothing is inferred from the absence of one).
 */
export async function ensureMasterKeyServiceEncryption(client: SqlClient, current: MasterKeyRecord, password: string): Promise<MasterKeyRecord> {
  const ctx = context("add service master key encryption to");
  const ddl = current.encryptedByServiceMasterKey ? [] : [buildEnsureServiceMasterKeyEncryption(password)];
  const record = await alterAndReadBack(client, ctx, masterKeyQuery(), ddl, current);
  if (!record.encryptedByServiceMasterKey) {
    throw conflictError({ ...ctx, target: client.target }, "ESMK", "it is still not encrypted by the service master key: the password given does not open it");
  }
  return record;
}

/** Drops the DMK if there is one; one request. Fails (15580) while it protects any private key. */
export async function dropMasterKey(client: SqlClient): Promise<void> {
  await execute(client, context("drop"), [buildDropMasterKey()]);
}
