/**
 * Acceptance: on the demo, `kehu ingest && kehu run && kehu report` (the binary, one process per command) with engine
 * chdb builds the same site as the DuckDB path: every mart compared row by row, and every data file of the two
 * built sites compared (run ids and fit times aside). Ingest stays idempotent on the engine, and a failed push-down
 * leaves the engine's tables as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateDemo } from "../../src/data/demo.ts";
import { loadConfig, type KehuConfig } from "../../src/data/config.ts";
import { openDatabase, type Db } from "../../src/data/db.ts";
import type { IngestReport } from "../../src/data/ingest.ts";
import type { RunResult } from "../../src/pipelines/index.ts";
import { openEngine } from "../../src/engine/engine.ts";
import { loadEngineModels, pushDown } from "../../src/engine/pushdown.ts";
import { compareTables, jsonDifferences } from "./compare.ts";

const BIN = resolve(__dirname, "../../bin/kehu.js");
let dir: string;
type Path = { config: KehuConfig & { configDir: string }; ingest: IngestReport; run: RunResult; site: string; db: Db };
let local: Path;
let pushed: Path;

function kehu<T>(configFile: string, ...args: string[]): T {
  const r = spawnSync(process.execPath, [BIN, "--json", "-c", configFile, ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`kehu ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** ingest, run, report through the binary; then open the database for the comparisons. */
async function build(configFile: string, site: string): Promise<Path> {
  const ingest = kehu<IngestReport>(configFile, "ingest");
  const run = kehu<RunResult>(configFile, "run");
  kehu(configFile, "report", "--locale", "en", "--top", "5", "--out", site);
  const config = loadConfig(configFile);
  return { config, ingest, run, site, db: await openDatabase(config.database) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kehu-ch-run-"));
  await generateDemo({ customers: 300, seed: 11, outDir: join(dir, "demo") });
  const file = join(dir, "demo", "kehu.config.json");
  const raw = JSON.parse(readFileSync(file, "utf8"));
  const chFile = join(dir, "demo", "kehu.chdb.json");
  writeFileSync(
    chFile,
    JSON.stringify({
      ...raw,
      database: "data/ch.duckdb",
      martsDir: "data/ch-marts",
      engine: { kind: "chdb", path: "data/clickhouse" },
    }),
  );
  local = await build(file, join(dir, "site-duckdb"));
  pushed = await build(chFile, join(dir, "site-chdb"));
}, 900_000);

afterAll(async () => {
  await local?.db.close();
  await pushed?.db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The data files of a built site (Framework's _file/ outputs), by name without the content hash. */
function siteData(site: string, runId: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else
        out[p.slice(site.length + 1).replace(/\.[0-9a-f]{8}(\.\w+)$/, "$1")] = readFileSync(p, "utf8")
          .split(runId)
          .join("<run>");
    }
  };
  walk(join(site, "_file"));
  return out;
}

describe("kehu ingest && kehu run && kehu report with engine chdb on the demo", () => {
  it("loads every ingested file onto the engine, and a second ingest loads nothing", async () => {
    expect(pushed.ingest.engine?.filesLoaded).toBe(pushed.ingest.files.length);
    expect(pushed.ingest.engine?.rowsLoaded).toBe(pushed.ingest.loaded);
    await pushed.db.close();
    const again = kehu<IngestReport>(join(dir, "demo", "kehu.chdb.json"), "ingest");
    pushed.db = await openDatabase(pushed.config.database);
    expect(again.engine).toMatchObject({ filesLoaded: 0, rowsLoaded: 0, filesRemoved: 0 });
    expect(local.ingest.engine).toBeUndefined();
  });

  it("pushes the engine models down and pulls them back", () => {
    const names = loadEngineModels()
      .filter((m) => !m.view)
      .map((m) => m.name);
    expect(pushed.run.pushedDown?.map((s) => s.name).sort()).toEqual(names.sort());
    for (const s of pushed.run.pushedDown!) expect(s.rows, s.name).toBeGreaterThan(0);
    expect(local.run.pushedDown).toBeUndefined();
  });

  it("builds the same marts as the DuckDB path", async () => {
    expect(pushed.run.marts).toEqual(local.run.marts);
    const diffs: Record<string, string[]> = {};
    for (const mart of local.run.marts) {
      // wall-clock columns (when and how long a fit ran) differ between any two runs
      const d = await compareTables(local.db, pushed.db, mart, ["fitted_at", "fit_seconds"]);
      if (d.length) diffs[mart] = d;
    }
    expect(diffs).toEqual({});
  });

  it("kehu report builds the same site: every data file equal", () => {
    const a = siteData(local.site, local.run.runId!);
    const b = siteData(pushed.site, pushed.run.runId!);
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    const diffs: Record<string, string[]> = {};
    for (const f of Object.keys(a)) {
      // wall-clock values (when the site was built, the files loaded, the fits ran, how long they took) differ between any two builds
      const d = f.endsWith(".json")
        ? jsonDifferences(JSON.parse(a[f]), JSON.parse(b[f]), [
            "builtAt",
            "loaded_at",
            "lastLoad",
            "fitted_at",
            "fit_seconds",
          ])
        : a[f] === b[f]
          ? []
          : ["differs"];
      if (d.length) diffs[f] = d;
    }
    expect(diffs).toEqual({});
  });

  it("a failed push-down leaves the engine's model tables as they were and drops its half-built tables", async () => {
    const engine = (await openEngine(pushed.config))!;
    try {
      const before = await engine.query<{ n: number; s: number }>(
        "select toInt64(count()) as n, sum(revenue) as s from customer_summary",
      );
      const models = [
        ...loadEngineModels(),
        {
          name: "zz_broken",
          file: "zz_broken.clickhouse.sql",
          sql: "select no_such_column from customer_summary",
          dependsOn: ["customer_summary"],
          view: false,
        },
      ];
      await expect(
        pushDown(
          engine,
          { ...pushed.config, analysis: { ...pushed.config.analysis, asOf: "2025-01-01" } },
          "2025-01-01",
          models,
        ),
      ).rejects.toThrow(/zz_broken \(zz_broken.clickhouse.sql\) failed/);
      expect(await engine.query("select toInt64(count()) as n, sum(revenue) as s from customer_summary")).toEqual(
        before,
      );
      expect(
        await engine.query(
          "select name from system.tables where database = currentDatabase() and endsWith(name, '__kehu_next')",
        ),
      ).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
