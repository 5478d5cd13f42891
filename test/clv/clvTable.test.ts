/**
 * writeClvTable (customer_clv in SQL, the model evaluated once per distinct (x, t_x, T)) against predictCustomers
 * (the per-customer reference in TypeScript) on the CDNOW summary: the same numbers, bit for bit, for fitted purchase
 * and spend models, for the historical fallbacks, and for a model that gives some rows no finite prediction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/data/db.ts";
import {
  fitPurchaseModels,
  fitSpendModel,
  predictCustomers,
  readSummary,
  type PredictOptions,
  type SummaryRow,
} from "../../src/pipelines/clv/steps.ts";
import { purchaseModel, type GammaGammaParams, type PurchaseModel } from "../../src/pipelines/clv/models.ts";
import { writeClvTable } from "../../src/pipelines/clv/clvTable.ts";
import { cdnowSummaryRows, createSummary } from "../helpers/clvDb.ts";

let db: Db;
let summary: SummaryRow[];

beforeAll(async () => {
  db = await openDatabase(":memory:");
  // a few customers with refunds only (revenue <= 0) or no orders, for the historical spend fallbacks
  await createSummary(db, [
    ...cdnowSummaryRows(),
    ["r1", null, null, 2, -5, -2.5, 0, 0, 3.5, 0],
    ["r2", null, null, 0, 0, null, 0, 0, 10, 0],
    ["r3", null, null, 1, 12.5, 12.5, 0, 0, 20, null],
  ]);
  summary = await readSummary(db);
});
afterAll(async () => db.close());

const CLV = [
  "customer_id",
  "p_alive",
  "expected_purchases",
  "expected_avg_spend",
  "clv",
  "model",
  "spend_model",
] as const;

async function expectSame(purchase: PurchaseModel | null, spend: GammaGammaParams | null, options: PredictOptions) {
  await writeClvTable(db, "customer_summary", "customer_clv", purchase, spend, options);
  const sql = await db.all<Record<string, unknown>>("select * from customer_clv");
  const reference = predictCustomers(summary, purchase, spend, options);
  expect(sql).toHaveLength(reference.length);
  // exact: same operations on the same doubles (no toBeCloseTo)
  expect(sql.map((r) => CLV.map((c) => r[c]))).toEqual(reference.map((r) => CLV.map((c) => r[c])));
  return reference;
}

describe("writeClvTable equals predictCustomers", () => {
  const weekly = { margin: 0.3, discountRateAnnual: 0.1, horizonMonths: 12, periodDays: 7 };
  it("with BG/NBD or Pareto/NBD and Gamma-Gamma", async () => {
    const fits = fitPurchaseModels(summary);
    const spendFit = fitSpendModel(summary);
    expect(spendFit.converged).toBe(true);
    for (const name of ["bgnbd", "pnbd"] as const) {
      const fit = fits.find((f) => f.model === name)!;
      expect(fit.converged).toBe(true);
      const rows = await expectSame(
        purchaseModel(name, fit.params as never),
        spendFit.params as GammaGammaParams,
        weekly,
      );
      expect(rows.filter((r) => r.model === name).length).toBeGreaterThan(2000);
    }
  });

  it("without models (historical rate and spend), at other settings", async () => {
    const rows = await expectSame(null, null, { margin: 1, discountRateAnnual: 0, horizonMonths: 7, periodDays: 1 });
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(["historical"]));
    expect(rows.find((r) => r.customer_id === "r1")!.expected_avg_spend).toBeGreaterThan(0); // the population's mean order value
  });

  it("falls back per row where the model gives no finite prediction", async () => {
    const fit = fitPurchaseModels(summary).find((f) => f.model === "bgnbd")!;
    const model = purchaseModel("bgnbd", fit.params as never);
    const partial: PurchaseModel = { ...model, pAlive: (x, tx, T) => (x > 10 ? NaN : model.pAlive(x, tx, T)) };
    const rows = await expectSame(partial, null, weekly);
    expect(rows.some((r) => r.model === "historical")).toBe(true);
    expect(rows.some((r) => r.model === "bgnbd")).toBe(true);
  });
});
