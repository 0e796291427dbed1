/**
 * `MirroringTopology`: an estate of SQL Server instances, each declared once, and the availability
 * groups and database mirroring sessions over them (or, as shorthands, one mirroring pair with an
 * optional witness, or one availability-group mesh). Each instance gets its outbound objects once;
 * each instance trusts each peer some group or session needs it to accept; the dependency graph
 * orders a certificate rotation so that no new connection is ever refused.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AvailabilityGroup } from "../resources/availabilityGroup";
import type { AvailabilityGroupDatabase } from "../resources/availabilityGroupDatabase";
import type { AvailabilityGroupJoin } from "../resources/availabilityGroupJoin";
import type { ConnectionArgs } from "../resources/connection";
import type { MirroringSession } from "../resources/mirroringSession";
import { ServerName } from "../resources/serverName";
import type { AutomatedBackupPreference, AvailabilityMode, FailoverMode, PrimaryAllowConnections, SecondaryAllowConnections, SeedingMode } from "../sql/availabilityGroupRecords";
import { groupPath, planEstateParts, type EstateGroupShape, type EstatePlan, type EstateSessionShape, type EstateShape } from "./estatePlan";
import { conflictingClaims, instanceKey, recordClaims } from "./instanceClaims";
import { declareAvailabilityGroup, type GroupMember } from "./availabilityGroupWiring";
import {
  instanceShapeOf,
  MirroringInstance,
  type InstanceCertificateArgs,
  type InstanceEndpointArgs,
} from "./mirroringInstance";
import type { TopologyMirroringArgs } from "./mirroringSessionPlan";
import { declareMirroringSessions, type SessionMember } from "./mirroringSessionWiring";
import { PeerTrust } from "./peerTrust";
import { shorthandForm, TopologyValidationError, type EncryptionAlgorithm, type EndpointEncryption, type InstanceShape, type TransportUse } from "./plan";
import { RotationOrder } from "./rotationOrder";

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

/**
 * One availability group of an estate: what a topology's `availabilityGroup` takes, over
 * `replicas` named by their logical names in `instances`.
 */
export interface EstateAvailabilityGroupArgs extends TopologyAvailabilityGroupArgs {
  /** Logical names of the group's instances (2–9), the initial primary first. Each appears once. */
  replicas: string[];
  /**
   * Declare only the endpoints and trusts the group needs, not the group: for a group managed
   * outside this stack (by hand, or by another tool), or one still to come. Default false.
   */
  transportOnly?: boolean;
}

/**
 * One entry of an estate's mirroring sessions: what a topology's `mirroring` takes, between two
 * `partners` (and an optional `witness`) named by their logical names in `instances`. Each database
 * becomes one `MirroringSession`.
 */
export interface EstateMirroringSessionArgs extends Omit<TopologyMirroringArgs, "databases"> {
  /** The databases to mirror between these partners (or give {@link database}). */
  databases?: string[];
  /** One database: the same as `databases: [database]`. */
  database?: string;
  /** The two partners' logical names; each session starts on the first (its copy must be ONLINE there). */
  partners: [string, string];
  /** The witness's logical name (a third instance), when there is one. Default: none. */
  witness?: string;
  /**
   * Declare only the endpoints and trusts the sessions need, not the sessions: for sessions
   * managed outside this stack, or still to come. Default false.
   */
  transportOnly?: boolean;
}

/**
 * Arguments of {@link MirroringTopology}: the estate form (`instances` + `availabilityGroups` /
 * `mirroringSessions`), or one of its shorthands, `partners` (+ `witness`, `mirroring`) or
 * `replicas` (+ `availabilityGroup`).
 */
export interface MirroringTopologyArgs {
  /**
   * The estate form: every instance once, by logical name. Its master key, certificate and
   * endpoint are declared once, whatever number of groups and sessions use it; the endpoint's ROLE
   * comes from those uses (ALL when in any group, or partner in one session and witness in
   * another; PARTNER or WITNESS otherwise), and one trust per directed pair any of them needs.
   */
  instances?: InstanceSpec[];
  /** With `instances`: the availability groups over them. */
  availabilityGroups?: EstateAvailabilityGroupArgs[];
  /** With `instances`: the database mirroring sessions over them. */
  mirroringSessions?: EstateMirroringSessionArgs[];
  /** Shorthand for one mirroring pair: exactly two partners (endpoint role PARTNER). */
  partners?: [InstanceSpec, InstanceSpec];
  /** Shorthand for one mirroring pair: an optional witness (endpoint role WITNESS). */
  witness?: InstanceSpec;
  /** Shorthand for one availability group: 2–9 replicas, every one trusting every other (endpoint role ALL). */
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

/** An estate to plan, from either form of the arguments. */
interface Normalised {
  /** Every instance spec, once, in declaration order. */
  specs: InstanceSpec[];
  /** The estate planning sees. */
  estate: EstateShape;
  /** A shorthand's use when it declares no group or session (checked in the shorthand's own words). */
  extraUses: Array<TransportUse & { path: string }>;
  /** Problems of the form itself (a shorthand's: before the instances' problems, as it always reported them). */
  problems: string[];
  /** Problems of a shorthand's `availabilityGroup` / `mirroring` given with the wrong instances (reported with the group's / sessions' problems). */
  groupForm: string[];
  /** See {@link groupForm}. */
  sessionForm: string[];
  /** `allowReplacement` of each group, by its entry's path. */
  allowReplacement: Map<string, boolean | undefined>;
  /** Whether the arguments used a shorthand (what it registers as outputs stays as it was). */
  shorthand: boolean;
}

const SHORTHAND_KEYS = ["partners", "witness", "replicas", "availabilityGroup", "mirroring"] as const;

/**
 * The shorthands as the one-use estate: the instances in the order the shorthand lists them, and
 * one group (`availabilityGroup`) or one session entry (`mirroring`) over all of them, or just their
 * use when neither is given. The shorthand's own form checks keep their words.
 */
function fromShorthand(args: MirroringTopologyArgs, shape: (s: InstanceSpec) => InstanceShape): Normalised {
  const specs = [...(args.partners ?? []), ...(args.witness ? [args.witness] : []), ...(args.replicas ?? [])];
  const groupForm: string[] = [];
  const sessionForm: string[] = [];
  const form = shorthandForm({
    partners: args.partners?.map(shape),
    witness: args.witness ? shape(args.witness) : undefined,
    replicas: args.replicas?.map(shape),
  });
  const availabilityGroups: EstateGroupShape[] = [];
  const mirroringSessions: EstateSessionShape[] = [];
  const extraUses: Array<TransportUse & { path: string }> = [];
  const estateKeys = (["availabilityGroups", "mirroringSessions"] as const).filter((k) => args[k] !== undefined);
  if (estateKeys.length > 0) {
    form.problems.push(
      `${estateKeys.join(" and ")} name instances by their logical names in instances: [...] (the estate form); declare every instance there instead of in partners / witness / replicas`,
    );
  }
  const ag = args.availabilityGroup;
  if (ag !== undefined) {
    if (args.replicas === undefined) groupForm.push("availabilityGroup needs replicas: [...] (every replica joins the group); partners and a witness are for database mirroring");
    else availabilityGroups.push({ path: "availabilityGroup", ...ag, replicas: args.replicas.map((r) => r.name) });
  }
  if (args.mirroring !== undefined) {
    if (args.partners === undefined) sessionForm.push("mirroring needs partners: [a, b] (+ witness); replicas are for an availability group");
    else mirroringSessions.push({ path: "mirroring", ...args.mirroring, partners: args.partners.map((p) => p.name), ...(args.witness !== undefined ? { witness: args.witness.name } : {}) });
  }
  if (availabilityGroups.length === 0 && mirroringSessions.length === 0 && form.use !== undefined) {
    extraUses.push({ path: form.use.kind === "availabilityGroup" ? "replicas" : "partners", ...form.use });
  }
  return {
    specs,
    estate: { instances: form.members, availabilityGroups, mirroringSessions, encryption: args.encryption, algorithm: args.algorithm },
    extraUses,
    problems: form.problems,
    groupForm,
    sessionForm,
    allowReplacement: new Map([["availabilityGroup", ag?.allowReplacement]]),
    shorthand: true,
  };
}

/** The estate form as planning sees it. */
function fromEstate(args: MirroringTopologyArgs, shape: (s: InstanceSpec) => InstanceShape): Normalised {
  const problems: string[] = [];
  const mixed = SHORTHAND_KEYS.filter((k) => args[k] !== undefined);
  if (mixed.length > 0) {
    problems.push(
      `instances (the estate form) cannot be combined with ${mixed.join(", ")}: declare every instance once in instances, and each use in availabilityGroups: [{ name, replicas: [...] }] or mirroringSessions: [{ partners: [x, y], witness? }]`,
    );
  }
  const specs = Array.isArray(args.instances) ? args.instances : [];
  if (!Array.isArray(args.instances)) problems.push("instances must be a list of instances, each { name, connection, masterKeyPassword, ... }");
  const groups = args.availabilityGroups ?? [];
  const sessions = args.mirroringSessions ?? [];
  if (!Array.isArray(groups)) problems.push("availabilityGroups must be a list of groups, each { name, replicas: [...], databases?, ... }");
  if (!Array.isArray(sessions)) problems.push("mirroringSessions must be a list of sessions, each { partners: [x, y], witness?, databases? }");
  const groupList = Array.isArray(groups) ? groups : [];
  const sessionList = Array.isArray(sessions) ? sessions : [];
  if (groupList.length === 0 && sessionList.length === 0) {
    problems.push("instances needs at least one use: availabilityGroups: [{ name, replicas: [...] }] or mirroringSessions: [{ partners: [x, y] }] (each instance's endpoint role and trusts come from them)");
  }
  const availabilityGroups: EstateGroupShape[] = groupList.map((g, i) => ({ ...g, path: groupPath(i, g?.name) }));
  const mirroringSessions: EstateSessionShape[] = sessionList.map((s, i) => ({ ...s, path: `mirroringSessions[${i}]` }) as EstateSessionShape);
  return {
    specs,
    estate: { instances: specs.map(shape), availabilityGroups, mirroringSessions, encryption: args.encryption, algorithm: args.algorithm },
    extraUses: [],
    problems,
    groupForm: [],
    sessionForm: [],
    allowReplacement: new Map(availabilityGroups.map((g, i) => [g.path, groupList[i]?.allowReplacement])),
    shorthand: false,
  };
}

/**
 * Plans the whole topology, so that preview reports every problem at once (nothing is declared
 * while there is one).
 */
function planAll(args: MirroringTopologyArgs, topology: string): { normalised: Normalised; plan: EstatePlan } {
  const shape = (s: InstanceSpec) => shapeOf(s, args.certificate);
  const normalised = args.instances !== undefined ? fromEstate(args, shape) : fromShorthand(args, shape);
  const { plan, problems: p } = planEstateParts(normalised.estate, normalised.extraUses);
  // In the order the shorthands always reported them: the topology, then its group, then its sessions.
  const all = [...p.options, ...normalised.problems, ...p.instances, ...p.conflicts, ...normalised.groupForm, ...p.groups, ...normalised.sessionForm, ...p.sessions, ...p.estate];
  const claims = normalised.estate.instances.map((i) => ({
    owner: `${topology}-${i.name}`,
    label: `instance '${i.name}'`,
    declaredBy: `MirroringTopology '${topology}' (instance '${i.name}')`,
    key: instanceKey(i.server, i.port),
  }));
  if (all.length === 0) all.push(...conflictingClaims(claims));
  if (all.length > 0 || plan === undefined) throw new TopologyValidationError(all);
  recordClaims(claims);
  return { normalised, plan };
}

/**
 * The transport of an estate of SQL Server instances and what uses it: availability groups and
 * database mirroring sessions over instances each declared once (or, as shorthands, one
 * mirroring pair or one group).
 */
export class MirroringTopology extends pulumi.ComponentResource {
  /** Each instance's outbound objects, by logical name. */
  readonly instances: Record<string, MirroringInstance>;
  /** Each receiving instance's trusts, by `"<receiver>/<peer>"`: one per directed pair, whatever number of groups and sessions need it. */
  readonly trusts: Record<string, PeerTrust>;
  /** `TCP://host:port` of each instance's endpoint, by logical name. */
  readonly endpointUrls: pulumi.Output<Record<string, string>>;
  /** The availability group's resources, when `availabilityGroup` was given (the shorthand). */
  readonly availabilityGroup?: TopologyAvailabilityGroup;
  /** Every declared availability group's resources, by group name (the shorthand's one included). */
  readonly availabilityGroups: Record<string, TopologyAvailabilityGroup>;
  /** Each instance's certificate `EXPIRY_DATE` (ISO-8601 UTC, as SQL Server records it), by logical name. */
  readonly certificateExpiries: pulumi.Output<Record<string, string>>;
  /** Each database's mirroring session, by database name, when `mirroring` was given (the shorthand). */
  readonly mirroring?: Record<string, MirroringSession>;
  /** Every declared mirroring session, by `"<partner>-<partner>/<database>"` (partners in sorted order, as in the resource name). */
  readonly mirroringSessions: Record<string, MirroringSession>;

  constructor(name: string, args: MirroringTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mssql-mirroring:index:MirroringTopology", name, {}, opts);
    // Throws with every problem before a single resource is declared.
    const { normalised, plan } = planAll(args, name);
    const specByName = new Map(normalised.specs.map((s) => [s.name, s]));

    // Each endpoint waits for every peer's import of its certificate (in every group and session):
    // on rotation the new public key is everywhere before the endpoint presents it.
    const rotation = new RotationOrder(plan.instances.map((p) => p.name));
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
          endpointDependsOn: rotation.endpointDependsOn(p.name),
        },
        { parent: this },
      );
    }

    this.trusts = {};
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
      rotation.imported(t.peer, trust);
    }
    rotation.seal();

    this.endpointUrls = pulumi.all(Object.fromEntries(Object.entries(this.instances).map(([n, i]) => [n, i.endpointUrl])));
    this.certificateExpiries = pulumi.all(Object.fromEntries(Object.entries(this.instances).map(([n, i]) => [n, i.certificateExpiry])));

    // What a use waits for: its own trusts (login, user, peer certificate, grant) and its instances'
    // endpoints. A group or session added later adds no dependency to the others.
    const useByPath = new Map(plan.uses.map((u) => [u.path, u]));
    const after = (path: string): pulumi.Resource[] => {
      const use = useByPath.get(path)!;
      return [
        ...use.trusts.map((k) => this.trusts[k]!).flatMap((t) => [t.login, t.user, t.certificate, t.permission]),
        ...use.instances.map((i) => this.instances[i]!.endpoint),
      ];
    };
    const endpointOf = (instance: string) => {
      const spec = specByName.get(instance)!;
      return { connection: spec.connection, endpointHost: spec.endpointHost ?? spec.connection.server, endpointPort: this.instances[instance]!.endpoint.port };
    };

    // One ServerName per instance in any declared group, shared by every group it is in.
    const serverNames: Record<string, ServerName> = {};
    const serverNameOf = (instance: string): ServerName =>
      (serverNames[instance] ??= new ServerName(`${name}-${instance}-server-name`, { connection: specByName.get(instance)!.connection }, { parent: this }));
    this.availabilityGroups = {};
    for (const g of plan.groups) {
      const members = new Map<string, GroupMember>(g.group.replicas.map((r) => [r.instance, { ...endpointOf(r.instance), serverName: serverNameOf(r.instance) }]));
      const declared = declareAvailabilityGroup(name, g.group, members, after(g.path), this, normalised.allowReplacement.get(g.path));
      this.availabilityGroups[g.group.name] = { ...declared, serverNames: Object.fromEntries(g.group.replicas.map((r) => [r.instance, serverNames[r.instance]!])) };
    }
    this.mirroringSessions = {};
    const sessionsByPath = new Map<string, typeof plan.sessions>();
    for (const s of plan.sessions) sessionsByPath.set(s.path, [...(sessionsByPath.get(s.path) ?? []), s]);
    const declaredSessions = [...sessionsByPath].flatMap(([path, sessions]) => {
      const members = new Map<string, SessionMember>(useByPath.get(path)!.instances.map((i) => [i, endpointOf(i)]));
      return declareMirroringSessions(name, sessions, members, after(path), this);
    });
    for (const d of declaredSessions) this.mirroringSessions[`${[...d.plan.partners].sort().join("-")}/${d.plan.database}`] = d.session;

    const outputs: Record<string, unknown> = { endpointUrls: this.endpointUrls, certificateExpiries: this.certificateExpiries };
    if (normalised.shorthand) {
      // The shorthands register the outputs they always did.
      const [group] = plan.groups;
      if (group !== undefined) {
        this.availabilityGroup = this.availabilityGroups[group.group.name];
        const declared = this.availabilityGroup!.group;
        Object.assign(outputs, { availabilityGroup: declared.name, primaryReplica: declared.primaryReplica });
      } else if (declaredSessions.length > 0) {
        this.mirroring = Object.fromEntries(declaredSessions.map((d) => [d.plan.database, d.session]));
        outputs.mirroringSessions = Object.fromEntries(declaredSessions.map((d) => [d.plan.database, d.session.currentPrincipal]));
      }
    } else {
      outputs.availabilityGroups = Object.fromEntries(Object.entries(this.availabilityGroups).map(([n, g]) => [n, g.group.primaryReplica]));
      outputs.mirroringSessions = Object.fromEntries(Object.entries(this.mirroringSessions).map(([k, session]) => [k, session.currentPrincipal]));
    }
    this.registerOutputs(outputs);
  }
}
