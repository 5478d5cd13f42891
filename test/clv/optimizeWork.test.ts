/**
 * optimize.ts, the work each minimiser spends on the way to its answer, on scripted problems whose every value is set
 * by hand: which points refineNewton evaluates (when it reuses its Hessian for a chord step, when it takes a fresh
 * one, when it stops), BFGS's comparisons at their ties (two doubles bit-equal), and minimizeMultiStart's rounds
 * (which options reach the inner minimisers, where the second round starts, which end point it keeps, and the
 * iterations / evaluations it reports as the sums of its parts). optimizeTraces.test.ts covers the common paths.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/data/random.ts";
import { minimizeBfgs, minimizeMultiStart, refineNewton } from "../../src/pipelines/clv/optimize.ts";
import { scripted } from "./scripted.ts";

/**
 * A 1-d gradient for refineNewton from two tables: `at` gives g at the points the Newton steps reach, `slope` the
 * second derivative S (a power of 4) wherever a Hessian is taken. The probes c +- h (h = 1e-5 max(1, |c|), the
 * documented difference step) answer +-S h, so the central difference 2 S h / 2 h is S exactly, and so are its
 * Cholesky factor sqrt(S) and the inverse 1 / S: each step is -g / S, exact for dyadic g. Anywhere else: NaN.
 * `trace` lists the calls: the point, or "H+c" / "H-c" for a probe beside c.
 */
function newtonScript(at: [number, number][], slope: [number, number][]) {
  const values = new Map(at);
  const probes = new Map<number, [string, number]>();
  for (const [c, s] of slope) {
    const h = 1e-5 * Math.max(1, Math.abs(c));
    probes.set(c + h, [`H+${c}`, s * h]);
    probes.set(c - h, [`H-${c}`, -s * h]);
  }
  const trace: string[] = [];
  const gradient = ([x]: number[]) => {
    const probe = probes.get(x);
    trace.push(probe ? probe[0] : String(x));
    return [probe ? probe[1] : (values.get(x) ?? Number.NaN)];
  };
  return { gradient, trace };
}

describe("refineNewton, call by call (default tolerance 1e-7, maxStep 0.5)", () => {
  it("reuses its Hessian while each step is at most a quarter of the one before, else a fresh one at the best point", () => {
    // S = 1 at 0. From 0: g = -0.5, step 0.5 (= maxStep: allowed). At 0.5: step 0.125, a quarter of 0.5: the chord
    // goes on. At 0.625: step 0.0625, more than a quarter of 0.125: a fresh Hessian at 0.625 (the smallest step so
    // far), S = 4: step 0.0625 / 4 = 0.015625 to 0.640625, where g = 0: a step of 0, converged
    const { gradient, trace } = newtonScript(
      [
        [0, -0.5],
        [0.5, -0.125],
        [0.625, -0.0625],
        [0.640625, 0],
      ],
      [
        [0, 1],
        [0.625, 4],
      ],
    );
    expect(refineNewton(gradient, [0])).toEqual({
      x: [0.640625],
      converged: true,
      step: 0,
      evaluations: 8,
      message: "Newton step 0.00e+0 below tolerance",
    });
    expect(trace).toEqual(["0", "H+0", "H-0", "0.5", "0.625", "H+0.625", "H-0.625", "0.640625"]);
  });

  it("keeps the first point of a tie in step size, and a fresh Hessian at the same point repeats its round (4 at most)", () => {
    // Round 0 (S = 1 at 0): steps 0.25, then 0.125 at 0.25 (more than a quarter): best 0.25 (step 0.125). Round 1
    // (S = 1/4 at 0.25, inverse 4): step 0.5 (larger than the best: not kept) to 0.75, where g = 1/32: step -0.125,
    // equal to the best's, so 0.25 stays the best; a quarter of 0.5, so on to 0.625: step 0.125 again, not smaller:
    // the chord ends. Rounds 2 and 3 take the Hessian at 0.25 again and go the same way.
    const { gradient, trace } = newtonScript(
      [
        [0, -0.25],
        [0.25, -0.125],
        [0.75, 0.03125],
        [0.625, -0.03125],
      ],
      [
        [0, 1],
        [0.25, 0.25],
      ],
    );
    expect(refineNewton(gradient, [0])).toEqual({
      x: [0.25],
      converged: false,
      step: 0.125,
      evaluations: 16,
      message: "Newton steps stalled at 1.25e-1",
    });
    const round = ["H+0.25", "H-0.25", "0.75", "0.625"];
    expect(trace).toEqual(["0", "H+0", "H-0", "0.25", ...round, ...round, ...round]);
  });

  it("takes 6 chord steps at most, and stops once a step is at most 1e-3 of the tolerance", () => {
    // S = 1 at 0; steps 2^-1, 2^-3, ..., 2^-11 (each a quarter of the one before) to x1..x6; the 6th step's end
    // point x6 is evaluated but its step not taken: round 1 takes a fresh Hessian at x5 (S = 1), steps 2^-11 again
    // to x6, then 2^-13 to x7, where the step is exactly 1e-7 x 1e-3: converged there, nothing more evaluated
    const steps = [2 ** -1, 2 ** -3, 2 ** -5, 2 ** -7, 2 ** -9, 2 ** -11, 2 ** -13];
    const xs = [0];
    for (const s of steps) xs.push(xs[xs.length - 1] + s);
    const stop = 1e-7 * 1e-3;
    const { gradient, trace } = newtonScript(
      [...steps.map((s, k): [number, number] => [xs[k], -s]), [xs[7], -stop]],
      [
        [0, 1],
        [xs[5], 1],
      ],
    );
    expect(refineNewton(gradient, [0])).toEqual({
      x: [xs[7]],
      converged: true,
      step: stop,
      evaluations: 13,
      message: "Newton step 1.00e-10 below tolerance",
    });
    expect(trace).toEqual([
      "0",
      "H+0",
      "H-0",
      ...xs.slice(1, 7).map(String),
      `H+${xs[5]}`,
      `H-${xs[5]}`,
      String(xs[6]),
      String(xs[7]),
    ]);
  });

  it("is converged at a step equal to the tolerance, with no further round", () => {
    // stepTolerance 2^-10: steps 2^-9 from 0, then 2^-10 at 2^-9 (more than a quarter: the round ends there)
    const { gradient, trace } = newtonScript(
      [
        [0, -(2 ** -9)],
        [2 ** -9, -(2 ** -10)],
      ],
      [[0, 1]],
    );
    expect(refineNewton(gradient, [0], { stepTolerance: 2 ** -10 })).toEqual({
      x: [2 ** -9],
      converged: true,
      step: 2 ** -10,
      evaluations: 4,
      message: "Newton step 9.77e-4 below tolerance",
    });
    expect(trace).toEqual(["0", "H+0", "H-0", String(2 ** -9)]);
  });

  it("stops on a gradient that is not finite on one side of a probe only, or ends the chord where it is not finite", () => {
    // finite at 0 and 1e-5, not at -1e-5
    expect(refineNewton(([a]) => (a < 0 ? [Number.NaN] : [1]), [0])).toEqual({
      x: [0],
      converged: false,
      step: Number.POSITIVE_INFINITY,
      evaluations: 3,
      message: "gradient is not finite",
    });
    // S = 1 at 0, step 0.25 to a point whose gradient is NaN: each of the 4 rounds ends there, the start is the best
    const { gradient, trace } = newtonScript([[0, -0.25]], [[0, 1]]);
    expect(refineNewton(gradient, [0])).toEqual({
      x: [0],
      converged: false,
      step: 0.25,
      evaluations: 13,
      message: "Newton steps stalled at 2.50e-1",
    });
    expect(trace).toEqual(["0", ...Array.from({ length: 4 }, () => ["H+0", "H-0", "0.25"]).flat()]);
  });
});

describe("refineNewton in two dimensions", () => {
  it("measures a step by its largest coordinate", () => {
    // gradient of (a - 2)^2 + 10 (b + 1)^2 (its Hessian exact): from (1.6, -1.6) the step (0.4, 0.6) is above maxStep
    // 0.5 in b, though not in a: rejected in each of the 4 rounds (1 + 4 x 2n gradients), the start returned
    const gradient = ([a, b]: number[]) => [2 * (a - 2), 20 * (b + 1)];
    expect(refineNewton(gradient, [1.6, -1.6])).toEqual({
      x: [1.6, -1.6],
      converged: false,
      step: Number.POSITIVE_INFINITY,
      evaluations: 17,
      message: "Newton steps stalled at Infinity",
    });
  });
});

describe("BFGS at its ties", () => {
  it("counts 2n evaluations of f per numeric gradient", () => {
    // n = 2, one iteration: f and a gradient at the start (1 + 4), one trial point (the quadratic falls at t = 1), a
    // gradient there (4)
    const r = minimizeBfgs(([a, b]) => (a - 3) ** 2 + (b - 1) ** 2, [2, 0], { maxIterations: 1 });
    expect(r.evaluations).toBe(1 + 4 + 1 + 4);
  });

  it("is not converged at a gradient norm equal to the tolerance", () => {
    // |g| = 1e-5: not below; no decrease anywhere but at 0: 60 trial points, then "exhausted" (1e-5 < 100 x 1e-5)
    const r = minimizeBfgs(scripted({ "0": 0 }, 1).f, [0], { gradient: () => [1e-5] });
    expect(r.message).toBe("line search exhausted at gradient norm 1.00e-5");
    expect(r.evaluations).toBe(62);
  });

  it("caps a step by scaling it to maxStep, and leaves one at the cap as it is", () => {
    // (x - 3)^2 from 0: d = 6, capped to 0.5
    const f = ([x]: number[]) => (x - 3) ** 2;
    const r = minimizeBfgs(f, [0], { gradient: ([x]) => [2 * (x - 3)], maxStep: 0.5, maxIterations: 1 });
    expect(r.x).toEqual([0.5]);
    // d = (0.2, 0.1) with the cap 0.2: taken as is (scaled by 0.2 / 0.2 it would round to 0.20000000000000004,
    // 0.10000000000000002)
    const { f: g, seen } = scripted({ "0,0": 0, "0.2,0.1": -1 });
    const s = minimizeBfgs(g, [0, 0], { gradient: () => [-0.2, -0.1], maxStep: 0.2, maxIterations: 1 });
    expect(seen).toEqual([
      [0, 0],
      [0.2, 0.1],
    ]);
    expect(s.x).toEqual([0.2, 0.1]);
  });

  it("takes a step whose decrease equals the Armijo bound, and never one that does not decrease f", () => {
    // g = 1: slope -1; f(-1) = 0 + 1e-4 x 1 x (-1) exactly: taken at t = 1
    const { f, seen } = scripted({ "0": 0, "-1": -1e-4 });
    expect(minimizeBfgs(f, [0], { gradient: () => [1], maxIterations: 1 }).x).toEqual([-1]);
    expect(seen).toEqual([[0], [-1]]);
    // at f = 1e20 the bound 1e20 - 1e-4 t rounds to 1e20 itself: a flat f passes it, yet no step is taken
    expect(minimizeBfgs(() => 1e20, [0], { gradient: () => [1], maxIterations: 1 })).toEqual({
      x: [0],
      fx: 1e20,
      iterations: 0,
      evaluations: 62,
      converged: false,
      message: "line search failed at gradient norm 1.00e+0",
    });
  });

  it("skips the secant update at s y = 1e-12 exactly", () => {
    // H0 = diag(1e-12, 1), g = (-1, 0): d = (1e-12, 0), taken (f falls to -1); there g = (0, 1/2): s = (1e-12, 0),
    // y = (1, 1/2), s y = 1e-12: no update, so the next direction is -H0 g = (0, -1/2)
    const { f, seen } = scripted({ "0,0": 0, "1e-12,0": -1 });
    minimizeBfgs(f, [0, 0], {
      gradient: ([a]) => (a === 0 ? [-1, 0] : [0, 0.5]),
      initialInverseHessian: [
        [1e-12, 0],
        [0, 1],
      ],
      maxIterations: 2,
    });
    expect(seen.slice(0, 3)).toEqual([
      [0, 0],
      [1e-12, 0],
      [1e-12, -0.5],
    ]);
  });

  it("restarts from the identity when the inverse Hessian does not descend, and updates that", () => {
    // (a - 3)^2 + (b - 1)^2 from (2, 0), H0 a rotation: d g = 0, so H = I and d = -g = (2, 2), capped to (1, 1): (3, 1),
    // the optimum. s = (1, 1), y = (2, 2), s y = 4, H y = (2, 2), y H y = 8: H + (12 s s' / 16) - (H y s' + s y' H) / 4
    // = I + 3/4 - 1 in every entry
    const r = minimizeBfgs(([a, b]) => (a - 3) ** 2 + (b - 1) ** 2, [2, 0], {
      gradient: ([a, b]) => [2 * (a - 3), 2 * (b - 1)],
      initialInverseHessian: [
        [0, 1],
        [-1, 0],
      ],
    });
    expect(r).toEqual({
      x: [3, 1],
      fx: 0,
      iterations: 1,
      evaluations: 4,
      converged: true,
      message: "gradient norm 0.00e+0 below tolerance",
      inverseHessian: [
        [0.75, -0.25],
        [-0.25, 0.75],
      ],
    });
  });
});

describe("minimizeMultiStart, round by round on flat objectives", () => {
  // On a constant f Nelder-Mead (1-d) never finds a better point: each iteration evaluates a reflection, a
  // contraction and the shrunk vertex (3), and halves the simplex, which starts initialStep wide. The first round's
  // simplex (initial step 0.5, xTolerance 1e-4) converges after 13 iterations (0.5 / 2^13 <= 1e-4 < 0.5 / 2^12), 2 + 13
  // x 3 = 41 evaluations; the second round's (0.05, 1e-7) after 19 (0.05 / 2^19 <= 1e-7 < 0.05 / 2^18), 59. Both end
  // at their start point. BFGS on a flat f never decreases it: with an analytic gradient its line search stops
  // once the step is below 1e-9 (NEWTON_TOLERANCE x 1e-2) in every coordinate.

  /** Newton from 0 (S = 1): step 0.375 to 0.375 (its step 0.1875: more than a quarter), then from 0.375 (S = 1) a
   * step 0.1875 to 0.5625, where the gradient is NaN; four rounds: best 0.375, 1 + 3 + 3 x 3 = 13 evaluations. From
   * 0.375 itself: no better point, 13 evaluations, the start returned as it was given. */
  const script = () =>
    newtonScript(
      [
        [0, -0.375],
        [0.375, -0.1875],
      ],
      [
        [0, 1],
        [0.375, 1],
      ],
    );
  const counted = (f: (x: number[]) => number) => {
    const calls = { n: 0 };
    return { f: (x: number[]) => (calls.n++, f(x)), calls };
  };

  it("starts the second round where the first ended when its Newton point ties the coarse optimum's value", () => {
    // f = 1 everywhere. Round 1: simplex at 0 (13 iterations, 41 evaluations); BFGS from 0: g = -0.375, no decrease:
    // 1 + 1 + 30 trial points (0.375 t < 1e-9 first at t = 2^-29); Newton to 0.375 (13), where f = 1, a tie: the
    // second simplex starts there (19, 59), then BFGS from 0.375: g = -0.1875, 1 + 1 + 29 (t = 2^-28), and Newton
    // (13), which finds nothing better. The second BFGS's result ties the simplex's value: it is kept
    const { gradient } = script();
    const { f, calls } = counted(() => 1);
    expect(minimizeMultiStart(f, [[0]], { gradient })).toEqual({
      x: [0.375],
      fx: 1,
      iterations: 13 + 0 + 19 + 0,
      evaluations: 41 + 32 + 13 + 59 + 31 + 13,
      converged: false,
      message: "line search failed at gradient norm 1.88e-1",
    });
    // f itself: the counted evaluations but the gradients (2 + 13 + 1 + 13), and f at the Newton point once
    expect(calls.n).toBe(41 + 31 + 1 + 59 + 30);
  });

  it("starts the second round from the coarse optimum when the first ended higher, and keeps the simplex's point if the second does too", () => {
    // f = 2 on [0.3, 0.45], else 1 (no simplex point lies in there): as above, but Newton's point 0.375 has f = 2,
    // above the coarse optimum's 1: the second simplex starts at 0 (19, 59), BFGS and Newton from there repeat the
    // first round's (32 + 13), and their end point 0.375 (f = 2) is above the simplex's (f = 1): the simplex's is kept
    const { gradient } = script();
    const { f, calls } = counted(([x]) => (x >= 0.3 && x <= 0.45 ? 2 : 1));
    expect(minimizeMultiStart(f, [[0]], { gradient })).toEqual({
      x: [0],
      fx: 1,
      iterations: 13 + 0 + 19 + 0,
      evaluations: 41 + 32 + 13 + 59 + 32 + 13,
      converged: false,
      message: "simplex converged",
    });
    expect(calls.n).toBe(41 + 31 + 1 + 59 + 31 + 1);
  });

  it("polishes with the gradient tolerance 1e-4 by default", () => {
    // |g| = 5e-5 at the coarse optimum: converged at once (BFGS's own default would be 1e-5); Newton finds a zero
    // Hessian (2 more gradients) and leaves the point
    expect(minimizeMultiStart(() => 1, [[0]], { gradient: () => [5e-5] })).toEqual({
      x: [0],
      fx: 1,
      iterations: 13,
      evaluations: 41 + 2 + 3,
      converged: true,
      message: "gradient norm 5.00e-5 below tolerance",
      inverseHessian: [[1]],
    });
  });

  it("keeps the first of several starts whose coarse optima tie, and goes wider only beyond the edge, not at it", () => {
    const checked: number[][] = [];
    const r = minimizeMultiStart(() => 1, [[0], [4]], { check: (x) => (checked.push(x), "stop") });
    expect(checked).toEqual([[0]]);
    expect(r).toEqual({
      x: [0],
      fx: 1,
      iterations: 26,
      evaluations: 82,
      converged: false,
      stoppedEarly: true,
      message: "stop",
    });
    // the coarse optimum at 15 = the edge: no wider stand-in asked for; BFGS's numeric gradient is 0 there (2 f)
    const levels: number[] = [];
    const edge = minimizeMultiStart(() => 1, [[15]], { widerCoarse: (level) => (levels.push(level), null) });
    expect(levels).toEqual([]);
    expect(edge.x).toEqual([15]);
    expect([edge.converged, edge.iterations, edge.evaluations]).toEqual([true, 13, 41 + 1 + 2]);
    // beyond the edge with no wider stand-in offered: the coarse optimum is polished as it is
    expect(minimizeMultiStart(() => 1, [[16]]).x).toEqual([16]);
  });

  it("runs the second simplex (on the stand-in) for 1000 n iterations at most", () => {
    // the stand-in is noise (seeded uniform values: its simplex never converges): the coarse simplex stops after
    // 100 n = 200 iterations, the second after 1000 n = 2000. Its gradient 0 ends the coarse BFGS at once; f is flat
    // and its gradient constant, so neither polish moves (no decrease) nor does Newton (a zero Hessian)
    const rand = createRng(11);
    const r = minimizeMultiStart(() => 1, [[0, 0]], {
      coarse: () => rand(),
      coarseGradient: () => [0, 0],
      gradient: () => [1, 1],
    });
    expect(r.iterations).toBe(200 + 2000);
    expect(r.converged).toBe(false);
  });

  it("warm-starts the polish with the coarse polish's inverse Hessian over coarseScale, even when that polish did not move", () => {
    // f = (x - 0.75)^2, a flat stand-in whose gradient is 0: the coarse BFGS converges where it starts (0) with H = 1,
    // the same value: kept, so the polish on f starts with H0 = 1/4: step 1.5 / 4 = 0.375 (f at 0 first: the coarse
    // optimum's value on f, then the polish's start)
    const flatTo = (g: number) => {
      const { f, seen } = scripted({});
      const bowl = (x: number[]) => (f(x), (x[0] - 0.75) ** 2);
      const r = minimizeMultiStart(bowl, [[0]], {
        coarse: () => 1,
        coarseGradient: () => [g],
        coarseScale: 4,
        gradient: ([x]) => [2 * (x - 0.75)],
      });
      return { r, seen };
    };
    const warm = flatTo(0);
    expect(warm.seen.slice(0, 3)).toEqual([[0], [0], [0.375]]);
    expect(warm.r.x).toEqual([0.75]);
    expect(warm.r.converged).toBe(true);
    // a stand-in gradient of 1: the coarse BFGS finds no decrease, unconverged, no inverse Hessian: the polish starts
    // from the identity, step 1.5 capped to 1
    const cold = flatTo(1);
    expect(cold.seen.slice(0, 3)).toEqual([[0], [0], [1]]);
    expect(cold.r.x).toEqual([0.75]);
    expect(cold.r.converged).toBe(true);
  });
});
