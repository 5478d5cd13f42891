// The visits page: visit_effect (per rep and kind, with roll-ups), visits per month and kind from the visits
// table, rep workload and the single-contact customers (top 500 by value).
import { emitJson, withReportSource } from "../../src/report/marts.ts";

await emitJson(
  await withReportSource(async (source) => {
    const has = {
      visit_effect: source.has("visit_effect"),
      rep_workload: source.has("rep_workload"),
      single_contact_customers: source.has("single_contact_customers"),
    };
    const visits = (await source.query<{ n: number }>("select count(*)::integer as n from visits"))[0]?.n ?? 0;
    const effect = has.visit_effect ? (await source.read("visit_effect")).rows : [];
    const byMonth = visits
      ? await source.query(
          `select strftime(date_trunc('month', visited_at), '%Y-%m-01') as month, coalesce(nullif(trim(kind), ''), 'unknown') as kind,
                  count(*)::integer as visits
           from visits group by all order by month, kind`,
        )
      : [];
    const workload = has.rep_workload ? (await source.read("rep_workload")).rows : [];
    const singleContact = has.single_contact_customers
      ? await source.query(
          `select customer_id, name, sales_rep, visits, orders, revenue, value, last_touch::varchar as last_touch, value_rank
           from single_contact_customers order by value_rank limit 500`,
        )
      : [];
    const singleContactTotal = has.single_contact_customers
      ? ((await source.query<{ n: number }>("select count(*)::integer as n from single_contact_customers"))[0]?.n ?? 0)
      : 0;
    return { has, visits, effect, byMonth, workload, singleContact, singleContactTotal };
  }),
);
