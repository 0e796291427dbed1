import { describe, expect, it } from "vitest";
import { generateSelfSignedCertificate } from "../../../emulator/crypto/x509";
import { endpointPermissionProvider } from "../../../provider/resources/endpointPermission";
import { generatePassword, loginProvider } from "../../../provider/resources/login";
import { masterKeyProvider } from "../../../provider/resources/masterKey";
import { decodePublicKey, peerCertificateProvider } from "../../../provider/resources/peerCertificate";
import { userProvider } from "../../../provider/resources/user";
import { check, connection, failuresOf, UNKNOWN } from "./fixtures";

describe("MasterKey", () => {
  it("requires a password and adopts by default", async () => {
    expect(await failuresOf(masterKeyProvider, { connection })).toEqual({ password: "is required" });
    expect((await check(masterKeyProvider, { connection, password: "x" })).inputs.adopt).toBe(true);
  });
  it("changes the password in place only on a key this stack created", async () => {
    const state = { connection, password: "a", adopt: true, adopted: false, encryptedByServer: true };
    expect(await masterKeyProvider.diff!("id", state, { connection, password: "b", adopt: true })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect((await masterKeyProvider.diff!("id", { ...state, adopted: true }, { connection, password: "b", adopt: true })).changes).toBe(false);
  });
  it("repairs a key that lost its service-master-key encryption", async () => {
    const state = { connection, password: "a", adopt: true, adopted: false, encryptedByServer: false };
    expect((await masterKeyProvider.diff!("id", state, { connection, password: "a", adopt: true })).changes).toBe(true);
  });
  it("replaces when the server changes", async () => {
    const state = { connection, password: "a", adopted: false, encryptedByServer: true };
    expect((await masterKeyProvider.diff!("id", state, { connection: { ...connection, server: "x" }, password: "a" })).replaces).toEqual(["connection"]);
  });
});

describe("Login", () => {
  it("generates policy-proof passwords", () => {
    const p = generatePassword();
    expect(p).toHaveLength(36);
    expect(p).toMatch(/[a-z]/);
    expect(p).toMatch(/[A-Z]/);
    expect(p).toMatch(/[0-9]/);
    expect(generatePassword()).not.toBe(p);
  });
  it.each<[string, Record<string, unknown>, string, string]>([
    ["a Windows-style name", { name: "DOM\\peer" }, "name", "must not contain a backslash: DOMAIN\\name is a Windows login, SQL logins cannot have one"],
    ["a 129-character password", { name: "p", password: "x".repeat(129) }, "password", "is 129 characters long; SQL Server accepts at most 128, so shorten it"],
    ["no name", {}, "name", "is required"],
  ])("rejects %s", async (_l, override, property, reason) => {
    expect(await failuresOf(loginProvider, { connection, ...override })).toEqual({ [property]: reason });
  });
  it("keeps a generated password when none is given, updates a given one", async () => {
    const state = { connection, name: "l", password: "generated", checkPolicy: true };
    expect((await loginProvider.diff!("id", state, { connection, name: "l", checkPolicy: true })).changes).toBe(false);
    expect(await loginProvider.diff!("id", state, { connection, name: "l", password: "mine", checkPolicy: true })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect((await loginProvider.diff!("id", state, { connection, name: "l2", checkPolicy: true })).replaces).toEqual(["name"]);
  });
});

describe("User", () => {
  const state = { connection, name: "u", login: "l", principalId: 5 };
  it("remaps in place and replaces on a new name", async () => {
    expect(await userProvider.diff!("id", state, { connection, name: "u", login: "l2" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect((await userProvider.diff!("id", state, { connection, name: "u2", login: "l" })).replaces).toEqual(["name"]);
  });
  it("repairs an orphaned user (login dropped out of band)", async () => {
    expect((await userProvider.diff!("id", { ...state, login: null }, { connection, name: "u", login: "l" })).changes).toBe(true);
  });
  it("requires both names", async () => {
    expect(await failuresOf(userProvider, { connection })).toEqual({ name: "is required", login: "is required" });
  });
});

describe("PeerCertificate", () => {
  it("accepts base64 and 0x hex DER, refuses anything else", async () => {
    const { der } = await generateSelfSignedCertificate({ subject: "peer", notBefore: new Date(), notAfter: new Date(Date.now() + 864e5), keyBits: 1024 });
    expect(decodePublicKey(der.toString("base64"))).toEqual(der);
    expect(decodePublicKey("0x" + der.toString("hex").toUpperCase())).toEqual(der);
    expect(decodePublicKey("0x1234")).toBe("is not a valid DER X.509 certificate (SQL Server would refuse it with 15297)");
    expect(decodePublicKey("not base64!")).toBe("is neither base64 nor 0x-prefixed hex");
    expect(decodePublicKey(Buffer.concat([der, Buffer.from([0])]).toString("base64"))).toBe("holds bytes after the certificate: give exactly one DER certificate");
  });

  it("names the certificate after its key, so a rotation gets a new name", async () => {
    const a = await generateSelfSignedCertificate({ subject: "a", notBefore: new Date(), notAfter: new Date(Date.now() + 864e5), keyBits: 1024 });
    const b = await generateSelfSignedCertificate({ subject: "a", notBefore: new Date(), notAfter: new Date(Date.now() + 864e5), keyBits: 1024 });
    const ca = await check(peerCertificateProvider, { connection, owner: "u", publicKey: a.der.toString("base64"), namePrefix: "p" });
    const cb = await check(peerCertificateProvider, { connection, owner: "u", publicKey: b.der.toString("base64"), namePrefix: "p" });
    expect(ca.failures).toEqual([]);
    expect(ca.inputs.name).toMatch(/^p_[0-9a-f]{8}$/);
    expect(ca.inputs.name).not.toBe(cb.inputs.name);
    const d = await peerCertificateProvider.diff!("id", { ...ca.inputs, owner: "u" }, cb.inputs);
    expect(d.replaces).toEqual(["name", "publicKey"]);
    expect(d.deleteBeforeReplace).toBe(false);
  });

  it("leaves the name unknown while the key is unknown (preview of a rotation)", async () => {
    expect((await check(peerCertificateProvider, { connection, owner: "u", publicKey: UNKNOWN })).inputs.name).toBe(UNKNOWN);
  });

  it("rejects invalid DER and a missing source at preview", async () => {
    expect(await failuresOf(peerCertificateProvider, { connection, owner: "u", publicKey: "AAAA" })).toEqual({
      publicKey: "is not a valid DER X.509 certificate (SQL Server would refuse it with 15297)",
    });
    expect(await failuresOf(peerCertificateProvider, { connection, owner: "u" })).toEqual({ publicKey: "give exactly one of publicKey (DER) and file (a path on the server)" });
  });

  it("changes the owner in place", async () => {
    const state = { connection, name: "p", publicKey: "AAA", owner: "u1" };
    expect(await peerCertificateProvider.diff!("id", state, { connection, name: "p", publicKey: "AAA", owner: "u2" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
});

describe("EndpointPermission", () => {
  const state = { connection, endpoint: "e", login: "l", state: "GRANT" };
  it.each(["endpoint", "login"])("replaces on a new %s", async (key) => {
    expect((await endpointPermissionProvider.diff!("id", state, { connection, endpoint: "e", login: "l", [key]: "x" })).replaces).toEqual([key]);
  });
  it("re-grants after an out-of-band DENY", async () => {
    expect(await endpointPermissionProvider.diff!("id", { ...state, state: "DENY" }, { connection, endpoint: "e", login: "l" })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});
