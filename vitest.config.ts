import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // DuckDB files and the site build are per-test temp dirs; files run in parallel on the 2 cores.
    pool: "forks",
  },
});
