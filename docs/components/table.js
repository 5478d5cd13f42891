// Tables: searchable, sortable (click a header), with a CSV download of the rows currently shown, generated in the
// browser from the data (nothing is fetched). Built on @observablehq/inputs, which escapes every cell.
import * as Inputs from "@observablehq/inputs";
import {translate} from "./i18n.js";
import {csvLines} from "./csv.js";

/** RFC 4180 CSV of `rows` restricted to `columns` (header = column labels), formulas defused (csv.js). */
export function toCsv(rows, columns, header = {}) {
  const lines = csvLines(columns.map((c) => header[c] ?? c), rows.map((row) => columns.map((c) => row[c])));
  // BOM so Excel opens UTF-8 (Chinese names) correctly.
  return "\ufeff" + lines;
}

/** A button that downloads `getRows()` as `<filename>.csv`. */
export function csvButton(getRows, columns, {header, filename = "data", locale} = {}) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "kehu-csv";
  button.textContent = translate(locale, "common.download_csv");
  button.addEventListener("click", () => {
    const blob = new Blob([toCsv(getRows(), columns, header)], {type: "text/csv;charset=utf-8"});
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `${filename}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  return button;
}

/**
 * table(rows, {columns, header, format, locale, filename, rows: visibleRows, sort, reverse, width})
 * -> <div class="kehu-table"> holding a search box, the table and a CSV button. `format` maps a column to a
 * function value -> string (use the formatters of format.js so numbers follow the locale). Returns the container;
 * `container.value` is the filtered rows.
 */
export function table(data, options = {}) {
  const {columns = data.length ? Object.keys(data[0]) : [], header = {}, format = {}, locale, filename = "data"} = options;
  const container = document.createElement("div");
  container.className = "kehu-table";
  const search = Inputs.search(data, {
    placeholder: translate(locale, "common.search") + "…",
    format: (n) => translate(locale, "common.rows", {n: n.toLocaleString(locale === "en" ? "en-US" : "zh-CN")}),
  });
  const tableHolder = document.createElement("div");
  let filtered = data;
  const render = () => {
    const t = Inputs.table(filtered, {
      columns,
      header,
      format,
      rows: options.rows ?? 12.5,
      sort: options.sort,
      reverse: options.reverse,
      width: options.width,
      select: false,
      locale: locale === "en" ? "en-US" : locale,
    });
    // Inputs' own stylesheet (which makes the table scroll inside its max-height) comes with the implicit, CDN-loaded
    // Inputs only; imported from node_modules it is missing, and a long table would spill over what follows.
    t.style.overflowY = "auto";
    tableHolder.replaceChildren(t);
  };
  search.addEventListener("input", () => {
    filtered = search.value;
    container.value = filtered;
    render();
    container.dispatchEvent(new Event("input", {bubbles: true}));
  });
  const bar = document.createElement("div");
  bar.className = "kehu-table-bar";
  bar.append(search, csvButton(() => filtered, columns, {header, filename, locale}));
  container.append(bar, tableHolder);
  container.value = filtered;
  render();
  return container;
}
