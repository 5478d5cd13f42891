/**
 * The churn list (int_churn_scores -> churn_risk) and its backtest (churn_backtest) on hand-made inputs: the upstream
 * tables (customer_clv, customer_summary, purchase_frequency, the calibration tables) are written by hand, so every
 * expected number below follows from the rows in this file.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { parseConfig } from "../../src/data/config.ts";
import { createAllTablesSql } from "../../src/data/schemas.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { setAnalysisVariables } from "../../src/pipelines/runner.ts";
import { insertFixture } from "../helpers/pipeline.ts";

let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

type Cell = string | number | boolean | null;
async function table(d: Db, name: string, columns: string, rows: Cell[][]) {
  const lit = (v: Cell) => (v === null ? "null" : typeof v === "number" ? String(v) : `'${v}'`);
  const cols = columns.split(",").map((c) => c.trim());
  const select = rows.length
    ? rows
        .map(
          (r) =>
            `select ${r.map((v, i) => `${lit(v)}::${cols[i].split(" ")[1]} as ${cols[i].split(" ")[0]}`).join(", ")}`,
        )
        .join(" union all ")
    : `select ${cols.map((c) => `null::${c.split(" ")[1]} as ${c.split(" ")[0]}`).join(", ")} where false`;
  await d.exec(`create or replace table ${name} as ${select}`);
}

const CLV = "customer_id varchar, p_alive double, clv double";
const SUMMARY = "customer_id varchar, revenue double, first_purchase date, last_purchase date";
const CALIBRATION =
  "customer_id varchar, calibration_end date, revenue double, first_purchase date, last_purchase date, holdout_purchases integer";
const RHYTHM = "customer_id varchar, median_gap_days double, days_since_last_purchase integer, is_overdue boolean";

async function setup(analysis: Record<string, unknown>) {
  const config = parseConfig({ sources: { transactions: { files: "x.csv" } }, analysis });
  db = await openDatabase(":memory:");
  await db.exec(createAllTablesSql());
  await setAnalysisVariables(db, config.analysis);
  const run = async (...names: string[]) => {
    const steps = pipelineSteps(config);
    for (const name of names) {
      const step = steps.find((s) => s.name === name)!;
      await db!.exec(`explain ${step.sql}`);
      await step.run(db!);
    }
  };
  return { db, run };
}

// Today's data, as of 2024-06-30 (tenure >= 365 days divides revenue by tenure/365; younger customers keep revenue):
//   c1 p 0.2, revenue 1000, first 2022-06-30 (731 days), silent 170 -> value 1000 x 365/731, loss 0.8 x that = 399.45
//   c2 p 0.9, revenue 5000, first 2024-01-01 (181 days), silent 10  -> value 5000, loss 500
//   c3 p 0.5, revenue  800, first 2023-06-30 (366 days), silent 120 -> value 800 x 365/366, loss 398.91
//   c4 no model (p NULL), revenue 300, silent 121 > 90 -> p_lapse 1, value 300, loss 300
//   c5 p 0.05, revenue 2000, silent 911 >= 730: long gone, not eligible, not active
//   c6 p 1 (safe): loss 0, not eligible;  c8 revenue -50 (refunds): value 0, not eligible
//   c7 p 0.3, one purchase 61 days ago, revenue 200 (60-day-old... first = last = 2024-04-30) -> loss 140
// Active (silent < 365): c1 c2 c3 c4 c6 c7 c8 = 7.
const CURRENT_CLV: Cell[][] = [
  ["c1", 0.2, 100],
  ["c2", 0.9, 900],
  ["c3", 0.5, 300],
  ["c4", null, 50],
  ["c5", 0.05, 1],
  ["c6", 1, 80],
  ["c7", 0.3, 20],
  ["c8", 0.6, 0],
];
const CURRENT_SUMMARY: Cell[][] = [
  ["c1", 1000, "2022-06-30", "2024-01-12"],
  ["c2", 5000, "2024-01-01", "2024-06-20"],
  ["c3", 800, "2023-06-30", "2024-03-02"],
  ["c4", 300, "2024-02-01", "2024-03-01"],
  ["c5", 2000, "2021-01-01", "2022-01-01"],
  ["c6", 100, "2023-01-01", "2024-06-29"],
  ["c7", 200, "2024-04-30", "2024-04-30"],
  ["c8", -50, "2023-01-01", "2024-06-01"],
];
// purchase_frequency: repeat customers' median gaps 30 (c1), 5 (c2), 60 (c3), 29 (c4), 2 (c6) -> population median 29.
const RHYTHMS: Cell[][] = [
  ["c1", 30, 170, true],
  ["c2", 5, 10, true],
  ["c3", 60, 120, true],
  ["c4", 29, 121, false],
  ["c6", 2, 1, false],
  ["c7", null, 61, false],
  ["c8", 10, 29, false],
];

async function current(share: number, pAliveThreshold = 0.5) {
  const { db, run } = await setup({ asOf: "2024-06-30", pAliveThreshold, churnListShare: share });
  await table(db, "customer_clv", CLV, CURRENT_CLV);
  await table(db, "customer_summary", SUMMARY, CURRENT_SUMMARY);
  await table(db, "int_calibration_clv", CLV, []);
  await table(db, "int_calibration_summary", CALIBRATION, []);
  await table(db, "purchase_frequency", RHYTHM, RHYTHMS);
  await insertFixture(db, {
    complaints: [
      { customer_id: "c1", opened_at: "2024-05-01 10:00:00", resolved_at: null },
      // resolved on as_of itself: no longer open
      { customer_id: "c2", opened_at: "2024-06-01 10:00:00", resolved_at: "2024-06-30 18:00:00" },
    ],
    invoices: [
      {
        customer_id: "c3",
        issued_at: "2024-04-15",
        due_at: "2024-05-15",
        amount: 100,
        paid_at: "2024-05-01",
        paid_amount: 50,
      },
    ],
    visits: [
      // c4: 2 visits in the 90 days before the last 90, 1 in the last 90 -> fewer; c2: 1 and 1 -> not fewer
      { customer_id: "c4", visited_at: "2024-02-15 09:00:00" },
      { customer_id: "c4", visited_at: "2024-03-20 09:00:00" },
      { customer_id: "c4", visited_at: "2024-06-10 09:00:00" },
      { customer_id: "c2", visited_at: "2024-03-20 09:00:00" },
      { customer_id: "c2", visited_at: "2024-06-10 09:00:00" },
    ],
  });
  await run("int_churn_scores", "stg_complaints", "stg_invoices", "stg_visits", "churn_risk");
  return db;
}

describe("churn list: expected value lost", () => {
  it("ranks eligible customers by P(lapse) x yearly value and caps the list at the share of active customers", async () => {
    const db = await current(0.5); // ceil(0.5 x 7 active) = 4
    const scores = await db.all<Record<string, unknown>>(
      "select customer_id, value_if_retained, p_lapse, expected_loss, is_active, is_eligible, list_size, list_rank, on_list from int_churn_scores order by customer_id",
    );
    const by = Object.fromEntries(scores.map((r) => [r.customer_id, r]));
    expect(by.c1.value_if_retained as number).toBeCloseTo((1000 * 365) / 731, 9);
    expect(by.c1.expected_loss as number).toBeCloseTo((0.8 * 1000 * 365) / 731, 9);
    expect(by.c2).toMatchObject({ value_if_retained: 5000, list_rank: 1, on_list: true, list_size: 4 });
    expect(by.c2.expected_loss as number).toBeCloseTo(500, 9);
    expect(by.c3.expected_loss as number).toBeCloseTo((0.5 * 800 * 365) / 366, 9);
    expect(by.c4).toMatchObject({
      p_lapse: 1,
      value_if_retained: 300,
      expected_loss: 300,
      list_rank: 4,
      on_list: true,
    });
    expect(by.c5).toMatchObject({ is_active: false, is_eligible: false, list_rank: null, on_list: false });
    expect(by.c6).toMatchObject({ expected_loss: 0, is_eligible: false, on_list: false });
    expect(by.c8).toMatchObject({ value_if_retained: 0, is_eligible: false });
    expect(by.c7).toMatchObject({ list_rank: 5, on_list: false });
    expect(by.c7.expected_loss as number).toBeCloseTo(140, 9);
    const list = await db.all<{ customer_id: string; rank: number }>(
      "select customer_id, rank from churn_risk order by rank",
    );
    expect(list).toEqual([
      { customer_id: "c2", rank: 1 },
      { customer_id: "c1", rank: 2 },
      { customer_id: "c3", rank: 3 },
      { customer_id: "c4", rank: 4 },
    ]);
    const [top] = await db.all<Record<string, unknown>>("select * from churn_risk where rank = 1");
    expect(top).toMatchObject({
      value_at_risk: top.expected_loss,
      p_lapse: expect.closeTo(0.1, 12),
      days_silent: 10,
      revenue: 5000,
    });
  });

  it("gives each row only the reasons that are true for it, at their boundaries", async () => {
    const db = await current(1);
    const rows = await db.all<{ customer_id: string; reasons: string[] }>(
      "select customer_id, reasons from churn_risk order by customer_id",
    );
    expect(rows).toEqual([
      // silent 170 > 2 x 30; overdue; p 0.2 < 0.5; complaint open
      { customer_id: "c1", reasons: ["long_silence", "overdue_rhythm", "low_p_alive", "open_complaint"] },
      // silent 10 = 2 x 5 is not "more than twice"; complaint resolved on as_of; 1 visit vs 1 visit is not fewer
      { customer_id: "c2", reasons: ["overdue_rhythm"] },
      // silent 120 = 2 x 60: not long; p 0.5 is not below 0.5; half-paid invoice past due
      { customer_id: "c3", reasons: ["overdue_rhythm", "overdue_invoice"] },
      // silent 121 > 58; no model; 1 recent visit < 2 earlier
      { customer_id: "c4", reasons: ["long_silence", "fewer_visits"] },
      // one purchase, silent 61 > 2 x 29 (population median gap): single_purchase, never long_silence
      { customer_id: "c7", reasons: ["single_purchase", "low_p_alive"] },
    ]);
  });
});

// Backtest: holdout from 2024-01-01 (calibration_end 2023-12-31) to as_of 2024-06-30. First purchases 2022-12-31
// (tenure exactly 365 days, so yearly value = revenue) except k10 (2020-01-01, 1460 days, silent 760: long gone).
// k: p_alive, revenue, last purchase (silence), holdout purchases -> loss = (1 - p) x revenue
//  k1 0.1 1000 06-01 (213) 0 -> 900      k2 0.2 2000 09-01 (121) 2 -> 1600    k3 0.9 5000 12-20 (11) 3 -> 500
//  k4 0.5  600 08-01 (152) 0 -> 300      k5 0.05 400 03-01 (305) 0 -> 380     k6 0.7 3000 10-02 (90) 0 -> 900
//  k7 0.95 8000 12-30 (1) 5 -> 400       k8 0.3 100 05-01 (244) 0 -> 70       k9 0.6 1500 11-01 (60) 1 -> 600
//  k10 0.02 2500 2021-12-01 (760) 0      k11 0.4 900 07-01 (183) 0 -> 540     k12 0.8 700 12-01 (30) 1 -> 140
// 11 active -> list of ceil(0.25 x 11) = 3: k2 (1600), k6 (900, value 3000), k1 (900, value 1000). Lapsed: k6, k1.
// Lapsers: k1 k4 k5 k6 k8 k10 k11 = 7 of 12, calibration revenue 8500 -> captured (3000 + 1000) / 8500.
// Naive rule: silent >= 90 days (k6 at exactly 90 counts): k6 3000, k10 2500, k2 2000 -> lapsed k6, k10 = 5500 / 8500.
describe("pAliveThreshold", () => {
  it("decides which rows carry low_p_alive (at 0.25: c1 at 0.2 does, c7 at 0.3 no longer)", async () => {
    const db = await current(1, 0.25);
    const rows = await db.all<{ customer_id: string }>(
      "select customer_id from churn_risk where list_contains(reasons, 'low_p_alive') order by 1",
    );
    expect(rows.map((r) => r.customer_id)).toEqual(["c1"]);
  });
});

describe("churn_backtest", () => {
  it("scores the list the calibration data would have produced, and the naive rule at the same size", async () => {
    const { db, run } = await setup({ asOf: "2024-06-30", holdoutStart: "2024-01-01", churnListShare: 0.25 });
    const k = [
      ["k1", 0.1, 1000, "2023-06-01", 0],
      ["k2", 0.2, 2000, "2023-09-01", 2],
      ["k3", 0.9, 5000, "2023-12-20", 3],
      ["k4", 0.5, 600, "2023-08-01", 0],
      ["k5", 0.05, 400, "2023-03-01", 0],
      ["k6", 0.7, 3000, "2023-10-02", 0],
      ["k7", 0.95, 8000, "2023-12-30", 5],
      ["k8", 0.3, 100, "2023-05-01", 0],
      ["k9", 0.6, 1500, "2023-11-01", 1],
      ["k10", 0.02, 2500, "2021-12-01", 0],
      ["k11", 0.4, 900, "2023-07-01", 0],
      ["k12", 0.8, 700, "2023-12-01", 1],
    ] as const;
    await table(db, "customer_clv", CLV, []);
    await table(db, "customer_summary", SUMMARY, []);
    await table(
      db,
      "int_calibration_clv",
      CLV,
      k.map(([id, p]) => [id, p, 0]),
    );
    await table(
      db,
      "int_calibration_summary",
      CALIBRATION,
      k.map(([id, , revenue, last, holdout]) => [
        id,
        "2023-12-31",
        revenue,
        id === "k10" ? "2020-01-01" : "2022-12-31",
        last,
        holdout,
      ]),
    );
    await run("int_churn_scores", "churn_backtest");
    const listed = await db.all<{ customer_id: string }>(
      "select customer_id from int_churn_scores where on_list order by list_rank",
    );
    expect(listed.map((r) => r.customer_id)).toEqual(["k2", "k6", "k1"]);
    const rows = await db.all<Record<string, unknown>>("select * from churn_backtest order by method");
    const common = {
      calibration_end: "2023-12-31",
      holdout_end: "2024-06-30",
      customers: 12,
      list_size: 3,
      listed: 3,
      lapsed_customers: 7,
    };
    expect(rows[0]).toMatchObject({ method: "churn_list", ...common, listed_lapsed: 2, captured_revenue: 4000 });
    expect(rows[1]).toMatchObject({ method: "naive_rule", ...common, listed_lapsed: 2, captured_revenue: 5500 });
    expect(rows[0].precision as number).toBeCloseTo(2 / 3, 12);
    expect(rows[0].base_lapse_rate as number).toBeCloseTo(7 / 12, 12);
    expect(rows[0].lapsed_revenue_captured as number).toBeCloseTo(4000 / 8500, 12);
    expect(rows[1].lapsed_revenue_captured as number).toBeCloseTo(5500 / 8500, 12);
  });

  it("is empty without a holdout", async () => {
    const { db, run } = await setup({ asOf: "2024-06-30" });
    await table(db, "customer_clv", CLV, CURRENT_CLV);
    await table(db, "customer_summary", SUMMARY, CURRENT_SUMMARY);
    await table(db, "int_calibration_clv", CLV, []);
    await table(db, "int_calibration_summary", CALIBRATION, []);
    await run("int_churn_scores", "churn_backtest");
    expect(await db.all("select * from churn_backtest")).toEqual([]);
  });
});

// win_back, as of 2024-06-30. Revenues of the 9 customers sorted: 10 20 30 40 850 950 1000 1100 1200 -> the 75th
// percentile (quantile_cont, h = 0.75 x 8 = 6) is 1000 exactly.
//   w9 1200, no model (p NULL), silent 395 > 365 days -> listed, rank 1
//   w1 1000 (at the threshold: >= counts), p 0.05 < 0.1 -> listed, rank 2
//   w2 1100 but p 0.5 (not lost); w4 950 p 0.02 but on today's churn list; w3 850 and s1..s4 below the threshold
describe("win_back", () => {
  it("lists lost customers of high past value that are not on the churn list, by revenue", async () => {
    const { db, run } = await setup({ asOf: "2024-06-30" });
    const people: Array<[string, number, number | null, string]> = [
      ["w1", 1000, 0.05, "2024-01-01"],
      ["w2", 1100, 0.5, "2024-01-01"],
      ["w3", 850, 0.01, "2024-01-01"],
      ["w4", 950, 0.02, "2024-01-01"],
      ["w9", 1200, null, "2023-06-01"],
      ["s1", 10, 0.01, "2024-01-01"],
      ["s2", 20, 0.01, "2024-01-01"],
      ["s3", 30, 0.01, "2024-01-01"],
      ["s4", 40, 0.01, "2024-01-01"],
    ];
    await table(
      db,
      "customer_summary",
      `${SUMMARY}, orders integer`,
      people.map(([id, rev, , last]) => [id, rev, "2022-01-01", last, 3]),
    );
    await table(
      db,
      "customer_clv",
      CLV,
      people.map(([id, , p]) => [id, p, 0]),
    );
    await table(db, "churn_risk", "customer_id varchar", [["w4"]]);
    await run("win_back");
    expect(await db.all("select customer_id, revenue, days_silent, rank from win_back order by rank")).toEqual([
      { customer_id: "w9", revenue: 1200, days_silent: 395, rank: 1 },
      { customer_id: "w1", revenue: 1000, days_silent: 181, rank: 2 },
    ]);
  });
});

// value_matrix_backtest: quadrant I has q1 (0 holdout purchases, revenue 0, p 0.1) and q2 (2, 50, p 0.3):
// active 1/2, purchases 1, revenue 25, mean p 0.2; quadrant IV has q3 (4, 400, p 0.9): 1, 4, 400, 0.9.
describe("value_matrix_backtest", () => {
  it("says what each calibration quadrant's customers did in the holdout", async () => {
    const { db, run } = await setup({ asOf: "2024-06-30", holdoutStart: "2024-01-01" });
    await table(db, "int_calibration_value_matrix", "customer_id varchar, quadrant varchar, p_alive double", [
      ["q1", "I", 0.1],
      ["q2", "I", 0.3],
      ["q3", "IV", 0.9],
    ]);
    await table(
      db,
      "int_calibration_summary",
      "customer_id varchar, holdout_purchases integer, holdout_revenue double",
      [
        ["q1", 0, 0],
        ["q2", 2, 50],
        ["q3", 4, 400],
      ],
    );
    await run("value_matrix_backtest");
    const rows = await db.all<Record<string, number | string>>("select * from value_matrix_backtest order by quadrant");
    expect(rows).toMatchObject([
      {
        quadrant: "I",
        customers: 2,
        active_share: 0.5,
        holdout_purchases_per_customer: 1,
        holdout_revenue_per_customer: 25,
      },
      {
        quadrant: "IV",
        customers: 1,
        active_share: 1,
        holdout_purchases_per_customer: 4,
        holdout_revenue_per_customer: 400,
      },
    ]);
    expect(rows[0].mean_p_alive as number).toBeCloseTo(0.2, 12);
  });
});
