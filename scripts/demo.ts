/**
 * `npm run demo [-- --stack dev|prod]`: the main job, end to end on this machine.
 *
 * Starts emulated SQL Server instances for the stack's topology, runs `pulumi preview` and
 * `pulumi up` of the root program (Pulumi.yaml + Pulumi.<stack>.yaml, servers pointed at the
 * emulators), prints the endpoints and the trust matrix (which instance accepts which, by the
 * certificate handshake check), then `pulumi destroy`s and stops, leaving nothing behind.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { localPulumiEnv, localStack } from "./localStack";
import { checkHandshake, startEmulator, type EmulatorInstance } from "../emulator";

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
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`▶ ${s}`)}`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")).join("\n");
}

function summary(changes: Record<string, number> | undefined): string {
  return Object.entries(changes ?? {})
    .map(([op, n]) => `${n} ${op}`)
    .join(", ");
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
  const roleOf = (name: string): "partner" | "witness" | "replica" =>
    topology.replicas ? "replica" : topology.witness?.name === name ? "witness" : "partner";

  step(`Starting ${members.length} emulated SQL Server instances for stack '${stackName}'`);
  const instances = new Map<string, EmulatorInstance>();
  for (const m of members) instances.set(m.name, await startEmulator({ saPassword, name: m.name.toUpperCase() }));
  const pointed = (m: InstanceConfig): InstanceConfig => ({ ...m, server: "127.0.0.1", port: instances.get(m.name)!.port });
  const local: TopologyConfig = {
    ...topology,
    ...(topology.partners ? { partners: topology.partners.map(pointed) } : {}),
    ...(topology.witness ? { witness: pointed(topology.witness) } : {}),
    ...(topology.replicas ? { replicas: topology.replicas.map(pointed) } : {}),
  };
  const caFile = path.join(dir, "ca.pem");
  writeFileSync(caFile, [...instances.values()][0]!.tlsCertificate);
  await stack.setAllConfig({
    topology: { value: JSON.stringify(local) },
    sqlPassword: { value: saPassword, secret: true },
    masterKeyPassword: { value: masterKeyPassword, secret: true },
    tlsCaFile: { value: caFile },
  });
  console.log(
    table([
      ["instance", "role", "TDS address", "endpoint port"],
      ...members.map((m) => [m.name, roleOf(m.name).toUpperCase(), `127.0.0.1:${instances.get(m.name)!.port}`, String(m.endpointPort ?? 5022)]),
    ]),
  );
  console.log(`  encryption ${topology.encryption ?? "REQUIRED"}, algorithm ${topology.algorithm ?? "AES"}, certificates valid ${topology.certificateValidityDays ?? 365} days`);

  const before = [...instances.values()].map((i) => JSON.stringify(i.catalog()));
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
          const listener = instances.get(m.name)!.hadr.listener;
          const listening = listener.listening ? "yes" : `no (${listener.error?.number ?? "stopped"})`;
          return [m.name, urls[m.name]!, listening, certs[m.name]!.name, certs[m.name]!.thumbprint.slice(0, 16) + "…", certs[m.name]!.expiryDate];
        }),
      ]),
    );

    step("Trust matrix: does the row instance accept a mirroring connection from the column instance? (a real connection per cell)");
    // Each cell is a real connection from the column instance's endpoint to the row instance's.
    let refused = 0;
    const rows = await Promise.all(
      members.map(async (receiver) => [
        receiver.name,
        ...(await Promise.all(
          members.map(async (sender) => {
            if (sender === receiver) return "—";
            const from = roleOf(sender.name);
            const result = await checkHandshake(
              instances.get(sender.name)!,
              instances.get(receiver.name)!,
              from === "replica" ? { role: from } : { role: from, peerRole: roleOf(receiver.name) === "witness" ? "witness" : "partner" },
            );
            if (!result.ok) refused++;
            return result.ok ? "accepts" : `refuses (${result.error.number})`;
          }),
        )),
      ]),
    );
    console.log(table([["accepts ↓ from →", ...members.map((m) => m.name)], ...rows]));
    console.log(refused === 0 ? "  every instance accepts every peer it must." : `  ${refused} pair(s) refused.`);
    if (refused > 0) process.exitCode = 1;
  } finally {
    if (!values.keep) {
      step("pulumi destroy");
      const destroy = await stack.destroy({ color: "never" });
      console.log(`destroy: ${summary(destroy.summary.resourceChanges)}`);
      const restored = [...instances.values()].every((i, n) => JSON.stringify(i.catalog()) === before[n]);
      console.log(restored ? "Every catalog is back exactly as it was before `pulumi up`." : "Some catalog differs from before `pulumi up`!");
      if (!restored) process.exitCode = 1;
      await Promise.all([...instances.values()].map((i) => i.stop()));
      rmSync(dir, { recursive: true, force: true });
      console.log("Emulated instances stopped; nothing left behind.");
    } else {
      console.log(`\nKept: stack state in ${dir}; instances stop when this process exits.`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
