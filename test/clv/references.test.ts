/**
 * Reference values computed here, independently of models.ts: the MBG/NBD closed forms of Batislam, Denizel &
 * Filiztekin (2007) (as lifetimes' ModifiedBetaGeoFitter writes them) with @stdlib's general 2F1, and CLV with a
 * margin below 1 and a non-zero discount rate worked out by hand.
 */
import { describe, expect, it } from "vitest";
import hyp2f1 from "@stdlib/math-base-special-hyp2f1";
import {
  bgNbdConditionalExpected, bgNbdPAlive, computeClv, mbgNbdConditionalExpected, mbgNbdPAlive,
} from "../../src/pipelines/clv/models.ts";

// MBG/NBD on CDNOW (BTYDplus' estimates, weekly): r 0.525, alpha 6.183, a 0.891, b 1.614
const P = { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };

/** Batislam et al. (2007) eq. (4): P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)), for all x. */
function mbgPAliveRef({ r, alpha, a, b }: typeof P, x: number, tx: number, T: number): number {
  return 1 / (1 + (a / (b + x)) * Math.pow((alpha + T) / (alpha + tx), r + x));
}

/** Batislam et al. (2007) eq. (5): E[Y(t) | x, t_x, T]. */
function mbgExpectedRef({ r, alpha, a, b }: typeof P, t: number, x: number, tx: number, T: number): number {
  const z = t / (alpha + T + t);
  const first = (a + b + x) / (a - 1);
  const second = 1 - hyp2f1(r + x, b + x + 1, a + b + x, z) * Math.pow((alpha + T) / (alpha + T + t), r + x);
  return (first * second) / (1 + (a / (b + x)) * Math.pow((alpha + T) / (alpha + tx), r + x));
}

/** Fader, Hardie & Lee (2005) eq. (10), with a > 1 for the closed form: E[Y(t) | x, t_x, T] for BG/NBD. */
function bgExpectedRef({ r, alpha, a, b }: typeof P, t: number, x: number, tx: number, T: number): number {
  const z = t / (alpha + T + t);
  const first = (a + b + x - 1) / (a - 1);
  const second = 1 - Math.pow((alpha + T) / (alpha + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
  const alive = 1 + (x > 0 ? 1 : 0) * (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x);
  return (first * second) / alive;
}

const CUSTOMERS: Array<[number, number, number]> = [[0, 0, 38.86], [1, 1.71, 38.86], [2, 30.43, 38.86], [6, 30.86, 31], [26, 30.86, 31], [0, 0, 5]];

describe("MBG/NBD against the published closed forms", () => {
  it.each(CUSTOMERS)("P(alive) for x = %d, t_x = %d, T = %d", (x, tx, T) => {
    expect(mbgNbdPAlive(P, x, tx, T)).toBeCloseTo(mbgPAliveRef(P, x, tx, T), 12);
  });

  it.each(CUSTOMERS)("E[Y(39)] for x = %d, t_x = %d, T = %d", (x, tx, T) => {
    expect(mbgNbdConditionalExpected(P, 39, x, tx, T)).toBeCloseTo(mbgExpectedRef(P, 39, x, tx, T), 9);
  });

  it("differs from BG/NBD where the models differ: a customer with no repeat purchase can be gone", () => {
    // BG/NBD: x = 0 is alive for sure; MBG/NBD: 1 / (1 + (0.891 / 1.614) x ((6.183 + 38.86) / 6.183)^0.525)
    expect(bgNbdPAlive(P, 0, 0, 38.86)).toBe(1);
    expect(mbgNbdPAlive(P, 0, 0, 38.86)).toBeCloseTo(1 / (1 + (0.891 / 1.614) * Math.pow(45.043 / 6.183, 0.525)), 12);
  });
});

describe("BG/NBD conditional expectation against the closed form (a > 1)", () => {
  const Q = { r: 0.25, alpha: 4.4, a: 1.8, b: 2.4 };
  it.each(CUSTOMERS)("E[Y(39)] for x = %d, t_x = %d, T = %d", (x, tx, T) => {
    expect(bgNbdConditionalExpected(Q, 39, x, tx, T)).toBeCloseTo(bgExpectedRef(Q, 39, x, tx, T), 9);
  });
});

describe("CLV with margin and discounting, by hand", () => {
  it("discounts each month's expected purchases at the monthly rate and applies the margin", () => {
    // margin 0.4, spend 80, 12% a year -> monthly d = 1.12^(1/12) - 1 = 0.0094888; weekly periods: 4.348214 a month.
    // E[X(t)] = 0.5 t: every month adds 0.5 x 4.348214 = 2.174107 purchases, worth 0.4 x 80 x 2.174107 = 69.571429.
    // CLV = 69.571429 x (1/1.0094888 + 1/1.0094888^2 + 1/1.0094888^3) = 204.815153
    const clv = computeClv((t) => 0.5 * t, 80, { margin: 0.4, discountRateAnnual: 0.12, horizonMonths: 3, periodsPerMonth: 365.25 / 12 / 7 });
    expect(clv).toBeCloseTo(204.815153, 5);
    // no discount, margin 1: 3 months x 2.174107 x 80
    expect(computeClv((t) => 0.5 * t, 80, { margin: 1, discountRateAnnual: 0, horizonMonths: 3, periodsPerMonth: 365.25 / 12 / 7 })).toBeCloseTo(521.785714, 5);
  });
});
