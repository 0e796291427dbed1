/**
 * Server restarts, slow replies and refused logins during `pulumi up`, through the real CLI:
 * instances keep their catalog across restarts (`dataDir`); connections are dropped right after a
 * DDL ran; the provider's timeouts are short (`connection.requestTimeoutMs` 1.5 s,
 * `connectTimeoutMs` 3 s: a new connection's first batch is delayed too) so slow replies can run
 * past them. Each time the command succeeds after bounded retries or fails clearly, state matches
 * the catalogs (a create whose outcome is unknown stays pending), and a rerun converges. Every wait
 * here is bounded (polls stop after 60 s).
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, startEmulator, type EmulatorInstance } from "../../emulator";
import { SA_PASSWORD } from "../engine/emulators";
import { pulumiAvailable, recorded, type TestProject } from "../engine/pulumiProject";
import { reservePorts } from "../support/ports";
import { objectsInCatalogs } from "../engine/stateVsCatalog";
import { casesProject, conn, expectStateMatchesCatalogs, failureOf, secret, since, stateObjects, type Case } from "./support";

const runEngine = pulumiAvailable();
/** Several CLI commands per test, on a shared two-core machine: far above the usual run time. */
const LONG = 300_000;
const REQUEST_TIMEOUT_MS = 1500;

/** The partners' endpoint ports, reserved in beforeAll: the endpoints really listen, beside other test files'. */
let ports: number[] = [];

function partners(): Case {
  const spec = (i: number) => ({
    name: `sql-${i}`,
    connection: conn(i, { requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: 2 * REQUEST_TIMEOUT_MS }),
    masterKeyPassword: secret("mkPassword"),
    endpoint: { port: ports[i]! },
  });
  return { declare: [{ type: "MirroringTopology", name: "faults", args: { partners: [spec(0), spec(1)] } }] };
}

/** Whether a accepts b and b accepts a, each over a real connection between their endpoints. */
const accepted = async (a: EmulatorInstance, b: EmulatorInstance) => [(await checkHandshake(a, b, { role: "partner" })).ok, (await checkHandshake(b, a, { role: "partner" })).ok];

/** Calls `action` once `condition` holds, polling every 10 ms for at most 60 s; resolves with whether it fired. */
async function when(condition: () => boolean, action: () => Promise<void> | void, stop: () => boolean): Promise<boolean> {
  for (let n = 0; n < 6000 && !stop(); n++) {
    if (condition()) {
      await action();
      return true;
    }
    await sleep(10);
  }
  return false;
}

describe.runIf(runEngine)("restarts, slow replies and refused logins during up", () => {
  let dataRoot: string;
  let instances: EmulatorInstance[];
  let a: EmulatorInstance;
  let b: EmulatorInstance;
  let project: TestProject;
  let before: unknown[];

  beforeAll(async () => {
    dataRoot = mkdtempSync(path.join(os.tmpdir(), "hardening-restart-"));
    ports = await reservePorts(2);
    instances = await Promise.all([0, 1].map((n) => startEmulator({ saPassword: SA_PASSWORD, dataDir: path.join(dataRoot, `sql-${n}`) })));
    [a, b] = instances as [EmulatorInstance, EmulatorInstance];
    before = instances.map((i) => i.catalog());
    project = await casesProject(instances, partners(), { mkPassword: { value: "Marker-RestartMK-2c8a!", secret: true } });
  });
  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    await Promise.all((instances ?? []).map((i) => i.stop()));
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  });

  it("one instance restarts while up runs (right after its master key) and the other drops every connection after its certificate: one up succeeds", async () => {
    const t0 = performance.now();
    let done = false;
    const created = (i: EmulatorInstance, kind: string) => () => (i.counters.statements[kind] ?? 0) > 0;
    const watchers = Promise.all([
      when(created(a, "CREATE MASTER KEY"), () => a.restart(), () => done),
      when(created(b, "CREATE CERTIFICATE"), () => b.faults.dropConnections(), () => done),
    ]);
    const up = await project.stack.up(recorded(project)).finally(() => (done = true));
    expect(await watchers).toEqual([true, true]);
    expect(up.summary.result).toBe("succeeded");
    expect(expectStateMatchesCatalogs(await project.stack.exportStack(), instances)).toEqual([]);
    expect(objectsInCatalogs(instances)).toEqual(stateObjects(await project.stack.exportStack()).certain);
    expect(await accepted(a, b)).toEqual([true, true]);
    console.log(`restart during up: ${since(t0)} ms`);
  }, LONG);

  it("both instances restart between two ups of a half-made topology: the catalogs are kept, the second up finds what the first made and converges", async () => {
    const t0 = performance.now();
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
    b.faults.failNext("CREATE ENDPOINT", { number: 15247, message: "User does not have permission to perform this action." });
    const text = String(await failureOf(project.stack.up(recorded(project))));
    expect(text).toContain(`unable to create mirroring endpoint [hadr_endpoint] on 127.0.0.1:${b.port}: User does not have permission to perform this action. (Msg 15247, State 1)`);
    const halfMade = objectsInCatalogs(instances);
    expect(expectStateMatchesCatalogs(await project.stack.exportStack(), instances)).toEqual([]);
    await Promise.all(instances.map((i) => i.restart()));
    expect(objectsInCatalogs(instances)).toEqual(halfMade);
    const rerun = await project.stack.up(recorded(project));
    expect(rerun.summary.result).toBe("succeeded");
    expect(objectsInCatalogs(instances)).toEqual(stateObjects(await project.stack.exportStack()).certain);
    expect(await accepted(a, b)).toEqual([true, true]);
    console.log(`restart between ups: ${since(t0)} ms`);
  }, LONG);

  it("one reply slower than requestTimeoutMs: the request is cancelled and retried, and up succeeds", async () => {
    const t0 = performance.now();
    await project.stack.destroy(recorded(project));
    a.faults.delayResponses(4 * REQUEST_TIMEOUT_MS, 1);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    expect(objectsInCatalogs(instances)).toEqual(stateObjects(await project.stack.exportStack()).certain);
    expect(await accepted(a, b)).toEqual([true, true]);
    console.log(`one slow reply: ${since(t0)} ms`);
  }, LONG);

  it("every reply slower than requestTimeoutMs: up fails after 5 attempts saying it timed out, the creates stay pending, and a rerun converges", async () => {
    const t0 = performance.now();
    await project.stack.destroy(recorded(project));
    a.faults.delayResponses(4 * REQUEST_TIMEOUT_MS, Infinity);
    const text = String(await failureOf(project.stack.up(recorded(project)))).replace(/\s+/g, " ");
    a.faults.delayResponses(0);
    expect(text).toMatch(
      new RegExp(
        `unable to create [a-z ]+ on 127\\.0\\.0\\.1:${a.port}: timed out — raise connection\\.connectTimeoutMs / connection\\.requestTimeoutMs if the server is just slow \\((Timeout: Request failed to complete in ${REQUEST_TIMEOUT_MS}ms|Failed to connect to 127\\.0\\.0\\.1:${a.port} in ${2 * REQUEST_TIMEOUT_MS}ms)\\) \\[after 5 attempts] — SQL Server may or may not have run it, so the resource is kept in state as pending`,
      ),
    );
    const pending = expectStateMatchesCatalogs(await project.stack.exportStack(), instances);
    expect(pending.length).toBeGreaterThan(0);
    const rerun = await project.stack.up(recorded(project));
    expect(rerun.summary.result).toBe("succeeded");
    const state = stateObjects(await project.stack.exportStack());
    expect(state.pending).toEqual([]);
    expect(objectsInCatalogs(instances)).toEqual(state.certain);
    expect(await accepted(a, b)).toEqual([true, true]);
    console.log(`slow server, then rerun: ${since(t0)} ms`);
  }, LONG);

  it("a refused login (18456) fails fast: no retry, no pending state, and a rerun converges", async () => {
    const t0 = performance.now();
    await project.stack.destroy(recorded(project));
    const refusedBefore = b.counters.failedLogins;
    b.faults.refuseLogins(1000);
    const failed = performance.now();
    const text = String(await failureOf(project.stack.up(recorded(project))));
    const failedAfterMs = since(failed);
    b.faults.clear();
    expect(text).toMatch(
      new RegExp(`unable to create [a-z ]+ on 127\\.0\\.0\\.1:${b.port}: login failed — check connection\\.user and connection\\.password \\(Login failed for user 'sa'\\.\\)\\n`),
    );
    expect(text).not.toMatch(/login failed[^\n]*\[after \d+ attempts]/);
    // One login attempt per resource that started on that instance, never five.
    const refused = b.counters.failedLogins - refusedBefore;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(4);
    expect(expectStateMatchesCatalogs(await project.stack.exportStack(), instances)).toEqual([]);
    const rerun = await project.stack.up(recorded(project));
    expect(rerun.summary.result).toBe("succeeded");
    expect(objectsInCatalogs(instances)).toEqual(stateObjects(await project.stack.exportStack()).certain);
    console.log(`login refused: failed after ${failedAfterMs} ms; with rerun ${since(t0)} ms`);
  }, LONG);
});
