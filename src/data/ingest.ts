/**
 * Ingest: CRM/sales export files -> the canonical DuckDB tables (schemas.ts), in one transaction per run.
 *
 * The bulk path never parses rows in JS: DuckDB's read_csv (all_varchar) reads the file, validation is set-based
 * SQL (try_cast / try_strptime) in a chain of temp views, valid rows land with one insert ... select and invalid ones
 * go to `rejected_rows` and a `rejected/<source>-<timestamp>.csv` file. Files without quote characters stream
 * straight from read_csv into the table (one pass; a second pass only when some rows were left out, to say why);
 * files with quotes are first copied into a temp table, because their line numbers need a cumulative count of
 * quoted newlines.
 *
 * Line numbers (`source_line`, rejected rows) are physical 1-based line numbers of the input file: the header is
 * line 1, quoted fields spanning several lines and malformed lines are accounted for. Known approximations: DuckDB
 * skips blank lines in csv/tsv files without reporting them, so after a blank line numbers are one low per blank
 * line (whitespace files keep blank lines, so their numbers are exact); quoted newlines are detected from a quote
 * character in the first 64 KiB of the file.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, relative, resolve, isAbsolute, sep } from "node:path";
import type { Db } from "./db.ts";
import { openDatabase } from "./db.ts";
import { ConfigError, type KehuConfig, type SourceConfig } from "./config.ts";
import { createAllTablesSql, SOURCE_NAMES, TABLES, type ColumnSpec, type SourceName } from "./schemas.ts";
import { DataError, SourceFileError } from "./errors.ts";
import { detectEncoding, inspectFile, isValidUtf8, readHead, transcodeToUtf8, type Encoding, type FileFacts } from "./encoding.ts";
import { AUTO_CANDIDATES, describeFormat, parseTimestampSql, type DateFormat } from "./dates.ts";
import { csvLines } from "../../docs/components/csv.js";

export type IngestStage = "inspect" | "transcode" | "read" | "validate" | "write" | "done" | "skipped";

export interface IngestProgress {
  source: SourceName;
  file: string;
  stage: IngestStage;
  /** bytes of the file (for a progress bar) and how many have been inspected so far */
  bytes: number;
  bytesDone: number;
}

export interface IngestOptions {
  now?: Date;
  onProgress?: (event: IngestProgress) => void;
  /** overrides config.maxRejectRate (fraction of a file's rows, 0..1) */
  maxRejectRate?: number;
}

export interface RejectedRow {
  file: string;
  line: number;
  column: string;
  value: string | null;
  reason: string;
}

export interface FileReport {
  source: SourceName;
  /** as stored in source_file: relative to the config directory, "/" separated */
  file: string;
  path: string;
  encoding?: Encoding;
  /** canonical column -> header (or column number) it was read from; null when absent (NULL / generated) */
  columns: Record<string, string | null>;
  dateFormats: Record<string, DateFormat>;
  rowsRead: number;
  loaded: number;
  rejected: number;
  /** already loaded with identical content: nothing read or written */
  skipped: boolean;
  /** this path had been loaded before with other content; its old rows were replaced */
  replaced: boolean;
  rejectedFile?: string;
  /** up to 5 rejected rows, for summaries */
  sampleRejects: RejectedRow[];
}

export interface IngestReport {
  files: FileReport[];
  rowsRead: number;
  loaded: number;
  rejected: number;
  rejectedFiles: string[];
}

export interface CheckReport {
  files: FileReport[];
  /** file-level problems (each names file, column and config key) and reject-rate violations */
  problems: string[];
  ok: boolean;
}

// a literal (not chr() concatenation): DuckDB trims noticeably faster with a constant string
const TRIM_CHARS = `' \t\r\n\u3000\u00a0'`;
const EDGE_SPACE = `'^[\\s\u3000\u00a0]|[\\s\u3000\u00a0]$'`;
const CURRENCY_CHARS = "¥￥$€£ \u00a0";
const TRUE_WORDS = ["true", "t", "yes", "y", "1", "是", "对", "真"];
const FALSE_WORDS = ["false", "f", "no", "n", "0", "否", "错", "假"];

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const col = (name: string) => ident(`c_${name}`);

interface SourceEntry {
  source: SourceName;
  config: SourceConfig;
  paths: string[];
}

/** Configured sources with their files expanded (globs via DuckDB's glob()), in a stable order. */
export async function resolveSourceFiles(db: Db, config: KehuConfig): Promise<SourceEntry[]> {
  if (!config.sources.transactions) {
    throw new ConfigError("sources.transactions: required (the transactions export is the one mandatory source)");
  }
  const entries: SourceEntry[] = [];
  for (const source of SOURCE_NAMES) {
    const cfg = config.sources[source];
    if (!cfg) continue;
    for (const canonical of Object.keys(cfg.columns)) {
      if (!TABLES[source].columns.some((c) => c.name === canonical)) {
        throw new ConfigError(
          `sources.${source}.columns.${canonical}: unknown column; expected one of ${TABLES[source].columns.map((c) => c.name).join(", ")}`,
        );
      }
    }
    const patterns = Array.isArray(cfg.files) ? cfg.files : [cfg.files];
    const paths = new Set<string>();
    for (const pattern of patterns) {
      const abs = resolve(configDir(config), pattern);
      if (!/[*?[]/.test(abs)) {
        if (!existsSync(abs) || !statSync(abs).isFile()) {
          throw new SourceFileError(abs, `sources.${source}.files`, "file not found");
        }
        paths.add(abs);
        continue;
      }
      const rows = await db.all<{ file: string }>(`select file from glob(${q(abs)}) order by file`);
      if (rows.length === 0) throw new SourceFileError(abs, `sources.${source}.files`, "no file matches this pattern");
      for (const r of rows) paths.add(resolve(r.file));
    }
    entries.push({ source, config: cfg, paths: [...paths] });
  }
  return entries;
}

function configDir(config: KehuConfig): string {
  return (config as KehuConfig & { configDir?: string }).configDir ?? process.cwd();
}

/** The name stored in source_file: relative to the config directory so moving the project keeps reloads idempotent. */
export function sourceFileName(config: KehuConfig, path: string): string {
  const rel = relative(configDir(config), path);
  const name = rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
  return name.split(sep).join("/");
}

/**
 * Load every configured source file into the canonical tables, all in one transaction: any error (a file-level
 * problem, a reject rate over the limit, a crash) leaves the database exactly as it was.
 */
export async function ingestSources(db: Db, config: KehuConfig, options: IngestOptions = {}): Promise<IngestReport> {
  const now = options.now ?? new Date();
  const maxRejectRate = options.maxRejectRate ?? config.maxRejectRate;
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const written: string[] = [];
  try {
    return await db.transaction(async (tx) => {
      await tx.exec(createAllTablesSql());
      const entries = await resolveSourceFiles(tx, config);
      const files: FileReport[] = [];
      await tx.exec(`create or replace temp table kehu_run_errs (source VARCHAR, file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, reason VARCHAR)`);
      for (const entry of entries) {
        for (const path of entry.paths) {
          const report = await loadFile(tx, config, entry, path, { now, onProgress: options.onProgress, write: true });
          files.push(report);
          const rate = report.rowsRead ? report.rejected / report.rowsRead : 0;
          if (rate > maxRejectRate) {
            const out = await writeRejectedCsv(tx, config.rejectedDir, `${entry.source}-${stamp}`, entry.source, report.file);
            throw new DataError(
              `${report.file}: ${report.rejected} of ${report.rowsRead} rows rejected (${(rate * 100).toFixed(2)}%), ` +
                `above the limit of ${(maxRejectRate * 100).toFixed(2)}% (--max-reject-rate / maxRejectRate). ` +
                `The database was not changed. Rejected rows with line, column, value and reason: ${out}` +
                formatSample(report.sampleRejects),
            );
          }
        }
      }
      // one rejected CSV per source and run, written only when the run succeeds
      for (const source of new Set(files.filter((f) => f.rejected > 0).map((f) => f.source))) {
        const out = await writeRejectedCsv(tx, config.rejectedDir, `${source}-${stamp}`, source);
        written.push(out);
        for (const f of files) if (f.source === source && f.rejected > 0) f.rejectedFile = out;
      }
      await tx.exec(`drop table if exists kehu_run_errs`);
      const sum = (k: "rowsRead" | "loaded" | "rejected") => files.reduce((a, f) => a + f[k], 0);
      return { files, rowsRead: sum("rowsRead"), loaded: sum("loaded"), rejected: sum("rejected"), rejectedFiles: written };
    });
  } catch (error) {
    // the run is rolled back: rejected files that describe it would describe rows that are not in the database
    for (const f of written) rmSync(f, { force: true });
    throw error;
  }
}

function formatSample(rows: RejectedRow[]): string {
  if (!rows.length) return "";
  return "\nFirst rejected rows:\n" + rows.map((r) => `  line ${r.line}, column ${r.column}, value ${JSON.stringify(r.value)}: ${r.reason}`).join("\n");
}

async function writeRejectedCsv(db: Db, dir: string, base: string, source: SourceName, file?: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${base}.csv`);
  const where = `source = ${q(source)}` + (file ? ` and file = ${q(file)}` : "");
  const rows = await db.all<{ file: string; line: number; column: string; value: string | null; reason: string }>(
    `select file, line::integer as line, "column", value, reason from kehu_run_errs where ${where} order by file, line, "column"`,
  );
  // csvLines defuses formulas: a rejected value is whatever the export held (=HYPERLINK(...) included)
  writeFileSync(out, csvLines(["file", "line", "column", "value", "reason"], rows.map((r) => [r.file, r.line, r.column, r.value, r.reason])));
  return out;
}

/**
 * Validate the config and every input file without writing anything: the same reading and validation as
 * `ingestSources`, run against an in-memory database. File-level problems are collected, not thrown.
 */
export async function checkSources(config: KehuConfig, options: { maxRejectRate?: number } = {}): Promise<CheckReport> {
  const db = await openDatabase(":memory:");
  const problems: string[] = [];
  const files: FileReport[] = [];
  const maxRejectRate = options.maxRejectRate ?? config.maxRejectRate;
  try {
    await db.exec(createAllTablesSql());
    await db.exec(`create temp table kehu_run_errs (source VARCHAR, file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, reason VARCHAR)`);
    let entries: SourceEntry[];
    try {
      entries = await resolveSourceFiles(db, config);
    } catch (error) {
      if (error instanceof DataError) return { files, problems: [error.message], ok: false };
      throw error;
    }
    for (const entry of entries) {
      for (const path of entry.paths) {
        try {
          const report = await loadFile(db, config, entry, path, { now: new Date(), write: false });
          files.push(report);
          const rate = report.rowsRead ? report.rejected / report.rowsRead : 0;
          if (rate > maxRejectRate) {
            problems.push(
              `${report.file}: ${report.rejected} of ${report.rowsRead} rows would be rejected (${(rate * 100).toFixed(2)}%), above the limit of ${(maxRejectRate * 100).toFixed(2)}%`,
            );
          }
        } catch (error) {
          if (error instanceof DataError) problems.push(error.message);
          else throw error;
        }
      }
    }
    return { files, problems, ok: problems.length === 0 };
  } finally {
    await db.close();
  }
}

interface LoadContext {
  now: Date;
  onProgress?: (event: IngestProgress) => void;
  /** false for `check`: no idempotency bookkeeping against earlier runs */
  write: boolean;
}

/** One file: inspect, decode, read, validate, insert; returns its report. Runs inside the caller's transaction. */
async function loadFile(db: Db, config: KehuConfig, entry: SourceEntry, path: string, ctx: LoadContext): Promise<FileReport> {
  const { source, config: cfg } = entry;
  const file = sourceFileName(config, path);
  const report: FileReport = {
    source, file, path, columns: {}, dateFormats: {}, rowsRead: 0, loaded: 0, rejected: 0, skipped: false, replaced: false, sampleRejects: [],
  };
  const size = statSync(path).size;
  const progress = (stage: IngestStage, bytesDone = size) => ctx.onProgress?.({ source, file, stage, bytes: size, bytesDone });

  let facts;
  try {
    facts = await inspectFile(path, (done) => progress("inspect", done));
  } catch (error) {
    if (typeof (error as NodeJS.ErrnoException)?.code !== "string") throw error; // not an I/O error (e.g. from onProgress)
    throw new SourceFileError(file, `sources.${source}.files`, `cannot read the file: ${(error as Error).message}`);
  }

  // the file's bytes plus how it is read: after fixing the column map or date format, the same file loads again
  // (replacing its earlier rows) instead of being skipped as already loaded
  const settings = createHash("sha256").update(JSON.stringify(cfg, Object.keys(cfg).filter((k) => k !== "files").sort())).update(JSON.stringify(cfg.columns)).digest("hex");
  const loadHash = `sha256:${facts.hash};settings:${settings.slice(0, 12)}`;
  if (ctx.write) {
    const previous = await db.all<{ source_file: string; content_hash: string }>(
      `select source_file, content_hash from ingest_log where source = $source and (source_file = $file or content_hash = $hash)`,
      { source, file, hash: loadHash },
    );
    if (previous.some((p) => p.content_hash === loadHash)) {
      report.skipped = true;
      progress("skipped");
      return report;
    }
    if (previous.length > 0) {
      // a corrected re-export of the same path: what the old version contributed is replaced, not added to
      report.replaced = true;
      await db.exec(`delete from ${source} where source_file = $file`, { file });
      await db.exec(`delete from ingest_log where source = $source and source_file = $file`, { source, file });
      await db.exec(`delete from rejected_rows where source = $source and source_file = $file`, { source, file });
    }
  }

  if (facts.bytes === 0 && cfg.header) {
    throw new SourceFileError(file, `sources.${source}.files`, "the file is empty (no header line)");
  }

  let encoding: Encoding;
  if (cfg.encoding === "auto") encoding = detectEncoding(path);
  else encoding = cfg.encoding === "utf-8" ? "utf-8" : "gb18030";
  if (cfg.encoding === "utf-8") {
    const head = readHead(path);
    if (!isValidUtf8(head, head.length === 1 << 16)) {
      throw new SourceFileError(file, `sources.${source}.encoding`, `the file is not valid UTF-8 (declared "utf-8"; try "auto" or "gb18030")`);
    }
  }
  if (cfg.encoding === "gbk" || cfg.encoding === "gb18030") {
    // decoding UTF-8 as GB18030 never fails, it silently yields mojibake: refuse files that are clearly UTF-8
    const head = readHead(path);
    const nonAscii = head.some((b) => b >= 0x80);
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    if (bom || (nonAscii && isValidUtf8(head, head.length === 1 << 16))) {
      throw new SourceFileError(file, `sources.${source}.encoding`, `the file is UTF-8, not ${cfg.encoding} as declared; set "auto" or "utf-8"`);
    }
  }
  report.encoding = encoding;

  let readPath = path;
  let tempDir: string | undefined;
  try {
    if (encoding === "gb18030") {
      progress("transcode", 0);
      const t = await transcodeToUtf8(path, encoding);
      readPath = t.path;
      tempDir = t.dir;
    }
    progress("read", 0);
    const layout = await readRaw(db, source, cfg, file, readPath, facts.bytes > 0);
    report.columns = layout.columns;
    progress("validate", 0);
    await validateAndInsert(db, entry, file, facts, layout, report, ctx);
    if (ctx.write) {
      await db.exec(`insert into ingest_log values ($source, $file, $hash, $loaded, $rejected, $now::timestamp)`, {
        source, file, hash: loadHash, loaded: report.loaded, rejected: report.rejected, now: sqlTimestamp(ctx.now),
      });
    }
    progress("done");
    return report;
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    await db
      .exec(`drop view if exists kehu_lined; drop view if exists kehu_rows; drop view if exists kehu_checked; drop view if exists kehu_parsed; drop view if exists kehu_clean; drop view if exists kehu_src; drop table if exists kehu_raw; drop table if exists kehu_reject_at; drop table if exists kehu_reject_errors; drop table if exists kehu_reject_scans; drop table if exists kehu_errs`)
      .catch(() => undefined); // after an error the transaction is aborted anyway
  }
}

interface RawLayout {
  /** canonical -> header it came from (null: absent) */
  columns: Record<string, string | null>;
  /** canonical columns present in kehu_raw as c_<name> */
  present: Set<string>;
  /** SQL for the physical line number of a kehu_raw row (over kehu_ord, the 0-based row ordinal) */
  lineSql: string;
  /** select items c_<name>: the raw r_<name> trimmed, '' -> NULL */
  cleanedSql: string;
  /** number of structurally malformed lines DuckDB rejected (known up front only when not streaming) */
  structural: number;
  /**
   * true: kehu_src streams from read_csv (one pass, numbered with row_number() over (), which DuckDB runs as an
   * order-preserving streaming window); false: the file was materialised in kehu_raw first (files with quotes,
   * whose quoted newlines need a cumulative sum over all rows to keep line numbers physical)
   */
  streaming: boolean;
  /** whitespace format: fields per line, to reject lines with too many */
  fieldCount?: number;
}

/**
 * Map the export's columns and define view kehu_src over the file: one raw VARCHAR column r_<name> per mapped
 * canonical column (`cleanedSql` trims them and turns '' into NULL), in file order.
 */
async function readRaw(db: Db, source: SourceName, cfg: SourceConfig, file: string, readPath: string, nonEmpty: boolean): Promise<RawLayout> {
  const spec = TABLES[source];
  const p = q(readPath);
  await db.exec(`drop table if exists kehu_reject_errors; drop table if exists kehu_reject_scans`);
  // trim() with a character list is slow per value; a regex test (RE2) first makes clean values nearly free
  const clean = (e: string) => `nullif(case when regexp_matches(${e}, ${EDGE_SPACE}) then trim(${e}, ${TRIM_CHARS}) else ${e} end, '')`;
  let headers: string[];
  let fieldSql: (index: number) => string;
  let from: string;
  let extra = "";
  let fieldCount: number | undefined;
  const base = cfg.header ? 2 : 1;

  try {
    if (cfg.format === "whitespace") {
      // read_csv cannot split on a regex: read each line as one column and split it in SQL
      const lines = `read_csv(${p}, columns={'line': 'VARCHAR'}, header=false, delim=chr(1), quote='', escape='', auto_detect=false)`;
      const first = nonEmpty ? await db.all<{ line: string | null }>(`select line from ${lines} limit 1`) : [];
      const firstFields = (first[0]?.line ?? "").trim().split(/\s+/).filter(Boolean);
      headers = cfg.header ? firstFields : firstFields.map((_, i) => String(i + 1));
      fieldCount = firstFields.length;
      from = `(select regexp_split_to_array(trim(line, ${TRIM_CHARS}), '\\s+') as f, coalesce(trim(line, ${TRIM_CHARS}), '') = '' as kehu_blank from read_csv(${p}, columns={'line': 'VARCHAR'}, header=false, delim=chr(1), quote='', escape='', auto_detect=false, skip=${cfg.header ? 1 : 0}))`;
      fieldSql = (i) => `f[${i + 1}]`;
      extra = `, kehu_blank, len(f) as kehu_nfields`;
    } else {
      const delim = cfg.format === "tsv" ? "\\t" : ",";
      const csv = `read_csv(${p}, all_varchar=true, header=${cfg.header}, delim=e'${delim}', quote='"', escape='"', store_rejects=true, rejects_table='kehu_reject_errors', rejects_scan='kehu_reject_scans', max_line_size=10000000)`;
      const described = await db.all<{ column_name: string }>(`describe select * from ${csv}`);
      headers = cfg.header ? described.map((d) => d.column_name) : described.map((_, i) => String(i + 1));
      const names = described.map((d) => d.column_name);
      fieldSql = (i) => ident(names[i]);
      from = csv;
      // quoted fields may span lines: count the newlines inside each record to keep line numbers physical
      if (readHeadHasQuote(readPath)) {
        const all = names.map((n) => `coalesce(${ident(n)}, '')`).join(" || ");
        extra = `, length(${all}) - length(replace(${all}, chr(10), '')) as kehu_nl`;
      }
      await db.exec(`drop table if exists kehu_reject_errors; drop table if exists kehu_reject_scans`);
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new SourceFileError(file, `sources.${source}.format`, `cannot read as ${cfg.format}: ${firstLine((error as Error).message)}`);
  }

  // map canonical columns to the export's headers
  const columns: Record<string, string | null> = {};
  const selects: string[] = [];
  const cleaned: string[] = [];
  const present = new Set<string>();
  const shown = () => headers.map((h) => JSON.stringify(h)).join(", ");
  for (const c of spec.columns) {
    const mapped = cfg.columns[c.name];
    let index = -1;
    if (typeof mapped === "number") {
      index = mapped - 1;
      if (index >= headers.length) {
        throw new SourceFileError(file, `sources.${source}.columns.${c.name}`, `column number ${mapped} for ${c.name} does not exist; the file has ${headers.length} columns`);
      }
    } else if (typeof mapped === "string") {
      index = findHeader(headers, mapped);
      if (index < 0) {
        throw new SourceFileError(file, `sources.${source}.columns.${c.name}`, `column "${mapped}" (mapped to ${c.name}) not found; the header has ${shown()}`);
      }
    } else if (cfg.header) {
      index = findHeader(headers, c.name);
    }
    if (index < 0) {
      if (c.required) {
        throw new SourceFileError(
          file,
          `sources.${source}.columns.${c.name}`,
          `required column ${c.name} not found; map it to one of the columns ${shown()}`,
        );
      }
      columns[c.name] = null;
      continue;
    }
    columns[c.name] = typeof mapped === "number" || !cfg.header ? `#${index + 1}` : headers[index];
    present.add(c.name);
    // kept as read; trimming happens once, in the kehu_clean view
    selects.push(`${fieldSql(index)} as ${ident(`r_${c.name}`)}`);
    cleaned.push(`${clean(ident(`r_${c.name}`))} as ${col(c.name)}`);
  }

  const hasNl = extra.includes("kehu_nl");
  const rawSelect = `${selects.join(", ") || "1 as kehu_dummy"}${extra}`;
  if (!hasNl) {
    await db.exec(`create or replace temp view kehu_src as select ${rawSelect} from ${from}`);
    return { columns, present, lineSql: `(kehu_ord + ${base})`, cleanedSql: cleaned.join(", "), structural: 0, streaming: true, fieldCount };
  }
  try {
    await db.exec(`create or replace temp table kehu_raw as select ${rawSelect} from ${from}`);
  } catch (error) {
    throw new SourceFileError(file, `sources.${source}.format`, `cannot read as ${cfg.format}: ${firstLine((error as Error).message)}`);
  }

  // physical line numbers (see the module comment)
  let structural = 0;
  if (cfg.format !== "whitespace") {
    structural = Number((await db.all<{ n: number }>(`select count(distinct line)::integer as n from kehu_reject_errors`))[0].n);
  }
  await db.exec(`create or replace temp view kehu_src as select * from kehu_raw`);
  let lineSql = `(kehu_ord + ${base})`;
  if (structural > 0) {
    await createRejectPositions(db, base);
    lineSql = `(${lineSql} + (select count(*) from kehu_reject_at a where a.k <= kehu_ord))`;
  }
  lineSql = `(${lineSql} + coalesce(sum(kehu_nl) over (order by kehu_ord rows between unbounded preceding and 1 preceding), 0))`;
  return { columns, present, lineSql, cleanedSql: cleaned.join(", "), structural, streaming: false, fieldCount };
}

/** kehu_reject_at(k): good row k (0-based) sits after the i-th malformed record L_i when k >= L_i - base - i. */
async function createRejectPositions(db: Db, base: number): Promise<void> {
  await db.exec(`create or replace temp table kehu_reject_at as
    select line::bigint - ${base} - (row_number() over (order by line::bigint) - 1) as k from (select distinct line from kehu_reject_errors)`);
}

function readHeadHasQuote(path: string): boolean {
  // a quote in the first 64 KiB is the signal; exports that quote fields do so from the header or first rows on
  return readHead(path).includes(34);
}

function firstLine(message: string): string {
  return message.split("\n")[0];
}

/** Exact header match first, then trimmed and case-insensitive. */
function findHeader(headers: string[], wanted: string): number {
  const exact = headers.indexOf(wanted);
  if (exact >= 0) return exact;
  const norm = (s: string) => s.trim().toLowerCase();
  return headers.findIndex((h) => norm(h) === norm(wanted));
}

async function detectDateFormats(db: Db, source: SourceName, cfg: SourceConfig, file: string, present: Set<string>, cleanedSql: string): Promise<Record<string, DateFormat>> {
  const dateCols = TABLES[source].columns.filter((c) => (c.type === "DATE" || c.type === "TIMESTAMP") && present.has(c.name));
  const result: Record<string, DateFormat> = {};
  if (cfg.dateFormat !== "auto") {
    for (const c of dateCols) result[c.name] = cfg.dateFormat;
    return result;
  }
  if (!dateCols.length) return result;
  // detect on a sample (parsing every candidate over millions of rows is slow); the chosen format is then applied
  // to every row, and rows that do not match it are rejected with the format named in the reason
  for (const c of dateCols) {
    // first 2,000 non-empty values of this column (optional dates such as paid_at are often mostly empty)
    const sample = `(select * from (select ${cleanedSql} from kehu_src) where ${col(c.name)} is not null limit 2000)`;
    const aggs = AUTO_CANDIDATES.map((f, fi) => `count(${parseTimestampSql(col(c.name), f)})::integer as a${fi}`);
    const [counts] = await db.all<Record<string, number>>(`select ${aggs.join(", ")} from ${sample}`);
    const scores = AUTO_CANDIDATES.map((f, fi) => ({ f, n: Number(counts[`a${fi}`]) }));
    const best = Math.max(...scores.map((s) => s.n));
    let winners = scores.filter((s) => s.n === best && best > 0).map((s) => s.f);
    if (winners.includes("d/m/yyyy") && winners.includes("m/d/yyyy")) {
      // tied on the sample: a day above 12 anywhere in the file settles it
      const [full] = await db.all<{ dm: number; md: number }>(
        `select count(${parseTimestampSql(col(c.name), "d/m/yyyy")})::integer as dm, count(${parseTimestampSql(col(c.name), "m/d/yyyy")})::integer as md from (select ${cleanedSql} from kehu_src)`,
      );
      if (Number(full.dm) !== Number(full.md)) winners = [Number(full.dm) > Number(full.md) ? "d/m/yyyy" : "m/d/yyyy"];
    }
    if (winners.includes("d/m/yyyy") && winners.includes("m/d/yyyy")) {
      throw new SourceFileError(
        file,
        `sources.${source}.dateFormat`,
        `dates in column ${c.name} read as both d/m/yyyy and m/d/yyyy (no day above 12); set dateFormat to the one the export uses`,
      );
    }
    result[c.name] = winners[0] ?? "ISO";
  }
  return result;
}

function numberSql(value: string, cfg: SourceConfig): string {
  let drop = CURRENCY_CHARS;
  if (cfg.thousandsSeparator && cfg.thousandsSeparator !== cfg.decimalSeparator) drop += cfg.thousandsSeparator;
  const s = `translate(${value}, ${q(drop)}, '')`;
  if (cfg.decimalSeparator === ",") return `try_cast(replace(${s}, ',', '.') as double)`;
  // fast path: most values are plain numbers; only the others pay for removing symbols and separators
  return `coalesce(try_cast(${value} as double), try_cast(${s} as double))`;
}

/**
 * SQL for the typed value of a canonical column (`value`, over c_<name>) and, for a non-empty raw value, the
 * condition under which it is invalid (`bad`, over p_<name>, the typed value) with its reason.
 */
function parseSql(c: ColumnSpec, cfg: SourceConfig, formats: Record<string, DateFormat>): { value: string; bad?: string; reason: string } {
  const v = col(c.name);
  const p = ident(`p_${c.name}`);
  switch (c.type) {
    case "VARCHAR":
      return { value: v, reason: "" };
    case "DOUBLE":
    case "INTEGER": {
      const example = cfg.decimalSeparator === "," ? "1234,56" : "1234.56";
      return {
        value: numberSql(v, cfg) + (c.type === "INTEGER" ? "::integer" : ""),
        bad: `(${p} is null or not isfinite(${p}))`,
        reason: `not a number (expected e.g. ${example}${cfg.thousandsSeparator ? `, thousands separator "${cfg.thousandsSeparator}"` : ""})`,
      };
    }
    case "TIMESTAMP":
    case "DATE": {
      const f = formats[c.name] ?? "ISO";
      const t = parseTimestampSql(v, f);
      return { value: c.type === "DATE" ? `${t}::date` : t, bad: `${p} is null`, reason: `not a date in format ${describeFormat(f)}` };
    }
    case "BOOLEAN": {
      const lv = `lower(${v})`;
      const list = (w: string[]) => w.map(q).join(", ");
      return {
        value: `(case when ${lv} in (${list(TRUE_WORDS)}) then true when ${lv} in (${list(FALSE_WORDS)}) then false end)`,
        bad: `${p} is null`,
        reason: "not a yes/no value (true/false, yes/no, 1/0, 是/否)",
      };
    }
  }
}

async function validateAndInsert(
  db: Db,
  entry: SourceEntry,
  file: string,
  facts: FileFacts,
  layout: RawLayout,
  report: FileReport,
  ctx: LoadContext,
): Promise<void> {
  const { source, config: cfg } = entry;
  const spec = TABLES[source];
  const formats = await detectDateFormats(db, source, cfg, file, layout.present, layout.cleanedSql);
  report.dateFormats = formats;
  const whitespace = cfg.format === "whitespace";
  // a customer listed twice in one export would be counted twice by every join: keep the first, reject the rest
  const uniqueKey = spec.columns.find((c) => c.key && c.required && layout.present.has(c.name));
  const dupSql = uniqueKey ? `, row_number() over (partition by ${col(uniqueKey.name)} order by kehu_ord) as kehu_dup` : "";

  // kehu_parsed: raw values c_*, typed values p_*; a row is valid when no problem condition holds
  const parsed: string[] = [];
  const problems: Array<{ when: string; column: string; value: string; reason: string }> = [];
  const values: string[] = [];
  const generatedId = `${q(`${source.slice(0, 3)}-`)} || left(md5(${q(file)} || ':' || kehu_line), 16)`;
  for (const c of spec.columns) {
    const v = col(c.name);
    const p = ident(`p_${c.name}`);
    if (!layout.present.has(c.name)) {
      values.push(c.key ? generatedId : `null::${c.type}`);
      continue;
    }
    const { value, bad, reason } = parseSql(c, cfg, formats);
    if (c.required) problems.push({ when: `${v} is null`, column: c.name, value: "null::varchar", reason: "missing required value" });
    if (bad) {
      parsed.push(`${value} as ${p}`);
      problems.push({ when: `${v} is not null and ${bad}`, column: c.name, value: v, reason });
      values.push(p);
    } else {
      values.push(c.key && !c.required ? `coalesce(${v}, ${generatedId})` : v);
    }
  }
  if (whitespace && layout.fieldCount) {
    problems.push({
      when: `kehu_nfields > ${layout.fieldCount}`,
      column: "*",
      value: "null::varchar",
      reason: `'expected ${layout.fieldCount} fields, found ' || kehu_nfields`,
    });
  }
  if (uniqueKey) {
    problems.push({
      when: "kehu_dup > 1",
      column: uniqueKey.name,
      value: col(uniqueKey.name),
      reason: `duplicate ${uniqueKey.name} in this file (first occurrence kept)`,
    });
  }
  // Views, bottom up: raw -> cleaned c_* -> typed p_* -> kehu_ok -> kehu_ord -> kehu_line. The row_number() window
  // sits above the checks on purpose: filters cannot be pushed through it, so each trim/parse runs once per value
  // instead of once per predicate that mentions it (and DuckDB runs it as an order-preserving streaming window).
  const rowProblems = problems.filter((x) => x.when !== "kehu_dup > 1");
  const anyProblem = rowProblems.length ? rowProblems.map((x) => `(${x.when})`).join(" or ") : "false";
  await db.exec(`create or replace temp view kehu_clean as select *${layout.cleanedSql ? `, ${layout.cleanedSql}` : ""} from kehu_src`);
  await db.exec(`create or replace temp view kehu_parsed as select *${parsed.map((x) => `, ${x}`).join("")} from kehu_clean`);
  await db.exec(`create or replace temp view kehu_checked as select *, not coalesce(${anyProblem}, false) as kehu_ok from kehu_parsed`);
  await db.exec(`create or replace temp view kehu_rows as select *, row_number() over () - 1 as kehu_ord from kehu_checked`);
  await db.exec(`create or replace temp view kehu_lined as select *, ${layout.lineSql}::integer as kehu_line${dupSql} from kehu_rows`);
  const skipBlank = whitespace ? "not kehu_blank" : "true";
  const okSql = uniqueKey ? `kehu_ok and kehu_dup = 1` : `kehu_ok`;
  const reasonSql = (x: (typeof problems)[number]) => (x.reason.startsWith("'") ? x.reason : q(x.reason));
  const problemList = problems.length
    ? `list_filter([${problems.map((x) => `case when ${x.when} then {'column': ${q(x.column)}, 'value': ${x.value}, 'reason': ${reasonSql(x)}} end`).join(", ")}], x -> x is not null)`
    : `[]::struct("column" varchar, value varchar, reason varchar)[]`;

  ctx.onProgress?.({ source, file, stage: "write", bytes: facts.bytes, bytesDone: facts.bytes });
  const columnNames = spec.columns.map((c) => c.name);
  const [inserted] = await db.all<{ Count: string | number }>(
    `insert into ${source} (${columnNames.join(", ")}, source_file, source_line)
     select ${values.join(", ")}, ${q(file)}, kehu_line from kehu_lined where ${skipBlank} and ${okSql}`,
  );
  const insertedRows = Number(inserted?.Count ?? 0);
  const base = cfg.header ? 2 : 1;
  let structural = layout.structural;
  if (layout.streaming && !whitespace) {
    structural = Number((await db.all<{ n: number }>(`select count(distinct line)::integer as n from kehu_reject_errors`))[0].n);
  }
  // only when some rows were left out is it worth a second pass to say why
  let someBad: boolean;
  if (layout.streaming) {
    // every line but the header is a record unless it is blank, malformed or invalid
    const records = facts.newlines + (facts.unterminated ? 1 : 0) - (cfg.header ? 1 : 0);
    someBad = insertedRows + structural !== records;
  } else {
    const [{ n }] = await db.all<{ n: number }>(`select count(*)::integer as n from kehu_raw where ${skipBlank}`);
    someBad = insertedRows !== Number(n);
  }
  await db.exec(`create or replace temp table kehu_errs as
    select kehu_line as line, e."column" as "column", e.value as value, e.reason as reason
    from (select kehu_line, unnest(${problemList}) as e from kehu_lined where ${someBad} and ${skipBlank} and not (${okSql}))`);
  const [{ n: badRows }] = await db.all<{ n: number }>(`select count(distinct line)::integer as n from kehu_errs`);
  if (layout.streaming && structural > 0) {
    // lines were numbered without the malformed records DuckDB skipped: shift them past those
    await createRejectPositions(db, base);
    const shift = (c: string) => `${c} + (select count(*) from kehu_reject_at a where a.k <= ${c} - ${base})`;
    await db.exec(`update ${source} set source_line = ${shift("source_line")} where source_file = ${q(file)}`);
    await db.exec(`update kehu_errs set line = ${shift("line")}`);
  }
  if (structural > 0) {
    const nlBefore = layout.streaming
      ? ""
      : ` + coalesce((select sum(kehu_nl) from kehu_rows r where r.kehu_ord < e.line::bigint - ${base} - (select count(distinct line) from kehu_reject_errors x where x.line < e.line)), 0)`;
    // never the raw line (it holds names, phones, addresses): a wrong field count is stored as counts only
    await db.exec(`insert into kehu_errs
      select (e.line::bigint${nlBefore})::integer, e."column", e.value, e.reason from (
        select line, '*' as "column", 'found ' || max(regexp_extract(error_message, 'Found: (\\d+)', 1)::integer)
                 || ', expected ' || max(regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1)) as value,
               'wrong number of fields' as reason
        from kehu_reject_errors where error_type in ('TOO MANY COLUMNS', 'MISSING COLUMNS') group by line
        union all
        select distinct line, coalesce(column_name, '*'), null, lower(error_type) || ': ' || error_message
        from kehu_reject_errors where error_type not in ('TOO MANY COLUMNS', 'MISSING COLUMNS')) e`);
  }
  report.loaded = insertedRows;
  report.rejected = Number(badRows) + structural;
  report.rowsRead = report.loaded + report.rejected;
  report.sampleRejects = (
    await db.all<{ line: number; column: string; value: string | null; reason: string }>(
      `select line::integer as line, "column", value, reason from kehu_errs order by line, "column" limit 5`,
    )
  ).map((r) => ({ file, ...r }));

  await db.exec(`insert into kehu_run_errs select ${q(source)}, ${q(file)}, line, "column", value, reason from kehu_errs`);
  if (ctx.write) {
    await db.exec(
      `insert into rejected_rows select ${q(source)}, ${q(file)}, line, "column", value, reason, $now::timestamp from kehu_errs`,
      { now: sqlTimestamp(ctx.now) },
    );
  }
}

function sqlTimestamp(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "");
}
