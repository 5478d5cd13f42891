/**
 * The period-transactions check and the model surfaces, on hand-made inputs with hand-computed values.
 */
import { describe, expect, it } from "vitest";
import { purchaseModel } from "../../src/pipelines/clv/models.ts";
import {
  modelSurface,
  periodTransactionsCheck,
  periodTransactionsCheckOfCounts,
  verdictOf,
} from "../../src/pipelines/clv/checks.ts";

describe("periodTransactionsCheck", () => {
  // A toy pmf: P(X(T) = k) = (1/2)^(k+1) whatever T, so P(7+) = (1/2)^7 = 1/128.
  const pmf = (k: number) => 0.5 ** (k + 1);
  const customers = [
    { frequency: 0, T: 10 },
    { frequency: 0, T: 20 },
    { frequency: 0, T: 20 },
    { frequency: 1, T: 10 },
    { frequency: 2, T: 10 },
    { frequency: 9, T: 30 },
    { frequency: 7, T: 30 },
    { frequency: 0, T: 5 },
  ];
  const check = periodTransactionsCheck(customers, pmf, 4);

  it("from counts (model_checks counts in SQL): the same check, to the last bit, with a pmf depending on T", () => {
    const byAge: Array<[number, number]> = [
      [10, 3],
      [20, 2],
      [30, 2],
      [5, 1],
    ];
    const aged = (k: number, T: number) => (1 / (1 + T / 7)) * (T / 7 / (1 + T / 7)) ** k;
    for (const f of [pmf, aged]) {
      expect(periodTransactionsCheckOfCounts([4, 1, 1, 0, 0, 0, 0, 2], byAge, f, 4)).toEqual(
        periodTransactionsCheck(customers, f, 4),
      );
    }
  });

  it("counts customers by repeat purchases, 7 and more pooled", () => {
    expect(check.classes.map((c) => c.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7+"]);
    expect(check.classes.map((c) => c.actual)).toEqual([4, 1, 1, 0, 0, 0, 0, 2]);
  });

  it("sums P(X(T_i) = k) over customers: 8 x (1/2, 1/4, ..., 1/128, 1/128)", () => {
    const expected = [4, 2, 1, 0.5, 0.25, 0.125, 0.0625, 0.0625];
    check.classes.forEach((c, k) => expect(c.expected).toBeCloseTo(expected[k], 12));
  });

  it("computes the chi-square by hand: 0 + 0.5 + 0 + 0.5 + 0.25 + 0.125 + 0.0625 + (2-0.0625)^2/0.0625", () => {
    expect(check.chiSquare).toBeCloseTo(0.5 + 0.5 + 0.25 + 0.125 + 0.0625 + 1.9375 ** 2 / 0.0625, 10);
    expect(check.degreesOfFreedom).toBe(3);
    // Largest gap: class 7+, (2 - 0.0625) / 8 = 0.2421875 -> poor (chi-square 61.5 > 7.815).
    expect(check.maxShareGap).toBeCloseTo(0.2421875, 12);
    expect(check.verdict).toBe("poor");
  });

  it("states its verdict thresholds", () => {
    expect(verdictOf(7.8, 3, 0.2)).toBe("good"); // not significant at 5% (critical value 7.815)
    expect(verdictOf(100, 3, 0.009)).toBe("good"); // significant but no class off by more than 1 point
    expect(verdictOf(100, 3, 0.029)).toBe("fair");
    expect(verdictOf(100, 3, 0.031)).toBe("poor");
    expect(verdictOf(3.9, 1, 0.5)).toBe("poor"); // critical value 3.841 with 1 degree of freedom
  });
});

describe("modelSurface", () => {
  const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  const model = purchaseModel("bgnbd", params);

  it("covers frequency 0..max x recency 0..T, with frequency 0 only at recency 0", () => {
    const cells = modelSurface(model, 3, 10.5);
    expect(cells.length).toBe(1 + 3 * 11);
    expect(cells.filter((c) => c.frequency === 0)).toHaveLength(1);
    expect(Math.max(...cells.map((c) => c.recency))).toBe(10);
    expect(cells.every((c) => c.T === 10.5)).toBe(true);
  });

  it("caps frequency at 50 and spaces recency evenly for long ages", () => {
    const cells = modelSurface(model, 80, 365);
    expect(Math.max(...cells.map((c) => c.frequency))).toBe(50);
    const recencies = [...new Set(cells.map((c) => c.recency))];
    expect(recencies).toHaveLength(101);
    expect(recencies[1]).toBeCloseTo(3.65, 12);
    expect(recencies[100]).toBe(365);
  });

  it("gives BG/NBD's P(alive) = 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)), by hand", () => {
    const cell = modelSurface(model, 3, 38)!.find((c) => c.frequency === 2 && c.recency === 30)!;
    const { r, alpha, a, b } = params;
    expect(cell.pAlive).toBeCloseTo(1 / (1 + (a / (b + 1)) * ((alpha + 38) / (alpha + 30)) ** (r + 2)), 12);
    expect(cell.expectedNextPeriod).toBeGreaterThan(0);
    expect(cell.expectedNextPeriod).toBeLessThan(1);
  });
});
