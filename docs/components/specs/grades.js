/** Charts of the grades and segments page (marts customer_grades, rfm_scores, pareto_revenue). */
import { frame, labelsFor, NUMBER, PERCENT, bandHeight, withCurrency } from "./common.js";

export const GRADES = ["A", "B", "C", "D"];
const GRADE_COLORS = ["#2f6f3e", "#54a24b", "#eeca3b", "#e45756"];

/** Customers and revenue per grade; rows: {grade, customers, revenue}. */
export function gradeSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.gradesTitle, { height: 200 }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "grade", type: "nominal", sort: GRADES, title: l.grade, axis: { labelAngle: 0 } },
      y: { field: "customers", type: "quantitative", title: l.customers, axis: { format: NUMBER, tickMinStep: 1 } },
      color: { field: "grade", type: "nominal", scale: { domain: GRADES, range: GRADE_COLORS }, legend: null },
      tooltip: [
        { field: "grade", type: "nominal", title: l.grade },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
        { field: "revenue", type: "quantitative", title: withCurrency(l.revenue, currency), format: NUMBER },
      ],
    },
  };
}

/** Mean criterion scores (0..1) per grade, one small bar group per criterion; rows: {grade, criterion, score}. */
export function gradeCriteriaSpec(rows, locale) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.gradeCriteriaTitle, { height: 220 }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "criterion", type: "nominal", title: null, axis: { labelAngle: 0 } },
      xOffset: { field: "grade", type: "nominal", sort: GRADES },
      y: { field: "score", type: "quantitative", title: l.meanScore, scale: { domain: [0, 1] } },
      color: { field: "grade", type: "nominal", title: l.grade, scale: { domain: GRADES, range: GRADE_COLORS } },
      tooltip: [
        { field: "grade", type: "nominal", title: l.grade },
        { field: "criterion", type: "nominal", title: l.criterion },
        { field: "score", type: "quantitative", title: l.meanScore, format: ".2f" },
      ],
    },
  };
}

/**
 * Each RFM segment's share of customers next to its share of revenue; rows: {segment_label, customers, revenue,
 * revenue_share}. Segments are ordered by customers.
 */
export function rfmSegmentsSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  const measures = [l.shareOfCustomers, l.shareOfRevenue];
  return {
    ...frame(rows, l.rfmSegmentsTitle, { height: bandHeight(rows, 30) }),
    transform: [
      { joinaggregate: [{ op: "sum", field: "customers", as: "all_customers" }] },
      { calculate: "datum.all_customers > 0 ? datum.customers / datum.all_customers : 0", as: "m0" },
      { calculate: "datum.revenue_share == null ? 0 : datum.revenue_share", as: "m1" },
      { fold: ["m0", "m1"], as: ["measure_key", "share"] },
      {
        calculate: `datum.measure_key === 'm0' ? ${JSON.stringify(measures[0])} : ${JSON.stringify(measures[1])}`,
        as: "measure",
      },
    ],
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "segment_label", type: "nominal", sort: { field: "customers", order: "descending" }, title: null },
      yOffset: { field: "measure", type: "nominal", sort: measures },
      x: { field: "share", type: "quantitative", title: null, axis: { format: PERCENT, tickCount: 5 } },
      color: {
        field: "measure",
        type: "nominal",
        title: null,
        sort: measures,
        scale: { range: ["#9ecae9", "#4c78a8"] },
      },
      tooltip: [
        { field: "segment_label", type: "nominal", title: l.segment },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
        { field: "revenue", type: "quantitative", title: withCurrency(l.revenue, currency), format: NUMBER },
        { field: "m0", type: "quantitative", title: l.shareOfCustomers, format: ".1%" },
        { field: "m1", type: "quantitative", title: l.shareOfRevenue, format: ".1%" },
      ],
    },
  };
}

/**
 * The Pareto (Lorenz-style) curve: cumulative share of revenue against cumulative share of customers ranked by
 * revenue, with a marker at 20% of customers. Rows: {customer_share, revenue_share} (downsampled by the loader).
 */
export function paretoSpec(rows, locale, { topShare } = {}) {
  const l = labelsFor(locale);
  const axis = { format: PERCENT, tickCount: 5 };
  return {
    ...frame(rows, l.paretoTitle, { height: 300 }),
    layer: [
      {
        mark: { type: "area", line: true, opacity: 0.3, tooltip: true },
        encoding: {
          x: { field: "customer_share", type: "quantitative", title: l.customerShare, scale: { domain: [0, 1] }, axis },
          y: { field: "revenue_share", type: "quantitative", title: l.revenueShareCumulative, axis },
          tooltip: [
            { field: "customer_share", type: "quantitative", title: l.customerShare, format: PERCENT },
            { field: "revenue_share", type: "quantitative", title: l.revenueShareCumulative, format: ".1%" },
          ],
        },
      },
      {
        data: { values: [{ x: 0.2 }] },
        mark: { type: "rule", strokeDash: [4, 4], color: "#e45756" },
        encoding: { x: { field: "x", type: "quantitative" } },
      },
      ...(Number.isFinite(topShare)
        ? [
            {
              data: { values: [{ x: 0.2, y: topShare, label: `${l.top20}: ${(topShare * 100).toFixed(1)}%` }] },
              layer: [
                {
                  mark: { type: "point", filled: true, color: "#e45756", size: 60 },
                  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
                },
                {
                  mark: { type: "text", align: "left", dx: 8, dy: 10, color: "#e45756" },
                  encoding: {
                    x: { field: "x", type: "quantitative" },
                    y: { field: "y", type: "quantitative" },
                    text: { field: "label" },
                  },
                },
              ],
            },
          ]
        : []),
    ],
  };
}
