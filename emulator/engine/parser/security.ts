/**
 * Parsing of the database master key and certificate statements (reference sections 1 and 2):
 * CREATE / ALTER / OPEN / CLOSE / DROP MASTER KEY, CREATE / ALTER / BACKUP / DROP CERTIFICATE and
 * ALTER AUTHORIZATION. Passwords, subjects, dates and paths must be literals (variables are a syntax
 * error, as on SQL Server).
 */
import type { CertificateSource, PrivateKeySpec, StatementBody } from "../ast";
import type { TokenStream } from "./stream";

/** `CREATE MASTER KEY ENCRYPTION BY PASSWORD = '…'` (after CREATE MASTER KEY). */
export function parseCreateMasterKey(s: TokenStream): StatementBody {
  s.expectWord("ENCRYPTION", "BY", "PASSWORD");
  return { kind: "createMasterKey", password: s.equalsString() };
}

/** ALTER MASTER KEY … (after ALTER MASTER KEY). */
export function parseAlterMasterKey(s: TokenStream): StatementBody {
  const force = s.acceptWord("FORCE");
  if (force || s.isWord("REGENERATE")) {
    s.expectWord("REGENERATE", "WITH", "ENCRYPTION", "BY", "PASSWORD");
    return { kind: "alterMasterKey", action: "regenerate", force, password: s.equalsString() };
  }
  const action = s.expectOneOf("ADD", "DROP") === "ADD" ? "add" : "drop";
  s.expectWord("ENCRYPTION", "BY");
  if (s.acceptWord("SERVICE", "MASTER", "KEY")) return { kind: "alterMasterKey", action };
  s.expectWord("PASSWORD");
  return { kind: "alterMasterKey", action, password: s.equalsString() };
}

/** `OPEN MASTER KEY DECRYPTION BY PASSWORD = '…'` (after OPEN MASTER KEY). */
export function parseOpenMasterKey(s: TokenStream): StatementBody {
  s.expectWord("DECRYPTION", "BY", "PASSWORD");
  return { kind: "openMasterKey", password: s.equalsString() };
}

/** The option list inside `PRIVATE KEY ( … )`, any order, each option once. */
function parsePrivateKeySpec(s: TokenStream): PrivateKeySpec {
  s.expectOperator("(");
  const spec: PrivateKeySpec = {};
  do {
    if (spec.file === undefined && spec.binary === undefined && s.acceptWord("FILE")) spec.file = s.equalsString();
    else if (spec.file === undefined && spec.binary === undefined && s.acceptWord("BINARY")) {
      s.expectOperator("=");
      spec.binary = s.binary();
    } else if (spec.decryptionPassword === undefined && s.acceptWord("DECRYPTION")) {
      s.expectWord("BY", "PASSWORD");
      spec.decryptionPassword = s.equalsString();
    } else if (spec.encryptionPassword === undefined && s.acceptWord("ENCRYPTION")) {
      s.expectWord("BY", "PASSWORD");
      spec.encryptionPassword = s.equalsString();
    } else throw s.syntaxError();
  } while (s.acceptOperator(","));
  s.expectOperator(")");
  return spec;
}

/** `WITH [FORMAT = 'PFX',] PRIVATE KEY ( … )` after FROM FILE / FROM BINARY, if present. */
function parseOptionalPrivateKey(s: TokenStream, allowFormat: boolean): PrivateKeySpec | undefined {
  if (!s.isWord("WITH") || !(s.isWords("WITH", "PRIVATE") || (allowFormat && s.isWords("WITH", "FORMAT")))) return undefined;
  s.next();
  if (s.isWord("FORMAT")) throw s.unsupported("FORMAT = 'PFX'");
  s.expectWord("PRIVATE", "KEY");
  return parsePrivateKeySpec(s);
}

/** CREATE CERTIFICATE … (after CREATE CERTIFICATE). */
export function parseCreateCertificate(s: TokenStream): StatementBody {
  const name = s.name();
  const owner = s.acceptWord("AUTHORIZATION") ? s.name() : undefined;
  let source: CertificateSource;
  if (s.acceptWord("FROM")) {
    if (s.isWord("ASSEMBLY") || s.isWord("EXECUTABLE")) throw s.unsupported(`CREATE CERTIFICATE … FROM ${s.peek().value.toUpperCase()}`);
    if (s.acceptWord("BINARY")) {
      s.expectOperator("=");
      const der = s.binary();
      source = { kind: "binary", der, privateKey: parseOptionalPrivateKey(s, false) };
    } else {
      s.expectWord("FILE");
      const path = s.equalsString();
      source = { kind: "file", path, privateKey: parseOptionalPrivateKey(s, true) };
    }
  } else {
    let encryptionPassword: string | undefined;
    if (s.acceptWord("ENCRYPTION")) {
      s.expectWord("BY", "PASSWORD");
      encryptionPassword = s.equalsString();
    }
    s.expectWord("WITH", "SUBJECT");
    const subject = s.equalsString();
    let startDate: string | undefined;
    let expiryDate: string | undefined;
    while (s.acceptOperator(",")) {
      if (startDate === undefined && s.acceptWord("START_DATE")) startDate = s.equalsString();
      else if (expiryDate === undefined && s.acceptWord("EXPIRY_DATE")) expiryDate = s.equalsString();
      else throw s.syntaxError();
    }
    source = { kind: "generate", subject, startDate, expiryDate, encryptionPassword };
  }
  let activeForBeginDialog: boolean | undefined;
  if (s.acceptWord("ACTIVE", "FOR", "BEGIN_DIALOG")) {
    s.expectOperator("=");
    activeForBeginDialog = s.expectOneOf("ON", "OFF") === "ON";
  }
  return { kind: "createCertificate", name, owner, source, activeForBeginDialog };
}

/** ALTER CERTIFICATE … (after ALTER CERTIFICATE). */
export function parseAlterCertificate(s: TokenStream): StatementBody {
  const name = s.name();
  if (s.acceptWord("REMOVE", "PRIVATE", "KEY")) return { kind: "alterCertificate", name, removePrivateKey: true };
  s.expectWord("WITH");
  if (s.acceptWord("ACTIVE", "FOR", "BEGIN_DIALOG")) {
    s.expectOperator("=");
    return { kind: "alterCertificate", name, activeForBeginDialog: s.expectOneOf("ON", "OFF") === "ON" };
  }
  s.expectWord("PRIVATE", "KEY");
  return { kind: "alterCertificate", name, privateKey: parsePrivateKeySpec(s) };
}

/** BACKUP CERTIFICATE … (after BACKUP CERTIFICATE). */
export function parseBackupCertificate(s: TokenStream): StatementBody {
  const name = s.name();
  s.expectWord("TO", "FILE");
  const file = s.equalsString();
  if (!s.acceptWord("WITH")) return { kind: "backupCertificate", name, file };
  if (s.isWord("FORMAT")) throw s.unsupported("FORMAT = 'PFX'");
  s.expectWord("PRIVATE", "KEY");
  const start = s.peek();
  const spec = parsePrivateKeySpec(s);
  // FILE and ENCRYPTION BY PASSWORD are mandatory here; BINARY has no meaning for a backup.
  if (spec.binary || spec.file === undefined || spec.encryptionPassword === undefined) throw s.syntaxError(start);
  return {
    kind: "backupCertificate",
    name,
    file,
    privateKey: { file: spec.file, encryptionPassword: spec.encryptionPassword, decryptionPassword: spec.decryptionPassword },
  };
}

/** ALTER AUTHORIZATION ON { CERTIFICATE | ENDPOINT } :: name TO principal (after ALTER AUTHORIZATION). */
export function parseAlterAuthorization(s: TokenStream): StatementBody {
  s.expectWord("ON");
  const objectClass = s.peek();
  if (!s.isWord("CERTIFICATE") && !s.isWord("ENDPOINT")) {
    if (objectClass.kind === "word" && s.isOperator("::", 1)) throw s.unsupported(`ALTER AUTHORIZATION ON ${objectClass.value.toUpperCase()}`);
    throw s.syntaxError();
  }
  s.next();
  s.expectOperator("::");
  const name = s.name();
  s.expectWord("TO");
  if (s.isWords("SCHEMA", "OWNER")) throw s.unsupported("ALTER AUTHORIZATION … TO SCHEMA OWNER");
  const principal = s.name();
  return { kind: "alterAuthorization", objectClass: objectClass.value.toUpperCase() as "CERTIFICATE" | "ENDPOINT", name, principal };
}
