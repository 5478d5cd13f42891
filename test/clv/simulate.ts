/**
 * Seeded simulators of the BG/NBD purchase process and the Gamma-Gamma spend process, for parameter-recovery tests
 * and the fitting benchmark. Times are rounded to whole days (in weeks), as real order dates are, so identical
 * (x, t_x, T) rows occur and compression has something to merge.
 */
import type { BgNbdParams, GammaGammaParams } from "../../src/pipelines/clv/models.ts";
import { beta as randomBeta, createRng, gamma, type Rng } from "../../src/data/random.ts";

/** Gamma(shape, rate): the models are parameterised by rates, the shared sampler by scale. */
const randomGamma = (rand: Rng, shape: number, rate: number) => gamma(rand, shape, 1 / rate);

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
  const rand = createRng(seed);
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

/**
 * n customers of a BG/NBD purchase process with their purchase days (whole days, the first purchase on the day
 * of acquisition, uniform over the first `acquisitionWeeks`), observed for `weeks`: a holdout split takes a prefix.
 */
export function simulatePurchaseDays(
  n: number,
  bg: BgNbdParams,
  { seed = 1, weeks = 78, acquisitionWeeks = 12 } = {},
): number[][] {
  const rand = createRng(seed);
  const end = weeks * 7;
  const customers: number[][] = [];
  for (let i = 0; i < n; i++) {
    const first = Math.floor(rand() * acquisitionWeeks * 7);
    const lambda = randomGamma(rand, bg.r, bg.alpha) / 7;
    const p = randomBeta(rand, bg.a, bg.b);
    const days = [first];
    let t = first;
    for (;;) {
      t += -Math.log(1 - rand()) / lambda;
      if (t >= end) break;
      const day = Math.floor(t);
      if (day !== days.at(-1)) days.push(day);
      if (rand() < p) break;
    }
    customers.push(days);
  }
  return customers;
}

/** The (frequency, recency, T) summary in weeks of purchase days observed up to day `cutoff` (exclusive). */
export function summarise(days: number[], cutoff: number): { frequency: number; recency: number; T: number } {
  const seen = days.filter((d) => d < cutoff);
  return { frequency: seen.length - 1, recency: (seen.at(-1)! - seen[0]) / 7, T: (cutoff - 1 - seen[0]) / 7 };
}
