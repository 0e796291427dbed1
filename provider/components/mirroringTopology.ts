/**
 * `MirroringTopology`: a whole database-mirroring session (two partners, optional witness) or an
 * availability-group mesh, as one declaration. Each instance gets its outbound objects; each
 * instance trusts each peer it must accept; the dependency graph orders a certificate rotation so
 * that no new connection is ever refused.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AvailabilityGroup } from "../resources/availabilityGroup";
import type { AvailabilityGroupDatabase } from "../resources/availabilityGroupDatabase";
import type { AvailabilityGroupJoin } from "../resources/availabilityGroupJoin";
import type { ConnectionArgs } from "../resources/connection";
import type { MirroringSession } from "../resources/mirroringSession";
import { ServerName } from "../resources/serverName";
import type { AutomatedBackupPreference, AvailabilityMode, FailoverMode, PrimaryAllowConnections, SecondaryAllowConnections, SeedingMode } from "../sql/availabilityGroupRecords";
import { planAvailabilityGroups, type AvailabilityGroupShape, type AvailabilityGroupsPlan } from "./availabilityGroupPlan";
import { declareAvailabilityGroup, type GroupMember } from "./availabilityGroupWiring";
import {
  instanceShapeOf,
  MirroringInstance,
  type InstanceCertificateArgs,
  type InstanceEndpointArgs,
} from "./mirroringInstance";
import { planMirroringSessions, type MirroringSessionShape, type MirroringSessionsPlan, type TopologyMirroringArgs } from "./mirroringSessionPlan";
import { declareMirroringSessions, type SessionMember } from "./mirroringSessionWiring";
import { PeerTrust } from "./peerTrust";
import { planTopology, TopologyValidationError, type EncryptionAlgorithm, type EndpointEncryption, type InstanceShape, type TopologyPlan } from "./plan";

/** One SQL Server instance of a topology. */
export interface InstanceSpec {
  /** Logical name, unique in the topology (letters, digits, `_`, `-`); used in derived object names. */
  name: string;
  /** How to reach the instance. */
  connection: ConnectionArgs;
  /** Master key password (secret); used only when the key is created by this stack. */
  masterKeyPassword: pulumi.Input<string>;
  /** Host peers use to reach this instance's endpoint. Default `connection.server`. */
  endpointHost?: pulumi.Input<string>;
  /** Endpoint settings (name, port, listener IP, state, per-instance encryption/algorithm, adoption). */
  endpoint?: InstanceEndpointArgs;
  /** Certificate settings; override the topology's defaults. */
  certificate?: InstanceCertificateArgs;
  /** Adopt an existing master key. Default `true`. */
  adoptMasterKey?: pulumi.Input<boolean>;
  /** Back this instance's certificate up to files on its server. */
  backup?: { file: pulumi.Input<string>; privateKey?: { file: pulumi.Input<string>; password: pulumi.Input<string> } };
}

/** One replica's options in a topology's availability group (every one has a default). */
export interface AvailabilityReplicaOptions {
  /** `AVAILABILITY_MODE`. Default: SYNCHRONOUS_COMMIT for the first replicas up to SQL Server's limit of five (the primary included), ASYNCHRONOUS_COMMIT after. */
  availabilityMode?: AvailabilityMode;
  /** `FAILOVER_MODE`. Default MANUAL with cluster type NONE (the only value it takes), EXTERNAL with EXTERNAL. */
  failoverMode?: FailoverMode;
  /** `SEEDING_MODE`. Default AUTOMATIC. */
  seedingMode?: SeedingMode;
  /** `BACKUP_PRIORITY` (0–100). Default 50. */
  backupPriority?: number;
  /** `SECONDARY_ROLE (ALLOW_CONNECTIONS = …)`. Default: the group's `readableSecondaries`, else NO. */
  readableSecondary?: SecondaryAllowConnections;
  /** `SECONDARY_ROLE (READ_ONLY_ROUTING_URL = …)`: `TCP://host:port` of the instance's TDS listener. Default: none. */
  readOnlyRoutingUrl?: string;
  /** `PRIMARY_ROLE (ALLOW_CONNECTIONS = …)`. Default ALL. */
  primaryAllowConnections?: PrimaryAllowConnections;
  /** `SESSION_TIMEOUT`, seconds (at least 5). Default 10. */
  sessionTimeoutSeconds?: number;
}

/**
 * The availability group a topology of `replicas` declares over all of them, after every trust
 * exists. Values are plain (known when the program runs): planning checks them all at preview.
 */
export interface TopologyAvailabilityGroupArgs {
  /** Group name (sysname). A new name replaces the group, refused at preview unless {@link allowReplacement}. */
  name: string;
  /** Databases to add, by name or with options; each must be ONLINE on the first replica, in FULL recovery, with a full backup. */
  databases?: Array<string | { name: string; seedingMode?: SeedingMode; initialFullBackup?: { disk: string } }>;
  /** `CLUSTER_TYPE`. Default `NONE` (read-scale, manual failover); `EXTERNAL` for a Pacemaker cluster. WSFC is refused. */
  clusterType?: "NONE" | "EXTERNAL";
  /** Per-replica options, by the replicas' logical names. */
  replicaOptions?: Record<string, AvailabilityReplicaOptions>;
  /** Default of every replica's `SECONDARY_ROLE (ALLOW_CONNECTIONS)`: NO (default), READ_ONLY or ALL. */
  readableSecondaries?: SecondaryAllowConnections;
  /** `AUTOMATED_BACKUP_PREFERENCE`. Default: SQL Server's. */
  automatedBackupPreference?: AutomatedBackupPreference;
  /** `REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT`. Default: SQL Server's (0). */
  requiredSynchronizedSecondariesToCommit?: number;
  /** `FAILURE_CONDITION_LEVEL` (1–5). Default: SQL Server's. */
  failureConditionLevel?: number;
  /** `HEALTH_CHECK_TIMEOUT`, ms. Default: SQL Server's. */
  healthCheckTimeoutMs?: number;
  /** `DB_FAILOVER`. Default: SQL Server's (off). */
  dbFailover?: boolean;
  /** `DTC_SUPPORT = PER_DB`. Default: SQL Server's (NONE). */
  dtcSupport?: boolean;
  /** How long `up` waits for each secondary to connect, seconds. Default 60. */
  connectTimeoutSeconds?: number;
  /** How long `up` waits for each database to synchronize, seconds (0: do not wait). Default 300. */
  synchronizationTimeoutSeconds?: number;
  /** Let a new name or cluster type replace the group. Default false. */
  allowReplacement?: boolean;
}

/** Arguments of {@link MirroringTopology}: `partners` (+ `witness`) or `replicas`. */
export interface MirroringTopologyArgs {
  /** Database mirroring: exactly two partners (endpoint role PARTNER). */
  partners?: [InstanceSpec, InstanceSpec];
  /** Database mirroring: an optional witness (endpoint role WITNESS). */
  witness?: InstanceSpec;
  /** Availability group: 2–9 replicas, every one trusting every other (endpoint role ALL). */
  replicas?: InstanceSpec[];
  /** `ENCRYPTION` of every endpoint unless an instance overrides it. Default `REQUIRED`. */
  encryption?: EndpointEncryption;
  /** `ALGORITHM` of every endpoint unless an instance overrides it. Default `AES`. */
  algorithm?: EncryptionAlgorithm;
  /** Certificate defaults for every instance (each instance's `certificate` overrides them). */
  certificate?: TopologyCertificateArgs;
  /** Prefix of derived login, user and certificate names. Default `mirroring_`. */
  namePrefix?: string;
  /** With `replicas`: the availability group over all of them (the first replica is its initial primary). */
  availabilityGroup?: TopologyAvailabilityGroupArgs;
  /** With `partners`: a database mirroring session per database between them (with the witness, if any), once every trust exists. */
  mirroring?: TopologyMirroringArgs;
}

/** The availability-group resources a topology declared. */
export interface TopologyAvailabilityGroup {
  /** The group. */
  group: AvailabilityGroup;
  /** Each secondary's join, by logical name (the first replica has none: it created the group). */
  joins: Record<string, AvailabilityGroupJoin>;
  /** Each database, by name. */
  databases: Record<string, AvailabilityGroupDatabase>;
  /** Each replica's `@@SERVERNAME` reader, by logical name. */
  serverNames: Record<string, ServerName>;
}

/**
 * Plans the topology and its groups together, so that preview reports every problem at once
 * (nothing is declared while there is one).
 */
function planAll(
  args: MirroringTopologyArgs,
  shapes: Parameters<typeof planTopology>[0],
): { plan: TopologyPlan; groups: AvailabilityGroupsPlan; sessions: MirroringSessionsPlan } {
  const problems: string[] = [];
  let plan: TopologyPlan | undefined;
  try {
    plan = planTopology(shapes);
  } catch (error) {
    if (!(error instanceof TopologyValidationError)) throw error;
    problems.push(...error.problems);
  }
  const groups: AvailabilityGroupShape[] = [];
  const ag = args.availabilityGroup;
  if (ag !== undefined) {
    if (args.replicas === undefined) {
      problems.push("availabilityGroup needs replicas: [...] (every replica joins the group); partners and a witness are for database mirroring");
    } else {
      groups.push({ path: "availabilityGroup", ...ag, replicas: args.replicas.map((r) => r.name) });
    }
  }
  const grouped = planAvailabilityGroups(
    (args.replicas ?? []).map((r) => r.name),
    groups,
  );
  problems.push(...grouped.problems);
  const entries: MirroringSessionShape[] = [];
  if (args.mirroring !== undefined) {
    if (args.partners === undefined) problems.push("mirroring needs partners: [a, b] (+ witness); replicas are for an availability group");
    else entries.push({ path: "mirroring", ...args.mirroring, partners: args.partners.map((p) => p.name), ...(args.witness !== undefined ? { witness: args.witness.name } : {}) });
  }
  const sessions = planMirroringSessions([...(args.partners ?? []), ...(args.witness ? [args.witness] : [])].map((i) => i.name), entries);
  problems.push(...sessions.problems);
  if (problems.length > 0 || plan === undefined) throw new TopologyValidationError(problems);
  return { plan, groups: grouped, sessions };
}

/** Certificate defaults of a topology; see {@link InstanceCertificateArgs} for each field. */
export type TopologyCertificateArgs = Pick<InstanceCertificateArgs, "subject" | "validityDays" | "rotateBeforeDays" | "warnBeforeDays">;

/** An instance's certificate settings with the topology's defaults filled in. */
function certificateWithDefaults(own: InstanceCertificateArgs | undefined, defaults: TopologyCertificateArgs | undefined): InstanceCertificateArgs {
  return {
    ...own,
    subject: own?.subject ?? defaults?.subject,
    validityDays: own?.validityDays ?? defaults?.validityDays,
    rotateBeforeDays: own?.rotateBeforeDays ?? defaults?.rotateBeforeDays,
    warnBeforeDays: own?.warnBeforeDays ?? defaults?.warnBeforeDays,
  };
}

function plain<T>(v: pulumi.Input<T> | undefined, kind: "string" | "number"): T | undefined {
  return typeof v === kind ? (v as T) : undefined;
}

function shapeOf(spec: InstanceSpec, defaults: MirroringTopologyArgs["certificate"]): InstanceShape {
  // Certificate settings fall back to the topology's, as the instance's Certificate gets them.
  const certificate = certificateWithDefaults(spec.certificate, defaults);
  return {
    ...instanceShapeOf({ ...spec, certificate }),
    name: spec.name,
    endpointHost: plain<string>(spec.endpointHost, "string"),
  };
}

/** A database-mirroring session or an availability-group mesh. */
export class MirroringTopology extends pulumi.ComponentResource {
  /** Each instance's outbound objects, by logical name. */
  readonly instances: Record<string, MirroringInstance>;
  /** Each receiving instance's trusts, by `"<receiver>/<peer>"`. */
  readonly trusts: Record<string, PeerTrust>;
  /** `TCP://host:port` of each instance's endpoint, by logical name. */
  readonly endpointUrls: pulumi.Output<Record<string, string>>;
  /** The availability group's resources, when `availabilityGroup` was given. */
  readonly availabilityGroup?: TopologyAvailabilityGroup;
  /** Each instance's certificate `EXPIRY_DATE` (ISO-8601 UTC, as SQL Server records it), by logical name. */
  readonly certificateExpiries: pulumi.Output<Record<string, string>>;
  /** Each database's mirroring session, by database name, when `mirroring` was given. */
  readonly mirroring?: Record<string, MirroringSession>;

  constructor(name: string, args: MirroringTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mssql-mirroring:index:MirroringTopology", name, {}, opts);
    const specs = [...(args.partners ?? []), ...(args.witness ? [args.witness] : []), ...(args.replicas ?? [])];
    // Throws with every problem before a single resource is declared.
    const defaults = args.certificate;
    const { plan, groups, sessions } = planAll(args, {
      partners: args.partners?.map((p) => shapeOf(p, defaults)),
      witness: args.witness ? shapeOf(args.witness, defaults) : undefined,
      replicas: args.replicas?.map((r) => shapeOf(r, defaults)),
      encryption: args.encryption,
      algorithm: args.algorithm,
    });
    const specByName = new Map(specs.map((s) => [s.name, s]));

    // Each endpoint waits for every peer's import of its certificate: on rotation the new public
    // key is everywhere before the endpoint presents it. Resolved once the trusts are declared.
    const gates = new Map<string, { resolve: (r: pulumi.Resource[]) => void; promise: Promise<pulumi.Resource[]> }>();
    for (const p of plan.instances) {
      let resolve!: (r: pulumi.Resource[]) => void;
      const promise = new Promise<pulumi.Resource[]>((r) => (resolve = r));
      gates.set(p.name, { resolve, promise });
    }

    this.instances = {};
    for (const p of plan.instances) {
      const spec = specByName.get(p.name)!;
      this.instances[p.name] = new MirroringInstance(
        `${name}-${p.name}`,
        {
          connection: spec.connection,
          masterKeyPassword: spec.masterKeyPassword,
          adoptMasterKey: spec.adoptMasterKey,
          endpointHost: spec.endpointHost,
          endpoint: { ...spec.endpoint, encryption: p.encryption, algorithm: p.algorithm },
          role: p.role,
          certificate: {
            ...certificateWithDefaults(spec.certificate, args.certificate),
            subject: spec.certificate?.subject ?? args.certificate?.subject ?? `mirroring ${p.name}`,
          },
          instanceName: p.name,
          backup: spec.backup,
          endpointDependsOn: gates.get(p.name)!.promise,
        },
        { parent: this },
      );
    }

    this.trusts = {};
    const importsOf = new Map<string, pulumi.Resource[]>(plan.instances.map((p) => [p.name, []]));
    for (const t of plan.trusts) {
      const receiver = specByName.get(t.receiver)!;
      const trust = new PeerTrust(
        `${name}-${t.receiver}-trusts-${t.peer}`,
        {
          connection: receiver.connection,
          endpointName: this.instances[t.receiver]!.endpoint.name,
          peerName: t.peer,
          publicKey: this.instances[t.peer]!.publicKey,
          namePrefix: args.namePrefix,
          instanceName: t.receiver,
          // The peer's own certificate reports this expiry date already (the copy is the same certificate).
          expiryWarnings: false,
        },
        { parent: this },
      );
      this.trusts[`${t.receiver}/${t.peer}`] = trust;
      importsOf.get(t.peer)!.push(trust.certificate);
    }
    for (const [instance, gate] of gates) gate.resolve(importsOf.get(instance)!);

    this.endpointUrls = pulumi.all(Object.fromEntries(Object.entries(this.instances).map(([n, i]) => [n, i.endpointUrl])));
    this.certificateExpiries = pulumi.all(Object.fromEntries(Object.entries(this.instances).map(([n, i]) => [n, i.certificateExpiry])));

    // Only with availabilityGroup: a topology without one declares exactly what it always did.
    const [group] = groups.groups;
    if (group !== undefined) {
      const serverNames: Record<string, ServerName> = {};
      const members = new Map<string, GroupMember>();
      for (const r of group.replicas) {
        const spec = specByName.get(r.instance)!;
        serverNames[r.instance] = new ServerName(`${name}-${r.instance}-server-name`, { connection: spec.connection }, { parent: this });
        members.set(r.instance, {
          connection: spec.connection,
          serverName: serverNames[r.instance]!,
          endpointHost: spec.endpointHost ?? spec.connection.server,
          endpointPort: this.instances[r.instance]!.endpoint.port,
        });
      }
      // After every trust (login, user, peer certificate, grant) and every endpoint exists.
      const after = [
        ...Object.values(this.trusts).flatMap((t) => [t.login, t.user, t.certificate, t.permission]),
        ...Object.values(this.instances).map((i) => i.endpoint),
      ];
      const declared = declareAvailabilityGroup(name, group, members, after, this, args.availabilityGroup?.allowReplacement);
      this.availabilityGroup = { ...declared, serverNames };
      this.registerOutputs({ endpointUrls: this.endpointUrls, certificateExpiries: this.certificateExpiries, availabilityGroup: declared.group.name, primaryReplica: declared.group.primaryReplica });
    } else if (sessions.sessions.length > 0) {
      // Only with mirroring: a topology without it declares exactly what it always did.
      const members = new Map<string, SessionMember>(
        plan.instances.map((p) => {
          const spec = specByName.get(p.name)!;
          return [p.name, { connection: spec.connection, endpointHost: spec.endpointHost ?? spec.connection.server, endpointPort: this.instances[p.name]!.endpoint.port }];
        }),
      );
      const after = [
        ...Object.values(this.trusts).flatMap((t) => [t.login, t.user, t.certificate, t.permission]),
        ...Object.values(this.instances).map((i) => i.endpoint),
      ];
      const declared = declareMirroringSessions(name, sessions.sessions, members, after, this);
      this.mirroring = Object.fromEntries(declared.map((d) => [d.plan.database, d.session]));
      this.registerOutputs({ endpointUrls: this.endpointUrls, certificateExpiries: this.certificateExpiries, mirroringSessions: Object.fromEntries(declared.map((d) => [d.plan.database, d.session.currentPrincipal])) });
    } else {
      this.registerOutputs({ endpointUrls: this.endpointUrls, certificateExpiries: this.certificateExpiries });
    }
  }
}
