#!/usr/bin/env node
/**
 * `npm run emulator -- [--instances N] [--base-port P] [--sa-password X] [--data-dir D] [--ca-file F]`
 *
 * Starts N emulated instances on 127.0.0.1 and prints how to connect to each; Ctrl-C stops them.
 * The TLS certificate every instance presents is written to the CA file, so clients can connect
 * with `encrypt: true` and full certificate validation (`ca`).
 */
import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorInstance } from "./instance";

const USAGE = `usage: npm run emulator -- [options]
  --instances N     how many instances (default 1)
  --base-port P     first TCP port; the others follow (default: any free ports)
  --sa-password X   sa's password (default: $MSSQL_EMULATOR_SA_PASSWORD, else a fixed demo password)
  --data-dir D      keep each instance's catalog in D/<name> across restarts (default: memory only)
  --ca-file F       where to write the TLS certificate clients trust (default .work/emulator/ca.pem)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      instances: { type: "string", default: "1" },
      "base-port": { type: "string" },
      "sa-password": { type: "string" },
      "data-dir": { type: "string" },
      "ca-file": { type: "string", default: path.join(".work", "emulator", "ca.pem") },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const count = Number(values.instances);
  const basePort = values["base-port"] === undefined ? 0 : Number(values["base-port"]);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`--instances must be 1 to 64\n${USAGE}`);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65535 - count) throw new Error(`--base-port must be a TCP port\n${USAGE}`);
  const saPassword = values["sa-password"] ?? process.env.MSSQL_EMULATOR_SA_PASSWORD ?? "Emulator-sa-Passw0rd";

  const instances: EmulatorInstance[] = [];
  for (let i = 0; i < count; i++) {
    const name = `SQLEMU${i + 1}`;
    instances.push(
      await startEmulator({
        name,
        saPassword,
        port: basePort === 0 ? 0 : basePort + i,
        ...(values["data-dir"] ? { dataDir: path.join(values["data-dir"], name) } : {}),
      }),
    );
  }
  const caFile = path.resolve(values["ca-file"]!);
  await mkdir(path.dirname(caFile), { recursive: true });
  await writeFile(caFile, instances[0]!.tlsCertificate);

  console.log(`${count} emulated SQL Server instance${count > 1 ? "s" : ""} on 127.0.0.1 (TLS certificate: ${caFile})`);
  for (const i of instances) {
    console.log(`  ${i.name.padEnd(9)} server=127.0.0.1 port=${i.port} user=sa password=${values["sa-password"] || process.env.MSSQL_EMULATOR_SA_PASSWORD ? "<as given>" : saPassword}`);
  }
  console.log(`connect with encrypt: true and ca: <contents of ${path.relative(process.cwd(), caFile)}>; Ctrl-C stops`);

  const stop = async () => {
    await Promise.all(instances.map((i) => i.stop()));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
