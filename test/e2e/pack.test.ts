/**
 * What `npm pack` ships is enough to use kehu: the tarball installs into an empty project (dependencies from the
 * registry or npm's cache) and its `kehu` runs --version, demo, ingest and run there, as compiled JavaScript (lib/,
 * built by prepack) without tsx; `import ... from "kehu"` works there, with its type declarations. The tarball
 * holds only what a user needs (no TypeScript sources, tests, screenshots, bench or caches).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(__dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "kehu-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The tarball (packed once: prepack compiles lib/) and the paths in it. */
let tarball: string;
let paths: string[];
beforeAll(() => {
  const [pack] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: REPO,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  ) as Array<{ filename: string; files: { path: string }[] }>;
  tarball = join(dir, pack.filename);
  paths = pack.files.map((f) => f.path);
}, 600_000);

describe("npm pack", () => {
  it("lists only what a user needs", () => {
    expect(paths).toEqual(
      expect.arrayContaining([
        "bin/kehu.js",
        "lib/src/cli.js",
        "lib/src/index.js",
        "lib/src/index.d.ts",
        "lib/src/pipelines/clv/churn_risk.sql",
        "lib/docs/data/overview.json.js",
        "kehu.schema.json",
        "observablehq.config.ts",
        "docs/index.md",
        "docs/data/overview.json.ts",
      ]),
    );
    expect(
      paths.filter((p) => /^(src|test|bench|\.github|\.ci)\/|\.png$|\.observablehq\/cache|\.duckdb$/.test(p)),
    ).toEqual([]);
    // About 220 files in late 2026 (SQL models, compiled modules, site pages); the cap catches a whole tree shipped
    // by mistake (node_modules, data, dist), not a new model.
    expect(paths.length).toBeLessThan(300);
  });

  it("installs into an empty project, whose kehu runs --version, demo, ingest and run", () => {
    const project = join(dir, "project");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "uses-kehu", version: "1.0.0", private: true }),
    );
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], {
      cwd: project,
      stdio: "ignore",
      timeout: 600_000,
    });
    const installed = JSON.parse(readFileSync(join(project, "node_modules/kehu/package.json"), "utf8"));
    expect(Object.keys(installed.dependencies)).not.toContain("tsx");
    const kehu = (...args: string[]) =>
      spawnSync(join(project, "node_modules/.bin/kehu"), args, { cwd: project, encoding: "utf8", timeout: 300_000 });
    const version = kehu("--version");
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version);
    expect(kehu("demo", "--customers", "50", "--out", "demo").status).toBe(0);
    const ingest = kehu("-c", "demo/kehu.config.json", "ingest");
    expect(ingest.status, ingest.stderr).toBe(0);
    const run = kehu("-c", "demo/kehu.config.json", "--json", "run");
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).marts).toEqual(
      expect.arrayContaining(["churn_risk", "followup_queue", "customer_clv"]),
    );
    // The library entry and its type declarations, from the installed package.
    const library = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", 'import { fitBgNbd } from "kehu"; console.log(typeof fitBgNbd)'],
      { cwd: project, encoding: "utf8" },
    );
    expect(library.stdout.trim(), library.stderr).toBe("function");
    expect(readFileSync(join(project, "node_modules/kehu", installed.exports["."].types), "utf8")).toContain(
      "export { compressRows",
    );
  }, 900_000);
});
