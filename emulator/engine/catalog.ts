/**
 * The state of one emulated instance: the `master` database's security objects and the server's
 * logins, endpoints and permissions. Plain data (persisted as JSON), plus look-ups that compare names
 * the way the instance's collation does. Catalog views are computed from it (views.ts).
 */
import type { EndpointState } from "./ast";
import type { GroupRecord } from "./availabilityGroups/model";
import { sameName } from "./collation";
import { parseCertificate, type ParsedCertificate } from "../crypto/x509";
import { FIRST_CERTIFICATE_ID, FIRST_ENDPOINT_ID, FIRST_LOGIN_ID, FIRST_USER_ID, PUBLIC_SERVER_ROLE_ID, SA_ID, SA_SID, SYSTEM_ENDPOINTS } from "./system";

/** The database master key of `master`; the key itself is only stored encrypted. */
export interface MasterKeyRecord {
  keyGuid: string;
  createDate: Date;
  modifyDate: Date;
  /** The DMK encrypted under each of its passwords (keys.ts `encryptWithPassword`). */
  passwordEncryptions: Buffer[];
  /** The DMK encrypted under the service master key, while `ADD ENCRYPTION BY SERVICE MASTER KEY` holds. */
  serviceKeyEncryption?: Buffer;
}

/** A certificate's private key: encrypted PKCS#8, passphrase the DMK (MK) or a password (PW). */
export interface PrivateKeyRecord {
  protection: "MK" | "PW";
  encrypted: Buffer;
}

/** A certificate in `master`. */
export interface CertificateRecord {
  id: number;
  name: string;
  /** Owning database principal (a user, or dbo = 1). */
  ownerId: number;
  /** The certificate, DER. Everything shown in sys.certificates is read from it. */
  der: Buffer;
  privateKey?: PrivateKeyRecord;
  activeForBeginDialog: boolean;
  /** Last BACKUP … WITH PRIVATE KEY. */
  privateKeyBackupDate?: Date;
}

/** The DATABASE_MIRRORING endpoint (the only user endpoint type in the subset). */
export interface EndpointRecord {
  id: number;
  name: string;
  /** Owning server principal. */
  ownerId: number;
  state: EndpointState;
  port: number;
  /** `null` for LISTENER_IP = ALL, else the address as given. */
  ip: string | null;
  windows?: "NTLM" | "KERBEROS" | "NEGOTIATE";
  /** Certificate authentication's certificate_id, when enabled. */
  certificateId?: number;
  /** Which method comes first when both are enabled. */
  authFirst: "windows" | "certificate";
  encryption: "DISABLED" | "SUPPORTED" | "REQUIRED";
  /** Algorithms in preference order (empty when DISABLED). */
  algorithms: Array<"AES" | "RC4">;
  role: "WITNESS" | "PARTNER" | "ALL";
  createDate: Date;
}

/** A SQL login (sa included). */
export interface LoginRecord {
  id: number;
  name: string;
  sid: Buffer;
  /** SQL Server's salted hash (passwords.ts); the password itself is never kept. */
  passwordHash: Buffer;
  disabled: boolean;
  createDate: Date;
  modifyDate: Date;
  defaultDatabase: string;
  defaultLanguage: string;
  checkPolicy: boolean;
  checkExpiration: boolean;
  mustChange: boolean;
}

/** A user in `master` (created by CREATE USER; the fixed ones live in system.ts). */
export interface UserRecord {
  id: number;
  name: string;
  /** The mapped login's SID (kept when the login is dropped: an orphaned user), or a generated one. */
  sid: Buffer;
  /** True for `WITHOUT LOGIN` users (authentication_type 0). */
  withoutLogin: boolean;
  defaultSchema: string;
  createDate: Date;
  modifyDate: Date;
}

/** A row of sys.server_permissions. */
export interface PermissionRecord {
  /** 100 = SERVER, 105 = ENDPOINT. */
  classId: 100 | 105;
  majorId: number;
  granteeId: number;
  grantorId: number;
  /** Permission type code, e.g. `CO`, `COSQ` (unpadded). */
  type: string;
  state: "G" | "W" | "D";
}

/** A file written by BACKUP CERTIFICATE. */
export interface BackupRecord {
  /** Absolute path inside the backup folder. */
  path: string;
  certificate: string;
  kind: "certificate" | "privateKey";
  date: Date;
}

/** Everything that persists. */
export interface CatalogState {
  /** The service master key (see keys.ts; stored plainly: the file's permissions protect it). */
  serviceMasterKey: Buffer;
  serviceMasterKeyGuid: string;
  serverCreateDate: Date;
  masterKey?: MasterKeyRecord;
  certificates: CertificateRecord[];
  endpoints: EndpointRecord[];
  logins: LoginRecord[];
  users: UserRecord[];
  permissions: PermissionRecord[];
  backups: BackupRecord[];
  /** Availability groups this instance hosts a replica of (absent in catalogs saved before they existed). */
  availabilityGroups?: GroupRecord[];
  /** Next IDs to hand out (never reused, as on SQL Server). */
  next: { login: number; user: number; certificate: number; endpoint: number };
}

/** A fresh instance's state: sa, the built-in permissions, no master key. */
export function initialState(now: Date, smk: Buffer, smkGuid: string, saPasswordHash: Buffer): CatalogState {
  const sa: LoginRecord = {
    id: SA_ID,
    name: "sa",
    sid: SA_SID,
    passwordHash: saPasswordHash,
    disabled: false,
    createDate: now,
    modifyDate: now,
    defaultDatabase: "master",
    defaultLanguage: "us_english",
    checkPolicy: true,
    checkExpiration: false,
    mustChange: false,
  };
  const permissions: PermissionRecord[] = [
    { classId: 100, majorId: 0, granteeId: SA_ID, grantorId: SA_ID, type: "COSQ", state: "G" },
    { classId: 100, majorId: 0, granteeId: PUBLIC_SERVER_ROLE_ID, grantorId: SA_ID, type: "VWDB", state: "G" },
    // Every instance lets `public` connect to its TSQL endpoints (except the DAC).
    ...SYSTEM_ENDPOINTS.filter((e) => !e.isAdmin).map((e): PermissionRecord => ({ classId: 105, majorId: e.id, granteeId: PUBLIC_SERVER_ROLE_ID, grantorId: SA_ID, type: "CO", state: "G" })),
  ];
  return {
    serviceMasterKey: smk,
    serviceMasterKeyGuid: smkGuid,
    serverCreateDate: now,
    certificates: [],
    endpoints: [],
    logins: [sa],
    users: [],
    permissions,
    backups: [],
    next: { login: FIRST_LOGIN_ID, user: FIRST_USER_ID, certificate: FIRST_CERTIFICATE_ID, endpoint: FIRST_ENDPOINT_ID },
  };
}

/** Look-ups over a {@link CatalogState}, with parsed certificates cached. */
export class Catalog {
  private readonly parsed = new WeakMap<CertificateRecord, ParsedCertificate>();

  constructor(readonly state: CatalogState) {}

  /** The certificate's X.509 fields (parsed once). */
  certificateInfo(cert: CertificateRecord): ParsedCertificate {
    let info = this.parsed.get(cert);
    if (!info) {
      info = parseCertificate(cert.der);
      this.parsed.set(cert, info);
    }
    return info;
  }

  certificateByName(name: string): CertificateRecord | undefined {
    return this.state.certificates.find((c) => sameName(c.name, name));
  }

  certificateById(id: number): CertificateRecord | undefined {
    return this.state.certificates.find((c) => c.id === id);
  }

  loginByName(name: string): LoginRecord | undefined {
    return this.state.logins.find((l) => sameName(l.name, name));
  }

  loginById(id: number): LoginRecord | undefined {
    return this.state.logins.find((l) => l.id === id);
  }

  loginBySid(sid: Buffer): LoginRecord | undefined {
    return this.state.logins.find((l) => l.sid.equals(sid));
  }

  userByName(name: string): UserRecord | undefined {
    return this.state.users.find((u) => sameName(u.name, name));
  }

  userById(id: number): UserRecord | undefined {
    return this.state.users.find((u) => u.id === id);
  }

  userBySid(sid: Buffer): UserRecord | undefined {
    return this.state.users.find((u) => u.sid.equals(sid));
  }

  endpointByName(name: string): EndpointRecord | undefined {
    return this.state.endpoints.find((e) => sameName(e.name, name));
  }

  endpointById(id: number): EndpointRecord | undefined {
    return this.state.endpoints.find((e) => e.id === id);
  }

  /** The instance's DATABASE_MIRRORING endpoint, if any (there is at most one). */
  mirroringEndpoint(): EndpointRecord | undefined {
    return this.state.endpoints[0];
  }

  /** Hands out the next ID of a kind. */
  allocate(kind: keyof CatalogState["next"]): number {
    return this.state.next[kind]++;
  }
}
