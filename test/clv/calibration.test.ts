/**
 * The backtest's model side (calibration.ts) on hand-made inputs: int_calibration_summary is the published CDNOW
 * calibration summary (2,357 customers, calibration to 1997-09-30), model_fit names the selected model. The refit
 * must be the selected model on the calibration rows, with the published parameters' predictions (BG/NBD: Fader,
 * Hardie & Lee 2005; Pareto/NBD: Fader & Hardie's note; Gamma-Gamma: Fader & Hardie 2013), and the value matrix is
 * written from int_calibration_clv. Without a selected model or without rows: the historical fallback / no rows.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { parseConfig } from "../../src/data/config.ts";
import { createAllTablesSql } from "../../src/data/schemas.ts";
import { setAnalysisVariables } from "../../src/pipelines/runner.ts";
import { calibrationSteps } from "../../src/pipelines/clv/calibration.ts";

const CDNOW = path.resolve(__dirname, "../../../shared/data/cdnow");
const CALIBRATION_SQL =
  "customer_id varchar, frequency double, recency double, T double, monetary_value double, orders double, revenue double, first_day integer, holdout_purchases double";

let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

interface Published {
  ID: number;
  x: number;
  t_x: number;
  T: number;
  zbar: number;
}
const published = Papa.parse<Published>(
  readFileSync(path.join(CDNOW, "cdnow_customers_summary_with_transactions.csv"), "utf8"),
  { header: true, dynamicTyping: true, skipEmptyLines: true },
).data;

async function run(selected: string | null, rows: Published[], analysis: Record<string, unknown> = {}) {
  const config = parseConfig({
    sources: { transactions: { files: "x.csv" } },
    analysis: { asOf: "1997-09-30", holdoutStart: "1997-10-01", period: "week", ...analysis },
  });
  db = await openDatabase(":memory:");
  await db.exec(createAllTablesSql());
  await setAnalysisVariables(db, config.analysis);
  await db.exec("create table stg_customers as select * from customers");
  await db.exec(`create table int_calibration_summary (${CALIBRATION_SQL})`);
  if (rows.length)
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
      rows.map((r) => [String(r.ID), r.x, r.t_x, r.T, r.x > 0 ? r.zbar : 0, r.x + 1, r.zbar * (r.x + 1), 0, 0]),
    );
  await db.exec("create table model_fit (model varchar, selected boolean)");
  // The full-data fit of every model; only the selected purchase model is refitted on the calibration rows.
  await db.exec(
    `insert into model_fit values ('bgnbd', ${selected === "bgnbd"}), ('pnbd', ${selected === "pnbd"}), ('mbgnbd', false), ('gammagamma', true)`,
  );
  const steps = calibrationSteps(config);
  expect(steps.map((s) => [s.name, s.dependsOn])).toEqual([
    ["int_calibration_clv", ["int_calibration_summary", "model_fit"]],
    ["int_calibration_value_matrix", ["int_calibration_clv", "stg_customers"]],
  ]);
  for (const step of steps) await step.run(db);
  return db;
}

const customer = async (db: Db, id: string) =>
  (
    await db.all<{ p_alive: number | null; expected_avg_spend: number; model: string; spend_model: string }>(
      `select * from int_calibration_clv where customer_id = '${id}'`,
    )
  )[0];

describe("int_calibration_clv refits the selected model on the calibration rows", () => {
  it("BG/NBD selected: every customer predicted by BG/NBD with the published parameters, spend by Gamma-Gamma", async () => {
    const db = await run("bgnbd", published);
    const models = await db.all<{ model: string; spend_model: string; n: number }>(
      "select model, spend_model, count(*)::integer as n from int_calibration_clv group by all",
    );
    expect(models).toEqual([{ model: "bgnbd", spend_model: "gammagamma", n: 2357 }]);
    // Customer 1516 (x = 26, t_x = 30.86, T = 31): P(alive) = 1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
    // at the published r = 0.2425982, alpha = 4.4136842, a = 0.7929899, b = 2.4261667.
    const [r, alpha, a, b] = [0.2425982, 4.4136842, 0.7929899, 2.4261667];
    const pAlive = 1 / (1 + (a / (b + 26 - 1)) * ((alpha + 31) / (alpha + 30.86)) ** (r + 26));
    expect(Math.abs((await customer(db, "1516")).p_alive! - pAlive)).toBeLessThan(1e-5);
    // Customer 1: Gamma-Gamma conditional expected average spend 24.65 (Fader & Hardie 2013)
    expect(Math.abs((await customer(db, "1")).expected_avg_spend - 24.65)).toBeLessThan(0.01);
    const [vm] = await db.all<{ n: number }>("select count(*)::integer as n from int_calibration_value_matrix");
    expect(vm.n).toBe(2357);
  });

  it("Pareto/NBD selected: Pareto/NBD is refitted (customer 1516's published P(alive) 0.997874)", async () => {
    const db = await run("pnbd", published);
    expect((await customer(db, "1516")).model).toBe("pnbd");
    // the published figure is for t_x = 30.857; the file rounds it to 30.86 (P(alive) moves by ~1e-5)
    expect(Math.abs((await customer(db, "1516")).p_alive! - 0.997874)).toBeLessThan(1e-4);
  });

  it("no selected purchase model: the historical rate, with Gamma-Gamma still fitted", async () => {
    const db = await run(null, published);
    const c = await customer(db, "1");
    expect([c.model, c.spend_model, c.p_alive]).toEqual(["historical", "gammagamma", null]);
    expect(Math.abs(c.expected_avg_spend - 24.65)).toBeLessThan(0.01);
  });

  it("too few calibration customers to fit: historical rate and spend for each", async () => {
    // 5 customers: below MIN_CUSTOMERS and MIN_SPEND_CUSTOMERS, so neither model converges
    const db = await run("bgnbd", published.slice(0, 5));
    const rows = await db.all<{ model: string; spend_model: string; expected_avg_spend: number }>(
      "select model, spend_model, expected_avg_spend from int_calibration_clv order by customer_id",
    );
    expect(rows.map((r) => [r.model, r.spend_model])).toEqual(Array(5).fill(["historical", "historical"]));
    // customer 1: own average repeat spend zbar
    expect(rows[0].expected_avg_spend).toBe(22.35);
  });

  it("without calibration rows both tables are empty", async () => {
    const db = await run("bgnbd", []);
    const [n] = await db.all<{ clv: number; vm: number }>(
      "select (select count(*) from int_calibration_clv)::integer as clv, (select count(*) from int_calibration_value_matrix)::integer as vm",
    );
    expect(n).toEqual({ clv: 0, vm: 0 });
  });
});
