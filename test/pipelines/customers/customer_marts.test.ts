/**
 * Customer metric marts on the hand-made shop (test/fixtures/metrics/shop.ts), asOf 2024-06-30, period week,
 * cohortPeriod month. Every expected value is worked out by hand in the comments (day-of-year arithmetic from the
 * fixture header: Jan d = d, Feb d = 31 + d, Mar d = 60 + d, Apr d = 91 + d, May d = 121 + d, Jun d = 152 + d).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFixture, type PipelineDb } from "../../helpers/pipeline.ts";
import { AS_OF, shop, shopTransactionsOnly } from "../../fixtures/metrics/shop.ts";

type Row = Record<string, any>;

const MARTS = [
  "customer_summary",
  "purchase_frequency",
  "purchase_frequency_distribution",
  "interpurchase_histogram",
  "cohort_retention",
  "rfm_scores",
  "customer_grades",
  "pareto_revenue",
  "sales_by_region",
  "sales_by_rep",
  "sales_by_category",
];

const config = { analysis: { asOf: AS_OF, period: "week", cohortPeriod: "month" } };
let p: PipelineDb;

beforeAll(async () => {
  p = await runFixture(shop, { config, only: MARTS });
});
afterAll(async () => p?.db.close());

const byId = (rows: Row[], key = "customer_id") => Object.fromEntries(rows.map((r) => [r[key], r]));

/** Compare numbers with toBeCloseTo and everything else exactly. */
function expectRow(actual: Row | undefined, expected: Row, label: string) {
  expect(actual, label).toBeDefined();
  for (const [k, v] of Object.entries(expected)) {
    if (typeof v === "number" && !Number.isInteger(v)) expect(actual![k], `${label}.${k}`).toBeCloseTo(v, 9);
    else expect(actual![k], `${label}.${k}`).toEqual(v);
  }
}

describe("grain: not null + unique keys of every mart", () => {
  const keys: Record<string, string[]> = {
    customer_summary: ["customer_id"],
    purchase_frequency: ["customer_id"],
    purchase_frequency_distribution: ["bucket"],
    interpurchase_histogram: ["bin_start"],
    cohort_retention: ["cohort", "period_index"],
    rfm_scores: ["customer_id"],
    customer_grades: ["customer_id"],
    pareto_revenue: ["customer_id"],
    sales_by_region: ["period", "region"],
    sales_by_rep: ["period", "sales_rep"],
    sales_by_category: ["period", "category"],
  };
  for (const [mart, cols] of Object.entries(keys)) {
    it(mart, async () => {
      const nullCheck = cols.map((c) => `${c} is null`).join(" or ");
      const [r] = await p.rows<Row>(`
        select count(*)::integer as n, count(distinct (${cols.join(", ")}))::integer as distinct_keys,
               count(*) filter (where ${nullCheck})::integer as null_keys
        from ${mart}`);
      expect(r.n).toBeGreaterThan(0);
      expect(r.null_keys).toBe(0);
      expect(r.distinct_keys).toBe(r.n);
    });
  }
});

describe("customer_summary", () => {
  it("has one row per customer with a purchase on or before asOf (c04 only buys after it)", async () => {
    const rows = await p.rows<Row>("select customer_id from customer_summary order by customer_id");
    expect(rows.map((r) => r.customer_id)).toEqual([
      "c01",
      "c02",
      "c03",
      "c05",
      "c06",
      "c07",
      "c08",
      "c09",
      "c10",
      "c11",
      "c12",
    ]);
  });

  it("matches the hand-computed summary", async () => {
    const rows = byId(await p.rows<Row>("select * from customer_summary"));
    const w = 7; // period = week
    // c01: one purchase Jun 1 (153): frequency 0, recency 0, T = (182 - 153) / 7 = 29/7, monetary 0
    expectRow(
      rows.c01,
      {
        first_purchase: "2024-06-01",
        last_purchase: "2024-06-01",
        orders: 1,
        revenue: 100,
        avg_order_value: 100,
        frequency: 0,
        recency: 0,
        T: 29 / w,
        monetary_value: 0,
      },
      "c01",
    );
    // c02: days Jan 10 (50 + 30 = 80) and Feb 10 (40): frequency 1, recency (41 - 10) / 7, T = (182 - 10) / 7,
    // monetary = 40 (the repeat day); orders 3, revenue 120, aov 120 / 3 = 40
    expectRow(
      rows.c02,
      {
        first_purchase: "2024-01-10",
        last_purchase: "2024-02-10",
        orders: 3,
        revenue: 120,
        avg_order_value: 40,
        frequency: 1,
        recency: 31 / w,
        T: 172 / w,
        monetary_value: 40,
      },
      "c02",
    );
    // c03: purchase Mar 1 (61) 100, refund-only day Mar 15 -150 (not a purchase): revenue -50, aov -50 / 1
    expectRow(
      rows.c03,
      {
        first_purchase: "2024-03-01",
        last_purchase: "2024-03-01",
        orders: 1,
        revenue: -50,
        avg_order_value: -50,
        frequency: 0,
        recency: 0,
        T: 121 / w,
        monetary_value: 0,
      },
      "c03",
    );
    // c05: days Apr 1 (92) net 100 - 30 = 70, May 1 (122) 60, Jun 1 (153) 90: frequency 2, recency 61/7,
    // T = 90/7, monetary (60 + 90) / 2 = 75; orders o8, o10, o11 = 3 (the refund line is no order); revenue 220
    expectRow(
      rows.c05,
      {
        first_purchase: "2024-04-01",
        last_purchase: "2024-06-01",
        orders: 3,
        revenue: 220,
        avg_order_value: 220 / 3,
        frequency: 2,
        recency: 61 / w,
        T: 90 / w,
        monetary_value: 75,
      },
      "c05",
    );
    // c06: Feb 1 (32) 100; Mar 1 nets 20 - 50 = -30 -> no purchase day: frequency 0, last purchase Feb 1;
    // orders o12, o13 = 2, revenue 70, aov 35
    expectRow(
      rows.c06,
      {
        first_purchase: "2024-02-01",
        last_purchase: "2024-02-01",
        orders: 2,
        revenue: 70,
        avg_order_value: 35,
        frequency: 0,
        recency: 0,
        T: 150 / w,
        monetary_value: 0,
      },
      "c06",
    );
    // c07: May 1 (122) 0.00 and May 15 (136) 25: frequency 1, recency 14/7 = 2, T = 60/7, monetary 25, aov 12.5
    expectRow(
      rows.c07,
      {
        first_purchase: "2024-05-01",
        last_purchase: "2024-05-15",
        orders: 2,
        revenue: 25,
        avg_order_value: 12.5,
        frequency: 1,
        recency: 2,
        T: 60 / w,
        monetary_value: 25,
      },
      "c07",
    );
    // c08: Jan 5, 19, Feb 2, 16, Mar 1 (5, 19, 33, 47, 61) 10 each: frequency 4, recency 56/7 = 8, T = 177/7
    expectRow(
      rows.c08,
      {
        first_purchase: "2024-01-05",
        last_purchase: "2024-03-01",
        orders: 5,
        revenue: 50,
        avg_order_value: 10,
        frequency: 4,
        recency: 8,
        T: 177 / w,
        monetary_value: 10,
      },
      "c08",
    );
    // c09: Jun 20 (172) 1000, Jun 28 (180) 500: frequency 1, recency 8/7, T 10/7, monetary 500, aov 750
    expectRow(
      rows.c09,
      {
        first_purchase: "2024-06-20",
        last_purchase: "2024-06-28",
        orders: 2,
        revenue: 1500,
        avg_order_value: 750,
        frequency: 1,
        recency: 8 / w,
        T: 10 / w,
        monetary_value: 500,
      },
      "c09",
    );
    // c10: Jun 30 at 18:00 counts (as_of is a day), Jul 1 does not: T = 0, revenue 40
    expectRow(
      rows.c10,
      {
        first_purchase: "2024-06-30",
        last_purchase: "2024-06-30",
        orders: 1,
        revenue: 40,
        avg_order_value: 40,
        frequency: 0,
        recency: 0,
        T: 0,
        monetary_value: 0,
      },
      "c10",
    );
    // c11: order o26 of two lines (15 + 25) on Mar 10 (70), o27 Apr 10 (101): orders 2, frequency 1, recency 31/7,
    // T = 112/7 = 16, monetary 40
    expectRow(
      rows.c11,
      {
        first_purchase: "2024-03-10",
        last_purchase: "2024-04-10",
        orders: 2,
        revenue: 80,
        avg_order_value: 40,
        frequency: 1,
        recency: 31 / w,
        T: 16,
        monetary_value: 40,
      },
      "c11",
    );
    // c12: 2023-12-20 (-11) 60, Jun 15 (167) 30: recency 178/7, T = 193/7, monetary 30
    expectRow(
      rows.c12,
      {
        first_purchase: "2023-12-20",
        last_purchase: "2024-06-15",
        orders: 2,
        revenue: 90,
        avg_order_value: 45,
        frequency: 1,
        recency: 178 / w,
        T: 193 / w,
        monetary_value: 30,
      },
      "c12",
    );
  });

  it("counts every order at purchaseGrain 'order' (a multi-line order is still one)", async () => {
    const q = await runFixture(shopTransactionsOnly, {
      config: { analysis: { ...config.analysis, purchaseGrain: "order" } },
      only: ["customer_summary"],
    });
    const rows = byId(await q.rows<Row>("select * from customer_summary"));
    // c02: orders o2 (Jan 10, 50), o3 (Jan 10, 30), o4 (Feb 10, 40): frequency 2; the first is o2 (same day, key
    // order), so monetary = (30 + 40) / 2 = 35; recency still (41 - 10) / 7
    expectRow(rows.c02, { frequency: 2, monetary_value: 35, recency: 31 / 7 }, "c02");
    // c11: o26 (two lines, 40) and o27 (40): frequency 1, monetary 40
    expectRow(rows.c11, { frequency: 1, monetary_value: 40 }, "c11");
    // c05: o9 is a refund-only order (-30): not a purchase; o8 100, o10 60, o11 90 -> frequency 2, monetary 75
    expectRow(rows.c05, { frequency: 2, monetary_value: 75 }, "c05");
    await q.db.close();
  });

  it("measures recency and T in months of 365.25/12 days with period = month", async () => {
    const q = await runFixture(shopTransactionsOnly, {
      config: { analysis: { ...config.analysis, period: "month" } },
      only: ["customer_summary"],
    });
    const rows = byId(await q.rows<Row>("select * from customer_summary"));
    // c12: recency 178 days / 30.4375 = 5.8480..., T = 193 / 30.4375
    expectRow(rows.c12, { recency: 178 / 30.4375, T: 193 / 30.4375 }, "c12");
    await q.db.close();
  });
});

describe("purchase_frequency", () => {
  it("matches the hand-computed rhythm", async () => {
    const rows = byId(await p.rows<Row>("select * from purchase_frequency"));
    expect(Object.keys(rows).sort()).toHaveLength(11);
    // orders_per_period = orders / greatest(T weeks, 1)
    // c01: 1 / (29/7); one purchase: no gaps, not overdue; 182 - 153 = 29 days since
    expectRow(
      rows.c01,
      {
        orders: 1,
        orders_per_period: 7 / 29,
        median_gap_days: null,
        mean_gap_days: null,
        days_since_last_purchase: 29,
        expected_next_purchase: null,
        is_overdue: false,
      },
      "c01",
    );
    // c02: 3 / (172/7); gap 41 - 10 = 31; next = Feb 10 + 31 = Mar 12 < Jun 30 -> overdue; 182 - 41 = 141 days
    expectRow(
      rows.c02,
      {
        orders: 3,
        orders_per_period: 21 / 172,
        median_gap_days: 31,
        mean_gap_days: 31,
        days_since_last_purchase: 141,
        expected_next_purchase: "2024-03-12",
        is_overdue: true,
      },
      "c02",
    );
    // c05: 3 / (90/7) = 7/30; gaps 30, 31 -> median = mean = 30.5, rounded up to 31: Jun 1 + 31 = Jul 2 -> not overdue
    expectRow(
      rows.c05,
      {
        orders: 3,
        orders_per_period: 7 / 30,
        median_gap_days: 30.5,
        mean_gap_days: 30.5,
        days_since_last_purchase: 29,
        expected_next_purchase: "2024-07-02",
        is_overdue: false,
      },
      "c05",
    );
    // c06: no repeat purchase day (Mar 1 nets -30): 2 / (150/7) = 7/75; 182 - 32 = 150 days
    expectRow(
      rows.c06,
      { orders: 2, orders_per_period: 7 / 75, median_gap_days: null, days_since_last_purchase: 150, is_overdue: false },
      "c06",
    );
    // c07: gap 14; May 15 + 14 = May 29 -> overdue; 182 - 136 = 46
    expectRow(
      rows.c07,
      {
        orders: 2,
        orders_per_period: 7 / 30,
        median_gap_days: 14,
        days_since_last_purchase: 46,
        expected_next_purchase: "2024-05-29",
        is_overdue: true,
      },
      "c07",
    );
    // c08: four gaps of 14: Mar 1 + 14 = Mar 15 -> overdue; 5 / (177/7) = 35/177; 182 - 61 = 121
    expectRow(
      rows.c08,
      {
        orders: 5,
        orders_per_period: 35 / 177,
        median_gap_days: 14,
        mean_gap_days: 14,
        days_since_last_purchase: 121,
        expected_next_purchase: "2024-03-15",
        is_overdue: true,
      },
      "c08",
    );
    // c09: T = 10/7 weeks: 2 / (10/7) = 1.4; gap 8: Jun 28 + 8 = Jul 6 -> not overdue
    expectRow(
      rows.c09,
      {
        orders: 2,
        orders_per_period: 1.4,
        median_gap_days: 8,
        days_since_last_purchase: 2,
        expected_next_purchase: "2024-07-06",
        is_overdue: false,
      },
      "c09",
    );
    // c10: T = 0 counts as one period: 1 / 1
    expectRow(rows.c10, { orders: 1, orders_per_period: 1, days_since_last_purchase: 0, is_overdue: false }, "c10");
    // c11: 2 / 16 = 0.125; gap 31: Apr 10 + 31 = May 11 -> overdue; 182 - 101 = 81
    expectRow(
      rows.c11,
      {
        orders: 2,
        orders_per_period: 0.125,
        median_gap_days: 31,
        days_since_last_purchase: 81,
        expected_next_purchase: "2024-05-11",
        is_overdue: true,
      },
      "c11",
    );
    // c12: gap 178 (Dec 20 -> Jun 15): Jun 15 + 178 = Dec 10 -> not overdue; 2 / (193/7) = 14/193
    expectRow(
      rows.c12,
      {
        orders: 2,
        orders_per_period: 14 / 193,
        median_gap_days: 178,
        days_since_last_purchase: 15,
        expected_next_purchase: "2024-12-10",
        is_overdue: false,
      },
      "c12",
    );
  });

  it("distributes customers over order-count buckets, all five present", async () => {
    const rows = await p.rows<Row>(
      "select bucket, customers, share, revenue, revenue_share from purchase_frequency_distribution order by bucket_order",
    );
    // orders: 1 -> c01, c03, c10 (revenue 100 - 50 + 40 = 90); 2 -> c06, c07, c09, c11, c12 (70 + 25 + 1500 + 80 + 90
    // = 1765); 3-5 -> c02 (3), c05 (3), c08 (5) (120 + 220 + 50 = 390); total 11 customers, revenue 2245
    expect(rows.map((r) => [r.bucket, r.customers, r.revenue])).toEqual([
      ["1", 3, 90],
      ["2", 5, 1765],
      ["3-5", 3, 390],
      ["6-10", 0, 0],
      ["11+", 0, 0],
    ]);
    expect(rows[0].share).toBeCloseTo(3 / 11, 12);
    expect(rows[1].share).toBeCloseTo(5 / 11, 12);
    expect(rows[3].share).toBe(0);
    expect(rows[1].revenue_share).toBeCloseTo(1765 / 2245, 12);
  });

  it("bins inter-purchase gaps", async () => {
    const rows = await p.rows<Row>("select bin_start, bin_end, gaps from interpurchase_histogram order by bin_start");
    // gaps: c02 31; c05 30, 31; c07 14; c08 14 x4; c09 8; c11 31; c12 178 (11 gaps)
    // [0,7) 0; [7,14) 8 -> 1; [14,30) 14 x5; [30,60) 31, 30, 31, 31 -> 4; [90,180) 178 -> 1
    expect(rows.map((r) => [r.bin_start, r.bin_end, r.gaps])).toEqual([
      [0, 7, 0],
      [7, 14, 1],
      [14, 30, 5],
      [30, 60, 4],
      [60, 90, 0],
      [90, 180, 1],
      [180, 365, 0],
      [365, null, 0],
    ]);
  });
});

describe("cohort_retention", () => {
  it("has the full grid: one row per cohort month and month up to June", async () => {
    const rows = await p.rows<Row>(
      "select cohort, count(*)::integer as n, max(cohort_size) as size from cohort_retention group by cohort order by cohort",
    );
    // cohorts: 2023-12 c12; 2024-01 c02, c08; 02 c06; 03 c03, c11; 04 c05; 05 c07; 06 c01, c09, c10 (11 in all)
    // periods up to June: 7, 6, 5, 4, 3, 2, 1
    expect(rows.map((r) => [r.cohort, r.n, r.size])).toEqual([
      ["2023-12-01", 7, 1],
      ["2024-01-01", 6, 2],
      ["2024-02-01", 5, 1],
      ["2024-03-01", 4, 2],
      ["2024-04-01", 3, 1],
      ["2024-05-01", 2, 1],
      ["2024-06-01", 1, 3],
    ]);
  });

  it("matches hand-computed retention and revenue", async () => {
    const rows = await p.rows<Row>("select * from cohort_retention order by cohort, period_index");
    const of = (cohort: string) => rows.filter((r) => r.cohort === cohort);
    // 2024-01 (c02, c08): Jan both (80 + 20 = 100); Feb both (40 + 20 = 60); Mar c08 (10); Apr-Jun none
    const jan = of("2024-01-01");
    expect(jan.map((r) => r.active_customers)).toEqual([2, 2, 1, 0, 0, 0]);
    expect(jan.map((r) => r.retention_rate)).toEqual([1, 1, 0.5, 0, 0, 0]);
    expect(jan.map((r) => r.revenue)).toEqual([100, 60, 10, 0, 0, 0]);
    jan.forEach((r, i) => expect(r.revenue_retention).toBeCloseTo([1, 0.6, 0.1, 0, 0, 0][i], 12));
    // cumulative / 2: 50, 80, 85, 85, 85, 85
    expect(jan.map((r) => r.cumulative_revenue_per_customer)).toEqual([50, 80, 85, 85, 85, 85]);
    expect(jan.map((r) => r.period_start)).toEqual([
      "2024-01-01",
      "2024-02-01",
      "2024-03-01",
      "2024-04-01",
      "2024-05-01",
      "2024-06-01",
    ]);
    // 2024-02 (c06): Feb 100; Mar nets -30 and is no purchase: active 0, revenue -30; cumulative 100, 70, 70...
    const feb = of("2024-02-01");
    expect(feb.map((r) => r.active_customers)).toEqual([1, 0, 0, 0, 0]);
    expect(feb.map((r) => r.revenue)).toEqual([100, -30, 0, 0, 0]);
    expect(feb.map((r) => r.revenue_retention)).toEqual([1, -0.3, 0, 0, 0]);
    expect(feb.map((r) => r.cumulative_revenue_per_customer)).toEqual([100, 70, 70, 70, 70]);
    // 2024-03 (c03, c11): Mar 100 - 150 + 40 = -10 (both active); Apr c11 40; period-0 revenue <= 0 -> no
    // revenue_retention; cumulative / 2: -5, 15, 15, 15
    const mar = of("2024-03-01");
    expect(mar.map((r) => r.retention_rate)).toEqual([1, 0.5, 0, 0]);
    expect(mar.map((r) => r.revenue)).toEqual([-10, 40, 0, 0]);
    expect(mar.map((r) => r.revenue_retention)).toEqual([null, null, null, null]);
    expect(mar.map((r) => r.cumulative_revenue_per_customer)).toEqual([-5, 15, 15, 15]);
    // 2024-04 (c05): 70, 60, 90 every month active; revenue_retention 1, 60/70, 90/70
    const apr = of("2024-04-01");
    expect(apr.map((r) => r.retention_rate)).toEqual([1, 1, 1]);
    expect(apr[1].revenue_retention).toBeCloseTo(60 / 70, 12);
    expect(apr[2].revenue_retention).toBeCloseTo(90 / 70, 12);
    expect(apr.map((r) => r.cumulative_revenue_per_customer)).toEqual([70, 130, 220]);
    // 2023-12 (c12): Dec 60, then nothing until Jun 30 (period 6)
    const dec = of("2023-12-01");
    expect(dec.map((r) => r.active_customers)).toEqual([1, 0, 0, 0, 0, 0, 1]);
    expect(dec[6]).toMatchObject({
      period_index: 6,
      revenue: 30,
      revenue_retention: 0.5,
      cumulative_revenue_per_customer: 90,
    });
    // 2024-06 (c01, c09, c10): 100 + 1500 + 40 = 1640 (c10's Jul 1 order is after asOf)
    const jun = of("2024-06-01");
    expect(jun).toHaveLength(1);
    expect(jun[0]).toMatchObject({
      period_index: 0,
      cohort_size: 3,
      active_customers: 3,
      retention_rate: 1,
      revenue: 1640,
    });
    expect(jun[0].cumulative_revenue_per_customer).toBeCloseTo(1640 / 3, 12);
  });
});

describe("cohort_retention by ISO week", () => {
  it("starts weeks on Monday and fills the grid up to the week holding asOf", async () => {
    // asOf Wed 2024-01-17. a: Mon Jan 1 and Wed Jan 10; b: Wed Jan 3; c: Tue Jan 9.
    // cohorts: week of Jan 1 = {a, b} (size 2), week of Jan 8 = {c}; weeks Jan 1, Jan 8, Jan 15 (k = 0, 1, 2)
    // week Jan 1: active a, b (10 + 20 = 30); Jan 8: a (5) -> 0.5; Jan 15: none -> 0
    const q = await runFixture(
      {
        transactions: [
          { customer_id: "a", ordered_at: "2024-01-01 10:00:00", amount: 10 },
          { customer_id: "a", ordered_at: "2024-01-10 10:00:00", amount: 5 },
          { customer_id: "b", ordered_at: "2024-01-03 10:00:00", amount: 20 },
          { customer_id: "c", ordered_at: "2024-01-09 10:00:00", amount: 7 },
        ],
      },
      { config: { analysis: { asOf: "2024-01-17", cohortPeriod: "week" } }, only: ["cohort_retention"] },
    );
    const rows = await q.rows<Row>(
      "select cohort, period_index, period_start, cohort_size, active_customers, retention_rate, revenue from cohort_retention order by cohort, period_index",
    );
    expect(rows.map((r) => Object.values(r))).toEqual([
      ["2024-01-01", 0, "2024-01-01", 2, 2, 1, 30],
      ["2024-01-01", 1, "2024-01-08", 2, 1, 0.5, 5],
      ["2024-01-01", 2, "2024-01-15", 2, 0, 0, 0],
      ["2024-01-08", 0, "2024-01-08", 1, 1, 1, 7],
      ["2024-01-08", 1, "2024-01-15", 1, 0, 0, 0],
    ]);
    await q.db.close();
  });
});

describe("rfm_scores", () => {
  it("scores quintiles with ties sharing the lower score and names segments", async () => {
    const rows = byId(await p.rows<Row>("select * from rfm_scores"));
    // recency_days: c06 150, c02 141, c03 121, c08 121, c11 81, c07 46, c01 29, c05 29, c12 15, c09 2, c10 0
    // ntile(5) of 11 rows: sizes 3, 2, 2, 2, 2. R (most days first): c06 c02 c03 -> 1; c08 c11 -> 2; c07 c01 -> 3;
    // c05 c12 -> 4; c09 c10 -> 5. Ties: 121 days (c03 1, c08 2) -> both 1; 29 days (c01 3, c05 4) -> both 3.
    // F (orders asc, then id): c01 c03 c10 (1) -> 1; c06 c07 -> 2; c09 c11 -> 3; c12 c02 -> 4; c05 c08 -> 5;
    // ties: 2 orders (c06 c07 c09 c11 c12) -> 2; 3 orders (c02 4, c05 5) -> 4; c08 (5 orders) -> 5.
    // M (revenue asc): c03 -50, c07 25, c10 40 -> 1; c08 50, c06 70 -> 2; c11 80, c12 90 -> 3; c01 100, c02 120 -> 4;
    // c05 220, c09 1500 -> 5.
    // fm = (f + m) / 2; segments: c01 r3 fm 2.5 -> potential_loyalists; c02 r1 fm 4 -> cant_lose; c03 r1 fm 1 -> lost;
    // c05 r3 fm 4.5 -> loyal; c06 r1 fm 2 -> lost; c07 r3 fm 1.5 -> potential_loyalists; c08 r1 fm 3.5 -> at_risk;
    // c09 r5 fm 3.5 -> loyal; c10 r5 fm 1, one order -> new; c11 r2 fm 2.5 -> hibernating; c12 r4 fm 2.5, two
    // orders -> potential_loyalists
    const expected: Record<string, [number, number, number, number, string]> = {
      c01: [29, 3, 1, 4, "potential_loyalists"],
      c02: [141, 1, 4, 4, "cant_lose"],
      c03: [121, 1, 1, 1, "lost"],
      c05: [29, 3, 4, 5, "loyal"],
      c06: [150, 1, 2, 2, "lost"],
      c07: [46, 3, 2, 1, "potential_loyalists"],
      c08: [121, 1, 5, 2, "at_risk"],
      c09: [2, 5, 2, 5, "loyal"],
      c10: [0, 5, 1, 1, "new"],
      c11: [81, 2, 2, 3, "hibernating"],
      c12: [15, 4, 2, 3, "potential_loyalists"],
    };
    expect(Object.keys(rows).sort()).toEqual(Object.keys(expected));
    for (const [id, [recency, r, f, m, segment]] of Object.entries(expected)) {
      expect(
        [rows[id].recency_days, rows[id].r_score, rows[id].f_score, rows[id].m_score, rows[id].rfm_segment],
        id,
      ).toEqual([recency, r, f, m, segment]);
    }
  });

  it("makes a recent, frequent, big spender a champion", async () => {
    // 5 customers, ntile sizes 1 each: x5 has the most recent day, most orders and most revenue -> 5/5/5
    const transactions = [1, 2, 3, 4, 5].flatMap((n) =>
      Array.from({ length: n }, (_, i) => ({
        customer_id: `x${n}`,
        ordered_at: `2024-0${n}-${10 + i} 10:00:00`,
        amount: 10 * n,
      })),
    );
    const q = await runFixture(
      { transactions },
      { config: { analysis: { asOf: "2024-06-30" } }, only: ["rfm_scores"] },
    );
    const rows = byId(await q.rows<Row>("select * from rfm_scores"));
    expect([rows.x5.r_score, rows.x5.f_score, rows.x5.m_score, rows.x5.rfm_segment]).toEqual([5, 5, 5, "champions"]);
    expect([rows.x1.r_score, rows.x1.f_score, rows.x1.m_score, rows.x1.rfm_segment]).toEqual([1, 1, 1, "lost"]);
    await q.db.close();
  });
});

describe("customer_grades", () => {
  it("scores five standards, renormalises missing credit, and grades 20/30/30/20", async () => {
    const rows = byId(await p.rows<Row>("select * from customer_grades"));
    // percent_rank = (rank - 1) / 10 over 11 customers.
    // frequency (orders): 1 order -> 0; 2 orders (rank 4) -> 0.3; 3 orders (rank 9) -> 0.8; c08 5 orders -> 1
    // credit: c02 1 of 2 on time = 0.5; c05 0 (partial payment; Jul 1 invoice not due); c09 1; others NULL
    // influence (referrals): c08 2, c02 1, c09 1 (c13 is a prospect), others 0 -> 0s 0, 1s (rank 9) 0.8, c08 1
    // prospects: last month (May 30, Jun 30] minus (Apr 30, May 30]: c01 100, c05 90 - 60 = 30, c09 1500, c10 40,
    //   c12 30, c07 0 - 25 = -25, others 0 -> c07 0; zeros (rank 2) 0.1; 30s (rank 7) 0.6; c10 0.8; c01 0.9; c09 1
    // loyalty = 0.5 * percent_rank(tenure) + 0.5 * active months / months since first purchase:
    //   tenure c10 0, c09 10, c01 29, c07 60, c05 90, c11 112, c03 121, c06 150, c02 172, c08 177, c12 193 -> 0..1
    //   active share: c01 1/1, c02 2/6, c03 1/4, c05 3/3, c06 1/5, c07 1/2, c08 3/6, c09 1/1, c10 1/1, c11 2/4, c12 2/7
    const expected: Record<string, Row> = {
      c01: { frequency_score: 0, credit_score: null, influence_score: 0, prospects_score: 0.9, loyalty_score: 0.6 },
      c02: {
        frequency_score: 0.8,
        credit_score: 0.5,
        influence_score: 0.8,
        prospects_score: 0.1,
        loyalty_score: 0.4 + 1 / 6,
      },
      c03: {
        frequency_score: 0,
        credit_score: null,
        influence_score: 0,
        prospects_score: 0.1,
        loyalty_score: 0.3 + 0.125,
      },
      c05: {
        frequency_score: 0.8,
        credit_score: 0,
        influence_score: 0,
        prospects_score: 0.6,
        loyalty_score: 0.2 + 0.5,
      },
      c06: {
        frequency_score: 0.3,
        credit_score: null,
        influence_score: 0,
        prospects_score: 0.1,
        loyalty_score: 0.35 + 0.1,
      },
      c07: {
        frequency_score: 0.3,
        credit_score: null,
        influence_score: 0,
        prospects_score: 0,
        loyalty_score: 0.15 + 0.25,
      },
      c08: {
        frequency_score: 1,
        credit_score: null,
        influence_score: 1,
        prospects_score: 0.1,
        loyalty_score: 0.45 + 0.25,
      },
      c09: {
        frequency_score: 0.3,
        credit_score: 1,
        influence_score: 0.8,
        prospects_score: 1,
        loyalty_score: 0.05 + 0.5,
      },
      c10: { frequency_score: 0, credit_score: null, influence_score: 0, prospects_score: 0.8, loyalty_score: 0 + 0.5 },
      c11: {
        frequency_score: 0.3,
        credit_score: null,
        influence_score: 0,
        prospects_score: 0.1,
        loyalty_score: 0.25 + 0.25,
      },
      c12: {
        frequency_score: 0.3,
        credit_score: null,
        influence_score: 0,
        prospects_score: 0.6,
        loyalty_score: 0.5 + 1 / 7,
      },
    };
    // weights 0.3 / 0.2 / 0.1 / 0.2 / 0.2; without credit the total is 0.8:
    // c01 (0.2*0.9 + 0.2*0.6) / 0.8 = 0.375; c02 0.24 + 0.1 + 0.08 + 0.02 + 0.2*(0.4 + 1/6) = 0.553333;
    // c03 (0.02 + 0.085) / 0.8 = 0.13125; c05 0.24 + 0 + 0 + 0.12 + 0.14 = 0.5; c06 (0.09 + 0.02 + 0.09) / 0.8 = 0.25;
    // c07 (0.09 + 0.08) / 0.8 = 0.2125; c08 (0.3 + 0.1 + 0.02 + 0.14) / 0.8 = 0.7; c09 0.09 + 0.2 + 0.08 + 0.2 + 0.11
    // = 0.68; c10 (0.16 + 0.1) / 0.8 = 0.325; c11 (0.09 + 0.02 + 0.1) / 0.8 = 0.2625;
    // c12 (0.09 + 0.12 + 0.2*(0.5 + 1/7)) / 0.8 = 0.423214
    const score: Record<string, number> = {
      c01: 0.375,
      c02: 0.24 + 0.1 + 0.08 + 0.02 + 0.2 * (0.4 + 1 / 6),
      c03: 0.13125,
      c05: 0.5,
      c06: 0.25,
      c07: 0.2125,
      c08: 0.7,
      c09: 0.68,
      c10: 0.325,
      c11: 0.2625,
      c12: (0.09 + 0.12 + 0.2 * (0.5 + 1 / 7)) / 0.8,
    };
    // rank: c08, c09, c02 | c05, c12, c01 | c10, c11, c06 | c07, c03. n = 11: A rank-1 < 2.2 (ranks 1-3),
    // B < 5.5 (4-6), C < 8.8 (7-9), D 10-11
    const grade: Record<string, string> = {
      c08: "A",
      c09: "A",
      c02: "A",
      c05: "B",
      c12: "B",
      c01: "B",
      c10: "C",
      c11: "C",
      c06: "C",
      c07: "D",
      c03: "D",
    };
    for (const [id, e] of Object.entries(expected)) {
      expectRow(rows[id], { ...e, grade: grade[id] }, id);
      expect(rows[id].grade_score, `${id}.grade_score`).toBeCloseTo(score[id], 9);
    }
    expect(rows.c08).toMatchObject({ referrals: 2, grade_rank: 1 });
    expect(rows.c04).toBeUndefined();
  });

  it("drops criteria without data (no customers, no invoices) and renormalises the weights", async () => {
    const q = await runFixture(shopTransactionsOnly, { config, only: ["customer_grades"] });
    const rows = byId(await q.rows<Row>("select * from customer_grades"));
    expect(Object.keys(rows)).toHaveLength(11);
    for (const r of Object.values(rows) as Row[]) expect([r.credit_score, r.influence_score]).toEqual([null, null]);
    // c08: (0.3 * 1 + 0.2 * 0.1 + 0.2 * 0.7) / (0.3 + 0.2 + 0.2) = 0.46 / 0.7
    expect(rows.c08.grade_score).toBeCloseTo(0.46 / 0.7, 9);
    // c09: (0.3 * 0.3 + 0.2 * 1 + 0.2 * 0.55) / 0.7 = 0.4 / 0.7
    expect(rows.c09.grade_score).toBeCloseTo(0.4 / 0.7, 9);
    await q.db.close();
  });
});

describe("pareto_revenue", () => {
  it("ranks customers by revenue with cumulative shares and the top-20% share", async () => {
    const rows = await p.rows<Row>("select * from pareto_revenue order by revenue_rank");
    // revenue desc: c09 1500, c05 220, c02 120, c01 100, c12 90, c11 80, c06 70, c08 50, c10 40, c07 25, c03 -50
    // cumulative: 1500, 1720, 1840, 1940, 2030, 2110, 2180, 2230, 2270, 2295, 2245 (total 2245)
    expect(rows.map((r) => r.customer_id)).toEqual([
      "c09",
      "c05",
      "c02",
      "c01",
      "c12",
      "c11",
      "c06",
      "c08",
      "c10",
      "c07",
      "c03",
    ]);
    expect(rows.map((r) => r.cumulative_revenue)).toEqual([
      1500, 1720, 1840, 1940, 2030, 2110, 2180, 2230, 2270, 2295, 2245,
    ]);
    expect(rows[0].cumulative_share).toBeCloseTo(1500 / 2245, 12);
    expect(rows[10].cumulative_share).toBeCloseTo(1, 12);
    expect(rows[2].customer_share).toBeCloseTo(3 / 11, 12);
    // top 20% = ceil(0.2 * 11) = 3 customers: 1500 + 220 + 120 = 1840 of 2245
    expect(rows.map((r) => r.in_top_20pct)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    for (const r of rows) expect(r.top20_revenue_share).toBeCloseTo(1840 / 2245, 12);
  });
});

describe("sales_by_region / sales_by_rep / sales_by_category", () => {
  const cells = (rows: Row[], dim: string) =>
    rows.map((r) => [r.period, r[dim], r.customers, r.new_customers, r.orders, r.revenue, r.repeat_rate]);

  it("sales_by_region (region from the customers file, else 'unknown')", async () => {
    const rows = await p.rows<Row>("select * from sales_by_region order by period, region");
    // regions: c01 north, c02 south, c05 north, everyone else unknown (c09 has a row without region)
    expect(cells(rows, "region")).toEqual([
      ["2023-12-01", "unknown", 1, 1, 1, 60, 0], // c12 new
      ["2024-01-01", "south", 1, 1, 2, 80, 0], // c02 new: o2 50 + o3 30
      ["2024-01-01", "unknown", 1, 1, 2, 20, 0], // c08 new: o17, o18
      ["2024-02-01", "south", 1, 0, 1, 40, 1], // c02 returning
      ["2024-02-01", "unknown", 2, 1, 3, 120, 0.5], // c06 new (100), c08 returning (o19, o20)
      // Mar: c03 new (100 - 150), c06 returning (20 - 50), c08 returning (10), c11 new (15 + 25): orders o5, o13, o21,
      // o26 -> 4; revenue -50 - 30 + 10 + 40 = -30; repeat 2 / 4
      ["2024-03-01", "unknown", 4, 2, 4, -30, 0.5],
      ["2024-04-01", "north", 1, 1, 1, 70, 0], // c05 new: 100 - 30, o9 is no order
      ["2024-04-01", "unknown", 1, 0, 1, 40, 1], // c11 returning
      ["2024-05-01", "north", 1, 0, 1, 60, 1], // c05
      ["2024-05-01", "unknown", 1, 1, 2, 25, 0], // c07 new: o15 (0.00) and o16
      ["2024-06-01", "north", 2, 1, 2, 190, 0.5], // c01 new 100, c05 returning 90
      ["2024-06-01", "unknown", 3, 2, 4, 1570, 1 / 3], // c09 new 1500, c10 new 40 (not Jul 1), c12 returning 30
    ]);
  });

  it("sales_by_rep (the line's rep, else the customer's, else 'unknown')", async () => {
    const rows = await p.rows<Row>(
      "select * from sales_by_rep where period in ('2024-01-01', '2024-06-01') order by period, sales_rep",
    );
    expect(cells(rows, "sales_rep")).toEqual([
      ["2024-01-01", "li", 1, 1, 2, 80, 0], // c02's customer rep
      ["2024-01-01", "unknown", 1, 1, 2, 20, 0], // c08
      // Jun: c05 90 (returning), c09's o23 500 (new), c10 40 (new), c12 30 (returning) -> 4 customers, 2 new, 660
      ["2024-06-01", "unknown", 4, 2, 4, 660, 0.5],
      ["2024-06-01", "wang", 1, 1, 1, 100, 0], // c01's customer rep
      ["2024-06-01", "zhao", 1, 1, 1, 1000, 0], // o22 carries its own rep
    ]);
  });

  it("sales_by_category (NULL category -> 'unknown')", async () => {
    const rows = await p.rows<Row>("select * from sales_by_category where period = '2024-06-01' order by category");
    expect(cells(rows, "category")).toEqual([
      ["2024-06-01", "cups", 1, 0, 1, 90, 1], // c05 o11
      ["2024-06-01", "tea", 2, 2, 3, 1600, 0], // c01 o1 100, c09 o22 + o23 1500
      ["2024-06-01", "unknown", 2, 1, 2, 70, 0.5], // c10 new 40, c12 returning 30
    ]);
  });
});

describe("cohort_retention by quarter", () => {
  it("steps by quarter: 2023Q4 (c12), 2024Q1 (c02 c08 c06 c03 c11), 2024Q2 (c05 c07 c01 c09 c10) up to Q2", async () => {
    const q = await runFixture(shop, {
      config: { analysis: { ...config.analysis, cohortPeriod: "quarter" } },
      only: ["cohort_retention"],
    });
    const rows = await q.rows<Row>(
      "select cohort, period_index, period_start, cohort_size from cohort_retention order by cohort, period_index",
    );
    await q.db.close();
    expect(rows.map((r) => [r.cohort, r.period_index, r.period_start, r.cohort_size])).toEqual([
      ["2023-10-01", 0, "2023-10-01", 1],
      ["2023-10-01", 1, "2024-01-01", 1],
      ["2023-10-01", 2, "2024-04-01", 1],
      ["2024-01-01", 0, "2024-01-01", 5],
      ["2024-01-01", 1, "2024-04-01", 5],
      ["2024-04-01", 0, "2024-04-01", 5],
    ]);
  });
});

describe("customer_grades by quarter", () => {
  it("takes the revenue trend over the last quarter (Mar 30, Jun 30] against the one before (Dec 30, Mar 30]", async () => {
    const q = await runFixture(shop, {
      config: { analysis: { ...config.analysis, cohortPeriod: "quarter" } },
      only: ["customer_grades"],
    });
    const rows = await q.rows<Row>("select customer_id, prospects_score from customer_grades order by customer_id");
    await q.db.close();
    // by hand from the fixture's transactions: the trend per customer, then percent_rank = (# smaller) / (n - 1)
    const day = (t: string) => t.slice(0, 10);
    const customers = [
      ...new Set(
        shop.transactions!.filter((t) => day(String(t.ordered_at)) <= AS_OF).map((t) => String(t.customer_id)),
      ),
    ].sort();
    const trend = (id: string) =>
      shop
        .transactions!.filter((t) => t.customer_id === id)
        .reduce((sum, t) => {
          const d = day(String(t.ordered_at));
          return (
            sum +
            (d > "2024-03-30" && d <= AS_OF
              ? Number(t.amount)
              : d > "2023-12-30" && d <= "2024-03-30"
                ? -Number(t.amount)
                : 0)
          );
        }, 0);
    const trends = customers.map(trend);
    const expected = customers.map((id, i) => ({
      customer_id: id,
      prospects_score: trends.filter((t) => t < trends[i]).length / (customers.length - 1),
    }));
    expect(rows.map((r) => r.customer_id)).toEqual(customers);
    rows.forEach((r, i) => expect(r.prospects_score, r.customer_id).toBeCloseTo(expected[i].prospects_score, 12));
  });
});
