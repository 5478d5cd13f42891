/**
 * Charts of the CRM pages (follow-up, visits, credit, complaints, accounts). Pure builders: rows + locale ->
 * vega-lite spec (no DOM, no fetch), compiled and rendered headless in test/pipelines/crm-specs.test.ts. Titles
 * come from CRM_LABELS below (page text lives in ../i18n.js); category labels (reasons, buckets) are passed in rows.
 */
import { frame, NUMBER, PERCENT, withCurrency } from "./common.js";

export const CRM_LABELS = {
  "zh-CN": {
    reason: "原因",
    customers: "客户数",
    salesRep: "销售代表",
    followups: "待跟进客户",
    overdueContacts: "逾期未联系",
    followupByReasonTitle: "各跟进原因的客户数",
    workloadTitle: "各销售代表待跟进客户",
    kind: "拜访方式",
    rate: "购买转化率",
    series: "组别",
    visited: "拜访后",
    baseline: "未拜访对照",
    visitEffectTitle: "拜访后 {days} 天内购买的比例",
    bucket: "逾期天数",
    openAmount: "未收金额",
    agingTitle: "应收账款账龄",
    creditGrade: "信用等级",
    creditGradeTitle: "信用等级分布",
    category: "类别",
    severity: "严重程度",
    complaints: "投诉数",
    complaintsTitle: "各类别投诉数",
    cohort: "组别",
    retention: "90 天内再次购买比例",
    retentionTitle: "投诉后的客户留存",
    problem: "问题",
    problemsTitle: "问题客户的问题类型",
    value: "客户价值",
    trend: "近 90 天收入变化",
    keyAccountsTitle: "重点客户：价值与收入趋势",
    atRisk: "有流失风险",
    notAtRisk: "无流失风险",
    month: "月份",
    visits: "拜访次数",
    visitsByMonthTitle: "每月拜访次数",
  },
  en: {
    reason: "Reason",
    customers: "Customers",
    salesRep: "Sales rep",
    followups: "Customers to follow up",
    overdueContacts: "Contact overdue",
    followupByReasonTitle: "Customers per follow-up reason",
    workloadTitle: "Follow-ups per sales rep",
    kind: "Kind of visit",
    rate: "Bought within the window",
    series: "Group",
    visited: "After a visit",
    baseline: "Not visited",
    visitEffectTitle: "Share buying within {days} days",
    bucket: "Days past due",
    openAmount: "Open amount",
    agingTitle: "Receivables aging",
    creditGrade: "Credit grade",
    creditGradeTitle: "Customers per credit grade",
    category: "Category",
    severity: "Severity",
    complaints: "Complaints",
    complaintsTitle: "Complaints per category",
    cohort: "Group",
    retention: "Bought again within 90 days",
    retentionTitle: "Retention after a complaint",
    problem: "Problem",
    problemsTitle: "Problem accounts per problem",
    value: "Customer value",
    trend: "Revenue change, last 90 days",
    keyAccountsTitle: "Key accounts: value and revenue trend",
    atRisk: "At risk of churning",
    notAtRisk: "Not at risk",
    month: "Month",
    visits: "Visits",
    visitsByMonthTitle: "Visits per month",
  },
};

export function crmLabels(locale) {
  return CRM_LABELS[locale] ?? CRM_LABELS["zh-CN"];
}

/**
 * Height for a chart with one band of `step` pixels per category: a fixed number, not {step}, because the page's
 * chart() fits the spec to its container and vega-lite drops (with a warning) a fit to a discrete height. The fit
 * counts the title, axis and legend in the height, hence the extra 80 pixels.
 */
function bandHeight(rows, step, field) {
  const n = new Set((Array.isArray(rows) ? rows : []).map((r) => r[field])).size;
  return Math.max(1, n) * step + 80;
}

/** A horizontal bar per category; rows: {[labelField], [valueField]}. */
function horizontalBars(rows, title, labelField, labelTitle, valueField, valueTitle, color, format = NUMBER) {
  return {
    ...frame(rows, title, { height: bandHeight(rows, 26, labelField) }),
    mark: { type: "bar", tooltip: true, color },
    encoding: {
      y: { field: labelField, type: "nominal", sort: { field: valueField, order: "descending" }, title: null },
      x: { field: valueField, type: "quantitative", title: valueTitle, axis: { format, tickMinStep: 1 } },
      tooltip: [
        { field: labelField, type: "nominal", title: labelTitle },
        { field: valueField, type: "quantitative", title: valueTitle, format },
      ],
    },
  };
}

/** Customers per follow-up reason; rows: {reason_label, customers}. */
export function followupByReasonSpec(rows, locale) {
  const l = crmLabels(locale);
  return horizontalBars(rows, l.followupByReasonTitle, "reason_label", l.reason, "customers", l.customers, "#4c78a8");
}

/** Follow-ups and overdue contacts per rep; rows: {sales_rep, followups, overdue_contacts}. */
export function workloadSpec(rows, locale) {
  const l = crmLabels(locale);
  return {
    ...frame(rows, l.workloadTitle, { height: bandHeight(rows, 44, "sales_rep") }),
    transform: [{ fold: ["followups", "overdue_contacts"], as: ["measure", "customers"] }],
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: {
        field: "sales_rep",
        type: "nominal",
        title: null,
        sort: { field: "customers", op: "max", order: "descending" },
      },
      yOffset: { field: "measure", type: "nominal" },
      x: { field: "customers", type: "quantitative", title: l.customers, axis: { format: NUMBER, tickMinStep: 1 } },
      color: {
        field: "measure",
        type: "nominal",
        title: null,
        scale: { domain: ["followups", "overdue_contacts"], range: ["#4c78a8", "#f58518"] },
        legend: {
          labelExpr: `datum.value === 'followups' ? '${l.followups}' : '${l.overdueContacts}'`,
          orient: "bottom",
        },
      },
      tooltip: [
        { field: "sales_rep", type: "nominal", title: l.salesRep },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
      ],
    },
  };
}

/**
 * Conversion after visits vs the unvisited baseline, per kind; rows: {kind, conversion_rate, baseline_rate}
 * (visit_effect rows of one rep, usually '(all)').
 */
export function visitEffectSpec(rows, locale, { days = 30 } = {}) {
  const l = crmLabels(locale);
  const long = [];
  for (const r of Array.isArray(rows) ? rows : []) {
    if (r.conversion_rate !== null && r.conversion_rate !== undefined)
      long.push({ kind: r.kind, series: l.visited, rate: r.conversion_rate });
    if (r.baseline_rate !== null && r.baseline_rate !== undefined)
      long.push({ kind: r.kind, series: l.baseline, rate: r.baseline_rate });
  }
  return {
    ...frame(long, l.visitEffectTitle.replace("{days}", String(days)), { height: 260 }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "kind", type: "nominal", title: l.kind, axis: { labelAngle: 0 } },
      xOffset: { field: "series", type: "nominal", sort: [l.visited, l.baseline] },
      y: { field: "rate", type: "quantitative", title: l.rate, axis: { format: PERCENT }, scale: { domain: [0, 1] } },
      color: {
        field: "series",
        type: "nominal",
        title: l.series,
        sort: [l.visited, l.baseline],
        scale: { range: ["#54a24b", "#bab0ac"] },
      },
      tooltip: [
        { field: "kind", type: "nominal", title: l.kind },
        { field: "series", type: "nominal", title: l.series },
        { field: "rate", type: "quantitative", title: l.rate, format: PERCENT },
      ],
    },
  };
}

/** Visits per month stacked by kind; rows: {month: "YYYY-MM-01", kind, visits}. */
export function visitsByMonthSpec(rows, locale) {
  const l = crmLabels(locale);
  return {
    ...frame(rows, l.visitsByMonthTitle, { height: 240 }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "month", type: "temporal", timeUnit: "yearmonth", title: l.month, bandPosition: 0 },
      y: {
        field: "visits",
        type: "quantitative",
        title: l.visits,
        axis: { format: NUMBER, tickMinStep: 1 },
        stack: "zero",
      },
      color: { field: "kind", type: "nominal", title: l.kind },
      tooltip: [
        { field: "month", type: "temporal", timeUnit: "yearmonth", title: l.month },
        { field: "kind", type: "nominal", title: l.kind },
        { field: "visits", type: "quantitative", title: l.visits, format: NUMBER },
      ],
    },
  };
}

/**
 * Open receivables per aging bucket; rows: receivables_summary {bucket, bucket_order, open_amount} plus an optional
 * localised bucket_label (the page's text for the bucket code).
 */
export function agingSpec(rows, locale, { currency } = {}) {
  const l = crmLabels(locale);
  const amount = withCurrency(l.openAmount, currency);
  const labelled = (Array.isArray(rows) ? rows : []).map((r) => ({ ...r, bucket_label: r.bucket_label ?? r.bucket }));
  return {
    ...frame(labelled, l.agingTitle, { height: 240 }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "bucket_label",
        type: "ordinal",
        title: l.bucket,
        sort: { field: "bucket_order" },
        axis: { labelAngle: 0 },
      },
      y: { field: "open_amount", type: "quantitative", title: amount, axis: { format: NUMBER } },
      color: {
        field: "bucket",
        type: "ordinal",
        legend: null,
        scale: {
          domain: ["current", "1-30", "31-60", "61-90", "90+"],
          range: ["#54a24b", "#eeca3b", "#f58518", "#e45756", "#9d0208"],
        },
      },
      tooltip: [
        { field: "bucket_label", type: "ordinal", title: l.bucket },
        { field: "open_amount", type: "quantitative", title: amount, format: NUMBER },
      ],
    },
  };
}

/** Customers per credit grade; rows: {credit_grade, customers}. */
export function creditGradeSpec(rows, locale) {
  const l = crmLabels(locale);
  return {
    ...frame(rows, l.creditGradeTitle, { height: 220 }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "credit_grade",
        type: "ordinal",
        title: l.creditGrade,
        sort: ["A", "B", "C", "D", "NR"],
        axis: { labelAngle: 0 },
      },
      y: { field: "customers", type: "quantitative", title: l.customers, axis: { format: NUMBER, tickMinStep: 1 } },
      color: {
        field: "credit_grade",
        type: "ordinal",
        legend: null,
        scale: { domain: ["A", "B", "C", "D", "NR"], range: ["#54a24b", "#88d27a", "#f58518", "#e45756", "#bab0ac"] },
      },
      tooltip: [
        { field: "credit_grade", type: "ordinal", title: l.creditGrade },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
      ],
    },
  };
}

/** Complaints per category stacked by severity; rows: complaint_stats cells {category, severity, complaints}. */
export function complaintsSpec(rows, locale) {
  const l = crmLabels(locale);
  return {
    ...frame(rows, l.complaintsTitle, { height: bandHeight(rows, 26, "category") }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: {
        field: "category",
        type: "nominal",
        title: null,
        sort: { field: "complaints", op: "sum", order: "descending" },
      },
      x: { field: "complaints", type: "quantitative", title: l.complaints, axis: { format: NUMBER, tickMinStep: 1 } },
      color: { field: "severity", type: "nominal", title: l.severity },
      tooltip: [
        { field: "category", type: "nominal", title: l.category },
        { field: "severity", type: "nominal", title: l.severity },
        { field: "complaints", type: "quantitative", title: l.complaints, format: NUMBER },
      ],
    },
  };
}

/** Retention after a complaint per group; rows: {cohort_label, retention_rate, customers}. */
export function complaintRetentionSpec(rows, locale) {
  const l = crmLabels(locale);
  return {
    ...frame(rows, l.retentionTitle, { height: bandHeight(rows, 30, "cohort_label") }),
    mark: { type: "bar", tooltip: true, color: "#72b7b2" },
    encoding: {
      y: { field: "cohort_label", type: "nominal", title: null, sort: null },
      x: {
        field: "retention_rate",
        type: "quantitative",
        title: l.retention,
        axis: { format: PERCENT },
        scale: { domain: [0, 1] },
      },
      tooltip: [
        { field: "cohort_label", type: "nominal", title: l.cohort },
        { field: "retention_rate", type: "quantitative", title: l.retention, format: PERCENT },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
      ],
    },
  };
}

/** Problem accounts per problem; rows: {problem_label, customers}. */
export function problemsSpec(rows, locale) {
  const l = crmLabels(locale);
  return horizontalBars(rows, l.problemsTitle, "problem_label", l.problem, "customers", l.customers, "#e45756");
}

/** Key accounts: value (x) vs revenue trend (y); rows: {label, value, trend_pct, at_risk}. */
export function keyAccountsSpec(rows, locale, { currency } = {}) {
  const l = crmLabels(locale);
  const value = withCurrency(l.value, currency);
  return {
    ...frame(
      (Array.isArray(rows) ? rows : []).filter((r) => r.trend_pct !== null && r.trend_pct !== undefined),
      l.keyAccountsTitle,
      { height: 300 },
    ),
    transform: [
      { calculate: `datum.at_risk ? ${JSON.stringify(l.atRisk)} : ${JSON.stringify(l.notAtRisk)}`, as: "risk" },
    ],
    mark: { type: "point", filled: true, size: 70, tooltip: true },
    encoding: {
      x: { field: "value", type: "quantitative", title: value, axis: { format: NUMBER } },
      y: { field: "trend_pct", type: "quantitative", title: l.trend, axis: { format: PERCENT } },
      color: {
        field: "risk",
        type: "nominal",
        title: null,
        legend: { orient: "top" },
        scale: { domain: [l.notAtRisk, l.atRisk], range: ["#4c78a8", "#e45756"] },
      },
      tooltip: [
        { field: "label", type: "nominal", title: l.customers },
        { field: "value", type: "quantitative", title: value, format: NUMBER },
        { field: "trend_pct", type: "quantitative", title: l.trend, format: PERCENT },
      ],
    },
  };
}
