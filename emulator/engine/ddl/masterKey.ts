/**
 * CREATE / ALTER / OPEN / CLOSE / DROP MASTER KEY in `master` (reference section 1). The DMK is a real
 * 256-bit key kept only under its encryptions (keys.ts); "the key can be opened" means one of them
 * decrypts: the service-master-key copy, or the copy the session opened with OPEN MASTER KEY.
 */
import { randomUUID } from "node:crypto";
import type { StatementBody } from "../ast";
import type { ExecContext } from "../context";
import { fail } from "../errors";
import { decryptWithKey, decryptWithPassword, encryptWithKey, encryptWithPassword, newSymmetricKey, openPrivateKey, protectPrivateKey } from "../keys";
import { checkPasswordPolicy } from "../passwords";
import { MASTER_KEY_NAME, SERVICE_MASTER_KEY_NAME } from "../system";
import { requireSysadmin } from "./permissions";

/** Shown instead of a password in messages that have a slot for one (passwords are never echoed). */
const MASKED = "********";

/** The DMK if this session can open it now (SMK copy or OPEN MASTER KEY), else undefined. */
export function currentMasterKey(ctx: ExecContext): Buffer | undefined {
  const mk = ctx.catalog.state.masterKey;
  if (!mk) return undefined;
  const opened = ctx.session.openedMasterKey;
  if (opened && opened.keyGuid === mk.keyGuid) return opened.key;
  if (mk.serviceKeyEncryption) return decryptWithKey(mk.serviceKeyEncryption, ctx.catalog.state.serviceMasterKey);
  return undefined;
}

/** The DMK, or 15581 "Please create a master key in the database or open the master key…". */
export function requireMasterKey(ctx: ExecContext): Buffer {
  return currentMasterKey(ctx) ?? fail(15581);
}

function requireExisting(ctx: ExecContext, action: string) {
  return ctx.catalog.state.masterKey ?? fail(15151, action, "master key", MASTER_KEY_NAME);
}

function createMasterKey(ctx: ExecContext, password: string): void {
  const state = ctx.catalog.state;
  if (state.masterKey) fail(15578);
  checkPasswordPolicy(password);
  const key = newSymmetricKey();
  const now = ctx.instance.now();
  // SQL Server also protects a new DMK with the service master key, so it opens automatically.
  ctx.journal.assign(state, "masterKey", {
    keyGuid: randomUUID().toUpperCase(),
    createDate: now,
    modifyDate: now,
    passwordEncryptions: [encryptWithPassword(key, password)],
    serviceKeyEncryption: encryptWithKey(key, state.serviceMasterKey),
  });
}

/** REGENERATE: a new DMK; every MK-protected private key is re-encrypted under it. */
function regenerate(ctx: ExecContext, password: string, force: boolean): void {
  const state = ctx.catalog.state;
  const mk = requireExisting(ctx, "alter");
  checkPasswordPolicy(password);
  const oldKey = currentMasterKey(ctx);
  if (!oldKey && !force) fail(15329);
  const newKey = newSymmetricKey();
  for (const cert of state.certificates) {
    if (cert.privateKey?.protection !== "MK") continue;
    const opened = oldKey ? openPrivateKey(cert.privateKey.encrypted, oldKey) : undefined;
    if (opened?.ok) ctx.journal.assign(cert, "privateKey", { protection: "MK", encrypted: protectPrivateKey(opened.key, newKey) });
    else if (force) ctx.journal.assign(cert, "privateKey", undefined);
    else fail(15320, "certificate", cert.name);
  }
  const keyGuid = randomUUID().toUpperCase();
  ctx.journal.assign(state, "masterKey", {
    keyGuid,
    createDate: mk.createDate,
    modifyDate: ctx.instance.now(),
    passwordEncryptions: [encryptWithPassword(newKey, password)],
    serviceKeyEncryption: mk.serviceKeyEncryption ? encryptWithKey(newKey, state.serviceMasterKey) : undefined,
  });
  if (ctx.session.openedMasterKey) ctx.session.openedMasterKey = { keyGuid, key: newKey, openedAt: ctx.session.openedMasterKey.openedAt };
}

function addEncryption(ctx: ExecContext, password: string | undefined): void {
  const mk = requireExisting(ctx, "alter");
  if (password === undefined && mk.serviceKeyEncryption) fail(15557, "master key encryption", "service master key", SERVICE_MASTER_KEY_NAME);
  const key = requireMasterKey(ctx);
  if (password === undefined) {
    ctx.journal.assign(mk, "serviceKeyEncryption", encryptWithKey(key, ctx.catalog.state.serviceMasterKey));
  } else {
    checkPasswordPolicy(password);
    if (mk.passwordEncryptions.some((blob) => decryptWithPassword(blob, password))) fail(15557, "master key encryption", "password", MASKED);
    ctx.journal.assign(mk, "passwordEncryptions", [...mk.passwordEncryptions, encryptWithPassword(key, password)]);
  }
  ctx.journal.assign(mk, "modifyDate", ctx.instance.now());
}

function dropEncryption(ctx: ExecContext, password: string | undefined): void {
  const mk = requireExisting(ctx, "alter");
  if (password === undefined) {
    if (!mk.serviceKeyEncryption) fail(15313);
    ctx.journal.assign(mk, "serviceKeyEncryption", undefined);
  } else {
    const index = mk.passwordEncryptions.findIndex((blob) => decryptWithPassword(blob, password));
    if (index < 0) fail(15313);
    // The last password encryption cannot go: nothing could then recover the key.
    if (mk.passwordEncryptions.length === 1) fail(15558, "master key encryption", "password", MASKED);
    ctx.journal.assign(mk, "passwordEncryptions", mk.passwordEncryptions.filter((_, i) => i !== index));
  }
  ctx.journal.assign(mk, "modifyDate", ctx.instance.now());
}

function openMasterKey(ctx: ExecContext, password: string): void {
  const mk = requireExisting(ctx, "open");
  for (const blob of mk.passwordEncryptions) {
    const key = decryptWithPassword(blob, password);
    if (key) {
      ctx.session.openedMasterKey = { keyGuid: mk.keyGuid, key, openedAt: ctx.instance.now() };
      return;
    }
  }
  fail(15313);
}

function dropMasterKey(ctx: ExecContext): void {
  const state = ctx.catalog.state;
  requireExisting(ctx, "drop");
  const protectedCert = state.certificates.find((c) => c.privateKey?.protection === "MK");
  if (protectedCert) fail(15580, "master key", "certificate", protectedCert.name);
  ctx.journal.assign(state, "masterKey", undefined);
  ctx.session.openedMasterKey = undefined;
}

type MasterKeyStatement = Extract<StatementBody, { kind: "createMasterKey" | "alterMasterKey" | "openMasterKey" | "closeMasterKey" | "dropMasterKey" }>;

/** Runs a master key statement. */
export function executeMasterKey(ctx: ExecContext, s: MasterKeyStatement): void {
  if (s.kind !== "closeMasterKey") requireSysadmin(ctx);
  switch (s.kind) {
    case "createMasterKey":
      return createMasterKey(ctx, s.password);
    case "alterMasterKey":
      if (s.action === "regenerate") return regenerate(ctx, s.password, s.force);
      return s.action === "add" ? addEncryption(ctx, s.password) : dropEncryption(ctx, s.password);
    case "openMasterKey":
      return openMasterKey(ctx, s.password);
    case "closeMasterKey":
      ctx.session.openedMasterKey = undefined;
      return;
    case "dropMasterKey":
      return dropMasterKey(ctx);
  }
}
