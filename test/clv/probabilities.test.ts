/**
 * P(X(t) = n) for BG/NBD, MBG/NBD and Pareto/NBD against independent values: the R package BTYD's published
 * bgnbd.pmf values (as quoted in lifetimes' tests), numerical integration over the mixing distributions, and the
 * identities sum_n P = 1 and sum_n n P = E[X(t)] (E[X(t)] from models.ts's separate hypergeometric closed forms).
 */
import { describe, expect, it } from "vitest";
import {
  bgNbdExpected,
  mbgNbdExpected,
  paretoNbdExpected,
  type BgNbdParams,
  type ParetoNbdParams,
} from "../../src/pipelines/clv/models.ts";
import {
  bgNbdProbabilityOfPurchases,
  mbgNbdProbabilityOfPurchases,
  paretoNbdProbabilityOfPurchases,
  probabilityOfPurchases,
  nbdTail,
  purchaseCountDistribution,
  purchaseModelWithProbabilities,
} from "../../src/pipelines/clv/probabilities.ts";
import { betaExpectation, nbdPmf, nbdSurvival, simpson } from "./quadrature.ts";
import { beta as randomBeta, createRng, exponential, gamma as randomGamma } from "../../src/data/random.ts";

const BG: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
/** CDNOW Pareto/NBD (Fader & Hardie's note): alpha < beta. */
const PNBD: ParetoNbdParams = { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };
/** A made-up parameter set with alpha > beta, the other branch of the 2F1 terms. */
const PNBD_ALPHA_LARGER: ParetoNbdParams = { r: 1.3, alpha: 14, s: 0.4, beta: 3 };

const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe("BG/NBD P(X(t) = n)", () => {
  it("matches BTYD's bgnbd.pmf (r = 0.243, alpha = 4.414, a = 0.793, b = 2.426)", () => {
    expect(relative(bgNbdProbabilityOfPurchases(BG, 10, 2), 1.07869e-7)).toBeLessThan(1e-4);
    expect(relative(bgNbdProbabilityOfPurchases(BG, 0, 39), 0.5737864)).toBeLessThan(1e-6);
    const pmf30 = [
      0.0019995214, 0.0015170236, 0.001163315, 0.0009003148, 0.0007023638, 0.0005517902, 0.0004361913, 0.0003467171,
      0.0002769613, 0.000222226,
    ];
    pmf30.forEach((expected, i) =>
      expect(relative(bgNbdProbabilityOfPurchases(BG, 11 + i, 30), expected)).toBeLessThan(1e-6),
    );
  });

  it("equals the mixture integrated numerically over p ~ Beta(a, b)", () => {
    for (const [n, t] of [
      [0, 5],
      [1, 5],
      [3, 20],
      [7, 52],
    ]) {
      const reference = betaExpectation(
        (p) =>
          (1 - p) ** n * nbdPmf(BG.r, BG.alpha, n, t) +
          (n > 0 ? p * (1 - p) ** (n - 1) * nbdSurvival(BG.r, BG.alpha, n, t) : 0),
        BG.a,
        BG.b,
      );
      expect(relative(bgNbdProbabilityOfPurchases(BG, n, t), reference)).toBeLessThan(1e-6);
    }
  });
});

describe("MBG/NBD P(X(t) = n)", () => {
  it("equals the mixture integrated numerically over p (dropout possible at the first purchase)", () => {
    for (const [n, t] of [
      [0, 5],
      [1, 5],
      [3, 20],
      [7, 52],
    ]) {
      const reference = betaExpectation(
        (p) => (1 - p) ** (n + 1) * nbdPmf(BG.r, BG.alpha, n, t) + p * (1 - p) ** n * nbdSurvival(BG.r, BG.alpha, n, t),
        BG.a,
        BG.b,
      );
      expect(relative(mbgNbdProbabilityOfPurchases(BG, n, t), reference)).toBeLessThan(1e-6);
    }
  });

  it("puts more mass on 0 than BG/NBD with the same parameters (early dropout)", () => {
    expect(mbgNbdProbabilityOfPurchases(BG, 0, 39)).toBeGreaterThan(bgNbdProbabilityOfPurchases(BG, 0, 39));
  });
});

describe("Pareto/NBD P(X(t) = n)", () => {
  // Independent form: dropout time tau ~ Pareto(s, beta) (density s beta^s / (beta+tau)^(s+1)); given tau, purchases
  // over min(tau, t) are NBD(r, alpha). Integrate over tau in (0, t) numerically.
  const byIntegral = ({ r, alpha, s, beta }: ParetoNbdParams, n: number, t: number) =>
    nbdPmf(r, alpha, n, t) * (beta / (beta + t)) ** s +
    simpson((tau) => (nbdPmf(r, alpha, n, tau) * (s * beta ** s)) / (beta + tau) ** (s + 1), 0, t);

  for (const [label, params] of [
    ["alpha < beta (CDNOW)", PNBD],
    ["alpha > beta", PNBD_ALPHA_LARGER],
  ] as const) {
    it(`equals the integral over the dropout time, ${label}`, () => {
      for (const [n, t] of [
        [0, 1],
        [0, 39],
        [1, 10],
        [2, 39],
        [5, 39],
        [10, 78],
      ]) {
        expect(relative(paretoNbdProbabilityOfPurchases(params, n, t), byIntegral(params, n, t))).toBeLessThan(1e-6);
      }
    });
  }
});

describe("P(X(t) = n) is a distribution with mean E[X(t)]", () => {
  const cases = [
    { name: "bgnbd" as const, params: BG, expected: (t: number) => bgNbdExpected(BG, t) },
    { name: "mbgnbd" as const, params: BG, expected: (t: number) => mbgNbdExpected(BG, t) },
    { name: "pnbd" as const, params: PNBD, expected: (t: number) => paretoNbdExpected(PNBD, t) },
    {
      name: "pnbd" as const,
      params: PNBD_ALPHA_LARGER,
      expected: (t: number) => paretoNbdExpected(PNBD_ALPHA_LARGER, t),
    },
  ];
  for (const { name, params, expected } of cases) {
    it(`${name} ${JSON.stringify(params)}`, () => {
      for (const t of [1, 39, 78]) {
        let total = 0;
        let mean = 0;
        for (let n = 0; n < 400; n++) {
          const p = probabilityOfPurchases(name, params, n, t);
          expect(p).toBeGreaterThanOrEqual(0);
          total += p;
          mean += n * p;
        }
        expect(Math.abs(total - 1)).toBeLessThan(1e-8);
        expect(relative(mean, expected(t))).toBeLessThan(1e-6);
      }
    });
  }

  it("is 1 at n = 0 for t = 0", () => {
    expect(probabilityOfPurchases("bgnbd", BG, 0, 0)).toBe(1);
    expect(probabilityOfPurchases("pnbd", PNBD, 0, 0)).toBe(1);
    expect(probabilityOfPurchases("mbgnbd", BG, 1, 0)).toBe(0);
  });
});

describe("P(X(t) = n) against a seeded simulation of each purchase process (sanity band)", () => {
  // 40,000 new customers observed for t = 26 periods; the simulated share with n purchases must lie within 4
  // binomial standard errors of P(X(t) = n). This checks the story (who may drop out when), not the digits.
  const t = 26;
  const customers = 40_000;
  const simulate = (buyer: (rand: () => number) => number) => {
    const rand = createRng(2026);
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < customers; i++) counts[Math.min(3, buyer(rand))]++;
    return counts;
  };
  // Gamma(shape, rate) purchase rate; the shared sampler takes a scale.
  const rate = (rand: () => number, shape: number, r: number) => randomGamma(rand, shape, 1 / r);
  const bgFamily = (dropAtStart: boolean) => (rand: () => number) => {
    const lambda = rate(rand, BG.r, BG.alpha);
    const p = randomBeta(rand, BG.a, BG.b);
    if (dropAtStart && rand() < p) return 0;
    let n = 0;
    for (let clock = exponential(rand, lambda); clock <= t; clock += exponential(rand, lambda)) {
      n++;
      if (rand() < p) break;
    }
    return n;
  };
  const pareto = (rand: () => number) => {
    const lambda = rate(rand, PNBD.r, PNBD.alpha);
    const lifetime = exponential(rand, rate(rand, PNBD.s, PNBD.beta));
    let n = 0;
    for (let clock = exponential(rand, lambda); clock <= Math.min(t, lifetime); clock += exponential(rand, lambda)) n++;
    return n;
  };
  const cases = [
    { name: "bgnbd" as const, params: BG, buyer: bgFamily(false) },
    { name: "mbgnbd" as const, params: BG, buyer: bgFamily(true) },
    { name: "pnbd" as const, params: PNBD, buyer: pareto },
  ];
  for (const { name, params, buyer } of cases) {
    it(name, () => {
      const counts = simulate(buyer);
      for (let n = 0; n < 3; n++) {
        const p = probabilityOfPurchases(name, params, n, t);
        expect(Math.abs(counts[n] / customers - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / customers));
      }
    });
  }
});

describe("purchaseCountDistribution", () => {
  it("splits customers into 0..9 and 10+, summing to the cohort", () => {
    const rows = purchaseCountDistribution((n, t) => bgNbdProbabilityOfPurchases(BG, n, t), 39, 1000);
    expect(rows.map((r) => r.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10+"]);
    expect(rows.reduce((s, r) => s + r.expectedCustomers, 0)).toBeCloseTo(1000, 9);
    expect(rows[0].expectedCustomers).toBeCloseTo(573.7864, 3); // BTYD's P(X(39) = 0) x 1000
  });
});

describe("argument checks and the NBD tail", () => {
  it("rejects a negative or fractional n and a negative t, naming the argument", () => {
    for (const model of ["bgnbd", "mbgnbd", "pnbd"] as const) {
      const params = model === "pnbd" ? PNBD : BG;
      expect(() => probabilityOfPurchases(model, params, -1, 1)).toThrow(
        "number of purchases n must be a non-negative integer, got -1",
      );
      expect(() => probabilityOfPurchases(model, params, 1.5, 1)).toThrow(
        "number of purchases n must be a non-negative integer, got 1.5",
      );
      expect(() => probabilityOfPurchases(model, params, 1, -2)).toThrow("period length t must be >= 0, got -2");
    }
  });

  it("keeps a tail far above the mean to full relative precision (geometric case, by hand)", () => {
    // r = 1: NBD(1, alpha) over t is geometric, P(N = j) = (alpha/(alpha+t)) (t/(alpha+t))^j, so
    // P(N >= n) = (t/(alpha+t))^n; alpha = t = 1: 0.5^60 = 8.67e-19, which 1 - CDF would round to 0.
    expect(relative(nbdTail(1, 1, 60, 1), 0.5 ** 60)).toBeLessThan(1e-12);
    // below the mean (alpha = 1, t = 9: mean 9, q = 0.9): P(N >= 3) = 0.9^3
    expect(relative(nbdTail(1, 1, 3, 9), 0.729)).toBeLessThan(1e-12);
    expect(nbdTail(1, 1, 0, 9)).toBe(1);
    expect(nbdTail(1, 1, 2, 0)).toBe(0);
  });
});

describe("purchaseModelWithProbabilities", () => {
  it("is the model of models.ts plus P(X(t) = n) of the named model", () => {
    const model = purchaseModelWithProbabilities("bgnbd", BG);
    expect(model.name).toBe("bgnbd");
    expect(model.expected(52)).toBe(bgNbdExpected(BG, 52));
    expect(relative(model.probabilityOfPurchases(0, 39), 0.5737864)).toBeLessThan(1e-6); // BTYD's bgnbd.pmf
    expect(purchaseModelWithProbabilities("pnbd", PNBD).probabilityOfPurchases(2, 20)).toBe(
      paretoNbdProbabilityOfPurchases(PNBD, 2, 20),
    );
  });
});
