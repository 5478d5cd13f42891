// Column layout of table.js: which columns are numbers (right-aligned, never wrapped), dates, or text, and how wide
// each must at least be so that neither a header nor a cell breaks into one character per line (Chinese text may
// break between any two characters, so the browser's own minimum would be one character).

const CJK = /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]/;
/** Rough width of a text in em: CJK characters 1em, others about half. */
export function textWidthEm(text) {
  let w = 0;
  for (const ch of String(text ?? "")) w += CJK.test(ch) ? 1 : 0.5;
  return w;
}

const DATE = /^\d{4}-\d{2}-\d{2}/;
const SAMPLE = 300;

/**
 * Per column: {numeric, type: "number"|"date"|"boolean"|"text", minEm, wrap}. Numeric columns hold only numbers
 * (nulls aside); dates only "YYYY-MM-DD..." strings. `align` may force "left"/"right" for a column.
 */
export function columnPlan(rows, columns, header = {}, align = {}, format = {}) {
  const sample = rows.slice(0, SAMPLE);
  const plan = {};
  for (const c of columns) {
    const filled = sample.filter((r) => r[c] !== null && r[c] !== undefined && r[c] !== "");
    const values = filled.map((r) => r[c]);
    const numeric = values.length > 0 && values.every((v) => typeof v === "number");
    const type = numeric
      ? "number"
      : values.length && values.every((v) => typeof v === "string" && DATE.test(v))
        ? "date"
        : values.length && values.every((v) => typeof v === "boolean")
          ? "boolean"
          : "text";
    // Measured on the text the cell shows (a format returning a node: its text).
    const shown = (v, i) => {
      const out = format[c]
        ? format[c](v, filled[i])
        : Array.isArray(v)
          ? v.join("、")
          : typeof v === "number"
            ? v.toLocaleString("en-US", { maximumFractionDigits: 2 })
            : v;
      return out && typeof out === "object" && "textContent" in out ? out.textContent : out;
    };
    const longest = values.reduce((m, v, i) => Math.max(m, textWidthEm(shown(v, i))), 0);
    const head = textWidthEm(header[c] ?? c);
    // A header wraps onto two lines at most; a short cell never wraps; a long one wraps within 9-14em.
    const headMin = Math.min(head, Math.max(4, head / 2 + 1));
    const wrap = type === "text" && longest > 18;
    const cellMin = wrap ? Math.min(14, Math.max(9, longest / 3)) : Math.min(longest, 20);
    plan[c] = {
      numeric: align?.[c] ? align[c] === "right" : numeric,
      type,
      wrap,
      minEm: Math.round(Math.max(headMin, cellMin, 2) * 10 + 8) / 10,
    };
  }
  return plan;
}

/** The per-table CSS: each column's minimum width and alignment (nth-child rules scoped by the table's id). */
export function tableStyles(id, plan) {
  return Object.values(plan)
    .map((p, i) => {
      const n = i + 1;
      const both = [`min-width:${p.minEm}em`, ...(p.numeric ? ["text-align:right"] : [])];
      const cell = p.numeric
        ? ["white-space:nowrap", "font-variant-numeric:tabular-nums"]
        : p.wrap
          ? []
          : ["white-space:nowrap"];
      return (
        `#${id} tr>:nth-child(${n}){${both.join(";")}}` +
        (cell.length ? `#${id} td:nth-child(${n}){${cell.join(";")}}` : "")
      );
    })
    .join("\n");
}

/** The shared table CSS (page.js adds it once): full width, inner scrolling, sticky header, printable. */
export const TABLE_CSS = `
.kehu-table{max-width:none;width:100%;margin:.5rem 0 1.5rem}
.kehu-table-bar{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap;margin:.5rem 0}
.kehu-table-search{width:min(100%,18rem);font:inherit;padding:.2rem .4rem}
.kehu-table-count{font-size:.85rem;color:var(--theme-foreground-muted)}
.kehu-table-scroll{max-height:calc(100vh - 5rem);overflow:auto;border:1px solid var(--theme-foreground-faintest);border-radius:4px;overscroll-behavior:contain}
.kehu-table table{max-width:none;width:100%;border-collapse:separate;border-spacing:0;font-size:.85rem;line-height:1.35;margin:0}
.kehu-table th{position:sticky;top:0;z-index:1;background:var(--theme-background-alt);text-align:left;font-weight:600;vertical-align:bottom;cursor:pointer;padding:.35rem .5rem;border-bottom:1px solid var(--theme-foreground-faint);white-space:normal;word-break:keep-all;overflow-wrap:normal}
.kehu-table th[aria-sort=ascending]::after{content:" ▲";font-size:.7em}
.kehu-table th[aria-sort=descending]::after{content:" ▼";font-size:.7em}
.kehu-table td{padding:.25rem .5rem;vertical-align:top;border-bottom:1px solid var(--theme-foreground-faintest);overflow-wrap:break-word}
.kehu-table tbody tr:hover td{background:var(--theme-background-alt)}
.kehu-table-empty{color:var(--theme-foreground-muted);text-align:center}
.kehu-print-heading{display:none}
@media print{
  .kehu-table-bar input,.kehu-table-bar button{display:none}
  .kehu-print-heading{display:block;font-weight:600}
  .kehu-table-scroll{max-height:none;overflow:visible;border:0}
  .kehu-table th{position:static}
  .kehu-table tr{break-inside:avoid}
  .kehu-table thead{display:table-header-group}
}
`;
