/**
 * CONNECT on the mirroring endpoint for a peer's login: without it the peer's handshake is
 * refused (28034) even though its certificate is trusted. Server-scope permissions can only be
 * granted with master as the current database, which the connection guarantees.
 */
import { statement, type Statement } from "../client";
import { quoteIdentifier } from "../quote";

/** CONNECT on an endpoint for a login. */
export interface EndpointPermissionSpec {
  /** The endpoint (sysname). */
  endpointName: string;
  /** The grantee login (sysname). */
  loginName: string;
}

function target(spec: EndpointPermissionSpec): string {
  return `ENDPOINT::${quoteIdentifier(spec.endpointName, "endpointName")}`;
}

/** `GRANT CONNECT ON ENDPOINT::[e] TO [l]`. Needs no guard: granting again changes nothing (and replaces a DENY). */
export function buildGrantEndpointConnect(spec: EndpointPermissionSpec): Statement {
  return statement(`GRANT CONNECT ON ${target(spec)} TO ${quoteIdentifier(spec.loginName, "loginName")}`);
}

/**
 * `REVOKE CONNECT ON ENDPOINT::[e] FROM [l]`, skipped when there is no such permission, which
 * includes a missing endpoint or login (REVOKE would fail with 15151 on those).
 */
export function buildRevokeEndpointConnect(spec: EndpointPermissionSpec): Statement {
  return statement(
    "IF EXISTS (SELECT 1 FROM master.sys.server_permissions AS p " +
      "JOIN master.sys.endpoints AS e ON e.endpoint_id = p.major_id " +
      "JOIN master.sys.server_principals AS sp ON sp.principal_id = p.grantee_principal_id " +
      "WHERE p.class = 105 AND p.type = 'CO' AND e.name = @endpoint AND sp.name = @login) " +
      `REVOKE CONNECT ON ${target(spec)} FROM ${quoteIdentifier(spec.loginName, "loginName")}`,
    { endpoint: { type: "nvarchar", value: spec.endpointName }, login: { type: "nvarchar", value: spec.loginName } },
  );
}
