/**
 * The site shows one run: `kehu run` stamps its marts with a run id (`_run.json`, and kehu_runs in the database in
 * the run's transaction), publishes them with one rename, and the build reads a verified snapshot. No marts,
 * changed marts, or marts the database does not name (a run killed between its commit and the swap) are refused
 * with a DataError, and the published site stays as it was.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSite } from "../../src/report/build.ts";
import { DataError } from "../../src/data/errors.ts";
import { openDatabase } from "../../src/data/db.ts";
import { ingestSources } from "../../src/data/ingest.ts";
import { buildMarts } from "../../src/pipelines/index.ts";
import {
  lastRun,
  MANIFEST_FILE,
  snapshotMarts,
  verifyMarts,
  writeMartsManifest,
  checkSameRun,
} from "../../src/report/run-manifest.ts";
import { cleanupProjects, project, txConfig } from "../data/helpers.ts";

const ROOT = resolve(__dirname, "../..");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "kehu-runs-test-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  await cleanupProjects();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A published site (one file is enough to see that a refused build leaves it alone). */
function publishedSite(dir: string): string {
  const out = join(dir, "dist");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "index.html"), "<p>yesterday's site</p>");
  return out;
}

/** A temp dir with a published site and a marts dir holding `files` (name -> content; not real Parquet). */
function sitePlusMarts(files: Record<string, string>) {
  const dir = tempDir();
  const out = publishedSite(dir);
  const marts = join(dir, "marts");
  mkdirSync(marts);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(marts, name), content);
  return { dir, out, marts };
}

async function refusal(martsDir: string, outDir: string, databasePath?: string): Promise<Error> {
  const error = await buildSite({ martsDir, outDir, databasePath, topCustomers: 0 }).then(
    () => new Error("the build succeeded"),
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  expect(readFileSync(join(outDir, "index.html"), "utf8")).toBe("<p>yesterday's site</p>");
  return error;
}

describe("kehu report without one run's marts", () => {
  it("refuses when there are no marts (missing or empty dir)", async () => {
    const dir = tempDir();
    const out = publishedSite(dir);
    expect((await refusal(join(dir, "marts"), out)).message).toMatch(/no marts in .*marts: run `kehu run` first/);
    mkdirSync(join(dir, "marts"));
    expect((await refusal(join(dir, "marts"), out)).message).toMatch(/no marts in .*: run `kehu run` first/);
  });

  it("refuses marts without a manifest, and marts changed, added or removed after the run", async () => {
    const { out, marts } = sitePlusMarts({ "a.parquet": "run 1 a", "b.parquet": "run 1 b" });
    expect((await refusal(marts, out)).message).toContain(`have no ${MANIFEST_FILE}`);
    writeMartsManifest(marts, { runId: "r1", asOf: "2024-06-30" });
    expect(verifyMarts(marts).files.map((f) => f.file)).toEqual(["a.parquet", "b.parquet"]);
    writeFileSync(join(marts, "a.parquet"), "run 2 a");
    writeFileSync(join(marts, "c.parquet"), "run 2 c");
    rmSync(join(marts, "b.parquet"));
    const message = (await refusal(marts, out)).message;
    expect(message).toContain("not the ones run r1 wrote");
    expect(message).toContain("a.parquet was changed");
    expect(message).toContain("b.parquet is missing");
    expect(message).toContain("c.parquet is not part of the run");
  });
});

describe("kehu run and the database", () => {
  const ORDERS =
    "order_id,customer_id,ordered_at,amount\no1,c1,2024-01-05,10\no2,c2,2024-03-01,20\no3,c1,2024-06-30,30\n";

  it("stamps the marts and kehu_runs with the same run id, inside the run's transaction", async () => {
    const p = project(txConfig("orders.csv"), { "orders.csv": ORDERS });
    const result = await p.withDb(async (db) => {
      await ingestSources(db, p.config);
      return buildMarts(db, p.config);
    });
    const manifest = verifyMarts(p.config.martsDir);
    expect(manifest).toMatchObject({ runId: result.runId, asOf: "2024-06-30" });
    expect(manifest.files.map((f) => f.file).sort()).toEqual(result.marts.map((m) => `${m}.parquet`).sort());
    expect(await p.withDb(lastRun)).toEqual({ runId: result.runId, asOf: "2024-06-30" });
    // the marts dir is a symlink to the run's own dir, replaced in one rename; nothing else is left next to it
    expect(lstatSync(p.config.martsDir).isSymbolicLink()).toBe(true);
    await p.withDb((db) => buildMarts(db, p.config));
    const parent = resolve(p.config.martsDir, "..");
    expect(readdirSync(parent).filter((f) => f.startsWith(".marts.")).length).toBe(1);
  });

  it("a crash between the database's commit and the marts' swap is reported by the build, not published", async () => {
    const p = project(txConfig("orders.csv"), { "orders.csv": ORDERS });
    const out = publishedSite(p.dir);
    const first = await p.withDb(async (db) => {
      await ingestSources(db, p.config);
      return buildMarts(db, p.config);
    });
    appendFileSync(join(p.dir, "orders.csv"), "o4,c3,2024-07-02,40\n");
    const crash = new Error("killed after the commit");
    const error = await p
      .withDb(async (db) => {
        await ingestSources(db, p.config);
        return buildMarts(db, p.config, undefined, undefined, { afterCommit: () => Promise.reject(crash) });
      })
      .catch((e) => e);
    expect(error).toBe(crash);
    // the database committed the second run; the marts are still the first run's
    const second = (await p.withDb(lastRun))!;
    expect(second.runId).not.toBe(first.runId);
    expect(verifyMarts(p.config.martsDir).runId).toBe(first.runId);
    const message = (await refusal(p.config.martsDir, out, p.config.database)).message;
    expect(message).toContain(`are from run ${first.runId} (as of 2024-06-30)`);
    expect(message).toContain(`last computed by run ${second.runId} (as of 2024-07-02)`);
    expect(message).toContain("run `kehu run` again");
    // the next run repairs it
    const third = await p.withDb((db) => buildMarts(db, p.config));
    const manifest = verifyMarts(p.config.martsDir);
    expect(manifest.runId).toBe(third.runId);
    expect(() => checkSameRun(manifest, { runId: third.runId!, asOf: "2024-07-02" }, "m", "d")).not.toThrow();
    expect(await p.withDb(lastRun)).toEqual({ runId: third.runId, asOf: "2024-07-02" });
  });

  it("a database without kehu_runs does not vouch for any marts", async () => {
    const { dir, out, marts } = sitePlusMarts({ "a.parquet": "x" });
    writeMartsManifest(marts, { runId: "r1", asOf: null });
    const databasePath = join(dir, "kehu.duckdb");
    await (await openDatabase(databasePath)).close();
    expect((await refusal(marts, out, databasePath)).message).toContain(
      "has no record of a `kehu run` (table kehu_runs)",
    );
  });
});

describe("a snapshot of the marts while runs replace them", () => {
  it("always holds exactly one run's files", async () => {
    const dir = tempDir();
    const martsDir = join(dir, "marts");
    // another process publishes 150 runs of 3 marts each as fast as it can
    const script = join(dir, "publisher.mts");
    writeFileSync(
      script,
      `import { existsSync, mkdirSync, writeFileSync } from "node:fs";
       import { join } from "node:path";
       import { publishRunDir, runDirFor, writeMartsManifest } from ${JSON.stringify(join(ROOT, "src/report/run-manifest.ts"))};
       for (let i = 1; i <= 150; i++) {
         const runId = "r" + i;
         const dir = runDirFor(${JSON.stringify(martsDir)}, runId);
         mkdirSync(dir, { recursive: true });
         for (const m of ["a", "b", "c"]) writeFileSync(join(dir, m + ".parquet"), runId + " " + m + " " + "x".repeat(20000));
         writeMartsManifest(dir, { runId, asOf: null });
         publishRunDir(dir, ${JSON.stringify(martsDir)});
         // after the first run, wait until the test has taken a snapshot: on a loaded machine the 150 runs could
         // otherwise all be published before the first snapshot, and nothing would overlap
         while (i === 1 && !existsSync(${JSON.stringify(join(martsDir + ".go"))})) await new Promise((r) => setTimeout(r, 5));
       }`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, stdio: "inherit" });
    const exited = new Promise<number | null>((done) => child.on("exit", done));
    let running = true;
    void exited.then(() => (running = false));
    let snapshots = 0;
    const runs = new Set<string>();
    while (running || snapshots === 0) {
      const into = join(dir, `snap-${snapshots}`);
      try {
        const manifest = await snapshotMarts(martsDir, into);
        for (const f of ["a", "b", "c"])
          expect(readFileSync(join(into, `${f}.parquet`), "utf8").startsWith(`${manifest.runId} ${f} `)).toBe(true);
        runs.add(manifest.runId);
        snapshots++;
        if (snapshots === 1) writeFileSync(`${martsDir}.go`, "");
      } catch (error) {
        // only before the first run is published
        expect(String(error)).toMatch(/no marts in/);
        expect(runs.size).toBe(0);
      }
      rmSync(into, { recursive: true, force: true });
      await new Promise((r) => setImmediate(r)); // let the child's exit event in
    }
    expect(await exited).toBe(0);
    runs.add((await snapshotMarts(martsDir, join(dir, "snap-last"))).runId); // the last run, r150
    expect(snapshots).toBeGreaterThan(0);
    expect(runs.size).toBeGreaterThan(1); // the snapshots did overlap the swaps (about 300 snapshots of 90 runs here)
    expect(verifyMarts(martsDir).runId).toBe("r150");
    expect(existsSync(join(dir, ".marts.run-r150"))).toBe(true);
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith(".marts."))
        .sort(),
    ).toEqual([".marts.run-r150"]);
  }, 60_000);
});
