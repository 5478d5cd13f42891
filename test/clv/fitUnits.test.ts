/**
 * The fitters on small simulated data (fast enough for mutation testing): each estimate is a stationary point of the
 * log-likelihood (central differences of the likelihoods that references.test.ts and paretoGamma.test.ts check
 * against published closed forms), better than every start; the reported log-likelihood and BIC are the data's at
 * the estimate; with a penalizer the stationary point is that of lifetimes' penalised objective, written out here;
 * the time budget, empty data and the coarse subsample (more distinct rows than COARSE_ROWS) behave as documented.
 */
import { describe, expect, it } from "vitest";
import {
  COARSE_ROWS,
  compressRows,
  compressSpendRows,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  bgNbdLogLikelihood,
  gammaGammaLogLikelihood,
  mbgNbdLogLikelihood,
  paretoNbdLogLikelihood,
  type CompressedRows,
  type FitResult,
} from "../../src/pipelines/clv/models.ts";
import { simulateCustomers } from "./simulate.ts";
import { logGradient } from "./stationary.ts";

const sim = simulateCustomers(600, { r: 0.9, alpha: 5, a: 0.7, b: 2.5 }, { p: 5, q: 4, gamma: 20 }, { seed: 21 });
const rows = compressRows(sim.x, sim.tx, sim.T);
const spend = compressSpendRows(sim.x, sim.m);
const maxT = Math.max(...sim.T);

type Fitter = (data: CompressedRows, options?: { penalizer?: number; timeBudgetMs?: number }) => FitResult<object>;
const PURCHASE: Array<[string, Fitter, (p: never, d: CompressedRows) => number, string[]]> = [
  ["bgnbd", fitBgNbd as Fitter, bgNbdLogLikelihood as never, ["r", "alpha", "a", "b"]],
  ["mbgnbd", fitMbgNbd as Fitter, mbgNbdLogLikelihood as never, ["r", "alpha", "a", "b"]],
  ["pnbd", fitParetoNbd as Fitter, paretoNbdLogLikelihood as never, ["r", "alpha", "s", "beta"]],
];

describe("purchase fits", () => {
  for (const [name, fitter, logLik, names] of PURCHASE) {
    it(`${name}: a stationary point of the log-likelihood, with its log-likelihood and BIC`, () => {
      const result = fitter(rows);
      expect(result).toMatchObject({ model: name, converged: true, nCustomers: 600 });
      expect(Object.keys(result.params)).toEqual(names);
      const params = result.params as Record<string, number>;
      const ll = logLik(params as never, rows);
      expect(result.logLikelihood).toBeCloseTo(ll, 9);
      expect(result.bic).toBeCloseTo(4 * Math.log(600) - 2 * ll, 9);
      for (const g of logGradient((p) => logLik(p as never, rows), params)) expect(Math.abs(g)).toBeLessThan(2e-3);
      expect(result.iterations).toBeGreaterThan(0);
      expect(result.seconds).toBeGreaterThanOrEqual(0);
      // the same fit from the raw columns (compressed inside)
      const raw = fitter({ x: sim.x, tx: sim.tx, T: sim.T } as never);
      expect(raw.logLikelihood).toBeCloseTo(ll, 6);
    });

    it(`${name}: with a penalizer, a stationary point of LL - n c sum((p / s)^2) (s = max T for alpha, beta)`, () => {
      const c = 0.05;
      const result = fitter(rows, { penalizer: c });
      expect(result.converged).toBe(true);
      const params = result.params as Record<string, number>;
      const penalty = (p: Record<string, number>) =>
        600 * c * names.reduce((s, k) => s + (p[k] / (k === "alpha" || k === "beta" ? maxT : 1)) ** 2, 0);
      for (const g of logGradient((p) => logLik(p as never, rows) - penalty(p), params))
        expect(Math.abs(g)).toBeLessThan(2e-3);
      // the reported log-likelihood is the data's, without the penalty
      expect(result.logLikelihood).toBeCloseTo(logLik(params as never, rows), 9);
      expect(result.logLikelihood).toBeLessThan(fitter(rows).logLikelihood);
    });
  }

  it("a fit past its time budget reports no parameters and why", () => {
    for (const [, fitter, , names] of PURCHASE) {
      const result = fitter(rows, { timeBudgetMs: 0 });
      expect(result).toMatchObject({
        converged: false,
        message: "fit stopped: time budget of 0 s exceeded",
        nCustomers: 600,
      });
      expect(Number.isNaN(result.logLikelihood) && Number.isNaN(result.bic)).toBe(true);
      expect(names.every((k) => Number.isNaN((result.params as Record<string, number>)[k]))).toBe(true);
    }
  });

  it("no customers: not fitted, no parameters", () => {
    const empty = compressRows([], [], []);
    for (const [, fitter] of PURCHASE)
      expect(fitter(empty)).toMatchObject({
        converged: false,
        message: "no customers to fit",
        iterations: 0,
        nCustomers: 0,
      });
  });

  it("more distinct rows than COARSE_ROWS: the coarse search on a subsample, the estimate on all rows", () => {
    const big = simulateCustomers(
      COARSE_ROWS * 2,
      { r: 0.9, alpha: 5, a: 0.7, b: 2.5 },
      { p: 5, q: 4, gamma: 20 },
      { seed: 4, weeks: 200, acquisitionWeeks: 150 },
    );
    // continuous t_x and T (no merging), so there are more distinct rows than COARSE_ROWS
    const data = compressRows(
      big.x,
      Array.from(big.tx, (v, i) => Math.min(v + i * 1e-7, big.T[i])),
      Array.from(big.T, (v, i) => v + i * 1e-7),
    );
    expect(data.x.length).toBeGreaterThan(COARSE_ROWS);
    const result = fitBgNbd(data);
    expect(result.converged).toBe(true);
    expect(result.nCustomers).toBe(COARSE_ROWS * 2);
    const params = result.params as unknown as Record<string, number>;
    for (const g of logGradient((p) => bgNbdLogLikelihood(p as never, data), params))
      expect(Math.abs(g)).toBeLessThan(5e-3);
  });
});

describe("Gamma-Gamma fit", () => {
  it("a stationary point of the log-likelihood, with its log-likelihood and BIC (repeat buyers only)", () => {
    const result = fitGammaGamma(spend);
    const n = Array.from(sim.x).filter((x) => x > 0).length;
    expect(result).toMatchObject({ model: "gammagamma", converged: true, nCustomers: n });
    const params = result.params as unknown as Record<string, number>;
    expect(Object.keys(params)).toEqual(["p", "q", "gamma"]);
    const ll = gammaGammaLogLikelihood(result.params, spend);
    expect(result.logLikelihood).toBeCloseTo(ll, 9);
    expect(result.bic).toBeCloseTo(3 * Math.log(n) - 2 * ll, 9);
    for (const g of logGradient((p) => gammaGammaLogLikelihood(p as never, spend), params))
      expect(Math.abs(g)).toBeLessThan(2e-3);
    expect(fitGammaGamma({ x: sim.x, m: sim.m }).logLikelihood).toBeCloseTo(ll, 6);
  });

  it("with a penalizer (no time scaling) and past its time budget", () => {
    const n = spend.n;
    const result = fitGammaGamma(spend, { penalizer: 0.05 });
    const params = result.params as unknown as Record<string, number>;
    const objective = (p: Record<string, number>) =>
      gammaGammaLogLikelihood(p as never, spend) - n * 0.05 * (p.p ** 2 + p.q ** 2 + p.gamma ** 2);
    for (const g of logGradient(objective, params)) expect(Math.abs(g)).toBeLessThan(2e-3);
    expect(fitGammaGamma(spend, { timeBudgetMs: 0 })).toMatchObject({
      converged: false,
      message: "fit stopped: time budget of 0 s exceeded",
    });
    expect(fitGammaGamma(compressSpendRows([0], [0]))).toMatchObject({
      converged: false,
      message: "no customers to fit",
    });
  });
});
