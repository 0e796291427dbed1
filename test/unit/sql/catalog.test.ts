import { describe, expect, it } from "vitest";
import {
  certificateNamesByThumbprintQuery,
  certificateQuery,
  endpointPermissionQuery,
  endpointQuery,
  loginQuery,
  masterKeyQuery,
  mirroringEndpointQuery,
  userQuery,
} from "../../../provider/sql/catalog";
import { certificateRow, endpointRow, loginRow, permissionRow, SAMPLE_DER, userRow } from "./fakes";

const sqlOf = (query: { statements: readonly { sql: string }[] }) => query.statements.map((s) => s.sql);

describe("catalog SELECT texts (parameterised, master.sys.…)", () => {
  it("master key: two SELECTs", () => {
    expect(sqlOf(masterKeyQuery())).toEqual([
      "SELECT k.create_date FROM master.sys.symmetric_keys AS k WHERE k.name = N'##MS_DatabaseMasterKey##'",
      "SELECT d.is_master_key_encrypted_by_server FROM master.sys.databases AS d WHERE d.name = N'master'",
    ]);
    expect(masterKeyQuery().resultCount).toBe(2);
  });

  it("certificate by name", () => {
    const query = certificateQuery("c]1");
    expect(sqlOf(query)).toEqual([
      "SELECT c.name, c.certificate_id, USER_NAME(c.principal_id) AS owner_name, c.subject, c.issuer_name, " +
        "c.cert_serial_number, c.start_date, c.expiry_date, c.thumbprint, c.pvt_key_encryption_type, " +
        "CERTENCODED(c.certificate_id) AS public_certificate FROM master.sys.certificates AS c WHERE c.name = @name",
    ]);
    expect(query.statements[0].params).toEqual({ name: { type: "nvarchar", value: "c]1" } });
  });

  it("certificate names by thumbprint", () => {
    const thumbprint = Buffer.from("aabb", "hex");
    const query = certificateNamesByThumbprintQuery(thumbprint);
    expect(sqlOf(query)).toEqual(["SELECT c.name FROM master.sys.certificates AS c WHERE c.thumbprint = @thumbprint"]);
    expect(query.statements[0].params).toEqual({ thumbprint: { type: "varbinary", value: thumbprint } });
  });

  const endpointSelect =
    "SELECT m.name, m.endpoint_id, SUSER_NAME(m.principal_id) AS owner_name, m.state_desc, t.port, t.ip_address, " +
    "m.role_desc, m.connection_auth_desc, c.name AS certificate_name, m.is_encryption_enabled, m.encryption_algorithm_desc " +
    "FROM master.sys.database_mirroring_endpoints AS m JOIN master.sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id " +
    "LEFT JOIN master.sys.certificates AS c ON c.certificate_id = m.certificate_id";

  it("endpoint by name, and whichever exists", () => {
    expect(sqlOf(endpointQuery("hadr"))).toEqual([`${endpointSelect} WHERE m.name = @name`]);
    expect(endpointQuery("hadr").statements[0].params).toEqual({ name: { type: "nvarchar", value: "hadr" } });
    expect(sqlOf(mirroringEndpointQuery())).toEqual([endpointSelect]);
    expect(mirroringEndpointQuery().statements[0].params).toEqual({});
  });

  it("login, user, permission", () => {
    expect(sqlOf(loginQuery("l"))).toEqual([
      "SELECT p.name, p.principal_id, p.sid, p.type, p.is_disabled, p.create_date, l.is_policy_checked, l.is_expiration_checked " +
        "FROM master.sys.server_principals AS p LEFT JOIN master.sys.sql_logins AS l ON l.principal_id = p.principal_id WHERE p.name = @name",
    ]);
    expect(sqlOf(userQuery("u"))).toEqual([
      "SELECT u.name, u.principal_id, u.type, u.sid, sp.name AS login_name, u.create_date " +
        "FROM master.sys.database_principals AS u LEFT JOIN master.sys.server_principals AS sp ON sp.sid = u.sid WHERE u.name = @name",
    ]);
    const permission = endpointPermissionQuery("hadr", "peer_b");
    expect(sqlOf(permission)).toEqual([
      "SELECT e.name AS endpoint_name, sp.name AS login_name, p.state FROM master.sys.server_permissions AS p " +
        "JOIN master.sys.endpoints AS e ON e.endpoint_id = p.major_id " +
        "JOIN master.sys.server_principals AS sp ON sp.principal_id = p.grantee_principal_id " +
        "WHERE p.class = 105 AND p.type = 'CO' AND e.name = @endpoint AND sp.name = @login",
    ]);
    expect(permission.statements[0].params).toEqual({ endpoint: { type: "nvarchar", value: "hadr" }, login: { type: "nvarchar", value: "peer_b" } });
  });
});

describe("row mappers", () => {
  it("master key: absent, present, SMK flag", () => {
    const query = masterKeyQuery();
    expect(query.map([[], [{ is_master_key_encrypted_by_server: false }]])).toBeUndefined();
    expect(query.map([[{ create_date: new Date("2025-03-04T05:06:07.123Z") }], [{ is_master_key_encrypted_by_server: true }]])).toEqual({
      createDate: "2025-03-04T05:06:07Z",
      encryptedByServiceMasterKey: true,
    });
    expect(() => query.map([[{ create_date: new Date() }], []])).toThrow(/no row for master/);
  });

  it("certificate", () => {
    expect(certificateQuery("c1").map([[certificateRow()]])).toEqual({
      name: "c1",
      certificateId: 256,
      owner: "dbo",
      subject: "sql1 mirroring",
      issuer: "sql1 mirroring",
      serialNumber: "5e 01",
      startDate: "2025-01-01T00:00:00Z",
      expiryDate: "2030-01-01T00:00:00Z",
      thumbprint: "00112233445566778899AABBCCDDEEFF00112233",
      publicCertificate: SAMPLE_DER,
      privateKeyEncryption: "MK",
    });
    expect(certificateQuery("c1").map([[]])).toBeUndefined();
    expect(certificateQuery("c1").map([[certificateRow({ owner_name: null, pvt_key_encryption_type: "NA" })]])).toMatchObject({ owner: null, privateKeyEncryption: "NA" });
  });

  it("certificate names by thumbprint: a list, possibly empty", () => {
    const query = certificateNamesByThumbprintQuery(Buffer.from("aa", "hex"));
    expect(query.map([[]])).toEqual([]);
    expect(query.map([[{ name: "a" }, { name: "b" }]])).toEqual(["a", "b"]);
  });

  it("endpoint", () => {
    expect(endpointQuery("hadr").map([[endpointRow()]])).toEqual({
      name: "hadr",
      endpointId: 65536,
      owner: "sa",
      state: "STARTED",
      port: 5022,
      ipAddress: null,
      role: "ALL",
      authentication: "CERTIFICATE",
      certificateName: "c1",
      encryption: "REQUIRED",
      algorithm: "AES",
    });
    expect(endpointQuery("hadr").map([[endpointRow({ ip_address: "10.0.0.5", certificate_name: null, connection_auth_desc: "NEGOTIATE" })]])).toMatchObject({
      ipAddress: "10.0.0.5",
      certificateName: null,
      authentication: "NEGOTIATE",
    });
  });

  // The DDL → catalog mapping of the reference (§3), read backwards.
  it.each([
    [false, "NONE", "DISABLED", null],
    [0, "NONE", "DISABLED", null],
    [true, "AES", "REQUIRED", "AES"],
    [true, "RC4", "REQUIRED", "RC4"],
    [true, "AES, RC4", "REQUIRED", "AES RC4"],
    [true, "RC4, AES", "REQUIRED", "RC4 AES"],
    [1, "NONE, AES", "SUPPORTED", "AES"],
    [true, "NONE, RC4", "SUPPORTED", "RC4"],
    [true, "NONE, AES, RC4", "SUPPORTED", "AES RC4"],
    [true, "NONE, RC4, AES", "SUPPORTED", "RC4 AES"],
  ])("encryption enabled=%s, %s → %s %s", (enabled, desc, encryption, algorithm) => {
    const record = endpointQuery("hadr").map([[endpointRow({ is_encryption_enabled: enabled, encryption_algorithm_desc: desc })]]);
    expect(record).toMatchObject({ encryption, algorithm });
  });

  it("refuses an encrypting endpoint whose algorithm reads NONE", () => {
    expect(() => endpointQuery("hadr").map([[endpointRow({ is_encryption_enabled: true, encryption_algorithm_desc: "NONE" })]])).toThrow(
      /encryption_algorithm_desc 'NONE'/,
    );
  });

  it("refuses catalog values it does not know", () => {
    expect(() => endpointQuery("hadr").map([[endpointRow({ state_desc: "PAUSED" })]])).toThrow(/state_desc should be one of STARTED, STOPPED, DISABLED, got 'PAUSED'/);
    expect(() => endpointQuery("hadr").map([[endpointRow({ port: "5022" })]])).toThrow(/column port should be an integer, got '5022'/);
    expect(() => endpointQuery("hadr").map([[endpointRow(), endpointRow()]])).toThrow(/2 rows where at most one/);
  });

  it("login (SQL login, and a principal that is not one)", () => {
    expect(loginQuery("peer_b").map([[loginRow()]])).toEqual({
      name: "peer_b",
      principalId: 267,
      type: "S",
      sid: "0A0B",
      isDisabled: false,
      checkPolicy: true,
      checkExpiration: false,
      createDate: "2025-02-03T04:05:06Z",
    });
    expect(loginQuery("x").map([[loginRow({ type: "U ", is_policy_checked: null, is_expiration_checked: null })]])).toMatchObject({
      type: "U",
      checkPolicy: null,
      checkExpiration: null,
    });
  });

  it("user (mapped, and orphaned)", () => {
    expect(userQuery("peer_b_user").map([[userRow()]])).toEqual({
      name: "peer_b_user",
      principalId: 5,
      type: "S",
      sid: "0A0B",
      loginName: "peer_b",
      createDate: "2025-02-03T04:05:06Z",
    });
    expect(userQuery("u").map([[userRow({ login_name: null })]])).toMatchObject({ loginName: null });
  });

  it("permission", () => {
    expect(endpointPermissionQuery("hadr", "peer_b").map([[permissionRow("W")]])).toEqual({ endpointName: "hadr", loginName: "peer_b", state: "W" });
    // sys.server_permissions documents R (revoke) too: it reads, as a state that grants nothing.
    expect(endpointPermissionQuery("hadr", "peer_b").map([[permissionRow("R")]])).toEqual({ endpointName: "hadr", loginName: "peer_b", state: "R" });
    expect(() => endpointPermissionQuery("hadr", "peer_b").map([[permissionRow("X")]])).toThrow(/one of G, W, D, R/);
  });

  it("type errors name the column", () => {
    expect(() => certificateQuery("c").map([[certificateRow({ thumbprint: "00AA" })]])).toThrow(/column thumbprint should be binary, got '00AA'/);
    expect(() => certificateQuery("c").map([[certificateRow({ start_date: "2025-01-01" })]])).toThrow(/column start_date should be a datetime/);
    expect(() => loginQuery("c").map([[loginRow({ is_disabled: "no" })]])).toThrow(/column is_disabled should be a bit/);
  });
});
