/**
 * Buy-till-you-die purchase models and the Gamma-Gamma spend model, fitted by maximum likelihood.
 *
 * - BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way".
 * - Pareto/NBD: Schmittlein, Morrison & Colombo (1987); likelihood in the form of Fader & Hardie's note
 *   "A note on deriving the Pareto/NBD model and related expressions" (2005), as implemented by `lifetimes`.
 * - MBG/NBD: Batislam, Denizel & Filiztekin (2007).
 * - Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
 *
 * Data are (x = frequency = number of repeat purchases, t_x = recency = time of the last purchase since the first,
 * T = age since the first purchase), all in one period unit. Identical rows are compressed into weights so the
 * likelihood costs O(distinct rows), not O(customers). Parameters are optimised on the log scale: a coarse
 * multi-start search on a random subset of the rows, polished there by BFGS, warm-starts a few BFGS iterations on
 * all rows (analytic gradients for BG/NBD, MBG/NBD and Gamma-Gamma, gradients.ts; central differences for
 * Pareto/NBD). A purchase model whose dropout process does not beat the no-dropout NBD stops after the coarse
 * search ("no dropout signal"), and a fit that does not converge reports no parameters (NaN, NULL in model_fit).
 *
 * Everything here is pure: arrays in, numbers out.
 */
import gammaln from "@stdlib/math-base-special-gammaln";
import hyp2f1 from "@stdlib/math-base-special-hyp2f1";
import { hyp2f1Series } from "./hypergeometric.ts";
import { minimizeBfgs, minimizeMultiStart, type MultiStartOptions } from "./optimize.ts";
import { bgFamilyValueGradient, gammaGammaValueGradient, nbdValueGradient, type ValueGradient } from "./gradients.ts";

export type PurchaseModelName = "bgnbd" | "pnbd" | "mbgnbd";
export type ModelName = PurchaseModelName | "gammagamma";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}
export type MbgNbdParams = BgNbdParams;
export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export interface FitResult<P> {
  model: ModelName;
  params: P;
  logLikelihood: number;
  /** k ln(n) - 2 LL with n the number of customers (not distinct rows). */
  bic: number;
  converged: boolean;
  iterations: number;
  message: string;
  nCustomers: number;
  /** Wall time of the fit. */
  seconds: number;
}

/** (x, t_x, T) rows with identical rows merged; `weight` counts the customers behind each row. */
export interface CompressedRows {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  /** Total number of customers (sum of weights). */
  n: number;
  /** Distinct values of x, and each row's index into them: terms that depend on x alone are computed once per value. */
  xValues: Float64Array;
  xIndex: Int32Array;
  /** Likewise for t_x and T (order dates make few distinct values), so log(alpha + t) is computed once per value. */
  txValues: Float64Array;
  txIndex: Int32Array;
  TValues: Float64Array;
  TIndex: Int32Array;
  /** Distinct (x, t_x) and (x, T) pairs: the Pareto/NBD's 2F1 terms depend on one pair each. */
  xTxIndex: Int32Array;
  xTxCount: number;
  xTIndex: Int32Array;
  xTCount: number;
}

/** Distinct values of `x` and the index of each element into them. */
function indexValues(x: ArrayLike<number>): { values: Float64Array; index: Int32Array } {
  const at = new Map<number, number>();
  const values: number[] = [];
  const index = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let k = at.get(x[i]);
    if (k === undefined) {
      k = values.length;
      at.set(x[i], k);
      values.push(x[i]);
    }
    index[i] = k;
  }
  return { values: Float64Array.from(values), index };
}

/** Merge identical (x, t_x, T) rows. Non-finite or impossible rows (t_x > T, x < 0) are an error, not skipped. */
export function compressRows(x: ArrayLike<number>, tx: ArrayLike<number>, T: ArrayLike<number>): CompressedRows {
  if (x.length !== tx.length || x.length !== T.length)
    throw new Error("compressRows: x, t_x and T must have the same length");
  const index = new Map<string, number>();
  const xs: number[] = [];
  const txs: number[] = [];
  const Ts: number[] = [];
  const ws: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const ti = tx[i];
    const Ti = T[i];
    if (!(Number.isFinite(xi) && Number.isFinite(ti) && Number.isFinite(Ti)) || xi < 0 || ti < 0 || ti > Ti + 1e-9) {
      throw new Error(
        `compressRows: row ${i} has invalid (x, t_x, T) = (${xi}, ${ti}, ${Ti}); need 0 <= t_x <= T, x >= 0`,
      );
    }
    const key = `${xi}|${ti}|${Ti}`;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, xs.length);
      xs.push(xi);
      txs.push(ti);
      Ts.push(Ti);
      ws.push(1);
    } else {
      ws[at]++;
    }
  }
  return withIndexes(
    Float64Array.from(xs),
    Float64Array.from(txs),
    Float64Array.from(Ts),
    Float64Array.from(ws),
    x.length,
  );
}

/**
 * Rows already merged elsewhere (e.g. `group by frequency, recency, T` in SQL) with the number of customers behind
 * each; validated like compressRows. Rows with weight 0 are dropped.
 */
export function weightedRows(
  x: ArrayLike<number>,
  tx: ArrayLike<number>,
  T: ArrayLike<number>,
  weight: ArrayLike<number>,
): CompressedRows {
  if (x.length !== tx.length || x.length !== T.length || x.length !== weight.length) {
    throw new Error("weightedRows: x, t_x, T and weight must have the same length");
  }
  const keep: number[] = [];
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const [xi, ti, Ti, wi] = [x[i], tx[i], T[i], weight[i]];
    if (
      !(Number.isFinite(xi) && Number.isFinite(ti) && Number.isFinite(Ti)) ||
      xi < 0 ||
      ti < 0 ||
      ti > Ti + 1e-9 ||
      !(wi >= 0)
    ) {
      throw new Error(
        `weightedRows: row ${i} has invalid (x, t_x, T, weight) = (${xi}, ${ti}, ${Ti}, ${wi}); need 0 <= t_x <= T, x >= 0, weight >= 0`,
      );
    }
    if (wi > 0) keep.push(i);
    n += wi;
  }
  const pick = (a: ArrayLike<number>) => Float64Array.from(keep, (i) => a[i]);
  return withIndexes(pick(x), pick(tx), pick(T), pick(weight), n);
}

function withIndexes(
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
  weight: Float64Array,
  n: number,
): CompressedRows {
  const xs = indexValues(x);
  const txs = indexValues(tx);
  const Ts = indexValues(T);
  const pairs = (a: Int32Array, b: Int32Array) => indexValues(Array.from(a, (v, i) => v * 1_000_003 + b[i]));
  const xTx = pairs(xs.index, txs.index);
  const xT = pairs(xs.index, Ts.index);
  return {
    x,
    tx,
    T,
    weight,
    n,
    xValues: xs.values,
    xIndex: xs.index,
    txValues: txs.values,
    txIndex: txs.index,
    TValues: Ts.values,
    TIndex: Ts.index,
    xTxIndex: xTx.index,
    xTxCount: xTx.values.length,
    xTIndex: xT.index,
    xTCount: xT.values.length,
  };
}

/**
 * A seeded random subset of about `size` distinct rows (each kept with probability size/rows, weights unchanged):
 * used for the coarse search, whose optimum is then polished on all rows.
 */
export function subsampleRows(data: CompressedRows, size: number, seed = 1): CompressedRows {
  if (data.x.length <= size) return data;
  const keep = sampleIndices(data.x.length, size, seed);
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const weight = pick(data.weight);
  return withIndexes(
    pick(data.x),
    pick(data.tx),
    pick(data.T),
    weight,
    weight.reduce((s, w) => s + w, 0),
  );
}

/** The same for spend rows (the Gamma-Gamma coarse search). */
export function subsampleSpendRows(data: SpendRows, size: number, seed = 1): SpendRows {
  if (data.x.length <= size) return data;
  const keep = sampleIndices(data.x.length, size, seed);
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  return spendRows(pick(data.x), pick(data.m), pick(data.weight));
}

/** Indices 0..length-1, each kept with probability size/length (seeded). */
function sampleIndices(length: number, size: number, seed: number): number[] {
  let state = seed >>> 0;
  const rand = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const keep: number[] = [];
  const p = size / length;
  for (let i = 0; i < length; i++) if (rand() < p) keep.push(i);
  return keep;
}

// ---------------------------------------------------------------------------------------------------------------
// Numeric helpers

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log(exp(a) - exp(b)) for a >= b. */
function logSubExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (b >= a) return -Infinity;
  return a + Math.log(-Math.expm1(b - a));
}

/**
 * log 2F1(a, b; c; z) for 0 <= z < 1. @stdlib's hyp2f1 (a port of Cephes) agrees with a direct power series to
 * ~1e-14 relative in the regimes these models use (checked in test/clv/special.test.ts); when the value itself
 * overflows (many repeat purchases, z near 1) we use Euler's transformation
 * 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z), as `lifetimes` does, and finally a power series summed in
 * log space.
 */
export function logHyp2f1(a: number, b: number, c: number, z: number): number {
  if (z === 0) return 0;
  const direct = hyp2f1(a, b, c, z);
  if (Number.isFinite(direct) && direct > 0) return Math.log(direct);
  const euler = hyp2f1(c - a, c - b, c, z);
  if (Number.isFinite(euler) && euler > 0) return Math.log(euler) + (c - a - b) * Math.log1p(-z);
  return logHyp2f1Series(a, b, c, z);
}

/**
 * log 2F1(a, b; a+1; z) for a, b > 0 and 0 <= z < 1, the only form the Pareto/NBD likelihood needs. @stdlib's
 * general routine treats c - a = 1 (an integer) as a special case that costs tens of microseconds per call and
 * more as z nears 1; here every term of the power series is positive (no cancellation), so summing it directly is
 * exact to rounding and takes ~log(1e-16)/log(z) terms: fast for the z < 0.1 of fitted models, and still a few
 * thousand cheap terms at z = 0.99 (where an optimiser exploring data without dropout spends its time). If the sum
 * overflows (thousands of purchases), the series is summed in log space.
 */
export function logHyp2f1Pareto(a: number, b: number, z: number): number {
  if (z === 0) return 0;
  // Parameters this far out (r or s above a million) are not a customer base; bail out before a huge series.
  if (a > 1e6 || b > 1e6) return NaN;
  // z > 0.99 needs min(alpha, beta) < 1% of max(alpha, beta): every 2F1 route is then slow (tens of thousands of
  // terms, or stdlib's long loops), and a single likelihood evaluation could take minutes. Such extreme parameters
  // are treated as outside the model's domain (NaN -> the optimiser steps back); fitted CDNOW-like models have z < 0.1.
  if (z > 0.99) return NaN;
  if (b > 1 && b <= a + 1) {
    // Euler's transformation 2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z): the new series' terms fall like
    // z^k k^-b instead of z^k k^(b-2) and never grow (each ratio is below z), so with many purchases (b = r + x) it
    // needs tens of terms where the plain one needs thousands near z = 1, and it cannot overflow. Only for
    // b <= a + 1: above it a + 1 - b < 0 makes terms negative, the stop test could fire on a term that is small only
    // by sign, and the sum is wrong (the models never ask so: b = r + x or s + 1 with a = r + s + x; the plain sum below
    // is exact for every positive a, b).
    const c = a + 1 - b;
    let term = 1;
    let sum = 1;
    for (let k = 0; k < 20_000; k++) {
      term *= ((c + k) / (a + 1 + k)) * z;
      sum += term;
      if (term < 1e-17 * sum) return Math.log(sum) + (1 - b) * Math.log1p(-z);
    }
  }
  // Every term of the series is positive, so the plain sum is exact to rounding; it needs ~log(1e-17)/log(z) terms
  // past its peak (at k ~ b z / (1 - z)): a few thousand at z = 0.99, several times faster than the log-space series,
  // which is kept for sums that overflow or would need more terms.
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 20_000; k++) {
    term *= (((a + k) * (b + k)) / ((a + 1 + k) * (k + 1))) * z;
    sum += term;
    if (term < 1e-17 * sum) return Number.isFinite(sum) ? Math.log(sum) : logHyp2f1Series(a, b, a + 1, z);
  }
  return logHyp2f1Series(a, b, a + 1, z);
}

/** Power series of 2F1 accumulated in log space (terms rescaled by the running maximum), for 0 <= z < 1. */
export function logHyp2f1Series(a: number, b: number, c: number, z: number): number {
  let logTerm = 0;
  let logMax = 0;
  let sum = 1; // in units of exp(logMax)
  for (let k = 0; k < 1_000_000; k++) {
    const ratio = (((a + k) * (b + k)) / ((c + k) * (k + 1))) * z;
    if (ratio <= 0) break;
    logTerm += Math.log(ratio);
    if (logTerm > logMax) {
      sum *= Math.exp(logMax - logTerm);
      logMax = logTerm;
    }
    const term = Math.exp(logTerm - logMax);
    sum += term;
    if (term < 1e-17 * sum && ratio < 1) break;
  }
  return logMax + Math.log(sum);
}

const periodCheck = (t: number) => {
  if (!(t >= 0)) throw new Error(`prediction horizon t must be >= 0, got ${t}`);
};

// ---------------------------------------------------------------------------------------------------------------
// BG/NBD

/** Total log-likelihood of BG/NBD parameters over compressed rows (Fader, Hardie & Lee 2005, eq. 6). */
export function bgNbdLogLikelihood({ r, alpha, a, b }: BgNbdParams, data: CompressedRows): number {
  const base = gammaln(a + b) - gammaln(b) + r * Math.log(alpha) - gammaln(r);
  const k = data.xValues.length;
  const constant = new Float64Array(k);
  const logDrop = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const x = data.xValues[j];
    constant[j] = gammaln(r + x) + base + gammaln(b + x) - gammaln(a + b + x);
    logDrop[j] = x > 0 ? Math.log(a) - Math.log(b + x - 1) : -Infinity;
  }
  return sumBgFamilyLogLikelihood(data, r, alpha, constant, logDrop);
}

/**
 * The weighted sum shared by the BG/NBD and MBG/NBD likelihoods, which differ only in the per-x constant and the
 * log-probability of having dropped out after the last purchase: sum_i w_i [c(x_i) + log(e^A3 + e^A4)].
 */
function sumBgFamilyLogLikelihood(
  data: CompressedRows,
  r: number,
  alpha: number,
  constant: ArrayLike<number>,
  logDrop: ArrayLike<number>,
): number {
  const logAlphaT = data.TValues.map((T) => Math.log(alpha + T));
  const logAlphaTx = data.txValues.map((tx) => Math.log(alpha + tx));
  let total = 0;
  for (let i = 0; i < data.x.length; i++) {
    const j = data.xIndex[i];
    const rx = r + data.x[i];
    const A3 = -rx * logAlphaT[data.TIndex[i]];
    const A4 = logDrop[j] - rx * logAlphaTx[data.txIndex[i]];
    total += data.weight[i] * (constant[j] + logAddExp(A3, A4));
  }
  return total;
}

/** P(alive | x, t_x, T) under BG/NBD: customers with no repeat purchase are alive by construction (eq. in FHL 2005 App.). */
export function bgNbdPAlive({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return 1 / (1 + Math.exp(logOdds));
}

/** E[X(t)]: expected purchases in (0, t] for a customer just acquired (FHL 2005, eq. 7). */
export function bgNbdExpected({ r, alpha, a, b }: BgNbdParams, t: number): number {
  periodCheck(t);
  if (t === 0) return 0;
  const lh = logHyp2f1(r, b, a + b - 1, t / (alpha + t));
  return ((a + b - 1) / (a - 1)) * (1 - Math.exp(lh + r * Math.log(alpha / (alpha + t))));
}

/** E[Y(t) | x, t_x, T]: expected purchases in the next t periods (FHL 2005, eq. 10). */
export function bgNbdConditionalExpected(
  { r, alpha, a, b }: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  periodCheck(t);
  if (t === 0) return 0;
  return (
    bgNbdConditionalNumerator({ r, alpha, a, b }, t, x, T) / bgNbdConditionalDenominator({ r, alpha, a, b }, x, tx, T)
  );
}

/**
 * (t, T) -> (C / (a - 1)) (1 - ((alpha + T) / (alpha + T + t))^A 2F1(A, B; C; t / (alpha + T + t))), the BG-family
 * conditional numerator with A = r + x (BG/NBD: B = b + x, C = a + b + x - 1; MBG/NBD: B = b + x + 1, C = a + b + x).
 * By Euler's transformation (1 - z)^A 2F1(A, B; C; z) = (1 - z)^(C - B) 2F1(C - A, C - B; C; z), whose series
 * (hyp2f1Series, coefficients kept for the fixed (A, B, C)) has small terms where the plain one overflows; outside the
 * series' domain the general logHyp2f1 of the plain form. The same doubles for a given (params, x, t, T) whichever
 * other (t, T) the returned function saw before.
 */
function bgFamilyNumerator(
  alpha: number,
  A: number,
  B: number,
  C: number,
  scale: number,
): (t: number, T: number) => number {
  const euler = hyp2f1Series(C - A, C - B, C);
  return (t, T) => {
    const z = t / (alpha + T + t);
    const logRatio = Math.log((alpha + T) / (alpha + T + t));
    const f = euler(z);
    const exponent =
      f > 0 && Number.isFinite(f) ? Math.log(f) + (C - B) * logRatio : logHyp2f1(A, B, C, z) + A * logRatio;
    return scale * -Math.expm1(exponent);
  };
}

/** bgNbdConditionalExpected's numerator per x, which does not depend on t_x (t > 0). */
function bgNbdNumeratorOf({ r, alpha, a, b }: BgNbdParams, x: number): (t: number, T: number) => number {
  return bgFamilyNumerator(alpha, r + x, b + x, a + b + x - 1, (a + b + x - 1) / (a - 1));
}

/** bgNbdConditionalExpected's numerator, which does not depend on t_x (t > 0). */
function bgNbdConditionalNumerator(params: BgNbdParams, t: number, x: number, T: number): number {
  return bgNbdNumeratorOf(params, x)(t, T);
}

/** bgNbdConditionalExpected's denominator, 1 / P(alive), which does not depend on t. */
function bgNbdConditionalDenominator({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number): number {
  return (
    1 +
    (x > 0 ? Math.exp(Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx))) : 0)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// MBG/NBD

/** Total log-likelihood of MBG/NBD (Batislam et al. 2007): like BG/NBD but customers may drop out after the first purchase. */
export function mbgNbdLogLikelihood({ r, alpha, a, b }: MbgNbdParams, data: CompressedRows): number {
  const base = gammaln(a + b) - gammaln(b) + r * Math.log(alpha) - gammaln(r);
  const k = data.xValues.length;
  const constant = new Float64Array(k);
  const logDrop = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const x = data.xValues[j];
    constant[j] = gammaln(r + x) + base + gammaln(b + x + 1) - gammaln(a + b + x + 1);
    logDrop[j] = Math.log(a) - Math.log(b + x);
  }
  return sumBgFamilyLogLikelihood(data, r, alpha, constant, logDrop);
}

export function mbgNbdPAlive({ r, alpha, a, b }: MbgNbdParams, x: number, tx: number, T: number): number {
  const logOdds = Math.log(a) - Math.log(b + x) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return 1 / (1 + Math.exp(logOdds));
}

export function mbgNbdExpected({ r, alpha, a, b }: MbgNbdParams, t: number): number {
  periodCheck(t);
  if (t === 0) return 0;
  const lh = logHyp2f1(r, b + 1, a + b, t / (alpha + t));
  return (b / (a - 1)) * (1 - Math.exp(lh + r * Math.log(alpha / (alpha + t))));
}

export function mbgNbdConditionalExpected(
  { r, alpha, a, b }: MbgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  periodCheck(t);
  if (t === 0) return 0;
  return (
    mbgNbdConditionalNumerator({ r, alpha, a, b }, t, x, T) / mbgNbdConditionalDenominator({ r, alpha, a, b }, x, tx, T)
  );
}

/** mbgNbdConditionalExpected's numerator per x, which does not depend on t_x (t > 0). */
function mbgNbdNumeratorOf({ r, alpha, a, b }: MbgNbdParams, x: number): (t: number, T: number) => number {
  return bgFamilyNumerator(alpha, r + x, b + x + 1, a + b + x, (a + b + x) / (a - 1));
}

/** mbgNbdConditionalExpected's numerator, which does not depend on t_x (t > 0). */
function mbgNbdConditionalNumerator(params: MbgNbdParams, t: number, x: number, T: number): number {
  return mbgNbdNumeratorOf(params, x)(t, T);
}

/** mbgNbdConditionalExpected's denominator, 1 / P(alive), which does not depend on t. */
function mbgNbdConditionalDenominator({ r, alpha, a, b }: MbgNbdParams, x: number, tx: number, T: number): number {
  return 1 + Math.exp(Math.log(a) - Math.log(b + x) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));
}

// ---------------------------------------------------------------------------------------------------------------
// Pareto/NBD

/**
 * log A0 of Fader & Hardie's Pareto/NBD note (eq. 20-22): the integral over the unobserved dropout time, written with
 * 2F1(r+s+x, t; r+s+x+1; z) where the roles of alpha and beta swap so that 0 <= z < 1 always.
 */
function paretoLogA0({ r, alpha, s, beta }: ParetoNbdParams, x: number, tx: number, T: number): number {
  const alphaSmaller = alpha < beta;
  const minAB = alphaSmaller ? alpha : beta;
  const maxAB = alphaSmaller ? beta : alpha;
  const t = alphaSmaller ? r + x : s + 1;
  const rsx = r + s + x;
  const diff = maxAB - minAB;
  const q1 = maxAB + tx;
  const q2 = maxAB + T;
  const lp1 = logHyp2f1Pareto(rsx, t, diff / q1);
  const lp2 = logHyp2f1Pareto(rsx, t, diff / q2);
  return logSubExp(lp1 + rsx * Math.log(q2), lp2 + rsx * Math.log(q1)) - rsx * (Math.log(q1) + Math.log(q2));
}

/** Log-likelihood of one (x, t_x, T) row under Pareto/NBD. */
function paretoRowLogLikelihood(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = params;
  const A1 = gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta);
  const first = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  const second = Math.log(s) - Math.log(r + s + x) + paretoLogA0(params, x, tx, T);
  return A1 + logAddExp(first, second);
}

/**
 * Total Pareto/NBD log-likelihood: the same terms as paretoRowLogLikelihood, with every factor computed once per
 * distinct value (x, t_x, T) or pair ((x, t_x), (x, T)) it depends on - the 2F1 evaluations dominate the cost.
 */
export function paretoNbdLogLikelihood(params: ParetoNbdParams, data: CompressedRows): number {
  const { r, alpha, s, beta } = params;
  const alphaSmaller = alpha < beta;
  const maxAB = alphaSmaller ? beta : alpha;
  const diff = Math.abs(alpha - beta);
  const base = -gammaln(r) + r * Math.log(alpha) + s * Math.log(beta);
  const logS = Math.log(s);
  const byX = Array.from(data.xValues, (x) => gammaln(r + x) + base);
  const logAlphaT = data.TValues.map((T) => Math.log(alpha + T));
  const logBetaT = data.TValues.map((T) => Math.log(beta + T));
  const logQ1 = data.txValues.map((tx) => Math.log(maxAB + tx));
  const logQ2 = data.TValues.map((T) => Math.log(maxAB + T));
  const lp1 = new Float64Array(data.xTxCount).fill(NaN);
  const lp2 = new Float64Array(data.xTCount).fill(NaN);
  let total = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i];
    const rsx = r + s + x;
    const t = alphaSmaller ? r + x : s + 1;
    const k1 = data.xTxIndex[i];
    const k2 = data.xTIndex[i];
    if (Number.isNaN(lp1[k1])) lp1[k1] = logHyp2f1Pareto(rsx, t, diff / (maxAB + data.tx[i]));
    if (Number.isNaN(lp2[k2])) lp2[k2] = logHyp2f1Pareto(rsx, t, diff / (maxAB + data.T[i]));
    const q1 = logQ1[data.txIndex[i]];
    const q2 = logQ2[data.TIndex[i]];
    const logA0 = logSubExp(lp1[k1] + rsx * q2, lp2[k2] + rsx * q1) - rsx * (q1 + q2);
    const ti = data.TIndex[i];
    const first = -(r + x) * logAlphaT[ti] - s * logBetaT[ti];
    const second = logS - Math.log(rsx) + logA0;
    total += data.weight[i] * (byX[data.xIndex[i]] + logAddExp(first, second));
  }
  return total;
}

export function paretoNbdPAlive(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = params;
  const logOdds =
    Math.log(s) -
    Math.log(r + s + x) +
    (r + x) * Math.log(alpha + T) +
    s * Math.log(beta + T) +
    paretoLogA0(params, x, tx, T);
  return 1 / (1 + Math.exp(logOdds));
}

/** ((1 - ratio^(s-1)) / (s-1)), continuous at s = 1 where it is -ln(ratio). */
function powerDifference(ratio: number, s: number): number {
  const k = s - 1;
  if (Math.abs(k) < 1e-10) return -Math.log(ratio);
  return -Math.expm1(k * Math.log(ratio)) / k;
}

export function paretoNbdExpected({ r, alpha, s, beta }: ParetoNbdParams, t: number): number {
  periodCheck(t);
  return ((r * beta) / alpha) * powerDifference(beta / (beta + t), s);
}

export function paretoNbdConditionalExpected(
  params: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  periodCheck(t);
  if (t === 0) return 0;
  // E[Y(t)|alive] * P(alive), written through the row likelihood as in Fader & Hardie's note (eq. 26).
  return Math.exp(paretoConditionalLogNumerator(params, t, x, T) - paretoRowLogLikelihood(params, x, tx, T));
}

/** The log of paretoNbdConditionalExpected before the row log-likelihood is subtracted: no t_x in it (t > 0). */
function paretoConditionalLogNumerator(params: ParetoNbdParams, t: number, x: number, T: number): number {
  const { r, alpha, s, beta } = params;
  const first =
    gammaln(r + x) -
    gammaln(r) +
    r * Math.log(alpha) +
    s * Math.log(beta) -
    (r + x) * Math.log(alpha + T) -
    s * Math.log(beta + T);
  const second = Math.log(r + x) + Math.log(beta + T) - Math.log(alpha + T);
  const third = Math.log(powerDifference((beta + T) / (beta + T + t), s));
  return first + second + third;
}

// ---------------------------------------------------------------------------------------------------------------
// Gamma-Gamma spend model

/** Average repeat-purchase values `m` for customers with `x` > 0 repeat purchases, identical rows merged. */
export interface SpendRows {
  x: Float64Array;
  m: Float64Array;
  weight: Float64Array;
  n: number;
  /** log m per row, and the distinct x values with each row's index (see CompressedRows). */
  logM: Float64Array;
  xValues: Float64Array;
  xIndex: Int32Array;
}

export function compressSpendRows(x: ArrayLike<number>, m: ArrayLike<number>): SpendRows {
  const index = new Map<string, number>();
  const xs: number[] = [];
  const ms: number[] = [];
  const ws: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (!(x[i] > 0)) continue; // the model describes repeat purchases only
    if (!(m[i] > 0) || !Number.isFinite(m[i]))
      throw new Error(`compressSpendRows: row ${i} has x = ${x[i]} but average value ${m[i]}; need > 0`);
    const key = `${x[i]}|${m[i]}`;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, xs.length);
      xs.push(x[i]);
      ms.push(m[i]);
      ws.push(1);
    } else ws[at]++;
  }
  return spendRows(Float64Array.from(xs), Float64Array.from(ms), Float64Array.from(ws));
}

/** Spend rows from merged (x, m, weight) columns, with the per-row log m and the index of distinct x. */
export function spendRows(x: Float64Array, m: Float64Array, weight: Float64Array): SpendRows {
  const { values, index: xIndex } = indexValues(x);
  return {
    x,
    m,
    weight,
    n: weight.reduce((s, w) => s + w, 0),
    logM: Float64Array.from(m, Math.log),
    xValues: values,
    xIndex,
  };
}

/** Log-likelihood of the mean transaction value zbar given x (Fader & Hardie 2013, eq. 3). */
export function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParams, data: SpendRows): number {
  const base = -gammaln(q) + q * Math.log(gamma);
  const k = data.xValues.length;
  const constant = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const x = data.xValues[j];
    const px = p * x;
    constant[j] = gammaln(px + q) - gammaln(px) + base + px * Math.log(x);
  }
  let total = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i];
    const px = p * x;
    total +=
      data.weight[i] *
      (constant[data.xIndex[i]] + (px - 1) * data.logM[i] - (px + q) * Math.log(gamma + x * data.m[i]));
  }
  return total;
}

/** Population mean spend per transaction, p*gamma/(q-1) (infinite when q <= 1). */
export function gammaGammaMeanSpend({ p, q, gamma }: GammaGammaParams): number {
  return q > 1 ? (p * gamma) / (q - 1) : Infinity;
}

/**
 * E[Z | zbar, x]: a weighted mean of the population mean and the customer's own average (FH 2013, eq. 5). With
 * x = 0 the weight is 0, so customers without repeat purchases get the population mean.
 */
export function gammaGammaConditionalSpend(params: GammaGammaParams, x: number, m: number): number {
  const { p, q } = params;
  if (!(x > 0)) return gammaGammaMeanSpend(params);
  const w = (p * x) / (p * x + q - 1);
  return (1 - w) * gammaGammaMeanSpend(params) + w * m;
}

// ---------------------------------------------------------------------------------------------------------------
// Fitting

/**
 * With more distinct rows than this, the coarse multi-start search runs on a random subset of them and only the
 * final BFGS polish sees every row: the coarse phase needs hundreds of evaluations, the polish a few dozen.
 */
export const COARSE_ROWS = 4000;
/**
 * The Pareto/NBD's coarse subset is smaller: its cost per row is two 2F1 series, and an optimiser exploring data
 * without dropout visits parameters (beta >> alpha) where each series needs hundreds of terms.
 */
export const PARETO_COARSE_ROWS = 1000;

export interface FitOptions {
  /** Give up (converged = false, with the reason) after this long, so a pathological fit cannot stall a run. */
  timeBudgetMs: number;
  /** L2 penalty coefficient (lifetimes' penalizer_coef, see l2Penalty); 0 = maximum likelihood. */
  penalizer?: number;
  /**
   * With more distinct rows than this, the coarse search runs on a random subset of about this many (default
   * COARSE_ROWS; the Pareto/NBD's PARETO_COARSE_ROWS).
   */
  coarseRows?: number;
  /**
   * How many times a coarse search whose optimum ran off (or, for the purchase models, showed no dropout) is redone
   * on a subsample 4 times larger while the last one held fewer rows than the data (default: once for BG/NBD and
   * MBG/NBD, never for the Pareto/NBD, without limit for Gamma-Gamma).
   */
  widerLevels?: number;
}

/**
 * lifetimes' penalty, -LL / sum(weights) + penalizer_coef * sum(params ** 2) on the natural-scale parameters
 * (lifetimes/fitters/beta_geo_fitter.py, BetaGeoFitter._negative_log_likelihood; the same in the MBG/NBD,
 * Gamma-Gamma and BG/BB fitters; the Pareto/NBD fitter divides by weights.mean() instead, which we do not copy),
 * multiplied here by the total weight W, as kehu minimises -LL itself: W * c * sum((p_k / s_k)^2). lifetimes fits
 * BG/NBD, MBG/NBD and Pareto/NBD on time scaled so the longest customer age is 1, so their time-rate parameters
 * (alpha; Pareto/NBD's beta) are penalised in units of max(T): s_k = max T for those, 1 otherwise.
 * Returns the penalty and its gradient in the natural parameters.
 */
export function l2Penalty(
  params: number[],
  penalizer: number,
  weight: number,
  scales?: number[],
): { value: number; gradient: number[] } {
  let value = 0;
  const gradient = params.map((p, k) => {
    const s = scales?.[k] ?? 1;
    value += (p / s) ** 2;
    return (2 * weight * penalizer * p) / (s * s);
  });
  return { value: weight * penalizer * value, gradient };
}

// A fit that needs longer is wandering towards a boundary (e.g. data without dropout): say so, do not stall the run.
const DEFAULT_FIT_OPTIONS: FitOptions = { timeBudgetMs: 30_000 };

class TimeBudgetExceeded extends Error {
  constructor(ms: number) {
    super(`fit stopped: time budget of ${Math.round(ms / 1000)} s exceeded`);
  }
}

const logStarts = (starts: number[][]) => starts.map((s) => s.map(Math.log));

function meanOf(values: ArrayLike<number>, weight?: ArrayLike<number>): number {
  let s = 0;
  let w = 0;
  for (let i = 0; i < values.length; i++) {
    const wi = weight ? weight[i] : 1;
    s += values[i] * wi;
    w += wi;
  }
  return w > 0 ? s / w : 0;
}

function asRows(
  data: CompressedRows | { x: ArrayLike<number>; tx: ArrayLike<number>; T: ArrayLike<number> },
): CompressedRows {
  return "weight" in data ? data : compressRows(data.x, data.tx, data.T);
}

interface CoarseSpec<P> {
  logLik: (params: P) => number;
  logLikGradient?: (params: P) => ValueGradient;
  weight: number;
  /**
   * After the coarse search on these rows: a reason to stop there (the likelihood is flat in a direction these data
   * do not identify), given the coarse optimum and the subsample log-likelihood at it.
   */
  check?: (params: P, coarseLogLik: number) => string | null;
}

/** One maximum-likelihood fit: the likelihood, its starts, and what can make it cheaper or stop it early. */
interface FitSpec<P> {
  model: ModelName;
  names: (keyof P & string)[];
  logLik: (params: P) => number;
  /** The log-likelihood with its analytic gradient in the natural parameters: the polish needs no differences. */
  logLikGradient?: (params: P) => ValueGradient;
  starts: number[][];
  nCustomers: number;
  distinctRows: number;
  /** Divisor of each parameter in the L2 penalty (l2Penalty); default 1. */
  penaltyScales?: number[];
  /** The same on a random subsample of the rows (total weight `weight`), for the coarse search and warm start. */
  coarse?: CoarseSpec<P>;
  /** A larger subsample (level 1, 2, ...), or null: for a coarse optimum that ran off (MultiStartOptions.widerCoarse). */
  widerCoarse?: (level: number) => CoarseSpec<P> | null;
}

function fitWith<P>(spec: FitSpec<P>, fitOptions: FitOptions): FitResult<P> {
  const { model, names, nCustomers } = spec;
  const started = performance.now();
  const toParams = (theta: number[]) => Object.fromEntries(names.map((k, i) => [k, Math.exp(theta[i])])) as P;
  // Whatever stopped the fit, its start point (or wherever it was) is not an estimate: params are NaN (null in JSON).
  const failed = (message: string, iterations = 0): FitResult<P> => ({
    model,
    params: toParams(names.map(() => NaN)),
    logLikelihood: NaN,
    bic: NaN,
    converged: false,
    iterations,
    message,
    nCustomers,
    seconds: (performance.now() - started) / 1000,
  });
  if (nCustomers === 0 || spec.distinctRows === 0) return failed("no customers to fit");
  const deadline = performance.now() + fitOptions.timeBudgetMs;
  const outOfRange = (theta: number[]) => {
    if (performance.now() > deadline) throw new TimeBudgetExceeded(fitOptions.timeBudgetMs);
    return theta.some((v) => !Number.isFinite(v) || Math.abs(v) > 30);
  };
  const penalizer = fitOptions.penalizer ?? 0;
  // The penalty on customers' total weight `w` (the coarse subsample has its own), in the natural parameters.
  const penalty = (theta: number[], w: number) =>
    penalizer > 0 ? l2Penalty(theta.map(Math.exp), penalizer, w, spec.penaltyScales) : null;
  const negative = (ll: (params: P) => number, w: number) => (theta: number[]) => {
    if (outOfRange(theta)) return Infinity;
    const value = ll(toParams(theta)) - (penalty(theta, w)?.value ?? 0);
    return Number.isFinite(value) ? -value : Infinity;
  };
  // d(-LL + penalty)/d(log p) = -p (dLL/dp - dpenalty/dp)
  const negativeGradient = (llg: ((params: P) => ValueGradient) | undefined, w: number) =>
    llg &&
    ((theta: number[]) => {
      if (outOfRange(theta)) return theta.map(() => NaN);
      const { gradient } = llg(toParams(theta));
      const pen = penalty(theta, w)?.gradient;
      return gradient.map((g, i) => -Math.exp(theta[i]) * (g - (pen?.[i] ?? 0)));
    });
  const objective = negative(spec.logLik, nCustomers);
  const standIn = ({ logLik, logLikGradient, weight, check }: CoarseSpec<P>) => ({
    coarse: negative(logLik, weight),
    coarseGradient: negativeGradient(logLikGradient, weight),
    coarseScale: nCustomers / weight,
    // The early stop is for a likelihood flat in a direction; the penalty makes the objective curve there.
    check:
      check && penalizer === 0 ? (theta: number[], coarseFx: number) => check(toParams(theta), -coarseFx) : undefined,
  });
  const { widerCoarse } = spec;
  const options: MultiStartOptions = {
    ...(spec.coarse && standIn(spec.coarse)),
    gradient: negativeGradient(spec.logLikGradient, nCustomers),
    widerCoarse: widerCoarse && ((level) => ((c) => c && standIn(c))(widerCoarse(level))),
  };
  let result: ReturnType<typeof minimizeMultiStart>;
  try {
    // Tolerance relative to the size of the likelihood: the gradient of a sum over n customers scales with n.
    const scale = Math.max(1, Math.abs(objective(logStarts(spec.starts)[0])));
    result = minimizeMultiStart(objective, logStarts(spec.starts), { ...options, gradientTolerance: 1e-8 * scale });
  } catch (error) {
    if (!(error instanceof TimeBudgetExceeded)) throw error;
    return failed(error.message);
  }
  const params = toParams(result.x);
  // The log-likelihood (and BIC) of the data at the estimate, without the penalty.
  const logLikelihood = -result.fx + (penalty(result.x, nCustomers)?.value ?? 0);
  const boundary = result.x.some((v) => Math.abs(v) > 25);
  const converged = result.converged && Number.isFinite(logLikelihood) && !boundary;
  const message =
    !result.stoppedEarly && boundary
      ? `a parameter ran to the edge of its range (${JSON.stringify(params)}): model not identified by these data`
      : result.message;
  if (!converged) return failed(message, result.iterations);
  return {
    model,
    params,
    logLikelihood,
    bic: names.length * Math.log(nCustomers) - 2 * logLikelihood,
    converged,
    iterations: result.iterations,
    message,
    nCustomers,
    seconds: (performance.now() - started) / 1000,
  };
}

type RowsInput = CompressedRows | { x: ArrayLike<number>; tx: ArrayLike<number>; T: ArrayLike<number> };

/** Twice the log-likelihood gain of a model over the NBD below which the data show no dropout (chi-square, 2 df, p = 0.001). */
export const DROPOUT_LR_THRESHOLD = 13.8;

/** Maximum NBD (no dropout) log-likelihood of the rows: the limit every purchase model approaches as dropout vanishes. */
export function nbdMaxLogLikelihood(data: CompressedRows): number {
  const meanT = Math.max(meanOf(data.T, data.weight), 1e-3);
  const f = (theta: number[]) => {
    if (theta.some((v) => !Number.isFinite(v) || Math.abs(v) > 30)) return Infinity;
    const v = nbdValueGradient({ r: Math.exp(theta[0]), alpha: Math.exp(theta[1]) }, data).value;
    return Number.isFinite(v) ? -v : Infinity;
  };
  const gradient = (theta: number[]) => {
    const { gradient: g } = nbdValueGradient({ r: Math.exp(theta[0]), alpha: Math.exp(theta[1]) }, data);
    return g.map((gi, i) => -Math.exp(theta[i]) * gi);
  };
  const scale = Math.max(1, Math.abs(f([0, Math.log(meanT)])));
  return -minimizeBfgs(f, [0, Math.log(meanT)], { gradient, gradientTolerance: 1e-8 * scale }).fx;
}

const nbdCache = new WeakMap<CompressedRows, number>();
const cachedNbd = (data: CompressedRows) => {
  let v = nbdCache.get(data);
  if (v === undefined) nbdCache.set(data, (v = nbdMaxLogLikelihood(data)));
  return v;
};

/**
 * The early stop for data without dropout: when the coarse optimum gains less than DROPOUT_LR_THRESHOLD / 2 in
 * log-likelihood over the NBD (which has no dropout at all), on the subsample and, at the same parameters, on all
 * rows, the dropout parameters are not identified: their likelihood is flat towards "nobody drops out", and an
 * optimiser would wander along it until its time budget ran out. (Exported for its boundary test.)
 */
export function dropoutCheck<P>(
  logLikelihood: (p: P, data: CompressedRows) => number,
  data: CompressedRows,
  coarse: CompressedRows,
) {
  return (params: P, coarseLogLik: number): string | null => {
    const gainCoarse = 2 * (coarseLogLik - cachedNbd(coarse));
    if (!(gainCoarse < DROPOUT_LR_THRESHOLD)) return null;
    const gainAll = coarse === data ? gainCoarse : 2 * (logLikelihood(params, data) - cachedNbd(data));
    if (!(gainAll < DROPOUT_LR_THRESHOLD)) return null;
    return (
      `no dropout signal: a dropout process improves on the no-dropout NBD model by only ${Math.max(0, gainAll).toFixed(1)} ` +
      `in 2 log-likelihood (need ${DROPOUT_LR_THRESHOLD}); the dropout parameters are not identified by these data`
    );
  };
}

/** The purchase models' parameters in units of time (scale parameters of the purchase and dropout rates). */
const TIME_RATE_PARAMS = new Set(["alpha", "beta"]);

/**
 * The three purchase models fit the same way: likelihood on all rows, starts scaled by the mean T, the coarse
 * multi-start phase on a subsample (polished there with the analytic gradient when there is one: the warm start
 * of a few full-data iterations), and the no-dropout early stop. `starts` maps the mean T to the starting points.
 */
function fitPurchaseModel<P extends object>(
  model: ModelName,
  names: (keyof P & string)[],
  logLikelihood: (p: P, data: CompressedRows) => number,
  starts: (meanT: number) => number[][],
  input: RowsInput,
  options: Partial<FitOptions>,
  logLikGradient?: (p: P, data: CompressedRows) => ValueGradient,
  defaultCoarseRows = COARSE_ROWS,
  defaultWiderLevels = 1,
): FitResult<P> {
  const { coarseRows = defaultCoarseRows, widerLevels = defaultWiderLevels } = options;
  const data = asRows(input);
  const meanT = Math.max(meanOf(data.T, data.weight), 1e-3);
  const coarseOf = (rows: CompressedRows): CoarseSpec<P> => ({
    logLik: (p) => logLikelihood(p, rows),
    logLikGradient: logLikGradient && ((p) => logLikGradient(p, rows)),
    weight: rows.n,
    check: dropoutCheck(logLikelihood, data, rows),
  });
  const maxT = data.T.reduce((m, t) => Math.max(m, t), 0) || 1;
  return fitWith<P>(
    {
      penaltyScales: names.map((k) => (TIME_RATE_PARAMS.has(k) ? maxT : 1)),
      model,
      names,
      logLik: (p) => logLikelihood(p, data),
      logLikGradient: logLikGradient && ((p) => logLikGradient(p, data)),
      starts: starts(meanT),
      nCustomers: data.n,
      distinctRows: data.x.length,
      coarse: coarseOf(subsampleRows(data, coarseRows)),
      // A weak dropout process (on 900k customers 2 LL = 4,000 above the NBD, ~20 on a 4,000-row subsample) can
      // hide from a search on the subsample, which then says "no dropout signal" or not depending on its rows:
      // before saying so, the search is redone on a subsample 4 times larger (`widerLevels` times).
      widerCoarse: (level) =>
        level <= widerLevels && coarseRows * 4 ** (level - 1) < data.x.length
          ? coarseOf(subsampleRows(data, coarseRows * 4 ** level, level + 1))
          : null,
    },
    { ...DEFAULT_FIT_OPTIONS, ...options },
  );
}

const BG_STARTS = (meanT: number) => [
  [1, meanT, 1, 1],
  [0.5, meanT / 4, 0.5, 2],
  [1, 1, 1, 1],
  // a U-shaped Beta (most never drop out, a few at once): on 900k simulated customers without a dropout process
  // the optimum (a = 0.004, b = 0.35) is there, and a search from the three starts above can miss it for the flat
  // no-dropout limit
  [1, meanT, 0.05, 0.5],
];

export function fitBgNbd(input: RowsInput, options: Partial<FitOptions> = {}): FitResult<BgNbdParams> {
  return fitPurchaseModel<BgNbdParams>(
    "bgnbd",
    ["r", "alpha", "a", "b"],
    bgNbdLogLikelihood,
    BG_STARTS,
    input,
    options,
    (p, data) => bgFamilyValueGradient(p, data, 0),
  );
}

export function fitMbgNbd(input: RowsInput, options: Partial<FitOptions> = {}): FitResult<MbgNbdParams> {
  return fitPurchaseModel<MbgNbdParams>(
    "mbgnbd",
    ["r", "alpha", "a", "b"],
    mbgNbdLogLikelihood,
    BG_STARTS,
    input,
    options,
    (p, data) => bgFamilyValueGradient(p, data, 1),
  );
}

export function fitParetoNbd(input: RowsInput, options: Partial<FitOptions> = {}): FitResult<ParetoNbdParams> {
  return fitPurchaseModel<ParetoNbdParams>(
    "pnbd",
    ["r", "alpha", "s", "beta"],
    paretoNbdLogLikelihood,
    (meanT) => [
      [1, meanT, 1, meanT],
      [0.5, meanT / 4, 0.5, meanT / 4],
    ],
    input,
    options,
    undefined,
    PARETO_COARSE_ROWS,
    // each wider search costs 4 times the first, and a Pareto/NBD row costs two 2F1 series: none
    0,
  );
}

export function fitGammaGamma(
  input: SpendRows | { x: ArrayLike<number>; m: ArrayLike<number> },
  options: Partial<FitOptions> = {},
): FitResult<GammaGammaParams> {
  const data = "weight" in input ? input : compressSpendRows(input.x, input.m);
  const { coarseRows = COARSE_ROWS, widerLevels = Infinity } = options;
  const meanM = Math.max(meanOf(data.m, data.weight), 1e-6);
  const coarseOf = (rows: SpendRows): CoarseSpec<GammaGammaParams> => ({
    logLik: (p) => gammaGammaLogLikelihood(p, rows),
    logLikGradient: (p) => gammaGammaValueGradient(p, rows),
    weight: rows.n,
  });
  return fitWith<GammaGammaParams>(
    {
      model: "gammagamma",
      names: ["p", "q", "gamma"],
      logLik: (p) => gammaGammaLogLikelihood(p, data),
      logLikGradient: (p) => gammaGammaValueGradient(p, data),
      starts: [
        [1, 1, 1],
        [2, 3, meanM],
        [5, 5, meanM],
      ],
      nCustomers: data.n,
      distinctRows: data.x.length,
      coarse: coarseOf(subsampleSpendRows(data, coarseRows)),
      // With few customers per subsample row q is barely identified and the coarse optimum can run off towards
      // q, gamma -> infinity (no heterogeneity in the customers' mean spend): 4 times the rows, up to all of them.
      widerCoarse: (level) =>
        level <= widerLevels && coarseRows * 4 ** (level - 1) < data.x.length
          ? coarseOf(subsampleSpendRows(data, coarseRows * 4 ** level, level + 1))
          : null,
    },
    { ...DEFAULT_FIT_OPTIONS, ...options },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// A fitted purchase model behind one interface, and CLV

export interface PurchaseModel {
  name: PurchaseModelName;
  params: BgNbdParams | ParetoNbdParams;
  pAlive(x: number, tx: number, T: number): number;
  /** Expected purchases in the next t periods for a customer with history (x, t_x, T). */
  conditionalExpected(t: number, x: number, tx: number, T: number): number;
  /** Expected purchases in (0, t] for a newly acquired customer. */
  expected(t: number): number;
  /**
   * conditionalExpected(t, x, t_x, T) for t > 0 as combine(pairPart(t, x, T), historyPart(x, t_x, T)), the same
   * operations on the same doubles: the part without t_x is computed once per (x, T) and horizon month for a whole
   * grid of histories sharing them (clvTable.ts), the part without t once per history.
   */
  conditionalParts: {
    pairPart(t: number, x: number, T: number): number;
    /** (t, T) -> pairPart(t, x, T), the same doubles, with the work that depends only on x done once. */
    pairPartOf?(x: number): (t: number, T: number) => number;
    historyPart(x: number, tx: number, T: number): number;
    combine(pairPart: number, historyPart: number): number;
  };
}

const divide = (u: number, v: number) => u / v;

export function purchaseModel(name: "bgnbd" | "mbgnbd", params: BgNbdParams): PurchaseModel;
export function purchaseModel(name: "pnbd", params: ParetoNbdParams): PurchaseModel;
export function purchaseModel(name: PurchaseModelName, params: BgNbdParams | ParetoNbdParams): PurchaseModel;
export function purchaseModel(name: PurchaseModelName, params: BgNbdParams | ParetoNbdParams): PurchaseModel {
  if (name === "pnbd") {
    const p = params as ParetoNbdParams;
    return {
      name,
      params,
      pAlive: (x, tx, T) => paretoNbdPAlive(p, x, tx, T),
      conditionalExpected: (t, x, tx, T) => paretoNbdConditionalExpected(p, t, x, tx, T),
      expected: (t) => paretoNbdExpected(p, t),
      conditionalParts: {
        pairPart: (t, x, T) => paretoConditionalLogNumerator(p, t, x, T),
        pairPartOf: (x) => (t, T) => paretoConditionalLogNumerator(p, t, x, T),
        historyPart: (x, tx, T) => paretoRowLogLikelihood(p, x, tx, T),
        combine: (u, v) => Math.exp(u - v),
      },
    };
  }
  const p = params as BgNbdParams;
  if (name === "mbgnbd") {
    return {
      name,
      params,
      pAlive: (x, tx, T) => mbgNbdPAlive(p, x, tx, T),
      conditionalExpected: (t, x, tx, T) => mbgNbdConditionalExpected(p, t, x, tx, T),
      expected: (t) => mbgNbdExpected(p, t),
      conditionalParts: {
        pairPart: (t, x, T) => mbgNbdConditionalNumerator(p, t, x, T),
        pairPartOf: (x) => mbgNbdNumeratorOf(p, x),
        historyPart: (x, tx, T) => mbgNbdConditionalDenominator(p, x, tx, T),
        combine: divide,
      },
    };
  }
  return {
    name,
    params,
    pAlive: (x, tx, T) => bgNbdPAlive(p, x, tx, T),
    conditionalExpected: (t, x, tx, T) => bgNbdConditionalExpected(p, t, x, tx, T),
    expected: (t) => bgNbdExpected(p, t),
    conditionalParts: {
      pairPart: (t, x, T) => bgNbdConditionalNumerator(p, t, x, T),
      pairPartOf: (x) => bgNbdNumeratorOf(p, x),
      historyPart: (x, tx, T) => bgNbdConditionalDenominator(p, x, tx, T),
      combine: divide,
    },
  };
}

export interface ClvOptions {
  /** Gross margin as a fraction of revenue. */
  margin: number;
  /** Annual discount rate, converted to monthly as (1+annual)^(1/12) - 1. */
  discountRateAnnual: number;
  horizonMonths: number;
  /** Analysis periods in one month, e.g. (365.25/12)/7 for weekly periods. */
  periodsPerMonth: number;
}

/**
 * CLV = sum over months m = 1..H of margin * spend * (E[X(m)] - E[X(m-1)]) / (1+d)^m, with E[X(m)] the expected
 * purchases by month m given the customer's history and d the monthly discount rate. Discounting month by month
 * (rather than the whole horizon at once) values a purchase expected in month 11 less than one expected in month 1.
 */
export function computeClv(expectedByTime: (t: number) => number, expectedSpend: number, options: ClvOptions): number {
  return clvWithDiscounts(expectedByTime, expectedSpend, options, discountFactors(options));
}

/** computeClv's discount factors (1 + monthly rate)^m, m = 1..horizonMonths (index m - 1), for callers summing many profiles. */
export function discountFactors({ discountRateAnnual, horizonMonths }: ClvOptions): Float64Array {
  const monthlyRate = Math.pow(1 + discountRateAnnual, 1 / 12) - 1;
  return Float64Array.from({ length: horizonMonths }, (_, i) => Math.pow(1 + monthlyRate, i + 1));
}

/** computeClv with its discount factors computed once (discountFactors): the same sum. */
export function clvWithDiscounts(
  expectedByTime: (t: number) => number,
  expectedSpend: number,
  { margin, horizonMonths, periodsPerMonth }: ClvOptions,
  discounts: Float64Array,
): number {
  let clv = 0;
  let previous = 0;
  for (let m = 1; m <= horizonMonths; m++) {
    const cumulative = expectedByTime(m * periodsPerMonth);
    clv += (margin * expectedSpend * (cumulative - previous)) / discounts[m - 1];
    previous = cumulative;
  }
  return clv;
}
