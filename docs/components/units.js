// Units of table columns ("every figure has its unit"): a numeric column's header says its unit, "收入（¥）",
// "沉默天数" (names its unit already), or the column is a count, a rank or an id by declaration (no unit to show).
// The unit comes from the column's format when format.js tagged it (money: currency, percent, pp, days), else from
// COLUMN_UNITS by column name. test/site/browser.test.ts fails on a numeric column of any table of the demo site
// that has neither.
import { translate } from "./i18n.js";

/** Units that need no label: counts and ranks (the header says what: "客户数", "Rank"), ids, scores, period numbers. */
export const DECLARED = new Set(["count", "rank", "id", "score", "period"]);

/** Units of columns by name, for columns shown without a unit-tagged format (fmt.integer, fmt.number, none). */
export const COLUMN_UNITS = {
  // counts: customers, orders, visits, complaints, rows, purchases
  ...Object.fromEntries(
    [
      "customers",
      "n_customers",
      "active_customers",
      "new_customers",
      "retained",
      "cohort_size",
      "single_contact_customers",
      "orders",
      "expected_purchases",
      "holdout_purchases_per_customer",
      "listed",
      "listed_lapsed",
      "followups",
      "overdue_contacts",
      "visits",
      "visits_converted",
      "visits_last_90d",
      "complaints",
      "open_complaints",
      "resolved_complaints",
      "good_faith",
      "bad_faith",
      "read",
      "loaded",
      "rejected",
      "rows",
      "duplicates",
    ].map((c) => [c, "count"]),
  ),
  // ranks, ids, the period number of a cohort
  rank: "rank",
  priority: "rank",
  value_rank: "rank",
  customer_id: "id",
  period_index: "period",
  // scores and fit statistics: numbers without a unit by definition
  ...Object.fromEntries(
    [
      "grade_score",
      "mean_score",
      "credit_score",
      "frequency_score",
      "influence_score",
      "prospects_score",
      "loyalty_score",
      "mean_r",
      "mean_f",
      "mean_m",
      "log_likelihood",
      "bic",
      "holdout_rmse",
    ].map((c) => [c, "score"]),
  ),
  // model parameters: each row names its own unit in the table's unit column (clv.md), so the numbers need none
  ...Object.fromEntries(["estimate", "se", "ci_low", "ci_high", "bic_delta"].map((c) => [c, "score"])),
  // durations
  days_silent: "days",
  days_overdue: "days",
  max_days_overdue: "days",
  avg_days_late: "days",
  median_gap_days: "days",
};

/** The unit of `column` shown with `format` (a format.js formatter, maybe tagged), or null when it has none. */
export function columnUnit(column, format) {
  return format?.unit ?? COLUMN_UNITS[column] ?? null;
}

/** The unit's label in `locale` ("¥", "%", "天"), or "" for a declared count/rank/id. */
export function unitLabel(locale, unit, format) {
  if (!unit || DECLARED.has(unit)) return "";
  if (unit === "currency") return format?.symbol ?? translate(locale, "unit.label.currency");
  return translate(locale, `unit.label.${unit}`);
}

/**
 * A header with its unit: "收入（¥）" / "Revenue (¥)". Unchanged when the unit is declared or the header names it
 * already ("沉默天数", "Days silent", "Share (%)").
 */
export function withUnit(locale, header, unit, format) {
  const label = unitLabel(format?.locale ?? locale, unit, format);
  if (!label || String(header).toLowerCase().includes(label.toLowerCase())) return String(header);
  return translate(locale, "unit.header", { header, unit: label });
}
