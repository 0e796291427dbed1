/**
 * Endpoint ports for tests. Test files run in parallel (vitest workers, and other test runs on the
 * same machine), and a STARTED endpoint really listens on 127.0.0.1:<LISTENER_PORT>, so two tests
 * must never pick the same port. {@link reservePort} hands out a port that is free now and reserved
 * for this process until it exits:
 *
 * - candidates come from 20000–31999, below the kernel's ephemeral range (32768–60999 on Linux), so
 *   the OS never gives them to a `listen(0)` (the emulators' TDS ports) or an outgoing connection;
 * - a reservation is a lock file, created exclusively, in one folder of the system's temporary
 *   directory shared by every process that uses this helper; it names the owning pid, and a lock
 *   whose process is gone is taken over;
 * - the port must also be bindable on 127.0.0.1 at that moment (another program may hold it);
 * - the locks are removed when the process exits.
 *
 * The attempts are bounded (a few hundred candidates), so a full range fails loudly instead of looping.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const FIRST = 20000;
const LAST = 31999;
const ATTEMPTS = 400;
const LOCKS = path.join(os.tmpdir(), "pulumi-mssql-mirroring-test-ports");

const held = new Set<number>();
let cleanupInstalled = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock of `port` for this process; false if another live process holds it. */
function lock(port: number): boolean {
  const file = path.join(LOCKS, `${port}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(file, "utf8"));
      } catch {
        continue;
      }
      // A lock being written (empty) or held by a live process is taken.
      if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", () => {
    for (const port of held) {
      try {
        unlinkSync(path.join(LOCKS, `${port}.lock`));
      } catch {
        // Already gone.
      }
    }
  });
}

/** A free TCP port on 127.0.0.1, reserved for this process (see the module comment). */
export async function reservePort(): Promise<number> {
  mkdirSync(LOCKS, { recursive: true });
  installCleanup();
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
    if (held.has(port) || !lock(port)) continue;
    held.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`reservePort: no free port in ${FIRST}–${LAST} after ${ATTEMPTS} candidates`);
}

/** `count` distinct reserved ports. */
export async function reservePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await reservePort());
  return ports;
}
