/**
 * Checks that work on any SQL Server, emulated or real, through T-SQL alone:
 * - {@link trustByCatalog}: would `from` be accepted by `to`? The catalog-level conditions of
 *   Microsoft's inbound-certificate procedure, read back from both instances;
 * - {@link catalogSnapshot}: the security objects of `master` this package can touch, for exact
 *   before/after comparisons on servers that have no emulator snapshot.
 */
import * as sql from "mssql";

/** How to reach an instance as a sysadmin. */
export interface SqlTarget {
  server: string;
  port: number;
  user: string;
  password: string;
  ca?: string;
  trustServerCertificate?: boolean;
}

/** Runs a batch on a target and returns every recordset. */
export async function query(t: SqlTarget, text: string, params: Record<string, string | Buffer> = {}): Promise<Array<Array<Record<string, unknown>>>> {
  const pool = new sql.ConnectionPool({
    server: t.server,
    port: t.port,
    user: t.user,
    password: t.password,
    database: "master",
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

/** The security objects of master this package manages, ordered, with the columns that identify them. */
export async function catalogSnapshot(t: SqlTarget): Promise<Record<string, unknown[]>> {
  const [keys, certificates, endpoints, logins, users, permissions] = await query(
    t,
    `SELECT name, algorithm_desc FROM sys.symmetric_keys ORDER BY name;
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

/** Instances named by `MSSQL_REAL_SERVERS` (`host:port,host:port,…`), or none. */
export function realServers(): SqlTarget[] {
  const list = process.env.MSSQL_REAL_SERVERS?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];
  const password = process.env.MSSQL_REAL_PASSWORD ?? "";
  if (list.length && !password) throw new Error("MSSQL_REAL_SERVERS is set but MSSQL_REAL_PASSWORD is not");
  return list.map((entry) => {
    const [server, port] = entry.split(":");
    return {
      server: server!,
      port: Number(port ?? 1433),
      user: process.env.MSSQL_REAL_USER ?? "sa",
      password,
      ...(process.env.MSSQL_REAL_CA_FILE ? { ca: require("node:fs").readFileSync(process.env.MSSQL_REAL_CA_FILE, "utf8") as string } : {}),
      trustServerCertificate: process.env.MSSQL_REAL_TRUST_SERVER_CERTIFICATE === "true",
    };
  });
}
