/**
 * Real X.509 certificates for the emulator: RSA keys from Node's `crypto`, a self-signed v3
 * certificate signed with SHA-256 (what SQL Server 2017+ produces for `CREATE CERTIFICATE … WITH
 * SUBJECT`), and parsing of DER supplied by `CREATE CERTIFICATE … FROM BINARY`.
 */
import * as crypto from "node:crypto";
import { isIP } from "node:net";
import {
  bitString,
  boolean,
  children,
  decodeName,
  explicit,
  implicitPrimitive,
  nullValue,
  objectIdentifier,
  octetString,
  readElement,
  sequence,
  set,
  smallInteger,
  unsignedInteger,
  utf8String,
  x509Time,
} from "./der";

const OID_SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const OID_COMMON_NAME = "2.5.4.3";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";

/** What to put in a generated certificate. */
export interface CertificateRequest {
  /** Common name (the `WITH SUBJECT` text); the certificate's subject and issuer are `CN=<subject>`. */
  subject: string;
  /** Start of validity (UTC); truncated to whole seconds. */
  notBefore: Date;
  /** End of validity (UTC); truncated to whole seconds. */
  notAfter: Date;
  /** RSA modulus size in bits. Default 2048 (SQL Server 2016+ for generated certificates). */
  keyBits?: number;
  /** DNS names and IP addresses for a subjectAltName extension (needed for TLS server certificates). */
  altNames?: string[];
  /** Serial number bytes; default 16 random bytes with the top bit cleared. */
  serial?: Buffer;
}

/** A generated certificate with its private key. */
export interface GeneratedCertificate {
  /** The certificate in DER form (what `CERTENCODED` returns). */
  der: Buffer;
  /** The certificate as PEM. */
  certPem: string;
  /** The private key as unencrypted PKCS#8 PEM. */
  privateKeyPem: string;
}

/** The parts of a certificate the emulator's catalog and handshake check need. */
export interface ParsedCertificate {
  der: Buffer;
  /** SHA-1 of the DER, as `sys.certificates.thumbprint`. */
  thumbprint: Buffer;
  /** Subject as SQL Server shows it: the CN value when the subject is a single CN, else the full DN. */
  subject: string;
  /** Issuer, same convention as {@link subject}. */
  issuer: string;
  /** Serial number, as bytes. */
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** The public key, SPKI DER. */
  publicKeyDer: Buffer;
  /** RSA modulus size in bits (0 when not RSA). */
  keyBits: number;
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || "0", 16), i * 2));
  return out;
}

function altName(name: string): Buffer {
  const family = isIP(name);
  if (family === 4) return implicitPrimitive(7, Buffer.from(name.split(".").map(Number)));
  if (family === 6) return implicitPrimitive(7, ipv6Bytes(name));
  return implicitPrimitive(2, Buffer.from(name, "ascii"));
}

function commonNameDn(cn: string): Buffer {
  return sequence(set(sequence(objectIdentifier(OID_COMMON_NAME), utf8String(cn))));
}

function truncateToSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** Generates an RSA key pair and a self-signed certificate (async: key generation takes ~100 ms). */
export async function generateSelfSignedCertificate(req: CertificateRequest): Promise<GeneratedCertificate> {
  const { publicKey, privateKey } = await new Promise<crypto.KeyPairKeyObjectResult>((resolve, reject) =>
    crypto.generateKeyPair("rsa", { modulusLength: req.keyBits ?? 2048 }, (err, pub, priv) =>
      err ? reject(err) : resolve({ publicKey: pub, privateKey: priv }),
    ),
  );
  const serial = req.serial ?? crypto.randomBytes(16);
  if (!req.serial) serial[0]! &= 0x7f;
  const algorithm = sequence(objectIdentifier(OID_SHA256_WITH_RSA), nullValue());
  const name = commonNameDn(req.subject);
  const extensions: Buffer[] = [];
  if (req.altNames?.length) {
    extensions.push(sequence(objectIdentifier(OID_SUBJECT_ALT_NAME), octetString(sequence(...req.altNames.map(altName)))));
    extensions.push(sequence(objectIdentifier(OID_BASIC_CONSTRAINTS), boolean(true), octetString(sequence())));
  }
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(x509Time(truncateToSeconds(req.notBefore)), x509Time(truncateToSeconds(req.notAfter))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    ...(extensions.length ? [explicit(3, sequence(...extensions))] : []),
  );
  const signature = crypto.sign("sha256", tbs, privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  return {
    der,
    certPem: toPem(der, "CERTIFICATE"),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** Wraps DER in PEM armour. */
export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Extracts the DER of the first PEM block with the given label, or undefined. */
export function fromPem(pem: string, label = "CERTIFICATE"): Buffer | undefined {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ""), "base64") : undefined;
}

function displayName(attributes: Array<{ type: string; value: string }>): string {
  // A lone CN is shown bare, as SQL Server shows the subject it generated from `WITH SUBJECT`.
  if (attributes.length === 1 && attributes[0]!.type === "CN") return attributes[0]!.value;
  return attributes.map((a) => `${a.type}=${a.value}`).join(", ");
}

/** Issuer and subject Names read straight from the DER (Node's strings escape special characters). */
function names(der: Buffer): { issuer: string; subject: string } {
  const cert = readElement(der, 0);
  const tbs = children(der, cert)[0]!;
  const fields = children(der, tbs);
  const offset = fields[0]!.tag === 0xa0 ? 1 : 0; // optional [0] version
  return {
    issuer: displayName(decodeName(der, fields[offset + 2]!)),
    subject: displayName(decodeName(der, fields[offset + 4]!)),
  };
}

/**
 * Parses DER certificate bytes. Throws when the bytes are not a certificate (the caller maps that to
 * SQL Server error 15297).
 */
export function parseCertificate(der: Buffer): ParsedCertificate {
  const x = new crypto.X509Certificate(der);
  // Reject trailing garbage: the re-encoded certificate must be exactly the input.
  if (!x.raw.equals(der)) throw new Error("certificate has trailing data");
  const publicKey = x.publicKey;
  const details = publicKey.asymmetricKeyDetails;
  return {
    der: Buffer.from(x.raw),
    thumbprint: crypto.createHash("sha1").update(x.raw).digest(),
    ...names(x.raw),
    serial: Buffer.from(x.serialNumber.length % 2 ? "0" + x.serialNumber : x.serialNumber, "hex"),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    publicKeyDer: publicKey.export({ type: "spki", format: "der" }),
    keyBits: publicKey.asymmetricKeyType === "rsa" ? (details?.modulusLength ?? 0) : 0,
  };
}

/** True when the private key (PKCS#8 PEM) belongs to the certificate. */
export function privateKeyMatches(der: Buffer, privateKeyPem: string): boolean {
  return new crypto.X509Certificate(der).checkPrivateKey(crypto.createPrivateKey(privateKeyPem));
}
