import { defineConfig } from "vitest/config";

// Integration tests create real namespaces and processes: run files in
// separate forks (each cluster has a unique name, so files may run side by side).
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    // records the cluster names of this run for the final leftover check
    globalSetup: ["test/support/run-dir.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    sequence: { hooks: "stack" },
  },
});
