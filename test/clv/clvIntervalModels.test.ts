/**
 * clvIntervals where clvIntervalExact.test.ts does not go: Pareto/NBD (its closed-form expectation if alive and its
 * P(alive) from two 2F1 terms per history), the historical spend without a spend model (own repeat spend, else
 * average order value, else the population's mean order value, never negative), another level, and more histories
 * than are held at once. The reference is the bootstrap written out customer by customer and draw by draw with the
 * models' own pAlive, conditionalExpected and computeClv, and the spend rules by hand; behaviour only.
 */
import { describe, expect, it } from "vitest";
import { gammaGammaConditionalSpend, type PurchaseModelName } from "../../src/pipelines/clv/models.ts";
import { drawParameters, type Params } from "../../src/pipelines/clv/uncertainty.ts";
import { clvIntervals } from "../../src/pipelines/clv/clvInterval.ts";
import type { SummaryRow } from "../../src/pipelines/clv/steps.ts";
import { simulateCustomers } from "./simulate.ts";
import { bootstrapIntervals, INTERVAL_COVARIANCE, INTERVAL_OPTIONS } from "../helpers/bootstrap.ts";

const options = INTERVAL_OPTIONS;

/** The interval columns of each customer, by the bootstrap written out (test/helpers/bootstrap.ts). */
const reference = (
  customers: SummaryRow[],
  name: PurchaseModelName,
  draws: Params[],
  spendOf: (c: SummaryRow, k: number) => number,
  level: number,
  ifAliveOf?: (draw: Params, c: SummaryRow) => (t: number) => number,
) => bootstrapIntervals(customers, name, draws, spendOf, level, options, ifAliveOf);

function expectClose(actual: ReturnType<typeof clvIntervals>, expected: number[][]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((r, i) => {
    const got = [r.clv_low, r.clv_high, r.expected_low, r.expected_high] as number[];
    got.forEach((v, j) => {
      const want = expected[i][j];
      expect(Math.abs(v - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    });
  });
}

const sim = simulateCustomers(300, { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, { p: 6, q: 4, gamma: 16 }, { seed: 5 });
// whole-week histories (shared ones), refund-only averages, customers without orders or without revenue
const customers: SummaryRow[] = Array.from(sim.x, (x, i) => ({
  customer_id: String(i),
  frequency: x,
  recency: Math.round(sim.tx[i]),
  T: Math.round(sim.T[i]),
  monetary_value: x > 0 ? (i % 13 === 0 ? -5 : Math.round(sim.m[i])) : 0,
  orders: i % 11 === 0 ? 0 : x + 1,
  revenue: i % 7 === 0 ? -3 : 12 * (x + 1) + (i % 5),
}));

/** Historical spend by hand: own repeat spend, else average order value, else the population's mean order value. */
function historicalSpend(all: SummaryRow[]): (c: SummaryRow) => number {
  const withOrders = all.filter((c) => c.orders > 0);
  const mean = Math.max(0, withOrders.reduce((s, c) => s + c.revenue / c.orders, 0) / withOrders.length);
  return (c) => {
    const v =
      c.frequency > 0 && c.monetary_value > 0
        ? c.monetary_value
        : c.orders > 0 && c.revenue > 0
          ? c.revenue / c.orders
          : mean;
    // biome-ignore lint/complexity/useMathMinMax: a NaN spend counts as 0 (Math.max would keep NaN)
    return v > 0 ? v : 0;
  };
}

describe("clvIntervals against the bootstrap customer by customer", () => {
  it("pnbd, with the historical spend (no spend model)", () => {
    const params = { r: 0.55, alpha: 10.5, s: 0.6, beta: 11.7 };
    const covariance = INTERVAL_COVARIANCE;
    const draws = drawParameters(["r", "alpha", "s", "beta"], params, covariance, 30, 4);
    const fast = clvIntervals(customers, "pnbd", draws, null, options, { level: 0.9 });
    expectClose(fast, reference(customers, "pnbd", draws, historicalSpend(customers), 0.9));
    expect(fast.every((r) => (r.expected_high as number) > (r.expected_low as number))).toBe(true);
  });

  it("mbgnbd at level 0.5, historical spend", () => {
    const params = { r: 0.3, alpha: 5, a: 0.9, b: 2.8 };
    const covariance = [
      [0.02, 0, 0, 0],
      [0, 0.02, 0, 0],
      [0, 0, 0.02, 0.005],
      [0, 0, 0.005, 0.03],
    ];
    const draws = drawParameters(["r", "alpha", "a", "b"], params, covariance, 25, 6);
    const fast = clvIntervals(customers, "mbgnbd", draws, null, options, { level: 0.5 });
    expectClose(fast, reference(customers, "mbgnbd", draws, historicalSpend(customers), 0.5));
  });

  const many: SummaryRow[] = Array.from({ length: 5000 }, (_, i) => ({
    customer_id: String(i),
    frequency: 1 + (i % 4),
    recency: (i % 1250) / 50,
    T: 26 + Math.floor(i / 1250),
    monetary_value: 20,
    orders: 2 + (i % 4),
    revenue: 20 * (2 + (i % 4)),
  }));
  const diagonal = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (i === j ? 0.01 : 0)));
  const manyCases: [PurchaseModelName, Params][] = [
    ["bgnbd", { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }],
    ["pnbd", { r: 0.55, alpha: 10.5, s: 0.6, beta: 11.7 }],
  ];
  for (const [name, params] of manyCases) {
    it(`${name} over more histories than are held at once (5,000 distinct)`, () => {
      const draws = drawParameters(Object.keys(params), params, diagonal, 3, 8);
      const fast = clvIntervals(many, name, draws, null, options, { level: 0.9 });
      expectClose(
        fast,
        reference(many, name, draws, () => 20, 0.9),
      );
    });
  }

  it("pnbd at s = 1 exactly: the expectation if alive is its limit (r + x) / (alpha + T) (beta + T) ln((beta + T + t) / (beta + T))", () => {
    const draws = [
      { r: 0.55, alpha: 10.5, s: 1, beta: 11.7 },
      { r: 0.6, alpha: 9.5, s: 1, beta: 12.5 },
    ];
    const ifAlive =
      ({ r, alpha, beta }: Params, c: SummaryRow) =>
      (t: number) =>
        ((r + c.frequency) / (alpha + c.T)) * (beta + c.T) * Math.log((beta + c.T + t) / (beta + c.T));
    const fast = clvIntervals(customers, "pnbd", draws, null, options, { level: 0.9 });
    expectClose(fast, reference(customers, "pnbd", draws, historicalSpend(customers), 0.9, ifAlive));
  });

  it("with spend draws: the draw's conditional spend, the mean without repeat spend, 0 where a draw's mean is negative", () => {
    // repeat buyers without spend (monetary 0 or a refund-only average) take each draw's mean; a draw with q < 1
    // (possible when q is near 1 and uncertain) has a negative "mean" p gamma / (q - 1): its spend counts as 0
    const withZeros = customers.map((c, i) => (c.frequency > 0 && i % 4 === 0 ? { ...c, monetary_value: 0 } : c));
    const params = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
    const covariance = [
      [0.01, 0, 0, 0],
      [0, 0.01, 0, 0],
      [0, 0, 0.01, 0],
      [0, 0, 0, 0.01],
    ];
    const draws = drawParameters(["r", "alpha", "a", "b"], params, covariance, 20, 12);
    const spendDraws = Array.from({ length: 20 }, (_, k) => ({ p: 6, q: k % 5 === 0 ? 0.8 : 3 + k / 10, gamma: 15 }));
    const spendOf = (c: SummaryRow, k: number) => {
      const v = gammaGammaConditionalSpend(spendDraws[k], c.monetary_value > 0 ? c.frequency : 0, c.monetary_value);
      // biome-ignore lint/complexity/useMathMinMax: a NaN spend counts as 0 (Math.max would keep NaN)
      return v > 0 ? v : 0;
    };
    const fast = clvIntervals(withZeros, "bgnbd", draws, { p: 6, q: 4, gamma: 15 }, options, {
      level: 0.9,
      spendDraws,
    });
    expectClose(fast, reference(withZeros, "bgnbd", draws, spendOf, 0.9));
  });
});
