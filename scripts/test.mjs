// Type-checks the test files (tsconfig.test.json; each package's tsconfig covers
// its src), lints (npm run lint), runs the whole test suite with vitest and
// ends with one plain line "tests: N passed, N failed[, N skipped]" that CI
// reads. A type error in a test counts as one failed test, and so does a lint
// error (biome: a rule broken reached main once while every test passed).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const types = spawnSync("npx", ["tsc", "-p", "tsconfig.test.json"], { stdio: "inherit" });
const typeFailures = types.status === 0 ? 0 : 1;
if (typeFailures) console.error("tsc -p tsconfig.test.json: the test files have type errors (above)");
const lint = spawnSync("npm", ["run", "--silent", "lint"], { stdio: "inherit" });
if (lint.status !== 0) console.error("npm run lint: biome found errors (above; npx biome check --write fixes most)");
const checkFailures = typeFailures + (lint.status === 0 ? 0 : 1);

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
  console.log(`tests: 0 passed, ${1 + checkFailures} failed (vitest wrote no report)`);
  process.exit(res.status || 1);
}
const skipped = report.numPendingTests + report.numTodoTests;
// A test file that fails to load has no failed tests of its own: count it as one failure.
const failedFiles = report.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests + failedFiles + checkFailures} failed, ${skipped} skipped`);
const ok = checkFailures === 0 && res.status === 0 && report.numFailedTests === 0 && report.numTotalTestSuites > 0 && report.success;
process.exit(ok ? 0 : 1);
