// vitest globalSetup: a directory where this test run records the names of
// the clusters it creates (test/support/host.ts uniqueClusterName), so that
// the final leftover check looks at exactly those and at nobody else's.
// scripts/run-tests.mjs makes one directory for both of its vitest runs;
// a vitest run on its own gets its own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_DIR_ENV } from "./host.js";

export default function setup(): () => void {
  if (process.env[RUN_DIR_ENV]) return () => undefined;
  const dir = mkdtempSync(join(tmpdir(), "kemu-test-run-"));
  process.env[RUN_DIR_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
