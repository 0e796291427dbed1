/**
 * The serialized provider as Pulumi stores and runs it: produced with the SDK's own call from the
 * repo build and from the packed package installed into a project outside the repo (byte for
 * byte the same, small, no path of this repo), then loaded in that project by a host process the
 * way `cmd/dynamic-provider` loads it, and used against an emulator.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { RESOURCE_KINDS } from "../../provider/resources/registry";
import { lockedInstall, lockedVersions, type InstalledVersions } from "../support/lockedInstall";
import { connectionOf, rowsOf, startInstances, stopInstances } from "./support";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "../..");
const HOST = path.join(__dirname, "serializedHost.cjs");
const PACKAGE_DIR = path.join("node_modules", "pulumi-mssql-mirroring");
const THIN = path.join("dist", "provider", "resources", "thinProvider.js");

let temp: string;
let project: string;
let a: EmulatorInstance;
/** `__provider` texts by kind, from the repo build and from the package installed in `project`. */
let fromRepo: Record<string, string>;
let fromInstalled: Record<string, string>;
/** Every package of the scratch project's tree, by tree path. */
let installed: InstalledVersions;

/** Runs a command, failing with its output when it fails. */
async function sh(file: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await run(file, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

/** The `__provider` text of each kind, serialized by a host in `cwd` from `thinProvider.js` under `packageRoot`. */
async function serializedIn(cwd: string, packageRoot: string): Promise<Record<string, string>> {
  return JSON.parse(await sh(process.execPath, [HOST, "serialize", path.join(packageRoot, THIN), ...RESOURCE_KINDS], cwd)) as Record<string, string>;
}

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "SER" });
  temp = await mkdtemp(path.join(os.tmpdir(), "mssql-mirroring-pack-"));
  project = path.join(temp, "project");
  await mkdir(project);
  // The build npm test made (scripts/run.sh builds first), packed as it is: rebuilding dist/ here
  // would rewrite files that engine tests running beside this one are loading.
  await readFile(path.join(REPO, "dist", "provider", "index.js")).catch(() => {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before this test");
  });
  await sh("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", temp], REPO);
  const [tarball] = (await readdir(temp)).filter((f) => f.endsWith(".tgz"));
  // The same SDK, TypeScript and mssql tree as ours, whatever the registry holds today.
  installed = await lockedInstall(project, { tarball: path.join(temp, tarball!), packages: ["@pulumi/pulumi", "typescript"] });
  // Loading the SDK (and TypeScript, which its closure serializer parses with) takes seconds: once per side.
  [fromRepo, fromInstalled] = await Promise.all([serializedIn(REPO, REPO), serializedIn(project, path.join(project, PACKAGE_DIR))]);
  // npm ci of a whole SDK tree and two SDK loads: minutes on a loaded two-core machine.
}, 600_000);
afterAll(async () => {
  await stopInstances([a]);
  if (temp !== undefined) await rm(temp, { recursive: true, force: true });
});

describe("serialized provider", () => {
  it("is installed with exactly the versions of this repository's lockfile", async () => {
    const locked = await lockedVersions();
    const mismatches = [...installed].filter(([at, version]) => at !== PACKAGE_DIR && locked.get(at) !== version);
    expect(mismatches).toEqual([]);
    for (const name of ["mssql", "tedious", "@tediousjs/connection-string", "@pulumi/pulumi", "typescript"]) {
      expect(installed.get(`node_modules/${name}`), name).toBe(locked.get(`node_modules/${name}`));
    }
  });

  it("is small, names no path of this repo, and is byte-identical from the repo build and from the installed package", async () => {
    expect(path.relative(REPO, project).startsWith("..")).toBe(true);
    expect(Object.keys(fromRepo)).toEqual(RESOURCE_KINDS);
    // Pinned: this text is in every user's state, and any change shows as a diff on every resource.
    const golden = await readFile(path.join(__dirname, "loginProvider.golden.txt"), "utf8");
    for (const kind of RESOURCE_KINDS) {
      const text = fromRepo[kind]!;
      expect(text, kind).toBe(golden.replaceAll('kind: "Login"', `kind: ${JSON.stringify(kind)}`));
      expect(Buffer.byteLength(text), kind).toBeLessThan(4096);
      expect(text).not.toContain(REPO);
      expect(fromInstalled[kind], kind).toBe(text);
    }
  });

  it("runs from the project it is installed in: check, create, read and delete of a Login against an emulator", async () => {
    const text = fromInstalled.Login!;
    const request = path.join(temp, "request.json");
    const password = "Marker-Login-serialized!1";
    await writeFile(request, JSON.stringify({ text, inputs: { connection: connectionOf(a), name: "serialized_login", password } }));
    const output = await sh(process.execPath, [HOST, "run", request], project);
    const result = JSON.parse(output) as {
      check: { failures: unknown[] };
      create: { id: string; outs: Record<string, unknown> };
      read: { id: string; props: Record<string, unknown> };
      loaded: string[];
    };
    expect(result.check.failures).toEqual([]);
    expect(result.create.id).toBe(`127.0.0.1:${a.port}/login/serialized_login`);
    expect(result.create.outs).toMatchObject({ name: "serialized_login", password, checkPolicy: true, isDisabled: false });
    expect(result.read).toMatchObject({ id: result.create.id, props: { name: "serialized_login", principalId: result.create.outs.principalId } });
    // The package came from the project, not from this repo.
    expect(result.loaded.length).toBeGreaterThan(0);
    for (const file of result.loaded) expect(file.startsWith(path.join(project, PACKAGE_DIR) + path.sep), file).toBe(true);
    expect(result.loaded).toContain(path.join(project, PACKAGE_DIR, "dist", "provider", "index.js"));
    // Deleted again: nothing left behind.
    expect(rowsOf(a, "sys.server_principals", "name", "serialized_login")).toEqual([]);
  });
});
