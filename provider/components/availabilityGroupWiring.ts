/**
 * Declares one planned availability group over a topology's instances: the group on its first
 * replica, a join on every other replica, and each database, wired after every trust exists.
 * Kept apart from MirroringTopology so that a topology of several groups over shared instances
 * (the estate form) declares each group the same way.
 */
import * as pulumi from "@pulumi/pulumi";
import { AvailabilityGroup } from "../resources/availabilityGroup";
import { AvailabilityGroupDatabase } from "../resources/availabilityGroupDatabase";
import { AvailabilityGroupJoin } from "../resources/availabilityGroupJoin";
import type { ConnectionArgs } from "../resources/connection";
import type { ServerName } from "../resources/serverName";
import type { PlannedAvailabilityGroup } from "./availabilityGroupPlan";

/** What the wiring needs of one instance of the topology. */
export interface GroupMember {
  /** How to reach it. */
  connection: ConnectionArgs;
  /** Its `@@SERVERNAME`, read by a {@link ServerName}. */
  serverName: ServerName;
  /** Host the other replicas reach its endpoint at (`endpointHost`, else `connection.server`). */
  endpointHost: pulumi.Input<string>;
  /** Its endpoint's port: an input of the endpoint, so it stays known at preview while the endpoint is updated. */
  endpointPort: pulumi.Input<number>;
}

/** The resources declared for one group. */
export interface DeclaredAvailabilityGroup {
  /** The group, created on its first replica. */
  group: AvailabilityGroup;
  /** The join of every replica but the first, by logical name. */
  joins: Record<string, AvailabilityGroupJoin>;
  /** Each database, by name. */
  databases: Record<string, AvailabilityGroupDatabase>;
}

/**
 * `TCP://host:port`, an IPv6 host bracketed, as `MirroringEndpoint.url` writes it. Built from the
 * endpoint's inputs rather than its `url` output: an output is unknown at preview while its
 * resource is being updated (a certificate rotation), which would show the group changing when it
 * does not.
 */
export function endpointUrlOf(host: string, port: number): string {
  return `TCP://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}

/** Resource names under the topology's name: stable, so a later estate form can keep them. */
export function availabilityGroupResourceName(topology: string, group: string): string {
  return `${topology}-ag-${group}`;
}

/**
 * Declares `plan` over `members` (by logical name). Everything waits for `after` (every trust
 * and endpoint): a replica can only connect once the others accept it.
 */
export function declareAvailabilityGroup(
  topology: string,
  plan: PlannedAvailabilityGroup,
  members: ReadonlyMap<string, GroupMember>,
  after: pulumi.Resource[],
  parent: pulumi.Resource,
  allowReplacement?: boolean,
): DeclaredAvailabilityGroup {
  const base = availabilityGroupResourceName(topology, plan.name);
  const member = (instance: string) => members.get(instance)!;
  const group = new AvailabilityGroup(
    base,
    {
      name: plan.name,
      clusterType: plan.clusterType,
      replicas: plan.replicas.map((r) => {
        const m = member(r.instance);
        return {
          connection: m.connection,
          serverName: m.serverName.serverName,
          endpointUrl: pulumi.all([m.endpointHost, m.endpointPort]).apply(([host, port]) => endpointUrlOf(host, port)),
          availabilityMode: r.availabilityMode,
          ...(r.availabilityMode === "CONFIGURATION_ONLY"
            ? {}
            : {
                failoverMode: r.failoverMode,
                seedingMode: r.seedingMode,
                backupPriority: r.backupPriority,
                secondaryRole: r.secondaryRole,
                primaryRole: r.primaryRole,
                sessionTimeoutSeconds: r.sessionTimeoutSeconds,
              }),
        };
      }),
      ...plan.options,
      ...(allowReplacement !== undefined ? { allowReplacement } : {}),
    },
    { parent, dependsOn: after },
  );
  const joins: Record<string, AvailabilityGroupJoin> = {};
  for (const r of plan.replicas.slice(1)) {
    const m = member(r.instance);
    joins[r.instance] = new AvailabilityGroupJoin(
      `${base}-join-${r.instance}`,
      {
        connection: m.connection,
        availabilityGroupName: group.name,
        clusterType: plan.clusterType,
        serverName: m.serverName.serverName,
        peers: plan.replicas.filter((o) => o.instance !== r.instance).map((o) => member(o.instance).connection),
        grantCreateAnyDatabase: r.availabilityMode !== "CONFIGURATION_ONLY" && r.seedingMode === "AUTOMATIC",
        ...(plan.connectTimeoutSeconds !== undefined ? { connectTimeoutSeconds: plan.connectTimeoutSeconds } : {}),
      },
      { parent, dependsOn: [group] },
    );
  }
  const databases: Record<string, AvailabilityGroupDatabase> = {};
  for (const d of plan.databases) {
    databases[d.name] = new AvailabilityGroupDatabase(
      `${base}-db-${d.name}`,
      {
        availabilityGroupName: group.name,
        database: d.name,
        replicas: plan.replicas.map((r) => member(r.instance).connection),
        seedingMode: d.seedingMode,
        ...(d.initialFullBackup !== undefined ? { initialFullBackup: d.initialFullBackup } : {}),
        ...(plan.synchronizationTimeoutSeconds !== undefined ? { synchronizationTimeoutSeconds: plan.synchronizationTimeoutSeconds } : {}),
      },
      // Every secondary has joined (and granted CREATE ANY DATABASE) before seeding starts.
      { parent, dependsOn: [group, ...Object.values(joins)] },
    );
  }
  return { group, joins, databases };
}
