/**
 * gradients.ts against likelihoods written out in this file (independent of models.ts and gradients.ts), with
 * central-difference gradients of those: the NBD (no dropout), and BG/NBD and MBG/NBD per row, on rows chosen so
 * that each of the three branches of the log-sum-exp is taken (A4 = -inf for x = 0 under BG/NBD, A3 >= A4, A3 < A4).
 *   NBD:     ln G(r+x) - ln G(r) + r ln alpha - (r+x) ln(alpha+T)
 *   BG/MBG:  c(x) + ln(e^A3 + [x > 0 or MBG] e^A4), A3 = -(r+x) ln(alpha+T), A4 = ln a - ln(b+x-1+k) - (r+x) ln(alpha+t_x),
 *            c(x) = ln G(r+x) - ln G(r) + r ln alpha + ln G(a+b) - ln G(b) + ln G(b+x+k) - ln G(a+b+x+k), k = 0 (BG), 1 (MBG)
 * (Fader, Hardie & Lee 2005 eq. 6; Batislam et al. 2007.)
 */
import gammaln from "@stdlib/math-base-special-gammaln";
import { describe, expect, it } from "vitest";
import { compressRows } from "../../src/pipelines/clv/models.ts";
import { bgFamilyValueGradient, nbdValueGradient } from "../../src/pipelines/clv/gradients.ts";

const x = [0, 1, 2, 5, 0, 3, 7, 1];
const tx = [0, 3, 10, 20, 0, 30, 31, 0.5];
const T = [10, 20, 30, 40, 39, 33, 35, 60];
const rows = compressRows(x, tx, T);

function nbd([r, alpha]: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++)
    s += gammaln(r + x[i]) - gammaln(r) + r * Math.log(alpha) - (r + x[i]) * Math.log(alpha + T[i]);
  return s;
}

function bgFamily([r, alpha, a, b]: number[], k: 0 | 1): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const c =
      gammaln(r + x[i]) -
      gammaln(r) +
      r * Math.log(alpha) +
      gammaln(a + b) -
      gammaln(b) +
      gammaln(b + x[i] + k) -
      gammaln(a + b + x[i] + k);
    const A3 = -(r + x[i]) * Math.log(alpha + T[i]);
    const A4 = Math.log(a) - Math.log(b + x[i] - 1 + k) - (r + x[i]) * Math.log(alpha + tx[i]);
    s += c + Math.log(Math.exp(A3) + (x[i] > 0 || k === 1 ? Math.exp(A4) : 0));
  }
  return s;
}

const numeric = (f: (p: number[]) => number, p: number[]) =>
  p.map((v, i) => {
    const h = 1e-6 * v;
    const up = [...p];
    const down = [...p];
    up[i] += h;
    down[i] -= h;
    return (f(up) - f(down)) / (2 * h);
  });

describe("gradients against likelihoods written out here", () => {
  it("NBD: value and gradient in (r, alpha)", () => {
    const p = [0.6, 3.5];
    const { value, gradient } = nbdValueGradient({ r: p[0], alpha: p[1] }, rows);
    expect(value).toBeCloseTo(nbd(p), 10);
    expect(gradient).toHaveLength(2);
    numeric(nbd, p).forEach((g, i) => expect(gradient[i]).toBeCloseTo(g, 5));
  });

  it.each([0, 1] as const)(
    "BG family (k = %i): value and gradient in (r, alpha, a, b), both log-sum-exp orders",
    (k) => {
      // a = 0.8 small and a = 40 large put A4 below and above A3 on different rows
      for (const p of [
        [0.7, 4.3, 0.8, 2.4],
        [1.3, 0.9, 40, 0.6],
      ]) {
        const { value, gradient } = bgFamilyValueGradient({ r: p[0], alpha: p[1], a: p[2], b: p[3] }, rows, k);
        expect(value).toBeCloseTo(bgFamily(p, k), 9);
        numeric((q) => bgFamily(q, k), p).forEach((g, i) => expect(gradient[i]).toBeCloseTo(g, 4));
      }
    },
  );
});
