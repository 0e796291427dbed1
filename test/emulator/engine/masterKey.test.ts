import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STRONG, errorOf, ok, openInstance, rows, scalar, type TestInstance } from "./helpers";

let t: TestInstance;
beforeEach(async () => {
  t = await openInstance();
});
afterEach(async () => {
  await t.engine.close();
});

const OTHER = "0ther!Passw0rd";
const encryptedByServer = () => scalar(t.sa, "SELECT is_master_key_encrypted_by_server FROM sys.databases WHERE name = N'master'");
const encryptions = async () => (await rows(t.sa, "SELECT crypt_type, crypt_type_desc FROM sys.key_encryptions WHERE key_id = 101 ORDER BY crypt_type")).map((r) => `${r.crypt_type} ${r.crypt_type_desc}`);

describe("CREATE MASTER KEY", () => {
  it("creates ##MS_DatabaseMasterKey## (AES 256, id 101) protected by the password and the service master key", async () => {
    expect(await rows(t.sa, "SELECT name FROM sys.symmetric_keys")).toEqual([{ name: "##MS_ServiceMasterKey##" }]);
    await ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    const [dmk] = await rows(t.sa, "SELECT * FROM master.sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'");
    expect(dmk).toMatchObject({
      name: "##MS_DatabaseMasterKey##",
      principal_id: 1,
      symmetric_key_id: 101,
      key_length: 256,
      key_algorithm: "A3",
      algorithm_desc: "AES_256",
      create_date: t.clock.now,
      modify_date: t.clock.now,
      key_thumbprint: null,
      provider_type: null,
    });
    expect(dmk!.key_guid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(await encryptedByServer()).toBe(true);
    expect(await encryptions()).toEqual(["ESKM ENCRYPTION BY MASTER KEY", "ESP2 ENCRYPTION BY PASSWORD V2"]);
  });

  it("refuses a second master key with 15578", async () => {
    await ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${OTHER}'`)).toMatchObject({
      number: 15578,
      class: 16,
      message: "There is already a master key in the database. Please drop it before performing this statement.",
    });
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("applies the password policy (15116 too short, 15118 not complex)", async () => {
    expect((await errorOf(t.sa, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Ab1!'")).number).toBe(15116);
    expect((await errorOf(t.sa, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'alllowercase'")).number).toBe(15118);
    expect((await errorOf(t.sa, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'password'")).number).toBe(15118);
    expect((await errorOf(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${"Aa1!".repeat(32)}x'`)).number).toBe(15117);
    // The Password Policy page's categories are Latin A–Z, a–z, 0–9 and the rest: accented letters are "other".
    expect((await errorOf(t.sa, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Éééééé1!'")).number).toBe(15118);
    expect(await rows(t.sa, "SELECT name FROM sys.symmetric_keys WHERE symmetric_key_id = 101")).toEqual([]);
  });

  it("requires the password clause on SQL Server", async () => {
    expect((await errorOf(t.sa, "CREATE MASTER KEY")).number).toBe(156);
  });
});

describe("ALTER MASTER KEY encryptions", () => {
  beforeEach(async () => {
    await ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
  });

  it("drops and re-adds the service master key encryption", async () => {
    await ok(t.sa, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect(await encryptedByServer()).toBe(false);
    expect(await encryptions()).toEqual(["ESP2 ENCRYPTION BY PASSWORD V2"]);
    // Without the SMK copy the key must be opened before it can be used (15581).
    expect((await errorOf(t.sa, "ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY")).number).toBe(15581);
    await ok(t.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'; ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY; CLOSE MASTER KEY`);
    expect(await encryptedByServer()).toBe(true);
  });

  it("adds a second password, then drops either; the wrong one is 15313 and the last one 15558", async () => {
    await ok(t.sa, `ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'${OTHER}'`);
    expect(await encryptions()).toEqual(["ESKM ENCRYPTION BY MASTER KEY", "ESP2 ENCRYPTION BY PASSWORD V2", "ESP2 ENCRYPTION BY PASSWORD V2"]);
    expect(await errorOf(t.sa, "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'Wr0ng!Passw0rd'")).toMatchObject({ number: 15313, class: 16, message: "The key is not encrypted using the specified decryptor." });
    await ok(t.sa, `ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, `ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'${OTHER}'`)).toMatchObject({
      number: 15558,
      message: "Cannot drop master key encryption by password '********'.",
    });
    expect(t.engine.snapshot()).toEqual(before);
  });

  it("refuses to add the same password twice (15557)", async () => {
    expect((await errorOf(t.sa, `ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'${STRONG}'`)).number).toBe(15557);
    expect((await errorOf(t.sa, "ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY")).number).toBe(15557);
  });

  it("OPEN MASTER KEY with a wrong password is 15313", async () => {
    expect((await errorOf(t.sa, "OPEN MASTER KEY DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd'")).number).toBe(15313);
    await ok(t.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'`);
  });

  it("REGENERATE keeps MK-protected certificates usable under the new key", async () => {
    await ok(t.sa, "CREATE CERTIFICATE c WITH SUBJECT = N'c'");
    await ok(t.sa, `ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = N'${OTHER}'`);
    expect(await encryptions()).toEqual(["ESKM ENCRYPTION BY MASTER KEY", "ESP2 ENCRYPTION BY PASSWORD V2"]);
    // The old password no longer opens the key, the new one does, and the private key still opens.
    expect((await errorOf(t.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'`)).number).toBe(15313);
    await ok(t.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${OTHER}'`);
    expect(await scalar(t.sa, "SELECT CERTPRIVATEKEY(CERT_ID(N'c'), N'Exp0rt!Passw0rd')")).toBeInstanceOf(Buffer);
  });

  it("REGENERATE needs the old key open (15329) unless FORCE, which loses the keys it cannot decrypt", async () => {
    await ok(t.sa, "CREATE CERTIFICATE c WITH SUBJECT = N'c'; ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY");
    expect((await errorOf(t.sa, `ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = N'${OTHER}'`)).number).toBe(15329);
    await ok(t.sa, `ALTER MASTER KEY FORCE REGENERATE WITH ENCRYPTION BY PASSWORD = N'${OTHER}'`);
    expect(await scalar(t.sa, "SELECT pvt_key_encryption_type FROM sys.certificates WHERE name = N'c'")).toBe("NA");
  });
});

describe("DROP MASTER KEY", () => {
  it("drops the key; without one DROP / OPEN / ALTER are 15151", async () => {
    await ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'; DROP MASTER KEY`);
    expect(await rows(t.sa, "SELECT name FROM sys.symmetric_keys WHERE symmetric_key_id = 101")).toEqual([]);
    expect(await encryptedByServer()).toBe(false);
    expect(await errorOf(t.sa, "DROP MASTER KEY")).toMatchObject({
      number: 15151,
      message: "Cannot drop the master key '##MS_DatabaseMasterKey##', because it does not exist or you do not have permission.",
    });
    expect((await errorOf(t.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'`)).number).toBe(15151);
    expect((await errorOf(t.sa, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY")).number).toBe(15151);
  });

  it("refuses while a certificate's private key is encrypted by it (15580)", async () => {
    await ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'; CREATE CERTIFICATE protected_cert WITH SUBJECT = N's'`);
    const before = t.engine.snapshot();
    expect(await errorOf(t.sa, "DROP MASTER KEY")).toMatchObject({ number: 15580, message: "Cannot drop master key because certificate 'protected_cert' is encrypted by it." });
    expect(t.engine.snapshot()).toEqual(before);
    // A password-protected or public-only certificate does not hold it.
    await ok(t.sa, `ALTER CERTIFICATE protected_cert WITH PRIVATE KEY (ENCRYPTION BY PASSWORD = N'${OTHER}')`);
    await ok(t.sa, "DROP MASTER KEY");
  });

  it("is refused to a login that is not sysadmin (15247)", async () => {
    await ok(t.sa, `CREATE LOGIN plain WITH PASSWORD = N'${STRONG}'`);
    const plain = t.engine.openSession("plain");
    expect(await errorOf(plain, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`)).toMatchObject({ number: 15247, message: "User does not have permission to perform this action." });
    plain.close();
  });
});

describe("sys.openkeys", () => {
  const OPEN_KEYS = "SELECT database_id, database_name, key_id, key_name, status FROM sys.openkeys";

  it("lists the DMK only while this session has it open with OPEN MASTER KEY", async () => {
    await ok(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    // Opened automatically through the service master key: not listed (emulator/README.md assumption).
    expect(await rows(t.sa, OPEN_KEYS)).toEqual([]);
    await ok(t.sa, `OPEN MASTER KEY DECRYPTION BY PASSWORD = N'${STRONG}'`);
    expect(await rows(t.sa, OPEN_KEYS)).toEqual([{ database_id: 1, database_name: "master", key_id: 101, key_name: "##MS_DatabaseMasterKey##", status: 1 }]);
    expect(await scalar(t.sa, "SELECT opened_date FROM sys.openkeys")).toEqual(t.clock.now);
    const other = t.engine.openSession("sa");
    expect(await rows(other, OPEN_KEYS)).toEqual([]);
    other.close();
    await ok(t.sa, "CLOSE MASTER KEY");
    expect(await rows(t.sa, OPEN_KEYS)).toEqual([]);
    expect((await errorOf(t.sa, "OPEN MASTER KEY DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd'")).number).toBe(15313);
    expect(await rows(t.sa, OPEN_KEYS)).toEqual([]);
    expect(t.engine.snapshot()["sys.openkeys"]).toEqual([]);
  });
});

describe("messageSeverities: crypto messages at the severity Microsoft's message table lists (10)", () => {
  let ten: TestInstance;
  beforeEach(async () => {
    ten = await openInstance({ messageSeverities: { 15313: 10, 15557: 10, 15558: 10 } });
    await ok(ten.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
  });
  afterEach(async () => {
    await ten.engine.close();
  });

  it("sends them as informational messages: no error, the statement does nothing, the batch goes on, @@ERROR 0", async () => {
    const outcomes = await ok(ten.sa, "OPEN MASTER KEY DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd'; SELECT @@ERROR AS e, (SELECT COUNT(*) FROM sys.openkeys) AS opened");
    expect(outcomes.filter((o) => o.kind === "info").map((o) => o.kind === "info" && o.info)).toEqual([
      { number: 15313, state: 1, class: 10, message: "The key is not encrypted using the specified decryptor.", line: 1 },
    ]);
    expect(await rows(ten.sa, "SELECT COUNT(*) AS opened FROM sys.openkeys")).toEqual([{ opened: 0 }]);
    const set = outcomes.find((o) => o.kind === "rows");
    expect(set?.kind === "rows" && set.rows).toEqual([[0, 0]]);
    const before = ten.engine.snapshot();
    await ok(ten.sa, `ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    await ok(ten.sa, `ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    expect(ten.engine.snapshot()).toEqual(before);
  });

  it("keeps every other message an error, and 16 by default", async () => {
    expect(await errorOf(ten.sa, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY; ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'0ther!Passw0rd'")).toMatchObject({ number: 15581, class: 16 });
    expect(await errorOf(t.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'; OPEN MASTER KEY DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd'`)).toMatchObject({ number: 15313, class: 16 });
    const raised = await openInstance({ messageSeverities: { 15313: 11 } });
    await ok(raised.sa, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'`);
    expect(await errorOf(raised.sa, "OPEN MASTER KEY DECRYPTION BY PASSWORD = N'Wr0ng!Passw0rd'")).toMatchObject({ number: 15313, class: 11 });
    await raised.engine.close();
  });
});
