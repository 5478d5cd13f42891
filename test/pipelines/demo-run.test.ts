/**
 * End to end on the demo data: generate -> ingest -> kehu run. Every mart is built and non-empty, the models fit,
 * no prediction is NaN, and the follow-up queue exercises every reason a rep can see.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDemo } from "../../src/data/demo.ts";
import { loadConfig } from "../../src/data/config.ts";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { ingestSources } from "../../src/data/ingest.ts";
import { buildMarts, pipelineSteps, type RunResult } from "../../src/pipelines/index.ts";

let dir: string;
let db: Db;
let result: RunResult;
let martsDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kehu-demo-run-"));
  await generateDemo({ customers: 500, seed: 42, outDir: join(dir, "demo") });
  const config = loadConfig(join(dir, "demo", "kehu.config.json"));
  martsDir = config.martsDir;
  db = await openDatabase(config.database);
  await ingestSources(db, config);
  result = await buildMarts(db, config);
});

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kehu run on the demo data", () => {
  it("builds every mart the site reads, each with rows, and exports each to Parquet", async () => {
    const contract = [
      "customer_summary",
      "purchase_frequency",
      "purchase_frequency_distribution",
      "interpurchase_histogram",
      "cohort_retention",
      "rfm_scores",
      "customer_grades",
      "pareto_revenue",
      "sales_by_region",
      "sales_by_rep",
      "sales_by_category",
      "model_fit",
      "customer_clv",
      "value_matrix",
      "churn_risk",
      "contact_cadence",
      "followup_queue",
      "visit_effect",
      "rep_workload",
      "receivables_aging",
      "receivables_summary",
      "credit_grade",
      "complaint_stats",
      "complaint_retention",
      "key_accounts",
      "problem_accounts",
      "win_back",
      "customer_snapshots",
    ];
    expect(result.marts).toEqual(expect.arrayContaining(contract));
    for (const mart of contract) {
      const [{ n }] = await db.all<{ n: number }>(`select count(*)::integer as n from ${mart}`);
      expect(n, mart).toBeGreaterThan(0);
    }
    expect(readdirSync(martsDir).sort()).toEqual([...result.marts.map((m) => `${m}.parquet`), "_run.json"].sort());
  });

  it("fits the purchase and spend models and predicts a finite CLV for every customer", async () => {
    const fits = await db.all<{ model: string; converged: boolean; selected: boolean }>(
      "select model, converged, selected from model_fit",
    );
    expect(
      fits
        .filter((f) => f.converged)
        .map((f) => f.model)
        .sort(),
    ).toEqual(["bgnbd", "gammagamma", "mbgnbd", "pnbd"]);
    const [c] = await db.all<{ customers: number; clv: number; bad: number }>(`
      select (select count(*) from customer_summary)::integer as customers, count(*)::integer as clv,
             count(*) filter (where not isfinite(clv) or clv is null or clv < 0 or p_alive is null
                              or p_alive < 0 or p_alive > 1)::integer as bad
      from customer_clv`);
    expect(c.clv).toBe(c.customers);
    expect(c.bad).toBe(0);
  });

  it('holds the grain each SQL model\'s header states ("one row per ..."), on the demo', async () => {
    const checked: string[] = [];
    for (const step of pipelineSteps(loadConfig(join(dir, "demo", "kehu.config.json")))) {
      if (!step.sql) continue;
      const header = /one row per\s+(\(([^)]+)\)|([a-z_]+)(\s+and\s+([a-z_]+))?(?![a-z_]|\s*[(,]|\s+and\b))/i.exec(
        step.sql,
      );
      if (!header) continue;
      const keys = header[2] ? header[2].split(",").map((k) => k.trim()) : [header[3], header[5]].filter(Boolean);
      const columns = new Set(
        (
          await db.all<{ c: string }>(`select column_name as c from duckdb_columns() where table_name = '${step.name}'`)
        ).map((r) => r.c),
      );
      if (!keys.every((k) => columns.has(k))) continue;
      const [{ dups }] = await db.all<{ dups: number }>(
        `select count(*)::integer as dups from (select ${keys.join(", ")} from ${step.name} group by all having count(*) > 1)`,
      );
      expect(dups, `${step.name}: duplicate (${keys.join(", ")})`).toBe(0);
      checked.push(step.name);
    }
    expect(checked.length).toBeGreaterThanOrEqual(25); // 27 when written: the rest state their grain in words (e.g. "per key account")
  });

  it("puts every follow-up reason in some rep's queue", async () => {
    const rows = await db.all<{ reason: string }>(
      "select distinct unnest(reasons) as reason from followup_queue order by 1",
    );
    expect(rows.map((r) => r.reason)).toEqual([
      "birthday_soon",
      "churn_risk",
      "contact_overdue",
      "invoice_overdue",
      "open_complaint",
      "replenishment_due",
    ]);
  });
});
