/**
 * Helpers shared by the analytic pages' data loaders (frequency .. regions). Not a loader itself (no `.json` in
 * its name), so Framework never runs it on its own. Everything goes through src/report/marts.ts (masked views).
 */
import type { ReportSource } from "../../src/report/marts.ts";

/** Longest list a page embeds (the top rows by value); the page says when a list is cut. */
export const LIST_LIMIT = 500;

/**
 * SQL for one row per customer_id with the customer's display name (masked when the build masks), for a
 * `left join (...) names using (customer_id)`. The customers table always exists (empty without a customers file).
 */
export const NAMES_SQL = "(select customer_id, any_value(name) as name from customers group by customer_id)";

/**
 * SQL for one row per customer_id with `value`: the predicted CLV when the CLV model ran, else revenue to date
 * (pages rank lists by it and say which one it is). null when neither mart exists.
 */
export function valueSql(source: ReportSource): { sql: string; kind: "clv" | "revenue" } | null {
  if (source.has("customer_clv")) return { sql: "(select customer_id, clv as value from customer_clv)", kind: "clv" };
  if (source.has("customer_summary"))
    return { sql: "(select customer_id, revenue as value from customer_summary)", kind: "revenue" };
  return null;
}

/** Columns of a mart or table (empty when it does not exist). */
export async function columnsOf(source: ReportSource, name: string): Promise<string[]> {
  if (!source.has(name)) return [];
  const rows = await source.query<{ column_name: string }>(
    "select column_name from information_schema.columns where table_name = $name order by ordinal_position",
    { name },
  );
  return rows.map((r) => r.column_name);
}

/**
 * Make rows ready for a page: non-finite numbers (NaN/Infinity from a failed fit) become null so the JSON stays
 * valid and the page shows n/a, and fractions are cut to the precision a page can show (6 significant digits, at
 * most 4 decimals) so data files stay small. Pages format numbers to at most 2 decimals or 0.1%.
 */
export function finite<T>(rows: T[]): T[] {
  for (const row of rows as Record<string, unknown>[]) {
    for (const [k, v] of Object.entries(row)) {
      if (typeof v !== "number") continue;
      if (!Number.isFinite(v)) row[k] = null;
      else if (!Number.isInteger(v)) row[k] = roundForDisplay(v);
    }
  }
  return rows;
}

export function roundForDisplay(v: number): number {
  const decimals = Math.min(4, Math.max(0, 5 - Math.floor(Math.log10(Math.abs(v)))));
  return Number(v.toFixed(decimals));
}

/** A round bin width giving about `bins` bins over [0, max] (1, 2, 2.5 or 5 times a power of ten). */
export function niceStep(max: number, bins: number): number {
  if (!(max > 0)) return 1;
  const raw = max / bins;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}
