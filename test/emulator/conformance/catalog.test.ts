/**
 * The catalog views after each DDL of the certificate procedure, read through the real mssql driver
 * as a DBA would: exact rows with the driver's types (varbinary → Buffer, datetime → Date, int →
 * number, bit → boolean), and what can be recomputed outside the emulator is (the thumbprint is the
 * SHA-1 of CERTENCODED's DER, the serial and dates are what node:crypto reads from that DER, the
 * password hash is SQL Server's salted SHA-512 of the password).
 */
import { X509Certificate, createHash } from "node:crypto";
import sql from "mssql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../../emulator";
import { generateSelfSignedCertificate } from "../../../emulator/crypto/x509";
import { reservePorts } from "../../support/ports";
import { MODES, STRONG, closeAll, connect, hex, ok, rows, start, type Mode } from "./support";

const T0 = new Date("2030-01-15T12:00:00Z");
const minute = (n: number) => new Date(T0.getTime() + n * 60_000);

/** The reference's read-back query for the endpoint (section 3). */
const ENDPOINT_READ_BACK = `SELECT m.name, m.endpoint_id, SUSER_NAME(m.principal_id) AS owner, m.state_desc,
       t.port, t.ip_address, m.role_desc, m.connection_auth_desc,
       m.certificate_id, c.name AS certificate_name,
       m.is_encryption_enabled, m.encryption_algorithm_desc
FROM sys.database_mirroring_endpoints AS m
JOIN sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id
LEFT JOIN master.sys.certificates AS c ON c.certificate_id = m.certificate_id;`;

/** The reference's read-back query for CONNECT grants (section 4). */
const GRANTS_READ_BACK = `SELECT e.name AS endpoint_name, sp.name AS grantee, p.permission_name, p.state_desc
FROM sys.server_permissions AS p
JOIN sys.endpoints AS e ON e.endpoint_id = p.major_id
JOIN sys.server_principals AS sp ON sp.principal_id = p.grantee_principal_id
WHERE p.class = 105 AND p.type = 'CO';`;

let peerDer: Buffer;
beforeAll(async () => {
  peerDer = (await generateSelfSignedCertificate({ subject: "peer endpoint", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2032-01-01Z"), keyBits: 1024 })).der;
});

/** cert_serial_number as SQL Server shows it: the serial's bytes as lower-case hex pairs. */
function serialPairs(x509: X509Certificate): string {
  let hexSerial = x509.serialNumber.toLowerCase();
  if (hexSerial.length % 2) hexSerial = `0${hexSerial}`;
  return hexSerial.match(/../g)!.slice(0, 16).join(" ");
}

describe.each(MODES)("catalog views after each DDL, through mssql (%s)", (mode: Mode) => {
  const clock = { now: T0 };
  let instance: EmulatorInstance;
  let pool: sql.ConnectionPool;
  /** The catalog before any DDL, to compare with after the teardown. */
  let initial: ReturnType<EmulatorInstance["catalog"]>;
  let serviceMasterKey: Record<string, unknown>;
  let localDer: Buffer;
  /** Endpoint ports, reserved: a STARTED endpoint really listens (test files run in parallel). */
  let P1 = 0;
  let P2 = 0;

  beforeAll(async () => {
    [P1, P2] = (await reservePorts(2)) as [number, number];
    clock.now = T0;
    instance = await start({ now: () => clock.now });
    pool = await connect(instance, mode);
    initial = instance.catalog();
  });
  afterAll(closeAll);

  const at = async (n: number, text: string) => {
    clock.now = minute(n);
    await ok(pool, text);
  };
  const permissions = () => rows(pool, "SELECT * FROM sys.server_permissions ORDER BY class, major_id, grantee_principal_id, type");

  it("before any DDL: only the service master key, master not encrypted by the server", async () => {
    const keys = await pool.request().batch("SELECT * FROM sys.symmetric_keys");
    expect(keys.recordset).toEqual([
      {
        name: "##MS_ServiceMasterKey##",
        principal_id: 1,
        symmetric_key_id: 102,
        key_length: 256,
        key_algorithm: "A3",
        algorithm_desc: "AES_256",
        create_date: T0,
        modify_date: T0,
        key_guid: expect.stringMatching(/^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$/),
        key_thumbprint: null,
        provider_type: null,
        cryptographic_provider_guid: null,
        cryptographic_provider_algid: null,
      },
    ]);
    const columns = keys.recordset.columns;
    expect([columns.name!.type, columns.symmetric_key_id!.type, columns.key_algorithm!.type, columns.create_date!.type, columns.key_guid!.type]).toEqual([
      sql.NVarChar,
      sql.Int,
      sql.VarChar,
      sql.DateTime,
      sql.UniqueIdentifier,
    ]);
    serviceMasterKey = keys.recordset[0]!;
    expect(await rows(pool, "SELECT name, database_id, compatibility_level, collation_name, is_master_key_encrypted_by_server FROM sys.databases")).toEqual(
      ["master", "tempdb", "model", "msdb"].map((name, i) => ({ name, database_id: i + 1, compatibility_level: 160, collation_name: "SQL_Latin1_General_CP1_CI_AS", is_master_key_encrypted_by_server: false })),
    );
    expect(await rows(pool, "SELECT * FROM sys.certificates")).toEqual([]);
    expect(await rows(pool, "SELECT * FROM sys.database_mirroring_endpoints")).toEqual([]);
    expect(await rows(pool, "SELECT name, principal_id, type, type_desc, is_disabled, is_fixed_role FROM sys.server_principals WHERE principal_id <= 3 ORDER BY principal_id")).toEqual([
      { name: "sa", principal_id: 1, type: "S", type_desc: "SQL_LOGIN", is_disabled: 0, is_fixed_role: false },
      { name: "public", principal_id: 2, type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: false },
      { name: "sysadmin", principal_id: 3, type: "R", type_desc: "SERVER_ROLE", is_disabled: 0, is_fixed_role: true },
    ]);
  });

  it("CREATE MASTER KEY: ##MS_DatabaseMasterKey## (101), a password and a service-master-key encryption, is_master_key_encrypted_by_server", async () => {
    await at(1, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    const keys = await rows(pool, "SELECT * FROM sys.symmetric_keys ORDER BY symmetric_key_id");
    expect(keys).toEqual([
      {
        name: "##MS_DatabaseMasterKey##",
        principal_id: 1,
        symmetric_key_id: 101,
        key_length: 256,
        key_algorithm: "A3",
        algorithm_desc: "AES_256",
        create_date: minute(1),
        modify_date: minute(1),
        key_guid: expect.stringMatching(/^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$/),
        key_thumbprint: null,
        provider_type: null,
        cryptographic_provider_guid: null,
        cryptographic_provider_algid: null,
      },
      serviceMasterKey,
    ]);
    expect(keys[0]!.key_guid).not.toBe(serviceMasterKey.key_guid);
    expect(await rows(pool, "SELECT key_id, crypt_type, crypt_type_desc, thumbprint FROM sys.key_encryptions ORDER BY crypt_type")).toEqual([
      { key_id: 101, crypt_type: "ESKM", crypt_type_desc: "ENCRYPTION BY MASTER KEY", thumbprint: expect.any(Buffer) },
      { key_id: 101, crypt_type: "ESP2", crypt_type_desc: "ENCRYPTION BY PASSWORD V2", thumbprint: null },
    ]);
    expect(await rows(pool, "SELECT is_master_key_encrypted_by_server FROM sys.databases WHERE name = 'master'")).toEqual([{ is_master_key_encrypted_by_server: true }]);
  });

  it("CREATE CERTIFICATE … WITH SUBJECT: every sys.certificates column, agreeing with the DER node:crypto parses", async () => {
    await at(2, "CREATE CERTIFICATE local_cert WITH SUBJECT = N'Local endpoint', START_DATE = '20300101', EXPIRY_DATE = '20310101'");
    const [{ der }] = await rows<{ der: Buffer }>(pool, "SELECT CERTENCODED(CERT_ID(N'local_cert')) AS der");
    localDer = der!;
    const x509 = new X509Certificate(localDer);
    expect([x509.subject, x509.issuer, x509.verify(x509.publicKey), x509.publicKey.asymmetricKeyDetails?.modulusLength]).toEqual(["CN=Local endpoint", "CN=Local endpoint", true, 2048]);
    expect([new Date(x509.validFrom), new Date(x509.validTo)]).toEqual([new Date("2030-01-01T00:00:00Z"), new Date("2031-01-01T00:00:00Z")]);
    const thumbprint = createHash("sha1").update(localDer).digest();
    const result = await pool.request().batch("SELECT * FROM sys.certificates");
    expect(result.recordset).toEqual([
      {
        name: "local_cert",
        certificate_id: 256,
        principal_id: 1,
        pvt_key_encryption_type: "MK",
        pvt_key_encryption_type_desc: "ENCRYPTED_BY_MASTER_KEY",
        is_active_for_begin_dialog: true,
        issuer_name: "Local endpoint",
        cert_serial_number: serialPairs(x509),
        sid: Buffer.concat([Buffer.from("010600000000000901000000", "hex"), thumbprint]),
        string_sid: `S-1-9-1-${[0, 4, 8, 12, 16].map((o) => thumbprint.readUInt32LE(o)).join("-")}`,
        subject: "Local endpoint",
        expiry_date: new Date("2031-01-01T00:00:00Z"),
        start_date: new Date("2030-01-01T00:00:00Z"),
        thumbprint,
        attested_by: null,
        pvt_key_last_backup_date: null,
        key_length: 2048,
      },
    ]);
    const c = result.recordset.columns;
    expect([c.thumbprint!.type, c.sid!.type, c.expiry_date!.type, c.is_active_for_begin_dialog!.type, c.key_length!.type, c.cert_serial_number!.type]).toEqual([
      sql.VarBinary,
      sql.VarBinary,
      sql.DateTime,
      sql.Bit,
      sql.Int,
      sql.NVarChar,
    ]);
  });

  it("CREATE ENDPOINT: sys.endpoints, sys.tcp_endpoints, sys.database_mirroring_endpoints, and the reference's read-back query", async () => {
    const grantsBefore = await permissions();
    await at(3, `CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${P1}, LISTENER_IP = ALL) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE local_cert, ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)`);
    const endpoint = { name: "Mirroring", endpoint_id: 65536, principal_id: 1, protocol: 2, protocol_desc: "TCP", type: 4, type_desc: "DATABASE_MIRRORING", state: 0, state_desc: "STARTED", is_admin_endpoint: false };
    expect(await rows(pool, "SELECT * FROM sys.endpoints WHERE endpoint_id >= 65536")).toEqual([endpoint]);
    const tcp = await pool.request().batch("SELECT * FROM sys.tcp_endpoints WHERE endpoint_id >= 65536");
    expect(tcp.recordset).toEqual([{ ...endpoint, port: P1, is_dynamic_port: false, ip_address: null }]);
    expect([tcp.recordset.columns.port!.type, tcp.recordset.columns.state!.type, tcp.recordset.columns.ip_address!.type]).toEqual([sql.Int, sql.TinyInt, sql.NVarChar]);
    expect(await rows(pool, "SELECT * FROM sys.database_mirroring_endpoints")).toEqual([
      {
        ...endpoint,
        role: 3,
        role_desc: "ALL",
        is_encryption_enabled: true,
        connection_auth: 4,
        connection_auth_desc: "CERTIFICATE",
        certificate_id: 256,
        encryption_algorithm: 2,
        encryption_algorithm_desc: "AES",
      },
    ]);
    expect(await rows(pool, ENDPOINT_READ_BACK)).toEqual([
      {
        name: "Mirroring",
        endpoint_id: 65536,
        owner: "sa",
        state_desc: "STARTED",
        port: P1,
        ip_address: null,
        role_desc: "ALL",
        connection_auth_desc: "CERTIFICATE",
        certificate_id: 256,
        certificate_name: "local_cert",
        is_encryption_enabled: true,
        encryption_algorithm_desc: "AES",
      },
    ]);
    // Creating the endpoint grants nothing.
    expect(await permissions()).toEqual(grantsBefore);
  });

  it("ALTER ENDPOINT changes exactly the clauses given", async () => {
    await at(4, `ALTER ENDPOINT Mirroring STATE = STOPPED AS TCP (LISTENER_PORT = ${P2}, LISTENER_IP = (127.0.0.1)) FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE local_cert, ENCRYPTION = SUPPORTED ALGORITHM AES RC4, ROLE = PARTNER)`);
    const changed = "SELECT m.state, m.state_desc, t.port, t.ip_address, m.role, m.role_desc, m.connection_auth, m.connection_auth_desc, m.encryption_algorithm, m.encryption_algorithm_desc, m.is_encryption_enabled, m.certificate_id FROM sys.database_mirroring_endpoints m JOIN sys.tcp_endpoints t ON t.endpoint_id = m.endpoint_id";
    expect(await rows(pool, changed)).toEqual([
      {
        state: 1,
        state_desc: "STOPPED",
        port: P2,
        ip_address: "127.0.0.1",
        role: 1,
        role_desc: "PARTNER",
        connection_auth: 7,
        connection_auth_desc: "NEGOTIATE, CERTIFICATE",
        encryption_algorithm: 8,
        encryption_algorithm_desc: "NONE, AES, RC4",
        is_encryption_enabled: true,
        certificate_id: 256,
      },
    ]);
    await at(5, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await at(5, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED)");
    expect(await rows(pool, changed)).toEqual([
      expect.objectContaining({ state: 0, state_desc: "STARTED", port: P2, role_desc: "PARTNER", encryption_algorithm: 0, encryption_algorithm_desc: "NONE", is_encryption_enabled: false }),
    ]);
    await at(5, `ALTER ENDPOINT Mirroring AS TCP (LISTENER_PORT = ${P1}, LISTENER_IP = ALL) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE local_cert, ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)`);
    expect(await rows(pool, ENDPOINT_READ_BACK)).toEqual([expect.objectContaining({ state_desc: "STARTED", port: P1, ip_address: null, role_desc: "ALL", connection_auth_desc: "CERTIFICATE", encryption_algorithm_desc: "AES" })]);
  });

  it("CREATE LOGIN: sys.server_principals, sys.sql_logins (SQL Server's salted SHA-512 hash) and its CONNECT SQL", async () => {
    const before = await permissions();
    await at(6, `CREATE LOGIN peer_login WITH PASSWORD = N'${STRONG}'`);
    const [login] = await rows<Record<string, unknown> & { sid: Buffer }>(pool, "SELECT * FROM sys.server_principals WHERE name = N'peer_login'");
    expect(login).toEqual({
      name: "peer_login",
      principal_id: 256,
      sid: expect.any(Buffer),
      type: "S",
      type_desc: "SQL_LOGIN",
      is_disabled: 0,
      create_date: minute(6),
      modify_date: minute(6),
      default_database_name: "master",
      default_language_name: "us_english",
      credential_id: null,
      owning_principal_id: null,
      is_fixed_role: false,
    });
    expect(login!.sid.length).toBe(16);
    const [sqlLogin] = await rows<{ is_policy_checked: boolean; is_expiration_checked: boolean; password_hash: Buffer }>(
      pool,
      "SELECT is_policy_checked, is_expiration_checked, password_hash FROM sys.sql_logins WHERE name = N'peer_login'",
    );
    expect([sqlLogin!.is_policy_checked, sqlLogin!.is_expiration_checked]).toEqual([true, false]);
    const hash = sqlLogin!.password_hash;
    const salt = hash.subarray(2, 6);
    expect(hash.subarray(0, 2)).toEqual(Buffer.from([0x02, 0x00]));
    expect(hash.subarray(6)).toEqual(createHash("sha512").update(Buffer.from(STRONG, "utf16le")).update(salt).digest());
    expect(await permissions()).toEqual(
      [...before, { class: 100, class_desc: "SERVER", major_id: 0, minor_id: 0, grantee_principal_id: 256, grantor_principal_id: 1, type: "COSQ", permission_name: "CONNECT SQL", state: "G", state_desc: "GRANT" }].sort(
        (a, b) => (a.class as number) - (b.class as number) || (a.major_id as number) - (b.major_id as number) || (a.grantee_principal_id as number) - (b.grantee_principal_id as number),
      ),
    );
  });

  it("CREATE USER … FOR LOGIN: sys.database_principals, mapped by SID", async () => {
    await at(7, "CREATE USER peer_user FOR LOGIN peer_login");
    expect(await rows(pool, "SELECT * FROM sys.database_principals WHERE name = N'peer_user'")).toEqual([
      {
        name: "peer_user",
        principal_id: 5,
        type: "S",
        type_desc: "SQL_USER",
        default_schema_name: "dbo",
        create_date: minute(7),
        modify_date: minute(7),
        owning_principal_id: null,
        sid: (await rows<{ sid: Buffer }>(pool, "SELECT sid FROM sys.server_principals WHERE name = N'peer_login'"))[0]!.sid,
        is_fixed_role: false,
        authentication_type: 1,
        authentication_type_desc: "INSTANCE",
        default_language_name: null,
        default_language_lcid: null,
        allow_encrypted_value_modifications: false,
      },
    ]);
  });

  it("CREATE CERTIFICATE … AUTHORIZATION … FROM BINARY: a public-only certificate owned by the user", async () => {
    await at(8, `CREATE CERTIFICATE peer_cert AUTHORIZATION peer_user FROM BINARY = ${hex(peerDer)}`);
    const x509 = new X509Certificate(peerDer);
    expect(await rows(pool, "SELECT name, certificate_id, principal_id, USER_NAME(principal_id) AS owner, pvt_key_encryption_type, pvt_key_encryption_type_desc, issuer_name, subject, cert_serial_number, start_date, expiry_date, thumbprint, key_length, CERTENCODED(certificate_id) AS der FROM sys.certificates WHERE name = N'peer_cert'")).toEqual([
      {
        name: "peer_cert",
        certificate_id: 257,
        principal_id: 5,
        owner: "peer_user",
        pvt_key_encryption_type: "NA",
        pvt_key_encryption_type_desc: "NO_PRIVATE_KEY",
        issuer_name: "peer endpoint",
        subject: "peer endpoint",
        cert_serial_number: serialPairs(x509),
        start_date: new Date("2030-01-01T00:00:00Z"),
        expiry_date: new Date("2032-01-01T00:00:00Z"),
        thumbprint: createHash("sha1").update(peerDer).digest(),
        key_length: 1024,
        der: peerDer,
      },
    ]);
  });

  it("GRANT / DENY / GRANT WITH GRANT OPTION / REVOKE CONNECT ON ENDPOINT: sys.server_permissions rows", async () => {
    const connectRow = (state: string, stateDesc: string) => ({
      class: 105,
      class_desc: "ENDPOINT",
      major_id: 65536,
      minor_id: 0,
      grantee_principal_id: 256,
      grantor_principal_id: 1,
      type: "CO  ",
      permission_name: "CONNECT",
      state,
      state_desc: stateDesc,
    });
    const endpointGrants = () => rows(pool, "SELECT * FROM sys.server_permissions WHERE class = 105 AND major_id = 65536");
    await at(9, "GRANT CONNECT ON ENDPOINT::Mirroring TO peer_login");
    expect(await endpointGrants()).toEqual([connectRow("G", "GRANT")]);
    expect(await rows(pool, GRANTS_READ_BACK)).toEqual([
      // public's CONNECT on the built-in TSQL endpoints (not the DAC) is listed too, as on SQL Server.
      ...["TSQL Local Machine", "TSQL Named Pipes", "TSQL Default TCP", "TSQL Default VIA"].map((e) => ({ endpoint_name: e, grantee: "public", permission_name: "CONNECT", state_desc: "GRANT" })),
      { endpoint_name: "Mirroring", grantee: "peer_login", permission_name: "CONNECT", state_desc: "GRANT" },
    ]);
    await at(9, "DENY CONNECT ON ENDPOINT::Mirroring TO peer_login");
    expect(await endpointGrants()).toEqual([connectRow("D", "DENY")]);
    await at(9, "GRANT CONNECT ON ENDPOINT::Mirroring TO peer_login WITH GRANT OPTION");
    expect(await endpointGrants()).toEqual([connectRow("W", "GRANT_WITH_GRANT_OPTION")]);
    await at(9, "REVOKE GRANT OPTION FOR CONNECT ON ENDPOINT::Mirroring FROM peer_login CASCADE");
    expect(await endpointGrants()).toEqual([connectRow("G", "GRANT")]);
    await at(9, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM peer_login");
    expect(await endpointGrants()).toEqual([]);
    await at(9, "GRANT CONNECT ON ENDPOINT::Mirroring TO peer_login");
  });

  it("ALTER AUTHORIZATION, ALTER LOGIN DISABLE, BACKUP CERTIFICATE, DROP ENCRYPTION BY SERVICE MASTER KEY", async () => {
    await at(10, "ALTER AUTHORIZATION ON ENDPOINT::Mirroring TO peer_login");
    expect(await rows(pool, "SELECT principal_id, SUSER_NAME(principal_id) AS owner FROM sys.endpoints WHERE name = N'Mirroring'")).toEqual([{ principal_id: 256, owner: "peer_login" }]);
    await at(10, "ALTER AUTHORIZATION ON ENDPOINT::Mirroring TO sa");

    await at(11, "ALTER LOGIN peer_login DISABLE");
    expect(await rows(pool, "SELECT is_disabled, create_date, modify_date FROM sys.server_principals WHERE name = N'peer_login'")).toEqual([{ is_disabled: 1, create_date: minute(6), modify_date: minute(11) }]);
    await at(11, "ALTER LOGIN peer_login ENABLE");

    await at(12, "BACKUP CERTIFICATE local_cert TO FILE = 'local.cer' WITH PRIVATE KEY (FILE = 'local.key', ENCRYPTION BY PASSWORD = N'K3y!Passw0rd')");
    expect(await rows(pool, "SELECT pvt_key_last_backup_date FROM sys.certificates WHERE name = N'local_cert'")).toEqual([{ pvt_key_last_backup_date: minute(12) }]);

    await at(13, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect(await rows(pool, "SELECT is_master_key_encrypted_by_server FROM sys.databases WHERE name = N'master'")).toEqual([{ is_master_key_encrypted_by_server: false }]);
    expect(await rows(pool, "SELECT crypt_type FROM sys.key_encryptions")).toEqual([{ crypt_type: "ESP2" }]);
    await at(13, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; CLOSE MASTER KEY`);
    expect(await rows(pool, "SELECT is_master_key_encrypted_by_server FROM sys.databases WHERE name = N'master'")).toEqual([{ is_master_key_encrypted_by_server: true }]);
  });

  it("teardown in the reference's order leaves the catalog exactly as before any DDL", async () => {
    await at(14, "REVOKE CONNECT ON ENDPOINT::Mirroring FROM peer_login");
    await at(14, "DROP CERTIFICATE peer_cert");
    expect(await rows(pool, "SELECT name FROM sys.certificates")).toEqual([{ name: "local_cert" }]);
    await at(14, "DROP USER peer_user");
    expect(await rows(pool, "SELECT name FROM sys.database_principals WHERE principal_id >= 5 AND principal_id < 16384")).toEqual([]);
    await at(14, "DROP LOGIN peer_login");
    expect(await rows(pool, "SELECT name FROM sys.server_principals WHERE principal_id >= 256")).toEqual([]);
    await at(14, "DROP ENDPOINT Mirroring");
    expect(await rows(pool, "SELECT name FROM sys.endpoints WHERE endpoint_id >= 65536")).toEqual([]);
    await at(14, "DROP CERTIFICATE local_cert");
    await at(14, "DROP MASTER KEY");
    expect(instance.catalog()).toEqual(initial);
  });
});
