/**
 * `AvailabilityGroupJoin`: one secondary replica's side of an availability group, run on that
 * secondary's instance: `ALTER AVAILABILITY GROUP … JOIN WITH (CLUSTER_TYPE = …)`, then `GRANT
 * CREATE ANY DATABASE` so automatic seeding can create the database copies here (the step
 * dbatools' users met missing, dbatools #4816), then a bounded wait until the replica is CONNECTED
 * to its primary. Its outputs are this replica's health.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  CLUSTER_TYPES,
  discoverPrimary,
  dropAvailabilityGroup,
  grantCreateAnyDatabase,
  joinAvailabilityGroup,
  readAvailabilityGroup,
  readLocalReplica,
  removeReplica,
  SqlServerError,
  waitForReplicaConnected,
  type ClusterType,
  type LocalReplicaRecord,
} from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs, type ConnectionInputs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, diffResult, GONE, objectId, withoutProvider, type Props } from "./lifecycle";
import { checkConnectionList, clientsFor, connectionListChanges, defined } from "./replicaConnections";
import type { AvailabilityGroupClusterType } from "./availabilityGroup";
import { isUnknown } from "./unknown";
import { warn } from "./warnings";

/** Default wait for the replica to connect, seconds. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 60;

/** Arguments of {@link AvailabilityGroupJoin}. */
export interface AvailabilityGroupJoinArgs {
  /** The secondary's instance: JOIN and the grant run here. Changing server or port replaces the join. */
  connection: ConnectionArgs;
  /** The group (its `name` output, so the join waits for the group). Changing it replaces the join. */
  availabilityGroupName: pulumi.Input<string>;
  /** `JOIN WITH (CLUSTER_TYPE = …)`: the group's cluster type. Default `NONE`. Changing it replaces the join. */
  clusterType?: pulumi.Input<AvailabilityGroupClusterType>;
  /** This replica's `@@SERVERNAME` (as in the group's replicas): named in messages, and removed from the group on delete. */
  serverName: pulumi.Input<string>;
  /**
   * The other replicas' connections: where the current primary is looked for on delete, so this
   * replica is removed from the group there (REMOVE REPLICA) before the group is dropped here.
   * Changing them never touches SQL Server.
   */
  peers?: ConnectionArgs[];
  /** `GRANT CREATE ANY DATABASE` for automatic seeding. Default `true`; false for a manually seeded or configuration-only replica. */
  grantCreateAnyDatabase?: pulumi.Input<boolean>;
  /** How long create and update wait for the replica to be CONNECTED, seconds (0: look once). Default 60. Changing it never touches SQL Server. */
  connectTimeoutSeconds?: pulumi.Input<number>;
}

/** One secondary replica joined to its availability group. */
export class AvailabilityGroupJoin extends MssqlResource {
  /** This replica's role: SECONDARY, or PRIMARY after a failover, or RESOLVING. */
  declare readonly role: pulumi.Output<string | null>;
  /** Whether it is CONNECTED to its primary (as the replica itself reports it). */
  declare readonly connected: pulumi.Output<boolean>;
  /** HEALTHY, PARTIALLY_HEALTHY or NOT_HEALTHY (its database copies against its availability mode), or null. */
  declare readonly synchronizationHealth: pulumi.Output<string | null>;
  /** SQL Server's last connection error of this replica (`last_connect_error_number`, `_description`), or null. */
  declare readonly lastConnectError: pulumi.Output<{ number: number; description: string } | null>;

  constructor(name: string, args: AvailabilityGroupJoinArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "AvailabilityGroupJoin",
      name,
      {
        connection: connectionInput(args.connection),
        availabilityGroupName: args.availabilityGroupName,
        clusterType: args.clusterType,
        serverName: args.serverName,
        peers: (args.peers ?? []).map((p) => connectionInput(p)),
        grantCreateAnyDatabase: args.grantCreateAnyDatabase,
        connectTimeoutSeconds: args.connectTimeoutSeconds,
        role: undefined,
        connected: undefined,
        synchronizationHealth: undefined,
        lastConnectError: undefined,
      },
      opts,
      ["peers"],
    );
  }
}

type JoinProps = Props & { availabilityGroupName: string; clusterType: ClusterType; serverName: string; peers: ConnectionInputs[]; grantCreateAnyDatabase: boolean; connectTimeoutSeconds: number };

function health(local: LocalReplicaRecord): Record<string, unknown> {
  return {
    role: local.state.role,
    connected: local.state.role === "PRIMARY" || local.state.connectedState === "CONNECTED",
    synchronizationHealth: local.state.synchronizationHealth,
    lastConnectError: local.state.lastConnectError,
  };
}

/** JOIN (unless joined), GRANT, wait for CONNECTED. Once joined, a failure keeps the join in state (pending), and the next up finishes it. */
async function join(id: string, inputs: JoinProps): Promise<Record<string, unknown>> {
  const client = clientFor(inputs.connection);
  return createKeepingPending(id, { ...inputs }, async (created) => {
    await joinAvailabilityGroup(client, inputs.availabilityGroupName, inputs.clusterType);
    created({ ...inputs, connected: false, [CREATE_PENDING]: true });
    if (inputs.grantCreateAnyDatabase) await grantCreateAnyDatabase(client, inputs.availabilityGroupName);
    const local = await waitForReplicaConnected(client, inputs.availabilityGroupName, inputs.serverName, { timeoutMs: inputs.connectTimeoutSeconds * 1000 });
    return { ...withoutProvider(inputs), ...health(local) };
  });
}

/** The provider behind {@link AvailabilityGroupJoin}. */
export const availabilityGroupJoinProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    const availabilityGroupName = c.sysname("availabilityGroupName", { required: true });
    const clusterType = c.oneOf("clusterType", CLUSTER_TYPES, "NONE");
    if (clusterType === "WSFC") c.fail("clusterType", "WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE or EXTERNAL");
    const serverName = c.sysname("serverName", { required: true });
    const grant = c.boolean("grantCreateAnyDatabase", true);
    const timeout = news.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS;
    if (!isUnknown(timeout) && !(typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 0 && timeout <= 86_400)) {
      c.fail("connectTimeoutSeconds", `must be a whole number of seconds from 0 to 86400, got ${JSON.stringify(timeout)}`);
    }
    const peers = checkConnectionList(news.peers ?? [], (i) => `peers[${i}]`, c.failures, "peers");
    return {
      inputs: defined({ ...news, connection, availabilityGroupName, clusterType, serverName, grantCreateAnyDatabase: grant, connectTimeoutSeconds: timeout, peers: peers ?? news.peers }),
      failures: c.failures,
    };
  },

  async diff(_id, olds: Props, news: Props) {
    const replaces = ["availabilityGroupName", "clusterType"].filter((k) => news[k] !== olds[k]);
    const updates = ["serverName", "connectTimeoutSeconds"].filter((k) => news[k] !== olds[k]);
    // A grant newly asked for is granted; one no longer asked for is left (DENY is not this resource's to issue).
    if (news.grantCreateAnyDatabase === true && olds.grantCreateAnyDatabase !== true) updates.push("grantCreateAnyDatabase");
    const peers = connectionListChanges(olds.peers, news.peers);
    if (peers.instances || peers.settings || isUnknown(news.peers)) updates.push("peers");
    // Drift seen at refresh (the replica not connected): up waits for it again, once its trust is repaired.
    if (olds.connected !== true) updates.push("connected");
    return diffResult(olds, news, replaces, updates, true);
  },

  async create(inputs: Props) {
    const props = inputs as JoinProps;
    const id = objectId(props.connection, "availability-group-join", props.availabilityGroupName);
    return { id, outs: await join(id, props) };
  },

  async read(id, props: Props) {
    const state = props as JoinProps;
    const local = await readLocalReplica(clientFor(state.connection), state.availabilityGroupName);
    if (local === undefined) return GONE;
    return { id, props: { ...withoutProvider(state), ...health(local) } };
  },

  async update(id, olds: Props, news: Props) {
    const before = olds as JoinProps;
    const wanted = news as JoinProps;
    if (before[CREATE_PENDING] === true) return { outs: await join(id, wanted) };
    const client = clientFor(wanted.connection);
    if (wanted.grantCreateAnyDatabase && before.grantCreateAnyDatabase !== true) await grantCreateAnyDatabase(client, wanted.availabilityGroupName);
    if (before.connected !== true) {
      const local = await waitForReplicaConnected(client, wanted.availabilityGroupName, wanted.serverName, { timeoutMs: wanted.connectTimeoutSeconds * 1000 });
      return { outs: { ...withoutProvider(wanted), ...health(local) } };
    }
    const kept = Object.fromEntries(["role", "connected", "synchronizationHealth", "lastConnectError"].map((k) => [k, before[k]]));
    return { outs: { ...withoutProvider(wanted), ...kept } };
  },

  async delete(_id, props: Props) {
    const state = props as JoinProps;
    const client = clientFor(state.connection);
    const name = state.availabilityGroupName;
    const local = await readLocalReplica(client, name);
    if (local === undefined) return;
    if (local.state.role === "PRIMARY") {
      // Failovers are facts: this replica now holds the group; the group's own delete drops it.
      await warn(`availability group [${name}]: '${local.serverName}' is now its primary, so its join is released without removing it (the group's deletion drops it)`);
      return;
    }
    const databases = (await readAvailabilityGroup(client, name))?.databases ?? [];
    // Removed on the primary first: dropping the group on a secondary alone is for emergencies.
    const candidates = clientsFor(state.peers);
    if (candidates.length > 0) {
      let primary;
      try {
        primary = await discoverPrimary(candidates, name);
      } catch (error) {
        if (!(error instanceof SqlServerError && error.code === "ENOPRIMARY")) throw error;
      }
      if (primary !== undefined) await removeReplica(primary.client, name, local.serverName);
    }
    await dropAvailabilityGroup(client, name);
    if (databases.length > 0) {
      await warn(`availability group [${name}]: replica '${local.serverName}' left the group; its copies of ${databases.join(", ")} stay RESTORING there, never dropped or recovered`);
    }
  },
};
