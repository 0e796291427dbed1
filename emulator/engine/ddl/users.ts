/**
 * CREATE / ALTER / DROP USER in `master` (reference section 4). A user maps to a login by SID; dropping
 * the login leaves the user orphaned (its SID stays), as on SQL Server.
 */
import { randomBytes } from "node:crypto";
import type { StatementBody } from "../ast";
import { sameName } from "../collation";
import type { UserRecord } from "../catalog";
import type { ExecContext } from "../context";
import { fail, notFound } from "../errors";
import { FIXED_DATABASE_PRINCIPALS, SA_SID } from "../system";
import { requireSysadmin } from "./permissions";

function fixedPrincipal(name: string) {
  return FIXED_DATABASE_PRINCIPALS.find((p) => sameName(p.name, name));
}

/**
 * The owner for `AUTHORIZATION user` / `ALTER AUTHORIZATION … TO user`: a user (or dbo); roles and
 * the special users cannot own a certificate (15345); an unknown name is 15151.
 */
export function resolveOwnerUser(ctx: ExecContext, name: string, entity: string): number {
  const user = ctx.catalog.userByName(name);
  if (user) return user.id;
  const fixed = fixedPrincipal(name);
  if (fixed?.name === "dbo") return fixed.id;
  if (fixed) fail(15345, entity);
  return notFound("find", "user", name);
}

/** The login's SID is mapped already (by a user, or by dbo for sa). */
function loginMapped(ctx: ExecContext, sid: Buffer, except?: UserRecord): boolean {
  return sid.equals(SA_SID) || ctx.catalog.state.users.some((u) => u !== except && u.sid.equals(sid));
}

/** A SID for a user WITHOUT LOGIN (S-1-9-3-… on SQL Server). */
function loginlessSid(): Buffer {
  return Buffer.concat([Buffer.from([1, 5, 0, 0, 0, 0, 0, 9, 3, 0, 0, 0]), randomBytes(16)]);
}

type CreateUser = Extract<StatementBody, { kind: "createUser" }>;

function createUser(ctx: ExecContext, s: CreateUser): void {
  if (ctx.catalog.userByName(s.name) || fixedPrincipal(s.name)) fail(15023, s.name);
  let sid: Buffer;
  if (s.withoutLogin) sid = loginlessSid();
  else {
    // Without FOR LOGIN, the user maps to the login of the same name.
    const loginName = s.login ?? s.name;
    const login = ctx.catalog.loginByName(loginName) ?? fail(15007, loginName);
    if (loginMapped(ctx, login.sid)) fail(15063);
    sid = login.sid;
  }
  const now = ctx.instance.now();
  const user: UserRecord = { id: ctx.catalog.allocate("user"), name: s.name, sid, withoutLogin: s.withoutLogin, defaultSchema: s.defaultSchema ?? "dbo", createDate: now, modifyDate: now };
  ctx.journal.insert(ctx.catalog.state.users, user);
}

type AlterUser = Extract<StatementBody, { kind: "alterUser" }>;

function alterUser(ctx: ExecContext, s: AlterUser): void {
  if (fixedPrincipal(s.name)) fail(15150, "alter", "user", s.name);
  const user = ctx.catalog.userByName(s.name) ?? notFound("alter", "user", s.name);
  if (s.newName !== undefined) {
    const clash = ctx.catalog.userByName(s.newName);
    if ((clash && clash !== user) || fixedPrincipal(s.newName)) fail(15023, s.newName);
    ctx.journal.assign(user, "name", s.newName);
  }
  if (s.login !== undefined) {
    const login = ctx.catalog.loginByName(s.login) ?? fail(15007, s.login);
    if (loginMapped(ctx, login.sid, user)) fail(15063);
    ctx.journal.assign(user, "sid", login.sid);
    ctx.journal.assign(user, "withoutLogin", false);
  }
  if (s.defaultSchema !== undefined) ctx.journal.assign(user, "defaultSchema", s.defaultSchema);
  ctx.journal.assign(user, "modifyDate", ctx.instance.now());
}

function dropUser(ctx: ExecContext, name: string, ifExists: boolean): void {
  const fixed = fixedPrincipal(name);
  if (fixed?.name === "guest") fail(15539, "guest");
  if (fixed?.type === "S") fail(15150, "drop", "user", fixed.name);
  const user = ctx.catalog.userByName(name);
  if (!user) {
    if (ifExists) return;
    return notFound("drop", "user", name);
  }
  if (ctx.catalog.state.certificates.some((c) => c.ownerId === user.id)) fail(15138, "certificate");
  ctx.journal.remove(ctx.catalog.state.users, user);
}

type UserStatement = Extract<StatementBody, { kind: "createUser" | "alterUser" | "dropUser" }>;

/** Runs a user statement. */
export function executeUser(ctx: ExecContext, s: UserStatement): void {
  requireSysadmin(ctx);
  switch (s.kind) {
    case "createUser":
      return createUser(ctx, s);
    case "alterUser":
      return alterUser(ctx, s);
    case "dropUser":
      return dropUser(ctx, s.name, s.ifExists);
  }
}
