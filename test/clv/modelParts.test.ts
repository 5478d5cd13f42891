/**
 * purchaseModel's conditionalParts (the split of E[Y(t) | x, t_x, T] that clvTable.ts and clvInterval.ts sum over
 * grids of histories) give the conditional expectation that references.test.ts checks against published closed
 * forms, bit for bit, for each of the three models; and computeClv / discountFactors on a curved E[X(t)], by hand.
 */
import { describe, expect, it } from "vitest";
import {
  bgNbdConditionalExpected,
  clvWithDiscounts,
  computeClv,
  discountFactors,
  mbgNbdConditionalExpected,
  paretoNbdConditionalExpected,
  purchaseModel,
} from "../../src/pipelines/clv/models.ts";

const BG = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PNBD = { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 };
const HISTORIES = [
  [0, 0, 38.86],
  [2, 30.43, 38.86],
  [7, 35, 38.86],
  [1, 2, 20],
];

describe("purchaseModel conditionalParts", () => {
  const cases = [
    ["bgnbd", BG, bgNbdConditionalExpected],
    ["mbgnbd", BG, mbgNbdConditionalExpected],
    ["pnbd", PNBD, paretoNbdConditionalExpected],
  ] as const;
  it.each(cases)("%s: combine(pairPart, historyPart) is the conditional expectation", (name, params, conditional) => {
    const model = purchaseModel(name, params as never);
    expect(model.name).toBe(name);
    expect(model.params).toBe(params);
    const { pairPart, historyPart, combine } = model.conditionalParts;
    for (const [x, tx, T] of HISTORIES)
      for (const t of [1, 13, 39]) {
        const want = (conditional as (...a: unknown[]) => number)(params, t, x, tx, T);
        expect(want).toBeGreaterThan(0);
        expect(combine(pairPart(t, x, T), historyPart(x, tx, T)), `${name} ${t} ${x} ${tx} ${T}`).toBeCloseTo(want, 12);
      }
  });
});

describe("computeClv on a curved E[X(t)], by hand", () => {
  // E[X(t)] = 10 (1 - exp(-t / 20)), monthly periods (periodsPerMonth 1), margin 0.3, spend 50, 26.8241795% a year
  // (monthly rate exactly 2%): CLV = 0.3 x 50 x sum_m (E[X(m)] - E[X(m - 1)]) / 1.02^m over 3 months.
  const E = (t: number) => 10 * (1 - Math.exp(-t / 20));
  const options = { margin: 0.3, discountRateAnnual: 1.02 ** 12 - 1, horizonMonths: 3, periodsPerMonth: 1 };
  // E(1) = 0.487705755, E(2) = 0.951625820, E(3) = 1.392920236:
  // 15 x (0.487705755 / 1.02 + 0.463920065 / 1.0404 + 0.441294416 / 1.061208) = 15 x (0.478142897 + 0.445905483
  // + 0.415841066) = 20.0983
  const byHand =
    15 *
    (0.4877057549928599 / 1.02 +
      (0.9516258196404048 - 0.4877057549928599) / 1.0404 +
      (1.392920235749422 - 0.9516258196404048) / 1.061208);

  it("discountFactors are (1 + monthly rate)^m for m = 1..H", () => {
    const d = discountFactors(options);
    expect(d).toHaveLength(3);
    expect(d[0]).toBeCloseTo(1.02, 12);
    expect(d[1]).toBeCloseTo(1.0404, 12);
    expect(d[2]).toBeCloseTo(1.061208, 12);
  });

  it("month by month, each month's increment discounted at its own month", () => {
    expect(byHand).toBeCloseTo(20.0983, 4);
    expect(computeClv(E, 50, options)).toBeCloseTo(byHand, 9);
    expect(clvWithDiscounts(E, 50, options, discountFactors(options))).toBeCloseTo(byHand, 9);
    // weekly periods: month m ends at m x periodsPerMonth periods
    const weekly = { ...options, periodsPerMonth: 365.25 / 12 / 7 };
    const w = 365.25 / 12 / 7;
    const weeklyByHand = 15 * [1, 2, 3].reduce((s, m) => s + (E(m * w) - E((m - 1) * w)) / 1.02 ** m, 0);
    expect(computeClv(E, 50, weekly)).toBeCloseTo(weeklyByHand, 9);
    expect(computeClv(E, 50, { ...options, horizonMonths: 0 })).toBe(0);
  });
});
