/** The closing line CI reads: a test file whose beforeAll fails (e.g. no browser) must not end in "0 failed". */
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(__dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "kehu-reporter-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("summary reporter", () => {
  it("counts a file that failed outside its tests as a failure", () => {
    writeFileSync(
      join(dir, "setup.test.ts"),
      `import { beforeAll, it, expect } from "vitest";
beforeAll(() => { throw new Error("browserType.launch: Executable doesn't exist"); });
it("needs the browser", () => expect(1).toBe(1));`,
    );
    writeFileSync(
      join(dir, "ok.test.ts"),
      `import { it, expect } from "vitest";\nit("passes", () => expect(1).toBe(1));`,
    );
    const r = spawnSync(
      process.execPath,
      [
        join(REPO, "node_modules/vitest/vitest.mjs"),
        "run",
        "--root",
        dir,
        "--reporter=default",
        `--reporter=${join(REPO, "test/summary-reporter.ts")}`,
      ],
      { cwd: REPO, encoding: "utf8" },
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/^tests: 1 passed, 1 failed, 1 skipped$/m);
  }, 60_000);
});
