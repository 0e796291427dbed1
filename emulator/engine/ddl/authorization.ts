/**
 * ALTER AUTHORIZATION ON CERTIFICATE::c TO user / ON ENDPOINT::e TO login: the owner changes; the
 * object and its permissions stay.
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
}
