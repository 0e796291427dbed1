/**
 * Certificates in `master`: the instance's own (generated, DMK-protected), peers' public
 * certificates (imported, owned by a peer user), owner changes, backups and drops.
 */
import { randomBytes } from "node:crypto";
import { certificateNamesByThumbprintQuery, certificateQuery } from "../catalog";
import type { Recordset, SqlClient } from "../client";
import { conflictError, displayName, SqlServerError } from "../errors";
import type { CertificateRecord } from "../records";
import {
  buildAlterCertificateOwner,
  buildBackupCertificate,
  buildCreateCertificate,
  buildCreatePeerCertificate,
  buildDropCertificate,
  buildProbeCertificateFile,
  certificateThumbprint,
  type CertificateBackupSpec,
  type CertificateSpec,
  type PeerCertificateSpec,
} from "../statements/certificate";
import { canonicalUtc, parseUtcDate } from "../validate";
import { alterAndReadBack, createAndReadBack, execute, mayBeOwnEarlierAttempt, notVisible, readOne, splitResults, type CreateOptions, type CreateResult, type OperationContext } from "./run";

function context(operation: string, name: string): OperationContext {
  return { operation, objectType: "certificate", objectName: name };
}

/** A certificate in master by name, or undefined. One request. */
export async function readCertificate(client: SqlClient, name: string): Promise<CertificateRecord | undefined> {
  return readOne(client, context("read", name), certificateQuery(name));
}

function sameDate(recorded: string, wanted: string | Date | undefined): boolean {
  if (wanted === undefined) return true;
  const date = parseUtcDate(wanted);
  return date instanceof Date && canonicalUtc(date) === recorded;
}

/**
 * Creates the instance's own certificate unless one of that name exists; one request. A
 * pre-existing certificate (`existedBefore`) may have another subject, dates or key: compare
 * `record` with the spec before adopting it.
 */
export async function createCertificate(client: SqlClient, spec: CertificateSpec, options: CreateOptions = {}): Promise<CreateResult<CertificateRecord>> {
  const ddl = buildCreateCertificate(spec);
  return createAndReadBack(
    client,
    context("create", spec.name),
    certificateQuery(spec.name),
    [ddl],
    (record) => record.subject === spec.subject && sameDate(record.startDate, spec.startDate) && sameDate(record.expiryDate, spec.expiryDate),
    options,
  );
}

/**
 * Imports a peer's public certificate unless one of that name exists; one request. For DER input
 * the same request first looks the certificate up by thumbprint: if it is already present under
 * another name, nothing is created and a `conflict` error (code `EDUPLICATECERT`) names that
 * certificate, since SQL Server keeps one copy per instance (15232). A pre-existing certificate of
 * this name may hold other key material: compare `record.thumbprint` before adopting it.
 */
export async function createPeerCertificate(client: SqlClient, spec: PeerCertificateSpec, options: CreateOptions = {}): Promise<CreateResult<CertificateRecord>> {
  const ctx = context("create", spec.name);
  const ddl = buildCreatePeerCertificate(spec);
  const query = certificateQuery(spec.name);
  const ownerMatches = (record: CertificateRecord) => spec.owner === undefined || record.owner === spec.owner;
  if (spec.der === undefined) return createAndReadBack(client, ctx, query, [ddl], ownerMatches, options);

  const thumbprint = certificateThumbprint(spec.der);
  const duplicates = certificateNamesByThumbprintQuery(thumbprint);
  const thumbprintHex = thumbprint.toString("hex").toUpperCase();
  let sent: { recordsets: Recordset[]; attempts: number };
  try {
    sent = await execute(client, ctx, [...query.statements, ...duplicates.statements, ddl, ...query.statements]);
  } catch (error) {
    if (!mayBeOwnEarlierAttempt(error, options)) throw error;
    const record = await readOne(client, ctx, query);
    if (record !== undefined && record.thumbprint === thumbprintHex && ownerMatches(record)) return { record, existedBefore: false };
    throw error;
  }
  const { recordsets, attempts } = sent;
  const [before, sameContent, after] = splitResults(recordsets, [1, 1, 1]);
  const record = query.map(after);
  const others = (duplicates.map(sameContent) ?? []).filter((name) => name !== spec.name);
  if (record === undefined && others.length > 0) {
    throw conflictError(
      { ...ctx, target: client.target },
      "EDUPLICATECERT",
      `the same certificate (thumbprint ${thumbprint.toString("hex").toUpperCase()}) is already present as ${others.map(displayName).join(", ")}; ` +
        "SQL Server keeps one copy per instance (Msg 15232) — use that certificate or drop it first",
    );
  }
  if (record === undefined) throw notVisible(client, ctx, "after CREATE");
  const matches = record.thumbprint === thumbprintHex && ownerMatches(record);
  return { record, existedBefore: query.map(before) !== undefined && !((attempts > 1 || options.resumed === true) && matches) };
}

/** Hands the certificate to another user (`ALTER AUTHORIZATION`) and reads it back; none when `current.owner` is already `owner`. */
export async function changeCertificateOwner(client: SqlClient, current: CertificateRecord, owner: string): Promise<CertificateRecord> {
  const ddl = current.owner === owner ? [] : [buildAlterCertificateOwner(current.name, owner)];
  return alterAndReadBack(client, context("change the owner of", current.name), certificateQuery(current.name), ddl, current);
}

/**
 * Writes `BACKUP CERTIFICATE` files on the server; one request. Not idempotent by nature: SQL
 * Server refuses an existing file (15240), and 15240 also means a bad path or missing permissions.
 * A 15240 on the first attempt stands. When it comes only on a retry, or when `options.resumed`
 * (an earlier run's reply was lost), the file is examined before the backup counts as done
 * ({@link buildProbeCertificateFile}, one more request): only a file that holds a certificate of
 * this master (the lost attempt's copy of it) is accepted; a missing or unreadable file, or one
 * holding another certificate, keeps the error, with what was found.
 */
export async function backupCertificate(client: SqlClient, spec: CertificateBackupSpec, options: CreateOptions = {}): Promise<void> {
  const ctx = context("back up", spec.name);
  try {
    await execute(client, ctx, [buildBackupCertificate(spec)]);
  } catch (error) {
    const mayBeOwn = error instanceof SqlServerError && error.number === 15240 && (error.attempts > 1 || options.resumed === true);
    if (!mayBeOwn) throw error;
    const found = await probeBackupFile(client, spec);
    if (found === "this master's certificate") return;
    throw conflictError({ ...ctx, target: client.target }, "EBACKUPFILE", `${error.message}; the file at that path ${found}, so it is not the earlier attempt's backup`);
  }
}

/** What a backup file at `spec.file` holds, as far as T-SQL can tell. */
async function probeBackupFile(client: SqlClient, spec: CertificateBackupSpec): Promise<"this master's certificate" | string> {
  const probe = `pulumi_backup_probe_${randomBytes(6).toString("hex")}`;
  try {
    const { recordsets } = await execute(client, context("examine the backup of", spec.name), buildProbeCertificateFile(spec.file, probe));
    const [[rows]] = splitResults(recordsets, [1]);
    return rows?.[0]?.loaded === 1 ? "holds another certificate" : "could not be read back";
  } catch (error) {
    if (error instanceof SqlServerError && error.number === 15232) return "this master's certificate";
    if (error instanceof SqlServerError && error.number === 15208) return "holds no certificate SQL Server can read (or is missing)";
    throw error;
  }
}

/** Drops the certificate if it exists; one request. Fails while an endpoint uses it or a user is mapped to it. */
export async function dropCertificate(client: SqlClient, name: string): Promise<void> {
  await execute(client, context("drop", name), [buildDropCertificate(name)]);
}
