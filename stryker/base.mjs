// Shared Stryker settings; stryker/<scope>.config.mjs narrows `mutate` and the tests (KEHU_MUTATION_SCOPE, read by
// vitest.mutation.config.ts). Incremental: a rerun only tests mutants whose code or covering tests changed.
import fs from "node:fs";
import path from "node:path";

export function strykerConfig(scope, mutate, part) {
  const name = part ? `${scope}-${part}` : scope;
  process.env.KEHU_MUTATION_SCOPE = scope;
  // Sandboxes sit in .stryker-tmp/<scope>/sandbox-*, so the tests' ../shared (CDNOW data) is linked there.
  const tempDir = `.stryker-tmp/${name}`;
  fs.mkdirSync(tempDir, { recursive: true });
  const shared = path.join(tempDir, "shared");
  if (!fs.existsSync(shared)) fs.symlinkSync(path.resolve("..", "shared"), shared);
  return {
    testRunner: "vitest",
    vitest: { configFile: "vitest.mutation.config.ts", related: false },
    coverageAnalysis: "perTest",
    mutate,
    ignorePatterns: ["/data", "/dist", "docs/.observablehq", "/reports", "/rejected", ".stryker-tmp", "/demo/data"],
    tempDirName: tempDir,
    concurrency: Number(process.env.KEHU_MUTATION_CONCURRENCY ?? 1),
    timeoutMS: 10000,
    dryRunTimeoutMinutes: 40,
    incremental: true,
    incrementalFile: `reports/mutation/${name}.incremental.json`,
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    thresholds: { high: 90, low: 85, break: null },
  };
}
