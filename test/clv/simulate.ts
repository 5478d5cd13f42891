/**
 * Seeded simulators of the BG/NBD purchase process and the Gamma-Gamma spend process, for parameter-recovery tests
 * and the fitting benchmark. Times are rounded to whole days (in weeks), as real order dates are, so identical
 * (x, t_x, T) rows occur and compression has something to merge.
 */
import type { BgNbdParams, GammaGammaParams } from "../../src/pipelines/clv/models.ts";

/** mulberry32: a small, fast, seedable PRNG with a 2^32 period (plenty for 1M customers). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000); shape < 1 via the U^(1/shape) boost. */
export function randomGamma(rand: () => number, shape: number, rate: number): number {
  if (shape < 1) return randomGamma(rand, shape + 1, rate) * Math.pow(1 - rand(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rand();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

export function randomBeta(rand: () => number, a: number, b: number): number {
  const x = randomGamma(rand, a, 1);
  return x / (x + randomGamma(rand, b, 1));
}

export interface SimulatedCustomers {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** Mean value of the repeat purchases (0 when x = 0). */
  m: Float64Array;
}

/**
 * n customers acquired uniformly over the first `acquisitionWeeks` of a `weeks`-long window; each buys at a Poisson
 * rate lambda ~ Gamma(r, alpha) and after each repeat purchase drops out with probability p ~ Beta(a, b) (BG/NBD);
 * each purchase value is Gamma(p, nu) with nu ~ Gamma(q, gamma) (Gamma-Gamma).
 */
export function simulateCustomers(
  n: number,
  bg: BgNbdParams,
  gg: GammaGammaParams,
  { seed = 1, weeks = 52, acquisitionWeeks = 12 } = {},
): SimulatedCustomers {
  const rand = seededRandom(seed);
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ageDays = weeks * 7 - Math.floor(rand() * acquisitionWeeks * 7);
    const age = ageDays / 7;
    const lambda = randomGamma(rand, bg.r, bg.alpha);
    const p = randomBeta(rand, bg.a, bg.b);
    const nu = randomGamma(rand, gg.q, gg.gamma);
    let t = 0;
    let count = 0;
    let last = 0;
    let spend = 0;
    for (;;) {
      t += -Math.log(1 - rand()) / lambda;
      if (t > age) break;
      count++;
      last = t;
      spend += randomGamma(rand, gg.p, nu);
      if (rand() < p) break;
    }
    x[i] = count;
    tx[i] = Math.min(Math.round(last * 7) / 7, age);
    T[i] = age;
    m[i] = count > 0 ? spend / count : 0;
  }
  return { x, tx, T, m };
}
