/**
 * writeValueMatrixTable (value_matrix in SQL) against buildValueMatrix (the reference in TypeScript) on CDNOW
 * predictions with peer groups by industry, by region (industry missing, blank or too small) and of everyone: the
 * same rows, bit for bit, with median and with configured thresholds, with and without a purchase model.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/data/db.ts";
import {
  fitPurchaseModels,
  fitSpendModel,
  readValueInputs,
  VALUE_COLUMNS,
  valueMatrixValues,
  type PredictOptions,
} from "../../src/pipelines/clv/steps.ts";
import { purchaseModel, type GammaGammaParams } from "../../src/pipelines/clv/models.ts";
import { writeClvTable } from "../../src/pipelines/clv/clvTable.ts";
import { buildValueMatrix, type ValueMatrixOptions } from "../../src/pipelines/clv/valueMatrix.ts";
import { writeValueMatrixTable } from "../../src/pipelines/clv/valueMatrixTable.ts";

const CDNOW = path.resolve(__dirname, "../../../shared/data/cdnow");
const OPTIONS: PredictOptions = { margin: 0.3, discountRateAnnual: 0.1, horizonMonths: 12, periodDays: 7 };
let db: Db;

beforeAll(async () => {
  const parsed = Papa.parse<Record<string, number>>(
    readFileSync(path.join(CDNOW, "cdnow_customers_summary_with_transactions.csv"), "utf8"),
    { header: true, dynamicTyping: true, skipEmptyLines: true },
  ).data;
  db = await openDatabase(":memory:");
  await db.exec(
    "create table customer_summary (customer_id varchar, orders integer, revenue double, frequency integer, recency double, T double, monetary_value double)",
  );
  await db.insertRows(
    "customer_summary",
    ["customer_id", "orders", "revenue", "frequency", "recency", "T", "monetary_value"],
    parsed.map((r) => [String(r.ID), r.x + 1, r.zbar * (r.x + 1), r.x, r.t_x, r.T, r.x > 0 ? r.zbar : 0]),
  );
  // industries: three large ones, one of 3 customers (too small: region peers), blanks and NULLs; regions: four, some NULL
  const industry = (id: number) =>
    id % 7 === 0 ? null : id % 11 === 0 ? "" : id <= 3 ? "tiny" : ["retail", "food", "it"][id % 3];
  const region = (id: number) => (id % 5 === 0 ? null : ["north", "south", "east", "west"][id % 4]);
  await db.exec("create table stg_customers (customer_id varchar, industry varchar, region varchar)");
  await db.insertRows(
    "stg_customers",
    ["customer_id", "industry", "region"],
    parsed.map((r) => [String(r.ID), industry(r.ID), region(r.ID)]),
  );
});
afterAll(async () => db.close());

async function expectSame(options: ValueMatrixOptions) {
  await writeValueMatrixTable(db, "customer_clv", "value_matrix", options);
  const sql = await db.all<Record<string, unknown>>("select * from value_matrix");
  const reference = buildValueMatrix(await readValueInputs(db, "customer_clv"), options).map(valueMatrixValues);
  expect(sql.map((r) => VALUE_COLUMNS.map((c) => r[c]))).toEqual(reference);
  return sql;
}

describe("writeValueMatrixTable equals buildValueMatrix", () => {
  it("with a fitted model, median thresholds and every kind of peer group", async () => {
    const summary = await db.all<{ frequency: number; recency: number; T: number; monetary_value: number }>(
      `select frequency::double as frequency, recency, "T", monetary_value from customer_summary`,
    );
    const fit = fitPurchaseModels(summary).find((f) => f.model === "bgnbd")!;
    const spend = fitSpendModel(summary).params as GammaGammaParams;
    await writeClvTable(
      db,
      "customer_summary",
      "customer_clv",
      purchaseModel("bgnbd", fit.params as never),
      spend,
      OPTIONS,
    );
    const rows = await expectSame({ margin: 0.3, discountRateAnnual: 0.1, horizonMonths: 12 });
    const groups = new Set(rows.map((r) => String(r.peer_group).split(":")[0]));
    expect(groups).toEqual(new Set(["industry", "region", "all"]));
    expect(new Set(rows.map((r) => r.quadrant))).toEqual(new Set(["I", "II", "III", "IV"]));
  });

  it("without a model (p_alive NULL) and with configured thresholds", async () => {
    await writeClvTable(db, "customer_summary", "customer_clv", null, null, { ...OPTIONS, horizonMonths: 6 });
    await expectSame({
      margin: 0.5,
      discountRateAnnual: 0,
      horizonMonths: 6,
      thresholds: { currentValue: 20, growthPotential: 5 },
    });
  });
});
