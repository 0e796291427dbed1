/**
 * Every rule of the emulated security catalog, as a DBA meets it: a statement sent through the real
 * mssql driver over TCP fails with SQL Server's error number (RequestError.number), class and text,
 * and the catalog is exactly as before. Each rule runs in all three encryption modes, each test on a
 * fresh instance (a start costs a few milliseconds; see emulator/README.md).
 */
import { createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import sql from "mssql";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../../emulator";
import { generateSelfSignedCertificate, type GeneratedCertificate } from "../../../emulator/crypto/x509";
import { reservePort } from "../../support/ports";
import { MODES, OTHER, STRONG, close, closeAll, connect, expectError, hex, ok, requestError, rows, seen, start, waitUntil, type Mode } from "./support";

/** The instance's clock: every test starts on 2030-01-15 12:00 UTC. */
const clock = { now: new Date("2030-01-15T12:00:00Z") };

const MK = `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`;
const cert = (name: string, dates = "START_DATE = '20300101', EXPIRY_DATE = '20310101'") => `CREATE CERTIFICATE ${name} WITH SUBJECT = N'${name} subject', ${dates}`;
/** A STARTED endpoint really listens: its port is reserved (test files run in parallel). */
let ENDPOINT = "";
const KEY_PASSWORD = "K3y!Passw0rd";

/** A certificate made outside the instance, with its private key as encrypted PKCS#8 DER (what CERTPRIVATEKEY returns). */
interface Material extends GeneratedCertificate {
  encryptedKey: Buffer;
}
let outsideA: Material;
let outsideB: Material;
let local: Material;
let expired: Material;
let future: Material;
let late: Material;
/** A 520-bit RSA key: not a multiple of 64 bits. */
let oddKey: Material;

async function material(subject: string, from = "2030-01-01Z", to = "2031-01-01Z", keyBits = 1024): Promise<Material> {
  const c = await generateSelfSignedCertificate({ subject, notBefore: new Date(from), notAfter: new Date(to), keyBits });
  const encryptedKey = createPrivateKey(c.privateKeyPem).export({ type: "pkcs8", format: "der", cipher: "aes-256-cbc", passphrase: KEY_PASSWORD });
  return { ...c, encryptedKey };
}

beforeAll(async () => {
  ENDPOINT = `CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${await reservePort()}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE local_cert, ROLE = ALL)`;
  [outsideA, outsideB, local, expired, future, late, oddKey] = await Promise.all([
    material("outside a"),
    material("outside b"),
    material("local_cert subject"),
    material("expired", "2020-01-01Z", "2021-01-01Z"),
    material("future", "2035-01-01Z", "2036-01-01Z"),
    material("late", "2036-01-01Z", "2037-01-01Z"),
    material("odd key", "2030-01-01Z", "2031-01-01Z", 520),
  ]);
});

/**
 * CREATE CERTIFICATE from material made outside (as a DBA restores a backup): with its private key
 * under the master key (default), under a password, or public only. Generating an RSA 2048 key in
 * the instance costs ~100 ms; an import a few, so the rules that are not about generation import.
 */
function importCert(name: string, m: Material, protection: "MK" | "PW" | "public" = "MK"): string {
  const base = `CREATE CERTIFICATE ${name} FROM BINARY = ${hex(m.der)}`;
  if (protection === "public") return base;
  const encryption = protection === "PW" ? `, ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}'` : "";
  return `${base} WITH PRIVATE KEY (BINARY = ${hex(m.encryptedKey)}, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}'${encryption})`;
}

const notFound = (action: string, kind: string, name: string) => ({
  number: 15151,
  state: 1,
  class: 16,
  message: `Cannot ${action} the ${kind} '${name}', because it does not exist or you do not have permission.`,
});

describe.each(MODES)("rules through mssql (%s)", (mode: Mode) => {
  let instance: EmulatorInstance;
  let pool: sql.ConnectionPool;
  const fails = (text: string, expected: Parameters<typeof expectError>[3]) => expectError(instance, pool, text, expected);

  beforeEach(async () => {
    clock.now = new Date("2030-01-15T12:00:00Z");
    instance = await start({ now: () => clock.now });
    pool = await connect(instance, mode);
  });
  afterEach(closeAll);

  /** A pool logged in as a new login that is not sysadmin. */
  async function plainLogin(name = "plain"): Promise<sql.ConnectionPool> {
    await ok(pool, `CREATE LOGIN ${name} WITH PASSWORD = N'${STRONG}'; CREATE USER ${name} FOR LOGIN ${name}`);
    return connect(instance, mode, { user: name, password: STRONG });
  }

  describe("master key (reference §1)", () => {
    it("a certificate needs a master key: 15581", async () => {
      await fails(cert("c"), {
        number: 15581,
        state: 7,
        class: 16,
        message: "Please create a master key in the database or open the master key in the session before performing this operation.",
      });
      // With a password protecting the private key, no master key is needed.
      await ok(pool, `CREATE CERTIFICATE pw ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}' WITH SUBJECT = N'pw'`);
    });

    it("CREATE MASTER KEY twice: 15578", async () => {
      await ok(pool, MK);
      await fails(`CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${OTHER}'`, {
        number: 15578,
        state: 1,
        class: 16,
        message: "There is already a master key in the database. Please drop it before performing this statement.",
      });
    });

    it("DROP MASTER KEY while a certificate's private key depends on it: 15580", async () => {
      await ok(pool, `${MK}; ${cert("protected_cert")}`);
      await fails("DROP MASTER KEY", { number: 15580, state: 1, class: 16, message: "Cannot drop master key because certificate 'protected_cert' is encrypted by it." });
      // Once the key is gone, the master key can go.
      await ok(pool, "DROP CERTIFICATE protected_cert; DROP MASTER KEY");
      expect(await rows(pool, "SELECT name FROM sys.symmetric_keys")).toEqual([{ name: "##MS_ServiceMasterKey##" }]);
    });

    it("messageSeverities { 15313: 10 }: a wrong password is an informational message, not a RequestError; sys.openkeys tells", async () => {
      const ten = await start({ messageSeverities: { 15313: 10, 15557: 10, 15558: 10 } });
      const tenPool = await connect(ten, mode);
      await ok(tenPool, MK);
      const infos: Array<{ number: number; class: number }> = [];
      const request = tenPool.request();
      request.on("info", (m: { number: number; class: number }) => infos.push({ number: m.number, class: m.class }));
      const result = await request.batch(`CLOSE MASTER KEY; OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${OTHER}'; SELECT COUNT(*) AS opened FROM sys.openkeys; CLOSE MASTER KEY`);
      expect(infos).toEqual([{ number: 15313, class: 10 }]);
      expect(result.recordset).toEqual([{ opened: 0 }]);
      expect(await rows(tenPool, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'; SELECT COUNT(*) AS opened FROM sys.openkeys`)).toEqual([{ opened: 1 }]);
      // The default instance raises the same message with 16 (RequestError).
      await ok(pool, MK);
      await fails(`OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${OTHER}'`, { number: 15313, class: 16 });
    });

    it("no master key to drop or open: 15151", async () => {
      await fails("DROP MASTER KEY", { number: 15151, state: 1, class: 16 });
      await fails(`OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'`, { number: 15151, class: 16 });
    });

    it("wrong password 15313, existing encryption 15557, last password 15558, no open key 15581 / 15329", async () => {
      await ok(pool, MK);
      await fails(`OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${OTHER}'`, { number: 15313, class: 16, message: "The key is not encrypted using the specified decryptor." });
      await fails(`ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'${STRONG}'`, { number: 15557, class: 16 });
      await fails("ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY", { number: 15557, class: 16 });
      await fails(`ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'${STRONG}'`, { number: 15558, class: 16, message: "Cannot drop master key encryption by password '********'." });
      await ok(pool, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
      await fails("ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY", { number: 15581, class: 16 });
      await fails(`ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = N'${OTHER}'`, { number: 15329, class: 16 });
      // Opened in the session, both work.
      await ok(pool, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY`);
      expect(await rows(pool, "SELECT is_master_key_encrypted_by_server FROM sys.databases WHERE name = 'master'")).toEqual([{ is_master_key_encrypted_by_server: true }]);
    });

    it("password policy: 15116 too short, 15117 too long, 15118 not complex", async () => {
      const policy = "Password validation failed. The password does not meet the operating system policy requirements because it is";
      await fails("CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Ab1!'", { number: 15116, class: 16, message: `${policy} too short.` });
      await fails(`CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${"Aa1!".repeat(33)}'`, { number: 15117, class: 16, message: `${policy} too long.` });
      await fails("CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'alllowercase'", { number: 15118, class: 16, message: `${policy} not complex enough.` });
    });
  });

  describe("certificates (reference §2)", () => {
    beforeEach(async () => {
      await ok(pool, `${MK}; ${importCert("local_cert", local)}`);
    });

    it("duplicate certificate by name (any case) and by content: 15232", async () => {
      await fails(cert("LOCAL_CERT"), {
        number: 15232,
        state: 1,
        class: 16,
        message: "A certificate with name 'LOCAL_CERT' already exists or this certificate already has been added to the database.",
      });
      const [{ der }] = await rows<{ der: Buffer }>(pool, "SELECT CERTENCODED(CERT_ID('local_cert')) AS der");
      expect(Buffer.isBuffer(der)).toBe(true);
      await fails(`CREATE CERTIFICATE copy_of_local FROM BINARY = ${hex(der!)}`, {
        number: 15232,
        class: 16,
        message: "A certificate with name 'copy_of_local' already exists or this certificate already has been added to the database.",
      });
    });

    it("FROM BINARY that is no certificate, or a private key that is no key: 15297", async () => {
      const invalid = { number: 15297, state: 1, class: 16, message: "The certificate, asymmetric key, or private key data is invalid." };
      await fails("CREATE CERTIFICATE bad FROM BINARY = 0x00", invalid);
      await fails("CREATE CERTIFICATE bad FROM BINARY = 0x3082FFFF0102", invalid);
      await fails(`CREATE CERTIFICATE bad FROM BINARY = ${hex(outsideA.der)} WITH PRIVATE KEY (BINARY = 0x0102, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`, invalid);
    });

    it("subject length 15212, expiry before start 15213; expired / future certificates are created with warnings 15214 / 15215", async () => {
      await fails(`CREATE CERTIFICATE long_subject WITH SUBJECT = N'${"s".repeat(129)}'`, {
        number: 15212,
        class: 16,
        message: "Invalid certificate subject. The certificate subject must have between 1 and 128 characters.",
      });
      await fails(cert("backwards", "START_DATE = '20310101', EXPIRY_DATE = '20300101'"), {
        number: 15213,
        class: 16,
        message: "Warning: The certificate you created has an invalid validity period; its expiration date precedes its start date.",
      });
      const infos: Array<{ number: number; class: number; message: string }> = [];
      const request = pool.request();
      request.on("info", (i: { number: number; class: number; message: string }) => infos.push({ number: i.number, class: i.class, message: i.message }));
      await request.batch(`${cert("expired", "START_DATE = '20200101', EXPIRY_DATE = '20210101'")}; ${cert("future", "START_DATE = '20350101', EXPIRY_DATE = '20360101'")}`);
      expect(infos).toEqual([
        { number: 15214, class: 10, message: "Warning: The certificate you created is expired." },
        { number: 15215, class: 10, message: "Warning: The certificate you created is not yet valid; its start date is in the future." },
      ]);
      expect(await rows(pool, "SELECT name FROM sys.certificates WHERE name IN ('expired', 'future') ORDER BY name")).toEqual([{ name: "expired" }, { name: "future" }]);
    });

    it("missing certificate or owner on ALTER / DROP / BACKUP / AUTHORIZATION / endpoint: 15151; a role as owner: 15345", async () => {
      await fails("ALTER CERTIFICATE nope REMOVE PRIVATE KEY", notFound("find", "certificate", "nope"));
      await fails("DROP CERTIFICATE nope", notFound("drop", "certificate", "nope"));
      await fails("BACKUP CERTIFICATE nope TO FILE = 'nope.cer'", { number: 15151, state: 1, class: 16 });
      await fails("ALTER AUTHORIZATION ON CERTIFICATE::nope TO dbo", { number: 15151, class: 16 });
      await fails(`CREATE CERTIFICATE owned AUTHORIZATION nobody FROM BINARY = ${hex(outsideA.der)}`, notFound("find", "user", "nobody"));
      await fails("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE nope, ROLE = ALL)", notFound("find", "certificate", "nope"));
      await fails(`CREATE CERTIFICATE owned AUTHORIZATION db_owner FROM BINARY = ${hex(outsideA.der)}`, {
        number: 15345,
        class: 16,
        message: "An entity of type certificate cannot be owned by a role, a group, or by principals mapped to certificates or asymmetric keys.",
      });
    });

    it("BACKUP to an existing file or outside the backup folder: 15240; public-only WITH PRIVATE KEY: 15246; FROM FILE missing: 15208", async () => {
      await ok(pool, "BACKUP CERTIFICATE local_cert TO FILE = 'local.cer'");
      const [{ der }] = await rows<{ der: Buffer }>(pool, "SELECT CERTENCODED(CERT_ID('local_cert')) AS der");
      expect((await readFile(path.join(instance.backupDir, "local.cer"))).equals(der!)).toBe(true);
      const cannotWrite = (file: string) => ({
        number: 15240,
        state: 1,
        class: 16,
        message: `Cannot write into file '${file}'. Verify that you have write permissions, that the file path is valid, and that the file does not already exist.`,
      });
      await fails("BACKUP CERTIFICATE local_cert TO FILE = 'local.cer'", cannotWrite("local.cer"));
      await fails("BACKUP CERTIFICATE local_cert TO FILE = '/etc/local.cer'", { number: 15240, class: 16 });
      await ok(pool, `CREATE CERTIFICATE public_only FROM BINARY = ${hex(outsideA.der)}`);
      await fails(`BACKUP CERTIFICATE public_only TO FILE = 'p.cer' WITH PRIVATE KEY (FILE = 'p.key', ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`, {
        number: 15246,
        class: 16,
        message: "Cannot dump the private key of certificate 'public_only' because the private key cannot be found.",
      });
      await fails("CREATE CERTIFICATE from_file FROM FILE = 'missing.cer'", {
        number: 15208,
        class: 16,
        message: "The certificate, asymmetric key, or private key file is not valid or does not exist; or you do not have permissions for it.",
      });
    });

    it("private keys: wrong password 15465, another certificate's key 15474, a second key 15332, none to re-protect 15563", async () => {
      await fails(`CREATE CERTIFICATE a FROM BINARY = ${hex(outsideA.der)} WITH PRIVATE KEY (BINARY = ${hex(outsideA.encryptedKey)}, DECRYPTION BY PASSWORD = N'${OTHER}')`, {
        number: 15465,
        class: 16,
        message: "The private key password is invalid.",
      });
      await fails(`CREATE CERTIFICATE a FROM BINARY = ${hex(outsideA.der)} WITH PRIVATE KEY (BINARY = ${hex(outsideB.encryptedKey)}, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`, {
        number: 15474,
        class: 16,
        message: "Invalid private key. The private key does not match the public key of the certificate.",
      });
      await ok(pool, `CREATE CERTIFICATE a FROM BINARY = ${hex(outsideA.der)} WITH PRIVATE KEY (BINARY = ${hex(outsideA.encryptedKey)}, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
      expect(await rows(pool, "SELECT pvt_key_encryption_type FROM sys.certificates WHERE name = 'a'")).toEqual([{ pvt_key_encryption_type: "MK" }]);
      await fails(`ALTER CERTIFICATE a WITH PRIVATE KEY (BINARY = ${hex(outsideA.encryptedKey)}, DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`, {
        number: 15332,
        class: 16,
        message: "The private key is already set for this file. To change it you should drop and re-create the certificate.",
      });
      await ok(pool, `CREATE CERTIFICATE b FROM BINARY = ${hex(outsideB.der)}`);
      await fails(`ALTER CERTIFICATE b WITH PRIVATE KEY (ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`, { number: 15563, class: 16, message: "The certificate has no private key set for it." });
    });

    it("private key protection: decryption password for an MK key 15147, none for a PW key 15334, MK → PW without a password 15146, a key of unsupported length 15464", async () => {
      await ok(pool, importCert("pw_cert", outsideA, "PW"));
      await fails(`BACKUP CERTIFICATE local_cert TO FILE = 'l.cer' WITH PRIVATE KEY (FILE = 'l.key', ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}', DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`, {
        number: 15147,
        class: 16,
        message: "No decryption password should be provided because the private key of this certificate is encrypted by a master key.",
      });
      await fails(`BACKUP CERTIFICATE pw_cert TO FILE = 'p.cer' WITH PRIVATE KEY (FILE = 'p.key', ENCRYPTION BY PASSWORD = N'${OTHER}')`, {
        number: 15334,
        class: 16,
        message: "The certificate has a private key that is protected by a user defined password. That password needs to be provided to enable the use of the private key.",
      });
      await fails(`ALTER CERTIFICATE pw_cert WITH PRIVATE KEY (DECRYPTION BY PASSWORD = N'${OTHER}')`, { number: 15465, class: 16, message: "The private key password is invalid." });
      await fails(`ALTER CERTIFICATE local_cert WITH PRIVATE KEY (DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`, {
        number: 15146,
        class: 16,
        message: "An encryption password must be provided to encrypt the private key of this certificate.",
      });
      // Both moves done right: PW → MK, and MK → PW.
      await ok(pool, `ALTER CERTIFICATE pw_cert WITH PRIVATE KEY (DECRYPTION BY PASSWORD = N'${KEY_PASSWORD}'); ALTER CERTIFICATE local_cert WITH PRIVATE KEY (ENCRYPTION BY PASSWORD = N'${KEY_PASSWORD}')`);
      expect(await rows(pool, "SELECT name, pvt_key_encryption_type AS protection FROM sys.certificates ORDER BY name")).toEqual([
        { name: "local_cert", protection: "PW" },
        { name: "pw_cert", protection: "MK" },
      ]);
      await fails(importCert("odd_key", oddKey), { number: 15464, class: 16, message: "Unsupported private key format or key length." });
    });

    it("DROP CERTIFICATE used by the endpoint: 15352", async () => {
      await ok(pool, ENDPOINT);
      await fails("DROP CERTIFICATE local_cert", {
        number: 15352,
        class: 16,
        message: "The certificate cannot be dropped because one or more entities are either signed or encrypted using it.",
      });
    });
  });

  describe("the database mirroring endpoint (reference §3)", () => {
    beforeEach(async () => {
      await ok(pool, `${MK}; ${importCert("local_cert", local)}`);
    });

    it("a second DATABASE_MIRRORING endpoint, whatever its name or port: 7862", async () => {
      await ok(pool, ENDPOINT);
      await fails("CREATE ENDPOINT Other STATE = STOPPED AS TCP (LISTENER_PORT = 5023) FOR DATABASE_MIRRORING (ROLE = WITNESS)", {
        number: 7862,
        state: 1,
        class: 16,
        message: "An endpoint of the requested type already exists. Only one endpoint of this type is supported. Use ALTER ENDPOINT or DROP the existing endpoint and execute the CREATE ENDPOINT statement.",
      });
    });

    it("endpoint certificate without a master-key-protected private key: 28055 (password-protected, public only)", async () => {
      const invalid = (name: string) => ({
        number: 28055,
        class: 16,
        message: `The certificate '${name}' is not valid for endpoint authentication. The certificate must have a private key encrypted with the database master key and current UTC date has to be between the certificate start date and the certificate expiration date.`,
      });
      await ok(pool, `${importCert("pw_cert", outsideA, "PW")}; ${importCert("public_only", outsideB, "public")}`);
      expect(await rows(pool, "SELECT name, pvt_key_encryption_type AS protection FROM sys.certificates ORDER BY name")).toEqual([
        { name: "local_cert", protection: "MK" },
        { name: "public_only", protection: "NA" },
        { name: "pw_cert", protection: "PW" },
      ]);
      for (const name of ["pw_cert", "public_only"]) {
        await fails(`CREATE ENDPOINT Mirroring AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${name}, ROLE = ALL)`, invalid(name));
      }
      // ALTER ENDPOINT applies the same rule.
      await ok(pool, ENDPOINT);
      await fails("ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE pw_cert)", invalid("pw_cert"));
    });

    it("endpoint certificate outside its validity window, by the instance's UTC clock: 28055", async () => {
      await ok(pool, `${importCert("expired", expired)}; ${importCert("future", future)}`);
      for (const name of ["expired", "future"]) {
        await fails(`CREATE ENDPOINT Mirroring AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${name}, ROLE = ALL)`, { number: 28055, class: 16 });
      }
      // The same certificate becomes valid when the clock reaches its start date.
      clock.now = new Date("2035-06-01T00:00:00Z");
      await ok(pool, "CREATE ENDPOINT Mirroring AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE future, ROLE = ALL)");
      clock.now = new Date("2036-06-01T00:00:00Z");
      await ok(pool, importCert("late", late));
      await ok(pool, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE late)");
      clock.now = new Date("2037-06-01T00:00:00Z");
      await fails("ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE late)", { number: 28055, class: 16 });
    });

    it("ALTER ENDPOINT changing transport or payload: 7860; with nothing to change: 7863", async () => {
      await ok(pool, ENDPOINT);
      const cannotChange = {
        number: 7860,
        class: 15,
        message: "An endpoint's transport or content cannot be changed through the ALTER ENDPOINT statement. Use DROP ENDPOINT and execute the CREATE ENDPOINT statement to make these changes.",
      };
      await fails("ALTER ENDPOINT Mirroring FOR SERVICE_BROKER (AUTHENTICATION = WINDOWS)", cannotChange);
      await fails("ALTER ENDPOINT Mirroring AS HTTP (PATH = '/x')", cannotChange);
      await fails("ALTER ENDPOINT Mirroring", {
        number: 7863,
        class: 16,
        message: "The endpoint was not changed. The ALTER ENDPOINT statement did not contain any values to modify or update.",
      });
    });

    it("missing endpoint on ALTER / DROP / GRANT / ALTER AUTHORIZATION: 15151", async () => {
      await ok(pool, `CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'`);
      await fails("ALTER ENDPOINT nope STATE = STARTED", notFound("alter", "endpoint", "nope"));
      await fails("DROP ENDPOINT nope", notFound("drop", "endpoint", "nope"));
      await fails("GRANT CONNECT ON ENDPOINT::nope TO peer", notFound("find", "endpoint", "nope"));
      await fails("ALTER AUTHORIZATION ON ENDPOINT::nope TO peer", { number: 15151, class: 16 });
    });

    it("ALTER AUTHORIZATION ON ENDPOINT:: drops every permission on the endpoint, and nothing else", async () => {
      await ok(pool, ENDPOINT);
      await ok(pool, `CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; CREATE LOGIN other WITH PASSWORD = N'${STRONG}'; CREATE LOGIN successor WITH PASSWORD = N'${STRONG}'`);
      await ok(pool, "GRANT CONNECT ON ENDPOINT::Mirroring TO peer WITH GRANT OPTION; DENY VIEW DEFINITION ON ENDPOINT::Mirroring TO other; GRANT CONNECT ON ENDPOINT::Mirroring TO other AS peer");
      const onEndpoint = "SELECT SUSER_NAME(grantee_principal_id) AS grantee, SUSER_NAME(grantor_principal_id) AS grantor, permission_name, state FROM sys.server_permissions WHERE class = 105 AND major_id >= 65536 ORDER BY grantee, permission_name";
      expect(await rows(pool, onEndpoint)).toEqual([
        { grantee: "other", grantor: "peer", permission_name: "CONNECT", state: "G" },
        { grantee: "other", grantor: "sa", permission_name: "VIEW DEFINITION", state: "D" },
        { grantee: "peer", grantor: "sa", permission_name: "CONNECT", state: "W" },
      ]);
      const elsewhere = "SELECT class, major_id, grantee_principal_id, grantor_principal_id, type, state FROM sys.server_permissions WHERE NOT (class = 105 AND major_id >= 65536) ORDER BY class, major_id, grantee_principal_id, type";
      const untouched = await rows(pool, elsewhere);
      await ok(pool, "ALTER AUTHORIZATION ON ENDPOINT::Mirroring TO successor");
      expect(await rows(pool, "SELECT SUSER_NAME(principal_id) AS owner FROM sys.endpoints WHERE name = N'Mirroring'")).toEqual([{ owner: "successor" }]);
      expect(await rows(pool, onEndpoint)).toEqual([]);
      expect(await rows(pool, elsewhere)).toEqual(untouched);
    });

    it("a non-canonical IPv6 listener address: 7887 (class 16, listed 20)", async () => {
      await fails("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022, LISTENER_IP = ('fd00:0:0:0:0:0:0:5')) FOR DATABASE_MIRRORING (ROLE = ALL)", {
        number: 7887,
        class: 16,
        message: "The IPv6 address specified is not supported. Only addresses that are in their numeric, canonical form are supported for listening.",
      });
      await ok(pool, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022, LISTENER_IP = ('fd00::5')) FOR DATABASE_MIRRORING (ROLE = ALL)");
      expect(await rows(pool, "SELECT ip_address FROM sys.tcp_endpoints WHERE endpoint_id >= 65536")).toEqual([{ ip_address: "fd00::5" }]);
    });

    it("ports: out of range 7810, the instance's own TDS port 7890; LISTENER_PORT / ROLE missing 7801", async () => {
      await fails("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 70000) FOR DATABASE_MIRRORING (ROLE = ALL)", {
        number: 7810,
        class: 15,
        message: "The value '70000' is not within range for the 'LISTENER_PORT' parameter.",
      });
      await fails(`CREATE ENDPOINT e AS TCP (LISTENER_PORT = ${instance.port}) FOR DATABASE_MIRRORING (ROLE = ALL)`, {
        number: 7890,
        class: 16,
        message:
          "An error occurred while attempting to register the endpoint 'e'. One or more of the ports specified in the CREATE ENDPOINT statement may be bound to another process. Attempt the statement again with a different port or use netstat to find the application currently using the port and resolve the conflict.",
      });
      await fails("CREATE ENDPOINT e AS TCP (LISTENER_IP = ALL) FOR DATABASE_MIRRORING (ROLE = ALL)", { number: 7801, class: 15, message: "The required parameter LISTENER_PORT was not specified." });
      await fails("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED)", { number: 7801, class: 15, message: "The required parameter ROLE was not specified." });
    });

    it("reserved and built-in names: 7869, 15530; dropping a built-in endpoint 7873; a bad IPv6 address 7888", async () => {
      await fails("CREATE ENDPOINT [##mine] AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)", {
        number: 7869,
        class: 16,
        message: "The endpoint name '##mine' is reserved for used by SQL. Endpoint names cannot begin with '##'.",
      });
      await fails("CREATE ENDPOINT [TSQL Default TCP] AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)", {
        number: 15530,
        class: 16,
        message: 'The endpoint with name "TSQL Default TCP" already exists.',
      });
      await fails("DROP ENDPOINT [TSQL Default TCP]", {
        number: 7873,
        class: 16,
        message: 'The endpoint "TSQL Default TCP" is a built-in endpoint and cannot be dropped. Use the protocol configuration utilities to ADD or DROP Transact-SQL endpoints.',
      });
      await fails("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022, LISTENER_IP = ('not:an:ip:zz')) FOR DATABASE_MIRRORING (ROLE = ALL)", { number: 7888, class: 16 });
    });

    it("endpoint DDL inside a user transaction: 226, through sql.Transaction and through BEGIN TRAN in a batch", async () => {
      const notInTransaction = (verb: string) => ({ number: 226, state: 6, class: 16, message: `${verb} ENDPOINT statement not allowed within multi-statement transaction.` });
      const before = instance.catalog();
      const transaction = new sql.Transaction(pool);
      await transaction.begin();
      const inside = await requestError(new sql.Request(transaction).batch(ENDPOINT));
      expect(seen(inside)).toEqual(notInTransaction("CREATE"));
      await transaction.rollback();
      expect(instance.catalog()).toEqual(before);

      const batch = await requestError(pool.request().batch(`BEGIN TRAN; ${ENDPOINT}; COMMIT`));
      expect(seen(batch)).toEqual(notInTransaction("CREATE"));
      expect(await rows(pool, "SELECT @@TRANCOUNT AS trancount, (SELECT COUNT(*) FROM sys.database_mirroring_endpoints) AS endpoints")).toEqual([{ trancount: 0, endpoints: 0 }]);

      await ok(pool, ENDPOINT);
      const alter = new sql.Transaction(pool);
      await alter.begin();
      expect(seen(await requestError(new sql.Request(alter).batch("ALTER ENDPOINT Mirroring STATE = STOPPED")))).toEqual(notInTransaction("ALTER"));
      expect(seen(await requestError(new sql.Request(alter).batch("DROP ENDPOINT Mirroring")))).toEqual(notInTransaction("DROP"));
      await alter.commit();
      expect(await rows(pool, "SELECT state_desc FROM sys.endpoints WHERE name = 'Mirroring'")).toEqual([{ state_desc: "STARTED" }]);
    });
  });

  describe("logins, users, grants (reference §4)", () => {
    it("duplicate login 15025 (any case, or a role's name); duplicate user 15023", async () => {
      await ok(pool, `CREATE LOGIN dup WITH PASSWORD = N'${STRONG}'; CREATE USER dup FOR LOGIN dup; CREATE LOGIN other WITH PASSWORD = N'${STRONG}'`);
      await fails(`CREATE LOGIN DUP WITH PASSWORD = N'${STRONG}'`, { number: 15025, class: 16, message: "The server principal 'DUP' already exists." });
      await fails(`CREATE LOGIN sysadmin WITH PASSWORD = N'${STRONG}'`, { number: 15025, class: 16, message: "The server principal 'sysadmin' already exists." });
      await fails("CREATE USER Dup FOR LOGIN other", { number: 15023, state: 1, class: 16, message: "User, group, or role 'Dup' already exists in the current database." });
    });

    it("CREATE USER for a mapped login 15063, for an unknown login 15007", async () => {
      await ok(pool, `CREATE LOGIN l1 WITH PASSWORD = N'${STRONG}'; CREATE USER u1 FOR LOGIN l1`);
      await fails("CREATE USER u2 FOR LOGIN l1", { number: 15063, class: 16, message: "The login already has an account under a different user name." });
      await fails("CREATE USER u2 FOR LOGIN nope", { number: 15007, class: 16, message: "'nope' is not a valid login or you do not have permission." });
    });

    it("missing login / user on DROP, ALTER and GRANT: 15151", async () => {
      await ok(pool, `${MK}; ${importCert("local_cert", local)}; ${ENDPOINT}`);
      await fails("DROP LOGIN nope", notFound("drop", "login", "nope"));
      await fails("ALTER LOGIN nope DISABLE", notFound("alter", "login", "nope"));
      await fails("DROP USER nope", notFound("drop", "user", "nope"));
      await fails("ALTER USER nope WITH NAME = x", notFound("alter", "user", "nope"));
      await fails("GRANT CONNECT ON ENDPOINT::Mirroring TO nobody", notFound("find", "login", "nobody"));
      // DROP USER IF EXISTS is the one documented idempotent drop.
      await ok(pool, "DROP USER IF EXISTS nope");
    });

    it("DROP USER owning a certificate: 15138; DROP LOGIN owning the endpoint 15141, having granted 15173, logged in 15434", async () => {
      await ok(pool, `${MK}; ${importCert("local_cert", local)}; CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; CREATE USER peer_user FOR LOGIN peer`);
      await ok(pool, `CREATE CERTIFICATE peer_cert AUTHORIZATION peer_user FROM BINARY = ${hex(outsideA.der)}`);
      await fails("DROP USER peer_user", { number: 15138, state: 1, class: 16, message: "The database principal owns a certificate in the database, and cannot be dropped." });

      await ok(pool, `CREATE LOGIN owner_login WITH PASSWORD = N'${STRONG}'; CREATE ENDPOINT Mirroring AUTHORIZATION owner_login AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE local_cert, ROLE = ALL)`);
      await fails("DROP LOGIN owner_login", { number: 15141, class: 16, message: "The server principal owns one or more endpoint(s) and cannot be dropped." });

      await ok(pool, "GRANT CONNECT ON ENDPOINT::Mirroring TO peer WITH GRANT OPTION");
      const peer = await connect(instance, mode, { user: "peer", password: STRONG });
      await ok(pool, `CREATE LOGIN third WITH PASSWORD = N'${STRONG}'`);
      await ok(peer, "GRANT CONNECT ON ENDPOINT::Mirroring TO third");
      await fails("DROP LOGIN peer", { number: 15434, class: 16, message: "Could not drop login 'peer' as the user is currently logged in." });
      await close(peer);
      // The server ends peer's session when its connection closes.
      await waitUntil(async () => (await requestError(pool.request().batch("DROP LOGIN peer"))).number !== 15434, "peer's session to end");
      await fails("DROP LOGIN peer", { number: 15173, class: 16, message: "Server principal 'peer' has granted one or more permission(s). Revoke the permission(s) before dropping the server principal." });
      await ok(pool, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM third; DROP LOGIN peer");
    });

    it("login options: backslash 15407, CHECK_EXPIRATION without CHECK_POLICY 15122, MUST_CHANGE 15099 / 15128, SID 15419 / 15433, database 15010, language 15033", async () => {
      await fails(`CREATE LOGIN [dom\\user] WITH PASSWORD = N'${STRONG}'`, { number: 15407, class: 16, message: "'dom\\user' is not a valid Windows NT name. Give the complete name: <domain\\username>." });
      await fails(`CREATE LOGIN p WITH PASSWORD = N'${STRONG}', CHECK_POLICY = OFF, CHECK_EXPIRATION = ON`, { number: 15122, class: 16, message: "The CHECK_EXPIRATION option cannot be used when CHECK_POLICY is OFF." });
      await fails(`CREATE LOGIN p WITH PASSWORD = N'${STRONG}' MUST_CHANGE`, { number: 15099, class: 16, message: "The MUST_CHANGE option cannot be used when CHECK_EXPIRATION is OFF." });
      await fails(`CREATE LOGIN p WITH PASSWORD = N'${STRONG}' MUST_CHANGE, CHECK_POLICY = OFF`, { number: 15128, class: 16 });
      await fails(`CREATE LOGIN p WITH PASSWORD = N'${STRONG}', SID = 0x01`, { number: 15419, class: 16, message: "Supplied parameter sid should be binary(16)." });
      await ok(pool, `CREATE LOGIN s1 WITH PASSWORD = N'${STRONG}', SID = 0x0102030405060708090A0B0C0D0E0F10`);
      await fails(`CREATE LOGIN s2 WITH PASSWORD = N'${STRONG}', SID = 0x0102030405060708090A0B0C0D0E0F10`, { number: 15433, class: 16, message: "Supplied parameter sid is in use." });
      await fails(`CREATE LOGIN p WITH PASSWORD = N'${STRONG}', DEFAULT_DATABASE = msdb`, { number: 15010, class: 16 });
      await fails(`CREATE LOGIN p WITH PASSWORD = N'${STRONG}', DEFAULT_LANGUAGE = Klingon`, { number: 15033, class: 16, message: "'Klingon' is not a valid official language name." });
    });

    it("special users: DROP USER dbo 15150, guest 15539", async () => {
      await fails("DROP USER dbo", { number: 15150, class: 16, message: "Cannot drop the user 'dbo'." });
      await fails("DROP USER guest", { number: 15539, class: 16 });
    });

    it("PASSWORD = 0x… HASHED: a value that is no hash 15021; sys.sql_logins.password_hash copied to a new login logs in with the same password", async () => {
      await fails("CREATE LOGIN h WITH PASSWORD = 0x0102 HASHED", { number: 15021, class: 16, message: "Invalid value given for parameter PASSWORD. Specify a valid parameter value." });
      await ok(pool, `CREATE LOGIN original WITH PASSWORD = N'${STRONG}'`);
      const [{ hash }] = await rows<{ hash: Buffer }>(pool, "SELECT password_hash AS hash FROM sys.sql_logins WHERE name = N'original'");
      await ok(pool, `CREATE LOGIN copied WITH PASSWORD = ${hex(hash!)} HASHED`);
      const copied = await connect(instance, mode, { user: "copied", password: STRONG });
      expect(await rows(copied, "SELECT SUSER_NAME() AS me")).toEqual([{ me: "copied" }]);
    });

    it("grants: CASCADE needed 4611, to sa or yourself 4624, to a fixed role 4617", async () => {
      await ok(pool, `${MK}; ${importCert("local_cert", local)}; ${ENDPOINT}; CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; GRANT CONNECT ON ENDPOINT::Mirroring TO peer WITH GRANT OPTION`);
      await fails("REVOKE CONNECT ON ENDPOINT::Mirroring FROM peer", { number: 4611, class: 16, message: "To revoke or deny grantable privileges, specify the CASCADE option." });
      await fails("GRANT CONNECT ON ENDPOINT::Mirroring TO sa", {
        number: 4624,
        class: 16,
        message: "Cannot grant, deny, or revoke permissions to sa, dbo, entity owner, information_schema, sys, or yourself.",
      });
      await fails("GRANT CONNECT ON ENDPOINT::Mirroring TO sysadmin", { number: 4617, class: 16, message: "Cannot grant, deny or revoke permissions to or from special roles." });
      await ok(pool, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM peer CASCADE");
    });

    it("a login that is not sysadmin: 15247 for login / key / endpoint DDL, 262 for CREATE CERTIFICATE, 4613 to grant, 15151 for what it cannot see", async () => {
      await ok(pool, `${MK}; ${importCert("local_cert", local)}; ${ENDPOINT}; CREATE LOGIN other WITH PASSWORD = N'${STRONG}'`);
      const plain = await plainLogin();
      const denied = { number: 15247, state: 1, class: 16, message: "User does not have permission to perform this action." };
      const failsAsPlain = (text: string, expected: Parameters<typeof expectError>[3]) => expectError(instance, plain, text, expected);
      await failsAsPlain(`CREATE LOGIN x WITH PASSWORD = N'${STRONG}'`, denied);
      await failsAsPlain(`CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${OTHER}'`, denied);
      await failsAsPlain("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5023) FOR DATABASE_MIRRORING (ROLE = ALL)", denied);
      await failsAsPlain("CREATE CERTIFICATE c WITH SUBJECT = N'c'", { number: 262, class: 16, message: "CREATE CERTIFICATE permission denied in database 'master'." });
      await failsAsPlain("GRANT CONNECT ON ENDPOINT::Mirroring TO other", { number: 4613, class: 16, message: "Grantor does not have GRANT permission." });
      await failsAsPlain("DROP CERTIFICATE local_cert", notFound("drop", "certificate", "local_cert"));
      await failsAsPlain("DROP LOGIN other", notFound("drop", "login", "other"));
      // Once granted CREATE ENDPOINT... the mirroring endpoint still exists: one per instance.
      await ok(pool, "GRANT CREATE ENDPOINT TO plain");
      await failsAsPlain("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5023) FOR DATABASE_MIRRORING (ROLE = ALL)", { number: 7862, class: 16 });
    });
  });

  describe("batches and names", () => {
    it("names over 128 characters: 103", async () => {
      const name = "n".repeat(129);
      await fails(`CREATE LOGIN [${name}] WITH PASSWORD = N'${STRONG}'`, {
        number: 103,
        state: 4,
        class: 15,
        message: `The identifier that starts with '${name.slice(0, 128)}' is too long. Maximum length is 128.`,
      });
    });

    it("syntax 102 / 156 with the line, unclosed quote 105 then 102; nothing in the batch runs", async () => {
      const syntax = await fails(`CREATE LOGIN a WITH PASSWORD = N'${STRONG}'\nCREATE LOGIN b WITH PASWORD = N'x'`, { number: 102, class: 15, message: "Incorrect syntax near 'PASWORD'." });
      expect(syntax.lineNumber).toBe(2);
      await fails(`CREATE LOGIN a WITH PASSWORD = N'${STRONG}'; SELECT FROM sys.certificates`, { number: 156, class: 15, message: "Incorrect syntax near the keyword 'FROM'." });
      const unclosed = await fails("CREATE LOGIN a WITH PASSWORD = N'unclosed", { number: 102, class: 15 });
      expect(unclosed.precedingErrors?.map((e) => e.number)).toEqual([105]);
    });

    it("compile errors before anything runs: column 207, variable 137, function 195; run-time: date 241, divide by zero 8134", async () => {
      await fails(`CREATE LOGIN a WITH PASSWORD = N'${STRONG}'; SELECT nope FROM sys.certificates`, { number: 207, class: 16, message: "Invalid column name 'nope'." });
      await fails(`CREATE LOGIN a WITH PASSWORD = N'${STRONG}'; SELECT @undeclared`, { number: 137, class: 15, message: 'Must declare the scalar variable "@undeclared".' });
      await fails(`CREATE LOGIN a WITH PASSWORD = N'${STRONG}'; SELECT NOPE(1)`, { number: 195, class: 15, message: "'NOPE' is not a recognized built-in function name." });
      await ok(pool, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
      await fails("CREATE CERTIFICATE d WITH SUBJECT = N'd', START_DATE = '2030-13-01'", { number: 241, class: 16, message: "Conversion failed when converting date and/or time from character string." });
      await fails("SELECT 1 / 0 AS x", { number: 8134, class: 16, message: "Divide by zero error encountered." });
    });

    it("T-SQL outside the subset 50000, unknown procedure 2812, unknown view 208, another database 911, COMMIT / ROLLBACK alone 3902 / 3903", async () => {
      await fails("CREATE VIEW v AS SELECT 1", { number: 50000, class: 16 });
      await fails("EXEC sp_who", { number: 2812, class: 16, message: "Could not find stored procedure 'sp_who'." });
      await fails("SELECT * FROM sys.objects", { number: 208, class: 16, message: "Invalid object name 'sys.objects'." });
      await fails("USE nodb", { number: 911, class: 16, message: "Database 'nodb' does not exist. Make sure that the name is entered correctly." });
      await fails("COMMIT", { number: 3902, class: 16, message: "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION." });
      await fails("ROLLBACK", { number: 3903, class: 16, message: "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION." });
    });
  });

  describe("logging in (LOGIN7)", () => {
    /** The login error tokens tedious received, and the ConnectionError mssql raised. */
    async function loginFailure(user: string, password: string) {
      const tokens: Array<{ number: number; state: number; class: number; message: string }> = [];
      const failed = connect(instance, mode, {
        user,
        password,
        beforeConnect: (c) => c.on("errorMessage", (t: { number: number; state: number; class: number; message: string }) => tokens.push({ number: t.number, state: t.state, class: t.class, message: t.message })),
      } as Partial<sql.config>);
      const error = await failed.then(
        () => undefined,
        (e: unknown) => e as sql.ConnectionError,
      );
      expect(error).toBeInstanceOf(sql.ConnectionError);
      return { code: error!.code, message: error!.message, tokens };
    }

    it("wrong password, unknown or disabled login: ELOGIN with 18456 class 14 state 1; MUST_CHANGE: 18488", async () => {
      await ok(pool, `CREATE LOGIN known WITH PASSWORD = N'${STRONG}'; CREATE LOGIN disabled_login WITH PASSWORD = N'${STRONG}'; ALTER LOGIN disabled_login DISABLE`);
      await ok(pool, `CREATE LOGIN changer WITH PASSWORD = N'${STRONG}' MUST_CHANGE, CHECK_EXPIRATION = ON`);
      const refused = (user: string) => ({ code: "ELOGIN", message: `Login failed for user '${user}'.`, tokens: [{ number: 18456, state: 1, class: 14, message: `Login failed for user '${user}'.` }] });
      expect(await loginFailure("known", OTHER)).toEqual(refused("known"));
      expect(await loginFailure("nobody", STRONG)).toEqual(refused("nobody"));
      expect(await loginFailure("disabled_login", STRONG)).toEqual(refused("disabled_login"));
      expect(await loginFailure("changer", STRONG)).toMatchObject({ code: "ELOGIN", tokens: [{ number: 18488, state: 1, class: 14, message: "Login failed for user 'changer'. Reason: The password of the account must be changed." }] });
      expect(instance.counters.failedLogins).toBe(4);
    });
  });
});
