/**
 * The objects every SQL Server instance has before anyone runs DDL: fixed server roles, the fixed
 * principals of `master`, the built-in TSQL endpoints, and the IDs SQL Server starts user objects at.
 */
import { createHash } from "node:crypto";

/** A fixed server role (sys.server_principals type R). */
export interface FixedServerRole {
  id: number;
  name: string;
  sid: Buffer;
  /** 0 for `public`, 1 for the others. */
  isFixedRole: boolean;
}

/** `sa`'s principal_id. */
export const SA_ID = 1;
/** `sa`'s SID. */
export const SA_SID = Buffer.from([0x01]);
/** The `public` server role's principal_id. */
export const PUBLIC_SERVER_ROLE_ID = 2;
/** The `sysadmin` fixed server role's principal_id. */
export const SYSADMIN_ROLE_ID = 3;

/** Fixed server roles, principal_id 2–10 with SIDs 0x02–0x0A. */
export const FIXED_SERVER_ROLES: FixedServerRole[] = [
  "public",
  "sysadmin",
  "securityadmin",
  "serveradmin",
  "setupadmin",
  "processadmin",
  "diskadmin",
  "dbcreator",
  "bulkadmin",
].map((name, i) => ({ id: i + 2, name, sid: Buffer.from([i + 2]), isFixedRole: name !== "public" }));

/** A fixed principal of `master` (sys.database_principals). */
export interface FixedDatabasePrincipal {
  id: number;
  name: string;
  type: "S" | "R";
  sid: Buffer | null;
  defaultSchema: string | null;
  isFixedRole: boolean;
  /** authentication_type: 1 INSTANCE (dbo), 0 NONE. */
  authenticationType: number;
}

/**
 * Database roles carry long SIDs (S-1-9-4-…) on SQL Server; the emulator derives a stable one from the
 * role name because nothing compares them.
 */
function roleSid(name: string): Buffer {
  return Buffer.concat([Buffer.from([0x01, 0x05, 0, 0, 0, 0, 0, 0x09, 0x04, 0, 0, 0]), createHash("sha1").update(name).digest().subarray(0, 16)]);
}

/** `dbo`'s principal_id in every database; it maps to `sa` (SID 0x01) in `master`. */
export const DBO_ID = 1;

/** dbo, guest, INFORMATION_SCHEMA, sys, public and the fixed database roles. */
export const FIXED_DATABASE_PRINCIPALS: FixedDatabasePrincipal[] = [
  { id: 0, name: "public", type: "R", sid: roleSid("public"), defaultSchema: null, isFixedRole: false, authenticationType: 0 },
  { id: 1, name: "dbo", type: "S", sid: SA_SID, defaultSchema: "dbo", isFixedRole: false, authenticationType: 1 },
  { id: 2, name: "guest", type: "S", sid: Buffer.from([0x00]), defaultSchema: "guest", isFixedRole: false, authenticationType: 0 },
  { id: 3, name: "INFORMATION_SCHEMA", type: "S", sid: null, defaultSchema: null, isFixedRole: false, authenticationType: 0 },
  { id: 4, name: "sys", type: "S", sid: null, defaultSchema: null, isFixedRole: false, authenticationType: 0 },
  ...[
    ["db_owner", 16384],
    ["db_accessadmin", 16385],
    ["db_securityadmin", 16386],
    ["db_ddladmin", 16387],
    ["db_backupoperator", 16389],
    ["db_datareader", 16390],
    ["db_datawriter", 16391],
    ["db_denydatareader", 16392],
    ["db_denydatawriter", 16393],
  ].map(([name, id]) => ({
    id: id as number,
    name: name as string,
    type: "R" as const,
    sid: roleSid(name as string),
    defaultSchema: null,
    isFixedRole: true,
    authenticationType: 0,
  })),
];

/** A built-in endpoint (sys.endpoints IDs below 65536). */
export interface SystemEndpoint {
  id: number;
  name: string;
  protocol: number;
  protocolDesc: string;
  isAdmin: boolean;
  /** TCP endpoints appear in sys.tcp_endpoints with a dynamic port 0. */
  tcp: boolean;
}

/** The endpoints every instance has (all TSQL, all STARTED). */
export const SYSTEM_ENDPOINTS: SystemEndpoint[] = [
  { id: 1, name: "Dedicated Admin Connection", protocol: 2, protocolDesc: "TCP", isAdmin: true, tcp: true },
  { id: 2, name: "TSQL Local Machine", protocol: 4, protocolDesc: "SHARED_MEMORY", isAdmin: false, tcp: false },
  { id: 3, name: "TSQL Named Pipes", protocol: 3, protocolDesc: "NAMED_PIPES", isAdmin: false, tcp: false },
  { id: 4, name: "TSQL Default TCP", protocol: 2, protocolDesc: "TCP", isAdmin: false, tcp: true },
  { id: 5, name: "TSQL Default VIA", protocol: 5, protocolDesc: "VIA", isAdmin: false, tcp: false },
];

/** First principal_id SQL Server gives a login. */
export const FIRST_LOGIN_ID = 256;
/** First principal_id of a user in master (after dbo, guest, INFORMATION_SCHEMA, sys). */
export const FIRST_USER_ID = 5;
/** First certificate_id of a user certificate. */
export const FIRST_CERTIFICATE_ID = 256;
/** First endpoint_id of a user endpoint (lower IDs are system endpoints). */
export const FIRST_ENDPOINT_ID = 65536;

/** sys.symmetric_keys ID of the database master key. */
export const MASTER_KEY_ID = 101;
/** sys.symmetric_keys ID of the service master key (listed in master). */
export const SERVICE_MASTER_KEY_ID = 102;
/** The database master key's name. */
export const MASTER_KEY_NAME = "##MS_DatabaseMasterKey##";
/** The service master key's name. */
export const SERVICE_MASTER_KEY_NAME = "##MS_ServiceMasterKey##";

/** Endpoint permissions of the subset and their sys.server_permissions type codes. */
export const ENDPOINT_PERMISSION_TYPES: Readonly<Record<string, string>> = { CONNECT: "CO", ALTER: "AL", CONTROL: "CL", "TAKE OWNERSHIP": "TO", "VIEW DEFINITION": "VW" };

/** Server permissions of the subset and their sys.server_permissions type codes. */
export const SERVER_PERMISSION_TYPES: Readonly<Record<string, string>> = {
  "CONNECT SQL": "COSQ",
  "CONTROL SERVER": "CL",
  "ALTER ANY ENDPOINT": "ALHE",
  "CREATE ENDPOINT": "CRHE",
  "ALTER ANY LOGIN": "ALLG",
  "VIEW ANY DEFINITION": "VWAD",
  "VIEW SERVER STATE": "VWSS",
  "VIEW ANY DATABASE": "VWDB",
};
