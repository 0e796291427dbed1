/**
 * The line CI reads ("N passed, N failed"), from the real summary script running real vitest on
 * small fixture files: a file whose hook or collection fails is a failure even though none of its
 * tests is counted as failed (once, CI printed "1228 passed, 0 failed" for such a run).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");
const CONFIG = path.join("test", "fixtures", "summary", "vitest.config.mts");
const temp = mkdtempSync(path.join(os.tmpdir(), "test-summary-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Runs scripts/test-summary.js on the named fixtures; returns its last line and exit status. */
function summarize(...fixtures: string[]): { line: string; status: number | null } {
  // The nested vitest must not think it is a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "TEST" && k !== "NODE_ENV"));
  const run = spawnSync(process.execPath, ["scripts/test-summary.js", "--config", CONFIG, ...fixtures.map((f) => `${f}.fixture.ts`)], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...env, TEST_REPORT_FILE: path.join(temp, `${fixtures.join("-")}.json`) },
    timeout: 120_000,
  });
  const lines = run.stdout.trim().split("\n");
  return { line: lines[lines.length - 1]!, status: run.status };
}

describe("test summary line", () => {
  it("counts passing tests and exits 0 when everything passes", () => {
    expect(summarize("passing")).toEqual({ line: "1 passed, 0 failed", status: 0 });
  });

  it("counts a file whose beforeAll fails as one failure (its tests are reported skipped)", () => {
    expect(summarize("passing", "setupFails")).toEqual({ line: "1 passed, 1 failed", status: 1 });
  });

  it("counts a file whose afterAll fails after its tests passed as one failure", () => {
    expect(summarize("passing", "teardownFails")).toEqual({ line: "2 passed, 1 failed", status: 1 });
  });

  it("counts a file that cannot be collected as one failure", () => {
    expect(summarize("passing", "collectionFails")).toEqual({ line: "1 passed, 1 failed", status: 1 });
  });

  it("counts failed tests once, not their file again", () => {
    expect(summarize("testFails")).toEqual({ line: "1 passed, 1 failed", status: 1 });
  });
});
