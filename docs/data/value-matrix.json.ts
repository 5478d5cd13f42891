// Value matrix page: the scatter points (the most valuable customers, capped), totals and strategy per quadrant,
// the thresholds the quadrants were cut at, each quadrant's most valuable customers (capped per quadrant), what the
// calibration quadrants did in the holdout (value_matrix_backtest, empty without a holdout) and the size of the
// win-back list (lost customers of high past value, shown on the churn page).
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite, NAMES_SQL } from "./analytics-lib.ts";

/** Customers per quadrant sent to the page (scatter points and lists; 4 x 400 SVG points stay responsive). */
const PER_QUADRANT = 400;

await emitJson(
  await withReportSource(async (source) => {
    if (!source.has("value_matrix")) return { available: false };
    const quadrants = finite(
      await source.query(
        `select quadrant, count(*)::integer as customers, sum(current_value)::double as current_value,
                sum(growth_potential)::double as growth_potential, any_value(strategy_zh) as strategy_zh,
                any_value(strategy_en) as strategy_en
         from value_matrix group by quadrant order by quadrant`,
      ),
    );
    // The mart cuts "high" as strictly above a threshold (median by default, or analysis.quadrantThresholds): the
    // threshold lies between the largest "low" and the smallest "high" value of an axis; the largest low value is
    // the cut itself whenever the median is a data value, so it is drawn there.
    const [cut] = await source.query<{ current_value: number | null; growth_potential: number | null }>(
      `select coalesce(max(current_value) filter (where quadrant in ('I', 'II')), min(current_value) filter (where quadrant in ('III', 'IV')))::double as current_value,
              coalesce(max(growth_potential) filter (where quadrant in ('I', 'III')), min(growth_potential) filter (where quadrant in ('II', 'IV')))::double as growth_potential
       from value_matrix`,
    );
    const total = quadrants.reduce((n, q) => n + Number(q.customers), 0);
    // One list serves the scatter and the per-quadrant tables: each quadrant's most valuable customers (value +
    // potential), so every quadrant is drawn even when one holds most of the value.
    const customers = finite(
      await source.query(
        `select * exclude (n) from (
           select v.customer_id, names.name, v.quadrant, v.current_value, v.growth_potential,
                  row_number() over (partition by v.quadrant order by v.current_value + v.growth_potential desc, v.customer_id) as n
           from value_matrix v left join ${NAMES_SQL} names using (customer_id))
         where n <= ${PER_QUADRANT} order by quadrant, n`,
      ),
    );
    const backtest = source.has("value_matrix_backtest")
      ? finite(
          await source.query(
            `select quadrant, customers, active_share, holdout_purchases_per_customer, holdout_revenue_per_customer, mean_p_alive
             from value_matrix_backtest order by quadrant`,
          ),
        )
      : null;
    const winBack = source.has("win_back")
      ? ((await source.query<{ n: number }>("select count(*)::integer as n from win_back"))[0]?.n ?? 0)
      : null;
    return { available: true, total, quadrants, thresholds: finite([cut ?? {}])[0], customers, backtest, winBack };
  }),
);
