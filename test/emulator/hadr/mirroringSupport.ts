/**
 * Fixtures for the database mirroring suites: partners and a witness with their six trusts, a
 * database seeded on the mirror by BACKUP / RESTORE … WITH NORECOVERY through a shared folder, the
 * two SET PARTNER steps in SQL Server's order, and readers of the mirroring views.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { StatementOutcome } from "../../../emulator/results";
import { node, query, sql, trust, waitUntil, type Node, type NodeOptions } from "./helpers";

/** Runs T-SQL as sa and returns the errors as `number: text` (none when it succeeded). */
export async function errorsOf(n: Node, text: string): Promise<Array<{ number: number; message: string }>> {
  const outcomes: StatementOutcome[] = await n.sa.execute(text);
  return outcomes.flatMap((o) => (o.kind === "error" ? [{ number: o.error.number, message: o.error.message }] : []));
}

/** A folder both instances write backups to and read them from (a share in real life). */
export function sharedFolder(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), "mirroring-share-"));
}

/** Partners (and a witness) that trust each other as the transport layer sets them up. */
export async function mirroringTrio(options: { witness?: boolean; aOptions?: NodeOptions; bOptions?: NodeOptions; witnessOptions?: NodeOptions } = {}): Promise<{ a: Node; b: Node; w?: Node }> {
  const [a, b] = await Promise.all([node("a", { role: "PARTNER", ...options.aOptions }), node("b", { role: "PARTNER", ...options.bOptions })]);
  await trust(a, b);
  await trust(b, a);
  if (!options.witness) return { a, b };
  const w = await node("w", { role: "WITNESS", ...options.witnessOptions });
  for (const [x, y] of [[a, w], [w, a], [b, w], [w, b]] as const) await trust(x, y);
  return { a, b, w };
}

/** A FULL-recovery database with a table and rows, backed up (full + log) and restored WITH NORECOVERY on the mirror. */
export async function seed(principal: Node, mirror: Node, db = "Sales", folder?: string): Promise<string> {
  const share = folder ?? (await sharedFolder());
  await sql(
    principal,
    `CREATE DATABASE ${db}; ALTER DATABASE ${db} SET RECOVERY FULL;
     CREATE TABLE ${db}.dbo.orders (id int PRIMARY KEY, item nvarchar(50));
     INSERT INTO ${db}.dbo.orders VALUES (1, N'first'), (2, N'second');
     BACKUP DATABASE ${db} TO DISK = N'${share}/${db}.bak';
     BACKUP LOG ${db} TO DISK = N'${share}/${db}.trn';`,
  );
  await sql(mirror, `RESTORE DATABASE ${db} FROM DISK = N'${share}/${db}.bak' WITH NORECOVERY; RESTORE LOG ${db} FROM DISK = N'${share}/${db}.trn' WITH NORECOVERY;`);
  return share;
}

/** SET PARTNER on the mirror (naming the principal), then on the principal (naming the mirror). */
export async function startSession(principal: Node, mirror: Node, db = "Sales"): Promise<void> {
  await sql(mirror, `ALTER DATABASE ${db} SET PARTNER = '${principal.url}'`);
  await sql(principal, `ALTER DATABASE ${db} SET PARTNER = '${mirror.url}'`);
}

/** The sys.database_mirroring row of `db` on `n`. */
export async function mirroringRow(n: Node, db = "Sales"): Promise<Record<string, unknown>> {
  const rows = await query(n, `SELECT m.* FROM sys.database_mirroring AS m JOIN sys.databases AS d ON d.database_id = m.database_id WHERE d.name = N'${db}'`);
  return rows[0]!;
}

/** Waits (bounded) until `db`'s mirroring_state_desc on `n` is `state` (and, when given, the witness state). */
export async function waitForState(n: Node, state: string, db = "Sales", witness?: string, ms = 8000): Promise<Record<string, unknown>> {
  let row: Record<string, unknown> = {};
  const deadline = Date.now() + ms;
  for (;;) {
    row = await mirroringRow(n, db);
    if (row["mirroring_state_desc"] === state && (witness === undefined || row["mirroring_witness_state_desc"] === witness)) return row;
    if (Date.now() > deadline) throw new Error(`${n.name}: ${db} is ${String(row["mirroring_state_desc"])} / witness ${String(row["mirroring_witness_state_desc"])}, not ${state}${witness ? ` / ${witness}` : ""} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { waitUntil };

/** Waits (bounded) until `db` on `n` is in no session (every mirroring_ column NULL). */
export async function waitForNoSession(n: Node, db = "Sales", ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await mirroringRow(n, db))["mirroring_guid"] !== null) {
    if (Date.now() > deadline) throw new Error(`${n.name}: ${db} is still in a session after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
