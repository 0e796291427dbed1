/**
 * Checks that work on any SQL Server, emulated or real, through T-SQL alone:
 * - {@link trustByCatalog}: would `from` be accepted by `to`? The catalog-level conditions of
 *   Microsoft's inbound-certificate procedure, read back from both instances;
 * - {@link catalogSnapshot}: the security objects of `master` this package can touch, for exact
 *   before/after comparisons on servers that have no emulator snapshot;
 * - {@link replicaStates} and {@link mirroringConnections}: what the instances report of their live
 *   connections. Catalog rows say a connection *would* be accepted; only these say one *was*.
 */
import { readFileSync } from "node:fs";
import * as sql from "mssql";
import { parseRealServers } from "./servers";

/** How to reach an instance as a sysadmin. */
export interface SqlTarget {
  /** TDS host. */
  server: string;
  /** TDS port. */
  port: number;
  /** A sysadmin login (SQL authentication). */
  user: string;
  /** Its password. */
  password: string;
  /** PEM CA to validate the instance's TLS certificate with. */
  ca?: string;
  /** Accept any TLS certificate (self-signed containers). Default false. */
  trustServerCertificate?: boolean;
}

/** A real instance: how to reach it, and where its peers reach its mirroring endpoint. */
export interface RealTarget extends SqlTarget {
  /** Host the other instances reach this one's endpoint at (`MSSQL_REAL_SERVERS`' endpointHost). */
  endpointHost: string;
  /** Its endpoint's port (`MSSQL_REAL_SERVERS`' endpointPort, default 5022). */
  endpointPort: number;
}

/** Runs a batch on a target (in `database`, default master) and returns every recordset. */
export async function query(t: SqlTarget, text: string, params: Record<string, string | Buffer> = {}, database = "master"): Promise<Array<Array<Record<string, unknown>>>> {
  const pool = new sql.ConnectionPool({
    server: t.server,
    port: t.port,
    user: t.user,
    password: t.password,
    database,
    options: { encrypt: true, trustServerCertificate: t.trustServerCertificate ?? false, ...(t.ca ? { cryptoCredentialsDetails: { ca: t.ca } } : {}) },
    pool: { max: 1 },
  });
  await pool.connect();
  try {
    const request = pool.request();
    for (const [k, v] of Object.entries(params)) request.input(k, Buffer.isBuffer(v) ? sql.VarBinary(sql.MAX) : sql.NVarChar(4000), v);
    const result = await request.query(text);
    return (result.recordsets as unknown as Array<Array<Record<string, unknown>>>) ?? [];
  } finally {
    await pool.close();
  }
}

const ENDPOINT = `SELECT m.name, m.state_desc, m.role_desc, m.is_encryption_enabled, m.encryption_algorithm_desc, m.connection_auth_desc,
  c.thumbprint, c.pvt_key_encryption_type, c.start_date, c.expiry_date
FROM sys.database_mirroring_endpoints AS m LEFT JOIN sys.certificates AS c ON c.certificate_id = m.certificate_id`;

const GRANTEE = `SELECT c.name AS certificate, sp.name AS login, sp.is_disabled,
  (SELECT COUNT(*) FROM sys.server_permissions AS p JOIN sys.database_mirroring_endpoints AS e ON e.endpoint_id = p.major_id
    WHERE p.class = 105 AND p.type = 'CO' AND p.state IN ('G', 'W') AND p.grantee_principal_id = sp.principal_id) AS connect_grants,
  c.start_date, c.expiry_date
FROM sys.certificates AS c
JOIN sys.database_principals AS dp ON dp.principal_id = c.principal_id
LEFT JOIN sys.server_principals AS sp ON sp.sid = dp.sid
WHERE c.thumbprint = @thumbprint`;

type Role = "partner" | "witness" | "replica";

function algorithms(desc: unknown): Set<string> {
  return new Set(String(desc).split(", ").filter((a) => a !== "NONE"));
}

/**
 * Why `to` would refuse a certificate-authenticated mirroring connection from `from`, or "ok".
 * Mirrors section 5 of the T-SQL reference: both endpoints started and certificate-authenticated,
 * from's certificate MK-protected and valid now, its public key present on `to`, owned by a user
 * whose login is enabled and holds CONNECT on to's endpoint, compatible encryption and roles.
 */
export async function trustByCatalog(from: SqlTarget, to: SqlTarget, roles: { from: Role; to: Role }, now = new Date()): Promise<string> {
  const [[out]] = (await query(from, ENDPOINT)) as [[Record<string, unknown> | undefined]];
  const [[inn]] = (await query(to, ENDPOINT)) as [[Record<string, unknown> | undefined]];
  if (!out) return "the sender has no mirroring endpoint";
  if (!inn) return "the receiver has no mirroring endpoint";
  if (out.state_desc !== "STARTED" || inn.state_desc !== "STARTED") return "an endpoint is not STARTED";
  if (!String(out.connection_auth_desc).includes("CERTIFICATE") || !String(inn.connection_auth_desc).includes("CERTIFICATE")) return "an endpoint does not authenticate by certificate";
  if (out.pvt_key_encryption_type !== "MK") return "the sender's certificate private key is not protected by the master key";
  if (now < (out.start_date as Date) || now > (out.expiry_date as Date)) return "the sender's certificate is outside its validity window";
  const a = out.is_encryption_enabled ? algorithms(out.encryption_algorithm_desc) : new Set<string>();
  const b = inn.is_encryption_enabled ? algorithms(inn.encryption_algorithm_desc) : new Set<string>();
  const required = (desc: unknown, enabled: unknown) => Boolean(enabled) && !String(desc).startsWith("NONE");
  const disabled = (enabled: unknown) => !enabled;
  if ((required(out.encryption_algorithm_desc, out.is_encryption_enabled) && disabled(inn.is_encryption_enabled)) || (required(inn.encryption_algorithm_desc, inn.is_encryption_enabled) && disabled(out.is_encryption_enabled))) {
    return "encryption: DISABLED against REQUIRED";
  }
  if (a.size && b.size && ![...a].some((x) => b.has(x))) return "encryption algorithms do not overlap";
  if (roles.from !== "replica") {
    const accepts = (role: unknown, as: Role) => role === "ALL" || role === (as === "witness" ? "WITNESS" : "PARTNER");
    if (!accepts(out.role_desc, roles.from) || !accepts(inn.role_desc, roles.to)) return "endpoint roles do not allow this connection";
  }
  const [grantees] = await query(to, GRANTEE, { thumbprint: out.thumbprint as Buffer });
  const usable = (grantees ?? []).find((g) => g.login !== null && !g.is_disabled && Number(g.connect_grants) > 0 && now >= (g.start_date as Date) && now <= (g.expiry_date as Date));
  if (!grantees?.length) return "the receiver does not hold the sender's certificate";
  if (!usable) return "no login owning the sender's certificate holds CONNECT on the receiver's endpoint";
  return "ok";
}

/**
 * The security objects of master this package manages, ordered, with the columns that identify them.
 * The service master key is left out: SQL Server owns it (it is made at setup and regenerated at
 * will by `ALTER SERVICE MASTER KEY`), no stack touches it, and its presence says nothing.
 */
export async function catalogSnapshot(t: SqlTarget): Promise<Record<string, unknown[]>> {
  const [keys, certificates, endpoints, logins, users, permissions] = await query(
    t,
    `SELECT name, algorithm_desc FROM sys.symmetric_keys WHERE name <> N'##MS_ServiceMasterKey##' ORDER BY name;
     SELECT name, subject, thumbprint, pvt_key_encryption_type, USER_NAME(principal_id) AS owner, expiry_date FROM sys.certificates WHERE name NOT LIKE N'##%' ORDER BY name;
     SELECT m.name, m.state_desc, t.port, t.ip_address, m.role_desc, m.connection_auth_desc, m.encryption_algorithm_desc, SUSER_NAME(m.principal_id) AS owner
       FROM sys.database_mirroring_endpoints AS m JOIN sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id ORDER BY m.name;
     SELECT name, type, is_disabled FROM sys.server_principals WHERE type IN ('S', 'C', 'K') AND name NOT LIKE N'##%' ORDER BY name;
     SELECT name, type FROM sys.database_principals WHERE principal_id > 4 AND is_fixed_role = 0 ORDER BY name;
     SELECT e.name AS endpoint, sp.name AS grantee, p.permission_name, p.state_desc
       FROM sys.server_permissions AS p JOIN sys.endpoints AS e ON e.endpoint_id = p.major_id
       JOIN sys.server_principals AS sp ON sp.principal_id = p.grantee_principal_id
       WHERE p.class = 105 ORDER BY e.name, sp.name, p.permission_name;`,
  );
  return { keys: keys ?? [], certificates: certificates ?? [], endpoints: endpoints ?? [], logins: logins ?? [], users: users ?? [], permissions: permissions ?? [] };
}

/**
 * Instances named by `MSSQL_REAL_SERVERS` (format in `./servers.ts`), or none. `MSSQL_REAL_USER`
 * (default `sa`), `MSSQL_REAL_PASSWORD` (required with servers), `MSSQL_REAL_CA_FILE` and
 * `MSSQL_REAL_TRUST_SERVER_CERTIFICATE=true` say how to log in.
 */
export function realServers(env: NodeJS.ProcessEnv = process.env): RealTarget[] {
  const servers = parseRealServers(env.MSSQL_REAL_SERVERS);
  const password = env.MSSQL_REAL_PASSWORD ?? "";
  if (servers.length && !password) throw new Error("MSSQL_REAL_SERVERS is set but MSSQL_REAL_PASSWORD is not: set it to the password of MSSQL_REAL_USER (default sa)");
  const ca = env.MSSQL_REAL_CA_FILE ? readFileSync(env.MSSQL_REAL_CA_FILE, "utf8") : undefined;
  return servers.map((s) => ({
    ...s,
    user: env.MSSQL_REAL_USER ?? "sa",
    password,
    ...(ca ? { ca } : {}),
    trustServerCertificate: env.MSSQL_REAL_TRUST_SERVER_CERTIFICATE === "true",
  }));
}

/** One replica as an instance reports it in `sys.dm_hadr_availability_replica_states`. */
export interface ReplicaState {
  /** `replica_server_name` (the replica's `@@SERVERNAME`). */
  replica: string;
  /** Whether the row is the reporting instance's own replica (`is_local`). */
  local: boolean;
  /** `role_desc`: PRIMARY, SECONDARY, RESOLVING; null for a remote replica the primary cannot reach. */
  role: string | null;
  /** `connected_state_desc`: CONNECTED or DISCONNECTED. */
  connected: string | null;
  /** `synchronization_health_desc`. */
  health: string | null;
  /** `last_connect_error_number`, null when none. */
  lastErrorNumber: number | null;
  /** `last_connect_error_description`, null when none. */
  lastError: string | null;
}

/**
 * Every replica of `group` that `t` reports, by name. The primary reports every replica; a
 * secondary only its own (sys.dm_hadr_availability_replica_states: "returns only local information").
 */
export async function replicaStates(t: SqlTarget, group: string): Promise<ReplicaState[]> {
  const [rows] = await query(
    t,
    `SELECT r.replica_server_name, s.is_local, s.role_desc, s.connected_state_desc, s.synchronization_health_desc,
       s.last_connect_error_number, s.last_connect_error_description
     FROM sys.dm_hadr_availability_replica_states AS s
     JOIN sys.availability_replicas AS r ON r.replica_id = s.replica_id
     JOIN sys.availability_groups AS g ON g.group_id = s.group_id
     WHERE g.name = @group ORDER BY r.replica_server_name`,
    { group },
  );
  return (rows ?? []).map((r) => ({
    replica: String(r.replica_server_name),
    local: Boolean(r.is_local),
    role: (r.role_desc as string | null) ?? null,
    connected: (r.connected_state_desc as string | null) ?? null,
    health: (r.synchronization_health_desc as string | null) ?? null,
    lastErrorNumber: r.last_connect_error_number === null || r.last_connect_error_number === undefined ? null : Number(r.last_connect_error_number),
    lastError: (r.last_connect_error_description as string | null) ?? null,
  }));
}

/** One row of `sys.dm_db_mirroring_connections`: a live endpoint connection of the reporting instance. */
export interface MirroringConnection {
  /** `principal_name`: for certificate authentication, the owner of the peer's certificate. */
  principal: string | null;
  /** `is_accept`: the peer opened it. */
  accepted: boolean;
  /** `state_desc`: NEW, CONNECTING, CONNECTED, LOGGED_IN, CLOSED. */
  state: string;
  /** `login_state`: 12 is ONLINE (handshake complete, ready for messages), 13 ERROR. */
  loginState: number;
  /** `encryption_algorithm_desc`. */
  encryption: string | null;
}

/** The handshake is complete and the connection exchanges messages (`login_state` 12, ONLINE). */
export const LOGIN_STATE_ONLINE = 12;

/** The live endpoint connections `t` reports. */
export async function mirroringConnections(t: SqlTarget): Promise<MirroringConnection[]> {
  const [rows] = await query(t, "SELECT principal_name, is_accept, state_desc, login_state, encryption_algorithm_desc FROM sys.dm_db_mirroring_connections");
  return (rows ?? []).map((r) => ({
    principal: (r.principal_name as string | null) ?? null,
    accepted: Boolean(r.is_accept),
    state: String(r.state_desc),
    loginState: Number(r.login_state),
    encryption: (r.encryption_algorithm_desc as string | null) ?? null,
  }));
}

/**
 * Whether `on` holds a live connection it accepted from a peer that authenticated with a
 * certificate owned by a principal whose name starts with `fromPrefix` (the login and the user
 * that stand for a peer share it): the handshake completed (`login_state` ONLINE).
 */
export async function acceptedConnectionFrom(on: SqlTarget, fromPrefix: string): Promise<boolean> {
  return (await mirroringConnections(on)).some((c) => c.accepted && c.loginState === LOGIN_STATE_ONLINE && (c.principal ?? "").startsWith(fromPrefix));
}

/**
 * Whether `a` and `b` hold a live, authenticated endpoint connection in either direction (which
 * side opens it is SQL Server's business; that one exists and completed its handshake is the proof).
 */
export async function liveConnectionBetween(a: { sql: SqlTarget; principalPrefix: string }, b: { sql: SqlTarget; principalPrefix: string }): Promise<boolean> {
  return (await acceptedConnectionFrom(a.sql, b.principalPrefix)) || (await acceptedConnectionFrom(b.sql, a.principalPrefix));
}
