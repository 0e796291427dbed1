/**
 * GRANT / DENY / REVOKE on endpoints and at server scope (reference section 4), producing the rows of
 * sys.server_permissions: one row per (securable, grantee, permission) whose state is G, W or D.
 */
import type { PermissionStatement } from "../ast";
import { sameName } from "../collation";
import type { PermissionRecord } from "../catalog";
import type { ExecContext } from "../context";
import { fail, notFound } from "../errors";
import { hasEndpointPermission, isSysadmin } from "../access";
import { ENDPOINT_PERMISSION_TYPES, FIXED_SERVER_ROLES, PUBLIC_SERVER_ROLE_ID, SA_ID, SERVER_PERMISSION_TYPES, SYSTEM_ENDPOINTS } from "../system";

/** 15247 unless the session's login is sysadmin. */
export function requireSysadmin(ctx: ExecContext): void {
  if (!ctx.viewer.sysadmin) fail(15247);
}

/** The securable: an endpoint (user or built-in) or the server. */
function resolveSecurable(ctx: ExecContext, s: PermissionStatement): { classId: 100 | 105; majorId: number; ownerId: number } {
  if (s.endpoint === undefined) return { classId: 100, majorId: 0, ownerId: SA_ID };
  const user = ctx.catalog.endpointByName(s.endpoint);
  if (user) return { classId: 105, majorId: user.id, ownerId: user.ownerId };
  const system = SYSTEM_ENDPOINTS.find((e) => sameName(e.name, s.endpoint!));
  if (system) return { classId: 105, majorId: system.id, ownerId: SA_ID };
  return notFound("find", "endpoint", s.endpoint);
}

/** A grantee: a login or `public`; other server roles cannot receive endpoint/server grants here. */
function resolveGrantee(ctx: ExecContext, name: string, ownerId: number, grantorId: number): number {
  if (sameName(name, "public")) return PUBLIC_SERVER_ROLE_ID;
  if (FIXED_SERVER_ROLES.some((r) => sameName(r.name, name))) fail(4617);
  const login = ctx.catalog.loginByName(name) ?? notFound("find", "login", name);
  if (login.id === SA_ID || login.id === ctx.session.loginId || login.id === ownerId || login.id === grantorId) fail(4624);
  return login.id;
}

/**
 * The grantor: the session's login, or the `AS` login. Using another login's right needs sysadmin
 * here (IMPERSONATE is not modelled: 15247 otherwise); an unknown login is 15151.
 */
function resolveGrantor(ctx: ExecContext, s: PermissionStatement): number {
  if (s.asLogin === undefined) return ctx.session.loginId;
  const login = ctx.catalog.loginByName(s.asLogin) ?? notFound("find", "login", s.asLogin);
  if (login.id !== ctx.session.loginId && !ctx.viewer.sysadmin) fail(15247);
  return login.id;
}

/** Whether `login` may grant `type` on the securable (sysadmin, owner, CONTROL, or WITH GRANT OPTION). */
function mayGrant(ctx: ExecContext, login: number, classId: 100 | 105, majorId: number, ownerId: number, type: string): boolean {
  if (isSysadmin(ctx.catalog, login) || ownerId === login) return true;
  if (classId === 105 && hasEndpointPermission(ctx.catalog, login, majorId, "CL")) return true;
  return ctx.catalog.state.permissions.some((p) => p.classId === classId && p.majorId === majorId && p.type === type && p.granteeId === login && p.state === "W");
}

/** Runs GRANT, DENY or REVOKE. */
export function executePermission(ctx: ExecContext, s: PermissionStatement): void {
  const { classId, majorId, ownerId } = resolveSecurable(ctx, s);
  const types = s.permissions.map((p) => (classId === 105 ? ENDPOINT_PERMISSION_TYPES : SERVER_PERMISSION_TYPES)[p]!);
  const grantorId = resolveGrantor(ctx, s);
  const grantees = s.principals.map((p) => resolveGrantee(ctx, p, ownerId, grantorId));
  for (const type of types) if (!mayGrant(ctx, grantorId, classId, majorId, ownerId, type)) fail(4613);
  const list = ctx.catalog.state.permissions;
  for (const granteeId of grantees) {
    for (const type of types) {
      const existing = list.find((p) => p.classId === classId && p.majorId === majorId && p.granteeId === granteeId && p.type === type);
      // Taking away a grantable permission needs CASCADE, which also takes it from those it was passed on to.
      const grantable = existing?.state === "W";
      const dropsGrantable = grantable && (s.action === "DENY" || s.action === "REVOKE");
      if (dropsGrantable && !s.cascade) fail(4611);
      if (dropsGrantable) {
        for (const passedOn of list.filter((p) => p.classId === classId && p.majorId === majorId && p.type === type && p.grantorId === granteeId)) {
          ctx.journal.remove(list, passedOn);
        }
      }
      if (s.action === "GRANT") {
        const state = s.withGrantOption || existing?.state === "W" ? "W" : "G";
        if (existing) {
          ctx.journal.assign(existing, "state", state);
          ctx.journal.assign(existing, "grantorId", grantorId);
        } else {
          const row: PermissionRecord = { classId, majorId, granteeId, grantorId, type, state };
          ctx.journal.insert(list, row);
        }
      } else if (s.action === "DENY") {
        if (existing) {
          ctx.journal.assign(existing, "state", "D");
          ctx.journal.assign(existing, "grantorId", grantorId);
        } else ctx.journal.insert(list, { classId, majorId, granteeId, grantorId, type, state: "D" });
      } else if (existing) {
        if (s.grantOptionFor) {
          if (existing.state === "W") ctx.journal.assign(existing, "state", "G");
        } else ctx.journal.remove(list, existing);
      }
    }
  }
}
