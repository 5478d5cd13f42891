// The overview page's KPIs, each for the last 3 months to the as-of date and the 3 months before (for the change),
// plus monthly revenue. A KPI whose data is missing is null with the name of what would enable it.
import { emitJson, resolveAsOf, withReportSource, type ReportSource } from "../../src/report/marts.ts";

/** Months per comparison window: a quarter is long enough to be stable for B2B buying rhythms. */
const WINDOW_MONTHS = 3;

interface Kpi {
  value: number | null;
  previous: number | null;
  /** The mart or source that would enable it when value is null. */
  needs?: string;
  source?: string;
}

async function one(source: ReportSource, sql: string): Promise<number | null> {
  const row = (await source.query<{ v: number | null }>(sql))[0];
  return row?.v ?? null;
}

await emitJson(
  await withReportSource(async (source) => {
    const asOf = await resolveAsOf(source);
    const end = asOf ? `date '${asOf}'` : "current_date";
    const start = `(${end} - interval ${WINDOW_MONTHS} month)::date`;
    const prevStart = `(${end} - interval ${2 * WINDOW_MONTHS} month)::date`;
    const hasTx = source.tables.includes("transactions");
    // Purchases as of a date: transactions up to that date (inclusive).
    const tx = (upTo: string) => `(select customer_id, ordered_at::date as d, amount from transactions where ordered_at::date <= ${upTo})`;

    const kpis: Record<string, Kpi> = {};
    if (hasTx) {
      const customersAt = (d: string) => one(source, `select count(distinct customer_id)::double as v from ${tx(d)}`);
      kpis.customers = { value: await customersAt(end), previous: await customersAt(start) };
      const activeIn = (from: string, to: string) =>
        one(source, `select count(distinct customer_id)::double as v from ${tx(to)} where d > ${from}`);
      kpis.active_customers = { value: await activeIn(start, end), previous: await activeIn(prevStart, start) };
      const revenueIn = (from: string, to: string) =>
        one(source, `select coalesce(sum(amount), 0)::double as v from ${tx(to)} where d > ${from}`);
      kpis.revenue = { value: await revenueIn(start, end), previous: await revenueIn(prevStart, start) };
      // Repeat rate: share of customers with purchases on at least two different days (lifetimes' repeat buyers).
      const repeatAt = (d: string) =>
        one(
          source,
          `select avg((days >= 2)::integer)::double as v from (select customer_id, count(distinct d) as days from ${tx(d)} group by customer_id)`,
        );
      kpis.repeat_rate = { value: await repeatAt(end), previous: await repeatAt(start) };
    } else if (source.has("customer_summary")) {
      kpis.customers = { value: await one(source, "select count(*)::double as v from customer_summary"), previous: null };
      kpis.active_customers = {
        value: await one(source, `select count(*) filter (where last_purchase > ${start})::double as v from customer_summary`),
        previous: null,
      };
      kpis.revenue = { value: null, previous: null, needs: "transactions", source: "transactions" };
      kpis.repeat_rate = { value: await one(source, "select avg((frequency > 0)::integer)::double as v from customer_summary"), previous: null };
    } else {
      for (const k of ["customers", "active_customers", "revenue", "repeat_rate"]) kpis[k] = { value: null, previous: null, needs: "customer_summary" };
    }
    kpis.avg_clv = source.has("customer_clv")
      ? { value: await one(source, "select avg(clv)::double as v from customer_clv"), previous: null }
      : { value: null, previous: null, needs: "customer_clv" };
    kpis.at_risk = source.has("churn_risk")
      ? { value: await one(source, "select count(*) filter (where len(reasons) > 0)::double as v from churn_risk"), previous: null }
      : { value: null, previous: null, needs: "churn_risk" };
    // Receivables overdue on a date: unpaid remainder of invoices past due and not paid by then.
    const overdueAt = (d: string) =>
      one(
        source,
        `select coalesce(sum(amount - coalesce(paid_amount, 0)), 0)::double as v from invoices
         where issued_at <= ${d} and due_at < ${d} and (paid_at is null or paid_at > ${d})`,
      );
    kpis.receivables_overdue = source.tables.includes("invoices")
      ? { value: await overdueAt(end), previous: await overdueAt(start) }
      : { value: null, previous: null, needs: "invoices", source: "invoices" };

    const revenueByMonth = hasTx
      ? await source.query<{ month: string; revenue: number; customers: number }>(
          `select strftime(date_trunc('month', ordered_at), '%Y-%m-01') as month, sum(amount)::double as revenue,
                  count(distinct customer_id)::integer as customers
           from transactions where ordered_at::date <= ${end} and ordered_at::date > (${end} - interval 24 month)
           group by 1 order by 1`,
        )
      : [];
    const window = asOf
      ? (await source.query<{ from: string; to: string }>(`select (${start} + 1)::varchar as "from", ${end}::varchar as "to"`))[0]
      : null;
    return { asOf, windowMonths: WINDOW_MONTHS, window, kpis, revenueByMonth };
  }),
);
