/**
 * Older versions of the package for upgrade proofs: state written by one must preview no change
 * under the current package.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT, type TestProject } from "./pulumiProject";

/**
 * The package as it was at `commit`, built once into `.work/previous/<commit>` (its sources from
 * git, compiled with this checkout's TypeScript and dependencies). Fails when the commit is not in
 * the repository (a shallow clone): the proof needs it.
 */
export function previousPackage(commit: string): string {
  const dir = path.join(ROOT, ".work", "previous", commit);
  if (existsSync(path.join(dir, "dist", "provider", "index.js"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync("git", ["-C", ROOT, "archive", "--format=tar", commit, "package.json", "tsconfig.json", "provider", "emulator"], { maxBuffer: 64 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  writeFileSync(
    path.join(dir, "tsconfig.previous.json"),
    JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noEmit: false, sourceMap: false, declaration: false, typeRoots: [path.join(ROOT, "node_modules", "@types")] }, include: ["provider/**/*.ts", "emulator/**/*.ts"] }),
  );
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(dir, "tsconfig.previous.json")], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") },
  });
  return dir;
}

/** Installs the package found in `from` (package.json + dist) as the project's pulumi-mssql-mirroring. */
export function installPackage(project: TestProject, from: string): void {
  const installed = path.join(project.dir, "node_modules", "pulumi-mssql-mirroring");
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  cpSync(path.join(from, "package.json"), path.join(installed, "package.json"));
  cpSync(path.join(from, "dist", "provider"), path.join(installed, "dist", "provider"), { recursive: true });
  cpSync(path.join(from, "dist", "emulator"), path.join(installed, "dist", "emulator"), { recursive: true });
}
