/**
 * Would instance `from` be accepted by instance `to` on a database-mirroring / availability-group
 * connection with certificate authentication (reference section 5)? Each failure is reported with the
 * message number (and a state) SQL Server writes to the error log for it; see the README's
 * "Handshake check" for the order of the checks and the choices made where Microsoft is silent.
 */
import { verify, type KeyObject } from "node:crypto";
import { parseCertificate, type ParsedCertificate } from "../crypto/x509";
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
export const ENDPOINT_KIND = "Database Mirroring";

/** The endpoint settings one side of a connection brings to the other: what encryption and ROLE check. */
export type EndpointTerms = Pick<EndpointRecord, "encryption" | "algorithms" | "role">;

/**
 * What the connecting side presents to the accepting side (on the wire, in the emulator's own
 * handshake): its endpoint certificate (DER), its endpoint's terms, and the roles of the session.
 */
export interface PeerOffer {
  /** The connecting endpoint's certificate, DER. */
  certificate: Buffer;
  /** The connecting endpoint's encryption, algorithms and ROLE. */
  endpoint: EndpointTerms;
  /** The role the connecting instance plays. */
  role: SessionRole;
  /** The role it addresses the receiving instance in. */
  peerRole: "partner" | "witness";
}

/**
 * The connecting side's proof of possession: `signature` over `data`, made with the private key of
 * the certificate it presents (RSA, SHA-256).
 */
export interface PossessionProof {
  /** The bytes signed (they include the receiver's challenge). */
  data: Buffer;
  /** The signature. */
  signature: Buffer;
}

/** The sending side, checked: its endpoint's terms, its certificate and that certificate's private key, opened. */
export type OutboundCredentials = { ok: true; endpoint: EndpointRecord; cert: CertificateRecord; key: KeyObject } | { ok: false; error: { number: number; message: string } };

/** The receiving side's decision: who was let in (the login and the certificate_id of the copy it holds), or why not. */
export type InboundDecision =
  | { ok: true; login: string; certificateId: number; endpoint: EndpointRecord }
  | { ok: false; error: { number: number; message: string }; login?: string };

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
function checkOwnCertificate(catalog: Catalog, e: EndpointRecord, at: Date): { cert: CertificateRecord; key: KeyObject } | HandshakeResult {
  const cert = catalog.certificateById(e.certificateId!);
  if (!cert) return refuse(28036, `certificate ID ${e.certificateId}`, 29);
  const pk = cert.privateKey;
  if (!pk) return refuse(28037, 15563, 1);
  if (pk.protection !== "MK") return refuse(28037, 15334, 2);
  // Unattended, the endpoint can only open the master key through its service-master-key copy.
  const mk = catalog.state.masterKey;
  const dmk = mk?.serviceKeyEncryption ? decryptWithKey(mk.serviceKeyEncryption, catalog.state.serviceMasterKey) : undefined;
  if (!dmk) return refuse(28037, 15581, 3);
  const opened = openPrivateKey(pk.encrypted, dmk);
  if (!opened.ok) return refuse(28037, 15466, 4);
  const info = catalog.certificateInfo(cert);
  if (at < info.notBefore) return refuse(28022);
  if (at > info.notAfter) return refuse(28023);
  return { cert, key: opened.key };
}

/** Encryption: DISABLED cannot meet REQUIRED, and two encrypting sides need a common algorithm (28027). */
function checkEncryption(a: EndpointTerms, b: EndpointTerms): HandshakeResult | undefined {
  const modes = [a.encryption, b.encryption];
  if (modes.includes("DISABLED") && modes.includes("REQUIRED")) return refuse(28027, "encryption algorithm", 22);
  if (modes.includes("DISABLED")) return undefined;
  if (!a.algorithms.some((x) => b.algorithms.includes(x))) return refuse(28027, "encryption algorithm", 22);
  return undefined;
}

const ACCEPTS: Record<"partner" | "witness", Array<EndpointRecord["role"]>> = { partner: ["PARTNER", "ALL"], witness: ["WITNESS", "ALL"] };

/** Mirroring roles: each side's endpoint ROLE must allow the role it plays (28080 otherwise). */
function checkRoles(from: EndpointTerms, to: EndpointTerms, role: SessionRole, peerRole: "partner" | "witness"): HandshakeResult | undefined {
  if (role === "replica") return undefined;
  if (role === "witness" && peerRole === "witness") throw new TypeError("a witness only connects to partners");
  if (!ACCEPTS[role].includes(from.role)) return refuse(28080, ENDPOINT_KIND, 31);
  if (!ACCEPTS[peerRole].includes(to.role)) return refuse(28080, ENDPOINT_KIND, 32);
  return undefined;
}

/** The receiving side's copy of the presented certificate: found by issuer + serial (28035 State 89), byte-identical (28045). */
function findPeerCertificate(to: Catalog, presented: ParsedCertificate): { stored: CertificateRecord } | HandshakeResult {
  const stored = to.state.certificates.find((c) => {
    const info = to.certificateInfo(c);
    return info.issuer === presented.issuer && info.serial.equals(presented.serial);
  });
  if (!stored) return refuse(28035, "Certificate not found", 89);
  if (!to.certificateInfo(stored).der.equals(presented.der)) return refuse(28045, 90);
  return { stored };
}

/**
 * The proof of possession, verified with the public key of the copy the receiver holds (never the
 * presented bytes): 28038 "The handshake verification failed." (State 1, the emulator's choice).
 */
function checkProof(to: Catalog, stored: CertificateRecord, proof: PossessionProof): HandshakeResult | undefined {
  const publicKey = to.certificateInfo(stored).publicKeyDer;
  let valid = false;
  try {
    valid = verify("sha256", proof.data, { key: publicKey, format: "der", type: "spki" }, proof.signature);
  } catch {
    valid = false;
  }
  return valid ? undefined : refuse(28038, 1);
}

/** The receiver's copy valid now (28035 States 91 / 92); its owner's login enabled and holding CONNECT (28034). */
function checkPeerLogin(to: Catalog, toEndpoint: EndpointRecord, stored: CertificateRecord, at: Date): { login: string } | { refused: HandshakeResult; login?: string } {
  const info = to.certificateInfo(stored);
  if (at < info.notBefore) return { refused: refuse(28035, "Certificate is not yet valid", 91) };
  if (at > info.notAfter) return { refused: refuse(28035, "Certificate has expired", 92) };
  // The identity is the certificate's owner: a user in master, mapped by SID to a login.
  const user = to.userById(stored.ownerId);
  const sid = stored.ownerId === DBO_ID ? SA_SID : user?.sid;
  const login = sid ? to.loginBySid(sid) : undefined;
  if (!login) return { refused: refuse(28034, user?.name ?? "", 85), ...(user ? { login: user.name } : {}) };
  if (login.disabled) return { refused: refuse(28034, login.name, 86), login: login.name };
  if (!hasEndpointPermission(to, login.id, toEndpoint.id, "CO")) return { refused: refuse(28034, login.name, 84), login: login.name };
  return { login: login.name };
}

/**
 * The sending side's checks, in order: its endpoint (28080 State 1, 9666, 28027 State 21), its
 * certificate (28036), the certificate's private key opened unattended (28037) and the certificate
 * valid at `at` (28022 / 28023). On success the opened key is returned for signing; it never leaves
 * the engine.
 */
export function outbound(from: Catalog, at: Date): OutboundCredentials {
  const endpoint = from.mirroringEndpoint();
  const failed = checkEndpoint(endpoint, 1);
  if (failed && !failed.ok) return failed;
  const own = checkOwnCertificate(from, endpoint!, at);
  if ("ok" in own) return own as OutboundCredentials;
  return { ok: true, endpoint: endpoint!, cert: own.cert, key: own.key };
}

/**
 * The receiving side's checks, in order: its endpoint (28080 State 2, 9666, 28027 State 21),
 * encryption (28027 State 22), roles (28080 States 31 / 32), its copy of the presented certificate
 * (28035 State 89, 28045), the proof of possession when one is given (28038), that copy's validity
 * (28035 States 91 / 92) and its owner's login with CONNECT (28034). The first failure is returned.
 */
export function inbound(to: Catalog, offer: PeerOffer, at: Date, proof?: PossessionProof): InboundDecision {
  const toEndpoint = to.mirroringEndpoint();
  const early =
    checkEndpoint(toEndpoint, 2) ??
    checkEncryption(offer.endpoint, toEndpoint!) ??
    checkRoles(offer.endpoint, toEndpoint!, offer.role, offer.peerRole);
  if (early && !early.ok) return early;
  let presented: ParsedCertificate;
  try {
    presented = parseCertificate(offer.certificate);
  } catch {
    return refuse(28035, "Certificate not found", 89) as InboundDecision;
  }
  const found = findPeerCertificate(to, presented);
  if ("ok" in found) return found as InboundDecision;
  const forged = proof ? checkProof(to, found.stored, proof) : undefined;
  if (forged && !forged.ok) return forged;
  const checked = checkPeerLogin(to, toEndpoint!, found.stored, at);
  if ("refused" in checked) return { ...(checked.refused as { ok: false; error: { number: number; message: string } }), ...(checked.login !== undefined ? { login: checked.login } : {}) };
  return { ok: true, login: checked.login, certificateId: found.stored.id, endpoint: toEndpoint! };
}

/**
 * Checks, in order: `from`'s endpoint and certificate, `to`'s endpoint, encryption, roles, then how
 * `to` authenticates `from`. The first failure is returned. This is the acceptance rule on catalogs
 * alone (no proof of possession: both catalogs are at hand); the live endpoints apply the same
 * rule through {@link outbound} and {@link inbound}.
 */
export function handshake(from: Catalog, to: Catalog, at: Date, options: HandshakeOptions = {}): HandshakeResult {
  const own = outbound(from, at);
  if (!own.ok) return own;
  const role = options.role ?? "replica";
  const peerRole = options.peerRole ?? "partner";
  if (role === "witness" && peerRole === "witness") throw new TypeError("a witness only connects to partners");
  const decision = inbound(to, { certificate: own.cert.der, endpoint: own.endpoint, role, peerRole }, at);
  return decision.ok ? { ok: true } : { ok: false, error: decision.error };
}
