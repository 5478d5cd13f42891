/**
 * Standard errors from the observed information, on CDNOW (published BG/NBD MLE r = 0.2426, alpha = 4.4136,
 * a = 0.7929, b = 2.4259): against lifetimes' published standard errors (docs/Quickstart.md: 0.012557, 0.378221,
 * 0.185719, 0.705345), against an independent Hessian (Richardson extrapolation of central differences, written
 * here), positive definiteness by Sylvester's criterion; and the coverage of the bootstrap intervals on simulated
 * data with known parameters.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bgNbdConditionalExpected,
  bgNbdLogLikelihood,
  compressRows,
  fitBgNbd,
  purchaseModel,
  type BgNbdParams,
  type CompressedRows,
  type FitResult,
} from "../../src/pipelines/clv/models.ts";
import { fitBgBb, bgBbLogLikelihood } from "../../src/pipelines/clv/bgbb.ts";
import {
  drawParameters,
  invertPositiveDefinite,
  parameterUncertainty,
  percentileInterval,
} from "../../src/pipelines/clv/uncertainty.ts";
import { clvIntervals } from "../../src/pipelines/clv/clvInterval.ts";
import { predictCustomers } from "../../src/pipelines/clv/steps.ts";
import { simulateCustomers } from "./simulate.ts";
import { readDonations } from "./bgbbData.ts";

const CDNOW = path.resolve(__dirname, "../../../shared/data/cdnow/cdnow_customers_summary.csv");
const NAMES = ["r", "alpha", "a", "b"] as const;

/** Hessian by Richardson extrapolation: (4 D(h/2) - D(h)) / 3 of the plain central-difference Hessian D. */
function richardsonHessian(f: (x: number[]) => number, x: number[], h: number): number[][] {
  const central = (step: number) =>
    x.map((_, i) =>
      x.map((__, j) => {
        const at = (di: number, dj: number) => {
          const y = [...x];
          y[i] += di;
          y[j] += dj;
          return f(y);
        };
        return (at(step, step) - at(step, -step) - at(-step, step) + at(-step, -step)) / (4 * step * step);
      }),
    );
  const coarse = central(h);
  const fine = central(h / 2);
  return coarse.map((row, i) => row.map((v, j) => (4 * fine[i][j] - v) / 3));
}

/** Determinant by Gaussian elimination with partial pivoting. */
function determinant(A: number[][]): number {
  const M = A.map((r) => [...r]);
  let det = 1;
  for (let c = 0; c < M.length; c++) {
    let p = c;
    for (let r = c + 1; r < M.length; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (p !== c) ([M[p], M[c]] = [M[c], M[p]]), (det = -det);
    det *= M[c][c];
    for (let r = c + 1; r < M.length; r++) {
      const k = M[r][c] / M[c][c];
      for (let j = c; j < M.length; j++) M[r][j] -= k * M[c][j];
    }
  }
  return det;
}

let rows: CompressedRows;
let fit: FitResult<BgNbdParams>;
beforeAll(() => {
  const data = Papa.parse<Record<string, number>>(readFileSync(CDNOW, "utf8"), {
    header: true,
    dynamicTyping: true,
    skipEmptyLines: true,
  }).data;
  rows = compressRows(
    data.map((r) => r.frequency),
    data.map((r) => r.recency),
    data.map((r) => r.T),
  );
  fit = fitBgNbd(rows);
});

describe("parameterUncertainty: BG/NBD on CDNOW", () => {
  it("fits the published MLE", () => {
    const published = { r: 0.2426, alpha: 4.4136, a: 0.7929, b: 2.4259 };
    for (const k of NAMES) expect(Math.abs(fit.params[k] / published[k] - 1)).toBeLessThan(1e-3);
  });

  it("gives lifetimes' published standard errors", () => {
    const u = parameterUncertainty("bgnbd", fit.params, rows);
    const lifetimes = { r: 0.012557, alpha: 0.378221, a: 0.185719, b: 0.705345 };
    expect(u.positiveDefinite).toBe(true);
    for (const k of NAMES) expect(Math.abs(u.se[k] / lifetimes[k] - 1)).toBeLessThan(0.01);
  });

  it("agrees with an independent Richardson-extrapolated Hessian and is positive definite", () => {
    const u = parameterUncertainty("bgnbd", fit.params, rows);
    const negative = (t: number[]) =>
      -bgNbdLogLikelihood({ r: Math.exp(t[0]), alpha: Math.exp(t[1]), a: Math.exp(t[2]), b: Math.exp(t[3]) }, rows);
    const reference = richardsonHessian(
      negative,
      NAMES.map((k) => Math.log(fit.params[k])),
      0.02,
    );
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        expect(Math.abs(u.information[i][j] - reference[i][j])).toBeLessThan(
          1e-4 * Math.sqrt(Math.abs(reference[i][i] * reference[j][j])),
        );
      }
    }
    // Sylvester: every leading principal minor positive.
    for (let k = 1; k <= 4; k++)
      expect(determinant(reference.slice(0, k).map((r) => r.slice(0, k)))).toBeGreaterThan(0);
    // The covariance inverts the information.
    const I = u.information.map((row) =>
      u.covarianceLog![0].map((_, j) => row.reduce((s, v, k) => s + v * u.covarianceLog![k][j], 0)),
    );
    I.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 8)));
  });

  it("builds 95% intervals on the log scale from the standard errors", () => {
    const u = parameterUncertainty("bgnbd", fit.params, rows);
    for (const k of NAMES) {
      const seLog = u.se[k] / fit.params[k];
      expect(u.ci[k][0]).toBeCloseTo(fit.params[k] * Math.exp(-1.96 * seLog), 3);
      expect(u.ci[k][1]).toBeCloseTo(fit.params[k] * Math.exp(1.96 * seLog), 3);
      expect(u.ci[k][0]).toBeGreaterThan(0);
    }
  });

  it("reports a flat likelihood as not positive definite", () => {
    expect(
      invertPositiveDefinite([
        [1, 2],
        [2, 1],
      ]),
    ).toBeNull();
  });
});

describe("parameterUncertainty: BG/BB on the donations data", () => {
  it("agrees with the Richardson Hessian", () => {
    const donations = readDonations();
    const bgbb = fitBgBb(donations);
    const u = parameterUncertainty("bgbb", bgbb.params, donations);
    const keys = ["alpha", "beta", "gamma", "delta"] as const;
    const negative = (t: number[]) =>
      -bgBbLogLikelihood(Object.fromEntries(keys.map((k, i) => [k, Math.exp(t[i])])) as never, donations);
    const reference = richardsonHessian(
      negative,
      keys.map((k) => Math.log(bgbb.params[k])),
      0.02,
    );
    expect(u.positiveDefinite).toBe(true);
    reference.forEach((row, i) =>
      row.forEach((v, j) =>
        expect(Math.abs(u.information[i][j] - v)).toBeLessThan(
          1e-4 * Math.sqrt(Math.abs(reference[i][i] * reference[j][j])),
        ),
      ),
    );
  });
});

describe("drawParameters", () => {
  it("draws with the requested mean and covariance on the log scale", () => {
    const cov = [
      [0.04, 0.01],
      [0.01, 0.09],
    ];
    const draws = drawParameters(["u", "v"], { u: 2, v: 5 }, cov, 20_000, 3);
    const logs = draws.map((d) => [Math.log(d.u), Math.log(d.v)]);
    const mean = [0, 1].map((i) => logs.reduce((s, l) => s + l[i], 0) / logs.length);
    expect(mean[0]).toBeCloseTo(Math.log(2), 2);
    expect(mean[1]).toBeCloseTo(Math.log(5), 2);
    const c = (i: number, j: number) => logs.reduce((s, l) => s + (l[i] - mean[i]) * (l[j] - mean[j]), 0) / logs.length;
    expect(c(0, 0)).toBeCloseTo(0.04, 2);
    expect(c(0, 1)).toBeCloseTo(0.01, 2);
    expect(c(1, 1)).toBeCloseTo(0.09, 2);
    expect(percentileInterval([1, 2, 3, 4, 5], 0.5)).toEqual([2, 4]);
  });
});

describe("clvIntervals", () => {
  it("reproduces customer_clv's predictions (predictCustomers) when the only draw is the estimate", () => {
    const sim = simulateCustomers(300, { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, { p: 6, q: 4, gamma: 16 }, { seed: 3 });
    const customers = Array.from(sim.x, (x, i) => ({
      customer_id: String(i),
      frequency: x,
      recency: sim.tx[i],
      T: sim.T[i],
      monetary_value: sim.m[i],
      orders: x + 1,
      revenue: 10 * (x + 1),
    }));
    const options = { margin: 0.3, discountRateAnnual: 0.1, horizonMonths: 12, periodDays: 7 };
    const spend = { p: 6, q: 4, gamma: 16 };
    for (const [name, params] of [
      ["bgnbd", { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }],
      ["mbgnbd", { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }],
      ["pnbd", { r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 }],
      ["pnbd", { r: 0.61, alpha: 13.6, s: 0.31, beta: 6.1 }],
    ] as const) {
      const point = predictCustomers(customers, purchaseModel(name, params as never), spend, options);
      const intervals = clvIntervals(customers, name, [params], spend, options);
      const viaSpendDraw = clvIntervals(customers, name, [params], null, options, { spendDraws: [spend] });
      point.forEach((p, i) => {
        expect(intervals[i].clv_low).toBeCloseTo(p.clv, 8);
        expect(intervals[i].clv_high).toBeCloseTo(p.clv, 8);
        expect(intervals[i].expected_low).toBeCloseTo(p.expected_purchases, 9);
        expect(viaSpendDraw[i].clv_high).toBeCloseTo(p.clv, 8);
      });
    }
  });
});

describe("clvIntervals: coverage on simulated data", () => {
  // Honest design: the parameters are known, every replication simulates a fresh customer base (its own seed), fits
  // BG/NBD to it and builds 90% intervals for 20 of its customers. The quantity the intervals claim to cover is the
  // expected purchases given the customer's history under the TRUE parameters, E[Y(t) | x, t_x, T; theta]: parameter
  // uncertainty is all these intervals describe (not the customer's own Poisson noise). All customers of one base
  // share one estimate, so coverage is counted over many independent bases, not over customers of one base.
  it("covers the true conditional expectation for 85-95% of customers, over 100 simulated bases; parameter intervals cover too", () => {
    const truth: BgNbdParams = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
    const options = { margin: 1, discountRateAnnual: 0, horizonMonths: 3, periodDays: 7 };
    const horizon = (3 * 365.25) / 12 / 7;
    let covered = 0;
    let total = 0;
    let bases = 0;
    const parameterCovered = [0, 0, 0, 0];
    for (let rep = 0; rep < 100; rep++) {
      const sim = simulateCustomers(1500, truth, { p: 6, q: 4, gamma: 16 }, { seed: 5000 + rep });
      const data = compressRows(sim.x, sim.tx, sim.T);
      const repFit = fitBgNbd(data);
      const u = parameterUncertainty("bgnbd", repFit.params, data);
      if (!repFit.converged || !u.covarianceLog) continue;
      bases++;
      NAMES.forEach((k, i) => truth[k] >= u.ci[k][0] && truth[k] <= u.ci[k][1] && parameterCovered[i]++);
      const draws = drawParameters(u.names, u.estimate, u.covarianceLog, 200, rep + 1);
      const customers = Array.from({ length: 20 }, (_, i) => ({
        customer_id: String(i),
        frequency: sim.x[i],
        recency: sim.tx[i],
        T: sim.T[i],
        monetary_value: sim.m[i],
        orders: sim.x[i] + 1,
        revenue: 0,
      }));
      const intervals = clvIntervals(customers, "bgnbd", draws, null, options);
      intervals.forEach((iv, i) => {
        const value = bgNbdConditionalExpected(
          truth,
          horizon,
          customers[i].frequency,
          customers[i].recency,
          customers[i].T,
        );
        total++;
        if (value >= iv.expected_low! && value <= iv.expected_high!) covered++;
      });
    }
    expect(bases).toBeGreaterThanOrEqual(95);
    // The 95% parameter intervals (seen: 90, 96, 96, 98 of 100): a binomial(100, 0.95) count is below 86 with
    // probability ~1e-4, so a miss here means the standard errors are too small, not bad luck.
    parameterCovered.forEach((c) => expect(c / bases).toBeGreaterThanOrEqual(0.86));
    const coverage = covered / total;
    expect(coverage).toBeGreaterThanOrEqual(0.85); // 88.0% (1,760 of 2,000) with these seeds
    expect(coverage).toBeLessThanOrEqual(0.95);
  });
});
