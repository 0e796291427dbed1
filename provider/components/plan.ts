/**
 * Pure planning for {@link MirroringTopology}: which role each instance's endpoint takes, which
 * instance must trust which, and every topology-level mistake a DBA could make, found before any
 * resource is declared (so `pulumi preview` fails with all of them at once, and nothing is created).
 * Per-instance settings known at program time (ports, names, dates…) are checked here too, with the
 * resources' own rules: otherwise `pulumi up` would create the instances' first objects before
 * the one resource whose check fails is reached.
 */
import {
  canonicalUtc,
  parseListenerAddress,
  parseUtcDate,
  validateCertificateDates,
  validateLoginName,
  validatePasswordPolicy,
  validatePort,
  validateSubject,
  validateSysname,
} from "../sql/validate";
import { currentTime, lifecycleProblems } from "../resources/certificateLifecycle";

/** `ROLE` of a DATABASE_MIRRORING endpoint. */
export type EndpointRole = "PARTNER" | "WITNESS" | "ALL";
/** `ENCRYPTION` of a DATABASE_MIRRORING endpoint. */
export type EndpointEncryption = "REQUIRED" | "SUPPORTED" | "DISABLED";
/** `ALGORITHM` of a DATABASE_MIRRORING endpoint. */
export type EncryptionAlgorithm = "AES" | "RC4" | "AES RC4" | "RC4 AES";

/** What planning needs to know about one instance; values not known yet (Outputs) are `undefined`. */
export interface InstanceShape {
  /** Logical name, unique in the topology. */
  name: string;
  /** `connection.server`, when known at program time. */
  server?: string;
  /** `connection.port`, when known (default 1433). */
  port?: number;
  /** Host peers connect to (`endpointHost`), when known; defaults to `server`. */
  endpointHost?: string;
  /** Endpoint listener port, when known (default 5022). */
  endpointPort?: number;
  /** Per-instance encryption override. */
  encryption?: EndpointEncryption;
  /** Per-instance algorithm override. */
  algorithm?: EncryptionAlgorithm;
  /** The instance's other settings that are known at program time, checked with the resources' rules. */
  settings?: InstanceSettings;
}

/**
 * Settings of an instance known at program time (plain values; anything not known yet is left out),
 * each checked as the resource that receives it would check it.
 */
export interface InstanceSettings {
  /** The master key password, when given as a plain string (never echoed). */
  masterKeyPassword?: string;
  /** Endpoint name (`hadr_endpoint` when absent). */
  endpointName?: string;
  /** `LISTENER_IP`. */
  listenerIp?: string;
  /** Endpoint `STATE`. */
  endpointState?: string;
  /** Endpoint owner login. */
  endpointOwner?: string;
  /** Fixed certificate name. */
  certificateName?: string;
  /** Certificate subject. */
  subject?: string;
  /** Certificate `START_DATE`. */
  startDate?: string;
  /** Certificate `EXPIRY_DATE`. */
  expiryDate?: string;
  /** Certificate validity in days (the instance's, else the topology's). */
  validityDays?: number;
  /** Automatic rotation window in days (the instance's, else the topology's). */
  rotateBeforeDays?: number;
  /** Expiry warning window in days (the instance's, else the topology's). */
  warnBeforeDays?: number;
}

/** The topology as planning sees it. */
export interface TopologyShape {
  /** Database-mirroring partners (exactly two). */
  partners?: InstanceShape[];
  /** Database-mirroring witness (optional). */
  witness?: InstanceShape;
  /** Availability-group replicas (2 to {@link MAX_REPLICAS}). */
  replicas?: InstanceShape[];
  /** Topology-wide `ENCRYPTION`; default REQUIRED. */
  encryption?: EndpointEncryption;
  /** Topology-wide `ALGORITHM`; default AES. */
  algorithm?: EncryptionAlgorithm;
}

/** One instance with the role its endpoint gets. */
export interface PlannedInstance {
  /** Logical name. */
  name: string;
  /** `ROLE` of its endpoint: PARTNER/WITNESS for mirroring, ALL for an availability group. */
  role: EndpointRole;
  /** Effective encryption (instance override, else topology, else REQUIRED). */
  encryption: EndpointEncryption;
  /** Effective algorithm (instance override, else topology, else AES). */
  algorithm: EncryptionAlgorithm;
}

/** `receiver` accepts inbound mirroring connections from `peer`. */
export interface PlannedTrust {
  /** The instance that accepts the connection (login, user, peer certificate and grant live here). */
  receiver: string;
  /** The instance that connects. */
  peer: string;
}

/** The outcome of planning. */
export interface TopologyPlan {
  /** Database mirroring (partners, optional witness) or an availability-group mesh. */
  mode: "mirroring" | "availabilityGroup";
  /** Every instance with its role and effective encryption, in declaration order. */
  instances: PlannedInstance[];
  /** Every directed trust: n·(n−1) for n instances. */
  trusts: PlannedTrust[];
}

/** Every problem found in a topology, reported together. */
export class TopologyValidationError extends Error {
  /** @param component what was invalid: `MirroringTopology` (default) or `MirroringInstance '<name>'` */
  constructor(
    readonly problems: string[],
    component = "MirroringTopology",
  ) {
    super(`invalid ${component}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "TopologyValidationError";
  }
}

const ENDPOINT_STATES = ["STARTED", "STOPPED", "DISABLED"];
const DAY_MS = 86_400_000;

/**
 * Problems with one instance's program-time settings (`server`, `port`, `endpointPort` and
 * `settings`), each as `<property> <reason>`, the reasons being the resources' own. `now` decides
 * what "in the past" means.
 */
export function instanceSettingsProblems(inst: Omit<InstanceShape, "name" | "encryption" | "algorithm">, now: Date = currentTime()): string[] {
  const problems: string[] = [];
  const add = (property: string, reason: string | undefined) => reason !== undefined && problems.push(`${property} ${reason}`);
  const s = inst.settings ?? {};
  if (inst.server !== undefined && inst.server.trim() === "") add("connection.server", "must be a host name or IP address");
  if (inst.port !== undefined) add("connection.port", validatePort(inst.port));
  if (s.masterKeyPassword !== undefined) add("masterKeyPassword", validatePasswordPolicy(s.masterKeyPassword));
  if (s.endpointName !== undefined) {
    add("endpoint.name", validateSysname(s.endpointName));
    if (s.endpointName.startsWith("##")) add("endpoint.name", "must not start with ##: SQL Server reserves that prefix for system endpoints (7869)");
  }
  if (inst.endpointPort !== undefined) add("endpoint.port", validatePort(inst.endpointPort));
  if (s.listenerIp !== undefined) {
    const parsed = parseListenerAddress(s.listenerIp);
    if (typeof parsed === "string") add("endpoint.listenerIp", parsed);
  }
  if (s.endpointState !== undefined && !ENDPOINT_STATES.includes(s.endpointState.toUpperCase())) {
    add("endpoint.state", `must be one of ${ENDPOINT_STATES.map((x) => JSON.stringify(x)).join(", ")}, got ${JSON.stringify(s.endpointState)}`);
  }
  if (s.endpointOwner !== undefined) add("endpoint.owner", validateLoginName(s.endpointOwner));
  if (s.certificateName !== undefined) add("certificate.name", validateSysname(s.certificateName));
  if (s.subject !== undefined) add("certificate.subject", validateSubject(s.subject));
  const date = (property: string, value: string | undefined): Date | undefined => {
    if (value === undefined) return undefined;
    const parsed = parseUtcDate(value);
    if (typeof parsed === "string") add(property, parsed);
    return parsed instanceof Date ? parsed : undefined;
  };
  const start = date("certificate.startDate", s.startDate);
  const expiry = date("certificate.expiryDate", s.expiryDate);
  const days = s.validityDays;
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 36_500)) {
    add("certificate.validityDays", `must be a whole number from 1 to 36500, got ${JSON.stringify(days)}`);
  }
  if (s.expiryDate !== undefined && days !== undefined) add("certificate.validityDays", "cannot be combined with certificate.expiryDate: give one of them");
  const effectiveExpiry = expiry ?? (days !== undefined && Number.isInteger(days) && days >= 1 ? new Date((start ?? now).getTime() + days * DAY_MS) : undefined);
  if ((s.startDate === undefined || start !== undefined) && (s.expiryDate === undefined || expiry !== undefined)) {
    const property = s.expiryDate !== undefined ? "certificate.expiryDate" : "certificate.validityDays";
    const reason = validateCertificateDates(start, effectiveExpiry, now);
    // Without a start date the start is "now": an expiry before it is simply in the past (as Certificate says).
    const past = start === undefined && effectiveExpiry !== undefined && effectiveExpiry.getTime() <= now.getTime();
    if (reason !== undefined && past) add(property, `expiry date ${canonicalUtc(effectiveExpiry)} is in the past; an endpoint cannot use an expired certificate`);
    else add(property, reason);
  }
  const lifecycle = { validityDays: days, rotateBeforeDays: s.rotateBeforeDays, warnBeforeDays: s.warnBeforeDays, hasExpiryDate: s.expiryDate !== undefined, hasStartDate: s.startDate !== undefined, hasName: s.certificateName !== undefined };
  for (const p of lifecycleProblems(lifecycle)) add(`certificate.${p.property}`, p.reason.replace(/\b(validityDays|expiryDate|startDate)\b/g, "certificate.$1"));
  return problems;
}

/** Most replicas an availability group may have (one primary and eight secondaries, SQL Server 2019+). */
export const MAX_REPLICAS = 9;
/** Logical names end up in login, user and certificate names; keep them plain identifiers. */
const LOGICAL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,47}$/;
const ENCRYPTIONS: readonly EndpointEncryption[] = ["REQUIRED", "SUPPORTED", "DISABLED"];
const ALGORITHMS: readonly EncryptionAlgorithm[] = ["AES", "RC4", "AES RC4", "RC4 AES"];

function algorithmSet(a: EncryptionAlgorithm): Set<string> {
  return new Set(a.split(" "));
}

/**
 * Why two endpoints could not talk, or undefined when they can. SQL Server's rules: DISABLED never
 * encrypts and cannot reach a REQUIRED peer; when both encrypt they must share an algorithm.
 */
export function encryptionConflict(a: PlannedInstance, b: PlannedInstance): string | undefined {
  const pair = `'${a.name}' (${a.encryption}) and '${b.name}' (${b.encryption})`;
  if ((a.encryption === "DISABLED" && b.encryption === "REQUIRED") || (a.encryption === "REQUIRED" && b.encryption === "DISABLED")) {
    return `encryption of ${pair} cannot connect: DISABLED never encrypts and REQUIRED refuses plaintext; use SUPPORTED or the same setting on both`;
  }
  if (a.encryption !== "DISABLED" && b.encryption !== "DISABLED") {
    const shared = [...algorithmSet(a.algorithm)].filter((x) => algorithmSet(b.algorithm).has(x));
    if (shared.length === 0) {
      return `algorithms of '${a.name}' (${a.algorithm}) and '${b.name}' (${b.algorithm}) share no cipher; use the same algorithm or "AES RC4"`;
    }
  }
  return undefined;
}

/**
 * Problems of a set of instances each declared once: each one's own settings, its logical name, and
 * across all of them unique names, distinct SQL Server instances and endpoint listeners that do
 * not collide on one host.
 */
export function checkInstances(all: readonly InstanceShape[], problems: string[]): void {
  const byName = new Map<string, number>();
  const byServer = new Map<string, string>();
  const byEndpoint = new Map<string, string>();
  for (const inst of all) {
    // Named as the program calls it and as SQL Server knows it: the logical name and server:port.
    const at = typeof inst.server === "string" && inst.server.trim() !== "" ? ` (${inst.server}:${inst.port ?? 1433})` : "";
    for (const problem of instanceSettingsProblems(inst)) problems.push(`instance '${inst.name}'${at}: ${problem}`);
    if (typeof inst.name !== "string" || !LOGICAL_NAME.test(inst.name)) {
      problems.push(
        `instance name ${JSON.stringify(inst.name)} is not valid: use 1–48 letters, digits, '_' or '-', starting with a letter (it becomes part of login, user and certificate names)`,
      );
    }
    byName.set(inst.name, (byName.get(inst.name) ?? 0) + 1);
    if (inst.encryption !== undefined && !ENCRYPTIONS.includes(inst.encryption)) {
      problems.push(`instance '${inst.name}'${at}: endpoint.encryption must be one of ${ENCRYPTIONS.join(", ")}, not ${JSON.stringify(inst.encryption)}`);
    }
    if (inst.algorithm !== undefined && !ALGORITHMS.includes(inst.algorithm)) {
      problems.push(`instance '${inst.name}'${at}: endpoint.algorithm must be one of ${ALGORITHMS.map((a) => `"${a}"`).join(", ")}, not ${JSON.stringify(inst.algorithm)}`);
    }
    if (inst.server !== undefined) {
      const key = `${inst.server.toLowerCase()}:${inst.port ?? 1433}`;
      const other = byServer.get(key);
      if (other !== undefined && other !== inst.name) {
        problems.push(`instances '${other}' and '${inst.name}' both connect to ${key}: each instance of the topology must be a different SQL Server instance`);
      }
      byServer.set(key, inst.name);
      const host = (inst.endpointHost ?? inst.server).toLowerCase();
      const endpointKey = `${host}:${inst.endpointPort ?? 5022}`;
      const clash = byEndpoint.get(endpointKey);
      if (clash !== undefined && clash !== inst.name) {
        problems.push(
          `instances '${clash}' and '${inst.name}' would both listen on ${endpointKey}: instances on one host need different endpoint ports (endpoint.port)`,
        );
      }
      byEndpoint.set(endpointKey, inst.name);
    }
  }
  for (const [name, count] of byName) {
    if (count > 1) problems.push(`instance name '${name}' is used ${count} times: names must be unique in the topology`);
  }
}

/** Problems of the topology-wide `encryption` and `algorithm`. */
export function topologyOptionProblems(t: Pick<TopologyShape, "encryption" | "algorithm">): string[] {
  const problems: string[] = [];
  if (t.encryption !== undefined && !ENCRYPTIONS.includes(t.encryption)) {
    problems.push(`encryption must be one of ${ENCRYPTIONS.join(", ")}, not ${JSON.stringify(t.encryption)}`);
  }
  if (t.algorithm !== undefined && !ALGORITHMS.includes(t.algorithm)) {
    problems.push(`algorithm must be one of ${ALGORITHMS.map((a) => `"${a}"`).join(", ")}, not ${JSON.stringify(t.algorithm)}`);
  }
  return problems;
}

/**
 * One use of instances that needs the transport: an availability group (every replica talks to
 * every other, configuration-only ones included) or a mirroring session (the partners talk to each
 * other, and the witness to both partners).
 */
export interface TransportUse {
  /** `availabilityGroup` for a group's replicas, `mirroringSession` for a session's partners and witness. */
  kind: "availabilityGroup" | "mirroringSession";
  /** Logical names: the group's replicas, or the session's partners. */
  members: readonly string[];
  /** The session's witness, by logical name. */
  witness?: string;
}

/** The endpoint role an instance's uses need, or undefined when nothing uses it. */
export function roleFor(instance: string, uses: readonly TransportUse[]): EndpointRole | undefined {
  const inGroup = uses.some((u) => u.kind === "availabilityGroup" && u.members.includes(instance));
  const partner = uses.some((u) => u.kind === "mirroringSession" && u.members.includes(instance));
  const witness = uses.some((u) => u.kind === "mirroringSession" && u.witness === instance);
  // An endpoint has one ROLE: ALL serves a group and any mix of partner and witness.
  if (inGroup || (partner && witness)) return "ALL";
  if (partner) return "PARTNER";
  if (witness) return "WITNESS";
  return undefined;
}

/** Every directed pair (`receiver` accepts `peer`) that a use needs. */
function pairsOf(use: TransportUse): Array<[string, string]> {
  // In a group and in a session alike, every member talks to every other: partners to each other,
  // the witness to both partners, each replica to all others.
  const members = [...use.members, ...(use.witness !== undefined ? [use.witness] : [])];
  const pairs: Array<[string, string]> = [];
  for (const receiver of members) for (const peer of members) if (receiver !== peer) pairs.push([receiver, peer]);
  return pairs;
}

/**
 * Roles and trusts of a set of instances from every use of them: one endpoint per instance, its
 * ROLE from all its uses, and one trust per directed pair any use needs (the union: a pair two
 * groups share is trusted once). Trusts come in instance order (receiver, then peer), so adding a
 * use that needs no new pair changes none of them. Encryption settings are checked for every pair
 * that talks; `problems` receives what is wrong.
 */
export function deriveTransport(
  instances: readonly InstanceShape[],
  uses: readonly TransportUse[],
  defaults: Pick<TopologyShape, "encryption" | "algorithm">,
  problems: string[],
): { instances: PlannedInstance[]; trusts: PlannedTrust[] } {
  const planned: PlannedInstance[] = instances.map((shape) => ({
    name: shape.name,
    role: roleFor(shape.name, uses) ?? "ALL",
    encryption: shape.encryption ?? defaults.encryption ?? "REQUIRED",
    algorithm: shape.algorithm ?? defaults.algorithm ?? "AES",
  }));
  const wanted = new Set(uses.flatMap(pairsOf).map(([r, p]) => `${r}\u0000${p}`));
  const trusts: PlannedTrust[] = [];
  for (const receiver of planned) {
    for (const peer of planned) {
      if (receiver.name !== peer.name && wanted.has(`${receiver.name}\u0000${peer.name}`)) trusts.push({ receiver: receiver.name, peer: peer.name });
    }
  }
  for (let i = 0; i < planned.length; i++) {
    for (let j = i + 1; j < planned.length; j++) {
      const [a, b] = [planned[i]!, planned[j]!];
      // A name given twice is reported already; its two settings are compared all the same.
      if (a.name !== b.name && !wanted.has(`${a.name}\u0000${b.name}`) && !wanted.has(`${b.name}\u0000${a.name}`)) continue;
      const conflict = encryptionConflict(a, b);
      if (conflict) problems.push(conflict);
    }
  }
  return { instances: planned, trusts };
}

/**
 * The form of a shorthand topology (`partners` + `witness`, or `replicas`): its problems in the
 * shorthand's own words, its instances in the order it lists them, and the one use it makes of them.
 */
export function shorthandForm(t: Pick<TopologyShape, "partners" | "witness" | "replicas">): { problems: string[]; members: InstanceShape[]; use?: TransportUse } {
  const problems: string[] = [];
  const mirroring = t.partners !== undefined || t.witness !== undefined;
  const ag = t.replicas !== undefined;
  if (mirroring && ag) {
    problems.push(
      t.witness !== undefined && !t.partners
        ? "a witness belongs to database mirroring, not to an availability group: remove witness, or use partners instead of replicas"
        : "give either partners (+ optional witness) for database mirroring, or replicas for an availability group, not both",
    );
    return { problems, members: [] };
  }
  if (!mirroring && !ag) {
    problems.push("give partners: [a, b] (database mirroring, optional witness) or replicas: [...] (availability group)");
    return { problems, members: [] };
  }
  if (mirroring) {
    const partners = t.partners ?? [];
    if (partners.length !== 2) {
      problems.push(
        `database mirroring needs exactly two partners, got ${partners.length}${partners.length === 1 ? " (a single partner has nobody to mirror to)" : ""}`,
      );
    }
    return {
      problems,
      members: [...partners, ...(t.witness ? [t.witness] : [])],
      use: { kind: "mirroringSession", members: partners.map((p) => p.name), ...(t.witness ? { witness: t.witness.name } : {}) },
    };
  }
  const replicas = t.replicas ?? [];
  if (replicas.length < 2 || replicas.length > MAX_REPLICAS) {
    problems.push(`an availability group needs 2 to ${MAX_REPLICAS} replicas, got ${replicas.length}`);
  }
  return { problems, members: replicas, use: { kind: "availabilityGroup", members: replicas.map((r) => r.name) } };
}

/** Validates a shorthand topology and derives roles and trusts; throws {@link TopologyValidationError}. */
export function planTopology(t: TopologyShape): TopologyPlan {
  const problems = topologyOptionProblems(t);
  const form = shorthandForm(t);
  problems.push(...form.problems);
  checkInstances(form.members, problems);
  const { instances, trusts } = deriveTransport(form.members, form.use ? [form.use] : [], t, problems);
  if (problems.length) throw new TopologyValidationError(problems);
  return { mode: t.replicas !== undefined ? "availabilityGroup" : "mirroring", instances, trusts };
}
