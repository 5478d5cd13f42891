/**
 * models.ts's data preparation (compressRows, weightedRows, the seeded subsets of the coarse search) and its 2F1
 * routines, against values written out by hand and a reference series summed here from log-gamma terms (fast: no
 * fit). Reference: 2F1(a, b; c; z) = sum_k (a)_k (b)_k / ((c)_k k!) z^k, each term's log from gammaln, summed in log
 * space; independent of models.ts's ratio recurrences.
 */
import hyp2f1 from "@stdlib/math-base-special-hyp2f1";
import { describe, expect, it } from "vitest";
import {
  compressRows,
  compressSpendRows,
  logHyp2f1,
  logHyp2f1Pareto,
  logHyp2f1Series,
  spendRows,
  subsampleRows,
  subsampleSpendRows,
  weightedRows,
} from "../../src/pipelines/clv/models.ts";
import { logHyp2f1Ref } from "../helpers/hypergeometric.ts";

describe("compressRows", () => {
  it("merges identical rows and indexes distinct values and pairs", () => {
    const rows = compressRows([0, 2, 2, 0, 5, 2], [0, 7, 7, 0, 7, 9], [10, 10, 10, 10, 12, 12]);
    expect(Array.from(rows.x)).toEqual([0, 2, 5, 2]);
    expect(Array.from(rows.tx)).toEqual([0, 7, 7, 9]);
    expect(Array.from(rows.T)).toEqual([10, 10, 12, 12]);
    expect(Array.from(rows.weight)).toEqual([2, 2, 1, 1]);
    expect(rows.n).toBe(6);
    expect(Array.from(rows.xValues)).toEqual([0, 2, 5]);
    expect(Array.from(rows.xIndex)).toEqual([0, 1, 2, 1]);
    expect(Array.from(rows.txValues)).toEqual([0, 7, 9]);
    expect(Array.from(rows.txIndex)).toEqual([0, 1, 1, 2]);
    expect(Array.from(rows.TValues)).toEqual([10, 12]);
    expect(Array.from(rows.TIndex)).toEqual([0, 0, 1, 1]);
    // (x, t_x) pairs: (0,0) (2,7) (5,7) (2,9) all distinct; (x, T) pairs: (0,10) (2,10) (5,12) (2,12)
    expect(Array.from(rows.xTxIndex)).toEqual([0, 1, 2, 3]);
    expect(rows.xTxCount).toBe(4);
    expect(Array.from(rows.xTIndex)).toEqual([0, 1, 2, 3]);
    expect(rows.xTCount).toBe(4);
    const shared = compressRows([1, 1, 3], [4, 6, 4], [10, 10, 10]);
    expect(Array.from(shared.xTIndex)).toEqual([0, 0, 1]);
    expect(shared.xTCount).toBe(2);
    expect(Array.from(shared.xTxIndex)).toEqual([0, 1, 2]);
  });

  it("refuses mismatched lengths and impossible rows, naming the row", () => {
    expect(() => compressRows([1, 2], [1], [3, 4])).toThrow("compressRows: x, t_x and T must have the same length");
    expect(() => compressRows([1], [1], [3, 4])).toThrow("compressRows: x, t_x and T must have the same length");
    const bad: Array<[number, number, number]> = [
      [-1, 0, 5],
      [1, -0.5, 5],
      [1, 5.001, 5],
      [Number.NaN, 1, 5],
      [1, Number.NaN, 5],
      [1, 1, Number.POSITIVE_INFINITY],
    ];
    for (const [x, tx, T] of bad)
      expect(() => compressRows([0, x], [0, tx], [5, T])).toThrow(
        `compressRows: row 1 has invalid (x, t_x, T) = (${x}, ${tx}, ${T}); need 0 <= t_x <= T, x >= 0`,
      );
    // t_x above T by rounding only (1e-10) is accepted; t_x = T and x = 0, t_x = 0 are valid
    expect(compressRows([1, 2, 0], [5 + 1e-10, 5, 0], [5, 5, 0]).n).toBe(3);
    // the tolerance's boundary: t_x = T + 1e-9 is accepted
    expect(compressRows([1], [5 + 1e-9], [5]).n).toBe(1);
  });
});

describe("weightedRows", () => {
  it("keeps rows with a positive weight and counts the customers behind them", () => {
    const rows = weightedRows([0, 2, 3, 2], [0, 5, 6, 7], [10, 10, 10, 10], [3, 0, 1.5, 2]);
    expect(Array.from(rows.x)).toEqual([0, 3, 2]);
    expect(Array.from(rows.tx)).toEqual([0, 6, 7]);
    expect(Array.from(rows.weight)).toEqual([3, 1.5, 2]);
    expect(rows.n).toBe(6.5);
    expect(Array.from(rows.xValues)).toEqual([0, 3, 2]);
  });

  it("refuses mismatched lengths and impossible rows or weights", () => {
    for (const [x, tx, T, w] of [
      [[1], [1, 2], [3, 3], [1, 1]],
      [[1, 2], [1], [3, 3], [1, 1]],
      [[1, 2], [1, 2], [3], [1, 1]],
      [[1, 2], [1, 2], [3, 3], [1]],
    ])
      expect(() => weightedRows(x, tx, T, w)).toThrow("weightedRows: x, t_x, T and weight must have the same length");
    const bad: Array<[number, number, number, number]> = [
      [-1, 0, 5, 1],
      [1, -1, 5, 1],
      [1, 6, 5, 1],
      [1, 1, 5, -1],
      [1, 1, 5, Number.NaN],
      [Number.POSITIVE_INFINITY, 1, 5, 1],
      [1, Number.NaN, 5, 1],
      [1, 1, Number.NaN, 1],
    ];
    for (const [x, tx, T, w] of bad)
      expect(() => weightedRows([0, x], [0, tx], [5, T], [1, w])).toThrow(
        `weightedRows: row 1 has invalid (x, t_x, T, weight) = (${x}, ${tx}, ${T}, ${w}); need 0 <= t_x <= T, x >= 0, weight >= 0`,
      );
    expect(weightedRows([1], [5 + 1e-10], [5], [1]).n).toBe(1);
    expect(weightedRows([1], [5 + 1e-9], [5], [1]).n).toBe(1);
  });
});

describe("seeded subsets for the coarse search", () => {
  const n = 20_000;
  const x = Array.from({ length: n }, (_, i) => i % 50);
  const tx = Array.from({ length: n }, (_, i) => Math.floor(i / 50) % 400);
  const T = Array.from({ length: n }, () => 400);
  const rows = weightedRows(
    x,
    tx,
    T,
    x.map((_, i) => 1 + (i % 3)),
  );

  it("returns the rows themselves when there are few enough", () => {
    expect(subsampleRows(rows, n)).toBe(rows);
    const spend = compressSpendRows([1, 2, 3], [10, 20, 30]);
    expect(subsampleSpendRows(spend, 3)).toBe(spend);
  });

  it("keeps each row with probability size / rows, uniformly over the rows, with its weight", () => {
    const sub = subsampleRows(rows, 2000, 7);
    // Binomial(20000, 0.1): sd 42, so +-200 is ~5 sd
    expect(Math.abs(sub.x.length - 2000)).toBeLessThan(200);
    expect(sub.n).toBe(sub.weight.reduce((s, w) => s + w, 0));
    // uniform over the rows: the kept rows' mean x and t_x are near the whole set's (24.5 and 199.5)
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean(sub.x) - 24.5)).toBeLessThan(2);
    expect(Math.abs(mean(sub.tx) - 199.5)).toBeLessThan(15);
    // each kept row is a row of the input with its weight (x, t_x identify the row here)
    for (let i = 0; i < sub.x.length; i += 97) {
      const k = sub.tx[i] * 50 + sub.x[i];
      expect(sub.weight[i]).toBe(1 + (k % 3));
    }
    // the same seed gives the same subset, another seed another one
    expect(Array.from(subsampleRows(rows, 2000, 7).tx)).toEqual(Array.from(sub.tx));
    expect(Array.from(subsampleRows(rows, 2000, 8).tx)).not.toEqual(Array.from(sub.tx));
    expect(Array.from(subsampleRows(rows, 2000).tx)).toEqual(Array.from(subsampleRows(rows, 2000, 1).tx));
    // size just below the row count: nearly every row kept, and never one past the end
    const nearly = subsampleRows(rows, n - 1, 2);
    expect(nearly.x.length).toBeLessThanOrEqual(n);
    expect(nearly.x.length).toBeGreaterThan(n - 20);
    expect(nearly.x.every(Number.isFinite) && nearly.weight.every((w) => w >= 1 && w <= 3)).toBe(true);
    // the kept fraction follows size
    expect(Math.abs(subsampleRows(rows, 10_000, 3).x.length - 10_000)).toBeLessThan(300);
  });

  it("does the same for spend rows", () => {
    const spend = spendRows(
      Float64Array.from(x, (v) => v + 1),
      Float64Array.from(tx, (v) => 10 + v),
      Float64Array.from(x, (_, i) => 1 + (i % 3)),
    );
    const sub = subsampleSpendRows(spend, 1000, 5);
    expect(Math.abs(sub.x.length - 1000)).toBeLessThan(150);
    expect(sub.n).toBe(sub.weight.reduce((s, w) => s + w, 0));
    expect(Array.from(sub.logM)).toEqual(Array.from(sub.m, Math.log));
    // each kept row is an input row: m = 10 + t_x with x = t_x's row index mod 50 + 1, weight 1-3
    expect(sub.m.every((v) => v >= 10 && v < 410 && Number.isInteger(v))).toBe(true);
    expect(sub.x.every((v) => v >= 1 && v <= 50) && sub.weight.every((w) => w >= 1 && w <= 3)).toBe(true);
    const nearly = subsampleSpendRows(spend, spend.x.length - 1, 2);
    expect(nearly.x.length).toBeGreaterThan(spend.x.length - 20);
    expect(nearly.x.length).toBeLessThanOrEqual(spend.x.length);
    expect(nearly.m.every(Number.isFinite)).toBe(true);
  });
});

describe("2F1", () => {
  it.each([
    [1.5, 2.3, 4.1, 0.6],
    [0.55, 3.2, 2.7, 0.3],
    [30.5, 2.2, 31.5, 0.97],
  ])("logHyp2f1(%f, %f; %f; %f) by the direct sum", (a, b, c, z) => {
    expect(logHyp2f1(a, b, c, z)).toBeCloseTo(logHyp2f1Ref(a, b, c, z), 10);
  });

  it("logHyp2f1 by Euler's transformation when the value overflows", () => {
    for (const [a, b, c, z] of [
      [400, 400, 410, 0.9],
      [350, 320, 360, 0.9],
    ]) {
      expect(hyp2f1(a, b, c, z)).toBe(Number.POSITIVE_INFINITY); // the direct route fails here
      expect(Math.abs(logHyp2f1(a, b, c, z) / logHyp2f1Ref(a, b, c, z) - 1)).toBeLessThan(1e-12);
    }
  });

  it("logHyp2f1 by the log-space series when both routes fail", () => {
    const [a, b, c, z] = [200, 150, 210, 0.95];
    expect(Number.isFinite(hyp2f1(a, b, c, z)) || Number.isFinite(hyp2f1(c - a, c - b, c, z))).toBe(false);
    expect(Math.abs(logHyp2f1(a, b, c, z) / logHyp2f1Ref(a, b, c, z) - 1)).toBeLessThan(1e-12);
    expect(logHyp2f1(a, b, c, 0)).toBe(0);
  });

  it.each([
    [1.2, 0.7, 0.5],
    [3.2, 2.5, 0.5],
    [12, 11.2, 0.95],
    [40.1, 39.5, 0.985],
    [2.1, 1.01, 0.9],
    [2.1, 0.6, 0.99],
    [1500.5, 1500, 0.99],
    // b > a + 1 (Euler's series would have negative terms; the plain sum answers)
    [2, 4.5, 0.5],
    [1.2, 3.5, 0.9],
    [0.5, 2, 0.7],
  ])("logHyp2f1Pareto(%f, %f; a+1; %f)", (a, b, z) => {
    expect(Math.abs(logHyp2f1Pareto(a, b, z) - logHyp2f1Ref(a, b, a + 1, z))).toBeLessThan(
      1e-11 * Math.max(1, Math.abs(logHyp2f1Ref(a, b, a + 1, z))),
    );
  });

  it("logHyp2f1Pareto is 0 at z = 0 and NaN outside the models' domain", () => {
    expect(logHyp2f1Pareto(3, 2, 0)).toBe(0);
    expect(logHyp2f1Pareto(3, 2, 0.9900001)).toBeNaN();
    expect(logHyp2f1Pareto(1e6 + 1, 2, 0.5)).toBeNaN();
    expect(logHyp2f1Pareto(1e6, 1e6 + 0.5, 0.5)).toBeNaN();
    expect(logHyp2f1Pareto(1e6, 1e6, 0.01)).toBeCloseTo(logHyp2f1Ref(1e6, 1e6, 1e6 + 1, 0.01), 6);
  });

  it.each([
    [1.5, 2.3, 4.1, 0.6],
    [200, 150, 210, 0.95],
    [2000, 1800, 2001, 0.9],
  ])("logHyp2f1Series(%f, %f; %f; %f)", (a, b, c, z) => {
    expect(Math.abs(logHyp2f1Series(a, b, c, z) / logHyp2f1Ref(a, b, c, z) - 1)).toBeLessThan(1e-12);
  });

  it("logHyp2f1Series is 0 at z = 0", () => {
    expect(logHyp2f1Series(2, 3, 4, 0)).toBe(0);
  });
});
