// The availability-group engine test's program: a MirroringTopology of `replicas` with its
// availability group, every setting from stack config so the test can scale the group and so the
// same program runs on emulated and on real instances (endpoint hosts, TLS, waits sized for each).
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type ConnectionArgs } from "pulumi-mssql-mirroring";

/** One replica in stack config. */
interface ReplicaConfig {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
  endpointHost: string;
}

const config = new pulumi.Config();
const replicas = config.requireObject<ReplicaConfig[]>("replicas");
const connection = (r: ReplicaConfig): ConnectionArgs => ({
  server: r.server,
  port: r.port,
  user: config.get("sqlLogin") ?? "sa",
  password: config.requireSecret("sqlPassword"),
  ca: config.get("tlsCa"),
  trustServerCertificate: config.getBoolean("trustServerCertificate"),
});
const masterKeyPassword = config.requireSecret("masterKeyPassword");

const topology = new MirroringTopology("ag", {
  replicas: replicas.map((r) => ({ name: r.name, connection: connection(r), masterKeyPassword, endpoint: { port: r.endpointPort }, endpointHost: r.endpointHost })),
  encryption: "REQUIRED",
  algorithm: "AES",
  availabilityGroup: {
    name: config.require("groupName"),
    clusterType: "NONE",
    databases: config.requireObject<string[]>("databases"),
    readableSecondaries: "ALL",
    connectTimeoutSeconds: config.getNumber("connectTimeoutSeconds"),
    synchronizationTimeoutSeconds: config.getNumber("synchronizationTimeoutSeconds"),
  },
});

const group = topology.availabilityGroup!;
/** `@@SERVERNAME` of each replica, by logical name. */
export const serverNames = pulumi.all(Object.fromEntries(Object.entries(group.serverNames).map(([n, s]) => [n, s.serverName])));
/** The current primary. */
export const primaryReplica = group.group.primaryReplica;
/** Every replica's health as the primary reported it at the last create, update or refresh. */
export const replicaHealth = group.group.replicaHealth;
/** Each secondary's own view: role, connected, synchronization health, last connect error. */
export const secondaries = pulumi.all(
  Object.fromEntries(
    Object.entries(group.joins).map(([n, j]) => [n, pulumi.output({ role: j.role, connected: j.connected, synchronizationHealth: j.synchronizationHealth, lastConnectError: j.lastConnectError })]),
  ),
);
/** Each database's copies by replica, and whether every copy reached its target state. */
export const databases = pulumi.all(
  Object.fromEntries(Object.entries(group.databases).map(([n, d]) => [n, pulumi.output({ replicaStates: d.replicaStates, synchronized: d.synchronized })])),
);
