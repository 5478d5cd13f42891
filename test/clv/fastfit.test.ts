import { describe, expect, it } from "vitest";
import {
  bgNbdLogLikelihood,
  compressRows,
  compressSpendRows,
  fitMbgNbd,
  fitParetoNbd,
  gammaGammaLogLikelihood,
  logHyp2f1Series,
  logHyp2f1Pareto,
  mbgNbdLogLikelihood,
  weightedRows,
} from "../../src/pipelines/clv/models.ts";
import { bgFamilyValueGradient, gammaGammaValueGradient } from "../../src/pipelines/clv/gradients.ts";
import { engineOptions } from "../../src/data/db.ts";
import { simulateCustomers } from "./simulate.ts";

/** Central differences of f at p, relative step. */
const numeric = (f: (p: number[]) => number, p: number[]) =>
  p.map((v, i) => {
    const h = 1e-6 * v;
    const up = [...p];
    const down = [...p];
    up[i] += h;
    down[i] -= h;
    return (f(up) - f(down)) / (2 * h);
  });

describe("analytic gradients", () => {
  const rows = compressRows([0, 1, 2, 5, 0, 3, 7], [0, 3, 10, 20, 0, 30, 31], [10, 20, 30, 40, 39, 33, 35]);
  const bg = (p: number[]) => ({ r: p[0], alpha: p[1], a: p[2], b: p[3] });
  it.each([
    ["BG/NBD", 0, bgNbdLogLikelihood],
    ["MBG/NBD", 1, mbgNbdLogLikelihood],
  ] as const)("%s: value and gradient", (_, shift, ll) => {
    const p = [0.7, 4.3, 0.8, 2.4];
    const { value, gradient } = bgFamilyValueGradient(bg(p), rows, shift);
    expect(value).toBeCloseTo(ll(bg(p), rows), 10);
    numeric((q) => ll(bg(q), rows), p).forEach((g, i) => expect(gradient[i]).toBeCloseTo(g, 5));
  });
  it("Gamma-Gamma: value and gradient", () => {
    const spend = compressSpendRows([1, 2, 3, 2, 6], [10, 20, 15, 30, 12.5]);
    const gg = (p: number[]) => ({ p: p[0], q: p[1], gamma: p[2] });
    const p = [3, 4, 12];
    const { value, gradient } = gammaGammaValueGradient(gg(p), spend);
    expect(value).toBeCloseTo(gammaGammaLogLikelihood(gg(p), spend), 10);
    numeric((q) => gammaGammaLogLikelihood(gg(q), spend), p).forEach((g, i) => expect(gradient[i]).toBeCloseTo(g, 5));
  });
});

describe("Pareto/NBD 2F1 by Euler's transformation", () => {
  it.each([
    [3.2, 2.5, 0.5],
    [12, 11.2, 0.95],
    [40.1, 39.5, 0.985],
    [2.1, 1.01, 0.9],
  ])("2F1(%f, %f; a+1; %f) matches the log-space series", (a, b, z) => {
    expect(logHyp2f1Pareto(a, b, z)).toBeCloseTo(logHyp2f1Series(a, b, a + 1, z), 10);
  });
});

describe("rows merged in SQL", () => {
  it("weightedRows equals compressRows of the expanded rows", () => {
    const a = weightedRows([0, 2, 2], [0, 5, 7], [10, 10, 10], [3, 1, 2]);
    const b = compressRows([0, 0, 0, 2, 2, 2], [0, 0, 0, 5, 7, 7], [10, 10, 10, 10, 10, 10]);
    expect(a.n).toBe(6);
    expect(bgNbdLogLikelihood({ r: 1, alpha: 3, a: 0.5, b: 2 }, a)).toBeCloseTo(
      bgNbdLogLikelihood({ r: 1, alpha: 3, a: 0.5, b: 2 }, b),
      10,
    );
    expect(() => weightedRows([1], [5], [4], [1])).toThrow(/invalid/);
  });
});

describe("no dropout signal", () => {
  // Customers who never drop out (p ~ Beta(1e-6, 50): dropout probability ~ 2e-8 per purchase).
  const sim = simulateCustomers(3000, { r: 0.8, alpha: 6, a: 1e-6, b: 50 }, { p: 6, q: 4, gamma: 15 }, { seed: 11 });
  const rows = compressRows(sim.x, sim.tx, sim.T);
  it.each([
    ["MBG/NBD", fitMbgNbd],
    ["Pareto/NBD", fitParetoNbd],
  ] as const)("%s stops early, says why and reports no parameters", (_, fitModel) => {
    const started = performance.now();
    const result = fitModel(rows);
    expect(result.converged).toBe(false);
    expect(result.message).toMatch(/no dropout signal/);
    expect(Object.values(result.params).every(Number.isNaN)).toBe(true);
    expect(result.seconds).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe("engine settings", () => {
  it("maps the config keys to DuckDB options", () => {
    expect(
      engineOptions({ memoryLimit: "1GB", threads: 2, tempDirectory: "/tmp/x", preserveInsertionOrder: false }),
    ).toEqual({
      memory_limit: "1GB",
      threads: "2",
      temp_directory: "/tmp/x",
      preserve_insertion_order: "false",
    });
    expect(engineOptions({})).toEqual({});
  });
});
