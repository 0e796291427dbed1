/**
 * How every resource reaches its SQL Server instance, from the program's arguments to the settings
 * the SQL layer connects with.
 */
import * as pulumi from "@pulumi/pulumi";
import { connectionConfigProblems, type ConnectionConfig } from "../sql";
import { isUnknown } from "./unknown";

/** How to reach one SQL Server instance. Every resource takes one. */
export interface ConnectionArgs {
  /** Host name or IP address of the instance. */
  server: pulumi.Input<string>;
  /** TCP port of the instance. Default 1433. */
  port?: pulumi.Input<number>;
  /** SQL login to connect as; it needs CONTROL SERVER (sysadmin) for endpoint and certificate DDL. */
  user: pulumi.Input<string>;
  /** Password of {@link user}. Always stored as a secret, even when given as a plain string. */
  password: pulumi.Input<string>;
  /**
   * TLS for the connection: `true` (TLS negotiated after PRELOGIN, the driver default), `"strict"`
   * (TDS 8.0, TLS first) or `false` (plaintext — only for isolated test servers). Default `true`.
   */
  encrypt?: pulumi.Input<boolean | "strict">;
  /**
   * Accept the server's TLS certificate without validating it. Default `false`: prefer {@link ca}.
   * Ignored by the driver in `"strict"` mode.
   */
  trustServerCertificate?: pulumi.Input<boolean>;
  /** PEM of the certificate authority (or the self-signed certificate) that the server's TLS certificate chains to. */
  ca?: pulumi.Input<string>;
  /** Time allowed to connect and log in, in milliseconds. Default 15 000. Changing it never touches SQL Server. */
  connectTimeoutMs?: pulumi.Input<number>;
  /**
   * Time allowed for one request, in milliseconds. Default 30 000 (generating a certificate's RSA
   * key can take seconds on a busy server). A request that runs out of time is cancelled and
   * retried like a lost connection (README, "Security and failure behaviour"). Changing it never
   * touches SQL Server.
   */
  requestTimeoutMs?: pulumi.Input<number>;
}

/** {@link ConnectionArgs} as the provider receives it, with defaults applied by `check`. */
export interface ConnectionInputs {
  /** See {@link ConnectionArgs.server}. */
  server: string;
  /** See {@link ConnectionArgs.port}; 1433 when not given. */
  port: number;
  /** See {@link ConnectionArgs.user}. */
  user: string;
  /** See {@link ConnectionArgs.password} (plain text here: the engine strips secret markers before the provider). */
  password: string;
  /** See {@link ConnectionArgs.encrypt}; true when not given. */
  encrypt: boolean | "strict";
  /** See {@link ConnectionArgs.trustServerCertificate}; false when not given. */
  trustServerCertificate: boolean;
  /** See {@link ConnectionArgs.ca}. */
  ca?: string;
  /** See {@link ConnectionArgs.connectTimeoutMs}. */
  connectTimeoutMs?: number;
  /** See {@link ConnectionArgs.requestTimeoutMs}. */
  requestTimeoutMs?: number;
}

/** Default TCP port of a SQL Server instance. */
export const DEFAULT_SQL_PORT = 1433;

/**
 * The connection as a resource input: the password wrapped as a secret so it is encrypted in
 * state and masked in CLI output whatever the caller passed; other fields stay readable in diffs.
 */
export function connectionInput(c: ConnectionArgs): pulumi.Input<Record<string, unknown>> {
  return {
    server: c.server,
    port: c.port ?? DEFAULT_SQL_PORT,
    user: c.user,
    password: pulumi.secret(c.password),
    encrypt: c.encrypt ?? true,
    trustServerCertificate: c.trustServerCertificate ?? false,
    ...(c.ca !== undefined ? { ca: c.ca } : {}),
    ...(c.connectTimeoutMs !== undefined ? { connectTimeoutMs: c.connectTimeoutMs } : {}),
    ...(c.requestTimeoutMs !== undefined ? { requestTimeoutMs: c.requestTimeoutMs } : {}),
  };
}

/** A property failure as `check` reports it. */
export interface CheckFailure {
  /** The input property, dotted for nested ones (`connection.port`). */
  property: string;
  /** What is wrong and how to fix it. */
  reason: string;
}

/**
 * Validates and normalizes `connection` with the SQL layer's rules, plus the ones a resource adds
 * (an empty password is refused here rather than by a failed login). Unknown values (preview) are
 * skipped; failures name `connection.<field>` and the fix.
 */
export function checkConnection(raw: unknown, failures: CheckFailure[]): ConnectionInputs | undefined {
  if (isUnknown(raw) && typeof raw !== "object") return undefined;
  if (raw === null || typeof raw !== "object") {
    failures.push({ property: "connection", reason: "is required: { server, port?, user, password, encrypt?, trustServerCertificate?, ca? }" });
    return undefined;
  }
  const c = raw as Record<string, unknown>;
  const normalized = {
    server: c.server,
    port: c.port ?? DEFAULT_SQL_PORT,
    user: c.user,
    password: c.password,
    encrypt: c.encrypt ?? true,
    trustServerCertificate: c.trustServerCertificate ?? false,
    ...(c.ca !== undefined && c.ca !== null ? { ca: c.ca } : {}),
    ...(c.connectTimeoutMs !== undefined && c.connectTimeoutMs !== null ? { connectTimeoutMs: c.connectTimeoutMs } : {}),
    ...(c.requestTimeoutMs !== undefined && c.requestTimeoutMs !== null ? { requestTimeoutMs: c.requestTimeoutMs } : {}),
  } as Record<string, unknown>;
  // Unknown fields get a harmless stand-in so only the known ones are judged.
  const probe: Record<string, unknown> = { ...normalized };
  const stand: Record<string, unknown> = {
    server: "unknown",
    port: 1,
    user: "unknown",
    password: "unknown",
    encrypt: true,
    trustServerCertificate: false,
    ca: "-----BEGIN CERTIFICATE-----",
    connectTimeoutMs: 1,
    requestTimeoutMs: 1,
  };
  for (const key of Object.keys(probe)) if (isUnknown(probe[key])) probe[key] = stand[key];
  failures.push(...connectionConfigProblems(probe as unknown as ConnectionConfig));
  if (typeof probe.password === "string" && probe.password === "") {
    failures.push({ property: "connection.password", reason: "must not be empty: give the password of connection.user" });
  }
  if (typeof probe.trustServerCertificate !== "boolean") {
    failures.push({ property: "connection.trustServerCertificate", reason: "must be true or false" });
  }
  return normalized as unknown as ConnectionInputs;
}

/** `server:port`, lower-cased: the identity of an instance (its change means replacing the object). */
export function instanceKey(c: Pick<ConnectionInputs, "server" | "port">): string {
  return `${String(c.server).toLowerCase()}:${c.port ?? DEFAULT_SQL_PORT}`;
}

/** True when olds and news point at different instances (which forces a replacement). */
export function instanceChanged(olds: { connection?: Partial<ConnectionInputs> }, news: { connection?: Partial<ConnectionInputs> }): boolean {
  const o = olds.connection;
  const n = news.connection;
  if (!o || !n) return false;
  return instanceKey(o as ConnectionInputs) !== instanceKey(n as ConnectionInputs);
}

/** True when only credentials or TLS options differ: an update that never touches SQL Server. */
export function connectionSettingsChanged(olds: { connection?: Partial<ConnectionInputs> }, news: { connection?: Partial<ConnectionInputs> }): boolean {
  const o = olds.connection ?? {};
  const n = news.connection ?? {};
  return (["user", "password", "encrypt", "trustServerCertificate", "ca", "connectTimeoutMs", "requestTimeoutMs"] as const).some((k) => o[k] !== n[k]);
}
