// Retention cohorts page: the cohort x period grid of cohort_retention for the latest cohorts (a weekly cohort
// grid over years would otherwise grow quadratically), plus size-weighted retention in periods 1 and 3.
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite } from "./analytics-lib.ts";

/** Cohorts sent to the page (the heatmap and table); older ones are summarised in the KPIs only. */
const MAX_COHORTS = 36;

await emitJson(
  await withReportSource(async (source) => {
    if (!source.has("cohort_retention")) return { available: false, rows: [], cohorts: 0, customers: 0, retention: [] };
    const [totals] = await source.query<{ cohorts: number; customers: number }>(
      `select count(*)::integer as cohorts, coalesce(sum(cohort_size), 0)::integer as customers
       from (select cohort, any_value(cohort_size) as cohort_size from cohort_retention group by cohort)`,
    );
    // Weighted by cohort size over the cohorts old enough to have period k (all cohorts, not just those shown).
    const retention = await source.query<{ k: number; retention: number | null; cohorts: number }>(
      `select period_index::integer as k, (sum(active_customers) / nullif(sum(cohort_size), 0))::double as retention,
              count(*)::integer as cohorts
       from cohort_retention where period_index in (1, 3) group by period_index order by period_index`,
    );
    const rows = await source.query(
      `with shown as (select distinct cohort from cohort_retention order by cohort desc limit ${MAX_COHORTS})
       select cohort::date::varchar as cohort, period_index, cohort_size, active_customers, retention_rate, revenue,
              revenue_retention, cumulative_revenue_per_customer
       from cohort_retention where cohort in (select cohort from shown)
       order by cohort, period_index`,
    );
    return {
      available: true,
      rows: finite(rows),
      cohorts: totals?.cohorts ?? 0,
      customers: totals?.customers ?? 0,
      retention: finite(retention),
    };
  }),
);
