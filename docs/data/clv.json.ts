// Lifetime value page: CLV histogram (pre-binned), top customers (with their 90% CLV intervals), mean P(alive) by
// frequency x recency bins, model fits (params parsed from JSON, with the reason for the choice), holdout validation
// of the selected model, and the marts of issue 13: parameter intervals (model_uncertainty), the period-transactions
// check (model_checks), the model surfaces (model_surfaces, thinned to at most SURFACE_CELLS per side) and the
// purchase-count forecast (purchase_count_forecast).
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite, LIST_LIMIT, NAMES_SQL, niceStep } from "./analytics-lib.ts";

/** Repeat-purchase bins of the P(alive) matrix: [label, min, max] (max null = open-ended). */
const FREQUENCY_BINS: [string, number, number | null][] = [
  ["0", 0, 0],
  ["1", 1, 1],
  ["2", 2, 2],
  ["3", 3, 3],
  ["4-5", 4, 5],
  ["6-9", 6, 9],
  ["10-19", 10, 19],
  ["20+", 20, null],
];
const RECENCY_BINS = 6;
/** The model surfaces are drawn with at most this many frequency rows and recency columns (every k-th value). */
const SURFACE_CELLS = 40;

/** Every k-th of the sorted distinct values (first and last kept), so at most `max` remain. */
function thin(values: number[], max: number): Set<number> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(sorted.length / max));
  return new Set(sorted.filter((_, i) => i % step === 0 || i === sorted.length - 1));
}

await emitJson(
  await withReportSource(async (source) => {
    const hasClv = source.has("customer_clv");
    const result: Record<string, unknown> = {
      available: {
        clv: hasClv,
        summary: source.has("customer_summary"),
        fit: source.has("model_fit"),
        validation: source.has("model_validation"),
        uncertainty: source.has("model_uncertainty"),
        intervals: source.has("customer_clv_interval"),
        checks: source.has("model_checks"),
        surfaces: source.has("model_surfaces"),
        forecast: source.has("purchase_count_forecast"),
      },
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
      const [beyond] = await source.query<{ n: number }>(
        "select count(*)::integer as n from customer_clv where clv > $edge",
        { edge },
      );
      result.beyond = { customers: beyond?.n ?? 0, edge };

      const summary = source.has("customer_summary")
        ? "(select customer_id, revenue, orders, frequency, recency from customer_summary)"
        : "(select null::varchar as customer_id, null::double as revenue, null::integer as orders, null::integer as frequency, null::double as recency where false)";
      const intervals = source.has("customer_clv_interval")
        ? "(select customer_id, clv_low, clv_high from customer_clv_interval)"
        : "(select null::varchar as customer_id, null::double as clv_low, null::double as clv_high where false)";
      result.top = finite(
        await source.query(
          `select c.customer_id, names.name, c.clv, i.clv_low, i.clv_high, c.p_alive, c.expected_purchases, c.expected_avg_spend, s.revenue, s.orders, c.model
           from customer_clv c left join ${NAMES_SQL} names using (customer_id) left join ${summary} s using (customer_id)
           left join ${intervals} i using (customer_id)
           order by c.clv desc nulls last, c.customer_id limit ${LIST_LIMIT}`,
        ),
      );
      if (source.has("customer_clv_interval")) {
        const [coverage] = await source.query<{ with_interval: number; low: number | null; high: number | null }>(
          `select count(i.clv_low)::integer as with_interval, sum(i.clv_low)::double as low, sum(i.clv_high)::double as high
           from customer_clv c left join customer_clv_interval i using (customer_id)`,
        );
        result.intervals = finite([coverage])[0];
      }

      if (source.has("customer_summary")) {
        const [range] = await source.query<{ max_recency: number | null }>(
          "select max(s.recency)::double as max_recency from customer_summary s join customer_clv c using (customer_id) where c.p_alive is not null",
        );
        const rstep = niceStep(range?.max_recency ?? 0, RECENCY_BINS);
        const freqCase = FREQUENCY_BINS.map(
          ([label, lo, hi]) =>
            `when s.frequency >= ${lo}${hi === null ? "" : ` and s.frequency <= ${hi}`} then '${label}'`,
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

    if (source.has("model_uncertainty")) {
      result.uncertainty = finite(
        await source.query(
          "select model, param, estimate, se, ci_low, ci_high from model_uncertainty order by model, param",
        ),
      );
    }
    if (source.has("model_checks")) {
      const rows = await source.query<Record<string, unknown>>(
        `select model, repeat_count, label, actual, expected, chi_square, degrees_of_freedom, max_share_gap, verdict
         from model_checks order by model, repeat_count`,
      );
      const models = [...new Set(rows.map((r) => String(r.model)))];
      result.checks = models.map((model) => {
        const m = rows.filter((r) => r.model === model);
        const [{ verdict, chi_square, degrees_of_freedom, max_share_gap }] = finite([{ ...m[0] }]);
        return {
          model,
          verdict,
          chi_square,
          degrees_of_freedom,
          max_share_gap,
          classes: finite(m.map((r) => ({ label: r.label, actual: r.actual, expected: r.expected }))),
        };
      });
    }
    if (source.has("model_surfaces")) {
      const rows = await source.query<{
        model: string;
        frequency: number;
        recency: number;
        T: number;
        p_alive: number | null;
        expected_next_period: number | null;
        period: string;
      }>(
        'select model, frequency, recency, "T", p_alive, expected_next_period, period from model_surfaces order by frequency, recency',
      );
      const frequencies = thin(
        rows.map((r) => r.frequency),
        SURFACE_CELLS,
      );
      const recencies = thin(
        rows.map((r) => r.recency),
        SURFACE_CELLS,
      );
      const round = (v: number | null, digits: number) => (v == null ? null : Number(v.toFixed(digits)));
      result.surfaces = rows.length
        ? {
            model: rows[0].model,
            T: round(rows[0].T, 2),
            period: rows[0].period,
            cells: rows
              .filter((r) => frequencies.has(r.frequency) && recencies.has(r.recency))
              .map((r) => ({
                frequency: r.frequency,
                recency: round(r.recency, 2),
                p_alive: round(r.p_alive, 4),
                expected_next_period: round(r.expected_next_period, 4),
              })),
          }
        : null;
    }
    if (source.has("purchase_count_forecast")) {
      const rows = finite(
        await source.query<Record<string, unknown>>(
          "select model, n, label, probability, expected_customers, customers, horizon_periods, period from purchase_count_forecast order by n",
        ),
      );
      result.forecast = rows.length
        ? {
            model: rows[0].model,
            customers: rows[0].customers,
            horizon_periods: rows[0].horizon_periods,
            period: rows[0].period,
            rows: rows.map((r) => ({
              n: r.n,
              label: r.label,
              probability: r.probability,
              expected_customers: r.expected_customers,
            })),
          }
        : null;
    }

    if (source.has("model_validation")) {
      const rows = await source.query<Record<string, unknown>>(
        `select model, kind, bucket, week, period_end::date::varchar as period_end, customers, actual, predicted, rmse
         from model_validation`,
      );
      // Show the model the pipeline selected (else the one with the lowest holdout error).
      const selected = ((result.fits as Record<string, unknown>[] | undefined) ?? []).find(
        (f) => f.selected && f.model !== "gammagamma",
      )?.model;
      const summaries = rows.filter((r) => r.kind === "summary").sort((a, b) => Number(a.rmse) - Number(b.rmse));
      const model = summaries.some((s) => s.model === selected) ? selected : (summaries[0]?.model ?? null);
      result.validation = {
        model,
        summary: finite(summaries),
        buckets: finite(
          rows
            .filter((r) => r.model === model && r.kind === "frequency_bucket")
            .sort((a, b) => Number(a.bucket) - Number(b.bucket))
            .map((r) => ({
              bucket: Number(r.bucket) >= 7 ? "7+" : String(r.bucket),
              customers: r.customers,
              actual: r.actual,
              predicted: r.predicted,
            })),
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
