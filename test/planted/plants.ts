/**
 * The bugs test/planted/plant.ts plants (issue 16's spot check: first the ones that once shipped unnoticed, then the
 * ones it caught, kept so they stay caught). `from` must occur exactly once in `file`; `tests` are the test files
 * that must then fail.
 */
export interface Plant {
  name: string;
  file: string;
  from: string;
  to: string;
  tests: string[];
}

const MODELS = "src/pipelines/clv/models.ts";
const REFERENCES = ["test/clv/references.test.ts"];
const CHURN = ["test/clv/churn.test.ts"];
const SETTINGS = ["test/pipelines/settings.test.ts"];
const REPORT_OPTIONS = ["test/site/report-options.test.ts"];
const MARTS = ["test/pipelines/customers/customer_marts.test.ts"];

export const PLANTS: Plant[] = [
  // MBG/NBD (the model BIC selects on the demo and on CDNOW)
  {
    name: "MBG/NBD P(alive): b + x - 1 for b + x",
    file: MODELS,
    tests: REFERENCES,
    from: "const logOdds = Math.log(a) - Math.log(b + x) + (r + x)",
    to: "const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x)",
  },
  {
    name: "MBG/NBD E[Y(t)|x]: denominator b + x - 1",
    file: MODELS,
    tests: REFERENCES,
    from: "return 1 + Math.exp(Math.log(a) - Math.log(b + x) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));",
    to: "return 1 + Math.exp(Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));",
  },
  {
    name: "MBG/NBD E[Y(t)|x]: 2F1(r+x, b+x, ...) for b+x+1",
    file: MODELS,
    tests: REFERENCES,
    from: "bgFamilyNumerator(alpha, r + x, b + x + 1, a + b + x, ",
    to: "bgFamilyNumerator(alpha, r + x, b + x, a + b + x, ",
  },
  // CLV
  {
    name: "CLV discounting shifted by a month",
    file: MODELS,
    tests: REFERENCES,
    from: "Math.pow(1 + monthlyRate, i + 1));",
    to: "Math.pow(1 + monthlyRate, i));",
  },
  {
    name: "CLV margin ignored",
    file: MODELS,
    tests: REFERENCES,
    from: "clv += (margin * expectedSpend * (cumulative - previous))",
    to: "clv += (expectedSpend * (cumulative - previous))",
  },
  {
    name: "CLV monthly rate annual/12",
    file: MODELS,
    tests: REFERENCES,
    from: "Math.pow(1 + discountRateAnnual, 1 / 12) - 1;",
    to: "discountRateAnnual / 12;",
  },
  // churn rules
  {
    name: "churn fewer_visits <= for <",
    file: "src/pipelines/clv/churn_risk.sql",
    tests: CHURN,
    from: "visit_trend.recent_visits < visit_trend.earlier_visits",
    to: "visit_trend.recent_visits <= visit_trend.earlier_visits",
  },
  {
    name: "churn: complaint resolved on as_of open",
    file: "src/pipelines/clv/churn_risk.sql",
    tests: CHURN,
    from: "resolved_at::date > getvariable('as_of')",
    to: "resolved_at::date >= getvariable('as_of')",
  },
  {
    name: "crm: complaint resolved on as_of open",
    file: "src/pipelines/crm/int_crm_complaints.sql",
    tests: ["test/pipelines/crm.test.ts"],
    from: "resolved_at is null or resolved_at::date > getvariable('as_of') as is_open",
    to: "resolved_at is null or resolved_at::date >= getvariable('as_of') as is_open",
  },
  // settings: unwired (the default used instead)
  {
    name: "quadrantThresholds unwired",
    file: "src/pipelines/clv/steps.ts",
    tests: SETTINGS,
    from: "thresholds: analysis.quadrantThresholds,",
    to: "thresholds: {},",
  },
  {
    name: "pAliveThreshold unwired",
    file: "src/pipelines/runner.ts",
    tests: CHURN,
    from: "p_alive_threshold: `${analysis.pAliveThreshold}::double`,",
    to: 'p_alive_threshold: "0.5::double",',
  },
  {
    name: "gradeWeights unwired (frequency)",
    file: "src/pipelines/runner.ts",
    tests: SETTINGS,
    from: "w_frequency: `${analysis.gradeWeights.frequency}::double`,",
    to: 'w_frequency: "0.3::double",',
  },
  {
    name: "contactCadenceDays unwired",
    file: "src/pipelines/runner.ts",
    tests: SETTINGS,
    from: "cadence_b: `${analysis.contactCadenceDays.B}::integer`,",
    to: 'cadence_b: "30::integer",',
  },
  {
    name: "margin unwired (SQL)",
    file: "src/pipelines/runner.ts",
    tests: ["test/pipelines/crm-followup.test.ts"],
    from: "margin: `${analysis.margin}::double`,",
    to: 'margin: "1::double",',
  },
  {
    name: "default reject limit 0.05 for 0.01",
    file: "src/data/config.ts",
    tests: ["test/data/ingest.test.ts"],
    from: "maxRejectRate: z.number().min(0).max(1).default(0.01)",
    to: "maxRejectRate: z.number().min(0).max(1).default(0.05)",
  },
  {
    name: "config maxRejectRate unwired",
    file: "src/data/ingest.ts",
    tests: ["test/data/ingest.test.ts"],
    from: "const maxRejectRate = options.maxRejectRate ?? config.maxRejectRate;\n  const stamp",
    to: "const maxRejectRate = options.maxRejectRate ?? 0.01;\n  const stamp",
  },
  {
    name: "reject rate >= for >",
    file: "src/data/ingest.ts",
    tests: ["test/data/ingest.test.ts"],
    from: "if (rate > maxRejectRate) {\n            const out",
    to: "if (rate >= maxRejectRate) {\n            const out",
  },
  {
    name: "report.maskPii from config unwired",
    file: "src/report/build.ts",
    tests: REPORT_OPTIONS,
    from: "maskPii: flags.maskPii ?? cfg.report.maskPii,",
    to: "maskPii: flags.maskPii,",
  },
  {
    name: "report.locale unwired",
    file: "src/report/build.ts",
    tests: REPORT_OPTIONS,
    from: "locale: flags.locale ?? cfg.report.locale,",
    to: "locale: flags.locale,",
  },
  {
    name: "report.topCustomers unwired",
    file: "src/report/build.ts",
    tests: REPORT_OPTIONS,
    from: "topCustomers: flags.top ?? cfg.report.topCustomers,",
    to: "topCustomers: flags.top,",
  },
  {
    name: "report.outDir unwired",
    file: "src/report/build.ts",
    tests: REPORT_OPTIONS,
    from: 'outDir: resolve(flags.out ?? (flags.demo ? "dist" : cfg.report.outDir)),',
    to: 'outDir: resolve(flags.out ?? "dist"),',
  },
  {
    name: "KEHU_MASK_PII ignored by the marts",
    file: "src/report/marts.ts",
    tests: ["test/site/report-data.test.ts"],
    from: 'maskPii: env.KEHU_MASK_PII === "1" || env.KEHU_MASK_PII === "true",',
    to: "maskPii: false,",
  },
  {
    name: "PII pattern: phone columns unmasked",
    file: "src/report/marts.ts",
    tests: ["test/site/report-data.test.ts"],
    from: "(phone|mobile|telephone|tel|fax)",
    to: "(mobile|telephone|tel|fax)",
  },
  // the site
  {
    name: "CSV formula guard without + and @",
    file: "docs/components/csv.js",
    tests: ["test/site/csv.test.ts"],
    from: "[=+\\-@\\uff1d\\uff0b\\uff0d\\uff20]",
    to: "[=\\-\\uff1d\\uff0b\\uff0d\\uff20]",
  },
  {
    name: "kehu serve without path-traversal guard",
    file: "src/report/serve.ts",
    tests: ["test/site/serve.test.ts"],
    from: "return path === root || path.startsWith(root + sep) ? null : 403;",
    to: "return null;",
  },
  {
    name: "gradeWeights unwired (loyalty)",
    file: "src/pipelines/runner.ts",
    tests: SETTINGS,
    from: "w_loyalty: `${analysis.gradeWeights.loyalty}::double`,",
    to: 'w_loyalty: "0.2::double",',
  },
  // customer marts
  {
    name: "quarter cohorts step by month",
    file: "src/pipelines/customers/cohort_retention.sql",
    tests: MARTS,
    from: "when 'quarter' then interval 3 month",
    to: "when 'quarter' then interval 1 month",
  },
  {
    name: "quarter grades step by month",
    file: "src/pipelines/customers/customer_grades.sql",
    tests: MARTS,
    from: "when 'quarter' then interval 3 month",
    to: "when 'quarter' then interval 1 month",
  },
  {
    name: "customer_summary T off by a day",
    file: "src/pipelines/customers/customer_summary.sql",
    tests: MARTS,
    from: "((getvariable('as_of') - purchase_history.first_purchase) / getvariable('period_days'))",
    to: "((getvariable('as_of') - purchase_history.first_purchase + 1) / getvariable('period_days'))",
  },
  {
    name: "value matrix quadrant >= for >",
    file: "src/pipelines/clv/valueMatrix.ts",
    tests: ["test/clv/steps.test.ts"],
    from: "const highValue = c.clv > currentThreshold;",
    to: "const highValue = c.clv >= currentThreshold;",
  },
];
