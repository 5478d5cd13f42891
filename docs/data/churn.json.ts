// Churn risk page: the churn list (churn_risk: ranked by expected loss, capped), totals, expected loss per reason,
// the list's backtest against the naive rule (churn_backtest, empty without a holdout) and the win-back list.
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite, LIST_LIMIT, NAMES_SQL } from "./analytics-lib.ts";

await emitJson(
  await withReportSource(async (source) => {
    if (!source.has("churn_risk")) return { available: false };
    const [totals] = await source.query<{ customers: number; expected_loss: number | null }>(
      "select count(*)::integer as customers, sum(expected_loss)::double as expected_loss from churn_risk",
    );
    const reasons = await source.query(
      `select reason, count(*)::integer as customers, sum(expected_loss)::double as expected_loss
       from (select unnest(reasons) as reason, expected_loss from churn_risk)
       group by reason order by expected_loss desc nulls last, reason`,
    );
    const list = await source.query(
      `select c.rank, c.customer_id, names.name, c.expected_loss, c.p_lapse, c.value_if_retained, c.days_silent,
              c.revenue, c.p_alive, c.clv, c.reasons
       from churn_risk c left join ${NAMES_SQL} names using (customer_id)
       order by c.rank, c.customer_id limit ${LIST_LIMIT}`,
    );
    // One row per method ('churn_list', 'naive_rule'); no rows when analysis.holdoutStart is not set.
    const backtest = source.has("churn_backtest")
      ? await source.query(
          `select method, calibration_end::varchar as calibration_end, holdout_end::varchar as holdout_end, customers,
                  list_size, listed, listed_lapsed, precision, lapsed_customers, base_lapse_rate, lapsed_revenue_captured
           from churn_backtest order by method`,
        )
      : null;
    const winBack = source.has("win_back")
      ? {
          total: (await source.query<{ n: number }>("select count(*)::integer as n from win_back"))[0]?.n ?? 0,
          rows: finite(
            await source.query(
              `select w.rank, w.customer_id, names.name, w.revenue, w.orders, w.last_purchase::varchar as last_purchase,
                      w.days_silent, w.p_alive
               from win_back w left join ${NAMES_SQL} names using (customer_id) order by w.rank limit ${LIST_LIMIT}`,
            ),
          ),
        }
      : null;
    return {
      available: true,
      totals: finite([totals ?? {}])[0],
      reasons: finite(reasons),
      list: finite(list),
      backtest: backtest && finite(backtest),
      winBack,
    };
  }),
);
