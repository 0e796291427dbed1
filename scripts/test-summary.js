// Runs the whole vitest suite with the human reporter plus a JSON report, then prints the one line
// CI reads: "N passed, N failed" (test-counts.js says what counts as a failure). Exit status is
// non-zero on any failure, or if no test ran. TEST_REPORT_FILE moves the JSON report (default
// test-results.json at the repository root).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { countResults } = require("./test-counts");
const root = path.resolve(__dirname, "..");
const report = path.resolve(process.env.TEST_REPORT_FILE || path.join(root, "test-results.json"));
fs.rmSync(report, { force: true });
const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
const run = spawnSync(
  process.execPath,
  [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit", env: process.env },
);
let counts;
try {
  counts = countResults(JSON.parse(fs.readFileSync(report, "utf8")), run.status);
} catch (e) {
  console.error(`could not read the test report: ${e.message}`);
  counts = { passed: 0, failed: 1, failedFiles: 0 };
}
if (counts.failedFiles > 0) console.error(`${counts.failedFiles} test file(s) failed`);
console.log(`${counts.passed} passed, ${counts.failed} failed`);
process.exit(run.status === 0 && counts.failed === 0 && counts.passed > 0 ? 0 : 1);
