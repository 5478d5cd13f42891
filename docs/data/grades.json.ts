// Grades and segments page: customers and revenue per grade, mean criterion scores per grade (and which criteria
// had no data), RFM segment totals, the Pareto curve (downsampled) with the top-20% share, and the graded list.
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { columnsOf, finite, LIST_LIMIT, NAMES_SQL } from "./analytics-lib.ts";

const CRITERIA = ["frequency_score", "credit_score", "influence_score", "prospects_score", "loyalty_score"];
/** Points of the Pareto curve sent to the page (the curve is smooth; every customer would be megabytes). */
const PARETO_POINTS = 200;

await emitJson(
  await withReportSource(async (source) => {
    const result: Record<string, unknown> = {
      available: {
        grades: source.has("customer_grades"),
        rfm: source.has("rfm_scores"),
        pareto: source.has("pareto_revenue"),
      },
    };
    const revenue = source.has("customer_summary")
      ? "(select customer_id, revenue from customer_summary)"
      : "(select null::varchar as customer_id, null::double as revenue where false)";
    if (source.has("customer_grades")) {
      const criteria = CRITERIA;
      const present = new Set(await columnsOf(source, "customer_grades"));
      const have = criteria.filter((c) => present.has(c));
      result.grades = finite(
        await source.query(
          `select g.grade, count(*)::integer as customers, sum(r.revenue)::double as revenue, avg(g.grade_score)::double as mean_score
           from customer_grades g left join ${revenue} r using (customer_id) group by g.grade order by g.grade`,
        ),
      );
      const means = have.length
        ? await source.query<Record<string, number | null>>(
            `select grade, ${have.map((c) => `avg(${c})::double as ${c}`).join(", ")} from customer_grades group by grade order by grade`,
          )
        : [];
      result.criteria = finite(
        means.flatMap((m) =>
          have.filter((c) => m[c] != null).map((c) => ({ grade: m.grade, criterion: c, score: m[c] })),
        ),
      );
      // A criterion that is NULL for every customer had no data (no invoices, no referrals) and dropped out.
      const [counts] = have.length
        ? await source.query<Record<string, number>>(
            `select ${have.map((c) => `count(${c})::integer as ${c}`).join(", ")} from customer_grades`,
          )
        : [{}];
      result.missingCriteria = criteria.filter((c) => !present.has(c) || !(counts?.[c] > 0));
      const rfm = source.has("rfm_scores")
        ? "(select customer_id, rfm_segment from rfm_scores)"
        : "(select null::varchar as customer_id, null::varchar as rfm_segment where false)";
      result.list = finite(
        await source.query(
          `select g.customer_id, names.name, g.grade, g.grade_score, ${have.map((c) => `g.${c}`).join(", ")}${have.length ? "," : ""}
                  rfm.rfm_segment, r.revenue
           from customer_grades g left join ${NAMES_SQL} names using (customer_id)
           left join ${rfm} rfm using (customer_id) left join ${revenue} r using (customer_id)
           order by g.grade_score desc, g.customer_id limit ${LIST_LIMIT}`,
        ),
      );
      result.listTotal = (result.grades as { customers: number }[]).reduce((n, g) => n + g.customers, 0);
    }
    if (source.has("rfm_scores")) {
      result.segments = finite(
        await source.query(
          `select rfm_segment as segment, count(*)::integer as customers, sum(revenue)::double as revenue,
                  (sum(revenue) / nullif(sum(sum(revenue)) over (), 0))::double as revenue_share,
                  avg(r_score)::double as mean_r, avg(f_score)::double as mean_f, avg(m_score)::double as mean_m
           from rfm_scores group by rfm_segment order by customers desc`,
        ),
      );
    }
    if (source.has("pareto_revenue")) {
      const [summary] = await source.query<{ customers: number; top20: number | null }>(
        "select count(*)::integer as customers, max(top20_revenue_share)::double as top20 from pareto_revenue",
      );
      const n = summary?.customers ?? 0;
      const every = Math.max(1, Math.ceil(n / PARETO_POINTS));
      const curve = await source.query(
        `select customer_share, cumulative_share as revenue_share from pareto_revenue
         where cumulative_share is not null and (revenue_rank % $every = 0 or revenue_rank = $n or revenue_rank = ceil(0.2 * $n))
         order by revenue_rank`,
        { every, n },
      );
      result.pareto = {
        customers: n,
        top20: summary?.top20 ?? null,
        curve: finite([{ customer_share: 0, revenue_share: 0 }, ...curve]),
      };
    }
    return result;
  }),
);
