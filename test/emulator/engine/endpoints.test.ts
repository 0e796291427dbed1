import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSelfSignedCertificate } from "../../../emulator/crypto/x509";
import { STRONG, errorOf, ok, openInstance, rows, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
  await ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
  await ok(t.sa, "CREATE CERTIFICATE ep_cert WITH SUBJECT = N'ep', START_DATE = '20300101', EXPIRY_DATE = '20310101'");
});
afterEach(async () => {
  await t.engine.close();
});

/** The reference's read-back query (section 3). */
const READ_BACK = `SELECT m.name, m.endpoint_id, SUSER_NAME(m.principal_id) AS owner, m.state_desc,
       t.port, t.ip_address, m.role_desc, m.connection_auth_desc,
       m.certificate_id, c.name AS certificate_name,
       m.is_encryption_enabled, m.encryption_algorithm_desc
FROM sys.database_mirroring_endpoints AS m
JOIN sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id
LEFT JOIN master.sys.certificates AS c ON c.certificate_id = m.certificate_id;`;

const readBack = async () => (await rows(t.sa, READ_BACK))[0];

describe("CREATE ENDPOINT … FOR DATABASE_MIRRORING", () => {
  it("creates the endpoint with every clause reflected in the catalog views", async () => {
    await ok(
      t.sa,
      "CREATE ENDPOINT [Mirroring] STATE = STARTED AS TCP (LISTENER_PORT = 5022, LISTENER_IP = ALL) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ep_cert, ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)",
    );
    expect(await readBack()).toEqual({
      name: "Mirroring",
      endpoint_id: 65536,
      owner: "sa",
      state_desc: "STARTED",
      port: 5022,
      ip_address: null,
      role_desc: "ALL",
      connection_auth_desc: "CERTIFICATE",
      certificate_id: 256,
      certificate_name: "ep_cert",
      is_encryption_enabled: true,
      encryption_algorithm_desc: "AES",
    });
    expect(await rows(t.sa, "SELECT * FROM sys.endpoints WHERE endpoint_id = 65536")).toEqual([
      { name: "Mirroring", endpoint_id: 65536, principal_id: 1, protocol: 2, protocol_desc: "TCP", type: 4, type_desc: "DATABASE_MIRRORING", state: 0, state_desc: "STARTED", is_admin_endpoint: false },
    ]);
    expect(await rows(t.sa, "SELECT role, connection_auth, encryption_algorithm, is_dynamic_port FROM sys.database_mirroring_endpoints m JOIN sys.tcp_endpoints t ON t.endpoint_id = m.endpoint_id")).toEqual([
      { role: 3, connection_auth: 4, encryption_algorithm: 2, is_dynamic_port: false },
    ]);
  });

  it("applies the documented defaults: STOPPED, WINDOWS NEGOTIATE, ENCRYPTION REQUIRED AES", async () => {
    await ok(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5023) FOR DATABASE_MIRRORING (ROLE = PARTNER)");
    expect(await readBack()).toMatchObject({ state_desc: "STOPPED", connection_auth_desc: "NEGOTIATE", certificate_id: 0, certificate_name: null, encryption_algorithm_desc: "AES", role_desc: "PARTNER", is_encryption_enabled: true });
  });

  it.each([
    ["WINDOWS NTLM", "NTLM", 1],
    ["WINDOWS KERBEROS", "KERBEROS", 2],
    ["WINDOWS", "NEGOTIATE", 3],
    ["CERTIFICATE ep_cert", "CERTIFICATE", 4],
    ["WINDOWS NTLM CERTIFICATE ep_cert", "NTLM, CERTIFICATE", 5],
    ["WINDOWS KERBEROS CERTIFICATE ep_cert", "KERBEROS, CERTIFICATE", 6],
    ["WINDOWS NEGOTIATE CERTIFICATE ep_cert", "NEGOTIATE, CERTIFICATE", 7],
    ["CERTIFICATE ep_cert WINDOWS NTLM", "CERTIFICATE, NTLM", 8],
    ["CERTIFICATE ep_cert WINDOWS KERBEROS", "CERTIFICATE, KERBEROS", 9],
    ["CERTIFICATE ep_cert WINDOWS", "CERTIFICATE, NEGOTIATE", 10],
  ])("AUTHENTICATION = %s → %s (%i)", async (clause, desc, code) => {
    await ok(t.sa, `CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = ${clause}, ROLE = ALL)`);
    expect(await rows(t.sa, "SELECT connection_auth, connection_auth_desc FROM sys.database_mirroring_endpoints")).toEqual([{ connection_auth: code, connection_auth_desc: desc }]);
  });

  it.each([
    ["DISABLED", "NONE", 0, false],
    ["REQUIRED", "AES", 2, true],
    ["REQUIRED ALGORITHM RC4", "RC4", 1, true],
    ["REQUIRED ALGORITHM AES RC4", "AES, RC4", 6, true],
    ["REQUIRED ALGORITHM RC4 AES", "RC4, AES", 5, true],
    ["SUPPORTED", "NONE, AES", 4, true],
    ["SUPPORTED ALGORITHM RC4", "NONE, RC4", 3, true],
    ["SUPPORTED ALGORITHM AES RC4", "NONE, AES, RC4", 8, true],
    ["SUPPORTED ALGORITHM RC4 AES", "NONE, RC4, AES", 7, true],
  ])("ENCRYPTION = %s → %s (%i)", async (clause, desc, code, enabled) => {
    await ok(t.sa, `CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = WITNESS ENCRYPTION = ${clause})`);
    expect(await rows(t.sa, "SELECT encryption_algorithm, encryption_algorithm_desc, is_encryption_enabled, role, role_desc FROM sys.database_mirroring_endpoints")).toEqual([
      { encryption_algorithm: code, encryption_algorithm_desc: desc, is_encryption_enabled: enabled, role: 2, role_desc: "WITNESS" },
    ]);
  });

  it("keeps LISTENER_IP as given (IPv4 bare, IPv6 quoted)", async () => {
    await ok(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022, LISTENER_IP = (10.0.75.1)) FOR DATABASE_MIRRORING (ROLE = ALL)");
    expect(await scalar(t.sa, "SELECT ip_address FROM sys.tcp_endpoints WHERE endpoint_id >= 65536")).toBe("10.0.75.1");
    await ok(t.sa, "ALTER ENDPOINT e AS TCP (LISTENER_IP = ('::1'))");
    expect(await scalar(t.sa, "SELECT ip_address FROM sys.tcp_endpoints WHERE endpoint_id >= 65536")).toBe("::1");
    expect((await errorOf(t.sa, "ALTER ENDPOINT e AS TCP (LISTENER_IP = ('not:an:ip:zz'))")).number).toBe(7888);
    // Only the canonical text form is accepted (7887, raised with class 16 instead of the listed 20).
    for (const address of ["fd00:0:0:0:0:0:0:5", "FD00::5", "fd00::0005", "fd00::1:0:0:0:5", "2001:db8::1:1:1:1:1", "::ffff:10.0.0.1"]) {
      expect(await errorOf(t.sa, `ALTER ENDPOINT e AS TCP (LISTENER_IP = ('${address}'))`)).toMatchObject({
        number: 7887,
        class: 16,
        message: "The IPv6 address specified is not supported. Only addresses that are in their numeric, canonical form are supported for listening.",
      });
    }
    expect(await scalar(t.sa, "SELECT ip_address FROM sys.tcp_endpoints WHERE endpoint_id >= 65536")).toBe("::1");
    for (const address of ["fd00::5", "fd00:0:0:1::5", "2001:db8:0:1:1:1:1:1", "1::"]) {
      await ok(t.sa, `ALTER ENDPOINT e AS TCP (LISTENER_IP = ('${address}'))`);
      expect(await scalar(t.sa, "SELECT ip_address FROM sys.tcp_endpoints WHERE endpoint_id >= 65536")).toBe(address);
    }
    expect((await errorOf(t.sa, "ALTER ENDPOINT e AS TCP (LISTENER_IP = (10.0.300.1))")).number).toBe(102);
  });

  it("allows one DATABASE_MIRRORING endpoint per instance (7862), whatever its name or port", async () => {
    await ok(t.sa, "CREATE ENDPOINT e1 AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)");
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "CREATE ENDPOINT e2 AS TCP (LISTENER_PORT = 5023) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ep_cert, ROLE = PARTNER)")).toMatchObject({
      number: 7862,
      class: 16,
      message: "An endpoint of the requested type already exists. Only one endpoint of this type is supported. Use ALTER ENDPOINT or DROP the existing endpoint and execute the CREATE ENDPOINT statement.",
    });
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("reserves names starting with ## (7869)", async () => {
    expect(await errorOf(t.sa, "CREATE ENDPOINT [##mine] AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)")).toMatchObject({
      number: 7869,
      message: "The endpoint name '##mine' is reserved for used by SQL. Endpoint names cannot begin with '##'.",
    });
  });

  it("checks the port: range (7810), taken by another process (7890)", async () => {
    expect(await errorOf(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 70000) FOR DATABASE_MIRRORING (ROLE = ALL)")).toMatchObject({
      number: 7810,
      message: "The value '70000' is not within range for the 'LISTENER_PORT' parameter.",
    });
    expect((await errorOf(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 0) FOR DATABASE_MIRRORING (ROLE = ALL)")).number).toBe(7810);
    const busy = await openInstance({ portInUse: (p) => p === 1433 });
    expect((await errorOf(busy.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 1433) FOR DATABASE_MIRRORING (ROLE = ALL)")).number).toBe(7890);
    await busy.engine.close();
  });

  it("requires LISTENER_PORT and ROLE (7801)", async () => {
    expect(await errorOf(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_IP = ALL) FOR DATABASE_MIRRORING (ROLE = ALL)")).toMatchObject({ number: 7801, message: "The required parameter LISTENER_PORT was not specified." });
    expect(await errorOf(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED)")).toMatchObject({ number: 7801, message: "The required parameter ROLE was not specified." });
  });

  it("needs the certificate to exist (15151) and to be usable for endpoints (28055)", async () => {
    expect(await errorOf(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE nope, ROLE = ALL)")).toMatchObject({
      number: 15151,
      message: "Cannot find the certificate 'nope', because it does not exist or you do not have permission.",
    });
    const refuse = async (cert: string) =>
      expect(await errorOf(t.sa, `CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${cert}, ROLE = ALL)`)).toEqual({
        number: 28055,
        state: 1,
        class: 16,
        line: 1,
        message: `The certificate '${cert}' is not valid for endpoint authentication. The certificate must have a private key encrypted with the database master key and current UTC date has to be between the certificate start date and the certificate expiration date.`,
      });
    await ok(t.sa, "CREATE CERTIFICATE pw_cert ENCRYPTION BY PASSWORD = N'K3y!Passw0rd' WITH SUBJECT = N'pw', START_DATE = '20300101', EXPIRY_DATE = '20310101'");
    await refuse("pw_cert");
    await ok(t.sa, "CREATE CERTIFICATE expired WITH SUBJECT = N'x', START_DATE = '20200101', EXPIRY_DATE = '20210101'");
    await refuse("expired");
    await ok(t.sa, "CREATE CERTIFICATE future WITH SUBJECT = N'f', START_DATE = '20350101', EXPIRY_DATE = '20360101'");
    await refuse("future");
    const publicOnly = await generateSelfSignedCertificate({ subject: "p", notBefore: new Date("2030-01-01Z"), notAfter: new Date("2031-01-01Z"), keyBits: 1024 });
    await ok(t.sa, `CREATE CERTIFICATE public_only FROM BINARY = 0x${publicOnly.der.toString("hex")}`);
    await refuse("public_only");
  });

  it("cannot run inside a user transaction (226)", async () => {
    const outcomes = await ok(t.sa, "BEGIN TRAN").then(() => t.sa.execute("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)"));
    expect(outcomes).toEqual([{ kind: "error", error: { number: 226, state: 6, class: 16, line: 1, message: "CREATE ENDPOINT statement not allowed within multi-statement transaction." } }]);
    await ok(t.sa, "COMMIT");
    await ok(t.sa, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)");
    await ok(t.sa, "BEGIN TRANSACTION");
    expect((await errorOf(t.sa, "ALTER ENDPOINT e STATE = STARTED")).message).toBe("ALTER ENDPOINT statement not allowed within multi-statement transaction.");
    expect((await errorOf(t.sa, "DROP ENDPOINT e")).message).toBe("DROP ENDPOINT statement not allowed within multi-statement transaction.");
    await ok(t.sa, "ROLLBACK");
  });

  it("is refused to a login without CREATE ENDPOINT (15247), allowed once granted", async () => {
    await ok(t.sa, `CREATE LOGIN builder WITH PASSWORD = N'${STRONG}'`);
    const builder = t.engine.openSession("builder");
    const sql = "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL)";
    expect((await errorOf(builder, sql)).number).toBe(15247);
    await ok(t.sa, "GRANT CREATE ENDPOINT TO builder");
    await ok(builder, sql);
    expect(await scalar(t.sa, "SELECT SUSER_NAME(principal_id) FROM sys.endpoints WHERE name = 'e'")).toBe("builder");
    builder.close();
  });
});

describe("ALTER ENDPOINT", () => {
  beforeEach(async () => {
    await ok(t.sa, "CREATE ENDPOINT e STATE = STOPPED AS TCP (LISTENER_PORT = 5022, LISTENER_IP = (10.0.0.1)) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ep_cert, ENCRYPTION = SUPPORTED, ROLE = PARTNER)");
  });

  it("changes only the clauses given", async () => {
    const before = await readBack();
    await ok(t.sa, "ALTER ENDPOINT e STATE = STARTED");
    expect(await readBack()).toEqual({ ...before, state_desc: "STARTED" });
    await ok(t.sa, "ALTER ENDPOINT e AS TCP (LISTENER_PORT = 5999)");
    expect(await readBack()).toEqual({ ...before, state_desc: "STARTED", port: 5999 });
    await ok(t.sa, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (ROLE = ALL)");
    expect(await readBack()).toEqual({ ...before, state_desc: "STARTED", port: 5999, role_desc: "ALL" });
    await ok(t.sa, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED)");
    expect(await readBack()).toEqual({ ...before, state_desc: "STARTED", port: 5999, role_desc: "ALL", is_encryption_enabled: false, encryption_algorithm_desc: "NONE" });
  });

  it("rotates the certificate (28055 rules apply again)", async () => {
    await ok(t.sa, "CREATE CERTIFICATE next_cert WITH SUBJECT = N'next', START_DATE = '20300101', EXPIRY_DATE = '20320101'");
    await ok(t.sa, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE next_cert)");
    expect(await readBack()).toMatchObject({ certificate_name: "next_cert", role_desc: "PARTNER", encryption_algorithm_desc: "NONE, AES" });
    await ok(t.sa, "DROP CERTIFICATE ep_cert");
    t.clock.now = new Date("2033-01-01T00:00:00Z");
    await ok(t.sa, "CREATE CERTIFICATE late WITH SUBJECT = N'late', START_DATE = '20300101', EXPIRY_DATE = '20320101'");
    expect((await errorOf(t.sa, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE late)")).number).toBe(28055);
  });

  it("cannot change transport or payload (7860) and needs something to change (7863)", async () => {
    expect(await errorOf(t.sa, "ALTER ENDPOINT e FOR SERVICE_BROKER (AUTHENTICATION = WINDOWS)")).toMatchObject({
      number: 7860,
      class: 15,
      message: "An endpoint's transport or content cannot be changed through the ALTER ENDPOINT statement. Use DROP ENDPOINT and execute the CREATE ENDPOINT statement to make these changes.",
    });
    expect((await errorOf(t.sa, "ALTER ENDPOINT e AS HTTP (PATH = '/x')")).number).toBe(7860);
    expect(await errorOf(t.sa, "ALTER ENDPOINT e")).toMatchObject({
      number: 7863,
      message: "The endpoint was not changed. The ALTER ENDPOINT statement did not contain any values to modify or update.",
    });
  });

  it("reports a missing endpoint with 15151 and refuses AUTHORIZATION in ALTER", async () => {
    expect(await errorOf(t.sa, "ALTER ENDPOINT nope STATE = STARTED")).toMatchObject({ number: 15151, message: "Cannot alter the endpoint 'nope', because it does not exist or you do not have permission." });
    expect((await errorOf(t.sa, "ALTER ENDPOINT e AUTHORIZATION sa STATE = STARTED")).number).toBe(156);
  });

  it("changes the owner with ALTER AUTHORIZATION ON ENDPOINT::", async () => {
    await ok(t.sa, `CREATE LOGIN owner_login WITH PASSWORD = N'${STRONG}'; ALTER AUTHORIZATION ON ENDPOINT::e TO owner_login`);
    expect((await readBack())!.owner).toBe("owner_login");
    expect((await errorOf(t.sa, "ALTER AUTHORIZATION ON ENDPOINT::e TO sysadmin")).number).toBe(15345);
  });

  const ENDPOINT_PERMISSIONS = `SELECT SUSER_NAME(p.grantee_principal_id) AS grantee, SUSER_NAME(p.grantor_principal_id) AS grantor, p.permission_name, p.state
    FROM sys.server_permissions AS p JOIN sys.endpoints AS e ON e.endpoint_id = p.major_id
    WHERE p.class = 105 AND e.name = N'e' ORDER BY grantee, permission_name`;

  it("drops every permission on the endpoint when its owner changes (ALTER AUTHORIZATION, Remarks)", async () => {
    await ok(
      t.sa,
      `CREATE LOGIN peer_a WITH PASSWORD = N'${STRONG}'; CREATE LOGIN peer_b WITH PASSWORD = N'${STRONG}'; CREATE LOGIN new_owner WITH PASSWORD = N'${STRONG}';
       GRANT CONNECT ON ENDPOINT::e TO peer_a WITH GRANT OPTION; DENY ALTER ON ENDPOINT::e TO peer_b; GRANT VIEW DEFINITION ON ENDPOINT::e TO public`,
    );
    expect(await rows(t.sa, ENDPOINT_PERMISSIONS)).toHaveLength(3);
    // Permissions on other securables stay: the built-in endpoints' CONNECT for public, server permissions.
    const others = await rows(t.sa, "SELECT class, major_id, grantee_principal_id, type, state FROM sys.server_permissions WHERE NOT (class = 105 AND major_id >= 65536)");
    await ok(t.sa, "ALTER AUTHORIZATION ON ENDPOINT::e TO new_owner");
    expect((await readBack())!.owner).toBe("new_owner");
    expect(await rows(t.sa, ENDPOINT_PERMISSIONS)).toEqual([]);
    expect(await rows(t.sa, "SELECT class, major_id, grantee_principal_id, type, state FROM sys.server_permissions WHERE NOT (class = 105 AND major_id >= 65536)")).toEqual(others);
    // Naming the current owner again drops them too (the emulator's stricter reading; emulator/README.md).
    await ok(t.sa, "GRANT CONNECT ON ENDPOINT::e TO peer_a");
    await ok(t.sa, "ALTER AUTHORIZATION ON ENDPOINT::e TO new_owner");
    expect(await rows(t.sa, ENDPOINT_PERMISSIONS)).toEqual([]);
    // A failed transfer changes nothing.
    await ok(t.sa, "GRANT CONNECT ON ENDPOINT::e TO peer_a");
    expect((await errorOf(t.sa, "ALTER AUTHORIZATION ON ENDPOINT::e TO nobody")).number).toBe(15151);
    expect(await rows(t.sa, ENDPOINT_PERMISSIONS)).toEqual([{ grantee: "peer_a", grantor: "sa", permission_name: "CONNECT", state: "G" }]);
  });

  it("records the AS login as grantor; it needs the right to grant (4613) and sysadmin to borrow it (15247)", async () => {
    await ok(
      t.sa,
      `CREATE LOGIN peer_a WITH PASSWORD = N'${STRONG}'; CREATE LOGIN peer_b WITH PASSWORD = N'${STRONG}'; CREATE LOGIN peer_c WITH PASSWORD = N'${STRONG}';
       GRANT CONNECT ON ENDPOINT::e TO peer_a WITH GRANT OPTION`,
    );
    await ok(t.sa, "GRANT CONNECT ON ENDPOINT::e TO peer_b AS peer_a; DENY CONNECT ON ENDPOINT::e TO peer_c AS peer_a");
    expect(await rows(t.sa, ENDPOINT_PERMISSIONS)).toEqual([
      { grantee: "peer_a", grantor: "sa", permission_name: "CONNECT", state: "W" },
      { grantee: "peer_b", grantor: "peer_a", permission_name: "CONNECT", state: "G" },
      { grantee: "peer_c", grantor: "peer_a", permission_name: "CONNECT", state: "D" },
    ]);
    expect((await errorOf(t.sa, "GRANT ALTER ON ENDPOINT::e TO peer_b AS peer_a")).number).toBe(4613);
    expect((await errorOf(t.sa, "GRANT CONNECT ON ENDPOINT::e TO peer_a AS peer_a")).number).toBe(4624);
    expect((await errorOf(t.sa, "GRANT CONNECT ON ENDPOINT::e TO peer_b AS nobody")).number).toBe(15151);
    const b = t.engine.openSession("peer_b");
    expect((await errorOf(b, "GRANT CONNECT ON ENDPOINT::e TO peer_c AS peer_a")).number).toBe(15247);
  });
});

describe("DROP ENDPOINT", () => {
  it("drops the endpoint and its permissions; built-in ones are 7873, missing ones 15151", async () => {
    await ok(t.sa, `CREATE ENDPOINT e AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL); CREATE LOGIN peer WITH PASSWORD = N'${STRONG}'; GRANT CONNECT ON ENDPOINT::e TO peer`);
    await ok(t.sa, "DROP ENDPOINT e");
    expect(await rows(t.sa, "SELECT name FROM sys.database_mirroring_endpoints")).toEqual([]);
    expect(await rows(t.sa, "SELECT major_id FROM sys.server_permissions WHERE class = 105 AND major_id >= 65536")).toEqual([]);
    expect(await errorOf(t.sa, "DROP ENDPOINT [TSQL Default TCP]")).toMatchObject({
      number: 7873,
      message: 'The endpoint "TSQL Default TCP" is a built-in endpoint and cannot be dropped. Use the protocol configuration utilities to ADD or DROP Transact-SQL endpoints.',
    });
    expect(await errorOf(t.sa, "DROP ENDPOINT e")).toMatchObject({ number: 15151, message: "Cannot drop the endpoint 'e', because it does not exist or you do not have permission." });
  });

  it("lists the built-in TSQL endpoints in sys.endpoints and sys.tcp_endpoints", async () => {
    expect(await rows(t.sa, "SELECT endpoint_id, name, protocol_desc, type_desc, state_desc, is_admin_endpoint FROM sys.endpoints ORDER BY endpoint_id")).toEqual([
      { endpoint_id: 1, name: "Dedicated Admin Connection", protocol_desc: "TCP", type_desc: "TSQL", state_desc: "STARTED", is_admin_endpoint: true },
      { endpoint_id: 2, name: "TSQL Local Machine", protocol_desc: "SHARED_MEMORY", type_desc: "TSQL", state_desc: "STARTED", is_admin_endpoint: false },
      { endpoint_id: 3, name: "TSQL Named Pipes", protocol_desc: "NAMED_PIPES", type_desc: "TSQL", state_desc: "STARTED", is_admin_endpoint: false },
      { endpoint_id: 4, name: "TSQL Default TCP", protocol_desc: "TCP", type_desc: "TSQL", state_desc: "STARTED", is_admin_endpoint: false },
      { endpoint_id: 5, name: "TSQL Default VIA", protocol_desc: "VIA", type_desc: "TSQL", state_desc: "STARTED", is_admin_endpoint: false },
    ]);
    expect(await rows(t.sa, "SELECT endpoint_id, port, is_dynamic_port FROM sys.tcp_endpoints")).toEqual([
      { endpoint_id: 1, port: 0, is_dynamic_port: true },
      { endpoint_id: 4, port: 0, is_dynamic_port: true },
    ]);
  });
});
