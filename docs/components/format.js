// Locale-aware formatting. Every number, date and currency on the site goes through one of these, built once per
// page from the build's locale and currency: `const fmt = makeI18n(meta.locale, meta.currency)`.
import { resolveLocale, translate, STRINGS } from "./i18n.js";
import { modelMessageKey, rejectReasonKey } from "./i18n-codes.js";

const isMissing = (v) => v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v)) || v === "";

/** Parse "2024-03-01" or "2024-03-01 10:00:00" as a calendar date (UTC, so no time zone shifts the day). */
export function parseDate(value) {
  if (value instanceof Date) return value;
  if (isMissing(value)) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(String(value));
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
}

export function makeI18n(locale, currency = "CNY") {
  locale = resolveLocale(locale);
  const na = translate(locale, "common.na");
  const nf = (options) => new Intl.NumberFormat(locale, options);
  const integerFormat = nf({ maximumFractionDigits: 0 });
  const numberFormat = nf({ maximumFractionDigits: 2 });
  const moneyFormat = nf({ style: "currency", currency, currencyDisplay: "narrowSymbol", maximumFractionDigits: 0 });
  const moneyFineFormat = nf({
    style: "currency",
    currency,
    currencyDisplay: "narrowSymbol",
    maximumFractionDigits: 2,
  });
  // Large amounts in KPIs: 万/亿 in Chinese ("¥614万"), K/M in English ("¥6.14M"); 3 significant digits.
  const moneyShortFormat = nf({
    style: "currency",
    currency,
    currencyDisplay: "narrowSymbol",
    notation: "compact",
    maximumSignificantDigits: 3,
  });
  const compactFormat = nf({ notation: "compact", maximumSignificantDigits: 3 });
  const ppFormat = nf({ maximumFractionDigits: 1, minimumFractionDigits: 1, signDisplay: "exceptZero" });
  const percentFormat = nf({ style: "percent", maximumFractionDigits: 1 });
  const changeFormat = nf({ style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });
  const dateFormat = new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZone: "UTC",
  });
  const monthFormat = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", timeZone: "UTC" });
  const dict = STRINGS[locale];
  const t = (key, params) => translate(locale, key, params);
  const modelMessage = (text) => {
    const hit = modelMessageKey(text);
    if (!hit) return String(text);
    const [key, params] = hit;
    return t(key, key === "model.msg.fit_failed" ? { reason: modelMessage(params.reason) } : params);
  };
  const large = (v) => Math.abs(v) >= (locale === "zh-CN" ? 1e5 : 1e6);
  const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const guard = (f) => (v) => (isMissing(v) ? na : f(v));
  // Formatters tagged with their unit: a table's header shows it (units.js).
  const currencySymbol =
    nf({ style: "currency", currency, currencyDisplay: "narrowSymbol" })
      .formatToParts(0)
      .find((p) => p.type === "currency")?.value ?? currency;
  const tagged = (unit, f) =>
    Object.assign(guard(f), { unit, locale, ...(unit === "currency" ? { symbol: currencySymbol } : {}) });
  return {
    locale,
    currency,
    /** The currency's symbol ("¥", "$", "€"), for axis titles. */
    currencySymbol,
    na,
    /** Translate a key of i18n.js. */
    t,
    /** A code of an export (complaint category, severity, visit kind/outcome): its label, else the code as exported. */
    code: (kind, value) => (isMissing(value) ? na : (dict[`code.${kind}.${value}`] ?? String(value))),
    /** Labels joined the locale's way ("a、b" / "a, b"). */
    list: (labels) => (labels ?? []).join(t("list.separator")),
    /** A model-fit message of the pipeline, in words of the locale. */
    modelMessage: (text) => (isMissing(text) ? "" : modelMessage(text)),
    /** Why `kehu ingest` rejected a row, in words of the locale (the reason as written when it is not kehu's). */
    rejectReason: (text) => {
      const hit = rejectReasonKey(text);
      return hit ? t(hit[0], hit[1]) : isMissing(text) ? na : String(text);
    },
    integer: guard((v) => integerFormat.format(v)),
    number: guard((v) => numberFormat.format(v)),
    /** Currency, whole units (use moneyFine for small amounts such as average order value). */
    money: tagged("currency", (v) => moneyFormat.format(v)),
    moneyFine: tagged("currency", (v) => moneyFineFormat.format(v)),
    /** Currency for KPIs: whole units, large amounts as 万/亿 (zh-CN) or K/M (en). */
    moneyShort: tagged("currency", (v) => (large(v) ? moneyShortFormat : moneyFormat).format(v)),
    /** A count for KPIs: large counts as 万/亿 (zh-CN) or K/M (en). */
    integerShort: guard((v) => (large(v) ? compactFormat : integerFormat).format(v)),
    /** A ratio 0..1 as a percentage. */
    percent: tagged("percent", (v) => percentFormat.format(v)),
    /** A relative change (0.12 -> "+12%"). */
    change: tagged("percent", (v) => changeFormat.format(v)),
    /** A difference of two rates (0.004 = 0.4 percentage points): "+0.4 个百分点" / "+0.4 pp". */
    pp: tagged("pp", (v) => t("unit.pp", { value: ppFormat.format(v * 100) })),
    /** A number of days with its unit. */
    days: tagged("days", (v) => t("unit.days", { n: numberFormat.format(v) })),
    date: guard((v) => {
      const d = parseDate(v);
      return d ? dateFormat.format(d) : String(v);
    }),
    month: guard((v) => {
      const d = parseDate(v);
      return d ? monthFormat.format(d) : String(v);
    }),
    /** An instant (build time): shown in the reader's time zone. */
    dateTime: guard((v) => dateTimeFormat.format(new Date(v))),
  };
}

/** The relative change from `previous` to `current`, or null when it is undefined (no previous value). */
export function relativeChange(current, previous) {
  if (isMissing(current) || isMissing(previous) || previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}
