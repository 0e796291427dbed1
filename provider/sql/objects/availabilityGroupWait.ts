/**
 * Bounded waits for availability-group health: a replica CONNECTED to its primary, a database's
 * copies SYNCHRONIZED (synchronous commit) or SYNCHRONIZING (asynchronous commit). Each polls a
 * catalog read with exponential backoff, stops at a deadline, and fails naming the replica and
 * SQL Server's own error (`last_connect_error_number/description`, or the automatic-seeding
 * failure), never waiting forever as the anchors' users complain (dbatools #7487, #8603).
 */
import type { SqlClient } from "../client";
import { availabilityDatabaseQuery, localReplicaQuery } from "../availabilityGroupCatalog";
import type {
  AvailabilityDatabaseRecord,
  AvailabilityGroupRecord,
  ConnectError,
  LocalReplicaRecord,
  SynchronizationState,
} from "../availabilityGroupRecords";
import { conflictError, displayName, type SqlServerError } from "../errors";
import { hintFor } from "../hints";
import { readOne, type OperationContext } from "./run";

/** How long and how often to poll. */
export interface WaitOptions {
  /** Give up after this many milliseconds (≥ 0; 0 polls once). */
  timeoutMs: number;
  /** First pause between polls, ms. Default 250; doubled after each poll. */
  initialDelayMs?: number;
  /** Longest pause between polls, ms. Default 2000. */
  maxDelayMs?: number;
  /** Waits `ms`. Injectable for tests; default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** The clock, ms. Injectable for tests; default `Date.now`. */
  now?: () => number;
}

/** A hard cap on polls, whatever the clock says: every loop stops by itself. */
export const MAX_POLLS = 10_000;

/** The outcome of {@link pollUntil}. */
export interface PollOutcome<T> {
  /** The last value polled. */
  value: T;
  /** Whether it settled before the deadline. */
  settled: boolean;
  /** Polls made. */
  polls: number;
  /** Milliseconds waited, by the clock. */
  elapsedMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `poll` until `settled(value)`, with pauses of `initialDelayMs` doubling up to
 * `maxDelayMs`, never pausing past the deadline; the first poll is immediate and the last one is
 * at the deadline. `poll` errors propagate (the reads retry transient ones themselves).
 */
export async function pollUntil<T>(poll: () => Promise<T>, settled: (value: T) => boolean, options: WaitOptions): Promise<PollOutcome<T>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const started = now();
  const deadline = started + Math.max(0, options.timeoutMs);
  let delay = Math.max(1, options.initialDelayMs ?? 250);
  const maxDelay = Math.max(delay, options.maxDelayMs ?? 2000);
  for (let polls = 1; ; polls++) {
    const value = await poll();
    const done = settled(value);
    const at = now();
    if (done || at >= deadline || polls >= MAX_POLLS) return { value, settled: done, polls, elapsedMs: at - started };
    await sleep(Math.min(delay, deadline - at));
    delay = Math.min(maxDelay, delay * 2);
  }
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** `last_connect_error` as a phrase, with advice when this package knows the number. */
export function describeConnectError(error: ConnectError | null | undefined): string {
  if (error === null || error === undefined) {
    return "SQL Server reports no connection error: check that each replica's endpoint URL is reachable from the others and that the endpoints are STARTED";
  }
  const hint = hintFor(error.number);
  return `SQL Server's last connection error is ${error.description} (Msg ${error.number})${hint === undefined ? "" : ` — ${hint}`}`;
}

function groupContext(name: string, serverName: string): OperationContext {
  return { operation: "wait for the connection of", objectType: "availability replica", objectName: serverName, qualifier: `of availability group ${displayName(name)}` };
}

/**
 * Waits until this secondary's replica is CONNECTED to its primary (read on the secondary:
 * `sys.dm_hadr_availability_replica_states`, local row). A replica that has become the primary
 * counts as connected. Fails with a conflict error (code `ENOTCONNECTED`) naming the replica and
 * SQL Server's last connection error when the deadline passes, and (`ENOTJOINED`) when the instance
 * no longer hosts a replica of the group.
 */
export async function waitForReplicaConnected(client: SqlClient, name: string, serverName: string, options: WaitOptions): Promise<LocalReplicaRecord> {
  const ctx = groupContext(name, serverName);
  const outcome = await pollUntil(
    () => readOne(client, ctx, localReplicaQuery(name)),
    (r) => r === undefined || r.state.role === "PRIMARY" || r.state.connectedState === "CONNECTED",
    options,
  );
  const replica = outcome.value;
  if (replica === undefined) {
    throw conflictError({ ...ctx, target: client.target }, "ENOTJOINED", `the instance no longer hosts a replica of the group (was it dropped or removed out of band?)`);
  }
  if (!outcome.settled) {
    throw conflictError(
      { ...ctx, target: client.target },
      "ENOTCONNECTED",
      `replica '${replica.serverName}' is ${replica.state.connectedState ?? "not connected"} ${replica.state.role === "RESOLVING" ? "(RESOLVING) " : ""}` +
        `after ${seconds(outcome.elapsedMs)}: ${describeConnectError(replica.state.lastConnectError)}`,
    );
  }
  return replica;
}

/** The state a database copy must reach on a replica: SYNCHRONIZED (synchronous commit) or SYNCHRONIZING (asynchronous). */
export type SynchronizationTarget = Extract<SynchronizationState, "SYNCHRONIZED" | "SYNCHRONIZING">;

/**
 * The target state of each secondary's copy, from the group read on the primary: SYNCHRONIZED
 * where both the primary and the secondary use synchronous commit, SYNCHRONIZING otherwise (an
 * asynchronous primary commits asynchronously for every secondary). Configuration-only replicas
 * hold no copy and are left out.
 */
export function synchronizationTargets(group: AvailabilityGroupRecord, primary: string): Map<string, SynchronizationTarget> {
  const primaryReplica = group.replicas.find((r) => r.serverName.toLowerCase() === primary.toLowerCase());
  const primarySynchronous = primaryReplica?.availabilityMode === "SYNCHRONOUS_COMMIT";
  const targets = new Map<string, SynchronizationTarget>();
  for (const r of group.replicas) {
    if (r === primaryReplica || r.availabilityMode === "CONFIGURATION_ONLY") continue;
    targets.set(r.serverName, primarySynchronous && r.availabilityMode === "SYNCHRONOUS_COMMIT" ? "SYNCHRONIZED" : "SYNCHRONIZING");
  }
  return targets;
}

/** A replica whose copy has not reached its target yet. */
export interface SynchronizationLag {
  /** The replica. */
  serverName: string;
  /** The state it should reach. */
  target: SynchronizationTarget;
  /** Its copy's state, or null when the primary reports no copy there yet. */
  state: SynchronizationState | null;
  /** The latest automatic-seeding attempt towards it, in words, or null. */
  seeding: string | null;
  /** Whether that attempt FAILED (nothing will change by waiting). */
  failed: boolean;
}

function reached(state: SynchronizationState | undefined, target: SynchronizationTarget): boolean {
  return state === "SYNCHRONIZED" || (target === "SYNCHRONIZING" && state === "SYNCHRONIZING");
}

/** What still stands between a database and its targets, per replica (empty when every target is met). */
export function synchronizationLag(record: AvailabilityDatabaseRecord | undefined, targets: ReadonlyMap<string, SynchronizationTarget>): SynchronizationLag[] {
  const lag: SynchronizationLag[] = [];
  for (const [serverName, target] of targets) {
    const copy = record?.replicas.find((r) => r.serverName.toLowerCase() === serverName.toLowerCase());
    if (reached(copy?.synchronizationState, target)) continue;
    const seeding = record?.seeding.find((s) => s.serverName.toLowerCase() === serverName.toLowerCase());
    const failed = seeding?.currentState === "FAILED";
    const seedingText =
      seeding === undefined
        ? null
        : `automatic seeding ${seeding.currentState}${seeding.failureState ? ` (${seeding.failureState}${seeding.errorCode !== null ? `, error ${seeding.errorCode}` : ""})` : ""}`;
    lag.push({ serverName, target, state: copy?.synchronizationState ?? null, seeding: seedingText, failed });
  }
  return lag;
}

/**
 * Waits until every secondary copy of the database reaches its target state (read on the primary).
 * Fails fast when automatic seeding towards a replica FAILED, and at the deadline otherwise, naming
 * each replica, its state and its seeding state (conflict error, code `ENOTSYNCHRONIZED`). `probe`
 * (optional) adds what a lagging replica itself reports, such as its last connection error.
 */
export async function waitForDatabaseSynchronized(
  client: SqlClient,
  group: string,
  database: string,
  targets: ReadonlyMap<string, SynchronizationTarget>,
  options: WaitOptions,
  probe?: (serverName: string) => Promise<string | undefined>,
): Promise<AvailabilityDatabaseRecord> {
  const ctx: OperationContext = { operation: "wait for the synchronization of", objectType: "availability database", objectName: database, qualifier: `of availability group ${displayName(group)}` };
  const outcome = await pollUntil(
    () => readOne(client, ctx, availabilityDatabaseQuery(group, database)),
    (record) => {
      if (record === undefined) return true;
      const lag = synchronizationLag(record, targets);
      return lag.length === 0 || lag.some((l) => l.failed);
    },
    options,
  );
  const record = outcome.value;
  if (record === undefined) {
    throw conflictError({ ...ctx, target: client.target }, "ENOTINGROUP", "the group no longer holds the database (was it removed out of band?)");
  }
  const lag = synchronizationLag(record, targets);
  if (lag.length === 0) return record;
  const details = await Promise.all(
    lag.map(async (l) => {
      const extra = probe === undefined ? undefined : await probe(l.serverName).catch(() => undefined);
      return (
        `replica '${l.serverName}' is ${l.state ?? "without a copy yet"} (wanted ${l.target})` +
        (l.seeding === null ? "" : `, ${l.seeding}`) +
        (extra === undefined ? "" : `; ${extra}`)
      );
    }),
  );
  const failed = lag.some((l) => l.failed);
  throw timeoutOrFailure(client, ctx, failed, outcome.elapsedMs, details);
}

function timeoutOrFailure(client: SqlClient, ctx: OperationContext, failed: boolean, elapsedMs: number, details: string[]): SqlServerError {
  return conflictError(
    { ...ctx, target: client.target },
    failed ? "ESEEDINGFAILED" : "ENOTSYNCHRONIZED",
    (failed ? "automatic seeding failed: " : `not synchronized after ${seconds(elapsedMs)}: `) +
      details.join("; ") +
      (failed
        ? " — check that the secondary granted CREATE ANY DATABASE to the group, has the primary's data and log paths, and has room for the copy"
        : " — raise the wait (synchronizationTimeoutSeconds) for a large database, or see why the copy lags"),
  );
}
