/**
 * Ingest: CRM/sales export files -> the canonical DuckDB tables (schemas.ts), in one transaction per run.
 *
 * The bulk path never parses rows in JS: DuckDB's read_csv (all_varchar) reads the file, validation is set-based
 * SQL (try_cast / try_strptime) in a chain of temp views, valid rows land with one insert ... select and invalid ones
 * go to `rejected_rows` and a `rejected/<source>-<timestamp>.csv` file. The file is read, cleaned and typed once into
 * a temp table in file order (readers.ts), on every thread, so that a row's rowid is its ordinal and the line numbers
 * need no window; it keeps the typed values, and the raw text only of rows that are not valid. A second pass over it
 * runs only when some rows were left out, to say why.
 *
 * Line numbers (`source_line`, rejected rows) are physical 1-based line numbers of the input file: the header is
 * line 1, quoted fields spanning several lines and malformed lines are accounted for. Known approximations: DuckDB
 * skips blank lines in csv/tsv files without reporting them, so after a blank line numbers are one low per blank
 * line (whitespace files keep blank lines, so their numbers are exact). Quoted newlines are looked for when the
 * file has a quote character anywhere.
 *
 * Around this module: encoding.ts (whole-file facts, encoding choice), diagnosis.ts (why a file cannot be read),
 * readers.ts (read_csv and the column map), values.ts (typed values and their checks), provenance.ts (what
 * ingest_log says about a file; duplicates, overlaps, pruning) and repair.ts (ingest_log against the tables).
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, relative, resolve, isAbsolute, sep } from "node:path";
import type { Db } from "./db.ts";
import { openDatabase } from "./db.ts";
import { ConfigError, type KehuConfig, type SourceConfig } from "./config.ts";
import { createAllTablesSql, SOURCE_NAMES, TABLES, type SourceName } from "./schemas.ts";
import { DataError, SourceFileError } from "./errors.ts";
import { convertExport } from "./convert.ts";
import {
  inspectFile,
  resolveEncoding,
  transcodeToUtf8,
  type BadUtf8Line,
  type Encoding,
  type FileFacts,
} from "./encoding.ts";
import { repairIngestState } from "./repair.ts";
import { checkFileShape } from "./diagnosis.ts";
import { inFileOrder, readRaw, type RawLayout } from "./readers.ts";
import {
  dropLinesLoadedElsewhere,
  filesNotConfigured,
  findOverlap,
  overlapWarnings,
  reconcileWithLog,
  removeFiles,
  type LoadedFile,
} from "./provenance.ts";
import { AUTO_CANDIDATES, parseTimestampSql, type DateFormat } from "./dates.ts";
import { col, ident, q, sqlTimestamp } from "./sql.ts";
import { dateWindow, valueSql, type DateWindow } from "./values.ts";
import { csvLines } from "../../docs/components/csv.js";
import { syncConfiguredEngine, type EngineSyncReport } from "../engine/run.ts";
import { openTableSources } from "../engine/table-sources.ts";

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
  /** remove the rows of files loaded before that the config no longer matches (`kehu ingest --prune`) */
  prune?: boolean;
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
  /** the same content had been loaded under this other name, which the config no longer matches: renamed */
  renamedFrom?: string;
  /** rows repeating an earlier row of the same file, and rows equal to rows of other files (see provenance.ts) */
  duplicateRows: number;
  overlappingRows: number;
  /** transactions: lines equal to lines already loaded from another file, not loaded again (provenance.ts) */
  linesLoadedElsewhere?: number;
  /** things to look at that did not stop the load (duplicates, overlaps, same content as another file) */
  warnings: string[];
  /** read through a temporary UTF-8 CSV made from this kind of file (convert.ts) */
  convertedFrom?: "xlsx" | "parquet" | "utf-16le" | "utf-16be";
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
  /** With a ClickHouse engine: what was (re)loaded onto it (src/engine/sources.ts). */
  engine?: EngineSyncReport;
  /** files whose rows disagreed with ingest_log (an interrupted earlier run) and were removed before loading */
  repairs: string[];
  duplicateRows: number;
  /** files loaded before that the config no longer matches: removed with `prune`, else only reported */
  pruned: LoadedFile[];
  stale: LoadedFile[];
}

export interface CheckReport {
  files: FileReport[];
  /** file-level problems (each names file, column and config key) and reject-rate violations */
  problems: string[];
  ok: boolean;
}

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
    // a table source (sources.<name>.table) is read on the engine: src/engine/table-sources.ts
    if (cfg.files === undefined) continue;
    const patterns = Array.isArray(cfg.files) ? cfg.files : [cfg.files];
    const paths = new Set<string>();
    for (const pattern of patterns) {
      const abs = resolve(configDir(config), pattern);
      if (!/[*?[]/.test(abs)) {
        if (!existsSync(abs)) throw new SourceFileError(abs, `sources.${source}.files`, "file not found");
        if (statSync(abs).isDirectory()) {
          throw new SourceFileError(
            abs,
            `sources.${source}.files`,
            `is a directory, not a file; name the files in it, e.g. "${sourceFileName(config, abs)}/*.csv"`,
          );
        }
        if (!statSync(abs).isFile()) throw new SourceFileError(abs, `sources.${source}.files`, "is not a regular file");
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
  if (existsSync(config.rejectedDir) && !statSync(config.rejectedDir).isDirectory()) {
    throw new ConfigError(
      `rejectedDir: ${config.rejectedDir} exists and is not a directory; move that file away or set rejectedDir to another path`,
    );
  }
  let report: IngestReport;
  // sources that name a table on the engine: opened (and the engine client loaded) only when the config has one
  const tables = await openTableSources(config);
  try {
    report = await db.transaction(async (tx) => {
      await tx.exec(createAllTablesSql());
      const repairs = (await repairIngestState(tx)).map((r) => r.message);
      const entries = await resolveSourceFiles(tx, config);
      const current = new Map(
        entries.map((e) => [e.source, new Map(e.paths.map((p) => [sourceFileName(config, p), p]))]),
      );
      for (const t of tables?.sources ?? []) current.set(t.source, new Map([[t.sourceFile, t.table]]));
      const pruned = options.prune ? await filesNotConfigured(tx, current) : [];
      await removeFiles(tx, pruned);
      const files: FileReport[] = [];
      await tx.exec(
        `create or replace temp table kehu_run_errs (source VARCHAR, file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, reason VARCHAR)`,
      );
      for (const entry of entries) {
        for (const path of entry.paths) {
          const report = await loadFile(tx, config, entry, path, {
            now,
            window: dateWindow(config, now),
            onProgress: options.onProgress,
            write: true,
            current,
          });
          files.push(report);
          const rate = report.rowsRead ? report.rejected / report.rowsRead : 0;
          if (rate > maxRejectRate) {
            const out = await writeRejectedCsv(
              tx,
              config.rejectedDir,
              `${entry.source}-${stamp}`,
              entry.source,
              report.file,
            );
            throw new DataError(
              `${report.file}: ${report.rejected} of ${report.rowsRead} rows rejected (${(rate * 100).toFixed(2)}%), ` +
                `above the limit of ${(maxRejectRate * 100).toFixed(2)}% (--max-reject-rate / maxRejectRate). ` +
                `The database was not changed. Rejected rows with line, column, value and reason: ${out}` +
                formatSample(report.sampleRejects),
            );
          }
        }
      }
      if (tables) files.push(...(await tables.load(tx)));
      // one rejected CSV per source and run, written only when the run succeeds
      for (const source of new Set(files.filter((f) => f.rejected > 0).map((f) => f.source))) {
        const out = await writeRejectedCsv(tx, config.rejectedDir, `${source}-${stamp}`, source);
        written.push(out);
        for (const f of files) if (f.source === source && f.rejected > 0) f.rejectedFile = out;
      }
      await tx.exec(`drop table if exists kehu_run_errs`);
      const stale = await filesNotConfigured(tx, current);
      const sum = (k: "rowsRead" | "loaded" | "rejected" | "duplicateRows") => files.reduce((a, f) => a + f[k], 0);
      return {
        files,
        rowsRead: sum("rowsRead"),
        loaded: sum("loaded"),
        rejected: sum("rejected"),
        rejectedFiles: written,
        repairs,
        duplicateRows: sum("duplicateRows"),
        pruned,
        stale,
      };
    });
  } catch (error) {
    // the run is rolled back: rejected files that describe it would describe rows that are not in the database
    for (const f of written) rmSync(f, { force: true });
    throw error;
  } finally {
    await tables?.close();
  }
  // a ClickHouse engine (engine.kind clickhouse or chdb) gets the committed rows, file by file
  const engine = await syncConfiguredEngine(db, config);
  return engine ? { ...report, engine } : report;
}

function formatSample(rows: RejectedRow[]): string {
  if (!rows.length) return "";
  return (
    "\nFirst rejected rows:\n" +
    rows.map((r) => `  line ${r.line}, column ${r.column}, value ${JSON.stringify(r.value)}: ${r.reason}`).join("\n")
  );
}

async function writeRejectedCsv(db: Db, dir: string, base: string, source: SourceName, file?: string): Promise<string> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new ConfigError(
      `rejectedDir: cannot create ${dir} (${(error as NodeJS.ErrnoException).code}); set rejectedDir to a directory kehu may write`,
    );
  }
  const out = join(dir, `${base}.csv`);
  const where = `source = ${q(source)}` + (file ? ` and file = ${q(file)}` : "");
  const rows = await db.all<{ file: string; line: number; column: string; value: string | null; reason: string }>(
    `select file, line::integer as line, "column", value, reason from kehu_run_errs where ${where} order by file, line, "column"`,
  );
  // csvLines defuses formulas: a rejected value is whatever the export held (=HYPERLINK(...) included)
  writeFileSync(
    out,
    csvLines(
      ["file", "line", "column", "value", "reason"],
      rows.map((r) => [r.file, r.line, r.column, r.value, r.reason]),
    ),
  );
  return out;
}

/**
 * Validate the config and every input file without writing anything: the same reading and validation as
 * `ingestSources`, run against an in-memory database. File-level problems are collected, not thrown.
 */
export async function checkSources(
  config: KehuConfig,
  options: { maxRejectRate?: number; now?: Date } = {},
): Promise<CheckReport> {
  const now = options.now ?? new Date();
  const db = await openDatabase(":memory:");
  const problems: string[] = [];
  const files: FileReport[] = [];
  const maxRejectRate = options.maxRejectRate ?? config.maxRejectRate;
  try {
    await db.exec(createAllTablesSql());
    await db.exec(
      `create temp table kehu_run_errs (source VARCHAR, file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, reason VARCHAR)`,
    );
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
          const report = await loadFile(db, config, entry, path, {
            now,
            window: dateWindow(config, now),
            write: false,
          });
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
  /** plausible dates: others are rejected rows */
  window: DateWindow;
  onProgress?: (event: IngestProgress) => void;
  /** false for `check`: no idempotency bookkeeping against earlier runs */
  write: boolean;
  /** the files of this run per source (source_file names) */
  current?: Map<SourceName, Map<string, string>>;
}

/** One file: inspect, decode, read, validate, insert; returns its report. Runs inside the caller's transaction. */
async function loadFile(
  db: Db,
  config: KehuConfig,
  entry: SourceEntry,
  path: string,
  ctx: LoadContext,
): Promise<FileReport> {
  const { source } = entry;
  const file = sourceFileName(config, path);
  const report: FileReport = {
    source,
    file,
    path,
    columns: {},
    dateFormats: {},
    rowsRead: 0,
    loaded: 0,
    rejected: 0,
    skipped: false,
    replaced: false,
    sampleRejects: [],
    duplicateRows: 0,
    overlappingRows: 0,
    warnings: [],
  };
  const size = statSync(path).size;
  const progress = (stage: IngestStage, bytesDone = size) =>
    ctx.onProgress?.({ source, file, stage, bytes: size, bytesDone });

  // Excel, Parquet and UTF-16 exports are read through a temporary UTF-8 CSV (convert.ts); the load's identity is
  // still the original file's bytes
  const converted = await convertExport(db, path, entry.config, source, file);
  try {
    if (converted) report.convertedFrom = converted.from;
    return await loadText(
      db,
      config,
      converted ? { ...entry, config: converted.cfg } : entry,
      path,
      converted?.path ?? path,
      file,
      report,
      ctx,
      progress,
      converted ? (await inspectFile(path)).hash : undefined,
    );
  } finally {
    if (converted) rmSync(converted.dir, { recursive: true, force: true });
  }
}

async function loadText(
  db: Db,
  config: KehuConfig,
  entry: SourceEntry,
  originalPath: string,
  path: string,
  file: string,
  report: FileReport,
  ctx: LoadContext,
  progress: (stage: IngestStage, bytesDone?: number) => void,
  originalHash: string | undefined,
): Promise<FileReport> {
  const { source, config: cfg } = entry;
  let facts: Awaited<ReturnType<typeof inspectFile>>;
  try {
    facts = await inspectFile(path, (done) => progress("inspect", done));
  } catch (error) {
    if (typeof (error as NodeJS.ErrnoException)?.code !== "string") throw error; // not an I/O error (e.g. from onProgress)
    throw new SourceFileError(file, `sources.${source}.files`, `cannot read the file: ${(error as Error).message}`);
  }
  if (originalHash) facts = { ...facts, hash: originalHash };

  // the file's bytes plus how it is read: after fixing the column map or date format, the same file loads again
  // (replacing its earlier rows) instead of being skipped as already loaded
  const settings = createHash("sha256")
    .update(
      JSON.stringify(
        cfg,
        Object.keys(cfg)
          .filter((k) => k !== "files")
          .sort(),
      ),
    )
    .update(JSON.stringify(cfg.columns))
    .update(JSON.stringify(config.plausibleDates))
    .digest("hex");
  const loadHash = `sha256:${facts.hash};settings:${settings.slice(0, 12)}`;
  if (ctx.write) {
    const prior = await reconcileWithLog(db, source, file, loadHash, facts.hash, ctx.current?.get(source));
    Object.assign(report, prior);
    if (prior.skipped) {
      progress("skipped");
      return report;
    }
  }

  if (facts.bytes === 0 && cfg.header) {
    throw new SourceFileError(file, `sources.${source}.files`, "the file is empty (no header line)");
  }
  checkFileShape(file, source, facts);

  // (UTF-16, declared or detected, was converted to UTF-8 before this point)
  const declared = cfg.encoding === "utf-16le" || cfg.encoding === "utf-16be" ? "utf-8" : cfg.encoding;
  const { encoding, badLines } = await resolveEncoding(path, facts, declared, file, `sources.${source}.encoding`);
  report.encoding = encoding;

  let readPath = path;
  let tempDir: string | undefined;
  try {
    if (encoding === "gb18030" || badLines.length) {
      // (a UTF-8 file with invalid bytes is decoded too: each becomes U+FFFD and its line a rejected row)
      progress("transcode", 0);
      const t = await transcodeToUtf8(path, encoding);
      readPath = t.path;
      tempDir = t.dir;
    }
    progress("read", 0);
    const layout = await readRaw(db, source, cfg, file, readPath, facts, {
      outside: file === originalPath,
      multiline: badLines.length > 0,
      asInspected: readPath === path,
    });
    report.columns = layout.columns;
    progress("validate", 0);
    if (badLines.length && cfg.header && badLines[0].line === 1) {
      throw new SourceFileError(
        file,
        `sources.${source}.encoding`,
        `the header line is not valid UTF-8: ${badLines[0].reason}`,
      );
    }
    await validateAndInsert(db, entry, file, facts, layout, badLines, report, ctx);
    report.linesLoadedElsewhere = await dropLinesLoadedElsewhere(db, source, file, layout.present, [
      ...(ctx.current?.get(source)?.keys() ?? []),
    ]);
    if (report.linesLoadedElsewhere) {
      report.loaded -= report.linesLoadedElsewhere;
      report.warnings.push(
        `${report.linesLoadedElsewhere} line(s) were already loaded from other files (overlapping exports): loaded once, with the file that had them first`,
      );
    }
    const overlap = await findOverlap(db, source, file, layout.present);
    Object.assign(report, { duplicateRows: overlap.duplicateRows, overlappingRows: overlap.overlappingRows });
    report.warnings.push(...overlapWarnings(source, overlap, layout.present));
    if (ctx.write) {
      await db.exec(`insert into ingest_log values ($source, $file, $hash, $loaded, $rejected, $now::timestamp)`, {
        source,
        file,
        hash: loadHash,
        loaded: report.loaded,
        rejected: report.rejected,
        now: sqlTimestamp(ctx.now),
      });
    }
    progress("done");
    return report;
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    await db
      .exec(
        `drop view if exists kehu_lined; drop view if exists kehu_checked; drop view if exists kehu_parsed; drop view if exists kehu_clean; drop view if exists kehu_src; drop view if exists kehu_file; drop table if exists kehu_raw; drop table if exists kehu_reject_at; drop table if exists kehu_reject_errors; drop table if exists kehu_reject_scans; drop table if exists kehu_errs; drop table if exists kehu_bad_bytes`,
      )
      .catch(() => undefined); // after an error the transaction is aborted anyway
  }
}

async function detectDateFormats(
  db: Db,
  source: SourceName,
  cfg: SourceConfig,
  file: string,
  present: Set<string>,
  cleanedSql: string,
): Promise<Record<string, DateFormat>> {
  const dateCols = TABLES[source].columns.filter(
    (c) => (c.type === "DATE" || c.type === "TIMESTAMP") && present.has(c.name),
  );
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
    const sample = `(select * from (select ${cleanedSql} from kehu_file) where ${col(c.name)} is not null limit 2000)`;
    const aggs = AUTO_CANDIDATES.map((f, fi) => `count(${parseTimestampSql(col(c.name), f)})::integer as a${fi}`);
    const [counts] = await db.all<Record<string, number>>(`select ${aggs.join(", ")} from ${sample}`);
    const scores = AUTO_CANDIDATES.map((f, fi) => ({ f, n: Number(counts[`a${fi}`]) }));
    const best = Math.max(...scores.map((s) => s.n));
    let winners = scores.filter((s) => s.n === best && best > 0).map((s) => s.f);
    if (winners.includes("d/m/yyyy") && winners.includes("m/d/yyyy")) {
      // tied on the sample: a day above 12 anywhere in the file settles it
      const [full] = await db.all<{ dm: number; md: number }>(
        `select count(${parseTimestampSql(col(c.name), "d/m/yyyy")})::integer as dm, count(${parseTimestampSql(col(c.name), "m/d/yyyy")})::integer as md from (select ${cleanedSql} from kehu_file)`,
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

async function validateAndInsert(
  db: Db,
  entry: SourceEntry,
  file: string,
  facts: FileFacts,
  layout: RawLayout,
  badLines: BadUtf8Line[],
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
  // s_<name>: the value inserted, as copied into kehu_raw (typed where the column has checks)
  const stored = (name: string) => ident(`s_${name}`);
  const dupSql = (key: string) =>
    uniqueKey ? `, row_number() over (partition by ${key} order by kehu_ord) as kehu_dup` : "";

  // kehu_parsed: raw values c_*, typed values p_*; a row is valid when no problem condition holds
  const parsed: string[] = [];
  // late problems are decided on numbered rows (kehu_lined), the others before numbering (kehu_ok)
  const problems: Array<{ when: string; column: string; value: string; reason: string; late?: boolean }> = [];
  const values: string[] = [];
  // what kehu_raw keeps of a record: whether it is valid (s_ok), the values to insert, the columns line numbers and
  // blank lines need, and the raw text r_<name> only of the rows that are not valid (to say why)
  const kept: string[] = ["kehu_ok as s_ok", ...layout.extras];
  const generatedId = `${q(`${source.slice(0, 3)}-`)} || left(md5(${q(file)} || ':' || kehu_line), 16)`;
  for (const c of spec.columns) {
    const v = col(c.name);
    const p = ident(`p_${c.name}`);
    if (!layout.present.has(c.name)) {
      values.push(c.key ? generatedId : `null::${c.type}`);
      continue;
    }
    const { value, checks } = valueSql(c, cfg, formats, ctx.window);
    const s = stored(c.name);
    const r = ident(`r_${c.name}`);
    kept.push(`${checks.length ? p : v} as ${s}`, `case when kehu_ok then null else ${r} end as ${r}`);
    if (c.required)
      problems.push({ when: `${v} is null`, column: c.name, value: "null::varchar", reason: "missing required value" });
    if (checks.length) {
      parsed.push(`${value} as ${p}`);
      for (const { bad, reason } of checks)
        problems.push({ when: `${v} is not null and ${bad}`, column: c.name, value: v, reason });
      values.push(s);
    } else {
      values.push(c.key && !c.required ? `coalesce(${s}, ${generatedId})` : s);
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
      value: stored(uniqueKey.name),
      reason: `duplicate ${uniqueKey.name} in this file (first occurrence kept)`,
      late: true,
    });
  }
  let badBytesSql = "";
  if (badLines.length) {
    // lines with invalid UTF-8 (decoded with U+FFFD): the record that covers such a line is rejected
    await db.exec(`create or replace temp table kehu_bad_bytes (line INTEGER, reason VARCHAR)`);
    await db.insertRows(
      "kehu_bad_bytes",
      ["line", "reason"],
      badLines.map((b) => [b.line, b.reason]),
    );
    const span = layout.multiline ? "coalesce(kehu_nl, 0)" : "0";
    badBytesSql = `, (select min(b.reason) from kehu_bad_bytes b where b.line between kehu_line and kehu_line + ${span}) as kehu_badbyte`;
    problems.push({
      when: "kehu_badbyte is not null",
      column: "*",
      value: "null::varchar",
      reason: "'' || kehu_badbyte",
      late: true,
    });
  }
  // Views, bottom up: raw (kehu_ord) -> cleaned c_* -> typed p_* -> kehu_ok -> kehu_line. kehu_ok ends in a volatile
  // no-op (random() < 2, always true) on purpose: DuckDB does not push a filter on a volatile column below the
  // projection that computes it, so each trim/parse runs once per value instead of once in the filter and again for
  // the insert (a tenth of the ingest's time on a plain export)
  const rowProblems = problems.filter((x) => !x.late);
  const anyProblem = rowProblems.length ? rowProblems.map((x) => `(${x.when})`).join(" or ") : "false";
  await db.exec(
    `create or replace temp view kehu_clean as select *${layout.cleanedSql ? `, ${layout.cleanedSql}` : ""} from kehu_file`,
  );
  await db.exec(
    `create or replace temp view kehu_parsed as select *${parsed.map((x) => `, ${x}`).join("")} from kehu_clean`,
  );
  await db.exec(
    `create or replace temp view kehu_checked as select *, (not coalesce(${anyProblem}, false) and random() < 2) as kehu_ok from kehu_parsed`,
  );
  // the copy, in file order: its rowids number the records
  const { lineSql, structural } = await layout.copy(kept.join(", "), "kehu_checked");
  // over the copy: the raw text of the rows that are not valid cleaned and parsed again (for the reasons; the insert
  // reads s_<name> only, so it does not run this)
  await db.exec(
    `create or replace temp view kehu_clean as select *${layout.cleanedSql ? `, ${layout.cleanedSql}` : ""} from kehu_src`,
  );
  await db.exec(
    `create or replace temp view kehu_parsed as select *${parsed.map((x) => `, ${x}`).join("")} from kehu_clean`,
  );
  const key = uniqueKey ? stored(uniqueKey.name) : "";
  await db.exec(
    `create or replace temp view kehu_lined as select *${badBytesSql} from (select *, ${lineSql}::integer as kehu_line${dupSql(key)} from kehu_parsed)`,
  );
  const skipBlank = whitespace ? "not kehu_blank" : "true";
  const okSql = `s_ok${uniqueKey ? " and kehu_dup = 1" : ""}${badBytesSql ? " and kehu_badbyte is null" : ""}`;
  const reasonSql = (x: (typeof problems)[number]) => (x.reason.startsWith("'") ? x.reason : q(x.reason));
  // a valid row (s_ok) has none of the row problems (they are what s_ok says), and no raw text left to test
  const whenSql = (x: (typeof problems)[number]) => (x.late ? x.when : `not s_ok and (${x.when})`);
  const problemList = problems.length
    ? `list_filter([${problems.map((x) => `case when ${whenSql(x)} then {'column': ${q(x.column)}, 'value': ${x.value}, 'reason': ${reasonSql(x)}} end`).join(", ")}], x -> x is not null)`
    : `[]::struct("column" varchar, value varchar, reason varchar)[]`;

  ctx.onProgress?.({ source, file, stage: "write", bytes: facts.bytes, bytesDone: facts.bytes });
  const columnNames = spec.columns.map((c) => c.name);
  // in file order: DuckDB's order-keeping insert writes each row group out as it fills, and so stays within
  // memory_limit beside the copy (the unordered parallel insert took twice the CPU at 10M rows under 1 GB)
  const [inserted] = await inFileOrder(db, () =>
    db.all<{ Count: string | number }>(
      `insert into ${source} (${columnNames.join(", ")}, source_file, source_line)
     select ${values.join(", ")}, ${q(file)}, kehu_line from kehu_lined where ${skipBlank} and ${okSql}`,
    ),
  );
  const insertedRows = Number(inserted?.Count ?? 0);
  const base = cfg.header ? 2 : 1;
  // only when some rows were left out is it worth a second pass to say why
  const [{ n: records }] = await db.all<{ n: number }>(
    `select count(*)::integer as n from kehu_raw where ${skipBlank}`,
  );
  const someBad = insertedRows !== Number(records);
  await db.exec(`create or replace temp table kehu_errs as
    select kehu_line as line, e."column" as "column", e.value as value, e.reason as reason
    from (select kehu_line, unnest(${problemList}) as e from kehu_lined where ${someBad} and ${skipBlank} and not (${okSql}))`);
  const [{ n: badRows }] = await db.all<{ n: number }>(`select count(distinct line)::integer as n from kehu_errs`);
  if (structural > 0) {
    const nlBefore = !layout.multiline
      ? ""
      : ` + coalesce((select sum(kehu_nl) from kehu_src r where r.kehu_ord < e.line::bigint - ${base} - (select count(distinct line) from kehu_reject_errors x where x.line < e.line)), 0)`;
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
  // done with the copy: its memory is the duplicate count's (findOverlap) under DuckDB's memory_limit
  await db.exec(`drop table kehu_raw`);
  report.loaded = insertedRows;
  report.rejected = Number(badRows) + structural;
  report.rowsRead = report.loaded + report.rejected;
  report.sampleRejects = (
    await db.all<{ line: number; column: string; value: string | null; reason: string }>(
      `select line::integer as line, "column", value, reason from kehu_errs order by line, "column" limit 5`,
    )
  ).map((r) => ({ file, ...r, value: report.file === report.path ? null : r.value })); // outside the config dir: not echoed

  await db.exec(
    `insert into kehu_run_errs select ${q(source)}, ${q(file)}, line, "column", value, reason from kehu_errs`,
  );
  if (ctx.write) {
    await db.exec(
      `insert into rejected_rows select ${q(source)}, ${q(file)}, line, "column", value, reason, $now::timestamp from kehu_errs`,
      { now: sqlTimestamp(ctx.now) },
    );
  }
}
