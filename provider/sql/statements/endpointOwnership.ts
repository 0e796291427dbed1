/**
 * Changing an endpoint's owner without losing its permissions.
 *
 * Microsoft's ALTER AUTHORIZATION page (Remarks): when ownership of an entity other than a database
 * is transferred, all permissions on it are dropped. For a mirroring endpoint that removes every
 * peer's CONNECT, so every peer is refused. The transfer is therefore sent together with the
 * permissions read just before, put back in the same request:
 *
 * - GRANT, DENY and WITH GRANT OPTION exactly as found, for every grantee (logins and `public`);
 * - the grantor with `AS <grantor>` when that login can still grant after the transfer: a sysadmin,
 *   the new owner, or a login whose WITH GRANT OPTION / CONTROL on the endpoint is put back first.
 *   Any other grantor (typically the previous owner, who loses its rights with the ownership) cannot
 *   be named, and the connecting login becomes the grantor of that row.
 * - Not put back, because SQL Server refuses them (4624): rows whose grantee is the new owner (the
 *   owner holds every permission on its endpoint anyway, and cannot be denied) or the connecting
 *   login itself. Revoked rows (state R) grant nothing and are not put back either.
 *
 * The block runs only if the permissions are still exactly those read (same rows, grantees,
 * grantors, types and states), so a change made in between is never silently overwritten: the
 * caller sees the owner unchanged and reads again.
 */
import { statement, type SqlParams, type Statement } from "../client";
import { quoteIdentifier } from "../quote";
import type { EndpointGrantRecord, EndpointPermissionName } from "../records";

/** A permission to put back after the transfer. */
export interface ReappliedGrant {
  /** Grantee login or server role. */
  grantee: string;
  /** The permission. */
  permission: EndpointPermissionName;
  /** G, W (GRANT … WITH GRANT OPTION) or D (DENY). */
  state: "G" | "W" | "D";
  /** The grantor SQL Server will record: the original one (sent as `AS`), or the connecting login. */
  grantor: string;
  /** Whether the grantor is the one found (false: the connecting login stands in for it). */
  grantorPreserved: boolean;
}

/** What an owner change does to the endpoint's permissions. */
export interface OwnershipTransferPlan {
  /** Put back after the transfer, in this order (a grantor's own right comes before the rows it granted). */
  reapply: ReappliedGrant[];
  /** Rows that cannot be put back, with the reason. */
  notReapplied: Array<{ grant: EndpointGrantRecord; reason: string }>;
}

function same(a: string | null, b: string | null): boolean {
  // Server principal names compare case-insensitively under the default collations.
  return a !== null && b !== null && a.toLowerCase() === b.toLowerCase();
}

/**
 * Plans the permissions to put back when `newOwner` takes over an endpoint holding `grants`,
 * for a connection running as `connectingLogin`. Pure.
 */
export function planOwnershipTransfer(grants: readonly EndpointGrantRecord[], newOwner: string, connectingLogin: string): OwnershipTransferPlan {
  const notReapplied: OwnershipTransferPlan["notReapplied"] = [];
  const pending: EndpointGrantRecord[] = [];
  for (const grant of grants) {
    if (grant.state === "R") notReapplied.push({ grant, reason: "a revoked row grants nothing" });
    else if (same(grant.grantee, newOwner)) notReapplied.push({ grant, reason: "the grantee becomes the owner, which holds every permission on the endpoint (4624)" });
    else if (same(grant.grantee, connectingLogin)) notReapplied.push({ grant, reason: "the grantee is the connecting login, which cannot grant to itself (4624)" });
    else pending.push(grant);
  }
  const reapply: ReappliedGrant[] = [];
  // Whether `login` may grant `permission` once the rows in `reapply` are back.
  const mayGrant = (login: string, permission: EndpointPermissionName) =>
    same(login, newOwner) ||
    reapply.some((r) => same(r.grantee, login) && ((r.permission === permission && r.state === "W") || (r.permission === "CONTROL" && r.state !== "D")));
  const keepsGrantor = (g: EndpointGrantRecord) => g.grantor !== null && !same(g.grantor, connectingLogin) && !same(g.grantor, g.grantee) && (g.grantorIsSysadmin || mayGrant(g.grantor, g.permission));
  const push = (g: EndpointGrantRecord, preserved: boolean) =>
    reapply.push({ grantee: g.grantee, permission: g.permission, state: g.state as ReappliedGrant["state"], grantor: preserved ? g.grantor! : connectingLogin, grantorPreserved: preserved || same(g.grantor, connectingLogin) });
  // Rows granted by the connecting login, or whose grantor can grant regardless, go first; then, pass
  // by pass, rows whose grantor's right was just put back; whatever is left is granted without AS.
  let rest = pending;
  for (;;) {
    const ready = rest.filter((g) => same(g.grantor, connectingLogin) || keepsGrantor(g));
    if (ready.length === 0) break;
    for (const g of ready) push(g, !same(g.grantor, connectingLogin));
    rest = rest.filter((g) => !ready.includes(g));
  }
  for (const g of rest) push(g, false);
  return { reapply, notReapplied };
}

/** `GRANT p ON ENDPOINT::[e] TO [x] [WITH GRANT OPTION] [AS [g]]` or `DENY …`. */
function reapplyStatement(endpoint: string, grant: ReappliedGrant, connectingLogin: string): string {
  const grantee = quoteIdentifier(grant.grantee, "grantee");
  const as = same(grant.grantor, connectingLogin) ? "" : ` AS ${quoteIdentifier(grant.grantor, "grantor")}`;
  const verb = grant.state === "D" ? "DENY" : "GRANT";
  const option = grant.state === "W" ? " WITH GRANT OPTION" : "";
  return `${verb} ${grant.permission} ON ENDPOINT::${endpoint} TO ${grantee}${option}${as}`;
}

/**
 * `IF <the permissions are still those read> BEGIN ALTER AUTHORIZATION ON ENDPOINT::[e] TO [owner];
 * <the plan's GRANT / DENY …> END`. `grants` is what was read (the guard compares against it).
 */
export function buildTransferEndpointOwnership(
  endpointId: number,
  endpointName: string,
  newOwner: string,
  grants: readonly EndpointGrantRecord[],
  plan: OwnershipTransferPlan,
  connectingLogin: string,
): Statement {
  const endpoint = quoteIdentifier(endpointName, "name");
  const params: Record<string, SqlParams[string]> = { endpointId: { type: "int", value: endpointId } };
  const matches = grants.map((g, i) => {
    params[`grantee${i}`] = { type: "nvarchar", value: g.grantee };
    const grantor = g.grantor === null ? "p.grantor_principal_id IS NULL" : `SUSER_NAME(p.grantor_principal_id) = @grantor${i}`;
    if (g.grantor !== null) params[`grantor${i}`] = { type: "nvarchar", value: g.grantor };
    params[`type${i}`] = { type: "nvarchar", value: g.type };
    params[`state${i}`] = { type: "nvarchar", value: g.state };
    return `(SUSER_NAME(p.grantee_principal_id) = @grantee${i} AND ${grantor} AND p.type = @type${i} AND p.state = @state${i})`;
  });
  params.grantCount = { type: "int", value: grants.length };
  const onEndpoint = "FROM master.sys.server_permissions AS p WHERE p.class = 105 AND p.major_id = @endpointId";
  const unchanged =
    `(SELECT COUNT(*) ${onEndpoint}) = @grantCount AND ` + `NOT EXISTS (SELECT 1 ${onEndpoint} AND NOT (${matches.length > 0 ? matches.join(" OR ") : "1 = 0"}))`;
  const body = [`ALTER AUTHORIZATION ON ENDPOINT::${endpoint} TO ${quoteIdentifier(newOwner, "owner")}`, ...plan.reapply.map((g) => reapplyStatement(endpoint, g, connectingLogin))];
  return statement(`IF ${unchanged} BEGIN ${body.join("; ")}; END`, params);
}
