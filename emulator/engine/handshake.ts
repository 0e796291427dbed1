/**
 * Would instance `from` be accepted by instance `to` on a database-mirroring / availability-group
 * connection with certificate authentication (reference section 5)? Each failure is reported with the
 * message number (and a state) SQL Server writes to the error log for it; see the README's
 * "Handshake check" for the order of the checks and the choices made where Microsoft is silent.
 */
import { hasEndpointPermission } from "./access";
import type { Catalog, CertificateRecord, EndpointRecord } from "./catalog";
import { messageText } from "./errors";
import { decryptWithKey, openPrivateKey } from "./keys";
import { DBO_ID, SA_SID } from "./system";

/** The role an instance plays in the session being checked. */
export type SessionRole = "partner" | "witness" | "replica";

/** Options of {@link handshake}. */
export interface HandshakeOptions {
  /**
   * The role `from` plays. `replica` (default): an availability-group connection, where endpoint
   * ROLE does not matter. `partner` / `witness`: database mirroring, where it does.
   */
  role?: SessionRole;
  /** The role `to` plays in a mirroring session. Default: `partner` (a witness only talks to partners). */
  peerRole?: "partner" | "witness";
  /** The moment of the connection (certificate validity). Default: `from`'s clock. */
  at?: Date;
}

/** The outcome: accepted, or the error-log message that refused the connection. */
export type HandshakeResult = { ok: true } | { ok: false; error: { number: number; message: string } };

/** The name of the endpoint type in messages (`%S_MSG`). */
const ENDPOINT_KIND = "Database Mirroring";

function refuse(number: number, ...args: Array<string | number>): HandshakeResult {
  return { ok: false, error: { number, message: messageText(number, ...args) } };
}

/** Endpoint checks shared by both sides: configured (28080), started (9666), certificate-capable (28027). */
function checkEndpoint(e: EndpointRecord | undefined, state: number): HandshakeResult | undefined {
  if (!e) return refuse(28080, ENDPOINT_KIND, state);
  if (e.state !== "STARTED") return refuse(9666, ENDPOINT_KIND);
  // The emulator has no Windows domain: certificate authentication is the only one that can succeed.
  if (e.certificateId === undefined) return refuse(28027, "authentication protocol", 21);
  return undefined;
}

/** The sending side's own certificate: present (28036), private key usable (28037), valid now (28022/28023). */
function checkOwnCertificate(catalog: Catalog, e: EndpointRecord, at: Date): { cert: CertificateRecord } | HandshakeResult {
  const cert = catalog.certificateById(e.certificateId!);
  if (!cert) return refuse(28036, `certificate ID ${e.certificateId}`, 29);
  const pk = cert.privateKey;
  if (!pk) return refuse(28037, 15563, 1);
  if (pk.protection !== "MK") return refuse(28037, 15334, 2);
  // Unattended, the endpoint can only open the master key through its service-master-key copy.
  const mk = catalog.state.masterKey;
  const dmk = mk?.serviceKeyEncryption ? decryptWithKey(mk.serviceKeyEncryption, catalog.state.serviceMasterKey) : undefined;
  if (!dmk) return refuse(28037, 15581, 3);
  if (!openPrivateKey(pk.encrypted, dmk).ok) return refuse(28037, 15466, 4);
  const info = catalog.certificateInfo(cert);
  if (at < info.notBefore) return refuse(28022);
  if (at > info.notAfter) return refuse(28023);
  return { cert };
}

/** Encryption: DISABLED cannot meet REQUIRED, and two encrypting sides need a common algorithm (28027). */
function checkEncryption(a: EndpointRecord, b: EndpointRecord): HandshakeResult | undefined {
  const modes = [a.encryption, b.encryption];
  if (modes.includes("DISABLED") && modes.includes("REQUIRED")) return refuse(28027, "encryption algorithm", 22);
  if (modes.includes("DISABLED")) return undefined;
  if (!a.algorithms.some((x) => b.algorithms.includes(x))) return refuse(28027, "encryption algorithm", 22);
  return undefined;
}

const ACCEPTS: Record<"partner" | "witness", Array<EndpointRecord["role"]>> = { partner: ["PARTNER", "ALL"], witness: ["WITNESS", "ALL"] };

/** Mirroring roles: each side's endpoint ROLE must allow the role it plays (28080 otherwise). */
function checkRoles(from: EndpointRecord, to: EndpointRecord, role: SessionRole, peerRole: "partner" | "witness"): HandshakeResult | undefined {
  if (role === "replica") return undefined;
  if (role === "witness" && peerRole === "witness") throw new TypeError("a witness only connects to partners");
  if (!ACCEPTS[role].includes(from.role)) return refuse(28080, ENDPOINT_KIND, 31);
  if (!ACCEPTS[peerRole].includes(to.role)) return refuse(28080, ENDPOINT_KIND, 32);
  return undefined;
}

/** The receiving side: the peer's certificate by issuer + serial, identical (28045), valid (28035), its owner's login with CONNECT (28034). */
function checkPeerCertificate(to: Catalog, toEndpoint: EndpointRecord, fromCatalog: Catalog, fromCert: CertificateRecord, at: Date): HandshakeResult | undefined {
  const presented = fromCatalog.certificateInfo(fromCert);
  const stored = to.state.certificates.find((c) => {
    const info = to.certificateInfo(c);
    return info.issuer === presented.issuer && info.serial.equals(presented.serial);
  });
  if (!stored) return refuse(28035, "Certificate not found", 89);
  const info = to.certificateInfo(stored);
  if (!info.der.equals(presented.der)) return refuse(28045, 90);
  if (at < info.notBefore) return refuse(28035, "Certificate is not yet valid", 91);
  if (at > info.notAfter) return refuse(28035, "Certificate has expired", 92);
  // The identity is the certificate's owner: a user in master, mapped by SID to a login.
  const user = to.userById(stored.ownerId);
  const sid = stored.ownerId === DBO_ID ? SA_SID : user?.sid;
  const login = sid ? to.loginBySid(sid) : undefined;
  if (!login) return refuse(28034, user?.name ?? "", 85);
  if (login.disabled) return refuse(28034, login.name, 86);
  if (!hasEndpointPermission(to, login.id, toEndpoint.id, "CO")) return refuse(28034, login.name, 84);
  return undefined;
}

/**
 * Checks, in order: `from`'s endpoint and certificate, `to`'s endpoint, encryption, roles, then how
 * `to` authenticates `from`. The first failure is returned.
 */
export function handshake(from: Catalog, to: Catalog, at: Date, options: HandshakeOptions = {}): HandshakeResult {
  const fromEndpoint = from.mirroringEndpoint();
  const failed = checkEndpoint(fromEndpoint, 1);
  if (failed) return failed;
  const own = checkOwnCertificate(from, fromEndpoint!, at);
  if ("ok" in own) return own;
  const toEndpoint = to.mirroringEndpoint();
  return (
    checkEndpoint(toEndpoint, 2) ??
    checkEncryption(fromEndpoint!, toEndpoint!) ??
    checkRoles(fromEndpoint!, toEndpoint!, options.role ?? "replica", options.peerRole ?? "partner") ??
    checkPeerCertificate(to, toEndpoint!, from, own.cert, at) ?? { ok: true }
  );
}
