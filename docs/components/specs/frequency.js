/** Charts of the purchase frequency page (marts purchase_frequency_distribution, interpurchase_histogram). */
import { frame, labelsFor, NUMBER, PERCENT, withCurrency } from "./common.js";

export const ORDER_BUCKETS = ["1", "2", "3-5", "6-10", "11+"];

/** Customers per order-count bucket; rows: {bucket, customers, share, revenue}. */
export function orderBucketsSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.orderBucketsTitle),
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "bucket", type: "ordinal", sort: ORDER_BUCKETS, title: l.ordersBucket, axis: { labelAngle: 0 } },
      y: { field: "customers", type: "quantitative", title: l.customers, axis: { format: NUMBER, tickMinStep: 1 } },
      tooltip: [
        { field: "bucket", type: "ordinal", title: l.ordersBucket },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
        { field: "share", type: "quantitative", title: l.shareOfCustomers, format: PERCENT },
        { field: "revenue", type: "quantitative", title: withCurrency(l.revenue, currency), format: NUMBER },
      ],
    },
  };
}

/**
 * Days between consecutive purchases; rows: {bin_start, bin_end (null = open-ended), gaps}. The mart's bins have
 * unequal widths (0-7, 7-14, 14-30, ... 365+ days), so they are drawn as ordered categories, not on a linear axis
 * where wide bins would look inflated.
 */
export function interpurchaseSpec(rows, locale) {
  const l = labelsFor(locale);
  return {
    ...frame(rows, l.interpurchaseTitle),
    transform: [
      {
        calculate: "datum.bin_end == null ? datum.bin_start + '+' : datum.bin_start + '-' + datum.bin_end",
        as: "bin_label",
      },
    ],
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "bin_label",
        type: "ordinal",
        sort: { field: "bin_start" },
        title: l.gapDays,
        axis: { labelAngle: 0 },
      },
      y: { field: "gaps", type: "quantitative", title: l.gaps, axis: { format: NUMBER, tickMinStep: 1 } },
      tooltip: [
        { field: "bin_label", type: "ordinal", title: l.gapDays },
        { field: "gaps", type: "quantitative", title: l.gaps, format: NUMBER },
      ],
    },
  };
}
