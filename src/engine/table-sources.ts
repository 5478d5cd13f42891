/**
 * Sources already in the warehouse: `sources.<name>.table` names a table on the ClickHouse engine, read through
 * `columns` (canonical column -> the table's column; an unmapped canonical column is read by its own name when the
 * table has it). `kehu ingest` checks that every required column is there with a usable type and has no NULLs (a
 * DataError naming the config key, the table, the column and what was expected), then loads the canonical rows into
 * DuckDB inside the ingest's transaction under source_file `clickhouse:<table>` with an ingest_log entry whose
 * content hash is the engine's hash of the mapped columns: an unchanged table is not read again (idempotent), a
 * changed one replaces its rows. The engine's canonical table gets them through syncSources like any file.
 *
 * Timestamps cross as text, so the wall time the table shows is the time kehu stores (as for files).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "../data/db.ts";
import type { KehuConfig } from "../data/config.ts";
import { DataError } from "../data/errors.ts";
import { deleteFileRows } from "../data/provenance.ts";
import { SOURCE_NAMES, TABLES, type ColumnType, type SourceName } from "../data/schemas.ts";
import type { FileReport } from "../data/ingest.ts";
import { openEngine, type Engine } from "./engine.ts";

/** ClickHouse types (Nullable/LowCardinality removed) each canonical type accepts, and how to say it in an error. */
const ACCEPTS: Record<ColumnType, { re: RegExp; expected: string }> = {
  VARCHAR: {
    re: /^(String|FixedString\(\d+\)|Enum(8|16)?\(.*\)|UUID|U?Int\d+)$/,
    expected: "text (String, FixedString, Enum, UUID or an integer id)",
  },
  TIMESTAMP: {
    re: /^(DateTime(64)?(\(.*\))?|Date(32)?)$/,
    expected: "a date or time (DateTime, DateTime64, Date, Date32)",
  },
  DATE: { re: /^(DateTime(64)?(\(.*\))?|Date(32)?)$/, expected: "a date (Date, Date32, DateTime, DateTime64)" },
  DOUBLE: {
    re: /^(U?Int\d+|Float(32|64)|Decimal(32|64|128|256)?\(.*\))$/,
    expected: "a number (Int*, UInt*, Float*, Decimal)",
  },
  INTEGER: { re: /^U?Int(8|16|32)$|^Int64$/, expected: "an integer (Int8..Int64, UInt8..UInt32)" },
  BOOLEAN: { re: /^(Bool|UInt8)$/, expected: "a boolean (Bool or UInt8)" },
};

const bare = (type: string) =>
  type.replace(/^(Nullable|LowCardinality)\((.*)\)$/, "$2").replace(/^(Nullable|LowCardinality)\((.*)\)$/, "$2");
const quoteId = (name: string) => "`" + name.replace(/`/g, "\\`") + "`";
const lit = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export interface TableSource {
  source: SourceName;
  table: string;
  /** source_file of its rows: clickhouse:<table> */
  sourceFile: string;
}

/** Canonical column -> engine expression (converted to the canonical type; timestamps as text), after the checks. */
async function checkTable(
  engine: Engine,
  t: TableSource,
  map: Record<string, string | number>,
): Promise<{ selects: string[]; columns: Record<string, string | null> }> {
  const key = `sources.${t.source}`;
  const [database, table] = t.table.includes(".") ? t.table.split(".") : [engine.database, t.table];
  const cols = await engine.query<{ name: string; type: string }>(
    `select name, type from system.columns where database = ${lit(database)} and table = ${lit(table)} order by position`,
  );
  if (!cols.length) throw new DataError(`${key}.table: ${t.table} is not a table on ${engine.label}`);
  const types = new Map(cols.map((c) => [c.name, c.type]));
  const selects: string[] = [];
  const columns: Record<string, string | null> = {};
  const nullChecks: Array<[string, string]> = [];
  for (const c of TABLES[t.source].columns) {
    const mapped = map[c.name] as string | undefined;
    const name = mapped ?? (types.has(c.name) ? c.name : undefined);
    if (mapped !== undefined && !types.has(mapped)) {
      throw new DataError(
        `${key}.columns.${c.name}: ${t.table} has no column ${mapped} (it has ${cols.map((x) => x.name).join(", ")})`,
      );
    }
    if (name === undefined) {
      if (c.required)
        throw new DataError(
          `${key}.columns.${c.name}: required, and ${t.table} has no column of that name: map it to one of ${cols.map((x) => x.name).join(", ")}`,
        );
      columns[c.name] = null;
      continue;
    }
    const type = types.get(name)!;
    const accept = ACCEPTS[c.type as ColumnType];
    if (!accept.re.test(bare(type)))
      throw new DataError(
        `${key}.columns.${c.name}: column ${name} of ${t.table} is ${type}; expected ${accept.expected}`,
      );
    const ref = quoteId(name);
    const expr =
      c.type === "TIMESTAMP"
        ? `toString(toDateTime64(${ref}, 6))`
        : c.type === "DATE"
          ? `toDate32(${ref})`
          : c.type === "DOUBLE"
            ? `toFloat64(${ref})`
            : c.type === "INTEGER"
              ? `toInt32(${ref})`
              : c.type === "BOOLEAN"
                ? `toBool(${ref})`
                : `toString(${ref})`;
    selects.push(`${expr} as ${c.name}`);
    columns[c.name] = name;
    if (c.required) nullChecks.push([c.name, name]);
  }
  if (nullChecks.length) {
    const [counts] = await engine.query<Record<string, number>>(
      `select ${nullChecks.map(([, n], i) => `toInt64(countIf(isNull(${quoteId(n)}))) as n${i}`).join(", ")} from ${t.table}`,
    );
    nullChecks.forEach(([canonical, name], i) => {
      if (Number(counts[`n${i}`]) > 0)
        throw new DataError(
          `${key}.columns.${canonical}: ${counts[`n${i}`]} rows of ${t.table} have no ${name} (NULL); kehu needs it on every row`,
        );
    });
  }
  return { selects, columns };
}

/**
 * The configured table sources and their loader, or null when the config has none (then no engine is opened).
 * `load` runs inside the ingest's transaction and returns one FileReport per table.
 */
export async function openTableSources(
  config: KehuConfig,
): Promise<{ sources: TableSource[]; load(tx: Db): Promise<FileReport[]>; close(): Promise<void> } | null> {
  const sources: TableSource[] = SOURCE_NAMES.flatMap((source) => {
    const table = config.sources[source]?.table;
    return table ? [{ source, table, sourceFile: `clickhouse:${table}` }] : [];
  });
  if (!sources.length) return null;
  const engine = await openEngine(config);
  if (!engine)
    throw new DataError(`sources.${sources[0].source}.table: a table source needs engine.kind clickhouse or chdb`);
  return {
    sources,
    close: () => engine.close(),
    async load(tx) {
      const reports: FileReport[] = [];
      const dir = mkdtempSync(join(tmpdir(), "kehu-table-"));
      try {
        for (const t of sources) {
          const { selects, columns } = await checkTable(engine, t, config.sources[t.source]!.columns);
          const [{ n, h }] = await engine.query<{ n: number; h: string }>(
            `select toInt64(count()) as n, toString(sum(cityHash64(toString(tuple(${selects.map((s) => s.replace(/ as \w+$/, "")).join(", ")}))))) as h from ${t.table}`,
          );
          const hash = `clickhouse:${n}:${h}`;
          const [prior] = await tx.all<{ hash: string }>(
            `select content_hash as hash from ingest_log where source = $source and source_file = $file`,
            {
              source: t.source,
              file: t.sourceFile,
            },
          );
          const report: FileReport = {
            source: t.source,
            file: t.sourceFile,
            path: t.table,
            columns,
            dateFormats: {},
            rowsRead: Number(n),
            loaded: Number(n),
            rejected: 0,
            skipped: prior?.hash === hash,
            replaced: !!prior && prior.hash !== hash,
            duplicateRows: 0,
            overlappingRows: 0,
            warnings: [],
            sampleRejects: [],
          };
          reports.push(report);
          if (report.skipped) continue;
          const file = join(dir, `${t.source}.parquet`);
          await engine.selectParquet(
            `select ${selects.join(", ")}, ${lit(t.sourceFile)} as source_file, toInt32(rowNumberInAllBlocks() + 1) as source_line from ${t.table}`,
            file,
          );
          await deleteFileRows(tx, t.source, t.sourceFile);
          const names = [
            ...TABLES[t.source].columns.filter((c) => columns[c.name] !== null),
            { name: "source_file", type: "VARCHAR" },
            { name: "source_line", type: "INTEGER" },
          ];
          await tx.exec(
            `insert into ${t.source} (${names.map((c) => c.name).join(", ")}) select ${names.map((c) => `"${c.name}"::${c.type}`).join(", ")} from read_parquet('${file.replace(/'/g, "''")}')`,
          );
          await tx.exec(`insert into ingest_log values ($source, $file, $hash, $rows, 0, now()::timestamp)`, {
            source: t.source,
            file: t.sourceFile,
            hash,
            rows: Number(n),
          });
        }
        return reports;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
