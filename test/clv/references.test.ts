/**
 * Reference values computed here, independently of models.ts: the MBG/NBD closed forms of Batislam, Denizel &
 * Filiztekin (2007) (as lifetimes' ModifiedBetaGeoFitter writes them) with @stdlib's general 2F1, and CLV with a
 * margin below 1 and a non-zero discount rate worked out by hand.
 */
import { describe, expect, it } from "vitest";
import hyp2f1 from "@stdlib/math-base-special-hyp2f1";
import gammaln from "@stdlib/math-base-special-gammaln";
import {
  bgNbdConditionalExpected,
  bgNbdExpected,
  bgNbdLogLikelihood,
  bgNbdPAlive,
  compressRows,
  computeClv,
  mbgNbdConditionalExpected,
  mbgNbdExpected,
  mbgNbdLogLikelihood,
  mbgNbdPAlive,
  paretoNbdConditionalExpected,
  paretoNbdExpected,
  paretoNbdPAlive,
  purchaseModel,
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

const CUSTOMERS: Array<[number, number, number]> = [
  [0, 0, 38.86],
  [1, 1.71, 38.86],
  [2, 30.43, 38.86],
  [6, 30.86, 31],
  [26, 30.86, 31],
  [0, 0, 5],
];

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

/**
 * Batislam et al. (2007) eq. (3), one customer: L = Gamma(r+x) alpha^r / Gamma(r) x B(a, b+x+1) / B(a, b) x
 * [(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)], with B(a, b+x+1) / B(a, b) = Gamma(a+b) Gamma(b+x+1) / (Gamma(b) Gamma(a+b+x+1)).
 */
function mbgLogLikelihoodRef({ r, alpha, a, b }: typeof P, x: number, tx: number, T: number): number {
  const front =
    gammaln(r + x) +
    r * Math.log(alpha) -
    gammaln(r) +
    gammaln(a + b) +
    gammaln(b + x + 1) -
    gammaln(b) -
    gammaln(a + b + x + 1);
  return front + Math.log(Math.pow(alpha + T, -(r + x)) + (a / (b + x)) * Math.pow(alpha + tx, -(r + x)));
}

/** Batislam et al. (2007) eq. (6): E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]. */
function mbgUnconditionalRef({ r, alpha, a, b }: typeof P, t: number): number {
  return (b / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b + 1, a + b, t / (alpha + t)));
}

describe("MBG/NBD likelihood and E[X(t)] against the published closed forms", () => {
  it("log-likelihood of a few customers (and of one twice) is the sum of eq. (3) over them", () => {
    const rows: Array<[number, number, number]> = [...CUSTOMERS, [2, 30.43, 38.86], [3, 12.5, 20]];
    const data = compressRows(
      rows.map((c) => c[0]),
      rows.map((c) => c[1]),
      rows.map((c) => c[2]),
    );
    const expected = rows.reduce((s, [x, tx, T]) => s + mbgLogLikelihoodRef(P, x, tx, T), 0);
    expect(mbgNbdLogLikelihood(P, data)).toBeCloseTo(expected, 9);
    const Q = { r: 1.3, alpha: 2.5, a: 2.2, b: 0.7 };
    expect(mbgNbdLogLikelihood(Q, data)).toBeCloseTo(
      rows.reduce((s, [x, tx, T]) => s + mbgLogLikelihoodRef(Q, x, tx, T), 0),
      9,
    );
  });

  it.each([0.5, 5, 39, 78])("E[X(%d)]", (t) => {
    expect(mbgNbdExpected(P, t)).toBeCloseTo(mbgUnconditionalRef(P, t), 9);
    const Q = { r: 1.3, alpha: 2.5, a: 2.2, b: 0.7 };
    expect(mbgNbdExpected(Q, t)).toBeCloseTo(mbgUnconditionalRef(Q, t), 9);
  });

  it("expects nothing over a zero horizon", () => {
    expect(mbgNbdExpected(P, 0)).toBe(0);
    expect(mbgNbdConditionalExpected(P, 0, 2, 30.43, 38.86)).toBe(0);
  });
});

describe("purchaseModel", () => {
  it("answers with the named model's functions", () => {
    const pnbd = { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 };
    const cases = [
      ["bgnbd", P, bgNbdPAlive, bgNbdConditionalExpected, bgNbdExpected],
      ["mbgnbd", P, mbgNbdPAlive, mbgNbdConditionalExpected, mbgNbdExpected],
      ["pnbd", pnbd, paretoNbdPAlive, paretoNbdConditionalExpected, paretoNbdExpected],
    ] as const;
    for (const [name, params, pAlive, conditional, expected] of cases) {
      const m = purchaseModel(name, params as never);
      expect(m.pAlive(2, 30.43, 38.86), name).toBe((pAlive as (...a: unknown[]) => number)(params, 2, 30.43, 38.86));
      expect(m.conditionalExpected(39, 2, 30.43, 38.86), name).toBe(
        (conditional as (...a: unknown[]) => number)(params, 39, 2, 30.43, 38.86),
      );
      expect(m.expected(39), name).toBe((expected as (...a: unknown[]) => number)(params, 39));
    }
    // the three differ at these figures, so a wrong dispatch cannot pass
    expect(
      new Set(cases.map(([name, params]) => purchaseModel(name, params as never).pAlive(2, 30.43, 38.86))).size,
    ).toBe(3);
  });
});

/**
 * Fader, Hardie & Lee (2005) eq. (6), one customer: L = B(a, b+x)/B(a, b) Gamma(r+x) alpha^r / Gamma(r) x
 * [(alpha+T)^-(r+x) + [x > 0] a/(b+x-1) (alpha+t_x)^-(r+x)].
 */
function bgLogLikelihoodRef({ r, alpha, a, b }: typeof P, x: number, tx: number, T: number): number {
  const front =
    gammaln(r + x) +
    r * Math.log(alpha) -
    gammaln(r) +
    gammaln(a + b) +
    gammaln(b + x) -
    gammaln(b) -
    gammaln(a + b + x);
  return (
    front + Math.log(Math.pow(alpha + T, -(r + x)) + (x > 0 ? a / (b + x - 1) : 0) * Math.pow(alpha + tx, -(r + x)))
  );
}

/** FHL (2005) eq. (7): E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]. */
function bgUnconditionalRef({ r, alpha, a, b }: typeof P, t: number): number {
  return ((a + b - 1) / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b, a + b - 1, t / (alpha + t)));
}

describe("BG/NBD likelihood and E[X(t)] against the published closed forms", () => {
  const rows: Array<[number, number, number]> = [...CUSTOMERS, [2, 30.43, 38.86], [3, 12.5, 20]];
  const data = compressRows(
    rows.map((c) => c[0]),
    rows.map((c) => c[1]),
    rows.map((c) => c[2]),
  );
  const Q = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  const R = { r: 1.3, alpha: 2.5, a: 2.2, b: 0.7 };

  it("log-likelihood is the sum of eq. (6) over the customers", () => {
    for (const params of [Q, R])
      expect(bgNbdLogLikelihood(params, data)).toBeCloseTo(
        rows.reduce((s, [x, tx, T]) => s + bgLogLikelihoodRef(params, x, tx, T), 0),
        9,
      );
  });

  it.each([0.5, 5, 39, 78])("E[X(%d)]", (t) => {
    for (const params of [Q, R]) expect(bgNbdExpected(params, t)).toBeCloseTo(bgUnconditionalRef(params, t), 9);
  });

  it("P(alive) is 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))", () => {
    for (const [x, tx, T] of rows) {
      expect(bgNbdPAlive(Q, x, tx, T)).toBeCloseTo(
        1 / (1 + (x > 0 ? Q.a / (Q.b + x - 1) : 0) * Math.pow((Q.alpha + T) / (Q.alpha + tx), Q.r + x)),
        12,
      );
    }
  });

  it("expects nothing over a zero horizon and refuses a negative one", () => {
    expect(bgNbdExpected(Q, 0)).toBe(0);
    expect(bgNbdConditionalExpected(Q, 0, 2, 30.43, 38.86)).toBe(0);
    expect(() => bgNbdExpected(Q, -1)).toThrow("prediction horizon t must be >= 0, got -1");
    expect(() => mbgNbdConditionalExpected(P, -1, 2, 30.43, 38.86)).toThrow(
      "prediction horizon t must be >= 0, got -1",
    );
    expect(() => mbgNbdExpected(P, Number.NaN)).toThrow("prediction horizon t must be >= 0, got NaN");
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
    const clv = computeClv((t) => 0.5 * t, 80, {
      margin: 0.4,
      discountRateAnnual: 0.12,
      horizonMonths: 3,
      periodsPerMonth: 365.25 / 12 / 7,
    });
    expect(clv).toBeCloseTo(204.815153, 5);
    // no discount, margin 1: 3 months x 2.174107 x 80
    expect(
      computeClv((t) => 0.5 * t, 80, {
        margin: 1,
        discountRateAnnual: 0,
        horizonMonths: 3,
        periodsPerMonth: 365.25 / 12 / 7,
      }),
    ).toBeCloseTo(521.785714, 5);
  });
});
