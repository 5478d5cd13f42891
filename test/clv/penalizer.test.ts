/**
 * analysis.penalizer: lifetimes' L2 penalty (BetaGeoFitter._negative_log_likelihood: -LL / sum(weights) +
 * penalizer_coef * sum(params ** 2), time scaled so the longest customer age is 1) on every fitter.
 * lifetimes' own tests only check that the parameters shrink (test_penalizer_term_will_shrink_coefs_to_0), so the
 * reference here is independent: lifetimes' objective written out in the test on the rescaled data, minimised by
 * derivative-free Nelder-Mead from several starts (the fitters use BFGS with analytic gradients and no rescaling).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bgNbdLogLikelihood,
  compressRows,
  compressSpendRows,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  gammaGammaLogLikelihood,
  l2Penalty,
  mbgNbdLogLikelihood,
  paretoNbdLogLikelihood,
  type CompressedRows,
  type SpendRows,
} from "../../src/pipelines/clv/models.ts";
import { bgBbLogLikelihood, fitBgBb, type BgBbRow } from "../../src/pipelines/clv/bgbb.ts";
import { minimizeNelderMead } from "../../src/pipelines/clv/optimize.ts";
import { readDonations } from "./bgbbData.ts";

const CDNOW = path.resolve(__dirname, "../../../shared/data/cdnow");

let rows: CompressedRows;
let scaled: CompressedRows;
let maxT: number;
let spend: SpendRows;
let donations: BgBbRow[];

beforeAll(() => {
  const summary = Papa.parse<Record<string, number>>(
    readFileSync(path.join(CDNOW, "cdnow_customers_summary_with_transactions.csv"), "utf8"),
    { header: true, dynamicTyping: true, skipEmptyLines: true },
  ).data;
  const x = summary.map((r) => r.x);
  const tx = summary.map((r) => r.t_x);
  const T = summary.map((r) => r.T);
  maxT = Math.max(...T);
  rows = compressRows(x, tx, T);
  scaled = compressRows(
    x,
    tx.map((v) => v / maxT),
    T.map((v) => v / maxT),
  );
  const repeat = summary.filter((r) => r.x > 0);
  spend = compressSpendRows(
    repeat.map((r) => r.x),
    repeat.map((r) => r.zbar),
  );
  donations = readDonations();
});

/** min over log-parameters of f, Nelder-Mead restarted from its own optimum until it stops improving. */
function nelderMead(f: (p: number[]) => number, start: number[]): number[] {
  let best = { x: start.map(Math.log), fx: Infinity };
  for (let i = 0; i < 8; i++) {
    const r = minimizeNelderMead((theta) => f(theta.map(Math.exp)), best.x, {
      maxIterations: 20_000,
      fTolerance: 1e-14,
      xTolerance: 1e-10,
      initialStep: i === 0 ? 0.5 : 0.05,
    });
    if (!(r.fx < best.fx - 1e-13)) {
      best = r.fx < best.fx ? r : best;
      break;
    }
    best = r;
  }
  return best.x.map(Math.exp);
}

const relativeGap = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v / b[i] - 1)));
const sumSquares = (p: number[]) => p.reduce((s, v) => s + v * v, 0);
const values = (fit: { params: object }) => Object.values(fit.params) as number[];

describe("penalizer 0 is plain maximum likelihood", () => {
  it("gives bit-identical fits to no penalizer at all", () => {
    expect(fitBgNbd(rows, { penalizer: 0 })).toMatchObject({
      params: fitBgNbd(rows).params,
      logLikelihood: fitBgNbd(rows).logLikelihood,
    });
    expect(fitMbgNbd(rows, { penalizer: 0 }).params).toEqual(fitMbgNbd(rows).params);
    expect(fitGammaGamma(spend, { penalizer: 0 }).params).toEqual(fitGammaGamma(spend).params);
    expect(fitBgBb(donations, { penalizer: 0 }).params).toEqual(fitBgBb(donations).params);
  });
});

describe("l2Penalty", () => {
  it("is weight * c * sum((p / s)^2) with gradient 2 weight c p / s^2", () => {
    const { value, gradient } = l2Penalty([2, 30, 0.5], 0.1, 100, [1, 10, 1]);
    expect(value).toBeCloseTo(100 * 0.1 * (4 + 9 + 0.25), 12);
    expect(gradient[0]).toBeCloseTo(2 * 100 * 0.1 * 2, 12);
    expect(gradient[1]).toBeCloseTo((2 * 100 * 0.1 * 30) / 100, 12);
    expect(gradient[2]).toBeCloseTo(2 * 100 * 0.1 * 0.5, 12);
  });
});

describe("a non-zero penalizer minimises lifetimes' penalised objective", () => {
  // lifetimes' objective on time rescaled to max T = 1: alpha (and beta) are in units of max T
  const lifetimesObjective = (ll: (p: number[], data: CompressedRows) => number, c: number) => (p: number[]) =>
    -ll(p, scaled) / scaled.n + c * sumSquares(p);
  const unscale = ([r, alpha, a, b]: number[]) => [r, alpha * maxT, a, b];

  it("BG/NBD on CDNOW, penalizer 0.1 and 10 (lifetimes' test values): shrinks, and matches the reference minimum", () => {
    const plain = fitBgNbd(rows);
    const ll = (p: number[], d: CompressedRows) => bgNbdLogLikelihood({ r: p[0], alpha: p[1], a: p[2], b: p[3] }, d);
    let previous = sumSquares([plain.params.r, plain.params.alpha / maxT, plain.params.a, plain.params.b]);
    for (const c of [0.1, 10]) {
      const fit = fitBgNbd(rows, { penalizer: c });
      expect(fit.converged).toBe(true);
      const reference = unscale(nelderMead(lifetimesObjective(ll, c), [1, 1, 1, 1]));
      expect(relativeGap(values(fit), reference)).toBeLessThan(1e-4);
      const shrunk = sumSquares([fit.params.r, fit.params.alpha / maxT, fit.params.a, fit.params.b]);
      expect(shrunk).toBeLessThan(previous);
      previous = shrunk;
      // logLikelihood is the data's, without the penalty: lower than the unpenalised maximum
      expect(fit.logLikelihood).toBeCloseTo(ll(values(fit), rows), 6);
      expect(fit.logLikelihood).toBeLessThan(plain.logLikelihood);
    }
  });

  it("MBG/NBD and Pareto/NBD on CDNOW, penalizer 0.1", () => {
    const mbg = (p: number[], d: CompressedRows) => mbgNbdLogLikelihood({ r: p[0], alpha: p[1], a: p[2], b: p[3] }, d);
    expect(
      relativeGap(
        values(fitMbgNbd(rows, { penalizer: 0.1 })),
        unscale(nelderMead(lifetimesObjective(mbg, 0.1), [1, 1, 1, 1])),
      ),
    ).toBeLessThan(1e-4);
    const pareto = (p: number[], d: CompressedRows) =>
      paretoNbdLogLikelihood({ r: p[0], alpha: p[1], s: p[2], beta: p[3] }, d);
    const reference = nelderMead(lifetimesObjective(pareto, 0.1), [1, 1, 1, 1]);
    const fit = fitParetoNbd(rows, { penalizer: 0.1 });
    expect(fit.converged).toBe(true);
    expect(
      relativeGap(values(fit), [reference[0], reference[1] * maxT, reference[2], reference[3] * maxT]),
    ).toBeLessThan(1e-4);
  });

  it("Gamma-Gamma on the CDNOW repeat customers and BG/BB on the donations data, penalizer 0.1 (no time scaling)", () => {
    const gg = (p: number[]) =>
      -gammaGammaLogLikelihood({ p: p[0], q: p[1], gamma: p[2] }, spend) / spend.n + 0.1 * sumSquares(p);
    const ggFit = fitGammaGamma(spend, { penalizer: 0.1 });
    expect(relativeGap(values(ggFit), nelderMead(gg, [1, 1, 1]))).toBeLessThan(1e-4);
    expect(sumSquares(values(ggFit))).toBeLessThan(sumSquares(values(fitGammaGamma(spend))));
    const n = donations.reduce((s, r) => s + (r.weights ?? 1), 0);
    const bb = (p: number[]) =>
      -bgBbLogLikelihood({ alpha: p[0], beta: p[1], gamma: p[2], delta: p[3] }, donations) / n + 0.1 * sumSquares(p);
    const bbFit = fitBgBb(donations, { penalizer: 0.1 });
    expect(bbFit.converged).toBe(true);
    expect(relativeGap(values(bbFit), nelderMead(bb, [1, 1, 1, 1]))).toBeLessThan(1e-4);
    expect(sumSquares(values(bbFit))).toBeLessThan(sumSquares(values(fitBgBb(donations))));
  });
});
