/**
 * The encryption hierarchy, for real: a random 256-bit service master key (SMK) per instance; a
 * random 256-bit database master key (DMK) in `master`, stored only encrypted (AES-256-GCM) under each
 * of its passwords and, optionally, under the SMK; certificate private keys stored only as encrypted
 * PKCS#8 (PBES2, AES-256-CBC), with the DMK or a user password as the passphrase. A wrong password is
 * detected because decryption fails, so no password is ever kept, not even as a hash.
 */
import * as crypto from "node:crypto";

/** PBKDF2 rounds for password-derived keys: slow enough to be honest, fast enough for tests. */
const PBKDF2_ITERATIONS = 20_000;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A fresh 256-bit symmetric key (a DMK or the SMK). */
export function newSymmetricKey(): Buffer {
  return crypto.randomBytes(32);
}

function gcmEncrypt(key: Buffer, plain: Buffer, prefix: Buffer): Buffer {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([prefix, iv, cipher.getAuthTag(), body]);
}

function gcmDecrypt(key: Buffer, blob: Buffer, offset: number): Buffer | undefined {
  const iv = blob.subarray(offset, offset + IV_BYTES);
  const tag = blob.subarray(offset + IV_BYTES, offset + IV_BYTES + TAG_BYTES);
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(offset + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function passwordKey(password: string, salt: Buffer): Buffer {
  return crypto.pbkdf2Sync(Buffer.from(password, "utf16le"), salt, PBKDF2_ITERATIONS, 32, "sha256");
}

/** Encrypts `secret` under a password: `salt | iv | tag | ciphertext`. */
export function encryptWithPassword(secret: Buffer, password: string): Buffer {
  const salt = crypto.randomBytes(SALT_BYTES);
  return gcmEncrypt(passwordKey(password, salt), secret, salt);
}

/** Decrypts a blob from {@link encryptWithPassword}; undefined when the password is wrong. */
export function decryptWithPassword(blob: Buffer, password: string): Buffer | undefined {
  return gcmDecrypt(passwordKey(password, blob.subarray(0, SALT_BYTES)), blob, SALT_BYTES);
}

/** Encrypts `secret` under a 256-bit key: `iv | tag | ciphertext`. */
export function encryptWithKey(secret: Buffer, key: Buffer): Buffer {
  return gcmEncrypt(key, secret, Buffer.alloc(0));
}

/** Decrypts a blob from {@link encryptWithKey}; undefined when the key is wrong. */
export function decryptWithKey(blob: Buffer, key: Buffer): Buffer | undefined {
  return gcmDecrypt(key, blob, 0);
}

/** A passphrase for PKCS#8 encryption: a user password, or a key (the DMK). */
export type Passphrase = string | Buffer;

/** Encrypted PKCS#8 DER of `key` under `passphrase`. */
export function protectPrivateKey(key: crypto.KeyObject, passphrase: Passphrase): Buffer {
  return key.export({ type: "pkcs8", format: "der", cipher: "aes-256-cbc", passphrase });
}

/** Encrypted PKCS#8 PEM of `key` (the BACKUP CERTIFICATE … WITH PRIVATE KEY file format). */
export function protectPrivateKeyPem(key: crypto.KeyObject, password: string): string {
  return key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: password }).toString();
}

/** Result of opening an encrypted private key. */
export type OpenedKey = { ok: true; key: crypto.KeyObject } | { ok: false; reason: "password" | "format" };

/**
 * Opens an encrypted PKCS#8 key (DER bytes or PEM text). `password` when the data is an encrypted key
 * and the passphrase does not open it; `format` when it is not a private key at all.
 */
export function openPrivateKey(data: Buffer | string, passphrase: Passphrase): OpenedKey {
  const isPem = typeof data === "string";
  if (isPem ? !/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(data) : !looksLikeEncryptedPkcs8(data)) return { ok: false, reason: "format" };
  try {
    const key = isPem
      ? crypto.createPrivateKey({ key: data, format: "pem", passphrase })
      : crypto.createPrivateKey({ key: data, format: "der", type: "pkcs8", passphrase });
    return { ok: true, key };
  } catch {
    return { ok: false, reason: "password" };
  }
}

/** EncryptedPrivateKeyInfo starts SEQUENCE { SEQUENCE { OID pkcs5PBES2 … } … }. */
function looksLikeEncryptedPkcs8(der: Buffer): boolean {
  const pbes2 = Buffer.from("06092a864886f70d01050d", "hex");
  return der.length > 16 && der[0] === 0x30 && der.subarray(0, 32).includes(pbes2);
}
