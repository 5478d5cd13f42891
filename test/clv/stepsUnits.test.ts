/**
 * steps.ts's pure parts on hand-made inputs with hand-computed results (no fits of real size, so the file also
 * serves mutation testing): the minimum-data rules of the fits and their messages, the fallback rate prior,
 * predictCustomers with margin < 1, annual discounting and a stub purchase model whose cumulative expectation is
 * linear (so the CLV is a geometric sum done by hand), the spend fallbacks, and selectedModels.
 */
import { describe, expect, it } from "vitest";
import type { PurchaseModel } from "../../src/pipelines/clv/models.ts";
import {
  MIN_CUSTOMERS,
  MIN_REPEAT_CUSTOMERS,
  MIN_SPEND_CUSTOMERS,
  PERIOD_DAYS,
  fallbackRatePrior,
  fitOptionsFor,
  fitPurchaseModels,
  fitSpendModel,
  predictCustomers,
  predictOptionsFor,
  selectedModels,
  spendValueOf,
  type SummaryRow,
} from "../../src/pipelines/clv/steps.ts";
import { parseConfig } from "../../src/data/config.ts";

const row = (customer_id: string, over: Partial<SummaryRow> = {}): SummaryRow => ({
  customer_id,
  frequency: 0,
  recency: 0,
  T: 10,
  monetary_value: 0,
  orders: 1,
  revenue: 10,
  ...over,
});

describe("the fits' minimum data", () => {
  it("are 10 customers, 3 of them repeat buyers, and 10 repeat buyers with a positive spend", () => {
    expect([MIN_CUSTOMERS, MIN_REPEAT_CUSTOMERS, MIN_SPEND_CUSTOMERS]).toEqual([10, 3, 10]);
    expect(PERIOD_DAYS).toEqual({ day: 1, week: 7, month: 365.25 / 12 });
  });

  it("below them every model is recorded as not fitted, with the counts in the message", () => {
    // 9 customers, 9 repeaters: too few customers
    const nine = Array.from({ length: 9 }, (_, i) => row(`c${i}`, { frequency: 1, recency: 5 }));
    const fits = fitPurchaseModels(nine);
    expect(fits.map((f) => f.model)).toEqual(["bgnbd", "pnbd", "mbgnbd"]);
    for (const f of fits) {
      expect(f).toMatchObject({ converged: false, nCustomers: 9, iterations: 0, seconds: 0, params: {} });
      expect(f.logLikelihood).toBeNaN();
      expect(f.bic).toBeNaN();
      expect(f.message).toBe("too few customers to fit: 9 customers, 9 with repeat purchases (need >= 10 and >= 3)");
    }
    // 12 customers, 2 repeaters: too few repeaters (only the named model)
    const twelve = Array.from({ length: 12 }, (_, i) => row(`c${i}`, i < 2 ? { frequency: 2, recency: 6 } : {}));
    const [bg] = fitPurchaseModels(twelve, ["bgnbd"]);
    expect(bg.model).toBe("bgnbd");
    expect(bg.message).toBe("too few customers to fit: 12 customers, 2 with repeat purchases (need >= 10 and >= 3)");
  });

  it("Gamma-Gamma counts only repeat buyers with a positive, finite average spend", () => {
    const rows = [
      ...Array.from({ length: 9 }, (_, i) => row(`s${i}`, { frequency: 2, monetary_value: 20 + i })),
      row("refund", { frequency: 3, monetary_value: -5 }),
      row("zero", { frequency: 3, monetary_value: 0 }),
      row("inf", { frequency: 3, monetary_value: Infinity }),
      row("once", { frequency: 0, monetary_value: 40 }),
    ];
    const fit = fitSpendModel(rows);
    expect(fit).toMatchObject({ model: "gammagamma", converged: false, nCustomers: 9 });
    expect(fit.message).toBe("too few repeat customers with positive spend to fit: 9 (need >= 10)");
  });

  it("a Gamma-Gamma fit with q <= 1 (infinite mean spend) is not used, and says why", () => {
    // spends from 1 to 1e9 on 20 repeat buyers: a tail so heavy that the fitted q is below 1
    const rows = Array.from({ length: 20 }, (_, i) =>
      row(`s${i}`, { frequency: 1 + (i % 2), monetary_value: 10 ** (i % 10) }),
    );
    const fit = fitSpendModel(rows) as { converged: boolean; message: string; params: { q: number } };
    expect(fit.params.q).toBeLessThanOrEqual(1);
    expect(fit.converged).toBe(false);
    expect(fit.message).toBe(`q = ${fit.params.q.toFixed(3)} <= 1: the population mean spend is infinite; not used`);
  });

  it("at exactly the minimum the models are fitted", () => {
    // 10 customers, 3 repeaters (purchase models); 10 repeat buyers with spend (Gamma-Gamma)
    const rows = Array.from({ length: 10 }, (_, i) =>
      row(`c${i}`, i < 3 ? { frequency: 1 + i, recency: 4 + i, monetary_value: 10 + 5 * i } : {}),
    );
    for (const f of fitPurchaseModels(rows)) expect(f.message).not.toMatch(/too few/);
    const spenders = Array.from({ length: 10 }, (_, i) =>
      row(`s${i}`, { frequency: 1 + (i % 3), monetary_value: 10 + 7 * i }),
    );
    expect(fitSpendModel(spenders).message).not.toMatch(/too few/);
  });
});

describe("fallbackRatePrior", () => {
  it("pools repeat purchases over exposure; its scale is the mean T", () => {
    // repeats 1 + 0 + 3 = 4 over T 10 + 4 + 6 = 20: pooled 0.2; scale 20/3; shape 0.2 * 20/3 = 4/3
    const prior = fallbackRatePrior([
      { frequency: 1, T: 10 },
      { frequency: 0, T: 4 },
      { frequency: 3, T: 6 },
    ]);
    expect(prior.scale).toBeCloseTo(20 / 3, 12);
    expect(prior.shape).toBeCloseTo(4 / 3, 12);
  });

  it("skips rows with a negative or missing T or frequency in the sums (they still count in the mean's n)", () => {
    const prior = fallbackRatePrior([
      { frequency: 2, T: 8 },
      { frequency: 1, T: -1 },
      { frequency: -1, T: 5 },
      { frequency: Number.NaN, T: 5 },
    ]);
    // sums over the first row only: repeats 2, exposure 8; scale 8 / 4 rows = 2; shape 2/8 * 2 = 0.5
    expect(prior).toEqual({ shape: 0.5, scale: 2 });
  });

  it("without rows, or with no exposure, has shape 0 (and a positive scale)", () => {
    expect(fallbackRatePrior([])).toEqual({ shape: 0, scale: 1 });
    expect(fallbackRatePrior([{ frequency: 0, T: 0 }])).toEqual({ shape: 0, scale: 1e-9 });
  });
});

describe("predictCustomers by hand", () => {
  // Weekly periods: 365.25/12/7 = 4.348214 weeks a month; 3 months; margin 0.25; 12% a year, monthly factor
  // d = 1.12^(1/12). A stub model expecting 0.5 purchases a week: each month adds 0.5 * 4.348214 = 2.174107
  // purchases, so CLV = 0.25 * spend * 2.174107 * (1/d + 1/d^2 + 1/d^3).
  const weeksPerMonth = 365.25 / 12 / 7;
  const d = 1.12 ** (1 / 12);
  const discounted = 1 / d + 1 / d ** 2 + 1 / d ** 3;
  const options = { margin: 0.25, discountRateAnnual: 0.12, horizonMonths: 3, periodDays: 7 };
  const calls: number[] = [];
  const stub: PurchaseModel = {
    name: "bgnbd",
    params: { r: 1, alpha: 1, a: 1, b: 1 },
    pAlive: (x) => (x > 0 ? 0.8 : 0.6),
    conditionalExpected: (t) => {
      calls.push(t);
      return 0.5 * t;
    },
    expected: (t) => 0.5 * t,
    // customer_clv's table path (clvTable.ts) splits the expectation; predictCustomers uses conditionalExpected
    conditionalParts: { pairPart: (t) => 0.5 * t, historyPart: () => 1, combine: (u, v) => u / v },
  };

  it("model CLV: the monthly increments of the cumulative expectation, discounted monthly, times margin and spend", () => {
    calls.length = 0;
    const [a, b] = predictCustomers(
      [
        row("a", { frequency: 2, recency: 8, T: 10, monetary_value: 40, orders: 3, revenue: 100 }),
        row("b", { frequency: 2, recency: 8, T: 10, monetary_value: 0, orders: 4, revenue: 60 }),
      ],
      stub,
      null,
      options,
    );
    expect(a).toMatchObject({ customer_id: "a", p_alive: 0.8, model: "bgnbd", spend_model: "historical" });
    expect(a.expected_purchases).toBeCloseTo(0.5 * 3 * weeksPerMonth, 12);
    expect(a.expected_avg_spend).toBe(40); // own average repeat spend
    expect(a.clv).toBeCloseTo(0.25 * 40 * 0.5 * weeksPerMonth * discounted, 10);
    // no repeat spend: revenue / orders = 15
    expect(b.expected_avg_spend).toBe(15);
    expect(b.clv).toBeCloseTo(0.25 * 15 * 0.5 * weeksPerMonth * discounted, 10);
    // the same history twice is computed once: months 1..3 and the horizon
    expect(calls.map((t) => t / weeksPerMonth).map((m) => Math.round(m * 1e9) / 1e9)).toEqual([1, 2, 3, 3]);
  });

  it("Gamma-Gamma spend: the population mean without repeat spend, the weighted mean with it; never negative", () => {
    // p = 2, q = 3, gamma = 10: mean p gamma / (q - 1) = 10; x = 2, zbar = 40: w = 4 / (4 + 2) = 2/3 -> 30
    const gg = { p: 2, q: 3, gamma: 10 };
    const rows = predictCustomers(
      [
        row("a", { frequency: 2, monetary_value: 40 }),
        row("b", { frequency: 2, monetary_value: 0 }),
        row("c", { frequency: 1, monetary_value: -50 }),
      ],
      stub,
      gg,
      options,
    );
    expect(rows.map((r) => r.spend_model)).toEqual(["gammagamma", "gammagamma", "gammagamma"]);
    expect(rows[0].expected_avg_spend).toBeCloseTo(30, 12);
    expect(rows[1].expected_avg_spend).toBeCloseTo(10, 12);
    // a negative average counts as no repeat spend: the population mean
    expect(rows[2].expected_avg_spend).toBeCloseTo(10, 12);
    // different histories get their own prediction (stub: P(alive) 0.8 with repeat purchases, else 0.6)
    expect(predictCustomers([row("x", { frequency: 2 }), row("y")], stub, gg, options).map((r) => r.p_alive)).toEqual([
      0.8, 0.6,
    ]);
    const negative = predictCustomers(
      [row("n", { frequency: 2, monetary_value: -400 })],
      stub,
      { p: 20, q: 3, gamma: 1 },
      options,
    );
    // refund-only average -400 is treated as no repeat spend: mean 20 * 1 / 2 = 10
    expect(negative[0].expected_avg_spend).toBeCloseTo(10, 12);
  });

  it("historical spend: the population's mean order value when a customer has none, and 0 rather than negative", () => {
    // mean order value over customers with orders: (100/4 + (-30)/1) / 2 = -2.5 -> clamped to 0
    const rows = predictCustomers(
      [
        row("a", { frequency: 0, orders: 4, revenue: 100 }),
        row("b", { frequency: 0, orders: 1, revenue: -30 }),
        row("c", { frequency: 0, orders: 0, revenue: 0 }),
      ],
      null,
      null,
      options,
    );
    expect(rows.map((r) => r.expected_avg_spend)).toEqual([25, 0, 0]);
    // a: 25; the b/c rule: revenue <= 0 or no orders -> mean order value (positive case)
    // positive mean: (100/4 + 30/1) / 2 = 27.5 for the customer without orders
    const positive = predictCustomers(
      [
        row("a", { frequency: 0, orders: 4, revenue: 100 }),
        row("b", { frequency: 0, orders: 1, revenue: 30 }),
        row("c", { frequency: 0, orders: 0, revenue: 0 }),
      ],
      null,
      null,
      options,
    );
    expect(positive.map((r) => r.expected_avg_spend)).toEqual([25, 30, 27.5]);
  });

  it("spendValueOf: each rule at its boundary, by hand (population mean order value 7)", () => {
    // without a spend model: own repeat spend (repeat buyers with spend > 0), else the average order value (orders
    // and revenue > 0), else the mean order value; never negative or infinite
    expect(spendValueOf(null, 7, 2, 15, 3, 45)).toBe(15);
    expect(spendValueOf(null, 7, 0, 15, 1, 10)).toBe(10); // no repeat purchase: not monetary_value
    expect(spendValueOf(null, 7, 2, 0, 3, 45)).toBe(15); // no repeat spend: 45 / 3
    expect(spendValueOf(null, 7, 2, -5, 2, -10)).toBe(7); // refunds only
    expect(spendValueOf(null, 7, 0, 0, 0, 10)).toBe(7); // revenue without orders
    expect(spendValueOf(null, 7, 0, 0, 3, 0)).toBe(7); // orders without revenue
    expect(spendValueOf(null, -5, 0, 0, 0, 0)).toBe(0);
    // Gamma-Gamma p 6, q 4, gamma 15: mean 6 x 15 / 3 = 30; x = 2, m = 40: w = 12 / (12 + 3) = 0.8, 0.2 x 30 + 0.8 x 40
    expect(spendValueOf({ p: 6, q: 4, gamma: 15 }, 7, 2, 40, 3, 120)).toBeCloseTo(38, 12);
    expect(spendValueOf({ p: 6, q: 4, gamma: 15 }, 7, 2, -5, 3, 120)).toBeCloseTo(30, 12); // no repeat spend: the mean
    // q = 1: an infinite mean spend counts as 0
    expect(spendValueOf({ p: 6, q: 1, gamma: 15 }, 7, 0, 0, 1, 10)).toBe(0);
  });

  it("without a model: the shrunk historical rate, constant over the horizon, discounted the same way", () => {
    // two customers: repeats 3 over T 10 + 20 = 30: pooled 0.1 a week, scale 15, shape 1.5
    // a: (3 + 1.5) / (10 + 15) = 0.18 a week; b: 1.5 / 35
    const [a, b] = predictCustomers(
      [
        row("a", { frequency: 3, recency: 9, T: 10, monetary_value: 20 }),
        row("b", { frequency: 0, recency: 0, T: 20, orders: 2, revenue: 50 }),
      ],
      null,
      null,
      options,
    );
    expect(a).toMatchObject({ p_alive: null, model: "historical", spend_model: "historical" });
    expect(a.expected_purchases).toBeCloseTo(0.18 * 3 * weeksPerMonth, 12);
    expect(a.clv).toBeCloseTo(0.25 * 20 * 0.18 * weeksPerMonth * discounted, 10);
    expect(b.expected_purchases).toBeCloseTo((1.5 / 35) * 3 * weeksPerMonth, 12);
    expect(b.clv).toBeCloseTo(0.25 * 25 * (1.5 / 35) * weeksPerMonth * discounted, 10);
  });

  it("a customer the model cannot predict (non-finite, negative or throwing) falls back to the historical rate", () => {
    const bad = (value: number | "throw"): PurchaseModel => ({
      ...stub,
      pAlive: () => 0.5,
      conditionalExpected: () => {
        if (value === "throw") throw new Error("no");
        return value;
      },
    });
    for (const v of [Number.NaN, Infinity, -1, "throw"] as const) {
      const [r] = predictCustomers([row("a", { frequency: 1, T: 10 })], bad(v), null, options);
      expect([r.model, r.p_alive]).toEqual(["historical", null]);
    }
    const negativeAlive = { ...stub, pAlive: () => -0.1 };
    expect(predictCustomers([row("a")], negativeAlive, null, options)[0].model).toBe("historical");
    // a value of 0 is a valid prediction
    const zero = { ...stub, pAlive: () => 0, conditionalExpected: () => 0 };
    const [z] = predictCustomers([row("a")], zero, null, options);
    expect([z.model, z.p_alive, z.expected_purchases, z.clv]).toEqual(["bgnbd", 0, 0, 0]);
  });
});

describe("selectedModels and the settings", () => {
  it("reads the selected purchase model and a Gamma-Gamma with a finite mean", () => {
    const { purchase, spend } = selectedModels([
      { model: "gammagamma", params: JSON.stringify({ p: 2, q: 3, gamma: 10 }) },
      { model: "pnbd", params: JSON.stringify({ r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 }) },
    ]);
    expect(purchase?.name).toBe("pnbd");
    expect(purchase?.params).toEqual({ r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 });
    expect(spend).toEqual({ p: 2, q: 3, gamma: 10 });
    // q <= 1: infinite mean spend, not used; rows without params are skipped
    expect(
      selectedModels([
        { model: "bgnbd", params: null },
        { model: "gammagamma", params: JSON.stringify({ p: 2, q: 1, gamma: 10 }) },
      ]),
    ).toEqual({ purchase: null, spend: null });
  });

  it("fit and predict options follow the analysis settings", () => {
    const { analysis } = parseConfig({
      sources: { transactions: { files: "x.csv" } },
      analysis: { penalizer: 0.25, margin: 0.4, discountRateAnnual: 0.07, horizonMonths: 18, period: "day" },
    });
    expect(fitOptionsFor(analysis)).toEqual({ penalizer: 0.25 });
    expect(predictOptionsFor(analysis)).toEqual({
      margin: 0.4,
      discountRateAnnual: 0.07,
      horizonMonths: 18,
      periodDays: 1,
    });
  });
});
