/**
 * Plumbing shared by the availability-group resources, which reach several instances (every
 * replica) instead of one: checking a list of connections, telling a new instance from new
 * credentials, finding the primary among them, and reading the states SQL Server reports.
 */
import { discoverPrimary, type AvailabilityGroupRecord, type ConnectError, type DiscoveredPrimary, type SqlClient } from "../sql";
import { checkConnection, connectionSettingsChanged, instanceKey, type CheckFailure, type ConnectionInputs } from "./connection";
import { clientFor } from "./lifecycle";
import { isUnknown } from "./unknown";

/**
 * Checks a list of connections, naming each failure by where the program wrote it
 * (`<label(i)>.connection.port`). Unknown entries (preview) are kept as they are.
 */
export function checkConnectionList(raw: unknown, label: (i: number) => string, failures: CheckFailure[], property: string): unknown[] | undefined {
  if (isUnknown(raw) && !Array.isArray(raw)) return undefined;
  if (!Array.isArray(raw)) {
    failures.push({ property, reason: "is required: a list with one connection per replica" });
    return undefined;
  }
  return raw.map((entry, i) => {
    const own: CheckFailure[] = [];
    const normalized = checkConnection(entry, own);
    for (const f of own) failures.push({ property: `${label(i)}.${f.property}`, reason: f.reason });
    return normalized ?? entry;
  });
}

/** The connections as the providers see them (plain values). */
export function connectionsOf(value: unknown): ConnectionInputs[] {
  return Array.isArray(value) ? (value as ConnectionInputs[]) : [];
}

/** Whether any connection differs between olds and news, by instance or by settings only (credentials, TLS, timeouts). */
export function connectionListChanges(olds: unknown, news: unknown): { instances: boolean; settings: boolean } {
  const o = connectionsOf(olds);
  const n = connectionsOf(news);
  const key = (c: ConnectionInputs) => instanceKey(c);
  const instances = o.length !== n.length || o.some((c, i) => key(c) !== key(n[i]!));
  const settings = !instances && o.some((c, i) => connectionSettingsChanged({ connection: c }, { connection: n[i]! }));
  return { instances, settings };
}

/** The pooled clients for a list of connections. */
export function clientsFor(connections: readonly ConnectionInputs[]): SqlClient[] {
  return connections.map((c) => clientFor(c));
}

/**
 * The current primary among the replicas' connections, asking first the one whose server name is
 * `lastPrimary` (the primary recorded in state) in `serverNames` (aligned with `connections`).
 */
export async function findPrimary(
  connections: readonly ConnectionInputs[],
  group: string,
  serverNames: readonly (string | undefined)[],
  lastPrimary: unknown,
): Promise<DiscoveredPrimary | undefined> {
  const hint = typeof lastPrimary === "string" ? serverNames.findIndex((n) => n !== undefined && n.toLowerCase() === lastPrimary.toLowerCase()) : -1;
  return discoverPrimary(clientsFor(connections), group, hint >= 0 ? hint : 0);
}

/** One replica's health as an output: only states that change when something happens. */
export interface ReplicaHealth {
  /** PRIMARY, SECONDARY or RESOLVING; null when the primary does not know it (a disconnected or not yet joined replica). */
  role: string | null;
  /** Whether SQL Server reports it CONNECTED (the primary always is). */
  connected: boolean;
  /** HEALTHY, PARTIALLY_HEALTHY or NOT_HEALTHY; null when not reported. */
  synchronizationHealth: string | null;
  /** SQL Server's last connection error for it (number and text), or null. */
  lastConnectError: ConnectError | null;
}

/** Each replica's health as the primary reports it, by server name. */
export function replicaHealthOf(record: AvailabilityGroupRecord): Record<string, ReplicaHealth> {
  return Object.fromEntries(
    record.replicas.map((r) => [
      r.serverName,
      {
        role: r.state?.role ?? null,
        connected: r.state?.role === "PRIMARY" || r.state?.connectedState === "CONNECTED",
        synchronizationHealth: r.state?.synchronizationHealth ?? null,
        lastConnectError: r.state?.lastConnectError ?? null,
      },
    ]),
  );
}

/**
 * `value` without `undefined` anywhere in it: the dynamic-provider host sends results as a
 * protobuf Struct, which has no `undefined` and refuses one.
 */
export function defined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => defined(v)) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, defined(v)])) as T;
  }
  return value;
}
