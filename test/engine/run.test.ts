/**
 * Acceptance: on the demo, `kehu ingest && kehu run` with engine chdb builds the same marts as the DuckDB path
 * (every mart compared), ingest stays idempotent on the engine, and a failed push-down leaves the engine's tables
 * as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDemo } from "../../src/data/demo.ts";
import { loadConfig, type KehuConfig } from "../../src/data/config.ts";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { ingestSources, type IngestReport } from "../../src/data/ingest.ts";
import { buildMarts, type RunResult } from "../../src/pipelines/index.ts";
import { openEngine } from "../../src/engine/engine.ts";
import { loadEngineModels, pushDown } from "../../src/engine/pushdown.ts";
import { compareTables } from "./compare.ts";

let dir: string;
let local: { db: Db; config: KehuConfig; result: RunResult };
let pushed: { db: Db; config: KehuConfig & { configDir: string }; result: RunResult; ingest: IngestReport };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kehu-ch-run-"));
  await generateDemo({ customers: 300, seed: 11, outDir: join(dir, "demo") });
  const file = join(dir, "demo", "kehu.config.json");
  const raw = JSON.parse(readFileSync(file, "utf8"));
  const chFile = join(dir, "demo", "kehu.chdb.json");
  writeFileSync(chFile, JSON.stringify({ ...raw, database: "data/ch.duckdb", martsDir: "data/ch-marts", engine: { kind: "chdb", path: "data/clickhouse" } }));
  const config = loadConfig(file);
  const db = await openDatabase(config.database);
  await ingestSources(db, config);
  local = { db, config, result: await buildMarts(db, config) };
  const chConfig = loadConfig(chFile);
  const chDb = await openDatabase(chConfig.database);
  const ingest = await ingestSources(chDb, chConfig);
  pushed = { db: chDb, config: chConfig, ingest, result: await buildMarts(chDb, chConfig) };
}, 240_000);

afterAll(async () => {
  await local?.db.close();
  await pushed?.db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kehu run with engine chdb on the demo", () => {
  it("loads every ingested file onto the engine, and a second ingest loads nothing", async () => {
    expect(pushed.ingest.engine?.filesLoaded).toBe(pushed.ingest.files.length);
    expect(pushed.ingest.engine?.rowsLoaded).toBe(pushed.ingest.loaded);
    const again = await ingestSources(pushed.db, pushed.config);
    expect(again.engine).toMatchObject({ filesLoaded: 0, rowsLoaded: 0, filesRemoved: 0 });
  });

  it("pushes the engine models down and pulls them back", () => {
    const names = loadEngineModels().filter((m) => !m.view).map((m) => m.name);
    expect(pushed.result.pushedDown?.map((s) => s.name).sort()).toEqual(names.sort());
    for (const s of pushed.result.pushedDown!) expect(s.rows, s.name).toBeGreaterThan(0);
  });

  it("builds the same marts as the DuckDB path", async () => {
    expect(pushed.result.marts).toEqual(local.result.marts);
    const diffs: Record<string, string[]> = {};
    for (const mart of local.result.marts) {
      // wall-clock columns (when and how long a fit ran) differ between any two runs
      const d = await compareTables(local.db, pushed.db, mart, ["fitted_at", "fit_seconds"]);
      if (d.length) diffs[mart] = d;
    }
    expect(diffs).toEqual({});
  });

  it("a failed push-down leaves the engine's model tables as they were and drops its half-built tables", async () => {
    const engine = (await openEngine(pushed.config))!;
    try {
      const before = await engine.query<{ n: number; s: number }>("select toInt64(count()) as n, sum(revenue) as s from customer_summary");
      const models = [...loadEngineModels(), { name: "zz_broken", file: "zz_broken.clickhouse.sql", sql: "select no_such_column from customer_summary", dependsOn: ["customer_summary"], view: false }];
      await expect(pushDown(engine, { ...pushed.config, analysis: { ...pushed.config.analysis, asOf: "2025-01-01" } }, "2025-01-01", models)).rejects.toThrow(/zz_broken \(zz_broken.clickhouse.sql\) failed/);
      expect(await engine.query("select toInt64(count()) as n, sum(revenue) as s from customer_summary")).toEqual(before);
      expect(await engine.query("select name from system.tables where database = currentDatabase() and endsWith(name, '__kehu_next')")).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
