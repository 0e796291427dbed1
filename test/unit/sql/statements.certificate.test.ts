import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  buildAlterCertificateOwner,
  buildBackupCertificate,
  buildCreateCertificate,
  buildCreatePeerCertificate,
  buildDropCertificate,
  certificateThumbprint,
} from "../../../provider/sql/statements/certificate";
import { SAMPLE_DER } from "./fakes";

const GUARD = "IF NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE name = @name)";
const nameParam = (value: string) => ({ name: { type: "nvarchar", value } });

describe("CREATE CERTIFICATE (generated, DMK-protected)", () => {
  it.each([
    ["subject only", {}, ""],
    ["start date", { startDate: "2025-01-01" }, ", START_DATE = N'2025-01-01T00:00:00'"],
    ["expiry date", { expiryDate: "2030-12-31T23:59:59Z" }, ", EXPIRY_DATE = N'2030-12-31T23:59:59'"],
    [
      "both dates, Date objects",
      { startDate: new Date("2025-01-01T00:00:00Z"), expiryDate: new Date("2026-01-01T12:00:00Z") },
      ", START_DATE = N'2025-01-01T00:00:00', EXPIRY_DATE = N'2026-01-01T12:00:00'",
    ],
  ])("%s", (_case, dates, clause) => {
    expect(buildCreateCertificate({ name: "sql1_cert", subject: "sql1 mirroring", ...dates })).toEqual({
      sql: `${GUARD} CREATE CERTIFICATE [sql1_cert] WITH SUBJECT = N'sql1 mirroring'${clause}`,
      params: nameParam("sql1_cert"),
      secrets: [],
    });
  });

  it("quotes the name and the subject, never uses ENCRYPTION BY PASSWORD", () => {
    const { sql, params } = buildCreateCertificate({ name: "c]'; --", subject: "O'Brien's [cert]" });
    expect(sql).toBe(`${GUARD} CREATE CERTIFICATE [c]]'; --] WITH SUBJECT = N'O''Brien''s [cert]'`);
    expect(params).toEqual(nameParam("c]'; --"));
    expect(sql).not.toMatch(/ENCRYPTION BY PASSWORD/);
  });

  it.each([
    [{ name: "", subject: "s" }, /^name: must not be empty/],
    [{ name: "c", subject: "" }, /^subject: must not be empty/],
    [{ name: "c", subject: "s".repeat(129) }, /^subject: .*at most 128/],
    [{ name: "c", subject: "s", startDate: "2025-13-01" }, /^startDate: /],
    [{ name: "c", subject: "s", expiryDate: "tomorrow" }, /^expiryDate: /],
    [{ name: "c", subject: "s", startDate: "2026-01-01", expiryDate: "2025-01-01" }, /^expiryDate: must be after startDate/],
  ])("refuses %j", (spec, reason) => {
    expect(() => buildCreateCertificate(spec)).toThrow(reason);
  });
});

describe("CREATE CERTIFICATE (peer, public key only)", () => {
  const thumbprint = createHash("sha1").update(SAMPLE_DER).digest();

  it("thumbprint is the SHA-1 of the DER", () => {
    expect(certificateThumbprint(SAMPLE_DER)).toEqual(thumbprint);
  });

  it("FROM BINARY with owner: guarded by name and by thumbprint", () => {
    expect(buildCreatePeerCertificate({ name: "peer_b_cert", owner: "peer_b_user", der: SAMPLE_DER })).toEqual({
      sql:
        `${GUARD} AND NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE thumbprint = @thumbprint) ` +
        "CREATE CERTIFICATE [peer_b_cert] AUTHORIZATION [peer_b_user] FROM BINARY = 0x3082010A0282010100C0FFEE",
      params: { ...nameParam("peer_b_cert"), thumbprint: { type: "varbinary", value: thumbprint } },
      secrets: [],
    });
  });

  it("FROM BINARY without owner", () => {
    expect(buildCreatePeerCertificate({ name: "p", der: SAMPLE_DER }).sql).toBe(
      `${GUARD} AND NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE thumbprint = @thumbprint) CREATE CERTIFICATE [p] FROM BINARY = 0x3082010A0282010100C0FFEE`,
    );
  });

  it("FROM FILE with owner", () => {
    expect(buildCreatePeerCertificate({ name: "p", owner: "u]", file: "/var/opt/mssql/data/o'b.cer" })).toEqual({
      sql: `${GUARD} CREATE CERTIFICATE [p] AUTHORIZATION [u]]] FROM FILE = N'/var/opt/mssql/data/o''b.cer'`,
      params: nameParam("p"),
      secrets: [],
    });
  });

  it("FROM FILE without owner", () => {
    expect(buildCreatePeerCertificate({ name: "p", file: "C:\\certs\\b.cer" }).sql).toBe(`${GUARD} CREATE CERTIFICATE [p] FROM FILE = N'C:\\certs\\b.cer'`);
  });

  it.each([
    [{ name: "p" }, /^der: give exactly one/],
    [{ name: "p", der: SAMPLE_DER, file: "x" }, /^der: give exactly one/],
    [{ name: "p", der: Buffer.alloc(0) }, /^der: must not be empty/],
    [{ name: "p", der: Buffer.from("04", "hex") }, /^der: is not a DER-encoded X.509 certificate/],
    [{ name: "p", file: "" }, /^file: must not be empty/],
    [{ name: "p", owner: "", der: SAMPLE_DER }, /^owner: must not be empty/],
  ])("refuses %j", (spec, reason) => {
    expect(() => buildCreatePeerCertificate(spec)).toThrow(reason);
  });
});

describe("other certificate statements", () => {
  it("owner change", () => {
    expect(buildAlterCertificateOwner("p]", "u")).toEqual({ sql: "ALTER AUTHORIZATION ON CERTIFICATE::[p]]] TO [u]", params: {}, secrets: [] });
  });

  it("backup, public part only", () => {
    expect(buildBackupCertificate({ name: "c1", file: "/backup/c1.cer" })).toEqual({
      sql: "BACKUP CERTIFICATE [c1] TO FILE = N'/backup/c1.cer'",
      params: {},
      secrets: [],
    });
  });

  it("backup with private key: password is a secret", () => {
    expect(buildBackupCertificate({ name: "c1", file: "/b/c1.cer", privateKey: { file: "/b/c1.pvk", password: "k'ey" } })).toEqual({
      sql: "BACKUP CERTIFICATE [c1] TO FILE = N'/b/c1.cer' WITH PRIVATE KEY (FILE = N'/b/c1.pvk', ENCRYPTION BY PASSWORD = N'k''ey')",
      params: {},
      secrets: ["k'ey"],
    });
  });

  it("backup refuses a missing private key password", () => {
    expect(() => buildBackupCertificate({ name: "c1", file: "/b/c1.cer", privateKey: { file: "/b/c1.pvk", password: "" } })).toThrow(/^privateKey.password: /);
  });

  it("drop: guarded", () => {
    expect(buildDropCertificate("c1")).toEqual({
      sql: "IF EXISTS (SELECT 1 FROM master.sys.certificates WHERE name = @name) DROP CERTIFICATE [c1]",
      params: nameParam("c1"),
      secrets: [],
    });
  });
});
