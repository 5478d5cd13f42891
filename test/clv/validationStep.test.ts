/**
 * The model_validation step (steps.ts) on a small DuckDB fixture: the holdout window it reads from int_purchases
 * (day 0 = the first purchase before holdout_start, total_days = as_of - day 0, holdout_days = as_of - holdout_start
 * + 1), the repeat-purchase days of the calibration customers (purchase_number > 1, days since day 0), and the rows
 * it writes: those of validateModels (checked row by row in validateUnits.test.ts) on the window worked out here by
 * hand. Without a holdout, or with none of its purchases before holdout_start, the table is empty.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/data/db.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { validateModels } from "../../src/pipelines/clv/steps.ts";
import { openAnalysisDb } from "../helpers/clvDb.ts";
import { simulatePurchaseDays, summarise } from "./simulate.ts";

let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

const DAY0 = Date.UTC(2024, 0, 1);
const date = (d: number) => new Date(DAY0 + d * 86_400_000);
const cutoff = 91; // 2024-04-01
const asOfDay = 179; // 2024-06-28
// every customer's first purchase on day 3 or later: day 0 of the window is the earliest of them, not 2024-01-01
const customers = simulatePurchaseDays(
  300,
  { r: 1.2, alpha: 3, a: 0.6, b: 3 },
  { seed: 8, weeks: 26, acquisitionWeeks: 6 },
)
  .map((days) => days.map((d) => d + 3))
  .map((days) => days.filter((d) => d <= asOfDay + 2));
const start = Math.min(...customers.map((days) => days[0]));
// one customer first seen in the holdout: not a calibration customer, so its repeat purchases do not count
const late = [cutoff + 5, cutoff + 20, cutoff + 40];

async function run(analysis: Record<string, unknown>, purchases: number[][]) {
  const opened = await openAnalysisDb({ asOf: "2024-06-28", ...analysis });
  db = opened.db;
  await db.exec("create table int_purchases (customer_id varchar, purchased_on date, purchase_number integer)");
  await db.insertRows(
    "int_purchases",
    ["customer_id", "purchased_on", "purchase_number"],
    purchases.flatMap((days, i) => days.map((d, k) => [`c${String(i).padStart(3, "0")}`, date(d), k + 1])),
  );
  await db.exec(`create table int_calibration_summary (customer_id varchar, frequency integer, recency double,
    T double, monetary_value double, orders integer, revenue double, first_day integer, holdout_purchases integer)`);
  const calibration = purchases
    .map((days, i) => ({ days, id: `c${String(i).padStart(3, "0")}` }))
    .filter(({ days }) => days[0] < cutoff)
    .map(({ days, id }) => ({
      customer_id: id,
      ...summarise(days, cutoff),
      first_day: days[0] - start,
      holdout_purchases: days.filter((d) => d >= cutoff && d <= asOfDay).length,
    }));
  await db.insertRows(
    "int_calibration_summary",
    [
      "customer_id",
      "frequency",
      "recency",
      "T",
      "monetary_value",
      "orders",
      "revenue",
      "first_day",
      "holdout_purchases",
    ],
    calibration.map((c) => [
      c.customer_id,
      c.frequency,
      c.recency,
      c.T,
      0,
      c.frequency + 1,
      0,
      c.first_day,
      c.holdout_purchases,
    ]),
  );
  await pipelineSteps(opened.config)
    .find((s) => s.name === "model_validation")!
    .run(db);
  const rows = await db.all<Record<string, unknown>>(
    "select model, kind, bucket, week, period_end::varchar as period_end, customers, actual, predicted, rmse from model_validation",
  );
  return { rows, calibration };
}

describe("the model_validation step", () => {
  it("validates on the window it reads from int_purchases, with the calibration customers' repeat purchases", async () => {
    expect(start).toBeGreaterThanOrEqual(3);
    const { rows, calibration } = await run({ holdoutStart: "2024-04-01" }, [...customers, late]);
    // repeat purchases of the customers first seen before the holdout, in days since day 0 (outside the window too:
    // validateModels ignores those)
    const repeatDays = customers.flatMap((days) => days.slice(1).map((d) => d - start));
    const expected = validateModels(calibration, repeatDays, {
      periodDays: 7,
      holdoutDays: asOfDay - cutoff + 1,
      startDate: date(start).toISOString().slice(0, 10),
      totalDays: asOfDay - start,
    }).rows;
    expect(expected.length).toBeGreaterThan(3 * 20);
    expect(rows).toHaveLength(expected.length);
    for (const [i, e] of expected.entries()) {
      expect(rows[i]).toMatchObject({
        model: e.model,
        kind: e.kind,
        bucket: e.bucket,
        week: e.week,
        period_end: e.period_end,
        customers: e.customers,
      });
      expect(rows[i].actual as number).toBeCloseTo(e.actual, 12);
      expect(rows[i].predicted as number).toBeCloseTo(e.predicted, 9);
      if (e.rmse === null) expect(rows[i].rmse).toBeNull();
      else expect(rows[i].rmse as number).toBeCloseTo(e.rmse, 12);
    }
  });

  it("fits with the configured penalizer", async () => {
    const { rows, calibration } = await run({ holdoutStart: "2024-04-01", penalizer: 0.05 }, customers);
    const window = {
      periodDays: 7,
      holdoutDays: asOfDay - cutoff + 1,
      startDate: date(start).toISOString().slice(0, 10),
      totalDays: asOfDay - start,
    };
    const repeatDays = customers.flatMap((days) => days.slice(1).map((d) => d - start));
    const rmse = (
      r: ReadonlyArray<Record<string, unknown>> | ReadonlyArray<{ model: string; kind: string; rmse: number | null }>,
    ): Record<string, number> =>
      Object.fromEntries(r.filter((x) => x.kind === "summary").map((x) => [x.model, x.rmse as number]));
    const penalized = rmse(
      validateModels(calibration, repeatDays, { ...window, fitOptions: { penalizer: 0.05 } }).rows,
    );
    const plain = rmse(validateModels(calibration, repeatDays, window).rows);
    expect(Object.keys(rmse(rows)).sort()).toEqual(["bgnbd", "mbgnbd", "pnbd"]);
    expect(Object.keys(plain).length).toBeGreaterThan(1);
    for (const [model, v] of Object.entries(rmse(rows))) {
      expect(v).toBeCloseTo(penalized[model], 9);
      // unpenalized, each model fits elsewhere (Pareto/NBD does not converge on these data)
      expect(plain[model] === undefined || Math.abs(v - plain[model]) > 1e-4).toBe(true);
    }
  });

  it("is empty without a holdout, or when no purchase comes before holdout_start", async () => {
    expect((await run({}, customers)).rows).toEqual([]);
    await db?.close();
    expect((await run({ holdoutStart: "2023-06-01" }, customers)).rows).toEqual([]);
  });
});
