/**
 * The engine-floor baseline: the root program's resource graph — same stack config, same
 * components, resource names, counts, parents, `dependsOn` and output→input wiring, same secret
 * inputs and roughly the same state size — but every dynamic resource's provider does nothing
 * (no SQL Server, no I/O). `up`/`refresh`/`destroy` of this program cost what the Pulumi engine,
 * the Node.js SDK and the dynamic-provider host cost for such a graph; the real program's time
 * divided by this one's is the overhead of pulumi-mssql-mirroring.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

interface InstanceConfig {
  name: string;
  server: string;
  port?: number;
  endpointPort?: number;
  endpointHost?: string;
}
interface TopologyConfig {
  partners?: InstanceConfig[];
  witness?: InstanceConfig;
  replicas?: InstanceConfig[];
  encryption?: string;
  algorithm?: string;
  certificateValidityDays?: number;
  availabilityGroup?: { name: string; databases?: Array<string | { name: string }>; readableSecondaries?: string };
}

const config = new pulumi.Config();
const topology = config.requireObject<TopologyConfig>("topology");
const user = config.get("sqlLogin") ?? "sa";
const password = config.requireSecret("sqlPassword");
const masterKeyPassword = config.requireSecret("masterKeyPassword");
const caFile = config.get("tlsCaFile");
const ca = caFile ? fs.readFileSync(path.resolve(pulumi.runtime.getRootDirectory(), caFile), "utf8") : undefined;

/**
 * Catalog values the real providers add to their outputs, by kind, with values of the same size
 * (a certificate's DER as base64 is about 1 KB). Returned by `create` on top of the inputs.
 */
const EXTRA_OUTPUTS: Record<string, Record<string, unknown>> = {
  MasterKey: { adopted: false, encryptedByServer: true, createDate: "2025-01-01T00:00:00.000Z" },
  Certificate: {
    certificateName: "mirroring_cert_00000000",
    certificateId: 256,
    thumbprint: "0".repeat(40),
    publicKey: "A".repeat(1068),
    issuer: "mirroring instance",
    startDate: "2025-01-01T00:00:00.000Z",
    expiryDate: "2026-01-01T00:00:00.000Z",
    serialNumber: "0".repeat(32),
    privateKeyEncryption: "MK",
    owner: "dbo",
  },
  MirroringEndpoint: { endpointId: 65536, url: "TCP://127.0.0.1:5022", adopted: false, owner: "sa" },
  Login: { principalId: 256, sid: "0x" + "0".repeat(32), password: "x".repeat(36), isDisabled: false, checkPolicy: true },
  User: { principalId: 5 },
  PeerCertificate: { certificateId: 257, thumbprint: "0".repeat(40), subject: "mirroring peer", startDate: "2025-01-01T00:00:00.000Z", expiryDate: "2026-01-01T00:00:00.000Z", certificateName: "mirroring_peer_00000000" },
  EndpointPermission: { state: "GRANT" },
  ServerName: { serverName: "BENCH1" },
  AvailabilityGroup: {
    groupId: "00000000-0000-0000-0000-000000000000",
    primaryReplica: "BENCH1",
    replicaHealth: { BENCH2: { role: "SECONDARY", connected: true, synchronizationHealth: "HEALTHY", lastConnectError: null } },
    databases: ["sales"],
  },
  AvailabilityGroupJoin: { role: "SECONDARY", connected: true, synchronizationHealth: "HEALTHY", lastConnectError: null },
  AvailabilityGroupDatabase: { primaryReplica: "BENCH1", replicaStates: { BENCH1: { state: "SYNCHRONIZED", health: "HEALTHY" } }, synchronized: true },
};

/** A provider that does nothing: one object per kind, as the real package has. */
function noopProvider(extra: Record<string, unknown>): pulumi.dynamic.ResourceProvider {
  return {
    check: async (_olds, news) => ({ inputs: news }),
    diff: async () => ({ changes: false }),
    create: async (inputs) => {
      const { __provider: _p, ...rest } = inputs;
      return { id: String(rest.name ?? "baseline"), outs: { ...extra, ...rest } };
    },
    read: async (id, props) => ({ id, props }),
    update: async (_id, _olds, news) => ({ outs: news }),
    delete: async () => undefined,
  };
}
const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/** A dynamic resource of `kind` whose provider does nothing. */
class Noop extends pulumi.dynamic.Resource {
  [output: string]: unknown;
  constructor(kind: string, name: string, props: Record<string, unknown>, opts: pulumi.CustomResourceOptions, secretOutputs: string[] = []) {
    const extra = EXTRA_OUTPUTS[kind]!;
    let provider = providers.get(kind);
    if (!provider) providers.set(kind, (provider = noopProvider(extra)));
    const outputKeys = Object.fromEntries(Object.keys(extra).map((k) => [k, undefined]));
    super(provider, name, { ...outputKeys, ...props }, { ...opts, additionalSecretOutputs: secretOutputs }, "mssql-mirroring-baseline", kind);
  }
  out(key: string): pulumi.Output<unknown> {
    return this[key] as pulumi.Output<unknown>;
  }
}

/** A component whose outputs are registered once its children are declared (as the package's do). */
class Component extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(`mssql-mirroring-baseline:index:${type}`, name, {}, opts);
  }
  done(outputs: Record<string, unknown>): void {
    this.registerOutputs(outputs);
  }
}

interface Connection {
  server: string;
  port?: number;
}
const connectionInput = (c: Connection) => ({ server: c.server, port: c.port ?? 1433, user, password: pulumi.secret(password), encrypt: true, trustServerCertificate: false, ...(ca !== undefined ? { ca } : {}) });

const stackName = pulumi.getStack();
const topologyComponent = new Component("MirroringTopology", stackName);
const members: Array<{ spec: InstanceConfig; role: string }> = topology.replicas
  ? topology.replicas.map((spec) => ({ spec, role: "ALL" }))
  : [...(topology.partners ?? []).map((spec) => ({ spec, role: "PARTNER" })), ...(topology.witness ? [{ spec: topology.witness, role: "WITNESS" }] : [])];

// Each endpoint waits for every peer's import of its certificate (as in MirroringTopology).
const gates = new Map<string, { resolve: (r: pulumi.Resource[]) => void; promise: Promise<pulumi.Resource[]> }>();
for (const { spec } of members) {
  let resolve!: (r: pulumi.Resource[]) => void;
  const promise = new Promise<pulumi.Resource[]>((r) => (resolve = r));
  gates.set(spec.name, { resolve, promise });
}

const instances = new Map<string, { certificate: Noop; endpoint: Noop }>();
const trustResources: pulumi.Resource[] = [];
for (const { spec, role } of members) {
  const name = `${stackName}-${spec.name}`;
  const component = new Component("MirroringInstance", name, { parent: topologyComponent });
  const connection = connectionInput(spec);
  const masterKey = new Noop("MasterKey", `${name}-master-key`, { connection, password: pulumi.secret(masterKeyPassword), adopt: true }, { parent: component });
  const certificate = new Noop(
    "Certificate",
    `${name}-certificate`,
    { connection, subject: `mirroring ${spec.name}`, validityDays: topology.certificateValidityDays },
    { parent: component, dependsOn: [masterKey] },
  );
  const endpoint = new Noop(
    "MirroringEndpoint",
    `${name}-endpoint`,
    {
      connection,
      port: spec.endpointPort,
      encryption: topology.encryption ?? "REQUIRED",
      algorithm: topology.algorithm ?? "AES",
      role,
      certificateName: certificate.out("certificateName"),
      name: "hadr_endpoint",
    },
    { parent: component, dependsOn: gates.get(spec.name)!.promise },
  );
  component.done({ endpointUrl: endpoint.out("url"), thumbprint: certificate.out("thumbprint"), certificateName: certificate.out("certificateName") });
  instances.set(spec.name, { certificate, endpoint });
}

const importsOf = new Map<string, pulumi.Resource[]>(members.map(({ spec }) => [spec.name, []]));
for (const { spec: receiver } of members) {
  for (const { spec: peer } of members) {
    if (receiver.name === peer.name) continue;
    const name = `${stackName}-${receiver.name}-trusts-${peer.name}`;
    const component = new Component("PeerTrust", name, { parent: topologyComponent });
    const connection = connectionInput(receiver);
    const login = new Noop("Login", `${name}-login`, { connection, name: `mirroring_${peer.name}_login`, checkPolicy: true }, { parent: component }, ["password"]);
    const userResource = new Noop("User", `${name}-user`, { connection, name: `mirroring_${peer.name}_user`, login: login.out("name") }, { parent: component });
    const peerCertificate = new Noop(
      "PeerCertificate",
      `${name}-certificate`,
      { connection, owner: userResource.out("name"), publicKey: instances.get(peer.name)!.certificate.out("publicKey"), namePrefix: `mirroring_${peer.name}_peer` },
      { parent: component },
    );
    const permission = new Noop(
      "EndpointPermission",
      `${name}-connect`,
      { connection, endpoint: instances.get(receiver.name)!.endpoint.out("name"), login: login.out("name") },
      { parent: component, dependsOn: [peerCertificate] },
    );
    trustResources.push(permission, login, userResource, peerCertificate);
    component.done({ thumbprint: peerCertificate.out("thumbprint"), login: login.out("name") });
    importsOf.get(peer.name)!.push(peerCertificate);
  }
}
for (const [instance, gate] of gates) gate.resolve(importsOf.get(instance)!);
const endpointUrls = pulumi.all(Object.fromEntries([...instances].map(([n, i]) => [n, i.endpoint.out("url")])));

// The availability group, declared as MirroringTopology does: a server name per replica, the group
// after every trust and endpoint, each secondary's join after the group, each database after every join.
const group = topology.replicas ? topology.availabilityGroup : undefined;
if (group) {
  const base = `${stackName}-ag-${group.name}`;
  const replicas = topology.replicas!;
  const serverNames = new Map(replicas.map((r) => [r.name, new Noop("ServerName", `${stackName}-${r.name}-server-name`, { connection: connectionInput(r) }, { parent: topologyComponent })]));
  const after = [...trustResources, ...[...instances.values()].map((i) => i.endpoint)];
  const ag = new Noop(
    "AvailabilityGroup",
    base,
    {
      name: group.name,
      clusterType: "NONE",
      replicas: replicas.map((r, i) => ({
        connection: connectionInput(r),
        serverName: serverNames.get(r.name)!.out("serverName"),
        endpointUrl: `TCP://${r.endpointHost ?? r.server}:${r.endpointPort ?? 5022}`,
        availabilityMode: i < 3 ? "SYNCHRONOUS_COMMIT" : "ASYNCHRONOUS_COMMIT",
        failoverMode: "MANUAL",
        seedingMode: "AUTOMATIC",
        backupPriority: 50,
        secondaryRole: { allowConnections: group.readableSecondaries ?? "NO" },
      })),
    },
    { parent: topologyComponent, dependsOn: after },
  );
  const joins = replicas.slice(1).map(
    (r) =>
      new Noop(
        "AvailabilityGroupJoin",
        `${base}-join-${r.name}`,
        {
          connection: connectionInput(r),
          availabilityGroupName: ag.out("name"),
          clusterType: "NONE",
          serverName: serverNames.get(r.name)!.out("serverName"),
          peers: replicas.filter((o) => o !== r).map(connectionInput),
          grantCreateAnyDatabase: true,
        },
        { parent: topologyComponent, dependsOn: [ag] },
      ),
  );
  for (const d of group.databases ?? []) {
    const database = typeof d === "string" ? d : d.name;
    new Noop(
      "AvailabilityGroupDatabase",
      `${base}-db-${database}`,
      { availabilityGroupName: ag.out("name"), database, replicas: replicas.map(connectionInput), seedingMode: "AUTOMATIC" },
      { parent: topologyComponent, dependsOn: [ag, ...joins] },
    );
  }
}
topologyComponent.done({ endpointUrls });

export { endpointUrls };
export const certificates = pulumi.all(
  Object.fromEntries(
    [...instances].map(([n, i]) => [n, pulumi.all({ name: i.certificate.out("certificateName"), thumbprint: i.certificate.out("thumbprint"), expiryDate: i.certificate.out("expiryDate") })]),
  ),
);
