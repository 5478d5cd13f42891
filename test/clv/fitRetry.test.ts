/**
 * The wider-subsample retry of the coarse search (the `widerCoarse` of fitPurchaseModel and fitGammaGamma, and the
 * loop over its levels in minimizeMultiStart), on data built so that the retry decides the outcome. With a small
 * `coarseRows` the coarse search runs on a seeded subsample of the rows; the rows each subsample keeps (the first:
 * seed 1, `coarseRows` rows; retry level k: seed k + 1, coarseRows * 4^k rows) are found here by subsampling a probe
 * of the same length, and the rows without dropout (or, for Gamma-Gamma, with one mean spend for all) are put exactly there:
 * - the first subsample shows no dropout, a 4 times larger one does: without the retry the fit stops ("no dropout
 *   signal"), with it the fit reaches the maximum of the likelihood on all rows (a stationary point by central
 *   differences, above the NBD's maximum by more than the threshold, the estimate of a fit without subsample);
 * - the 4x subsample shows none either: one retry (widerLevels 1) stops, two reach the maximum;
 * - the level conditions at their edges (rows = coarseRows * 4^(level-1) exactly, and one more) on data without
 *   dropout, where every search stops: the work a retry adds is then the iterations of one more coarse search on all
 *   rows, which is exactly the iterations of the fit without subsample (whose coarse search is on all rows), so the
 *   iteration counts add up exactly or not at all.
 * And minimizeMultiStart's loop over the levels on quadratics whose minima are known.
 * Each fit is on a few hundred rows (tens of milliseconds to half a second).
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  DROPOUT_LR_THRESHOLD,
  bgNbdLogLikelihood,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  gammaGammaLogLikelihood,
  nbdMaxLogLikelihood,
  spendRows,
  subsampleRows,
  subsampleSpendRows,
  weightedRows,
  type BgNbdParams,
  type FitResult,
} from "../../src/pipelines/clv/models.ts";
import { type CoarseStandIn, minimizeMultiStart } from "../../src/pipelines/clv/optimize.ts";
import { simulateCustomers } from "./simulate.ts";
import { logGradient } from "./stationary.ts";

/** The indices of the rows that subsampleRows keeps of n rows (the draw depends only on n, size and seed). */
function keptBy(n: number, size: number, seed: number): Set<number> {
  const index = Array.from({ length: n }, (_, i) => i + 1);
  const probe = weightedRows(
    index.map(() => 0),
    index.map(() => 0),
    index,
    index.map(() => 1),
  );
  return new Set(Array.from(subsampleRows(probe, size, seed).T, (T) => T - 1));
}

/** The same for subsampleSpendRows. */
function spendKeptBy(n: number, size: number, seed: number): Set<number> {
  const probe = spendRows(
    Float64Array.from({ length: n }, (_, i) => i + 1),
    new Float64Array(n).fill(1),
    new Float64Array(n).fill(1),
  );
  return new Set(Array.from(subsampleSpendRows(probe, size, seed).x, (x) => x - 1));
}

const SPEND = { p: 5, q: 4, gamma: 20 };
// BG/NBD customers who drop out (p ~ Beta(0.7, 2.5)) and customers who never do (p ~ Beta(1e-6, 50))
const DROP = simulateCustomers(600, { r: 0.9, alpha: 5, a: 0.7, b: 2.5 }, SPEND, { seed: 3 });
const STAY = simulateCustomers(600, { r: 0.9, alpha: 5, a: 1e-6, b: 50 }, SPEND, { seed: 4 });

/** n rows (in this order): row i is STAY's customer i where `stay(i)`, else DROP's. */
function purchaseRows(n: number, stay: (i: number) => boolean) {
  const source = (i: number) => (stay(i) ? STAY : DROP);
  const index = Array.from({ length: n }, (_, i) => i);
  return weightedRows(
    index.map((i) => source(i).x[i]),
    index.map((i) => source(i).tx[i]),
    index.map((i) => source(i).T[i]),
    index.map(() => 1),
  );
}

const C = 40;
const NO_DROPOUT =
  /^no dropout signal: a dropout process improves on the no-dropout NBD model by only [\d.]+ in 2 log-likelihood/;
const EDGE = /^a parameter ran to the edge of its range \(\{"p":/;
/** A fit's result without its wall time (two runs of the same fit differ only there). */
const timeless = (r: FitResult<object>) => ({ ...r, seconds: 0 });
const isNaNParams = (r: FitResult<object>) => Object.values(r.params).every(Number.isNaN);

describe("purchase models: a coarse search without dropout is redone on a subsample 4 times larger", () => {
  const N = 300;
  const first = keptBy(N, C, 1);
  // no dropout on the rows of the first subsample, dropout everywhere else
  const data = purchaseRows(N, (i) => first.has(i));
  // N < COARSE_ROWS: without a coarseRows option the coarse search is on all rows, and there is no retry
  let direct: FitResult<BgNbdParams>;
  beforeAll(() => {
    direct = fitBgNbd(data);
  });

  it("the data: no dropout signal in the first subsample, a signal in the 4x one and in all rows", () => {
    expect(fitBgNbd(subsampleRows(data, C, 1)).message).toMatch(NO_DROPOUT);
    const wider = subsampleRows(data, 4 * C, 2);
    const widerFit = fitBgNbd(wider);
    expect(widerFit.converged).toBe(true);
    expect(2 * (widerFit.logLikelihood - nbdMaxLogLikelihood(wider))).toBeGreaterThan(DROPOUT_LR_THRESHOLD);
    expect(direct.converged).toBe(true);
    expect(2 * (direct.logLikelihood - nbdMaxLogLikelihood(data))).toBeGreaterThan(DROPOUT_LR_THRESHOLD);
    // the maximum on all rows: a stationary point of the BG/NBD likelihood
    const ll = (p: Record<string, number>) => bgNbdLogLikelihood(p as never, data);
    for (const g of logGradient(ll, direct.params as never)) expect(Math.abs(g)).toBeLessThan(2e-3);
    expect(direct.logLikelihood).toBeCloseTo(ll(direct.params as never), 9);
  });

  it("widerLevels 0: the fit stops on the first subsample's verdict, without parameters", () => {
    const result = fitBgNbd(data, { coarseRows: C, widerLevels: 0 });
    expect(result).toMatchObject({ model: "bgnbd", converged: false, nCustomers: N });
    expect(result.message).toMatch(NO_DROPOUT);
    expect(isNaNParams(result)).toBe(true);
    expect(result.logLikelihood).toBeNaN();
  });

  it.each([
    ["BG/NBD (default widerLevels 1)", {}],
    ["BG/NBD, widerLevels 2", { widerLevels: 2 }],
  ])("%s: the retry on the 4x subsample reaches the maximum on all rows", (_, options) => {
    const result = fitBgNbd(data, { coarseRows: C, ...options });
    expect(result.converged).toBe(true);
    expect(result.logLikelihood).toBeCloseTo(direct.logLikelihood, 7);
    for (const k of ["r", "alpha", "a", "b"] as const) expect(result.params[k] / direct.params[k]).toBeCloseTo(1, 6);
    expect(result.bic).toBeCloseTo(4 * Math.log(N) - 2 * direct.logLikelihood, 6);
  });

  it("MBG/NBD takes the same options", () => {
    expect(fitMbgNbd(data, { coarseRows: C, widerLevels: 0 }).message).toMatch(NO_DROPOUT);
    const result = fitMbgNbd(data, { coarseRows: C });
    expect(result.converged).toBe(true);
    expect(result.logLikelihood).toBeCloseTo(fitMbgNbd(data).logLikelihood, 7);
  });

  it("a first subsample with a dropout signal: no retry, the same fit whatever widerLevels allows", () => {
    const dropping = purchaseRows(N, () => false);
    const once = fitBgNbd(dropping, { coarseRows: 60, widerLevels: 0 });
    expect(once.converged).toBe(true);
    expect(timeless(fitBgNbd(dropping, { coarseRows: 60, widerLevels: 2 }))).toEqual(timeless(once));
  });
});

describe("purchase models: the second level, and which rows each level holds", () => {
  const N = 600;
  const first = keptBy(N, C, 1);
  const second = keptBy(N, 4 * C, 2);
  // no dropout on the rows of the first two subsamples (seeds 1 and 2), dropout everywhere else
  const data = purchaseRows(N, (i) => first.has(i) || second.has(i));
  let direct: FitResult<BgNbdParams>;
  beforeAll(() => {
    direct = fitBgNbd(data);
  });

  it("the data: subsamples of 4 * coarseRows with another seed hold dozens of customers with dropout", () => {
    for (const seed of [0, 1, 3]) {
      const other = [...keptBy(N, 4 * C, seed)].filter((i) => !first.has(i) && !second.has(i));
      expect(other.length).toBeGreaterThan(80);
    }
    expect(direct.converged).toBe(true);
    expect(2 * (direct.logLikelihood - nbdMaxLogLikelihood(data))).toBeGreaterThan(DROPOUT_LR_THRESHOLD);
    for (const g of logGradient((p) => bgNbdLogLikelihood(p as never, data), direct.params as never))
      expect(Math.abs(g)).toBeLessThan(2e-3);
  });

  it("widerLevels 1: the retry on seed 2's 4x subsample shows no dropout either, and the fit stops", () => {
    const result = fitBgNbd(data, { coarseRows: C });
    expect(result.converged).toBe(false);
    expect(result.message).toMatch(NO_DROPOUT);
    expect(isNaNParams(result)).toBe(true);
  });

  it("widerLevels 2: level 2 (16 * coarseRows > N: all rows) finds the estimate of the fit without subsample", () => {
    const once = fitBgNbd(data, { coarseRows: C });
    const twice = fitBgNbd(data, { coarseRows: C, widerLevels: 2 });
    // from level 2 on, the fit is the one without subsample, step for step
    expect(timeless(twice)).toEqual({ ...timeless(direct), iterations: once.iterations + direct.iterations });
    expect(timeless(fitBgNbd(data, { coarseRows: C, widerLevels: 3 }))).toEqual(timeless(twice));
  });
});

describe("purchase models: the level conditions at their edges (data without dropout: every search stops)", () => {
  const rows = (n: number) => purchaseRows(n, () => true);
  const fitRows = (n: number, widerLevels?: number) => fitBgNbd(rows(n), { coarseRows: C, widerLevels });

  it("rows = coarseRows: the subsample is all rows, there is nothing wider to retry on", () => {
    const none = fitRows(C, 0);
    expect(none.message).toMatch(NO_DROPOUT);
    expect(timeless(fitRows(C, 1))).toEqual(timeless(none));
    expect(timeless(fitBgNbd(rows(C)))).toEqual(timeless(none));
  });

  it("rows = coarseRows + 1: level 1 retries on all rows (4 * coarseRows >= rows), as the fit without subsample", () => {
    const none = fitRows(C + 1, 0);
    const direct = fitBgNbd(rows(C + 1));
    expect(none.message).toMatch(NO_DROPOUT);
    expect(direct.message).toMatch(NO_DROPOUT);
    expect(timeless(fitRows(C + 1, 1))).toEqual({
      ...timeless(direct),
      iterations: none.iterations + direct.iterations,
    });
  });

  it("rows = 4 * coarseRows: level 1 holds all rows, widerLevels 2 changes nothing", () => {
    const none = fitRows(4 * C, 0);
    const direct = fitBgNbd(rows(4 * C));
    const once = fitRows(4 * C, 1);
    expect(none.message).toMatch(NO_DROPOUT);
    expect(timeless(once)).toEqual({ ...timeless(direct), iterations: none.iterations + direct.iterations });
    expect(timeless(fitRows(4 * C, 2))).toEqual(timeless(once));
  });

  it("rows = 4 * coarseRows + 1: level 1 is a subsample, level 2 (widerLevels 2) is all rows", () => {
    const once = fitRows(4 * C + 1, 1);
    const direct = fitBgNbd(rows(4 * C + 1));
    expect(once.message).toMatch(NO_DROPOUT);
    expect(once.iterations).toBeGreaterThan(fitRows(4 * C + 1, 0).iterations);
    expect(timeless(fitRows(4 * C + 1, 2))).toEqual({
      ...timeless(direct),
      iterations: once.iterations + direct.iterations,
    });
  });
});

// Gamma-Gamma: repeat buyers with the simulated mean spends, or all with one mean spend (no spread between customers:
// p, q -> infinity, the coarse optimum runs off)
const SPENDERS = simulateCustomers(2000, { r: 0.9, alpha: 2, a: 0.2, b: 5 }, SPEND, { seed: 3 });
const REPEAT = Array.from(SPENDERS.x.keys()).filter((i) => SPENDERS.x[i] > 0);
function spendData(n: number, flat: (i: number) => boolean, flatSpend = 20) {
  const at = REPEAT.slice(0, n);
  return spendRows(
    Float64Array.from(at, (j) => SPENDERS.x[j]),
    Float64Array.from(at, (j, i) => (flat(i) ? flatSpend : SPENDERS.m[j])),
    new Float64Array(n).fill(1),
  );
}
const GC = 20;

describe("Gamma-Gamma: a coarse optimum that ran off is searched again on 4 times the rows", () => {
  it("one mean spend in the first subsample: without the retry the fit runs off, with it the maximum on all rows", () => {
    const n = 75;
    const first = spendKeptBy(n, GC, 1);
    const data = spendData(n, (i) => first.has(i));
    expect(fitGammaGamma(subsampleSpendRows(data, GC, 1)).message).toMatch(EDGE);
    const none = fitGammaGamma(data, { coarseRows: GC, widerLevels: 0 });
    expect(none.converged).toBe(false);
    expect(none.message).toMatch(EDGE);
    // without a coarseRows option (n < COARSE_ROWS) the coarse search is on all rows
    const direct = fitGammaGamma(data);
    expect(direct.converged).toBe(true);
    for (const g of logGradient((p) => gammaGammaLogLikelihood(p as never, data), direct.params as never))
      expect(Math.abs(g)).toBeLessThan(2e-3);
    // level 1 holds all rows (4 * 20 >= 75): from there the fit without subsample, step for step
    const retried = fitGammaGamma(data, { coarseRows: GC });
    expect(retried.params).toEqual(direct.params);
    expect(retried.logLikelihood).toBe(direct.logLikelihood);
    expect(retried.iterations).toBeGreaterThan(direct.iterations);
  });

  it("one mean spend in the first two subsamples: widerLevels 1 runs off, 2 (and the default: no limit) do not", () => {
    const n = 600;
    const first = spendKeptBy(n, GC, 1);
    const second = spendKeptBy(n, 4 * GC, 2);
    const data = spendData(n, (i) => first.has(i) || second.has(i), 25);
    const direct = fitGammaGamma(data);
    expect(direct.converged).toBe(true);
    for (const g of logGradient((p) => gammaGammaLogLikelihood(p as never, data), direct.params as never))
      expect(Math.abs(g)).toBeLessThan(2e-3);
    const once = fitGammaGamma(data, { coarseRows: GC, widerLevels: 1 });
    expect(once.converged).toBe(false);
    expect(once.message).toMatch(EDGE);
    // level 2 is seed 3's 320 rows of the 600: the same maximum, reached from another coarse optimum
    const twice = fitGammaGamma(data, { coarseRows: GC, widerLevels: 2 });
    expect(twice.converged).toBe(true);
    expect(twice.logLikelihood).toBeCloseTo(direct.logLikelihood, 7);
    for (const k of ["p", "q", "gamma"] as const) expect(twice.params[k] / direct.params[k]).toBeCloseTo(1, 6);
    expect(timeless(fitGammaGamma(data, { coarseRows: GC }))).toEqual(timeless(twice));
  });

  describe("the level conditions at their edges (one mean spend for all: every coarse optimum runs off)", () => {
    const flat = (n: number) => spendData(n, () => true);

    it("rows = coarseRows: no retry", () => {
      const none = fitGammaGamma(flat(GC), { coarseRows: GC, widerLevels: 0 });
      expect(none.message).toMatch(EDGE);
      expect(timeless(fitGammaGamma(flat(GC), { coarseRows: GC }))).toEqual(timeless(none));
    });

    it("rows = coarseRows + 1: level 1 is all rows, and from there the fit without subsample", () => {
      const data = flat(GC + 1);
      const direct = fitGammaGamma(data);
      const none = fitGammaGamma(data, { coarseRows: GC, widerLevels: 0 });
      // (the run-off point and so the message depend on where the polish started)
      expect(none.message).not.toBe(direct.message);
      const retried = fitGammaGamma(data, { coarseRows: GC });
      expect(retried.message).toBe(direct.message);
      expect(retried.iterations).toBeGreaterThan(direct.iterations);
    });

    it("rows = 4 * coarseRows: level 1 is all rows, no level 2", () => {
      const once = fitGammaGamma(flat(4 * GC), { coarseRows: GC, widerLevels: 1 });
      expect(once.message).toMatch(EDGE);
      expect(timeless(fitGammaGamma(flat(4 * GC), { coarseRows: GC }))).toEqual(timeless(once));
    });

    it("rows = 4 * coarseRows + 1: level 2 (all rows) with widerLevels 2 or no limit, not with 1", () => {
      const data = flat(4 * GC + 1);
      const direct = fitGammaGamma(data);
      const once = fitGammaGamma(data, { coarseRows: GC, widerLevels: 1 });
      const twice = fitGammaGamma(data, { coarseRows: GC, widerLevels: 2 });
      expect(twice.message).toBe(direct.message);
      expect(twice.iterations).toBeGreaterThan(once.iterations);
      expect(timeless(fitGammaGamma(data, { coarseRows: GC }))).toEqual(timeless(twice));
    });
  });
});

describe("minimizeMultiStart: the levels of widerCoarse", () => {
  // f and each stand-in a quadratic with its minimum at `at` in both coordinates (log-parameters, edge 15)
  const bowl = (at: number) => (x: number[]) => x.reduce((s, v) => s + (v - at) ** 2, 0);
  const standIn = (at: number): CoarseStandIn => ({ coarse: bowl(at) });
  const f = bowl(5);
  const near = (x: number[], at: number) => x.forEach((v) => expect(v).toBeCloseTo(at, 4));

  it("levels asked for in order while the coarse optimum is past the edge, until one is inside", () => {
    const asked: number[] = [];
    const minima = [18, 3]; // level 1: still past the edge; level 2: inside
    const result = minimizeMultiStart(f, [[0, 0]], {
      ...standIn(20),
      widerCoarse: (level) => {
        asked.push(level);
        return standIn(minima[level - 1]);
      },
    });
    expect(asked).toEqual([1, 2]);
    expect(result.converged).toBe(true);
    near(result.x, 5);
  });

  it("a null level ends the retries; a larger edge needs none", () => {
    const asked: number[] = [];
    const widerCoarse = (level: number) => {
      asked.push(level);
      return level < 3 ? standIn(16 + level) : null;
    };
    near(minimizeMultiStart(f, [[0, 0]], { ...standIn(20), widerCoarse }).x, 5);
    expect(asked).toEqual([1, 2, 3]);
    asked.length = 0;
    near(minimizeMultiStart(f, [[0, 0]], { ...standIn(20), widerCoarse, edge: 25 }).x, 5);
    expect(asked).toEqual([]);
  });

  it("without widerCoarse an optimum past the edge is polished where it is", () => {
    const result = minimizeMultiStart(bowl(20), [[0, 0]]);
    expect(result.converged).toBe(true);
    near(result.x, 20);
  });

  it("a check that says stop is put to the next level, whose own check decides", () => {
    const asked: number[] = [];
    const result = minimizeMultiStart(f, [[0, 0]], {
      ...standIn(4),
      check: () => "flat",
      widerCoarse: (level) => {
        asked.push(level);
        return { ...standIn(4), check: level < 2 ? () => "still flat" : () => null };
      },
    });
    expect(asked).toEqual([1, 2]);
    expect(result.converged).toBe(true);
    near(result.x, 5);
    const stopped = minimizeMultiStart(f, [[0, 0]], {
      ...standIn(4),
      check: () => "flat",
      widerCoarse: (level) => (level < 2 ? { ...standIn(4), check: () => "still flat" } : null),
    });
    expect(stopped).toMatchObject({ converged: false, stoppedEarly: true, message: "still flat" });
    near(stopped.x, 4);
  });
});
