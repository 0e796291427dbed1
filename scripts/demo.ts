/**
 * `npm run demo [-- --stack dev|prod]`: the main job, end to end on this machine.
 *
 * Starts emulated SQL Server instances for the stack's topology, creates the stack's databases on the
 * first instance (FULL recovery, a full backup: what a DBA has before asking for a group or a
 * session), runs `pulumi preview` and `pulumi up` of the root program (Pulumi.yaml +
 * Pulumi.<stack>.yaml, servers pointed at the emulators), prints the endpoints and the trust matrix
 * (which instance accepts which, by a real endpoint connection), then what uses the trust:
 * - dev: the availability group — each replica's role and connection, each database's copies, and a
 *   row written on the primary read back on every readable secondary;
 * - prod: the mirroring sessions — roles and states on both partners and the witness, then an
 *   automatic failover (the principal's instance is stopped), the row read on the new principal, the
 *   old principal back as the mirror, and `pulumi up --refresh` taking the failover as a fact.
 * Finally `pulumi destroy`s (the databases stay, as destroy promises) and stops, leaving nothing
 * behind.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Stack } from "@pulumi/pulumi/automation";
import { localPulumiEnv, localStack } from "./localStack";
import { bracket, SaSql, literal, pollFor } from "./saSql";
import { checkHandshake, startEmulator, type CatalogSnapshot, type EmulatorInstance } from "../emulator";

const ROOT = path.resolve(__dirname, "..", "..");

interface InstanceConfig {
  name: string;
  server: string;
  port?: number;
  endpointPort?: number;
}
interface TopologyConfig {
  partners?: InstanceConfig[];
  witness?: InstanceConfig;
  replicas?: InstanceConfig[];
  encryption?: string;
  algorithm?: string;
  certificateValidityDays?: number;
  availabilityGroup?: { name: string; databases?: Array<string | { name: string }> };
  mirroring?: { databases: string[]; seeding?: { backupPath: string } };
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`▶ ${s}`)}`);
const text = (v: unknown) => (v === null || v === undefined ? "—" : String(v));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")).join("\n");
}

function summary(changes: Record<string, number> | undefined): string {
  return Object.entries(changes ?? {})
    .map(([op, n]) => `${n} ${op}`)
    .join(", ");
}

/** Marks the run failed and says why, without stopping it: destroy still runs. */
function fail(message: string): void {
  console.log(`  ✗ ${message}`);
  process.exitCode = 1;
}

/** The demo's instances by logical name; a stopped one is started again on its port and data. */
class Instances {
  readonly byName = new Map<string, EmulatorInstance>();
  private readonly ports = new Map<string, number>();

  constructor(
    private readonly saPassword: string,
    private readonly dataRoot: string,
  ) {}

  async start(name: string): Promise<EmulatorInstance> {
    const port = this.ports.get(name);
    const instance = await startEmulator({
      saPassword: this.saPassword,
      name: name.toUpperCase(),
      dataDir: path.join(this.dataRoot, name),
      ...(port !== undefined ? { port } : {}),
    });
    this.ports.set(name, instance.port);
    this.byName.set(name, instance);
    return instance;
  }

  get(name: string): EmulatorInstance {
    const instance = this.byName.get(name);
    if (!instance) throw new Error(`no instance ${name}`);
    return instance;
  }

  /** The logical name of the instance whose @@SERVERNAME is `serverName`. */
  logicalName(serverName: string): string {
    for (const [name, i] of this.byName) if (i.name.toLowerCase() === serverName.toLowerCase()) return name;
    return serverName;
  }
}

const databaseNames = (t: TopologyConfig): string[] =>
  t.availabilityGroup ? (t.availabilityGroup.databases ?? []).map((d) => (typeof d === "string" ? d : d.name)) : (t.mirroring?.databases ?? []);

/** What a DBA has before asking for a group or a session: each database ONLINE, FULL recovery, a table, a full backup. */
async function prepareDatabases(sql: SaSql, on: EmulatorInstance, databases: string[]): Promise<void> {
  for (const db of databases) {
    await sql.run(on, `CREATE DATABASE ${bracket(db)}`);
    await sql.run(on, `ALTER DATABASE ${bracket(db)} SET RECOVERY FULL`);
    await sql.run(on, `CREATE TABLE ${bracket(db)}.dbo.orders (id int NOT NULL PRIMARY KEY, item nvarchar(100) NOT NULL)`);
    await sql.run(on, `INSERT INTO ${bracket(db)}.dbo.orders (id, item) VALUES (1, N'made before pulumi up')`);
    await sql.run(on, `BACKUP DATABASE ${bracket(db)} TO DISK = ${literal(`${db}-full.bak`)}`);
  }
  console.log(`  on ${on.name}: ${databases.join(", ")} — ONLINE, FULL recovery, table dbo.orders with 1 row, a full backup`);
}

/** dev: the group as its primary sees it, and a row written on the primary read on every secondary. */
async function showAvailabilityGroup(sql: SaSql, instances: Instances, outputs: Record<string, unknown>, databases: string[]): Promise<void> {
  const group = outputs.availabilityGroup as { name: string; primaryReplica: string };
  const primaryName = instances.logicalName(group.primaryReplica);
  const primary = instances.get(primaryName);
  step(`Availability group '${group.name}' as its primary (${primary.name}) sees it`);
  const replicas = await sql.rows(
    primary,
    `SELECT ar.replica_server_name, rs.role_desc, rs.connected_state_desc, rs.synchronization_health_desc, rs.last_connect_error_number, ar.availability_mode_desc
       FROM sys.availability_replicas ar JOIN sys.dm_hadr_availability_replica_states rs ON rs.replica_id = ar.replica_id
      ORDER BY ar.replica_server_name`,
  );
  console.log(
    table([
      ["replica", "role", "connected", "health", "last connect error", "mode"],
      ...replicas.map((r) => [text(r.replica_server_name), text(r.role_desc), text(r.connected_state_desc), text(r.synchronization_health_desc), text(r.last_connect_error_number), text(r.availability_mode_desc)]),
    ]),
  );
  for (const r of replicas) if (r.connected_state_desc !== "CONNECTED") fail(`${text(r.replica_server_name)} is ${text(r.connected_state_desc)}`);
  const copies = await sql.rows(
    primary,
    `SELECT adc.database_name, ar.replica_server_name, drs.synchronization_state_desc, drs.synchronization_health_desc
       FROM sys.dm_hadr_database_replica_states drs
       JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id
       JOIN sys.availability_databases_cluster adc ON adc.group_database_id = drs.group_database_id
      ORDER BY adc.database_name, ar.replica_server_name`,
  );
  console.log(
    table([
      ["database", "replica", "synchronization", "health"],
      ...copies.map((c) => [text(c.database_name), text(c.replica_server_name), text(c.synchronization_state_desc), text(c.synchronization_health_desc)]),
    ]),
  );
  for (const c of copies) if (c.synchronization_state_desc !== "SYNCHRONIZED") fail(`${text(c.database_name)} on ${text(c.replica_server_name)} is ${text(c.synchronization_state_desc)}`);

  step(`A row written on the primary, read back on each secondary`);
  const db = databases[0]!;
  await sql.run(primary, `INSERT INTO ${bracket(db)}.dbo.orders (id, item) VALUES (2, N'written on ${primary.name}')`);
  console.log(`  INSERT INTO ${db}.dbo.orders (id 2) on ${primary.name}`);
  for (const [name, instance] of instances.byName) {
    if (name === primaryName) continue;
    const t0 = Date.now();
    try {
      const row = await pollFor(`row 2 on ${instance.name}`, async () => {
        const rows = await sql.rows(instance, `SELECT item FROM ${bracket(db)}.dbo.orders WHERE id = 2`);
        return rows[0];
      }, 10_000);
      console.log(`  ${instance.name} (readable secondary) reads "${text(row.item)}" ${Date.now() - t0} ms after the commit`);
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
  }
}

/** Every session's state as one partner sees it. */
async function sessionRows(sql: SaSql, instance: EmulatorInstance) {
  return sql.rows(
    instance,
    `SELECT DB_NAME(database_id) AS database_name, mirroring_role_desc, mirroring_state_desc, mirroring_safety_level_desc, mirroring_witness_state_desc
       FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL ORDER BY database_name`,
  );
}

async function printSessions(sql: SaSql, instances: Instances, partners: string[], witness: string | undefined): Promise<void> {
  const rows: string[][] = [["instance", "database", "role", "state", "safety", "witness"]];
  for (const name of partners) {
    const instance = instances.get(name);
    for (const r of await sessionRows(sql, instance))
      rows.push([instance.name, text(r.database_name), text(r.mirroring_role_desc), text(r.mirroring_state_desc), text(r.mirroring_safety_level_desc), text(r.mirroring_witness_state_desc)]);
  }
  console.log(table(rows));
  if (witness) {
    const w = instances.get(witness);
    const seen = await sql.rows(w, `SELECT database_name, principal_server_name, mirror_server_name, safety_level_desc, partner_sync_state_desc FROM sys.database_mirroring_witnesses ORDER BY database_name`);
    console.log(`  the witness ${w.name} serves: ${seen.map((s) => `${text(s.database_name)} (principal ${text(s.principal_server_name)}, mirror ${text(s.mirror_server_name)}, ${text(s.partner_sync_state_desc)})`).join("; ") || "nothing"}`);
  }
}

/** The role `instance` holds for `database` now. */
async function roleOf(sql: SaSql, instance: EmulatorInstance, database: string): Promise<string | undefined> {
  const rows = await sql.rows(instance, `SELECT mirroring_role_desc, mirroring_state_desc FROM sys.database_mirroring WHERE database_id = DB_ID(${literal(database)})`);
  return rows[0]?.mirroring_role_desc as string | undefined;
}

/** prod: the sessions, then an automatic failover and what Pulumi makes of it. */
async function showMirroring(sql: SaSql, instances: Instances, stack: Stack, outputs: Record<string, unknown>, topology: TopologyConfig): Promise<void> {
  const partners = topology.partners!.map((p) => p.name);
  const witness = topology.witness?.name;
  const databases = topology.mirroring!.databases;
  step("Mirroring sessions, as each partner and the witness see them");
  await printSessions(sql, instances, partners, witness);
  const sessions = outputs.mirroringSessions as Record<string, { currentPrincipal: string; mirroringState: string | null; witnessState: string | null }>;
  for (const [db, s] of Object.entries(sessions)) {
    if (s.mirroringState !== "SYNCHRONIZED") fail(`${db}: up reported ${text(s.mirroringState)}`);
    if (witness && s.witnessState !== "CONNECTED") fail(`${db}: witness ${text(s.witnessState)}`);
  }
  const db = databases[0]!;
  const principalName = sessions[db]!.currentPrincipal;
  const mirrorName = partners.find((p) => p !== principalName)!;
  const principal = instances.get(principalName);
  await sql.run(principal, `INSERT INTO ${bracket(db)}.dbo.orders (id, item) VALUES (2, N'written on ${principal.name}')`);
  console.log(`  INSERT INTO ${db}.dbo.orders (id 2) on the principal ${principal.name}`);
  if (!witness) return;

  step(`Automatic failover: the principal's instance ${principal.name} stops`);
  await sql.close(principal);
  await principal.stop();
  const mirror = instances.get(mirrorName);
  const t0 = Date.now();
  try {
    for (const d of databases) await pollFor(`${mirror.name} to become principal of ${d}`, async () => ((await roleOf(sql, mirror, d)) === "PRINCIPAL" ? true : undefined), 60_000);
    console.log(`  ${mirror.name} is the principal of ${databases.join(", ")} ${Date.now() - t0} ms after the stop (the witness and ${mirror.name} agreed)`);
    const rows = await sql.rows(mirror, `SELECT item FROM ${bracket(db)}.dbo.orders WHERE id = 2`);
    if (rows.length === 1) console.log(`  ${mirror.name} reads row 2: "${text(rows[0]!.item)}"`);
    else fail(`row 2 is not on the new principal ${mirror.name}`);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }

  step(`${principal.name} starts again and comes back as the mirror`);
  await instances.start(principalName);
  const back = instances.get(principalName);
  try {
    for (const d of databases) {
      await pollFor(`${back.name} to be the mirror of ${d}`, async () => ((await roleOf(sql, back, d)) === "MIRROR" ? true : undefined), 60_000);
      await pollFor(`${d} to be SYNCHRONIZED again`, async () => {
        const rows = await sessionRows(sql, mirror);
        return rows.some((r) => r.database_name === d && r.mirroring_state_desc === "SYNCHRONIZED") ? true : undefined;
      }, 60_000);
    }
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  await printSessions(sql, instances, partners, witness);

  step("pulumi up --refresh: the failover is a fact, not drift to undo");
  const up = await stack.up({ refresh: true, color: "never" });
  console.log(`up --refresh: ${summary(up.summary.resourceChanges)}`);
  const changed = Object.entries(up.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
  if (changed.length > 0) fail(`up --refresh changed something after the failover: ${summary(Object.fromEntries(changed))}`);
  const after = up.outputs.mirroringSessions!.value as typeof sessions;
  for (const [d, s] of Object.entries(after)) {
    console.log(`  ${d}: currentPrincipal ${s.currentPrincipal}, ${text(s.mirroringState)}, witness ${text(s.witnessState)}`);
    if (s.currentPrincipal !== mirrorName) fail(`${d}: currentPrincipal should be ${mirrorName}`);
  }
}

/** Catalog views that destroy is allowed to leave changed: the databases it keeps, and their backup history. */
function securityCatalog(snapshot: CatalogSnapshot, databases: string[]): string {
  const kept = (view: string) => {
    const v = view.toLowerCase();
    return v === "sys.databases" || v === "sys.database_mirroring" || v === "sys.database_recovery_status" || v.startsWith("msdb.") || databases.some((d) => v.startsWith(`${d.toLowerCase()}.`));
  };
  return JSON.stringify(Object.fromEntries(Object.entries(snapshot).filter(([view]) => !kept(view))));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stack: { type: "string", default: "dev" }, keep: { type: "boolean", default: false } } });
  const stackName = values.stack!;
  const dir = path.join(ROOT, ".work", "demo", stackName);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of ["Pulumi.yaml", `Pulumi.${stackName}.yaml`, "program"]) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });

  // Throwaway secrets for this run: the instances' sa password and the master key password.
  const saPassword = `Demo-${randomBytes(9).toString("base64url")}1!`;
  const masterKeyPassword = `Demo-MK-${randomBytes(9).toString("base64url")}1!`;
  const stack = await localStack(dir, stackName, localPulumiEnv(dir));
  const topology = JSON.parse((await stack.getConfig("topology")).value) as TopologyConfig;
  const members = [...(topology.partners ?? []), ...(topology.witness ? [topology.witness] : []), ...(topology.replicas ?? [])];
  const roleOfMember = (name: string): "partner" | "witness" | "replica" =>
    topology.replicas ? "replica" : topology.witness?.name === name ? "witness" : "partner";
  const databases = databaseNames(topology);

  step(`Starting ${members.length} emulated SQL Server instances for stack '${stackName}'`);
  const instances = new Instances(saPassword, path.join(dir, "data"));
  for (const m of members) await instances.start(m.name);
  const pointed = (m: InstanceConfig): InstanceConfig => ({ ...m, server: "127.0.0.1", port: instances.get(m.name).port });
  // Seeding goes through a folder both partners reach: a share in real life, a local folder here.
  const seedDir = path.join(dir, "seed");
  mkdirSync(seedDir, { recursive: true });
  const local: TopologyConfig = {
    ...topology,
    ...(topology.partners ? { partners: topology.partners.map(pointed) } : {}),
    ...(topology.witness ? { witness: pointed(topology.witness) } : {}),
    ...(topology.replicas ? { replicas: topology.replicas.map(pointed) } : {}),
    ...(topology.mirroring ? { mirroring: { ...topology.mirroring, seeding: { backupPath: seedDir } } } : {}),
  };
  const caFile = path.join(dir, "ca.pem");
  writeFileSync(caFile, instances.get(members[0]!.name).tlsCertificate);
  await stack.setAllConfig({
    topology: { value: JSON.stringify(local) },
    sqlPassword: { value: saPassword, secret: true },
    masterKeyPassword: { value: masterKeyPassword, secret: true },
    tlsCaFile: { value: caFile },
  });
  console.log(
    table([
      ["instance", "role", "TDS address", "endpoint port"],
      ...members.map((m) => [m.name, roleOfMember(m.name).toUpperCase(), `127.0.0.1:${instances.get(m.name).port}`, String(m.endpointPort ?? 5022)]),
    ]),
  );
  console.log(`  encryption ${topology.encryption ?? "REQUIRED"}, algorithm ${topology.algorithm ?? "AES"}, certificates valid ${topology.certificateValidityDays ?? 365} days`);

  const sql = new SaSql(saPassword);
  if (databases.length > 0) {
    step("Databases, as a DBA has them before asking for a group or a session");
    await prepareDatabases(sql, instances.get(members[0]!.name), databases);
  }
  const before = new Map([...instances.byName].map(([name, i]) => [name, securityCatalog(i.catalog(), databases)]));
  const out = (s: string) => process.stdout.write(s);
  try {
    step("pulumi preview");
    const preview = await stack.preview({ onOutput: out, color: "never" });
    console.log(`preview: ${summary(preview.changeSummary)}`);

    step("pulumi up");
    const t0 = Date.now();
    const up = await stack.up({ onOutput: out, color: "never" });
    console.log(`up: ${summary(up.summary.resourceChanges)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    step("Endpoints");
    const urls = up.outputs.endpointUrls!.value as Record<string, string>;
    const certs = up.outputs.certificates!.value as Record<string, { name: string; thumbprint: string; expiryDate: string }>;
    console.log(
      table([
        ["instance", "endpoint URL", "listening", "certificate", "thumbprint", "expires"],
        ...members.map((m) => {
          const listener = instances.get(m.name).hadr.listener;
          const listening = listener.listening ? "yes" : `no (${listener.error?.number ?? "stopped"})`;
          return [m.name, urls[m.name]!, listening, certs[m.name]!.name, certs[m.name]!.thumbprint.slice(0, 16) + "…", certs[m.name]!.expiryDate];
        }),
      ]),
    );

    step("Trust matrix: does the row instance accept a mirroring connection from the column instance? (a real connection per cell)");
    let refused = 0;
    const rows = await Promise.all(
      members.map(async (receiver) => [
        receiver.name,
        ...(await Promise.all(
          members.map(async (sender) => {
            if (sender === receiver) return "—";
            const from = roleOfMember(sender.name);
            const result = await checkHandshake(
              instances.get(sender.name),
              instances.get(receiver.name),
              from === "replica" ? { role: from } : { role: from, peerRole: roleOfMember(receiver.name) === "witness" ? "witness" : "partner" },
            );
            if (!result.ok) refused++;
            return result.ok ? "accepts" : `refuses (${result.error.number})`;
          }),
        )),
      ]),
    );
    console.log(table([["accepts ↓ from →", ...members.map((m) => m.name)], ...rows]));
    if (refused === 0) console.log("  every instance accepts every peer it must.");
    else fail(`${refused} pair(s) refused.`);

    const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
    if (topology.availabilityGroup) await showAvailabilityGroup(sql, instances, outputs, databases);
    if (topology.mirroring) await showMirroring(sql, instances, stack, outputs, topology);
  } finally {
    if (!values.keep) {
      step("pulumi destroy");
      const destroy = await stack.destroy({ color: "never" });
      console.log(`destroy: ${summary(destroy.summary.resourceChanges)}`);
      let restored = true;
      for (const [name, i] of instances.byName) if (securityCatalog(i.catalog(), databases) !== before.get(name)) restored = false;
      if (restored) console.log("Every catalog is back exactly as it was before `pulumi up`, apart from the databases, which destroy keeps:");
      else fail("Some catalog differs from before `pulumi up`!");
      for (const [, i] of instances.byName) {
        const kept = await sql.rows(i, "SELECT name, state_desc FROM sys.databases WHERE database_id > 4 ORDER BY name");
        if (kept.length > 0) console.log(`  ${i.name}: ${kept.map((d) => `${text(d.name)} ${text(d.state_desc)}`).join(", ")}`);
      }
      await sql.close();
      await Promise.all([...instances.byName.values()].map((i) => i.stop()));
      rmSync(dir, { recursive: true, force: true });
      console.log("Emulated instances stopped; nothing left behind.");
    } else {
      await sql.close();
      console.log(`\nKept: stack state in ${dir}; instances stop when this process exits.`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
