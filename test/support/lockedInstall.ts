/**
 * Installs packages into a scratch project with exactly the versions this repository's lockfile
 * resolved: the scratch project gets a package-lock.json cut out of ours (the packages reachable from
 * its dependencies, at the same places in the tree) and is installed with `npm ci`. So what a test
 * installs never depends on what the registry published since, nor on a warm npm cache: a
 * plain `npm install mssql@^12` in a scratch project once picked a newer mssql whose dependency the
 * registry here did not have, and the test failed on every fresh machine.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "../..");

/** One entry of a lockfile's `packages` (lockfileVersion 2 and 3). */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** What to install. */
export interface LockedInstallOptions {
  /** A tarball made by `npm pack` of this repository: installed as `pulumi-mssql-mirroring`, its dependencies from our lockfile. */
  tarball?: string;
  /** Other packages, by name, at the version our lockfile has (e.g. `@pulumi/pulumi`, `typescript`). */
  packages?: string[];
}

/** What was installed: package name → version, for every package of the scratch tree. */
export type InstalledVersions = Map<string, string>;

async function readLockfile(): Promise<Lockfile> {
  const lock = JSON.parse(await readFile(path.join(REPO, "package-lock.json"), "utf8")) as Lockfile;
  if (lock.lockfileVersion < 2) throw new Error(`package-lock.json has lockfileVersion ${lock.lockfileVersion}; 2 or later is needed`);
  return lock;
}

/** The lockfile path where a package at `from` finds `name` (Node's resolution: nearest node_modules up the tree). */
function resolveIn(packages: Lockfile["packages"], from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

/** Every lockfile path reachable from `roots` (names resolved from the top), following dependencies and required peers. */
function closure(packages: Lockfile["packages"], roots: Array<{ name: string; from: string }>): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const at = resolveIn(packages, next.from, next.name);
    if (at === undefined) {
      // An optional dependency for another platform is not in the lockfile's tree; anything else is a broken lockfile.
      if (next.from === "" || !packages[next.from]?.optionalDependencies?.[next.name]) throw new Error(`package-lock.json has no ${next.name} reachable from ${next.from || "the root"}`);
      continue;
    }
    if (seen.has(at)) continue;
    seen.add(at);
    const entry = packages[at]!;
    const peers = Object.keys(entry.peerDependencies ?? {}).filter((p) => !entry.peerDependenciesMeta?.[p]?.optional);
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers]) queue.push({ name, from: at });
  }
  return seen;
}

async function sh(file: string, args: string[], cwd: string): Promise<void> {
  try {
    await run(file, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

/**
 * Writes `package.json` and `package-lock.json` into `project` (an empty folder) and runs `npm ci`
 * there. Returns the version of every package installed, which equals our lockfile's by construction.
 */
export async function lockedInstall(project: string, options: LockedInstallOptions): Promise<InstalledVersions> {
  const lock = await readLockfile();
  const packages = lock.packages;
  const self = JSON.parse(await readFile(path.join(REPO, "package.json"), "utf8")) as LockEntry & { name: string; version: string };
  const dependencies: Record<string, string> = {};
  const roots: Array<{ name: string; from: string }> = [];
  for (const name of options.packages ?? []) {
    const version = packages[`node_modules/${name}`]?.version;
    if (!version) throw new Error(`package-lock.json has no top-level ${name}`);
    dependencies[name] = version;
    roots.push({ name, from: "" });
  }
  const out: Lockfile["packages"] = {};
  if (options.tarball) {
    const relative = path.relative(project, options.tarball).split(path.sep).join("/");
    dependencies[self.name] = `file:${relative}`;
    out[`node_modules/${self.name}`] = {
      version: self.version,
      resolved: `file:${relative}`,
      integrity: `sha512-${createHash("sha512")
        .update(await readFile(options.tarball))
        .digest("base64")}`,
      ...(self.dependencies ? { dependencies: self.dependencies } : {}),
      ...(self.peerDependencies ? { peerDependencies: self.peerDependencies } : {}),
      ...(self.engines ? { engines: self.engines } : {}),
    };
    // Our own dependencies sit at the top of our tree, where the installed package finds them too.
    for (const name of Object.keys(self.dependencies ?? {})) roots.push({ name, from: "" });
  }
  for (const at of closure(packages, roots)) {
    // dev/peer flags describe our tree; npm recomputes them for the scratch project's.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[at]!;
    out[at] = entry;
  }
  const name = path.basename(project).toLowerCase().replace(/[^a-z0-9-]/g, "-") || "scratch";
  const manifest = { name, version: "0.0.0", private: true, dependencies };
  await writeFile(path.join(project, "package.json"), JSON.stringify(manifest, null, 2));
  await writeFile(
    path.join(project, "package-lock.json"),
    JSON.stringify({ name, version: "0.0.0", lockfileVersion: 3, requires: true, packages: { "": { name, version: "0.0.0", dependencies }, ...out } }, null, 2),
  );
  await sh("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], project);
  return installedVersions(project);
}

/** name → version of every package under `project`'s node_modules, read from npm's own record of the tree. */
export async function installedVersions(project: string): Promise<InstalledVersions> {
  const hidden = JSON.parse(await readFile(path.join(project, "node_modules", ".package-lock.json"), "utf8")) as Lockfile;
  const versions: InstalledVersions = new Map();
  for (const [at, entry] of Object.entries(hidden.packages)) if (at && entry.version) versions.set(at, entry.version);
  return versions;
}

/** Our lockfile's version at each tree path (to compare with {@link installedVersions}). */
export async function lockedVersions(): Promise<InstalledVersions> {
  const lock = await readLockfile();
  return new Map(Object.entries(lock.packages).flatMap(([at, e]) => (at && e.version ? [[at, e.version] as [string, string]] : [])));
}
