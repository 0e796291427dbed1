/**
 * Plumbing shared by the resource providers: reaching the SQL layer, resource ids, diff results and
 * the "object is gone" answer for refresh.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createSqlClient, type SqlClient } from "../sql";
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
