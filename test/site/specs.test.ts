/**
 * The analytic pages' chart spec builders (docs/components/specs): each compiles with vega-lite, renders in a
 * headless vega View to SVG with marks for hand-made rows, degrades to an empty chart for no rows, and titles
 * follow the locale (the chart.* strings of docs/components/i18n.js).
 */
import { describe, expect, it } from "vitest";
import { countMarks, render } from "../helpers/vega.ts";
import { CHOSEN_REASONS, SELECTION_REASONS } from "../../src/pipelines/clv/selection.ts";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
type Builder = (rows: unknown[], locale: string, options?: Record<string, unknown>) => Record<string, unknown>;
type Labels = Record<string, string | Record<string, string>>;

// The builders are browser JS without type declarations; a computed specifier keeps tsc from demanding them.
const load = (name: string): Promise<Record<string, Builder>> => import(`../../docs/components/specs/${name}.js`);
const [frequency, cohorts, clv, valueMatrix, grades, churn, regions] = await Promise.all(
  ["frequency", "cohorts", "clv", "value-matrix", "grades", "churn", "regions"].map(load),
);
const { labelsFor } = (await import(`../../docs/components/specs/${"common"}.js`)) as {
  labelsFor: (locale: string) => Labels;
};
const specLabels: Record<string, Labels> = { "zh-CN": labelsFor("zh-CN"), en: labelsFor("en") };

const buckets = [
  { bucket: "1", customers: 6, share: 0.6, revenue: 600 },
  { bucket: "2", customers: 2, share: 0.2, revenue: 500 },
  { bucket: "3-5", customers: 1, share: 0.1, revenue: 700 },
  { bucket: "11+", customers: 1, share: 0.1, revenue: 2000 },
];
const gaps = [
  { bin_start: 0, bin_end: 7, gaps: 5 },
  { bin_start: 7, bin_end: 14, gaps: 3 },
  { bin_start: 14, bin_end: 30, gaps: 1 },
  { bin_start: 365, bin_end: null, gaps: 0 },
];
// Two monthly cohorts; January has three periods, February two (the triangle).
const cohortRows = [
  {
    cohort: "2024-01-01",
    period_index: 0,
    cohort_size: 4,
    active_customers: 4,
    retention_rate: 1,
    revenue: 400,
    revenue_retention: 1,
    cumulative_revenue_per_customer: 100,
  },
  {
    cohort: "2024-01-01",
    period_index: 1,
    cohort_size: 4,
    active_customers: 2,
    retention_rate: 0.5,
    revenue: 300,
    revenue_retention: 0.75,
    cumulative_revenue_per_customer: 175,
  },
  {
    cohort: "2024-01-01",
    period_index: 2,
    cohort_size: 4,
    active_customers: 1,
    retention_rate: 0.25,
    revenue: 500,
    revenue_retention: 1.25,
    cumulative_revenue_per_customer: 300,
  },
  {
    cohort: "2024-02-01",
    period_index: 0,
    cohort_size: 2,
    active_customers: 2,
    retention_rate: 1,
    revenue: 100,
    revenue_retention: 1,
    cumulative_revenue_per_customer: 50,
  },
  {
    cohort: "2024-02-01",
    period_index: 1,
    cohort_size: 2,
    active_customers: 0,
    retention_rate: 0,
    revenue: 0,
    revenue_retention: 0,
    cumulative_revenue_per_customer: 50,
  },
];
const clvBins = [
  { bin_start: 0, bin_end: 100, customers: 8 },
  { bin_start: 100, bin_end: 200, customers: 3 },
];
const pAlive = [
  { frequency_bin: "0", recency_bin: "0-10", customers: 5, mean_p_alive: 1 },
  { frequency_bin: "1-2", recency_bin: "0-10", customers: 3, mean_p_alive: 0.4 },
  { frequency_bin: "1-2", recency_bin: "10-20", customers: 2, mean_p_alive: 0.9 },
];
const validation = [
  { bucket: "0", actual: 0.2, predicted: 0.25 },
  { bucket: "1", actual: 0.6, predicted: 0.55 },
  { bucket: "7+", actual: 3.1, predicted: 2.9 },
];
// The period-transactions check (3 classes), a 2 x 2 model surface, and a purchase-count forecast (3 bars).
const checkClasses = [
  { label: "0", actual: 1411, expected: 1400.2 },
  { label: "1", actual: 439, expected: 450.5 },
  { label: "7+", actual: 80, expected: 76.1 },
];
const surface = [
  { frequency: 0, recency: 0, p_alive: 1, expected_next_period: 0.05 },
  { frequency: 1, recency: 0, p_alive: 0.4, expected_next_period: 0.02 },
  { frequency: 1, recency: 10, p_alive: 0.9, expected_next_period: 0.1 },
  { frequency: 2, recency: 10, p_alive: 0.95, expected_next_period: 0.2 },
];
const purchaseCounts = [
  { n: 0, label: "0", probability: 0.6, expected_customers: 600 },
  { n: 1, label: "1", probability: 0.3, expected_customers: 300 },
  { n: 10, label: "10+", probability: 0.1, expected_customers: 100 },
];
const tracking = [
  { period: "2024-01-07", actual: 1, predicted: 1.2 },
  { period: "2024-01-14", actual: 3, predicted: 2.8 },
  { period: "2024-01-21", actual: 4, predicted: 4.1 },
];
const matrix = [
  { customer_id: "c1", label: "甲", current_value: 10, growth_potential: 0, quadrant: "I" },
  { customer_id: "c2", label: "乙", current_value: 20, growth_potential: 300, quadrant: "II" },
  { customer_id: "c3", label: "丙", current_value: 900, growth_potential: 5, quadrant: "III" },
  { customer_id: "c4", label: "丁", current_value: 800, growth_potential: 400, quadrant: "IV" },
];
const quadrantTotals = [
  { quadrant: "I", customers: 10, current_value: 100 },
  { quadrant: "IV", customers: 2, current_value: 1600 },
];
const gradeRows = [
  { grade: "A", customers: 2, revenue: 5000 },
  { grade: "B", customers: 3, revenue: 2000 },
  { grade: "D", customers: 5, revenue: 100 },
];
const criteria = [
  { grade: "A", criterion: "frequency", score: 0.9 },
  { grade: "B", criterion: "frequency", score: 0.5 },
  { grade: "A", criterion: "loyalty", score: 0.8 },
];
const segments = [
  { segment: "champions", segment_label: "Champions", customers: 3, revenue: 5000, revenue_share: 0.7 },
  { segment: "lost", segment_label: "Lost", customers: 7, revenue: 100, revenue_share: 0.01 },
];
const pareto = [
  { customer_share: 0, revenue_share: 0 },
  { customer_share: 0.2, revenue_share: 0.7 },
  { customer_share: 1, revenue_share: 1 },
];
const reasons = [
  { reason: "low_p_alive", reason_label: "Low P(alive)", customers: 4, value_at_risk: 1200 },
  { reason: "long_silence", reason_label: "Long silence", customers: 2, value_at_risk: 300 },
];
const byRegion = [
  { period: "2024-01-01", region: "华东", revenue: 100 },
  { period: "2024-02-01", region: "华东", revenue: 150 },
  { period: "2024-01-01", region: "unknown", revenue: 30 },
];
const reps = [
  { sales_rep: "王", revenue: 300, customers: 3, orders: 5 },
  { sales_rep: "李", revenue: 100, customers: 1, orders: 1 },
];
const categories = [
  { period: "2024-01-01", category: "rice", revenue: 100 },
  { period: "2024-01-01", category: "oil", revenue: 50 },
  { period: "2024-02-01", category: "rice", revenue: 80 },
];

/** builder, rows, options, the mark type drawn from the data and how many items are expected. */
const cases: Array<[string, Builder, unknown[], Record<string, unknown>, string, number]> = [
  ["orderBuckets", frequency.orderBucketsSpec, buckets, { currency: "CNY" }, "rect", 4],
  ["interpurchase", frequency.interpurchaseSpec, gaps, {}, "rect", 4],
  // the heatmap draws a rect per cell (5); its text layer adds 5 labels
  ["cohortHeatmap", cohorts.cohortHeatmapSpec, cohortRows, {}, "rect", 5],
  ["cohortHeatmap revenue", cohorts.cohortHeatmapSpec, cohortRows, { measure: "revenue_retention" }, "rect", 5],
  // one line per cohort
  ["cohortLtv", cohorts.cohortLtvSpec, cohortRows, { currency: "CNY" }, "line", 2],
  ["clvHistogram", clv.clvHistogramSpec, clvBins, {}, "rect", 2],
  [
    "pAliveMatrix",
    clv.pAliveMatrixSpec,
    pAlive,
    { frequencyOrder: ["0", "1-2"], recencyOrder: ["0-10", "10-20"] },
    "rect",
    3,
  ],
  // 3 buckets x (actual, predicted)
  ["validationBuckets", clv.validationBucketsSpec, validation, {}, "rect", 6],
  // two lines plus the holdout rule
  ["tracking", clv.trackingSpec, tracking, { holdoutStart: "2024-01-14" }, "line", 2],
  // 3 classes x (actual, model)
  ["periodTransactions", clv.periodTransactionsSpec, checkClasses, {}, "rect", 6],
  ["modelSurface p_alive", clv.modelSurfaceSpec, surface, { measure: "p_alive" }, "rect", 4],
  ["modelSurface expected", clv.modelSurfaceSpec, surface, { measure: "expected_next_period" }, "rect", 4],
  ["purchaseCount", clv.purchaseCountSpec, purchaseCounts, {}, "rect", 3],
  [
    "valueMatrix",
    valueMatrix.valueMatrixSpec,
    matrix,
    { thresholds: { currentValue: 100, growthPotential: 50 } },
    "symbol",
    4,
  ],
  // 2 quadrants x 2 panels
  ["quadrantTotals", valueMatrix.quadrantTotalsSpec, quadrantTotals, {}, "rect", 4],
  ["grades", grades.gradeSpec, gradeRows, {}, "rect", 3],
  ["gradeCriteria", grades.gradeCriteriaSpec, criteria, {}, "rect", 3],
  ["rfmSegments", grades.rfmSegmentsSpec, segments, {}, "rect", 4],
  ["pareto", grades.paretoSpec, pareto, { topShare: 0.7 }, "area", 1],
  ["riskByReason", churn.riskByReasonSpec, reasons, {}, "rect", 2],
  ["revenueByPeriod", regions.revenueByPeriodSpec, byRegion, {}, "line", 2],
  ["repsRanked", regions.repsRankedSpec, reps, {}, "rect", 2],
  ["categoryMix", regions.categoryMixSpec, categories, {}, "rect", 3],
];

describe("chart spec builders", () => {
  it.each(cases)(
    "%s compiles, renders its marks and degrades to an empty chart",
    async (_name, build, rows, options, mark, n) => {
      for (const locale of ["zh-CN", "en"]) {
        const svg = await render(build(rows, locale, options));
        expect(countMarks(svg, mark)).toBe(n);
        const empty = await render(build([], locale, options));
        expect(empty).toContain("<svg");
      }
    },
  );

  it.each(cases)("%s titles follow the locale", (_name, build, rows, options) => {
    const zh = JSON.stringify(build(rows, "zh-CN", options));
    const en = JSON.stringify(build(rows, "en", options));
    // Every English label used by the spec is absent from the Chinese one (and the spec does have some title).
    const used = Object.entries(specLabels.en).filter(
      ([, v]) => typeof v === "string" && en.includes(JSON.stringify(v)),
    );
    expect(used.length).toBeGreaterThan(0);
    for (const [key, value] of used) {
      expect(zh, key).not.toContain(JSON.stringify(value));
      expect(zh, key).toContain(JSON.stringify((specLabels["zh-CN"] as Record<string, unknown>)[key]));
    }
    // an unknown locale falls back to zh-CN, an "en-*" one to en
    expect(JSON.stringify(build(rows, "fr", options))).toBe(zh);
    expect(JSON.stringify(build(rows, "en-GB", options))).toBe(en);
  });

  it("the value matrix draws both threshold lines and localised quadrant names", async () => {
    const svg = await render(
      valueMatrix.valueMatrixSpec(matrix, "en", { thresholds: { currentValue: 100, growthPotential: 50 } }),
    );
    expect(countMarks(svg, "rule")).toBe(2);
    expect(svg).toContain("IV high value, high potential");
    const zh = await render(valueMatrix.valueMatrixSpec(matrix, "zh-CN", { thresholds: {} }));
    expect(countMarks(zh, "rule")).toBe(0);
    expect(zh).toContain("IV 高价值·高潜力");
  });

  it("symlog axis ticks sit at 0 and the powers of ten the data reaches", () => {
    const { symlogTicks } = valueMatrix as unknown as { symlogTicks: (v: number[]) => number[] };
    // max 38,000 -> 10, 100, 1k, 10k (100k is beyond the data; 1 would sit on 0)
    expect(symlogTicks([0, 5, 950, 38_000])).toEqual([0, 10, 100, 1000, 10_000]);
    expect(symlogTicks([0, 5, 950])).toEqual([0, 1, 10, 100]);
    // a negative value (refunds > purchases) adds -1, -10 down to its power of ten
    expect(symlogTicks([-50, 3])).toEqual([-10, -1, 0, 1]);
    // all below 1: still one tick above 0 so the axis has a scale
    expect(symlogTicks([0.5])).toEqual([0, 1]);
    expect(symlogTicks([])).toEqual([0]);
  });

  it("the Pareto curve labels the top-20% share", async () => {
    // 0.7 -> "70.0%"
    const svg = await render(grades.paretoSpec(pareto, "en", { topShare: 0.7 }));
    expect(svg).toContain("Top 20% of customers: 70.0%");
  });

  it("every chart label is translated in both locales (no key falls back to English or to itself)", () => {
    const keys = (o: object) => Object.keys(o).sort();
    expect(keys(specLabels.en)).toEqual(keys(specLabels["zh-CN"]));
    expect(keys(specLabels.en.quadrantNames as object)).toEqual(["I", "II", "III", "IV"]);
    for (const [key, value] of Object.entries(specLabels["zh-CN"])) {
      if (typeof value !== "string" || key === "bic") continue;
      expect(value, key).not.toMatch(/^chart\./);
      // every Chinese label holds a CJK character (so none fell back to the English text)
      expect(value, key).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe("page strings", () => {
  it("no locale file defines a key twice (a later duplicate would silently replace these pages' text)", () => {
    for (const file of ["i18n-zh-CN.js", "i18n-en.js", "i18n-codes.js"]) {
      const source = readFileSync(resolve(__dirname, `../../docs/components/${file}`), "utf8");
      // i18n-codes.js holds both locales, one object each
      for (const part of source.split(/^const EN = \{/m)) {
        const keys = [...part.matchAll(/^ {2}"([^"]+)":/gm)].map((m) => m[1]);
        expect(keys.length, file).toBeGreaterThan(10);
        expect(
          keys.filter((k, i) => keys.indexOf(k) !== i),
          file,
        ).toEqual([]);
      }
    }
  });

  const PAGES = ["frequency", "cohorts", "clv", "value-matrix", "grades", "churn", "regions"];
  it.each(PAGES)("every key docs/%s.md translates exists in both locales", async (page) => {
    const { STRINGS } = (await import(`../../docs/components/${"i18n"}.js`)) as {
      STRINGS: Record<string, Record<string, string>>;
    };
    const source = readFileSync(resolve(__dirname, `../../docs/${page}.md`), "utf8");
    // literal keys: t("x.y") / fmt.t("x.y") / pageTitle(fmt, "nav.x") / missing(fmt, ...) takes mart names, not keys
    const literal = [...source.matchAll(/\bt\("([\w.-]+)"/g), ...source.matchAll(/pageTitle\(fmt, "([\w.-]+)"/g)].map(
      (m) => m[1],
    );
    // keys built from data: their prefixes, with every value the marts can hold
    const built: Record<string, string[]> = {
      "chart.quadrant.": ["I", "II", "III", "IV"],
      "reason.": [
        "long_silence",
        "single_purchase",
        "overdue_rhythm",
        "low_p_alive",
        "open_complaint",
        "overdue_invoice",
        "fewer_visits",
      ],
      "segment.": ["champions", "loyal", "potential_loyalists", "new", "at_risk", "cant_lose", "hibernating", "lost"],
      "segment.desc.": [
        "champions",
        "loyal",
        "potential_loyalists",
        "new",
        "at_risk",
        "cant_lose",
        "hibernating",
        "lost",
      ],
      "clv.model.": ["bgnbd", "pnbd", "mbgnbd", "gammagamma", "historical"],
      "clv.period.": ["day", "week", "month"],
      "clv.checks.verdict.": ["good", "fair", "poor"],
      "clv.choice.reason.": [...CHOSEN_REASONS],
      "clv.choice.verdict.": [...SELECTION_REASONS],
      "col.": [
        "frequency_score",
        "credit_score",
        "influence_score",
        "prospects_score",
        "loyalty_score",
        "region",
        "sales_rep",
        "category",
      ],
    };
    const dynamic = Object.entries(built)
      .filter(([prefix]) => source.includes("`" + prefix + "${"))
      .flatMap(([prefix, values]) => values.map((v) => prefix + v));
    expect(literal.length).toBeGreaterThan(3);
    for (const key of [...literal, ...dynamic]) {
      for (const locale of ["zh-CN", "en"]) expect(STRINGS[locale][key], `${locale} ${key}`).toBeTypeOf("string");
    }
  });
});
