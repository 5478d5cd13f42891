/**
 * The CLV interval bootstrap written out customer by customer and draw by draw, with the models' own pAlive,
 * conditionalExpected and computeClv: the reference clvIntervals (src/pipelines/clv/clvInterval.ts) is tested
 * against (clvIntervalExact and clvIntervalModels). Per draw: P(alive) x CLV if alive at unit spend x the spend,
 * then the central `level` interval of each.
 */
import { computeClv, purchaseModel, type PurchaseModelName } from "../../src/pipelines/clv/models.ts";
import { percentileInterval, type Params } from "../../src/pipelines/clv/uncertainty.ts";
import type { SummaryRow } from "../../src/pipelines/clv/steps.ts";

export interface IntervalOptions {
  margin: number;
  discountRateAnnual: number;
  horizonMonths: number;
  periodDays: number;
}

/** The interval tests' CLV settings: margin < 1, a non-zero discount rate, weekly periods. */
export const INTERVAL_OPTIONS: IntervalOptions = {
  margin: 0.3,
  discountRateAnnual: 0.1,
  horizonMonths: 12,
  periodDays: 7,
};

/** A 4-parameter covariance of log-parameters (correlated pairs) the interval tests draw from. */
export const INTERVAL_COVARIANCE = [
  [0.01, 0.002, 0, 0],
  [0.002, 0.02, 0, 0.001],
  [0, 0, 0.03, 0.01],
  [0, 0, 0.01, 0.04],
];

/** [clv_low, clv_high, expected_low, expected_high] per customer; `spendOf(customer, k)` the spend under draw k. */
export function bootstrapIntervals(
  customers: readonly SummaryRow[],
  name: PurchaseModelName,
  draws: readonly Params[],
  spendOf: (c: SummaryRow, k: number) => number,
  level: number,
  options: IntervalOptions,
  ifAliveOf?: (draw: Params, c: SummaryRow) => (t: number) => number,
): number[][] {
  const periodsPerMonth = 365.25 / 12 / options.periodDays;
  const horizon = options.horizonMonths * periodsPerMonth;
  return customers.map((c) => {
    const clv: number[] = [];
    const expected: number[] = [];
    draws.forEach((draw, k) => {
      const model = purchaseModel(name, draw as never);
      const alive = model.pAlive(c.frequency, c.recency, c.T);
      const norm = model.pAlive(c.frequency, c.T, c.T);
      const ifAlive =
        ifAliveOf?.(draw, c) ??
        ((t: number) => (t === 0 ? 0 : model.conditionalExpected(t, c.frequency, c.T, c.T) / norm));
      expected.push(alive * ifAlive(horizon));
      clv.push(alive * computeClv(ifAlive, 1, { ...options, periodsPerMonth }) * spendOf(c, k));
    });
    return [...percentileInterval(clv, level), ...percentileInterval(expected, level)];
  });
}
