/**
 * Analytic gradients of the model log-likelihoods over compressed rows, for the BFGS polish on all rows: one pass
 * over the rows gives the value and every partial derivative, where a central-difference gradient costs 2k passes
 * (k parameters). Each function returns the log-likelihood (equal, to rounding, to the value functions in
 * models.ts) and its gradient with respect to the natural parameters, in the order of the parameter names.
 *
 * - BG/NBD and MBG/NBD share one routine: their per-row likelihood is c(x) + log(e^A3 + e^A4) with
 *   A3 = -(r+x) ln(alpha+T), A4 = ln a - ln(b+x-1+k) - (r+x) ln(alpha+t_x), k = 0 (BG, and only for x > 0) or
 *   1 (MBG); c(x) = ln G(r+x) - ln G(r) + r ln alpha + ln G(a+b) - ln G(b) + ln G(b+x+k) - ln G(a+b+x+k).
 * - NBD (no dropout): the A3 term alone, the limit of all three purchase models as dropout vanishes; it is what
 *   "no dropout signal" compares a fit against.
 * - Gamma-Gamma: c(x) + (px-1) ln m - (px+q) ln(gamma + x m), c(x) = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + px ln x.
 */
import gammaln from "@stdlib/math-base-special-gammaln";
import digamma from "@stdlib/math-base-special-digamma";
import type { BgNbdParams, CompressedRows, SpendRows } from "./models.ts";

export interface ValueGradient {
  value: number;
  gradient: number[];
}

/** ln(alpha + v) and 1/(alpha + v) for each distinct value v. */
function logAndInverse(values: Float64Array, alpha: number): { log: Float64Array; inv: Float64Array } {
  const log = new Float64Array(values.length);
  const inv = new Float64Array(values.length);
  for (let j = 0; j < values.length; j++) {
    log[j] = Math.log(alpha + values[j]);
    inv[j] = 1 / (alpha + values[j]);
  }
  return { log, inv };
}

/**
 * BG/NBD (`shift` 0) or MBG/NBD (`shift` 1) log-likelihood and gradient in (r, alpha, a, b). With shift 0 a row
 * with x = 0 has no dropout term (a BG/NBD customer can only drop out after a repeat purchase).
 */
export function bgFamilyValueGradient(
  { r, alpha, a, b }: BgNbdParams,
  data: CompressedRows,
  shift: 0 | 1,
): ValueGradient {
  const k = data.xValues.length;
  const constant = new Float64Array(k);
  const logDrop = new Float64Array(k);
  const dConstR = new Float64Array(k);
  const dConstA = new Float64Array(k);
  const dConstB = new Float64Array(k);
  const dDropB = new Float64Array(k);
  const base = gammaln(a + b) - gammaln(b) + r * Math.log(alpha) - gammaln(r);
  const psiR = digamma(r);
  const psiAB = digamma(a + b);
  const psiB = digamma(b);
  for (let j = 0; j < k; j++) {
    const x = data.xValues[j];
    constant[j] = gammaln(r + x) + base + gammaln(b + x + shift) - gammaln(a + b + x + shift);
    const psiABX = digamma(a + b + x + shift);
    dConstR[j] = digamma(r + x) - psiR;
    dConstA[j] = psiAB - psiABX;
    dConstB[j] = psiAB - psiB + digamma(b + x + shift) - psiABX;
    const hasDrop = shift === 1 || x > 0;
    logDrop[j] = hasDrop ? Math.log(a) - Math.log(b + x - 1 + shift) : -Infinity;
    dDropB[j] = hasDrop ? -1 / (b + x - 1 + shift) : 0;
  }
  const atT = logAndInverse(data.TValues, alpha);
  const atTx = logAndInverse(data.txValues, alpha);
  const logAlpha = Math.log(alpha);
  let value = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  for (let i = 0; i < data.x.length; i++) {
    const j = data.xIndex[i];
    const ti = data.TIndex[i];
    const si = data.txIndex[i];
    const w = data.weight[i];
    const rx = r + data.x[i];
    const A3 = -rx * atT.log[ti];
    const A4 = logDrop[j] - rx * atTx.log[si];
    // w4 = e^A4 / (e^A3 + e^A4), computed without overflow
    let ll: number;
    let w4: number;
    if (A4 === -Infinity) {
      ll = A3;
      w4 = 0;
    } else if (A3 >= A4) {
      const e = Math.exp(A4 - A3);
      ll = A3 + Math.log1p(e);
      w4 = e / (1 + e);
    } else {
      const e = Math.exp(A3 - A4);
      ll = A4 + Math.log1p(e);
      w4 = 1 / (1 + e);
    }
    const w3 = 1 - w4;
    value += w * (constant[j] + ll);
    gr += w * (dConstR[j] + logAlpha - w3 * atT.log[ti] - w4 * atTx.log[si]);
    gAlpha += w * (r / alpha - rx * (w3 * atT.inv[ti] + w4 * atTx.inv[si]));
    ga += w * (dConstA[j] + w4 / a);
    gb += w * (dConstB[j] + w4 * dDropB[j]);
  }
  return { value, gradient: [gr, gAlpha, ga, gb] };
}

/** NBD (Poisson purchasing with gamma heterogeneity, nobody drops out) log-likelihood and gradient in (r, alpha). */
export function nbdValueGradient({ r, alpha }: { r: number; alpha: number }, data: CompressedRows): ValueGradient {
  const k = data.xValues.length;
  const constant = new Float64Array(k);
  const dConstR = new Float64Array(k);
  const base = r * Math.log(alpha) - gammaln(r);
  const psiR = digamma(r);
  for (let j = 0; j < k; j++) {
    constant[j] = gammaln(r + data.xValues[j]) + base;
    dConstR[j] = digamma(r + data.xValues[j]) - psiR;
  }
  const atT = logAndInverse(data.TValues, alpha);
  const logAlpha = Math.log(alpha);
  let value = 0;
  let gr = 0;
  let gAlpha = 0;
  for (let i = 0; i < data.x.length; i++) {
    const j = data.xIndex[i];
    const ti = data.TIndex[i];
    const w = data.weight[i];
    const rx = r + data.x[i];
    value += w * (constant[j] - rx * atT.log[ti]);
    gr += w * (dConstR[j] + logAlpha - atT.log[ti]);
    gAlpha += w * (r / alpha - rx * atT.inv[ti]);
  }
  return { value, gradient: [gr, gAlpha] };
}

/** Gamma-Gamma log-likelihood and gradient in (p, q, gamma). */
export function gammaGammaValueGradient(
  { p, q, gamma }: { p: number; q: number; gamma: number },
  data: SpendRows,
): ValueGradient {
  const k = data.xValues.length;
  const constant = new Float64Array(k);
  const dConstP = new Float64Array(k);
  const dConstQ = new Float64Array(k);
  const base = -gammaln(q) + q * Math.log(gamma);
  const psiQ = digamma(q);
  for (let j = 0; j < k; j++) {
    const x = data.xValues[j];
    const px = p * x;
    const psiPXQ = digamma(px + q);
    constant[j] = gammaln(px + q) - gammaln(px) + base + px * Math.log(x);
    dConstP[j] = x * (psiPXQ - digamma(px) + Math.log(x));
    dConstQ[j] = psiPXQ - psiQ + Math.log(gamma);
  }
  let value = 0;
  let gp = 0;
  let gq = 0;
  let gg = 0;
  for (let i = 0; i < data.x.length; i++) {
    const j = data.xIndex[i];
    const w = data.weight[i];
    const x = data.x[i];
    const px = p * x;
    const denominator = gamma + x * data.m[i];
    const logDen = Math.log(denominator);
    value += w * (constant[j] + (px - 1) * data.logM[i] - (px + q) * logDen);
    gp += w * (dConstP[j] + x * (data.logM[i] - logDen));
    gq += w * (dConstQ[j] - logDen);
    gg += w * (q / gamma - (px + q) / denominator);
  }
  return { value, gradient: [gp, gq, gg] };
}
