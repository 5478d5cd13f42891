// CSV cells for every CSV kehu writes: the site's downloads (table.js, in the browser) and rejected/*.csv (written
// by src/data/ingest.ts in Node). Plain JavaScript so both sides import the same code.

/** A plain decimal number (-12.5, 3, 1e-7): a spreadsheet reads it as a number, which is what it is. */
const PLAIN_NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/**
 * What a spreadsheet evaluates: a leading = + - @ (also their full-width forms, which some spreadsheets fold),
 * tab or CR, also after leading whitespace (" =1+1" runs too).
 */
const FORMULA_START = /^[\t\r]|^\s*[=+\-@\uff1d\uff0b\uff0d\uff20]/;

/**
 * The text a spreadsheet shows as typed (OWASP CSV injection): a quote prefixed to any string that would run as a
 * formula, unless it is a plain number. `-2+3+cmd|' /C calc'!A0` -> `'-2+3+cmd|' /C calc'!A0`; `-12.5` stays.
 */
export function guardFormula(text) {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** One RFC 4180 cell: null/undefined empty, dates ISO, arrays joined by "; ", objects as JSON, formulas defused. */
export function csvCell(value) {
  if (value === null || value === undefined) return "";
  let v = value;
  if (v instanceof Date) v = v.toISOString();
  else if (Array.isArray(v)) v = v.join("; ");
  else if (typeof v === "object") v = JSON.stringify(v);
  const safe = guardFormula(String(v));
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV lines (CRLF-terminated) of a header and rows of values. */
export function csvLines(header, rows) {
  let out = header.map(csvCell).join(",") + "\r\n";
  for (const row of rows) out += row.map(csvCell).join(",") + "\r\n";
  return out;
}
