/**
 * Published CDNOW-sample values (2,357 customers, weekly periods, calibration to 1997-09-30):
 * Fader, Hardie & Lee (2005) for BG/NBD, Fader & Hardie's Pareto/NBD note (2005), Fader & Hardie (2013) for
 * Gamma-Gamma, BTYDplus/lifetimes for MBG/NBD. Inputs are the published summary CSVs, read directly.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bgNbdConditionalExpected,
  bgNbdExpected,
  bgNbdPAlive,
  compressRows,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  gammaGammaConditionalSpend,
  gammaGammaMeanSpend,
  paretoNbdConditionalExpected,
  paretoNbdPAlive,
  type BgNbdParams,
  type CompressedRows,
  type FitResult,
  type GammaGammaParams,
  type ParetoNbdParams,
} from "../../src/pipelines/clv/models.ts";

const CDNOW = path.resolve(__dirname, "../../../shared/data/cdnow");

function readCsv(file: string): Record<string, number>[] {
  const parsed = Papa.parse<Record<string, number>>(readFileSync(path.join(CDNOW, file), "utf8"), {
    header: true,
    dynamicTyping: true,
    skipEmptyLines: true,
  });
  if (parsed.errors.length) throw new Error(`${file}: ${parsed.errors[0].message} (row ${parsed.errors[0].row})`);
  return parsed.data;
}

const within = (actual: number, expected: number, relative: number) =>
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(relative);

let summary: Record<string, number>[];
let withTx: Record<string, number>[];
let rows: CompressedRows;

beforeAll(() => {
  summary = readCsv("cdnow_customers_summary.csv");
  withTx = readCsv("cdnow_customers_summary_with_transactions.csv");
  rows = compressRows(
    summary.map((r) => r.frequency),
    summary.map((r) => r.recency),
    summary.map((r) => r.T),
  );
});

describe("compressRows on CDNOW", () => {
  it("keeps every customer as weight and merges identical rows", () => {
    expect(summary.length).toBe(2357);
    expect(rows.n).toBe(2357);
    expect(rows.weight.reduce((s, w) => s + w, 0)).toBe(2357);
    expect(rows.x.length).toBeLessThan(2357);
    const keys = new Set(Array.from(rows.x, (x, i) => `${x}|${rows.tx[i]}|${rows.T[i]}`));
    expect(keys.size).toBe(rows.x.length);
  });
});

describe("BG/NBD on CDNOW (Fader, Hardie & Lee 2005)", () => {
  let fit: FitResult<BgNbdParams>;
  beforeAll(() => {
    fit = fitBgNbd(rows);
  });
  it("recovers the published parameters and log-likelihood", () => {
    expect(fit.converged).toBe(true);
    within(fit.params.r, 0.2425982, 0.005);
    within(fit.params.alpha, 4.4136842, 0.005);
    within(fit.params.a, 0.7929899, 0.005);
    within(fit.params.b, 2.4261667, 0.005);
    expect(Math.abs(fit.logLikelihood - -9582.429)).toBeLessThan(0.01);
    // BIC = 4 ln(2357) - 2 LL
    expect(fit.bic).toBeCloseTo(4 * Math.log(2357) - 2 * fit.logLikelihood, 9);
  });
  it("predicts the published figures", () => {
    const p = fit.params;
    expect(Math.abs(bgNbdConditionalExpected(p, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThan(0.001);
    expect(Math.abs(bgNbdExpected(p, 52) - 1.444004)).toBeLessThan(1e-3);
    expect(Math.abs(bgNbdConditionalExpected(p, 52, 26, 30.857, 31) - 25.75659)).toBeLessThan(0.01);
    expect(Math.abs(bgNbdPAlive(p, 26, 30.857, 31) - 0.9688523)).toBeLessThan(1e-4);
  });
  it("gives up with converged = false when the time budget runs out", () => {
    const slow = fitBgNbd(rows, { timeBudgetMs: 0 });
    expect(slow.converged).toBe(false);
    expect(slow.message).toMatch(/time budget/);
  });
  it("with the published (rounded) parameters gives the published predictions", () => {
    const p = { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 };
    expect(Math.abs(bgNbdExpected(p, 52) - 1.444004)).toBeLessThan(1e-5);
    expect(Math.abs(bgNbdConditionalExpected(p, 52, 26, 30.857, 31) - 25.75659)).toBeLessThan(1e-3);
    // 1e-5: the published parameters are rounded to 7 digits, which moves P(alive) by ~3e-6
    expect(Math.abs(bgNbdPAlive(p, 26, 30.857, 31) - 0.9688523)).toBeLessThan(1e-5);
    // No repeat purchase: alive by construction in BG/NBD.
    expect(bgNbdPAlive(p, 0, 0, 30)).toBe(1);
  });
});

describe("Pareto/NBD on CDNOW (Fader & Hardie's note)", () => {
  let fit: FitResult<ParetoNbdParams>;
  beforeAll(() => {
    fit = fitParetoNbd(rows);
  });
  it("recovers the published parameters and log-likelihood", () => {
    expect(fit.converged).toBe(true);
    within(fit.params.r, 0.553, 0.01);
    within(fit.params.alpha, 10.578, 0.01);
    within(fit.params.s, 0.606, 0.01);
    within(fit.params.beta, 11.669, 0.01);
    expect(Math.abs(fit.logLikelihood - -9594.976)).toBeLessThan(0.01);
  });
  it("predicts customer 1516", () => {
    expect(Math.abs(paretoNbdConditionalExpected(fit.params, 52, 26, 30.857, 31) - 25.45647)).toBeLessThan(0.01);
    expect(Math.abs(paretoNbdPAlive(fit.params, 26, 30.857, 31) - 0.997874)).toBeLessThan(1e-4);
  });
});

describe("MBG/NBD on CDNOW (Batislam et al. 2007; BTYDplus estimates)", () => {
  it("recovers r=0.525, alpha=6.183, a=0.891, b=1.614", () => {
    const fit = fitMbgNbd(rows);
    expect(fit.converged).toBe(true);
    within(fit.params.r, 0.525, 0.01);
    within(fit.params.alpha, 6.183, 0.01);
    within(fit.params.a, 0.891, 0.01);
    within(fit.params.b, 1.614, 0.01);
  });
});

describe("Gamma-Gamma on the 946 repeat customers (Fader & Hardie 2013)", () => {
  let fit: FitResult<GammaGammaParams>;
  beforeAll(() => {
    fit = fitGammaGamma({ x: withTx.map((r) => r.x), m: withTx.map((r) => r.zbar) });
  });
  it("fits on the repeat customers only", () => {
    expect(withTx.filter((r) => r.x > 0).length).toBe(946);
    expect(fit.nCustomers).toBe(946);
  });
  it("recovers the published parameters and log-likelihood", () => {
    expect(fit.converged).toBe(true);
    within(fit.params.p, 6.25, 0.01);
    within(fit.params.q, 3.74, 0.01);
    within(fit.params.gamma, 15.44, 0.01);
    expect(Math.abs(fit.logLikelihood - -4055.9177)).toBeLessThan(0.01);
  });
  it("gives the published conditional expected average spend for customers 1..10", () => {
    const published = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    const first10 = withTx.slice(0, 10);
    expect(first10.map((r) => r.ID)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    first10.forEach((r, i) => {
      expect(Math.abs(gammaGammaConditionalSpend(fit.params, r.x, r.zbar) - published[i])).toBeLessThan(0.1);
    });
    // x = 0 customers get the population mean p*gamma/(q-1)
    expect(gammaGammaConditionalSpend(fit.params, 0, 0)).toBe(gammaGammaMeanSpend(fit.params));
    expect(Math.abs(gammaGammaMeanSpend(fit.params) - 35.17)).toBeLessThan(0.1);
  });
});
