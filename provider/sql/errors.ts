/**
 * The two error types the SQL layer throws:
 * - {@link ValidationError}: an input was refused before anything was sent (names the property
 *   and the fix);
 * - {@link SqlServerError}: SQL Server or the connection to it failed. It carries SQL Server's
 *   number/state/class/line, the operation and object, the target, every server message, and the
 *   original error as `cause`; its text never contains a secret the call used.
 */
import { errorCodes, errorMessage, serverMessages, type ServerMessage } from "./driverError";
import { hintFor } from "./hints";
import { scrubErrorInPlace, scrubText } from "./scrub";

/** An input that SQL Server would reject or misread, refused before any request. */
export class ValidationError extends Error {
  /** The offending argument, e.g. `certificate.expiryDate` or `connection.port`. */
  readonly property: string;
  /** What is wrong and how to fix it (one sentence, no secret values). */
  readonly reason: string;

  constructor(property: string, reason: string) {
    super(`${property}: ${reason}`);
    this.name = "ValidationError";
    this.property = property;
    this.reason = reason;
  }
}

/**
 * Where a failure came from, which decides the advice in the message and whether retrying can help:
 * - `server`: SQL Server ran the request and raised an error (see `number`);
 * - `login`: SQL Server refused the credentials (18456);
 * - `tls`: encryption could not be negotiated or the server certificate is not trusted;
 * - `network`: the server could not be reached, or the connection dropped;
 * - `timeout`: connecting or the request took longer than allowed;
 * - `conflict`: a state this layer detected itself that stops the operation (e.g. the same
 *   certificate already present under another name, or an object invisible after its CREATE);
 * - `driver`: anything else the driver reported.
 */
export type SqlErrorCategory = "server" | "login" | "tls" | "network" | "timeout" | "conflict" | "driver";

/** The context a failure is reported in. */
export interface SqlErrorContext {
  /** What was attempted, as a verb: `create`, `read`, `update`, `drop`, `grant`, `revoke`, `back up`. */
  operation: string;
  /** The kind of object, in words: `certificate`, `mirroring endpoint`, `master key`, … */
  objectType: string;
  /** The object's name, shown bracket-quoted; omitted for the master key. */
  objectName?: string;
  /** Words that follow the name in the message, e.g. `to login [peer]` for a permission. */
  qualifier?: string;
  /** `server:port` of the instance. */
  target: string;
  /** Values to scrub from every message (passwords spliced into the statements). */
  secrets?: readonly string[];
  /** How many attempts were made (retries of transient errors included); default 1. */
  attempts?: number;
  /** Advice replacing the built-in hint for the error number. */
  hint?: string;
}

/** Node's TLS verification codes, plus tedious' encryption-negotiation failure. */
const TLS_CODES = new Set([
  "EENCRYPT",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const TIMEOUT_CODES = new Set(["ETIMEOUT", "ETIMEDOUT"]);

const NETWORK_CODES = new Set([
  "ESOCKET", "ECONNREFUSED", "ECONNRESET", "ECONNCLOSED", "ECLOSE", "ECONNABORTED", "EPIPE",
  "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EINSTLOOKUP", "ENOTOPEN", "EINVALIDSTATE",
]);

/** The category of a raw driver error (see {@link SqlErrorCategory}). */
export function classifyError(error: unknown): SqlErrorCategory {
  if (error instanceof SqlServerError) return error.category;
  const codes = errorCodes(error);
  const messages = serverMessages(error);
  if (codes.includes("ELOGIN") || messages.some((m) => m.number === 18456)) return "login";
  if (codes.some((code) => TLS_CODES.has(code))) return "tls";
  if (messages.length > 0) return "server";
  if (codes.some((code) => TIMEOUT_CODES.has(code))) return "timeout";
  if (codes.some((code) => NETWORK_CODES.has(code))) return "network";
  return "driver";
}

/** Everything a {@link SqlServerError} holds besides its message. */
interface SqlServerErrorFields {
  category: SqlErrorCategory;
  code?: string;
  messages: readonly ServerMessage[];
  context: SqlErrorContext;
  cause?: unknown;
}

/** A failure of SQL Server, or of the connection to it, during one operation. */
export class SqlServerError extends Error {
  /** Where the failure came from; see {@link SqlErrorCategory}. */
  readonly category: SqlErrorCategory;
  /** SQL Server message number of the primary error (e.g. 15232); undefined without one. */
  readonly number?: number;
  /** State of the primary error. */
  readonly state?: number;
  /** Severity (class) of the primary error. */
  readonly class?: number;
  /** Line of the batch the primary error was raised on. */
  readonly lineNumber?: number;
  /** `@@SERVERNAME` the primary error came from. */
  readonly serverName?: string;
  /** Driver or layer code, e.g. `ELOGIN`, `ESOCKET`, `ETIMEOUT`, `EDUPLICATECERT`. */
  readonly code?: string;
  /** Every server message of the request, in order (secrets scrubbed). */
  readonly messages: readonly ServerMessage[];
  /** What was attempted: `create`, `drop`, … */
  readonly operation: string;
  /** Kind of object: `certificate`, `mirroring endpoint`, … */
  readonly objectType: string;
  /** Name of the object, when it has one. */
  readonly objectName?: string;
  /** `server:port` of the instance. */
  readonly target: string;
  /** Attempts made before giving up (1 when the error was not retried). */
  readonly attempts: number;

  constructor(message: string, fields: SqlServerErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = "SqlServerError";
    const primary = primaryMessage(fields.messages);
    this.category = fields.category;
    this.number = primary?.number;
    this.state = primary?.state;
    this.class = primary?.class;
    this.lineNumber = primary?.lineNumber;
    this.serverName = primary?.serverName;
    this.code = fields.code;
    this.messages = fields.messages;
    this.operation = fields.context.operation;
    this.objectType = fields.context.objectType;
    this.objectName = fields.context.objectName;
    this.target = fields.context.target;
    this.attempts = fields.context.attempts ?? 1;
  }
}

/** The error that explains the failure: SQL Server's first error-severity message. */
function primaryMessage(messages: readonly ServerMessage[]): ServerMessage | undefined {
  return messages.find((m) => m.class === undefined || m.class > 10) ?? messages[0];
}

/** `[name]` for messages (display only: the name is not validated here). */
export function displayName(name: string): string {
  return `[${name.replace(/]/g, "]]")}]`;
}

function prefix(context: SqlErrorContext): string {
  const name = context.objectName === undefined ? "" : ` ${displayName(context.objectName)}`;
  const qualifier = context.qualifier === undefined ? "" : ` ${context.qualifier}`;
  return `unable to ${context.operation} ${context.objectType}${name}${qualifier} on ${context.target}`;
}

function describeServerMessages(messages: readonly ServerMessage[], hint: string | undefined): string {
  const primary = primaryMessage(messages) as ServerMessage;
  const parts = [`${primary.message} (Msg ${primary.number}, State ${primary.state ?? "?"})`];
  for (const other of messages) {
    if (other !== primary) parts.push(`also: ${other.message} (Msg ${other.number})`);
  }
  const advice = hint ?? hintFor(primary.number);
  return parts.join("; ") + (advice === undefined ? "" : ` — ${advice}`);
}

function describeOther(category: SqlErrorCategory, codes: string[], text: string): string {
  switch (category) {
    case "login":
      return `login failed — check connection.user and connection.password (${text})`;
    case "tls":
      return codes.includes("EENCRYPT")
        ? `encryption could not be negotiated — check connection.encrypt (${text})`
        : "the server's TLS certificate is not trusted — set connection.ca to the PEM of the CA that issued it " +
            `(connection.trustServerCertificate: true is for test servers only) (${text})`;
    case "network":
      return `cannot reach SQL Server — check connection.server and connection.port, and that the instance accepts TCP connections (${text})`;
    case "timeout":
      return `timed out — raise connection.connectTimeoutMs / connection.requestTimeoutMs if the server is just slow (${text})`;
    default:
      return text;
  }
}

/**
 * Wraps whatever the driver threw into a {@link SqlServerError} for `context`, after scrubbing
 * `context.secrets` from the original (which becomes `cause`). A {@link ValidationError} or an
 * existing {@link SqlServerError} is returned unchanged.
 */
export function toSqlServerError(error: unknown, context: SqlErrorContext): SqlServerError | ValidationError {
  if (error instanceof ValidationError || error instanceof SqlServerError) return error;
  const secrets = context.secrets ?? [];
  scrubErrorInPlace(error, secrets);
  const category = classifyError(error);
  const codes = errorCodes(error);
  const messages = serverMessages(error).map((m) => ({ ...m, message: scrubText(m.message, secrets) }));
  const detail =
    category === "server"
      ? describeServerMessages(messages, context.hint)
      : describeOther(category, codes, scrubText(errorMessage(error), secrets));
  const attempts = context.attempts ?? 1;
  const suffix = attempts > 1 ? ` [after ${attempts} attempts]` : "";
  return new SqlServerError(`${prefix(context)}: ${detail}${suffix}`, {
    category,
    code: codes[0],
    messages,
    context,
    cause: error,
  });
}

/** An error this layer raises itself for a precondition SQL Server would report less clearly. */
export function conflictError(context: SqlErrorContext, code: string, detail: string): SqlServerError {
  return new SqlServerError(`${prefix(context)}: ${detail}`, { category: "conflict", code, messages: [], context });
}
