/**
 * The issue-13 steps (checkSteps.ts) on small hand-made inputs, fast enough for mutation testing: a model_fit table
 * written by the test (which models converged, which one is selected) over 300 simulated customers (BG/NBD and
 * Gamma-Gamma processes, seeded), plus customers the steps must leave out (NULL frequency) or whose spend the
 * Gamma-Gamma data must skip (no repeat spend, NULL spend). Expected values: closed forms by hand (BG/NBD and
 * MBG/NBD P(X(t) = 0) and P(alive), Batislam et al. 2007), counts of the fixture, and for the wiring of the
 * uncertainty and interval steps the public functions of uncertainty.ts / clvInterval.ts called on rows the test
 * builds itself (those functions have their own reference tests).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { parseConfig, type KehuConfig } from "../../src/data/config.ts";
import { CLV_INTERVAL_DRAWS, CLV_INTERVAL_LEVEL, modelCheckSteps } from "../../src/pipelines/clv/checkSteps.ts";
import { fitPurchaseModels, fitSpendModel, type SummaryRow } from "../../src/pipelines/clv/steps.ts";
import { spendRows, weightedRows } from "../../src/pipelines/clv/models.ts";
import { drawParameters, parameterUncertainty, type Params } from "../../src/pipelines/clv/uncertainty.ts";
import { clvIntervals } from "../../src/pipelines/clv/clvInterval.ts";
import { createSummary, simulatedSummaryRows } from "../helpers/clvDb.ts";

const FIT_SQL = "model varchar, params varchar, converged boolean, selected boolean";

interface Fit {
  model: string;
  params: Params | null;
  converged: boolean;
  selected: boolean;
}

let db: Db;
/** The customers the steps read (frequency, recency and T not NULL), in customer_id order. */
let rows: SummaryRow[];
let fitted: Record<"bgnbd" | "mbgnbd" | "gammagamma", Params>;

// 300 simulated customers c000..c299, then: a repeat buyer without spend (monetary 0), one with NULL spend (both
// left out of the Gamma-Gamma data), and one with NULL frequency and the largest T (left out of every step).
beforeAll(async () => {
  // columns: customer_id, orders, revenue, frequency, recency, T, monetary_value
  const summary = simulatedSummaryRows(300, 7);
  summary.push(["c300", 4, 0, 3, 20, 35, 0], ["c301", 3, 60, 2, 10, 30, null], ["c302", 5, 50, null, 3, 80, 10]);
  db = await openDatabase(":memory:");
  await createSummary(
    db,
    summary.map(([id, orders, revenue, ...rest]) => [id, null, null, orders, revenue, null, ...rest]),
  );
  rows = summary
    .filter((r) => r[3] !== null)
    .map((r) => ({
      customer_id: r[0] as string,
      orders: r[1] as number,
      revenue: r[2] as number,
      frequency: r[3] as number,
      recency: r[4] as number,
      T: r[5] as number,
      monetary_value: (r[6] as number | null) ?? 0,
    }));
  const fits = fitPurchaseModels(rows, ["bgnbd", "mbgnbd"]);
  const spend = fitSpendModel(rows);
  expect([...fits, spend].every((f) => f.converged)).toBe(true);
  fitted = {
    bgnbd: fits[0].params as Params,
    mbgnbd: fits[1].params as Params,
    gammagamma: spend.params as Params,
  };
});
afterAll(async () => db?.close());

function configWith(analysis: Record<string, unknown> = {}): KehuConfig {
  return parseConfig({
    sources: { transactions: { files: "x.csv" } },
    analysis: { horizonMonths: 6, discountRateAnnual: 0.12, margin: 0.4, period: "week", ...analysis },
  });
}

/** model_fit as given (only the columns the steps read), then the named step of modelCheckSteps(config). */
async function runStep(name: string, fits: Fit[], config = configWith()) {
  await db.exec(`create or replace table model_fit (${FIT_SQL})`);
  await db.insertRows(
    "model_fit",
    ["model", "params", "converged", "selected"],
    fits.map((f) => [f.model, f.params ? JSON.stringify(f.params) : null, f.converged, f.selected]),
  );
  const steps = modelCheckSteps(config);
  const step = steps.find((s) => s.name === name)!;
  // its other inputs first (customer_clv_interval reads the covariance model_uncertainty stored)
  for (const input of step.dependsOn) await steps.find((s) => s.name === input)?.run(db);
  await step.run(db);
  return db.all<Record<string, unknown>>(`select * from ${name}`);
}

/** The usual model_fit: BG/NBD and Gamma-Gamma converged, MBG/NBD converged and selected, Pareto/NBD not converged. */
const usualFits = (): Fit[] => [
  { model: "bgnbd", params: fitted.bgnbd, converged: true, selected: false },
  // (model_fit marks the spend model it uses selected too: it must never be taken for the purchase model)
  { model: "gammagamma", params: fitted.gammagamma, converged: true, selected: true },
  { model: "mbgnbd", params: fitted.mbgnbd, converged: true, selected: true },
  { model: "pnbd", params: { r: 1, alpha: 1, s: 1, beta: 1 }, converged: false, selected: false },
];

/** BG/NBD P(X(t) = 0) = (alpha / (alpha + t))^r; MBG/NBD adds the dropout at time 0 (Batislam et al. 2007). */
const noPurchase = (model: string, { r, alpha, a, b }: Params, t: number) => {
  const none = (alpha / (alpha + t)) ** r;
  return model === "bgnbd" ? none : (b / (a + b)) * none + a / (a + b);
};

/** MBG/NBD P(alive | x, t_x, T) = 1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x)) (Batislam et al. 2007). */
const mbgAlive = ({ r, alpha, a, b }: Params, x: number, tx: number, T: number) =>
  1 / (1 + (a / (b + x)) * ((alpha + T) / (alpha + tx)) ** (r + x));

describe("the steps", () => {
  it("each reads customer_summary and model_fit (the interval model_uncertainty too) and names checkSteps.ts as its file", () => {
    for (const s of modelCheckSteps(configWith())) {
      const after = s.name === "customer_clv_interval" ? ["model_uncertainty"] : [];
      expect(s.dependsOn).toEqual(["customer_summary", "model_fit", ...after]);
      expect(s.file).toMatch(/checkSteps\.ts$/);
    }
  });
});

describe("purchase_count_forecast", () => {
  it("is the selected purchase model's distribution for as many new customers as the summary has", async () => {
    const out = await runStep("purchase_count_forecast", usualFits());
    expect(out.map((r) => r.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10+"]);
    expect(out.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const t = (6 * 365.25) / 12 / 7; // 6 months in weeks
    for (const r of out) {
      expect(r).toMatchObject({ model: "mbgnbd", customers: 302, period: "week" });
      expect(r.horizon_periods).toBeCloseTo(t, 12);
      expect(r.expected_customers).toBeCloseTo(302 * (r.probability as number), 9);
    }
    expect(out[0].probability).toBeCloseTo(noPurchase("mbgnbd", fitted.mbgnbd, t), 12);
    expect(out.reduce((s, r) => s + (r.probability as number), 0)).toBeCloseTo(1, 12);
  });

  it("counts the horizon in the configured period (month: horizonMonths periods; day)", async () => {
    const fits = usualFits().map((f) => ({ ...f, selected: f.model === "bgnbd" }));
    const monthly = await runStep("purchase_count_forecast", fits, configWith({ period: "month", horizonMonths: 9 }));
    expect(monthly[0]).toMatchObject({ model: "bgnbd", period: "month" });
    expect(monthly[0].horizon_periods).toBeCloseTo(9, 12);
    expect(monthly[0].probability).toBeCloseTo(noPurchase("bgnbd", fitted.bgnbd, 9), 12);
    const daily = await runStep("purchase_count_forecast", fits, configWith({ period: "day", horizonMonths: 12 }));
    expect(daily[0].horizon_periods).toBeCloseTo(365.25, 12);
    expect(daily[0].period).toBe("day");
  });

  it("is empty without a selected purchase model (a selected spend model is not one)", async () => {
    const fits = usualFits().map((f) => ({ ...f, selected: f.model === "gammagamma" }));
    expect(await runStep("purchase_count_forecast", fits)).toEqual([]);
  });
});

describe("model_checks", () => {
  it("compares the fixture's repeat counts with each converged purchase model's", async () => {
    const out = await runStep("model_checks", usualFits());
    expect([...new Set(out.map((r) => r.model))]).toEqual(["bgnbd", "mbgnbd"]);
    const actual = Array.from({ length: 8 }, (_, k) => rows.filter((r) => Math.min(7, r.frequency) === k).length);
    for (const model of ["bgnbd", "mbgnbd"] as const) {
      const m = out.filter((r) => r.model === model);
      expect(m.map((r) => r.repeat_count)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(m.map((r) => r.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7+"]);
      expect(m.map((r) => r.actual)).toEqual(actual);
      const none = rows.reduce((s, r) => s + noPurchase(model, fitted[model], r.T), 0);
      expect(m[0].expected).toBeCloseTo(none, 9);
      expect(m.reduce((s, r) => s + (r.expected as number), 0)).toBeCloseTo(302, 9);
      const chiSquare = m.reduce(
        (s, r) => s + ((r.actual as number) - (r.expected as number)) ** 2 / (r.expected as number),
        0,
      );
      const gap = Math.max(...m.map((r) => Math.abs((r.actual as number) - (r.expected as number)) / 302));
      for (const r of m) {
        expect(r.chi_square).toBeCloseTo(chiSquare, 9);
        expect(r.max_share_gap).toBeCloseTo(gap, 12);
        expect(r.degrees_of_freedom).toBe(3); // 8 classes - 1 - 4 parameters
        expect(["good", "fair", "poor"]).toContain(r.verdict);
      }
    }
  });
});

describe("model_surfaces", () => {
  it("is the selected model's P(alive) grid over frequency 0..max x whole recencies 0..max T", async () => {
    const out = await runStep("model_surfaces", usualFits());
    const maxF = Math.max(...rows.map((r) => r.frequency));
    const maxT = Math.max(...rows.map((r) => r.T));
    expect(out).toHaveLength(1 + maxF * (Math.floor(maxT) + 1));
    expect(out.every((r) => r.model === "mbgnbd" && r.T === maxT && r.period === "week")).toBe(true);
    const cell = (f: number, rec: number) => out.find((r) => r.frequency === f && r.recency === rec)!;
    expect(cell(0, 0).p_alive).toBeCloseTo(mbgAlive(fitted.mbgnbd, 0, 0, maxT), 12);
    expect(cell(2, 10).p_alive).toBeCloseTo(mbgAlive(fitted.mbgnbd, 2, 10, maxT), 12);
    expect(cell(maxF, 3).p_alive).toBeCloseTo(mbgAlive(fitted.mbgnbd, maxF, 3, maxT), 12);
    expect(out.every((r) => (r.expected_next_period as number) > 0)).toBe(true);
  });

  it("is empty without a selected purchase model, and in days with period day", async () => {
    const fits = usualFits().map((f) => ({ ...f, selected: f.model === "gammagamma" }));
    expect(await runStep("model_surfaces", fits)).toEqual([]);
    const daily = await runStep("model_surfaces", usualFits(), configWith({ period: "day" }));
    expect(daily.every((r) => r.period === "day")).toBe(true);
  });
});

/** The Hessian data as the test builds it: one weighted row per customer (purchase), repeat buyers with spend (spend). */
function uncertaintyData(model: string) {
  if (model === "gammagamma") {
    const spenders = rows.filter((r) => r.frequency > 0 && r.monetary_value > 0);
    const ones = new Float64Array(spenders.length).fill(1);
    return spendRows(
      Float64Array.from(spenders, (r) => r.frequency),
      Float64Array.from(spenders, (r) => r.monetary_value),
      ones,
    );
  }
  return weightedRows(
    rows.map((r) => r.frequency),
    rows.map((r) => r.recency),
    rows.map((r) => r.T),
    rows.map(() => 1),
  );
}

describe("model_uncertainty", () => {
  it("has each converged model's parameters with standard errors from its own data and 95% log-scale intervals", async () => {
    const out = await runStep("model_uncertainty", usualFits());
    expect(out.map((r) => `${r.model}.${r.param}`)).toEqual([
      ...["r", "alpha", "a", "b"].map((p) => `bgnbd.${p}`),
      ...["p", "q", "gamma"].map((p) => `gammagamma.${p}`),
      ...["r", "alpha", "a", "b"].map((p) => `mbgnbd.${p}`),
    ]);
    for (const model of ["bgnbd", "gammagamma", "mbgnbd"] as const) {
      const u = parameterUncertainty(model, fitted[model], uncertaintyData(model) as never);
      for (const r of out.filter((r) => r.model === model)) {
        const k = r.param as string;
        expect(r.estimate).toBe(fitted[model][k]);
        expect(r.se as number).toBeGreaterThan(0);
        expect((r.se as number) / u.se[k]).toBeCloseTo(1, 6);
        // exp(log theta +- 1.96 se(log theta)), se(log theta) = se / theta
        const seLog = (r.se as number) / (r.estimate as number);
        expect(r.ci_low as number).toBeCloseTo((r.estimate as number) * Math.exp(-1.959963984540054 * seLog), 9);
        expect(r.ci_high as number).toBeCloseTo((r.estimate as number) * Math.exp(1.959963984540054 * seLog), 9);
      }
    }
  });

  it("writes NULL standard errors and intervals where the information is not positive definite", async () => {
    // far from the MLE (a tiny, hardly identified dropout): no proper maximum
    const saddle = { r: 0.25, alpha: 4, a: 1e-6, b: 1e6 };
    expect(parameterUncertainty("bgnbd", saddle, uncertaintyData("bgnbd") as never).positiveDefinite).toBe(false);
    const out = await runStep("model_uncertainty", [
      { model: "bgnbd", params: saddle, converged: true, selected: true },
    ]);
    expect(out).toHaveLength(4);
    expect(out.every((r) => r.se === null && r.ci_low === null && r.ci_high === null)).toBe(true);
    expect(out.map((r) => r.estimate)).toEqual([0.25, 4, 1e-6, 1e6]);
  });
});

describe("customer_clv_interval", () => {
  const options = { margin: 0.4, discountRateAnnual: 0.12, horizonMonths: 6, periodDays: 7 };
  const draws = (model: "mbgnbd" | "gammagamma", seed: number) => {
    const u = parameterUncertainty(model, fitted[model], uncertaintyData(model) as never);
    return drawParameters(u.names, u.estimate, u.covarianceLog!, CLV_INTERVAL_DRAWS, seed);
  };

  it("is the seeded bootstrap of the selected model and Gamma-Gamma, one row per customer", async () => {
    const out = await runStep("customer_clv_interval", usualFits());
    expect(CLV_INTERVAL_LEVEL).toBe(0.9);
    const reference = clvIntervals(rows, "mbgnbd", draws("mbgnbd", 13), fitted.gammagamma as never, options, {
      level: 0.9,
      spendDraws: draws("gammagamma", 14),
    });
    expect(out.map((r) => r.customer_id)).toEqual(rows.map((r) => r.customer_id));
    const columns = ["clv_low", "clv_high", "expected_low", "expected_high"] as const;
    for (const [i, r] of out.entries())
      for (const c of columns) expect((r[c] as number) / (reference[i][c] as number)).toBeCloseTo(1, 6);
    expect(out.every((r) => (r.clv_high as number) > (r.clv_low as number))).toBe(true);
  });

  it("holds the spend at customer_clv's without a converged spend model, or with one of infinite mean (q <= 1)", async () => {
    const reference = clvIntervals(rows, "mbgnbd", draws("mbgnbd", 13), null, options, { level: 0.9 });
    const infiniteMean: Fit = {
      model: "gammagamma",
      params: { p: 6, q: 0.9, gamma: 15 },
      converged: true,
      selected: true,
    };
    const withoutSpend = usualFits().filter((f) => f.model !== "gammagamma");
    for (const fits of [withoutSpend, [...withoutSpend, infiniteMean]]) {
      const out = await runStep("customer_clv_interval", fits);
      expect(out).toHaveLength(reference.length);
      for (const [i, r] of out.entries()) {
        expect(r.customer_id).toBe(reference[i].customer_id);
        expect((r.clv_high as number) / (reference[i].clv_high as number)).toBeCloseTo(1, 6);
        expect((r.expected_low as number) / (reference[i].expected_low as number)).toBeCloseTo(1, 6);
      }
    }
    // its scratch table is dropped
    const tables = await db.all<{ name: string }>("select table_name as name from duckdb_tables() order by 1");
    expect(tables.map((t) => t.name)).toContain("customer_clv_interval");
    expect(tables.filter((t) => t.name.startsWith("kehu_"))).toEqual([]);
  });

  it("is NULL for every customer without a selected purchase model or without a covariance", async () => {
    const none = usualFits().map((f) => ({ ...f, selected: f.model === "gammagamma" }));
    const saddle: Fit = {
      model: "bgnbd",
      params: { r: 0.25, alpha: 4, a: 1e-6, b: 1e6 },
      converged: true,
      selected: true,
    };
    for (const fits of [none, [saddle]]) {
      const out = await runStep("customer_clv_interval", fits);
      expect(out.map((r) => r.customer_id)).toEqual(rows.map((r) => r.customer_id));
      expect(
        out.every(
          (r) => r.clv_low === null && r.clv_high === null && r.expected_low === null && r.expected_high === null,
        ),
      ).toBe(true);
    }
  });
});
