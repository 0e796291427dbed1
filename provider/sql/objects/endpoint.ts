/**
 * The DATABASE_MIRRORING endpoint: read (by name, or whichever one exists), create, update only
 * what changed, drop.
 */
import { endpointGrantsQuery, endpointQuery, mirroringEndpointQuery } from "../catalog";
import type { SqlClient } from "../client";
import { conflictError, displayName, SqlServerError, toSqlServerError } from "../errors";
import { ENDPOINT_MANAGED_ELSEWHERE } from "../hints";
import type { EndpointGrantRecord, EndpointRecord } from "../records";
import { buildAlterEndpoint, buildCreateEndpoint, buildDropEndpoint, endpointChanges, type EndpointSpec } from "../statements/endpoint";
import { buildTransferEndpointOwnership, planOwnershipTransfer, type ReappliedGrant } from "../statements/endpointOwnership";
import { alterAndReadBack, createAndReadBack, execute, notVisible, readOne, splitResults, type CreateOptions, type CreateResult, type OperationContext } from "./run";

function context(operation: string, name?: string): OperationContext {
  return { operation, objectType: "mirroring endpoint", ...(name === undefined ? {} : { objectName: name }) };
}

/** The mirroring endpoint with this name, or undefined (also when the name belongs to an endpoint of another type). One request. */
export async function readEndpoint(client: SqlClient, name: string): Promise<EndpointRecord | undefined> {
  return readOne(client, context("read", name), endpointQuery(name));
}

/** The instance's mirroring endpoint whatever its name (there is at most one), or undefined. One request. */
export async function readMirroringEndpoint(client: SqlClient): Promise<EndpointRecord | undefined> {
  return readOne(client, context("read"), mirroringEndpointQuery());
}

/**
 * Creates the endpoint unless a mirroring endpoint of that name exists; one request. When the
 * instance already has a mirroring endpoint under another name, SQL Server refuses (7862); a
 * second request then reads it so the error can name it. The advice never stops at "adopt it":
 * when another declaration of the same stack made that endpoint, adopting it hands one endpoint to
 * two resources (each switching it to its own certificate, an outage); the fix is to declare the
 * instance once.
 */
export async function createEndpoint(client: SqlClient, spec: EndpointSpec, options: CreateOptions = {}): Promise<CreateResult<EndpointRecord>> {
  const ctx = context("create", spec.name);
  const ddl = buildCreateEndpoint(spec);
  try {
    return await createAndReadBack(client, ctx, endpointQuery(spec.name), [ddl], (record) => endpointChanges(record, spec).length === 0, options);
  } catch (error) {
    if (!(error instanceof SqlServerError) || error.number !== 7862) throw error;
    const existing = await readMirroringEndpoint(client);
    if (existing === undefined) throw error;
    throw toSqlServerError(error.cause, {
      ...ctx,
      target: client.target,
      attempts: error.attempts,
      hint:
        `this instance already has the mirroring endpoint ${displayName(existing.name)} (port ${existing.port}) and SQL Server allows one. ${ENDPOINT_MANAGED_ELSEWHERE}. ` +
        `Only for an endpoint made outside Pulumi: adopt it (adopt: true with name: ${JSON.stringify(existing.name)}), or drop it first`,
    });
  }
}

/** How many times an owner change reads the permissions again when they changed under it. */
const OWNER_CHANGE_ATTEMPTS = 3;

/**
 * Brings the endpoint from `current` (a fresh read) to `desired` with one request holding only the
 * changed clauses and the read-back; no request when nothing differs (SQL Server rejects an empty
 * ALTER, 7863). The name cannot change (ValidationError): that is a replacement.
 *
 * A new owner costs one more request: ALTER AUTHORIZATION drops every permission on the endpoint,
 * so they are read first (one request), then the ALTER ENDPOINT, the transfer and the permissions
 * put back go in one request with the read-back of the endpoint and its permissions
 * (statements/endpointOwnership.ts says what is put back and with which grantor). Afterwards the
 * permissions must be exactly the planned ones, else the update fails naming the difference. When
 * they changed between the read and the transfer (the transfer then does not run), they are read
 * again, up to {@link OWNER_CHANGE_ATTEMPTS} times.
 */
export async function updateEndpoint(client: SqlClient, current: EndpointRecord, desired: EndpointSpec): Promise<EndpointRecord> {
  const ctx = context("update", current.name);
  const query = endpointQuery(current.name);
  if (!endpointChanges(current, desired).includes("owner")) return alterAndReadBack(client, ctx, query, buildAlterEndpoint(current, desired), current);
  const owner = desired.owner as string;
  let record = current;
  for (let attempt = 1; ; attempt++) {
    const before = await readOne(client, ctx, endpointGrantsQuery(record.endpointId));
    if (before === undefined) throw notVisible(client, ctx, "before the owner change");
    const plan = planOwnershipTransfer(before.grants, owner, before.connectingLogin);
    const grantsQuery = endpointGrantsQuery(record.endpointId);
    const ddl = [
      ...buildAlterEndpoint(record, desired),
      buildTransferEndpointOwnership(record.endpointId, record.name, owner, before.grants, plan, before.connectingLogin),
    ];
    const { recordsets } = await execute(client, ctx, [...ddl, ...query.statements, ...grantsQuery.statements]);
    const [endpointSets, grantSets] = splitResults(recordsets, [query.resultCount, grantsQuery.resultCount]);
    const after = query.map(endpointSets);
    if (after === undefined) throw notVisible(client, ctx, "after ALTER AUTHORIZATION");
    const grants = grantsQuery.map(grantSets)!.grants;
    if (after.owner === owner) {
      const missing = differences(plan.reapply, grants);
      if (missing.length === 0) return after;
      throw conflictError(
        { ...ctx, target: client.target },
        "EPERMISSIONS",
        `its owner is now ${displayName(owner)}, but its permissions are not those it had: ${missing.join("; ")}. ` +
          "Put them back with GRANT / DENY ON ENDPOINT (pulumi refresh shows EndpointPermission resources that lost their grant; pulumi up restores those)",
      );
    }
    if (attempt === OWNER_CHANGE_ATTEMPTS) {
      throw conflictError(
        { ...ctx, target: client.target },
        "ECONFLICT",
        `its permissions changed while its owner was being changed, ${OWNER_CHANGE_ATTEMPTS} times in a row; nothing was transferred. Run pulumi up again`,
      );
    }
    record = after;
  }
}

const describeGrant = (g: { grantee: string; permission: string; state: string; grantor: string | null }) =>
  `${g.state === "D" ? "DENY" : "GRANT"} ${g.permission} TO ${displayName(g.grantee)}${g.state === "W" ? " WITH GRANT OPTION" : ""} (grantor ${g.grantor === null ? "unknown" : displayName(g.grantor)})`;

/** What the catalog shows that the plan did not ask for, and the reverse, in words. */
function differences(planned: readonly ReappliedGrant[], found: readonly EndpointGrantRecord[]): string[] {
  const key = (g: { grantee: string; permission: string; state: string; grantor: string | null }) =>
    [g.grantee.toLowerCase(), g.permission, g.state, (g.grantor ?? "").toLowerCase()].join("\u0000");
  const foundKeys = new Set(found.map(key));
  const plannedKeys = new Set(planned.map(key));
  return [
    ...planned.filter((g) => !foundKeys.has(key(g))).map((g) => `missing ${describeGrant(g)}`),
    ...found.filter((g) => !plannedKeys.has(key(g))).map((g) => `unexpected ${describeGrant(g)}`),
  ];
}

/** Drops the mirroring endpoint of this name if it exists; one request. */
export async function dropEndpoint(client: SqlClient, name: string): Promise<void> {
  await execute(client, context("drop", name), [buildDropEndpoint(name)]);
}
