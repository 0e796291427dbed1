/**
 * Who may do what, as far as the subset needs: `sa` and holders of CONTROL SERVER act as sysadmin;
 * server permissions and endpoint permissions follow SQL Server's rules (DENY beats GRANT, CONTROL
 * implies the rest, `public` grants apply to everyone, owners and sysadmins are never denied).
 */
import type { Catalog, PermissionRecord } from "./catalog";
import { DBO_ID, PUBLIC_SERVER_ROLE_ID, SA_ID } from "./system";

function rows(catalog: Catalog, classId: 100 | 105, majorId: number, loginId: number, types: string[]): PermissionRecord[] {
  return catalog.state.permissions.filter(
    (p) => p.classId === classId && p.majorId === majorId && types.includes(p.type) && (p.granteeId === loginId || p.granteeId === PUBLIC_SERVER_ROLE_ID),
  );
}

/** True when some matching row grants and none denies. */
function allowed(found: PermissionRecord[]): boolean {
  return found.some((p) => p.state !== "D") && !found.some((p) => p.state === "D");
}

/** True for `sa` (the only sysadmin member) and logins granted CONTROL SERVER. */
export function isSysadmin(catalog: Catalog, loginId: number): boolean {
  return loginId === SA_ID || allowed(rows(catalog, 100, 0, loginId, ["CL"]));
}

/** True when the login holds server permission `type` (e.g. `CRHE`), directly, via public, or as sysadmin. */
export function hasServerPermission(catalog: Catalog, loginId: number, type: string): boolean {
  return isSysadmin(catalog, loginId) || allowed(rows(catalog, 100, 0, loginId, [type]));
}

/**
 * True when the login holds `type` on the endpoint: sysadmins and the owner always; otherwise a
 * grant of `type` or CONTROL (to the login or public) and no deny of either.
 */
export function hasEndpointPermission(catalog: Catalog, loginId: number, endpointId: number, type: string): boolean {
  const endpoint = catalog.endpointById(endpointId);
  if (isSysadmin(catalog, loginId) || endpoint?.ownerId === loginId) return true;
  return allowed(rows(catalog, 105, endpointId, loginId, [type, "CL"]));
}

/** The database principal a login acts as in `master`: dbo for sysadmins, its user, else guest (2). */
export function userIdForLogin(catalog: Catalog, loginId: number): number {
  if (isSysadmin(catalog, loginId)) return DBO_ID;
  const login = catalog.loginById(loginId);
  const user = login && catalog.userBySid(login.sid);
  return user?.id ?? 2;
}
