/**
 * Diagnostics an analyst can show next to a fitted purchase model:
 *
 * - periodTransactionsCheck: customers by number of repeat purchases in the data the model was fitted on, actual vs
 *   expected, as lifetimes' plot_period_transactions does it: the expected number with k repeat purchases is
 *   sum_i P(X(T_i) = k), each customer over their own age T_i; a chi-square statistic over the classes 0..6, 7+ and
 *   a verdict (see VERDICT_RULES).
 * - modelSurface: P(alive) and expected purchases in the next period on a frequency x recency grid for a customer
 *   of age T, as lifetimes' plot_probability_alive_matrix / plot_frequency_recency_matrix.
 */
import type { PurchaseModel } from "./models.ts";

export type Verdict = "good" | "fair" | "poor";

/** Largest class for the check: 7 stands for "7 or more" repeat purchases. */
export const TOP_CLASS = 7;

/**
 * The verdict, in plain words: 'good' when the chi-square is not significant at 5% (the data show no misfit) or no
 * class is off by more than 1 percentage point of customers; 'fair' when no class is off by more than 3 points;
 * else 'poor'. The share rule is there because with tens of thousands of customers any model fails the chi-square
 * test on differences too small to matter; the test rule because with few customers the shares are noisy.
 */
export const VERDICT_RULES = { goodShareGap: 0.01, fairShareGap: 0.03, significance: 0.05 } as const;

/** Upper 5% points of the chi-square distribution for 1..10 degrees of freedom (standard tables). */
const CHI_SQUARE_95 = [3.841, 5.991, 7.815, 9.488, 11.07, 12.592, 14.067, 15.507, 16.919, 18.307];

export interface PeriodTransactionsClass {
  repeatCount: number;
  label: string;
  actual: number;
  expected: number;
}

export interface PeriodTransactionsCheck {
  classes: PeriodTransactionsClass[];
  chiSquare: number;
  /** Classes - 1 - fitted parameters (at least 1). */
  degreesOfFreedom: number;
  /** Largest |actual - expected| / customers over the classes. */
  maxShareGap: number;
  verdict: Verdict;
}

export function verdictOf(chiSquare: number, degreesOfFreedom: number, maxShareGap: number): Verdict {
  const critical = CHI_SQUARE_95[Math.min(CHI_SQUARE_95.length, Math.max(1, degreesOfFreedom)) - 1];
  if (chiSquare <= critical || maxShareGap <= VERDICT_RULES.goodShareGap) return "good";
  if (maxShareGap <= VERDICT_RULES.fairShareGap) return "fair";
  return "poor";
}

/**
 * Actual vs expected customers by repeat-purchase count. `pmf(k, T)` is the model's P(X(T) = k); `parameters` the
 * number of fitted parameters (for the degrees of freedom). Customers with the same T share one evaluation.
 */
export function periodTransactionsCheck(
  customers: { frequency: number; T: number }[],
  pmf: (k: number, T: number) => number,
  parameters: number,
): PeriodTransactionsCheck {
  const actual = new Array<number>(TOP_CLASS + 1).fill(0);
  const byAge = new Map<number, number>();
  for (const c of customers) {
    actual[Math.min(TOP_CLASS, c.frequency)]++;
    byAge.set(c.T, (byAge.get(c.T) ?? 0) + 1);
  }
  return periodTransactionsCheckOfCounts(actual, byAge, pmf, parameters);
}

/**
 * periodTransactionsCheck from counts: `actual[k]` customers with k repeat purchases (k = TOP_CLASS: or more) and
 * `byAge` the number of customers of each age T, in the order of their first customer (the order of the sums, so
 * the same doubles as periodTransactionsCheck on those customers); model_checks counts them in SQL.
 */
export function periodTransactionsCheckOfCounts(
  actual: number[],
  byAge: Iterable<[number, number]>,
  pmf: (k: number, T: number) => number,
  parameters: number,
): PeriodTransactionsCheck {
  const expected = new Array<number>(TOP_CLASS + 1).fill(0);
  for (const [T, count] of byAge) {
    let below = 0;
    for (let k = 0; k < TOP_CLASS; k++) {
      const p = pmf(k, T);
      below += p;
      expected[k] += count * p;
    }
    expected[TOP_CLASS] += count * Math.max(0, 1 - below);
  }
  const n = actual.reduce((a, b) => a + b, 0);
  let chiSquare = 0;
  let maxShareGap = 0;
  for (let k = 0; k <= TOP_CLASS; k++) {
    if (expected[k] > 0) chiSquare += (actual[k] - expected[k]) ** 2 / expected[k];
    if (n > 0) maxShareGap = Math.max(maxShareGap, Math.abs(actual[k] - expected[k]) / n);
  }
  const degreesOfFreedom = Math.max(1, TOP_CLASS + 1 - 1 - parameters);
  return {
    classes: actual.map((a, k) => ({
      repeatCount: k,
      label: k === TOP_CLASS ? `${TOP_CLASS}+` : String(k),
      actual: a,
      expected: expected[k],
    })),
    chiSquare,
    degreesOfFreedom,
    maxShareGap,
    verdict: verdictOf(chiSquare, degreesOfFreedom, maxShareGap),
  };
}

export interface SurfaceCell {
  frequency: number;
  recency: number;
  T: number;
  pAlive: number;
  expectedNextPeriod: number;
}

/** Most frequency rows in a surface, and most recency columns (beyond this, evenly spaced values 0..T). */
export const SURFACE_MAX_FREQUENCY = 50;
export const SURFACE_MAX_RECENCY_POINTS = 101;

/**
 * The grid frequency 0..min(maxFrequency, 50) x recency 0..T (whole periods, or 101 evenly spaced values when T
 * is longer) for a customer of age T. Impossible cells are left out: with no repeat purchase recency is 0 by
 * definition, so frequency 0 has the single cell recency 0 (lifetimes plots the whole row, all equal).
 */
export function modelSurface(model: PurchaseModel, maxFrequency: number, T: number): SurfaceCell[] {
  const top = Math.min(SURFACE_MAX_FREQUENCY, Math.max(0, Math.floor(maxFrequency)));
  const whole = Math.floor(T);
  const recencies =
    whole + 1 <= SURFACE_MAX_RECENCY_POINTS
      ? Array.from({ length: whole + 1 }, (_, i) => i)
      : Array.from({ length: SURFACE_MAX_RECENCY_POINTS }, (_, i) => (i * T) / (SURFACE_MAX_RECENCY_POINTS - 1));
  const cells: SurfaceCell[] = [];
  for (let frequency = 0; frequency <= top; frequency++) {
    for (const recency of frequency === 0 ? [0] : recencies) {
      cells.push({
        frequency,
        recency,
        T,
        pAlive: model.pAlive(frequency, recency, T),
        expectedNextPeriod: model.conditionalExpected(1, frequency, recency, T),
      });
    }
  }
  return cells;
}
