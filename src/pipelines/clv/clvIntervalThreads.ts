/**
 * customer_clv_interval split across worker threads (threads.ts): the customers are grouped by their (x, T) pair,
 * pair j to group j mod groups (round robin, so the costly pairs of many purchases spread evenly), and each group
 * is one clvIntervalColumns call on its customers' columns, the first in this thread and the others in workers. The
 * result is identical to one clvIntervalColumns call on every customer (tested): each customer's interval depends
 * only on its own history, spend input and pair, which its group holds whole, on the draws, which every group gets
 * alike, and on the population's mean order value, computed here once over all customers; within a group the work
 * per pair, history and customer is the same code on the same doubles in the same order.
 */
import {
  clvIntervalColumns,
  type ClvIntervalColumns,
  type HistoryIndex,
  type IntervalSettings,
  type SummaryColumns,
} from "./clvInterval.ts";
import type { GammaGammaParams, PurchaseModelName } from "./models.ts";
import { meanOrderValueOf, type PredictOptions } from "./steps.ts";
import { MIN_THREADED_CUSTOMERS, runInThread, threadCount } from "./threads.ts";
import type { Params } from "./uncertainty.ts";

// The workers call this module's clvIntervalColumns (runInThread imports it by this module's URL).
export { clvIntervalColumns };

export { MIN_THREADED_CUSTOMERS };

/** Customer indices (ascending) of each group: customers of pair j in group j % groups. */
export function groupsByPair(pair: Int32Array, groups: number): Int32Array[] {
  const sizes = new Int32Array(groups);
  for (let i = 0; i < pair.length; i++) sizes[pair[i] % groups]++;
  const members = Array.from(sizes, (size) => new Int32Array(size));
  const filled = new Int32Array(groups);
  for (let i = 0; i < pair.length; i++) {
    const g = pair[i] % groups;
    members[g][filled[g]++] = i;
  }
  return members;
}

/** Numbers from 0 of the distinct values of ids[at[k]], in first-seen order. */
function renumber(ids: Int32Array, at: Int32Array): Int32Array {
  let size = 0;
  for (let k = 0; k < at.length; k++) size = Math.max(size, ids[at[k]] + 1);
  const local = new Int32Array(size).fill(-1);
  let next = 0;
  return Int32Array.from(at, (i) => {
    if (local[ids[i]] < 0) local[ids[i]] = next++;
    return local[ids[i]];
  });
}

/** The columns and history index of the customers `at`. */
function subset(columns: SummaryColumns, index: HistoryIndex, at: Int32Array): [SummaryColumns, HistoryIndex] {
  const pick = (values: Float64Array) => Float64Array.from(at, (i) => values[i]);
  return [
    {
      frequency: pick(columns.frequency),
      recency: pick(columns.recency),
      T: pick(columns.T),
      monetary_value: pick(columns.monetary_value),
      orders: pick(columns.orders),
      revenue: pick(columns.revenue),
    },
    { history: renumber(index.history, at), pair: renumber(index.pair, at) },
  ];
}

/**
 * clvIntervalColumns on `threads` threads (default threadCount()), or in this thread for fewer than `minCustomers`
 * customers or a single thread. A worker's error rejects the promise.
 */
export async function clvIntervalColumnsThreaded(
  columns: SummaryColumns,
  index: HistoryIndex,
  purchase: PurchaseModelName,
  purchaseDraws: Params[],
  spend: GammaGammaParams | null,
  options: PredictOptions,
  settings: IntervalSettings = {},
  { threads = threadCount(), minCustomers = MIN_THREADED_CUSTOMERS }: { threads?: number; minCustomers?: number } = {},
): Promise<ClvIntervalColumns> {
  const n = columns.frequency.length;
  if (threads <= 1 || n < minCustomers || n === 0)
    return clvIntervalColumns(columns, index, purchase, purchaseDraws, spend, options, settings);
  const shared: IntervalSettings = { ...settings, meanOrderValue: meanOrderValueOf(columns.orders, columns.revenue) };
  const members = groupsByPair(index.pair, threads).filter((m) => m.length > 0);
  const parts = members.map((at) => subset(columns, index, at));
  const compute = ([c, h]: [SummaryColumns, HistoryIndex]) =>
    clvIntervalColumns(c, h, purchase, purchaseDraws, spend, options, shared);
  const workers = parts
    .slice(1)
    .map((part) =>
      runInThread<ClvIntervalColumns>(import.meta.url, "clvIntervalColumns", [
        ...part,
        purchase,
        purchaseDraws,
        spend,
        options,
        shared,
      ]),
    );
  const results = [compute(parts[0]), ...(await Promise.all(workers))];
  const out: ClvIntervalColumns = {
    clvLow: new Float64Array(n),
    clvHigh: new Float64Array(n),
    expectedLow: new Float64Array(n),
    expectedHigh: new Float64Array(n),
  };
  results.forEach((result, g) => {
    members[g].forEach((i, k) => {
      out.clvLow[i] = result.clvLow[k];
      out.clvHigh[i] = result.clvHigh[k];
      out.expectedLow[i] = result.expectedLow[k];
      out.expectedHigh[i] = result.expectedHigh[k];
    });
  });
  return out;
}
