/**
 * optimize.ts step by step: the points each minimiser evaluates, on objectives whose every value is set by hand (a
 * table of points) or whose steps have a closed form (quadratics), so that each branch of Nelder-Mead (expansion
 * kept or not, reflection, outside / inside contraction, shrink), of BFGS (the step cap, the Armijo test, the
 * descent restart, the secant update, the line search's end) and of the Newton refinement is seen to take the step
 * the textbook rule gives. optimize.test.ts checks the minima; these check the way there (fast, for mutation tests).
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/data/random.ts";
import {
  cholesky,
  invertPositiveDefinite,
  minimizeBfgs,
  minimizeMultiStart,
  minimizeNelderMead,
  numericGradient,
  refineNewton,
} from "../../src/pipelines/clv/optimize.ts";
import { scripted } from "./scripted.ts";

describe("Nelder-Mead, one iteration at a time (coefficients 1, 2, 0.5, 0.5; initial step 0.5)", () => {
  const one = { maxIterations: 1 };

  it("keeps the expansion when it beats the reflection, and returns the best vertex", () => {
    // f = x^2 from 1: simplex 1 (1), 1.5 (2.25); centroid 1; reflection 1 - 0.5 = 0.5 (0.25) beats the best, so
    // expansion 1 - 2 x 0.5 = 0 (0) is tried and kept
    const { f, seen } = scripted({ "1": 1, "1.5": 2.25, "0.5": 0.25, "0": 0 });
    const r = minimizeNelderMead(f, [1], one);
    expect(seen).toEqual([[1], [1.5], [0.5], [0]]);
    expect(r).toEqual({
      x: [0],
      fx: 0,
      iterations: 1,
      evaluations: 4,
      converged: false,
      message: "Nelder-Mead stopped after 1 iterations without converging",
    });
  });

  it("keeps the reflection when the expansion is not strictly better", () => {
    // as above, but the expansion 0 ties the reflection 0.5 (both 0.5): the reflection is kept
    const { f, seen } = scripted({ "1": 1, "1.5": 2, "0.5": 0.5, "0": 0.5 });
    const r = minimizeNelderMead(f, [1], one);
    expect(seen).toEqual([[1], [1.5], [0.5], [0]]);
    expect(r.x).toEqual([0.5]);
    expect(r.fx).toBe(0.5);
  });

  it("contracts outside when the reflection ties the best, and keeps a contraction better than the reflection", () => {
    // reflection 0.5 (1) ties the best 1 (1): no expansion; it is below the worst (2): outside contraction
    // 1 - 0.5 x 0.5 = 0.75 (0.9 < 1): kept
    const { f, seen } = scripted({ "1": 1, "1.5": 2, "0.5": 1, "0.75": 0.9 });
    const r = minimizeNelderMead(f, [1], one);
    expect(seen).toEqual([[1], [1.5], [0.5], [0.75]]);
    expect(r.x).toEqual([0.75]);
    expect(r.evaluations).toBe(4);
  });

  it("contracts inside when the reflection ties the worst", () => {
    // reflection 0.5 (2) ties the worst 1.5 (2): inside contraction 1 + 0.5 x 0.5 = 1.25 (0.5 < 2): kept
    const { f, seen } = scripted({ "1": 1, "1.5": 2, "0.5": 2, "1.25": 0.5 });
    const r = minimizeNelderMead(f, [1], one);
    expect(seen).toEqual([[1], [1.5], [0.5], [1.25]]);
    expect(r.x).toEqual([1.25]);
  });

  it("shrinks towards the best vertex when the outside contraction is not below the reflection", () => {
    // reflection 0.5 (1.5) between best 1 (1) and worst 1.5 (2): outside contraction 0.75 ties it (1.5): shrink, the
    // other vertex to 1 + 0.5 x (1.5 - 1) = 1.25 (evaluated: 7), the best not re-evaluated
    const { f, seen } = scripted({ "1": 1, "1.5": 2, "0.5": 1.5, "0.75": 1.5, "1.25": 7 });
    const r = minimizeNelderMead(f, [1], one);
    expect(seen).toEqual([[1], [1.5], [0.5], [0.75], [1.25]]);
    expect(r.x).toEqual([1]);
    expect(r.evaluations).toBe(5);
  });

  it("shrinks when the inside contraction is not below the worst", () => {
    // reflection 0.5 (3) above the worst (2): inside contraction 1.25 (2, a tie with the worst): shrink to 1.25 (9)
    const { f, seen } = scripted({ "1": 1, "1.5": 2, "0.5": 3, "1.25": 2 });
    const r = minimizeNelderMead(f, [1], one);
    expect(seen).toEqual([[1], [1.5], [0.5], [1.25], [1.25]]);
    expect(r.fx).toBe(1);
  });

  it("in two dimensions: a reflection between the best and the second worst replaces the worst", () => {
    // simplex (0,0) 1, (0.5,0) 2, (0,0.5) 3; centroid of the two best (0.25, 0); reflection (0.5, -0.5) (1.5)
    const { f, seen } = scripted({ "0,0": 1, "0.5,0": 2, "0,0.5": 3, "0.5,-0.5": 1.5, "0.25,0.5": 0.5 });
    minimizeNelderMead(f, [0, 0], { maxIterations: 2 });
    // second iteration: simplex (0,0) 1, (0.5,-0.5) 1.5, (0.5,0) 2: centroid (0.25, -0.25), reflection (0, -0.5)
    // (100, above the worst): inside contraction (0.375, -0.125) (100): shrink of the two others towards (0, 0)
    expect(seen).toEqual([
      [0, 0],
      [0.5, 0],
      [0, 0.5],
      [0.5, -0.5],
      [0, -0.5],
      [0.375, -0.125],
      [0.25, -0.25],
      [0.25, 0],
    ]);
  });

  it("a reflection tying the second worst is not kept: it goes to the contraction", () => {
    // reflection (0.5, -0.5) = 2 = the second worst: outside contraction (0.375, -0.25) (1.2 < 2): kept
    const { f, seen } = scripted({ "0,0": 1, "0.5,0": 2, "0,0.5": 3, "0.5,-0.5": 2, "0.375,-0.25": 1.2 });
    const r = minimizeNelderMead(f, [0, 0], one);
    expect(seen).toEqual([
      [0, 0],
      [0.5, 0],
      [0, 0.5],
      [0.5, -0.5],
      [0.375, -0.25],
    ]);
    expect(r.evaluations).toBe(5);
  });

  it("converges when the value spread and the simplex size are at most the tolerances (ties included)", () => {
    // a constant: value spread 0; the initial simplex is 0.5 wide
    const flat = minimizeNelderMead(() => 1, [0], { fTolerance: 0, xTolerance: 0.5 });
    expect(flat).toEqual({
      x: [0],
      fx: 1,
      iterations: 0,
      evaluations: 2,
      converged: true,
      message: "simplex converged",
    });
    // 0.4: not at first; reflection and contraction tie the worst, so the simplex shrinks to 0.25 wide: converged
    const shrunk = minimizeNelderMead(() => 1, [0], { fTolerance: 0, xTolerance: 0.4 });
    expect([shrunk.converged, shrunk.iterations, shrunk.evaluations]).toEqual([true, 1, 5]);
    // default tolerances (values within 1e-10, vertices within 1e-8) on 3 + (x - 1)^2: the value 3 itself is not
    // the spread
    const bowl = minimizeNelderMead(([x]) => 3 + (x - 1) ** 2, [0]);
    expect(bowl.converged).toBe(true);
    expect(Math.abs(bowl.x[0] - 1)).toBeLessThan(1e-4);
    // a steep bowl: vertices within 1e-8 of each other still differ by up to 1e-4 in value, so the simplex goes on
    // until the values agree to 1e-10, i.e. |x| ~ 1e-11
    const steep = minimizeNelderMead(([x]) => 1e12 * x * x, [1]);
    expect(steep.converged).toBe(true);
    expect(Math.abs(steep.x[0])).toBeLessThan(1e-9);
  });

  it("stops after 400 n iterations by default", () => {
    // values that never settle (seeded uniform noise): n = 2 -> 800 iterations
    const rand = createRng(7);
    const r = minimizeNelderMead(() => rand(), [0, 0]);
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(800);
    expect(r.message).toBe("Nelder-Mead stopped after 800 iterations without converging");
  });
});

describe("numericGradient", () => {
  it("uses the step 1e-5 max(1, |x|): central difference of x^3 is 3x^2 + h^2", () => {
    // at x = 1000, h = 0.01: 3e6 + 1e-4 (the rounding of f ~ 1e9 adds ~1e-5)
    expect(numericGradient(([x]) => x ** 3, [1000])[0]).toBeCloseTo(3e6 + 1e-4, 3);
    // at x = 0.5, h = 1e-5: 0.75 + 1e-10
    expect(numericGradient(([x]) => x ** 3, [0.5])[0]).toBeCloseTo(0.75, 9);
  });
});

describe("BFGS, step by step", () => {
  it("on (x - 3)^2 from 0: steps capped at 1, the secant update gives H = 1/2 at once, converged at 3", () => {
    // g = 2(x - 3). Iteration 0: H = 1, d = 6 -> capped to 1: x = 1 (f 4, Armijo 4 <= 9 - 1e-4 x 6); s = 1,
    // y = 2: H + (sy + yHy) s^2 / sy^2 - 2 Hy s / sy = 1 + 6/4 - 2 = 1/2. Iteration 1: d = 2 -> 1: x = 2 (H stays
    // 1/2). Iteration 2: d = 1 (not capped): x = 3, g = 0. Iteration 3: converged. Evaluations: f and g at the start,
    // then one f and one g per iteration.
    const f = ([x]: number[]) => (x - 3) ** 2;
    const gradient = ([x]: number[]) => [2 * (x - 3)];
    const r = minimizeBfgs(f, [0], { gradient });
    expect(r).toEqual({
      x: [3],
      fx: 0,
      iterations: 3,
      evaluations: 8,
      converged: true,
      message: "gradient norm 0.00e+0 below tolerance",
      inverseHessian: [[0.5]],
    });
    // without the gradient: central differences, 2 evaluations each (1 + 2 + 3 x 3)
    const numeric = minimizeBfgs(f, [0]);
    expect(numeric.converged).toBe(true);
    expect(numeric.iterations).toBe(3);
    expect(numeric.evaluations).toBe(12);
    expect(numeric.x[0]).toBeCloseTo(3, 9);
    // one iteration allowed: at x = 1, not converged
    expect(minimizeBfgs(f, [0], { gradient, maxIterations: 1 })).toEqual({
      x: [1],
      fx: 4,
      iterations: 1,
      evaluations: 4,
      converged: false,
      message: "BFGS stopped after 1 iterations without converging",
    });
    // a larger cap: d = 6 overshoots to 6 (f 9, no decrease), t = 1/2 lands on 3
    const wide = minimizeBfgs(f, [0], { gradient, maxStep: 10 });
    expect(wide.x).toEqual([3]);
    expect(wide.iterations).toBe(1);
  });

  it("caps the largest coordinate of the step, scaling the others alike; the gradient norm is the largest |g_i|", () => {
    // (x - 3)^2 + (y - 1)^2 from (0, 0): g = (-6, -2), d = (6, 2) scaled by 1/6 -> (1, 1/3)
    const f = ([x, y]: number[]) => (x - 3) ** 2 + (y - 1) ** 2;
    const gradient = ([x, y]: number[]) => [2 * (x - 3), 2 * (y - 1)];
    const r = minimizeBfgs(f, [0, 0], { gradient, maxIterations: 1 });
    expect(r.x[0]).toBe(1);
    expect(r.x[1]).toBeCloseTo(1 / 3, 15);
    // from (3, 0): g = (0, -2), not converged although one component is 0: the step (0, 1) reaches (3, 1)
    const s = minimizeBfgs(f, [3, 0], { gradient, maxIterations: 1 });
    expect(s.x).toEqual([3, 1]);
    expect(s.converged).toBe(false);
  });

  it("starts from a given inverse Hessian (copied, not changed) and restarts from steepest descent when it does not descend", () => {
    const f = ([x]: number[]) => (x - 3) ** 2;
    const gradient = ([x]: number[]) => [2 * (x - 3)];
    // H0 = 1/2 is the exact inverse Hessian: the step -H0 g = 3 lands on 3 at once (cap 10)
    const H0 = [[0.5]];
    const exact = minimizeBfgs(f, [0], { gradient, maxStep: 10, initialInverseHessian: H0 });
    expect(exact.x).toEqual([3]);
    expect(exact.iterations).toBe(1);
    expect(H0).toEqual([[0.5]]);
    // H0 = -1 points uphill (d g = 36 > 0): restart with H = 1, d = 6 -> 6 (f 9, no decrease) -> t = 1/2: 3
    const restarted = minimizeBfgs(f, [0], { gradient, maxStep: 10, initialInverseHessian: [[-1]] });
    expect(restarted.x).toEqual([3]);
    expect(restarted.iterations).toBe(1);
    expect(restarted.inverseHessian).toEqual([[0.5]]);
    // a rotation: d = -H0 g is orthogonal to g (d g = 0, not a descent direction either): restart along -g
    const g2 = ([x, y]: number[]) => [2 * (x - 3), 2 * (y - 1)];
    const f2 = ([x, y]: number[]) => (x - 3) ** 2 + (y - 1) ** 2;
    const rotated = minimizeBfgs(f2, [2, 0], {
      gradient: g2,
      maxIterations: 1,
      initialInverseHessian: [
        [0, 1],
        [-1, 0],
      ],
    });
    // -g = (2, 2), capped to (1, 1): (3, 1)
    expect(rotated.x).toEqual([3, 1]);
  });

  it("takes only steps with sufficient decrease: f(x + t d) <= f(x) + 1e-4 t g.d (Armijo)", () => {
    // g = 1 everywhere (d = -1, slope -1). t = 1: f(-1) = -5e-5 is a decrease but not by 1e-4: halve. t = 1/2:
    // f(-0.5) = -1e-4 <= -1e-4 x 1/2: taken.
    const { f, seen } = scripted({ "0": 0, "-1": -5e-5, "-0.5": -1e-4 });
    const r = minimizeBfgs(f, [0], { gradient: () => [1], maxIterations: 1 });
    expect(seen).toEqual([[0], [-1], [-0.5]]);
    expect(r.x).toEqual([-0.5]);
    expect(r.fx).toBe(-1e-4);
  });

  it("skips the update when s y is not positive (a linear f), and goes on from the identity", () => {
    // f = x, g = 1: each iteration steps by -1 (s y = 0: H stays 1)
    const r = minimizeBfgs(([x]) => x, [0], { gradient: () => [1], maxIterations: 2 });
    expect(r.x).toEqual([-2]);
    expect(r.evaluations).toBe(6);
  });

  it("ends the line search after 60 halvings, or once the step is below minStep in every coordinate", () => {
    // f rises away from 0 in every direction while the gradient says 1: no decrease possible
    const { f } = scripted({ "0": 0 }, 1);
    const failed = minimizeBfgs(f, [0], { gradient: () => [1] });
    // f and g at the start, then 60 trial points
    expect(failed).toEqual({
      x: [0],
      fx: 0,
      iterations: 0,
      evaluations: 62,
      converged: false,
      message: "line search failed at gradient norm 1.00e+0",
    });
    // a gradient below 100 x the tolerance: "exhausted", converged (1e-4 < 100 x 1e-5)
    const exhausted = minimizeBfgs(f, [0], { gradient: () => [1e-4] });
    expect(exhausted.converged).toBe(true);
    expect(exhausted.message).toBe("line search exhausted at gradient norm 1.00e-4");
    // at exactly 100 x the tolerance: not converged
    expect(minimizeBfgs(f, [0], { gradient: () => [1], gradientTolerance: 0.01 }).converged).toBe(false);
    // minStep 0.25 with d = (-4, -1) (cap 10): the step's largest coordinate 4t < 0.25 first at t = 1/32 (the sixth
    // trial point): 2 + 6 evaluations
    const short = minimizeBfgs(scripted({ "0,0": 0 }, 1).f, [0, 0], {
      gradient: () => [4, 1],
      maxStep: 10,
      minStep: 0.25,
    });
    expect(short.evaluations).toBe(8);
    expect(short.converged).toBe(false);
  });

  it("reports a start outside the domain and a gradient that is not finite", () => {
    expect(minimizeBfgs(() => Number.NaN, [1])).toEqual({
      x: [1],
      fx: Number.POSITIVE_INFINITY,
      iterations: 0,
      evaluations: 1,
      converged: false,
      message: "objective is not finite at the start point",
    });
    expect(minimizeBfgs(([x]) => x * x, [1], { gradient: () => [Number.NaN] })).toEqual({
      x: [1],
      fx: 1,
      iterations: 0,
      evaluations: 2,
      converged: false,
      message: "gradient is not finite",
    });
  });
});

describe("refineNewton", () => {
  // gradient of (a - 2)^2 + 10 (b + 1)^2: its central-difference Hessian diag(2, 20) is exact (linear gradient)
  const gradient = ([a, b]: number[]) => [2 * (a - 2), 20 * (b + 1)];

  it("lands on a quadratic's optimum in one step: the start's gradient, 2n for the Hessian, one at the optimum", () => {
    const r = refineNewton(gradient, [1.9, -0.9]);
    expect(r.converged).toBe(true);
    expect(r.evaluations).toBe(6);
    expect(r.step).toBeLessThan(1e-12);
    expect(r.message).toMatch(/^Newton step \d\.\d\de[-+]\d+ below tolerance$/);
    expect(Math.abs(r.x[0] - 2)).toBeLessThan(1e-12);
    expect(Math.abs(r.x[1] + 1)).toBeLessThan(1e-12);
  });

  it("does not take a step above maxStep: four fresh Hessians, then the start, not converged", () => {
    // from (0, 0) the Newton step is (2, -1): above 0.5; each of the 4 rounds costs 2n = 4 gradients
    const r = refineNewton(gradient, [0, 0]);
    expect(r).toEqual({
      x: [0, 0],
      converged: false,
      step: Number.POSITIVE_INFINITY,
      evaluations: 17,
      message: "Newton steps stalled at Infinity",
    });
    // allowed: one step
    expect(refineNewton(gradient, [0, 0], { maxStep: 2 }).converged).toBe(true);
  });

  it("stops where the gradient or the Hessian fails", () => {
    expect(refineNewton(() => [Number.NaN, 1], [0, 0])).toEqual({
      x: [0, 0],
      converged: false,
      step: Number.POSITIVE_INFINITY,
      evaluations: 1,
      message: "gradient is not finite",
    });
    // finite at the start, not beside it
    const edge = refineNewton(([a, b]) => (a === 0 && b === 0 ? [1, 1] : [Number.NaN, 0]), [0, 0]);
    expect(edge.message).toBe("gradient is not finite");
    expect(edge.evaluations).toBe(3);
    expect(edge.converged).toBe(false);
    const saddle = refineNewton(([a, b]) => [2 * a, -2 * b], [0.1, 0.1]);
    expect(saddle.message).toBe("Hessian not positive definite");
  });
});

describe("minimizeMultiStart's coarse stand-in", () => {
  const bowl = ([a, b]: number[]) => 3 + (a - 2) ** 2 + 10 * (b + 1) ** 2;

  it("refuses no start points", () => {
    expect(() => minimizeMultiStart(bowl, [])).toThrow("minimizeMultiStart needs at least one start point");
  });

  it("stops early with the check's reason, after the wider stand-ins it was offered", () => {
    const levels: number[] = [];
    const r = minimizeMultiStart(bowl, [[0, 0]], {
      coarse: bowl,
      check: () => "flat",
      widerCoarse: (level) => {
        levels.push(level);
        return level <= 2 ? { coarse: bowl, check: () => (level === 2 ? "still flat" : "flat") } : null;
      },
    });
    expect(levels).toEqual([1, 2, 3]);
    expect(r.converged).toBe(false);
    expect(r.stoppedEarly).toBe(true);
    expect(r.message).toBe("still flat");
    // the coarse optimum of the last search
    expect(r.x[0]).toBeCloseTo(2, 2);
    expect(r.iterations).toBeGreaterThan(0);
  });

  it("redoes the coarse search on a wider stand-in when its optimum runs past the edge", () => {
    // the first stand-in's optimum is at a = 20 (> 15); the wider one's is the bowl's
    const runaway = ([a, b]: number[]) => (a - 20) ** 2 + (b + 1) ** 2;
    const levels: number[] = [];
    const r = minimizeMultiStart(bowl, [[0, 0]], {
      coarse: runaway,
      widerCoarse: (level) => {
        levels.push(level);
        return { coarse: bowl };
      },
    });
    expect(levels).toEqual([1]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(2, 4);
    // a wider edge: the first stand-in is kept (no wider search), and the polish on f still finds the bowl's optimum
    const kept: number[] = [];
    const k = minimizeMultiStart(bowl, [[0, 0]], {
      coarse: runaway,
      edge: 25,
      widerCoarse: (l) => (kept.push(l), null),
    });
    expect(kept).toEqual([]);
    expect(k.x[0]).toBeCloseTo(2, 4);
  });

  it("polishes the coarse optimum on the stand-in first, so the full objective is evaluated three times only", () => {
    // coarse = f / 4 with its gradient and coarseScale 4: BFGS on it to |g / 4| < 1e-4 / 4 leaves |g| < 1e-4 (the
    // polish tolerance), and its inverse Hessian / 4 is f's: f is evaluated at the coarse optimum, at the start of
    // the polish on f (already converged) and at the Newton point
    const gradient = ([a, b]: number[]) => [2 * (a - 2), 20 * (b + 1)];
    let calls = 0;
    const r = minimizeMultiStart((x) => (calls++, bowl(x)), [[0, 0]], {
      coarse: (x) => bowl(x) / 4,
      coarseGradient: (x) => gradient(x).map((v) => v / 4),
      coarseScale: 4,
      gradient,
    });
    expect(r.converged).toBe(true);
    expect(calls).toBe(3);
    expect(r.x[0]).toBeCloseTo(2, 12);
    expect(r.x[1]).toBeCloseTo(-1, 12);
  });

  it("when the polish fails, a second, finer simplex from where it stopped (on the stand-in if there is one)", () => {
    // a wrong gradient (constant): BFGS never converges; the second simplex (tolerances 1e-9 / 1e-7) finds the
    // bowl's optimum to ~1e-7 all the same, reported unconverged
    const wrong = () => [1, 1];
    const r = minimizeMultiStart(bowl, [[0, 0]], { gradient: wrong });
    expect(r.converged).toBe(false);
    expect(r.message).toBe("line search failed at gradient norm 1.00e+0");
    expect(Math.abs(r.x[0] - 2)).toBeLessThan(1e-6);
    expect(Math.abs(r.x[1] + 1)).toBeLessThan(1e-6);
    // with a stand-in whose optimum is a = 2.01, the second simplex runs on it: the end point stays near 2.01
    const shifted = minimizeMultiStart(bowl, [[0, 0]], { coarse: ([a, b]) => bowl([a - 0.01, b]), gradient: wrong });
    expect(shifted.converged).toBe(false);
    expect(shifted.x[0]).toBeGreaterThan(2.005);
    expect(shifted.fx).toBeCloseTo(bowl(shifted.x), 14);
  });

  it("returns the better of several starts' coarse optima, polished", () => {
    // two basins: a = -3 (value 1) and a = 3 (value 0); a start in each
    const twoBasins = ([a]: number[]) => Math.min((a + 3) ** 2 + 1, (a - 3) ** 2);
    const r = minimizeMultiStart(twoBasins, [[-4], [4]]);
    expect(r.x[0]).toBeCloseTo(3, 4);
    const s = minimizeMultiStart(twoBasins, [[4], [-4]]);
    expect(s.x[0]).toBeCloseTo(3, 4);
  });
});

describe("cholesky on a singular matrix", () => {
  it("refuses a zero pivot: [[1, 1], [1, 1]] leaves 1 - 1 x 1 = 0 exactly", () => {
    const singular = [
      [1, 1],
      [1, 1],
    ];
    expect(cholesky(singular)).toBeNull();
    expect(invertPositiveDefinite(singular)).toBeNull();
  });
});
