/**
 * What `npm pack` ships, as a user's `npm install` would get it: the compiled provider and
 * emulator, the READMEs, the license and package.json — no tests, no sources, no source maps, no
 * `.work` folder, and no file that names a path of the machine it was packed on.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");
const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  main: string;
  types: string;
  license: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
};
let unpacked: string;
let files: string[];

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join("/")];
  });
}

beforeAll(() => {
  if (!statSync(path.join(ROOT, manifest.main), { throwIfNoEntry: false })) throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
  const temp = mkdtempSync(path.join(os.tmpdir(), "mssql-mirroring-packed-"));
  const env = { ...process.env, npm_config_update_notifier: "false" };
  const tarball = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", temp], { cwd: ROOT, encoding: "utf8", env }).trim().split("\n").pop()!;
  execFileSync("tar", ["-xzf", path.join(temp, tarball), "-C", temp]);
  unpacked = path.join(temp, "package");
  files = walk(unpacked);
}, 120_000);
afterAll(() => {
  if (unpacked) rmSync(path.dirname(unpacked), { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds only the compiled provider and emulator, the READMEs, the license and package.json", () => {
    const outside = files.filter((f) => !f.startsWith("dist/provider/") && !f.startsWith("dist/emulator/"));
    expect(outside.sort()).toEqual(["LICENSE", "README.md", "emulator/README.md", "package.json"]);
    expect(files.filter((f) => /\.test\.|\.map$|(^|\/)\.work(\/|$)|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("has every file package.json points at", () => {
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin)];
    for (const entry of Object.values(manifest.exports)) targets.push(...(typeof entry === "string" ? [entry] : Object.values(entry)));
    for (const target of targets.filter((t) => !t.endsWith("package.json"))) expect(files, target).toContain(path.posix.normalize(target));
  });

  it("is licensed as package.json says, with the license text", () => {
    expect(manifest.license).toBe("Apache-2.0");
    expect(readFileSync(path.join(unpacked, "LICENSE"), "utf8")).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });

  it("names no path of the machine it was packed on, and links to no source map", () => {
    const machinePaths = [ROOT, os.homedir()].filter((p) => p.length > 1);
    const offenders = files.filter((f) => {
      const text = readFileSync(path.join(unpacked, f), "utf8");
      return machinePaths.some((p) => text.includes(p)) || text.includes("sourceMappingURL");
    });
    expect(offenders).toEqual([]);
  });
});
