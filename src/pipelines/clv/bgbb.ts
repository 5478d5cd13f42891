/**
 * The BG/BB model for discrete-time, noncontractual settings (Fader, Hardie & Shang 2010, "Customer-base analysis
 * in a discrete-time noncontractual setting", Marketing Science 29(6)): at each of n transaction opportunities an
 * alive customer transacts with probability p ~ Beta(alpha, beta), and at the start of each opportunity after the
 * first becomes inactive with probability theta ~ Beta(gamma, delta).
 *
 * Data per row: x = frequency (opportunities with a transaction, excluding the first), t_x = recency (the
 * opportunity of the last transaction, 0 if none), n = periods (opportunities observed), and a weight (customers).
 * Equation numbers are the paper's. Pure functions; the fit reuses the shared optimiser on the log scale.
 */
import betaln from "@stdlib/math-base-special-betaln";
import gammaln from "@stdlib/math-base-special-gammaln";
import hyp2f1 from "@stdlib/math-base-special-hyp2f1";
import { l2Penalty, type FitResult } from "./models.ts";
import { minimizeMultiStart } from "./optimize.ts";

export interface BgBbParams {
  alpha: number;
  beta: number;
  gamma: number;
  delta: number;
}

export interface BgBbRow {
  frequency: number;
  recency: number;
  periods: number;
  weights?: number;
}

/** The purchase models' fit result (models.ts), with the model named "bgbb". */
export type BgBbFit = Omit<FitResult<BgBbParams>, "model"> & { model: "bgbb" };

export const BGBB_PARAMS = ["alpha", "beta", "gamma", "delta"] as const;

function logSumExp(values: number[]): number {
  const m = Math.max(...values);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(values.reduce((s, v) => s + Math.exp(v - m), 0));
}

function checkRow(x: number, tx: number, n: number): void {
  const integers = [x, tx, n].every(Number.isInteger);
  if (!integers || x < 0 || tx < x || n < tx || (x > 0 && tx < 1)) {
    throw new Error(`BG/BB: invalid row (x, t_x, n) = (${x}, ${tx}, ${n}); need integers with 0 <= x <= t_x <= n`);
  }
}

/**
 * log L(alpha, beta, gamma, delta | x, t_x, n) (eq. 5): alive through all n opportunities, or inactive from the
 * start of opportunity t_x + i + 1 for i = 0 .. n - t_x - 1.
 */
export function bgBbRowLogLikelihood(
  { alpha, beta, gamma, delta }: BgBbParams,
  x: number,
  tx: number,
  n: number,
): number {
  const norm = betaln(alpha, beta) + betaln(gamma, delta);
  const terms = [betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n)];
  for (let i = 0; i <= n - tx - 1; i++)
    terms.push(betaln(alpha + x, beta + tx - x + i) + betaln(gamma + 1, delta + tx + i));
  return logSumExp(terms) - norm;
}

export function bgBbLogLikelihood(params: BgBbParams, rows: BgBbRow[]): number {
  let total = 0;
  for (const row of rows)
    total += (row.weights ?? 1) * bgBbRowLogLikelihood(params, row.frequency, row.recency, row.periods);
  return total;
}

/** P(alive at opportunity n + m | x, t_x, n) (eq. 11 for m = 1; A10 in general). */
export function bgBbPAlive(params: BgBbParams, x: number, tx: number, n: number, m = 1): number {
  const { alpha, beta, gamma, delta } = params;
  const logAlive =
    betaln(alpha + x, beta + n - x) - betaln(alpha, beta) + betaln(gamma, delta + n + m) - betaln(gamma, delta);
  return Math.exp(logAlive - bgBbRowLogLikelihood(params, x, tx, n));
}

/**
 * E[X(n, n + nStar) | x, t_x, n]: expected transactions in the next nStar opportunities (eq. 13),
 * (1/L) B(alpha+x+1, beta+n-x)/B(alpha, beta) delta/(gamma-1) Gamma(gamma+delta)/Gamma(1+delta)
 *   [Gamma(1+delta+n)/Gamma(gamma+delta+n) - Gamma(1+delta+n+nStar)/Gamma(gamma+delta+n+nStar)].
 */
export function bgBbConditionalExpected(params: BgBbParams, nStar: number, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = params;
  if (nStar === 0) return 0;
  const logFront =
    betaln(alpha + x + 1, beta + n - x) -
    betaln(alpha, beta) +
    gammaln(gamma + delta) -
    gammaln(1 + delta) -
    bgBbRowLogLikelihood(params, x, tx, n);
  const g = (k: number) => Math.exp(gammaln(1 + delta + k) - gammaln(gamma + delta + k));
  return Math.exp(logFront) * (delta / (gamma - 1)) * (g(n) - g(n + nStar));
}

/** E[X(n)]: expected transactions of a new customer over the first n opportunities (eq. 9). */
export function bgBbExpected({ alpha, beta, gamma, delta }: BgBbParams, n: number): number {
  const ratio = Math.exp(
    gammaln(gamma + delta) + gammaln(1 + delta + n) - gammaln(gamma + delta + n) - gammaln(1 + delta),
  );
  return (alpha / (alpha + beta)) * (delta / (gamma - 1)) * (1 - ratio);
}

const logBinomial = (n: number, k: number) => gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);

/**
 * P(X(n) = x) for a new customer (eq. 7): alive throughout with x transactions in n opportunities, or inactive from
 * opportunity i + 1 (i = x .. n-1) with x transactions in the first i.
 */
export function bgBbProbabilityOfPurchases({ alpha, beta, gamma, delta }: BgBbParams, x: number, n: number): number {
  if (!(Number.isInteger(x) && Number.isInteger(n) && x >= 0 && n >= 0))
    throw new Error(`BG/BB: x and n must be non-negative integers, got ${x}, ${n}`);
  if (x > n) return 0;
  const norm = betaln(alpha, beta) + betaln(gamma, delta);
  const terms = [logBinomial(n, x) + betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n)];
  for (let i = x; i <= n - 1; i++)
    terms.push(logBinomial(i, x) + betaln(alpha + x, beta + i - x) + betaln(gamma + 1, delta + i));
  return Math.exp(logSumExp(terms) - norm);
}

/**
 * DERT(d | x, t_x, n): discounted expected residual transactions at discount rate d per opportunity (eq. 14),
 * B(alpha+x+1, beta+n-x)/B(alpha, beta) B(gamma, delta+n+1)/(B(gamma, delta)(1+d)) 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / L.
 */
export function bgBbDert(params: BgBbParams, d: number, x: number, tx: number, n: number): number {
  if (!(d > 0)) throw new Error(`BG/BB DERT: discount rate must be > 0, got ${d}`);
  const { alpha, beta, gamma, delta } = params;
  const logFront =
    betaln(alpha + x + 1, beta + n - x) -
    betaln(alpha, beta) +
    betaln(gamma, delta + n + 1) -
    betaln(gamma, delta) -
    Math.log(1 + d) -
    bgBbRowLogLikelihood(params, x, tx, n);
  return Math.exp(logFront) * hyp2f1(1, delta + n + 1, gamma + delta + n + 1, 1 / (1 + d));
}

/** Merge identical (x, t_x, n) rows into weights (the paper's data come this way; raw per-customer rows work too). */
export function compressBgBbRows(rows: BgBbRow[]): BgBbRow[] {
  const merged = new Map<string, BgBbRow>();
  for (const row of rows) {
    checkRow(row.frequency, row.recency, row.periods);
    const key = `${row.frequency}|${row.recency}|${row.periods}`;
    const w = row.weights ?? 1;
    if (!(w >= 0)) throw new Error(`BG/BB: row weight must be >= 0, got ${w}`);
    const at = merged.get(key);
    if (at) at.weights = (at.weights ?? 1) + w;
    else merged.set(key, { frequency: row.frequency, recency: row.recency, periods: row.periods, weights: w });
  }
  return [...merged.values()];
}

/** Maximum-likelihood BG/BB parameters: multi-start Nelder-Mead then BFGS on the log-parameters (optimize.ts). */
export function fitBgBb(input: BgBbRow[], options: { penalizer?: number } = {}): BgBbFit {
  const started = performance.now();
  const rows = compressBgBbRows(input);
  const nCustomers = rows.reduce((s, r) => s + (r.weights ?? 1), 0);
  const toParams = (theta: number[]): BgBbParams => ({
    alpha: Math.exp(theta[0]),
    beta: Math.exp(theta[1]),
    gamma: Math.exp(theta[2]),
    delta: Math.exp(theta[3]),
  });
  if (nCustomers === 0) {
    return {
      model: "bgbb",
      params: toParams([0, 0, 0, 0]),
      logLikelihood: NaN,
      bic: NaN,
      converged: false,
      iterations: 0,
      message: "no customers to fit",
      nCustomers,
      seconds: 0,
    };
  }
  const penalizer = options.penalizer ?? 0;
  // lifetimes' L2 penalty (l2Penalty in models.ts; BetaGeoBetaBinomFitter: the periods are not rescaled)
  const penalty = (theta: number[]) =>
    penalizer > 0 ? l2Penalty(theta.map(Math.exp), penalizer, nCustomers).value : 0;
  const objective = (theta: number[]) => {
    if (theta.some((v) => !Number.isFinite(v) || Math.abs(v) > 30)) return Infinity;
    const ll = bgBbLogLikelihood(toParams(theta), rows) - penalty(theta);
    return Number.isFinite(ll) ? -ll : Infinity;
  };
  const starts = [
    [1, 1, 1, 1],
    [0.5, 0.5, 0.5, 2],
    [2, 1, 0.5, 3],
  ].map((s) => s.map(Math.log));
  const scale = Math.max(1, Math.abs(objective(starts[0])));
  const result = minimizeMultiStart(objective, starts, { gradientTolerance: 1e-8 * scale });
  const params = toParams(result.x);
  const logLikelihood = -result.fx + penalty(result.x);
  const boundary = result.x.some((v) => Math.abs(v) > 25);
  return {
    model: "bgbb",
    params,
    logLikelihood,
    bic: 4 * Math.log(nCustomers) - 2 * logLikelihood,
    converged: result.converged && Number.isFinite(logLikelihood) && !boundary,
    iterations: result.iterations,
    message: boundary
      ? `a parameter ran to the edge of its range (${JSON.stringify(params)}): model not identified by these data`
      : result.message,
    nCustomers,
    seconds: (performance.now() - started) / 1000,
  };
}
