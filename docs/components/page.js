// Page scaffolding shared by every page: localised heading (and <title>), "n/a + what would enable it" notes, KPI
// cards, the data-freshness line. All text goes in through textContent: data is never parsed as HTML.
import { translate } from "./i18n.js";
import { columnUnit, withUnit } from "./units.js";

const CSS = `
.kehu-kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,190px),1fr));gap:1rem;margin:1rem 0}
.kehu-kpi{border:1px solid var(--theme-foreground-faintest);border-radius:8px;padding:.75rem 1rem;background:var(--theme-background-alt)}
.kehu-kpi-label{font-size:.85rem;color:var(--theme-foreground-muted)}
.kehu-kpi-value{font-size:1.6rem;font-weight:600;margin:.2rem 0}
.kehu-kpi-note{font-size:.8rem;color:var(--theme-foreground-muted)}
.kehu-up{color:#15803d}.kehu-down{color:#b91c1c}
.kehu-missing{border-left:3px solid #d97706;padding:.4rem .8rem;background:var(--theme-background-alt);color:var(--theme-foreground-muted);margin:.5rem 0}
.kehu-freshness{font-size:.85rem;color:var(--theme-foreground-muted)}
.kehu-chart{width:100%;max-width:960px}
.kehu-card dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
.kehu-card dt{color:var(--theme-foreground-muted)}
.kehu-card dd{margin:0}
.kehu-card-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,280px),1fr));gap:1rem}
.kehu-card section{border:1px solid var(--theme-foreground-faintest);border-radius:8px;padding:.75rem 1rem}
.kehu-card table{font-size:.85rem}
.kehu-card-lists{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,440px),1fr));gap:1rem;margin-top:1rem}
.kehu-card-lists section{overflow-x:auto;max-height:32rem;overflow-y:auto}
.kehu-badge{display:inline-block;padding:0 .5rem;border-radius:4px;background:var(--theme-foreground-faintest);margin-right:.3rem}
.kehu-error{color:#b91c1c}
.kehu-mini{font-size:.9rem;max-width:960px}
.kehu-mini th,.kehu-card table th{white-space:nowrap;vertical-align:bottom}
.kehu-num{text-align:right}
td.kehu-num{white-space:nowrap;font-variant-numeric:tabular-nums}
.kehu-act{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:0 1.5rem}
.kehu-act>*,.kehu-card section{min-width:0;overflow-x:auto}
@media (max-width:640px){
  .kehu-kpis{grid-template-columns:repeat(2,minmax(0,1fr));gap:.5rem}
  .kehu-kpi{padding:.5rem .6rem}
  .kehu-kpi-value{font-size:1.25rem}
  .kehu-mini{display:block;overflow-x:auto}
  #observablehq-main{overflow-wrap:anywhere}
}
@media print{
  .kehu-chart{max-width:100%;break-inside:avoid}
  .kehu-chart svg{max-width:100%;height:auto}
  .vega-embed details,.vega-actions{display:none!important}
  #observablehq-toc,#observablehq-header,.observablehq-pre-container{display:none!important}
  #observablehq-center{margin:0!important}
  /* A page holding a printable list (the follow-up list) prints that list only, with its heading. */
  body:has(.kehu-print-keep) #observablehq-main>:not(:has(.kehu-print-keep,h1)){display:none!important}
}
@page{size:A4;margin:12mm}
.kehu-counts{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}
`;

let styled = false;
function ensureStyles() {
  if (styled || typeof document === "undefined") return;
  styled = true;
  const style = document.createElement("style");
  style.textContent = CSS;
  document.head.append(style);
}
ensureStyles();

/** Create an element with text content and optional class. */
export function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

/** The page's <h1>, localised, which also sets the window title ("<page> | <site>"). */
export function pageTitle(fmt, key, siteTitle) {
  const text = fmt.t(key);
  document.title = `${text} | ${siteTitle || fmt.t("site.title")}`;
  return el("h1", text);
}

/**
 * The note shown instead of a chart/number when its data is missing. `what`: a mart or table name; `source`: the
 * optional input source that would enable it (customers, visits, complaints, invoices), else "run kehu run".
 */
export function missing(fmt, what, source) {
  const hint = source ? fmt.t("common.hint.source", { source }) : fmt.t("common.hint.run");
  return el("div", fmt.t("common.missing", { what, hint }), "kehu-missing");
}

/** Which of `names` the build has (meta.marts + meta.tables). */
export function has(meta, name) {
  return meta.marts.includes(name) || meta.tables.includes(name);
}

/**
 * A KPI card. value: formatted string; change: relative change vs previous period (number or null);
 * note: small text under the value (e.g. a hint when n/a). `goodWhenUp` colours the change.
 */
export function kpi({ label, value, change = null, fmt, note, goodWhenUp = true }) {
  const card = el("div", null, "kehu-kpi");
  card.append(el("div", label, "kehu-kpi-label"), el("div", value, "kehu-kpi-value"));
  if (change !== null && change !== undefined && Number.isFinite(change)) {
    const up = change > 0;
    const cls = change === 0 ? "" : up === goodWhenUp ? "kehu-up" : "kehu-down";
    card.append(el("div", fmt.t("common.change", { change: fmt.change(change) }), `kehu-kpi-note ${cls}`));
  }
  if (note) card.append(el("div", note, "kehu-kpi-note"));
  return card;
}

export function kpis(cards) {
  const grid = el("div", null, "kehu-kpis");
  grid.append(...cards);
  return grid;
}

/** "Data through <asOf>, built <time>, from <files>" (+ "personal data masked"). */
export function freshness(meta, fmt) {
  const files = meta.files.length
    ? meta.files.map((f) => `${f.file} (${fmt.integer(f.rows)})`).join(", ")
    : fmt.t("freshness.files_from_marts", { n: meta.martFiles.length });
  const p = el(
    "p",
    fmt.t("freshness.text", { asOf: fmt.date(meta.asOf), builtAt: fmt.dateTime(meta.builtAt), files }),
    "kehu-freshness",
  );
  if (meta.runId) p.append(" ", fmt.t("freshness.run", { run: meta.runId }));
  const rejected = meta.files.reduce((n, f) => n + (f.rejected ?? 0), 0);
  if (rejected) {
    const a = el("a", fmt.t("freshness.rejected", { n: fmt.integer(rejected) }));
    a.href = /\/customers\//.test(location.pathname) ? "../quality" : "./quality"; // the data-quality page
    p.append(" ", a);
  }
  if (meta.maskPii) p.append(" ", fmt.t("freshness.masked"));
  return p;
}

/** A link to a customer's card (the search page shows any customer: customers/?id=<customer_id>). */
export function customerLink(customerId, text, base = "./") {
  const a = document.createElement("a");
  a.href = `${base}customers/?id=${encodeURIComponent(customerId)}`;
  a.textContent = text ?? customerId;
  return a;
}

/**
 * A small plain table (no search, no CSV: for short lists such as the overview's). columns: [key, label, format?];
 * a format may return a string or a DOM node (e.g. a customerLink).
 */
export function miniTable(rows, columns, className = "kehu-mini", locale) {
  const t = el("table", null, className);
  const head = document.createElement("tr");
  // The locale of the headers' units: given, else that of the formats (format.js tags them).
  locale ??= columns.map(([, , format]) => format?.locale).find(Boolean) ?? "zh-CN";
  for (const [key, label, format] of columns) {
    const numeric = typeof rows[0]?.[key] === "number";
    const unit = columnUnit(key, format);
    const th = el("th", withUnit(locale, label, unit, format), numeric ? "kehu-num" : undefined);
    th.dataset.column = key;
    if (numeric) th.dataset.numeric = "1";
    if (unit) th.dataset.unit = unit;
    head.append(th);
  }
  t.append(head);
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const [key, , format] of columns) {
      const value = format ? format(row[key], row) : row[key];
      const td = document.createElement("td");
      if (typeof row[key] === "number") td.className = "kehu-num";
      if (value instanceof Node) td.append(value);
      else td.textContent = value ?? "";
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

/** A small paragraph holding a link to another page of the site ("./churn"), its text from key. */
export function pageLink(fmt, href, key) {
  const p = el("p", null, "kehu-kpi-note");
  const a = el("a", fmt.t(key));
  a.href = href;
  p.append(a);
  return p;
}

/** A list of labels joined the locale's way ("a、b" / "a, b"). */
export function joinList(fmt, labels) {
  return fmt.list(labels);
}

export { translate };
