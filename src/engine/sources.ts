/**
 * The canonical tables on the engine: the same names and columns as in DuckDB (schemas.ts), MergeTree ordered by
 * (customer_id, <the row's time>) so every per-customer model reads each customer's rows together.
 *
 * `kehu ingest` still validates and loads every file into DuckDB; `syncSources` then makes the engine hold exactly
 * the rows DuckDB holds, file by file (ingest_log semantics: a file's rows are replaced by source_file). The engine
 * keeps its own kehu_ingest_log; a file is reloaded when its entry is missing, differs from DuckDB's ingest_log
 * (content hash, rows) or disagrees with the engine's rows (an interrupted sync), and removed when DuckDB no longer has
 * it. Running it again changes nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "../data/db.ts";
import {
  SOURCE_NAMES,
  TABLES,
  PROVENANCE_COLUMNS,
  createAllTablesSql,
  type ColumnType,
  type SourceName,
} from "../data/schemas.ts";
import type { Engine } from "./engine.ts";

const CH_TYPES: Record<ColumnType, string> = {
  VARCHAR: "String",
  TIMESTAMP: "DateTime64(6, 'UTC')",
  DATE: "Date32",
  DOUBLE: "Float64",
  INTEGER: "Int32",
  BOOLEAN: "Bool",
};

export const ENGINE_LOG = "kehu_ingest_log";

/** ORDER BY of a source's engine table: customer_id, then its first required timestamp or date. */
export function sortKey(source: SourceName): string[] {
  const spec = TABLES[source];
  const time = spec.columns.find((c) => c.required && (c.type === "TIMESTAMP" || c.type === "DATE"));
  return time ? ["customer_id", time.name] : ["customer_id"];
}

/** `create table if not exists` for one canonical table on the engine. */
export function engineTableSql(source: SourceName): string {
  const spec = TABLES[source];
  const cols = [...spec.columns, ...PROVENANCE_COLUMNS].map((c) => {
    const type = CH_TYPES[c.type as ColumnType];
    const required = "required" in c && c.required;
    return `${c.name} ${required ? type : `Nullable(${type})`}`;
  });
  return `create table if not exists ${source} (\n  ${cols.join(",\n  ")}\n) engine = MergeTree order by (${sortKey(source).join(", ")})`;
}

export async function createEngineTables(engine: Engine): Promise<void> {
  for (const source of SOURCE_NAMES) await engine.command(engineTableSql(source));
  await engine.command(
    `create table if not exists ${ENGINE_LOG} (source String, source_file String, content_hash String, rows Int64) engine = MergeTree order by (source, source_file)`,
  );
}

const lit = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
const duckLit = (s: string) => `'${s.replace(/'/g, "''")}'`;

export interface SyncReport {
  /** files (re)loaded onto the engine, and their rows */
  filesLoaded: number;
  rowsLoaded: number;
  /** files removed from the engine (no longer in DuckDB, or partly loaded) */
  filesRemoved: number;
}

/** Make the engine's canonical tables hold exactly DuckDB's rows (see the module comment). */
export async function syncSources(db: Db, engine: Engine): Promise<SyncReport> {
  await db.exec(createAllTablesSql());
  await createEngineTables(engine);
  const report: SyncReport = { filesLoaded: 0, rowsLoaded: 0, filesRemoved: 0 };
  const dir = mkdtempSync(join(tmpdir(), "kehu-sync-"));
  try {
    for (const source of SOURCE_NAMES) {
      const want = new Map(
        (
          await db.all<{ file: string; hash: string; rows: number }>(
            `select source_file as file, coalesce(string_agg(content_hash, ',' order by content_hash), '') as hash, sum(rows_loaded)::integer as rows
             from ingest_log where source = $source and source_file is not null group by all`,
            { source },
          )
        ).map((r) => [r.file, r]),
      );
      const logged = new Map(
        (
          await engine.query<{ file: string; hash: string; rows: number }>(
            `select source_file as file, content_hash as hash, toInt64(rows) as rows from ${ENGINE_LOG} where source = ${lit(source)}`,
          )
        ).map((r) => [r.file, r]),
      );
      const actual = new Map(
        (
          await engine.query<{ file: string; rows: number }>(
            `select source_file as file, toInt64(count()) as rows from ${source} group by source_file`,
          )
        ).map((r) => [r.file, Number(r.rows)]),
      );
      const inSync = (file: string) => {
        const w = want.get(file);
        const l = logged.get(file);
        return !!w && !!l && l.hash === w.hash && Number(l.rows) === w.rows && (actual.get(file) ?? 0) === w.rows;
      };
      const stale = [...new Set([...logged.keys(), ...actual.keys()])].filter((f) => f !== null && !inSync(f));
      if (stale.length) {
        const list = stale.map(lit).join(", ");
        // the log entry goes first: rows without an entry are found and removed by the next sync
        await engine.command(`delete from ${ENGINE_LOG} where source = ${lit(source)} and source_file in (${list})`);
        await engine.command(`delete from ${source} where source_file in (${list})`);
        report.filesRemoved += stale.filter((f) => !want.has(f)).length;
      }
      const load = [...want.keys()].filter((f) => !inSync(f) || stale.includes(f));
      if (!load.length) continue;
      const file = join(dir, `${source}.parquet`);
      await db.exec(
        `copy (select * from ${source} where source_file in (${load.map(duckLit).join(", ")})) to ${duckLit(file)} (format parquet)`,
      );
      await engine.insertParquet(source, file);
      const entries = load.map((f) => `(${lit(source)}, ${lit(f)}, ${lit(want.get(f)!.hash)}, ${want.get(f)!.rows})`);
      await engine.command(
        `insert into ${ENGINE_LOG} (source, source_file, content_hash, rows) values ${entries.join(", ")}`,
      );
      report.filesLoaded += load.length;
      report.rowsLoaded += load.reduce((a, f) => a + want.get(f)!.rows, 0);
    }
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
