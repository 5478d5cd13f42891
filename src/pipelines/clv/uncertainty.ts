/**
 * Parameter uncertainty of the fitted models, from the observed information: the Hessian of the log-likelihood at
 * the MLE on the log-parameter scale (the scale the fits optimise on), by central differences; its negative
 * inverse is the asymptotic covariance of the log-parameters. Standard errors on the natural scale follow by the
 * delta method, se(theta) = theta * se(log theta); 95% intervals are exp(log theta +- 1.96 se(log theta)), which stay
 * positive (lifetimes reports the symmetric theta +- 1.96 se(theta) instead, with the same se).
 *
 * Per-customer CLV intervals: a parametric bootstrap over that distribution (drawParameters; clvInterval.ts).
 */
import {
  bgNbdLogLikelihood,
  gammaGammaLogLikelihood,
  mbgNbdLogLikelihood,
  paretoNbdLogLikelihood,
  type CompressedRows,
  type SpendRows,
} from "./models.ts";
import { bgBbLogLikelihood, type BgBbRow } from "./bgbb.ts";
import { createRng, normal } from "../../data/random.ts";
import { cholesky, invertPositiveDefinite } from "./optimize.ts";

export { cholesky, invertPositiveDefinite };

export type UncertainModel = "bgnbd" | "mbgnbd" | "pnbd" | "gammagamma" | "bgbb";

export const PARAM_NAMES: Record<UncertainModel, readonly string[]> = {
  bgnbd: ["r", "alpha", "a", "b"],
  mbgnbd: ["r", "alpha", "a", "b"],
  pnbd: ["r", "alpha", "s", "beta"],
  gammagamma: ["p", "q", "gamma"],
  bgbb: ["alpha", "beta", "gamma", "delta"],
};

export type Params = Record<string, number>;

/** The log-likelihood of `model` over its data, as a function of the parameter object. */
export function modelLogLikelihood(
  model: UncertainModel,
  data: CompressedRows | SpendRows | BgBbRow[],
): (p: Params) => number {
  switch (model) {
    case "bgnbd":
      return (p) => bgNbdLogLikelihood(p as never, data as CompressedRows);
    case "mbgnbd":
      return (p) => mbgNbdLogLikelihood(p as never, data as CompressedRows);
    case "pnbd":
      return (p) => paretoNbdLogLikelihood(p as never, data as CompressedRows);
    case "gammagamma":
      return (p) => gammaGammaLogLikelihood(p as never, data as SpendRows);
    case "bgbb":
      return (p) => bgBbLogLikelihood(p as never, data as BgBbRow[]);
  }
}

/** Central-difference Hessian of f at x with step h in every coordinate (4 evaluations per off-diagonal entry). */
export function numericalHessian(f: (x: number[]) => number, x: number[], h = 1e-3): number[][] {
  const n = x.length;
  const at = (steps: [number, number][]) => {
    const y = [...x];
    for (const [i, s] of steps) y[i] += s;
    return f(y);
  };
  const f0 = f(x);
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    H[i][i] = (at([[i, h]]) - 2 * f0 + at([[i, -h]])) / (h * h);
    for (let j = 0; j < i; j++) {
      const v =
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
      H[i][j] = v;
      H[j][i] = v;
    }
  }
  return H;
}

export interface ParameterUncertainty {
  names: string[];
  estimate: Params;
  /** Delta-method standard errors on the natural scale. */
  se: Params;
  /** 95% intervals exp(log theta +- 1.96 se(log theta)). */
  ci: Record<string, [number, number]>;
  /** Covariance of the log-parameters (inverse observed information); null when the information is not positive definite. */
  covarianceLog: number[][] | null;
  /** Observed information -d2 LL / d(log theta)2. */
  information: number[][];
  positiveDefinite: boolean;
}

const Z95 = 1.959963984540054;

/**
 * Standard errors and 95% intervals of `params` (the MLE of `model` on `data`). When the observed information is
 * not positive definite (a flat or saddle likelihood: the MLE is not a proper maximum) se and ci are NaN.
 */
export function parameterUncertainty(
  model: UncertainModel,
  params: object,
  data: CompressedRows | SpendRows | BgBbRow[],
  step = 1e-3,
): ParameterUncertainty {
  const names = [...PARAM_NAMES[model]];
  const estimate = params as Params;
  const ll = modelLogLikelihood(model, data);
  const theta = names.map((k) => Math.log(estimate[k]));
  const negative = (t: number[]) => -ll(Object.fromEntries(names.map((k, i) => [k, Math.exp(t[i])])));
  const information = numericalHessian(negative, theta, step);
  const covarianceLog = invertPositiveDefinite(information);
  const se: Params = {};
  const ci: Record<string, [number, number]> = {};
  names.forEach((k, i) => {
    const seLog = covarianceLog ? Math.sqrt(covarianceLog[i][i]) : NaN;
    se[k] = estimate[k] * seLog;
    ci[k] = [Math.exp(theta[i] - Z95 * seLog), Math.exp(theta[i] + Z95 * seLog)];
  });
  return { names, estimate, se, ci, covarianceLog, information, positiveDefinite: covarianceLog !== null };
}

/**
 * `draws` parameter vectors from the multivariate normal N(log theta_hat, covarianceLog), back on the natural scale.
 * The log scale because the fits and the asymptotics live there: draws stay positive and the likelihood is closer to
 * quadratic in log-parameters than in the skewed natural ones. A fixed seed makes the intervals in the marts the
 * same on every run of the same data (a report that changes on re-run is not defensible).
 */
export function drawParameters(
  names: readonly string[],
  estimate: Params,
  covarianceLog: number[][],
  draws: number,
  seed = 13,
): Params[] {
  const L = cholesky(covarianceLog);
  if (!L) throw new Error("drawParameters: covariance is not positive definite");
  const rand = createRng(seed);
  const mean = names.map((k) => Math.log(estimate[k]));
  return Array.from({ length: draws }, () => {
    const z = names.map(() => normal(rand));
    return Object.fromEntries(
      names.map((k, i) => {
        let v = mean[i];
        for (let j = 0; j <= i; j++) v += L[i][j] * z[j];
        return [k, Math.exp(v)];
      }),
    );
  });
}

/**
 * [low, high] central interval of level `level` from bootstrap values (non-finite values dropped): quantiles by
 * linear interpolation between order statistics, as valueMatrix's quantile and numpy's default.
 */
export function percentileInterval(values: ArrayLike<number>, level: number): [number, number] {
  return sortedPercentileInterval(Float64Array.from(values).sort(), level);
}

/** Order statistics percentileIntervalInPlace keeps at most, per end, before a full sort is cheaper. */
const MAX_KEPT = 32;
const smallest = new Float64Array(MAX_KEPT);
const largest = new Float64Array(MAX_KEPT);

/**
 * percentileInterval of `values` (left permuted): the same numbers as sortedPercentileInterval(values.sort()), but
 * from the few order statistics its two interpolations read, kept in one pass (the k smallest and k largest, k = 11
 * for 200 draws at level 0.9) instead of sorting every value: customer_clv_interval does this for each of its
 * customers, and it is ~3x faster than the sort. Hand-written because no library keeps both ends of a Float64Array
 * in one pass; checked against the sort on random, tied, signed-zero and non-finite inputs (uncertainty.test.ts).
 */
export function percentileIntervalInPlace(values: Float64Array, level: number): [number, number] {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v === 0) values[n++] = v; // finite (NaN and +-Infinity give NaN): the values the sort keeps
  }
  if (n === 0) return [NaN, NaN];
  const lowH = (n - 1) * ((1 - level) / 2);
  const highH = (n - 1) * ((1 + level) / 2);
  const keepLow = Math.ceil(lowH) + 1;
  const keepHigh = n - Math.floor(highH);
  if (!(keepLow <= MAX_KEPT && keepHigh <= MAX_KEPT))
    return sortedPercentileInterval(values.subarray(0, n).sort(), level);
  let low = 0;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (low < keepLow || v < smallest[low - 1]) {
      let j = low < keepLow ? low++ : low - 1;
      for (; j > 0 && smallest[j - 1] > v; j--) smallest[j] = smallest[j - 1];
      smallest[j] = v;
    }
    if (high < keepHigh || v > largest[high - 1]) {
      let j = high < keepHigh ? high++ : high - 1;
      for (; j > 0 && largest[j - 1] < v; j--) largest[j] = largest[j - 1];
      largest[j] = v;
    }
  }
  // sorted[k] is smallest[k] from below and largest[n - 1 - k] from above
  const lo1 = Math.floor(lowH);
  const lo2 = Math.floor(highH);
  const a = largest[n - 1 - lo2];
  return [
    smallest[lo1] + (lowH - lo1) * (smallest[Math.ceil(lowH)] - smallest[lo1]),
    a + (highH - lo2) * (largest[n - 1 - Math.ceil(highH)] - a),
  ];
}

/** percentileInterval of values already sorted by Float64Array.prototype.sort (callers reusing one scratch array). */
export function sortedPercentileInterval(all: Float64Array, level: number): [number, number] {
  // A typed-array sort is numeric with -Infinity first and +Infinity, NaN last: trim those ends.
  let start = 0;
  let end = all.length;
  while (end > 0 && !Number.isFinite(all[end - 1])) end--;
  while (start < end && !Number.isFinite(all[start])) start++;
  const sorted = all.subarray(start, end);
  if (sorted.length === 0) return [NaN, NaN];
  const at = (q: number) => {
    const h = (sorted.length - 1) * q;
    const lo = Math.floor(h);
    return sorted[lo] + (h - lo) * (sorted[Math.ceil(h)] - sorted[lo]);
  };
  return [at((1 - level) / 2), at((1 + level) / 2)];
}
