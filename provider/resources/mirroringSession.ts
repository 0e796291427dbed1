/**
 * `MirroringSession`: the database mirroring session of one database between two partners whose
 * endpoints trust each other, with an optional witness.
 *
 * Created in SQL Server's order ("Setting Up Database Mirroring"): the mirror copy is checked (or
 * seeded through a shared folder), `SET PARTNER` on the mirror, `SET PARTNER` on the principal,
 * then safety and timeout, and `SET WITNESS` on the principal; a bounded wait lasts until the
 * session is SYNCHRONIZED (witness CONNECTED). From then on it is read and changed through the
 * partner that is principal **now**, found by asking the partners (never assumed): a failover is
 * a fact, shown at refresh, never undone on the program's behalf. Moving the principal role is
 * the program's decision, through `principal` (a planned `SET PARTNER FAILOVER`).
 *
 * Data is never at risk: nothing here drops, recovers or restores over a database, changes a
 * recovery model, or takes a backup unless `seeding` asks for the copy-only backups that make
 * the mirror copy. Destroy ends the session (`SET WITNESS OFF`, `SET PARTNER OFF`): the principal
 * copy stays ONLINE, the mirror copy RESTORING, and a warning says so.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  copyProblemError,
  discoverPrincipal,
  DEFAULT_MIRRORING_TIMEOUT_SECONDS,
  endpointProblem,
  endSession,
  findPrincipal,
  mirrorCopyProblems,
  mirroringCombinationProblems,
  mirroringTargetFor,
  MIRRORING_SAFETY_LEVELS,
  planSessionSteps,
  principalCopyProblems,
  principalFindingError,
  readMirroringPartner,
  readMirroringWitness,
  readPartnerViews,
  removeWitness,
  runSessionStep,
  seedMirrorCopy,
  setPartner,
  SqlServerError,
  validateBackupFolder,
  validateMirroredDatabaseName,
  validateMirroringTimeout,
  validateMirroringUrl,
  waitForMirroringSynchronized,
  waitForPrincipalRole,
  conflictError,
  type DiscoveredPrincipal,
  type MirroringPartnerRecord,
  type MirroringSafety,
  type SqlClient,
} from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, connectionSettingsChanged, instanceKey, type CheckFailure, type ConnectionArgs, type ConnectionInputs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, GONE, ObjectExistsError, objectId, outcomeUnknown, withoutProvider } from "./lifecycle";
import { checkConnectionList, clientsFor, connectionListChanges, defined } from "./replicaConnections";
import { isUnknown } from "./unknown";
import { warn } from "./warnings";

/** Default bound of every wait of `up` (for SYNCHRONIZED, and around a planned failover), milliseconds. */
export const DEFAULT_MIRRORING_WAIT_MS = 120_000;

/** Longest wait accepted, milliseconds (a day). */
export const MAX_MIRRORING_WAIT_MS = 86_400_000;

/** One partner of a {@link MirroringSession}. */
export interface MirroringPartnerArgs {
  /**
   * The partner's label, unique in the session (1–128 characters): it names the partner in the
   * outputs (`roles`, `currentPrincipal`) and in `principal`. `MirroringTopology` passes the
   * instance's logical name. Changing it never touches SQL Server.
   */
  name: string;
  /** How to reach the partner's instance. A new server or port replaces the session; credentials, TLS and timeouts never touch SQL Server. */
  connection: ConnectionArgs;
  /** `TCP://host:port` of the partner's DATABASE_MIRRORING endpoint as the other partner and the witness reach it (`SET PARTNER = N'…'`). Changing it replaces the session. */
  endpointUrl: pulumi.Input<string>;
}

/** The witness of a {@link MirroringSession}: an instance that serves no copy and makes automatic failover possible. */
export interface MirroringWitnessArgs {
  /** Its label in messages. Default `witness`. */
  name?: string;
  /** How to reach the witness's instance (its endpoint is checked before SET WITNESS). */
  connection: ConnectionArgs;
  /** `TCP://host:port` of the witness's DATABASE_MIRRORING endpoint as both partners reach it (`SET WITNESS = N'…'`). */
  endpointUrl: pulumi.Input<string>;
}

/** Arguments of {@link MirroringSession}. */
export interface MirroringSessionArgs {
  /** The database, the same name on both partners (a user database). Changing it replaces the session. */
  database: pulumi.Input<string>;
  /**
   * The two partners. `partners[0]` is where the session starts: its copy must be ONLINE and
   * becomes the principal. `partners[1]` holds the mirror copy: RESTORING (restored WITH
   * NORECOVERY), or made by {@link seeding}. After creation the order means nothing: which partner
   * is principal is read from SQL Server. A partner replaced by another instance or endpoint
   * replaces the session; a reordering or a new label changes nothing on SQL Server.
   */
  partners: [MirroringPartnerArgs, MirroringPartnerArgs];
  /**
   * The witness (`SET WITNESS`, on the principal): with safety FULL it gives automatic failover.
   * Added, removed or changed in place (`SET WITNESS OFF` first when it changes). Refused with
   * safety OFF.
   */
  witness?: MirroringWitnessArgs;
  /** `SET PARTNER SAFETY`: `FULL` (default; synchronous, high safety) or `OFF` (asynchronous, high performance, no witness). Updated in place. */
  safety?: pulumi.Input<MirroringSafety>;
  /** `SET PARTNER TIMEOUT`, seconds without a ping before a partner counts as disconnected: 5–32767. Default 10 (SQL Server's; Microsoft advises 10 or more). Updated in place. */
  timeoutSeconds?: pulumi.Input<number>;
  /**
   * Make the mirror copy when `partners[1]` has none: a copy-only full backup and a copy-only log
   * backup of the principal's copy into `backupPath` (a folder both instances reach: a share in
   * real life), restored WITH NORECOVERY on the mirror. An existing ONLINE database is never
   * restored over. The backup files stay in the folder. Used only when the session is created.
   */
  seeding?: { backupPath: pulumi.Input<string> };
  /**
   * The partner (by `name`) that should be principal. Absent (default): whichever partner is
   * principal is fine, and a failover stays as it happened. Set: when the other partner is
   * principal, `up` makes a planned failover (`SET PARTNER FAILOVER` on the current principal,
   * once the session is SYNCHRONIZED), previewed as an update of `principal`. Needs safety FULL.
   */
  principal?: pulumi.Input<string>;
  /** Bound of each wait of `up`, milliseconds (0 checks once). Default 120000. Changing it never touches SQL Server. */
  waitTimeoutMs?: pulumi.Input<number>;
}

/** A database mirroring session of one database. */
export class MirroringSession extends MssqlResource {
  /** The database. */
  declare readonly database: pulumi.Output<string>;
  /** Each partner's role now, by name: PRINCIPAL, MIRROR, or null when its instance did not answer. */
  declare readonly roles: pulumi.Output<Record<string, "PRINCIPAL" | "MIRROR" | null>>;
  /** The name of the partner that is principal now (as the principal, or when it is unreachable the mirror, reports it). */
  declare readonly currentPrincipal: pulumi.Output<string>;
  /** `mirroring_state_desc` as the principal (or, when it is unreachable, the mirror) reports it: SYNCHRONIZED, SYNCHRONIZING, DISCONNECTED, SUSPENDED, … */
  declare readonly mirroringState: pulumi.Output<string | null>;
  /** `mirroring_witness_state_desc`: CONNECTED, DISCONNECTED or UNKNOWN; null without a witness. */
  declare readonly witnessState: pulumi.Output<string | null>;
  /** Whether the session had reached its target (SYNCHRONIZED under FULL, SYNCHRONIZING under OFF, witness CONNECTED) when last created, updated or refreshed. */
  declare readonly synchronized: pulumi.Output<boolean>;

  constructor(name: string, args: MirroringSessionArgs, opts?: pulumi.CustomResourceOptions) {
    const partners = args.partners ?? [];
    super(
      "MirroringSession",
      name,
      {
        database: args.database,
        partners: partners.map((p) => ({ name: p.name, endpointUrl: p.endpointUrl })),
        // Connections apart from the partners, so the partners stay readable in diffs.
        partnerConnections: partners.map((p) => connectionInput(p.connection)),
        witness: args.witness === undefined ? undefined : { name: args.witness.name ?? "witness", endpointUrl: args.witness.endpointUrl },
        witnessConnection: args.witness === undefined ? undefined : connectionInput(args.witness.connection),
        safety: args.safety,
        timeoutSeconds: args.timeoutSeconds,
        seeding: args.seeding,
        principal: args.principal,
        waitTimeoutMs: args.waitTimeoutMs,
        roles: undefined,
        currentPrincipal: undefined,
        mirroringState: undefined,
        witnessState: undefined,
        synchronized: undefined,
      },
      opts,
      ["partnerConnections", "witnessConnection"],
    );
  }
}

/** A partner or the witness as kept in state. */
interface PartProps {
  name: string;
  endpointUrl: string;
}

/** The session's state as the provider sees it (defaults applied by `check`). */
type SessionProps = Record<string, unknown> & {
  database: string;
  partners: [PartProps, PartProps];
  partnerConnections: [ConnectionInputs, ConnectionInputs];
  witness?: PartProps;
  witnessConnection?: ConnectionInputs;
  safety: MirroringSafety;
  timeoutSeconds: number;
  seeding?: { backupPath: string };
  principal?: string;
  waitTimeoutMs: number;
  currentPrincipal?: string | null;
  synchronized?: boolean;
};

const plainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);

/** A label: 1–128 characters, no NUL. */
function labelReason(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0) return `is required: a label for the partner, unique in the session (got ${value === null ? "null" : typeof value})`;
  if (value.length > 128 || value.includes("\u0000")) return "must be 1–128 characters without NUL";
  return undefined;
}

/** Checks one partner or the witness; failures are named `<at>.<field>`. */
function checkPart(raw: unknown, at: string, failures: CheckFailure[], defaultName?: string): unknown {
  if (isUnknown(raw) && !plainObject(raw)) return raw;
  if (!plainObject(raw)) {
    failures.push({ property: at, reason: "must be an object: { name, connection, endpointUrl }" });
    return raw;
  }
  const name = raw.name ?? defaultName;
  if (!isUnknown(name)) {
    const reason = labelReason(name);
    if (reason) failures.push({ property: `${at}.name`, reason });
  }
  const url = raw.endpointUrl;
  if (url === undefined || url === null) failures.push({ property: `${at}.endpointUrl`, reason: "is required: TCP://host:port of its DATABASE_MIRRORING endpoint" });
  else if (!isUnknown(url)) {
    const reason = validateMirroringUrl(url);
    if (reason) failures.push({ property: `${at}.endpointUrl`, reason });
  }
  return { name, endpointUrl: url };
}

/** The identity of a partner for replacement: its instance and its endpoint address. */
function partnerIdentity(part: unknown, connection: unknown): string {
  const url = plainObject(part) ? lower(part.endpointUrl) : undefined;
  const instance = plainObject(connection) ? instanceKey(connection as unknown as ConnectionInputs) : undefined;
  return `${instance}|${url}`;
}

/** Whether the set of partners (instance + endpoint) differs; order and labels do not count. */
function partnersReplaced(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  const ids = (p: Record<string, unknown>) => {
    const parts = Array.isArray(p.partners) ? p.partners : [];
    const conns = Array.isArray(p.partnerConnections) ? p.partnerConnections : [];
    return parts.map((part, i) => partnerIdentity(part, conns[i])).sort().join(",");
  };
  return ids(olds) !== ids(news);
}

const witnessUrlOf = (p: Record<string, unknown>): string | null => (plainObject(p.witness) && typeof p.witness.endpointUrl === "string" ? p.witness.endpointUrl : null);
const indexOfName = (props: SessionProps, name: unknown) => props.partners.findIndex((p) => p.name === name);

/** The outputs for a principal found: the inputs, then what its catalog says. */
function outputs(inputs: SessionProps, principalIndex: number, record: MirroringPartnerRecord, target: ReturnType<typeof mirroringTargetFor>): Record<string, unknown> {
  const session = record.database?.session ?? null;
  const other = 1 - principalIndex;
  const reached = reachedTarget(record, target);
  return {
    ...withoutProvider(inputs),
    roles: { [inputs.partners[principalIndex]!.name]: "PRINCIPAL", [inputs.partners[other]!.name]: session === null ? null : "MIRROR" },
    currentPrincipal: inputs.partners[principalIndex]!.name,
    mirroringState: session?.state ?? null,
    witnessState: session?.witnessName === null || session === null ? null : session.witnessState,
    synchronized: reached,
  };
}

/** Whether the session read on its principal has reached `target`. */
function reachedTarget(record: MirroringPartnerRecord, target: ReturnType<typeof mirroringTargetFor>): boolean {
  const session = record.database?.session;
  if (session === null || session === undefined) return false;
  const reached = session.state === "SYNCHRONIZED" || (target.state === "SYNCHRONIZING" && session.state === "SYNCHRONIZING");
  return reached && (!target.witness || session.witnessState === "CONNECTED");
}

const targetOf = (inputs: SessionProps) => mirroringTargetFor(inputs.safety, inputs.witness !== undefined);

/** What the mirror (and the witness, when there is one) report themselves, for a wait's error. */
function mirrorProbe(clients: readonly SqlClient[], inputs: SessionProps, mirrorIndex: number): () => Promise<string | undefined> {
  const failed = (label: string, error: unknown) => `${label} could not be asked: ${error instanceof Error ? error.message : String(error)}`;
  return async () => {
    const client = clients[mirrorIndex]!;
    const label = `the mirror '${inputs.partners[mirrorIndex]!.name}' (${client.target})`;
    const parts: string[] = [];
    try {
      const record = await readMirroringPartner(client, inputs.database);
      const session = record.database?.session;
      if (session === null || session === undefined) parts.push(`${label} shows no session for the database`);
      else parts.push(`${label} reports ${session.state ?? "an unknown state"}${session.witnessName !== null ? `, witness ${session.witnessState ?? "UNKNOWN"}` : ""}`);
    } catch (error) {
      parts.push(failed(label, error));
    }
    if (inputs.witness !== undefined && inputs.witnessConnection !== undefined) {
      const witness = clientFor(inputs.witnessConnection);
      const witnessLabel = `the witness '${inputs.witness.name}' (${witness.target})`;
      try {
        const served = await readMirroringWitness(witness, inputs.database);
        parts.push(
          served.length === 0
            ? `${witnessLabel} serves no session of the database`
            : `${witnessLabel} sees ${served.map((w) => `principal '${w.principalServerName}', mirror '${w.mirrorServerName}', ${w.partnerSyncState}${w.suspended ? ", suspended" : ""}`).join("; ")}`,
        );
      } catch (error) {
        parts.push(failed(witnessLabel, error));
      }
    }
    return parts.join("; ");
  };
}

/**
 * Brings a session whose principal was just found to what the inputs say: safety, timeout and
 * witness on the principal, a planned failover when `principal` names the other partner (after
 * a bounded wait for SYNCHRONIZED, then a bounded wait for the other partner's PRINCIPAL role),
 * then the bounded wait for the target. Returns the outputs.
 */
async function converge(inputs: SessionProps, found: DiscoveredPrincipal): Promise<Record<string, unknown>> {
  const clients = clientsFor(inputs.partnerConnections);
  const database = inputs.database;
  const wait = { timeoutMs: inputs.waitTimeoutMs };
  let index = found.index;
  const session = found.record.database!.session!;
  const pin = inputs.principal === undefined ? -1 : indexOfName(inputs, inputs.principal);
  const steps = planSessionSteps(
    database,
    { safety: session.safety === "OFF" ? "OFF" : "FULL", timeoutSeconds: session.connectionTimeout ?? DEFAULT_MIRRORING_TIMEOUT_SECONDS, witnessUrl: session.witnessName },
    { safety: inputs.safety, timeoutSeconds: inputs.timeoutSeconds, witnessUrl: inputs.witness?.endpointUrl ?? null },
    pin >= 0 && pin !== index,
  );
  for (const step of steps) {
    if (step.kind === "failover") {
      // SQL Server fails over only a SYNCHRONIZED session (1422): wait for it, bounded, first.
      await waitForMirroringSynchronized(clients[index]!, database, { state: "SYNCHRONIZED", witness: false }, wait, mirrorProbe(clients, inputs, 1 - index));
      await runSessionStep(clients[index]!, database, step);
      index = 1 - index;
      await waitForPrincipalRole(clients[index]!, database, wait);
      continue;
    }
    await runSessionStep(clients[index]!, database, step);
  }
  const target = targetOf(inputs);
  const record = await waitForMirroringSynchronized(clients[index]!, database, target, wait, mirrorProbe(clients, inputs, 1 - index));
  return outputs(inputs, index, record, target);
}

/** Before anything is sent: each partner's and the witness's endpoint, every problem at once. */
function readinessError(inputs: SessionProps, clients: readonly SqlClient[], records: readonly MirroringPartnerRecord[], witness: MirroringPartnerRecord | undefined, witnessTarget: string | undefined): SqlServerError | undefined {
  const problems: string[] = [];
  records.forEach((record, i) => {
    const problem = endpointProblem(record, "partner");
    if (problem !== undefined) problems.push(`partners[${i}] ('${inputs.partners[i]!.name}', ${clients[i]!.target}) ${problem}`);
  });
  if (witness !== undefined) {
    const problem = endpointProblem(witness, "witness");
    if (problem !== undefined) problems.push(`the witness ('${inputs.witness!.name}', ${witnessTarget}) ${problem}`);
  }
  if (problems.length === 0) return undefined;
  return conflictError({ operation: "create", objectType: "mirroring session of database", objectName: inputs.database, target: clients[0]!.target }, "ENOTREADY", problems.join("; "));
}

const sameUrl = (a: string | null | undefined, b: string | null | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

/**
 * Creates the session, re-runnably: readiness, the principal's prerequisites and the mirror copy
 * (seeded when asked), `SET PARTNER` on the mirror, then on the principal (a failure there undoes
 * the mirror's, so nothing is left half-made), then {@link converge}. A session already joining
 * these two partners is this resource's own only on a resumed create; otherwise it is refused.
 */
async function createSession(id: string, inputs: SessionProps, resumed: boolean): Promise<Record<string, unknown>> {
  const clients = clientsFor(inputs.partnerConnections);
  const [principal, mirror] = clients as [SqlClient, SqlClient];
  const database = inputs.database;
  const [principalUrl, mirrorUrl] = [inputs.partners[0].endpointUrl, inputs.partners[1].endpointUrl];
  const witnessClient = inputs.witnessConnection === undefined ? undefined : clientFor(inputs.witnessConnection);
  const [pr, mr, wr] = await Promise.all([
    readMirroringPartner(principal, database),
    readMirroringPartner(mirror, database),
    witnessClient === undefined ? Promise.resolve(undefined) : readMirroringPartner(witnessClient, database),
  ]);
  const started = pr.database?.session !== null && pr.database?.session !== undefined && sameUrl(pr.database.session.partnerName, mirrorUrl);
  // After a failover the first partner may be the mirror of this very session.
  const startedElsewhere = mr.database?.session?.role === "PRINCIPAL" && sameUrl(mr.database.session.partnerName, principalUrl);
  if ((started || startedElsewhere) && !resumed) {
    throw new ObjectExistsError(
      "mirroring session of database",
      database,
      principal.target,
      `it already joins ${inputs.partners[0].name} and ${inputs.partners[1].name} (set up outside this stack), and an existing session is not taken over: end it (ALTER DATABASE … SET PARTNER OFF) or keep it out of the program`,
    );
  }
  if (!started && !startedElsewhere) {
    const notReady = readinessError(inputs, clients, [pr, mr], wr, witnessClient?.target);
    if (notReady !== undefined) throw notReady;
    const principalProblems = principalCopyProblems(pr.database, database, { seeding: inputs.seeding !== undefined, mirrorUrl });
    if (principalProblems.length > 0) throw copyProblemError(principal.target, database, "principal", principalProblems);
    const mirrorProblems = mirrorCopyProblems(mr.database, database, { seeding: inputs.seeding !== undefined, principalUrl });
    if (mirrorProblems.length > 0) throw copyProblemError(mirror.target, database, "mirror", mirrorProblems);
    if (mr.database === null && inputs.seeding !== undefined) await seedMirrorCopy(principal, mirror, database, { backupPath: inputs.seeding.backupPath });
  }
  return createKeepingPending(id, { ...inputs }, async (created) => {
    if (!started && !startedElsewhere) {
      const { alreadySet } = await setPartner(mirror, database, principalUrl);
      try {
        await setPartner(principal, database, mirrorUrl);
      } catch (error) {
        if (alreadySet || outcomeUnknown(error)) throw error;
        // Nothing half-made: the mirror's SET PARTNER is taken back.
        const undo = await endSession(mirror, database).then(
          () => "the mirror's SET PARTNER was taken back",
          (e: unknown) => `taking back the mirror's SET PARTNER failed too (${e instanceof Error ? e.message : String(e)}): run ALTER DATABASE … SET PARTNER OFF on ${mirror.target}`,
        );
        if (error instanceof Error) error.message = `${error.message} (${undo})`;
        throw error;
      }
    }
    created({ ...inputs, synchronized: false, [CREATE_PENDING]: true });
    const found = await discoverPrincipal(clients, database, startedElsewhere ? 1 : 0);
    if (found === undefined) throw new Error(`the mirroring session of [${database}] is not in the catalog after SET PARTNER; run pulumi up again`);
    return converge(inputs, found);
  });
}

/** The inputs to store after a refresh: as declared, with what SQL Server reports for what changes in place. */
function refreshedInputs(state: SessionProps, record: MirroringPartnerRecord | undefined, currentPrincipal: string): Record<string, unknown> {
  const keys = ["database", "partners", "partnerConnections", "witness", "witnessConnection", "safety", "timeoutSeconds", "seeding", "principal", "waitTimeoutMs"];
  const inputs: Record<string, unknown> = Object.fromEntries(keys.filter((k) => state[k] !== undefined).map((k) => [k, state[k]]));
  const session = record?.database?.session;
  if (session !== null && session !== undefined) {
    if (session.safety === "FULL" || session.safety === "OFF") inputs.safety = session.safety;
    if (session.connectionTimeout !== null) inputs.timeoutSeconds = session.connectionTimeout;
    if (session.witnessName === null) delete inputs.witness;
    else if (!sameUrl(session.witnessName, state.witness?.endpointUrl)) inputs.witness = { name: state.witness?.name ?? "witness", endpointUrl: session.witnessName };
  }
  // A pinned principal shows where the role is now, so a failover previews as `principal: "b" => "a"`.
  if (state.principal !== undefined) inputs.principal = currentPrincipal;
  return inputs;
}

/** The provider behind {@link MirroringSession}. */
export const mirroringSessionProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const failures = c.failures;
    const database = news.database;
    if (database === undefined || database === null) c.fail("database", "is required");
    else if (!isUnknown(database)) {
      const reason = validateMirroredDatabaseName(database);
      if (reason) c.fail("database", reason);
    }
    const rawPartners: unknown = news.partners;
    let partners: unknown = rawPartners;
    if (!isUnknown(rawPartners) || Array.isArray(rawPartners)) {
      if (!Array.isArray(rawPartners) || rawPartners.length !== 2) {
        c.fail("partners", `must be exactly two partners, the one that starts as principal first, got ${Array.isArray(rawPartners) ? rawPartners.length : JSON.stringify(rawPartners)}`);
      } else {
        partners = rawPartners.map((p: unknown, i: number) => checkPart(p, `partners[${i}]`, failures));
        const names = (partners as Array<{ name?: unknown }>).map((p) => (plainObject(p) ? p.name : undefined));
        if (typeof names[0] === "string" && names[0] === names[1]) c.fail("partners[1].name", `'${names[1]}' is also partners[0]'s name: the partners' names must differ`);
      }
    }
    const partnerConnections = checkConnectionList(news.partnerConnections, (i) => `partners[${i}]`, failures, "partners");
    if (Array.isArray(partnerConnections) && partnerConnections.length === 2) {
      const [a, b] = partnerConnections.map((conn) => (plainObject(conn) && !isUnknown(conn.server) && !isUnknown(conn.port) ? instanceKey(conn as unknown as ConnectionInputs) : undefined));
      if (a !== undefined && a === b) c.fail("partners[1].connection", `connects to ${a}, as partners[0] does: the partners must be two different instances`);
    }
    let witness: unknown = news.witness;
    let witnessConnection: unknown = news.witnessConnection;
    if (news.witness !== undefined && news.witness !== null) {
      witness = checkPart(news.witness, "witness", failures, "witness");
      const own: CheckFailure[] = [];
      witnessConnection = checkConnection(news.witnessConnection, own) ?? news.witnessConnection;
      for (const f of own) failures.push({ property: `witness.${f.property}`, reason: f.reason });
      const key = plainObject(witnessConnection) && !isUnknown(witnessConnection.server) && !isUnknown(witnessConnection.port) ? instanceKey(witnessConnection as unknown as ConnectionInputs) : undefined;
      const partnerKeys = (Array.isArray(partnerConnections) ? partnerConnections : []).map((conn) => (plainObject(conn) && !isUnknown(conn.server) && !isUnknown(conn.port) ? instanceKey(conn as unknown as ConnectionInputs) : undefined));
      if (key !== undefined && partnerKeys.includes(key)) c.fail("witness.connection", `connects to ${key}, as a partner does: the witness must be a third instance (SQL Server refuses it, 1429)`);
    }
    const safety = c.oneOf("safety", MIRRORING_SAFETY_LEVELS, "FULL");
    const timeoutSeconds = news.timeoutSeconds ?? DEFAULT_MIRRORING_TIMEOUT_SECONDS;
    if (!isUnknown(timeoutSeconds)) {
      const reason = validateMirroringTimeout(timeoutSeconds);
      if (reason) c.fail("timeoutSeconds", reason);
    }
    const seeding = news.seeding;
    if (seeding !== undefined && seeding !== null && !isUnknown(seeding)) {
      const path = plainObject(seeding) ? seeding.backupPath : undefined;
      const reason = !plainObject(seeding) ? "must be { backupPath: '<a folder both instances reach>' }" : isUnknown(path) ? undefined : validateBackupFolder(path);
      if (reason) c.fail("seeding.backupPath", reason);
    }
    const principal = news.principal;
    if (principal !== undefined && principal !== null && !isUnknown(principal) && Array.isArray(partners)) {
      const names = (partners as Array<{ name?: unknown }>).map((p) => (plainObject(p) ? p.name : undefined));
      if (!names.some((n) => isUnknown(n)) && !names.includes(principal)) {
        c.fail("principal", `must name one of the partners (${names.map((n) => JSON.stringify(n)).join(" or ")}), got ${JSON.stringify(principal)}`);
      }
    }
    const waitTimeoutMs = news.waitTimeoutMs ?? DEFAULT_MIRRORING_WAIT_MS;
    if (!isUnknown(waitTimeoutMs) && !(typeof waitTimeoutMs === "number" && Number.isInteger(waitTimeoutMs) && waitTimeoutMs >= 0 && waitTimeoutMs <= MAX_MIRRORING_WAIT_MS)) {
      c.fail("waitTimeoutMs", `must be a whole number of milliseconds from 0 to ${MAX_MIRRORING_WAIT_MS}, got ${JSON.stringify(waitTimeoutMs)}`);
    }
    const known = (v: unknown) => (isUnknown(v) || typeof v !== "string" ? undefined : v);
    const urls = Array.isArray(partners) ? (partners as Array<{ endpointUrl?: unknown }>).map((p) => (plainObject(p) ? known(p.endpointUrl) : undefined)) : [];
    const seen = new Set(failures.map((f) => f.property));
    for (const problem of mirroringCombinationProblems({
      partnerUrls: urls,
      witnessUrl: plainObject(witness) ? known(witness.endpointUrl) : undefined,
      hasWitness: news.witness !== undefined && news.witness !== null,
      safety: isUnknown(safety) ? undefined : (safety as MirroringSafety),
      pinsPrincipal: principal !== undefined && principal !== null,
    })) {
      if (!seen.has(problem.property)) failures.push(problem);
    }
    return {
      inputs: defined({
        ...news,
        database,
        partners,
        partnerConnections: partnerConnections ?? news.partnerConnections,
        ...(news.witness !== undefined && news.witness !== null ? { witness, witnessConnection } : { witness: undefined, witnessConnection: undefined }),
        safety,
        timeoutSeconds,
        waitTimeoutMs,
      }),
      failures,
    };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = [];
    if (news.database !== olds.database) replaces.push("database");
    const partnersUnknown = isUnknown(news.partners) || isUnknown(news.partnerConnections);
    if (!partnersUnknown && partnersReplaced(olds, news)) replaces.push("partners");
    const updates: string[] = [];
    if (partnersUnknown || (!replaces.includes("partners") && JSON.stringify(olds.partners) !== JSON.stringify(news.partners))) updates.push("partners");
    const connections = connectionListChanges(olds.partnerConnections, news.partnerConnections);
    if (!replaces.includes("partners") && (connections.instances || connections.settings)) updates.push("partnerConnections");
    for (const key of ["safety", "timeoutSeconds", "waitTimeoutMs"]) if (news[key] !== olds[key]) updates.push(key);
    if (JSON.stringify(news.seeding ?? null) !== JSON.stringify(olds.seeding ?? null)) updates.push("seeding");
    const witnessChanged =
      (olds.witness === undefined) !== (news.witness === undefined) ||
      isUnknown(news.witness) ||
      lower(witnessUrlOf(olds)) !== lower(witnessUrlOf(news)) ||
      JSON.stringify(olds.witness ?? null) !== JSON.stringify(news.witness ?? null);
    if (witnessChanged) updates.push("witness");
    const witnessConnection = (o: unknown, n: unknown) => plainObject(o) && plainObject(n) && (instanceKey(o as unknown as ConnectionInputs) !== instanceKey(n as unknown as ConnectionInputs) || connectionSettingsChanged({ connection: o as unknown as ConnectionInputs }, { connection: n as unknown as ConnectionInputs }));
    if (witnessConnection(olds.witnessConnection, news.witnessConnection)) updates.push("witnessConnection");
    // A pin that differs from the stored one, or from where the principal role was last seen, is a planned failover.
    if (news.principal !== olds.principal || (news.principal !== undefined && news.principal !== olds.currentPrincipal)) updates.push("principal");
    // A session that had not reached its target (seen at the last up or refresh): up waits for it again.
    if (olds.synchronized !== true) updates.push("synchronized");
    if (olds[CREATE_PENDING] === true) updates.push(CREATE_PENDING);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs) {
    const props = inputs as SessionProps;
    const id = objectId(props.partnerConnections[0], "mirroring-session", props.database);
    return { id, outs: defined(await createSession(id, props, false)) };
  },

  async read(id, props) {
    const state = props as SessionProps;
    const clients = clientsFor(state.partnerConnections);
    const hint = Math.max(0, indexOfName(state, state.currentPrincipal));
    const views = await readPartnerViews(clients, state.database, hint);
    const finding = findPrincipal(views);
    if (finding.kind === "none") return GONE;
    if (finding.kind === "principal") {
      const record = views[finding.index]!.record!;
      const outs = outputs(state, finding.index, record, targetOf(state));
      return { id, props: defined(outs), inputs: defined(refreshedInputs(state, record, state.partners[finding.index]!.name)) };
    }
    if (finding.kind === "mirrorOnly") {
      // The principal is down (and no witness made the mirror take over): what the mirror sees.
      const mirrorIndex = finding.mirrorIndex;
      const session = views[mirrorIndex]!.record!.database!.session!;
      const other = 1 - mirrorIndex;
      const outs = {
        ...withoutProvider(state),
        roles: { [state.partners[mirrorIndex]!.name]: "MIRROR", [state.partners[other]!.name]: null },
        currentPrincipal: state.partners[other]!.name,
        mirroringState: session.state,
        witnessState: session.witnessName === null ? null : session.witnessState,
        synchronized: false,
      };
      return { id, props: defined(outs), inputs: defined(refreshedInputs(state, undefined, state.partners[other]!.name)) };
    }
    throw principalFindingError(clients, views, finding, state.database, hint);
  },

  async update(id, olds, news) {
    const before = olds as SessionProps;
    const wanted = news as SessionProps;
    if (before[CREATE_PENDING] === true) return { outs: defined(await createSession(id, wanted, true)) };
    const settled =
      before.synchronized === true &&
      before.safety === wanted.safety &&
      before.timeoutSeconds === wanted.timeoutSeconds &&
      lower(witnessUrlOf(before)) === lower(witnessUrlOf(wanted)) &&
      (wanted.principal === undefined || wanted.principal === before.currentPrincipal);
    if (settled) {
      // Only labels, connections, seeding or the wait changed: nothing for SQL Server to do.
      const kept = Object.fromEntries(["roles", "currentPrincipal", "mirroringState", "witnessState", "synchronized"].map((k) => [k, before[k]]));
      if (JSON.stringify(before.partners.map((p) => p.name)) !== JSON.stringify(wanted.partners.map((p) => p.name))) {
        // New labels: the roles are re-keyed by the same instances.
        const byIdentity = (props: SessionProps, i: number) => partnerIdentity(props.partners[i], props.partnerConnections[i]);
        const roles = before.roles as Record<string, unknown> | undefined;
        kept.roles = Object.fromEntries(wanted.partners.map((p, i) => {
          const j = [0, 1].find((k) => byIdentity(before, k) === byIdentity(wanted, i)) ?? i;
          return [p.name, roles?.[before.partners[j]!.name] ?? null];
        }));
        const was = indexOfName(before, before.currentPrincipal);
        const now = was < 0 ? -1 : [0, 1].find((i) => byIdentity(wanted, i) === byIdentity(before, was)) ?? -1;
        kept.currentPrincipal = now < 0 ? before.currentPrincipal : wanted.partners[now]!.name;
      }
      return { outs: defined({ ...withoutProvider(wanted), ...kept }) };
    }
    const clients = clientsFor(wanted.partnerConnections);
    const hint = Math.max(0, indexOfName(wanted, before.currentPrincipal));
    const found = await discoverPrincipal(clients, wanted.database, hint);
    if (found === undefined) {
      throw new Error(`the mirroring session of [${wanted.database}] no longer exists on either partner (ended out of band?); run pulumi refresh, then pulumi up to create it again`);
    }
    return { outs: defined(await converge(wanted, found)) };
  },

  async delete(_id, props) {
    const state = props as SessionProps;
    const clients = clientsFor(state.partnerConnections);
    const hint = Math.max(0, indexOfName(state, state.currentPrincipal));
    const views = await readPartnerViews(clients, state.database, hint);
    const finding = findPrincipal(views);
    const database = state.database;
    const label = (i: number) => `'${state.partners[i]!.name}'${views[i]?.record?.serverName ? ` (${views[i]!.record!.serverName})` : ""}`;
    if (finding.kind === "none") return;
    if (finding.kind === "principal") {
      const i = finding.index;
      const session = views[i]!.record!.database!.session!;
      // Only the session between the declared partners is ended (a pending create's may never have started).
      if (!sameUrl(session.partnerName, state.partners[1 - i]!.endpointUrl)) return;
      await removeWitness(clients[i]!, database);
      await endSession(clients[i]!, database);
      await warn(
        `mirroring of database [${database}] ended: it stays ONLINE on ${label(i)} (the principal) and RESTORING on ${label(1 - i)} (the mirror), never dropped or recovered; ` +
          `to use the mirror's copy, run RESTORE DATABASE [${database.replace(/]/g, "]]")}] WITH RECOVERY there (it then diverges from the principal), or drop it when it is no longer needed`,
      );
      return;
    }
    if (finding.kind === "mirrorOnly") {
      const i = finding.mirrorIndex;
      const session = views[i]!.record!.database!.session!;
      if (!sameUrl(session.partnerName, state.partners[1 - i]!.endpointUrl)) return;
      // The principal cannot be reached: the session is ended here, and there when it reconnects.
      await endSession(clients[i]!, database);
      await warn(
        `mirroring of database [${database}] ended on ${label(i)}, whose copy stays RESTORING (never dropped or recovered); the principal ${label(1 - i)} did not answer: ` +
          "it finds the session ended when it reconnects, and its copy stays ONLINE",
      );
      return;
    }
    throw principalFindingError(clients, views, finding, database, hint);
  },
};
