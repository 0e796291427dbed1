/**
 * The emulator's endpoint handshake (its own design: SQL Server's endpoint protocol is not public).
 * One TCP connection authenticates its initiator to its acceptor:
 *
 * 1. acceptor → `Challenge` { protocol, version, server, challenge: 32 fresh random bytes }
 * 2. initiator → `Hello` { protocol, version, server, target, role, peerRole, endpoint terms,
 *    certificate (DER, base64), the challenge echoed }
 * 3. initiator → `Proof`: RSA PKCS#1 v1.5 / SHA-256 signature, made inside the initiator's engine
 *    with its endpoint certificate's private key, over `PROOF_LABEL ‖ 0x00 ‖ challenge ‖ SHA-256(Hello bytes)`
 * 4. acceptor → `Accept` { connectionId, encryption } or `Refuse` { number, message } (then it closes)
 *
 * The acceptor verifies the proof with the public key of the copy of the certificate it holds
 * (found by issuer + serial number), then applies the acceptance rule (engine `acceptPeer`). The
 * signature covers the Hello's exact bytes, so nothing in it (roles, terms, certificate) can be
 * changed in flight; the challenge is new for every connection, so a recorded Hello + Proof is
 * refused (28038 State 2). Everything is plaintext JSON on the wire; encryption is negotiated (and
 * shown in the DMV) but not applied: see emulator/README.md.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Engine, EndpointTerms, SessionRole } from "../engine/engine";
import { protocolError, receiveFailed, replayedChallenge, refusalLine, type TransportError } from "./failures";
import { FrameType, type Frame } from "./framing";
import { WireClosedError, type Wire } from "./wire";

/** The protocol's name in Challenge and Hello. */
export const PROTOCOL = "pulumi-mssql-mirroring/hadr";
/** Its version. */
export const PROTOCOL_VERSION = 1;
/** Largest handshake frame (a certificate and some JSON). */
export const HANDSHAKE_MAX_FRAME_BYTES = 64 * 1024;
/** What the signature is over, first: separates this use of the key from any other. */
export const PROOF_LABEL = "pulumi-mssql-mirroring/hadr/1 initiator proof";
const CHALLENGE_BYTES = 32;

/** The algorithm two endpoints agree on. */
export type Encryption = "NONE" | "AES" | "RC4";

/** Hello, decoded. */
export interface Hello {
  /** The initiator's @@SERVERNAME. */
  server: string;
  /** The URL it connected to. */
  target: string;
  /** The role it plays. */
  role: SessionRole;
  /** The role it addresses the acceptor in. */
  peerRole: "partner" | "witness";
  /** Its endpoint's encryption, algorithms and ROLE. */
  endpoint: EndpointTerms;
  /** The certificate its endpoint presents (DER). */
  certificate: Buffer;
  /** The acceptor's challenge, echoed. */
  challenge: Buffer;
}

/** What a completed handshake established, from either side. */
export interface Established {
  /** The connection's GUID, chosen by the acceptor. */
  connectionId: string;
  /** The algorithm agreed on. */
  encryption: Encryption;
  /** The other instance's @@SERVERNAME as it announced itself. */
  peerServer: string;
  /** The role the initiator plays. */
  role: SessionRole;
  /** The role the initiator addressed the acceptor in. */
  peerRole: "partner" | "witness";
  /** Acceptor side: the login validated for CONNECT and the local copy's certificate_id. */
  login?: string;
  peerCertificateId?: number;
}

/** A handshake's outcome. */
export type HandshakeOutcome = { ok: true; established: Established } | { ok: false; error: TransportError };

/** The bytes the initiator signs. */
export function proofData(challenge: Buffer, helloBytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(PROOF_LABEL, "utf8"), Buffer.alloc(1), challenge, createHash("sha256").update(helloBytes).digest()]);
}

/**
 * The encryption two endpoints use: none when either is DISABLED (DISABLED against REQUIRED is
 * refused before), else the first of the acceptor's algorithms the initiator also has ("If
 * connecting endpoints specify both algorithms but in different orders, the endpoint accepting the
 * connection wins." — Transport Security - Database Mirroring - Always On Availability).
 */
export function negotiate(acceptor: EndpointTerms, initiator: EndpointTerms): Encryption {
  if (acceptor.encryption === "DISABLED" || initiator.encryption === "DISABLED") return "NONE";
  return acceptor.algorithms.find((a) => initiator.algorithms.includes(a)) ?? "NONE";
}

function json(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const send = (wire: Wire, type: number, value: unknown) => wire.send(type, Buffer.from(JSON.stringify(value), "utf8"));
const base64 = (v: unknown): Buffer | undefined => (typeof v === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(v) ? Buffer.from(v, "base64") : undefined);
const ENCRYPTIONS = ["DISABLED", "SUPPORTED", "REQUIRED"];
const ROLES = ["WITNESS", "PARTNER", "ALL"];

function parseTerms(v: unknown): EndpointTerms | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const t = v as Record<string, unknown>;
  if (!ENCRYPTIONS.includes(t.encryption as string) || !ROLES.includes(t.role as string)) return undefined;
  if (!Array.isArray(t.algorithms) || !t.algorithms.every((a) => a === "AES" || a === "RC4")) return undefined;
  return { encryption: t.encryption as EndpointTerms["encryption"], algorithms: [...(t.algorithms as Array<"AES" | "RC4">)], role: t.role as EndpointTerms["role"] };
}

/** Decodes a Hello; undefined when it is not one. */
export function parseHello(payload: Buffer): Hello | undefined {
  const h = json(payload);
  if (!h || h.protocol !== PROTOCOL || h.version !== PROTOCOL_VERSION) return undefined;
  const endpoint = parseTerms(h.endpoint);
  const certificate = base64(h.certificate);
  const challenge = base64(h.challenge);
  const roles = ["replica", "partner", "witness"];
  if (typeof h.server !== "string" || typeof h.target !== "string" || !endpoint || !certificate || !challenge) return undefined;
  if (!roles.includes(h.role as string) || (h.peerRole !== "partner" && h.peerRole !== "witness")) return undefined;
  // A witness only talks to partners.
  if (h.role === "witness" && h.peerRole === "witness") return undefined;
  return { server: h.server, target: h.target, role: h.role as SessionRole, peerRole: h.peerRole, endpoint, certificate, challenge };
}

/** What the accepting side needs. */
export interface AcceptorContext {
  /** The instance's engine now (it changes across a restart with dataDir). */
  engine(): Engine;
  /** The acceptor's @@SERVERNAME (sent in Challenge). */
  serverName: string;
  /** Bound on each handshake step, ms. */
  timeoutMs: number;
  /** The connecting side's address, for the error log. */
  client: string;
  /** The acceptor's error log. */
  log(line: string): void;
}

function refuseWith(wire: Wire, ctx: AcceptorContext, error: TransportError, login?: string): HandshakeOutcome {
  ctx.log(refusalLine(error, ctx.client, login));
  send(wire, FrameType.Refuse, error);
  wire.end();
  return { ok: false, error };
}

async function expect(wire: Wire, type: number, timeoutMs: number): Promise<Frame | undefined> {
  const frame = await wire.receive(timeoutMs);
  return frame.type === type ? frame : undefined;
}

/**
 * Runs the accepting side on a new connection. Resolves with the established connection, or with
 * the refusal (logged as 28048 / 28047, sent to the initiator, socket closed). A peer that goes
 * silent or away resolves as a failure without a log line.
 */
export async function acceptHandshake(wire: Wire, ctx: AcceptorContext): Promise<HandshakeOutcome> {
  const challenge = randomBytes(CHALLENGE_BYTES);
  send(wire, FrameType.Challenge, { protocol: PROTOCOL, version: PROTOCOL_VERSION, server: ctx.serverName, challenge: challenge.toString("base64") });
  let helloFrame: Frame | undefined;
  let proofFrame: Frame | undefined;
  try {
    helloFrame = await expect(wire, FrameType.Hello, ctx.timeoutMs);
    proofFrame = helloFrame && (await expect(wire, FrameType.Proof, ctx.timeoutMs));
  } catch (e) {
    if (!(e instanceof WireClosedError)) throw e;
    if (e.reason === "framing") return refuseWith(wire, ctx, protocolError());
    wire.destroy();
    return { ok: false, error: receiveFailed(`TCP://${ctx.client}`) };
  }
  const hello = helloFrame && parseHello(helloFrame.payload);
  if (!hello || !proofFrame) return refuseWith(wire, ctx, protocolError());
  if (!hello.challenge.equals(challenge)) return refuseWith(wire, ctx, replayedChallenge());
  const engine = ctx.engine();
  const decision = engine.acceptPeer(
    { certificate: hello.certificate, endpoint: hello.endpoint, role: hello.role, peerRole: hello.peerRole },
    { data: proofData(challenge, helloFrame!.payload), signature: proofFrame.payload },
  );
  if (!decision.ok) return refuseWith(wire, ctx, decision.error, decision.login);
  const established: Established = {
    connectionId: randomUUID().toUpperCase(),
    encryption: negotiate(decision.endpoint, hello.endpoint),
    peerServer: hello.server,
    role: hello.role,
    peerRole: hello.peerRole,
    login: decision.login,
    peerCertificateId: decision.certificateId,
  };
  return { ok: true, established };
}

/** What the connecting side needs. */
export interface InitiatorContext {
  /** The initiator's engine now. */
  engine(): Engine;
  /** The initiator's @@SERVERNAME (sent in Hello). */
  serverName: string;
  /** Bound on each handshake step, ms. */
  timeoutMs: number;
  /** The URL being connected to (sent in Hello, used in messages). */
  url: string;
  /** The role this instance plays. */
  role: SessionRole;
  /** The role the acceptor is addressed in. */
  peerRole: "partner" | "witness";
  /** The moment for the local certificate checks (default: the instance's clock). */
  at?: Date;
}

/**
 * Runs the connecting side on a connected socket: waits for the challenge, presents the endpoint
 * certificate and proves possession of its key. Resolves with the established connection, or with
 * the refusal the acceptor sent, a local failure (the engine's 28080 / 9666 / 28036 / 28037 /
 * 28022 / 28023), 9758 when the other side does not speak the protocol, or 1474 when it goes away.
 */
export async function initiateHandshake(wire: Wire, ctx: InitiatorContext): Promise<HandshakeOutcome> {
  const fail = (error: TransportError): HandshakeOutcome => {
    wire.destroy();
    return { ok: false, error };
  };
  try {
    const first = await wire.receive(ctx.timeoutMs);
    if (first.type === FrameType.Refuse) return fail(parseRefusal(first.payload));
    const challengeMessage = first.type === FrameType.Challenge ? json(first.payload) : undefined;
    const challenge = challengeMessage && challengeMessage.protocol === PROTOCOL && challengeMessage.version === PROTOCOL_VERSION ? base64(challengeMessage.challenge) : undefined;
    if (!challenge || challenge.length !== CHALLENGE_BYTES) return fail(protocolError());
    // The Hello names the certificate that signs it, built inside the signing call: an endpoint that
    // switches certificates (a rotation) between the pre-check and now still sends a matching pair.
    let helloBytes = Buffer.alloc(0);
    const signed = ctx.engine().signWithEndpointCertificate((certificate, endpoint) => {
      helloBytes = Buffer.from(
        JSON.stringify({
          protocol: PROTOCOL,
          version: PROTOCOL_VERSION,
          server: ctx.serverName,
          target: ctx.url,
          role: ctx.role,
          peerRole: ctx.peerRole,
          endpoint,
          certificate: certificate.toString("base64"),
          challenge: challenge.toString("base64"),
        }),
        "utf8",
      );
      return proofData(challenge, helloBytes);
    }, ctx.at);
    if (!signed.ok) return fail(signed.error);
    wire.send(FrameType.Hello, helloBytes);
    wire.send(FrameType.Proof, signed.signature);
    const reply = await wire.receive(ctx.timeoutMs);
    if (reply.type === FrameType.Refuse) return fail(parseRefusal(reply.payload));
    const accept = reply.type === FrameType.Accept ? json(reply.payload) : undefined;
    const encryption = accept?.encryption;
    if (!accept || typeof accept.connectionId !== "string" || (encryption !== "NONE" && encryption !== "AES" && encryption !== "RC4")) return fail(protocolError());
    const peerServer = typeof challengeMessage!.server === "string" ? (challengeMessage!.server as string) : "";
    return { ok: true, established: { connectionId: accept.connectionId, encryption, peerServer, role: ctx.role, peerRole: ctx.peerRole } };
  } catch (e) {
    if (!(e instanceof WireClosedError)) throw e;
    if (e.reason === "framing") return fail(protocolError());
    if (e.reason === "timeout") return fail(receiveFailed(ctx.url, "ETIMEDOUT"));
    return fail(receiveFailed(ctx.url));
  }
}

function parseRefusal(payload: Buffer): TransportError {
  const r = json(payload);
  return r && typeof r.number === "number" && typeof r.message === "string" ? { number: r.number, message: r.message } : protocolError();
}

/** Sends Accept (acceptor side, once the connection is registered). */
export function sendAccept(wire: Wire, established: Established): void {
  send(wire, FrameType.Accept, { connectionId: established.connectionId, encryption: established.encryption });
}
