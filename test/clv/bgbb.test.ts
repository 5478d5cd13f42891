/**
 * BG/BB (Fader, Hardie & Shang 2010) on the paper's donations data (11,104 donors, 1995 cohort, 6 opportunities):
 * published estimates alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783 and LL = -33,225.6 (as also checked by
 * lifetimes' test_params_out_is_close_to_Hardie_paper), P(alive in 2002) of Table 6, and the totals of Hardie's
 * BG/BB spreadsheet (BGBB_2011-01-20.xlsx) quoted in lifetimes' tests. Plus the likelihood against numerical
 * integration over the beta mixtures, DERT against a discounted sum of per-opportunity expectations, and parameter
 * recovery on simulated BG/BB data (fixed seed).
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  bgBbConditionalExpected,
  bgBbDert,
  bgBbExpected,
  bgBbLogLikelihood,
  bgBbPAlive,
  bgBbProbabilityOfPurchases,
  bgBbRowLogLikelihood,
  fitBgBb,
  type BgBbFit,
  type BgBbParams,
  type BgBbRow,
} from "../../src/pipelines/clv/bgbb.ts";
import { readDonations, simulateBgBb } from "./bgbbData.ts";
import { betaExpectation } from "./quadrature.ts";

const PUBLISHED: BgBbParams = { alpha: 1.204, beta: 0.75, gamma: 0.657, delta: 2.783 };

let donations: BgBbRow[];
let fit: BgBbFit;
beforeAll(() => {
  donations = readDonations();
  fit = fitBgBb(donations);
});

describe("BG/BB on the donations data", () => {
  it("has the paper's 11,104 donors", () => {
    expect(donations.reduce((s, r) => s + r.weights!, 0)).toBe(11104);
  });

  it("recovers the published estimates and log-likelihood", () => {
    expect(fit.converged).toBe(true);
    for (const k of ["alpha", "beta", "gamma", "delta"] as const)
      expect(Math.abs(fit.params[k] - PUBLISHED[k])).toBeLessThan(0.0015 * Math.max(1, PUBLISHED[k]) + 0.0005);
    expect(Math.abs(fit.logLikelihood - -33225.6)).toBeLessThan(0.1);
  });

  it("reports the model, the 11,104 donors, BIC = 4 ln n - 2 LL and its wall time in seconds", () => {
    expect(fit.model).toBe("bgbb");
    expect(fit.nCustomers).toBe(11_104);
    expect(fit.bic).toBeCloseTo(4 * Math.log(11_104) - 2 * fit.logLikelihood, 8);
    const started = performance.now();
    const again = fitBgBb(donations);
    const wall = (performance.now() - started) / 1000;
    expect(again.seconds).toBeGreaterThan(0);
    expect(again.seconds).toBeLessThanOrEqual(wall);
  });

  it("gives Table 6's P(alive in 2002)", () => {
    expect(bgBbPAlive(fit.params, 0, 0, 6)).toBeCloseTo(0.11, 2);
    expect(bgBbPAlive(fit.params, 2, 4, 6)).toBeCloseTo(0.59, 2);
    expect(bgBbPAlive(fit.params, 6, 6, 6)).toBeCloseTo(0.93, 2);
  });

  it("matches Hardie's spreadsheet: 12,884.2 expected donations in the next 5 years", () => {
    const total = donations.reduce(
      (s, r) => s + r.weights! * bgBbConditionalExpected(fit.params, 5, r.frequency, r.recency, r.periods),
      0,
    );
    expect(Math.abs(total - 12884.2)).toBeLessThan(0.5);
  });

  it("matches Hardie's in-sample fit sheet: 3,454.9 donors with 0 and 1,253.1 with 6 repeat donations", () => {
    expect(Math.abs(11104 * bgBbProbabilityOfPurchases(fit.params, 0, 6) - 3454.9)).toBeLessThan(0.5);
    expect(Math.abs(11104 * bgBbProbabilityOfPurchases(fit.params, 6, 6) - 1253.1)).toBeLessThan(0.5);
  });
});

describe("BG/BB formulas at the published parameters", () => {
  it("row likelihood equals the mixture integrated over p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta)", () => {
    const { alpha, beta, gamma, delta } = PUBLISHED;
    // Each term is (function of p) x (function of theta), so the double integral is a product of single ones.
    const E = (g: (p: number) => number, a: number, b: number) => betaExpectation(g, a, b);
    for (const [x, tx, n] of [
      [0, 0, 6],
      [1, 3, 6],
      [4, 6, 6],
      [2, 2, 10],
    ]) {
      let likelihood = E((p) => p ** x * (1 - p) ** (n - x), alpha, beta) * E((th) => (1 - th) ** n, gamma, delta);
      for (let i = 0; i <= n - tx - 1; i++) {
        likelihood +=
          E((p) => p ** x * (1 - p) ** (tx - x + i), alpha, beta) * E((th) => th * (1 - th) ** (tx + i), gamma, delta);
      }
      expect(Math.abs(bgBbRowLogLikelihood(PUBLISHED, x, tx, n) - Math.log(likelihood))).toBeLessThan(1e-7);
    }
  });

  it("P(X(n) = x) sums to 1 with mean E[X(n)]", () => {
    for (const n of [1, 6, 20]) {
      let total = 0;
      let mean = 0;
      for (let x = 0; x <= n; x++) {
        const p = bgBbProbabilityOfPurchases(PUBLISHED, x, n);
        total += p;
        mean += x * p;
      }
      expect(total).toBeCloseTo(1, 12);
      expect(mean).toBeCloseTo(bgBbExpected(PUBLISHED, n), 10);
    }
  });

  it("DERT equals the discounted sum of per-opportunity expected transactions", () => {
    const d = 0.1;
    for (const [x, tx, n] of [
      [0, 0, 6],
      [3, 5, 6],
      [6, 6, 6],
    ]) {
      let sum = 0;
      for (let k = 1; k <= 2000; k++) {
        const step =
          bgBbConditionalExpected(PUBLISHED, k, x, tx, n) - bgBbConditionalExpected(PUBLISHED, k - 1, x, tx, n);
        sum += step / (1 + d) ** k;
      }
      expect(bgBbDert(PUBLISHED, d, x, tx, n) / sum).toBeCloseTo(1, 8);
    }
  });

  it("log-likelihood weights rows", () => {
    const rows = [{ frequency: 2, recency: 4, periods: 6, weights: 3 }];
    expect(bgBbLogLikelihood(PUBLISHED, rows)).toBeCloseTo(3 * bgBbRowLogLikelihood(PUBLISHED, 2, 4, 6), 12);
  });
});

describe("BG/BB parameter recovery", () => {
  it("recovers known parameters from 40,000 simulated customers over 10 opportunities (seed 7)", () => {
    const truth: BgBbParams = { alpha: 1.2, beta: 0.75, gamma: 0.66, delta: 2.8 };
    const simulated = fitBgBb(simulateBgBb(40_000, truth, 10, 7));
    expect(simulated.converged).toBe(true);
    for (const k of ["alpha", "beta", "gamma", "delta"] as const) {
      expect(Math.abs(simulated.params[k] / truth[k] - 1)).toBeLessThan(0.12);
    }
  });

  it("rejects impossible rows", () => {
    expect(() => fitBgBb([{ frequency: 3, recency: 2, periods: 6 }])).toThrow(/invalid row/);
  });
});
