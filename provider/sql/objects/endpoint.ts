/**
 * The DATABASE_MIRRORING endpoint: read (by name, or whichever one exists), create, update only
 * what changed, drop.
 */
import { endpointQuery, mirroringEndpointQuery } from "../catalog";
import type { SqlClient } from "../client";
import { displayName, SqlServerError, toSqlServerError } from "../errors";
import type { EndpointRecord } from "../records";
import { buildAlterEndpoint, buildCreateEndpoint, buildDropEndpoint, endpointChanges, type EndpointSpec } from "../statements/endpoint";
import { alterAndReadBack, createAndReadBack, execute, readOne, type CreateOptions, type CreateResult, type OperationContext } from "./run";

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
 * second request then reads it so the error can name it (adopt it, or drop it first).
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
        `this instance already has the mirroring endpoint ${displayName(existing.name)} (port ${existing.port}) and SQL Server allows one: ` +
        `adopt it (adopt: true with name: ${JSON.stringify(existing.name)}), or drop it first`,
    });
  }
}

/**
 * Brings the endpoint from `current` (a fresh read) to `desired` with one request holding only the
 * changed clauses and the read-back; no request when nothing differs (SQL Server rejects an empty
 * ALTER, 7863). The name cannot change (ValidationError): that is a replacement.
 */
export async function updateEndpoint(client: SqlClient, current: EndpointRecord, desired: EndpointSpec): Promise<EndpointRecord> {
  const ddl = buildAlterEndpoint(current, desired);
  return alterAndReadBack(client, context("update", current.name), endpointQuery(current.name), ddl, current);
}

/** Drops the mirroring endpoint of this name if it exists; one request. */
export async function dropEndpoint(client: SqlClient, name: string): Promise<void> {
  await execute(client, context("drop", name), [buildDropEndpoint(name)]);
}
