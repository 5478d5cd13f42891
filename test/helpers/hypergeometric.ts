/**
 * A reference 2F1 for the tests of models.ts's and hypergeometric.ts's routines: 2F1(a, b; c; z) = sum_k (a)_k (b)_k
 * / ((c)_k k!) z^k for a, b, c > 0, each term's log from gammaln, summed in log space; independent of the ratio
 * recurrences of the code under test.
 */
import gammaln from "@stdlib/math-base-special-gammaln";

export function logHyp2f1Ref(a: number, b: number, c: number, z: number): number {
  const base = -gammaln(a) - gammaln(b) + gammaln(c);
  let max = 0;
  let previous = Number.POSITIVE_INFINITY;
  const logs: number[] = [];
  for (let k = 0; k < 1_000_000; k++) {
    const l = base + gammaln(a + k) + gammaln(b + k) - gammaln(c + k) - gammaln(k + 1) + k * Math.log(z);
    logs.push(l);
    max = Math.max(max, l);
    if (l < previous && l < max - 60) break; // past the peak and 1e-26 below it
    previous = l;
  }
  return max + Math.log(logs.reduce((s, l) => s + Math.exp(l - max), 0));
}
