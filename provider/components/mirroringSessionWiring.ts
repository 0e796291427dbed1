/**
 * Declares planned database mirroring sessions over a topology's instances: one
 * `MirroringSession` per database, wired after every trust and endpoint exists. Kept apart from
 * MirroringTopology so that the estate form (several sessions over shared instances) declares each
 * session the same way, under the same names.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../resources/connection";
import { MirroringSession } from "../resources/mirroringSession";
import { endpointUrlOf } from "./availabilityGroupWiring";
import type { PlannedMirroringSession } from "./mirroringSessionPlan";

/** What the wiring needs of one instance of the topology. */
export interface SessionMember {
  /** How to reach it. */
  connection: ConnectionArgs;
  /** Host the other instances reach its endpoint at (`endpointHost`, else `connection.server`). */
  endpointHost: pulumi.Input<string>;
  /** Its endpoint's port: an input of the endpoint, so it stays known at preview while the endpoint is updated (a rotation). */
  endpointPort: pulumi.Input<number>;
}

/**
 * The resource name of a session: the topology's name, the partners' logical names in sorted
 * order (so listing them the other way round renames nothing) and the database. Stable, so the
 * estate form can keep it.
 */
export function mirroringSessionResourceName(topology: string, partners: readonly [string, string], database: string): string {
  return `${topology}-mirror-${[...partners].sort().join("-")}-${database}`;
}

/** A session declared for a plan. */
export interface DeclaredMirroringSession {
  /** The plan it was declared from. */
  plan: PlannedMirroringSession;
  /** The resource. */
  session: MirroringSession;
}

/**
 * Declares every planned session over `members` (by logical name). Each waits for `after` (every
 * trust and endpoint): the partners and the witness can only connect once they accept each other.
 * Endpoint URLs are built from the endpoints' inputs, not their `url` outputs, which are unknown at
 * preview while an endpoint is updated and would show the session changing when it does not.
 */
export function declareMirroringSessions(
  topology: string,
  plans: readonly PlannedMirroringSession[],
  members: ReadonlyMap<string, SessionMember>,
  after: pulumi.Resource[],
  parent: pulumi.Resource,
): DeclaredMirroringSession[] {
  const member = (instance: string) => members.get(instance)!;
  const url = (instance: string) => pulumi.all([member(instance).endpointHost, member(instance).endpointPort]).apply(([host, port]) => endpointUrlOf(host, port));
  return plans.map((plan) => {
    const session = new MirroringSession(
      mirroringSessionResourceName(topology, plan.partners, plan.database),
      {
        database: plan.database,
        partners: [
          { name: plan.partners[0], connection: member(plan.partners[0]).connection, endpointUrl: url(plan.partners[0]) },
          { name: plan.partners[1], connection: member(plan.partners[1]).connection, endpointUrl: url(plan.partners[1]) },
        ],
        ...(plan.witness !== undefined ? { witness: { name: plan.witness, connection: member(plan.witness).connection, endpointUrl: url(plan.witness) } } : {}),
        safety: plan.safety,
        timeoutSeconds: plan.timeoutSeconds,
        ...(plan.seeding !== undefined ? { seeding: plan.seeding } : {}),
        ...(plan.waitTimeoutMs !== undefined ? { waitTimeoutMs: plan.waitTimeoutMs } : {}),
        ...(plan.principal !== undefined ? { principal: plan.principal } : {}),
      },
      { parent, dependsOn: after },
    );
    return { plan, session };
  });
}
