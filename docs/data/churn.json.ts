// Churn risk page: the ranked list (capped) with names and reason codes, totals, and value at risk per reason.
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite, LIST_LIMIT, NAMES_SQL } from "./analytics-lib.ts";

await emitJson(
  await withReportSource(async (source) => {
    if (!source.has("churn_risk")) return { available: false };
    const [totals] = await source.query<{ customers: number; value_at_risk: number | null }>(
      "select count(*)::integer as customers, sum(value_at_risk)::double as value_at_risk from churn_risk",
    );
    const reasons = await source.query(
      `select reason, count(*)::integer as customers, sum(value_at_risk)::double as value_at_risk
       from (select unnest(reasons) as reason, value_at_risk from churn_risk)
       group by reason order by value_at_risk desc nulls last, reason`,
    );
    const days = source.has("purchase_frequency")
      ? "(select customer_id, days_since_last_purchase from purchase_frequency)"
      : "(select null::varchar as customer_id, null::integer as days_since_last_purchase where false)";
    const list = await source.query(
      `select c.rank, c.customer_id, names.name, c.value_at_risk, c.p_alive, c.clv, c.reasons, d.days_since_last_purchase
       from churn_risk c left join ${NAMES_SQL} names using (customer_id) left join ${days} d using (customer_id)
       order by c.rank, c.customer_id limit ${LIST_LIMIT}`,
    );
    return { available: true, totals: finite([totals ?? {}])[0], reasons: finite(reasons), list: finite(list) };
  }),
);
