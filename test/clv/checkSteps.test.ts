/**
 * The issue-13 marts (purchase_count_forecast, model_uncertainty, customer_clv_interval, model_checks,
 * model_surfaces) on the CDNOW sample (2,357 customers, weekly periods, zbar as the average repeat spend), in
 * in-memory DuckDB after model_fit. References: lifetimes' published BG/NBD standard errors, the 1,411 CDNOW
 * customers without a repeat purchase (Fader, Hardie & Lee 2005), and hand formulas.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/data/db.ts";
import { parseConfig } from "../../src/data/config.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { modelCheckSteps } from "../../src/pipelines/clv/checkSteps.ts";
import { cdnowSummaryRows, createSummary, openAnalysisDb } from "../helpers/clvDb.ts";

const MARTS = [
  "purchase_count_forecast",
  "model_uncertainty",
  "customer_clv_interval",
  "model_checks",
  "model_surfaces",
];

let db: Db;
let selected: { model: string; params: Record<string, number> };
beforeAll(async () => {
  const opened = await openAnalysisDb({ asOf: "1997-09-30", horizonMonths: 12, discountRateAnnual: 0.1, margin: 0.3 });
  db = opened.db;
  const config = opened.config;
  await createSummary(db, cdnowSummaryRows());
  const steps = pipelineSteps(config);
  for (const name of ["model_validation", "model_fit", "customer_clv", ...MARTS])
    await steps.find((s) => s.name === name)!.run(db);
  const [row] = await db.all<{ model: string; params: string }>(
    "select model, params from model_fit where selected and model <> 'gammagamma'",
  );
  selected = { model: row.model, params: JSON.parse(row.params) };
}, 300_000);
afterAll(async () => db?.close());

describe("registration", () => {
  it("modelCheckSteps runs after model_fit in the pipeline", () => {
    const config = parseConfig({ sources: { transactions: { files: "x.csv" } } });
    expect(modelCheckSteps(config).map((s) => s.name)).toEqual(MARTS);
    const names = pipelineSteps(config).map((s) => s.name);
    for (const m of MARTS) expect(names.indexOf(m)).toBeGreaterThan(names.indexOf("model_fit"));
  });
});

describe("model_uncertainty", () => {
  it("has every converged model's parameters, BG/NBD's with lifetimes' published standard errors", async () => {
    const rows = await db.all<{
      model: string;
      param: string;
      estimate: number;
      se: number;
      ci_low: number;
      ci_high: number;
    }>("select * from model_uncertainty order by model, param");
    expect([...new Set(rows.map((r) => r.model))]).toEqual(["bgnbd", "gammagamma", "mbgnbd", "pnbd"]);
    const lifetimes: Record<string, number> = { r: 0.012557, alpha: 0.378221, a: 0.185719, b: 0.705345 };
    for (const r of rows.filter((r) => r.model === "bgnbd"))
      expect(Math.abs(r.se / lifetimes[r.param] - 1)).toBeLessThan(0.01);
    for (const r of rows) {
      expect(r.se).toBeGreaterThan(0);
      expect(r.ci_low).toBeLessThan(r.estimate);
      expect(r.ci_high).toBeGreaterThan(r.estimate);
    }
  });
  it("stores each model's covariance of the log-parameters (symmetric, correlations <= 1; diagonal: se = estimate x sd)", async () => {
    const rows = await db.all<{ model: string; param: string; estimate: number; se: number; covariance_log: string }>(
      "select model, param, estimate, se, covariance_log from model_uncertainty order by model, param",
    );
    for (const model of ["bgnbd", "gammagamma", "mbgnbd", "pnbd"]) {
      const m = rows.filter((r) => r.model === model);
      const cov = new Map(m.map((r) => [r.param, JSON.parse(r.covariance_log) as Record<string, number>]));
      expect(Object.keys(cov.get(m[0].param)!).sort()).toEqual(m.map((r) => r.param));
      for (const r of m) {
        expect(r.estimate * Math.sqrt(cov.get(r.param)![r.param])).toBe(r.se);
        const sd = (k: string) => Math.sqrt(cov.get(k)![k]);
        for (const o of m) {
          const [c, d] = [cov.get(r.param)![o.param], cov.get(o.param)![r.param]];
          expect(Math.abs(c - d)).toBeLessThan(1e-9 * sd(r.param) * sd(o.param));
          expect(Math.abs(c)).toBeLessThanOrEqual(sd(r.param) * sd(o.param) * (1 + 1e-12)); // |correlation| <= 1
        }
      }
    }
  });
});

describe("purchase_count_forecast", () => {
  it("splits a cohort of 2,357 new customers into 0..9 and 10+ purchases over 12 months", async () => {
    const rows = await db.all<{
      model: string;
      n: number;
      label: string;
      probability: number;
      expected_customers: number;
      customers: number;
      horizon_periods: number;
      period: string;
    }>("select * from purchase_count_forecast order by n");
    expect(rows.every((r) => r.period === "week")).toBe(true);
    expect(rows.map((r) => r.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10+"]);
    expect(rows.every((r) => r.model === selected.model && r.customers === 2357)).toBe(true);
    expect(rows[0].horizon_periods).toBeCloseTo(365.25 / 7, 9);
    expect(rows.reduce((s, r) => s + r.expected_customers, 0)).toBeCloseTo(2357, 6);
    // P(X(t) = 0) by hand: BG/NBD (alpha/(alpha+t))^r; MBG/NBD adds the dropout at time 0:
    // E[1-p] (alpha/(alpha+t))^r + E[p] = b/(a+b) (alpha/(alpha+t))^r + a/(a+b).
    const { r, alpha, a, b } = selected.params;
    const t = 365.25 / 7;
    const none = (alpha / (alpha + t)) ** r;
    if (selected.model === "bgnbd") expect(rows[0].probability).toBeCloseTo(none, 10);
    if (selected.model === "mbgnbd") expect(rows[0].probability).toBeCloseTo((b / (a + b)) * none + a / (a + b), 10);
  });
});

describe("model_checks", () => {
  it("compares actual and expected customers by repeat count for each purchase model", async () => {
    const rows = await db.all<{
      model: string;
      repeat_count: number;
      label: string;
      actual: number;
      expected: number;
      chi_square: number;
      degrees_of_freedom: number;
      max_share_gap: number;
      verdict: string;
    }>("select * from model_checks order by model, repeat_count");
    expect([...new Set(rows.map((r) => r.model))]).toEqual(["bgnbd", "mbgnbd", "pnbd"]);
    for (const model of ["bgnbd", "mbgnbd", "pnbd"]) {
      const m = rows.filter((r) => r.model === model);
      expect(m.map((r) => r.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7+"]);
      expect(m[0].actual).toBe(1411); // FHL 2005: 1,411 of the 2,357 made no repeat purchase
      expect(m.reduce((s, r) => s + r.actual, 0)).toBe(2357);
      expect(m.reduce((s, r) => s + r.expected, 0)).toBeCloseTo(2357, 6);
      const chiSquare = m.reduce((s, r) => s + (r.actual - r.expected) ** 2 / r.expected, 0);
      expect(m[0].chi_square).toBeCloseTo(chiSquare, 8);
      expect(m[0].degrees_of_freedom).toBe(3);
      expect(["good", "fair", "poor"]).toContain(m[0].verdict);
      // The BTYD models fit CDNOW's repeat-count histogram closely (FHL 2005, Figure 2): within 3 points in every class.
      expect(m[0].max_share_gap).toBeLessThan(0.03);
    }
  });
});

describe("model_surfaces", () => {
  it("covers frequency 0..max observed x recency 0..max T for the selected model", async () => {
    const rows = await db.all<{
      model: string;
      frequency: number;
      recency: number;
      T: number;
      p_alive: number;
      expected_next_period: number;
      period: string;
    }>("select * from model_surfaces order by frequency, recency");
    expect(rows.every((r) => r.period === "week")).toBe(true);
    const [{ maxF, maxT }] = await db.all<{ maxF: number; maxT: number }>(
      'select max(frequency)::integer as "maxF", max(T)::double as "maxT" from customer_summary',
    );
    expect(rows.length).toBe(1 + maxF * (Math.floor(maxT) + 1));
    expect(rows.every((r) => r.model === selected.model && r.T === maxT)).toBe(true);
    expect(rows.every((r) => r.p_alive >= 0 && r.p_alive <= 1 && r.expected_next_period >= 0)).toBe(true);
    // More recent buyers are more likely alive: P(alive) rises with recency at fixed frequency.
    const f5 = rows.filter((r) => r.frequency === 5);
    for (let i = 1; i < f5.length; i++) expect(f5[i].p_alive).toBeGreaterThanOrEqual(f5[i - 1].p_alive);
  });
});

describe("customer_clv_interval", () => {
  it("gives every customer an interval around the point CLV", async () => {
    const rows = await db.all<{
      customer_id: string;
      clv: number;
      expected_purchases: number;
      clv_low: number;
      clv_high: number;
      expected_low: number;
      expected_high: number;
    }>("select i.*, c.clv, c.expected_purchases from customer_clv_interval i join customer_clv c using (customer_id)");
    expect(rows).toHaveLength(2357);
    const inside = rows.filter(
      (r) =>
        r.clv_low <= r.clv * (1 + 1e-9) &&
        r.clv <= r.clv_high * (1 + 1e-9) &&
        r.expected_low <= r.expected_purchases * (1 + 1e-9) &&
        r.expected_purchases <= r.expected_high * (1 + 1e-9),
    );
    expect(inside.length / rows.length).toBeGreaterThan(0.99);
    expect(rows.every((r) => r.clv_high >= r.clv_low && r.expected_high > r.expected_low)).toBe(true);
  });
});
