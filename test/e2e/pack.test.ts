/**
 * What `npm pack` ships is enough to use kehu: the tarball installs into an empty project (dependencies from the
 * registry or npm's cache) and its `kehu` runs --version, demo, ingest and run there. The tarball holds only what a
 * user needs (no tests, screenshots, bench or caches).
 */
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(__dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "kehu-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm pack", () => {
  it("lists only what a user needs", () => {
    const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: REPO, encoding: "utf8" })) as Array<{ files: { path: string }[] }>;
    const paths = pack.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["bin/kehu.js", "src/cli.ts", "src/index.ts", "kehu.schema.json", "observablehq.config.ts", "docs/index.md"]));
    expect(paths.filter((p) => /^(test|bench|\.github|\.ci)\/|\.png$|\.observablehq\/cache|\.duckdb$/.test(p))).toEqual([]);
    expect(paths.length).toBeLessThan(200);
  });

  it("installs into an empty project, whose kehu runs --version, demo, ingest and run", () => {
    execFileSync("npm", ["pack", "--pack-destination", dir], { cwd: REPO, stdio: "ignore" });
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
    const project = join(dir, "project");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-kehu", version: "1.0.0", private: true }));
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, tarball)], { cwd: project, stdio: "ignore", timeout: 600_000 });
    const kehu = (...args: string[]) => spawnSync(join(project, "node_modules/.bin/kehu"), args, { cwd: project, encoding: "utf8", timeout: 300_000 });
    const version = kehu("--version");
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version);
    expect(kehu("demo", "--customers", "50", "--out", "demo").status).toBe(0);
    const ingest = kehu("-c", "demo/kehu.config.json", "ingest");
    expect(ingest.status, ingest.stderr).toBe(0);
    const run = kehu("-c", "demo/kehu.config.json", "--json", "run");
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).marts).toEqual(expect.arrayContaining(["churn_risk", "followup_queue", "customer_clv"]));
  }, 900_000);
});
