/**
 * buildValueMatrix (valueMatrix.ts) with margin < 1 and annual discounting, by hand: the customer's own discount
 * profile D = clv / (margin x spend x purchases), the flat factor when that is undefined, P(alive) clamped (NULL or
 * not finite = 1, 0 = nothing to grow), and both thresholds hit exactly ("high" is strictly above).
 * (The margin-1, undiscounted cases and the peer groups: test/clv/steps.test.ts.)
 */
import { describe, expect, it } from "vitest";
import {
  buildValueMatrix,
  MIN_PEERS,
  quantile,
  STRATEGIES,
  type ValueInput,
} from "../../src/pipelines/clv/valueMatrix.ts";

const input = (
  customer_id: string,
  clv: number,
  expected_purchases: number,
  expected_avg_spend: number,
  p_alive: number | null,
): ValueInput => ({
  customer_id,
  clv,
  expected_purchases,
  expected_avg_spend,
  p_alive,
  industry: null,
  region: null,
});

describe("buildValueMatrix with margin 0.5 and 12% a year over 3 months", () => {
  // flat factor F = (v + v^2 + v^3) / 3, v = 1.12^(-1/12). All five customers are one peer group ("all").
  // purchases if alive: a 2/0.5 = 4, b 3, c 1 (P(alive) NULL -> 1), d 0.5 (P(alive) 0: its own figure), e 2 (NaN -> 1)
  //   sorted [0.5, 1, 2, 3, 4], h = 3 -> Q75 3; spend sorted [0, 10, 10, 20, 40] -> Q75 20.
  // a: clv 0 -> F; potential 0.5 x 0.5 x 20 x 4 x F = 20F = 19.63; growth 20F
  // b: D = 6 / (0.5 x 20 x 3) = 0.2; potential 1 x 0.5 x 20 x 3 x 0.2 = 6; growth 0
  // c: D = 10 / (0.5 x 40 x 1) = 0.5; potential 0.5 x 40 x 3 x 0.5 = 30; growth 20
  // d: P(alive) 0: potential 0, growth 0
  // e: D = 8 / (0.5 x 10 x 2) = 0.8; potential 0.5 x 20 x 3 x 0.8 = 24; growth 16
  // medians: current [0, 0, 6, 8, 10] -> 6; growth [0, 0, 16, 20F, 20] -> 16.
  //   a (0, 19.63) II; b (6 = threshold, 0) I; c (10, 20) IV; d I; e (8, 16 = threshold) III.
  const v = 1.12 ** (-1 / 12);
  const F = (v + v ** 2 + v ** 3) / 3;
  const customers = [
    input("a", 0, 2, 10, 0.5),
    input("b", 6, 3, 20, 1),
    input("c", 10, 1, 40, null),
    input("d", 0, 0.5, 0, 0),
    input("e", 8, 2, 10, Number.NaN),
  ];
  // built inside each test (not at collection), so per-test mutation coverage sees it
  const build = () => buildValueMatrix(customers, { margin: 0.5, discountRateAnnual: 0.12, horizonMonths: 3 });

  it("potential CLV and growth", () => {
    const rows = build();
    const potentials = rows.map((r) => r.potential_clv);
    [20 * F, 6, 30, 0, 24].forEach((p, i) => expect(potentials[i]).toBeCloseTo(p, 10));
    const growth = rows.map((r) => r.growth_potential);
    [20 * F, 0, 20, 0, 16].forEach((g, i) => expect(growth[i]).toBeCloseTo(g, 10));
    expect(rows.map((r) => r.peer_group)).toEqual(Array(5).fill("all"));
    expect(rows.map((r) => r.p_alive)).toEqual([0.5, 1, null, 0, Number.NaN]);
    expect(rows.map((r) => r.current_value)).toEqual([0, 6, 10, 0, 8]);
  });

  it("quadrants: strictly above the median on each axis", () => {
    const rows = build();
    expect(rows.map((r) => [r.customer_id, r.quadrant])).toEqual([
      ["a", "II"],
      ["b", "I"],
      ["c", "IV"],
      ["d", "I"],
      ["e", "III"],
    ]);
    expect(rows[2].strategy_en).toMatch(/key-account/);
    expect(rows[4].strategy_zh).toMatch(/保持维系/);
  });

  it("P(alive) above 1 counts as 1", () => {
    const [r] = buildValueMatrix([input("x", 8, 2, 10, 1.5)], {
      margin: 0.5,
      discountRateAnnual: 0.12,
      horizonMonths: 3,
    });
    // alone: Q75 = own figures; D = 8 / (0.5 x 10 x 2) = 0.8; potential 0.5 x 10 x 2 x 0.8 = 8
    expect(r.potential_clv).toBeCloseTo(8, 12);
  });

  it("a peer group needs MIN_PEERS = 5 members", () => {
    expect(MIN_PEERS).toBe(5);
    const four = ["1", "2", "3", "4"].map((k) => ({ ...input(k, 1, 1, 1, 1), industry: "ink", region: "west" }));
    expect(buildValueMatrix(four, { margin: 1, discountRateAnnual: 0, horizonMonths: 12 })[0].peer_group).toBe("all");
  });

  it("quantile of nothing is NaN; of one value that value", () => {
    expect(quantile([], 0.5)).toBeNaN();
    expect(quantile([7], 0.75)).toBe(7);
    expect(quantile([1, 2], 0.25)).toBe(1.25);
  });
});

describe("STRATEGIES", () => {
  it("every quadrant has its own strategy in Chinese and in English, naming the quadrant's value and potential", () => {
    const quadrants = ["I", "II", "III", "IV"] as const;
    const zh = quadrants.map((q) => STRATEGIES[q].zh);
    const en = quadrants.map((q) => STRATEGIES[q].en);
    expect(new Set(zh).size).toBe(4);
    expect(new Set(en).size).toBe(4);
    expect(zh.map((t) => t.slice(0, 6))).toEqual(["低价值低潜力", "低价值高潜力", "高价值低潜力", "高价值高潜力"]);
    expect(en.map((t) => t.split(":")[0])).toEqual([
      "Low value, low potential",
      "Low value, high potential",
      "High value, low potential",
      "High value, high potential",
    ]);
  });
});
