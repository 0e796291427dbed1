/**
 * Lost connections and transient server errors during `pulumi up`, through the real CLI, with the
 * emulator's fault hooks: a connection dropped before a statement runs, after it ran (its reply
 * lost), on one attempt or on every attempt, and a deadlock on every attempt. Each time the command
 * either succeeds after bounded retries or fails with a clear error; state never omits an object
 * that exists on a server (a create whose outcome is unknown stays in state as pending); and a
 * rerun of `up` converges to state = catalogs with every handshake accepted and nothing duplicated.
 * Retries: 5 attempts, 250 ms doubling to 4 s with jitter, so a failing statement gives up after
 * about 2–4 s.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { startInstances } from "../engine/emulators";
import { pulumiAvailable, recorded, type TestProject } from "../engine/pulumiProject";
import { reservePorts } from "../support/ports";
import { objectsInCatalogs } from "../engine/stateVsCatalog";
import { casesProject, conn, expectStateMatchesCatalogs, failureOf, secret, setCase, since, stackExport, stateObjects, stopInstances, type Case } from "./support";

const runEngine = pulumiAvailable();
/** Several CLI commands per test, on a shared two-core machine: far above the usual run time. */
const LONG = 300_000;
// Stack, topology, 2 × (instance + master key + certificate + endpoint), 2 × (trust + 4).
const RESOURCES = 2 + 2 * 4 + 2 * 5;

/** The partners' endpoint ports, reserved in beforeAll: the endpoints really listen, beside other test files'. */
let ports: number[] = [];

function partners(backup?: string): Case {
  const spec = (i: number) => ({
    name: `sql-${i}`,
    connection: conn(i),
    masterKeyPassword: secret("mkPassword"),
    endpoint: { port: ports[i]! },
    ...(backup !== undefined && i === 0 ? { backup: { file: `${backup}.cer`, privateKey: { file: `${backup}.pvk`, password: secret("backupPassword") } } } : {}),
  });
  return { declare: [{ type: "MirroringTopology", name: "faults", args: { partners: [spec(0), spec(1)] } }] };
}

/** Whether a accepts b and b accepts a, each over a real connection between their endpoints. */
const accepted = async (a: EmulatorInstance, b: EmulatorInstance) => [(await checkHandshake(a, b, { role: "partner" })).ok, (await checkHandshake(b, a, { role: "partner" })).ok];

describe.runIf(runEngine)("lost connections and transient errors during up", () => {
  let instances: EmulatorInstance[];
  let a: EmulatorInstance;
  let b: EmulatorInstance;
  let project: TestProject;
  let before: unknown[];

  beforeAll(async () => {
    instances = await startInstances(2);
    ports = await reservePorts(2);
    [a, b] = instances as [EmulatorInstance, EmulatorInstance];
    before = instances.map((i) => i.catalog());
    project = await casesProject(instances, partners(), {
      mkPassword: { value: "Marker-FaultMK-3b7c!", secret: true },
      backupPassword: { value: "Marker-FaultBackup-5d1e!", secret: true },
    });
  });
  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    await stopInstances(instances);
  });

  it("every attempt loses its connection (before the statement on one instance, after it on the other): up fails clearly, both creates stay pending, a rerun converges with no duplicate", async () => {
    const t0 = performance.now();
    a.faults.dropConnectionOn(/CREATE LOGIN \[mirroring_sql-1_login]/, "before", 5);
    b.faults.dropConnectionOn(/CREATE CERTIFICATE \[mirroring_cert_/, "after", 5);
    const text = String(await failureOf(project.stack.up(recorded(project))));
    for (const [kind, name, port] of [["login", "\\[mirroring_sql-1_login]", a.port], ["certificate", "\\[mirroring_cert_[0-9a-f]{8}]", b.port]] as const) {
      expect(text).toMatch(
        new RegExp(
          `unable to create ${kind} ${name} on 127\\.0\\.0\\.1:${port}: cannot reach SQL Server — check connection\\.server and connection\\.port, and that the instance accepts TCP connections \\([^)]*\\) \\[after 5 attempts] — SQL Server may or may not have run it, so the resource is kept in state as pending: \`pulumi up\` finishes the create, \`pulumi refresh\` drops it if nothing was created`,
        ),
      );
    }
    const pending = expectStateMatchesCatalogs(await project.stack.exportStack(), instances);
    expect(pending).toHaveLength(2);
    // A pending resource's state keeps its secrets encrypted too (connection password, generated login password).
    const exported = stackExport(project);
    expect(JSON.stringify(exported)).not.toMatch(/Marker-/);
    const pendingLogin = (exported.deployment as { resources: Array<{ type: string; outputs?: Record<string, unknown> }> }).resources.find(
      (r) => r.type.endsWith(":Login") && r.outputs?.createPending === true,
    )!;
    for (const value of [pendingLogin.outputs!.password, (pendingLogin.outputs!.connection as Record<string, unknown>).password]) {
      expect(Object.keys(value as object).sort()).toEqual(["4dabf18193072939515e22adb298388d", "ciphertext"]);
    }
    expect(pending[0]).toMatch(new RegExp(`^${a.port} login mirroring_sql-1_login$|^${b.port} certificate mirroring_cert_`));
    // The login never ran; the certificate did (its reply was lost).
    const catalog = objectsInCatalogs(instances);
    expect(catalog.filter((o) => pending.includes(o))).toEqual(pending.filter((o) => o.includes("certificate")));

    const rerun = await project.stack.up(recorded(project));
    expect(rerun.summary.result).toBe("succeeded");
    const state = stateObjects(await project.stack.exportStack());
    expect(state.pending).toEqual([]);
    expect(objectsInCatalogs(instances)).toEqual(state.certain);
    expect(state.certain.filter((o) => o.startsWith(`${b.port} certificate mirroring_cert_`))).toHaveLength(1);
    expect(await accepted(a, b)).toEqual([true, true]);
    console.log(`every attempt lost, then rerun: ${since(t0)} ms`);
  }, LONG);

  it("a reply lost once after CREATE MASTER KEY, BACKUP CERTIFICATE and CREATE ENDPOINT, a connection dropped once before CREATE USER: one up succeeds, the key counts as this stack's and destroy drops it", async () => {
    const t0 = performance.now();
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
    const backup = `hardening-${randomBytes(4).toString("hex")}`;
    await setCase(project, partners(backup));
    a.faults.dropConnectionOn("CREATE MASTER KEY", "after");
    a.faults.dropConnectionOn("BACKUP CERTIFICATE", "after");
    b.faults.dropConnectionOn("CREATE ENDPOINT", "after");
    b.faults.dropConnectionOn("CREATE USER", "before");
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES + 1 });
    const state = stateObjects(await project.stack.exportStack());
    expect(state.pending).toEqual([]);
    expect(state.certain).toContain(`${a.port} master-key`);
    expect(objectsInCatalogs(instances)).toEqual(state.certain);
    expect(existsSync(path.join(a.backupDir, `${backup}.cer`)) && existsSync(path.join(a.backupDir, `${backup}.pvk`))).toBe(true);
    expect(await accepted(a, b)).toEqual([true, true]);

    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
    await setCase(project, partners());
    console.log(`replies lost once: ${since(t0)} ms`);
  }, LONG);

  it("a deadlock (1205) on every attempt: up fails after 5 attempts with the server's message, nothing pending, a rerun converges", async () => {
    const t0 = performance.now();
    await project.stack.destroy(recorded(project));
    const deadlock = "Transaction (Process ID 61) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.";
    b.faults.failNext("GRANT CONNECT", { number: 1205, class: 13, message: deadlock }, 5);
    const text = String(await failureOf(project.stack.up(recorded(project))));
    expect(text).toContain(
      `unable to grant CONNECT on endpoint [hadr_endpoint] for login [mirroring_sql-0_login] on 127.0.0.1:${b.port}: ${deadlock} (Msg 1205, State 1)`,
    );
    expect(text).toContain("[after 5 attempts]");
    expect(expectStateMatchesCatalogs(await project.stack.exportStack(), instances)).toEqual([]);
    const rerun = await project.stack.up(recorded(project));
    expect(rerun.summary.result).toBe("succeeded");
    expect(objectsInCatalogs(instances)).toEqual(stateObjects(await project.stack.exportStack()).certain);
    expect(await accepted(a, b)).toEqual([true, true]);
    console.log(`deadlock on every attempt, then rerun: ${since(t0)} ms`);
  }, LONG);

  it("pending creates survive a refresh: the one that never ran is dropped from state, the ones that ran are kept and the next up finishes them (the master key proved ours by its password)", async () => {
    const t0 = performance.now();
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
    await setCase(project, {
      declare: [
        { type: "MasterKey", name: "mk", args: { connection: conn(0), password: secret("mkPassword") } },
        { type: "Login", name: "never-ran", args: { connection: conn(0), name: "mirroring_never_ran" } },
        { type: "Login", name: "ran", args: { connection: conn(0), name: "mirroring_ran" } },
      ],
    });
    a.faults.dropConnectionOn("CREATE LOGIN [mirroring_never_ran]", "before", 5);
    a.faults.dropConnectionOn("CREATE LOGIN [mirroring_ran]", "after", 5);
    a.faults.dropConnectionOn("CREATE MASTER KEY", "after", 5);
    await failureOf(project.stack.up(recorded(project)));
    a.faults.clear();
    expect(stateObjects(await project.stack.exportStack()).pending).toEqual([`${a.port} login mirroring_never_ran`, `${a.port} login mirroring_ran`, `${a.port} master-key`]);

    await project.stack.refresh(recorded(project));
    expect(stateObjects(await project.stack.exportStack())).toEqual({ certain: [], pending: [`${a.port} login mirroring_ran`, `${a.port} master-key`] });
    expect(objectsInCatalogs(instances)).toEqual([`${a.port} login mirroring_ran`, `${a.port} master-key`]);

    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ create: 1, update: 2, same: 1 });
    const state = stateObjects(await project.stack.exportStack());
    expect(state).toEqual({ certain: objectsInCatalogs(instances), pending: [] });
    expect(state.certain).toContain(`${a.port} master-key`);
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
    await setCase(project, partners());
    console.log(`pending creates and refresh: ${since(t0)} ms`);
  }, LONG);
});
