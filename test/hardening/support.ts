/**
 * Shared by the hardening tests: the `cases` test program (programs/cases), which declares whatever
 * a JSON "case" describes, on emulated instances, through the real Pulumi CLI.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ConfigMap, Deployment } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, expect } from "vitest";
import type { EmulatorInstance } from "../../emulator";
import { SA_PASSWORD, startInstances } from "../engine/emulators";
import { createProject, type TestProject } from "../engine/pulumiProject";
import { objectsInCatalogs } from "../engine/stateVsCatalog";

/** The program directory. */
export const CASES_PROGRAM = path.join(__dirname, "programs", "cases");

/** One declaration of a case (see programs/cases/index.ts for the `$conn`/`$secret`/`$plain`/`$ref` forms). */
export interface Declaration {
  type: string;
  name: string;
  args: unknown;
  dependsOn?: string[];
}

/** What the program declares. */
export interface Case {
  declare: Declaration[];
  exports?: Record<string, unknown>;
}

/** `{ $conn: n, ...fields }`: the connection to instance n. */
export const conn = (n: number, fields: Record<string, unknown> = {}) => ({ $conn: n, ...fields });
/** `{ $secret: key }`: a secret from stack config. */
export const secret = (key: string) => ({ $secret: key });
/** `{ $plain: base64 }`: a plain string that appears nowhere in config as text. */
export const plain = (text: string) => ({ $plain: Buffer.from(text, "utf8").toString("base64") });
/** `{ $ref: "res.a.b" }`: an output of an earlier declaration. */
export const ref = (pathText: string) => ({ $ref: pathText });

/** The config value of a case. */
export function caseValue(c: Case): string {
  return Buffer.from(JSON.stringify(c), "utf8").toString("base64");
}

/** A project running the cases program against `instances`, with `first` as its first case. */
export async function casesProject(instances: EmulatorInstance[], first: Case, config: ConfigMap = {}, stackName?: string): Promise<TestProject> {
  return createProject({
    source: CASES_PROGRAM,
    config: {
      instances: { value: JSON.stringify(instances.map((i) => ({ server: "127.0.0.1", port: i.port }))) },
      sqlPassword: { value: SA_PASSWORD, secret: true },
      tlsCa: { value: instances[0]!.tlsCertificate },
      case: { value: caseValue(first) },
      ...config,
    },
    ...(stackName !== undefined ? { stackName } : {}),
  });
}

/** Makes `c` the project's case. */
export async function setCase(project: TestProject, c: Case): Promise<void> {
  await project.stack.setConfig("case", { value: caseValue(c) });
}

/** The error a command rejected with (the test fails if it succeeded). */
export async function failureOf(command: Promise<unknown>): Promise<Error> {
  const outcome = await command.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (outcome === undefined) throw new Error("the command was expected to fail, and succeeded");
  return outcome;
}

/** Milliseconds since `t0`, for the timing notes tests log (never asserted). */
export function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

/**
 * The package's objects recorded in state (as `objectsInState` names them), split into those whose
 * create completed and those kept as pending after a create whose outcome was unknown.
 */
export function stateObjects(deployment: Deployment): { certain: string[]; pending: string[] } {
  const certain: string[] = [];
  const pending: string[] = [];
  const resources = (deployment.deployment as { resources?: Array<{ type: string; outputs?: Record<string, unknown> }> }).resources ?? [];
  for (const r of resources) {
    const kind = /^pulumi-nodejs:dynamic\/mssql-mirroring:(\w+)$/.exec(r.type)?.[1];
    if (!kind || !r.outputs) continue;
    const o = r.outputs;
    const isPending = o.createPending === true;
    const port = (o.connection as { port: number }).port;
    let entry: string | undefined;
    switch (kind) {
      case "MasterKey":
        // A pending key counts as adopted until proved otherwise.
        if (o.adopted !== true || isPending) entry = `${port} master-key`;
        break;
      case "Certificate":
      case "PeerCertificate":
        entry = `${port} certificate ${String(o.certificateName ?? o.name)}`;
        break;
      case "MirroringEndpoint":
        entry = `${port} endpoint ${String(o.name)}`;
        break;
      case "Login":
        entry = `${port} login ${String(o.name)}`;
        break;
      case "User":
        entry = `${port} user ${String(o.name)}`;
        break;
      case "EndpointPermission":
        entry = `${port} connect ${String(o.endpoint)} ${String(o.login)}`;
        break;
    }
    if (entry !== undefined) (isPending ? pending : certain).push(entry);
  }
  return { certain: certain.sort(), pending: pending.sort() };
}

/**
 * State against the catalogs after a command that may have failed: every object on a server is in
 * state (nothing orphaned), every completed object in state is on its server (nothing phantom), and
 * the only difference allowed is a pending create that did not run. Returns the pending entries.
 */
export function expectStateMatchesCatalogs(deployment: Deployment, instances: EmulatorInstance[], preexisting: number[] = []): string[] {
  const { certain, pending } = stateObjects(deployment);
  const catalog = objectsInCatalogs(instances, "mirroring_", preexisting);
  const orphaned = catalog.filter((o) => !certain.includes(o) && !pending.includes(o));
  const phantom = certain.filter((o) => !catalog.includes(o));
  if (orphaned.length > 0 || phantom.length > 0) {
    throw new Error(`state and catalogs disagree: on the servers but not in state ${JSON.stringify(orphaned)}; in state but not on the servers ${JSON.stringify(phantom)}`);
  }
  return pending;
}

/** Runs the Pulumi CLI on the project's stack (its backend, passphrase and PULUMI_HOME) and returns stdout. */
export function pulumiCli(project: TestProject, args: string[]): string {
  return execFileSync("pulumi", [...args, "--stack", "test", "--non-interactive"], {
    cwd: project.dir,
    env: { ...process.env, ...project.env, PULUMI_HOME: path.join(project.dir, ".pulumi-home") },
    encoding: "utf8",
  });
}

/**
 * `pulumi stack export` as a user runs it (the Automation API's exportStack adds --show-secrets,
 * which puts every secret's plaintext beside its ciphertext).
 */
export function stackExport(project: TestProject, showSecrets = false): Deployment {
  return JSON.parse(pulumiCli(project, ["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])])) as Deployment;
}

/** Stops the instances and removes the temporary backup folders the emulator made for them. */
export async function stopInstances(instances: EmulatorInstance[] | undefined): Promise<void> {
  await Promise.all(
    (instances ?? []).map(async (i) => {
      await i.stop();
      if (path.dirname(i.backupDir) === os.tmpdir() && path.basename(i.backupDir).startsWith("mssql-emulator-backup-")) {
        rmSync(i.backupDir, { recursive: true, force: true });
      }
    }),
  );
}

/** What {@link useCasesProject} provides to the tests of its describe. */
export interface CasesFixture {
  instances: EmulatorInstance[];
  project: TestProject;
}

/**
 * `count` fresh instances and a cases project with no declaration, for the enclosing describe:
 * made before its tests, released after (the stack destroyed first when `destroy` is set).
 */
export function useCasesProject(count: number, options: { config?: ConfigMap; destroy?: boolean } = {}): CasesFixture {
  const fixture = {} as CasesFixture;
  beforeAll(async () => {
    fixture.instances = await startInstances(count);
    fixture.project = await casesProject(fixture.instances, { declare: [] }, options.config);
  });
  afterAll(async () => {
    if (options.destroy) await fixture.project?.stack.destroy({ color: "never" }).catch(() => undefined);
    fixture.project?.remove();
    await stopInstances(fixture.instances);
  });
  return fixture;
}

/** The "- …" lines of a TopologyValidationError as the CLI prints them. */
export function topologyProblems(text: string): string[] {
  const start = text.indexOf("TopologyValidationError: invalid MirroringTopology:");
  expect(start, `no TopologyValidationError in:\n${text.slice(0, 2000)}`).toBeGreaterThanOrEqual(0);
  const problems: string[] = [];
  for (const line of text.slice(start).split("\n").slice(1)) {
    const m = /^\s+- (.*)$/.exec(line);
    if (!m) break;
    problems.push(m[1]!);
  }
  return problems;
}

/** The check failures the engine printed for one dynamic resource of this package, once each, sorted. */
export function checkFailures(text: string, type: string, name: string): string[] {
  const pattern = new RegExp(`error: pulumi-nodejs:dynamic/mssql-mirroring:${type} resource '${name}': (property .*)`, "g");
  return [...new Set([...text.matchAll(pattern)].map((m) => m[1]!))].sort();
}
