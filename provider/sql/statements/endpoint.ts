/**
 * Statements for the DATABASE_MIRRORING endpoint: create, alter only what changed, drop.
 *
 * An instance has at most one such endpoint (a second CREATE fails with 7862), and endpoint DDL
 * refuses to run inside a user transaction, so nothing here is ever wrapped in BEGIN TRAN.
 * Every option is written out explicitly, defaults included, so the result does not depend on
 * the server version (the default algorithm was RC4 up to SQL Server 2014, AES since).
 */
import { statement, type Statement } from "../client";
import { ValidationError } from "../errors";
import type {
  EncryptionAlgorithm,
  EndpointAuthentication,
  EndpointEncryption,
  EndpointRecord,
  EndpointRole,
  EndpointState,
  WindowsAuthentication,
} from "../records";
import { quoteIdentifier } from "../quote";
import { assertValid, parseListenerAddress, validatePort, type ListenerAddress } from "../validate";

/** The desired mirroring endpoint. */
export interface EndpointSpec {
  /** Endpoint name (sysname); cannot be changed by ALTER. */
  name: string;
  /** `AUTHORIZATION`: owning login. Default: the connecting login (SQL Server's default); an update then leaves the owner alone. */
  owner?: string;
  /** `STATE`. Default STARTED (SQL Server's own default, STOPPED, would leave mirroring silently down). */
  state?: EndpointState;
  /** `LISTENER_PORT`: required, no default in SQL Server (5022 is customary). */
  port: number;
  /** `LISTENER_IP`: `ALL` (default), an IPv4 or an IPv6 address. */
  listenerIp?: string;
  /** `AUTHENTICATION = CERTIFICATE [c]`: the instance's own certificate (private key protected by the DMK). */
  certificateName?: string;
  /** Adds `WINDOWS <method>` authentication; only for adopted endpoints that had it. Default: none. */
  windowsAuthentication?: WindowsAuthentication;
  /** With both kinds of authentication, try Windows first (`WINDOWS … CERTIFICATE …`). Default false: certificate first. */
  windowsFirst?: boolean;
  /** `ENCRYPTION`. Default REQUIRED. */
  encryption?: EndpointEncryption;
  /** `ALGORITHM` when encryption is REQUIRED or SUPPORTED. Default AES; ignored when DISABLED. */
  algorithm?: EncryptionAlgorithm;
  /** `ROLE`. Default ALL (what an availability group needs; PARTNER/WITNESS for database mirroring). */
  role?: Exclude<EndpointRole, "NONE">;
}

/** The defaults {@link EndpointSpec} documents. */
export const ENDPOINT_DEFAULTS = { state: "STARTED", listenerIp: "ALL", encryption: "REQUIRED", algorithm: "AES", role: "ALL" } as const;

/** A spec with defaults applied and every value checked. */
interface ResolvedEndpoint {
  name: string;
  state: EndpointState;
  port: number;
  address: ListenerAddress;
  authentication: EndpointAuthentication;
  certificateName: string | null;
  encryption: EndpointEncryption;
  algorithm: EncryptionAlgorithm | null;
  role: Exclude<EndpointRole, "NONE">;
}

const STATES: readonly EndpointState[] = ["STARTED", "STOPPED", "DISABLED"];
const ENCRYPTIONS: readonly EndpointEncryption[] = ["DISABLED", "SUPPORTED", "REQUIRED"];
const ALGORITHMS: readonly EncryptionAlgorithm[] = ["AES", "RC4", "AES RC4", "RC4 AES"];
const ROLES: readonly EndpointRole[] = ["PARTNER", "WITNESS", "ALL"];
const WINDOWS: readonly WindowsAuthentication[] = ["NTLM", "KERBEROS", "NEGOTIATE"];

function checkEnum<T extends string>(property: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new ValidationError(property, `must be one of ${allowed.join(", ")} (got '${String(value)}')`);
  return value;
}

function resolve(spec: EndpointSpec): ResolvedEndpoint {
  quoteIdentifier(spec.name, "name");
  assertValid("port", validatePort(spec.port));
  const address = parseListenerAddress(spec.listenerIp ?? ENDPOINT_DEFAULTS.listenerIp);
  if (typeof address === "string") throw new ValidationError("listenerIp", address);
  const windows = spec.windowsAuthentication === undefined ? undefined : checkEnum("windowsAuthentication", spec.windowsAuthentication, WINDOWS);
  if (spec.certificateName !== undefined) quoteIdentifier(spec.certificateName, "certificateName");
  let authentication: EndpointAuthentication;
  if (spec.certificateName === undefined) {
    if (windows === undefined) throw new ValidationError("certificateName", "is required: give the certificate the endpoint authenticates with");
    authentication = windows;
  } else {
    authentication = windows === undefined ? "CERTIFICATE" : spec.windowsFirst ? `${windows}, CERTIFICATE` : `CERTIFICATE, ${windows}`;
  }
  const encryption = checkEnum("encryption", spec.encryption ?? ENDPOINT_DEFAULTS.encryption, ENCRYPTIONS);
  const algorithm = checkEnum("algorithm", spec.algorithm ?? ENDPOINT_DEFAULTS.algorithm, ALGORITHMS);
  return {
    name: spec.name,
    state: checkEnum("state", spec.state ?? ENDPOINT_DEFAULTS.state, STATES),
    port: spec.port,
    address,
    authentication,
    certificateName: spec.certificateName ?? null,
    encryption,
    algorithm: encryption === "DISABLED" ? null : algorithm,
    role: checkEnum("role", spec.role ?? ENDPOINT_DEFAULTS.role, ROLES) as ResolvedEndpoint["role"],
  };
}

/** `ALL`, `(10.0.0.5)` (IPv4 unquoted) or `('fd00::5')` (IPv6 quoted), as CREATE ENDPOINT documents. */
function listenerIpClause(address: ListenerAddress): string {
  if (address.kind === "all") return "ALL";
  // Validated to digits, dots, hex and colons: no quote can occur; the documented form has no N prefix.
  return address.kind === "ipv4" ? `(${address.address})` : `('${address.address}')`;
}

function authenticationClause(endpoint: ResolvedEndpoint): string {
  const certificate = endpoint.certificateName === null ? "" : `CERTIFICATE ${quoteIdentifier(endpoint.certificateName)}`;
  return endpoint.authentication
    .split(", ")
    .map((part) => (part === "CERTIFICATE" ? certificate : `WINDOWS ${part}`))
    .join(" ");
}

function encryptionClause(endpoint: ResolvedEndpoint): string {
  return endpoint.algorithm === null ? "ENCRYPTION = DISABLED" : `ENCRYPTION = ${endpoint.encryption} ALGORITHM ${endpoint.algorithm}`;
}

/**
 * `CREATE ENDPOINT [n] [AUTHORIZATION [l]] STATE = … AS TCP (LISTENER_PORT = …, LISTENER_IP = …)
 * FOR DATABASE_MIRRORING (AUTHENTICATION = …, ENCRYPTION = …, ROLE = …)`, skipped when a mirroring
 * endpoint of that name exists. Another mirroring endpoint under another name still makes it fail
 * (7862), as it should.
 */
export function buildCreateEndpoint(spec: EndpointSpec): Statement {
  const endpoint = resolve(spec);
  const owner = spec.owner === undefined ? "" : ` AUTHORIZATION ${quoteIdentifier(spec.owner, "owner")}`;
  return statement(
    "IF NOT EXISTS (SELECT 1 FROM master.sys.database_mirroring_endpoints WHERE name = @name) " +
      `CREATE ENDPOINT ${quoteIdentifier(endpoint.name)}${owner} STATE = ${endpoint.state} ` +
      `AS TCP (LISTENER_PORT = ${endpoint.port}, LISTENER_IP = ${listenerIpClause(endpoint.address)}) ` +
      `FOR DATABASE_MIRRORING (AUTHENTICATION = ${authenticationClause(endpoint)}, ${encryptionClause(endpoint)}, ROLE = ${endpoint.role})`,
    { name: { type: "nvarchar", value: endpoint.name } },
  );
}

/** A property of the endpoint that differs between the catalog and the spec. */
export type EndpointChange = "state" | "port" | "listenerIp" | "authentication" | "encryption" | "role" | "owner";

/** The catalog's `ip_address` and the desired address, compared in canonical form (IPv6). */
function sameAddress(current: string | null, desired: ListenerAddress): boolean {
  if (desired.kind === "all") return current === null;
  if (current === null) return false;
  const parsed = parseListenerAddress(current);
  return typeof parsed !== "string" && parsed.kind !== "all" && parsed.kind === desired.kind && parsed.address === desired.address;
}

/** What an ALTER has to change to turn `current` into `desired` (empty when they agree). */
export function endpointChanges(current: EndpointRecord, desired: EndpointSpec): EndpointChange[] {
  const endpoint = resolve(desired);
  const changes: EndpointChange[] = [];
  if (current.state !== endpoint.state) changes.push("state");
  if (current.port !== endpoint.port) changes.push("port");
  if (!sameAddress(current.ipAddress, endpoint.address)) changes.push("listenerIp");
  if (current.authentication !== endpoint.authentication || current.certificateName !== endpoint.certificateName) changes.push("authentication");
  if (current.encryption !== endpoint.encryption || current.algorithm !== endpoint.algorithm) changes.push("encryption");
  if (current.role !== endpoint.role) changes.push("role");
  if (desired.owner !== undefined && current.owner !== desired.owner) changes.push("owner");
  return changes;
}

/**
 * The ALTER ENDPOINT that turns `current` into `desired`, naming only the clauses that changed:
 * `ALTER ENDPOINT [n] [STATE = …] [AS TCP (…)] [FOR DATABASE_MIRRORING (…)]`. Empty when nothing
 * but (at most) the owner changed: an ALTER ENDPOINT with nothing to change fails (7863). A new
 * owner is not part of it (ALTER ENDPOINT cannot change it): ALTER AUTHORIZATION drops every
 * permission on the endpoint, so it goes with the permissions put back
 * ({@link buildTransferEndpointOwnership}, sent by updateEndpoint).
 *
 * Inside `AS TCP`, LISTENER_PORT is always given (the grammar requires it) and LISTENER_IP only
 * when it changed. Inside `FOR DATABASE_MIRRORING`, ROLE is always given: the grammar shows it
 * unbracketed and whether ALTER may omit it is not documented.
 */
export function buildAlterEndpoint(current: EndpointRecord, desired: EndpointSpec): Statement[] {
  if (current.name !== desired.name) {
    throw new ValidationError("name", `an endpoint cannot be renamed ([${current.name}] → [${desired.name}]); it has to be replaced`);
  }
  const changes = endpointChanges(current, desired);
  const endpoint = resolve(desired);
  const name = quoteIdentifier(endpoint.name);
  const clauses: string[] = [];
  if (changes.includes("state")) clauses.push(`STATE = ${endpoint.state}`);
  if (changes.includes("port") || changes.includes("listenerIp")) {
    const ip = changes.includes("listenerIp") ? `, LISTENER_IP = ${listenerIpClause(endpoint.address)}` : "";
    clauses.push(`AS TCP (LISTENER_PORT = ${endpoint.port}${ip})`);
  }
  if (changes.includes("authentication") || changes.includes("encryption") || changes.includes("role")) {
    const items: string[] = [];
    if (changes.includes("authentication")) items.push(`AUTHENTICATION = ${authenticationClause(endpoint)}`);
    if (changes.includes("encryption")) items.push(encryptionClause(endpoint));
    items.push(`ROLE = ${endpoint.role}`);
    clauses.push(`FOR DATABASE_MIRRORING (${items.join(", ")})`);
  }
  if (desired.owner !== undefined) quoteIdentifier(desired.owner, "owner");
  return clauses.length > 0 ? [statement(`ALTER ENDPOINT ${name} ${clauses.join(" ")}`)] : [];
}

/**
 * The spec that describes an endpoint as it is: what to put back when an adopted endpoint is
 * released. A catalog ROLE of NONE cannot be written in DDL and is refused.
 */
export function endpointSpecFromRecord(record: EndpointRecord): EndpointSpec {
  if (record.role === "NONE") throw new ValidationError("role", `endpoint [${record.name}] has ROLE NONE, which DDL cannot express`);
  const parts = record.authentication.split(", ");
  const windows = parts.find((part) => part !== "CERTIFICATE") as WindowsAuthentication | undefined;
  return {
    name: record.name,
    ...(record.owner === null ? {} : { owner: record.owner }),
    state: record.state,
    port: record.port,
    listenerIp: record.ipAddress ?? "ALL",
    ...(record.certificateName === null ? {} : { certificateName: record.certificateName }),
    ...(windows === undefined ? {} : { windowsAuthentication: windows, windowsFirst: parts[0] !== "CERTIFICATE" }),
    encryption: record.encryption,
    ...(record.algorithm === null ? {} : { algorithm: record.algorithm }),
    role: record.role,
  };
}

/**
 * `DROP ENDPOINT [n]`, skipped when there is no mirroring endpoint of that name (an endpoint of
 * another type that happens to share the name is not this resource's to drop).
 */
export function buildDropEndpoint(name: string): Statement {
  return statement(`IF EXISTS (SELECT 1 FROM master.sys.database_mirroring_endpoints WHERE name = @name) DROP ENDPOINT ${quoteIdentifier(name, "name")}`, {
    name: { type: "nvarchar", value: name },
  });
}
