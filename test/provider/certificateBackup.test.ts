/** CertificateBackup over TDS: files written once, nothing to read back, files kept on delete. */
import { copyFile, readdir } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { Driven, NO_CHANGE, PROVIDER_KEY, replaceOn, SERIALIZED_PROVIDER, UPDATE, type Props } from "./driver";
import { catalogDelta, catalogOf, checkedConnectionOf, connectionOf, cost, rowOf, sa, startInstances, stopInstances, warmPool } from "./support";

const BACKUP_PASSWORD = "Marker-Backup-7f3a-key!1";

let a: EmulatorInstance;
let b: EmulatorInstance;

beforeAll(async () => {
  [a, b] = await startInstances(2, { namePrefix: "BAK" });
  await sa(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-backup-suite!1'");
  await sa(a, "CREATE CERTIFICATE c1 WITH SUBJECT = 'mirroring a'");
});
beforeEach(() => warmPool(a));
afterAll(() => stopInstances([a, b]));

function args(overrides: Props = {}): Props {
  return { connection: connectionOf(a), certificateName: "c1", file: "c1.cer", privateKey: { file: "c1.pvk", password: BACKUP_PASSWORD }, ...overrides };
}

describe("CertificateBackup", () => {
  it("writes the certificate and its encrypted private key, reads nothing back, is replaced on any change, and leaves the files on delete", async () => {
    const base = catalogOf(a);
    const backup = new Driven("CertificateBackup");
    const startedAt = Date.now();
    const created = await cost(a, () => backup.create(args()));
    expect([created.requests, created.logins]).toEqual([2, 0]);
    expect(await readdir(a.backupDir)).toEqual(["c1.cer", "c1.pvk"]);
    const cert = rowOf(a, "sys.certificates", "name", "c1");
    const before = base["sys.certificates"]!.find((r) => r.name === "c1")!;
    // The only catalog trace of a backup: the private key's last backup date.
    expect(before.pvt_key_last_backup_date).toBeNull();
    expect(catalogDelta(base, catalogOf(a))).toEqual({
      "sys.certificates": { removed: [before], added: [{ ...before, pvt_key_last_backup_date: cert.pvt_key_last_backup_date }] },
    });
    expect(Date.parse(String(cert.pvt_key_last_backup_date))).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(backup.id).toBe(`127.0.0.1:${a.port}/certificate-backup/c1/c1.cer`);
    expect(backup.state).toEqual({
      [PROVIDER_KEY]: SERIALIZED_PROVIDER,
      connection: checkedConnectionOf(a),
      certificateName: "c1",
      file: "c1.cer",
      privateKey: { file: "c1.pvk", password: BACKUP_PASSWORD },
      backedUpAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      thumbprint: String(cert.thumbprint).slice(2),
    });
    expect(Date.parse(String(backup.state.backedUpAt))).toBeGreaterThanOrEqual(startedAt);

    // The files can be restored elsewhere: same certificate, private key usable under b's DMK.
    for (const file of ["c1.cer", "c1.pvk"]) await copyFile(path.join(a.backupDir, file), path.join(b.backupDir, file));
    await sa(b, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-MK-backup-suite!2'");
    await sa(b, `CREATE CERTIFICATE c1 FROM FILE = N'c1.cer' WITH PRIVATE KEY (FILE = N'c1.pvk', DECRYPTION BY PASSWORD = N'${BACKUP_PASSWORD}')`);
    expect(rowOf(b, "sys.certificates", "name", "c1")).toMatchObject({ thumbprint: cert.thumbprint, pvt_key_encryption_type: "MK" });

    const stored = backup.state;
    const read = await cost(a, () => backup.read());
    expect([read.value, read.requests]).toEqual([true, 0]);
    expect(backup.state).toEqual(stored);
    expect((await backup.plan(args())).diff).toEqual(NO_CHANGE);
    const tls = await backup.plan(args({ connection: connectionOf(a, { encrypt: "strict" }) }));
    expect(tls.diff).toEqual(UPDATE);
    expect((await cost(a, () => backup.update(tls.inputs))).requests).toBe(0);
    expect(backup.state).toEqual({ ...stored, connection: checkedConnectionOf(a, { encrypt: "strict" }) });

    expect((await backup.plan(args({ file: "c1-2.cer", privateKey: { file: "c1-2.pvk", password: BACKUP_PASSWORD } }))).diff).toEqual(
      replaceOn(["file", "privateKey"]),
    );
    expect((await backup.plan(args({ privateKey: { file: "c1.pvk", password: "Marker-Backup-7f3a-key!2" } }))).diff).toEqual(replaceOn(["privateKey"]));
    const next = new Driven("CertificateBackup");
    const replaced = await cost(a, () => next.create(args({ file: "c1-2.cer", privateKey: { file: "c1-2.pvk", password: BACKUP_PASSWORD } })));
    expect(replaced.requests).toBe(2);
    const deleted = await cost(a, () => backup.delete());
    expect(deleted.requests).toBe(0);
    expect((await readdir(a.backupDir)).sort()).toEqual(["c1-2.cer", "c1-2.pvk", "c1.cer", "c1.pvk"]);
    await next.delete();
    expect((await readdir(a.backupDir)).length).toBe(4);
  });

  it("backs up only the public certificate without privateKey", async () => {
    const before = catalogOf(a);
    const backup = new Driven("CertificateBackup");
    await backup.create({ connection: connectionOf(a), certificateName: "c1", file: "public-only.cer" });
    expect(await readdir(a.backupDir)).toContain("public-only.cer");
    expect(await readdir(a.backupDir)).not.toContain("public-only.pvk");
    // Without the private key the backup leaves no trace in the catalog.
    expect(catalogOf(a)).toEqual(before);
    expect(backup.state).not.toHaveProperty("privateKey");
  });

  it("never overwrites a file: a second backup to the same file fails with 15240", async () => {
    await new Driven("CertificateBackup").create({ connection: connectionOf(a), certificateName: "c1", file: "twice.cer" });
    const error = await new Driven("CertificateBackup").create({ connection: connectionOf(a), certificateName: "c1", file: "twice.cer" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SqlServerError", number: 15240, operation: "back up", objectName: "c1" });
    expect((error as Error).message).toContain("BACKUP CERTIFICATE never overwrites: the file must not exist yet");
  });

  describe("a resumed backup (an earlier run's reply was lost) that meets 15240 examines the file instead of assuming it is its own", () => {
    const resumed = async (file: string) => {
      const backup = new Driven("CertificateBackup");
      const { inputs } = await backup.check({ connection: connectionOf(a), certificateName: "c1", file });
      backup.id = `127.0.0.1:${a.port}/certificate-backup/c1/${file}`;
      backup.inputs = inputs;
      backup.state = { ...inputs, createPending: true };
      return { backup, inputs };
    };

    it("the earlier attempt's file (it holds this master's certificate): done", async () => {
      await sa(a, "BACKUP CERTIFICATE c1 TO FILE = 'resumed.cer'");
      const { backup, inputs } = await resumed("resumed.cer");
      const finished = await cost(a, () => backup.update(inputs));
      // The BACKUP (15240), then the file loaded under a temporary name (15232: master has that certificate).
      expect(finished.requests).toBe(3);
      expect(backup.state).toMatchObject({ thumbprint: String(rowOf(a, "sys.certificates", "name", "c1").thumbprint).slice(2) });
      expect(catalogOf(a)["sys.certificates"]!.filter((c) => String(c.name).startsWith("pulumi_backup_probe_"))).toEqual([]);
    });

    it("a file holding another certificate: the error stands, naming what was found; the probe leaves nothing behind", async () => {
      await sa(b, "CREATE CERTIFICATE other ENCRYPTION BY PASSWORD = N'Marker-Other-key!1' WITH SUBJECT = 'someone else'");
      await sa(b, "BACKUP CERTIFICATE other TO FILE = 'foreign.cer'");
      await copyFile(path.join(b.backupDir, "foreign.cer"), path.join(a.backupDir, "foreign.cer"));
      const before = catalogOf(a);
      const { backup, inputs } = await resumed("foreign.cer");
      const error = await backup.update(inputs).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "SqlServerError", code: "EBACKUPFILE" });
      expect((error as Error).message).toContain("the file at that path holds another certificate, so it is not the earlier attempt's backup");
      expect(catalogOf(a)).toEqual(before);
    });

    it("a path SQL Server cannot write (15240 with no file there): the error stands", async () => {
      const { backup, inputs } = await resumed("no-such-folder/c1.cer");
      const error = await backup.update(inputs).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "SqlServerError", code: "EBACKUPFILE" });
      expect((error as Error).message).toContain("holds no certificate SQL Server can read (or is missing)");
    });
  });
});
