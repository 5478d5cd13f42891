/**
 * P(X(t) = n): the probability that a newly acquired customer makes exactly n repeat purchases in (0, t], for each
 * purchase model (unconditional: no purchase history). Closed forms:
 *
 * - BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", eq. 8.
 * - MBG/NBD: Batislam, Denizel & Filiztekin (2007) (as lifetimes' ModifiedBetaGeoFitter): the dropout coin is also
 *   tossed at the first purchase, so E[(1-p)^(n+1)] and E[p (1-p)^n] replace BG/NBD's E[(1-p)^n] and E[p (1-p)^(n-1)].
 * - Pareto/NBD: Fader & Hardie, "Deriving an expression for P(X(t) = x) under the Pareto/NBD model" (note 012).
 *
 * Pure functions of the parameters; they reuse the models' parameter types and log 2F1 from models.ts.
 */
import betaln from "@stdlib/math-base-special-betaln";
import gammaln from "@stdlib/math-base-special-gammaln";
import {
  logHyp2f1,
  purchaseModel,
  type BgNbdParams,
  type MbgNbdParams,
  type ParetoNbdParams,
  type PurchaseModel,
  type PurchaseModelName,
} from "./models.ts";

function checkArguments(n: number, t: number): void {
  if (!(Number.isInteger(n) && n >= 0))
    throw new Error(`number of purchases n must be a non-negative integer, got ${n}`);
  if (!(t >= 0)) throw new Error(`period length t must be >= 0, got ${t}`);
}

/** log of the NBD(r, alpha) pmf at n for exposure t: Gamma(r+n)/(Gamma(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n. */
export function logNbdPmf(r: number, alpha: number, n: number, t: number): number {
  if (t === 0) return n === 0 ? 0 : -Infinity;
  return (
    gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * Math.log(alpha / (alpha + t)) + n * Math.log(t / (alpha + t))
  );
}

/**
 * P(N >= n) for N ~ NBD(r, alpha) over exposure t. Above the mean the tail is summed directly (no 1 - CDF
 * cancellation, so tiny tails keep their relative precision); below it 1 - sum_{j<n} pmf(j).
 */
export function nbdTail(r: number, alpha: number, n: number, t: number): number {
  if (n === 0) return 1;
  if (t === 0) return 0;
  const q = t / (alpha + t);
  const mean = (r * t) / alpha;
  if (n > mean) {
    let term = Math.exp(logNbdPmf(r, alpha, n, t));
    let sum = term;
    for (let j = n; j < n + 100_000; j++) {
      term *= ((r + j) / (j + 1)) * q;
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return Math.min(1, sum);
  }
  let term = Math.exp(logNbdPmf(r, alpha, 0, t));
  let cdf = term;
  for (let j = 0; j < n - 1; j++) {
    term *= ((r + j) / (j + 1)) * q;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

/** BG/NBD (FHL 2005 eq. 8): B(a, b+n)/B(a,b) NBD(n) + [n > 0] B(a+1, b+n-1)/B(a,b) P(NBD >= n). */
export function bgNbdProbabilityOfPurchases({ r, alpha, a, b }: BgNbdParams, n: number, t: number): number {
  checkArguments(n, t);
  const alive = Math.exp(betaln(a, b + n) - betaln(a, b) + logNbdPmf(r, alpha, n, t));
  const dropped = n > 0 ? Math.exp(betaln(a + 1, b + n - 1) - betaln(a, b)) * nbdTail(r, alpha, n, t) : 0;
  return alive + dropped;
}

/** MBG/NBD: B(a, b+n+1)/B(a,b) NBD(n) + B(a+1, b+n)/B(a,b) P(NBD >= n) (n = 0 included: dropout at time 0). */
export function mbgNbdProbabilityOfPurchases({ r, alpha, a, b }: MbgNbdParams, n: number, t: number): number {
  checkArguments(n, t);
  const alive = Math.exp(betaln(a, b + n + 1) - betaln(a, b) + logNbdPmf(r, alpha, n, t));
  const dropped = Math.exp(betaln(a + 1, b + n) - betaln(a, b)) * nbdTail(r, alpha, n, t);
  return alive + dropped;
}

/**
 * Pareto/NBD (note 012, eq. 13-16): alive throughout (0, t] with n purchases, plus dead at some tau < t after n
 * purchases:
 *   P = NBD(n; t) (beta/(beta+t))^s
 *     + alpha^r beta^s B(r+n, s+1)/B(r,s) [B1 - sum_{i=0..n} Gamma(r+s+i)/(Gamma(r+s) i!) t^i B2(i)]
 * with, for alpha >= beta,
 *   B1 = 2F1(r+s, s+1; r+s+n+1; (alpha-beta)/alpha) / alpha^(r+s),
 *   B2(i) = 2F1(r+s+i, s+1; r+s+n+1; (alpha-beta)/(alpha+t)) / (alpha+t)^(r+s+i),
 * and for alpha < beta the same with (alpha, s+1) replaced by (beta, r+n). Everything is scaled by
 * max(alpha, beta)^(r+s) in log space so the bracket's terms are O(1).
 */
export function paretoNbdProbabilityOfPurchases({ r, alpha, s, beta }: ParetoNbdParams, n: number, t: number): number {
  checkArguments(n, t);
  const alive = Math.exp(logNbdPmf(r, alpha, n, t) + s * Math.log(beta / (beta + t)));
  if (t === 0) return alive;
  const alphaLarger = alpha >= beta;
  const big = alphaLarger ? alpha : beta;
  const second = alphaLarger ? s + 1 : r + n;
  const diff = Math.abs(alpha - beta);
  const c = r + s + n + 1;
  // B1 * big^(r+s) and B2(i) * big^(r+s) (the latter times t^i Gamma(r+s+i)/(Gamma(r+s) i!)).
  const b1 = Math.exp(logHyp2f1(r + s, second, c, diff / big));
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const logCoefficient = gammaln(r + s + i) - gammaln(r + s) - gammaln(i + 1) + i * Math.log(t / (big + t));
    sum += Math.exp(
      logCoefficient + (r + s) * Math.log(big / (big + t)) + logHyp2f1(r + s + i, second, c, diff / (big + t)),
    );
  }
  const logFactor =
    r * Math.log(alpha) + s * Math.log(beta) - (r + s) * Math.log(big) + betaln(r + n, s + 1) - betaln(r, s);
  const dead = Math.exp(logFactor) * Math.max(0, b1 - sum);
  return alive + dead;
}

/** P(X(t) = n) for the named model. */
export function probabilityOfPurchases(
  name: PurchaseModelName,
  params: BgNbdParams | ParetoNbdParams,
  n: number,
  t: number,
): number {
  if (name === "pnbd") return paretoNbdProbabilityOfPurchases(params as ParetoNbdParams, n, t);
  if (name === "mbgnbd") return mbgNbdProbabilityOfPurchases(params as MbgNbdParams, n, t);
  return bgNbdProbabilityOfPurchases(params as BgNbdParams, n, t);
}

export interface PurchaseCountRow {
  /** Number of purchases; for the last row, the lower bound of the open class. */
  n: number;
  /** "0", "1", ..., and e.g. "10+" for the last, open class. */
  label: string;
  probability: number;
  expectedCustomers: number;
}

/**
 * The distribution of purchase counts over a period of length t for `customers` newly acquired customers:
 * rows n = 0 .. maxN-1 exactly and a last row "maxN+" = 1 - P(X(t) < maxN), so the probabilities sum to 1.
 */
export function purchaseCountDistribution(
  pmf: (n: number, t: number) => number,
  t: number,
  customers: number,
  maxN = 10,
): PurchaseCountRow[] {
  const rows: PurchaseCountRow[] = [];
  let total = 0;
  for (let n = 0; n < maxN; n++) {
    const p = pmf(n, t);
    total += p;
    rows.push({ n, label: String(n), probability: p, expectedCustomers: customers * p });
  }
  const rest = Math.max(0, 1 - total);
  rows.push({ n: maxN, label: `${maxN}+`, probability: rest, expectedCustomers: customers * rest });
  return rows;
}

/** A fitted purchase model (models.ts's PurchaseModel) that also answers P(X(t) = n) for a new customer. */
export interface PurchaseModelWithProbabilities extends PurchaseModel {
  probabilityOfPurchases(n: number, t: number): number;
}

/** purchaseModel (models.ts) with probabilityOfPurchases added. */
export function purchaseModelWithProbabilities(
  name: PurchaseModelName,
  params: BgNbdParams | ParetoNbdParams,
): PurchaseModelWithProbabilities {
  return {
    ...purchaseModel(name, params),
    probabilityOfPurchases: (n, t) => probabilityOfPurchases(name, params, n, t),
  };
}
