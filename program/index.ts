// The main Pulumi program of this repository: a mirroring or availability-group topology described
// entirely by stack configuration, so the same program is promoted from `dev` to `prod` by stack
// files alone (see Pulumi.dev.yaml and Pulumi.prod.yaml).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MirroringTopology, type InstanceSpec, type TopologyAvailabilityGroupArgs, type TopologyMirroringArgs } from "pulumi-mssql-mirroring";

/** One instance in stack config. */
interface InstanceConfig {
  name: string;
  server: string;
  port?: number;
  endpointPort?: number;
  endpointHost?: string;
}

/** The `topology` config object. */
interface TopologyConfig {
  partners?: InstanceConfig[];
  witness?: InstanceConfig;
  replicas?: InstanceConfig[];
  encryption?: "REQUIRED" | "SUPPORTED" | "DISABLED";
  algorithm?: "AES" | "RC4" | "AES RC4" | "RC4 AES";
  certificateValidityDays?: number;
  /** Rotate each certificate automatically from this many days before its expiry (needs certificateValidityDays). */
  certificateRotateBeforeDays?: number;
  /** Warn from this many days before a certificate expires (default 30). */
  certificateWarnBeforeDays?: number;
  /** With `replicas`: the availability group over them (MirroringTopology's `availabilityGroup`). */
  availabilityGroup?: TopologyAvailabilityGroupArgs;
  /** With `partners`: a mirroring session per database (MirroringTopology's `mirroring`). */
  mirroring?: TopologyMirroringArgs;
}

const config = new pulumi.Config();
const topology = config.requireObject<TopologyConfig>("topology");
const user = config.get("sqlLogin") ?? "sa";
const password = config.requireSecret("sqlPassword");
const masterKeyPassword = config.requireSecret("masterKeyPassword");
const caFile = config.get("tlsCaFile");
// Relative to the project (where Pulumi.yaml is), not to this file's folder.
const ca = caFile ? fs.readFileSync(path.resolve(pulumi.runtime.getRootDirectory(), caFile), "utf8") : undefined;

const instance = (i: InstanceConfig): InstanceSpec => ({
  name: i.name,
  connection: { server: i.server, port: i.port, user, password, ca, trustServerCertificate: config.getBoolean("trustServerCertificate") },
  masterKeyPassword,
  endpointHost: i.endpointHost,
  endpoint: { port: i.endpointPort },
});

const mesh = new MirroringTopology(pulumi.getStack(), {
  partners: topology.partners?.map(instance) as [InstanceSpec, InstanceSpec] | undefined,
  witness: topology.witness ? instance(topology.witness) : undefined,
  replicas: topology.replicas?.map(instance),
  encryption: topology.encryption,
  algorithm: topology.algorithm,
  certificate: {
    validityDays: topology.certificateValidityDays,
    rotateBeforeDays: topology.certificateRotateBeforeDays,
    warnBeforeDays: topology.certificateWarnBeforeDays,
  },
  ...(topology.availabilityGroup !== undefined ? { availabilityGroup: topology.availabilityGroup } : {}),
  ...(topology.mirroring !== undefined ? { mirroring: topology.mirroring } : {}),
});

/** `TCP://host:port` of every endpoint. */
export const endpointUrls = mesh.endpointUrls;
/** Each instance's certificate: name, thumbprint and expiry. */
export const certificates = pulumi.all(
  Object.fromEntries(
    Object.entries(mesh.instances).map(([name, i]) => [
      name,
      pulumi.all({ name: i.certificate.certificateName, thumbprint: i.certificate.thumbprint, expiryDate: i.certificate.expiryDate }),
    ]),
  ),
);

const group = mesh.availabilityGroup;
/**
 * The availability group, when the stack declares one: its primary, each secondary's health as it
 * reported it once joined (role, connected, synchronization health, last connect error), each
 * database's copies. (The group's own replicaHealth is what the primary saw when it created the
 * group, before any secondary joined; `pulumi refresh` brings it up to date.)
 */
export const availabilityGroup = group
  ? pulumi.output({
      name: group.group.name,
      primaryReplica: group.group.primaryReplica,
      secondaries: Object.fromEntries(
        Object.entries(group.joins).map(([name, join]) => [
          name,
          { role: join.role, connected: join.connected, synchronizationHealth: join.synchronizationHealth, lastConnectError: join.lastConnectError },
        ]),
      ),
      databases: Object.fromEntries(Object.entries(group.databases).map(([db, d]) => [db, d.replicaStates])),
    })
  : undefined;
/** Each mirroring session, by database, when the stack declares them: roles, principal, state, witness. */
export const mirroringSessions = mesh.mirroring
  ? pulumi.output(
      Object.fromEntries(
        Object.entries(mesh.mirroring).map(([db, s]) => [
          db,
          { roles: s.roles, currentPrincipal: s.currentPrincipal, mirroringState: s.mirroringState, witnessState: s.witnessState },
        ]),
      ),
    )
  : undefined;
