/** The mirroring statement builders and rules: exact T-SQL, hostile names, every refusal with its reason. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../provider/sql/errors";
import {
  buildPartnerFailover,
  buildPartnerOff,
  buildPartnerResume,
  buildPartnerSuspend,
  buildSeedingFullBackup,
  buildSeedingLogBackup,
  buildSeedingRestoreDatabase,
  buildSeedingRestoreLog,
  buildSetPartner,
  buildSetSafety,
  buildSetTimeout,
  buildSetWitness,
  buildWitnessOff,
  planSessionSteps,
  seedingFiles,
  seedingStamp,
  type SessionSettings,
} from "../../../provider/sql/statements/mirroring";
import {
  mirroringCombinationProblems,
  validateBackupFolder,
  validateMirroredDatabaseName,
  validateMirroringTimeout,
} from "../../../provider/sql/validateMirroring";

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { property: (error as ValidationError).property, reason: (error as ValidationError).reason };
  }
  throw new Error("expected a ValidationError");
};

describe("ALTER DATABASE … SET PARTNER / WITNESS", () => {
  it("writes each documented option, one per statement, no guard, no parameter", () => {
    expect(buildSetPartner("sales", "TCP://sql-a.corp:5022")).toEqual({ sql: "ALTER DATABASE [sales] SET PARTNER = N'TCP://sql-a.corp:5022'", params: {}, secrets: [] });
    expect(buildSetWitness("sales", "TCP://[fd00::5]:5024").sql).toBe("ALTER DATABASE [sales] SET WITNESS = N'TCP://[fd00::5]:5024'");
    expect(buildSetSafety("sales", "FULL").sql).toBe("ALTER DATABASE [sales] SET PARTNER SAFETY FULL");
    expect(buildSetSafety("sales", "OFF").sql).toBe("ALTER DATABASE [sales] SET PARTNER SAFETY OFF");
    expect(buildSetTimeout("sales", 10).sql).toBe("ALTER DATABASE [sales] SET PARTNER TIMEOUT 10");
    expect(buildSetTimeout("sales", 32767).sql).toBe("ALTER DATABASE [sales] SET PARTNER TIMEOUT 32767");
    expect(buildPartnerOff("sales").sql).toBe("ALTER DATABASE [sales] SET PARTNER OFF");
    expect(buildPartnerFailover("sales").sql).toBe("ALTER DATABASE [sales] SET PARTNER FAILOVER");
    expect(buildWitnessOff("sales").sql).toBe("ALTER DATABASE [sales] SET WITNESS OFF");
    expect(buildPartnerSuspend("sales").sql).toBe("ALTER DATABASE [sales] SET PARTNER SUSPEND");
    expect(buildPartnerResume("sales").sql).toBe("ALTER DATABASE [sales] SET PARTNER RESUME");
  });

  it("hostile database names are bracket-quoted with ] doubled; nothing else reaches the text", () => {
    expect(buildSetPartner("Or]d'ers; DROP DATABASE x--", "TCP://b:5023").sql).toBe("ALTER DATABASE [Or]]d'ers; DROP DATABASE x--] SET PARTNER = N'TCP://b:5023'");
    expect(buildPartnerOff("日本\n[x]").sql).toBe("ALTER DATABASE [日本\n[x]]] SET PARTNER OFF");
  });

  it("refuses what SQL Server would refuse or garble, naming the property", () => {
    expect(refusal(() => buildSetPartner("master", "TCP://b:5023"))).toEqual({
      property: "database",
      reason: "is a system database; only user databases can be mirrored (Microsoft: master, msdb, tempdb and model cannot be)",
    });
    expect(refusal(() => buildSetPartner("d".repeat(129), "TCP://b:5023")).property).toBe("database");
    expect(refusal(() => buildSetPartner("sales", "TCP://b:5023'; DROP DATABASE sales--"))).toEqual({
      property: "partner.endpointUrl",
      reason: "must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got 'TCP://b:5023'; DROP DATABASE sales--'",
    });
    expect(refusal(() => buildSetWitness("sales", "sql-w:5024")).property).toBe("witness.endpointUrl");
    expect(refusal(() => buildSetTimeout("sales", 4))).toEqual({
      property: "timeoutSeconds",
      reason: "must be at least 5 seconds: SQL Server turns 0–4 into 5, so 4 would show as drift at every refresh (10 or more is recommended), got 4",
    });
    expect(refusal(() => buildSetTimeout("sales", 32768)).reason).toBe(
      "must be a whole number of seconds from 5 to 32767 (SQL Server refuses more, 1476; 10 or more is recommended), got 32768",
    );
    expect(refusal(() => buildSetTimeout("sales", 10.5)).property).toBe("timeoutSeconds");
    expect(refusal(() => buildSetSafety("sales", "ON" as never))).toEqual({ property: "safety", reason: 'must be "FULL" or "OFF", got "ON"' });
  });
});

describe("seeding statements", () => {
  it("copy-only backups on the principal, restores WITH NORECOVERY (never REPLACE) on the mirror", () => {
    expect(buildSeedingFullBackup("sales", "/srv/share/sales_x.bak").sql).toBe("BACKUP DATABASE [sales] TO DISK = N'/srv/share/sales_x.bak' WITH COPY_ONLY");
    expect(buildSeedingLogBackup("sales", "/srv/share/sales_x.trn").sql).toBe("BACKUP LOG [sales] TO DISK = N'/srv/share/sales_x.trn' WITH COPY_ONLY");
    expect(buildSeedingRestoreDatabase("sales", "/srv/share/sales_x.bak").sql).toBe("RESTORE DATABASE [sales] FROM DISK = N'/srv/share/sales_x.bak' WITH NORECOVERY");
    expect(buildSeedingRestoreLog("sales", "/srv/share/sales_x.trn").sql).toBe("RESTORE LOG [sales] FROM DISK = N'/srv/share/sales_x.trn' WITH NORECOVERY");
  });

  it("a path with a quote is a literal with the quote doubled", () => {
    expect(buildSeedingFullBackup("o'brien", "\\\\nas\\o'brien\\a.bak").sql).toBe("BACKUP DATABASE [o'brien] TO DISK = N'\\\\nas\\o''brien\\a.bak' WITH COPY_ONLY");
  });

  it("file names: the folder's own separator, the database name made file-safe, a stamp per seeding", () => {
    expect(seedingFiles("/var/opt/mssql/backup", "sales", "20250102T030405Z-00abcd")).toEqual({
      full: "/var/opt/mssql/backup/sales_20250102T030405Z-00abcd.bak",
      log: "/var/opt/mssql/backup/sales_20250102T030405Z-00abcd.trn",
    });
    expect(seedingFiles("\\\\nas\\mirroring\\", "Or]d'ers/../x", "s1").full).toBe("\\\\nas\\mirroring\\Or_d_ers____x_s1.bak");
    expect(seedingFiles("D:\\backup", "日本", "s1").log).toBe("D:\\backup\\___s1.trn");
    expect(refusal(() => seedingFiles("backup", "sales", "s1")).property).toBe("seeding.backupPath");
    expect(refusal(() => seedingFiles("/b", "sales", "a/b")).property).toBe("stamp");
  });

  it("the stamp is the UTC time and a six-digit random tag", () => {
    expect(seedingStamp(new Date("2025-01-02T03:04:05.678Z"), () => 0.5)).toBe("20250102T030405Z-800000");
    expect(seedingStamp(new Date("2025-01-02T03:04:05Z"), () => 0)).toBe("20250102T030405Z-000000");
  });
});

describe("planSessionSteps", () => {
  const full: SessionSettings = { safety: "FULL", timeoutSeconds: 10, witnessUrl: "TCP://w:5024" };
  const kinds = (current: SessionSettings, desired: SessionSettings, failover = false) => planSessionSteps("sales", current, desired, failover).map((s) => s.statement.sql.replace("ALTER DATABASE [sales] SET ", ""));

  it("nothing when nothing differs (URLs compared without case)", () => {
    expect(kinds(full, { ...full, witnessUrl: "tcp://W:5024" })).toEqual([]);
  });

  it("each setting alone", () => {
    expect(kinds(full, { ...full, timeoutSeconds: 30 })).toEqual(["PARTNER TIMEOUT 30"]);
    expect(kinds(full, { ...full, witnessUrl: null })).toEqual(["WITNESS OFF"]);
    expect(kinds({ ...full, witnessUrl: null }, full)).toEqual(["WITNESS = N'TCP://w:5024'"]);
    expect(kinds(full, { ...full, witnessUrl: "TCP://w2:5024" })).toEqual(["WITNESS OFF", "WITNESS = N'TCP://w2:5024'"]);
  });

  it("going to high performance: the witness goes before safety does", () => {
    expect(kinds(full, { safety: "OFF", timeoutSeconds: 10, witnessUrl: null })).toEqual(["WITNESS OFF", "PARTNER SAFETY OFF"]);
  });

  it("going to high safety with a witness: safety comes first, the witness last", () => {
    expect(kinds({ safety: "OFF", timeoutSeconds: 10, witnessUrl: null }, { ...full, timeoutSeconds: 20 })).toEqual(["PARTNER SAFETY FULL", "PARTNER TIMEOUT 20", "WITNESS = N'TCP://w:5024'"]);
  });

  it("a planned failover runs under FULL, after the timeout, before safety goes down and before a new witness", () => {
    expect(kinds(full, full, true)).toEqual(["PARTNER FAILOVER"]);
    expect(kinds({ safety: "OFF", timeoutSeconds: 10, witnessUrl: null }, full, true)).toEqual(["PARTNER SAFETY FULL", "PARTNER FAILOVER", "WITNESS = N'TCP://w:5024'"]);
    expect(kinds(full, { safety: "OFF", timeoutSeconds: 15, witnessUrl: null }, true)).toEqual(["WITNESS OFF", "PARTNER TIMEOUT 15", "PARTNER FAILOVER", "PARTNER SAFETY OFF"]);
  });

  it("refuses a failover that would stay under safety OFF (1477)", () => {
    const off: SessionSettings = { safety: "OFF", timeoutSeconds: 10, witnessUrl: null };
    expect(refusal(() => planSessionSteps("sales", off, off, true))).toEqual({ property: "principal", reason: "a planned failover needs safety FULL (SQL Server refuses SET PARTNER FAILOVER otherwise, 1477)" });
  });
});

describe("mirroring rules", () => {
  it("database names: valid names, user databases only", () => {
    expect(validateMirroredDatabaseName("sales")).toBeUndefined();
    expect(validateMirroredDatabaseName("MSDB")).toBe("is a system database; only user databases can be mirrored (Microsoft: master, msdb, tempdb and model cannot be)");
    expect(validateMirroredDatabaseName("x ")).toBe("ends with a space; SQL Server ignores trailing spaces when comparing names, so remove them");
    expect(validateMirroredDatabaseName(7)).toBe("must be a string (got number)");
  });

  it("timeout bounds from the documentation", () => {
    expect([5, 10, 32767].map(validateMirroringTimeout)).toEqual([undefined, undefined, undefined]);
    expect(validateMirroringTimeout(0)).toMatch(/^must be at least 5 seconds: SQL Server turns 0–4 into 5/);
    expect(validateMirroringTimeout(-1)).toMatch(/^must be a whole number of seconds from 5 to 32767/);
    expect(validateMirroringTimeout("10")).toMatch(/got "10"$/);
  });

  it("backup folders: absolute local, drive or share paths only", () => {
    expect(["/var/opt/mssql/backup", "D:\\backup", "d:/backup", "\\\\nas\\share", "\\\\nas\\share\\x"].map(validateBackupFolder)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(validateBackupFolder("backup")).toMatch(/^must be absolute \('\/var\/opt\/mssql\/backup', 'D:\\backup' or '\\\\server\\share'\): a relative path resolves in each instance's own default folder/);
    expect(validateBackupFolder("\\\\nas")).toMatch(/^must be absolute/);
    expect(validateBackupFolder("/a\u0000b")).toBe("must not contain the NUL character (U+0000); remove it");
    expect(validateBackupFolder("/" + "x".repeat(200))).toBe("is 201 characters long; keep it to 200 so the backup file names fit Windows' 260-character paths");
    expect(validateBackupFolder(undefined)).toMatch(/^must be a folder path both instances reach/);
  });

  it("combinations: distinct addresses (1452, 1429), no witness in high-performance mode, a pin needs FULL (1477)", () => {
    expect(mirroringCombinationProblems({ partnerUrls: ["TCP://a:5022", "TCP://b:5023"], witnessUrl: "TCP://w:5024", hasWitness: true, safety: "FULL", pinsPrincipal: true })).toEqual([]);
    expect(mirroringCombinationProblems({ partnerUrls: ["TCP://a:5022", "tcp://A:5022"], witnessUrl: "TCP://A:5022", hasWitness: true, safety: "OFF", pinsPrincipal: true }).map((p) => p.property)).toEqual([
      "partners[1].endpointUrl",
      "witness.endpointUrl",
      "safety",
      "principal",
    ]);
    // Unknown (preview) or malformed URLs are left to the per-property checks.
    expect(mirroringCombinationProblems({ partnerUrls: [undefined, undefined], hasWitness: true, pinsPrincipal: false })).toEqual([]);
    expect(mirroringCombinationProblems({ partnerUrls: ["x", "x"], hasWitness: false, safety: "OFF", pinsPrincipal: false })).toEqual([]);
  });
});
