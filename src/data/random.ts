/**
 * Seeded pseudo-random numbers for the demo generator: same seed, same stream, on every platform (32-bit integer
 * arithmetic only, no Math.random). sfc32 passes PractRand and is a few lines; splitmix32 spreads (seed, stream)
 * pairs so every customer gets an independent stream and its rows do not depend on how many customers came before.
 */

/** Uniform in [0, 1). */
export type Rng = () => number;

/** splitmix32 finaliser: a good 32-bit mixer for turning small related integers into unrelated seeds. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** An sfc32 generator for stream `stream` of `seed` (both any safe integers). */
export function createRng(seed: number, stream = 0): Rng {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  let a = mix32(lo ^ mix32(stream >>> 0));
  let b = mix32(a ^ hi ^ 0x6a09e667);
  let c = mix32(b ^ mix32(Math.floor(stream / 2 ** 32) + 0x3c6ef372));
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // sfc32 needs a short warm-up before the state is well mixed.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Integer in [min, max] inclusive. */
export function randInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

const cumulativeCache = new WeakMap<readonly number[], Float64Array>();

/** Pick by relative weights (need not sum to 1). Cumulative sums are cached per weights array. */
export function pickWeighted<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  let cumulative = cumulativeCache.get(weights);
  if (!cumulative) {
    cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((w, i) => (cumulative![i] = total += w));
    cumulativeCache.set(weights, cumulative);
  }
  const u = rng() * cumulative[cumulative.length - 1];
  for (let i = 0; i < items.length - 1; i++) if (u < cumulative[i]) return items[i];
  return items[items.length - 1];
}

/** Exponential with the given rate (mean 1 / rate). */
export function exponential(rng: Rng, rate: number): number {
  return -Math.log(1 - rng()) / rate;
}

/** Standard normal (Box-Muller; one value per call keeps the stream simple to reason about). */
export function normal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, scale) by Marsaglia & Tsang (2000), with the shape < 1 boost. Mean shape * scale. */
export function gamma(rng: Rng, shape: number, scale = 1): number {
  if (shape < 1) return gamma(rng, shape + 1, scale) * Math.pow(1 - rng(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/** Beta(a, b) from two gammas. */
export function beta(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  const y = gamma(rng, b);
  return x / (x + y);
}
