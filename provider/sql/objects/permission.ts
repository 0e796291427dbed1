/** CONNECT on the mirroring endpoint for peer logins: read, grant, revoke. */
import { endpointPermissionQuery, type CatalogQuery } from "../catalog";
import type { SqlClient } from "../client";
import { displayName } from "../errors";
import type { EndpointPermissionRecord } from "../records";
import { buildGrantEndpointConnect, buildRevokeEndpointConnect, type EndpointPermissionSpec } from "../statements/permission";
import { createAndReadBack, execute, readOne, type CreateOptions, type CreateResult, type OperationContext } from "./run";

function context(operation: string, spec: EndpointPermissionSpec): OperationContext {
  return { operation, objectType: "CONNECT on endpoint", objectName: spec.endpointName, qualifier: `for login ${displayName(spec.loginName)}` };
}

function isGranted(record: EndpointPermissionRecord | undefined): boolean {
  return record !== undefined && (record.state === "G" || record.state === "W");
}

/** The permission only while it is granted: a DENY reads as absent. */
function grantedQuery(spec: EndpointPermissionSpec): CatalogQuery<EndpointPermissionRecord> {
  const query = endpointPermissionQuery(spec.endpointName, spec.loginName);
  return {
    ...query,
    map(recordsets) {
      const record = query.map(recordsets);
      return isGranted(record) ? record : undefined;
    },
  };
}

/** The CONNECT permission (granted or denied) of this login on this endpoint, or undefined. One request. */
export async function readEndpointPermission(client: SqlClient, spec: EndpointPermissionSpec): Promise<EndpointPermissionRecord | undefined> {
  return readOne(client, context("read", spec), endpointPermissionQuery(spec.endpointName, spec.loginName));
}

/**
 * Grants CONNECT and reads it back; one request. `existedBefore` is true when it was already
 * granted (a DENY does not count: the GRANT replaces it).
 */
export async function grantEndpointConnect(client: SqlClient, spec: EndpointPermissionSpec, options: CreateOptions = {}): Promise<CreateResult<EndpointPermissionRecord>> {
  return createAndReadBack(client, context("grant", spec), grantedQuery(spec), [buildGrantEndpointConnect(spec)], isGranted, options);
}

/** Revokes CONNECT if it is granted or denied; one request. A missing endpoint or login counts as already revoked. */
export async function revokeEndpointConnect(client: SqlClient, spec: EndpointPermissionSpec): Promise<void> {
  await execute(client, context("revoke", spec), [buildRevokeEndpointConnect(spec)]);
}
