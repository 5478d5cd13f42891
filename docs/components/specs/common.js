/**
 * Shared pieces of the page chart specs. Every builder in this folder is a pure function
 * (rows + locale -> vega-lite spec): no DOM, no fetch, so it is testable in node with vega-lite's compile().
 */
import { STRINGS, resolveLocale, translate } from "../i18n.js";

const CHART_KEYS = Object.keys(STRINGS.en).filter((k) => k.startsWith("chart.") && !k.startsWith("chart.quadrant."));

/**
 * Axis/legend titles for a locale (zh-CN default, en): the `chart.*` keys of i18n.js as an object
 * ({customers: "客户数", ...}), plus quadrantNames {I..IV}.
 */
export function labelsFor(locale) {
  const loc = resolveLocale(locale);
  const labels = Object.fromEntries(CHART_KEYS.map((k) => [k.slice("chart.".length), translate(loc, k)]));
  labels.quadrantNames = Object.fromEntries(
    ["I", "II", "III", "IV"].map((q) => [q, translate(loc, `chart.quadrant.${q}`)]),
  );
  return labels;
}

/**
 * The frame every chart shares: the width follows its container, the data is inlined (pages already hold the
 * rows), and there is no $schema URL because the built site must not reference remote resources.
 */
export function frame(rows, title, extra = {}) {
  return {
    ...(title ? { title } : {}),
    width: "container",
    height: extra.height ?? 260,
    data: { values: Array.isArray(rows) ? rows : [] },
    ...extra,
  };
}

/** Axis format strings (d3-format); thousands separators come from the locale given to vega-embed. */
export const NUMBER = ",.0f";
export const DECIMAL = ",.2f";
export const PERCENT = ".0%";
export const PERCENT1 = ".1%";

/** The symbol of a currency code ("CNY" -> "¥", "USD" -> "$"); the code itself when it has none. */
export function currencySymbol(currency) {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency, currencyDisplay: "narrowSymbol" })
        .formatToParts(0)
        .find((p) => p.type === "currency")?.value ?? currency
    );
  } catch {
    return currency;
  }
}

/** A short title suffix naming the currency by its symbol, e.g. "Revenue (¥)". */
export function withCurrency(label, currency) {
  return currency ? `${label} (${currencySymbol(currency)})` : label;
}

/**
 * Height for a chart with one band per row (horizontal bars): vega-lite's `{step}` height would be simpler, but it
 * cannot be combined with the width-fitting autosize the chart component uses (vega-lite drops it with a warning).
 */
export function bandHeight(rows, step, min = 60) {
  // The fit counts the title, axis and legend in the height: 80 px for them, so one bar is one band high, not 0 px.
  return Math.max(min, Math.max(1, Array.isArray(rows) ? rows.length : 0) * step + 80);
}
