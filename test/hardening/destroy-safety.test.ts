/**
 * Destroy never breaks what is not the stack's, through the real CLI.
 * - A certificate made by hand under a master key the stack created (a TDE certificate, say): destroy
 *   fails clearly with 15580 naming that certificate and the way out, drops everything else, and
 *   keeps the key in state; following the advice (`pulumi state delete`) finishes the destroy with
 *   the key and the certificate untouched.
 * - A master key this stack did not create is never dropped (test/engine/topology.test.ts, "destroys
 *   everything … the pre-existing master key included"); here also when the reply to the guarded
 *   CREATE MASTER KEY was lost, so the stack cannot know from that reply whether it made the key.
 * - A master key whose create lost every reply is pending: destroy drops it only if the stack's
 *   password opens it.
 * - An adopted endpoint is restored as it was (test/engine/examples.test.ts, "adopt-existing"); here
 *   also when every reply to the adopting ALTER ENDPOINT was lost.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator";
import { startInstances, tsql } from "../engine/emulators";
import { pulumiAvailable, recorded, type TestProject } from "../engine/pulumiProject";
import { objectsInCatalogs } from "../engine/stateVsCatalog";
import { reservePort } from "../support/ports";
import { casesProject, conn, expectStateMatchesCatalogs, failureOf, pulumiCli, secret, since, stateObjects, stopInstances, type Case } from "./support";

const runEngine = pulumiAvailable();
/** Several CLI commands per test, on a shared two-core machine: far above the usual run time. */
const LONG = 300_000;
const MK = "Marker-DestroyMK-8e3b!";

/** The endpoint's port, reserved: the endpoint really listens, beside other test files'. */
let port = 0;

function instance(endpoint: Record<string, unknown> = {}): Case {
  return { declare: [{ type: "MirroringInstance", name: "inst", args: { connection: conn(0), masterKeyPassword: secret("mkPassword"), endpoint: { port, ...endpoint } } }] };
}

describe.runIf(runEngine)("destroy never breaks what is not the stack's", () => {
  let instances: EmulatorInstance[];
  let a: EmulatorInstance;
  let project: TestProject | undefined;
  beforeAll(async () => {
    port = await reservePort();
  });
  beforeEach(async () => {
    instances = await startInstances(1);
    [a] = instances as [EmulatorInstance];
  });
  afterEach(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    project = undefined;
    await stopInstances(instances);
  });

  it("a hand-made certificate under the stack's master key: destroy fails with 15580 naming it, drops the rest, keeps the key in state; state delete then lets destroy finish", async () => {
    const t0 = performance.now();
    project = await casesProject(instances, instance(), { mkPassword: { value: MK, secret: true } });
    await project.stack.up(recorded(project));
    expect(stateObjects(await project.stack.exportStack()).certain).toContain(`${a.port} master-key`);
    await tsql(a, "CREATE CERTIFICATE [tde_cert] WITH SUBJECT = N'TDE certificate for SalesDB'");
    const [tde] = await tsql(a, "SELECT thumbprint FROM sys.certificates WHERE name = N'tde_cert'");

    const text = String(await failureOf(project.stack.destroy(recorded(project))));
    expect(text).toContain(
      `unable to drop database master key on 127.0.0.1:${a.port}: Cannot drop master key because certificate 'tde_cert' is encrypted by it. (Msg 15580, State 1) — ` +
        "the database master key protects other private keys (a TDE or backup certificate, say): never drop those to get past this; " +
        "to keep the key, remove the MasterKey from the stack (pulumi state delete <its URN>) and run destroy again",
    );
    // Everything else is gone; the key is still in state and on the server; the certificate is intact.
    const deployment = await project.stack.exportStack();
    expect(stateObjects(deployment)).toEqual({ certain: [`${a.port} master-key`], pending: [] });
    expect(objectsInCatalogs(instances)).toEqual([`${a.port} master-key`]);
    expect(await tsql(a, "SELECT thumbprint, pvt_key_encryption_type FROM sys.certificates WHERE name = N'tde_cert'")).toEqual([{ ...tde, pvt_key_encryption_type: "MK" }]);

    const urn = ((deployment.deployment as { resources: Array<{ urn: string; type: string }> }).resources.find((r) => r.type.endsWith(":MasterKey")))!.urn;
    pulumiCli(project, ["state", "delete", urn, "--yes"]);
    const destroy = await project.stack.destroy(recorded(project));
    expect(destroy.summary.result).toBe("succeeded");
    expect(await tsql(a, "SELECT COUNT(*) AS n FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'")).toEqual([{ n: 1 }]);
    expect(await tsql(a, "SELECT thumbprint FROM sys.certificates WHERE name = N'tde_cert'")).toEqual([tde]);
    console.log(`15580 on destroy: ${since(t0)} ms`);
  }, LONG);

  it("a pre-existing master key, and the reply to the guarded CREATE MASTER KEY lost: it is adopted and never dropped", async () => {
    const t0 = performance.now();
    await tsql(a, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-TheirMK-1!aA'");
    const before = a.catalog();
    project = await casesProject(instances, instance(), { mkPassword: { value: MK, secret: true } });
    a.faults.dropConnectionOn("CREATE MASTER KEY", "after");
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    const outputs = (await project.stack.exportStack()).deployment.resources.find((r: { type: string }) => r.type.endsWith(":MasterKey")).outputs;
    expect(outputs.adopted).toBe(true);
    await project.stack.destroy(recorded(project));
    expect(a.catalog()).toEqual(before);
    console.log(`pre-existing key after a lost reply: ${since(t0)} ms`);
  }, LONG);

  it("a pending master key (every reply to its create lost) is dropped by destroy only when this stack's password opens it", async () => {
    const t0 = performance.now();
    const before = a.catalog();
    project = await casesProject(instances, { declare: [{ type: "MasterKey", name: "mk", args: { connection: conn(0), password: secret("mkPassword") } }] }, { mkPassword: { value: MK, secret: true } });
    a.faults.dropConnectionOn("CREATE MASTER KEY", "after", 5);
    await failureOf(project.stack.up(recorded(project)));
    a.faults.clear();
    expect(stateObjects(await project.stack.exportStack()).pending).toEqual([`${a.port} master-key`]);
    // Someone replaces the key meanwhile: the pending resource must leave that one alone.
    await tsql(a, `DROP MASTER KEY; CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-TheirMK-3!aA'`);
    const theirs = a.catalog();
    await project.stack.destroy(recorded(project));
    expect(a.catalog()).toEqual(theirs);
    // And a pending key that is the stack's own is dropped.
    await tsql(a, "DROP MASTER KEY");
    a.faults.dropConnectionOn("CREATE MASTER KEY", "after", 5);
    await failureOf(project.stack.up(recorded(project)));
    a.faults.clear();
    await project.stack.destroy(recorded(project));
    expect(a.catalog()).toEqual(before);
    console.log(`pending master key, destroy: ${since(t0)} ms`);
  }, LONG);

  it("an adopted endpoint whose ALTER loses every reply: the adoption stays pending with the original recorded, and destroy restores the original", async () => {
    const t0 = performance.now();
    await tsql(
      a,
      "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-TheirMK-2!aA';" +
        "CREATE CERTIFICATE [hand_cert] WITH SUBJECT = N'hand-made endpoint certificate';" +
        "CREATE ENDPOINT [Mirroring] STATE = STOPPED AS TCP (LISTENER_PORT = 7022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [hand_cert], ENCRYPTION = SUPPORTED ALGORITHM RC4, ROLE = PARTNER)",
    );
    const before = a.catalog();
    project = await casesProject(instances, instance({ name: "Mirroring", adopt: true }), { mkPassword: { value: MK, secret: true } });
    a.faults.dropConnectionOn("ALTER ENDPOINT", "after", 5);
    const text = String(await failureOf(project.stack.up(recorded(project))));
    expect(text).toMatch(/unable to (alter|update) mirroring endpoint \[Mirroring] on 127\.0\.0\.1:\d+: cannot reach SQL Server .*\[after 5 attempts] — the object was created and is kept in state/);
    const endpoint = (await project.stack.exportStack()).deployment.resources.find((r: { type: string }) => r.type.endsWith(":MirroringEndpoint")).outputs;
    expect(endpoint).toMatchObject({ adopted: true, createPending: true, original: { name: "Mirroring", port: 7022, state: "STOPPED", encryption: "SUPPORTED", algorithm: "RC4", role: "PARTNER" } });
    expect(expectStateMatchesCatalogs(await project.stack.exportStack(), instances, [a.port])).toEqual([`${a.port} endpoint Mirroring`]);
    await project.stack.destroy(recorded(project));
    expect(a.catalog()).toEqual(before);
    console.log(`pending adoption, destroy: ${since(t0)} ms`);
  }, LONG);
});
