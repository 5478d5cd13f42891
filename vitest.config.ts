import { defineConfig } from "vitest/config";

export default defineConfig({
  // `import ... from "kehu"` in tests: the package's TypeScript entry (its "kehu-source" export), not the build.
  // The rest are vite's default server conditions.
  ssr: { resolve: { conditions: ["kehu-source", "module", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // DuckDB files and the site build are per-test temp dirs; files run in parallel on the 2 cores.
    pool: "forks",
  },
});
