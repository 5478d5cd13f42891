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
      x: { field: "frequency_bin", type: "ordinal", sort: frequencyOrder ?? null, title: l.frequencyRepeat, axis: { labelAngle: 0 } },
      y: { field: "recency_bin", type: "ordinal", sort: recencyOrder ? [...recencyOrder].reverse() : null, title: l.recencyPeriods },
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
  return {
    ...frame(rows, l.validationBucketsTitle),
    transform: [
      { fold: ["actual", "predicted"], as: ["series_key", "value"] },
      { calculate: `datum.series_key === 'actual' ? '${l.actual}' : '${l.predicted}'`, as: "series" },
    ],
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "bucket", type: "ordinal", sort: bucketOrder ?? null, title: l.calibrationFrequency, axis: { labelAngle: 0 } },
      xOffset: { field: "series", type: "nominal", sort: [l.actual, l.predicted] },
      y: { field: "value", type: "quantitative", title: l.holdoutPurchasesPerCustomer, axis: { format: DECIMAL } },
      color: { field: "series", type: "nominal", title: null, sort: [l.actual, l.predicted], scale: { range: ["#4c78a8", "#f58518"] } },
      tooltip: [
        { field: "bucket", type: "ordinal", title: l.calibrationFrequency },
        { field: "series", type: "nominal", title: l.series },
        { field: "value", type: "quantitative", title: l.holdoutPurchasesPerCustomer, format: DECIMAL },
      ],
    },
  };
}

/**
 * Cumulative repeat transactions, actual vs predicted, over time (the tracking plot); rows: {period (date or index),
 * actual, predicted}. A rule marks where calibration ends and the holdout starts.
 */
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
          y: { field: "value", type: "quantitative", title: l.cumulativeRepeatTransactions, axis: { format: NUMBER, tickMinStep: 1 } },
          color: { field: "series", type: "nominal", title: null, sort: [l.actual, l.predicted], scale: { range: ["#4c78a8", "#f58518"] } },
          strokeDash: { field: "series", type: "nominal", sort: [l.actual, l.predicted], legend: null },
        },
      },
      ...(holdoutStart != null
        ? [
            {
              data: { values: [{ period: holdoutStart, label: l.holdoutStarts }] },
              layer: [
                { mark: { type: "rule", strokeDash: [4, 4], color: "#888" }, encoding: { x: { field: "period", type: xType } } },
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
