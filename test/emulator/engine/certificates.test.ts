import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSelfSignedCertificate } from "../../../emulator/crypto/x509";
import { STRONG, certificateDer, errorOf, nvarchar, ok, openInstance, rows, run, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
});
afterEach(async () => {
  await t.engine.close();
});

const KEY_PASSWORD = "K3y!Passw0rd";
const withMasterKey = () => ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
const certificate = async (name: string) => (await rows(t.sa, "SELECT * FROM sys.certificates WHERE name = @n", [nvarchar("@n", name)]))[0];

describe("CREATE CERTIFICATE … WITH SUBJECT", () => {
  it("generates an RSA 2048 self-signed certificate under the master key, with every sys.certificates column", async () => {
    await withMasterKey();
    await ok(t.sa, "CREATE CERTIFICATE [Local Cert] WITH SUBJECT = N'Mirroring endpoint of SQL1', START_DATE = '20300101', EXPIRY_DATE = '2035-06-30T12:34:56'");
    const c = await certificate("Local Cert");
    const der = await certificateDer(t.sa, "Local Cert");
    const thumbprint = createHash("sha1").update(der).digest();
    expect(c).toEqual({
      name: "Local Cert",
      certificate_id: 256,
      principal_id: 1,
      pvt_key_encryption_type: "MK",
      pvt_key_encryption_type_desc: "ENCRYPTED_BY_MASTER_KEY",
      is_active_for_begin_dialog: true,
      issuer_name: "Mirroring endpoint of SQL1",
      cert_serial_number: expect.stringMatching(/^([0-9a-f]{2} ){15}[0-9a-f]{2}$/),
      sid: Buffer.concat([Buffer.from("010600000000000901000000", "hex"), thumbprint]),
      string_sid: `S-1-9-1-${[0, 4, 8, 12, 16].map((o) => thumbprint.readUInt32LE(o)).join("-")}`,
      subject: "Mirroring endpoint of SQL1",
      expiry_date: new Date("2035-06-30T12:34:56Z"),
      start_date: new Date("2030-01-01T00:00:00Z"),
      thumbprint,
      attested_by: null,
      pvt_key_last_backup_date: null,
      key_length: 2048,
    });
    expect(await scalar(t.sa, "SELECT USER_NAME(principal_id) FROM sys.certificates WHERE name = N'Local Cert'")).toBe("dbo");
  });

  it("defaults START_DATE to now and EXPIRY_DATE to one year later", async () => {
    await withMasterKey();
    t.clock.now = new Date("2030-03-04T05:06:07.890Z");
    await ok(t.sa, "CREATE CERTIFICATE d WITH SUBJECT = N'd'");
    expect(await rows(t.sa, "SELECT start_date, expiry_date FROM sys.certificates")).toEqual([{ start_date: new Date("2030-03-04T05:06:07Z"), expiry_date: new Date("2031-03-04T05:06:07Z") }]);
  });

  it.each([
    ["20300102", "2030-01-02T00:00:00Z"],
    ["2030-01-02", "2030-01-02T00:00:00Z"],
    ["2030-01-02T03:04:05.678", "2030-01-02T03:04:05Z"],
    ["20300102 03:04:05", "2030-01-02T03:04:05Z"],
    ["01/02/2030", "2030-01-02T00:00:00Z"],
  ])("reads START_DATE '%s' as %s (UTC, DATEFORMAT mdy)", async (text, expected) => {
    await withMasterKey();
    await ok(t.sa, `CREATE CERTIFICATE d WITH SUBJECT = N'd', START_DATE = '${text}', EXPIRY_DATE = '20400101'`);
    expect(await scalar(t.sa, "SELECT start_date FROM sys.certificates")).toEqual(new Date(expected));
  });

  it("follows SET DATEFORMAT for numeric dates", async () => {
    await withMasterKey();
    await ok(t.sa, "SET DATEFORMAT dmy; CREATE CERTIFICATE d WITH SUBJECT = N'd', START_DATE = '01/02/2030', EXPIRY_DATE = '20400101'");
    expect(await scalar(t.sa, "SELECT start_date FROM sys.certificates")).toEqual(new Date("2030-02-01T00:00:00Z"));
  });

  it("rejects an unreadable date with 241", async () => {
    await withMasterKey();
    expect(await errorOf(t.sa, "CREATE CERTIFICATE d WITH SUBJECT = N'd', START_DATE = '2030-13-01'")).toMatchObject({
      number: 241,
      message: "Conversion failed when converting date and/or time from character string.",
    });
  });

  it("needs a master key unless a password protects the key (15581)", async () => {
    expect(await errorOf(t.sa, "CREATE CERTIFICATE c WITH SUBJECT = N'c'")).toMatchObject({
      number: 15581,
      class: 16,
      message: "Please create a master key in the database or open the master key in the session before performing this operation.",
    });
    await ok(t.sa, `CREATE CERTIFICATE c ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}' WITH SUBJECT = N'c'`);
    expect(await certificate("c")).toMatchObject({ pvt_key_encryption_type: "PW", pvt_key_encryption_type_desc: "ENCRYPTED_BY_PASSWORD" });
    expect((await errorOf(t.sa, "CREATE CERTIFICATE weak ENCRYPTION BY PASSWORD = N'weak' WITH SUBJECT = N'c'")).number).toBe(15116);
  });

  it("accepts subjects of 1 to 128 characters (15212 otherwise)", async () => {
    await withMasterKey();
    await ok(t.sa, `CREATE CERTIFICATE s128 WITH SUBJECT = N'${"s".repeat(128)}'`);
    expect(await scalar(t.sa, "SELECT subject FROM sys.certificates WHERE name = 's128'")).toBe("s".repeat(128));
    expect(await errorOf(t.sa, `CREATE CERTIFICATE s129 WITH SUBJECT = N'${"s".repeat(129)}'`)).toMatchObject({
      number: 15212,
      message: "Invalid certificate subject. The certificate subject must have between 1 and 128 characters.",
    });
    expect((await errorOf(t.sa, "CREATE CERTIFICATE s0 WITH SUBJECT = N''")).number).toBe(15212);
  });

  it("refuses an expiry date before the start date (15213) and creates nothing", async () => {
    await withMasterKey();
    expect((await errorOf(t.sa, "CREATE CERTIFICATE bad WITH SUBJECT = N'b', START_DATE = '20310101', EXPIRY_DATE = '20300101'")).number).toBe(15213);
    expect(await certificate("bad")).toBeUndefined();
  });

  it("creates an already expired or not yet valid certificate with the 15214 / 15215 warning", async () => {
    await withMasterKey();
    const expired = await ok(t.sa, "CREATE CERTIFICATE old WITH SUBJECT = N'o', START_DATE = '20200101', EXPIRY_DATE = '20210101'");
    expect(expired).toEqual([{ kind: "info", info: { number: 15214, state: 1, class: 10, message: "Warning: The certificate you created is expired.", line: 1 } }, { kind: "done" }]);
    const future = await ok(t.sa, "CREATE CERTIFICATE future WITH SUBJECT = N'f', START_DATE = '20350101', EXPIRY_DATE = '20360101'");
    expect(future[0]).toMatchObject({ kind: "info", info: { number: 15215 } });
    expect((await rows(t.sa, "SELECT name FROM sys.certificates ORDER BY name")).map((r) => r.name)).toEqual(["future", "old"]);
  });

  it("refuses a duplicate name (15232) whatever the case", async () => {
    await withMasterKey();
    await ok(t.sa, "CREATE CERTIFICATE dup WITH SUBJECT = N'a'");
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "CREATE CERTIFICATE DUP WITH SUBJECT = N'b'")).toMatchObject({
      number: 15232,
      message: "A certificate with name 'DUP' already exists or this certificate already has been added to the database.",
    });
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("is refused to a login that is not sysadmin (262)", async () => {
    await ok(t.sa, `CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    const plain = t.engine.openSession("plain");
    expect(await errorOf(plain, "CREATE CERTIFICATE c WITH SUBJECT = N'c'")).toMatchObject({ number: 262, message: "CREATE CERTIFICATE permission denied in database 'master'." });
    plain.close();
  });
});

describe("CREATE CERTIFICATE … FROM BINARY (CERTENCODED round trip)", () => {
  it("imports the public key only, owned by a user, with the same thumbprint and DER", async () => {
    const peer = await openInstance();
    await ok(peer.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'; CREATE CERTIFICATE peer_cert WITH SUBJECT = N'peer'`);
    const der = await certificateDer(peer.sa, "peer_cert");
    await ok(t.sa, `CREATE LOGIN peer_login WITH PASSWORD = N'${STRONG}'; CREATE USER peer_user FOR LOGIN peer_login`);
    await ok(t.sa, `CREATE CERTIFICATE peer_cert_copy AUTHORIZATION peer_user FROM BINARY = 0x${der.toString("hex")}`);
    const [original] = await rows(peer.sa, "SELECT thumbprint, cert_serial_number, subject, issuer_name, start_date, expiry_date FROM sys.certificates");
    const copy = await certificate("peer_cert_copy");
    expect(copy).toMatchObject({ ...original, pvt_key_encryption_type: "NA", pvt_key_encryption_type_desc: "NO_PRIVATE_KEY", principal_id: 5 });
    expect(await certificateDer(t.sa, "peer_cert_copy")).toEqual(der);
    expect(await scalar(t.sa, "SELECT USER_NAME(principal_id) FROM sys.certificates WHERE name = N'peer_cert_copy'")).toBe("peer_user");
    // The same certificate under another name is a duplicate too.
    expect((await errorOf(t.sa, `CREATE CERTIFICATE again FROM BINARY = 0x${der.toString("hex")}`)).number).toBe(15232);
    await peer.engine.close();
  });

  it("rejects bytes that are not a certificate (15297)", async () => {
    const der = (await generateSelfSignedCertificate({ subject: "x", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 })).der;
    for (const bad of ["0x", "0x3082", `0x${der.toString("hex")}00`, `0x${der.subarray(0, der.length - 1).toString("hex")}`]) {
      expect(await errorOf(t.sa, `CREATE CERTIFICATE bad FROM BINARY = ${bad}`)).toMatchObject({ number: 15297, message: "The certificate, asymmetric key, or private key data is invalid." });
    }
  });

  it("checks the owner: unknown user 15151, role 15345", async () => {
    const der = (await generateSelfSignedCertificate({ subject: "x", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 })).der;
    expect(await errorOf(t.sa, `CREATE CERTIFICATE c AUTHORIZATION nobody FROM BINARY = 0x${der.toString("hex")}`)).toMatchObject({
      number: 15151,
      message: "Cannot find the user 'nobody', because it does not exist or you do not have permission.",
    });
    expect(await errorOf(t.sa, `CREATE CERTIFICATE c AUTHORIZATION db_owner FROM BINARY = 0x${der.toString("hex")}`)).toMatchObject({
      number: 15345,
      message: "An entity of type certificate cannot be owned by a role, a group, or by principals mapped to certificates or asymmetric keys.",
    });
  });

  it("imports a private key exported with CERTPRIVATEKEY (WITH PRIVATE KEY (BINARY …))", async () => {
    await withMasterKey();
    await ok(t.sa, "CREATE CERTIFICATE src WITH SUBJECT = N'src'");
    const der = await certificateDer(t.sa, "src");
    const key = (await scalar(t.sa, `SELECT CERTPRIVATEKEY(CERT_ID(N'src'), N'${KEY_PASSWORD}')`)) as Buffer;
    const other = await openInstance();
    await ok(other.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    expect((await errorOf(other.sa, `CREATE CERTIFICATE src FROM BINARY = 0x${der.toString("hex")} WITH PRIVATE KEY (BINARY = 0x${key.toString("hex")}, DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd')`)).number).toBe(15465);
    await ok(other.sa, `CREATE CERTIFICATE src FROM BINARY = 0x${der.toString("hex")} WITH PRIVATE KEY (BINARY = 0x${key.toString("hex")}, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    expect(await scalar(other.sa, "SELECT pvt_key_encryption_type FROM sys.certificates")).toBe("MK");
    await other.engine.close();
  });
});

describe("BACKUP CERTIFICATE and CREATE CERTIFICATE … FROM FILE", () => {
  beforeEach(async () => {
    await withMasterKey();
    await ok(t.sa, "CREATE CERTIFICATE local_cert WITH SUBJECT = N'local', START_DATE = '20300101', EXPIRY_DATE = '20310101'");
  });

  it("writes the DER, and with PRIVATE KEY an encrypted PKCS#8 PEM; records the backup date", async () => {
    await ok(t.sa, `BACKUP CERTIFICATE local_cert TO FILE = N'local.cer' WITH PRIVATE KEY (FILE = N'local.pvk', ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    expect(await readFile(path.join(t.backupDir, "local.cer"))).toEqual(await certificateDer(t.sa, "local_cert"));
    expect(await readFile(path.join(t.backupDir, "local.pvk"), "utf8")).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(await scalar(t.sa, "SELECT pvt_key_last_backup_date FROM sys.certificates")).toEqual(t.clock.now);
  });

  it("refuses an existing file or a path outside the backup folder (15240)", async () => {
    await ok(t.sa, "BACKUP CERTIFICATE local_cert TO FILE = 'a.cer'");
    expect(await errorOf(t.sa, "BACKUP CERTIFICATE local_cert TO FILE = 'a.cer'")).toMatchObject({
      number: 15240,
      message: "Cannot write into file 'a.cer'. Verify that you have write permissions, that the file path is valid, and that the file does not already exist.",
    });
    for (const outside of ["../escape.cer", "/etc/x.cer", "C:\\backup\\x.cer", "no/such/dir/x.cer"]) {
      expect((await errorOf(t.sa, `BACKUP CERTIFICATE local_cert TO FILE = N'${outside}'`)).number).toBe(15240);
    }
    const absoluteInside = path.join(t.backupDir, "abs.cer");
    await ok(t.sa, `BACKUP CERTIFICATE local_cert TO FILE = N'${absoluteInside}'`);
  });

  it("restores from files: public only, or with the private key under the master key", async () => {
    await ok(t.sa, `BACKUP CERTIFICATE local_cert TO FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'c.key', ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    const der = await certificateDer(t.sa, "local_cert");
    const other = await openInstance({ backupDir: t.backupDir });
    await ok(other.sa, "CREATE CERTIFICATE pub FROM FILE = 'c.cer'");
    expect(await scalar(other.sa, "SELECT pvt_key_encryption_type FROM sys.certificates WHERE name = 'pub'")).toBe("NA");
    expect(await errorOf(other.sa, "BACKUP CERTIFICATE pub TO FILE = 'x.cer' WITH PRIVATE KEY (FILE = 'x.key', ENCRYPTION BY PASSWORD = N'K3y!Passw0rd')")).toMatchObject({
      number: 15246,
      message: "Cannot dump the private key of certificate 'pub' because the private key cannot be found.",
    });
    await ok(other.sa, "DROP CERTIFICATE pub");
    await ok(other.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    expect(await errorOf(other.sa, "CREATE CERTIFICATE restored FROM FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'c.key', DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd')")).toMatchObject({
      number: 15465,
      message: "The private key password is invalid.",
    });
    await ok(other.sa, `CREATE CERTIFICATE restored FROM FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'c.key', DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    expect(await rows(other.sa, "SELECT pvt_key_encryption_type FROM sys.certificates")).toEqual([{ pvt_key_encryption_type: "MK" }]);
    expect(await certificateDer(other.sa, "restored")).toEqual(der);
    await other.engine.close();
  });

  it("reports a missing or unreadable file with 15208", async () => {
    expect(await errorOf(t.sa, "CREATE CERTIFICATE missing FROM FILE = 'nope.cer'")).toMatchObject({
      number: 15208,
      message: "The certificate, asymmetric key, or private key file is not valid or does not exist; or you do not have permissions for it.",
    });
    await writeFile(path.join(t.backupDir, "garbage.cer"), "not a certificate");
    expect((await errorOf(t.sa, "CREATE CERTIFICATE garbage FROM FILE = 'garbage.cer'")).number).toBe(15208);
    expect((await errorOf(t.sa, "CREATE CERTIFICATE outside FROM FILE = '/etc/passwd'")).number).toBe(15208);
  });

  it("refuses a private key that belongs to another certificate (15474)", async () => {
    await ok(t.sa, "CREATE CERTIFICATE other_cert WITH SUBJECT = N'other'");
    await ok(t.sa, `BACKUP CERTIFICATE local_cert TO FILE = 'l.cer'; BACKUP CERTIFICATE other_cert TO FILE = 'o.cer' WITH PRIVATE KEY (FILE = 'o.key', ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    await ok(t.sa, "DROP CERTIFICATE local_cert");
    expect(await errorOf(t.sa, `CREATE CERTIFICATE mixed FROM FILE = 'l.cer' WITH PRIVATE KEY (FILE = 'o.key', DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`)).toMatchObject({
      number: 15474,
      message: "Invalid private key. The private key does not match the public key of the certificate.",
    });
  });
});

describe("ALTER CERTIFICATE", () => {
  beforeEach(async () => {
    await withMasterKey();
    await ok(t.sa, "CREATE CERTIFICATE c WITH SUBJECT = N'c'");
  });
  const protection = () => scalar(t.sa, "SELECT pvt_key_encryption_type FROM sys.certificates WHERE name = 'c'");

  it("moves the private key between master key and password protection", async () => {
    await ok(t.sa, `ALTER CERTIFICATE c WITH PRIVATE KEY (ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    expect(await protection()).toBe("PW");
    expect((await errorOf(t.sa, "ALTER CERTIFICATE c WITH PRIVATE KEY (DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd')")).number).toBe(15465);
    await ok(t.sa, `ALTER CERTIFICATE c WITH PRIVATE KEY (DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    expect(await protection()).toBe("MK");
  });

  it("removes the private key, and refuses a second one (15332)", async () => {
    const key = (await scalar(t.sa, `SELECT CERTPRIVATEKEY(CERT_ID(N'c'), N'${KEY_PASSWORD}')`)) as Buffer;
    await ok(t.sa, "ALTER CERTIFICATE c REMOVE PRIVATE KEY");
    expect(await protection()).toBe("NA");
    await ok(t.sa, `ALTER CERTIFICATE c WITH PRIVATE KEY (BINARY = 0x${key.toString("hex")}, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
    expect(await protection()).toBe("MK");
    expect((await errorOf(t.sa, `ALTER CERTIFICATE c WITH PRIVATE KEY (BINARY = 0x${key.toString("hex")}, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`)).number).toBe(15332);
  });

  it("switches ACTIVE FOR BEGIN_DIALOG", async () => {
    await ok(t.sa, "ALTER CERTIFICATE c WITH ACTIVE FOR BEGIN_DIALOG = OFF");
    expect(await scalar(t.sa, "SELECT is_active_for_begin_dialog FROM sys.certificates")).toBe(false);
  });

  it("reports a missing certificate with 15151", async () => {
    expect(await errorOf(t.sa, "ALTER CERTIFICATE nope REMOVE PRIVATE KEY")).toMatchObject({
      number: 15151,
      message: "Cannot find the certificate 'nope', because it does not exist or you do not have permission.",
    });
  });

  it("changes the owner with ALTER AUTHORIZATION ON CERTIFICATE::", async () => {
    await ok(t.sa, `CREATE LOGIN l WITH PASSWORD = N'${STRONG}'; CREATE USER u FOR LOGIN l; ALTER AUTHORIZATION ON CERTIFICATE::c TO u`);
    expect(await scalar(t.sa, "SELECT USER_NAME(principal_id) FROM sys.certificates")).toBe("u");
    expect((await errorOf(t.sa, "ALTER AUTHORIZATION ON CERTIFICATE::c TO nobody")).number).toBe(15151);
  });
});

describe("DROP CERTIFICATE", () => {
  it("drops; a missing one is 15151; one used by the endpoint is 15352", async () => {
    await withMasterKey();
    await ok(t.sa, "CREATE CERTIFICATE c WITH SUBJECT = N'c', START_DATE = '20300101', EXPIRY_DATE = '20310101'");
    await ok(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE c, ROLE = ALL)");
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "DROP CERTIFICATE c")).toMatchObject({
      number: 15352,
      message: "The certificate cannot be dropped because one or more entities are either signed or encrypted using it.",
    });
    expect(t.engine.snapshot()).toEqual(before);
    await ok(t.sa, "DROP ENDPOINT e; DROP CERTIFICATE c");
    expect(await errorOf(t.sa, "DROP CERTIFICATE c")).toMatchObject({
      number: 15151,
      message: "Cannot drop the certificate 'c', because it does not exist or you do not have permission.",
    });
    expect((await run(t.sa, "SELECT name FROM sys.certificates"))[0]).toMatchObject({ rows: [] });
  });
});
