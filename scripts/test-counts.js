// Turns vitest's JSON report into the counts of the line CI reads ("N passed, N failed").
// A file can fail without a failed test: a beforeAll/afterAll hook that throws leaves its tests
// skipped or passed, and a file that cannot be collected has no tests at all. Each such file is one
// failure, so the line never says "0 failed" for a run that failed.

/**
 * @param {{ numPassedTests?: number, numFailedTests?: number, testResults?: Array<{ status: string, assertionResults?: Array<{ status: string }> }> }} report
 * @param {number | null} exitStatus vitest's exit status (null when it was killed)
 * @returns {{ passed: number, failed: number, failedFiles: number }}
 */
function countResults(report, exitStatus) {
  const passed = report.numPassedTests ?? 0;
  let failed = report.numFailedTests ?? 0;
  let failedFiles = 0;
  for (const file of report.testResults ?? []) {
    if (file.status !== "failed") continue;
    failedFiles++;
    if (!(file.assertionResults ?? []).some((a) => a.status === "failed")) failed++;
  }
  // vitest failed for a reason the report does not count (an unhandled error between tests, a crash).
  if (exitStatus !== 0 && failed === 0) failed = 1;
  return { passed, failed, failedFiles };
}

module.exports = { countResults };
