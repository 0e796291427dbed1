import { describe, expect, it } from "vitest";
import type { EncryptionAlgorithm, EndpointEncryption, EndpointRecord } from "../../../provider/sql/records";
import {
  buildAlterEndpoint,
  buildCreateEndpoint,
  buildDropEndpoint,
  endpointChanges,
  endpointSpecFromRecord,
  type EndpointSpec,
} from "../../../provider/sql/statements/endpoint";

const GUARD = "IF NOT EXISTS (SELECT 1 FROM master.sys.database_mirroring_endpoints WHERE name = @name)";
const base: EndpointSpec = { name: "hadr", port: 5022, certificateName: "sql1_cert" };

describe("CREATE ENDPOINT", () => {
  it("defaults written out: STARTED, ALL, REQUIRED AES, ROLE ALL", () => {
    expect(buildCreateEndpoint(base)).toEqual({
      sql:
        `${GUARD} CREATE ENDPOINT [hadr] STATE = STARTED AS TCP (LISTENER_PORT = 5022, LISTENER_IP = ALL) ` +
        "FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [sql1_cert], ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)",
      params: { name: { type: "nvarchar", value: "hadr" } },
      secrets: [],
    });
  });

  it("every option given", () => {
    const spec: EndpointSpec = {
      name: "Mirroring]EP",
      owner: "ep_owner",
      state: "STOPPED",
      port: 7022,
      listenerIp: "10.0.75.1",
      certificateName: "c'1",
      encryption: "SUPPORTED",
      algorithm: "RC4 AES",
      role: "WITNESS",
    };
    expect(buildCreateEndpoint(spec).sql).toBe(
      `${GUARD} CREATE ENDPOINT [Mirroring]]EP] AUTHORIZATION [ep_owner] STATE = STOPPED AS TCP (LISTENER_PORT = 7022, LISTENER_IP = (10.0.75.1)) ` +
        "FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [c'1], ENCRYPTION = SUPPORTED ALGORITHM RC4 AES, ROLE = WITNESS)",
    );
  });

  it.each([
    ["ALL", "LISTENER_IP = ALL"],
    ["all", "LISTENER_IP = ALL"],
    ["192.168.1.20", "LISTENER_IP = (192.168.1.20)"],
    ["::1", "LISTENER_IP = ('::1')"],
    ["FD00::A", "LISTENER_IP = ('fd00::a')"],
  ])("listener %s → %s", (listenerIp, clause) => {
    expect(buildCreateEndpoint({ ...base, listenerIp }).sql).toContain(`AS TCP (LISTENER_PORT = 5022, ${clause})`);
  });

  it.each(["STARTED", "STOPPED", "DISABLED"] as const)("state %s", (state) => {
    expect(buildCreateEndpoint({ ...base, state }).sql).toContain(`[hadr] STATE = ${state} AS TCP`);
  });

  it.each(["PARTNER", "WITNESS", "ALL"] as const)("role %s", (role) => {
    expect(buildCreateEndpoint({ ...base, role }).sql).toMatch(new RegExp(`, ROLE = ${role}\\)$`));
  });

  // Hand-written expectations for every ENCRYPTION × ALGORITHM combination.
  const encryptionClauses: Record<EndpointEncryption, Record<EncryptionAlgorithm, string>> = {
    DISABLED: { AES: "ENCRYPTION = DISABLED", RC4: "ENCRYPTION = DISABLED", "AES RC4": "ENCRYPTION = DISABLED", "RC4 AES": "ENCRYPTION = DISABLED" },
    SUPPORTED: {
      AES: "ENCRYPTION = SUPPORTED ALGORITHM AES",
      RC4: "ENCRYPTION = SUPPORTED ALGORITHM RC4",
      "AES RC4": "ENCRYPTION = SUPPORTED ALGORITHM AES RC4",
      "RC4 AES": "ENCRYPTION = SUPPORTED ALGORITHM RC4 AES",
    },
    REQUIRED: {
      AES: "ENCRYPTION = REQUIRED ALGORITHM AES",
      RC4: "ENCRYPTION = REQUIRED ALGORITHM RC4",
      "AES RC4": "ENCRYPTION = REQUIRED ALGORITHM AES RC4",
      "RC4 AES": "ENCRYPTION = REQUIRED ALGORITHM RC4 AES",
    },
  };
  for (const [encryption, byAlgorithm] of Object.entries(encryptionClauses)) {
    for (const [algorithm, clause] of Object.entries(byAlgorithm)) {
      it(`encryption ${encryption}, algorithm ${algorithm}`, () => {
        const spec = { ...base, encryption: encryption as EndpointEncryption, algorithm: algorithm as EncryptionAlgorithm };
        expect(buildCreateEndpoint(spec).sql).toContain(`(AUTHENTICATION = CERTIFICATE [sql1_cert], ${clause}, ROLE = ALL)`);
      });
    }
  }

  it.each([
    [{ windowsAuthentication: "NEGOTIATE" as const }, "CERTIFICATE [sql1_cert] WINDOWS NEGOTIATE"],
    [{ windowsAuthentication: "KERBEROS" as const, windowsFirst: true }, "WINDOWS KERBEROS CERTIFICATE [sql1_cert]"],
    [{ windowsAuthentication: "NTLM" as const, certificateName: undefined }, "WINDOWS NTLM"],
  ])("authentication %j", (extra, clause) => {
    expect(buildCreateEndpoint({ ...base, ...extra }).sql).toContain(`FOR DATABASE_MIRRORING (AUTHENTICATION = ${clause}, ENCRYPTION`);
  });

  it.each([
    [{ ...base, name: "" }, /^name: /],
    [{ ...base, port: 0 }, /^port: /],
    [{ ...base, port: 70000 }, /^port: /],
    [{ ...base, listenerIp: "10.0.0.1) FOR TSQL (" }, /^listenerIp: /],
    [{ ...base, certificateName: undefined }, /^certificateName: is required/],
    [{ ...base, certificateName: "x".repeat(129) }, /^certificateName: /],
    [{ ...base, owner: "a " }, /^owner: /],
    [{ ...base, state: "RUNNING" as never }, /^state: must be one of STARTED, STOPPED, DISABLED/],
    [{ ...base, encryption: "ON" as never }, /^encryption: /],
    [{ ...base, algorithm: "DES" as never }, /^algorithm: /],
    [{ ...base, role: "NONE" as never }, /^role: /],
    [{ ...base, windowsAuthentication: "BASIC" as never }, /^windowsAuthentication: /],
  ])("refuses %j", (spec, reason) => {
    expect(() => buildCreateEndpoint(spec)).toThrow(reason);
  });
});

describe("ALTER ENDPOINT (only what changed)", () => {
  const current: EndpointRecord = {
    name: "hadr",
    endpointId: 65536,
    owner: "sa",
    state: "STARTED",
    port: 5022,
    ipAddress: null,
    role: "ALL",
    authentication: "CERTIFICATE",
    certificateName: "sql1_cert",
    encryption: "REQUIRED",
    algorithm: "AES",
  };
  const sqlOf = (desired: EndpointSpec) => buildAlterEndpoint(current, desired).map((s) => s.sql);

  it("nothing changed → no statement (an empty ALTER fails with 7863)", () => {
    expect(sqlOf(base)).toEqual([]);
    expect(sqlOf({ ...base, owner: "sa", listenerIp: "all", state: "STARTED", encryption: "REQUIRED", algorithm: "AES", role: "ALL" })).toEqual([]);
    expect(endpointChanges(current, base)).toEqual([]);
  });

  it.each([
    ["state", { state: "STOPPED" as const }, "ALTER ENDPOINT [hadr] STATE = STOPPED"],
    ["port", { port: 5023 }, "ALTER ENDPOINT [hadr] AS TCP (LISTENER_PORT = 5023)"],
    ["listener IP", { listenerIp: "10.1.2.3" }, "ALTER ENDPOINT [hadr] AS TCP (LISTENER_PORT = 5022, LISTENER_IP = (10.1.2.3))"],
    ["certificate", { certificateName: "sql1_cert_v2" }, "ALTER ENDPOINT [hadr] FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [sql1_cert_v2], ROLE = ALL)"],
    ["algorithm", { algorithm: "AES RC4" as const }, "ALTER ENDPOINT [hadr] FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES RC4, ROLE = ALL)"],
    ["encryption off", { encryption: "DISABLED" as const }, "ALTER ENDPOINT [hadr] FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED, ROLE = ALL)"],
    ["role", { role: "PARTNER" as const }, "ALTER ENDPOINT [hadr] FOR DATABASE_MIRRORING (ROLE = PARTNER)"],
  ])("%s", (_case, change, expected) => {
    expect(sqlOf({ ...base, ...change })).toEqual([expected]);
  });

  it("owner: a change, but no ALTER ENDPOINT (the transfer goes with the permissions put back, endpointOwnership)", () => {
    expect(sqlOf({ ...base, owner: "ep_owner" })).toEqual([]);
    expect(endpointChanges(current, { ...base, owner: "ep_owner" })).toEqual(["owner"]);
    expect(() => sqlOf({ ...base, owner: "x".repeat(129) })).toThrow(/owner/);
  });

  it("everything at once: one ALTER with all clauses (the owner apart)", () => {
    expect(
      sqlOf({ ...base, owner: "o", state: "DISABLED", port: 6022, listenerIp: "::1", certificateName: "c2", encryption: "SUPPORTED", algorithm: "RC4", role: "WITNESS" }),
    ).toEqual([
      "ALTER ENDPOINT [hadr] STATE = DISABLED AS TCP (LISTENER_PORT = 6022, LISTENER_IP = ('::1')) " +
        "FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [c2], ENCRYPTION = SUPPORTED ALGORITHM RC4, ROLE = WITNESS)",
    ]);
  });

  it("back to ALL from a specific address", () => {
    const pinned = { ...current, ipAddress: "10.0.0.5" };
    expect(buildAlterEndpoint(pinned, base).map((s) => s.sql)).toEqual(["ALTER ENDPOINT [hadr] AS TCP (LISTENER_PORT = 5022, LISTENER_IP = ALL)"]);
  });

  it("IPv6 compared without regard to case", () => {
    expect(buildAlterEndpoint({ ...current, ipAddress: "FD00::1" }, { ...base, listenerIp: "fd00::1" })).toEqual([]);
  });

  it("from Windows-then-certificate authentication to certificate only", () => {
    const mixed: EndpointRecord = { ...current, authentication: "NEGOTIATE, CERTIFICATE" };
    expect(buildAlterEndpoint(mixed, base).map((s) => s.sql)).toEqual([
      "ALTER ENDPOINT [hadr] FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [sql1_cert], ROLE = ALL)",
    ]);
  });

  it("from DISABLED: the algorithm of the catalog does not matter", () => {
    const off: EndpointRecord = { ...current, encryption: "DISABLED", algorithm: null };
    expect(buildAlterEndpoint(off, { ...base, encryption: "DISABLED", algorithm: "RC4" })).toEqual([]);
  });

  it("refuses a rename", () => {
    expect(() => buildAlterEndpoint(current, { ...base, name: "other" })).toThrow(/^name: an endpoint cannot be renamed/);
  });
});

describe("endpointSpecFromRecord (putting an adopted endpoint back)", () => {
  it("round-trips through the ALTER builder as no change", () => {
    const records: EndpointRecord[] = [
      { name: "e", endpointId: 65537, owner: "sa", state: "STOPPED", port: 5022, ipAddress: "10.0.0.1", role: "PARTNER", authentication: "CERTIFICATE", certificateName: "c", encryption: "SUPPORTED", algorithm: "RC4 AES" },
      { name: "e", endpointId: 65537, owner: null, state: "STARTED", port: 5022, ipAddress: null, role: "ALL", authentication: "NEGOTIATE", certificateName: null, encryption: "DISABLED", algorithm: null },
      { name: "e", endpointId: 65537, owner: "sa", state: "STARTED", port: 5022, ipAddress: null, role: "WITNESS", authentication: "KERBEROS, CERTIFICATE", certificateName: "c", encryption: "REQUIRED", algorithm: "AES" },
      { name: "e", endpointId: 65537, owner: "sa", state: "STARTED", port: 5022, ipAddress: null, role: "ALL", authentication: "CERTIFICATE, NTLM", certificateName: "c", encryption: "REQUIRED", algorithm: "AES" },
    ];
    for (const record of records) {
      expect(buildAlterEndpoint(record, endpointSpecFromRecord(record))).toEqual([]);
    }
  });

  it("maps Windows-first authentication", () => {
    const spec = endpointSpecFromRecord({
      name: "e", endpointId: 1, owner: "sa", state: "STARTED", port: 5022, ipAddress: null, role: "ALL",
      authentication: "NEGOTIATE, CERTIFICATE", certificateName: "c", encryption: "REQUIRED", algorithm: "AES",
    });
    expect(spec).toMatchObject({ certificateName: "c", windowsAuthentication: "NEGOTIATE", windowsFirst: true });
  });

  it("refuses ROLE NONE", () => {
    expect(() =>
      endpointSpecFromRecord({
        name: "e", endpointId: 1, owner: "sa", state: "STARTED", port: 5022, ipAddress: null, role: "NONE",
        authentication: "CERTIFICATE", certificateName: "c", encryption: "REQUIRED", algorithm: "AES",
      }),
    ).toThrow(/ROLE NONE/);
  });
});

describe("DROP ENDPOINT", () => {
  it("guarded on the mirroring endpoints view", () => {
    expect(buildDropEndpoint("hadr")).toEqual({
      sql: "IF EXISTS (SELECT 1 FROM master.sys.database_mirroring_endpoints WHERE name = @name) DROP ENDPOINT [hadr]",
      params: { name: { type: "nvarchar", value: "hadr" } },
      secrets: [],
    });
  });
});
