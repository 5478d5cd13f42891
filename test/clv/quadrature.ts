/**
 * Test-side numerics for independent references: composite Simpson integration and the NBD pmf written from its
 * textbook form (Poisson mixed over a gamma rate), so references do not go through the code under test.
 */
import gammaln from "@stdlib/math-base-special-gammaln";

/** Composite Simpson's rule on [lo, hi] with `intervals` (even) sub-intervals. */
export function simpson(f: (x: number) => number, lo: number, hi: number, intervals = 4000): number {
  const h = (hi - lo) / intervals;
  let sum = f(lo) + f(hi);
  for (let i = 1; i < intervals; i++) sum += (i % 2 ? 4 : 2) * f(lo + i * h);
  return (sum * h) / 3;
}

/** NBD pmf: Gamma(r+n)/(Gamma(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n. */
export function nbdPmf(r: number, alpha: number, n: number, t: number): number {
  if (t === 0) return n === 0 ? 1 : 0;
  return Math.exp(
    gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * Math.log(alpha / (alpha + t)) + n * Math.log(t / (alpha + t)),
  );
}

/** P(NBD >= n) as 1 - sum of the pmf below n. */
export function nbdSurvival(r: number, alpha: number, n: number, t: number): number {
  let cdf = 0;
  for (let j = 0; j < n; j++) cdf += nbdPmf(r, alpha, j, t);
  return 1 - cdf;
}

/**
 * E[g(p)] for p ~ Beta(a, b), integrated numerically on [0, 1/2] and [1/2, 1]: the substitutions v = p^a and
 * w = (1-p)^b absorb the density's singularities at 0 and 1 (p^(a-1) dp = dv / a).
 */
export function betaExpectation(g: (p: number) => number, a: number, b: number): number {
  const logB = gammaln(a) + gammaln(b) - gammaln(a + b);
  const lower = simpson(
    (v) => {
      const p = Math.pow(v, 1 / a);
      return (g(p) * Math.pow(1 - p, b - 1)) / a;
    },
    0,
    Math.pow(0.5, a),
  );
  const upper = simpson(
    (w) => {
      const q = Math.pow(w, 1 / b);
      return (g(1 - q) * Math.pow(1 - q, a - 1)) / b;
    },
    0,
    Math.pow(0.5, b),
  );
  return (lower + upper) / Math.exp(logB);
}
