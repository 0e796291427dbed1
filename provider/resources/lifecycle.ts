/**
 * Plumbing shared by the resource providers: reaching the SQL layer, resource ids, diff results and
 * the "object is gone" answer for refresh.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createSqlClient, SqlServerError, type SqlClient } from "../sql";
import { instanceChanged, connectionSettingsChanged, instanceKey, type ConnectionInputs } from "./connection";

/** The pooled SQL client for the connection a resource stores (one pool per server, port and user). */
export function clientFor(connection: ConnectionInputs): SqlClient {
  return createSqlClient({
    server: connection.server,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    encrypt: connection.encrypt,
    trustServerCertificate: connection.trustServerCertificate,
    ...(connection.ca !== undefined ? { ca: connection.ca } : {}),
    ...(connection.connectTimeoutMs !== undefined ? { connectTimeoutMs: connection.connectTimeoutMs } : {}),
    ...(connection.requestTimeoutMs !== undefined ? { requestTimeoutMs: connection.requestTimeoutMs } : {}),
  });
}

/** A resource id: `server:port/<kind>/<name>`, readable in `pulumi stack` and stable for the object's life. */
export function objectId(connection: ConnectionInputs, kind: string, ...names: string[]): string {
  return [instanceKey(connection), kind, ...names].join("/");
}

/** What `read` returns when the object no longer exists: an empty id makes refresh drop it from state. */
export const GONE: pulumi.dynamic.ReadResult = { id: "", props: {} };

/** Properties of a resource's state as the providers see them (plain values, secrets unwrapped). */
export type Props = Record<string, unknown> & { connection: ConnectionInputs };

/**
 * Builds a diff: `replaces` force a replacement, `updates` an in-place update; a change of server
 * or port always replaces and a change of credentials or TLS options is an update that never
 * touches SQL Server. Property names go to the engine, which shows them in `pulumi preview`.
 */
export function diffResult(olds: Props, news: Props, replaces: string[], updates: string[], deleteBeforeReplace = false): pulumi.dynamic.DiffResult {
  const r = [...replaces];
  const u = [...updates];
  if (instanceChanged(olds, news)) r.push("connection");
  else if (connectionSettingsChanged(olds, news)) u.push("connection");
  // A create whose outcome was unknown is finished by the next update, even once a refresh has
  // cleared the engine's initialization error.
  if (olds[CREATE_PENDING] === true) u.push(CREATE_PENDING);
  return {
    changes: r.length + u.length > 0,
    replaces: r,
    deleteBeforeReplace: r.length > 0 && deleteBeforeReplace,
  };
}

/** True when both are set and differ (`undefined` on the new side means "no opinion"). */
export function differs(desired: unknown, actual: unknown): boolean {
  return desired !== undefined && desired !== actual;
}

/** Inputs without the engine's `__provider` key (it must never reach SQL or a message). */
export function withoutProvider<T extends Record<string, unknown>>(props: T): Omit<T, "__provider"> {
  const { __provider: _ignored, ...rest } = props;
  void _ignored;
  return rest;
}

/**
 * An object is in the way of a create (it existed before and this resource must not take it over
 * silently). The message names the object, the instance and the way out.
 */
export class ObjectExistsError extends Error {
  constructor(objectType: string, objectName: string | undefined, target: string, fix: string) {
    super(`unable to create ${objectType}${objectName === undefined ? "" : ` [${objectName.replace(/]/g, "]]")}]`} on ${target}: it already exists; ${fix}`);
    this.name = "ObjectExistsError";
  }
}

/**
 * The inputs to store after a refresh: the declared ones (`keys`) with the values SQL Server now
 * reports. `pulumi preview` displays changes between stored and new inputs, so a drifted
 * property then shows as `port: 6001 => 5022` instead of an unexplained update.
 */
export function refreshedInputs(props: Props, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
}

/**
 * Output set on a resource whose create may or may not have run on SQL Server (see
 * {@link createKeepingPending}); the next `update` completes the create instead of altering.
 */
export const CREATE_PENDING = "createPending";

/** True when a failure leaves unknown whether SQL Server ran the request: the connection was lost or timed out after it went out. */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof SqlServerError && (error.category === "network" || error.category === "timeout");
}

/**
 * `error` made into the dynamic provider's "created, but failed to initialize" answer: with an `id`
 * and `properties`, the engine records the resource in state (with the error as its initialization
 * error) instead of forgetting it, and the next `pulumi up` updates it. `properties` hold the
 * connection password, so they are not enumerable: printing the error never shows them.
 */
function initFailure(error: unknown, id: string, properties: Record<string, unknown>, note: string): unknown {
  if (typeof error !== "object" || error === null) return error;
  const reason = `${(error as Error).message} — ${note}`;
  Object.defineProperty(error, "id", { value: id, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(error, "properties", { value: properties, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(error, "reasons", { value: [reason], enumerable: false, configurable: true, writable: true });
  return error;
}

/** What the engine shows after a create whose outcome is unknown. */
export const PENDING_NOTE =
  "SQL Server may or may not have run it, so the resource is kept in state as pending: `pulumi up` finishes the create, `pulumi refresh` drops it if nothing was created";

/** What the engine shows after a create whose object exists but whose later step failed. */
export const CREATED_NOTE = "the object was created and is kept in state: `pulumi up` finishes it";

/**
 * Runs a create so that a failure never leaves an object on SQL Server that state does not know:
 * - a failure whose outcome is unknown ({@link outcomeUnknown}: every attempt lost its connection
 *   after sending) keeps the resource in state as `pending` ({@link CREATE_PENDING} on
 *   `pending`, its inputs plus any generated values): `pulumi refresh` drops it if the object does not
 *   exist, the next `pulumi up` completes the create (an object found in place is taken only when it
 *   matches what this resource creates), `pulumi destroy` drops it only when it is provably its own;
 * - after `created(properties)` (the object certainly exists, a later step failed), any failure
 *   keeps the resource in state with those properties, and the next `pulumi up` finishes it.
 * Any other failure means nothing was created, and the resource stays out of state.
 * `pending` must include the inputs' `__provider`: later operations on the state need it.
 */
export async function createKeepingPending<T>(
  id: string,
  pending: Record<string, unknown>,
  create: (created: (properties: Record<string, unknown>) => void) => Promise<T>,
): Promise<T> {
  let known: Record<string, unknown> | undefined;
  try {
    return await create((properties) => {
      known = properties;
    });
  } catch (error) {
    if (known !== undefined) throw initFailure(error, id, known, CREATED_NOTE);
    if (outcomeUnknown(error)) throw initFailure(error, id, { ...pending, [CREATE_PENDING]: true }, PENDING_NOTE);
    throw error;
  }
}
