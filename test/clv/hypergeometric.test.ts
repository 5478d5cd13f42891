/**
 * hyp2f1Series (kept coefficients) and the BG-family conditional numerators built on it (Euler's transformation),
 * against the log-gamma reference series (test/helpers/hypergeometric.ts) of the untransformed 2F1.
 */
import { describe, expect, it } from "vitest";
import { hyp2f1Series, SERIES_MAX_Z } from "../../src/pipelines/clv/hypergeometric.ts";
import { purchaseModel } from "../../src/pipelines/clv/models.ts";
import { logHyp2f1Ref } from "../helpers/hypergeometric.ts";

const relative = (u: number, v: number) => Math.abs(u / v - 1);

describe("hyp2f1Series", () => {
  it.each([
    [0.5, 1.2, 3.1],
    [2.3, 4.1, 7.5],
    [20, 21, 45],
    [1, 1, 2],
  ])("2F1(%f, %f; %f; z) equals the reference series at any z, in any order", (a, b, c) => {
    const series = hyp2f1Series(a, b, c);
    const zs = [0.9, 0.01, 0.5, 0.75, 0.2, 0.89];
    const values = zs.map((z) => series(z));
    zs.forEach((z, i) => expect(relative(values[i], Math.exp(logHyp2f1Ref(a, b, c, z)))).toBeLessThan(1e-13));
    // a fresh series (coefficients not yet extended) gives the same doubles
    zs.forEach((z, i) => expect(hyp2f1Series(a, b, c)(z)).toBe(values[i]));
  });

  it("sums negative parameters (the Euler-transformed BG/NBD form) like a direct sum of its terms", () => {
    const [a, b, c] = [-2.4, -0.996, 3.35];
    for (const z of [0.05, 0.4, 0.85]) {
      let term = 1;
      let sum = 1;
      for (let k = 0; k < 5000; k++) {
        term *= ((a + k) * (b + k) * z) / ((c + k) * (k + 1));
        sum += term;
      }
      expect(relative(hyp2f1Series(a, b, c)(z), sum)).toBeLessThan(1e-14);
    }
  });

  it("closed forms: 2F1(a, b; b; z) = (1 - z)^-a, at the domain's edge a + b = c + 1 and as a small alternating sum", () => {
    for (const z of [0.05, 0.5, 0.9]) {
      // a + b = c + 1 exactly: the terms z^k do not fall with k (allowed)
      expect(relative(hyp2f1Series(1, 1, 1)(z), 1 / (1 - z))).toBeLessThan(1e-14);
      // (1 - z)^5.5, 3e-6 at z = 0.9, from terms up to 1e-2 of alternating sign: the stop rule is relative to the
      // sum (a tail below 1e-17 of 1 would be 3e-12 of this sum); the cancellation itself costs ~3e-10
      expect(relative(hyp2f1Series(-5.5, 1, 1)(z), (1 - z) ** 5.5)).toBeLessThan(1e-9);
    }
  });

  it("a large c: terms that fall fast from the start (the coefficients' ratio stays far below 1 / z)", () => {
    for (const [a, b, c] of [
      [0.5, 0.5, 500],
      [2, 3, 400],
    ])
      for (const z of [0.3, 0.9])
        expect(relative(hyp2f1Series(a, b, c)(z), Math.exp(logHyp2f1Ref(a, b, c, z)))).toBeLessThan(1e-14);
  });

  it("a sum past the largest double never settles: NaN (callers use the general routine)", () => {
    expect(logHyp2f1Ref(1000, 1000, 1999, 0.9)).toBeGreaterThan(Math.log(Number.MAX_VALUE));
    expect(hyp2f1Series(1000, 1000, 1999)(0.9)).toBeNaN();
  });

  it("is 1 at z = 0 and NaN outside its domain", () => {
    // also for a polynomial (a = -3: every coefficient past the third is 0)
    expect(hyp2f1Series(-3, 2, 4)(0)).toBe(1);
    expect(hyp2f1Series(0.1, 0.2, -0.5)(0.3)).toBeNaN(); // c < 0 (2F1 exists there, the series rule does not hold)
    expect(hyp2f1Series(2, 3, 4)(0)).toBe(1);
    expect(hyp2f1Series(2, 3, 4)(SERIES_MAX_Z + 0.01)).toBeNaN();
    expect(hyp2f1Series(2, 3, 4)(-0.1)).toBeNaN();
    expect(hyp2f1Series(2, 3, -0.5)(0.3)).toBeNaN(); // c <= 0
    expect(hyp2f1Series(5, 5, 2)(0.3)).toBeNaN(); // a + b > c + 1: terms that do not fall
  });
});

describe("BG-family conditional numerators", () => {
  // The numerator (C / (a - 1)) (1 - (1 - z)^A 2F1(A, B; C; z)), z = t / (alpha + T + t), from the reference 2F1.
  const cases = [
    { r: 1.75, alpha: 16.35, a: 0.00387, b: 0.346 }, // the 200k bench fit: a near 0
    { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, // CDNOW-like
  ];
  for (const name of ["bgnbd", "mbgnbd"] as const) {
    for (const p of cases) {
      it(`${name} ${JSON.stringify(p)}: pairPart equals the untransformed reference; pairPartOf the same doubles`, () => {
        const model = purchaseModel(name, p);
        const { pairPart, pairPartOf } = model.conditionalParts;
        for (const x of [1, 2, 7, 30, 77]) {
          const [B, C] = name === "bgnbd" ? [p.b + x, p.a + p.b + x - 1] : [p.b + x + 1, p.a + p.b + x];
          const A = p.r + x;
          const perX = pairPartOf?.(x);
          // z from 0.03 to 0.97 (the last ones past SERIES_MAX_Z: the general routine)
          for (const [t, T] of [
            [4.35, 100],
            [52.2, 0.5],
            [26, 10],
            [13, 60],
            [400, 2],
            [52.2, 80],
          ]) {
            const z = t / (p.alpha + T + t);
            const want = (C / (p.a - 1)) * -Math.expm1(logHyp2f1Ref(A, B, C, z) + A * Math.log1p(-z));
            const got = pairPart(t, x, T);
            expect(relative(got, want), `x=${x} t=${t} T=${T}`).toBeLessThan(1e-10);
            expect(perX?.(t, T)).toBe(got);
          }
        }
      });
    }
  }
});
