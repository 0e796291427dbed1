/**
 * What the catalog says about each object, as typed records. Every create and update returns the
 * record read back after the change, so outputs always show what SQL Server holds, not what was
 * asked for. Dates are UTC strings `YYYY-MM-DDTHH:MM:SSZ`; binary identifiers (thumbprints, SIDs)
 * are uppercase hex without `0x`.
 */

/** `STATE` of an endpoint. Names only: Microsoft's pages disagree on what STOPPED and DISABLED do. */
export type EndpointState = "STARTED" | "STOPPED" | "DISABLED";

/** `ROLE` of a mirroring endpoint. `NONE` only appears in the catalog (never in DDL). */
export type EndpointRole = "NONE" | "PARTNER" | "WITNESS" | "ALL";

/** `ENCRYPTION` of a mirroring endpoint. */
export type EndpointEncryption = "DISABLED" | "SUPPORTED" | "REQUIRED";

/** `ALGORITHM` of an encrypting endpoint; with two, the accepting side's order wins. RC4 is deprecated. */
export type EncryptionAlgorithm = "AES" | "RC4" | "AES RC4" | "RC4 AES";

/** The Windows authentication methods an endpoint can use. */
export type WindowsAuthentication = "NTLM" | "KERBEROS" | "NEGOTIATE";

/**
 * `sys.database_mirroring_endpoints.connection_auth_desc`: Windows only, certificate only, or both
 * in the order they are tried.
 */
export type EndpointAuthentication =
  | WindowsAuthentication
  | "CERTIFICATE"
  | `${WindowsAuthentication}, CERTIFICATE`
  | `CERTIFICATE, ${WindowsAuthentication}`;

/** `sys.certificates.pvt_key_encryption_type`: MK = by the database master key, PW = by a password, SK = by the service master key, NA = no private key. */
export type PrivateKeyEncryption = "MK" | "PW" | "SK" | "NA";

/** The database master key of `master` (from `sys.symmetric_keys` and `sys.databases`). */
export interface MasterKeyRecord {
  /** Whether a copy is encrypted by the service master key, so it opens unattended (`is_master_key_encrypted_by_server`). The endpoint needs this. */
  encryptedByServiceMasterKey: boolean;
  /** When the key was created (`create_date`). */
  createDate: string;
}

/** A certificate in `master` (from `sys.certificates`). */
export interface CertificateRecord {
  /** Certificate name. */
  name: string;
  /** `certificate_id`, unique in master. */
  certificateId: number;
  /** Owning user in master (`USER_NAME(principal_id)`); null if it cannot be resolved. */
  owner: string | null;
  /** `subject` as the catalog shows it (truncated by SQL Server beyond 128 characters). */
  subject: string;
  /** `issuer_name`: for a generated certificate, the same as the subject. */
  issuer: string;
  /** `cert_serial_number`, as SQL Server formats it. */
  serialNumber: string;
  /** `start_date` (UTC): not valid before. */
  startDate: string;
  /** `expiry_date` (UTC): not valid after; endpoints refuse new connections with an expired certificate. */
  expiryDate: string;
  /** `thumbprint`: SHA-1 of the DER certificate, uppercase hex. Identifies the key material. */
  thumbprint: string;
  /** `CERTENCODED(certificate_id)`: the DER public certificate, ready for a peer's `FROM BINARY`. */
  publicCertificate: Buffer;
  /** How the private key is protected (`pvt_key_encryption_type`); an endpoint certificate needs MK, an imported peer certificate shows NA. */
  privateKeyEncryption: PrivateKeyEncryption;
}

/** The DATABASE_MIRRORING endpoint (from `sys.database_mirroring_endpoints` ⋈ `sys.tcp_endpoints`). */
export interface EndpointRecord {
  /** Endpoint name. */
  name: string;
  /** `endpoint_id` (≥ 65536 for user endpoints). */
  endpointId: number;
  /** Owning login (`SUSER_NAME(principal_id)`); null if it cannot be resolved. */
  owner: string | null;
  /** `state_desc`. */
  state: EndpointState;
  /** `LISTENER_PORT` (`sys.tcp_endpoints.port`). */
  port: number;
  /** `LISTENER_IP` as given (`sys.tcp_endpoints.ip_address`); null means ALL. */
  ipAddress: string | null;
  /** `role_desc`. */
  role: EndpointRole;
  /** `connection_auth_desc`, e.g. `CERTIFICATE` or `NEGOTIATE, CERTIFICATE`. */
  authentication: EndpointAuthentication;
  /** Certificate used to authenticate (joined on `certificate_id`); null under Windows-only authentication. */
  certificateName: string | null;
  /** `ENCRYPTION`, decoded from `is_encryption_enabled` and `encryption_algorithm_desc`. */
  encryption: EndpointEncryption;
  /** `ALGORITHM`, decoded from `encryption_algorithm_desc`; null when encryption is DISABLED. */
  algorithm: EncryptionAlgorithm | null;
}

/** A server principal (from `sys.server_principals`, with `sys.sql_logins` for SQL logins). */
export interface LoginRecord {
  /** Login name. */
  name: string;
  /** `principal_id`. */
  principalId: number;
  /** `type`: S = SQL login, U = Windows login, G = Windows group, C/K = certificate/key-mapped, R = server role. */
  type: string;
  /** `sid`, uppercase hex. A user in master is matched to its login by this value. */
  sid: string;
  /** `is_disabled`. */
  isDisabled: boolean;
  /** `CHECK_POLICY` (`is_policy_checked`); null for principals that are not SQL logins. */
  checkPolicy: boolean | null;
  /** `CHECK_EXPIRATION` (`is_expiration_checked`); null for principals that are not SQL logins. */
  checkExpiration: boolean | null;
  /** `create_date`. */
  createDate: string;
}

/** A database principal in `master` (from `sys.database_principals`). */
export interface UserRecord {
  /** User name. */
  name: string;
  /** `principal_id` in master. */
  principalId: number;
  /** `type`: S = SQL user, U/G = Windows, C/K = certificate/key-mapped, R = role. */
  type: string;
  /** `sid`, uppercase hex; null for principals without one (roles). */
  sid: string | null;
  /** The login with the same SID; null for an orphaned user (its login was dropped). */
  loginName: string | null;
  /** `create_date`. */
  createDate: string;
}

/** A CONNECT permission on an endpoint (from `sys.server_permissions`, class 105, type CO). */
export interface EndpointPermissionRecord {
  /** Endpoint the permission is on. */
  endpointName: string;
  /** Login (grantee) the permission is for. */
  loginName: string;
  /**
   * `state`: G = granted, W = granted WITH GRANT OPTION, D = denied, R = revoked (listed by
   * `sys.server_permissions`; it grants nothing).
   */
  state: PermissionState;
}

/** `sys.server_permissions.state`: G grant, W grant WITH GRANT OPTION, D deny, R revoke. */
export type PermissionState = "G" | "W" | "D" | "R";

/** The permissions a DATABASE_MIRRORING endpoint can carry (`sys.server_permissions.permission_name`, class 105). */
export type EndpointPermissionName = "CONNECT" | "ALTER" | "CONTROL" | "TAKE OWNERSHIP" | "VIEW DEFINITION";

/** One row of `sys.server_permissions` on an endpoint (class 105): any permission, grantee and grantor. */
export interface EndpointGrantRecord {
  /** Grantee (`SUSER_NAME(grantee_principal_id)`): a login, or a server role such as `public`. */
  grantee: string;
  /** Grantor (`SUSER_NAME(grantor_principal_id)`); null when it cannot be resolved. */
  grantor: string | null;
  /** Whether the grantor is a member of sysadmin (`IS_SRVROLEMEMBER`), so it keeps the right to grant after an owner change. */
  grantorIsSysadmin: boolean;
  /** `permission_name`. */
  permission: EndpointPermissionName;
  /** `type`, e.g. `CO` for CONNECT (padded by SQL Server; trimmed here). */
  type: string;
  /** `state`. */
  state: PermissionState;
}

/** Every permission on one endpoint, and the login the connection runs as (`SUSER_NAME()`). */
export interface EndpointGrants {
  /** The rows, in catalog order. */
  grants: EndpointGrantRecord[];
  /** `SUSER_NAME()`: the grantor SQL Server records for anything this connection grants without `AS`. */
  connectingLogin: string;
}
