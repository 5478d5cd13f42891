/**
 * Every `<model>.clickhouse.sql` gives the same table as its DuckDB model: run in chdb on the metric and CRM fixtures
 * (under several settings) and on a small demo, pulled back, and compared column by column (types included). A
 * failing model names both files.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { loadConfig, parseConfig, type KehuConfig } from "../../src/data/config.ts";
import { generateDemo } from "../../src/data/demo.ts";
import { ingestSources } from "../../src/data/ingest.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { setAnalysisVariables } from "../../src/pipelines/runner.ts";
import { loadEngineModels, pushDown } from "../../src/engine/pushdown.ts";
import { syncSources } from "../../src/engine/sources.ts";
import { runFixture, type Fixture } from "../helpers/pipeline.ts";
import { shop, AS_OF } from "../fixtures/metrics/shop.ts";
import { crmFixture, crmConfig } from "../fixtures/crm/accounts.ts";
import { compareTables, logFixtureFiles, tempChdb } from "./compare.ts";

const models = loadEngineModels();
const pulledNames = models.filter((m) => !m.view).map((m) => m.name);

/** Run the engine models on `db`'s sources in a fresh chdb and return every difference per model. */
async function differences(db: Db, config: KehuConfig): Promise<Record<string, string[]>> {
  const ch = await tempChdb();
  const pulled = await openDatabase(":memory:");
  try {
    await syncSources(db, ch.engine);
    const [{ as_of }] = await db.all<{ as_of: string | null }>("select getvariable('as_of')::varchar as as_of");
    const run = await pushDown(ch.engine, config, as_of, models);
    const out: Record<string, string[]> = {};
    for (const m of models.filter((x) => !x.view)) {
      await run.load(pulled, m.name);
      const diff = await compareTables(db, pulled, m.name);
      const [{ n }] = await pulled.all<{ n: number }>(`select count(*)::integer as n from ${m.name}`);
      if (n === 0) diff.push("no rows: the comparison proves nothing");
      if (diff.length) out[`${m.name}: ${m.file.replace(/\.clickhouse\.sql$/, ".sql")} vs ${m.file}`] = diff;
    }
    await run.cleanup();
    return out;
  } finally {
    await pulled.close();
    await ch.dispose();
  }
}

async function fixtureDifferences(fixture: Fixture, config: Record<string, unknown>) {
  const { db, config: parsed } = await runFixture(fixture, { config, only: pulledNames });
  try {
    await logFixtureFiles(db);
    return await differences(db, parsed);
  } finally {
    await db.close();
  }
}

describe("ClickHouse variants of the transaction-sized models", () => {
  it("cover stg_transactions, int_purchases, customer_summary, int_customer_periods and int_sales_cells, each beside its DuckDB model", () => {
    expect(models.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        "stg_transactions",
        "int_purchases",
        "customer_summary",
        "int_customer_periods",
        "int_sales_cells",
      ]),
    );
    const duck = new Set(
      pipelineSteps(parseConfig({ sources: { transactions: { files: "x.csv" } } })).map((s) => s.name),
    );
    for (const m of models) expect(duck.has(m.name), `${m.file} mirrors no DuckDB model`).toBe(true);
  });

  for (const [label, analysis] of [
    ["day grain, week periods", { asOf: AS_OF }],
    [
      "order grain, month periods, quarter cohorts",
      { asOf: AS_OF, purchaseGrain: "order", period: "month", cohortPeriod: "quarter" },
    ],
    ["an earlier as_of and week cohorts", { asOf: "2024-03-31", period: "day", cohortPeriod: "week" }],
  ] as const) {
    it(`equal the DuckDB models on the shop fixture (${label})`, async () => {
      expect(await fixtureDifferences(shop, { analysis })).toEqual({});
    });
  }

  it("equal the DuckDB models on the CRM fixture", async () => {
    expect(await fixtureDifferences(crmFixture, crmConfig)).toEqual({});
  });

  describe("on the demo data", () => {
    let dir: string;
    let db: Db;
    let config: KehuConfig;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "kehu-ch-demo-"));
      await generateDemo({ customers: 300, seed: 7, outDir: join(dir, "demo") });
      config = loadConfig(join(dir, "demo", "kehu.config.json"));
      db = await openDatabase(config.database);
      await ingestSources(db, config);
      await setAnalysisVariables(db, config.analysis);
      const steps = pipelineSteps(config);
      for (const s of steps)
        if (pulledNames.includes(s.name) || s.name.startsWith("stg_") || s.name.startsWith("int_customer_attr"))
          await s.run(db);
    });
    afterAll(async () => {
      await db?.close();
      rmSync(dir, { recursive: true, force: true });
    });
    it("equal the DuckDB models", async () => {
      expect(await differences(db, config)).toEqual({});
    });
  });
});
