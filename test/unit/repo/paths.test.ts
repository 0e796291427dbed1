/**
 * Docs and code name files relative to the repository (or a placeholder), never an absolute path
 * of the machine they were written on: such a path is wrong on every other machine, and in a
 * published README it tells readers where one developer kept their checkout.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");

/** Home and workspace folders of the machines this project is built on, and of the usual others. */
const MACHINE_PATH = /(^|[^A-Za-z0-9_.~-])\/(work|root|farm|home\/[^/\s"'`]+|Users\/[^/\s"'`]+)\//;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("tracked files", () => {
  it("name no absolute path of this machine (repository, home, workspace folders)", () => {
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    const here = [ROOT, os.homedir()].filter((p) => p.length > 1).map((p) => new RegExp(`(^|[^A-Za-z0-9_.~-])${escape(p)}(/|\\b)`));
    const offenders: string[] = [];
    for (const file of tracked) {
      // npm writes resolved addresses into the lockfile itself; nothing of ours is in it.
      if (file === "package-lock.json") continue;
      let text: string;
      try {
        text = readFileSync(path.join(ROOT, file), "utf8");
      } catch {
        continue; // deleted in the working tree
      }
      if (text.includes("\0")) continue; // binary
      text.split("\n").forEach((line, i) => {
        if (MACHINE_PATH.test(line) || here.some((re) => re.test(line))) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it("the check itself finds such paths", () => {
    // Built from parts, so this file does not trip its own check.
    const bad = ["see /%s/shared/DESIGN.md", "`/%s/.cache/x`", "cd /%s/alice/src", "at /%s/bob/repo/x.ts"].map((t, i) => t.replace("%s", ["work", "root", "home", "Users"][i]!));
    for (const line of bad) expect(MACHINE_PATH.test(line), line).toBe(true);
    for (const line of ["TCP://host:5022", "https://learn.microsoft.com/x/root/y", "dist/provider/index.js", "~/.cache/pulumi-mssql-mirroring", "/tmp/x"]) expect(MACHINE_PATH.test(line), line).toBe(false);
  });
});
