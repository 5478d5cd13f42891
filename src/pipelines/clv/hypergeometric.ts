/**
 * 2F1(a, b; c; z) at many z for one (a, b, c), for the BG-family conditional expectations (models.ts): the power
 * series with its coefficients (a)_k (b)_k / ((c)_k k!) computed once and kept, so each further z costs one
 * multiply-add per term. Written by hand because customer_clv_interval evaluates 2F1 for 200 draws x 12 months x
 * thousands of (x, T) pairs with (a, b, c) fixed per draw and x, and @stdlib's hyp2f1 (Cephes) recomputes every term's
 * ratio and re-chooses its transformations on each call (most of the step's CPU). The value depends only on (a, b,
 * c, z), never on which z were evaluated before (the coefficients are the same products in the same order).
 */

/** Largest z summed: past it the series needs hundreds of terms and callers use the general routine. */
export const SERIES_MAX_Z = 0.9;
/** Terms after which the series counts as not settled (NaN: callers use the general routine). */
const MAX_TERMS = 4000;

/**
 * z -> 2F1(a, b; c; z) by its power series for c > 0, a + b <= c + 1 (terms eventually fall like k^(a+b-c-1) z^k)
 * and 0 <= z <= SERIES_MAX_Z; NaN outside that domain or if the sum has not settled within MAX_TERMS terms. The sum
 * stops at the first term below 1e-17 of the sum once every later ratio of coefficients is positive and the next
 * term is smaller (the same rule as Cephes' hys2f1, which stops at the machine epsilon).
 */
export function hyp2f1Series(a: number, b: number, c: number): (z: number) => number {
  if (!(c > 0 && a + b <= c + 1)) return () => Number.NaN;
  // from k > settled on, a + k and b + k are positive, so every coefficient has the sign of the one before
  const settled = Math.max(0, -a, -b);
  let coefficients = new Float64Array(64);
  coefficients[0] = 1;
  let count = 1;
  const extend = (size: number) => {
    if (size > coefficients.length) {
      const grown = new Float64Array(Math.max(size, 2 * coefficients.length));
      grown.set(coefficients.subarray(0, count));
      coefficients = grown;
    }
    for (let k = count; k < size; k++) {
      const j = k - 1;
      coefficients[k] = coefficients[j] * (((a + j) * (b + j)) / ((c + j) * k));
    }
    count = size;
  };
  return (z) => {
    if (!(z >= 0 && z <= SERIES_MAX_Z)) return Number.NaN;
    if (z === 0) return 1;
    let sum = 1;
    let zk = 1;
    for (let k = 1; k < MAX_TERMS; k++) {
      if (k + 1 >= count) extend(Math.min(MAX_TERMS + 1, 2 * count));
      zk *= z;
      const term = coefficients[k] * zk;
      sum += term;
      if (
        k > settled &&
        Math.abs(term) <= 1e-17 * Math.abs(sum) &&
        Math.abs(coefficients[k + 1]) * z < Math.abs(coefficients[k])
      )
        return sum;
    }
    return Number.NaN;
  };
}
