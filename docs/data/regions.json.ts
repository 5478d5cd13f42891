// Regions and reps page: sales_by_region / sales_by_rep / sales_by_category for the latest periods.
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { finite } from "./analytics-lib.ts";

/** Periods sent to the page (36 months by default; weekly periods would otherwise pile up). */
const MAX_PERIODS = 36;
const MARTS = [
  ["region", "sales_by_region", "region"],
  ["rep", "sales_by_rep", "sales_rep"],
  ["category", "sales_by_category", "category"],
] as const;

await emitJson(
  await withReportSource(async (source) => {
    const result: Record<string, unknown> = {};
    for (const [key, mart, dimension] of MARTS) {
      if (!source.has(mart)) {
        result[key] = { available: false, rows: [], periods: 0 };
        continue;
      }
      const [count] = await source.query<{ periods: number }>(
        `select count(distinct period)::integer as periods from ${mart}`,
      );
      const rows = await source.query(
        `with shown as (select distinct period from ${mart} order by period desc limit ${MAX_PERIODS})
         select period::date::varchar as period, coalesce(${dimension}::varchar, 'unknown') as ${dimension}, customers,
                new_customers, orders, revenue, repeat_rate
         from ${mart} where period in (select period from shown) order by period, ${dimension}`,
      );
      result[key] = { available: true, rows: finite(rows), periods: count?.periods ?? 0 };
    }
    return result;
  }),
);
