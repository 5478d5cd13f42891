/**
 * Small unconstrained minimisers for the model fits: Nelder-Mead (robust from poor starts) and BFGS with an
 * analytic gradient when the caller has one, else a central-difference one (fast, precise polish near the optimum). Both report whether they converged,
 * so a fit that stopped on the iteration limit says so instead of passing off a half-finished answer.
 */

export interface MinimizeResult {
  x: number[];
  fx: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  message: string;
  /** Set when a `check` of minimizeMultiStart stopped the minimisation (the message says why). */
  stoppedEarly?: boolean;
  /** BFGS, when converged: the final inverse-Hessian approximation (a warm start for a polish of a related objective). */
  inverseHessian?: number[][];
}

export interface NelderMeadOptions {
  maxIterations?: number;
  /** Stop when the spread of function values in the simplex is below this (absolute). */
  fTolerance?: number;
  /** ...and the simplex is smaller than this in every coordinate. */
  xTolerance?: number;
  initialStep?: number;
}

/** Nelder-Mead with the standard coefficients (reflection 1, expansion 2, contraction 0.5, shrink 0.5). */
export function minimizeNelderMead(
  f: (x: number[]) => number,
  x0: number[],
  options: NelderMeadOptions = {},
): MinimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 400 * n;
  const fTol = options.fTolerance ?? 1e-10;
  const xTol = options.xTolerance ?? 1e-8;
  const step = options.initialStep ?? 0.5;
  let evaluations = 0;
  // Non-finite values (parameters outside the model's domain) count as +Infinity so the simplex moves away.
  const fx = (x: number[]) => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex: { x: number[]; f: number }[] = [{ x: [...x0], f: fx(x0) }];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] += step;
    simplex.push({ x, f: fx(x) });
  }
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((p, q) => p.f - q.f);
    const best = simplex[0];
    const worst = simplex[n];
    let xSpread = 0;
    for (const p of simplex) for (let j = 0; j < n; j++) xSpread = Math.max(xSpread, Math.abs(p.x[j] - best.x[j]));
    if (Number.isFinite(best.f) && Math.abs(worst.f - best.f) <= fTol && xSpread <= xTol) {
      converged = true;
      break;
    }
    const centroid = new Array(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i].x[j] / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (worst.x[j] - c));
    const reflected = along(-1);
    const fr = fx(reflected);
    if (fr < best.f) {
      const expanded = along(-2);
      const fe = fx(expanded);
      simplex[n] = fe < fr ? { x: expanded, f: fe } : { x: reflected, f: fr };
    } else if (fr < simplex[n - 1].f) {
      simplex[n] = { x: reflected, f: fr };
    } else {
      const outside = fr < worst.f;
      const contracted = along(outside ? -0.5 : 0.5);
      const fc = fx(contracted);
      if (fc < (outside ? fr : worst.f)) {
        simplex[n] = { x: contracted, f: fc };
      } else {
        simplex = simplex.map((p, i) => {
          if (i === 0) return p;
          const x = p.x.map((v, j) => best.x[j] + 0.5 * (v - best.x[j]));
          return { x, f: fx(x) };
        });
      }
    }
  }
  simplex.sort((p, q) => p.f - q.f);
  return {
    x: simplex[0].x,
    fx: simplex[0].f,
    iterations,
    evaluations,
    converged,
    message: converged ? "simplex converged" : `Nelder-Mead stopped after ${iterations} iterations without converging`,
  };
}

export interface BfgsOptions {
  maxIterations?: number;
  /** Converged when the max-norm of the gradient is below this. */
  gradientTolerance?: number;
  /** Largest move in any coordinate per iteration (default 1: on log-parameters, a factor of e). */
  maxStep?: number;
  /** Analytic gradient of f; without it, central differences (2n evaluations of f per gradient). */
  gradient?: (x: number[]) => number[];
  /** Start from this inverse-Hessian approximation instead of the identity. */
  initialInverseHessian?: number[][];
  /** The line search gives up once the step is shorter than this in every coordinate (default: 60 halvings). */
  minStep?: number;
}

/** Central-difference gradient; the step scales with |x| so large and small parameters are treated alike. */
export function numericGradient(f: (x: number[]) => number, x: number[]): number[] {
  return x.map((xi, i) => {
    const h = 1e-5 * Math.max(1, Math.abs(xi));
    const up = [...x];
    const down = [...x];
    up[i] = xi + h;
    down[i] = xi - h;
    return (f(up) - f(down)) / (2 * h);
  });
}

/** BFGS with a backtracking (Armijo) line search; numeric gradients unless `options.gradient` is given. */
export function minimizeBfgs(f: (x: number[]) => number, x0: number[], options: BfgsOptions = {}): MinimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 200;
  const gTol = options.gradientTolerance ?? 1e-5;
  const maxStep = options.maxStep ?? 1;
  let evaluations = 0;
  const fx = (x: number[]) => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const analytic = options.gradient;
  const grad = (x: number[]) => {
    evaluations += analytic ? 1 : 2 * n;
    return analytic ? analytic(x) : numericGradient(f, x);
  };
  let x = [...x0];
  let fCur = fx(x);
  if (!Number.isFinite(fCur)) {
    return {
      x,
      fx: fCur,
      iterations: 0,
      evaluations,
      converged: false,
      message: "objective is not finite at the start point",
    };
  }
  let g = grad(x);
  // Inverse Hessian approximation, starting from the identity.
  let H =
    options.initialInverseHessian?.map((row) => [...row]) ??
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const gNorm = Math.max(...g.map(Math.abs));
    if (!Number.isFinite(gNorm)) {
      return { x, fx: fCur, iterations, evaluations, converged: false, message: "gradient is not finite" };
    }
    if (gNorm < gTol) {
      return {
        x,
        fx: fCur,
        iterations,
        evaluations,
        converged: true,
        message: `gradient norm ${gNorm.toExponential(2)} below tolerance`,
        inverseHessian: H,
      };
    }
    let d = H.map((row) => -dot(row, g));
    if (dot(d, g) >= 0) {
      // Not a descent direction (approximation went bad): restart from steepest descent.
      H = H.map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
      d = g.map((v) => -v);
    }
    // Cap the step at maxStep in every coordinate: the first steps (H = identity) follow the raw gradient, which for
    // a likelihood over thousands of customers is huge and would jump to absurd parameters.
    const dMax = Math.max(...d.map(Math.abs));
    if (dMax > maxStep) d = d.map((v) => (v * maxStep) / dMax);
    let t = 1;
    let xNew = x;
    let fNew = Infinity;
    const slope = dot(d, g);
    // Sufficient decrease (Armijo) and a real one: once t * slope is below the rounding of fCur, the Armijo bound
    // rounds to fCur itself, and a step too small to move x (fNew = fCur) would pass it, so BFGS would repeat the same
    // null iteration (s = 0: no update) until maxIterations, 61 evaluations each. On a likelihood over 10^5 rows,
    // whose summation noise hides the last decrease near the optimum, that spent a whole time budget.
    const decreased = () => fNew < fCur && fNew <= fCur + 1e-4 * t * slope;
    const stepLength = Math.max(...d.map(Math.abs));
    for (let k = 0; k < 60; k++) {
      xNew = x.map((v, i) => v + t * d[i]);
      fNew = fx(xNew);
      if (decreased() || t * stepLength < (options.minStep ?? 0)) break;
      t *= 0.5;
    }
    if (!decreased()) {
      // No decrease possible along the direction: we are at the optimum to numeric precision (or stuck).
      const converged = gNorm < gTol * 100;
      return {
        x,
        fx: fCur,
        iterations,
        evaluations,
        converged,
        message: converged
          ? `line search exhausted at gradient norm ${gNorm.toExponential(2)}`
          : `line search failed at gradient norm ${gNorm.toExponential(2)}`,
      };
    }
    const gNew = grad(xNew);
    const s = xNew.map((v, i) => v - x[i]);
    const y = gNew.map((v, i) => v - g[i]);
    const sy = dot(s, y);
    if (sy > 1e-12) {
      const Hy = H.map((row) => dot(row, y));
      const yHy = dot(y, Hy);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          H[i][j] += ((sy + yHy) * s[i] * s[j]) / (sy * sy) - (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
        }
      }
    }
    x = xNew;
    fCur = fNew;
    g = gNew;
  }
  return {
    x,
    fx: fCur,
    iterations,
    evaluations,
    converged: false,
    message: `BFGS stopped after ${iterations} iterations without converging`,
  };
}

/** refineNewton's default step tolerance: the optimum to 1e-7 relative in every (log-)parameter. */
export const NEWTON_TOLERANCE = 1e-7;

export interface NewtonOptions {
  /**
   * Converged when the Newton step from the returned point is below this in every coordinate (on log-parameters:
   * the relative distance to the optimum).
   */
  stepTolerance?: number;
  /** Largest Newton step taken (farther from the optimum, the quadratic model is not trusted). */
  maxStep?: number;
}

/**
 * The last digits of an optimum, from the gradient alone: Newton steps with a central-difference Hessian of the
 * analytic gradient (2n gradient evaluations), repeated with that Hessian while the step shrinks fast, then with a
 * fresh one (three times at most) if it is still above the tolerance. Written by hand because no maintained JS optimiser
 * offers it, and the BFGS polish cannot do it: near the optimum of a likelihood summed over 10^5 rows the remaining
 * decrease (half the Newton step times the gradient) is smaller than the rounding noise of the sum, so a line search
 * on values stalls wherever that noise happens to hide it, and along a flat ridge (Gamma-Gamma's q and gamma at
 * large q) a gradient tolerance leaves the point 1e-5 off. The gradient has no such floor: the Newton step H^-1 g
 * is the distance to the optimum, so its size says how precise the answer is. Returns the point with the smallest
 * step (x0 where the Hessian is not positive definite or the first step is too large: not near a minimum);
 * converged when that step is below the tolerance. Otherwise (the gradient's own rounding reached first, on a very
 * flat ridge) the point is still the most precise one found, and the caller's own verdict stands.
 */
export function refineNewton(
  gradient: (x: number[]) => number[],
  x0: number[],
  options: NewtonOptions = {},
): { x: number[]; converged: boolean; step: number; evaluations: number; message: string } {
  const n = x0.length;
  const tolerance = options.stepTolerance ?? NEWTON_TOLERANCE;
  const maxStep = options.maxStep ?? 0.5;
  let evaluations = 0;
  const grad = (x: number[]) => {
    evaluations++;
    const g = gradient(x);
    return g.every(Number.isFinite) ? g : null;
  };
  let best = { x: x0, g: grad(x0), step: Infinity };
  let message = "gradient is not finite";
  for (let round = 0; round < 4 && best.g && best.step > tolerance; round++) {
    const hessian = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let j = 0; j < n; j++) {
      const h = 1e-5 * Math.max(1, Math.abs(best.x[j]));
      const up = [...best.x];
      const down = [...best.x];
      up[j] += h;
      down[j] -= h;
      const gUp = grad(up);
      const gDown = grad(down);
      if (!gUp || !gDown)
        return { x: x0, converged: false, step: best.step, evaluations, message: "gradient is not finite" };
      for (let i = 0; i < n; i++) hessian[i][j] = (gUp[i] - gDown[i]) / (2 * h);
    }
    const inverse = invertPositiveDefinite(hessian.map((row, i) => row.map((v, j) => (v + hessian[j][i]) / 2)));
    if (!inverse) {
      message = "Hessian not positive definite";
      break;
    }
    let x = best.x;
    let g: number[] | null = best.g;
    let previous = Infinity;
    // Chord iterations: each step from the point x must be smaller than the one that led there; when they shrink
    // slowly (the Hessian has changed since), a fresh one.
    for (let k = 0; g && k < 6; k++) {
      const step = inverse.map((row) => -row.reduce((s, v, i) => s + v * g![i], 0));
      const size = Math.max(...step.map(Math.abs));
      if (!(size < previous) || !(size <= maxStep)) break;
      if (size < best.step) best = { x, g, step: size };
      if (size <= tolerance * 1e-3 || size > previous / 4) break;
      previous = size;
      x = x.map((v, i) => v + step[i]);
      g = grad(x);
    }
    message = `Newton steps stalled at ${best.step.toExponential(2)}`;
  }
  const converged = best.step <= tolerance;
  return {
    x: best.step < Infinity ? best.x : x0,
    converged,
    step: best.step,
    evaluations,
    message: converged ? `Newton step ${best.step.toExponential(2)} below tolerance` : message,
  };
}

/** Lower-triangular L with A = L L^T, or null when A is not (numerically) positive definite. */
export function cholesky(A: number[][]): number[][] | null {
  const n = A.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  }
  return L;
}

/** Inverse of a symmetric positive-definite matrix through its Cholesky factor, or null if not positive definite. */
export function invertPositiveDefinite(A: number[][]): number[][] | null {
  const L = cholesky(A);
  if (!L) return null;
  const n = A.length;
  // Solve L L^T X = I column by column.
  const inverse = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) {
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
      y[i] = s / L[i][i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n; k++) s -= L[k][i] * inverse[k][c];
      inverse[i][c] = s / L[i][i];
    }
  }
  return inverse;
}

export interface CoarseStandIn {
  /** A cheaper stand-in objective (e.g. a subsample of the rows) for the coarse search; the polish always uses f. */
  coarse?: (x: number[]) => number;
  /**
   * Analytic gradient of `coarse` (else central differences), and how many times larger f is than `coarse` (e.g.
   * all rows' weight over the subsample's): the coarse optimum is first polished by BFGS on `coarse` (cheap), and
   * the polish on f starts from there with that inverse Hessian scaled down by `coarseScale`: a few full-data
   * iterations.
   */
  coarseGradient?: (x: number[]) => number[];
  coarseScale?: number;
  /**
   * Called with the coarse search's optimum (and the coarse objective's value there) before any polish: a reason to
   * stop (e.g. the likelihood is flat in a direction the data cannot identify) ends the minimisation unconverged,
   * unless a wider stand-in (widerCoarse) disagrees.
   */
  check?: (x: number[], coarseFx: number) => string | null;
}

export interface MultiStartOptions extends CoarseStandIn {
  gradientTolerance?: number;
  /** Analytic gradient of f for the polish. */
  gradient?: (x: number[]) => number[];
  /**
   * A wider stand-in (level 1, 2, ...: e.g. a subsample 4^level times larger; null when there is none) to redo the
   * coarse search on when its optimum lies beyond `edge` (default 15) in some coordinate or its `check` says stop:
   * a subsample too small to identify a parameter (Gamma-Gamma's q with a few thousand customers; a weak dropout
   * process) drifts along its flat ridge towards infinity, where the likelihood is rounding noise and no polish on
   * all rows finds its way back, and a verdict drawn there would depend on which rows the subsample holds.
   */
  widerCoarse?: (level: number) => CoarseStandIn | null;
  edge?: number;
}

/**
 * Several starts of a coarse Nelder-Mead (cheap, robust to poor starting points); the best end point is polished
 * with BFGS, which converges fast and precisely near the optimum. If the polish does not meet its gradient
 * tolerance, one more round of Nelder-Mead then BFGS is tried from where it stopped. Converged means the final
 * BFGS met its gradient tolerance.
 */
export function minimizeMultiStart(
  f: (x: number[]) => number,
  starts: number[][],
  options: MultiStartOptions = {},
): MinimizeResult {
  if (starts.length === 0) throw new Error("minimizeMultiStart needs at least one start point");
  const n = starts[0].length;
  const gTol = options.gradientTolerance ?? 1e-4;
  let iterations = 0;
  let evaluations = 0;
  const count = (r: MinimizeResult) => {
    iterations += r.iterations;
    evaluations += r.evaluations;
    return r;
  };
  // The coarse stand-in in use: the caller's, or a wider one after the coarse optimum ran off (see widerCoarse).
  let stand: CoarseStandIn = options;
  const searchCoarse = () => {
    let best: MinimizeResult | undefined;
    for (const start of starts) {
      // With a BFGS polish to follow, the coarse search only has to find the basin: on a flat ridge (data that do
      // not identify a parameter) the simplex would otherwise crawl along it for all its iterations.
      const nm = count(
        minimizeNelderMead(stand.coarse ?? f, start, { maxIterations: 100 * n, fTolerance: 1e-6, xTolerance: 1e-4 }),
      );
      if (!best || nm.fx < best.fx) best = nm;
    }
    return best!;
  };
  const edge = options.edge ?? 15;
  let best = searchCoarse();
  let stop = stand.check?.(best.x, best.fx);
  for (let level = 1; stop || best.x.some((v) => Math.abs(v) > edge); level++) {
    const wider = options.widerCoarse?.(level);
    if (!wider) break;
    stand = wider;
    best = searchCoarse();
    stop = stand.check?.(best.x, best.fx);
  }
  if (stop) return { ...best, converged: false, stoppedEarly: true, message: stop, iterations, evaluations };
  let warmHessian: number[][] | undefined;
  if (stand.coarse) {
    const scale = stand.coarseScale ?? 1;
    // A warm start only: on a flat ridge BFGS would crawl, and the polish on f finishes the job anyway.
    const polished = count(
      minimizeBfgs(stand.coarse, best.x, {
        gradientTolerance: gTol / scale,
        gradient: stand.coarseGradient,
        maxIterations: 50,
      }),
    );
    if (polished.fx <= best.fx) {
      best = polished;
      warmHessian = polished.inverseHessian?.map((row) => row.map((v) => v / scale));
    }
  }
  if (stand.coarse) best = { ...best, fx: f(best.x) };
  const bfgs = (x0: number[], H0?: number[][]) =>
    refine(
      count(
        minimizeBfgs(f, x0, {
          gradientTolerance: gTol,
          gradient: options.gradient,
          initialInverseHessian: H0,
          // Shorter steps are below what the Newton refinement resolves: its job from there.
          minStep: options.gradient ? NEWTON_TOLERANCE * 1e-2 : undefined,
        }),
      ),
    );
  // With an analytic gradient, the BFGS end point's last digits come from Newton steps (refineNewton): converged then
  // means the step to the optimum is below 1e-8 (relative, on log-parameters), whichever rows' rounding got it there.
  const refine = (r: MinimizeResult): MinimizeResult => {
    if (!options.gradient || !Number.isFinite(r.fx)) return r;
    const newton = refineNewton(options.gradient, r.x);
    evaluations += newton.evaluations;
    if (newton.x === r.x) return r;
    const refined = { ...r, x: newton.x, fx: f(newton.x) };
    return newton.converged ? { ...refined, converged: true, message: newton.message } : refined;
  };
  let result = bfgs(best.x, warmHessian);
  if (!result.converged) {
    // The second round's simplex runs on the cheap stand-in too (on all of a large data set its thousands of
    // evaluations would exhaust any time budget); only its end point is polished on f.
    const from = result.fx <= best.fx ? result.x : best.x;
    const nm = count(
      minimizeNelderMead(stand.coarse ?? f, from, {
        maxIterations: 1000 * n,
        fTolerance: 1e-9,
        xTolerance: 1e-7,
        initialStep: 0.05,
      }),
    );
    const nmFx = stand.coarse ? f(nm.x) : nm.fx;
    const again = bfgs(nm.x);
    result = again.fx <= nmFx ? again : { ...nm, fx: nmFx, converged: false };
  }
  return { ...result, iterations, evaluations };
}
