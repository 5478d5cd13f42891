/** Charts of the value matrix page (mart value_matrix). */
import { frame, labelsFor, NUMBER, PERCENT, bandHeight, currencySymbol } from "./common.js";
import { axisNumber } from "../time-axes.js";

export const QUADRANTS = ["I", "II", "III", "IV"];
const QUADRANT_COLORS = ["#9e9e9e", "#54a24b", "#4c78a8", "#e45756"];

/** A vega expression mapping a quadrant code to its localised label (vega expressions have no map literal). */
export function quadrantLabelExpr(l, field = "datum.quadrant") {
  return QUADRANTS.reduceRight(
    (rest, q) => `${field} === '${q}' ? ${JSON.stringify(l.quadrantNames[q])} : ${rest}`,
    field,
  );
}

/**
 * Tick values for a symlog axis over `values`: 0 (and negative powers of ten when needed) and 1, 10, 100, ...; from
 * 1,000 up the first power (1) is left out, so 0 and 1 do not sit on top of each other.
 */
export function symlogTicks(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  const max = Math.max(0, ...finite);
  const min = Math.min(0, ...finite);
  const ticks = [0];
  for (let p = max >= 1000 ? 10 : 1; p <= max * 10 && p <= 1e15; p *= 10)
    if (p <= max || ticks.length < 2) ticks.push(p);
  for (let p = 1; p <= -min * 10 && p <= 1e15; p *= 10) if (p <= -min) ticks.unshift(-p);
  return ticks;
}

/**
 * Current value (x) against growth potential (y), one point per customer, coloured by quadrant, with the two
 * threshold lines. Both axes are symlog: CLV is heavily skewed and growth potential is often exactly 0, which a log
 * scale cannot show. Rows: {customer_id, label?, current_value, growth_potential, quadrant}.
 */
export function valueMatrixSpec(rows, locale, { thresholds = {}, currency } = {}) {
  const l = labelsFor(locale);
  const names = QUADRANTS.map((q) => l.quadrantNames[q]);
  const rules = [];
  if (Number.isFinite(thresholds.currentValue)) rules.push({ axis: "x", value: thresholds.currentValue });
  if (Number.isFinite(thresholds.growthPotential)) rules.push({ axis: "y", value: thresholds.growthPotential });
  // vega's own symlog ticks crowd together: put them at 0 and the powers of ten the data reaches instead.
  const ticks = (field) => symlogTicks((Array.isArray(rows) ? rows : []).map((r) => r[field]));
  // labelExpr, not format: with explicit values vega would pick an SI precision from the domain ("0k" for 10). The
  // labels are worked out here, in the locale's words for large numbers (1万) and with the currency symbol.
  const symbol = currency ? currencySymbol(currency) : "";
  const number = axisNumber(locale);
  const axis = (field) => {
    const values = ticks(field);
    const labelExpr = values.reduceRight(
      (rest, v) => `datum.value === ${v} ? ${JSON.stringify(v === 0 ? "0" : `${symbol}${number(v)}`)} : ${rest}`,
      "''",
    );
    return { labelExpr, values, grid: true };
  };
  const x = { type: "quantitative", scale: { type: "symlog" }, title: l.currentValue, axis: axis("current_value") };
  const y = {
    type: "quantitative",
    scale: { type: "symlog" },
    title: l.growthPotential,
    axis: axis("growth_potential"),
  };
  // The quadrant names on the plot itself, one in each corner (I bottom left ... IV top right).
  const list = Array.isArray(rows) ? rows : [];
  const maxOf = (field) => Math.max(0, ...list.map((r) => r[field]).filter(Number.isFinite));
  const corner = (q, right, top) => ({
    data: {
      values: [
        {
          current_value: right ? maxOf("current_value") : 0,
          growth_potential: top ? maxOf("growth_potential") : 0,
          text: l.quadrantNames[q],
        },
      ],
    },
    mark: {
      type: "text",
      align: right ? "right" : "left",
      baseline: top ? "top" : "bottom",
      dx: right ? -4 : 4,
      dy: top ? 4 : -4,
      fontWeight: "bold",
      fontSize: 12,
      color: QUADRANT_COLORS[QUADRANTS.indexOf(q)],
    },
    encoding: { x: { field: "current_value", ...x }, y: { field: "growth_potential", ...y }, text: { field: "text" } },
  });
  const corners = list.length
    ? [corner("I", false, false), corner("II", false, true), corner("III", true, false), corner("IV", true, true)]
    : [];
  return {
    ...frame(rows, l.valueMatrixTitle, { height: 380 }),
    layer: [
      {
        transform: [{ calculate: quadrantLabelExpr(l), as: "quadrant_label" }],
        mark: { type: "point", filled: true, opacity: 0.6, size: 30, tooltip: true },
        encoding: {
          x: { field: "current_value", ...x },
          y: { field: "growth_potential", ...y },
          color: {
            field: "quadrant_label",
            type: "nominal",
            title: l.quadrant,
            sort: names,
            scale: { domain: names, range: QUADRANT_COLORS },
          },
          tooltip: [
            { field: "label", type: "nominal", title: l.customer },
            { field: "quadrant_label", type: "nominal", title: l.quadrant },
            { field: "current_value", type: "quantitative", title: `${l.currentValue} (${symbol})`, format: NUMBER },
            {
              field: "growth_potential",
              type: "quantitative",
              title: `${l.growthPotential} (${symbol})`,
              format: NUMBER,
            },
          ],
        },
      },
      ...corners,
      ...rules.map((rule) => ({
        data: { values: [{ value: rule.value }] },
        mark: { type: "rule", strokeDash: [6, 4], color: "#555" },
        encoding: { [rule.axis]: { field: "value", ...(rule.axis === "x" ? x : y) } },
      })),
    ],
  };
}

/**
 * Each quadrant's share of customers next to its share of current value (one bar pair per quadrant), e.g. "IV: 10%
 * of customers, 60% of value". Rows: {quadrant, customers, current_value}.
 */
export function quadrantTotalsSpec(rows, locale) {
  const l = labelsFor(locale);
  const names = QUADRANTS.map((q) => l.quadrantNames[q]);
  const measures = [l.shareOfCustomers, l.shareOfCurrentValue];
  return {
    ...frame(rows, l.quadrantTotalsTitle, { height: bandHeight(rows, 36) }),
    transform: [
      { calculate: quadrantLabelExpr(l), as: "quadrant_label" },
      {
        joinaggregate: [
          { op: "sum", field: "customers", as: "all_customers" },
          { op: "sum", field: "current_value", as: "all_value" },
        ],
      },
      { calculate: "datum.all_customers > 0 ? datum.customers / datum.all_customers : 0", as: "m0" },
      { calculate: "datum.all_value > 0 ? datum.current_value / datum.all_value : 0", as: "m1" },
      { fold: ["m0", "m1"], as: ["measure_key", "share"] },
      {
        calculate: `datum.measure_key === 'm0' ? ${JSON.stringify(measures[0])} : ${JSON.stringify(measures[1])}`,
        as: "measure",
      },
    ],
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "quadrant_label", type: "nominal", sort: names, title: null },
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
        { field: "quadrant_label", type: "nominal", title: l.quadrant },
        { field: "measure", type: "nominal", title: l.series },
        { field: "share", type: "quantitative", title: l.share, format: ".1%" },
        { field: "customers", type: "quantitative", title: l.customers, format: NUMBER },
        { field: "current_value", type: "quantitative", title: l.currentValue, format: NUMBER },
      ],
    },
  };
}
