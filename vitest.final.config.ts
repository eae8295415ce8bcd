import { defineConfig } from "vitest/config";

// Runs after the main suite, alone: the crash test uses `kemu down --all`,
// which would take down other files' clusters, and the leftover check must
// see the host after everything else has finished.
export default defineConfig({
  test: {
    include: ["test/final/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
