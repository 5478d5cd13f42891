/**
 * CRM operations marts on the hand-made fixture in test/fixtures/crm/accounts.ts (as of 2024-06-30; 2024 is a leap
 * year, so February has 29 days). Every expected number is worked out by hand in the comments.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFixture, type PipelineDb } from "../helpers/pipeline.ts";
import { crmConfig, crmFixture } from "../fixtures/crm/accounts.ts";

const MARTS = [
  "receivables_aging",
  "receivables_summary",
  "credit_grade",
  "complaint_stats",
  "complaint_retention",
  "visit_effect",
];

let p: PipelineDb;
beforeAll(async () => {
  p = await runFixture(crmFixture, { config: crmConfig, only: MARTS });
});
afterAll(async () => {
  await p?.db.close();
});

/** not null + unique on a mart's grain. */
async function expectGrain(table: string, keys: string[]) {
  const cols = keys.join(", ");
  const nulls = await p.rows<{ n: number }>(
    `select count(*)::integer as n from ${table} where ${keys.map((k) => `${k} is null`).join(" or ")}`,
  );
  expect(nulls[0].n, `${table}: null in (${cols})`).toBe(0);
  const dups = await p.rows<{ n: number }>(
    `select count(*)::integer as n from (select ${cols} from ${table} group by all having count(*) > 1)`,
  );
  expect(dups[0].n, `${table}: duplicate (${cols})`).toBe(0);
}

describe("grain (not null + unique)", () => {
  it.each([
    ["receivables_aging", ["customer_id"]],
    ["receivables_summary", ["bucket"]],
    ["credit_grade", ["customer_id"]],
    ["complaint_stats", ["category", "severity"]],
    ["complaint_retention", ["cohort"]],
    ["visit_effect", ["sales_rep", "kind"]],
    ["int_crm_accounts", ["customer_id"]],
    ["int_crm_invoices", ["invoice_id"]],
  ])("%s on %j", async (table, keys) => {
    await expectGrain(table, keys as string[]);
  });
});

describe("int_crm_accounts", () => {
  it("gives every customer an owner: customers file, else last transaction rep, else unassigned", async () => {
    const rows = await p.rows<{ customer_id: string; sales_rep: string; revenue: number }>(
      "select customer_id, sales_rep, revenue from int_crm_accounts order by customer_id",
    );
    // C7, C8 only have invoices. C3 has a row with no rep -> last transaction (Zhao); C4 has no row -> last transaction 2024-06-01 (Li, not
    // the earlier Wang); C9, C10 no rep anywhere; C11 only bought after as_of -> absent.
    expect(rows.map((r) => [r.customer_id, r.sales_rep])).toEqual([
      ["C1", "Wang"],
      ["C10", "unassigned"],
      ["C2", "Li"],
      ["C3", "Zhao"],
      ["C4", "Li"],
      ["C5", "Wang"],
      ["C6", "Li"],
      ["C7", "unassigned"],
      ["C8", "unassigned"],
      ["C9", "unassigned"],
    ]);
    // C1: 100 + 20 + 200 + 50 = 370; C2: 300 - 50 = 250 (refund nets); C5 never bought: 0
    expect(rows.find((r) => r.customer_id === "C1")!.revenue).toBe(370);
    expect(rows.find((r) => r.customer_id === "C2")!.revenue).toBe(250);
    expect(rows.find((r) => r.customer_id === "C5")!.revenue).toBe(0);
  });
});

describe("receivables_aging", () => {
  it("buckets open amounts per customer by days past due at as_of", async () => {
    const rows = await p.rows("select * from receivables_aging order by customer_id");
    // I1, I2 paid, I7 paid (date unknown), I13 paid, I9 issued after as_of: none of them open. C7 owes nothing.
    expect(rows.map((r) => r.customer_id)).toEqual(["C1", "C2", "C3", "C4", "C6", "C8"]);
    const by = Object.fromEntries(rows.map((r) => [r.customer_id, r]));
    // C1: I3 50 not due until 07-20 (current); I10 30 due 04-20: 10 (Apr) + 31 (May) + 30 (Jun) = 71 days -> 61-90
    expect(by.C1).toMatchObject({
      sales_rep: "Wang",
      open_invoices: 2,
      amount_current: 50,
      amount_61_90: 30,
      amount_90_plus: 0,
      total_open: 80,
      overdue_amount: 30,
      max_days_overdue: 71,
      oldest_due_at: "2024-04-20",
      credit_limit: 1000,
    });
    expect(by.C1.utilisation).toBeCloseTo(80 / 1000, 10);
    // C2: I4 300 - 100 paid on 03-01 = 200 open, due 02-01: 28 + 31 + 30 + 31 + 30 = 150 days; I5 100 due 03-31:
    // 30 + 31 + 30 = 91 days -> both 90+; utilisation 300 / 500
    expect(by.C2).toMatchObject({
      open_invoices: 2,
      amount_90_plus: 300,
      total_open: 300,
      overdue_amount: 300,
      max_days_overdue: 150,
    });
    expect(by.C2.utilisation).toBeCloseTo(0.6, 10);
    // C3: I6 80 paid only on 07-05 (after as_of) so fully open; due 06-14 -> 16 days -> 1-30; no limit -> NULL
    expect(by.C3).toMatchObject({
      sales_rep: "Zhao",
      amount_1_30: 80,
      total_open: 80,
      max_days_overdue: 16,
      utilisation: null,
    });
    // C4: I8 60 due 05-15 -> 16 (May) + 30 (Jun) = 46 days -> 31-60
    expect(by.C4).toMatchObject({ amount_31_60: 60, max_days_overdue: 46 });
    // C6: I12 900 due 07-15 -> current, nothing overdue; utilisation 0.9
    expect(by.C6).toMatchObject({ amount_current: 900, overdue_amount: 0, max_days_overdue: 0 });
    expect(by.C8).toMatchObject({ sales_rep: "unassigned", amount_current: 20, total_open: 20 });
  });
});

describe("receivables_summary", () => {
  it("totals each bucket and computes DSO over the last 90 days of invoicing", async () => {
    const rows = await p.rows("select * from receivables_summary order by bucket_order");
    // current: I3 50 + I12 900 + I14 20 = 970 (3 invoices, 3 customers); 1-30: I6 80; 31-60: I8 60; 61-90: I10 30;
    // 90+: I4 200 + I5 100 = 300 (2 invoices, 1 customer). Total 1440.
    expect(rows.map((r) => [r.bucket, r.invoices, r.customers, r.open_amount])).toEqual([
      ["current", 3, 3, 970],
      ["1-30", 1, 1, 80],
      ["31-60", 1, 1, 60],
      ["61-90", 1, 1, 30],
      ["90+", 2, 1, 300],
    ]);
    expect(rows[0].share as number).toBeCloseTo(970 / 1440, 10);
    // credit sales issued in (04-01, 06-30]: I2 200 + I3 50 + I6 80 + I7 40 + I11 500 + I12 900 + I13 10 + I14 20
    // = 1800 (I1 and I8 were issued on 04-01 itself, outside). DSO = 1440 / 1800 x 90 = 72 days.
    expect(rows[0].total_receivables).toBe(1440);
    expect(rows[0].credit_sales_90d).toBe(1800);
    expect(rows[0].dso_days as number).toBeCloseTo(72, 10);
  });
});

describe("credit_grade", () => {
  it("rates payment behaviour and flags defaults since the last review", async () => {
    const rows = await p.rows("select * from credit_grade order by customer_id");
    const by = Object.fromEntries(rows.map((r) => [r.customer_id, r]));
    expect(Object.keys(by)).toEqual(["C1", "C2", "C3", "C4", "C6", "C7", "C8"]);
    // C1: due I1 (on time, 0 late), I2 (paid 06-10 for 05-31: 10 late), I10 (open 71 days): rate 1/3,
    // late (0 + 10 + 71) / 3 = 27 -> C
    expect(by.C1.due_invoices).toBe(3);
    expect(by.C1.on_time_rate as number).toBeCloseTo(1 / 3, 10);
    expect(by.C1.avg_days_late as number).toBeCloseTo(27, 10);
    expect(by.C1).toMatchObject({ credit_grade: "C", defaulted: false, needs_rerating: false });
    // C2: I4 (150 days) and I5 (91 days) open past 90 -> D. I5 crossed 90 days on 03-31 + 91 = 06-30, after the
    // review on 06-01 -> needs re-rating. late (150 + 91) / 2 = 120.5
    expect(by.C2).toMatchObject({
      credit_grade: "D",
      defaulted: true,
      needs_rerating: true,
      on_time_rate: 0,
      last_review: "2024-06-01",
    });
    expect(by.C2.avg_days_late as number).toBeCloseTo(120.5, 10);
    // C3: I6 late (16 days, open), I7 paid on an unknown date (left out of the rate): rate 0/1, late (16 + 0) / 2 = 8 -> C
    expect(by.C3).toMatchObject({ credit_grade: "C", on_time_rate: 0, avg_days_late: 8 });
    // C4: I8 open 46 days -> rate 0 -> C (I9 issued after as_of does not count)
    expect(by.C4).toMatchObject({ credit_grade: "C", invoices: 1, avg_days_late: 46 });
    // C6: I11 paid a day early; I12 900 not due, but 900 / 1000 = 0.9 > 0.8 utilisation -> B
    expect(by.C6).toMatchObject({ credit_grade: "B", on_time_rate: 1, avg_days_late: 0 });
    expect(by.C6.utilisation as number).toBeCloseTo(0.9, 10);
    // C7: paid on the due date, no limit -> A; C8: nothing due yet -> NR
    expect(by.C7).toMatchObject({ credit_grade: "A", on_time_rate: 1 });
    expect(by.C8).toMatchObject({ credit_grade: "NR", due_invoices: 0, on_time_rate: null });
  });

  it("does not flag a default that happened before the review period", async () => {
    // as of 2024-07-15 the review starts 07-01; C2's I5 defaulted on 06-30 and I4 on 05-02: no new default.
    const q = await runFixture(crmFixture, {
      config: { analysis: { asOf: "2024-07-15", cohortPeriod: "month" } },
      only: ["credit_grade"],
    });
    const rows = await q.rows<{ needs_rerating: boolean; credit_grade: string }>(
      "select * from credit_grade where customer_id = 'C2'",
    );
    expect(rows[0]).toMatchObject({ credit_grade: "D", needs_rerating: false });
    await q.db.close();
  });
});

describe("complaint_stats", () => {
  it("counts by category and severity with roll-ups", async () => {
    const rows = await p.rows("select * from complaint_stats");
    const key = (c: string, s: string) => rows.find((r) => r.category === c && r.severity === s)!;
    // K5 opened after as_of is left out. 3 cells + 2 category + 2 severity roll-ups + total = 8 rows
    expect(rows).toHaveLength(8);
    // quality/high: K1 (2 days), K4 (open: resolved after as_of), K6 (6 hours = 0.25 days): median (0.25, 2) = 1.125
    expect(key("quality", "high")).toMatchObject({
      complaints: 3,
      customers: 3,
      open_complaints: 1,
      resolved_complaints: 2,
      good_faith: 2,
      bad_faith: 0,
      good_faith_unknown: 1,
    });
    expect(key("quality", "high").median_days_to_resolve as number).toBeCloseTo(1.125, 10);
    expect(key("delivery", "low")).toMatchObject({ complaints: 1, open_complaints: 1, median_days_to_resolve: null });
    // quality: resolved in 2, 20, 0.25 days -> median 2, mean 22.25 / 3
    expect(key("quality", "(all)")).toMatchObject({
      complaints: 4,
      customers: 3,
      resolved_complaints: 3,
      median_days_to_resolve: 2,
    });
    expect(key("quality", "(all)").mean_days_to_resolve as number).toBeCloseTo(22.25 / 3, 10);
    expect(key("(all)", "low")).toMatchObject({
      complaints: 2,
      customers: 2,
      open_complaints: 1,
      median_days_to_resolve: 20,
      good_faith: 1,
      bad_faith: 1,
    });
    expect(key("(all)", "(all)")).toMatchObject({
      complaints: 5,
      customers: 3,
      open_complaints: 2,
      resolved_complaints: 3,
      good_faith: 3,
      bad_faith: 1,
      good_faith_unknown: 1,
      median_days_to_resolve: 2,
    });
  });
});

describe("complaint_stats at the as_of boundary", () => {
  it("counts a complaint resolved on as_of (late that day) as resolved, one resolved the day after as open", async () => {
    const complaints = [
      {
        complaint_id: "B1",
        customer_id: "C3",
        opened_at: "2024-06-10 11:00:00",
        resolved_at: "2024-06-30 23:00:00",
        category: "quality",
        severity: "low",
      },
      {
        complaint_id: "B2",
        customer_id: "C4",
        opened_at: "2024-06-15 09:00:00",
        resolved_at: "2024-07-01 00:30:00",
        category: "delivery",
        severity: "low",
      },
    ];
    const q = await runFixture({ ...crmFixture, complaints }, { config: crmConfig, only: ["complaint_stats"] });
    try {
      const rows = await q.rows("select * from complaint_stats where severity = '(all)'");
      const key = (c: string) => rows.find((r) => r.category === c)!;
      // B1: 20 days 12 hours = 20.5 days to resolve
      expect(key("quality")).toMatchObject({
        complaints: 1,
        open_complaints: 0,
        resolved_complaints: 1,
        median_days_to_resolve: 20.5,
      });
      expect(key("delivery")).toMatchObject({
        complaints: 1,
        open_complaints: 1,
        resolved_complaints: 0,
        median_days_to_resolve: null,
      });
    } finally {
      await q.db.close();
    }
  });
});

describe("complaint_retention", () => {
  it("compares buying again within 90 days after a complaint with non-complainers", async () => {
    const rows = await p.rows("select * from complaint_retention order by cohort_order");
    // First complaints opened by 04-01 (as_of - 90): C1 K1 01-10 (fast, 2 days) bought 03-15 -> retained;
    // C2 K3 02-01 (slow, 20 days): only a refund on 04-15 -> not; C3 K4 03-01 (open at as_of): next buy 06-05 is
    // after 05-30 -> not. Control date = median(01-10, 02-01, 03-01) = 02-01; non-complainers who had bought by then:
    // C4 (next buy 06-01, after 05-01: not) and C9 (02-20: retained); C10 first bought 03-01, too late.
    // Everyone counted bought in the 180 days up to their reference date (C1 01-10, C2 02-01, C3 03-01, C4 2023-12-01,
    // C9 01-05).
    expect(rows.map((r) => [r.cohort, r.customers, r.retained, r.retention_rate])).toEqual([
      ["resolved_fast", 1, 1, 1],
      ["resolved_slow", 1, 0, 0],
      ["unresolved", 1, 0, 0],
      ["no_complaint", 2, 1, 0.5],
    ]);
    expect(rows[3].reference_date).toBe("2024-02-01");
  });
});

describe("visit_effect", () => {
  it("compares conversion after visits with unvisited customer-windows", async () => {
    const rows = await p.rows("select * from visit_effect");
    const key = (r: string, k: string) => rows.find((x) => x.sales_rep === r && x.kind === k)!;
    // Complete visits (<= 05-31) to existing customers: V1 C1 call 04-20 -> bought 05-01 (converted); V2 C2 visit
    // 05-10 (rep from owner: Li) -> nothing by 06-09; V3 C4 visit 05-05 -> bought 06-01 (converted).
    // V4 (06-10) has an incomplete window; V5 visits a prospect.
    // Windows: first visit 04-20 -> floor((05-31 - 04-20) / 30) + 1 = floor(41 / 30) + 1 = 2 windows starting 05-31
    // and 05-01. Start 05-31: visits in (05-01, 06-30] exclude C1, C2, C4 -> C3 (bought 06-05: yes), C9, C10 (no).
    // Start 05-01: visits in (04-01, 05-31] exclude C1, C2, C4 -> C3 (no), C9 (05-20: yes), C10 (no).
    // Baseline 2 / 6; Zhao (C3) 1 / 2, unassigned (C9, C10) 1 / 4; Li and Wang have no unvisited windows.
    expect(rows).toHaveLength(7);
    expect(key("Li", "visit")).toMatchObject({
      visits: 2,
      visits_converted: 1,
      conversion_rate: 0.5,
      baseline_windows: 0,
      baseline_rate: null,
      uplift: null,
      window_days: 30,
    });
    expect(key("Wang", "call")).toMatchObject({ visits: 1, visits_converted: 1, conversion_rate: 1 });
    expect(key("(all)", "call")).toMatchObject({ visits: 1, baseline_windows: 6, baseline_converted: 2 });
    expect(key("(all)", "call").uplift as number).toBeCloseTo(1 - 1 / 3, 10);
    expect(key("(all)", "visit").uplift as number).toBeCloseTo(0.5 - 1 / 3, 10);
    expect(key("(all)", "(all)")).toMatchObject({ visits: 3, visits_converted: 2 });
    expect(key("(all)", "(all)").uplift as number).toBeCloseTo(2 / 3 - 1 / 3, 10);
  });
});
