/** Charts of the retention cohorts page (mart cohort_retention). */
import { frame, labelsFor, DECIMAL, NUMBER, PERCENT, withCurrency } from "./common.js";

/**
 * The cohort triangle: one cell per cohort x period index, coloured by `measure` ("retention_rate" or
 * "revenue_retention"). Rows: {cohort, period_index, cohort_size, active_customers, retention_rate,
 * revenue_retention}. Revenue retention can exceed 100% (customers spending more than in their first period).
 */
export function cohortHeatmapSpec(rows, locale, { measure = "retention_rate" } = {}) {
  const l = labelsFor(locale);
  const title = measure === "revenue_retention" ? l.revenueRetentionTitle : l.retentionTitle;
  const measureTitle = measure === "revenue_retention" ? l.revenueRetention : l.retentionRate;
  const cohorts = [...new Set((rows ?? []).map((r) => r.cohort))].sort();
  return {
    ...frame(rows, title, { height: Math.max(120, Math.min(24 * cohorts.length, 720)) }),
    encoding: {
      x: { field: "period_index", type: "ordinal", title: l.periodIndex, axis: { labelAngle: 0 } },
      y: { field: "cohort", type: "ordinal", sort: cohorts, title: l.cohort },
    },
    layer: [
      {
        mark: { type: "rect", tooltip: true },
        encoding: {
          color: {
            field: measure,
            type: "quantitative",
            title: measureTitle,
            // Revenue retention is open-ended; a few cells at 400%+ would wash out the rest, so the colour stops at
            // 200% (the tooltip and the labels keep the exact value).
            scale: { scheme: "blues", domain: [0, measure === "retention_rate" ? 1 : 2], clamp: true },
            legend: { format: PERCENT },
          },
          tooltip: [
            { field: "cohort", type: "ordinal", title: l.cohort },
            { field: "period_index", type: "ordinal", title: l.periodIndex },
            { field: "cohort_size", type: "quantitative", title: l.cohortSize, format: NUMBER },
            { field: "active_customers", type: "quantitative", title: l.activeCustomers, format: NUMBER },
            { field: measure, type: "quantitative", title: measureTitle, format: PERCENT },
          ],
        },
      },
      // Cell labels only while cells are big enough to read them.
      ...(cohorts.length <= 24
        ? [
            {
              mark: { type: "text", fontSize: 9 },
              encoding: {
                text: { field: measure, type: "quantitative", format: PERCENT },
                color: { condition: { test: `datum['${measure}'] > 0.5`, value: "white" }, value: "black" },
              },
            },
          ]
        : []),
    ],
  };
}

/** Cumulative revenue per customer by period index, one line per cohort (the cohort LTV curves). */
export function cohortLtvSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.cohortLtvTitle, { height: 320 }),
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "period_index", type: "quantitative", title: l.periodIndex, axis: { tickMinStep: 1 } },
      y: {
        field: "cumulative_revenue_per_customer",
        type: "quantitative",
        title: withCurrency(l.cumulativeRevenuePerCustomer, currency),
        axis: { format: NUMBER, tickMinStep: 1 },
      },
      color: { field: "cohort", type: "ordinal", title: l.cohort, scale: { scheme: "viridis" } },
      tooltip: [
        { field: "cohort", type: "ordinal", title: l.cohort },
        { field: "period_index", type: "quantitative", title: l.periodIndex },
        {
          field: "cumulative_revenue_per_customer",
          type: "quantitative",
          title: l.cumulativeRevenuePerCustomer,
          format: DECIMAL,
        },
      ],
    },
  };
}
