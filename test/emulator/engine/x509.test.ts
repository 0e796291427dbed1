import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromPem, generateSelfSignedCertificate, parseCertificate, privateKeyMatches, toPem } from "../../../emulator/crypto/x509";

describe("x509 (the certificates behind CREATE CERTIFICATE)", () => {
  it("generates a self-signed certificate whose fields read back as SQL Server shows them", async () => {
    const generated = await generateSelfSignedCertificate({
      subject: "Mirroring, endpoint of Zoë's SQL1",
      notBefore: new Date("2030-01-01T00:00:00.750Z"),
      notAfter: new Date("2060-06-30T23:59:59Z"),
      keyBits: 1024,
    });
    const parsed = parseCertificate(generated.der);
    expect(parsed.subject).toBe("Mirroring, endpoint of Zoë's SQL1");
    expect(parsed.issuer).toBe(parsed.subject);
    // Whole seconds; a GeneralizedTime after 2049 still reads back.
    expect(parsed.notBefore).toEqual(new Date("2030-01-01T00:00:00Z"));
    expect(parsed.notAfter).toEqual(new Date("2060-06-30T23:59:59Z"));
    expect(parsed.thumbprint).toEqual(createHash("sha1").update(generated.der).digest());
    expect(parsed.keyBits).toBe(1024);
    expect(parsed.serial.length).toBeLessThanOrEqual(16);
    expect(parsed.der).toEqual(generated.der);
  });

  it("matches a private key to its certificate only", async () => {
    const a = await generateSelfSignedCertificate({ subject: "a", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    const b = await generateSelfSignedCertificate({ subject: "b", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    expect(privateKeyMatches(a.der, a.privateKeyPem)).toBe(true);
    expect(privateKeyMatches(a.der, b.privateKeyPem)).toBe(false);
  });

  it("uses the given serial number", async () => {
    const serial = Buffer.from("0102030405060708090a0b0c0d0e0f10", "hex");
    const c = await generateSelfSignedCertificate({ subject: "s", serial, notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    expect(parseCertificate(c.der).serial).toEqual(serial);
  });

  it("round-trips DER through PEM armour", async () => {
    const c = await generateSelfSignedCertificate({ subject: "p", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    expect(c.certPem).toBe(toPem(c.der, "CERTIFICATE"));
    expect(fromPem(c.certPem)).toEqual(c.der);
    expect(fromPem("no pem here")).toBeUndefined();
  });

  it("rejects anything that is not exactly one certificate", async () => {
    const c = await generateSelfSignedCertificate({ subject: "x", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    expect(() => parseCertificate(Buffer.concat([c.der, Buffer.from([0])]))).toThrow();
    expect(() => parseCertificate(c.der.subarray(0, 100))).toThrow();
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(() => parseCertificate(publicKey.export({ type: "spki", format: "der" }))).toThrow();
  });
});
