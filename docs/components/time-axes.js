// One date and number format per locale for every chart: what format.js gives tables and KPIs, applied to vega-lite
// axes and tooltips. Pure (spec in, spec out) so it is tested in node (test/site/time-axes.test.ts).

/** d3-time-format strings matching format.js: fmt.date ("2024/06/30" | "06/30/2024"), fmt.month ("2024年6月" | "Jun 2024"). */
export const TIME_FORMATS = {
  "zh-CN": { day: "%Y/%m/%d", week: "%Y/%m/%d 起一周", month: "%Y年%-m月", quarter: "%Y年Q%q", year: "%Y年" },
  en: { day: "%m/%d/%Y", week: "week of %b %-d, %Y", month: "%b %Y", quarter: "Q%q %Y", year: "%Y" },
};
const UNIT_GRAIN = { yearmonth: "month", yearmonthdate: null, yearquarter: "quarter", year: "year", yearweek: "week" };
/** Formats a spec author may have written that are not the locale's (ISO-like, vega defaults): replaced. */
const REPLACEABLE_TIME = /^%Y-%m(-%d)?$/;
/** Number formats that only group digits: replaced by the locale's (万/亿 in zh-CN, K/M in English). */
const REPLACEABLE_NUMBER = new Set([",.0f", ",d", ",.2f", ",.1f", "~s", "s", ",~s", ",.0s"]);
export const NUMBER_FORMAT_TYPE = "kehuNumber";

const DAY = 86400000;
/** "month" when every value is the first of a month, "week" when they lie whole weeks apart, else "day". */
export function grainOf(values) {
  const days = [...new Set(values.filter((v) => v != null).map((v) => String(v).slice(0, 10)))].sort();
  if (!days.length || !days.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))) return "day";
  if (days.every((d) => d.endsWith("-01"))) return "month";
  const t = days.map((d) => Date.parse(`${d}T00:00:00Z`));
  if (t.length > 1 && t.every((x, i) => i === 0 || (x - t[i - 1]) % (7 * DAY) === 0)) return "week";
  return "day";
}

function timeDef(def, values, loc) {
  let grain = def.timeUnit ? UNIT_GRAIN[def.timeUnit] : undefined;
  if (grain === undefined || grain === null) grain = grainOf(values.map((r) => r?.[def.field]));
  const out = { ...def };
  if (!def.timeUnit && grain === "month") out.timeUnit = "yearmonth"; // monthly periods are months, not days
  const format = TIME_FORMATS[loc][grain] ?? TIME_FORMATS[loc].day;
  return { out, format };
}

const isTime = (def) =>
  def && typeof def === "object" && def.field && (def.type === "temporal" || (def.timeUnit && def.type === "ordinal"));

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
/** An ordinal/nominal field holding dates ("2024-06-01" cohorts): labelled in the locale's format, sorted as dates. */
function dateCategory(def, values) {
  if (
    !def ||
    typeof def !== "object" ||
    !def.field ||
    def.timeUnit ||
    (def.type !== "ordinal" && def.type !== "nominal")
  )
    return null;
  const v = values.map((r) => r?.[def.field]).filter((x) => x != null);
  return v.length && v.every((x) => typeof x === "string" && ISO_DAY.test(x)) ? v : null;
}

function localiseChannel(def, values, loc, isAxis, guide = "axis") {
  const dates = dateCategory(def, values);
  if (dates) {
    const format = TIME_FORMATS[loc][grainOf(dates)] ?? TIME_FORMATS[loc].day;
    if (!isAxis) return { ...def, type: "temporal", format };
    if (def[guide] === null || def[guide]?.labelExpr) return def;
    return {
      ...def,
      [guide]: { ...def[guide], labelExpr: `utcFormat(toDate(datum.value), ${JSON.stringify(format)})` },
    };
  }
  if (isTime(def)) {
    const { out, format } = timeDef(def, values, loc);
    if (isAxis) {
      if (def.axis !== null && (def.axis?.format === undefined || REPLACEABLE_TIME.test(def.axis.format)))
        out.axis = { ...def.axis, format };
    } else if (def.format === undefined || REPLACEABLE_TIME.test(def.format)) out.format = format;
    return out;
  }
  if (
    isAxis &&
    def &&
    def.type === "quantitative" &&
    def.axis !== null &&
    !def.axis?.formatType &&
    !def.axis?.labelExpr &&
    (def.axis?.format === undefined || REPLACEABLE_NUMBER.has(def.axis.format))
  ) {
    const { format: _ignored, ...axis } = def.axis ?? {};
    return { ...def, axis: { ...axis, formatType: NUMBER_FORMAT_TYPE } };
  }
  return def;
}

/**
 * A copy of the spec whose time axes and tooltips use the locale's date/month/week format (monthly data gets the
 * yearmonth time unit), and whose plain number axes use the locale's number format (formatType kehuNumber, which
 * chart.js registers). Explicit formats other than ISO-like dates and plain digit grouping are kept.
 */
export function localiseAxes(spec, loc) {
  const walk = (node, values) => {
    if (Array.isArray(node)) return node.map((n) => walk(n, values));
    if (!node || typeof node !== "object") return node;
    const own = Array.isArray(node.data?.values) ? node.data.values : values;
    const out = {};
    for (const [key, value] of Object.entries(node)) out[key] = key === "data" ? value : walk(value, own);
    const enc = out.encoding;
    if (enc && typeof enc === "object" && !Array.isArray(enc)) {
      for (const channel of ["x", "y"]) if (enc[channel]) enc[channel] = localiseChannel(enc[channel], own, loc, true);
      if (enc.color && dateCategory(enc.color, own)) enc.color = localiseChannel(enc.color, own, loc, true, "legend");
      if (Array.isArray(enc.tooltip)) enc.tooltip = enc.tooltip.map((d) => localiseChannel(d, own, loc, false));
    }
    return out;
  };
  const out = walk(spec, []);
  out.config = { ...out.config, customFormatTypes: true };
  return out;
}

/** kept for older callers */
export const localiseTimeAxes = localiseAxes;

/** The number format of axes: 万/亿 from 10,000 in Chinese, K/M/B from 1,000,000 in English; digits grouped. */
export function axisNumber(locale) {
  const zh = locale !== "en";
  const compact = new Intl.NumberFormat(zh ? "zh-CN" : "en-US", { notation: "compact", maximumSignificantDigits: 3 });
  const plain = new Intl.NumberFormat(zh ? "zh-CN" : "en-US", { maximumFractionDigits: 2 });
  return (value) => {
    if (typeof value !== "number" || !Number.isFinite(value)) return String(value ?? "");
    return Math.abs(value) >= (zh ? 1e4 : 1e6) ? compact.format(value) : plain.format(value);
  };
}
