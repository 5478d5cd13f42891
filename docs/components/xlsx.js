// Excel downloads of the site's tables (table.js loads this module, and exceljs with it, on the first click only).
// Typed cells: numbers stay numbers (rounded as in the CSV), dates are dates, yes/no are booleans; the header row
// holds the localised column names; text gets the CSV's formula guard (csv.js), so nothing a cell holds can run.
import ExcelJS from "exceljs";
import { guardFormula } from "./csv.js";
import { roundNumber } from "./table-round.js";

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** The cell value of `v` in a column of `type` (table-layout.js: number | date | boolean | text). */
export function xlsxValue(v, type) {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "number") return Number.isFinite(v) ? roundNumber(v) : null;
  if (typeof v === "boolean") return v;
  if (Array.isArray(v)) return guardFormula(v.join("; "));
  if (v instanceof Date) return v;
  const m = type === "date" ? DATE.exec(String(v)) : null;
  if (m) return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
  return guardFormula(typeof v === "object" ? JSON.stringify(v) : String(v));
}

/** An .xlsx file (bytes) of `rows` restricted to `columns`, header = localised labels; `types` per column. */
export async function toXlsx(rows, columns, { header = {}, types = {}, sheet = "data" } = {}) {
  const workbook = new ExcelJS.Workbook();
  const ws = workbook.addWorksheet(
    String(sheet)
      .slice(0, 31)
      .replace(/[\\/?*[\]:]/g, "-") || "data",
    { views: [{ state: "frozen", ySplit: 1 }] },
  );
  ws.columns = columns.map((c) => {
    const label = String(header[c] ?? c);
    const hasTime = types[c] === "date" && rows.some((r) => /[T ]\d{2}:\d{2}/.test(String(r[c] ?? "")));
    return {
      header: label,
      key: c,
      width: Math.min(48, Math.max(10, label.length * 2 + 2)),
      style: types[c] === "date" ? { numFmt: hasTime ? "yyyy-mm-dd hh:mm" : "yyyy-mm-dd" } : {},
    };
  });
  ws.getRow(1).font = { bold: true };
  for (const row of rows) ws.addRow(Object.fromEntries(columns.map((c) => [c, xlsxValue(row[c], types[c])])));
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}
