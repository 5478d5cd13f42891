/**
 * Exports that are not delimited UTF-8 text become a temporary UTF-8 CSV first, so every check, rejection and line
 * number of the CSV path (readers.ts, values.ts) applies to them unchanged:
 *   - Excel workbooks (format "xlsx", read with exceljs): one sheet (`sheet`: name or 1-based index, default the
 *     first), one CSV line per worksheet row from row 1, so a rejected row's line is its Excel row number. Cells
 *     are written by type: numbers as plain numbers, dates as ISO timestamps, formulas as their cached result, rich
 *     text and hyperlinks as their text, errors (#N/A) as written (they are then rejected like any bad value). A
 *     number in a column the source maps to a date (ordered_at, signup_date, ...) is an Excel serial date (days
 *     since 1899-12-30) and becomes that date.
 *   - Parquet files (format "parquet"): DuckDB copies them to CSV; columns are mapped by name as for CSV.
 *   - UTF-16 text (Excel's "Unicode text"), little or big endian, with or without a byte-order mark.
 *   - Excel 97-2003 .xls files are refused with what to do (no maintained reader does them well offline).
 */
import { createReadStream, createWriteStream, mkdtempSync, openSync, readSync, closeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import iconv from "iconv-lite";
import type ExcelJS from "exceljs";
import type { Db } from "./db.ts";
import type { SourceConfig } from "./config.ts";
import { SourceFileError } from "./errors.ts";
import { TABLES, type SourceName } from "./schemas.ts";
import { q } from "./sql.ts";

export interface Converted {
  /** the temporary UTF-8 CSV (or UTF-8 text of the same format) */
  path: string;
  /** remove when done */
  dir: string;
  /** the source settings to read it with */
  cfg: SourceConfig;
  /** what it was converted from, for the ingest report */
  from: "xlsx" | "parquet" | "utf-16le" | "utf-16be";
}

function head(path: string, size = 1 << 16): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(size);
    return buf.subarray(0, readSync(fd, buf, 0, size, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * UTF-16 from its byte-order mark, or without one from where the NUL bytes fall: text in the Latin range has a NUL
 * in every other byte (high bytes first in big endian). Chinese text has few NULs, so it needs the mark (Excel and
 * Windows always write one).
 */
export function detectUtf16(buf: Buffer): "utf-16le" | "utf-16be" | null {
  if (buf[0] === 0xff && buf[1] === 0xfe) return "utf-16le";
  if (buf[0] === 0xfe && buf[1] === 0xff) return "utf-16be";
  const n = Math.min(buf.length, 4096) & ~1;
  if (n < 4) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) even++;
    if (buf[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  if (odd > 0.3 * pairs && even < 0.05 * pairs) return "utf-16le";
  if (even > 0.3 * pairs && odd < 0.05 * pairs) return "utf-16be";
  return null;
}

/** A CSV field: quoted when it holds a delimiter, quote or line end (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
/** exceljs gives dates as the wall-clock time in UTC fields. */
function isoTimestamp(d: Date): string {
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time =
    d.getUTCHours() || d.getUTCMinutes() || d.getUTCSeconds()
      ? ` ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
      : "";
  return date + time;
}

/** Excel serial day (1900 date system, as Excel counts it: day 60 is the fictitious 1900-02-29) to a Date. */
export function excelSerialToDate(serial: number): Date {
  return new Date(Date.UTC(1899, 11, 30) + Math.round(serial * 86_400_000));
}

function cellText(value: ExcelJS.CellValue, isDateColumn: boolean): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return isoTimestamp(value);
  if (typeof value === "number")
    return isDateColumn && value > 0 && value < 2_958_466 ? isoTimestamp(excelSerialToDate(value)) : String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return value;
  if (typeof value === "object") {
    if ("result" in value)
      return cellText((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue, isDateColumn);
    if ("richText" in value) return (value as ExcelJS.CellRichTextValue).richText.map((r) => r.text).join("");
    if ("text" in value) return String((value as ExcelJS.CellHyperlinkValue).text);
    if ("error" in value) return String((value as ExcelJS.CellErrorValue).error);
  }
  return String(value);
}

async function xlsxToCsv(
  path: string,
  out: string,
  cfg: SourceConfig,
  source: SourceName,
  file: string,
): Promise<void> {
  // loaded here, not at the top: exceljs takes a few tenths of a second to import, which every `kehu` command paid
  const { default: Excel } = await import("exceljs");
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.readFile(path);
  } catch (error) {
    throw new SourceFileError(
      file,
      `sources.${source}.format`,
      `cannot read it as an Excel workbook (.xlsx): ${(error as Error).message}`,
    );
  }
  const wanted = cfg.sheet ?? 1;
  const sheet = typeof wanted === "number" ? workbook.worksheets[wanted - 1] : workbook.getWorksheet(wanted);
  if (!sheet) {
    const names = workbook.worksheets.map((w) => w.name).join(", ");
    throw new SourceFileError(
      file,
      `sources.${source}.sheet`,
      `no sheet ${typeof wanted === "number" ? `number ${wanted}` : `named "${wanted}"`} (the workbook has: ${names})`,
    );
  }
  const width = sheet.columnCount;
  // which columns hold dates: by header (or column number) through the source's column map
  const dateColumns = new Set<number>();
  const dateFields = TABLES[source].columns
    .filter((c) => c.type === "DATE" || c.type === "TIMESTAMP")
    .map((c) => cfg.columns[c.name] ?? c.name);
  const headerRow = sheet.getRow(1);
  for (let c = 1; c <= width; c++) {
    const header = cfg.header ? cellText(headerRow.getCell(c).value, false).trim().toLowerCase() : null;
    if (
      dateFields.some((f) => (typeof f === "number" ? f === c : header !== null && f.trim().toLowerCase() === header))
    )
      dateColumns.add(c);
  }
  const stream = createWriteStream(out);
  const last = sheet.rowCount;
  for (let r = 1; r <= last; r++) {
    const row = sheet.getRow(r);
    const fields: string[] = [];
    for (let c = 1; c <= width; c++)
      fields.push(csvField(cellText(row.getCell(c).value, r > (cfg.header ? 1 : 0) && dateColumns.has(c))));
    if (!stream.write(`${fields.join(",")}\n`)) await new Promise((ok) => stream.once("drain", ok));
  }
  await new Promise<void>((ok, fail) => stream.end((error?: Error | null) => (error ? fail(error) : ok())));
}

/** The temporary CSV to read instead of `path`, or null when the file is read as it is. */
export async function convertExport(
  db: Db,
  path: string,
  cfg: SourceConfig,
  source: SourceName,
  file: string,
): Promise<Converted | null> {
  let start: Buffer;
  try {
    start = head(path, 8);
  } catch (error) {
    // a file that stats as a regular file but cannot be read (EIO, EACCES): the same message as a read error later
    throw new SourceFileError(file, `sources.${source}.files`, `cannot read the file: ${(error as Error).message}`);
  }
  const ole = start.length >= 4 && start.readUInt32BE(0) === 0xd0cf11e0;
  if (extname(path).toLowerCase() === ".xls" || (ole && cfg.format !== "parquet")) {
    throw new SourceFileError(
      file,
      `sources.${source}.format`,
      'this is an Excel 97-2003 workbook (.xls), which kehu does not read: open it in Excel or WPS and save it as .xlsx (then set format "xlsx") or as CSV UTF-8',
    );
  }
  // the temporary CSV, written by `write`; a conversion that fails removes its directory (the caller removes it
  // after a conversion that succeeds)
  const convert = async (
    from: Converted["from"],
    name: string,
    read: SourceConfig,
    write: (out: string) => Promise<void>,
  ): Promise<Converted> => {
    const dir = mkdtempSync(join(tmpdir(), "kehu-convert-"));
    const out = join(dir, name);
    try {
      await write(out);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return { path: out, dir, cfg: read, from };
  };
  const csvCfg: SourceConfig = {
    ...cfg,
    format: "csv",
    delimiter: ",",
    encoding: "utf-8",
    decimalSeparator: ".",
    thousandsSeparator: "",
  };
  if (cfg.format === "xlsx") {
    return convert("xlsx", "export.csv", csvCfg, (out) => xlsxToCsv(path, out, cfg, source, file));
  }
  if (cfg.format === "parquet") {
    return convert("parquet", "export.csv", { ...csvCfg, header: true }, async (out) => {
      try {
        await db.exec(`copy (select * from read_parquet(${q(path)})) to ${q(out)} (header true, delimiter ',')`);
      } catch (error) {
        throw new SourceFileError(
          file,
          `sources.${source}.format`,
          `cannot read it as Parquet: ${(error as Error).message.split("\n")[0]}`,
        );
      }
    });
  }
  const utf16 =
    cfg.encoding === "utf-16le" || cfg.encoding === "utf-16be"
      ? cfg.encoding
      : cfg.encoding === "auto"
        ? detectUtf16(head(path))
        : null;
  if (utf16) {
    return convert(utf16, "export.txt", { ...cfg, encoding: "utf-8" }, (out) =>
      pipeline(
        createReadStream(path),
        iconv.decodeStream(utf16, { stripBOM: true }),
        iconv.encodeStream("utf8"),
        createWriteStream(out),
      ),
    );
  }
  return null;
}
