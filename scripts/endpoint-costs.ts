/**
 * Measures the live endpoints: the time of one handshake between two emulated instances, and what
 * a listening endpoint adds to an instance's start, restart and stop.
 *
 *   npm run build && node dist/scripts/endpoint-costs.js [--handshakes 200] [--starts 20]
 *
 * - handshake: `checkHandshake(a, b)` in a loop, one at a time: a TCP connection to b's endpoint,
 *   the challenge, a's signature made in a's engine, b's verification and acceptance rule, Accept,
 *   close. Median, p95 and max of `--handshakes` attempts after 10 warm-up ones.
 * - start / restart / stop: `--starts` instances started one after another on a saved catalog
 *   (dataDir) with a STARTED endpoint, then restarted, then stopped (with one link each, connected,
 *   to a peer), against the same on a catalog without an endpoint.
 *
 * Ports come from the OS (listen on port 0, then release), on 127.0.0.1 only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { checkHandshake, startEmulator, type EmulatorInstance } from "../emulator";

const SA = "Costs-sa-Passw0rd!";
const STRONG = "Str0ng!Passw0rd";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function sql(instance: EmulatorInstance, text: string): Promise<void> {
  const session = instance.engine.openSession("sa");
  try {
    const errors = (await session.execute(text)).flatMap((o) => (o.kind === "error" ? [o.error.message] : []));
    if (errors.length) throw new Error(errors.join("; "));
  } finally {
    session.close();
  }
}

async function outbound(instance: EmulatorInstance, name: string, port: number | undefined): Promise<void> {
  await sql(instance, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}'; CREATE CERTIFICATE ${name}_cert WITH SUBJECT = N'${name}'`);
  if (port !== undefined) await sql(instance, `CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${port}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${name}_cert, ROLE = ALL)`);
}

async function trust(receiver: EmulatorInstance, peer: EmulatorInstance, name: string): Promise<void> {
  const session = peer.engine.openSession("sa");
  const [result] = await session.execute(`SELECT CERTENCODED(CERT_ID(N'${name}_cert'))`);
  session.close();
  const der = (result as { rows: Buffer[][] }).rows[0]![0]!;
  await sql(
    receiver,
    `CREATE LOGIN ${name}_login WITH PASSWORD = N'${STRONG}'; CREATE USER ${name}_user FOR LOGIN ${name}_login;
     CREATE CERTIFICATE ${name}_peer AUTHORIZATION ${name}_user FROM BINARY = 0x${der.toString("hex")};
     GRANT CONNECT ON ENDPOINT::Mirroring TO ${name}_login`,
  );
}

function stats(samples: number[]): string {
  const s = [...samples].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms (n = ${s.length})`;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await run();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { handshakes: { type: "string", default: "200" }, starts: { type: "string", default: "20" } } });
  const handshakes = Number(values.handshakes);
  const starts = Number(values.starts);
  const root = mkdtempSync(path.join(os.tmpdir(), "endpoint-costs-"));
  try {
    // Handshakes between two instances that trust each other.
    const [a, b] = await Promise.all([startEmulator({ saPassword: SA, name: "COSTA" }), startEmulator({ saPassword: SA, name: "COSTB" })]);
    await outbound(a, "a", await freePort());
    await outbound(b, "b", await freePort());
    await trust(b, a, "a");
    for (let i = 0; i < 10; i++) await checkHandshake(a, b);
    const times: number[] = [];
    for (let i = 0; i < handshakes; i++) {
      const t = performance.now();
      const r = await checkHandshake(a, b);
      times.push(performance.now() - t);
      if (!r.ok) throw new Error(`handshake refused: ${r.error.number} ${r.error.message}`);
    }
    console.log(`handshake a → b (connect, challenge, RSA-2048 signature, verify, accept, close): ${stats(times)}`);

    // Start / restart / stop on a saved catalog, with and without a listening endpoint.
    for (const withEndpoint of [false, true]) {
      const dirs: string[] = [];
      for (let i = 0; i < starts; i++) {
        const dataDir = path.join(root, `${withEndpoint ? "ep" : "plain"}-${i}`);
        const seed = await startEmulator({ saPassword: SA, dataDir });
        await outbound(seed, `s${i}`, withEndpoint ? await freePort() : undefined);
        if (withEndpoint) await trust(b, seed, `s${i}`);
        await seed.stop();
        dirs.push(dataDir);
      }
      const startTimes: number[] = [];
      const instances: EmulatorInstance[] = [];
      for (const dataDir of dirs) {
        const t = performance.now();
        instances.push(await startEmulator({ saPassword: SA, dataDir }));
        startTimes.push(performance.now() - t);
      }
      if (withEndpoint && !instances.every((i) => i.hadr.listener.listening)) throw new Error("an endpoint did not listen");
      const links = withEndpoint ? instances.map((i) => i.hadr.openLink(b.hadr.endpointUrl!)) : [];
      await Promise.all(links.map((l) => l.waitFor("connected")));
      const restartTimes: number[] = [];
      for (const i of instances) restartTimes.push(await timed(() => i.restart()));
      await Promise.all(links.map((l) => l.waitFor("connected")));
      const stopTimes: number[] = [];
      for (const i of instances) stopTimes.push(await timed(() => i.stop()));
      const label = withEndpoint ? "with a STARTED endpoint (and one connected link)" : "without an endpoint";
      console.log(`start on dataDir ${label}: ${stats(startTimes)}`);
      console.log(`restart ${label}: ${stats(restartTimes)}`);
      console.log(`stop ${label}: ${stats(stopTimes)}`);
    }
    await Promise.all([a.stop(), b.stop()]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
