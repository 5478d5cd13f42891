/**
 * Property test: on random small transaction sets (refunds, same-day orders, purchases after asOf included) the
 * customer marts keep their invariants.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../src/data/db.ts";
import { parseConfig } from "../../../src/data/config.ts";
import { createAllTablesSql } from "../../../src/data/schemas.ts";
import { pipelineSteps } from "../../../src/pipelines/index.ts";
import { setAnalysisVariables, type Step } from "../../../src/pipelines/runner.ts";
import { insertFixture, type FixtureRow } from "../../helpers/pipeline.ts";

const MARTS = [
  "customer_summary",
  "purchase_frequency",
  "cohort_retention",
  "rfm_scores",
  "customer_grades",
  "pareto_revenue",
  "sales_by_region",
];

let db: Db;
let steps: Step[];

beforeAll(async () => {
  db = await openDatabase(":memory:");
  await db.exec(createAllTablesSql());
  const all = pipelineSteps(parseConfig({ sources: { transactions: { files: "x" } } }));
  const byName = new Map(all.map((s) => [s.name, s]));
  const wanted = new Set<string>();
  const add = (n: string) => {
    if (wanted.has(n)) return;
    wanted.add(n);
    byName.get(n)!.dependsOn.forEach(add);
  };
  MARTS.forEach(add);
  steps = all.filter((s) => wanted.has(s.name));
});
afterAll(async () => db?.close());

const day0 = Date.UTC(2024, 0, 1);
const isoDay = (offset: number) => new Date(day0 + offset * 86_400_000).toISOString().slice(0, 10);

const transaction = fc.record({
  customer: fc.integer({ min: 1, max: 8 }),
  day: fc.integer({ min: 0, max: 200 }),
  hour: fc.integer({ min: 0, max: 23 }),
  amount: fc.oneof(fc.integer({ min: 0, max: 500 }), fc.integer({ min: -300, max: -1 })),
});

const scenario = fc.record({
  transactions: fc.array(transaction, { minLength: 0, maxLength: 40 }),
  asOfDay: fc.integer({ min: 0, max: 220 }),
  cohortPeriod: fc.constantFrom("week", "month", "quarter"),
  period: fc.constantFrom("day", "week", "month"),
  purchaseGrain: fc.constantFrom("day", "order"),
});

describe("customer mart invariants", () => {
  it("hold on random transaction sets", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        await db.exec("delete from transactions");
        const rows: FixtureRow[] = s.transactions.map((t, i) => ({
          order_id: `o${i}`,
          customer_id: `k${t.customer}`,
          ordered_at: `${isoDay(t.day)} ${String(t.hour).padStart(2, "0")}:00:00`,
          amount: t.amount,
        }));
        await insertFixture(db, { transactions: rows });
        const config = parseConfig({
          sources: { transactions: { files: "x" } },
          analysis: {
            asOf: isoDay(s.asOfDay),
            cohortPeriod: s.cohortPeriod,
            period: s.period,
            purchaseGrain: s.purchaseGrain,
          },
        });
        await setAnalysisVariables(db, config.analysis);
        for (const step of steps) await step.run(db);

        // Customers with a purchase day (net >= 0) on or before asOf, computed here independently.
        const days = new Map<string, number>();
        for (const t of s.transactions) {
          if (t.day > s.asOfDay) continue;
          const key =
            s.purchaseGrain === "day" ? `k${t.customer}|${t.day}` : `k${t.customer}|${s.transactions.indexOf(t)}`;
          days.set(key, (days.get(key) ?? 0) + t.amount);
        }
        const buyers = new Set([...days].filter(([, v]) => v >= 0).map(([k]) => k.split("|")[0]));

        const [summary] = await db.all<{ n: number; ids: number; bad: number }>(`
          select count(*)::integer as n, count(distinct customer_id)::integer as ids,
                 count(*) filter (where frequency < 0 or recency < 0 or T < recency or customer_id is null)::integer as bad
          from customer_summary`);
        expect(summary.n).toBe(buyers.size);
        expect(summary.ids).toBe(summary.n);
        expect(summary.bad).toBe(0);

        const [cohorts] = await db.all<{
          bad_rate: number;
          bad_first: number;
          size_sum: number | null;
          missing: number;
        }>(`
          select
            count(*) filter (where retention_rate < 0 or retention_rate > 1 or retention_rate is null)::integer as bad_rate,
            count(*) filter (where period_index = 0 and retention_rate <> 1)::integer as bad_first,
            (select sum(cohort_size)::integer from (select distinct cohort, cohort_size from cohort_retention)) as size_sum,
            -- the grid is complete: period indexes run 0..max without holes
            (select count(*)::integer from (select cohort, count(*) as n, max(period_index) as k from cohort_retention group by cohort)
              where n <> k + 1) as missing
          from cohort_retention`);
        expect(cohorts.bad_rate).toBe(0);
        expect(cohorts.bad_first).toBe(0);
        expect(cohorts.size_sum ?? 0).toBe(buyers.size);
        expect(cohorts.missing).toBe(0);

        const [grades] = await db.all<{ n: number; graded: number; bad_score: number }>(`
          select count(*)::integer as n, count(*) filter (where grade in ('A', 'B', 'C', 'D'))::integer as graded,
                 count(*) filter (where grade_score < 0 or grade_score > 1 or grade_score is null)::integer as bad_score
          from customer_grades`);
        expect(grades.n).toBe(buyers.size);
        expect(grades.graded).toBe(buyers.size);
        expect(grades.bad_score).toBe(0);

        const [rhythm] = await db.all<{ n: number; bad: number }>(`
          select count(*)::integer as n,
                 count(*) filter (where is_overdue is null or orders < 1 or days_since_last_purchase < 0
                                  or (median_gap_days is null) <> (expected_next_purchase is null))::integer as bad
          from purchase_frequency`);
        expect(rhythm).toEqual({ n: buyers.size, bad: 0 });

        const [rfm] = await db.all<{ n: number; bad: number }>(`
          select count(*)::integer as n,
                 count(*) filter (where not (r_score between 1 and 5 and f_score between 1 and 5 and m_score between 1 and 5)
                                  or rfm_segment is null)::integer as bad
          from rfm_scores`);
        expect(rfm).toEqual({ n: buyers.size, bad: 0 });

        // Net revenue is conserved between transactions, the customer summary and the sales mart.
        const [money] = await db.all<{ summary: number | null; sales: number | null; pareto: number | null }>(`
          select (select sum(revenue) from customer_summary) as summary, (select sum(revenue) from sales_by_region) as sales,
                 (select sum(revenue) from pareto_revenue) as pareto`);
        const buyerRevenue = s.transactions
          .filter((t) => t.day <= s.asOfDay && buyers.has(`k${t.customer}`))
          .reduce((a, t) => a + t.amount, 0);
        const allRevenue = s.transactions.filter((t) => t.day <= s.asOfDay).reduce((a, t) => a + t.amount, 0);
        expect(money.summary ?? 0).toBeCloseTo(buyerRevenue, 6);
        expect(money.pareto ?? 0).toBeCloseTo(buyerRevenue, 6);
        expect(money.sales ?? 0).toBeCloseTo(allRevenue, 6);
      }),
      { numRuns: 25, seed: 20240630 },
    );
  });
});
