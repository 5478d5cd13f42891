// The overview page: first what to act on today - the day's most valuable calls across reps (followup_queue), the
// customers new on the churn list and what changed since the previous run (customer_changes) - then the KPIs, each
// for the last 3 months to the as-of date and the 3 months before (for the change), and monthly revenue. A KPI
// whose data is missing is null with the name of what would enable it.
import { emitJson, resolveAsOf, withReportSource, type ReportSource } from "../../src/report/marts.ts";
import { finite, NAMES_SQL } from "./analytics-lib.ts";

/** Rows of each "act on it" list on the overview (the pages behind them have the rest). */
const TOP = 10;

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
    // A source counts when it has rows: one never configured exists as an empty table (its KPIs are "no data", not 0).
    const hasRows = async (table: string) =>
      source.tables.includes(table) && ((await one(source, `select count(*)::double as v from ${table}`)) ?? 0) > 0;
    const hasTx = await hasRows("transactions");
    // Purchases as of a date: transactions up to that date (inclusive).
    const tx = (upTo: string) =>
      `(select customer_id, ordered_at::date as d, amount from transactions where ordered_at::date <= ${upTo})`;

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
      kpis.customers = {
        value: await one(source, "select count(*)::double as v from customer_summary"),
        previous: null,
      };
      kpis.active_customers = {
        value: await one(
          source,
          `select count(*) filter (where last_purchase > ${start})::double as v from customer_summary`,
        ),
        previous: null,
      };
      kpis.revenue = { value: null, previous: null, needs: "transactions", source: "transactions" };
      kpis.repeat_rate = {
        value: await one(source, "select avg((frequency > 0)::integer)::double as v from customer_summary"),
        previous: null,
      };
    } else {
      for (const k of ["customers", "active_customers", "revenue", "repeat_rate"])
        kpis[k] = { value: null, previous: null, needs: "customer_summary" };
    }
    kpis.avg_clv = source.has("customer_clv")
      ? { value: await one(source, "select avg(clv)::double as v from customer_clv"), previous: null }
      : { value: null, previous: null, needs: "customer_clv" };
    kpis.at_risk = source.has("churn_risk")
      ? { value: await one(source, "select count(*)::double as v from churn_risk"), previous: null }
      : { value: null, previous: null, needs: "churn_risk" };
    // Receivables overdue on a date: unpaid remainder of invoices past due and not paid by then.
    const overdueAt = (d: string) =>
      one(
        source,
        `select coalesce(sum(amount - coalesce(paid_amount, 0)), 0)::double as v from invoices
         where issued_at <= ${d} and due_at < ${d} and (paid_at is null or paid_at > ${d})`,
      );
    kpis.receivables_overdue = (await hasRows("invoices"))
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
      ? (
          await source.query<{ from: string; to: string }>(
            `select (${start} + 1)::varchar as "from", ${end}::varchar as "to"`,
          )
        )[0]
      : null;
    return { asOf, windowMonths: WINDOW_MONTHS, window, ...(await actionLists(source)), kpis, revenueByMonth };
  }),
);

/** Today's top calls, customers new on the churn list and the changes since the previous run. */
async function actionLists(source: ReportSource) {
  const topCalls = source.has("followup_queue")
    ? finite(
        await source.query(
          `select q.sales_rep, q.priority, q.customer_id, names.name, q.next_action, q.next_action_zh, q.next_action_en,
                  q.call_value, q.reasons
           from followup_queue q left join ${NAMES_SQL} names using (customer_id)
           where q.is_today order by q.call_value desc, q.customer_id limit ${TOP}`,
        ),
      )
    : null;
  if (!source.has("customer_changes")) return { topCalls, changes: null };
  const [runs] = await source.query<{ snapshots: number; previous_as_of: string | null; as_of: string | null }>(
    source.has("customer_snapshots")
      ? `select count(distinct as_of)::integer as snapshots, (select max(previous_as_of)::varchar from customer_changes) as previous_as_of,
                max(as_of)::varchar as as_of from customer_snapshots`
      : "select null::integer as snapshots, max(previous_as_of)::varchar as previous_as_of, max(as_of)::varchar as as_of from customer_changes",
  );
  const counts = await source.query<{ change: string; customers: number }>(
    "select change, count(*)::integer as customers from customer_changes group by change order by customers desc, change",
  );
  const top = finite(
    await source.query(
      `select c.value_rank, c.customer_id, names.name, c.change, c.from_value, c.to_value, c.clv
       from customer_changes c left join ${NAMES_SQL} names using (customer_id) order by c.value_rank limit ${TOP}`,
    ),
  );
  const churn = source.has("churn_risk")
    ? "(select customer_id, rank, expected_loss, reasons from churn_risk)"
    : "(select null::varchar as customer_id, null::integer as rank, null::double as expected_loss, null::varchar[] as reasons where false)";
  const newlyAtRisk = finite(
    await source.query(
      `select r.rank, c.customer_id, names.name, r.expected_loss, r.reasons, c.clv
       from customer_changes c left join ${churn} r using (customer_id) left join ${NAMES_SQL} names using (customer_id)
       where c.change = 'joined_churn_list' order by r.rank nulls last, c.customer_id limit ${TOP}`,
    ),
  );
  const newlyAtRiskTotal = counts.find((c) => c.change === "joined_churn_list")?.customers ?? 0;
  return { topCalls, changes: { ...runs, counts, top, newlyAtRisk, newlyAtRiskTotal } };
}
