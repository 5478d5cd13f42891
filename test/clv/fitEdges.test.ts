/**
 * The fitting section's rules at their edges, on data small enough for mutation testing (about a second in all):
 * nbdMaxLogLikelihood against the NBD maximum found by hand (the likelihood written out with
 * Gamma(r + x) / Gamma(r) = r (r + 1) ... (r + x - 1), its optimum by bisection on the score equations), the
 * no-dropout rule of dropoutCheck at, just below and just above DROPOUT_LR_THRESHOLD (with a stub likelihood, so the
 * gains are set by the test), and what a fit reports when it stops early, runs to the edge of the parameter range or
 * runs out of time.
 */
import { describe, expect, it } from "vitest";
import {
  DROPOUT_LR_THRESHOLD,
  compressRows,
  compressSpendRows,
  dropoutCheck,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  nbdMaxLogLikelihood,
  spendRows,
  weightedRows,
  type CompressedRows,
} from "../../src/pipelines/clv/models.ts";
import { simulateCustomers } from "./simulate.ts";

/** The NBD log-likelihood of (x, T) rows (t_x plays no part), Gamma(r + x) / Gamma(r) as a product. */
function nbdLogLik(r: number, alpha: number, x: number[], T: number[]): number {
  let ll = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = 0; j < x[i]; j++) ll += Math.log(r + j);
    ll += r * Math.log(alpha) - (r + x[i]) * Math.log(alpha + T[i]);
  }
  return ll;
}

/** The root of a function that changes sign once on [lo, hi] (in log scale), by bisection. */
function bisectLog(f: (v: number) => number, lo: number, hi: number): number {
  let [a, b] = [Math.log(lo), Math.log(hi)];
  const fa = f(lo);
  expect(fa * f(hi)).toBeLessThan(0);
  for (let k = 0; k < 200; k++) {
    const m = (a + b) / 2;
    if (f(Math.exp(m)) * fa > 0) a = m;
    else b = m;
  }
  return Math.exp((a + b) / 2);
}

/**
 * The NBD maximum: for a given r, alpha solves n r / alpha = sum (r + x_i) / (alpha + T_i) (with one T for all,
 * alpha = r T / mean x); r solves sum_i sum_{j < x_i} 1 / (r + j) + n log alpha - sum_i log(alpha + T_i) = 0.
 */
function nbdMaximum(x: number[], T: number[]): { r: number; alpha: number; ll: number } {
  const n = x.length;
  const alphaOf = (r: number) =>
    bisectLog((a) => n * r - x.reduce((s, xi, i) => s + ((r + xi) * a) / (a + T[i]), 0), 1e-8, 1e8);
  const score = (r: number) => {
    const alpha = alphaOf(r);
    let s = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < x[i]; j++) s += 1 / (r + j);
      s += Math.log(alpha) - Math.log(alpha + T[i]);
    }
    return s;
  };
  const r = bisectLog(score, 1e-4, 1e4);
  const alpha = alphaOf(r);
  return { r, alpha, ll: nbdLogLik(r, alpha, x, T) };
}

// over-dispersed counts (variance 4.4 > mean 1.5), so the NBD maximum is interior
const X = [0, 0, 0, 1, 0, 4, 2, 0, 7, 0, 1, 3];
const TX = X.map((x) => (x > 0 ? x + 1.5 : 0));
const T_EQUAL = X.map(() => 10);
const T_MIXED = [10, 12, 8, 10, 20, 15, 9, 30, 25, 11, 10, 14];

describe("nbdMaxLogLikelihood", () => {
  it("one T for all: the maximum of the NBD likelihood, alpha = r T / mean x", () => {
    const ref = nbdMaximum(X, T_EQUAL);
    expect(ref.alpha).toBeCloseTo((ref.r * 10) / 1.5, 6);
    // the hand maximum is a maximum: moving r or alpha lowers the likelihood
    for (const [dr, da] of [
      [1.01, 1],
      [0.99, 1],
      [1, 1.01],
      [1, 0.99],
    ])
      expect(nbdLogLik(ref.r * dr, ref.alpha * da, X, T_EQUAL)).toBeLessThan(ref.ll);
    expect(nbdMaxLogLikelihood(compressRows(X, TX, T_EQUAL))).toBeCloseTo(ref.ll, 7);
  });

  it("mixed T, rows with weights: the same maximum as the repeated rows", () => {
    const ref = nbdMaximum(X, T_MIXED);
    expect(nbdMaxLogLikelihood(compressRows(X, TX, T_MIXED))).toBeCloseTo(ref.ll, 7);
    // each customer three times = weight 3: the log-likelihood triples, the maximum stays where it is
    const tripled = nbdMaximum([...X, ...X, ...X], [...T_MIXED, ...T_MIXED, ...T_MIXED]);
    expect(tripled.ll).toBeCloseTo(3 * ref.ll, 6);
    const weighted = weightedRows(
      X,
      TX,
      T_MIXED,
      X.map(() => 3),
    );
    expect(nbdMaxLogLikelihood(weighted)).toBeCloseTo(tripled.ll, 6);
  });
});

/** The smallest double c with 2 (c - base) >= threshold, and the next one below it. */
function atThreshold(base: number, threshold: number): { at: number; below: number } {
  const view = new DataView(new ArrayBuffer(8));
  const step = (v: number, up: boolean) => {
    view.setFloat64(0, v);
    const bits = view.getBigInt64(0);
    // (for negative doubles a larger bit pattern is a smaller value)
    view.setBigInt64(0, bits + (v < 0 === up ? -1n : 1n));
    return view.getFloat64(0);
  };
  let c = base + threshold / 2;
  while (2 * (c - base) >= threshold) c = step(c, false);
  while (2 * (c - base) < threshold) c = step(c, true);
  return { at: c, below: step(c, false) };
}

const message = (gain: string) =>
  `no dropout signal: a dropout process improves on the no-dropout NBD model by only ${gain} in 2 log-likelihood ` +
  `(need ${DROPOUT_LR_THRESHOLD}); the dropout parameters are not identified by these data`;

describe("dropoutCheck: no dropout signal below 2 (LL - LL_NBD) = DROPOUT_LR_THRESHOLD", () => {
  const data = compressRows(X, TX, T_MIXED);
  const coarse = compressRows(X.slice(0, 6), TX.slice(0, 6), T_MIXED.slice(0, 6));
  const nbdAll = nbdMaximum(X, T_MIXED).ll;
  const nbdCoarse = nbdMaximum(X.slice(0, 6), T_MIXED.slice(0, 6)).ll;
  const params = { r: 1, alpha: 2, a: 3, b: 4 };
  const never = () => {
    throw new Error("the full-data likelihood is not needed");
  };

  it("coarse rows = all rows: the coarse gain decides, just above / just below / at the threshold", () => {
    const check = dropoutCheck<typeof params>(never, data, data);
    expect(check(params, nbdAll + 6.9 + 1e-6)).toBeNull();
    expect(check(params, nbdAll + 6.85)).toBe(message("13.7"));
    // a likelihood below the NBD's (a coarse optimum worse than no dropout at all): the gain shown is 0, not negative
    expect(check(params, nbdAll - 5)).toBe(message("0.0"));
    // exactly at the threshold there is a signal (the rule is gain < threshold), one double below there is none
    const code = nbdMaxLogLikelihood(data);
    expect(code).toBeCloseTo(nbdAll, 7);
    const { at, below } = atThreshold(code, DROPOUT_LR_THRESHOLD);
    expect(check(params, at)).toBeNull();
    expect(check(params, below)).toBe(message("13.8"));
  });

  it("a subsample: no signal only if the coarse gain and the gain on all rows at the same parameters are both low", () => {
    const calls: unknown[][] = [];
    let full = 0;
    const logLik = (p: typeof params, d: CompressedRows) => {
      calls.push([p, d]);
      return full;
    };
    const check = dropoutCheck(logLik, data, coarse);
    // a signal on the subsample: the full data are not looked at
    expect(check(params, nbdCoarse + 6.9 + 1e-6)).toBeNull();
    expect(calls).toEqual([]);
    // no signal on the subsample (gain 13.0), the full data decide and their gain is the one reported
    full = nbdAll + 6.8;
    expect(check(params, nbdCoarse + 6.5)).toBe(message("13.6"));
    expect(calls).toHaveLength(1);
    expect(calls[0][0]).toBe(params);
    expect(calls[0][1]).toBe(data);
    full = nbdAll + 6.9 + 1e-6;
    expect(check(params, nbdCoarse + 6.5)).toBeNull();
    const { at, below } = atThreshold(nbdMaxLogLikelihood(data), DROPOUT_LR_THRESHOLD);
    full = at;
    expect(check(params, nbdCoarse + 6.5)).toBeNull();
    full = below;
    expect(check(params, nbdCoarse + 6.5)).toBe(message("13.8"));
    full = nbdAll - 1;
    expect(check(params, nbdCoarse - 1)).toBe(message("0.0"));
  });
});

describe("dropoutCheck exactly at the threshold", () => {
  // one customer without and one with a repeat purchase: an NBD maximum near -2.4, small enough that some double c
  // gives 2 (c - LL_NBD) = 13.8 exactly (with the larger likelihoods above the nearest doubles straddle it)
  const tiny = compressRows([0, 1], [0, 0], [2, 2]);
  const base = nbdMaxLogLikelihood(tiny);
  const { at, below } = atThreshold(base, DROPOUT_LR_THRESHOLD);
  const params = { r: 1 };

  it("a gain of exactly DROPOUT_LR_THRESHOLD is a signal, on the subsample and on all rows", () => {
    expect(2 * (at - base)).toBe(DROPOUT_LR_THRESHOLD);
    expect(2 * (below - base)).toBeLessThan(DROPOUT_LR_THRESHOLD);
    const same = dropoutCheck<typeof params>(() => Number.NaN, tiny, tiny);
    expect(same(params, at)).toBeNull();
    expect(same(params, below)).toBe(message("13.8"));
    // the subsample is `tiny` itself (gain at the threshold: a signal), or other rows whose gain is low
    const other = compressRows([0, 3], [0, 1], [5, 5]);
    let full = at;
    const subsample = dropoutCheck<typeof params>(() => full, tiny, other);
    expect(subsample(params, nbdMaxLogLikelihood(other) + 1)).toBeNull();
    full = below;
    expect(subsample(params, nbdMaxLogLikelihood(other) + 1)).toBe(message("13.8"));
    const nbdOther = nbdMaxLogLikelihood(other);
    const coarseAt = dropoutCheck<typeof params>(() => nbdOther, other, tiny);
    expect(coarseAt(params, at)).toBeNull();
    expect(coarseAt(params, below)).toBe(message("0.0"));
  });
});

describe("fits that stop without an estimate", () => {
  // 300 customers who never drop out (p ~ Beta(1e-6, 50)): the dropout parameters are not identified
  const sim = simulateCustomers(300, { r: 0.8, alpha: 6, a: 1e-6, b: 50 }, { p: 6, q: 4, gamma: 15 }, { seed: 11 });
  const rows = compressRows(sim.x, sim.tx, sim.T);
  const noParams = (params: object) => Object.values(params).length > 0 && Object.values(params).every(Number.isNaN);

  it.each([
    ["MBG/NBD", fitMbgNbd],
    ["Pareto/NBD", fitParetoNbd],
  ] as const)("%s without dropout: stops early with the no-dropout reason, no parameters", (_, fitModel) => {
    const result = fitModel(rows);
    expect(result).toMatchObject({ converged: false, nCustomers: 300 });
    const gain = /by only (-?[\d.]+) in 2 log-likelihood/.exec(result.message)?.[1];
    expect(result.message).toBe(message(gain ?? "(none)"));
    expect(Number(gain)).toBeGreaterThanOrEqual(0);
    expect(Number(gain)).toBeLessThan(DROPOUT_LR_THRESHOLD);
    expect(noParams(result.params)).toBe(true);
    expect(Number.isNaN(result.logLikelihood) && Number.isNaN(result.bic)).toBe(true);
    expect(result.iterations).toBeGreaterThan(0);
  });

  it("with a penalizer the early stop is off: MBG/NBD runs to the edge of the range and says so", () => {
    const result = fitMbgNbd(rows, { penalizer: 0.1 });
    expect(result.converged).toBe(false);
    expect(result.message).toMatch(
      /^a parameter ran to the edge of its range \(\{"r":[\d.e-]+,"alpha":[\d.e-]+,"a":[\d.e-]+,"b":[\d.e-]+\}\): model not identified by these data$/,
    );
    expect(noParams(result.params)).toBe(true);
    expect(Number.isNaN(result.logLikelihood)).toBe(true);
    expect(result.iterations).toBeGreaterThan(0);
  });

  it("Gamma-Gamma on identical mean spends (no spread to fit): p and q run to the edge", () => {
    const x = [1, 2, 3, 4, 5, 1, 2, 3, 6, 2];
    const result = fitGammaGamma(
      compressSpendRows(
        x,
        x.map(() => 20),
      ),
    );
    expect(result).toMatchObject({ model: "gammagamma", converged: false, nCustomers: 10 });
    expect(result.message).toMatch(/^a parameter ran to the edge of its range \(\{"p":.*\}\): model not identified/);
    expect(noParams(result.params)).toBe(true);
    // the same with a little spread is a proper fit
    expect(
      fitGammaGamma(
        compressSpendRows(
          x,
          x.map((_, i) => 20 + (i % 3)),
        ),
      ).converged,
    ).toBe(true);
  });

  it("a time budget of 1 ms: the message rounds it to whole seconds", () => {
    expect(fitMbgNbd(rows, { timeBudgetMs: 1 })).toMatchObject({
      converged: false,
      message: "fit stopped: time budget of 0 s exceeded",
    });
  });
});

describe("what every fit reports", () => {
  const sim = simulateCustomers(200, { r: 0.9, alpha: 5, a: 0.7, b: 2.5 }, { p: 5, q: 4, gamma: 20 }, { seed: 5 });
  const rows = compressRows(sim.x, sim.tx, sim.T);

  it("seconds: the fit's own wall time (between 0 and the time around the call)", () => {
    const started = performance.now();
    const result = fitBgNbd(rows);
    const around = (performance.now() - started) / 1000;
    expect(result.converged).toBe(true);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.seconds).toBeLessThanOrEqual(around);
    // a converged fit's message is the optimiser's, not the edge-of-range one
    expect(result.message).not.toMatch(/edge of its range/);
    const empty = performance.now();
    const none = fitBgNbd(compressRows([], [], []));
    expect(none.seconds).toBeGreaterThanOrEqual(0);
    expect(none.seconds).toBeLessThanOrEqual((performance.now() - empty) / 1000);
  });

  it("an error inside the likelihood is thrown, not reported as a failed fit", () => {
    // rows whose per-value index is missing: the likelihood cannot be evaluated
    const broken = { ...rows, xIndex: undefined } as unknown as typeof rows;
    expect(() => fitBgNbd(broken)).toThrow(TypeError);
  });

  it("Gamma-Gamma on rows with weights: the fit of the repeated rows", () => {
    const x = Float64Array.from(sim.x).filter((v) => v > 0);
    const m = Float64Array.from(sim.m).filter((_, i) => sim.x[i] > 0);
    const weighted = fitGammaGamma(
      spendRows(
        x,
        m,
        Float64Array.from(x, (_, i) => 1 + (i % 3)),
      ),
    );
    const repeated = fitGammaGamma({
      x: Array.from(x).flatMap((v, i) => Array(1 + (i % 3)).fill(v)),
      m: Array.from(m).flatMap((v, i) => Array(1 + (i % 3)).fill(v)),
    });
    expect(weighted.converged && repeated.converged).toBe(true);
    expect(weighted.nCustomers).toBe(repeated.nCustomers);
    expect(weighted.logLikelihood).toBeCloseTo(repeated.logLikelihood, 6);
    for (const k of ["p", "q", "gamma"] as const) expect(weighted.params[k]).toBeCloseTo(repeated.params[k], 4);
    // and not the fit of the distinct rows once each
    expect(Math.abs(fitGammaGamma({ x, m }).logLikelihood - weighted.logLikelihood)).toBeGreaterThan(1);
  });
});
