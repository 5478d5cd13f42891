// Tables: searchable, sortable (click a header), full content width, scrolling inside themselves under a sticky
// header, with CSV (and Excel) downloads of the rows currently shown, generated in the browser from the data
// (nothing is fetched). Cells are set with textContent (or a Node a format returns): data is never parsed as HTML.
import { translate } from "./i18n.js";
import { csvLines } from "./csv.js";
import { roundNumber } from "./table-round.js";
import { KNOWN_CODES } from "./i18n-codes.js";

const PLACEHOLDERS = new Set(KNOWN_CODES.placeholder);
import { tableStyles, columnPlan, TABLE_CSS } from "./table-layout.js";
import { columnUnit, withUnit } from "./units.js";

export { roundNumber };

/** RFC 4180 CSV of `rows` restricted to `columns` (header = column labels), formulas defused (csv.js). */
export function toCsv(rows, columns, header = {}) {
  const lines = csvLines(
    columns.map((c) => header[c] ?? c),
    rows.map((row) => columns.map((c) => roundNumber(row[c]))),
  );
  // BOM so Excel opens UTF-8 (Chinese names) correctly.
  return "\ufeff" + lines;
}

/** Save a Blob as `name` (an <a download> click; the object URL is released afterwards). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function button(text, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

/** A button that downloads `getRows()` as `<filename>.csv`. */
export function csvButton(getRows, columns, { header, filename = "data", locale } = {}) {
  return button(translate(locale, "common.download_csv"), "kehu-csv", () =>
    saveBlob(new Blob([toCsv(getRows(), columns, header)], { type: "text/csv;charset=utf-8" }), `${filename}.csv`),
  );
}

/** A button that downloads `getRows()` as `<filename>.xlsx` (exceljs is loaded on the first click only). */
export function xlsxButton(getRows, columns, { header, filename = "data", locale, types } = {}) {
  return button(translate(locale, "table.download_xlsx"), "kehu-xlsx", async () => {
    const { toXlsx } = await import("./xlsx.js");
    const bytes = await toXlsx(getRows(), columns, { header, types, sheet: filename });
    saveBlob(
      new Blob([bytes], { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" }),
      `${filename}.xlsx`,
    );
  });
}

const compare = (a, b) => {
  const na = a === null || a === undefined || a === "";
  const nb = b === null || b === undefined || b === "";
  if (na || nb) return na === nb ? 0 : na ? 1 : -1; // missing values last, both directions
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "zh-CN");
};

/** The text of a value without a format: numbers in the locale, lists joined the locale's way, booleans in words. */
function defaultFormat(locale) {
  const nf = new Intl.NumberFormat(locale === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: 2 });
  return (v) => {
    if (typeof v === "number") return nf.format(v);
    if (PLACEHOLDERS.has(v)) return translate(locale, `code.placeholder.${v}`);
    if (Array.isArray(v)) return v.join(translate(locale, "list.separator"));
    if (typeof v === "boolean") return translate(locale, v ? "common.yes" : "common.no");
    return String(v);
  };
}

let nextId = 0;

function ensureTableCss() {
  if (typeof document === "undefined" || document.getElementById("kehu-table-css")) return;
  const style = document.createElement("style");
  style.id = "kehu-table-css";
  style.textContent = TABLE_CSS;
  document.head.append(style);
}

/**
 * table(rows, {columns, header, format, locale, filename, sort, reverse, total, align})
 * -> <div class="kehu-table"> holding a search box, "showing n of m", the downloads and the table. `format` maps a
 * column to a function (value, row) -> string or Node (use format.js so numbers follow the locale). `total`: how
 * many rows there are before the loader's cap (the bar then says "showing 500 of 2,345"). Numeric columns are
 * right-aligned. Returns the container; `container.value` is the filtered rows.
 */
export function table(data, options = {}) {
  const { columns = data.length ? Object.keys(data[0]) : [], format = {}, locale, filename = "data" } = options;
  ensureTableCss();
  const id = `kehu-table-${++nextId}`;
  // Headers with their unit ("收入（¥）"); the downloads' too where their numbers are in it (amounts, days).
  const units = Object.fromEntries(columns.map((c) => [c, columnUnit(c, format[c])]));
  const header = Object.fromEntries(
    columns.map((c) => [c, withUnit(locale, options.header?.[c] ?? c, units[c], format[c])]),
  );
  const fileHeader = Object.fromEntries(
    columns.map((c) => [c, ["currency", "days"].includes(units[c]) ? header[c] : (options.header?.[c] ?? c)]),
  );
  const plan = columnPlan(data, columns, header, options.align, format);
  const fallback = defaultFormat(locale);
  const container = document.createElement("div");
  container.className = options.className ? `kehu-table ${options.className}` : "kehu-table";
  container.id = id;
  const style = document.createElement("style");
  style.textContent = tableStyles(id, plan);

  const search = document.createElement("input");
  search.type = "search";
  search.className = "kehu-table-search";
  search.placeholder = translate(locale, "common.search") + "…";
  search.setAttribute("aria-label", translate(locale, "common.search"));
  const count = document.createElement("span");
  count.className = "kehu-table-count";

  const scroller = document.createElement("div");
  scroller.className = "kehu-table-scroll";
  scroller.tabIndex = 0;
  const t = document.createElement("table");
  const thead = document.createElement("thead");
  const tbody = document.createElement("tbody");
  t.append(thead, tbody);
  scroller.append(t);

  let sortColumn = options.sort ?? null;
  let reverse = !!options.reverse;
  let filtered = data;
  const headRow = document.createElement("tr");
  for (const c of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.title = translate(locale, "table.sort");
    th.textContent = header[c];
    th.dataset.column = c;
    if (plan[c].numeric) th.dataset.numeric = "1";
    if (units[c]) th.dataset.unit = units[c];
    th.addEventListener("click", () => {
      if (sortColumn === c) reverse = !reverse;
      else [sortColumn, reverse] = [c, plan[c].numeric];
      render();
    });
    headRow.append(th);
  }
  thead.append(headRow);

  const haystack = data.map((row) =>
    columns
      .map((c) => (row[c] == null ? "" : Array.isArray(row[c]) ? row[c].join(" ") : String(row[c])))
      .join(" ")
      .toLowerCase(),
  );
  const cell = (row, c) => {
    const td = document.createElement("td");
    const v = row[c];
    if (v === null || v === undefined || v === "") return td;
    const out = format[c] ? format[c](v, row) : fallback(v);
    if (out instanceof Node) td.append(out);
    else td.textContent = out ?? "";
    return td;
  };
  function render() {
    const rows =
      sortColumn === null
        ? filtered
        : [...filtered].sort((a, b) => compare(a[sortColumn], b[sortColumn]) * (reverse ? -1 : 1));
    for (const [i, th] of [...headRow.children].entries()) {
      th.setAttribute("aria-sort", columns[i] === sortColumn ? (reverse ? "descending" : "ascending") : "none");
    }
    const frag = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const c of columns) tr.append(cell(row, c));
      frag.append(tr);
    }
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = columns.length;
      td.className = "kehu-table-empty";
      td.textContent = translate(locale, "table.empty");
      tr.append(td);
      frag.append(tr);
    }
    tbody.replaceChildren(frag);
    const total = Math.max(options.total ?? 0, data.length);
    const n = (x) => x.toLocaleString(locale === "en" ? "en-US" : "zh-CN");
    count.textContent =
      rows.length < total
        ? translate(locale, "table.showing", { shown: n(rows.length), total: n(total) })
        : translate(locale, "table.rows", { n: n(total) });
  }
  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    filtered = q ? data.filter((_, i) => haystack[i].includes(q)) : data;
    container.value = filtered;
    render();
    container.dispatchEvent(new Event("input", { bubbles: true }));
  });
  const bar = document.createElement("div");
  bar.className = "kehu-table-bar";
  const types = Object.fromEntries(columns.map((c) => [c, plan[c].type]));
  bar.append(
    search,
    count,
    csvButton(() => filtered, columns, { header: fileHeader, filename, locale }),
    xlsxButton(() => filtered, columns, { header: fileHeader, filename, locale, types }),
  );
  container.append(style, bar, scroller);
  container.value = filtered;
  render();
  return container;
}
