/**
 * Bounded waits for database mirroring sessions: the session SYNCHRONIZED (safety FULL) or at
 * least SYNCHRONIZING (safety OFF), with the witness CONNECTED when there is one; and a partner
 * taking the principal role after a planned failover. Each polls the principal's
 * `sys.database_mirroring` row with the availability groups' {@link pollUntil} (exponential
 * backoff, a deadline, a hard cap on polls), and fails naming the partner and what SQL Server
 * shows, never waiting forever.
 */
import type { SqlClient } from "../client";
import { mirroringPartnerQuery } from "../mirroringCatalog";
import type { MirroringPartnerRecord, MirroringSafety, MirroringState } from "../mirroringRecords";
import { conflictError, displayName } from "../errors";
import { pollUntil, type WaitOptions } from "./availabilityGroupWait";
import { readOne, type OperationContext } from "./run";

/** What a session must reach before `up` counts it done. */
export interface MirroringTarget {
  /** SYNCHRONIZED under safety FULL; SYNCHRONIZING (or SYNCHRONIZED) under safety OFF, where the mirror may always lag. */
  state: Extract<MirroringState, "SYNCHRONIZED" | "SYNCHRONIZING">;
  /** Whether the witness must be CONNECTED (a witness is declared). */
  witness: boolean;
}

/** The target for a safety level and whether a witness is declared. */
export function mirroringTargetFor(safety: MirroringSafety, witness: boolean): MirroringTarget {
  return { state: safety === "FULL" ? "SYNCHRONIZED" : "SYNCHRONIZING", witness };
}

/** What still stands between the session (read on its principal) and `target`, in words; empty when it is met. */
export function mirroringLag(record: MirroringPartnerRecord | undefined, target: MirroringTarget): string[] {
  const session = record?.database?.session;
  if (session === null || session === undefined) return ["the database is in no mirroring session"];
  const lag: string[] = [];
  const state = session.state;
  const reached = state === "SYNCHRONIZED" || (target.state === "SYNCHRONIZING" && state === "SYNCHRONIZING");
  if (!reached) lag.push(`mirroring is ${state ?? "in an unknown state"} (wanted ${target.state === "SYNCHRONIZED" ? "SYNCHRONIZED" : "SYNCHRONIZING or SYNCHRONIZED"})`);
  if (target.witness && session.witnessState !== "CONNECTED") {
    lag.push(session.witnessName === null ? "no witness is set" : `the witness ${session.witnessName} is ${session.witnessState ?? "in an unknown state"} (wanted CONNECTED)`);
  }
  return lag;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

function waitContext(database: string, serverName: string | null): OperationContext {
  return { operation: "wait for the synchronization of", objectType: "mirroring session of database", objectName: database, qualifier: `on principal '${serverName ?? "?"}'` };
}

/**
 * Waits until the session of `database`, read on its principal `client`, reaches `target`.
 * Fails fast (conflict error `ESUSPENDED`) when it is SUSPENDED — waiting cannot change that, and
 * resuming after a forced service discards data, so it is never done on the program's behalf —
 * and with `ENOTSYNCHRONIZED` at the deadline, naming the principal, each unmet part as SQL Server
 * shows it and, through `probe`, what the mirror reports itself. `ENOSESSION` when the session
 * disappears, `EROLECHANGED` when the principal role moves away during the wait (a failover).
 */
export async function waitForMirroringSynchronized(
  client: SqlClient,
  database: string,
  target: MirroringTarget,
  options: WaitOptions,
  probe?: () => Promise<string | undefined>,
): Promise<MirroringPartnerRecord> {
  const query = mirroringPartnerQuery(database);
  const initialCtx = waitContext(database, null);
  const outcome = await pollUntil(
    () => readOne(client, initialCtx, query),
    (r) => {
      const session = r?.database?.session;
      return session === null || session === undefined || session.role !== "PRINCIPAL" || session.state === "SUSPENDED" || mirroringLag(r, target).length === 0;
    },
    options,
  );
  const record = outcome.value!;
  const ctx = { ...waitContext(database, record.serverName), target: client.target };
  const session = record.database?.session;
  if (session === null || session === undefined) {
    throw conflictError(ctx, "ENOSESSION", "the database is no longer in a mirroring session (was it ended out of band?): run pulumi refresh, then pulumi up");
  }
  if (session.role !== "PRINCIPAL") {
    throw conflictError(ctx, "EROLECHANGED", `this partner's copy became the ${session.role ?? "?"} during the wait (a failover): run pulumi up again, which works through the new principal`);
  }
  if (session.state === "SUSPENDED") {
    throw conflictError(
      ctx,
      "ESUSPENDED",
      `mirroring is SUSPENDED (paused by hand, a redo error, or a forced service): find out why, then resume it yourself (ALTER DATABASE ${displayName(database)} SET PARTNER RESUME on the principal; ` +
        "after a forced service this discards the old principal's unsent log, which is why it is never done for you)",
    );
  }
  const lag = mirroringLag(record, target);
  if (lag.length === 0) return record;
  const extra = probe === undefined ? undefined : await probe().catch(() => undefined);
  throw conflictError(
    ctx,
    "ENOTSYNCHRONIZED",
    `after ${seconds(outcome.elapsedMs)}, ${lag.join("; ")}${extra === undefined ? "" : `; ${extra}`} — check that each partner (and the witness) reaches the others' endpoints and trusts them ` +
      "(certificates, CONNECT on the endpoints), or raise waitTimeoutMs for a large database",
  );
}

/**
 * Waits until `client`'s copy of `database` holds the PRINCIPAL role (after SET PARTNER FAILOVER on
 * the other partner). Fails with `ENOTPRINCIPAL` at the deadline, naming the role it shows.
 */
export async function waitForPrincipalRole(client: SqlClient, database: string, options: WaitOptions): Promise<MirroringPartnerRecord> {
  const query = mirroringPartnerQuery(database);
  const ctx: OperationContext = { operation: "wait for the principal role of", objectType: "mirroring session of database", objectName: database };
  const outcome = await pollUntil(() => readOne(client, ctx, query), (r) => r?.database?.session?.role === "PRINCIPAL", options);
  const record = outcome.value!;
  if (!outcome.settled) {
    throw conflictError(
      { ...ctx, target: client.target, qualifier: `on '${record.serverName ?? "?"}'` },
      "ENOTPRINCIPAL",
      `after ${seconds(outcome.elapsedMs)} its copy is ${record.database?.session?.role ?? "in no session"} (${record.database?.session?.state ?? "no state"}), not PRINCIPAL: run pulumi refresh to see where the session stands`,
    );
  }
  return record;
}
