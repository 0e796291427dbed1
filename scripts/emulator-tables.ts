/**
 * Measures what table data costs in the emulator's engine (no TDS): committed single-row INSERTs,
 * a multi-row INSERT, a full backup and a restore of the table, and a filtered scan.
 *
 *   npm run build && node dist/scripts/emulator-tables.js [--rows 10000]
 *
 * Runs once in memory and once with a dataDir (every commit rewrites the changed database's file),
 * in temporary folders it removes afterwards.
 */
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Engine, type EngineSession } from "../emulator/engine/engine";

async function must(session: EngineSession, sql: string): Promise<void> {
  const errors = (await session.execute(sql)).filter((o) => o.kind === "error");
  if (errors.length) throw new Error(`${sql.slice(0, 80)}: ${JSON.stringify(errors)}`);
}

async function timed(run: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: "string", default: "10000" } } });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 2000 || rows > 1_000_000) throw new Error("--rows must be 2000 to 1000000");
  const root = await mkdtemp(path.join(os.tmpdir(), "emulator-tables-"));
  try {
    for (const persisted of [false, true]) {
      const engine = await Engine.open({ serverName: "BENCH", saPassword: "Bench!Passw0rd", backupDir: path.join(root, `backup-${persisted}`), ...(persisted ? { dataDir: path.join(root, "data") } : {}) });
      const sa = engine.openSession("sa");
      await must(sa, "CREATE DATABASE m; USE m; CREATE TABLE r (id int PRIMARY KEY, v nvarchar(50))");
      const single = 1000;
      const singles = await timed(async () => {
        for (let i = 0; i < single; i++) await must(sa, `INSERT INTO r VALUES (${i}, N'row ${i}')`);
      });
      const batch = await timed(async () => {
        for (let start = single; start < rows; start += 1000) {
          const n = Math.min(1000, rows - start);
          await must(sa, `INSERT INTO r VALUES ${Array.from({ length: n }, (_, i) => `(${start + i}, N'bulk')`).join(", ")}`);
        }
      });
      const backup = await timed(() => must(sa, "USE master; BACKUP DATABASE m TO DISK = N'm.bak'"));
      const restore = await timed(() => must(sa, "RESTORE DATABASE m2 FROM DISK = N'm.bak' WITH MOVE N'm' TO N'/x/m2.mdf', MOVE N'm_log' TO N'/x/m2_log.ldf'"));
      const scan = await timed(() => must(sa, "SELECT COUNT(*) FROM m.dbo.r WHERE v = N'bulk'"));
      console.log(
        `${persisted ? "with dataDir" : "in memory   "}: ${single} single-row INSERTs ${(singles / single).toFixed(2)} ms each; ` +
          `${rows - single} rows in 1000-row INSERTs ${batch.toFixed(0)} ms; BACKUP ${backup.toFixed(0)} ms; RESTORE ${restore.toFixed(0)} ms; ` +
          `COUNT(*) with WHERE over ${rows} rows ${scan.toFixed(1)} ms`,
      );
      await engine.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
