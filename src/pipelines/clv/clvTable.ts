/**
 * customer_clv (and int_calibration_clv) without a JavaScript object per customer: the purchase model is evaluated
 * once per distinct (frequency, recency, T) row of the summary (the only rows that leave DuckDB, as number columns),
 * its predictions go back as one small table, and SQL joins them to every customer and adds the spend and CLV
 * arithmetic. The SQL repeats predictCustomers' (steps.ts) operations in the same order on the same doubles, so the
 * two give the same numbers (tested against each other); predictCustomers stays the reference for small inputs
 * (uncertainty draws, tests).
 */
import type { Db } from "../../data/db.ts";
import { gammaGammaMeanSpend, type GammaGammaParams, type PurchaseModel } from "./models.ts";
import { CLV_SQL, summaryRelation, type PredictOptions } from "./steps.ts";

/** Scratch tables of one step (dropped before it returns; inside the run's transaction, never seen outside it). */
const ROWS = "kehu_clv_model_rows";
const CONSTANTS = "kehu_clv_constants";

/**
 * Write `target` (the customer_clv columns) from the summary table `source` (customer_summary or
 * int_calibration_summary: customer_id, frequency, recency, T, monetary_value, orders, revenue), ordered by
 * customer_id, for the given models; see predictCustomers for what each column means and the fallbacks.
 */
export async function writeClvTable(
  db: Db,
  source: string,
  target: string,
  purchase: PurchaseModel | null,
  spend: GammaGammaParams | null,
  options: PredictOptions,
): Promise<void> {
  const summary = summaryRelation(source);
  const periodsPerMonth = 365.25 / 12 / options.periodDays;
  const horizon = options.horizonMonths * periodsPerMonth;
  const months = Array.from({ length: options.horizonMonths }, (_, i) => i + 1);
  const monthlyRate = Math.pow(1 + options.discountRateAnnual, 1 / 12) - 1;

  // Population constants, summed in customer_id order as predictCustomers sums them (fallbackRatePrior, mean order value).
  const population = await db.numericColumns(
    `select frequency, "T", orders, revenue from ${summary} order by customer_id`,
  );
  let repeats = 0;
  let exposure = 0;
  let orderValueSum = 0;
  let orderValueCount = 0;
  const n = population.frequency.length;
  for (let i = 0; i < n; i++) {
    const f = population.frequency[i];
    const t = population.T[i];
    if (t >= 0 && f >= 0) {
      repeats += f;
      exposure += t;
    }
    if (population.orders[i] > 0) {
      orderValueSum += population.revenue[i] / population.orders[i];
      orderValueCount++;
    }
  }
  const scale = n ? Math.max(exposure / n, 1e-9) : 1;
  const shape = exposure > 0 ? (repeats / exposure) * scale : 0;
  const meanOrderValue = orderValueCount ? Math.max(0, orderValueSum / orderValueCount) : 0;

  await db.exec(`create or replace table ${CONSTANTS} (margin double, horizon double, shape double, scale double, mean_order_value double,
    gg boolean, gg_p double, gg_q double, gg_mean double, fallback_t double[], discount double[])`);
  await db.insertRows(
    CONSTANTS,
    [
      "margin",
      "horizon",
      "shape",
      "scale",
      "mean_order_value",
      "gg",
      "gg_p",
      "gg_q",
      "gg_mean",
      "fallback_t",
      "discount",
    ],
    [
      [
        options.margin,
        horizon,
        shape,
        scale,
        meanOrderValue,
        spend !== null,
        spend?.p ?? null,
        spend?.q ?? null,
        spend ? gammaGammaMeanSpend(spend) : null,
        [0, ...months.map((m) => m * periodsPerMonth)],
        months.map((m) => Math.pow(1 + monthlyRate, m)),
      ],
    ],
  );

  // The purchase model once per distinct (x, t_x, T): P(alive), expected purchases, and the month-by-month increments.
  // conditionalExpected splits into a part without t_x (once per distinct (x, T) and month, numbered by DuckDB) and
  // one without t (once per history), recombined with the same operations: the same doubles, a fraction of the 2F1s.
  const incrementColumns = months.map((m) => `increment_${m}`);
  const rowColumns = ["frequency", "recency", "T", "p_alive", "expected", ...incrementColumns];
  await db.exec(`create or replace table ${ROWS} (${rowColumns.map((c) => `"${c}" double`).join(", ")})`);
  if (purchase) {
    const distinct = await db.numericColumns(`
      select frequency, recency, "T", (dense_rank() over (order by frequency, "T"))::double - 1 as pair
      from (select distinct frequency, recency, "T" from ${summary})`);
    const { pairPart, historyPart, combine } = purchase.conditionalParts;
    const times = [...months.map((m) => m * periodsPerMonth), horizon];
    const pairParts = new Map<number, number[] | null>();
    const columns: number[][] = rowColumns.map(() => []);
    for (let i = 0; i < distinct.frequency.length; i++) {
      const x = distinct.frequency[i];
      const tx = distinct.recency[i];
      const T = distinct.T[i];
      try {
        let parts = pairParts.get(distinct.pair[i]);
        if (parts === undefined) {
          try {
            parts = times.map((t) => pairPart(t, x, T));
          } catch {
            parts = null;
          }
          pairParts.set(distinct.pair[i], parts);
        }
        if (!parts) continue;
        const pAlive = purchase.pAlive(x, tx, T);
        const history = historyPart(x, tx, T);
        const profile = [0, ...months.map((m) => combine(parts[m - 1], history))];
        const expected = combine(parts[months.length], history);
        if (![pAlive, expected, ...profile].every((v) => Number.isFinite(v) && v >= 0)) continue;
        [x, tx, T, pAlive, expected, ...months.map((m) => profile[m] - profile[m - 1])].forEach((v, c) =>
          columns[c].push(v),
        );
      } catch {
        /* no prediction: the customer gets the fallback rate */
      }
    }
    if (columns[0].length)
      await db.insertColumns(
        ROWS,
        rowColumns,
        columns.map((c) => Float64Array.from(c)),
      );
  }

  // computeClv's sum, month by month in order: ((margin * spend) * increment_m) / discount_m
  const clvOf = (increments: string) =>
    `list_reduce(list_transform(range(1, ${options.horizonMonths + 1}), m -> ((k.margin * spend.spend) * ${increments}) / k.discount[m]), (a, b) -> a + b)`;
  const fallbackIncrement = "(spend.rate * k.fallback_t[m + 1] - spend.rate * k.fallback_t[m])";
  const purchaseModelName = purchase ? `'${purchase.name}'` : "null";
  await db.exec(`create or replace table ${target} (${CLV_SQL})`);
  await db.exec(`insert into ${target}
    with summary as (select * from ${summary}),
    k as (select * from ${CONSTANTS}),
    spend_raw as (
        select
            summary.*,
            (summary.frequency + k.shape) / (summary."T" + k.scale) as rate,
            case
                when not k.gg then case
                    when summary.frequency > 0 and summary.monetary_value > 0 then summary.monetary_value
                    when summary.orders > 0 and summary.revenue > 0 then summary.revenue / summary.orders
                    else k.mean_order_value end
                when not (summary.monetary_value > 0 and summary.frequency > 0) then k.gg_mean
                else (1 - (k.gg_p * summary.frequency) / (k.gg_p * summary.frequency + k.gg_q - 1)) * k.gg_mean
                     + ((k.gg_p * summary.frequency) / (k.gg_p * summary.frequency + k.gg_q - 1)) * summary.monetary_value
            end as spend_value
        from summary cross join k
    ),
    spend as (
        select *, case when isfinite(spend_value) and spend_value >= 0 then spend_value else 0 end as spend
        from spend_raw
    ),
    final as (
        select
            spend.customer_id,
            model_rows.p_alive,
            coalesce(model_rows.expected, spend.rate * k.horizon) as expected_purchases,
            spend.spend as expected_avg_spend,
            case when model_rows.expected is not null then ${clvOf("model_rows.increments[m]")} else ${clvOf(fallbackIncrement)} end as clv,
            case when model_rows.expected is not null then ${purchaseModelName} else 'historical' end as model,
            case when k.gg then 'gammagamma' else 'historical' end as spend_model
        from spend
        cross join k
        left join (select frequency, recency, "T", p_alive, expected, [${incrementColumns.join(", ")}] as increments from ${ROWS}) as model_rows
            using (frequency, recency, "T")
    )
    select * from final order by customer_id`);
  await db.exec(`drop table ${ROWS}; drop table ${CONSTANTS}`);
}
