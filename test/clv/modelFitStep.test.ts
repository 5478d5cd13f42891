/**
 * The model_fit step's data (steps.ts fitAllModels: the rows merged in SQL straight from customer_summary) on small
 * DuckDB fixtures: which customers each fit counts (NULL frequency, recency or T left out; Gamma-Gamma only repeat
 * buyers with a positive, finite spend), the minimum-data rules counted on those rows, and the fitted parameters
 * equal to the fits on the same customers given one by one (fitPurchaseModels / fitSpendModel on rows the test
 * filters itself). Small enough to run per mutant.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/data/db.ts";
import type { KehuConfig } from "../../src/data/config.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { fitPurchaseModels, fitSpendModel } from "../../src/pipelines/clv/steps.ts";
import { createSummary, openAnalysisDb, simulatedSummaryRows } from "../helpers/clvDb.ts";

type Row = (string | number | null)[];
let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

/** customer_summary rows (customer_id, orders, revenue, frequency, recency, T, monetary_value), then model_fit. */
async function modelFit(rows: Row[]) {
  const opened: { db: Db; config: KehuConfig } = await openAnalysisDb({ asOf: "2024-06-30" });
  db = opened.db;
  await createSummary(
    db,
    rows.map(([id, orders, revenue, ...rest]) => [id, null, null, orders, revenue, null, ...rest]),
  );
  const steps = pipelineSteps(opened.config);
  for (const name of ["model_validation", "model_fit"]) await steps.find((s) => s.name === name)!.run(db);
  return db.all<{
    model: string;
    params: string | null;
    converged: boolean;
    n_customers: number;
    message: string;
    log_likelihood: number | null;
    bic: number | null;
  }>("select model, params, converged, n_customers, message, log_likelihood, bic from model_fit order by model");
}

const buyer = (id: string, x: number, spend: number | null = 20): Row => [
  id,
  x + 1,
  20 * (x + 1),
  x,
  x ? 8 : 0,
  30,
  spend,
];

describe("model_fit's data, counted in SQL", () => {
  it("fits the customers with frequency, recency and T, and Gamma-Gamma the repeat buyers with a positive finite spend", async () => {
    const good: Row[] = simulatedSummaryRows(200, 3);
    // left out of every fit: a NULL frequency, recency or T; left out of Gamma-Gamma only: no, NULL, negative or
    // infinite spend
    const skipped: Row[] = [
      ["n1", 3, 60, null, 5, 30, 20],
      ["n2", 3, 60, 2, null, 30, 20],
      ["n3", 3, 60, 2, 5, null, 20],
    ];
    const noSpend: Row[] = [
      ["s1", 4, 0, 3, 20, 35, 0],
      ["s2", 3, 60, 2, 10, 30, null],
      ["s3", 3, -30, 2, 10, 30, -10],
      ["s4", 3, 60, 2, 10, 30, Number.POSITIVE_INFINITY],
    ];
    const fits = await modelFit([...good, ...skipped, ...noSpend]);
    const customers = [...good, ...noSpend].map((r) => ({
      frequency: r[3] as number,
      recency: r[4] as number,
      T: r[5] as number,
      monetary_value: (r[6] as number | null) ?? 0,
    }));
    const repeatSpenders = good.filter((r) => (r[3] as number) > 0).length;
    expect(fits.map((f) => [f.model, f.n_customers])).toEqual([
      ["bgnbd", 204],
      ["gammagamma", repeatSpenders],
      ["mbgnbd", 204],
      ["pnbd", 204],
    ]);
    const reference = fitPurchaseModels(customers);
    expect(reference.filter((f) => f.converged).map((f) => f.model)).toEqual(["bgnbd", "mbgnbd"]);
    for (const f of reference) {
      const got = fits.find((r) => r.model === f.model)!;
      expect(got.converged).toBe(f.converged);
      if (!f.converged) continue;
      expect(got.log_likelihood! / f.logLikelihood).toBeCloseTo(1, 9);
      expect(got.bic! / f.bic).toBeCloseTo(1, 9);
      const params = JSON.parse(got.params!);
      for (const [k, v] of Object.entries(f.params)) expect(params[k] / v).toBeCloseTo(1, 6);
    }
    const spend = fitSpendModel(customers);
    const gg = JSON.parse(fits.find((r) => r.model === "gammagamma")!.params!);
    for (const [k, v] of Object.entries(spend.params)) expect(gg[k] / v).toBeCloseTo(1, 6);
  });

  it("counts the minimum data on those rows: 10 customers with 3 repeat buyers, and 10 repeat buyers with spend", async () => {
    // 12 customers, 2 of them repeat buyers (and one more with a NULL recency, who does not count)
    const twoRepeaters = [
      ...Array.from({ length: 10 }, (_, i) => buyer(`o${i}`, 0)),
      buyer("r1", 2),
      buyer("r2", 1),
      ["r3", 3, 60, 2, null, 30, 20],
    ];
    for (const f of (await modelFit(twoRepeaters)).filter((f) => f.model !== "gammagamma")) {
      expect(f).toMatchObject({ converged: false, params: null, log_likelihood: null, bic: null });
      expect(f.message).toBe("too few customers to fit: 12 customers, 2 with repeat purchases (need >= 10 and >= 3)");
    }
    await db!.close();
    // 9 customers with a history (a tenth has a NULL T), all repeat buyers with spend
    const nine = [...Array.from({ length: 9 }, (_, i) => buyer(`r${i}`, 1 + (i % 3))), ["t", 2, 40, 1, 5, null, 20]];
    const fits = await modelFit(nine);
    expect(fits.find((f) => f.model === "bgnbd")!.message).toBe(
      "too few customers to fit: 9 customers, 9 with repeat purchases (need >= 10 and >= 3)",
    );
    expect(fits.find((f) => f.model === "gammagamma")!.message).toBe(
      "too few repeat customers with positive spend to fit: 9 (need >= 10)",
    );
  });
});
