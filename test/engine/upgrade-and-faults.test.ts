/**
 * What happens around the happy path, through the real Pulumi CLI: a new version of the package
 * under existing state, and failing or interrupted creates.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { SA_PASSWORD, startInstances, traffic } from "./emulators";
import { reservePorts } from "../support/ports";
import { createProject, pulumiAvailable, recorded, ROOT, type TestProject } from "./pulumiProject";
import { installPackage, previousPackage } from "./previousPackage";
import { objectsInCatalogs, objectsInState } from "./stateVsCatalog";

const runEngine = pulumiAvailable();
// Stack, topology, 2 × (instance + master key + certificate + endpoint), 2 × (trust + 4).
const RESOURCES = 2 + 2 * 4 + 2 * 5;

/** A two-partner project from examples/two-partners on fresh instances. */
async function twoPartners(): Promise<{ instances: EmulatorInstance[]; project: TestProject; before: unknown[] }> {
  const instances = await startInstances(2);
  // Reserved: the endpoints really listen, beside other test files'.
  const ports = await reservePorts(2);
  const before = instances.map((i) => i.catalog());
  const project = await createProject({
    source: path.join(ROOT, "examples", "two-partners"),
    config: {
      instances: { value: JSON.stringify(instances.map((i, n) => ({ name: `sql-${n}`, server: "127.0.0.1", port: i.port, endpointPort: ports[n] }))) },
      sqlPassword: { value: SA_PASSWORD, secret: true },
      masterKeyPassword: { value: "Marker-FaultMK-8c2d!", secret: true },
      tlsCa: { value: instances[0]!.tlsCertificate },
    },
  });
  return { instances, project, before };
}

/** Whether a accepts b and b accepts a, each over a real connection between their endpoints. */
const accepted = async (a: EmulatorInstance, b: EmulatorInstance) => [(await checkHandshake(a, b, { role: "partner" })).ok, (await checkHandshake(b, a, { role: "partner" })).ok];

/** Every `__provider` text in a deployment. */
function providerTexts(deployment: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) k === "__provider" && typeof x === "string" ? out.push(x) : visit(x);
  };
  visit(deployment);
  return out.sort();
}

/** A two-partner project for the enclosing describe, created before its tests and removed after. */
function useTwoPartners(): () => Awaited<ReturnType<typeof twoPartners>> {
  let run: Awaited<ReturnType<typeof twoPartners>>;
  beforeAll(async () => {
    run = await twoPartners();
  });
  afterAll(async () => {
    await run.project.stack.destroy({ color: "never" }).catch(() => undefined);
    run.project.remove();
    await Promise.all(run.instances.map((i) => i.stop()));
  });
  return () => run;
}

describe.runIf(runEngine)("a new package version under existing state", () => {
  const current = useTwoPartners();

  it("shows no change in preview or up, stores the same __provider, and runs the new code", async () => {
    const { project, instances, before } = current();
    await project.stack.up(recorded(project));
    const texts = providerTexts(await project.stack.exportStack());
    expect(texts.length).toBeGreaterThan(0);
    expect(Math.max(...texts.map((t) => Buffer.byteLength(t)))).toBeLessThan(4096);
    expect(texts.some((t) => t.includes(ROOT))).toBe(false);

    // Install a "newer" copy of the package into the project: other version, changed internals
    // that leave a trace whenever the provider process uses them.
    const installed = path.join(project.dir, "node_modules", "pulumi-mssql-mirroring");
    mkdirSync(installed, { recursive: true });
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    writeFileSync(path.join(installed, "package.json"), JSON.stringify({ ...pkg, version: "99.0.0" }, null, 2));
    cpSync(path.join(ROOT, "dist", "provider"), path.join(installed, "dist", "provider"), { recursive: true });
    cpSync(path.join(ROOT, "dist", "emulator"), path.join(installed, "dist", "emulator"), { recursive: true });
    const trace = path.join(project.dir, "upgraded-package-ran.log");
    appendFileSync(
      path.join(installed, "dist", "provider", "resources", "registry.js"),
      `\nconst __original = exports.dynamicProvider;\nexports.dynamicProvider = (kind) => { require("node:fs").appendFileSync(${JSON.stringify(trace)}, kind + "\\n"); return __original(kind); };\n`,
    );

    const preview = await project.stack.preview(recorded(project));
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    expect(existsSync(trace)).toBe(true);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
    expect(providerTexts(await project.stack.exportStack())).toEqual(texts);

    const refresh = await project.stack.refresh(recorded(project));
    expect(refresh.summary.resourceChanges).toEqual({ same: RESOURCES });
    expect(readFileSync(trace, "utf8")).toMatch(/MirroringEndpoint/);
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
  });
});

/**
 * The last commit before certificate expiry outputs, warnings and automatic rotation (issue 14):
 * state written by it must preview no change under the current package. Bump it when a later
 * change to what resources store needs the same proof.
 */
const PREVIOUS_VERSION = "a084b0d8c569d2df97cc8d0aca8d599faf8ed002";


describe.runIf(runEngine)("state written by the version before certificate lifecycle", () => {
  const current = useTwoPartners();

  it("previews, updates and refreshes no change under this version, without a request at preview; the expiry is an output", async () => {
    const { project, instances, before } = current();
    installPackage(project, previousPackage(PREVIOUS_VERSION));
    const created = await project.stack.up(recorded(project));
    expect(created.summary.resourceChanges).toEqual({ create: RESOURCES });
    const written = await project.stack.exportStack();

    installPackage(project, ROOT);
    const t0 = traffic(instances);
    const preview = await project.stack.preview({ ...recorded(project), diff: true });
    expect(traffic(instances)).toEqual(t0);
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
    expect(providerTexts(await project.stack.exportStack())).toEqual(providerTexts(written));
    const refresh = await project.stack.refresh(recorded(project));
    expect(refresh.summary.resourceChanges).toEqual({ same: RESOURCES });
    const again = await project.stack.preview(recorded(project));
    expect(again.changeSummary).toEqual({ same: RESOURCES });

    // Both kinds of certificate carry the expiry SQL Server records, in state as ISO UTC.
    const expiries = (JSON.stringify(await project.stack.exportStack()).match(/"expiryDate":"[^"]+"/g) ?? []).map((m) => m.slice(14, -1));
    expect(expiries).toHaveLength(4);
    for (const e of expiries) expect(e).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
  });
});

describe.runIf(runEngine)("failing and interrupted creates", () => {
  const current = useTwoPartners();

  it("a refused CREATE ENDPOINT fails up clearly, leaves state matching the catalogs, and a rerun converges", async () => {
    const { project, instances } = current();
    const [a, b] = instances as [EmulatorInstance, EmulatorInstance];
    a.faults.failNext("CREATE ENDPOINT", { number: 15247, message: "User does not have permission to perform this action." });
    const failed = await project.stack.up(recorded(project)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(failed)).toContain("unable to create mirroring endpoint [hadr_endpoint] on 127.0.0.1:" + a.port + ": User does not have permission to perform this action. (Msg 15247");
    const state = objectsInState(await project.stack.exportStack());
    expect(state.some((o) => o === `${a.port} endpoint hadr_endpoint`)).toBe(false);
    expect(objectsInCatalogs(instances)).toEqual(state);

    const rerun = await project.stack.up(recorded(project));
    expect(rerun.summary.result).toBe("succeeded");
    expect(objectsInCatalogs(instances)).toEqual(objectsInState(await project.stack.exportStack()));
    expect(await accepted(a, b)).toEqual([true, true]);
  });

  it("transient errors and lost replies are retried: one up, nothing duplicated or orphaned", async () => {
    const { project, instances, before } = current();
    const [a, b] = instances as [EmulatorInstance, EmulatorInstance];
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);

    b.faults.failNext("GRANT CONNECT", { number: 1205, message: "Transaction (Process ID 53) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction." });
    a.faults.dropConnectionOn("CREATE LOGIN", "after");
    b.faults.dropConnectionOn("CREATE CERTIFICATE", "before");
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    expect(objectsInCatalogs(instances)).toEqual(objectsInState(await project.stack.exportStack()));
    expect(await accepted(a, b)).toEqual([true, true]);
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
  });
});
