/**
 * Statements for certificates in `master`: the instance's own endpoint certificate (generated,
 * private key protected by the database master key) and peers' public certificates (imported from
 * DER bytes or a server-side file, owned by the user standing in for that peer).
 */
import { createHash } from "node:crypto";
import { statement, type SqlParams, type Statement } from "../client";
import { ValidationError } from "../errors";
import { binaryLiteral, formatDateTime, quoteIdentifier, quoteString } from "../quote";
import { assertSysname, assertValid, parseUtcDate, validateFilePath, validatePassword, validateSubject } from "../validate";

/** A certificate generated on the instance (the endpoint's own). */
export interface CertificateSpec {
  /** Certificate name (sysname). */
  name: string;
  /** `WITH SUBJECT`: ≤ 128 characters (≤ 64 on Linux). Shown in `sys.certificates.subject`. */
  subject: string;
  /** `START_DATE`, UTC (ISO-8601 string or Date). Default (SQL Server's): now. */
  startDate?: string | Date;
  /** `EXPIRY_DATE`, UTC. Default (SQL Server's): one year after the start date. */
  expiryDate?: string | Date;
}

/** A peer's public certificate, imported without a private key. Give exactly one of `der`, `file`. */
export interface PeerCertificateSpec {
  /** Certificate name (sysname). */
  name: string;
  /** `AUTHORIZATION`: the user in master that owns it, i.e. the identity the peer connects as. Default: the caller. */
  owner?: string;
  /** `FROM BINARY`: the DER-encoded X.509 certificate, e.g. the peer's `CERTENCODED` output. */
  der?: Buffer;
  /** `FROM FILE`: a path the SQL Server service account can read on the server. */
  file?: string;
}

/** A `BACKUP CERTIFICATE` to files on the server. */
export interface CertificateBackupSpec {
  /** Certificate to back up. */
  name: string;
  /** `TO FILE`: server-side path of the public certificate (DER); must not exist yet (15240). */
  file: string;
  /** `WITH PRIVATE KEY`: also write the private key, encrypted with `password` (secret). */
  privateKey?: { file: string; password: string };
}

/** SQL Server's thumbprint of a certificate: the SHA-1 of its DER encoding. */
export function certificateThumbprint(der: Buffer): Buffer {
  return createHash("sha1").update(der).digest();
}

const BY_NAME = "SELECT 1 FROM master.sys.certificates WHERE name = @name";

function nameParam(name: string): SqlParams {
  return { name: { type: "nvarchar", value: name } };
}

function parseDateArg(value: string | Date | undefined, property: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = parseUtcDate(value);
  if (typeof date === "string") throw new ValidationError(property, date);
  return date;
}

/**
 * `CREATE CERTIFICATE [n] WITH SUBJECT = N'…' [, START_DATE = …] [, EXPIRY_DATE = …]`, skipped when
 * a certificate of that name exists. Never `ENCRYPTION BY PASSWORD`: an endpoint only accepts a
 * certificate whose private key the DMK protects (28055).
 */
export function buildCreateCertificate(spec: CertificateSpec): Statement {
  const name = quoteIdentifier(spec.name, "name");
  assertValid("subject", validateSubject(spec.subject));
  const start = parseDateArg(spec.startDate, "startDate");
  const expiry = parseDateArg(spec.expiryDate, "expiryDate");
  if (start !== undefined && expiry !== undefined && expiry.getTime() <= start.getTime()) {
    throw new ValidationError("expiryDate", "must be after startDate (SQL Server raises 15213 otherwise)");
  }
  const dates =
    (start === undefined ? "" : `, START_DATE = ${formatDateTime(start)}`) + (expiry === undefined ? "" : `, EXPIRY_DATE = ${formatDateTime(expiry)}`);
  return statement(
    `IF NOT EXISTS (${BY_NAME}) CREATE CERTIFICATE ${name} WITH SUBJECT = ${quoteString(spec.subject)}${dates}`,
    nameParam(spec.name),
  );
}

/**
 * `CREATE CERTIFICATE [n] [AUTHORIZATION [u]] FROM BINARY = 0x…` (or `FROM FILE = N'…'`), skipped
 * when a certificate of that name exists. For DER input it is also skipped when the same
 * certificate (same thumbprint) is present under another name, which SQL Server would refuse with
 * 15232; the operation reports that case itself from its look-up.
 */
export function buildCreatePeerCertificate(spec: PeerCertificateSpec): Statement {
  const name = quoteIdentifier(spec.name, "name");
  const owner = spec.owner === undefined ? "" : ` AUTHORIZATION ${quoteIdentifier(spec.owner, "owner")}`;
  if ((spec.der === undefined) === (spec.file === undefined)) {
    throw new ValidationError("der", "give exactly one of der (the certificate bytes) or file (a server-side path)");
  }
  if (spec.der !== undefined) {
    const literal = binaryLiteral(spec.der, "der");
    if (spec.der[0] !== 0x30) throw new ValidationError("der", "is not a DER-encoded X.509 certificate (it must start with 0x30)");
    return statement(
      `IF NOT EXISTS (${BY_NAME}) AND NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE thumbprint = @thumbprint) ` +
        `CREATE CERTIFICATE ${name}${owner} FROM BINARY = ${literal}`,
      { ...nameParam(spec.name), thumbprint: { type: "varbinary", value: certificateThumbprint(spec.der) } },
    );
  }
  assertValid("file", validateFilePath(spec.file));
  return statement(`IF NOT EXISTS (${BY_NAME}) CREATE CERTIFICATE ${name}${owner} FROM FILE = ${quoteString(spec.file as string)}`, nameParam(spec.name));
}

/** `ALTER AUTHORIZATION ON CERTIFICATE::[n] TO [u]`: hands the certificate to another user. */
export function buildAlterCertificateOwner(name: string, owner: string): Statement {
  return statement(`ALTER AUTHORIZATION ON CERTIFICATE::${quoteIdentifier(name, "name")} TO ${quoteIdentifier(owner, "owner")}`);
}

/**
 * `BACKUP CERTIFICATE [n] TO FILE = N'…' [WITH PRIVATE KEY (FILE = N'…', ENCRYPTION BY PASSWORD = N'…')]`.
 * Not guarded: T-SQL cannot test for a file, and SQL Server refuses to overwrite one (15240).
 */
export function buildBackupCertificate(spec: CertificateBackupSpec): Statement {
  const name = quoteIdentifier(spec.name, "name");
  assertValid("file", validateFilePath(spec.file));
  let sql = `BACKUP CERTIFICATE ${name} TO FILE = ${quoteString(spec.file)}`;
  const secrets: string[] = [];
  if (spec.privateKey !== undefined) {
    assertValid("privateKey.file", validateFilePath(spec.privateKey.file));
    assertValid("privateKey.password", validatePassword(spec.privateKey.password));
    sql += ` WITH PRIVATE KEY (FILE = ${quoteString(spec.privateKey.file)}, ENCRYPTION BY PASSWORD = ${quoteString(spec.privateKey.password)})`;
    secrets.push(spec.privateKey.password);
  }
  return statement(sql, {}, secrets);
}

/**
 * Looks at what a backup file holds, changing nothing: `CREATE CERTIFICATE [probe] FROM FILE = N'…'`,
 * then whether it loaded (`loaded`, one recordset), then the probe dropped again. SQL Server keeps
 * one copy of a certificate per database (15232), so loading fails with 15232 exactly when the
 * file holds a certificate master already has; it loads when the file holds another certificate,
 * and fails with 15208 when there is no readable certificate at that path.
 */
export function buildProbeCertificateFile(file: string, probeName: string): Statement[] {
  assertValid("file", validateFilePath(file));
  const probe = quoteIdentifier(probeName, "probeName");
  const params = nameParam(probeName);
  return [
    statement(`CREATE CERTIFICATE ${probe} FROM FILE = ${quoteString(file)}`),
    statement(`SELECT COUNT(*) AS loaded FROM master.sys.certificates WHERE name = @name`, params),
    statement(`IF EXISTS (${BY_NAME}) DROP CERTIFICATE ${probe}`, params),
  ];
}

/** `DROP CERTIFICATE [n]`, skipped when there is none. */
export function buildDropCertificate(name: string): Statement {
  assertSysname(name, "name");
  return statement(`IF EXISTS (${BY_NAME}) DROP CERTIFICATE ${quoteIdentifier(name)}`, nameParam(name));
}
