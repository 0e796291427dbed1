/**
 * Measures what an idle emulated instance costs: start time and memory.
 *
 *   npm run build && node --expose-gc dist/scripts/emulator-idle.js [--instances 20]
 *
 * Starts N instances one after another in this process (memory only, no dataDir), timing each
 * start, then reports the median / max start and the heap + external and RSS growth per instance
 * after a full GC. The first start also makes the process's shared TLS certificate (an RSA key), so
 * it is reported on its own and left out of the median.
 */
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorInstance } from "../emulator";

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error("run with node --expose-gc");
  collect();
  collect();
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
const kib = (bytes: number) => (bytes / 1024).toFixed(0);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { instances: { type: "string", default: "20" } } });
  const count = Number(values.instances);
  if (!Number.isInteger(count) || count < 2 || count > 200) throw new Error("--instances must be 2 to 200");

  gc();
  const before = process.memoryUsage();
  const instances: EmulatorInstance[] = [];
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    instances.push(await startEmulator({ saPassword: "Idle-sa-Passw0rd", name: `IDLE${i + 1}` }));
    starts.push(performance.now() - t);
  }
  gc();
  const after = process.memoryUsage();
  const rest = starts.slice(1).sort((a, b) => a - b);
  const median = rest[Math.floor(rest.length / 2)]!;
  const heap = after.heapUsed + after.external - (before.heapUsed + before.external);
  const rss = after.rss - before.rss;
  console.log(`${count} idle instances in one Node ${process.version} process (${process.platform}/${process.arch})`);
  console.log(`  first start (makes the shared TLS certificate): ${starts[0]!.toFixed(1)} ms`);
  console.log(`  other starts: median ${median.toFixed(1)} ms, max ${rest.at(-1)!.toFixed(1)} ms`);
  console.log(`  heap + external: +${mib(heap)} MiB in all, ${kib(heap / count)} KiB per instance`);
  console.log(`  RSS: +${mib(rss)} MiB in all, ${kib(rss / count)} KiB per instance`);
  await Promise.all(instances.map((i) => i.stop()));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
