/**
 * CREATE / ALTER / DROP ENDPOINT … FOR DATABASE_MIRRORING (reference section 3). One such endpoint per
 * instance (7862); never inside a user transaction (226); its certificate must have a private key under
 * the master key and be within its validity window now (28055).
 */
import { isIP } from "node:net";
import type { EndpointAuthentication, MirroringOptions, StatementBody, TcpOptions } from "../ast";
import { sameName } from "../collation";
import type { EndpointRecord } from "../catalog";
import type { ExecContext } from "../context";
import { fail, notFound } from "../errors";
import { hasEndpointPermission, hasServerPermission } from "../access";
import { FIXED_SERVER_ROLES, SYSTEM_ENDPOINTS } from "../system";
import { requireCertificate } from "./certificates";
import { canonicalIpv6 } from "../ipv6";

/** Endpoint names starting with this are reserved for SQL Server (7869). */
export const RESERVED_ENDPOINT_PREFIX = "##";

function isSystemEndpoint(name: string): boolean {
  return SYSTEM_ENDPOINTS.some((e) => sameName(e.name, name));
}

/** The certificate_id for CERTIFICATE authentication, after the 28055 checks. */
function endpointCertificate(ctx: ExecContext, name: string): number {
  const cert = requireCertificate(ctx, name);
  const info = ctx.catalog.certificateInfo(cert);
  const now = ctx.instance.now();
  if (cert.privateKey?.protection !== "MK" || now < info.notBefore || now > info.notAfter) fail(28055, cert.name);
  return cert.id;
}

function checkPort(ctx: ExecContext, port: number, name: string): void {
  if (port < 1 || port > 65535) fail(7810, port, "LISTENER_PORT");
  if (ctx.instance.portInUse(port)) fail(7890, name);
}

function checkIp(ip: TcpOptions["ip"]): string | null {
  if (ip === undefined || ip === "ALL") return null;
  if (ip.family === 6 && isIP(ip.address) !== 6) fail(7888);
  if (ip.family === 6 && canonicalIpv6(ip.address) !== ip.address) fail(7887);
  return ip.address;
}

/** Applies AUTHENTICATION / ENCRYPTION / ROLE to an endpoint being created or altered. */
function applyMirroring(ctx: ExecContext, e: EndpointRecord, m: MirroringOptions): void {
  if (m.authentication) applyAuthentication(ctx, e, m.authentication);
  if (m.encryption) {
    ctx.journal.assign(e, "encryption", m.encryption.mode);
    ctx.journal.assign(e, "algorithms", m.encryption.mode === "DISABLED" ? [] : m.encryption.algorithms.length ? [...m.encryption.algorithms] : ["AES"]);
  }
  if (m.role) ctx.journal.assign(e, "role", m.role);
}

function applyAuthentication(ctx: ExecContext, e: EndpointRecord, a: EndpointAuthentication): void {
  const certificateId = a.certificate === undefined ? undefined : endpointCertificate(ctx, a.certificate);
  ctx.journal.assign(e, "windows", a.windows);
  ctx.journal.assign(e, "certificateId", certificateId);
  ctx.journal.assign(e, "authFirst", a.first);
}

function resolveOwnerLogin(ctx: ExecContext, name: string): number {
  if (FIXED_SERVER_ROLES.some((r) => sameName(r.name, name))) fail(15345, "endpoint");
  return (ctx.catalog.loginByName(name) ?? notFound("find", "login", name)).id;
}

type CreateEndpoint = Extract<StatementBody, { kind: "createEndpoint" }>;

function createEndpoint(ctx: ExecContext, s: CreateEndpoint): void {
  if (ctx.session.trancount > 0) fail(226, "CREATE ENDPOINT");
  if (!hasServerPermission(ctx.catalog, ctx.session.loginId, "CRHE")) fail(15247);
  if (s.name.startsWith(RESERVED_ENDPOINT_PREFIX)) fail(7869, s.name, RESERVED_ENDPOINT_PREFIX);
  if (ctx.catalog.mirroringEndpoint()) fail(7862);
  if (isSystemEndpoint(s.name)) fail(15530, "endpoint", s.name);
  if (s.tcp.port === undefined) fail(7801, "LISTENER_PORT");
  if (!s.mirroring.role) fail(7801, "ROLE");
  const ownerId = s.owner === undefined ? ctx.session.loginId : resolveOwnerLogin(ctx, s.owner);
  checkPort(ctx, s.tcp.port, s.name);
  const endpoint: EndpointRecord = {
    id: ctx.catalog.allocate("endpoint"),
    name: s.name,
    ownerId,
    state: s.state ?? "STOPPED",
    port: s.tcp.port,
    ip: checkIp(s.tcp.ip),
    // Defaults: WINDOWS NEGOTIATE authentication, ENCRYPTION REQUIRED ALGORITHM AES.
    windows: "NEGOTIATE",
    authFirst: "windows",
    encryption: "REQUIRED",
    algorithms: ["AES"],
    role: s.mirroring.role,
    createDate: ctx.instance.now(),
  };
  applyMirroring(ctx, endpoint, s.mirroring);
  ctx.journal.insert(ctx.catalog.state.endpoints, endpoint);
}

type AlterEndpoint = Extract<StatementBody, { kind: "alterEndpoint" }>;

function alterEndpoint(ctx: ExecContext, s: AlterEndpoint): void {
  if (ctx.session.trancount > 0) fail(226, "ALTER ENDPOINT");
  if (isSystemEndpoint(s.name)) fail(50000, "ALTER ENDPOINT on a built-in endpoint");
  const e = ctx.catalog.endpointByName(s.name);
  const login = ctx.session.loginId;
  if (!e || !(hasEndpointPermission(ctx.catalog, login, e.id, "AL") || hasServerPermission(ctx.catalog, login, "ALHE"))) return notFound("alter", "endpoint", s.name);
  if (s.otherTransport || s.otherPayload) fail(7860);
  if (s.state === undefined && s.tcp === undefined && s.mirroring === undefined) fail(7863);
  if (s.state) ctx.journal.assign(e, "state", s.state);
  if (s.tcp?.port !== undefined) {
    if (s.tcp.port !== e.port) checkPort(ctx, s.tcp.port, e.name);
    ctx.journal.assign(e, "port", s.tcp.port);
  }
  if (s.tcp?.ip !== undefined) ctx.journal.assign(e, "ip", checkIp(s.tcp.ip));
  if (s.mirroring) applyMirroring(ctx, e, s.mirroring);
}

function dropEndpoint(ctx: ExecContext, name: string): void {
  if (ctx.session.trancount > 0) fail(226, "DROP ENDPOINT");
  const system = SYSTEM_ENDPOINTS.find((e) => sameName(e.name, name));
  if (system) fail(7873, system.name);
  const e = ctx.catalog.endpointByName(name);
  if (!e || !hasEndpointPermission(ctx.catalog, ctx.session.loginId, e.id, "CL")) return notFound("drop", "endpoint", name);
  const permissions = ctx.catalog.state.permissions;
  for (const p of permissions.filter((p) => p.classId === 105 && p.majorId === e.id)) ctx.journal.remove(permissions, p);
  ctx.journal.remove(ctx.catalog.state.endpoints, e);
}

type EndpointStatement = Extract<StatementBody, { kind: "createEndpoint" | "alterEndpoint" | "dropEndpoint" }>;

/** Runs an endpoint statement. */
export function executeEndpoint(ctx: ExecContext, s: EndpointStatement): void {
  switch (s.kind) {
    case "createEndpoint":
      return createEndpoint(ctx, s);
    case "alterEndpoint":
      return alterEndpoint(ctx, s);
    case "dropEndpoint":
      return dropEndpoint(ctx, s.name);
  }
}
