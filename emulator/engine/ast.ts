/**
 * The syntax tree of the T-SQL subset. The parser builds it; the executor walks it. Names are stored
 * decoded (no brackets); every statement keeps its line and source text (for errors, fault matching
 * and counters).
 */
import type { SqlValue } from "../results";
import type { DatabaseStatementBody } from "./databases/ast";
import type { AvailabilityGroupStatementBody } from "./availabilityGroups/ast";

// ---------------------------------------------------------------------------------------------
// Types and expressions
// ---------------------------------------------------------------------------------------------

/** A data type as written in DECLARE / CAST / CONVERT, e.g. `nvarchar(128)`, `varbinary(max)`. */
export interface TypeName {
  /** Lower-case base name, e.g. `nvarchar`. */
  name: string;
  /** Length in characters/bytes; `"max"`; or absent. */
  length?: number | "max";
}

/** An expression. */
export type Expr =
  | { kind: "literal"; value: SqlValue; type: TypeName; line: number }
  | { kind: "variable"; name: string; line: number }
  | { kind: "global"; name: string; line: number }
  | { kind: "column"; qualifier?: string; name: string; line: number }
  | { kind: "call"; name: string; args: Expr[]; star: boolean; line: number }
  | { kind: "cast"; expr: Expr; type: TypeName; style?: Expr; line: number }
  | { kind: "unary"; op: "-" | "+"; operand: Expr; line: number }
  | { kind: "arith"; op: "+" | "-" | "*" | "/" | "%"; left: Expr; right: Expr; line: number }
  | { kind: "compare"; op: "=" | "<>" | "<" | ">" | "<=" | ">="; left: Expr; right: Expr; line: number }
  | { kind: "and" | "or"; left: Expr; right: Expr; line: number }
  | { kind: "not"; operand: Expr; line: number }
  | { kind: "isNull"; operand: Expr; negated: boolean; line: number }
  | { kind: "in"; operand: Expr; list: Expr[]; negated: boolean; line: number }
  | { kind: "like"; operand: Expr; pattern: Expr; negated: boolean; line: number }
  | { kind: "between"; operand: Expr; low: Expr; high: Expr; negated: boolean; line: number }
  | { kind: "exists"; query: SelectStatement; line: number }
  | { kind: "subquery"; query: SelectStatement; line: number };

// ---------------------------------------------------------------------------------------------
// SELECT
// ---------------------------------------------------------------------------------------------

/** One entry of a select list. */
export type SelectItem = { kind: "star"; qualifier?: string } | { kind: "expr"; expr: Expr; alias?: string };

/** A catalog view in FROM, e.g. `master.sys.certificates AS c`. */
export interface TableRef {
  /** The name parts as written, e.g. `["master", "sys", "certificates"]`. */
  parts: string[];
  alias?: string;
  line: number;
}

/** A JOIN after the first table. */
export interface Join {
  type: "inner" | "left";
  table: TableRef;
  on: Expr;
}

/** ORDER BY item. */
export interface OrderItem {
  expr: Expr;
  descending: boolean;
}

/** A SELECT (top level, in EXISTS, or as a scalar subquery). */
export interface SelectStatement {
  kind: "select";
  distinct: boolean;
  top?: Expr;
  items: SelectItem[];
  from?: { table: TableRef; joins: Join[] };
  where?: Expr;
  orderBy: OrderItem[];
  line: number;
}

// ---------------------------------------------------------------------------------------------
// Security DDL
// ---------------------------------------------------------------------------------------------

/** `WITH PRIVATE KEY ( … )` of CREATE / ALTER CERTIFICATE. */
export interface PrivateKeySpec {
  file?: string;
  binary?: Buffer;
  decryptionPassword?: string;
  encryptionPassword?: string;
}

/** Where CREATE CERTIFICATE gets its certificate. */
export type CertificateSource =
  | { kind: "generate"; subject: string; startDate?: string; expiryDate?: string; encryptionPassword?: string }
  | { kind: "binary"; der: Buffer; privateKey?: PrivateKeySpec }
  | { kind: "file"; path: string; privateKey?: PrivateKeySpec };

/** `AUTHENTICATION = …` of a mirroring endpoint. */
export interface EndpointAuthentication {
  /** The Windows protocol when Windows authentication is allowed (a bare `WINDOWS` is NEGOTIATE). */
  windows?: "NTLM" | "KERBEROS" | "NEGOTIATE";
  /** The certificate name when certificate authentication is allowed. */
  certificate?: string;
  /** Which method is tried first when both are given. */
  first: "windows" | "certificate";
}

/** `ENCRYPTION = …` of a mirroring endpoint. */
export interface EndpointEncryption {
  mode: "DISABLED" | "SUPPORTED" | "REQUIRED";
  /** In preference order; empty means the default (AES). */
  algorithms: Array<"AES" | "RC4">;
}

/** The `FOR DATABASE_MIRRORING ( … )` options; absent members were not written. */
export interface MirroringOptions {
  authentication?: EndpointAuthentication;
  encryption?: EndpointEncryption;
  role?: "WITNESS" | "PARTNER" | "ALL";
}

/** `AS TCP ( … )` options; absent members were not written. */
export interface TcpOptions {
  port?: number;
  /** `"ALL"` or the address as written. */
  ip?: "ALL" | { address: string; family: 4 | 6 };
}

/** Options of CREATE / ALTER LOGIN … WITH. */
export interface LoginOptions {
  password?: { text: string } | { hash: Buffer };
  oldPassword?: string;
  mustChange?: boolean;
  unlock?: boolean;
  checkPolicy?: boolean;
  checkExpiration?: boolean;
  defaultDatabase?: string;
  defaultLanguage?: string;
  sid?: Buffer;
  newName?: string;
}

/** An endpoint or server permission in GRANT / DENY / REVOKE. */
export interface PermissionStatement {
  kind: "permission";
  action: "GRANT" | "DENY" | "REVOKE";
  permissions: string[];
  /** `ON ENDPOINT::x`; absent for server-level permissions. */
  endpoint?: string;
  principals: string[];
  withGrantOption: boolean;
  grantOptionFor: boolean;
  cascade: boolean;
  /** `AS login`: the login whose right to grant is used, and the grantor recorded. */
  asLogin?: string;
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

/** Fields every statement has. */
export interface StatementBase {
  /** Line of the statement's first token. */
  line: number;
  /** The statement's source text (for fault matching). */
  text: string;
  /** What `counters.statements` counts it as, e.g. `CREATE CERTIFICATE`. */
  counterName: string;
}

/** A statement of the subset (without the {@link StatementBase} fields). */
export type StatementBody =
  | SelectStatement
  | { kind: "use"; database: string }
  | { kind: "set"; option: string; value: string | number }
  | { kind: "setVariable"; name: string; expr: Expr }
  | { kind: "declare"; variables: Array<{ name: string; type: TypeName; init?: Expr }> }
  | { kind: "if"; condition: Expr; then: Statement; else?: Statement }
  | { kind: "block"; body: Statement[] }
  | { kind: "exec"; sql: Expr }
  | { kind: "execProcedure"; name: string }
  | { kind: "print"; expr: Expr }
  | { kind: "beginTransaction" }
  | { kind: "commit" }
  | { kind: "rollback" }
  | { kind: "createMasterKey"; password: string }
  | { kind: "alterMasterKey"; action: "regenerate"; force: boolean; password: string }
  | { kind: "alterMasterKey"; action: "add" | "drop"; password?: string }
  | { kind: "openMasterKey"; password: string }
  | { kind: "closeMasterKey" }
  | { kind: "dropMasterKey" }
  | { kind: "createCertificate"; name: string; owner?: string; source: CertificateSource; activeForBeginDialog?: boolean }
  | { kind: "alterCertificate"; name: string; removePrivateKey?: boolean; privateKey?: PrivateKeySpec; activeForBeginDialog?: boolean }
  | { kind: "backupCertificate"; name: string; file: string; privateKey?: { file: string; encryptionPassword: string; decryptionPassword?: string } }
  | { kind: "dropCertificate"; name: string }
  | { kind: "alterAuthorization"; objectClass: "CERTIFICATE" | "ENDPOINT"; name: string; principal: string }
  | { kind: "createEndpoint"; name: string; owner?: string; state?: EndpointState; tcp: TcpOptions; mirroring: MirroringOptions }
  | { kind: "alterEndpoint"; name: string; state?: EndpointState; tcp?: TcpOptions; mirroring?: MirroringOptions; otherTransport?: string; otherPayload?: string }
  | { kind: "dropEndpoint"; name: string }
  | { kind: "createLogin"; name: string; options: LoginOptions }
  | { kind: "alterLogin"; name: string; enable?: boolean; options?: LoginOptions }
  | { kind: "dropLogin"; name: string }
  | { kind: "createUser"; name: string; login?: string; withoutLogin: boolean; defaultSchema?: string }
  | { kind: "alterUser"; name: string; login?: string; newName?: string; defaultSchema?: string }
  | { kind: "dropUser"; name: string; ifExists: boolean }
  | PermissionStatement
  | DatabaseStatementBody
  | AvailabilityGroupStatementBody;

/** Endpoint STATE values. */
export type EndpointState = "STARTED" | "STOPPED" | "DISABLED";

/** A parsed statement. */
export type Statement = StatementBody & StatementBase;
