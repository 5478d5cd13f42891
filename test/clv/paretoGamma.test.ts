/**
 * Pareto/NBD and Gamma-Gamma against references computed here, independently of models.ts (fast: no fit).
 *
 * Pareto/NBD: given the dropout time tau ~ Pareto(s, beta) (density s beta^s / (beta+tau)^(s+1), P(tau > u) =
 * (beta/(beta+u))^s), a customer alive on (0, u] with x purchases, the last at t_x, and none after it until u, has
 * likelihood Gamma(r+x)/Gamma(r) alpha^r (alpha+u)^-(r+x) once lambda ~ Gamma(r, alpha) is integrated out. So
 * L = that at u = T times P(tau > T) + its integral over tau in (t_x, T] (Simpson); P(alive) is the first part's
 * share; E[Y(t) | x, t_x, T] = P(alive) (r+x)/(alpha+T) int_0^t P(tau > T+u | tau > T) du; E[X(t)] = r/alpha
 * int_0^t P(tau > u) du.
 * Gamma-Gamma: Fader & Hardie (2013) eq. (3), f(zbar | x) = Gamma(px+q)/(Gamma(px) Gamma(q)) gamma^q x^(px)
 * zbar^(px-1) / (gamma + x zbar)^(px+q), and the posterior mean of p/nu with nu | zbar, x ~ Gamma(q+px, gamma+x zbar):
 * E[Z | zbar, x] = p (gamma + x zbar) / (px + q - 1).
 */
import gammaln from "@stdlib/math-base-special-gammaln";
import { describe, expect, it } from "vitest";
import {
  compressRows,
  compressSpendRows,
  gammaGammaConditionalSpend,
  gammaGammaLogLikelihood,
  gammaGammaMeanSpend,
  type GammaGammaParams,
  paretoNbdConditionalExpected,
  paretoNbdExpected,
  paretoNbdLogLikelihood,
  paretoNbdPAlive,
  type ParetoNbdParams,
  spendRows,
  weightedRows,
} from "../../src/pipelines/clv/models.ts";
import { simpson } from "./quadrature.ts";

/** CDNOW (Fader & Hardie's note): alpha < beta. */
const CDNOW: ParetoNbdParams = { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };
/** alpha > beta: the 2F1 terms swap the roles of alpha and beta. */
const ALPHA_LARGER: ParetoNbdParams = { r: 1.3, alpha: 14, s: 0.4, beta: 3 };
/** s = 1, where (1 - ratio^(s-1)) / (s-1) is its limit -ln(ratio); s > 1 with many purchases (Euler's 2F1 path). */
const S_ONE: ParetoNbdParams = { r: 2.2, alpha: 5, s: 1, beta: 7 };
const S_LARGE: ParetoNbdParams = { r: 3.5, alpha: 2, s: 2.5, beta: 9 };
const ALL = [
  ["alpha < beta (CDNOW)", CDNOW],
  ["alpha > beta", ALPHA_LARGER],
  ["s = 1", S_ONE],
  ["s > 1", S_LARGE],
] as const;

/** The two parts of one customer's likelihood: alive at T, and dropped out in (t_x, T]. */
function paretoParts({ r, alpha, s, beta }: ParetoNbdParams, x: number, tx: number, T: number) {
  const front = Math.exp(gammaln(r + x) - gammaln(r) + r * Math.log(alpha));
  const buys = (u: number) => front * (alpha + u) ** -(r + x);
  const alive = buys(T) * (beta / (beta + T)) ** s;
  const dropped = tx < T ? simpson((tau) => (buys(tau) * s * beta ** s) / (beta + tau) ** (s + 1), tx, T, 20_000) : 0;
  return { alive, dropped };
}

function paretoConditionalRef(params: ParetoNbdParams, t: number, x: number, tx: number, T: number): number {
  const { alive, dropped } = paretoParts(params, x, tx, T);
  const { r, alpha, s, beta } = params;
  const stillAlive = simpson((u) => ((beta + T) / (beta + T + u)) ** s, 0, t);
  return (alive / (alive + dropped)) * ((r + x) / (alpha + T)) * stillAlive;
}

const relative = (actual: number, expected: number) => Math.abs(actual / expected - 1);

// (x, t_x, T): no repeat purchase, one early, recent ones, t_x = T, many purchases, a young customer
const CUSTOMERS: Array<[number, number, number]> = [
  [0, 0, 38.86],
  [1, 1.71, 38.86],
  [2, 30.43, 38.86],
  [6, 30.86, 31],
  [5, 20, 20],
  [26, 30.86, 31],
  [0, 0, 5],
  [3, 2.5, 4],
];

describe("Pareto/NBD against the integral over the dropout time", () => {
  for (const [label, params] of ALL) {
    it(`log-likelihood of compressed and weighted rows, ${label}`, () => {
      // one customer twice (weight 2), so merged rows must count their weight
      const rows = [...CUSTOMERS, CUSTOMERS[2]];
      const data = compressRows(
        rows.map((c) => c[0]),
        rows.map((c) => c[1]),
        rows.map((c) => c[2]),
      );
      const logL = ([x, tx, T]: [number, number, number]) => {
        const { alive, dropped } = paretoParts(params, x, tx, T);
        return Math.log(alive + dropped);
      };
      const expected = rows.reduce((sum, c) => sum + logL(c), 0);
      expect(relative(paretoNbdLogLikelihood(params, data), expected)).toBeLessThan(1e-10);
      const weighted = weightedRows([2, 0, 7], [30.43, 0, 12], [38.86, 38.86, 38.86], [3, 5, 0.5]);
      expect(
        relative(
          paretoNbdLogLikelihood(params, weighted),
          3 * logL([2, 30.43, 38.86]) + 5 * logL([0, 0, 38.86]) + 0.5 * logL([7, 12, 38.86]),
        ),
      ).toBeLessThan(1e-10);
    });

    it(`P(alive) and E[Y(t) | x, t_x, T], ${label}`, () => {
      for (const [x, tx, T] of CUSTOMERS) {
        const { alive, dropped } = paretoParts(params, x, tx, T);
        expect(paretoNbdPAlive(params, x, tx, T), `P(alive) ${x} ${tx} ${T}`).toBeCloseTo(
          alive / (alive + dropped),
          10,
        );
        for (const t of [1, 39, 104]) {
          expect(
            relative(paretoNbdConditionalExpected(params, t, x, tx, T), paretoConditionalRef(params, t, x, tx, T)),
            `E[Y(${t})] ${x} ${tx} ${T}`,
          ).toBeLessThan(1e-9);
        }
      }
    });

    it(`E[X(t)] is r/alpha times the expected time alive in (0, t], ${label}`, () => {
      const { r, alpha, s, beta } = params;
      for (const t of [0.5, 5, 39, 78]) {
        const reference = (r / alpha) * simpson((u) => (beta / (beta + u)) ** s, 0, t);
        expect(relative(paretoNbdExpected(params, t), reference), `t = ${t}`).toBeLessThan(1e-10);
      }
    });
  }

  it("s = 1 exactly and s within 1e-10 of 1 give the limit r beta / alpha ln((beta+t)/beta)", () => {
    const limit = (S_ONE.r * S_ONE.beta * Math.log((S_ONE.beta + 39) / S_ONE.beta)) / S_ONE.alpha;
    expect(paretoNbdExpected(S_ONE, 39)).toBeCloseTo(limit, 12);
    expect(paretoNbdExpected({ ...S_ONE, s: 1 + 5e-11 }, 39)).toBeCloseTo(limit, 9);
    expect(paretoNbdExpected({ ...S_ONE, s: 1 - 5e-11 }, 39)).toBeCloseTo(limit, 9);
  });

  it("expects nothing over a zero horizon and refuses a negative one", () => {
    expect(paretoNbdExpected(CDNOW, 0)).toBeCloseTo(0, 15); // -0: 1 - ratio^(s-1) at ratio 1
    expect(paretoNbdConditionalExpected(CDNOW, 0, 2, 30.43, 38.86)).toBe(0);
    expect(() => paretoNbdExpected(CDNOW, -1)).toThrow("prediction horizon t must be >= 0, got -1");
    expect(() => paretoNbdConditionalExpected(CDNOW, -0.5, 2, 30.43, 38.86)).toThrow(
      "prediction horizon t must be >= 0, got -0.5",
    );
  });
});

/** FH 2013 eq. (3), one customer. */
function gammaGammaLogRef({ p, q, gamma }: GammaGammaParams, x: number, zbar: number): number {
  return (
    gammaln(p * x + q) -
    gammaln(p * x) -
    gammaln(q) +
    q * Math.log(gamma) +
    p * x * Math.log(x) +
    (p * x - 1) * Math.log(zbar) -
    (p * x + q) * Math.log(gamma + x * zbar)
  );
}

/** FH 2013's CDNOW estimates. */
const GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const GG_OTHER: GammaGammaParams = { p: 0.8, q: 2.1, gamma: 40 };

describe("Gamma-Gamma against the published closed forms", () => {
  const x = [1, 2, 3, 2, 6, 0, 2, -1];
  const m = [10, 20, 15, 30, 12.5, 0, 20, 50];

  it("compressSpendRows keeps repeat buyers only and merges identical rows", () => {
    const rows = compressSpendRows(x, m);
    expect(Array.from(rows.x)).toEqual([1, 2, 3, 2, 6]);
    expect(Array.from(rows.m)).toEqual([10, 20, 15, 30, 12.5]);
    expect(Array.from(rows.weight)).toEqual([1, 2, 1, 1, 1]);
    expect(rows.n).toBe(6);
    expect(Array.from(rows.xValues)).toEqual([1, 2, 3, 6]);
    expect(Array.from(rows.xIndex)).toEqual([0, 1, 2, 1, 3]);
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => compressSpendRows([1, 2], [10, bad])).toThrow(
        `compressSpendRows: row 1 has x = 2 but average value ${bad}; need > 0`,
      );
  });

  it.each([
    ["FH 2013", GG],
    ["p < 1", GG_OTHER],
  ] as const)("log-likelihood is the weighted sum of eq. (3), %s", (_, params) => {
    const expected = [1, 2, 3, 2, 6, 2].reduce(
      (s, xi, i) => s + gammaGammaLogRef(params, xi, [10, 20, 15, 30, 12.5, 20][i]),
      0,
    );
    expect(gammaGammaLogLikelihood(params, compressSpendRows(x, m))).toBeCloseTo(expected, 9);
    const weighted = spendRows(Float64Array.of(4, 1), Float64Array.of(25, 8), Float64Array.of(2.5, 4));
    expect(weighted.n).toBe(6.5);
    expect(gammaGammaLogLikelihood(params, weighted)).toBeCloseTo(
      2.5 * gammaGammaLogRef(params, 4, 25) + 4 * gammaGammaLogRef(params, 1, 8),
      9,
    );
  });

  it("the population mean p gamma / (q - 1), infinite for q <= 1", () => {
    expect(gammaGammaMeanSpend(GG)).toBeCloseTo((6.25 * 15.44) / 2.74, 12);
    expect(gammaGammaMeanSpend({ p: 2, q: 0.8, gamma: 10 })).toBe(Number.POSITIVE_INFINITY);
    expect(gammaGammaMeanSpend({ p: 2, q: 1, gamma: 10 })).toBe(Number.POSITIVE_INFINITY);
  });

  it("E[Z | zbar, x] is the posterior mean p (gamma + x zbar) / (px + q - 1)", () => {
    for (const params of [GG, GG_OTHER])
      for (const [xi, zbar] of [
        [1, 10],
        [2, 35.5],
        [6, 12.5],
        [30, 80],
      ]) {
        const { p, q, gamma } = params;
        expect(gammaGammaConditionalSpend(params, xi, zbar)).toBeCloseTo(
          (p * (gamma + xi * zbar)) / (p * xi + q - 1),
          10,
        );
      }
    // no repeat purchase: the population mean, whatever the (meaningless) average value
    expect(gammaGammaConditionalSpend(GG, 0, Number.NaN)).toBeCloseTo((6.25 * 15.44) / 2.74, 12);
    expect(gammaGammaConditionalSpend(GG, 0, 500)).toBeCloseTo((6.25 * 15.44) / 2.74, 12);
  });
});
