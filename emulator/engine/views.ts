/**
 * The catalog views, computed from the catalog on every query (they are small). Column names, order
 * and types follow Microsoft's pages; `char(n)` columns are reported as `varchar(n)` with SQL Server's
 * space padding (the shared result vocabulary has no `char`), `sql_variant` ones as `varbinary`.
 * A login that is not sysadmin sees only the rows metadata visibility would show it.
 */
import type { Column, ColumnType, SqlValue } from "../results";
import type { SessionState } from "./context";
import type { Catalog, CertificateRecord, EndpointRecord, LoginRecord, PermissionRecord, UserRecord } from "./catalog";
import type { InstanceServices } from "./context";
import type { DatabaseStore } from "./databases/store";
import { DATABASE_SYS_VIEWS } from "./databases/views";
import { AVAILABILITY_GROUP_CATALOG_VIEWS } from "./availabilityGroups/views";
import {
  FIXED_DATABASE_PRINCIPALS,
  FIXED_SERVER_ROLES,
  MASTER_KEY_ID,
  MASTER_KEY_NAME,
  SERVICE_MASTER_KEY_ID,
  SERVICE_MASTER_KEY_NAME,
  SYSADMIN_ROLE_ID,
  SYSTEM_ENDPOINTS,
  SA_ID,
  DBO_ID,
  PUBLIC_SERVER_ROLE_ID,
  ENDPOINT_PERMISSION_TYPES,
  SERVER_PERMISSION_TYPES,
  type FixedDatabasePrincipal,
  type FixedServerRole,
  type SystemEndpoint,
} from "./system";

/** Who is looking (metadata visibility). */
export interface Viewer {
  loginId: number;
  sysadmin: boolean;
  /** The viewer's database principal in master (dbo for sysadmins, guest when unmapped). */
  userId: number;
}

/** What a view computes its rows from. */
export interface ViewContext {
  catalog: Catalog;
  viewer: Viewer;
  /** The instance's live facts, for dynamic management views (absent in catalog snapshots). */
  instance?: InstanceServices;
  /** The querying session (sys.openkeys); absent for catalog snapshots, which see no open keys. */
  session?: Pick<SessionState, "openedMasterKey">;
  /** The database database-scoped views read (the session's current one, or a three-part name's). Default master. */
  database?: string;
  /** The instance's databases (the database layer's views read them). */
  databases?: DatabaseStore;
}

/** A catalog view: its columns and a row source. */
export interface CatalogView {
  /** Lower-case two-part name, e.g. `sys.certificates`. */
  name: string;
  columns: Column[];
  rows(ctx: ViewContext): SqlValue[][];
}

type ColumnSpec = { type: ColumnType; length?: number };
const sysname: ColumnSpec = { type: "nvarchar", length: 128 };
const int: ColumnSpec = { type: "int" };
const tinyint: ColumnSpec = { type: "tinyint" };
const bit: ColumnSpec = { type: "bit" };
const datetime: ColumnSpec = { type: "datetime" };
const guid: ColumnSpec = { type: "uniqueidentifier" };
const nvarchar = (length: number): ColumnSpec => ({ type: "nvarchar", length });
const char = (length: number): ColumnSpec => ({ type: "varchar", length });
const varbinary = (length?: number): ColumnSpec => ({ type: "varbinary", length });

type Getter<T> = (row: T, ctx: ViewContext) => SqlValue;

/** A view from a row source and its columns (name, type, getter), in order. */
export function defineView<T>(name: string, source: (ctx: ViewContext) => T[], columns: Array<[string, ColumnSpec, Getter<T>]>): CatalogView {
  return {
    name,
    columns: columns.map(([n, spec]) => ({ name: n, type: spec.type, ...(spec.length !== undefined ? { length: spec.length } : {}) })),
    rows: (ctx) => source(ctx).map((r) => columns.map(([, , get]) => get(r, ctx))),
  };
}

/** `char(n)` values are space-padded on SQL Server (`'CO  '`). */
const pad = (s: string, n: number) => s.padEnd(n, " ");

// ---------------------------------------------------------------------------------------------
// Encryption: sys.symmetric_keys, sys.key_encryptions, sys.certificates (sys.databases: databases/views.ts)
// ---------------------------------------------------------------------------------------------

interface SymmetricKeyRow {
  name: string;
  id: number;
  created: Date;
  modified: Date;
  guid: string;
}

const symmetricKeys = defineView<SymmetricKeyRow>(
  "sys.symmetric_keys",
  ({ catalog, viewer }) => {
    if (!viewer.sysadmin) return [];
    const s = catalog.state;
    const rows: SymmetricKeyRow[] = [];
    if (s.masterKey) rows.push({ name: MASTER_KEY_NAME, id: MASTER_KEY_ID, created: s.masterKey.createDate, modified: s.masterKey.modifyDate, guid: s.masterKey.keyGuid });
    rows.push({ name: SERVICE_MASTER_KEY_NAME, id: SERVICE_MASTER_KEY_ID, created: s.serverCreateDate, modified: s.serverCreateDate, guid: s.serviceMasterKeyGuid });
    return rows;
  },
  [
    ["name", sysname, (r) => r.name],
    ["principal_id", int, () => DBO_ID],
    ["symmetric_key_id", int, (r) => r.id],
    ["key_length", int, () => 256],
    ["key_algorithm", char(2), () => "A3"],
    ["algorithm_desc", nvarchar(60), () => "AES_256"],
    ["create_date", datetime, (r) => r.created],
    ["modify_date", datetime, (r) => r.modified],
    ["key_guid", guid, (r) => r.guid],
    ["key_thumbprint", varbinary(32), () => null],
    ["provider_type", nvarchar(120), () => null],
    ["cryptographic_provider_guid", guid, () => null],
    ["cryptographic_provider_algid", varbinary(32), () => null],
  ],
);

/**
 * sys.openkeys: keys open in the querying session. Only OPEN MASTER KEY counts (assumption: a DMK
 * decrypted automatically through its service-master-key copy is not listed), and only while the key
 * is the one that was opened (REGENERATE keeps it open under its new GUID, DROP closes it).
 */
const openKeys = defineView<{ guid: string; opened: Date }>(
  "sys.openkeys",
  ({ catalog, session }) => {
    const opened = session?.openedMasterKey;
    const mk = catalog.state.masterKey;
    return opened && mk && opened.keyGuid === mk.keyGuid ? [{ guid: mk.keyGuid, opened: opened.openedAt }] : [];
  },
  [
    ["database_id", int, () => 1],
    ["database_name", sysname, () => "master"],
    ["key_id", int, () => MASTER_KEY_ID],
    ["key_name", sysname, () => MASTER_KEY_NAME],
    ["key_guid", varbinary(16), (r) => guidBytes(r.guid)],
    ["opened_date", datetime, (r) => r.opened],
    ["status", int, () => 1],
  ],
);

interface KeyEncryptionRow {
  byPassword: boolean;
  blob: Buffer;
}

const keyEncryptions = defineView<KeyEncryptionRow>(
  "sys.key_encryptions",
  ({ catalog, viewer }) => {
    const mk = catalog.state.masterKey;
    if (!viewer.sysadmin || !mk) return [];
    return [
      ...mk.passwordEncryptions.map((blob) => ({ byPassword: true, blob })),
      ...(mk.serviceKeyEncryption ? [{ byPassword: false, blob: mk.serviceKeyEncryption }] : []),
    ];
  },
  [
    ["key_id", int, () => MASTER_KEY_ID],
    ["thumbprint", varbinary(32), (r, { catalog }) => (r.byPassword ? null : guidBytes(catalog.state.serviceMasterKeyGuid))],
    ["crypt_type", char(4), (r) => (r.byPassword ? "ESP2" : "ESKM")],
    ["crypt_type_desc", nvarchar(60), (r) => (r.byPassword ? "ENCRYPTION BY PASSWORD V2" : "ENCRYPTION BY MASTER KEY")],
    ["crypt_property", varbinary(), (r) => r.blob],
  ],
);

/** A uniqueidentifier's bytes in SQL Server's order (first three groups little-endian). */
function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, "");
  const b = Buffer.from(hex, "hex");
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

/**
 * The SID SQL Server derives for a certificate (S-1-9-1-…): authority 9, sub-authority 1, then the
 * thumbprint as five little-endian 32-bit sub-authorities.
 */
export function certificateSid(thumbprint: Buffer): Buffer {
  return Buffer.concat([Buffer.from([1, 6, 0, 0, 0, 0, 0, 9, 1, 0, 0, 0]), thumbprint]);
}

function sidString(sid: Buffer): string {
  const authority = sid.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < sid[1]!; i++) subs.push(sid.readUInt32LE(8 + i * 4));
  return `S-${sid[0]}-${authority}-${subs.join("-")}`;
}

const PRIVATE_KEY_DESC: Record<string, string> = { NA: "NO_PRIVATE_KEY", MK: "ENCRYPTED_BY_MASTER_KEY", PW: "ENCRYPTED_BY_PASSWORD" };

const certificates = defineView<CertificateRecord>(
  "sys.certificates",
  ({ catalog, viewer }) => catalog.state.certificates.filter((c) => viewer.sysadmin || c.ownerId === viewer.userId),
  [
    ["name", sysname, (c) => c.name],
    ["certificate_id", int, (c) => c.id],
    ["principal_id", int, (c) => c.ownerId],
    ["pvt_key_encryption_type", char(2), (c) => c.privateKey?.protection ?? "NA"],
    ["pvt_key_encryption_type_desc", nvarchar(60), (c) => PRIVATE_KEY_DESC[c.privateKey?.protection ?? "NA"]!],
    ["is_active_for_begin_dialog", bit, (c) => c.activeForBeginDialog],
    ["issuer_name", nvarchar(442), (c, { catalog }) => catalog.certificateInfo(c).issuer.slice(0, 442)],
    ["cert_serial_number", nvarchar(64), (c, { catalog }) => formatSerial(catalog.certificateInfo(c).serial)],
    ["sid", varbinary(85), (c, { catalog }) => certificateSid(catalog.certificateInfo(c).thumbprint)],
    ["string_sid", nvarchar(128), (c, { catalog }) => sidString(certificateSid(catalog.certificateInfo(c).thumbprint))],
    ["subject", nvarchar(4000), (c, { catalog }) => catalog.certificateInfo(c).subject.slice(0, 4000)],
    ["expiry_date", datetime, (c, { catalog }) => catalog.certificateInfo(c).notAfter],
    ["start_date", datetime, (c, { catalog }) => catalog.certificateInfo(c).notBefore],
    ["thumbprint", varbinary(32), (c, { catalog }) => catalog.certificateInfo(c).thumbprint],
    ["attested_by", nvarchar(260), () => null],
    ["pvt_key_last_backup_date", datetime, (c) => c.privateKeyBackupDate ?? null],
    ["key_length", int, (c, { catalog }) => catalog.certificateInfo(c).keyBits],
  ],
);

/** `cert_serial_number`: the first 16 bytes of the serial as space-separated lower-case hex pairs. */
export function formatSerial(serial: Buffer): string {
  return [...serial.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

// ---------------------------------------------------------------------------------------------
// Endpoints: sys.endpoints, sys.tcp_endpoints, sys.database_mirroring_endpoints
// ---------------------------------------------------------------------------------------------

type AnyEndpoint = { system: SystemEndpoint } | { user: EndpointRecord };

const STATE_CODE = { STARTED: 0, STOPPED: 1, DISABLED: 2 } as const;

function endpointVisible(e: EndpointRecord, { catalog, viewer }: ViewContext): boolean {
  if (viewer.sysadmin || e.ownerId === viewer.loginId) return true;
  return catalog.state.permissions.some((p) => p.classId === 105 && p.majorId === e.id && (p.granteeId === viewer.loginId || p.granteeId === PUBLIC_SERVER_ROLE_ID));
}

function allEndpoints(ctx: ViewContext, tcpOnly: boolean): AnyEndpoint[] {
  return [
    ...SYSTEM_ENDPOINTS.filter((e) => !tcpOnly || e.tcp).map((system) => ({ system })),
    ...ctx.catalog.state.endpoints.filter((e) => endpointVisible(e, ctx)).map((user) => ({ user })),
  ];
}

const endpointColumns: Array<[string, ColumnSpec, Getter<AnyEndpoint>]> = [
  ["name", sysname, (e) => ("system" in e ? e.system.name : e.user.name)],
  ["endpoint_id", int, (e) => ("system" in e ? e.system.id : e.user.id)],
  ["principal_id", int, (e) => ("system" in e ? SA_ID : e.user.ownerId)],
  ["protocol", tinyint, (e) => ("system" in e ? e.system.protocol : 2)],
  ["protocol_desc", nvarchar(60), (e) => ("system" in e ? e.system.protocolDesc : "TCP")],
  ["type", tinyint, (e) => ("system" in e ? 2 : 4)],
  ["type_desc", nvarchar(60), (e) => ("system" in e ? "TSQL" : "DATABASE_MIRRORING")],
  ["state", tinyint, (e) => ("system" in e ? 0 : STATE_CODE[e.user.state])],
  ["state_desc", nvarchar(60), (e) => ("system" in e ? "STARTED" : e.user.state)],
  ["is_admin_endpoint", bit, (e) => ("system" in e ? e.system.isAdmin : false)],
];

const endpoints = defineView<AnyEndpoint>("sys.endpoints", (ctx) => allEndpoints(ctx, false), endpointColumns);

const tcpEndpoints = defineView<AnyEndpoint>("sys.tcp_endpoints", (ctx) => allEndpoints(ctx, true), [
  ...endpointColumns,
  ["port", int, (e) => ("system" in e ? 0 : e.user.port)],
  ["is_dynamic_port", bit, (e) => "system" in e],
  ["ip_address", nvarchar(45), (e) => ("system" in e ? null : e.user.ip)],
]);

const WINDOWS_CODE = { NTLM: 0, KERBEROS: 1, NEGOTIATE: 2 } as const;

/** connection_auth and its description for an endpoint. */
export function connectionAuth(e: EndpointRecord): { code: number; desc: string } {
  const cert = e.certificateId !== undefined;
  if (e.windows && !cert) return { code: WINDOWS_CODE[e.windows] + 1, desc: e.windows };
  if (!e.windows) return { code: 4, desc: "CERTIFICATE" };
  return e.authFirst === "windows"
    ? { code: WINDOWS_CODE[e.windows] + 5, desc: `${e.windows}, CERTIFICATE` }
    : { code: WINDOWS_CODE[e.windows] + 8, desc: `CERTIFICATE, ${e.windows}` };
}

const ALGORITHM_CODES: Record<string, number> = { NONE: 0, RC4: 1, AES: 2, "NONE, RC4": 3, "NONE, AES": 4, "RC4, AES": 5, "AES, RC4": 6, "NONE, RC4, AES": 7, "NONE, AES, RC4": 8 };

/** encryption_algorithm_desc for an endpoint (DISABLED → NONE; SUPPORTED prefixes NONE). */
export function encryptionAlgorithmDesc(e: EndpointRecord): string {
  if (e.encryption === "DISABLED") return "NONE";
  const list = e.algorithms.length ? e.algorithms : ["AES"];
  return (e.encryption === "SUPPORTED" ? ["NONE", ...list] : list).join(", ");
}

const ROLE_CODE = { PARTNER: 1, WITNESS: 2, ALL: 3 } as const;

const mirroringEndpoints = defineView<AnyEndpoint>(
  "sys.database_mirroring_endpoints",
  (ctx) => allEndpoints(ctx, false).filter((e) => "user" in e),
  [
    ...endpointColumns,
    ["role", tinyint, (e) => ROLE_CODE[(e as { user: EndpointRecord }).user.role]],
    ["role_desc", nvarchar(60), (e) => (e as { user: EndpointRecord }).user.role],
    ["is_encryption_enabled", bit, (e) => (e as { user: EndpointRecord }).user.encryption !== "DISABLED"],
    ["connection_auth", tinyint, (e) => connectionAuth((e as { user: EndpointRecord }).user).code],
    ["connection_auth_desc", nvarchar(60), (e) => connectionAuth((e as { user: EndpointRecord }).user).desc],
    ["certificate_id", int, (e) => (e as { user: EndpointRecord }).user.certificateId ?? 0],
    ["encryption_algorithm", tinyint, (e) => ALGORITHM_CODES[encryptionAlgorithmDesc((e as { user: EndpointRecord }).user)]!],
    ["encryption_algorithm_desc", nvarchar(60), (e) => encryptionAlgorithmDesc((e as { user: EndpointRecord }).user)],
  ],
);

// ---------------------------------------------------------------------------------------------
// Principals and permissions
// ---------------------------------------------------------------------------------------------

type ServerPrincipal = { role: FixedServerRole } | { login: LoginRecord };

const serverPrincipalColumns: Array<[string, ColumnSpec, Getter<ServerPrincipal>]> = [
  ["name", sysname, (p) => ("role" in p ? p.role.name : p.login.name)],
  ["principal_id", int, (p) => ("role" in p ? p.role.id : p.login.id)],
  ["sid", varbinary(85), (p) => ("role" in p ? p.role.sid : p.login.sid)],
  ["type", char(1), (p) => ("role" in p ? "R" : "S")],
  ["type_desc", nvarchar(60), (p) => ("role" in p ? "SERVER_ROLE" : "SQL_LOGIN")],
  ["is_disabled", int, (p) => ("role" in p ? 0 : p.login.disabled ? 1 : 0)],
  ["create_date", datetime, (p, { catalog }) => ("role" in p ? catalog.state.serverCreateDate : p.login.createDate)],
  ["modify_date", datetime, (p, { catalog }) => ("role" in p ? catalog.state.serverCreateDate : p.login.modifyDate)],
  ["default_database_name", sysname, (p) => ("role" in p ? null : p.login.defaultDatabase)],
  ["default_language_name", sysname, (p) => ("role" in p ? null : p.login.defaultLanguage)],
  ["credential_id", int, () => null],
  ["owning_principal_id", int, (p) => ("role" in p ? SA_ID : null)],
  ["is_fixed_role", bit, (p) => ("role" in p ? p.role.isFixedRole : false)],
];

function visibleLogins({ catalog, viewer }: ViewContext): LoginRecord[] {
  return catalog.state.logins.filter((l) => viewer.sysadmin || l.id === viewer.loginId || l.id === SA_ID);
}

const serverPrincipals = defineView<ServerPrincipal>(
  "sys.server_principals",
  (ctx) =>
    [...visibleLogins(ctx).map((login) => ({ login })), ...FIXED_SERVER_ROLES.map((role) => ({ role }))].sort(
      (a, b) => ("role" in a ? a.role.id : a.login.id) - ("role" in b ? b.role.id : b.login.id),
    ),
  serverPrincipalColumns,
);

const sqlLogins = defineView<ServerPrincipal>(
  "sys.sql_logins",
  (ctx) => visibleLogins(ctx).map((login) => ({ login })),
  [
    ...serverPrincipalColumns,
    ["is_policy_checked", bit, (p) => (p as { login: LoginRecord }).login.checkPolicy],
    ["is_expiration_checked", bit, (p) => (p as { login: LoginRecord }).login.checkExpiration],
    ["password_hash", varbinary(256), (p, { viewer }) => (viewer.sysadmin ? (p as { login: LoginRecord }).login.passwordHash : null)],
  ],
);

type DatabasePrincipal = { fixed: FixedDatabasePrincipal } | { user: UserRecord };

const databasePrincipals = defineView<DatabasePrincipal>(
  "sys.database_principals",
  ({ catalog, viewer }) =>
    [
      ...FIXED_DATABASE_PRINCIPALS.map((fixed) => ({ fixed })),
      ...catalog.state.users.filter((u) => viewer.sysadmin || u.id === viewer.userId).map((user) => ({ user })),
    ].sort((a, b) => ("fixed" in a ? a.fixed.id : a.user.id) - ("fixed" in b ? b.fixed.id : b.user.id)),
  [
    ["name", sysname, (p) => ("fixed" in p ? p.fixed.name : p.user.name)],
    ["principal_id", int, (p) => ("fixed" in p ? p.fixed.id : p.user.id)],
    ["type", char(1), (p) => ("fixed" in p ? p.fixed.type : "S")],
    ["type_desc", nvarchar(60), (p) => (("fixed" in p ? p.fixed.type : "S") === "R" ? "DATABASE_ROLE" : "SQL_USER")],
    ["default_schema_name", sysname, (p) => ("fixed" in p ? p.fixed.defaultSchema : p.user.defaultSchema)],
    ["create_date", datetime, (p, { catalog }) => ("fixed" in p ? catalog.state.serverCreateDate : p.user.createDate)],
    ["modify_date", datetime, (p, { catalog }) => ("fixed" in p ? catalog.state.serverCreateDate : p.user.modifyDate)],
    ["owning_principal_id", int, (p) => ("fixed" in p && p.fixed.type === "R" ? DBO_ID : null)],
    ["sid", varbinary(85), (p) => ("fixed" in p ? p.fixed.sid : p.user.sid)],
    ["is_fixed_role", bit, (p) => ("fixed" in p ? p.fixed.isFixedRole : false)],
    ["authentication_type", int, (p) => ("fixed" in p ? p.fixed.authenticationType : p.user.withoutLogin ? 0 : 1)],
    ["authentication_type_desc", nvarchar(60), (p) => (("fixed" in p ? p.fixed.authenticationType : p.user.withoutLogin ? 0 : 1) === 1 ? "INSTANCE" : "NONE")],
    ["default_language_name", sysname, () => null],
    ["default_language_lcid", int, () => null],
    ["allow_encrypted_value_modifications", bit, () => false],
  ],
);

/** Permission names by class and type code (CL is CONTROL on an endpoint, CONTROL SERVER on the server). */
const PERMISSION_NAMES: Record<100 | 105, Record<string, string>> = {
  100: Object.fromEntries(Object.entries(SERVER_PERMISSION_TYPES).map(([name, type]) => [type, name])),
  105: Object.fromEntries(Object.entries(ENDPOINT_PERMISSION_TYPES).map(([name, type]) => [type, name])),
};

const STATE_DESC = { G: "GRANT", W: "GRANT_WITH_GRANT_OPTION", D: "DENY" } as const;

const serverPermissions = defineView<PermissionRecord>(
  "sys.server_permissions",
  ({ catalog, viewer }) =>
    catalog.state.permissions.filter((p) => viewer.sysadmin || p.granteeId === viewer.loginId || p.granteeId === PUBLIC_SERVER_ROLE_ID),
  [
    ["class", tinyint, (p) => p.classId],
    ["class_desc", nvarchar(60), (p) => (p.classId === 100 ? "SERVER" : "ENDPOINT")],
    ["major_id", int, (p) => p.majorId],
    ["minor_id", int, () => 0],
    ["grantee_principal_id", int, (p) => p.granteeId],
    ["grantor_principal_id", int, (p) => p.grantorId],
    ["type", char(4), (p) => pad(p.type, 4)],
    ["permission_name", nvarchar(128), (p) => PERMISSION_NAMES[p.classId][p.type]!],
    ["state", char(1), (p) => p.state],
    ["state_desc", nvarchar(60), (p) => STATE_DESC[p.state]],
  ],
);

const serverRoleMembers = defineView<{ role: number; member: number }>(
  "sys.server_role_members",
  () => [{ role: SYSADMIN_ROLE_ID, member: SA_ID }],
  [
    ["role_principal_id", int, (r) => r.role],
    ["member_principal_id", int, (r) => r.member],
  ],
);

const databaseRoleMembers = defineView<{ role: number; member: number }>(
  "sys.database_role_members",
  () => [{ role: 16384, member: DBO_ID }],
  [
    ["role_principal_id", int, (r) => r.role],
    ["member_principal_id", int, (r) => r.member],
  ],
);

/** Every view of the subset, by lower-case `sys.name`. */
export const VIEWS: ReadonlyMap<string, CatalogView> = new Map(
  [
    symmetricKeys,
    keyEncryptions,
    openKeys,
    certificates,
    ...DATABASE_SYS_VIEWS,
    ...AVAILABILITY_GROUP_CATALOG_VIEWS,
    endpoints,
    tcpEndpoints,
    mirroringEndpoints,
    serverPrincipals,
    sqlLogins,
    databasePrincipals,
    serverPermissions,
    serverRoleMembers,
    databaseRoleMembers,
  ].map((v) => [v.name, v]),
);
