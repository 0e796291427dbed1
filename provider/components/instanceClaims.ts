/**
 * One declaration per SQL Server instance in a program. An instance has one DATABASE_MIRRORING
 * endpoint (SQL Server refuses a second, 7862): two components of the same program that both
 * declare an instance's endpoint would fight over it at every `up`, each switching it to its own
 * certificate. They are refused when the program runs, so `pulumi preview` fails before anything
 * is sent, naming both declarations and the fix (declare the instance once).
 *
 * Claims are kept per run of the program (per root stack resource): an Automation API host that
 * runs several programs in one process does not see one run's claims in the next.
 */
import * as pulumi from "@pulumi/pulumi";

/** Who declared an instance. */
interface Claim {
  /** Name of the MirroringInstance that declares its endpoint. */
  owner: string;
  /** The declaration in words, for the message. */
  declaredBy: string;
}

const claims = new WeakMap<object, Map<string, Claim>>();
// Outside a stack (the SDK's mocks in unit tests) one scope serves the whole process.
const noStack = {};

function scope(): Map<string, Claim> {
  const root = (pulumi.runtime.getStackResource() as object | undefined) ?? noStack;
  let map = claims.get(root);
  if (map === undefined) {
    map = new Map();
    claims.set(root, map);
  }
  return map;
}

/** `server:port` of an instance (port default 1433), or undefined while its server is not known. */
export function instanceKey(server: unknown, port: unknown): string | undefined {
  if (typeof server !== "string" || server.trim() === "") return undefined;
  return `${server.trim().toLowerCase()}:${typeof port === "number" ? port : 1433}`;
}

/** One instance a component is about to declare. */
export interface InstanceClaim {
  /** Name of the MirroringInstance that will declare its endpoint. */
  owner: string;
  /** How the program calls it: `instance 'b'` of a topology, `MirroringInstance 'x'`. */
  label: string;
  /** The declaration in words: `MirroringTopology 'ag1' (instance 'b')`. */
  declaredBy: string;
  /** `server:port`, when known. */
  key: string | undefined;
}

/** Why these instances cannot be declared here (another declaration of this run has them), or nothing. */
export function conflictingClaims(wanted: readonly InstanceClaim[]): string[] {
  const taken = scope();
  const problems: string[] = [];
  for (const w of wanted) {
    if (w.key === undefined) continue;
    const other = taken.get(w.key);
    if (other === undefined || other.owner === w.owner) continue;
    problems.push(
      `${w.label} (${w.key}) is already declared in this program by ${other.declaredBy}: SQL Server has one DATABASE_MIRRORING endpoint per instance, ` +
        "so two declarations would fight over it (adopt: true would hand the one endpoint to both, each switching it to its own certificate); " +
        "declare the instance once: one MirroringTopology with instances: [...] and every group and session that uses it in availabilityGroups / mirroringSessions",
    );
  }
  return problems;
}

/** Records the instances as declared by their owners (after {@link conflictingClaims} found nothing). */
export function recordClaims(wanted: readonly InstanceClaim[]): void {
  const taken = scope();
  for (const w of wanted) if (w.key !== undefined && !taken.has(w.key)) taken.set(w.key, { owner: w.owner, declaredBy: w.declaredBy });
}

/**
 * Forgets every claim of the current scope: for hosts (and tests) that declare several programs in
 * one process without a root stack resource to tell the runs apart.
 * @internal
 */
export function forgetInstanceClaims(): void {
  scope().clear();
}
