import { defineConfig } from "vitest/config";

// Runs after the main suite, alone: the leftover check must see the host
// after everything else has finished (it looks only at this run's clusters).
export default defineConfig({
  test: {
    include: ["test/final/**/*.test.ts"],
    // records the cluster names of this run for the final leftover check
    globalSetup: ["test/support/run-dir.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
