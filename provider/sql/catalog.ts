/**
 * Catalog reads: the SELECT text for each object and the mapping of its rows to a record.
 *
 * Every look-up is parameterised (names are never spliced into a SELECT) and names its views
 * `master.sys.…`, so it reads master whatever the session's database. Owners are resolved with
 * `USER_NAME` / `SUSER_NAME` (and `CERTENCODED`), which work on the current database: the
 * connection is opened in master for that reason.
 */
import { statement, type Recordset, type Row, type Statement } from "./client";
import type {
  CertificateRecord,
  EncryptionAlgorithm,
  EndpointAuthentication,
  EndpointEncryption,
  EndpointGrants,
  EndpointPermissionName,
  EndpointPermissionRecord,
  EndpointRecord,
  LoginRecord,
  MasterKeyRecord,
  PermissionState,
  UserRecord,
} from "./records";
import { bytes, dateTime, flag, flagOrNull, hex, hexOrNull, integer, oneOf, text, textOrNull } from "./rows";
import { MASTER_KEY_NAME } from "./statements/masterKey";

/** A catalog read: its statements, how many recordsets they return, and how to map them. */
export interface CatalogQuery<R> {
  /** The SELECTs, sent together in one request. */
  readonly statements: readonly Statement[];
  /** Number of recordsets `statements` produce. */
  readonly resultCount: number;
  /** The record, or undefined when the object does not exist. */
  map(recordsets: readonly Recordset[]): R | undefined;
}

/** A one-SELECT query whose object is absent with zero rows and unique otherwise. */
function singleRow<R>(sql: string, params: Statement["params"], mapRow: (row: Row) => R): CatalogQuery<R> {
  return {
    statements: [statement(sql, params)],
    resultCount: 1,
    map([rows]) {
      if (rows === undefined || rows.length === 0) return undefined;
      if (rows.length > 1) throw new TypeError(`unexpected catalog result: ${rows.length} rows where at most one was expected`);
      return mapRow(rows[0]);
    },
  };
}

/** The DMK of master: existence and creation date, then whether the SMK encrypts it. */
export function masterKeyQuery(): CatalogQuery<MasterKeyRecord> {
  return {
    statements: [
      statement(`SELECT k.create_date FROM master.sys.symmetric_keys AS k WHERE k.name = N'${MASTER_KEY_NAME}'`),
      statement("SELECT d.is_master_key_encrypted_by_server FROM master.sys.databases AS d WHERE d.name = N'master'"),
    ],
    resultCount: 2,
    map([keys, databases]) {
      if (keys === undefined || keys.length === 0) return undefined;
      const master = databases?.[0];
      if (master === undefined) throw new TypeError("unexpected catalog result: sys.databases has no row for master");
      return {
        createDate: dateTime(keys[0], "create_date"),
        encryptedByServiceMasterKey: flag(master, "is_master_key_encrypted_by_server"),
      };
    },
  };
}

const CERTIFICATE_SELECT =
  "SELECT c.name, c.certificate_id, USER_NAME(c.principal_id) AS owner_name, c.subject, c.issuer_name, " +
  "c.cert_serial_number, c.start_date, c.expiry_date, c.thumbprint, c.pvt_key_encryption_type, " +
  "CERTENCODED(c.certificate_id) AS public_certificate FROM master.sys.certificates AS c";

function toCertificateRecord(row: Row): CertificateRecord {
  return {
    name: text(row, "name"),
    certificateId: integer(row, "certificate_id"),
    owner: textOrNull(row, "owner_name"),
    subject: text(row, "subject"),
    issuer: text(row, "issuer_name"),
    serialNumber: text(row, "cert_serial_number"),
    startDate: dateTime(row, "start_date"),
    expiryDate: dateTime(row, "expiry_date"),
    thumbprint: hex(row, "thumbprint"),
    publicCertificate: bytes(row, "public_certificate"),
    privateKeyEncryption: oneOf(row, "pvt_key_encryption_type", ["MK", "PW", "SK", "NA"] as const),
  };
}

/** A certificate in master by name. */
export function certificateQuery(name: string): CatalogQuery<CertificateRecord> {
  return singleRow(`${CERTIFICATE_SELECT} WHERE c.name = @name`, { name: { type: "nvarchar", value: name } }, toCertificateRecord);
}

/**
 * Names of the certificates in master with this thumbprint (the same certificate; SQL Server
 * holds at most one copy, 15232). Never undefined: an empty list when there is none.
 */
export function certificateNamesByThumbprintQuery(thumbprint: Buffer): CatalogQuery<string[]> {
  return {
    statements: [statement("SELECT c.name FROM master.sys.certificates AS c WHERE c.thumbprint = @thumbprint", { thumbprint: { type: "varbinary", value: thumbprint } })],
    resultCount: 1,
    map: ([rows]) => (rows ?? []).map((row) => text(row, "name")),
  };
}

const ENDPOINT_SELECT =
  "SELECT m.name, m.endpoint_id, SUSER_NAME(m.principal_id) AS owner_name, m.state_desc, t.port, t.ip_address, " +
  "m.role_desc, m.connection_auth_desc, c.name AS certificate_name, m.is_encryption_enabled, m.encryption_algorithm_desc " +
  "FROM master.sys.database_mirroring_endpoints AS m " +
  "JOIN master.sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id " +
  "LEFT JOIN master.sys.certificates AS c ON c.certificate_id = m.certificate_id";

/**
 * `encryption_algorithm_desc` of an encrypting endpoint → the DDL that produces it. `NONE` first
 * in the list means unencrypted connections are also accepted, i.e. SUPPORTED (reference §3).
 */
const ENCRYPTION_BY_DESC: Readonly<Record<string, { encryption: EndpointEncryption; algorithm: EncryptionAlgorithm }>> = {
  AES: { encryption: "REQUIRED", algorithm: "AES" },
  RC4: { encryption: "REQUIRED", algorithm: "RC4" },
  "AES, RC4": { encryption: "REQUIRED", algorithm: "AES RC4" },
  "RC4, AES": { encryption: "REQUIRED", algorithm: "RC4 AES" },
  "NONE, AES": { encryption: "SUPPORTED", algorithm: "AES" },
  "NONE, RC4": { encryption: "SUPPORTED", algorithm: "RC4" },
  "NONE, AES, RC4": { encryption: "SUPPORTED", algorithm: "AES RC4" },
  "NONE, RC4, AES": { encryption: "SUPPORTED", algorithm: "RC4 AES" },
};

const AUTHENTICATIONS: readonly EndpointAuthentication[] = [
  "NTLM", "KERBEROS", "NEGOTIATE", "CERTIFICATE",
  "NTLM, CERTIFICATE", "KERBEROS, CERTIFICATE", "NEGOTIATE, CERTIFICATE",
  "CERTIFICATE, NTLM", "CERTIFICATE, KERBEROS", "CERTIFICATE, NEGOTIATE",
];

function decodeEncryption(row: Row): Pick<EndpointRecord, "encryption" | "algorithm"> {
  if (!flag(row, "is_encryption_enabled")) return { encryption: "DISABLED", algorithm: null };
  const desc = text(row, "encryption_algorithm_desc").trim();
  const decoded = ENCRYPTION_BY_DESC[desc];
  if (decoded === undefined) throw new TypeError(`unexpected catalog row: encryption_algorithm_desc '${desc}' on an encrypting endpoint`);
  return decoded;
}

function toEndpointRecord(row: Row): EndpointRecord {
  const ip = textOrNull(row, "ip_address");
  return {
    name: text(row, "name"),
    endpointId: integer(row, "endpoint_id"),
    owner: textOrNull(row, "owner_name"),
    state: oneOf(row, "state_desc", ["STARTED", "STOPPED", "DISABLED"] as const),
    port: integer(row, "port"),
    // NULL (or, defensively, an empty string) is how LISTENER_IP = ALL reads back.
    ipAddress: ip === null || ip.trim() === "" ? null : ip,
    role: oneOf(row, "role_desc", ["NONE", "PARTNER", "WITNESS", "ALL"] as const),
    authentication: oneOf(row, "connection_auth_desc", AUTHENTICATIONS),
    certificateName: textOrNull(row, "certificate_name"),
    ...decodeEncryption(row),
  };
}

/** The DATABASE_MIRRORING endpoint with this name (undefined if none, or of another type). */
export function endpointQuery(name: string): CatalogQuery<EndpointRecord> {
  return singleRow(`${ENDPOINT_SELECT} WHERE m.name = @name`, { name: { type: "nvarchar", value: name } }, toEndpointRecord);
}

/** Whatever DATABASE_MIRRORING endpoint the instance has, whatever its name (at most one: 7862). */
export function mirroringEndpointQuery(): CatalogQuery<EndpointRecord> {
  return singleRow(ENDPOINT_SELECT, {}, toEndpointRecord);
}

/** A server principal by name, with the policy flags of SQL logins. */
export function loginQuery(name: string): CatalogQuery<LoginRecord> {
  return singleRow(
    "SELECT p.name, p.principal_id, p.sid, p.type, p.is_disabled, p.create_date, l.is_policy_checked, l.is_expiration_checked " +
      "FROM master.sys.server_principals AS p LEFT JOIN master.sys.sql_logins AS l ON l.principal_id = p.principal_id WHERE p.name = @name",
    { name: { type: "nvarchar", value: name } },
    (row) => ({
      name: text(row, "name"),
      principalId: integer(row, "principal_id"),
      type: text(row, "type").trim(),
      sid: hex(row, "sid"),
      isDisabled: flag(row, "is_disabled"),
      checkPolicy: flagOrNull(row, "is_policy_checked"),
      checkExpiration: flagOrNull(row, "is_expiration_checked"),
      createDate: dateTime(row, "create_date"),
    }),
  );
}

/** A database principal in master by name, with the login it maps to (matched on SID). */
export function userQuery(name: string): CatalogQuery<UserRecord> {
  return singleRow(
    "SELECT u.name, u.principal_id, u.type, u.sid, sp.name AS login_name, u.create_date " +
      "FROM master.sys.database_principals AS u LEFT JOIN master.sys.server_principals AS sp ON sp.sid = u.sid WHERE u.name = @name",
    { name: { type: "nvarchar", value: name } },
    (row) => ({
      name: text(row, "name"),
      principalId: integer(row, "principal_id"),
      type: text(row, "type").trim(),
      sid: hexOrNull(row, "sid"),
      loginName: textOrNull(row, "login_name"),
      createDate: dateTime(row, "create_date"),
    }),
  );
}

/** Whether CONNECT on this endpoint is granted to (or denied) this login. */
export function endpointPermissionQuery(endpointName: string, loginName: string): CatalogQuery<EndpointPermissionRecord> {
  return singleRow(
    "SELECT e.name AS endpoint_name, sp.name AS login_name, p.state FROM master.sys.server_permissions AS p " +
      "JOIN master.sys.endpoints AS e ON e.endpoint_id = p.major_id " +
      "JOIN master.sys.server_principals AS sp ON sp.principal_id = p.grantee_principal_id " +
      "WHERE p.class = 105 AND p.type = 'CO' AND e.name = @endpoint AND sp.name = @login",
    { endpoint: { type: "nvarchar", value: endpointName }, login: { type: "nvarchar", value: loginName } },
    (row) => ({
      endpointName: text(row, "endpoint_name"),
      loginName: text(row, "login_name"),
      state: oneOf(row, "state", PERMISSION_STATES),
    }),
  );
}

const PERMISSION_STATES: readonly PermissionState[] = ["G", "W", "D", "R"];
const ENDPOINT_PERMISSIONS: readonly EndpointPermissionName[] = ["CONNECT", "ALTER", "CONTROL", "TAKE OWNERSHIP", "VIEW DEFINITION"];

/**
 * Every permission on the endpoint with this id (all grantees, grantors, states), then the
 * connecting login. An ownership transfer drops them all on SQL Server, so they are read first
 * and put back (see buildTransferEndpointOwnership).
 */
export function endpointGrantsQuery(endpointId: number): CatalogQuery<EndpointGrants> {
  return {
    statements: [
      statement(
        "SELECT SUSER_NAME(p.grantee_principal_id) AS grantee, SUSER_NAME(p.grantor_principal_id) AS grantor, " +
          "IS_SRVROLEMEMBER(N'sysadmin', SUSER_NAME(p.grantor_principal_id)) AS grantor_is_sysadmin, p.permission_name, p.type, p.state " +
          "FROM master.sys.server_permissions AS p WHERE p.class = 105 AND p.major_id = @endpointId",
        { endpointId: { type: "int", value: endpointId } },
      ),
      statement("SELECT SUSER_NAME() AS connecting_login"),
    ],
    resultCount: 2,
    map([rows, me]) {
      const login = me?.[0];
      if (login === undefined) throw new TypeError("unexpected catalog result: SUSER_NAME() returned no row");
      return {
        connectingLogin: text(login, "connecting_login"),
        grants: (rows ?? []).map((row) => ({
          grantee: text(row, "grantee"),
          grantor: textOrNull(row, "grantor"),
          grantorIsSysadmin: row.grantor_is_sysadmin === 1,
          permission: oneOf(row, "permission_name", ENDPOINT_PERMISSIONS),
          type: text(row, "type").trim(),
          state: oneOf(row, "state", PERMISSION_STATES),
        })),
      };
    },
  };
}
