/**
 * model_fit's fits on worker threads (steps.ts fitGroups, fitPurchaseModelsOnColumns via threads.ts runInThread):
 * a fit in a worker gives exactly the fit in this thread (params, log-likelihood, BIC, iterations, message), and the
 * groups cover every purchase model once whatever the thread count.
 */
import { describe, expect, it } from "vitest";
import { compressRows } from "../../src/pipelines/clv/models.ts";
import { fitGroups, fitPurchaseModelsOnColumns, type PurchaseColumns } from "../../src/pipelines/clv/steps.ts";
import { runInThread } from "../../src/pipelines/clv/threads.ts";
import { simulateCustomers } from "./simulate.ts";

describe("fitGroups", () => {
  it("puts every purchase model in exactly one thread's group", () => {
    for (const threads of [1, 2, 3, 8]) {
      const groups = fitGroups(threads);
      expect(groups.length).toBe(Math.min(threads, 3));
      expect(groups.flat().sort()).toEqual(["bgnbd", "mbgnbd", "pnbd"]);
    }
  });
});

describe("fitPurchaseModelsOnColumns in a worker thread", () => {
  it("gives the same fits as in this thread, to the last bit", async () => {
    const sim = simulateCustomers(1500, { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, { p: 6, q: 4, gamma: 16 }, { seed: 21 });
    const rows = compressRows(sim.x, sim.tx, sim.T);
    const columns: PurchaseColumns = {
      x: Float64Array.from(rows.x),
      tx: Float64Array.from(rows.tx),
      T: Float64Array.from(rows.T),
      w: Float64Array.from(rows.weight),
    };
    const models = ["bgnbd", "mbgnbd"] as const;
    const here = fitPurchaseModelsOnColumns(columns, [...models], { penalizer: 0 });
    const there = await runInThread<typeof here>(
      new URL("../../src/pipelines/clv/steps.ts", import.meta.url).href,
      "fitPurchaseModelsOnColumns",
      [columns, [...models], { penalizer: 0 }],
    );
    expect(here.every((f) => f.converged)).toBe(true);
    const strip = (fits: typeof here) => fits.map(({ seconds: _, ...rest }) => rest);
    expect(strip(there)).toEqual(strip(here));
  }, 120_000);
});
