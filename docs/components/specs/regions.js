/** Charts of the regions and reps page (marts sales_by_region, sales_by_rep, sales_by_category). */
import { frame, labelsFor, NUMBER, PERCENT, bandHeight, withCurrency } from "./common.js";

/** Revenue by period, one line per value of `dimension` (e.g. region); rows: {period, [dimension], revenue}. */
export function revenueByPeriodSpec(rows, locale, { dimension = "region", dimensionTitle, currency } = {}) {
  const l = labelsFor(locale);
  const revenueTitle = withCurrency(l.revenue, currency);
  return {
    ...frame(rows, l.revenueByPeriodTitle),
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "period", type: "temporal", title: l.period },
      y: { field: "revenue", type: "quantitative", title: revenueTitle, axis: { format: "~s", tickCount: 5 } },
      color: { field: dimension, type: "nominal", title: dimensionTitle ?? l.region },
      tooltip: [
        { field: "period", type: "temporal", title: l.period },
        { field: dimension, type: "nominal", title: dimensionTitle ?? l.region },
        { field: "revenue", type: "quantitative", title: revenueTitle, format: NUMBER },
      ],
    },
  };
}

/** Reps ranked by revenue over the whole window; rows: {sales_rep, revenue, customers, orders}. */
export function repsRankedSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  const revenueTitle = withCurrency(l.revenue, currency);
  return {
    ...frame(rows, l.repsRankedTitle, { height: bandHeight(rows, 20) }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "sales_rep", type: "nominal", sort: { field: "revenue", order: "descending" }, title: null },
      x: { field: "revenue", type: "quantitative", title: revenueTitle, axis: { format: "~s", tickCount: 5 } },
      tooltip: [
        { field: "sales_rep", type: "nominal", title: l.salesRep },
        { field: "revenue", type: "quantitative", title: revenueTitle, format: NUMBER },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
        { field: "orders", type: "quantitative", title: l.orders, format: NUMBER },
      ],
    },
  };
}

/** Category share of each period's revenue (100% stacked bars); rows: {period, category, revenue}. */
export function categoryMixSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  const revenueTitle = withCurrency(l.revenue, currency);
  return {
    ...frame(rows, l.categoryMixTitle),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "period",
        type: "ordinal",
        timeUnit: "yearmonthdate",
        title: l.period,
        axis: { format: "%Y-%m", labelAngle: -45 },
      },
      y: {
        field: "revenue",
        type: "quantitative",
        stack: "normalize",
        title: l.shareOfRevenue,
        axis: { format: PERCENT },
      },
      color: { field: "category", type: "nominal", title: l.category },
      tooltip: [
        { field: "period", type: "temporal", title: l.period, format: "%Y-%m-%d" },
        { field: "category", type: "nominal", title: l.category },
        { field: "revenue", type: "quantitative", title: revenueTitle, format: NUMBER },
      ],
    },
  };
}
