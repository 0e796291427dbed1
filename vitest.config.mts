import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Emulator instances and the Pulumi CLI are real processes and sockets; two cores here.
    maxWorkers: 2,
    fileParallelism: true,
    pool: "forks",
  },
});
