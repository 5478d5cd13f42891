/**
 * customer_clv_interval's fast paths against the plain computation, bit for bit (toBe / Object.is): the intervals
 * from kept order statistics against a full sort, and clvIntervals (P(alive) from log tables, spend draws from
 * tables per draw and x, one interval per customer) against the bootstrap written out customer by customer, draw by
 * draw, with the models' own pAlive, conditionalExpected, computeClv and gammaGammaConditionalSpend.
 */
import { describe, expect, it } from "vitest";
import { gammaGammaConditionalSpend, type PurchaseModelName } from "../../src/pipelines/clv/models.ts";
import {
  drawParameters,
  percentileIntervalInPlace,
  sortedPercentileInterval,
} from "../../src/pipelines/clv/uncertainty.ts";
import { clvIntervals } from "../../src/pipelines/clv/clvInterval.ts";
import { simulateCustomers } from "./simulate.ts";
import { bootstrapIntervals, INTERVAL_COVARIANCE, INTERVAL_OPTIONS } from "../helpers/bootstrap.ts";

/** A small deterministic generator (the test must not depend on Math.random). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe("percentileIntervalInPlace", () => {
  it("gives exactly the sorted interval on random, tied, signed-zero and non-finite values, at every level", () => {
    const rand = lcg(11);
    const kinds: Array<(u: number) => number> = [
      (u) => u * 100 - 20,
      (u) => Math.floor(u * 4), // many ties
      (u) => (u < 0.5 ? -0 : 0),
      (u) => (u < 0.1 ? Number.NaN : u),
      (u) => (u < 0.03 ? Number.POSITIVE_INFINITY : u < 0.06 ? Number.NEGATIVE_INFINITY : u),
    ];
    let cases = 0;
    for (const level of [0.9, 0.5, 0.95, 0.99, 0.1]) {
      for (let t = 0; t < 2000; t++) {
        const n = 1 + Math.floor(rand() * (t % 4 === 0 ? 8 : 260));
        const kind = kinds[t % kinds.length];
        const values = Float64Array.from({ length: n }, () => kind(rand()));
        const sorted = sortedPercentileInterval(Float64Array.from(values).sort(), level);
        const kept = percentileIntervalInPlace(Float64Array.from(values), level);
        expect(Object.is(kept[0], sorted[0]) && Object.is(kept[1], sorted[1]), `${level} ${values.join(",")}`).toBe(
          true,
        );
        cases++;
      }
    }
    expect(cases).toBe(10_000);
    expect(percentileIntervalInPlace(Float64Array.from([1, 2, 3, 4, 5]), 0.5)).toEqual([2, 4]);
    expect(percentileIntervalInPlace(Float64Array.from([Number.NaN]), 0.9)).toEqual([Number.NaN, Number.NaN]);
  });
});

describe("clvIntervals", () => {
  const sim = simulateCustomers(400, { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, { p: 6, q: 4, gamma: 16 }, { seed: 9 });
  // a few shared histories and spends, one-time buyers and a refund-only average (monetary_value <= 0)
  const customers = Array.from(sim.x, (x, i) => ({
    customer_id: String(i),
    frequency: x,
    recency: Math.round(sim.tx[i]),
    T: Math.round(sim.T[i]),
    monetary_value: x > 0 ? (i % 17 === 0 ? -5 : Math.round(sim.m[i])) : 0,
    orders: x + 1,
    revenue: 10 * (x + 1) + (i % 5),
  }));
  const options = INTERVAL_OPTIONS;
  const covariance = INTERVAL_COVARIANCE;
  const spendDraws = drawParameters(
    ["p", "q", "gamma"],
    { p: 6, q: 4, gamma: 16 },
    [
      [0.01, 0.005, 0],
      [0.005, 0.02, 0],
      [0, 0, 0.01],
    ],
    40,
    2,
  );

  for (const name of ["bgnbd", "mbgnbd"] as PurchaseModelName[]) {
    it(`${name}: equals the bootstrap computed customer by customer, with and without spend draws`, () => {
      const params = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
      const draws = drawParameters(["r", "alpha", "a", "b"], params, covariance, 40, 1);
      const spend = { p: 6, q: 4, gamma: 16 };
      for (const withSpendDraws of [false, true]) {
        const fast = clvIntervals(customers, name, draws, spend, options, {
          level: 0.9,
          spendDraws: withSpendDraws ? spendDraws : undefined,
        });
        const spendOf = (c: (typeof customers)[number], k: number) => {
          const spendValue = gammaGammaConditionalSpend(
            withSpendDraws ? (spendDraws[k] as never) : spend,
            c.monetary_value > 0 ? c.frequency : 0,
            c.monetary_value,
          );
          // biome-ignore lint/complexity/useMathMinMax: a NaN spend counts as 0 (Math.max would keep NaN)
          return spendValue > 0 ? spendValue : 0;
        };
        const want = bootstrapIntervals(customers, name, draws, spendOf, 0.9, options);
        customers.forEach((_, i) => {
          expect([fast[i].clv_low, fast[i].clv_high, fast[i].expected_low, fast[i].expected_high]).toEqual(want[i]);
        });
      }
    });
  }
});
