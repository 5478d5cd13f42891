// Lifetime value page: CLV histogram (pre-binned), top customers, mean P(alive) by frequency x recency bins,
// model fits (params parsed from JSON) and holdout validation of the selected model.
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite, LIST_LIMIT, NAMES_SQL, niceStep } from "./analytics-lib.ts";

/** Repeat-purchase bins of the P(alive) matrix: [label, min, max] (max null = open-ended). */
const FREQUENCY_BINS: [string, number, number | null][] = [
  ["0", 0, 0], ["1", 1, 1], ["2", 2, 2], ["3", 3, 3], ["4-5", 4, 5], ["6-9", 6, 9], ["10-19", 10, 19], ["20+", 20, null],
];
const RECENCY_BINS = 6;

await emitJson(
  await withReportSource(async (source) => {
    const hasClv = source.has("customer_clv");
    const result: Record<string, unknown> = {
      available: { clv: hasClv, summary: source.has("customer_summary"), fit: source.has("model_fit"), validation: source.has("model_validation") },
      holdoutStart: process.env.KEHU_HOLDOUT_START || null,
    };

    if (hasClv) {
      const [stats] = await source.query<Record<string, number | null>>(
        `select count(*)::integer as customers, sum(clv)::double as total, avg(clv)::double as average,
                median(clv)::double as median, quantile_cont(clv, 0.99)::double as p99, min(clv)::double as min,
                count(*) filter (where p_alive >= 0.5)::integer as alive, count(p_alive)::integer as with_p_alive
         from customer_clv`,
      );
      result.stats = finite([stats])[0];
      const models = await source.query<{ model: string; customers: number }>(
        "select model, count(*)::integer as customers from customer_clv group by model order by customers desc",
      );
      result.models = models;

      // Equal bins from min(0, min clv) up to a round edge at the 99th percentile; the top 1% is counted, not drawn.
      const step = niceStep(Math.max(stats?.p99 ?? 0, 0), 20);
      const edge = step * Math.max(1, Math.ceil((stats?.p99 ?? 0) / step));
      result.histogram = await source.query(
        `select (floor(clv / $step) * $step)::double as bin_start, (floor(clv / $step) * $step + $step)::double as bin_end,
                count(*)::integer as customers
         from customer_clv where clv <= $edge and clv is not null group by all order by bin_start`,
        { step, edge },
      );
      const [beyond] = await source.query<{ n: number }>("select count(*)::integer as n from customer_clv where clv > $edge", { edge });
      result.beyond = { customers: beyond?.n ?? 0, edge };

      const summary = source.has("customer_summary")
        ? "(select customer_id, revenue, orders, frequency, recency from customer_summary)"
        : "(select null::varchar as customer_id, null::double as revenue, null::integer as orders, null::integer as frequency, null::double as recency where false)";
      result.top = finite(
        await source.query(
          `select c.customer_id, names.name, c.clv, c.p_alive, c.expected_purchases, c.expected_avg_spend, s.revenue, s.orders, c.model
           from customer_clv c left join ${NAMES_SQL} names using (customer_id) left join ${summary} s using (customer_id)
           order by c.clv desc nulls last, c.customer_id limit ${LIST_LIMIT}`,
        ),
      );

      if (source.has("customer_summary")) {
        const [range] = await source.query<{ max_recency: number | null }>(
          "select max(s.recency)::double as max_recency from customer_summary s join customer_clv c using (customer_id) where c.p_alive is not null",
        );
        const rstep = niceStep(range?.max_recency ?? 0, RECENCY_BINS);
        const freqCase = FREQUENCY_BINS.map(
          ([label, lo, hi]) => `when s.frequency >= ${lo}${hi === null ? "" : ` and s.frequency <= ${hi}`} then '${label}'`,
        ).join(" ");
        const cells = await source.query<{ frequency_bin: string; r: number; customers: number; mean_p_alive: number }>(
          `select case ${freqCase} end as frequency_bin, floor(s.recency / $rstep)::integer as r,
                  count(*)::integer as customers, avg(c.p_alive)::double as mean_p_alive
           from customer_summary s join customer_clv c using (customer_id)
           where c.p_alive is not null and s.frequency is not null and s.recency is not null
           group by all order by all`,
          { rstep },
        );
        const label = (r: number) => `${+(r * rstep).toFixed(2)}-${+((r + 1) * rstep).toFixed(2)}`;
        const maxR = Math.max(-1, ...cells.map((c) => c.r));
        result.pAlive = {
          cells: cells.map(({ r, ...rest }) => ({ ...rest, recency_bin: label(r) })),
          frequencyOrder: FREQUENCY_BINS.map(([l]) => l).filter((l) => cells.some((c) => c.frequency_bin === l)),
          recencyOrder: Array.from({ length: maxR + 1 }, (_, r) => label(r)),
        };
      }
    }

    if (source.has("model_fit")) {
      const fits = await source.query<Record<string, unknown>>(
        `select * exclude (fitted_at, as_of), fitted_at::varchar as fitted_at, as_of::date::varchar as as_of from model_fit`,
      );
      result.fits = finite(
        fits.map((f) => {
          let params: Record<string, number> | null = null;
          try {
            params = typeof f.params === "string" ? JSON.parse(f.params) : (f.params as Record<string, number>);
          } catch {
            params = null;
          }
          return { ...f, params };
        }),
      );
    }

    if (source.has("model_validation")) {
      const rows = await source.query<Record<string, unknown>>(
        `select model, kind, bucket, week, period_end::date::varchar as period_end, customers, actual, predicted, rmse
         from model_validation`,
      );
      // Show the model the pipeline selected (else the one with the lowest holdout error).
      const selected = ((result.fits as Record<string, unknown>[] | undefined) ?? []).find((f) => f.selected && f.model !== "gammagamma")?.model;
      const summaries = rows.filter((r) => r.kind === "summary").sort((a, b) => Number(a.rmse) - Number(b.rmse));
      const model = summaries.some((s) => s.model === selected) ? selected : summaries[0]?.model ?? null;
      result.validation = {
        model,
        summary: finite(summaries),
        buckets: finite(
          rows
            .filter((r) => r.model === model && r.kind === "frequency_bucket")
            .sort((a, b) => Number(a.bucket) - Number(b.bucket))
            .map((r) => ({ bucket: Number(r.bucket) >= 7 ? "7+" : String(r.bucket), customers: r.customers, actual: r.actual, predicted: r.predicted })),
        ),
        tracking: finite(
          rows
            .filter((r) => r.model === model && r.kind === "weekly_cumulative")
            .sort((a, b) => Number(a.week) - Number(b.week))
            .map((r) => ({ period: r.period_end, week: r.week, actual: r.actual, predicted: r.predicted })),
        ),
      };
    }
    return result;
  }),
);
