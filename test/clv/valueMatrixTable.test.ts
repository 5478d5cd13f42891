/**
 * writeValueMatrixTable (value_matrix in SQL) against buildValueMatrix (the reference in TypeScript) on CDNOW
 * predictions with peer groups by industry, by region (industry missing, blank or too small) and of everyone: the
 * same rows, bit for bit, with median and with configured thresholds, with and without a purchase model.
 */
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
import { cdnowSummaryRows, createSummary } from "../helpers/clvDb.ts";

const OPTIONS: PredictOptions = { margin: 0.3, discountRateAnnual: 0.1, horizonMonths: 12, periodDays: 7 };
let db: Db;

beforeAll(async () => {
  db = await openDatabase(":memory:");
  const summary = cdnowSummaryRows();
  await createSummary(db, summary);
  // industries: three large ones, one of 3 customers (too small: region peers), blanks and NULLs; regions: four, some NULL
  const industry = (id: number) =>
    id % 7 === 0 ? null : id % 11 === 0 ? "" : id <= 3 ? "tiny" : ["retail", "food", "it"][id % 3];
  const region = (id: number) => (id % 5 === 0 ? null : ["north", "south", "east", "west"][id % 4]);
  await db.exec("create table stg_customers (customer_id varchar, industry varchar, region varchar)");
  await db.insertRows(
    "stg_customers",
    ["customer_id", "industry", "region"],
    summary.map(([id]) => [id, industry(Number(id)), region(Number(id))]),
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

describe("the flat discount factor (customers without a CLV to take the discount from)", () => {
  // Five customers, all peers of everyone (no industry, no region). d and e have no expected purchases, hence CLV 0:
  // their potential is discounted by the flat factor (1/12) sum_{m=1..12} 1.12^(-m/12), by hand (geometric series)
  // (1 - 1/1.12) v / (1 - v) / 12 with v = 1.12^(-1/12) = 0.94095966580009. Peers' 75% quantiles (h = 4 x 0.75 = 3):
  // purchases if alive [0, 0, 2, 3, 4] -> 3, spend [0, 10, 20, 25, 30] -> 25. So
  // d: 1 x 0.3 x max(0, 25) x max(0, 3) x flat = 22.5 flat; e: 0.6 x 0.3 x 25 x 3 x flat = 13.5 flat.
  const FLAT = 0.94095966580009;
  it("discounts a no-CLV customer's potential by the average monthly discount over the horizon", async () => {
    const small = await openDatabase(":memory:");
    try {
      await small.exec(
        "create table customer_clv (customer_id varchar, p_alive double, expected_purchases double, expected_avg_spend double, clv double)",
      );
      await small.insertRows(
        "customer_clv",
        ["customer_id", "p_alive", "expected_purchases", "expected_avg_spend", "clv"],
        [
          ["a", 1, 4, 20, 24],
          ["b", 0.5, 1, 10, 2.4],
          ["c", 0.8, 2.4, 30, 20],
          ["d", 1, 0, 0, 0],
          ["e", 0.6, 0, 25, 0],
        ],
      );
      await small.exec("create table stg_customers (customer_id varchar, industry varchar, region varchar)");
      const options = { margin: 0.3, discountRateAnnual: 0.12, horizonMonths: 12 };
      await writeValueMatrixTable(small, "customer_clv", "value_matrix", options);
      const rows = await small.all<{ customer_id: string; potential_clv: number; peer_group: string }>(
        "select customer_id, potential_clv, peer_group from value_matrix order by customer_id",
      );
      expect(rows.every((r) => r.peer_group === "all")).toBe(true);
      expect(rows[3].potential_clv).toBeCloseTo(22.5 * FLAT, 10);
      expect(rows[4].potential_clv).toBeCloseTo(13.5 * FLAT, 10);
      // a, b, c take their own discount clv / (margin x spend x purchases): a's is 24 / (0.3 x 20 x 4) = 1, so its
      // potential is 1 x 0.3 x max(20, 25) x max(4, 3) x 1 = 30; b: 0.5 x 0.3 x 25 x 3 x 2.4 / (0.3 x 10 x 1) = 9;
      // c: 0.8 x 0.3 x 30 x 3 x 20 / (0.3 x 30 x 2.4) = 20
      expect(rows.slice(0, 3).map((r) => r.potential_clv)).toEqual([30, 9, 20].map((v) => expect.closeTo(v, 10)));
      const reference = buildValueMatrix(await readValueInputs(small, "customer_clv"), options);
      expect(reference.map((r) => r.potential_clv)).toEqual(rows.map((r) => r.potential_clv));
      // its scratch tables (constants, strategies) are dropped
      const tables = await small.all<{ name: string }>("select table_name as name from duckdb_tables() order by 1");
      expect(tables.map((t) => t.name)).toEqual(["customer_clv", "stg_customers", "value_matrix"]);
    } finally {
      await small.close();
    }
  });
});
