/**
 * `AvailabilityGroupDatabase`: one user database in an availability group. On the current primary
 * (found among the replicas' connections): the prerequisites are checked with a clear error naming
 * the database and the fix, `ADD DATABASE` runs alone, the secondary copies are seeded (over the
 * endpoints by automatic seeding, or joined on each secondary after the program restored them
 * WITH NORECOVERY), and a bounded wait lasts until each copy is SYNCHRONIZED (synchronous commit)
 * or SYNCHRONIZING (asynchronous).
 *
 * Data is never at risk: nothing here drops, recovers or restores a database, changes a recovery
 * model, or takes a backup unless `initialFullBackup` asks for exactly that. Destroy removes the
 * database from the group: the primary copy stays ONLINE, the secondary copies stay RESTORING and
 * are named in a warning.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  addDatabase,
  checkDatabasePrerequisites,
  conflictError,
  describeConnectError,
  discoverPrimary,
  joinDatabase,
  prerequisiteError,
  readAvailabilityDatabase,
  readAvailabilityGroup,
  readLocalReplica,
  removeDatabase,
  SEEDING_MODES,
  SqlServerError,
  synchronizationLag,
  synchronizationTargets,
  takeFullBackup,
  validateAvailabilityDatabaseName,
  validateFilePath,
  waitForDatabaseSynchronized,
  type AvailabilityDatabaseRecord,
  type DiscoveredPrimary,
  type SqlClient,
} from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { connectionInput, type ConnectionArgs, type ConnectionInputs } from "./connection";
import { CREATE_PENDING, createKeepingPending, GONE, ObjectExistsError, objectId, withoutProvider } from "./lifecycle";
import { checkConnectionList, clientsFor, connectionListChanges, defined } from "./replicaConnections";
import { isUnknown } from "./unknown";
import { warn } from "./warnings";

/** Default wait for the copies to synchronize, seconds. */
export const DEFAULT_SYNCHRONIZATION_TIMEOUT_SECONDS = 300;

/** Arguments of {@link AvailabilityGroupDatabase}. */
export interface AvailabilityGroupDatabaseArgs {
  /** The group (its `name` output, so this waits for the group). Changing it replaces the membership. */
  availabilityGroupName: pulumi.Input<string>;
  /** The database, ONLINE on the primary (it is never created here). Changing it replaces the membership. */
  database: pulumi.Input<string>;
  /** Every replica's connection: the current primary is found among them; with manual seeding each secondary's copy is joined there. Changing them never touches SQL Server by itself. */
  replicas: ConnectionArgs[];
  /**
   * How the secondary copies come to be. `AUTOMATIC` (default): SQL Server seeds them over the
   * endpoints (each secondary granted CREATE ANY DATABASE). `MANUAL`: the program has restored a
   * full and a log backup on every secondary WITH NORECOVERY, and each copy is joined with
   * `ALTER DATABASE … SET HADR AVAILABILITY GROUP`. Only used when the database is added.
   */
  seedingMode?: pulumi.Input<"AUTOMATIC" | "MANUAL">;
  /**
   * Take a full backup to this file (on the primary's file system) when, and only when, the
   * database has none yet under the FULL recovery model (a database needs one to join a group).
   * It starts a new differential base, which is why none is ever taken without this option.
   */
  initialFullBackup?: { disk: pulumi.Input<string> };
  /** How long to wait for every copy to reach its target state, seconds; 0 adds without waiting. Default 300. Changing it never touches SQL Server. */
  synchronizationTimeoutSeconds?: pulumi.Input<number>;
}

/** One replica's copy, as an output: only states that change when something happens. */
export interface DatabaseCopyState {
  /** NOT SYNCHRONIZING, SYNCHRONIZING, SYNCHRONIZED, REVERTING or INITIALIZING. */
  synchronizationState: string;
  /** HEALTHY, PARTIALLY_HEALTHY or NOT_HEALTHY. */
  synchronizationHealth: string;
  /** Whether data movement is suspended. */
  suspended: boolean;
}

/** A database in an availability group. */
export class AvailabilityGroupDatabase extends MssqlResource {
  /** `@@SERVERNAME` of the primary when last read. */
  declare readonly primaryReplica: pulumi.Output<string>;
  /** Each replica's copy by server name, as the primary reported it at the last create, update or refresh. */
  declare readonly replicaStates: pulumi.Output<Record<string, DatabaseCopyState>>;
  /** Whether every secondary copy had reached its target state (SYNCHRONIZED or SYNCHRONIZING, per availability mode) then. */
  declare readonly synchronized: pulumi.Output<boolean>;

  constructor(name: string, args: AvailabilityGroupDatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "AvailabilityGroupDatabase",
      name,
      {
        availabilityGroupName: args.availabilityGroupName,
        database: args.database,
        replicaConnections: (args.replicas ?? []).map((c) => connectionInput(c)),
        seedingMode: args.seedingMode,
        initialFullBackup: args.initialFullBackup,
        synchronizationTimeoutSeconds: args.synchronizationTimeoutSeconds,
        primaryReplica: undefined,
        replicaStates: undefined,
        synchronized: undefined,
      },
      opts,
      ["replicaConnections"],
    );
  }
}

type DatabaseProps = Record<string, unknown> & {
  availabilityGroupName: string;
  database: string;
  replicaConnections: ConnectionInputs[];
  seedingMode: "AUTOMATIC" | "MANUAL";
  initialFullBackup?: { disk: string };
  synchronizationTimeoutSeconds: number;
};

const isCode = (error: unknown, code: string) => error instanceof SqlServerError && error.code === code;

/** The current primary, or undefined when no replica knows the group (or it is left only on secondaries). */
async function primaryOf(props: DatabaseProps): Promise<DiscoveredPrimary | undefined> {
  try {
    return await discoverPrimary(clientsFor(props.replicaConnections), props.availabilityGroupName);
  } catch (error) {
    if (isCode(error, "ENOPRIMARY")) return undefined;
    throw error;
  }
}

function outputs(inputs: DatabaseProps, primary: string, record: AvailabilityDatabaseRecord, synchronized: boolean): Record<string, unknown> {
  return {
    ...withoutProvider(inputs),
    primaryReplica: primary,
    replicaStates: Object.fromEntries(
      record.replicas.map((r) => [r.serverName, { synchronizationState: r.synchronizationState, synchronizationHealth: r.synchronizationHealth, suspended: r.suspended }]),
    ),
    synchronized,
  };
}

/** What a lagging replica reports itself (its connection to the primary), for the wait's error. */
function probeFor(clients: readonly SqlClient[], primaryIndex: number, group: string): (serverName: string) => Promise<string | undefined> {
  return async (serverName) => {
    for (const [i, client] of clients.entries()) {
      if (i === primaryIndex) continue;
      const local = await readLocalReplica(client, group).catch(() => undefined);
      if (local?.serverName.toLowerCase() !== serverName.toLowerCase()) continue;
      return local.state.connectedState === "CONNECTED" ? "it is CONNECTED to the primary" : `it is ${local.state.connectedState ?? "not connected"}: ${describeConnectError(local.state.lastConnectError)}`;
    }
    return undefined;
  };
}

/** Waits (bounded) for every copy's target state, then reads the states for the outputs. */
async function synchronize(inputs: DatabaseProps, primary: DiscoveredPrimary): Promise<Record<string, unknown>> {
  const group = inputs.availabilityGroupName;
  const record = await readAvailabilityGroup(primary.client, group);
  if (record === undefined) throw new Error(`availability group [${group}] disappeared from its primary '${primary.replica.serverName}' during the operation; run pulumi up again`);
  const targets = synchronizationTargets(record, primary.replica.serverName);
  const timeoutMs = inputs.synchronizationTimeoutSeconds * 1000;
  const clients = clientsFor(inputs.replicaConnections);
  const database =
    timeoutMs === 0
      ? await readAvailabilityDatabase(primary.client, group, inputs.database)
      : await waitForDatabaseSynchronized(primary.client, group, inputs.database, targets, { timeoutMs }, probeFor(clients, primary.index, group));
  if (database === undefined) throw new Error(`database [${inputs.database}] is no longer in availability group [${group}]; run pulumi refresh, then pulumi up`);
  return outputs(inputs, primary.replica.serverName, database, synchronizationLag(database, targets).length === 0);
}

/** Manual seeding: joins the RESTORING copy on every secondary that holds data. */
async function joinSecondaries(inputs: DatabaseProps, primary: DiscoveredPrimary): Promise<void> {
  const group = inputs.availabilityGroupName;
  const record = await readAvailabilityGroup(primary.client, group);
  const configurationOnly = new Set((record?.replicas ?? []).filter((r) => r.availabilityMode === "CONFIGURATION_ONLY").map((r) => r.serverName.toLowerCase()));
  const clients = clientsFor(inputs.replicaConnections);
  for (const [i, client] of clients.entries()) {
    if (i === primary.index) continue;
    const local = await readLocalReplica(client, group);
    if (local === undefined) {
      throw conflictError(
        { operation: "join the secondary copy of", objectType: "availability database", objectName: inputs.database, target: client.target },
        "ENOTJOINED",
        `this instance has not joined availability group [${group}] yet: join it first (AvailabilityGroupJoin)`,
      );
    }
    if (configurationOnly.has(local.serverName.toLowerCase())) continue;
    await joinDatabase(client, group, inputs.database);
  }
}

/** Prerequisites (one explicit backup allowed), ADD DATABASE, seeding, the wait. Kept in state once added. */
async function addToGroup(id: string, inputs: DatabaseProps, resumed: boolean): Promise<Record<string, unknown>> {
  const group = inputs.availabilityGroupName;
  const primary = await primaryOf(inputs);
  if (primary === undefined) {
    throw conflictError(
      { operation: "add", objectType: "availability database", objectName: inputs.database, target: clientsFor(inputs.replicaConnections)[0]!.target },
      "ENOGROUP",
      `availability group [${group}] does not exist on any of the replicas given: create it first (AvailabilityGroup)`,
    );
  }
  let { problems } = await checkDatabasePrerequisites(primary.client, group, inputs.database);
  if (problems.length === 1 && problems[0]!.rule === "backup" && inputs.initialFullBackup !== undefined) {
    await takeFullBackup(primary.client, inputs.database, inputs.initialFullBackup.disk);
    ({ problems } = await checkDatabasePrerequisites(primary.client, group, inputs.database));
  }
  if (problems.length > 0) throw prerequisiteError(primary.client, group, inputs.database, problems);
  return createKeepingPending(id, { ...inputs }, async (created) => {
    const { alreadyAdded } = await addDatabase(primary.client, group, inputs.database);
    if (alreadyAdded && !resumed) {
      throw new ObjectExistsError("availability database", inputs.database, primary.client.target, `it is already in availability group [${group}] (added outside this stack), and an existing member is not taken over`);
    }
    created({ ...inputs, primaryReplica: primary.replica.serverName, synchronized: false, [CREATE_PENDING]: true });
    if (inputs.seedingMode === "MANUAL") await joinSecondaries(inputs, primary);
    return synchronize(inputs, primary);
  });
}

/** The provider behind {@link AvailabilityGroupDatabase}. */
export const availabilityGroupDatabaseProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const availabilityGroupName = c.sysname("availabilityGroupName", { required: true });
    const database = news.database;
    if (database === undefined || database === null) c.fail("database", "is required");
    else if (!isUnknown(database)) {
      const reason = validateAvailabilityDatabaseName(database);
      if (reason) c.fail("database", reason);
    }
    const seedingMode = c.oneOf("seedingMode", SEEDING_MODES, "AUTOMATIC");
    const backup = news.initialFullBackup;
    if (backup !== undefined && backup !== null && !isUnknown(backup)) {
      const disk = (backup as { disk?: unknown }).disk;
      const reason = typeof backup !== "object" ? "must be { disk: '<file on the primary>' }" : isUnknown(disk) ? undefined : validateFilePath(disk);
      if (reason) c.fail("initialFullBackup.disk", reason);
    }
    const timeout = news.synchronizationTimeoutSeconds ?? DEFAULT_SYNCHRONIZATION_TIMEOUT_SECONDS;
    if (!isUnknown(timeout) && !(typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 0 && timeout <= 604_800)) {
      c.fail("synchronizationTimeoutSeconds", `must be a whole number of seconds from 0 to 604800, got ${JSON.stringify(timeout)}`);
    }
    const raw = news.replicaConnections;
    const replicaConnections = checkConnectionList(raw, (i) => `replicas[${i}]`, c.failures, "replicas");
    if (Array.isArray(raw) && raw.length === 0) c.fail("replicas", "is required: every replica's connection (the primary is found among them)");
    return {
      inputs: defined({ ...news, availabilityGroupName, database, seedingMode, synchronizationTimeoutSeconds: timeout, replicaConnections: replicaConnections ?? raw }),
      failures: c.failures,
    };
  },

  async diff(_id, olds, news) {
    const replaces = ["availabilityGroupName", "database"].filter((k) => news[k] !== olds[k]);
    const updates = ["seedingMode", "synchronizationTimeoutSeconds"].filter((k) => news[k] !== olds[k]);
    if (JSON.stringify(news.initialFullBackup ?? null) !== JSON.stringify(olds.initialFullBackup ?? null)) updates.push("initialFullBackup");
    const connections = connectionListChanges(olds.replicaConnections, news.replicaConnections);
    if (connections.instances || connections.settings || isUnknown(news.replicaConnections)) updates.push("replicaConnections");
    // A copy that had not reached its target (seen at the last up or refresh): up waits for it again.
    if (olds.synchronized !== true) updates.push("synchronized");
    if (olds[CREATE_PENDING] === true) updates.push(CREATE_PENDING);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs) {
    const props = inputs as DatabaseProps;
    const id = objectId(props.replicaConnections[0]!, "availability-database", props.availabilityGroupName, props.database);
    return { id, outs: await addToGroup(id, props, false) };
  },

  async read(id, props) {
    const state = props as DatabaseProps;
    const primary = await primaryOf(state);
    if (primary === undefined) return GONE;
    const record = await readAvailabilityDatabase(primary.client, state.availabilityGroupName, state.database);
    if (record === undefined) return GONE;
    const group = await readAvailabilityGroup(primary.client, state.availabilityGroupName);
    const synchronized = group !== undefined && synchronizationLag(record, synchronizationTargets(group, primary.replica.serverName)).length === 0;
    return { id, props: outputs(state, primary.replica.serverName, record, synchronized) };
  },

  async update(id, olds, news) {
    const before = olds as DatabaseProps;
    const wanted = news as DatabaseProps;
    if (before[CREATE_PENDING] === true) return { outs: await addToGroup(id, wanted, true) };
    const connections = connectionListChanges(before.replicaConnections, wanted.replicaConnections);
    if (!connections.instances && before.synchronized === true) {
      // Only settings used when the database is added, the wait, or credentials changed.
      const kept = Object.fromEntries(["primaryReplica", "replicaStates", "synchronized"].map((k) => [k, before[k]]));
      return { outs: { ...withoutProvider(wanted), ...kept } };
    }
    // A replica came or went (it seeds, or its copy left), or a copy lagged: wait for every target again.
    const primary = await primaryOf(wanted);
    if (primary === undefined) throw new Error(`availability group [${wanted.availabilityGroupName}] no longer exists on any of its replicas; run pulumi refresh, then pulumi up`);
    return { outs: await synchronize(wanted, primary) };
  },

  async delete(_id, props) {
    const state = props as DatabaseProps;
    const primary = await primaryOf(state);
    if (primary === undefined) return;
    const removed = await removeDatabase(primary.client, state.availabilityGroupName, state.database);
    if (removed === undefined) return;
    await warn(
      `database [${state.database}] left availability group [${state.availabilityGroupName}]: it stays ONLINE on '${primary.replica.serverName}'` +
        (removed.secondaryCopies.length > 0
          ? `; its copies on ${removed.secondaryCopies.map((s) => `'${s}'`).join(", ")} stay RESTORING, never dropped or recovered (drop them, or RESTORE DATABASE … WITH RECOVERY there, when you no longer need them in the group)`
          : ""),
    );
  },
};
