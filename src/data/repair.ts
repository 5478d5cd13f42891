/**
 * Bookkeeping repair: ingest_log must describe exactly the rows in the canonical tables.
 *
 * kehu does not rely on DuckDB's commit being all-or-nothing: a process killed during the commit can leave part of
 * it in the database after the WAL is replayed (rows of a file without its ingest_log entry, or the entry without
 * all of its rows). Every ingest therefore starts by comparing ingest_log with the tables and deleting what does not
 * agree, so the next load of such a file is exact; and every file's load deletes the rows carrying its name first.
 */
import type { Db } from "./db.ts";
import { SOURCE_NAMES, type SourceName } from "./schemas.ts";
import { deleteFileRows } from "./provenance.ts";
import { q } from "./sql.ts";
import { DataError } from "./errors.ts";

export interface Repair {
  source: SourceName;
  /** null: rows without a source_file (not written by kehu) */
  file: string | null;
  /** rows found in the table for this file */
  rows: number;
  /** rows the ingest_log entry says were loaded; null when there is no entry */
  logged: number | null;
  message: string;
}

/** Files whose rows disagree with ingest_log (none in a database written by whole commits). Reads only. */
export async function findIngestMismatches(db: Db): Promise<Repair[]> {
  const found: Repair[] = [];
  for (const source of SOURCE_NAMES) {
    const rows = await db.all<{ file: string | null; rows: number | null; logged: number | null }>(
      `with t as (select source_file as file, count(*)::integer as n from ${source} group by all),
            l as (select source_file as file, sum(rows_loaded)::integer as n, count(*) as entries from ingest_log where source = $source group by all)
       select coalesce(t.file, l.file) as file, t.n as rows, l.n as logged
       from t full join l on t.file is not distinct from l.file
       where t.n is distinct from l.n and not (t.n is null and l.n = 0) or l.entries > 1
       order by 1`,
      { source },
    );
    for (const r of rows) {
      const count = Number(r.rows ?? 0);
      const logged = r.logged === null ? null : Number(r.logged);
      const what =
        logged === null
          ? `${count} ${source} rows without an ingest_log entry (an interrupted ingest)`
          : `ingest_log says ${logged} ${source} rows were loaded, the table has ${count} (an interrupted ingest)`;
      found.push({
        source,
        file: r.file,
        rows: count,
        logged,
        message: `${r.file ?? "(rows without a file name)"}: ${what}`,
      });
    }
  }
  return found;
}

/**
 * Delete the rows (and log and rejected-row entries) of every file whose ingest_log entry is missing or disagrees
 * with the table's row count. Runs inside the caller's transaction; returns one message per repaired file.
 */
export async function repairIngestState(db: Db): Promise<Repair[]> {
  const repairs = await findIngestMismatches(db);
  for (const r of repairs) {
    r.message = `repaired ${r.message}; removed them, the file is loaded again from scratch`;
    if (r.file !== null) await deleteFileRows(db, r.source, r.file);
    else
      await db.exec(
        `delete from ${r.source} where source_file is null; delete from ingest_log where source = ${q(r.source)} and source_file is null`,
      );
  }
  return repairs;
}

/** For `kehu run`: refuse to compute marts from a database whose rows disagree with ingest_log. */
export async function assertIngestConsistent(db: Db): Promise<void> {
  const tables = await db.all<{ name: string }>(
    `select table_name as name from duckdb_tables() where schema_name = current_schema()`,
  );
  const names = new Set(tables.map((t) => t.name));
  if (![...SOURCE_NAMES, "ingest_log"].every((t) => names.has(t))) return; // not written by kehu ingest
  const problems = await findIngestMismatches(db);
  if (problems.length) {
    throw new DataError(
      `database ${db.path} has rows that disagree with ingest_log (an interrupted ingest): ${problems.map((p) => p.message).join("; ")}. ` +
        "Run `kehu ingest` first: it repairs them and loads those files again. Nothing was computed.",
    );
  }
}
