/** Charts of the lifetime value page (marts customer_clv, customer_summary, model_validation). */
import { frame, labelsFor, DECIMAL, NUMBER, PERCENT, withCurrency } from "./common.js";

/** CLV histogram; rows are pre-binned by the loader: {bin_start, bin_end, customers}. */
export function clvHistogramSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.clvHistogramTitle),
    mark: { type: "bar", tooltip: true, binSpacing: 1 },
    encoding: {
      x: {
        field: "bin_start",
        type: "quantitative",
        bin: { binned: true },
        title: withCurrency(l.clv, currency),
        axis: { format: NUMBER, tickMinStep: 1 },
      },
      x2: { field: "bin_end" },
      y: { field: "customers", type: "quantitative", title: l.customers, axis: { format: NUMBER, tickMinStep: 1 } },
      tooltip: [
        { field: "bin_start", type: "quantitative", title: l.from, format: NUMBER },
        { field: "bin_end", type: "quantitative", title: l.to, format: NUMBER },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
      ],
    },
  };
}

/**
 * Mean P(alive) by repeat-purchase frequency (x) and recency (y) bins: the classic BG/NBD picture where a
 * frequent buyer who has not bought for a long time is the likeliest to have left. Rows: {frequency_bin,
 * recency_bin, customers, mean_p_alive}; the bin labels are ordered by `frequencyOrder` / `recencyOrder`.
 */
export function pAliveMatrixSpec(rows, locale, { frequencyOrder, recencyOrder } = {}) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.pAliveMatrixTitle, { height: 300 }),
    encoding: {
      x: {
        field: "frequency_bin",
        type: "ordinal",
        sort: frequencyOrder ?? null,
        title: l.frequencyRepeat,
        axis: { labelAngle: 0 },
      },
      y: {
        field: "recency_bin",
        type: "ordinal",
        sort: recencyOrder ? [...recencyOrder].reverse() : null,
        title: l.recencyPeriods,
      },
    },
    layer: [
      {
        mark: { type: "rect", tooltip: true },
        encoding: {
          color: {
            field: "mean_p_alive",
            type: "quantitative",
            title: l.meanPAlive,
            scale: { scheme: "redyellowgreen", domain: [0, 1] },
            legend: { format: PERCENT },
          },
          tooltip: [
            { field: "frequency_bin", type: "ordinal", title: l.frequencyRepeat },
            { field: "recency_bin", type: "ordinal", title: l.recencyPeriods },
            { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
            { field: "mean_p_alive", type: "quantitative", title: l.meanPAlive, format: PERCENT },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: { text: { field: "mean_p_alive", type: "quantitative", format: PERCENT } },
      },
    ],
  };
}

/** Holdout purchases per customer, actual vs predicted, by calibration frequency; rows: {bucket, actual, predicted}. */
export function validationBucketsSpec(rows, locale, { bucketOrder } = {}) {
  const l = labelsFor(locale);
  return actualVsModelBars(rows, l, {
    title: l.validationBucketsTitle,
    x: { field: "bucket", sort: bucketOrder ?? null, title: l.calibrationFrequency },
    model: { key: "predicted", label: l.predicted },
    y: { title: l.holdoutPurchasesPerCustomer, axis: { format: DECIMAL } },
  });
}

/**
 * Grouped bars of `actual` against the model's column (`model.key`, shown as `model.label`) per x category: the
 * holdout check by frequency bucket and the period-transactions check share it.
 */
function actualVsModelBars(rows, l, { title, x, model, y }) {
  return {
    ...frame(rows, title),
    transform: [
      { fold: ["actual", model.key], as: ["series_key", "value"] },
      { calculate: `datum.series_key === 'actual' ? '${l.actual}' : '${model.label}'`, as: "series" },
    ],
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: x.field, type: "ordinal", sort: x.sort, title: x.title, axis: { labelAngle: 0 } },
      xOffset: { field: "series", type: "nominal", sort: [l.actual, model.label] },
      y: { field: "value", type: "quantitative", title: y.title, axis: y.axis },
      color: {
        field: "series",
        type: "nominal",
        title: null,
        sort: [l.actual, model.label],
        scale: { range: ["#4c78a8", "#f58518"] },
      },
      tooltip: [
        { field: x.field, type: "ordinal", title: x.title },
        { field: "series", type: "nominal", title: l.series },
        { field: "value", type: "quantitative", title: y.title, format: DECIMAL },
      ],
    },
  };
}

export function trackingSpec(rows, locale, { holdoutStart, temporal = true } = {}) {
  const l = labelsFor(locale);
  const xType = temporal ? "temporal" : "quantitative";
  return {
    ...frame(rows, l.trackingTitle),
    layer: [
      {
        transform: [
          { fold: ["actual", "predicted"], as: ["series_key", "value"] },
          { calculate: `datum.series_key === 'actual' ? '${l.actual}' : '${l.predicted}'`, as: "series" },
        ],
        mark: { type: "line", tooltip: true },
        encoding: {
          x: { field: "period", type: xType, title: l.period },
          y: {
            field: "value",
            type: "quantitative",
            title: l.cumulativeRepeatTransactions,
            axis: { format: NUMBER, tickMinStep: 1 },
          },
          color: {
            field: "series",
            type: "nominal",
            title: null,
            sort: [l.actual, l.predicted],
            scale: { range: ["#4c78a8", "#f58518"] },
          },
          strokeDash: { field: "series", type: "nominal", sort: [l.actual, l.predicted], legend: null },
        },
      },
      ...(holdoutStart != null
        ? [
            {
              data: { values: [{ period: holdoutStart, label: l.holdoutStarts }] },
              layer: [
                {
                  mark: { type: "rule", strokeDash: [4, 4], color: "#888" },
                  encoding: { x: { field: "period", type: xType } },
                },
                {
                  mark: { type: "text", align: "left", dx: 4, baseline: "top", y: 0, color: "#555" },
                  encoding: { x: { field: "period", type: xType }, text: { field: "label" } },
                },
              ],
            },
          ]
        : []),
    ],
  };
}

// Models an analyst can defend (issue 13): the period-transactions check, the model surfaces, the purchase-count
// forecast. Rows come from the clv.json loader (marts model_checks, model_surfaces, purchase_count_forecast).

/**
 * Customers by number of repeat purchases, actual vs what the fitted model expects (lifetimes'
 * plot_period_transactions); rows: {label, actual, expected}, labels in order 0..6, 7+.
 */
export function periodTransactionsSpec(rows, locale) {
  const l = labelsFor(locale);
  return actualVsModelBars(rows, l, {
    title: l.periodTransactionsTitle,
    x: { field: "label", sort: null, title: l.frequencyRepeat },
    model: { key: "expected", label: l.modelExpected },
    y: { title: l.customers, axis: { format: NUMBER, tickMinStep: 1 } },
  });
}

/**
 * The fitted model's own surface on a frequency (x) x recency (y, latest on top) grid for a customer observed as
 * long as the longest-observed one (lifetimes' plot_probability_alive_matrix / plot_frequency_recency_matrix).
 * rows: {frequency, recency, p_alive, expected_next_period}; `measure` picks the colour.
 */
export function modelSurfaceSpec(rows, locale, { measure = "p_alive" } = {}) {
  const l = labelsFor(locale);
  const isPAlive = measure === "p_alive";
  const title = isPAlive ? l.surfacePAliveTitle : l.surfaceExpectedTitle;
  const measureTitle = isPAlive ? l.modelPAlive : l.expectedNextPeriod;
  const format = isPAlive ? PERCENT : DECIMAL;
  // Ordinal axes with many values: label about every tenth one.
  const every = (field) => {
    const values = [...new Set(rows.map((r) => r[field]))].sort((a, b) => a - b);
    const step = Math.max(1, Math.ceil(values.length / 10));
    return values.filter((_, i) => i % step === 0);
  };
  return {
    ...frame(rows, title, { height: 320 }),
    mark: { type: "rect", tooltip: true },
    encoding: {
      x: {
        field: "frequency",
        type: "ordinal",
        title: l.frequencyRepeat,
        axis: { labelAngle: 0, values: every("frequency") },
      },
      y: {
        field: "recency",
        type: "ordinal",
        sort: "descending",
        title: l.recencyPeriods,
        axis: { values: every("recency") },
      },
      color: {
        field: measure,
        type: "quantitative",
        title: measureTitle,
        scale: isPAlive ? { scheme: "redyellowgreen", domain: [0, 1] } : { scheme: "blues" },
        legend: { format },
      },
      tooltip: [
        { field: "frequency", type: "ordinal", title: l.frequencyRepeat },
        { field: "recency", type: "quantitative", title: l.recencyPeriods, format: DECIMAL },
        { field: measure, type: "quantitative", title: measureTitle, format },
      ],
    },
  };
}

/**
 * Expected number of new customers (a cohort as large as the customer base) making n purchases over the horizon,
 * from P(X(t) = n); rows: {label, expected_customers, probability}, labels in order 0..9, 10+.
 */
export function purchaseCountSpec(rows, locale) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.purchaseCountTitle),
    mark: { type: "bar", tooltip: true, color: "#4c78a8" },
    encoding: {
      x: { field: "label", type: "ordinal", sort: null, title: l.purchasesInHorizon, axis: { labelAngle: 0 } },
      y: { field: "expected_customers", type: "quantitative", title: l.expectedCustomers, axis: { format: NUMBER } },
      tooltip: [
        { field: "label", type: "ordinal", title: l.purchasesInHorizon },
        { field: "expected_customers", type: "quantitative", title: l.expectedCustomers, format: NUMBER },
        { field: "probability", type: "quantitative", title: l.probability, format: PERCENT },
      ],
    },
  };
}
