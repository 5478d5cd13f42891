/**
 * Reading an export into DuckDB: the view kehu_src over read_csv (csv/tsv with a delimiter, or whitespace lines
 * split in SQL), the canonical columns mapped to the export's headers, and physical line numbers (see ingest.ts).
 */
import type { Db } from "./db.ts";
import type { SourceConfig } from "./config.ts";
import { TABLES, type SourceName } from "./schemas.ts";
import { DataError, SourceFileError } from "./errors.ts";
import { readHead, type FileFacts } from "./encoding.ts";
import { checkDuplicateHeaders, delimiterOf, explainReadError, MAX_LINE_BYTES, parseHeaderLine } from "./diagnosis.ts";
import { col, ident, q } from "./sql.ts";

// a literal (not chr() concatenation): DuckDB trims noticeably faster with a constant string
export const TRIM_CHARS = `' \t\r\n\u3000\u00a0'`;
const EDGE_SPACE = `'^[\\s\u3000\u00a0]|[\\s\u3000\u00a0]$'`;

export interface RawLayout {
  /** canonical -> header it came from (null: absent) */
  columns: Record<string, string | null>;
  /** canonical columns present in kehu_file as r_<name> */
  present: Set<string>;
  /** select items c_<name>: the raw r_<name> trimmed, '' -> NULL */
  cleanedSql: string;
  /** kehu_file has kehu_nl, the newlines inside each record (files with quotes: fields may span lines) */
  multiline: boolean;
  /** whitespace format: fields per line, to reject lines with too many */
  fieldCount?: number;
  /** kehu_file's columns besides r_<name>: kehu_nl (multiline), kehu_blank and kehu_nfields (whitespace) */
  extras: string[];
  /**
   * Copy `select` (a select list over a view that reads kehu_file) into temp table kehu_raw in file order; view
   * kehu_src adds kehu_ord. Returns the SQL for the physical line number of a kehu_src row (over kehu_ord, the
   * 0-based row ordinal) and the number of structurally malformed lines DuckDB rejected.
   */
  copy(select: string, from: string): Promise<{ lineSql: string; structural: number }>;
}

/**
 * Map the export's columns: view kehu_file reads the file with one raw VARCHAR column r_<name> per mapped canonical
 * column (`cleanedSql` trims them and turns '' into NULL); `copy` then writes what the caller keeps of each record
 * (ingest.ts: typed values, the raw text only where a row fails) into temp table kehu_raw, in file order: the copy
 * numbers the records on every thread (its rowids), and the smaller it is the less of memory_limit it takes.
 * `outside`: the file lies outside the config directory, so messages do not show its header (it may be any file).
 * `multiline`: count the newlines inside records even without quotes (to match invalid-UTF-8 lines to records).
 * `asInspected`: readPath holds the bytes `facts` describe (not a transcoded copy).
 */
export async function readRaw(
  db: Db,
  source: SourceName,
  cfg: SourceConfig,
  file: string,
  readPath: string,
  facts: FileFacts,
  { outside, multiline: countNewlines, asInspected }: { outside: boolean; multiline: boolean; asInspected: boolean },
): Promise<RawLayout> {
  const nonEmpty = facts.bytes > 0;
  const spec = TABLES[source];
  const p = q(readPath);
  await db.exec(`drop table if exists kehu_reject_errors; drop table if exists kehu_reject_scans`);
  // trim() with a character list is slow per value; a regex test (RE2) first makes clean values nearly free
  let clean = (e: string) =>
    `nullif(case when regexp_matches(${e}, ${EDGE_SPACE}) then trim(${e}, ${TRIM_CHARS}) else ${e} end, '')`;
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
      const dialect = `all_varchar=true, header=${cfg.header}, delim=${q(delimiterOf(cfg))}, quote='"', escape='"', max_line_size=${MAX_LINE_BYTES}`;
      const rejects = `store_rejects=true, rejects_table='kehu_reject_errors', rejects_scan='kehu_reject_scans'`;
      const csv = `read_csv(${p}, ${dialect}, ${rejects})`;
      // (ignore_errors as with store_rejects: a line with too many fields is a rejected row, not a failed sniff)
      const sniffed = await sniffedDialect(db, `sniff_csv(${p}, ${dialect}, ignore_errors=true)`);
      // the sniffer's columns are read_csv's (one sniff per file); with more than a dialect found, read_csv's own
      const names =
        sniffed?.names ??
        (await db.all<{ column_name: string }>(`describe select * from ${csv}`)).map((d) => d.column_name);
      if (cfg.header) {
        // DuckDB renames a repeated header to name_1: the header as written, to refuse ambiguous columns
        const written = parseHeaderLine(readHead(readPath), cfg);
        headers = written.length === names.length ? written : names;
      } else headers = names.map((_, i) => String(i + 1));
      fieldSql = (i) => ident(names[i]);
      from = sniffed ? `read_csv(${p}, ${dialect}, ${rejects}, ${sniffed.options})` : csv;
      if (asInspected && noEdgeBlanks(facts, cfg, sniffed?.newLine)) clean = (e) => `nullif(${e}, '')`;
      // quoted fields may span lines: count the newlines inside each record to keep line numbers physical
      // (also for files with invalid UTF-8 lines: matching those to records needs the line numbers up front)
      if (facts.hasQuote || countNewlines) {
        const all = names.map((n) => `coalesce(${ident(n)}, '')`).join(" || ");
        extra = `, length(${all}) - length(replace(${all}, chr(10), '')) as kehu_nl`;
      }
      await db.exec(`drop table if exists kehu_reject_errors; drop table if exists kehu_reject_scans`);
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw await explainReadError(error, file, readPath, source, cfg, facts);
  }
  if (cfg.header) {
    const norm = (h: string) => h.trim().toLowerCase();
    const targets = new Set(
      spec.columns
        .map((c) => cfg.columns[c.name] ?? c.name)
        .filter((t) => typeof t === "string")
        .map(norm),
    );
    checkDuplicateHeaders(file, source, headers, (h) => targets.has(norm(h)), outside);
  }

  // map canonical columns to the export's headers
  const columns: Record<string, string | null> = {};
  const selects: string[] = [];
  const cleaned: string[] = [];
  const present = new Set<string>();
  const shown = () =>
    outside
      ? `${headers.length} column(s) (not shown: the file is outside the config directory)`
      : headers.map((h) => JSON.stringify(h)).join(", ");
  for (const c of spec.columns) {
    const mapped = cfg.columns[c.name];
    let index = -1;
    if (typeof mapped === "number") {
      index = mapped - 1;
      if (index >= headers.length) {
        throw new SourceFileError(
          file,
          `sources.${source}.columns.${c.name}`,
          `column number ${mapped} for ${c.name} does not exist; the file has ${headers.length} columns`,
        );
      }
    } else if (typeof mapped === "string") {
      index = findHeader(headers, mapped);
      if (index < 0) {
        throw new SourceFileError(
          file,
          `sources.${source}.columns.${c.name}`,
          `column "${mapped}" (mapped to ${c.name}) not found; the header has ${shown()}`,
        );
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

  const multiline = extra.includes("kehu_nl");
  const extras = multiline ? ["kehu_nl"] : cfg.format === "whitespace" ? ["kehu_blank", "kehu_nfields"] : [];
  const rawSelect = `${selects.join(", ") || "1 as kehu_dummy"}${extra}`;
  const explain = async (error: unknown) => {
    throw await explainReadError(error, file, readPath, source, cfg, facts);
  };
  await db.exec(`create or replace temp view kehu_file as select ${rawSelect} from ${from}`).catch(explain);

  const copy = async (select: string, view: string) => {
    await materializeInOrder(db, `create or replace temp table kehu_raw as select ${select} from ${view}`).catch(
      explain,
    );
    // physical line numbers (see the module comment)
    let structural = 0;
    if (cfg.format !== "whitespace") {
      structural = Number(
        (await db.all<{ n: number }>(`select count(distinct line)::integer as n from kehu_reject_errors`))[0].n,
      );
    }
    // kehu_raw was written in file order, so its rowids follow the records' order (contiguous; a table created in
    // the open transaction numbers them from a large offset)
    const [{ first }] = await db.all<{ first: string | null }>(`select min(rowid)::varchar as first from kehu_raw`);
    await db.exec(
      `create or replace temp view kehu_src as select *, rowid - ${BigInt(first ?? 0)} as kehu_ord from kehu_raw`,
    );
    let lineSql = `(kehu_ord + ${base})`;
    if (structural > 0) {
      await createRejectPositions(db, base);
      lineSql = `(${lineSql} + (select count(*) from kehu_reject_at a where a.k <= kehu_ord))`;
    }
    if (multiline)
      lineSql = `(${lineSql} + coalesce(sum(kehu_nl) over (order by kehu_ord rows between unbounded preceding and 1 preceding), 0))`;
    return { lineSql, structural };
  };
  return { columns, present, cleanedSql: cleaned.join(", "), multiline, fieldCount, extras, copy };
}

/**
 * Run a CREATE TABLE ... AS with preserve_insertion_order on (and the setting restored after): the table's rowids
 * then follow the file's order while DuckDB still reads and writes it on every thread. (Numbering rows with
 * row_number() over () instead runs the whole read on one thread: DuckDB's streaming window is not parallel; and
 * with preserve_insertion_order off, as the engine settings have it, rows land out of order.)
 */
async function materializeInOrder(db: Db, sql: string): Promise<void> {
  await inFileOrder(db, () => db.exec(sql));
}

/** Run `fn` with preserve_insertion_order on (then restored): reads keep the file's order on every thread. */
export async function inFileOrder<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const [{ keep }] = await db.all<{ keep: boolean }>(`select current_setting('preserve_insertion_order') as keep`);
  await db.exec(`set preserve_insertion_order = true`);
  try {
    return await fn();
  } finally {
    await db.exec(`set preserve_insertion_order = ${keep ? "true" : "false"}`);
  }
}

/**
 * What DuckDB's sniffer found (line end, columns) as read_csv options with auto_detect off, and the columns' names,
 * or undefined when it found more than that (skipped rows, a comment character). Every statement that binds a
 * read_csv runs the sniffer again (~0.15 s each, a dozen per file): with the dialect spelled out, only this sniff does.
 */
async function sniffedDialect(
  db: Db,
  sniff: string,
): Promise<{ options: string; newLine: string; names: string[] } | undefined> {
  const [found] = await db.all<{ nl: string; skip: number; comment: string; names: string[] }>(
    `select NewLineDelimiter as nl, SkipRows::integer as skip, Comment as comment, list_transform(Columns, c -> c.name) as names from ${sniff}`,
  );
  if (!found || Number(found.skip) !== 0 || found.comment !== "(empty)" || !found.names.length) return undefined;
  if (!["\\n", "\\r\\n", "\\r"].includes(found.nl)) return undefined;
  const columns = found.names.map((n) => `${q(n)}: 'VARCHAR'`).join(", ");
  return {
    options: `auto_detect=false, new_line=${q(found.nl)}, skip=0, columns={${columns}}`,
    newLine: found.nl,
    names: found.names,
  };
}

/**
 * True when no field of a csv/tsv file can start or end with a character the cleaning trims (TRIM_CHARS), from the
 * whole-file facts: no quotes, no U+3000/U+00A0, no "\r" but in the line ends DuckDB reads as such, and no space or
 * tab (in csv) next to a delimiter or a line end (the header line aside). Trimming is then only '' -> NULL, and
 * DuckDB skips a regex test per value (a fifth of the validation time on a plain export).
 */
function noEdgeBlanks(facts: FileFacts, cfg: SourceConfig, newLine: string | undefined): boolean {
  if (facts.hasQuote || facts.wideBlank) return false;
  const crlfOnly = facts.cr === facts.crlf && facts.crlf === facts.newlines && newLine === "\\r\\n";
  if (facts.cr > 0 && !crlfOnly) return false;
  const delimiter = delimiterOf(cfg);
  const d = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || d >= 0x80) return false;
  const blanks = d === 9 ? [32] : [32, 9];
  const edges = [d, 10, 13];
  const maps = cfg.header ? [facts.blankPairs[1]] : facts.blankPairs;
  return !maps.some((m) => blanks.some((b) => edges.some((x) => m[(x << 8) | b] || m[(b << 8) | x])));
}

/** kehu_reject_at(k): good row k (0-based) sits after the i-th malformed record L_i when k >= L_i - base - i. */
export async function createRejectPositions(db: Db, base: number): Promise<void> {
  await db.exec(`create or replace temp table kehu_reject_at as
    select line::bigint - ${base} - (row_number() over (order by line::bigint) - 1) as k from (select distinct line from kehu_reject_errors)`);
}

/** Exact header match first, then trimmed and case-insensitive. */
function findHeader(headers: string[], wanted: string): number {
  const exact = headers.indexOf(wanted);
  if (exact >= 0) return exact;
  const norm = (s: string) => s.trim().toLowerCase();
  return headers.findIndex((h) => norm(h) === norm(wanted));
}
