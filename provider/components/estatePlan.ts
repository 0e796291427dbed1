/**
 * Pure planning of an estate for {@link MirroringTopology}: instances declared once, by logical
 * name, and any number of availability groups and mirroring sessions over them. Everything the
 * transport needs is derived from those uses, never declared twice: one master key, certificate
 * and endpoint per instance, the endpoint's ROLE from all its uses, one trust per directed pair
 * that any group or session needs (the union). Every mistake is found before a resource is
 * declared, so `pulumi preview` reports all of them at once and sends nothing.
 *
 * The shorthands (`replicas` + `availabilityGroup`, `partners` + `witness` + `mirroring`) are the
 * one-use case of the same plan: mirroringTopology.ts turns them into one entry under the paths
 * `availabilityGroup` / `mirroring`, and the names of everything declared depend only on the
 * topology's name, the logical names and the group / database names, so an estate that grows out
 * of a shorthand program renames nothing.
 */
import { planAvailabilityGroups, type AvailabilityGroupShape, type PlannedAvailabilityGroup } from "./availabilityGroupPlan";
import { planMirroringSessions, type MirroringSessionShape, type PlannedMirroringSession } from "./mirroringSessionPlan";
import {
  checkInstances,
  deriveTransport,
  MAX_REPLICAS,
  roleFor,
  topologyOptionProblems,
  type EncryptionAlgorithm,
  type EndpointEncryption,
  type InstanceShape,
  type PlannedInstance,
  type PlannedTrust,
  type TransportUse,
  TopologyValidationError,
} from "./plan";

/** One entry of `availabilityGroups` as planning sees it. */
export interface EstateGroupShape extends AvailabilityGroupShape {
  /** Declare only the endpoints and trusts the group needs (the group itself is managed outside this stack). */
  transportOnly?: unknown;
}

/** One entry of `mirroringSessions` as planning sees it (`databases`, or one `database`). */
export interface EstateSessionShape extends MirroringSessionShape {
  /** One database, the same as `databases: [database]`. */
  database?: unknown;
  /** Declare only the endpoints and trusts the session needs (the session itself is managed outside this stack). */
  transportOnly?: unknown;
}

/** An estate as planning sees it; values not known at program time are left out. */
export interface EstateShape {
  /** Every instance, once, in declaration order. */
  instances: readonly InstanceShape[];
  /** The availability groups over them. */
  availabilityGroups?: readonly EstateGroupShape[];
  /** The mirroring sessions over them. */
  mirroringSessions?: readonly EstateSessionShape[];
  /** Estate-wide `ENCRYPTION`; default REQUIRED. */
  encryption?: EndpointEncryption;
  /** Estate-wide `ALGORITHM`; default AES. */
  algorithm?: EncryptionAlgorithm;
}

/** One use of instances in the plan, with what it needs of the transport. */
export interface PlannedUse {
  /** How the program names it: `availabilityGroups[1] ('ag2')`, `mirroringSessions[0]`, `availabilityGroup`, `mirroring`, `replicas`, `partners`. */
  path: string;
  /** The instances it involves (replicas; partners and witness). */
  instances: string[];
  /** `"<receiver>/<peer>"` of every trust it needs. */
  trusts: string[];
}

/** A group ready to declare, with the entry it comes from. */
export interface PlannedEstateGroup {
  /** The entry's path (see {@link PlannedUse.path}). */
  path: string;
  /** Index of the entry in the list it comes from. */
  index: number;
  /** The group. */
  group: PlannedAvailabilityGroup;
}

/** The outcome of planning an estate. */
export interface EstatePlan {
  /** Every instance with the role its uses need and its effective encryption, in declaration order. */
  instances: PlannedInstance[];
  /** Every directed trust any use needs, once, in instance order (receiver, then peer). */
  trusts: PlannedTrust[];
  /** The groups to declare (transport-only ones are not among them). */
  groups: PlannedEstateGroup[];
  /** The sessions to declare, one per database. */
  sessions: PlannedMirroringSession[];
  /** Every use, transport-only ones included, in order: groups, then sessions. */
  uses: PlannedUse[];
}

/** `availabilityGroups[1] ('ag2')`: the index finds the entry, the name tells which group it is. */
export function groupPath(index: number, name: unknown): string {
  return `availabilityGroups[${index}]${typeof name === "string" ? ` ('${name}')` : ""}`;
}

const truthy = (v: unknown): boolean => v === true;

/** Problems of a transport-only entry (its instances only: nothing else of it is declared). */
function transportOnlyProblems(path: string, kind: TransportUse["kind"], entry: EstateGroupShape | EstateSessionShape, known: ReadonlySet<string>, problems: string[]): void {
  const add = (property: string, reason: string) => problems.push(`${path}.${property} ${reason}`);
  if (entry.transportOnly !== undefined && typeof entry.transportOnly !== "boolean") add("transportOnly", `must be true or false, not ${JSON.stringify(entry.transportOnly)}`);
  const members = kind === "availabilityGroup" ? (entry as EstateGroupShape).replicas : (entry as EstateSessionShape).partners;
  const property = kind === "availabilityGroup" ? "replicas" : "partners";
  if (kind === "availabilityGroup" && (members.length < 2 || members.length > MAX_REPLICAS)) add(property, `an availability group needs 2 to ${MAX_REPLICAS} replicas, got ${members.length}`);
  if (kind === "mirroringSession" && members.length !== 2) add(property, `database mirroring needs exactly two partners, got ${members.length}`);
  const seen = new Set<string>();
  for (const m of members) {
    if (!known.has(m)) add(property, `names '${m}', which is not an instance of the topology`);
    if (seen.has(m)) add(property, `lists '${m}' twice: each must be a different instance`);
    seen.add(m);
  }
  const witness = (entry as EstateSessionShape).witness;
  if (kind === "mirroringSession" && witness !== undefined) {
    if (!known.has(witness)) add("witness", `names '${witness}', which is not an instance of the topology`);
    if (members.includes(witness)) add("witness", `'${witness}' is also a partner: the witness must be a third instance (SQL Server refuses it, 1429)`);
  }
  const declared = kind === "availabilityGroup" ? (entry as EstateGroupShape).databases : ((entry as EstateSessionShape).databases ?? (entry as EstateSessionShape).database);
  if (declared !== undefined && !(Array.isArray(declared) && declared.length === 0)) {
    add("databases", "cannot be given with transportOnly: true (nothing of the group or session is declared, only the endpoints and trusts it needs); remove one of them");
  }
}

/** The databases of a session entry: `databases`, or `[database]`. */
function sessionDatabases(entry: EstateSessionShape, path: string, problems: string[]): unknown {
  if (entry.database === undefined) return entry.databases;
  if (entry.databases !== undefined) {
    problems.push(`${path}.database cannot be combined with ${path}.databases: give one of them`);
    return entry.databases;
  }
  return [entry.database];
}

const lowerNames = (databases: unknown): Set<string> =>
  new Set(
    (Array.isArray(databases) ? databases : [])
      .map((d) => (typeof d === "string" ? d : (d as { name?: unknown } | null)?.name))
      .filter((d): d is string => typeof d === "string")
      .map((d) => d.toLowerCase()),
  );

/** Every problem of an estate, by where it was found (a caller may interleave its own). */
export interface EstateProblems {
  /** Estate-wide encryption and algorithm. */
  options: string[];
  /** The instances' own settings and their uniqueness (names, servers, endpoint listeners). */
  instances: string[];
  /** Encryption settings of pairs that talk. */
  conflicts: string[];
  /** The availability groups. */
  groups: string[];
  /** The mirroring sessions. */
  sessions: string[];
  /** Across uses: a database in a group and a session, an instance nothing uses. */
  estate: string[];
}

/** Every problem in one list, in the order of {@link EstateProblems}. */
export function allProblems(p: EstateProblems): string[] {
  return [...p.options, ...p.instances, ...p.conflicts, ...p.groups, ...p.sessions, ...p.estate];
}

/**
 * Plans an estate. `extraUses` are uses already checked by the caller (a shorthand without a group
 * or session: its members were checked with the shorthand's own words); they only add roles and
 * trusts. Returns the plan (when there is no problem) and every problem found.
 */
export function planEstateParts(shape: EstateShape, extraUses: ReadonlyArray<TransportUse & { path: string }> = []): { plan?: EstatePlan; problems: EstateProblems } {
  const found: EstateProblems = { options: topologyOptionProblems(shape), instances: [], conflicts: [], groups: [], sessions: [], estate: [] };
  checkInstances(shape.instances, found.instances);
  let problems = found.groups;
  // Transport-only entries are reported after the declared ones (each list keeps its order).
  let later: string[] = [];
  const known = new Set(shape.instances.map((i) => i.name));
  const groups = shape.availabilityGroups ?? [];
  const sessions = shape.mirroringSessions ?? [];

  const groupUses: Array<TransportUse & { path: string }> = [];
  const declaredGroups: Array<{ index: number; shape: EstateGroupShape }> = [];
  groups.forEach((g, index) => {
    if (g === null || typeof g !== "object" || !Array.isArray(g.replicas) || !g.replicas.every((r) => typeof r === "string")) {
      problems.push(`${groupPath(index, (g as { name?: unknown } | null)?.name)}.replicas is required: the logical names of the group's instances, the initial primary first, e.g. ['a', 'b']`);
      return;
    }
    const path = g.path;
    groupUses.push({ path, kind: "availabilityGroup", members: g.replicas });
    if (truthy(g.transportOnly) || (g.transportOnly !== undefined && typeof g.transportOnly !== "boolean")) transportOnlyProblems(path, "availabilityGroup", g, known, later);
    else declaredGroups.push({ index, shape: g });
  });
  const groupPlan = planAvailabilityGroups(
    [...known],
    declaredGroups.map((d) => d.shape),
  );
  problems.push(...groupPlan.problems, ...later);
  problems = found.sessions;
  later = [];

  const sessionUses: Array<TransportUse & { path: string }> = [];
  const declaredSessions: MirroringSessionShape[] = [];
  sessions.forEach((s, index) => {
    if (s === null || typeof s !== "object" || !Array.isArray(s.partners) || !s.partners.every((p) => typeof p === "string") || (s.witness !== undefined && typeof s.witness !== "string")) {
      problems.push(`mirroringSessions[${index}].partners is required: the logical names of the two partners, the one each session starts on first, e.g. ['a', 'b'] (and witness: 'w', a logical name)`);
      return;
    }
    sessionUses.push({ path: s.path, kind: "mirroringSession", members: s.partners, ...(s.witness !== undefined ? { witness: s.witness } : {}) });
    if (truthy(s.transportOnly) || (s.transportOnly !== undefined && typeof s.transportOnly !== "boolean")) transportOnlyProblems(s.path, "mirroringSession", s, known, later);
    else {
      const { database: _database, transportOnly: _transportOnly, ...rest } = s;
      declaredSessions.push({ ...rest, databases: sessionDatabases(s, s.path, problems) });
    }
  });
  const sessionPlan = planMirroringSessions([...known], declaredSessions);
  problems.push(...sessionPlan.problems, ...later);
  problems = found.estate;

  // A database on an instance is in one availability group or in one mirroring session, not both.
  for (const { shape: g } of declaredGroups) {
    const held = lowerNames(g.databases);
    for (const s of declaredSessions) {
      const shared = g.replicas.filter((r) => s.partners.includes(r));
      if (shared.length === 0) continue;
      for (const db of lowerNames(s.databases)) {
        if (held.has(db)) problems.push(`${s.path}.databases lists '${db}', which ${g.path} also holds on '${shared[0]}': a database is in an availability group or in a mirroring session, not both`);
      }
    }
  }

  const uses = [...groupUses, ...sessionUses, ...extraUses];
  for (const inst of shape.instances) {
    if (known.has(inst.name) && roleFor(inst.name, uses) === undefined) {
      problems.push(
        `instance '${inst.name}' is in no availability group or mirroring session: its endpoint's ROLE and its trusts come from its uses; add it to availabilityGroups[].replicas or mirroringSessions[].partners / witness, or remove it`,
      );
    }
  }
  const transport = deriveTransport(shape.instances, uses, shape, found.conflicts);
  if (allProblems(found).length > 0) return { problems: found };

  const trustKeys = new Set(transport.trusts.map((t) => `${t.receiver}/${t.peer}`));
  const plannedUses: PlannedUse[] = uses.map((u) => {
    const members = [...u.members, ...(u.witness !== undefined ? [u.witness] : [])];
    const trusts = members.flatMap((r) => members.filter((p) => p !== r).map((p) => `${r}/${p}`)).filter((k) => trustKeys.has(k));
    return { path: u.path, instances: members, trusts };
  });
  return {
    problems: found,
    plan: {
      instances: transport.instances,
      trusts: transport.trusts,
      groups: groupPlan.groups.map((group, i) => ({ path: declaredGroups[i]!.shape.path, index: declaredGroups[i]!.index, group })),
      sessions: sessionPlan.sessions,
      uses: plannedUses,
    },
  };
}

/**
 * Plans an estate (see {@link planEstateParts}); throws {@link TopologyValidationError} with every
 * problem. Each entry's `path` names it in messages (`availabilityGroups[0] ('ag1')`, see
 * {@link groupPath}; `mirroringSessions[0]`).
 */
export function planEstate(shape: EstateShape): EstatePlan {
  const { plan, problems } = planEstateParts(shape);
  const all = allProblems(problems);
  if (all.length > 0 || plan === undefined) throw new TopologyValidationError(all);
  return plan;
}
