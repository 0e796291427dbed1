/**
 * ALTER AUTHORIZATION ON CERTIFICATE::c TO user / ON ENDPOINT::e TO login: the owner changes, and
 * every permission on the entity is dropped. Microsoft's ALTER AUTHORIZATION page (Remarks): "If the
 * target entity is not a database and the entity is being transferred to a new owner, all
 * permissions on the target will be dropped." The emulator drops them even when the principal named
 * is already the owner (the page does not say what happens then; the stricter reading is the one a
 * client must survive). Certificates have no permissions in the subset, so only the owner changes.
 */
import type { StatementBody } from "../ast";
import { sameName } from "../collation";
import type { ExecContext } from "../context";
import { fail, notFound } from "../errors";
import { FIXED_SERVER_ROLES } from "../system";
import { requireCertificate } from "./certificates";
import { requireSysadmin } from "./permissions";
import { resolveOwnerUser } from "./users";

type AlterAuthorization = Extract<StatementBody, { kind: "alterAuthorization" }>;

/** Runs ALTER AUTHORIZATION. */
export function executeAlterAuthorization(ctx: ExecContext, s: AlterAuthorization): void {
  requireSysadmin(ctx);
  if (s.objectClass === "CERTIFICATE") {
    const cert = requireCertificate(ctx, s.name);
    ctx.journal.assign(cert, "ownerId", resolveOwnerUser(ctx, s.principal, "certificate"));
    return;
  }
  const endpoint = ctx.catalog.endpointByName(s.name) ?? notFound("find", "endpoint", s.name);
  if (FIXED_SERVER_ROLES.some((r) => sameName(r.name, s.principal))) fail(15345, "endpoint");
  const login = ctx.catalog.loginByName(s.principal) ?? notFound("find", "login", s.principal);
  ctx.journal.assign(endpoint, "ownerId", login.id);
  dropPermissionsOn(ctx, 105, endpoint.id);
}

/** Removes every sys.server_permissions row on one securable (class + major_id). */
function dropPermissionsOn(ctx: ExecContext, classId: 105, majorId: number): void {
  const permissions = ctx.catalog.state.permissions;
  for (const p of permissions.filter((p) => p.classId === classId && p.majorId === majorId)) ctx.journal.remove(permissions, p);
}
