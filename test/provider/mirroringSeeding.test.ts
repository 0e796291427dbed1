/**
 * Seeding a mirror copy over real TDS, against two emulator instances sharing a backup folder:
 * copy-only full and log backups on the principal (its backup chain untouched), RESTORE … WITH
 * NORECOVERY on the mirror (the copy RESTORING, with the principal's rows), a RESTORING copy used
 * as it is, and the refusals that protect data — an ONLINE database on the mirror is never restored
 * over, and nothing is backed up for a principal whose log chain has not started.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { checkConnection } from "../../provider/resources/connection";
import { clientFor } from "../../provider/resources/lifecycle";
import { SqlServerError, type SqlClient } from "../../provider/sql";
import { readSeedingState, seedMirrorCopy } from "../../provider/sql/objects/mirroring";
import { connectionOf, cost, sa, startInstances, stopInstances, warmPool } from "./support";

let principal: EmulatorInstance;
let mirror: EmulatorInstance;
let shared: string;
let db = 0;

const clientOf = (instance: EmulatorInstance): SqlClient => clientFor(checkConnection(connectionOf(instance), [])!);
const backups = async (instance: EmulatorInstance, database: string) =>
  sa(instance, `SELECT s.type, s.is_copy_only, f.physical_device_name FROM msdb.dbo.backupset AS s JOIN msdb.dbo.backupmediafamily AS f ON f.media_set_id = s.media_set_id WHERE s.database_name = N'${database}' ORDER BY s.backup_set_id`);
const logPoint = async (instance: EmulatorInstance, database: string) =>
  (await sa(instance, `SELECT CONVERT(nvarchar(30), r.last_log_backup_lsn) AS lsn FROM master.sys.database_recovery_status AS r WHERE r.database_id = DB_ID(N'${database}')`))[0]?.lsn;
const stateOn = async (instance: EmulatorInstance, database: string) => (await sa(instance, `SELECT d.state_desc FROM master.sys.databases AS d WHERE d.name = N'${database}'`))[0]?.state_desc;

/** A fresh principal database in FULL recovery with rows, backed up once (its log chain started) unless `backedUp` is false. */
async function principalDatabase(rows: number[], backedUp = true): Promise<string> {
  const name = `sales${++db}`;
  await sa(principal, `CREATE DATABASE [${name}]`);
  await sa(principal, `ALTER DATABASE [${name}] SET RECOVERY FULL`);
  await sa(principal, `CREATE TABLE [${name}].dbo.orders (id int PRIMARY KEY)`);
  for (const id of rows) await sa(principal, `INSERT INTO [${name}].dbo.orders VALUES (${id})`);
  if (backedUp) await sa(principal, `BACKUP DATABASE [${name}] TO DISK = N'${path.join(shared, `${name}-own.bak`)}'`);
  return name;
}

beforeAll(async () => {
  [principal, mirror] = await startInstances(2, { namePrefix: "SEED" });
  shared = await mkdtemp(path.join(os.tmpdir(), "mirroring-share-"));
});
beforeEach(async () => {
  await warmPool(principal);
  await warmPool(mirror);
});
afterAll(async () => {
  await stopInstances([principal, mirror]);
  await rm(shared, { recursive: true, force: true });
});

describe("seedMirrorCopy over TDS", () => {
  it("copy-only backups to the shared folder, restored WITH NORECOVERY on the mirror: RESTORING with the principal's rows, the principal's chain untouched", async () => {
    const name = await principalDatabase([1, 2, 3]);
    await sa(principal, `INSERT INTO [${name}].dbo.orders VALUES (4)`);
    const pointBefore = await logPoint(principal, name);
    const result = await seedMirrorCopy(clientOf(principal), clientOf(mirror), name, { backupPath: shared, stamp: "t1" });
    expect(result).toEqual({ seeded: true, files: { full: path.join(shared, `${name}_t1.bak`), log: path.join(shared, `${name}_t1.trn`) } });
    expect([existsSync(result.files!.full), existsSync(result.files!.log)]).toEqual([true, true]);
    expect(await stateOn(mirror, name)).toBe("RESTORING");
    expect(mirror.catalog()[`${name}.dbo.orders`]!.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    // The program's own backups stay the chain: both seeding backups are copy-only, and the log backup point did not move.
    expect(await backups(principal, name)).toEqual([
      { type: "D", is_copy_only: false, physical_device_name: path.join(shared, `${name}-own.bak`) },
      { type: "D", is_copy_only: true, physical_device_name: result.files!.full },
      { type: "L", is_copy_only: true, physical_device_name: result.files!.log },
    ]);
    expect(await logPoint(principal, name)).toBe(pointBefore);
    expect(await stateOn(principal, name)).toBe("ONLINE");
  });

  it("a mirror copy already RESTORING is used as it is: one request, nothing backed up or restored", async () => {
    const name = await principalDatabase([7]);
    await seedMirrorCopy(clientOf(principal), clientOf(mirror), name, { backupPath: shared, stamp: "t2" });
    const before = (await backups(principal, name)).length;
    const again = await cost(mirror, () => seedMirrorCopy(clientOf(principal), clientOf(mirror), name, { backupPath: shared, stamp: "t3" }));
    expect([again.value, again.requests]).toEqual([{ seeded: false }, 1]);
    expect((await backups(principal, name)).length).toBe(before);
    expect(existsSync(path.join(shared, `${name}_t3.bak`))).toBe(false);
  });

  it("never restores over an ONLINE database on the mirror: refused before any backup, naming the database and the fix; the mirror's data intact", async () => {
    const name = await principalDatabase([1]);
    await sa(mirror, `CREATE DATABASE [${name}]`);
    await sa(mirror, `CREATE TABLE [${name}].dbo.keep (id int PRIMARY KEY)`);
    await sa(mirror, `INSERT INTO [${name}].dbo.keep VALUES (42)`);
    const before = (await backups(principal, name)).length;
    const error = (await seedMirrorCopy(clientOf(principal), clientOf(mirror), name, { backupPath: shared, stamp: "t4" }).catch((e: unknown) => e)) as SqlServerError;
    expect(error).toBeInstanceOf(SqlServerError);
    expect([error.code, error.target]).toEqual(["EPREREQUISITE", `127.0.0.1:${mirror.port}`]);
    expect(error.message).toBe(
      `unable to create mirroring session of database [${name}] on 127.0.0.1:${mirror.port}: the mirror's copy: database [${name}] is ONLINE on the mirror (partners[1]), and a database is never restored over: ` +
        `if that copy is not needed, drop it there yourself (DROP DATABASE [${name}]) and run pulumi up again; if it is the copy that should serve, list its partner first`,
    );
    expect((await backups(principal, name)).length).toBe(before);
    expect(await stateOn(mirror, name)).toBe("ONLINE");
    expect(await sa(mirror, `SELECT id FROM [${name}].dbo.keep`)).toEqual([{ id: 42 }]);
  });

  it("a principal whose log chain has not started is refused before any backup", async () => {
    const name = await principalDatabase([1], false);
    const error = (await seedMirrorCopy(clientOf(principal), clientOf(mirror), name, { backupPath: shared }).catch((e: unknown) => e)) as SqlServerError;
    expect(error.message).toBe(
      `unable to create mirroring session of database [${name}] on 127.0.0.1:${principal.port}: the principal's copy: database [${name}] has had no full backup under the FULL recovery model, ` +
        `so no log backup can be taken yet: run BACKUP DATABASE [${name}] TO DISK = N'…' first (seeding takes copy-only backups, which never start or change your backup chain)`,
    );
    expect(await backups(principal, name)).toEqual([]);
    expect(await stateOn(mirror, name)).toBeUndefined();
  });

  it("a folder the principal cannot write to fails with SQL Server's error, sent once, and nothing is restored", async () => {
    const name = await principalDatabase([1]);
    const missing = path.join(shared, "no-such-folder");
    const error = (await seedMirrorCopy(clientOf(principal), clientOf(mirror), name, { backupPath: missing, stamp: "t5" }).catch((e: unknown) => e)) as SqlServerError;
    expect([error.number, error.attempts]).toEqual([3201, 1]);
    expect(error.message).toMatch(new RegExp(`^unable to back up \\(full, copy-only\\) for seeding the mirror copy of database \\[${name}\\] on 127\\.0\\.0\\.1:${principal.port}: Cannot open backup device`));
    expect(await stateOn(mirror, name)).toBeUndefined();
  });

  it("the seeding read works on the emulator as it is today (sys.databases ⟕ sys.database_recovery_status)", async () => {
    const name = await principalDatabase([1]);
    await expect(readSeedingState(clientOf(principal), name)).resolves.toEqual({ state: "ONLINE", recoveryModel: "FULL", logChainStarted: true, inAvailabilityGroup: false });
    await expect(readSeedingState(clientOf(mirror), name)).resolves.toBeUndefined();
  });
});
