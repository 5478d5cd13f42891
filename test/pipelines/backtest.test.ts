/**
 * The churn list against the naive rule, on real-sized data: the 2,000-customer demo (calibration to 2025-12-31,
 * holdout to 2026-06-30) and the public CDNOW master file (calibration to 1997-09-30, holdout to 1998-06-30), each
 * through ingest and the whole pipeline. The list (10% of active customers) must capture more of the lapsers'
 * revenue than "highest past revenue among customers silent for 90+ days" at the same size. Also on the demo: the
 * value matrix does not file almost-surely-gone customers under "develop" or "key account".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateDemo } from "../../src/data/demo.ts";
import { loadConfig, type KehuConfig } from "../../src/data/config.ts";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { ingestSources } from "../../src/data/ingest.ts";
import { buildMarts } from "../../src/pipelines/index.ts";

interface Backtest {
  method: string;
  list_size: number;
  precision: number;
  base_lapse_rate: number;
  lapsed_revenue_captured: number;
}

let dir: string;
const dbs: Db[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kehu-backtest-"));
});
afterAll(async () => {
  for (const db of dbs) await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(config: KehuConfig, name: string, holdoutStart: string): Promise<Db> {
  const c: KehuConfig = {
    ...config,
    database: join(dir, `${name}.duckdb`),
    martsDir: join(dir, `${name}-marts`),
    rejectedDir: join(dir, `${name}-rejected`),
    analysis: { ...config.analysis, holdoutStart },
  };
  const db = await openDatabase(c.database);
  dbs.push(db);
  await ingestSources(db, c);
  await buildMarts(db, c);
  return db;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

async function compare(db: Db, label: string) {
  const rows = await db.all<Backtest>("select * from churn_backtest order by method");
  const [list, naive] = rows;
  expect(rows.map((r) => r.method)).toEqual(["churn_list", "naive_rule"]);
  console.log(
    `${label}: ${list.list_size} customers listed; lapsers' revenue captured: churn list ${pct(list.lapsed_revenue_captured)}, ` +
      `naive rule ${pct(naive.lapsed_revenue_captured)}; precision ${pct(list.precision)} vs ${pct(naive.precision)} (base lapse rate ${pct(list.base_lapse_rate)})`,
  );
  expect(list.list_size).toBe(naive.list_size);
  expect(list.lapsed_revenue_captured).toBeGreaterThan(naive.lapsed_revenue_captured);
  // Precision is printed, not asserted: a list ranked by money favours big customers, who lapse less often than
  // the average one (on CDNOW both lists stay below the base rate); the target is the revenue the list saves.
}

describe("churn list backtest beats the naive rule at 10% list size", () => {
  it("on the demo (2,000 customers; 52.9% vs 47.9% when written)", async () => {
    await generateDemo({ customers: 2000, seed: 42, outDir: join(dir, "demo") });
    const db = await run(loadConfig(join(dir, "demo", "kehu.config.json")), "demo", "2026-01-01");
    await compare(db, "demo");
    // growth potential is weighted by P(alive): quadrants II (develop) and IV (key accounts) hold live customers
    const [q] = await db.all<{ n: number; lost: number }>(
      "select count(*)::integer as n, count(*) filter (where p_alive < 0.1)::integer as lost from value_matrix where quadrant in ('II', 'IV')",
    );
    expect(q.n).toBeGreaterThan(100);
    expect(q.lost / q.n).toBeLessThanOrEqual(0.1);
  }, 120_000);

  it("on CDNOW (23,570 customers; 31.5% vs 29.7% when written)", async () => {
    const config = loadConfig(resolve(__dirname, "../../examples/cdnow/kehu.config.json"));
    const db = await run(config, "cdnow", "1997-10-01");
    await compare(db, "CDNOW");
    const [{ n }] = await db.all<{ n: number }>(
      "select count(*)::integer as n from churn_backtest where list_size = 2357",
    );
    expect(n).toBe(2);
  }, 120_000);
});
