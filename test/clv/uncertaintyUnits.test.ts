/**
 * uncertainty.ts's parts on inputs with results known by hand, fast enough for mutation testing (uncertainty.test.ts
 * holds the CDNOW and coverage tests, minutes per mutant): central-difference Hessians of functions whose
 * differences have a closed form, a 2 x 2 Cholesky factor and inverse, 95% log-scale intervals, percentile
 * intervals by linear interpolation (numpy's default), seeded draws, and the likelihood each model name selects.
 * Only behaviour is asserted (no internals), so the tests hold across a faster implementation.
 */
import { describe, expect, it } from "vitest";
import {
  bgNbdLogLikelihood,
  compressRows,
  gammaGammaLogLikelihood,
  mbgNbdLogLikelihood,
  paretoNbdLogLikelihood,
  spendRows,
} from "../../src/pipelines/clv/models.ts";
import { bgBbLogLikelihood } from "../../src/pipelines/clv/bgbb.ts";
import { createRng, normal } from "../../src/data/random.ts";
import {
  PARAM_NAMES,
  cholesky,
  drawParameters,
  invertPositiveDefinite,
  modelLogLikelihood,
  numericalHessian,
  parameterUncertainty,
  percentileInterval,
  percentileIntervalInPlace,
  sortedPercentileInterval,
} from "../../src/pipelines/clv/uncertainty.ts";

describe("numericalHessian", () => {
  it("is exact on a quadratic", () => {
    // f = 3x^2 + 2xy + 5y^2 + x - 4y: H = [[6, 2], [2, 10]] everywhere
    const H = numericalHessian(([x, y]) => 3 * x * x + 2 * x * y + 5 * y * y + x - 4 * y, [1, 2]);
    expect(H[0][0]).toBeCloseTo(6, 5);
    expect(H[0][1]).toBeCloseTo(2, 5);
    expect(H[1][0]).toBeCloseTo(2, 5);
    expect(H[1][1]).toBeCloseTo(10, 5);
  });

  it("uses central differences with the given step", () => {
    // f = exp(x + y) at 0: diagonal (e^h - 2 + e^-h) / h^2 = 2 (cosh h - 1) / h^2, off-diagonal
    // (e^2h - 2 + e^-2h) / (4 h^2) = (cosh 2h - 1) / (2 h^2); at h = 0.1: 1.000833611 and 1.003337781
    const f = ([x, y]: number[]) => Math.exp(x + y);
    const H = numericalHessian(f, [0, 0], 0.1);
    expect(H[0][0]).toBeCloseTo(1.000833611, 8);
    expect(H[1][1]).toBeCloseTo(1.000833611, 8);
    expect(H[0][1]).toBeCloseTo(1.003337781, 8);
    expect(H[1][0]).toBeCloseTo(1.003337781, 8);
    // the default step 1e-3: within 1e-6 of the true second derivative 1
    const fine = numericalHessian(f, [0, 0]);
    for (const row of fine) for (const v of row) expect(Math.abs(v - 1)).toBeLessThan(1e-6);
    // three coordinates: every off-diagonal pair (f = xy + 2yz + 3xz)
    const H3 = numericalHessian(([x, y, z]) => x * y + 2 * y * z + 3 * x * z, [0.5, -1, 2]);
    const expected = [
      [0, 1, 3],
      [1, 0, 2],
      [3, 2, 0],
    ];
    H3.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 6)));
  });
});

describe("cholesky and invertPositiveDefinite", () => {
  it("factor and invert a 2 x 2 by hand, and refuse an indefinite matrix", () => {
    // [[4, 2], [2, 3]] = L L' with L = [[2, 0], [1, sqrt 2]]; inverse [[3, -2], [-2, 4]] / 8
    const L = cholesky([
      [4, 2],
      [2, 3],
    ])!;
    expect(L[0][0]).toBeCloseTo(2, 14);
    expect(L[1][0]).toBeCloseTo(1, 14);
    expect(L[1][1]).toBeCloseTo(Math.SQRT2, 14);
    expect(L[0][1]).toBe(0);
    const inverse = invertPositiveDefinite([
      [4, 2],
      [2, 3],
    ])!;
    expect(inverse.flat()).toEqual([3 / 8, -2 / 8, -2 / 8, 4 / 8].map((v) => expect.closeTo(v, 14)));
    expect(
      cholesky([
        [1, 2],
        [2, 1],
      ]),
    ).toBeNull();
    expect(
      invertPositiveDefinite([
        [1, 2],
        [2, 1],
      ]),
    ).toBeNull();
  });
});

describe("percentile intervals", () => {
  it("interpolate linearly between order statistics, dropping non-finite values", () => {
    // 1..11 at 90%: positions 10 x 0.05 = 0.5 and 10 x 0.95 = 9.5 -> 1.5 and 10.5
    const eleven = Array.from({ length: 11 }, (_, i) => 11 - i);
    expect(percentileInterval(eleven, 0.9)).toEqual([1.5, 10.5]);
    expect(percentileInterval([5, 1, 4, 2, 3], 0.5)).toEqual([2, 4]);
    // finite values 1, 2, 3 at 50%: positions 0.5 and 1.5
    const mixed = [Number.NaN, 3, Number.POSITIVE_INFINITY, 1, 2, Number.NEGATIVE_INFINITY];
    expect(percentileInterval(mixed, 0.5)).toEqual([1.5, 2.5]);
    expect(percentileIntervalInPlace(Float64Array.from(mixed), 0.5)).toEqual([1.5, 2.5]);
    expect(sortedPercentileInterval(Float64Array.from(mixed).sort(), 0.5)).toEqual([1.5, 2.5]);
    expect(percentileInterval([Number.NaN, Number.POSITIVE_INFINITY], 0.9)).toEqual([Number.NaN, Number.NaN]);
    expect(percentileIntervalInPlace(Float64Array.from([Number.NaN]), 0.9)).toEqual([Number.NaN, Number.NaN]);
    expect(percentileIntervalInPlace(new Float64Array(0), 0.9)).toEqual([Number.NaN, Number.NaN]);
    expect(percentileInterval([7], 0.9)).toEqual([7, 7]);
    // 200 values 0..199 at 90% (the marts' case): positions 9.95 and 189.05
    const many = Float64Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
    expect(percentileIntervalInPlace(many, 0.9).map((v) => Number(v.toFixed(9)))).toEqual([9.95, 189.05]);
    // 1,000 values at 50% (more order statistics than are kept per end): positions 249.75 and 749.25
    const thousand = Float64Array.from({ length: 1000 }, (_, i) => (i * 379) % 1000);
    expect(percentileIntervalInPlace(thousand, 0.5).map((v) => Number(v.toFixed(9)))).toEqual([249.75, 749.25]);
  });

  it("interpolate by the fraction of the gap between order statistics, not by 1 / gap", () => {
    // 0, 10, ..., 100 at 90%: positions 0.5 and 9.5 -> 0 + 0.5 x 10 = 5 and 90 + 0.5 x 10 = 95
    const tens = Float64Array.from({ length: 11 }, (_, i) => 10 * (10 - i));
    const nine = (v: number) => Number(v.toFixed(9));
    expect(percentileInterval(tens, 0.9).map(nine)).toEqual([5, 95]);
    expect(percentileIntervalInPlace(Float64Array.from(tens), 0.9).map(nine)).toEqual([5, 95]);
  });

  it("keep exactly as many order statistics as the interpolation reads, at the largest count kept (32)", () => {
    // 63 values at level 0: both positions are 31 (the median), so each end keeps 32 values; descending order makes
    // every value a new smallest, ascending a new largest: the median 31 either way
    const descending = Float64Array.from({ length: 63 }, (_, i) => 62 - i);
    const ascending = Float64Array.from({ length: 63 }, (_, i) => i);
    expect(percentileIntervalInPlace(descending, 0)).toEqual([31, 31]);
    expect(percentileIntervalInPlace(ascending, 0)).toEqual([31, 31]);
  });

  it("do not depend on what an earlier call left in the kept order statistics", () => {
    // 0..999 at 95% keeps 26 values per end (positions 24.975 and 974.025), and leaves 999, ..., 974 among the
    // largest; then 1..11 at 90% keeps 2 per end: positions 0.5 and 9.5 -> 1.5 and 10.5, as if called first
    const big = Float64Array.from({ length: 1000 }, (_, i) => (i * 379) % 1000);
    expect(percentileIntervalInPlace(big, 0.95).map((v) => Number(v.toFixed(9)))).toEqual([24.975, 974.025]);
    const small = Float64Array.from({ length: 11 }, (_, i) => ((i * 4) % 11) + 1);
    expect(percentileIntervalInPlace(small, 0.9).map((v) => Number(v.toFixed(9)))).toEqual([1.5, 10.5]);
    // no finite value at level 1 (positions 0 and n - 1 = -1): NaN, not a value kept from the calls above
    expect(percentileIntervalInPlace(Float64Array.from([Number.NaN, Number.POSITIVE_INFINITY]), 1)).toEqual([
      Number.NaN,
      Number.NaN,
    ]);
    expect(percentileIntervalInPlace(new Float64Array(0), 1)).toEqual([Number.NaN, Number.NaN]);
  });
});

describe("parameterUncertainty", () => {
  // 60 customers of 6 histories (x, t_x, T)
  const histories = [
    [0, 0, 30],
    [1, 10, 30],
    [2, 25, 32],
    [3, 12, 35],
    [5, 30, 36],
    [0, 0, 20],
  ];
  const x = histories.flatMap((h, i) => Array(4 + 3 * i).fill(h[0]));
  const tx = histories.flatMap((h, i) => Array(4 + 3 * i).fill(h[1]));
  const T = histories.flatMap((h, i) => Array(4 + 3 * i).fill(h[2]));
  const rows = compressRows(x, tx, T);

  it("takes se = theta x se(log theta) and 95% intervals exp(log theta +- 1.96 se(log theta)) from the information", () => {
    const params = { r: 0.6, alpha: 5, a: 0.7, b: 2.2 };
    const u = parameterUncertainty("bgnbd", params, rows);
    expect(u.names).toEqual(["r", "alpha", "a", "b"]);
    expect(u.estimate).toEqual(params);
    // the information is the Hessian of -LL in log-parameters, here by an independent 4-point difference
    const negative = (t: number[]) =>
      -bgNbdLogLikelihood({ r: Math.exp(t[0]), alpha: Math.exp(t[1]), a: Math.exp(t[2]), b: Math.exp(t[3]) }, rows);
    const theta = [0.6, 5, 0.7, 2.2].map(Math.log);
    const h = 1e-3;
    const second = (i: number) => {
      const at = (s: number) => negative(theta.map((v, k) => (k === i ? v + s : v)));
      return (at(h) - 2 * at(0) + at(-h)) / (h * h);
    };
    for (let i = 0; i < 4; i++) expect(u.information[i][i] / second(i)).toBeCloseTo(1, 6);
    expect(u.positiveDefinite).toBe(true);
    // the covariance of the log-parameters inverts the information
    const C = u.covarianceLog!;
    u.information.forEach((row, i) =>
      row.forEach((_, j) => expect(row.reduce((sum, v, k) => sum + v * C[k][j], 0)).toBeCloseTo(i === j ? 1 : 0, 8)),
    );
    u.names.forEach((k, i) => {
      const seLog = Math.sqrt(u.covarianceLog![i][i]);
      expect(u.se[k]).toBeCloseTo(params[k as keyof typeof params] * seLog, 12);
      expect(u.ci[k][0]).toBeCloseTo(params[k as keyof typeof params] * Math.exp(-1.959963984540054 * seLog), 12);
      expect(u.ci[k][1]).toBeCloseTo(params[k as keyof typeof params] * Math.exp(1.959963984540054 * seLog), 12);
    });
    // a coarser step changes the information only in the differences' error
    const coarse = parameterUncertainty("bgnbd", params, rows, 0.05);
    expect(coarse.information[0][0]).not.toBe(u.information[0][0]);
    expect(coarse.information[0][0] / u.information[0][0]).toBeCloseTo(1, 2);
  });

  it("gives NaN standard errors and intervals without a positive definite information", () => {
    const u = parameterUncertainty("bgnbd", { r: 0.25, alpha: 4, a: 1e-6, b: 1e6 }, rows);
    expect(u.positiveDefinite).toBe(false);
    expect(u.covarianceLog).toBeNull();
    for (const k of u.names) {
      expect(u.se[k]).toBeNaN();
      expect(u.ci[k][0]).toBeNaN();
      expect(u.ci[k][1]).toBeNaN();
    }
  });

  it("evaluates the likelihood each model name stands for", () => {
    const bgbbRows = [
      { frequency: 2, recency: 4, periods: 6, weights: 3 },
      { frequency: 0, recency: 0, periods: 6, weights: 5 },
    ];
    const spend = spendRows(Float64Array.from([1, 3]), Float64Array.from([20, 35]), Float64Array.from([2, 1]));
    const p = { r: 0.5, alpha: 3, a: 0.8, b: 2, s: 0.7, beta: 9, p: 6, q: 4, gamma: 15, delta: 1.5 };
    expect(modelLogLikelihood("bgnbd", rows)(p)).toBe(bgNbdLogLikelihood(p, rows));
    expect(modelLogLikelihood("mbgnbd", rows)(p)).toBe(mbgNbdLogLikelihood(p, rows));
    expect(modelLogLikelihood("pnbd", rows)(p)).toBe(paretoNbdLogLikelihood(p, rows));
    expect(modelLogLikelihood("gammagamma", spend)(p)).toBe(gammaGammaLogLikelihood(p, spend));
    const bb = { alpha: 1.2, beta: 0.8, gamma: 0.6, delta: 2.5 };
    expect(modelLogLikelihood("bgbb", bgbbRows)(bb)).toBe(bgBbLogLikelihood(bb, bgbbRows));
    // (each a finite number, so that equal values say something)
    expect(Number.isFinite(bgBbLogLikelihood(bb, bgbbRows))).toBe(true);
    expect(
      [bgNbdLogLikelihood, mbgNbdLogLikelihood, paretoNbdLogLikelihood].map((f) => f(p, rows)).every(Number.isFinite),
    ).toBe(true);
    expect(Number.isFinite(gammaGammaLogLikelihood(p, spend))).toBe(true);
    expect(PARAM_NAMES).toEqual({
      bgnbd: ["r", "alpha", "a", "b"],
      mbgnbd: ["r", "alpha", "a", "b"],
      pnbd: ["r", "alpha", "s", "beta"],
      gammagamma: ["p", "q", "gamma"],
      bgbb: ["alpha", "beta", "gamma", "delta"],
    });
  });
});

describe("drawParameters", () => {
  const cov = [
    [0.04, 0.01],
    [0.01, 0.09],
  ];
  it("draws exp(log theta + L z), the same for the same seed", () => {
    const a = drawParameters(["u", "v"], { u: 2, v: 5 }, cov, 50, 3);
    expect(a).toHaveLength(50);
    expect(drawParameters(["u", "v"], { u: 2, v: 5 }, cov, 50, 3)).toEqual(a);
    expect(drawParameters(["u", "v"], { u: 2, v: 5 }, cov, 50, 4)).not.toEqual(a);
    // L = [[0.2, 0], [0.05, sqrt(0.09 - 0.0025)]]: z1 = log(u / 2) / 0.2 and log(v / 5) = 0.05 z1 + L22 z2, so a
    // draw pair gives z2, and over many draws z1, z2 have mean 0 and variance 1, uncorrelated
    const many = drawParameters(["u", "v"], { u: 2, v: 5 }, cov, 20_000, 3);
    const L22 = Math.sqrt(0.09 - 0.0025);
    const z = many.map((d) => {
      const z1 = Math.log(d.u / 2) / 0.2;
      return [z1, (Math.log(d.v / 5) - 0.05 * z1) / L22];
    });
    const mean = (k: number) => z.reduce((s, p) => s + p[k], 0) / z.length;
    const moment = (f: (p: number[]) => number) => z.reduce((s, p) => s + f(p), 0) / z.length;
    expect(Math.abs(mean(0))).toBeLessThan(0.03);
    expect(Math.abs(mean(1))).toBeLessThan(0.03);
    expect(moment((p) => p[0] * p[0])).toBeCloseTo(1, 1);
    expect(moment((p) => p[1] * p[1])).toBeCloseTo(1, 1);
    expect(Math.abs(moment((p) => p[0] * p[1]))).toBeLessThan(0.03);
    expect(many.every((d) => d.u > 0 && d.v > 0)).toBe(true);
  });

  it("adds L z to the log-estimate: each draw from the seeded standard normals, taken in name order", () => {
    // L = [[0.2, 0], [0.05, L22]] by hand; the draws read z1, z2, z1', z2', ... from normal(createRng(seed))
    const L22 = Math.sqrt(0.09 - 0.0025);
    const rand = createRng(3);
    const draws = drawParameters(["u", "v"], { u: 2, v: 5 }, cov, 3, 3);
    for (const d of draws) {
      const z1 = normal(rand);
      const z2 = normal(rand);
      expect(d.u).toBeCloseTo(2 * Math.exp(0.2 * z1), 12);
      expect(d.v).toBeCloseTo(5 * Math.exp(0.05 * z1 + L22 * z2), 12);
    }
  });

  it("refuses a covariance that is not positive definite", () => {
    expect(() =>
      drawParameters(
        ["u", "v"],
        { u: 1, v: 1 },
        [
          [1, 2],
          [2, 1],
        ],
        5,
      ),
    ).toThrow("drawParameters: covariance is not positive definite");
  });
});
