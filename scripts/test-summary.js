// Runs the whole vitest suite with the human reporter plus a JSON report, then prints the one line
// CI reads: "N passed, N failed". Exit status is non-zero on any failure (or if no test ran).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const root = path.resolve(__dirname, "..");
const report = path.join(root, "test-results.json");
fs.rmSync(report, { force: true });
const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
const run = spawnSync(
  process.execPath,
  [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit", env: process.env },
);
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(fs.readFileSync(report, "utf8"));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTests ?? 0);
  // A file that failed to load has no tests in the counts; count it as a failure.
  for (const file of json.testResults ?? []) if (file.status === "failed" && file.assertionResults.length === 0) failed++;
} catch (e) {
  console.error(`could not read the test report: ${e.message}`);
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
