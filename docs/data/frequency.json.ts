// Purchase frequency page: order-count buckets, the inter-purchase histogram, and the customers due to buy again
// (purchase_frequency.is_overdue), most valuable first, with names from the customers table.
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite, LIST_LIMIT, NAMES_SQL, valueSql } from "./analytics-lib.ts";

await emitJson(
  await withReportSource(async (source) => {
    const distribution = source.has("purchase_frequency_distribution")
      ? await source.query(
          "select bucket, customers, share, revenue, revenue_share from purchase_frequency_distribution order by bucket_order",
        )
      : [];
    const histogram = source.has("interpurchase_histogram")
      ? await source.query("select bin_start, bin_end, gaps, share from interpurchase_histogram order by bin_start")
      : [];
    let due: Record<string, unknown>[] = [];
    let dueTotal = 0;
    let medianGap: number | null = null;
    let customers: number | null = null;
    const value = valueSql(source);
    if (source.has("purchase_frequency")) {
      const stats = await source.query<{ customers: number; due: number; median_gap: number | null }>(
        `select count(*)::integer as customers, count(*) filter (where is_overdue)::integer as due,
                median(median_gap_days)::double as median_gap
         from purchase_frequency`,
      );
      customers = stats[0]?.customers ?? 0;
      dueTotal = stats[0]?.due ?? 0;
      medianGap = stats[0]?.median_gap ?? null;
      const lastPurchase = source.has("customer_summary")
        ? "(select customer_id, last_purchase::date::varchar as last_purchase from customer_summary)"
        : "(select null::varchar as customer_id, null::varchar as last_purchase where false)";
      due = await source.query(
        `select pf.customer_id, names.name, pf.orders::integer as orders, pf.median_gap_days,
                lp.last_purchase, pf.expected_next_purchase::date::varchar as expected_next_purchase,
                pf.days_since_last_purchase,
                (pf.days_since_last_purchase - ceil(pf.median_gap_days))::integer as days_overdue,
                ${value ? "v.value" : "null::double"} as value
         from purchase_frequency pf
         left join ${NAMES_SQL} names using (customer_id)
         left join ${lastPurchase} lp using (customer_id)
         ${value ? `left join ${value.sql} v using (customer_id)` : ""}
         where pf.is_overdue
         order by value desc nulls last, days_overdue desc, pf.customer_id
         limit ${LIST_LIMIT}`,
      );
    }
    return {
      available: {
        distribution: source.has("purchase_frequency_distribution"),
        histogram: source.has("interpurchase_histogram"),
        frequency: source.has("purchase_frequency"),
      },
      customers,
      medianGap,
      distribution: finite(distribution),
      histogram: finite(histogram),
      due: finite(due),
      dueTotal,
      valueKind: value?.kind ?? null,
    };
  }),
);
