/**
 * The CLV pipeline steps against in-memory DuckDB: model_fit / customer_clv (fitted and fallback), model_validation
 * on the CDNOW sample transactions, value_matrix (pure function, hand-computed) (churn_risk: test/clv/churn.test.ts).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/data/db.ts";
import { parseConfig, type KehuConfig } from "../../src/data/config.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import {
  clvSteps,
  predictCustomers,
  readCalibration,
  type SummaryRow,
  type ValidationRow,
} from "../../src/pipelines/clv/steps.ts";
import {
  mbgNbdConditionalExpected,
  bgNbdConditionalExpected,
  purchaseModel,
  computeClv,
} from "../../src/pipelines/clv/models.ts";
import { buildValueMatrix, quantile } from "../../src/pipelines/clv/valueMatrix.ts";
import { CDNOW, cdnowSummaryRows, createSummary, openAnalysisDb, readCdnowCsv, SUMMARY_SQL } from "../helpers/clvDb.ts";

let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

async function setup(analysis: Record<string, unknown>): Promise<{ db: Db; config: KehuConfig }> {
  const opened = await openAnalysisDb(analysis);
  db = opened.db;
  return opened;
}

/** Run the named steps and everything they depend on, in pipeline order (each SQL model also EXPLAINed). */
async function runSteps(db: Db, config: KehuConfig, names: string[]) {
  const steps = pipelineSteps(config);
  const byName = new Map(steps.map((s) => [s.name, s]));
  const wanted = new Set<string>();
  const add = (name: string) => {
    if (wanted.has(name)) return;
    const step = byName.get(name);
    if (!step) throw new Error(`no step ${name}`);
    wanted.add(name);
    step.dependsOn.forEach((d) => byName.has(d) && add(d));
  };
  names.forEach(add);
  for (const step of steps) {
    if (!wanted.has(step.name)) continue;
    if (step.sql !== undefined) await db.exec(`explain ${step.sql}`);
    await step.run(db);
  }
}

/** Run exactly the named steps (their inputs are hand-made tables). */
async function runOnly(db: Db, config: KehuConfig, names: string[]) {
  const steps = pipelineSteps(config);
  for (const name of names) {
    const step = steps.find((s) => s.name === name);
    if (!step) throw new Error(`no step ${name}`);
    if (step.sql !== undefined) await db.exec(`explain ${step.sql}`);
    await step.run(db);
  }
}

async function expectGrain(db: Db, table: string) {
  const [r] = await db.all<{ n: number; distinct_ids: number; nulls: number }>(
    `select count(*)::integer as n, count(distinct customer_id)::integer as distinct_ids, count(*) filter (where customer_id is null)::integer as nulls from ${table}`,
  );
  expect(r.nulls, `${table} customer_id not null`).toBe(0);
  expect(r.distinct_ids, `${table} customer_id unique`).toBe(r.n);
}

describe("registration", () => {
  it("clvSteps writes model_validation, model_fit, customer_clv, value_matrix; churn_risk is a SQL model", () => {
    const config = parseConfig({ sources: { transactions: { files: "x.csv" } } });
    expect(clvSteps(config).map((s) => s.name)).toEqual([
      "model_validation",
      "model_fit",
      "customer_clv",
      "value_matrix",
    ]);
    const names = pipelineSteps(config).map((s) => s.name);
    for (const n of ["model_validation", "model_fit", "customer_clv", "value_matrix", "churn_risk"])
      expect(names).toContain(n);
    expect(names.indexOf("customer_clv")).toBeGreaterThan(names.indexOf("model_fit"));
    expect(names.indexOf("churn_risk")).toBeGreaterThan(names.indexOf("customer_clv"));
  });
});

describe("too few customers: fallback to the historical average", () => {
  // Weekly periods, margin 1, no discounting, 12 months = 365.25/7 = 52.178571 weeks. The rate is the customer's
  // repeat rate shrunk to the population's: pooled = (1 + 0 + 0) / (10 + 4 + 0.5) = 1/14.5 a week, scale = mean T =
  // 14.5/3, shape = pooled x scale = 1/3; rate = (frequency + 1/3) / (T + 14.5/3).
  //   c1: frequency 1, T 10 -> (4/3) / (44.5/3) = 0.0898876/week; spend = own repeat mean 60
  //       expected = 0.0898876 * 52.178571 = 4.690209; clv = 60 * 4.690209 = 281.412520
  //   c2: frequency 0, T 4 -> (1/3) / (26.5/3) = 1/26.5; spend = revenue/orders = 30; expected 1.969003; clv 59.070081
  //   c3: frequency 0, T 0.5 (a first order this week) -> (1/3) / (16/3) = 0.0625 <= pooled 0.0690; revenue <= 0 so
  //       spend = mean order value of everyone = (100/2 + 30/1 + -10/1)/3 = 23.333333; expected 3.261161; clv 76.09375
  //       (the old rule, one purchase a period, gave 52.18 purchases and 1217.5)
  const rows = [
    ["c1", "2024-01-01", "2024-01-15", 2, 100, 50, 1, 2, 10, 60],
    ["c2", "2024-02-10", "2024-02-10", 1, 30, 30, 0, 0, 4, 0],
    ["c3", "2024-03-06", "2024-03-06", 1, -10, -10, 0, 0, 0.5, 0],
  ];
  it("records why nothing was fitted and still gives every customer a finite CLV", async () => {
    const { db, config } = await setup({ asOf: "2024-03-10", discountRateAnnual: 0, margin: 1, horizonMonths: 12 });
    await createSummary(db, rows);
    await db.exec("create table stg_customers as select * from customers");
    await runOnly(db, config, ["model_validation", "model_fit", "customer_clv", "value_matrix"]);
    const fits = await db.all<{
      model: string;
      converged: boolean;
      selected: boolean;
      message: string;
      as_of: string;
      log_likelihood: number | null;
    }>(
      "select model, converged, selected, message, as_of::varchar as as_of, log_likelihood from model_fit order by model",
    );
    expect(fits.map((f) => f.model)).toEqual(["bgnbd", "gammagamma", "mbgnbd", "pnbd"]);
    for (const f of fits) {
      expect(f.converged).toBe(false);
      expect(f.selected).toBe(false);
      expect(f.message).toMatch(/too few/);
      expect(f.as_of).toBe("2024-03-10");
      expect(f.log_likelihood).toBeNull();
    }
    const clv = await db.all<{
      customer_id: string;
      p_alive: number | null;
      expected_purchases: number;
      expected_avg_spend: number;
      clv: number;
      model: string;
    }>("select * from customer_clv order by customer_id");
    expect(clv.map((r) => [r.customer_id, r.model, r.p_alive])).toEqual([
      ["c1", "historical", null],
      ["c2", "historical", null],
      ["c3", "historical", null],
    ]);
    expect(clv[0].expected_purchases).toBeCloseTo(4.690209, 5);
    expect(clv[0].expected_avg_spend).toBeCloseTo(60, 9);
    expect(clv[0].clv).toBeCloseTo(281.41252, 5);
    expect(clv[1].clv).toBeCloseTo(59.070081, 5);
    expect(clv[2].expected_purchases).toBeCloseTo(3.261161, 5);
    expect(clv[2].expected_avg_spend).toBeCloseTo(23.333333, 5);
    expect(clv[2].clv).toBeCloseTo(76.09375, 5);
    await expectGrain(db, "customer_clv");
    await expectGrain(db, "value_matrix");
    expect(await db.all("select count(*)::integer as n from model_validation")).toEqual([{ n: 0 }]);
  });

  it("runs on a completely empty customer_summary (and with as_of NULL)", async () => {
    const { db, config } = await setup({});
    await createSummary(db, []);
    await db.exec(
      "create table int_purchases (customer_id varchar, purchase_key varchar, purchased_on date, amount double, purchase_number integer, gap_days integer)",
    );
    await db.exec("create table stg_customers as select * from customers");
    await runOnly(db, config, ["model_validation", "model_fit", "customer_clv", "value_matrix"]);
    expect(await db.all("select count(*)::integer as n from customer_clv")).toEqual([{ n: 0 }]);
    expect(
      await db.all("select count(*)::integer as n, count(*) filter (where converged)::integer as ok from model_fit"),
    ).toEqual([{ n: 4, ok: 0 }]);
  });
});

describe("fitted models through the pipeline, on the CDNOW summary", () => {
  it("fits all models, selects by BIC, and predicts per customer consistently with the models", async () => {
    const { db, config } = await setup({
      asOf: "1997-09-30",
      period: "week",
      discountRateAnnual: 0.1,
      margin: 0.3,
      horizonMonths: 12,
    });
    await createSummary(db, cdnowSummaryRows());
    await db.exec("create table stg_customers as select * from customers");
    await runOnly(db, config, ["model_validation", "model_fit", "customer_clv", "value_matrix"]);
    const fits = await db.all<{
      model: string;
      params: string;
      bic: number;
      converged: boolean;
      selected: boolean;
      n_customers: number;
    }>("select model, params, bic, converged, selected, n_customers from model_fit order by model");
    expect(fits.every((f) => f.converged)).toBe(true);
    const bg = JSON.parse(fits.find((f) => f.model === "bgnbd")!.params);
    expect(Object.keys(bg)).toEqual(["r", "alpha", "a", "b"]);
    expect(Math.abs(bg.r / 0.2425982 - 1)).toBeLessThan(0.005);
    expect(Math.abs(bg.b / 2.4261667 - 1)).toBeLessThan(0.005);
    expect(Object.keys(JSON.parse(fits.find((f) => f.model === "pnbd")!.params))).toEqual(["r", "alpha", "s", "beta"]);
    expect(Object.keys(JSON.parse(fits.find((f) => f.model === "gammagamma")!.params))).toEqual(["p", "q", "gamma"]);
    expect(fits.find((f) => f.model === "gammagamma")!.n_customers).toBe(946);
    // exactly one purchase model selected: the lowest BIC
    const purchase = fits.filter((f) => f.model !== "gammagamma");
    const best = purchase.reduce((a, b) => (b.bic < a.bic ? b : a));
    expect(purchase.filter((f) => f.selected).map((f) => f.model)).toEqual([best.model]);
    expect(fits.find((f) => f.model === "gammagamma")!.selected).toBe(true);

    await expectGrain(db, "customer_clv");
    const [counts] = await db.all<{ n: number; bad: number }>(`select count(*)::integer as n,
      count(*) filter (where not (isfinite(clv) and clv >= 0 and p_alive between 0 and 1 and isfinite(expected_purchases) and isfinite(expected_avg_spend)))::integer as bad
      from customer_clv`);
    expect(counts).toEqual({ n: 2357, bad: 0 });
    // Customer 1: Gamma-Gamma expected average spend 24.65 (Fader & Hardie 2013)
    const [c1] = await db.all<{ expected_avg_spend: number; model: string }>(
      "select * from customer_clv where customer_id = '1'",
    );
    expect(Math.abs(c1.expected_avg_spend - 24.65)).toBeLessThan(0.1);
    expect(c1.model).toBe(best.model);
    // Customer 1516 (x=26, t_x=30.86, T=31): expected purchases over 12 months = 365.25/7 weeks
    const [c1516] = await db.all<{ expected_purchases: number; clv: number; expected_avg_spend: number }>(
      "select * from customer_clv where customer_id = '1516'",
    );
    const params = JSON.parse(best.params);
    const conditional = best.model === "mbgnbd" ? mbgNbdConditionalExpected : bgNbdConditionalExpected;
    expect(c1516.expected_purchases).toBeCloseTo(conditional(params, 365.25 / 7, 26, 30.86, 31), 9);
    const model = purchaseModel(best.model as "bgnbd", params);
    const periodsPerMonth = 365.25 / 12 / 7;
    expect(c1516.clv).toBeCloseTo(
      computeClv((t) => model.conditionalExpected(t, 26, 30.86, 31), c1516.expected_avg_spend, {
        margin: 0.3,
        discountRateAnnual: 0.1,
        horizonMonths: 12,
        periodsPerMonth,
      }),
      6,
    );
    await expectGrain(db, "value_matrix");
    const quadrants = await db.all<{ quadrant: string }>("select distinct quadrant from value_matrix order by 1");
    expect(quadrants.map((q) => q.quadrant)).toEqual(["I", "II", "III", "IV"]);
  });
});

describe("model_validation on the CDNOW sample transactions (calibration to 1997-09-30, 39-week holdout)", () => {
  it("builds the calibration summary like the published one and compares holdout predictions", async () => {
    const { db, config } = await setup({ asOf: "1998-06-30", holdoutStart: "1997-10-01", period: "week" });
    const lines = readFileSync(path.join(CDNOW, "CDNOW_sample.txt"), "utf8").trim().split(/\r?\n/);
    await db.insertRows(
      "transactions",
      [
        "order_id",
        "customer_id",
        "ordered_at",
        "amount",
        "quantity",
        "product",
        "category",
        "channel",
        "sales_rep",
        "source_file",
        "source_line",
      ],
      lines.map((line, i) => {
        const [, id, ymd, cds, dollars] = line.trim().split(/\s+/);
        const at = new Date(`${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}T00:00:00Z`);
        return [
          `o${i + 1}`,
          String(Number(id)),
          at,
          Number(dollars),
          Number(cds),
          null,
          null,
          null,
          null,
          "CDNOW_sample.txt",
          i + 1,
        ];
      }),
    );
    await runSteps(db, config, ["int_purchases", "int_calibration_summary"]);
    // The calibration summary reproduces cdnow_customers_summary.csv (which rounds recency and T to 2 decimals).
    const calibration = await readCalibration(db);
    const published = readCdnowCsv("cdnow_customers_summary.csv");
    expect(calibration.length).toBe(2357);
    const byId = new Map(calibration.map((c) => [c.customer_id, c]));
    for (const p of published) {
      const c = byId.get(String(p.ID))!;
      expect(c.frequency).toBe(p.frequency);
      expect(Math.abs(c.recency - p.recency)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs(c.T - p.T)).toBeLessThanOrEqual(0.005 + 1e-9);
    }
    await runOnly(db, config, ["model_validation"]);
    const rows = await db.all<ValidationRow>(
      "select model, kind, bucket, week, period_end::varchar as period_end, customers, actual, predicted, rmse from model_validation order by model, kind, bucket, week",
    );
    const models = [...new Set(rows.map((r) => r.model))].sort();
    expect(models).toEqual(["bgnbd", "mbgnbd", "pnbd"]);
    // Holdout repeat purchases of calibration customers, counted directly: purchase days from 1997-10-01 on.
    const [direct] = await db.all<{ n: number; all_repeat: number }>(`select
        count(*) filter (where purchased_on >= '1997-10-01')::integer as n,
        count(*) filter (where purchase_number > 1)::integer as all_repeat from int_purchases`);
    for (const model of models) {
      const buckets = rows.filter((r) => r.model === model && r.kind === "frequency_bucket");
      expect(buckets.map((b) => b.bucket)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(buckets.reduce((s, b) => s + b.customers, 0)).toBe(2357);
      expect(buckets.reduce((s, b) => s + b.customers * b.actual, 0)).toBeCloseTo(direct.n, 6);
      const summary = rows.find((r) => r.model === model && r.kind === "summary")!;
      expect(summary.actual).toBe(direct.n);
      expect(summary.rmse).toBeGreaterThan(0);
      // Aggregate holdout forecast vs actual (1,882 repeat purchase days): all three models under-forecast this
      // holdout (bgnbd 1,653, i.e. -12%; mbgnbd -16%), so the bound is 20%: a sanity check, not a published figure.
      expect(Math.abs(summary.predicted / summary.actual - 1)).toBeLessThan(0.2);
      // The biggest bucket: 1,411 customers without a repeat purchase, 0.237 holdout purchases each. BG/NBD predicts
      // 0.225 (FHL 2005, Fig. 3, show it close); Pareto/NBD, which lets them be dead, predicts less.
      const zero = buckets[0];
      expect(zero.customers).toBe(1411);
      if (model === "bgnbd") expect(Math.abs(zero.predicted / zero.actual - 1)).toBeLessThan(0.1);
      const weekly = rows.filter((r) => r.model === model && r.kind === "weekly_cumulative");
      // 1997-01-01 .. 1998-06-30 is 546 days: weeks 1..78
      expect(weekly.length).toBe(78);
      expect(weekly[0].period_end).toBe("1997-01-07");
      expect(weekly.at(-1)!.period_end).toBe("1998-06-30");
      expect(weekly.at(-1)!.actual).toBe(direct.all_repeat);
      for (let i = 1; i < weekly.length; i++)
        expect(weekly[i].predicted).toBeGreaterThanOrEqual(weekly[i - 1].predicted);
      // End of calibration (week 39 ends 1997-09-30): the in-sample fit tracks the actual cumulative count closely.
      const w39 = weekly.find((w) => w.week === 39)!;
      expect(w39.period_end).toBe("1997-09-30");
      expect(Math.abs(w39.predicted / w39.actual - 1)).toBeLessThan(0.05);
    }
    // With validation data the lowest BIC stands unless another model is better on the holdout RMSE by the margin
    // without a worse aggregate bias (selection.ts; this assertion was "lowest holdout RMSE" before issue 13).
    await db.exec(`create table customer_summary (${SUMMARY_SQL})`);
    await db.exec(`insert into customer_summary select customer_id, null, null, frequency + 1, 0, 0, frequency, recency, T, 0
      from (select customer_id, count(*) - 1 as frequency, (max(purchased_on) - min(purchased_on)) / 7 as recency, ('1998-06-30'::date - min(purchased_on)) / 7 as T
            from int_purchases group by all)`);
    await runOnly(db, config, ["model_fit"]);
    const fits = await db.all<{
      model: string;
      bic: number;
      holdout_rmse: number | null;
      holdout_bias: number | null;
      selected: boolean;
      selection_reason: string;
      bic_delta: number;
      holdout_gain: number;
      bias_change: number;
      selection_margin: number;
    }>(
      `select model, bic, holdout_rmse, holdout_bias, selected, selection_reason, bic_delta, holdout_gain, bias_change, selection_margin
       from model_fit where model <> 'gammagamma' order by bic`,
    );
    expect(fits.every((f) => f.holdout_rmse != null && f.holdout_bias != null)).toBe(true);
    // the figures are the validation summary's: bias = predicted / actual - 1, gains relative to the lowest BIC
    for (const f of fits) {
      const s = rows.find((r) => r.model === f.model && r.kind === "summary")!;
      expect(f.holdout_rmse).toBeCloseTo(s.rmse!, 12);
      expect(f.holdout_bias).toBeCloseTo(s.predicted / s.actual - 1, 12);
      expect(f.bic_delta).toBeCloseTo(f.bic - fits[0].bic, 6);
      expect(f.holdout_gain).toBeCloseTo((fits[0].holdout_rmse! - f.holdout_rmse!) / fits[0].holdout_rmse!, 12);
      expect(f.bias_change).toBeCloseTo(Math.abs(f.holdout_bias!) - Math.abs(fits[0].holdout_bias!), 12);
      expect(f.selection_margin).toBe(0.02);
    }
    // Pareto/NBD has the lowest holdout RMSE, but only 0.27% below MBG/NBD's (lowest BIC): within the 2% margin
    expect(fits.map((f) => [f.model, f.selected, f.selection_reason])).toEqual([
      ["mbgnbd", true, "lowest_bic_within_margin"],
      ["pnbd", false, "holdout_gain_below_margin"],
      ["bgnbd", false, "holdout_not_better"],
    ]);
    expect(fits[1].holdout_gain).toBeGreaterThan(0);
    expect(fits[1].holdout_gain).toBeLessThan(0.02);
  });
});

describe("predictCustomers", () => {
  it("uses the model for P(alive) and expected purchases when there is one", () => {
    const rows: SummaryRow[] = [
      { customer_id: "x", frequency: 26, recency: 30.857, T: 31, monetary_value: 0, orders: 27, revenue: 270 },
    ];
    const model = purchaseModel("bgnbd", { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 });
    // 12 months of weeks = 52.178571 weeks, so a bit more than the published 25.75659 for 52 weeks
    const [r] = predictCustomers(rows, model, null, {
      margin: 1,
      discountRateAnnual: 0,
      horizonMonths: 12,
      periodDays: 7,
    });
    expect(r.model).toBe("bgnbd");
    expect(r.p_alive).toBeCloseTo(0.9688523, 5);
    expect(r.expected_purchases).toBeGreaterThan(25.75659);
    expect(r.expected_purchases).toBeLessThan(25.75659 + 0.2);
    // no spend model, no repeat spend: average order value 270/27 = 10; undiscounted CLV = 10 * expected purchases
    expect(r.expected_avg_spend).toBe(10);
    expect(r.clv).toBeCloseTo(10 * r.expected_purchases, 9);
  });
});

describe("value_matrix (hand-computed)", () => {
  // margin 1, no discount: each customer's discount profile D = clv / (spend * purchases) = 1, flat factor also 1.
  // steel (5 members >= MIN_PEERS): purchases 1..5, spend 10, clv 10..50 -> Q75 purchases: sorted [1,2,3,4,5], h=3 -> 4;
  //   Q75 spend 10. potential: s1..s4 -> 4*10 = 40 (growth 30, 20, 10, 0); s5 -> 5*10 = 50 (growth 0).
  // o1 (industry 'tiny' has 1 member, no region) and o2 (nothing) use all 7 customers:
  //   purchases sorted [0,0,1,2,3,4,5], h = 6*0.75 = 4.5 -> 3.5; spend sorted [0,10,10,10,10,10,100] -> 10.
  //   o1: 3.5 * max(100, 10) * 1 = 350 (growth 350); o2: 3.5 * 10 * 1 = 35 (growth 35).
  // medians: current [0,0,10,20,30,40,50] -> 20; growth [0,0,10,20,30,35,350] -> 20; "high" is strictly above.
  //   s1 (10, 30) II; s2 (20, 20) I; s3 (30, 10) III; s4 (40, 0) III; s5 (50, 0) III; o1 (0, 350) II; o2 (0, 35) II.
  const steel = [1, 2, 3, 4, 5].map((k) => ({
    customer_id: `s${k}`,
    clv: 10 * k,
    expected_purchases: k,
    expected_avg_spend: 10,
    industry: "steel",
    region: "north",
    p_alive: null,
  }));
  const others = [
    {
      customer_id: "o1",
      clv: 0,
      expected_purchases: 0,
      expected_avg_spend: 100,
      industry: "tiny",
      region: null,
      p_alive: null,
    },
    {
      customer_id: "o2",
      clv: 0,
      expected_purchases: 0,
      expected_avg_spend: 0,
      industry: null,
      region: null,
      p_alive: null,
    },
  ];
  const options = { margin: 1, discountRateAnnual: 0, horizonMonths: 12 };

  it("uses the peer group's upper quartile and median thresholds", () => {
    const rows = buildValueMatrix([...steel, ...others], options);
    const by = Object.fromEntries(rows.map((r) => [r.customer_id, r]));
    expect(rows.map((r) => [r.customer_id, r.quadrant])).toEqual([
      ["s1", "II"],
      ["s2", "I"],
      ["s3", "III"],
      ["s4", "III"],
      ["s5", "III"],
      ["o1", "II"],
      ["o2", "II"],
    ]);
    expect([1, 2, 3, 4, 5].map((k) => by[`s${k}`].growth_potential)).toEqual([30, 20, 10, 0, 0]);
    expect(by.s1.peer_group).toBe("industry:steel");
    expect(by.o1.peer_group).toBe("all");
    expect(by.o1.growth_potential).toBeCloseTo(350, 9);
    expect(by.o2.growth_potential).toBeCloseTo(35, 9);
    expect(by.s2.strategy_en).toMatch(/lowest cost/);
    expect(by.s1.strategy_zh).toMatch(/开发/);
  });

  it("honours configured thresholds", () => {
    // currentValue 5, growthPotential 15: s1 (10, 30) IV; s2 (20, 20) IV; s3..s5 III; o1 (0, 350) II; o2 (0, 35) II
    const rows = buildValueMatrix([...steel, ...others], {
      ...options,
      thresholds: { currentValue: 5, growthPotential: 15 },
    });
    expect(rows.map((r) => r.quadrant)).toEqual(["IV", "IV", "III", "III", "III", "II", "II"]);
  });

  it("region is the peer group when the industry group is too small", () => {
    // five customers in region 'east' with distinct industries: Q75 of purchases [1..5] = 4, spend 10
    const east = [1, 2, 3, 4, 5].map((k) => ({
      customer_id: `e${k}`,
      clv: 10 * k,
      expected_purchases: k,
      expected_avg_spend: 10,
      industry: `i${k}`,
      region: "east",
      p_alive: null,
    }));
    const rows = buildValueMatrix(east, options);
    expect(rows.map((r) => r.peer_group)).toEqual(Array(5).fill("region:east"));
    expect(rows.map((r) => r.growth_potential)).toEqual([30, 20, 10, 0, 0]);
  });

  it("weights the uplift by P(alive): a customer who is almost surely gone has almost no potential", () => {
    // Five peers in 'paper' (margin 1, no discount, so D = 1). Expected purchases are conditional (P(alive) x purchases
    // if alive): p1..p4 are alive for sure with 1..4 purchases; g1 has P(alive) 0.05 and 0.2 expected purchases, i.e.
    // 4 if alive. Purchases if alive: [1, 2, 3, 4, 4] -> Q75 (h = 3) = 4; spend 10 everywhere.
    //   p1: 1 x 10 x 4 = 40 - 10 = 30; p2: 20; p3: 10; p4: 0.
    //   g1: current 0.05 x 10 x 4 = 2; potential 0.05 x 10 x max(4, 4) = 2 -> growth 0 (unweighted it would be 38).
    // A second gone customer g2 (P(alive) 0.1, 0.1 expected = 1 if alive, clv 1): potential 0.1 x 10 x 4 = 4 -> growth 3.
    const paper = [1, 2, 3, 4].map((k) => ({
      customer_id: `p${k}`,
      clv: 10 * k,
      expected_purchases: k,
      expected_avg_spend: 10,
      industry: "paper",
      region: null,
      p_alive: 1,
    }));
    const gone = [
      {
        customer_id: "g1",
        clv: 2,
        expected_purchases: 0.2,
        expected_avg_spend: 10,
        industry: "paper",
        region: null,
        p_alive: 0.05,
      },
      {
        customer_id: "g2",
        clv: 1,
        expected_purchases: 0.1,
        expected_avg_spend: 10,
        industry: "paper",
        region: null,
        p_alive: 0.1,
      },
    ];
    const rows = buildValueMatrix([...paper, ...gone], options);
    const by = Object.fromEntries(rows.map((r) => [r.customer_id, r]));
    // purchases if alive [1, 2, 3, 4, 4, 1] -> sorted [1, 1, 2, 3, 4, 4], h = 3.75 -> 3 + 0.75 x 1 = 3.75
    expect([1, 2, 3, 4].map((k) => by[`p${k}`].growth_potential)).toEqual([27.5, 17.5, 7.5, 0]);
    expect(by.g1.growth_potential).toBeCloseTo(0, 12);
    expect(by.g2.growth_potential).toBeCloseTo(0.1 * 10 * 3.75 - 1, 12);
    expect(by.g1.potential_clv).toBeCloseTo(2, 12);
    expect(by.g1.p_alive).toBe(0.05);
  });

  it("quantile interpolates linearly", () => {
    expect(quantile([0, 0, 1, 2, 3, 4, 5], 0.75)).toBe(3.5);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
  });
});
