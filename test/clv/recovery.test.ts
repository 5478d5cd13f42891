/**
 * Parameter recovery: simulate 50,000 customers from known BG/NBD and Gamma-Gamma parameters, fit, and check the
 * estimates land within sampling error of the truth. "Sampling error" is measured, not guessed: standard errors
 * of the log-parameters come from the inverse of the numeric Hessian of the negative log-likelihood at the
 * estimate (the observed information), and each estimate must be within 4 of them (a 4-sigma band fails by chance
 * about once in 16,000 draws per parameter; the seed is fixed anyway). As a sanity bound that does not depend on
 * the Hessian, each estimate must also be within 15% of the truth.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  bgNbdLogLikelihood,
  compressRows,
  compressSpendRows,
  fitBgNbd,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  type CompressedRows,
  type SpendRows,
} from "../../src/pipelines/clv/models.ts";
import { simulateCustomers, type SimulatedCustomers } from "./simulate.ts";

const BG = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
const GG = { p: 6, q: 4, gamma: 15 };

/** Standard errors of theta from the inverse numeric Hessian of f at theta (f = negative log-likelihood). */
function standardErrors(f: (theta: number[]) => number, theta: number[]): number[] {
  const n = theta.length;
  const h = 1e-3;
  const at = (d: [number, number][]) =>
    f(theta.map((v, i) => v + d.filter(([j]) => j === i).reduce((s, [, e]) => s + e, 0)));
  const H = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      H[i][j] =
        (at([
          [i, h],
          [j, h],
        ]) -
          at([
            [i, h],
            [j, -h],
          ]) -
          at([
            [i, -h],
            [j, h],
          ]) +
          at([
            [i, -h],
            [j, -h],
          ])) /
        (4 * h * h);
    }
  }
  // Invert by Gauss-Jordan elimination.
  const A = H.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[pivot][c])) pivot = r;
    [A[c], A[pivot]] = [A[pivot], A[c]];
    const d = A[c][c];
    for (let k = 0; k < 2 * n; k++) A[c][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = A[r][c];
      for (let k = 0; k < 2 * n; k++) A[r][k] -= factor * A[c][k];
    }
  }
  return Array.from({ length: n }, (_, i) => Math.sqrt(A[i][n + i]));
}

let sim: SimulatedCustomers;
let rows: CompressedRows;
let spend: SpendRows;

beforeAll(() => {
  sim = simulateCustomers(50_000, BG, GG, { seed: 20260101 });
  rows = compressRows(sim.x, sim.tx, sim.T);
  spend = compressSpendRows(sim.x, sim.m);
});

describe("parameter recovery from 50,000 simulated customers", () => {
  it("compresses the day-grain rows", () => {
    expect(rows.n).toBe(50_000);
    expect(rows.x.length).toBeLessThan(25_000);
  });

  it("BG/NBD estimates are within 4 standard errors (and 15%) of the truth", () => {
    const fit = fitBgNbd(rows);
    expect(fit.converged).toBe(true);
    const names = ["r", "alpha", "a", "b"] as const;
    const theta = names.map((k) => Math.log(fit.params[k]));
    const se = standardErrors(
      (t) =>
        -bgNbdLogLikelihood({ r: Math.exp(t[0]), alpha: Math.exp(t[1]), a: Math.exp(t[2]), b: Math.exp(t[3]) }, rows),
      theta,
    );
    names.forEach((k, i) => {
      expect(Number.isFinite(se[i])).toBe(true);
      expect(Math.abs(theta[i] - Math.log(BG[k])), `${k}: est ${fit.params[k]} se(log) ${se[i]}`).toBeLessThan(
        4 * se[i],
      );
      expect(Math.abs(fit.params[k] / BG[k] - 1)).toBeLessThan(0.15);
    });
  });

  it("Gamma-Gamma estimates are within 4 standard errors (and 15%) of the truth", () => {
    const fit = fitGammaGamma(spend);
    expect(fit.converged).toBe(true);
    const names = ["p", "q", "gamma"] as const;
    const theta = names.map((k) => Math.log(fit.params[k]));
    const se = standardErrors(
      (t) => -gammaGammaLogLikelihood({ p: Math.exp(t[0]), q: Math.exp(t[1]), gamma: Math.exp(t[2]) }, spend),
      theta,
    );
    names.forEach((k, i) => {
      expect(Math.abs(theta[i] - Math.log(GG[k])), `${k}: est ${fit.params[k]} se(log) ${se[i]}`).toBeLessThan(
        4 * se[i],
      );
      expect(Math.abs(fit.params[k] / GG[k] - 1)).toBeLessThan(0.15);
    });
  });
});
