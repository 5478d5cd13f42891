/**
 * customer_clv_interval across worker threads (clvIntervalThreads.ts) against one clvIntervalColumns call on every
 * customer, bit for bit (Object.is): BG/NBD, MBG/NBD and Pareto/NBD, with and without Gamma-Gamma draws and with
 * the spend falling back to the population's mean order value (no spend model), on 2 and 3 threads.
 */
import { describe, expect, it } from "vitest";
import { distinct } from "../../src/pipelines/clv/aliveDraws.ts";
import { clvIntervalColumns, type ClvIntervalColumns } from "../../src/pipelines/clv/clvInterval.ts";
import {
  clvIntervalColumnsThreaded,
  groupsByPair,
  MIN_THREADED_CUSTOMERS,
} from "../../src/pipelines/clv/clvIntervalThreads.ts";
import type { PurchaseModelName } from "../../src/pipelines/clv/models.ts";
import { runInThread, threadCount } from "../../src/pipelines/clv/threads.ts";
import { drawParameters } from "../../src/pipelines/clv/uncertainty.ts";
import { simulateCustomers } from "./simulate.ts";
import { INTERVAL_COVARIANCE, INTERVAL_OPTIONS } from "../helpers/bootstrap.ts";

const n = 1500;
const sim = simulateCustomers(n, { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, { p: 6, q: 4, gamma: 16 }, { seed: 5 });
const at = Array.from({ length: n }, (_, i) => i);
const frequency = Float64Array.from(sim.x);
const recency = Float64Array.from(sim.tx, (v) => Math.round(v));
const T = Float64Array.from(sim.T, (v) => Math.round(v));
const columns = {
  frequency,
  recency,
  T,
  // a refund-only average and a few customers without orders, for the spend fallbacks
  monetary_value: Float64Array.from(sim.m, (m, i) => (sim.x[i] > 0 ? (i % 13 === 0 ? -4 : Math.round(m)) : 0)),
  orders: Float64Array.from(sim.x, (x, i) => (i % 29 === 0 ? 0 : x + 1)),
  revenue: Float64Array.from(sim.x, (x, i) => (i % 29 === 0 ? 0 : 5 * (x + 1) + (i % 7))),
};
const index = {
  history: distinct(at, (i) => `${frequency[i]}|${recency[i]}|${T[i]}`).index,
  pair: distinct(at, (i) => `${frequency[i]}|${T[i]}`).index,
};
const options = INTERVAL_OPTIONS;
const covariance = INTERVAL_COVARIANCE;
const spend = { p: 6, q: 4, gamma: 16 };
const spendDraws = drawParameters(
  ["p", "q", "gamma"],
  spend,
  [
    [0.01, 0.005, 0],
    [0.005, 0.02, 0],
    [0, 0, 0.01],
  ],
  30,
  2,
);
const PARAMS: Record<PurchaseModelName, Record<string, number>> = {
  bgnbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 },
  mbgnbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 },
  pnbd: { r: 0.25, alpha: 4, s: 0.6, beta: 9 },
};

const identical = (a: ClvIntervalColumns, b: ClvIntervalColumns) =>
  (["clvLow", "clvHigh", "expectedLow", "expectedHigh"] as const).every(
    (k) => a[k].length === b[k].length && a[k].every((v, i) => Object.is(v, b[k][i])),
  );

describe("clvIntervalColumnsThreaded", () => {
  for (const name of ["bgnbd", "mbgnbd", "pnbd"] as PurchaseModelName[]) {
    it(`${name}: equals the single-thread intervals bit for bit`, async () => {
      const draws = drawParameters(Object.keys(PARAMS[name]), PARAMS[name], covariance, 30, 1);
      const cases = [
        { spend, settings: { level: 0.9 }, threads: 2 },
        { spend, settings: { level: 0.9, spendDraws }, threads: 3 },
        { spend: null, settings: { level: 0.8 }, threads: 2 },
      ];
      for (const c of cases) {
        const one = clvIntervalColumns(columns, index, name, draws, c.spend, options, c.settings);
        const split = await clvIntervalColumnsThreaded(columns, index, name, draws, c.spend, options, c.settings, {
          threads: c.threads,
          minCustomers: 0,
        });
        expect(one.clvLow.some(Number.isFinite)).toBe(true);
        expect(identical(one, split)).toBe(true);
      }
    }, 60_000);
  }

  it("stays in this thread below MIN_THREADED_CUSTOMERS or on one thread (same values)", async () => {
    expect(n).toBeLessThan(MIN_THREADED_CUSTOMERS);
    const draws = drawParameters(["r", "alpha", "a", "b"], PARAMS.bgnbd, covariance, 30, 1);
    const one = clvIntervalColumns(columns, index, "bgnbd", draws, spend, options);
    expect(identical(one, await clvIntervalColumnsThreaded(columns, index, "bgnbd", draws, spend, options))).toBe(true);
    const single = await clvIntervalColumnsThreaded(columns, index, "bgnbd", draws, spend, options, {}, { threads: 1 });
    expect(identical(one, single)).toBe(true);
  });
});

describe("clvIntervalColumnsThreaded on no customers", () => {
  it("returns empty columns, even with threads allowed and no minimum", async () => {
    const empty = new Float64Array(0);
    const none = { frequency: empty, recency: empty, T: empty, monetary_value: empty, orders: empty, revenue: empty };
    const draws = drawParameters(["r", "alpha", "a", "b"], PARAMS.bgnbd, covariance, 5, 1);
    const out = await clvIntervalColumnsThreaded(
      none,
      { history: new Int32Array(0), pair: new Int32Array(0) },
      "bgnbd",
      draws,
      spend,
      options,
      {},
      { threads: 2, minCustomers: 0 },
    );
    expect(Object.values(out).map((c) => c.length)).toEqual([0, 0, 0, 0]);
  });
});

describe("groupsByPair", () => {
  it("puts the customers of pair j in group j mod groups, each group ascending", () => {
    const pair = Int32Array.from([0, 1, 2, 0, 3, 1, 4]);
    expect(groupsByPair(pair, 2).map((g) => [...g])).toEqual([
      [0, 2, 3, 6],
      [1, 4, 5],
    ]);
    expect(groupsByPair(pair, 3).map((g) => [...g])).toEqual([[0, 3, 4], [1, 5, 6], [2]]);
  });
});

describe("threads", () => {
  it("runInThread rejects with the worker's error; threadCount honours a limit", async () => {
    await expect(
      runInThread(new URL("../../src/pipelines/clv/clvIntervalThreads.ts", import.meta.url).href, "noSuchExport", []),
    ).rejects.toThrow("is not a function");
    // a worker that ends without answering: rejected with its exit code
    await expect(
      runInThread(new URL("../helpers/threadTarget.ts", import.meta.url).href, "exitNow", []),
    ).rejects.toThrow("worker thread for exitNow exited with code 3 before answering");
    expect(threadCount(1)).toBe(1);
    expect(threadCount(3)).toBe(3);
    expect(threadCount()).toBeGreaterThanOrEqual(1);
  });
});
