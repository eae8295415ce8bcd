// The README's test command: a type check of the tests and benchmarks (they
// are not part of the build; it counts as one test), the main suite (files
// in parallel), then the final suite (the leftover check) alone. Both vitest
// runs share a run directory where every cluster name the tests use is
// recorded, so the leftover check looks at this run's clusters only.
// Ends with the plain "N passed, N failed" line CI reads.
import { spawnSync } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "kemu-results-"));
const env = { ...process.env, KEMU_TEST_RUN_DIR: dir };
let passed = 0;
let failed = 0;
let skipped = 0;
let exit = 0;

const typecheck = spawnSync("npx", ["tsc", "-p", "tsconfig.test.json"], { stdio: "inherit" });
if (typecheck.status === 0) passed += 1;
else {
  failed += 1;
  exit = 1;
  console.error("the type check of the tests failed (npx tsc -p tsconfig.test.json)");
}

for (const [label, config] of [["main", "vitest.config.ts"], ["final", "vitest.final.config.ts"]]) {
  const out = join(dir, `${label}.json`);
  const r = spawnSync("npx", ["vitest", "run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)], {
    stdio: "inherit",
    env,
  });
  try {
    const results = JSON.parse(readFileSync(out, "utf8"));
    passed += results.numPassedTests;
    failed += results.numFailedTests;
    skipped += results.numPendingTests + (results.numTodoTests ?? 0);
    // A file that failed to load has no tests counted: count it as a failure.
    failed += results.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  } catch {
    failed += 1;
    console.error(`${label} suite produced no results (exit ${r.status})`);
  }
  if (r.status !== 0) exit = 1;
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(exit || (failed > 0 ? 1 : 0));
