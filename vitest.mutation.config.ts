// The tests Stryker reruns per mutant (npm run test:mutation*). KEHU_MUTATION_SCOPE (set by stryker/<scope>.config.mjs)
// narrows them to the test files that exercise the mutated module, so one mutant reruns seconds of tests, not the suite.
// Without a scope: every unit and pipeline test, without the ones that build the site, start a browser or run the
// kehu binary (minutes each, and they exercise no extra branch of the mutated modules that the fast tests miss).
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

const scopes: Record<string, string[]> = {
  clv: ["test/clv/**/*.test.ts"],
  // config.ts is mostly its zod schema, built at import: each such mutant reruns every test of its scope, so the
  // scope is the fast in-process config tests (test/data/ecosystem.test.ts and cli.test.ts run kehu as child
  // processes, where no mutant is active).
  config: ["test/data/config.test.ts"],
  // (not test/pipelines/crm-loaders.test.ts: it runs the loaders as child processes, where no mutant is active)
  marts: ["test/site/report-data.test.ts", "test/site/report-env.test.ts"],
  ingest: [
    "test/data/ingest.test.ts",
    "test/data/rejected.test.ts",
    "test/data/values.test.ts",
    "test/data/formats.test.ts",
  ],
};
const scope = process.env.KEHU_MUTATION_SCOPE;
if (scope && !scopes[scope])
  throw new Error(`KEHU_MUTATION_SCOPE=${scope}: expected one of ${Object.keys(scopes).join(", ")}`);
// KEHU_MUTATION_TESTS=a.test.ts,b.test.ts narrows a scope further (a quicker, lower-bound score). Paths relative to
// the repository: Stryker runs the tests in a sandbox copy, and an absolute path would name the original test file,
// which imports the unmutated sources (every mutant "survives").
if (scope && process.env.KEHU_MUTATION_TESTS) {
  scopes[scope] = process.env.KEHU_MUTATION_TESTS.split(",");
  const absolute = scopes[scope].filter((p) => p.startsWith("/"));
  if (absolute.length)
    throw new Error(`KEHU_MUTATION_TESTS: ${absolute.join(", ")}: expected paths relative to the repository`);
}

// (not mergeConfig: it would append the scope's files to the base's test/**/*.test.ts)
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    ...(scope
      ? { include: scopes[scope] }
      : {
          exclude: [
            "test/e2e/**",
            "test/site/browser.test.ts",
            "test/site/build.test.ts",
            "test/site/pages.test.ts",
            "test/site/decisions.test.ts",
            "node_modules/**",
          ],
        }),
  },
});
