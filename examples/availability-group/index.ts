// An Always On availability group of three replicas, from bare instances with a database to a
// running group: every replica's endpoint and the full mesh of trusts (as in ag-replicas), then the
// group itself on the first replica, each other replica joined, and the databases added with
// automatic seeding. `up` waits until every secondary is CONNECTED and every copy SYNCHRONIZED.
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type ConnectionArgs } from "pulumi-mssql-mirroring";

interface Instance {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
  /** Host the other replicas reach this one's endpoint at; default `server`. */
  endpointHost?: string;
}

const config = new pulumi.Config();
const instances = config.requireObject<Instance[]>("instances");
// Each must exist on the first instance, ONLINE, in FULL recovery, with a full backup.
const databases = config.getObject<string[]>("databases") ?? ["sales"];
const connection = (i: Instance): ConnectionArgs => ({
  server: i.server,
  port: i.port,
  user: config.get("sqlLogin") ?? "sa",
  password: config.requireSecret("sqlPassword"),
  ca: config.get("tlsCa"),
});
const masterKeyPassword = config.requireSecret("masterKeyPassword");

const ag = new MirroringTopology("ag", {
  replicas: instances.map((i) => ({
    name: i.name,
    connection: connection(i),
    masterKeyPassword,
    endpoint: { port: i.endpointPort },
    ...(i.endpointHost !== undefined ? { endpointHost: i.endpointHost } : {}),
  })),
  encryption: "REQUIRED",
  algorithm: "AES",
  availabilityGroup: {
    name: config.get("groupName") ?? "sales-ag",
    clusterType: "NONE",
    databases,
    // Read the copies on the secondaries (a readable secondary needs its own license).
    readableSecondaries: "ALL",
  },
});

const group = ag.availabilityGroup!;
export const endpointUrls = ag.endpointUrls;
export const availabilityGroup = group.group.name;
export const primaryReplica = group.group.primaryReplica;
/** Each secondary's health as it reported it once joined: role, connected, synchronization health, last connect error. */
export const secondaries = pulumi.output(
  Object.fromEntries(
    Object.entries(group.joins).map(([name, join]) => [
      name,
      { role: join.role, connected: join.connected, synchronizationHealth: join.synchronizationHealth, lastConnectError: join.lastConnectError },
    ]),
  ),
);
/** Each database's copies by replica: synchronization state and health. */
export const databaseStates = pulumi.output(Object.fromEntries(Object.entries(group.databases).map(([name, db]) => [name, db.replicaStates])));
