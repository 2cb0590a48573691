// Runs the whole test suite with vitest and ends with one plain line
// "tests: N passed, N failed[, N skipped]" that CI reads.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const out = path.join(mkdtempSync(path.join(tmpdir(), "cellfolio-test-")), "report.json");
const res = spawnSync(
  "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
let report;
try {
  report = JSON.parse(readFileSync(out, "utf8"));
} catch {
  console.log("tests: 0 passed, 1 failed (vitest wrote no report)");
  process.exit(res.status || 1);
}
const skipped = report.numPendingTests + report.numTodoTests;
// A test file that fails to load has no failed tests of its own: count it as one failure.
const failedFiles = report.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests + failedFiles} failed, ${skipped} skipped`);
const ok = res.status === 0 && report.numFailedTests === 0 && report.numTotalTestSuites > 0 && report.success;
process.exit(ok ? 0 : 1);
