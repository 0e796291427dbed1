/**
 * CREATE / ALTER / BACKUP / DROP CERTIFICATE (reference section 2) with real keys: generated
 * certificates are RSA 2048 / SHA-256, self-signed with the given subject and dates; FROM BINARY and
 * FROM FILE parse DER; private keys travel as encrypted PKCS#8 (DER for BINARY, PEM for files).
 */
import type { KeyObject } from "node:crypto";
import { createPrivateKey } from "node:crypto";
import type { PrivateKeySpec, StatementBody } from "../ast";
import { readBackupFile, writablePath, writeNewFile } from "../backupFiles";
import type { CertificateRecord, PrivateKeyRecord } from "../catalog";
import type { ExecContext } from "../context";
import { parseDateTime } from "../datetime";
import { fail, notFound } from "../errors";
import { openPrivateKey, protectPrivateKey, protectPrivateKeyPem } from "../keys";
import { checkPasswordPolicy } from "../passwords";
import { generateSelfSignedCertificate, parseCertificate, privateKeyMatches, type ParsedCertificate } from "../../crypto/x509";
import { requireMasterKey } from "./masterKey";
import { resolveOwnerUser } from "./users";

/** Longest subject SQL Server on Windows accepts (Linux: 64; see README). */
export const MAX_SUBJECT_LENGTH = 128;
/** RSA key size of generated certificates (SQL Server 2016–2019). */
export const GENERATED_KEY_BITS = 2048;

/** The certificate, or 15151 "Cannot <action> the certificate '…'…". */
export function requireCertificate(ctx: ExecContext, name: string, action = "find"): CertificateRecord {
  const cert = ctx.catalog.certificateByName(name);
  if (!cert || !(ctx.viewer.sysadmin || cert.ownerId === ctx.viewer.userId)) return notFound(action, "certificate", name);
  return cert;
}

/**
 * Opens a certificate's private key. MK keys need the master key (15581) and no password (15147);
 * PW keys need their password (15334 when missing, 15465 when wrong).
 */
export function openCertificateKey(ctx: ExecContext, cert: CertificateRecord, decryptionPassword?: string): KeyObject {
  const pk = cert.privateKey ?? fail(15563, "certificate");
  if (pk.protection === "MK") {
    if (decryptionPassword !== undefined) fail(15147, "certificate");
    const opened = openPrivateKey(pk.encrypted, requireMasterKey(ctx));
    return opened.ok ? opened.key : fail(15466);
  }
  if (decryptionPassword === undefined) fail(15334, "certificate");
  const opened = openPrivateKey(pk.encrypted, decryptionPassword);
  return opened.ok ? opened.key : fail(15465);
}

/** Protects a key under a password (PW, after the policy check) or the master key (MK). */
function protect(ctx: ExecContext, key: KeyObject, encryptionPassword?: string): PrivateKeyRecord {
  if (encryptionPassword !== undefined) {
    checkPasswordPolicy(encryptionPassword);
    return { protection: "PW", encrypted: protectPrivateKey(key, encryptionPassword) };
  }
  return { protection: "MK", encrypted: protectPrivateKey(key, requireMasterKey(ctx)) };
}

/** Reads the private key of `WITH PRIVATE KEY (FILE | BINARY …)` and checks it belongs to `der`. */
async function importPrivateKey(ctx: ExecContext, der: Buffer, spec: PrivateKeySpec): Promise<KeyObject> {
  const data = spec.binary ?? (await readBackupFile(ctx.instance.backupDir, spec.file!)).toString("utf8");
  // The key files and blobs the emulator writes are always password-encrypted.
  if (spec.decryptionPassword === undefined) fail(15465);
  const opened = openPrivateKey(data, spec.decryptionPassword);
  if (!opened.ok) return opened.reason === "password" ? fail(15465) : fail(15297);
  const bits = opened.key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (opened.key.asymmetricKeyType !== "rsa" || bits < 384 || bits > 4096 || bits % 64 !== 0) fail(15464);
  if (!privateKeyMatches(der, opened.key.export({ type: "pkcs8", format: "pem" }).toString())) fail(15474, "certificate");
  return opened.key;
}

function parseDer(der: Buffer, invalid: number): ParsedCertificate {
  try {
    return parseCertificate(der);
  } catch {
    return fail(invalid);
  }
}

/** 15232 when the name or the certificate itself (thumbprint) is already present. */
function checkUnique(ctx: ExecContext, name: string, thumbprint?: Buffer): void {
  const clash = ctx.catalog.certificateByName(name) ?? (thumbprint && ctx.catalog.state.certificates.find((c) => ctx.catalog.certificateInfo(c).thumbprint.equals(thumbprint)));
  if (clash) fail(15232, name);
}

type CreateCertificate = Extract<StatementBody, { kind: "createCertificate" }>;

async function createCertificate(ctx: ExecContext, s: CreateCertificate): Promise<void> {
  if (!ctx.viewer.sysadmin) fail(262, "CREATE CERTIFICATE", "master");
  checkUnique(ctx, s.name);
  const ownerId = s.owner === undefined ? ctx.viewer.userId : resolveOwnerUser(ctx, s.owner, "certificate");
  let der: Buffer;
  let privateKey: PrivateKeyRecord | undefined;
  let warning: number | undefined;
  const source = s.source;
  if (source.kind === "generate") {
    if (source.subject.length < 1 || source.subject.length > MAX_SUBJECT_LENGTH) fail(15212, MAX_SUBJECT_LENGTH);
    const now = ctx.instance.now();
    const start = source.startDate === undefined ? now : parseDateTime(source.startDate, ctx.session.settings.dateFormat);
    const expiry = source.expiryDate === undefined ? oneYearAfter(start) : parseDateTime(source.expiryDate, ctx.session.settings.dateFormat);
    if (expiry < start) fail(15213);
    // Fail on the protection before spending time on a key pair.
    if (source.encryptionPassword !== undefined) checkPasswordPolicy(source.encryptionPassword);
    else requireMasterKey(ctx);
    const generated = await generateSelfSignedCertificate({ subject: source.subject, notBefore: start, notAfter: expiry, keyBits: GENERATED_KEY_BITS });
    der = generated.der;
    privateKey = protect(ctx, createPrivateKey(generated.privateKeyPem), source.encryptionPassword);
    const info = parseCertificate(der);
    // Worded as warnings: the certificate is created (reference §9 item 4, see README).
    if (info.notAfter < now) warning = 15214;
    else if (info.notBefore > now) warning = 15215;
  } else {
    der = source.kind === "binary" ? source.der : await readBackupFile(ctx.instance.backupDir, source.path);
    const info = parseDer(der, source.kind === "binary" ? 15297 : 15208);
    checkUnique(ctx, s.name, info.thumbprint);
    if (source.privateKey) {
      const key = await importPrivateKey(ctx, der, source.privateKey);
      privateKey = protect(ctx, key, source.privateKey.encryptionPassword);
    }
  }
  // Key generation and file reads yield to other sessions: check the names again before inserting.
  checkUnique(ctx, s.name, parseCertificate(der).thumbprint);
  const record: CertificateRecord = { id: ctx.catalog.allocate("certificate"), name: s.name, ownerId, der, privateKey, activeForBeginDialog: s.activeForBeginDialog ?? true };
  ctx.journal.insert(ctx.catalog.state.certificates, record);
  if (warning) ctx.infos.push({ number: warning, args: [] });
}

function oneYearAfter(d: Date): Date {
  const next = new Date(d.getTime());
  next.setUTCFullYear(next.getUTCFullYear() + 1);
  return next;
}

type AlterCertificate = Extract<StatementBody, { kind: "alterCertificate" }>;

async function alterCertificate(ctx: ExecContext, s: AlterCertificate): Promise<void> {
  const cert = requireCertificate(ctx, s.name);
  if (s.removePrivateKey) {
    if (cert.privateKey) ctx.journal.assign(cert, "privateKey", undefined);
    return;
  }
  if (s.activeForBeginDialog !== undefined) {
    ctx.journal.assign(cert, "activeForBeginDialog", s.activeForBeginDialog);
    return;
  }
  const spec = s.privateKey!;
  if (spec.file !== undefined || spec.binary !== undefined) {
    if (cert.privateKey) fail(15332);
    const key = await importPrivateKey(ctx, cert.der, spec);
    ctx.journal.assign(cert, "privateKey", protect(ctx, key, spec.encryptionPassword));
    return;
  }
  // Only the protection changes: MK → PW needs an encryption password; PW → anything needs the old one.
  if (!cert.privateKey) fail(15563, "certificate");
  if (cert.privateKey.protection === "MK" && spec.encryptionPassword === undefined) fail(15146, "certificate");
  const key = openCertificateKey(ctx, cert, spec.decryptionPassword);
  ctx.journal.assign(cert, "privateKey", protect(ctx, key, spec.encryptionPassword));
}

type BackupCertificate = Extract<StatementBody, { kind: "backupCertificate" }>;

async function backupCertificate(ctx: ExecContext, s: BackupCertificate): Promise<void> {
  const cert = requireCertificate(ctx, s.name);
  const folder = ctx.instance.backupDir;
  const certPath = await writablePath(folder, s.file);
  let keyFile: { path: string; pem: string } | undefined;
  if (s.privateKey) {
    if (!cert.privateKey) fail(15246, cert.name);
    const keyPath = await writablePath(folder, s.privateKey.file);
    if (keyPath === certPath) fail(15240, s.privateKey.file);
    const key = openCertificateKey(ctx, cert, s.privateKey.decryptionPassword);
    checkPasswordPolicy(s.privateKey.encryptionPassword);
    keyFile = { path: keyPath, pem: protectPrivateKeyPem(key, s.privateKey.encryptionPassword) };
  }
  await writeNewFile(certPath, s.file, cert.der);
  const date = ctx.instance.now();
  ctx.journal.insert(ctx.catalog.state.backups, { path: certPath, certificate: cert.name, kind: "certificate", date });
  if (keyFile) {
    await writeNewFile(keyFile.path, s.privateKey!.file, keyFile.pem);
    ctx.journal.insert(ctx.catalog.state.backups, { path: keyFile.path, certificate: cert.name, kind: "privateKey", date });
    ctx.journal.assign(cert, "privateKeyBackupDate", date);
  }
}

function dropCertificate(ctx: ExecContext, name: string): void {
  const cert = requireCertificate(ctx, name, "drop");
  // An endpoint authenticating with the certificate depends on it (reference §9 item 1).
  if (ctx.catalog.state.endpoints.some((e) => e.certificateId === cert.id)) fail(15352, "certificate");
  ctx.journal.remove(ctx.catalog.state.certificates, cert);
}

type CertificateStatement = Extract<StatementBody, { kind: "createCertificate" | "alterCertificate" | "backupCertificate" | "dropCertificate" }>;

/** Runs a certificate statement. */
export async function executeCertificate(ctx: ExecContext, s: CertificateStatement): Promise<void> {
  switch (s.kind) {
    case "createCertificate":
      return createCertificate(ctx, s);
    case "alterCertificate":
      return alterCertificate(ctx, s);
    case "backupCertificate":
      return backupCertificate(ctx, s);
    case "dropCertificate":
      return dropCertificate(ctx, s.name);
  }
}
