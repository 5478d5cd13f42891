/**
 * The CRM pages' chart spec builders (docs/components/specs/crm.js): each compiles with vega-lite without warnings,
 * renders headless to SVG with one mark per hand-made data row, draws an empty chart for no rows, and takes its
 * titles from the locale.
 */
import { describe, expect, it } from "vitest";
import { countMarks, render } from "../helpers/vega.ts";

type Builder = (rows: unknown[], locale: string, options?: Record<string, unknown>) => Record<string, unknown>;
// Browser JS without type declarations: a computed specifier keeps tsc from demanding them.
const crm = (await import(`../../docs/components/specs/${"crm"}.js`)) as Record<string, Builder> & {
  CRM_LABELS: Record<string, Record<string, string>>;
};

const cases: Array<[string, Builder, unknown[], Record<string, unknown>, string, number]> = [
  [
    "followupByReason",
    crm.followupByReasonSpec,
    [
      { reason_label: "生日", customers: 3 },
      { reason_label: "逾期", customers: 5 },
    ],
    {},
    "rect",
    2,
  ],
  // two measures per rep -> 2 x 2 bars
  [
    "workload",
    crm.workloadSpec,
    [
      { sales_rep: "王", followups: 4, overdue_contacts: 2 },
      { sales_rep: "李", followups: 1, overdue_contacts: 0 },
    ],
    {},
    "rect",
    4,
  ],
  // kind 'call' has both rates, 'visit' no baseline -> 3 bars
  [
    "visitEffect",
    crm.visitEffectSpec,
    [
      { kind: "call", conversion_rate: 0.5, baseline_rate: 0.2 },
      { kind: "visit", conversion_rate: 0.4, baseline_rate: null },
    ],
    { days: 30 },
    "rect",
    3,
  ],
  // two months, the second with two kinds -> 3 bars
  [
    "visitsByMonth",
    crm.visitsByMonthSpec,
    [
      { month: "2024-01-01", kind: "call", visits: 3 },
      { month: "2024-02-01", kind: "call", visits: 1 },
      { month: "2024-02-01", kind: "visit", visits: 2 },
    ],
    {},
    "rect",
    3,
  ],
  [
    "aging",
    crm.agingSpec,
    [
      { bucket: "current", bucket_order: 1, open_amount: 900 },
      { bucket: "90+", bucket_order: 5, open_amount: 300 },
    ],
    { currency: "CNY" },
    "rect",
    2,
  ],
  [
    "creditGrade",
    crm.creditGradeSpec,
    [
      { credit_grade: "A", customers: 2 },
      { credit_grade: "NR", customers: 1 },
      { credit_grade: "D", customers: 1 },
    ],
    {},
    "rect",
    3,
  ],
  [
    "complaints",
    crm.complaintsSpec,
    [
      { category: "质量", severity: "high", complaints: 3 },
      { category: "质量", severity: "low", complaints: 1 },
      { category: "物流", severity: "low", complaints: 2 },
    ],
    {},
    "rect",
    3,
  ],
  [
    "complaintRetention",
    crm.complaintRetentionSpec,
    [
      { cohort_label: "快", retention_rate: 1, customers: 1 },
      { cohort_label: "无投诉", retention_rate: 0.5, customers: 2 },
    ],
    {},
    "rect",
    2,
  ],
  ["problems", crm.problemsSpec, [{ problem_label: "逾期", customers: 4 }], {}, "rect", 1],
  // the row without a trend (no previous revenue) is not drawn
  [
    "keyAccounts",
    crm.keyAccountsSpec,
    [
      { label: "甲", value: 500, trend_pct: 1.08, at_risk: false },
      { label: "乙", value: 200, trend_pct: -0.6, at_risk: true },
      { label: "丙", value: 100, trend_pct: null, at_risk: false },
    ],
    { currency: "CNY" },
    "symbol",
    2,
  ],
];

describe("CRM chart specs", () => {
  it.each(cases)("%s draws one mark per row", async (_name, build, rows, options, mark, expected) => {
    const svg = await render(build(rows, "zh-CN", options));
    expect(countMarks(svg, mark)).toBe(expected);
  });

  it.each(cases)("%s renders an empty chart without rows", async (_name, build, _rows, options, mark) => {
    const svg = await render(build([], "en", options));
    expect(countMarks(svg, mark)).toBe(0);
  });

  it("localises titles and carries no URL", () => {
    const zh = crm.agingSpec([], "zh-CN", { currency: "CNY" });
    const en = crm.agingSpec([], "en", { currency: "CNY" });
    expect(zh.title).toBe(crm.CRM_LABELS["zh-CN"].agingTitle);
    expect(en.title).toBe("Receivables aging");
    expect(crm.visitEffectSpec([], "en", { days: 14 }).title).toBe("Share buying within 14 days");
    for (const [, build, rows, options] of cases)
      expect(JSON.stringify(build(rows, "en", options))).not.toMatch(/https?:/);
    expect(Object.keys(crm.CRM_LABELS.en).sort()).toEqual(Object.keys(crm.CRM_LABELS["zh-CN"]).sort());
  });
});
