/**
 * BG/BB (bgbb.ts) at small, hand-solvable parameter values, and its input checks (fast: no fit of real size).
 * Hand results use B(a + 1, b) / B(a, b) = a / (a + b) and B(2, y) = 1 / (y (y + 1)):
 * - P(X(1) = 1) = alpha/(alpha+beta) x delta/(gamma+delta) (alive at the first opportunity and buys), = E[X(1)];
 * - a customer who bought at every one of n opportunities (x = t_x = n) has likelihood
 *   B(alpha+n, beta)/B(alpha, beta) x B(gamma, delta+n)/B(gamma, delta) alone, so
 *   P(alive at n + m) = B(gamma, delta+n+m) / B(gamma, delta+n), which is (delta+n)/(delta+n+m) for gamma = 1, and
 *   E[X(n, n+1)] = (alpha+n)/(alpha+beta+n) x P(alive at n + 1), with P(alive at n + 1) = (delta+n)/(delta+n+2) for
 *   gamma = 2.
 * (The published donations figures and integration checks: test/clv/bgbb.test.ts.)
 */
import { describe, expect, it } from "vitest";
import {
  BGBB_PARAMS,
  bgBbConditionalExpected,
  bgBbDert,
  bgBbExpected,
  bgBbPAlive,
  bgBbProbabilityOfPurchases,
  compressBgBbRows,
  fitBgBb,
} from "../../src/pipelines/clv/bgbb.ts";

const ONES = { alpha: 1, beta: 1, gamma: 1, delta: 1 };

describe("BG/BB closed forms by hand", () => {
  it("P(X(1) = x) and E[X(1)]", () => {
    expect(bgBbProbabilityOfPurchases(ONES, 1, 1)).toBeCloseTo(0.25, 14);
    expect(bgBbProbabilityOfPurchases(ONES, 0, 1)).toBeCloseTo(0.75, 14);
    expect(bgBbProbabilityOfPurchases(ONES, 2, 1)).toBe(0);
    const p = { alpha: 1, beta: 1, gamma: 2, delta: 2 };
    expect(bgBbExpected(p, 1)).toBeCloseTo(0.25, 14);
    expect(bgBbProbabilityOfPurchases(p, 1, 1)).toBeCloseTo(0.25, 14);
  });

  it("P(alive) of a customer who bought at every opportunity", () => {
    const p = { alpha: 1, beta: 1, gamma: 1, delta: 2 };
    expect(bgBbPAlive(p, 3, 3, 3)).toBeCloseTo(5 / 6, 14);
    expect(bgBbPAlive(p, 3, 3, 3, 2)).toBeCloseTo(5 / 7, 14);
  });

  it("E[X(n, n+1)] of that customer; nothing in 0 more opportunities", () => {
    const p = { alpha: 1, beta: 1, gamma: 2, delta: 2 };
    expect(bgBbConditionalExpected(p, 1, 3, 3, 3)).toBeCloseTo((4 / 5) * (5 / 7), 12);
    expect(bgBbConditionalExpected(p, 0, 3, 3, 3)).toBe(0);
  });

  it("rejects bad arguments with a message naming them", () => {
    expect(() => bgBbProbabilityOfPurchases(ONES, -1, 3)).toThrow(
      "BG/BB: x and n must be non-negative integers, got -1, 3",
    );
    expect(() => bgBbProbabilityOfPurchases(ONES, 1.5, 3)).toThrow(/non-negative integers/);
    expect(() => bgBbProbabilityOfPurchases(ONES, 1, -3)).toThrow(/non-negative integers/);
    expect(() => bgBbProbabilityOfPurchases(ONES, 1, 2.5)).toThrow(/non-negative integers/);
    expect(() => bgBbDert(ONES, 0, 1, 1, 2)).toThrow("BG/BB DERT: discount rate must be > 0, got 0");
  });
});

describe("BG/BB rows", () => {
  const invalid = (frequency: number, recency: number, periods: number) =>
    `BG/BB: invalid row (x, t_x, n) = (${frequency}, ${recency}, ${periods}); need integers with 0 <= x <= t_x <= n`;

  it("rejects each kind of impossible row", () => {
    for (const [x, tx, n] of [
      [-1, 0, 6],
      [3, 2, 6],
      [1, 5, 4],
      [1, 0, 6],
      [1.5, 2, 6],
      [1, 2.5, 6],
      [1, 2, 6.5],
    ])
      expect(() => compressBgBbRows([{ frequency: x, recency: tx, periods: n }])).toThrow(invalid(x, tx, n));
    expect(() => compressBgBbRows([{ frequency: 1, recency: 2, periods: 6, weights: -1 }])).toThrow(
      "BG/BB: row weight must be >= 0, got -1",
    );
    expect(() => compressBgBbRows([{ frequency: 1, recency: 2, periods: 6, weights: Number.NaN }])).toThrow(
      /row weight/,
    );
  });

  it("accepts the edges and merges identical rows into weights", () => {
    expect(
      compressBgBbRows([
        { frequency: 1, recency: 2, periods: 6 },
        { frequency: 0, recency: 0, periods: 6 },
        { frequency: 1, recency: 2, periods: 6, weights: 2 },
        { frequency: 6, recency: 6, periods: 6, weights: 0 },
        { frequency: 1, recency: 1, periods: 6 },
      ]),
    ).toEqual([
      { frequency: 1, recency: 2, periods: 6, weights: 3 },
      { frequency: 0, recency: 0, periods: 6, weights: 1 },
      { frequency: 6, recency: 6, periods: 6, weights: 0 },
      { frequency: 1, recency: 1, periods: 6, weights: 1 },
    ]);
  });
});

describe("fitBgBb on data that do not identify the model", () => {
  it("customers who bought at every opportunity or never: converged false, the parameters at the edge", () => {
    // half buy at all 6 opportunities, half never: the best a BG/BB can do is P(x = 6) = P(x = 0) = 1/2,
    // so the log-likelihood tends to 200 ln(1/2), with the parameters running off to 0 or infinity
    const fit = fitBgBb([
      { frequency: 6, recency: 6, periods: 6, weights: 100 },
      { frequency: 0, recency: 0, periods: 6, weights: 100 },
    ]);
    expect(fit.model).toBe("bgbb");
    expect(fit.converged).toBe(false);
    expect(fit.nCustomers).toBe(200);
    expect(fit.message).toMatch(
      /^a parameter ran to the edge of its range \(\{"alpha":.*\}\): model not identified by these data$/,
    );
    expect(Object.values(fit.params).some((v) => Math.abs(Math.log(v)) > 25)).toBe(true);
    expect(Math.abs(fit.logLikelihood - 200 * Math.log(0.5))).toBeLessThan(1e-6);
    expect(fit.bic).toBeCloseTo(4 * Math.log(200) - 2 * fit.logLikelihood, 9);
    expect(fit.seconds).toBeGreaterThan(0);
  });

  it("P(X(0) = 0) = 1", () => {
    expect(bgBbProbabilityOfPurchases(ONES, 0, 0)).toBeCloseTo(1, 14);
  });
});

describe("fitBgBb without data", () => {
  it("says there is nothing to fit", () => {
    expect(BGBB_PARAMS).toEqual(["alpha", "beta", "gamma", "delta"]);
    expect(fitBgBb([])).toEqual({
      model: "bgbb",
      params: { alpha: 1, beta: 1, gamma: 1, delta: 1 },
      logLikelihood: Number.NaN,
      bic: Number.NaN,
      converged: false,
      iterations: 0,
      message: "no customers to fit",
      nCustomers: 0,
      seconds: 0,
    });
  });
});
