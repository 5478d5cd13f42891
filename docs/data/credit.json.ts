// The credit page: receivables per aging bucket with DSO, the aging per customer (top 500 by overdue amount),
// credit grade counts and the customers whose grade needs re-rating.
import { emitJson, withReportSource } from "../../src/report/marts.ts";

await emitJson(
  await withReportSource(async (source) => {
    const has = {
      receivables_summary: source.has("receivables_summary"),
      receivables_aging: source.has("receivables_aging"),
      credit_grade: source.has("credit_grade"),
    };
    const invoices = (await source.query<{ n: number }>("select count(*)::integer as n from invoices"))[0]?.n ?? 0;
    const summary = has.receivables_summary
      ? await source.query("select * from receivables_summary order by bucket_order")
      : [];
    const aging = has.receivables_aging
      ? await source.query(
          `select a.customer_id, c.name, a.sales_rep, a.open_invoices, a.amount_current, a.amount_1_30, a.amount_31_60,
                  a.amount_61_90, a.amount_90_plus, a.total_open, a.overdue_amount, a.max_days_overdue, a.utilisation
           from receivables_aging a left join (select distinct on (customer_id) customer_id, name from customers) c using (customer_id)
           order by a.overdue_amount desc, a.total_open desc, a.customer_id limit 500`,
        )
      : [];
    const grades = has.credit_grade
      ? await source.query(
          "select credit_grade, count(*)::integer as customers from credit_grade group by credit_grade order by credit_grade",
        )
      : [];
    const rerating = has.credit_grade
      ? await source.query(
          `select g.customer_id, c.name, g.sales_rep, g.credit_grade, g.on_time_rate, g.avg_days_late, g.overdue_amount,
                  g.utilisation, g.last_review::varchar as last_review
           from credit_grade g left join (select distinct on (customer_id) customer_id, name from customers) c using (customer_id)
           where g.needs_rerating order by g.overdue_amount desc, g.customer_id limit 500`,
        )
      : [];
    const lastReview = has.credit_grade
      ? ((await source.query<{ d: string | null }>("select max(last_review)::varchar as d from credit_grade"))[0]?.d ??
        null)
      : null;
    return { has, invoices, summary, aging, grades, rerating, lastReview };
  }),
);
