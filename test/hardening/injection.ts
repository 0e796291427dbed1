/**
 * The whole path for hostile names and passwords: program → engine → provider → emulator. One
 * {@link InjectionCase} declares every resource kind on one instance with the case's names and
 * passwords; {@link runInjectionCase} runs up, checks the catalog read-back and that nothing else
 * changed, logs in as the created login with its password, changes the master key password, and
 * destroys, checking the catalog is exactly as before.
 */
import * as fc from "fast-check";
import * as sql from "mssql";
import { expect } from "vitest";
import type { EmulatorInstance } from "../../emulator";
import { generateSelfSignedCertificate } from "../../emulator/crypto/x509";
import { tsql } from "../engine/emulators";
import { reservePort } from "../support/ports";
import { recorded, type TestProject } from "../engine/pulumiProject";
import { conn, plain, ref, setCase, type Case } from "./support";

/** Names and passwords of one case. */
export interface InjectionCase {
  certificate: string;
  subject: string;
  endpoint: string;
  login: string;
  loginPassword: string;
  user: string;
  peerCertificate: string;
  masterKeyPassword: string;
  newMasterKeyPassword: string;
  backupFile: string;
  backupPassword: string;
}

/**
 * Pieces of hostile text: quoting characters, statement separators, comments, line breaks, the
 * N'…' and 0x literal prefixes, look-alike quotes (U+FF07, U+2019), and characters outside the BMP.
 */
export const HOSTILE = ["]", "[", "'", '"', ";", "--", "/*", "*/", "\n", "\r\n", "\t", "N'", "0x", " ", "%", "_", "é", "中", "＇", "’", "😀", "𝔘", "a", "Z", "9", "\\"];

/** At most `max` UTF-16 code units, never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

/** A name SQL Server accepts: 1–128 UTF-16 units, no trailing space (it would compare equal without it). */
function nameFrom(pieces: string[], options: { noBackslash?: boolean; prefix?: string } = {}): string {
  let text = (options.prefix ?? "") + pieces.join("");
  if (options.noBackslash) text = text.replace(/\\/g, "/");
  text = clip(text, 128).replace(/\s+$/u, "");
  return text === "" ? "x" : text;
}

/**
 * A password that passes the password policy SQL Server applies to master key and private key
 * passwords (8–128 characters, three character classes): a fixed head, then the hostile text, so the
 * literal still ends with whatever was generated (a `'`, say).
 */
function policyPassword(pieces: string[]): string {
  return `Aa9!${clip(pieces.join(""), 124)}`.padEnd(8, "x");
}

const piecesArb = (min: number, max: number) => fc.array(fc.constantFrom(...HOSTILE), { minLength: min, maxLength: max, size: "max" });

/** Generates a case inside SQL Server's real limits (what the validators enforce). */
export const injectionCaseArb: fc.Arbitrary<InjectionCase> = fc
  .record({
    certificate: piecesArb(1, 128),
    subject: piecesArb(1, 40),
    endpoint: piecesArb(1, 128),
    login: piecesArb(1, 128),
    loginPassword: piecesArb(1, 128),
    user: piecesArb(1, 128),
    peerCertificate: piecesArb(1, 128),
    masterKeyPassword: piecesArb(1, 128),
    newMasterKeyPassword: piecesArb(1, 128),
    backupFile: fc.array(fc.constantFrom("'", "]", "[", ";", "--", "é", "中", "😀", "N'", "0x", "a", "_"), { minLength: 1, maxLength: 30 }),
    backupPassword: piecesArb(1, 128),
  })
  .map((p) => ({
    // "c"/"p" prefixes keep the two certificate names apart (they share one namespace, case-insensitively).
    certificate: nameFrom(p.certificate, { prefix: "c" }),
    subject: clip(p.subject.join(""), 64).trim() || "s",
    endpoint: nameFrom(p.endpoint).replace(/^#+/, "") || "e",
    login: nameFrom(p.login, { noBackslash: true }),
    loginPassword: clip(p.loginPassword.join(""), 128),
    user: nameFrom(p.user),
    peerCertificate: nameFrom(p.peerCertificate, { prefix: "p" }),
    masterKeyPassword: policyPassword(p.masterKeyPassword),
    newMasterKeyPassword: policyPassword([...p.newMasterKeyPassword, "2"]),
    backupFile: p.backupFile.join(""),
    backupPassword: policyPassword(p.backupPassword),
  }));

let peerDer: Promise<Buffer> | undefined;
/** A real public certificate from elsewhere, imported as the peer's. */
function peerCertificateDer(): Promise<Buffer> {
  peerDer ??= generateSelfSignedCertificate({
    subject: "hardening peer",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
  }).then((c) => c.der);
  return peerDer;
}

/** The endpoint's port, reserved once per process: the endpoint really listens, beside other test files'. */
let endpointPort: Promise<number> | undefined;

/** The case as a program declaration. Names travel as JSON; passwords as plain strings the resources make secret. */
export async function injectionDeclaration(c: InjectionCase, masterKeyPassword = c.masterKeyPassword): Promise<Case> {
  const connection = conn(0);
  return {
    declare: [
      { type: "MasterKey", name: "mk", args: { connection, password: plain(masterKeyPassword) } },
      { type: "Certificate", name: "cert", args: { connection, name: c.certificate, subject: c.subject }, dependsOn: ["mk"] },
      {
        type: "CertificateBackup",
        name: "backup",
        args: { connection, certificateName: ref("cert.certificateName"), file: `${c.backupFile}.cer`, privateKey: { file: `${c.backupFile}.pvk`, password: plain(c.backupPassword) } },
      },
      { type: "MirroringEndpoint", name: "endpoint", args: { connection, name: c.endpoint, port: await (endpointPort ??= reservePort()), certificateName: ref("cert.certificateName") } },
      { type: "Login", name: "login", args: { connection, name: c.login, password: plain(c.loginPassword), checkPolicy: false } },
      { type: "User", name: "user", args: { connection, name: c.user, login: ref("login.name") } },
      { type: "PeerCertificate", name: "peer", args: { connection, name: c.peerCertificate, owner: ref("user.name"), publicKey: (await peerCertificateDer()).toString("base64") } },
      { type: "EndpointPermission", name: "grant", args: { connection, endpoint: ref("endpoint.name"), login: ref("login.name") }, dependsOn: ["peer"] },
    ],
  };
}

type Row = Record<string, unknown>;
type Snapshot = Record<string, Row[]>;

/** Rows added to and removed from each view between two snapshots (rows compared whole). */
function catalogDiff(before: Snapshot, after: Snapshot): Record<string, { added: Row[]; removed: Row[] }> {
  const out: Record<string, { added: Row[]; removed: Row[] }> = {};
  for (const view of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = (before[view] ?? []).map((r) => JSON.stringify(r));
    const a = (after[view] ?? []).map((r) => JSON.stringify(r));
    const added = a.filter((r) => !b.includes(r)).map((r) => JSON.parse(r) as Row);
    const removed = b.filter((r) => !a.includes(r)).map((r) => JSON.parse(r) as Row);
    if (added.length + removed.length > 0) out[view] = { added, removed };
  }
  return out;
}

/** `N'…'` for the test's own T-SQL (independent of the provider's quoting code). */
const literal = (text: string) => `N'${text.split("'").join("''")}'`;

async function loginAs(instance: EmulatorInstance, user: string, password: string): Promise<string> {
  const pool = new sql.ConnectionPool({
    server: "127.0.0.1",
    port: instance.port,
    user,
    password,
    options: { encrypt: true, cryptoCredentialsDetails: { ca: instance.tlsCertificate } },
    pool: { max: 1 },
  });
  await pool.connect();
  try {
    const result = await pool.request().query("SELECT SUSER_NAME() AS name");
    return String(result.recordset[0]!.name);
  } finally {
    await pool.close();
  }
}

async function masterKeyOpensWith(instance: EmulatorInstance, password: string): Promise<boolean> {
  try {
    await tsql(instance, `OPEN MASTER KEY DECRYPTION BY PASSWORD = ${literal(password)}; CLOSE MASTER KEY;`);
    return true;
  } catch (error) {
    if ((error as { number?: number }).number === 15313) return false;
    throw error;
  }
}

/** up, read back, nothing else changed, log in, change the master key password, destroy back to the original catalog. */
export async function runInjectionCase(project: TestProject, instance: EmulatorInstance, c: InjectionCase): Promise<void> {
  const before = instance.catalog() as unknown as Snapshot;
  try {
    await checkInjectionCase(project, instance, c, before);
  } catch (error) {
    // Leave the next case a clean instance.
    await project.stack.destroy({ color: "never" }).catch(() => undefined);
    throw error;
  }
}

async function checkInjectionCase(project: TestProject, instance: EmulatorInstance, c: InjectionCase, before: Snapshot): Promise<void> {
  await setCase(project, await injectionDeclaration(c));
  const up = await project.stack.up(recorded(project));
  expect(up.summary.resourceChanges).toEqual({ create: 9 });

  // Exactly the objects asked for, under exactly those names; every other change is theirs.
  const after = instance.catalog() as unknown as Snapshot;
  const diff = catalogDiff(before, after);
  const added = (view: string) => diff[view]?.added ?? [];
  expect(added("sys.certificates").map((r) => r.name).sort()).toEqual([c.certificate, c.peerCertificate].sort());
  expect(added("sys.endpoints").map((r) => r.name)).toEqual([c.endpoint]);
  expect(added("sys.database_mirroring_endpoints").map((r) => r.name)).toEqual([c.endpoint]);
  expect(added("sys.tcp_endpoints").map((r) => r.name)).toEqual([c.endpoint]);
  expect(added("sys.server_principals").map((r) => r.name)).toEqual([c.login]);
  expect(added("sys.sql_logins").map((r) => r.name)).toEqual([c.login]);
  expect(added("sys.database_principals").map((r) => r.name)).toEqual([c.user]);
  expect(added("sys.symmetric_keys").map((r) => r.name)).toEqual(["##MS_DatabaseMasterKey##"]);
  const certificate = added("sys.certificates").find((r) => r.name === c.certificate)!;
  expect(certificate.subject).toBe(c.subject);
  const peer = added("sys.certificates").find((r) => r.name === c.peerCertificate)!;
  const loginId = added("sys.server_principals")[0]!.principal_id;
  const endpointId = added("sys.endpoints")[0]!.endpoint_id;
  const userId = added("sys.database_principals")[0]!.principal_id;
  expect(peer.principal_id).toBe(userId);
  const permissions = added("sys.server_permissions");
  expect(permissions.filter((p) => p.class === 105 && p.major_id === endpointId && p.grantee_principal_id === loginId && String(p.type).trim() === "CO")).toHaveLength(1);
  expect(permissions.every((p) => p.grantee_principal_id === loginId)).toBe(true);
  expect(added("sys.key_encryptions").length).toBeGreaterThan(0);
  const expectedViews = new Set([
    "sys.certificates", "sys.endpoints", "sys.database_mirroring_endpoints", "sys.tcp_endpoints", "sys.server_principals", "sys.sql_logins",
    "sys.database_principals", "sys.symmetric_keys", "sys.server_permissions", "sys.key_encryptions", "sys.databases",
  ]);
  expect(Object.keys(diff).filter((v) => !expectedViews.has(v))).toEqual([]);
  for (const [view, { removed }] of Object.entries(diff)) {
    // Nothing that existed was dropped or altered — except master's "DMK encrypted by the SMK" flag.
    if (view === "sys.databases") {
      expect(removed.map((r) => r.name)).toEqual(["master"]);
      expect({ ...diff[view]!.added[0], is_master_key_encrypted_by_server: undefined }).toEqual({ ...removed[0], is_master_key_encrypted_by_server: undefined });
    } else expect({ view, removed }).toEqual({ view, removed: [] });
  }

  // The password works: the login logs in with it.
  expect(await loginAs(instance, c.login, c.loginPassword)).toBe(c.login);
  expect(await masterKeyOpensWith(instance, c.masterKeyPassword)).toBe(true);

  // A master key password change with the same kind of password.
  await setCase(project, await injectionDeclaration(c, c.newMasterKeyPassword));
  const change = await project.stack.up(recorded(project));
  expect(change.summary.resourceChanges).toEqual({ update: 1, same: 8 });
  expect(await masterKeyOpensWith(instance, c.newMasterKeyPassword)).toBe(true);
  expect(await masterKeyOpensWith(instance, c.masterKeyPassword)).toBe(false);

  await project.stack.destroy(recorded(project));
  expect(instance.catalog()).toEqual(before);
}
