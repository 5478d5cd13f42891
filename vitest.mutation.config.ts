// The tests Stryker reruns per mutant (npm run test:mutation): every unit and pipeline test, without the ones that
// build the site, start a browser or run the kehu binary (minutes each, and they exercise no extra branch of the
// mutated modules that the fast tests miss).
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.ts";

export default mergeConfig(base, defineConfig({
  test: {
    exclude: ["test/e2e/**", "test/site/browser.test.ts", "test/site/build.test.ts", "test/site/pages.test.ts", "test/site/decisions.test.ts", "node_modules/**"],
  },
}));
