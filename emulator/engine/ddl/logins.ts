/**
 * CREATE / ALTER / DROP LOGIN (reference section 4): SQL logins with SQL Server's salted password hash,
 * the password policy when CHECK_POLICY is on, CONNECT SQL for every new login, and the drop rules
 * (connected, owns an endpoint, has granted permissions).
 */
import { randomBytes } from "node:crypto";
import type { LoginOptions, StatementBody } from "../ast";
import { sameName } from "../collation";
import type { LoginRecord } from "../catalog";
import type { ExecContext } from "../context";
import { fail, notFound } from "../errors";
import { hasServerPermission } from "../access";
import { MAX_PASSWORD_LENGTH, checkPasswordPolicy, hashLoginPassword, isLoginPasswordHash, verifyLoginPassword } from "../passwords";
import { FIXED_SERVER_ROLES, SA_ID } from "../system";

/** SQL logins cannot contain a backslash (that is the Windows login form): 15407. */
function checkLoginName(name: string): void {
  if (name.includes("\\")) fail(15407, name);
}

function nameTaken(ctx: ExecContext, name: string, except?: LoginRecord): boolean {
  const login = ctx.catalog.loginByName(name);
  return (login !== undefined && login !== except) || FIXED_SERVER_ROLES.some((r) => sameName(r.name, name));
}

function checkDefaults(options: LoginOptions): { database?: string; language?: string } {
  if (options.defaultDatabase !== undefined && !sameName(options.defaultDatabase, "master")) fail(15010, options.defaultDatabase);
  if (options.defaultLanguage !== undefined && !sameName(options.defaultLanguage, "us_english") && !sameName(options.defaultLanguage, "English")) fail(15033, options.defaultLanguage);
  return { database: options.defaultDatabase && "master", language: options.defaultLanguage && "us_english" };
}

/** Checks the CHECK_POLICY / CHECK_EXPIRATION / MUST_CHANGE combination (15122, 15128, 15099). */
function checkPolicyFlags(checkPolicy: boolean, checkExpiration: boolean, mustChange: boolean): void {
  if (checkExpiration && !checkPolicy) fail(15122);
  if (mustChange && !checkPolicy) fail(15128);
  if (mustChange && !checkExpiration) fail(15099);
}

/** The hash to store for a PASSWORD option (policy applied to plain passwords when CHECK_POLICY is on). */
function passwordHash(password: NonNullable<LoginOptions["password"]>, loginName: string, checkPolicy: boolean): Buffer {
  if ("hash" in password) return isLoginPasswordHash(password.hash) ? Buffer.from(password.hash) : fail(15021, "PASSWORD");
  if (checkPolicy) checkPasswordPolicy(password.text, loginName);
  else if (password.text.length > MAX_PASSWORD_LENGTH) fail(15117);
  return hashLoginPassword(password.text);
}

type CreateLogin = Extract<StatementBody, { kind: "createLogin" }>;

function createLogin(ctx: ExecContext, s: CreateLogin): void {
  if (!hasServerPermission(ctx.catalog, ctx.session.loginId, "ALLG")) fail(15247);
  checkLoginName(s.name);
  if (nameTaken(ctx, s.name)) fail(15025, s.name);
  const o = s.options;
  const checkPolicy = o.checkPolicy ?? true;
  const checkExpiration = o.checkExpiration ?? false;
  checkPolicyFlags(checkPolicy, checkExpiration, o.mustChange ?? false);
  const defaults = checkDefaults(o);
  if (o.sid !== undefined) {
    if (o.sid.length !== 16) fail(15419);
    if (ctx.catalog.loginBySid(o.sid)) fail(15433);
  }
  const hash = passwordHash(o.password!, s.name, checkPolicy);
  const now = ctx.instance.now();
  const login: LoginRecord = {
    id: ctx.catalog.allocate("login"),
    name: s.name,
    sid: o.sid ? Buffer.from(o.sid) : randomBytes(16),
    passwordHash: hash,
    disabled: false,
    createDate: now,
    modifyDate: now,
    defaultDatabase: defaults.database ?? "master",
    defaultLanguage: defaults.language ?? "us_english",
    checkPolicy,
    checkExpiration,
    mustChange: o.mustChange ?? false,
  };
  ctx.journal.insert(ctx.catalog.state.logins, login);
  // Every new login can connect: CONNECT SQL, granted by sa.
  ctx.journal.insert(ctx.catalog.state.permissions, { classId: 100, majorId: 0, granteeId: login.id, grantorId: SA_ID, type: "COSQ", state: "G" });
}

type AlterLogin = Extract<StatementBody, { kind: "alterLogin" }>;

function alterLogin(ctx: ExecContext, s: AlterLogin): void {
  const login = ctx.catalog.loginByName(s.name) ?? notFound("alter", "login", s.name);
  const o = s.options ?? {};
  const privileged = hasServerPermission(ctx.catalog, ctx.session.loginId, "ALLG");
  // Without ALTER ANY LOGIN a login may only change its own password, proving the old one.
  const selfService = login.id === ctx.session.loginId && s.enable === undefined && o.password !== undefined && o.oldPassword !== undefined && Object.keys(o).every((k) => k === "password" || k === "oldPassword");
  if (!privileged && !selfService) return notFound("alter", "login", s.name);
  if (s.enable !== undefined) {
    ctx.journal.assign(login, "disabled", !s.enable);
    ctx.journal.assign(login, "modifyDate", ctx.instance.now());
    return;
  }
  if (o.oldPassword !== undefined && !verifyLoginPassword(login.passwordHash, o.oldPassword)) notFound("alter", "login", s.name);
  const checkPolicy = o.checkPolicy ?? login.checkPolicy;
  const checkExpiration = o.checkExpiration ?? login.checkExpiration;
  const mustChange = o.mustChange ?? (o.password ? false : login.mustChange);
  checkPolicyFlags(checkPolicy, checkExpiration, mustChange);
  const defaults = checkDefaults(o);
  if (o.newName !== undefined) {
    checkLoginName(o.newName);
    if (nameTaken(ctx, o.newName, login)) fail(15025, o.newName);
  }
  const hash = o.password ? passwordHash(o.password, o.newName ?? login.name, checkPolicy) : undefined;
  if (hash) ctx.journal.assign(login, "passwordHash", hash);
  if (o.newName !== undefined) ctx.journal.assign(login, "name", o.newName);
  if (defaults.database) ctx.journal.assign(login, "defaultDatabase", defaults.database);
  if (defaults.language) ctx.journal.assign(login, "defaultLanguage", defaults.language);
  ctx.journal.assign(login, "checkPolicy", checkPolicy);
  ctx.journal.assign(login, "checkExpiration", checkExpiration);
  ctx.journal.assign(login, "mustChange", mustChange);
  ctx.journal.assign(login, "modifyDate", ctx.instance.now());
}

function dropLogin(ctx: ExecContext, name: string): void {
  const login = ctx.catalog.loginByName(name);
  if (!login || login.id === SA_ID || !hasServerPermission(ctx.catalog, ctx.session.loginId, "ALLG")) return notFound("drop", "login", name);
  if (ctx.instance.connectedLogins().has(login.id)) fail(15434, login.name);
  if (ctx.catalog.state.endpoints.some((e) => e.ownerId === login.id)) fail(15141, "endpoint");
  const permissions = ctx.catalog.state.permissions;
  if (permissions.some((p) => p.grantorId === login.id && p.granteeId !== login.id)) fail(15173, login.name);
  for (const p of permissions.filter((p) => p.granteeId === login.id)) ctx.journal.remove(permissions, p);
  ctx.journal.remove(ctx.catalog.state.logins, login);
}

type LoginStatement = Extract<StatementBody, { kind: "createLogin" | "alterLogin" | "dropLogin" }>;

/** Runs a login statement. */
export function executeLogin(ctx: ExecContext, s: LoginStatement): void {
  switch (s.kind) {
    case "createLogin":
      return createLogin(ctx, s);
    case "alterLogin":
      return alterLogin(ctx, s);
    case "dropLogin":
      return dropLogin(ctx, s.name);
  }
}
