/** Charts of the churn risk page (mart churn_risk). */
import { frame, labelsFor, NUMBER, bandHeight, withCurrency } from "./common.js";

/**
 * Value at risk and customers per reason code; rows: {reason, reason_label, customers, value_at_risk}. A customer
 * with several reasons counts under each, so the bars do not add up to the page's total (the page says so).
 */
export function riskByReasonSpec(rows, locale, { currency } = {}) {
  const l = labelsFor(locale);
  const varTitle = withCurrency(l.valueAtRisk, currency);
  return {
    ...frame(rows, l.riskByReasonTitle, { height: bandHeight(rows, 26) }),
    mark: { type: "bar", tooltip: true, color: "#e45756" },
    encoding: {
      y: { field: "reason_label", type: "nominal", sort: { field: "value_at_risk", order: "descending" }, title: null },
      x: { field: "value_at_risk", type: "quantitative", title: varTitle, axis: { format: "~s", tickCount: 5 } },
      tooltip: [
        { field: "reason_label", type: "nominal", title: l.reason },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
        { field: "value_at_risk", type: "quantitative", title: varTitle, format: NUMBER },
      ],
    },
  };
}
