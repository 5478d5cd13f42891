/**
 * Where rows came from, across files: renamed or copied exports, rows that two exports share, duplicate lines
 * within an export, and files that were loaded before but are no longer configured (kept until `--prune`).
 */
import type { Db } from "./db.ts";
import { TABLES, type SourceName } from "./schemas.ts";
import { q } from "./sql.ts";

export interface LoadedFile {
  source: SourceName;
  file: string;
  rows: number;
}

/** ingest_log entries whose file is not among `current` (source -> source_file names of this run). */
export async function filesNotConfigured(db: Db, current: Map<SourceName, Map<string, string>>): Promise<LoadedFile[]> {
  const logged = await db.all<{ source: SourceName; file: string; rows: number }>(
    `select source, source_file as file, sum(rows_loaded)::integer as rows from ingest_log group by all order by source, file`,
  );
  return logged.filter((l) => !current.get(l.source)?.has(l.file)).map((l) => ({ ...l, rows: Number(l.rows) }));
}

/** Delete every row, ingest_log entry and rejected row of the given files. */
export async function removeFiles(db: Db, files: LoadedFile[]): Promise<void> {
  for (const f of files) await deleteFileRows(db, f.source, f.file);
}

/** What one file contributed, gone: its rows, its ingest_log entry and its rejected rows. */
export async function deleteFileRows(db: Db, source: SourceName, file: string): Promise<void> {
  await db.exec(`delete from ${source} where source_file = $file`, { file });
  await db.exec(`delete from ingest_log where source = $source and source_file = $file`, { source, file });
  await db.exec(`delete from rejected_rows where source = $source and source_file = $file`, { source, file });
}

/** A file with the same content, loaded under another name: its rows now carry `file` (a renamed export). */
export async function renameFile(db: Db, source: SourceName, from: string, file: string): Promise<void> {
  const params = { from, file };
  await db.exec(`update ${source} set source_file = $file where source_file = $from`, params);
  await db.exec(`update ingest_log set source_file = $file where source = ${q(source)} and source_file = $from`, params);
  await db.exec(`update rejected_rows set source_file = $file where source = ${q(source)} and source_file = $from`, params);
}

export interface Overlap {
  /** rows of the file equal to an earlier row of the same file (every column read from the file) */
  duplicateRows: number;
  /** rows equal to a row loaded from another file */
  overlappingRows: number;
  /** key values (e.g. order_id) of this file also present in other files, and up to three of those files */
  sharedKeys: number;
  keys: number;
  otherFiles: string[];
}

/**
 * Duplicate and overlapping rows of a just-loaded file, compared on the columns the file provides (generated ids
 * and provenance are not compared). `key` is the source's id column when the file has it.
 */
export async function findOverlap(db: Db, source: SourceName, file: string, present: Set<string>): Promise<Overlap> {
  const columns = TABLES[source].columns.filter((c) => present.has(c.name)).map((c) => c.name);
  const key = TABLES[source].columns.find((c) => c.key && present.has(c.name))?.name;
  const list = columns.join(", ");
  const params = { file };
  const [{ dups }] = await db.all<{ dups: number }>(
    // a 64-bit hash per row: far cheaper to count distinct than the rows themselves (a collision is ~n²/2⁶⁵)
    `select (count(*) - count(distinct hash(${list})))::integer as dups from ${source} where source_file = $file`,
    params,
  );
  const result: Overlap = { duplicateRows: Number(dups), overlappingRows: 0, sharedKeys: 0, keys: 0, otherFiles: [] };
  const [{ others }] = await db.all<{ others: boolean }>(`select exists (select 1 from ${source} where source_file <> $file) as others`, params);
  if (!others) return result;
  const same = columns.map((c) => `b.${c} is not distinct from a.${c}`).join(" and ");
  const [{ n }] = await db.all<{ n: number }>(
    `select count(*)::integer as n from ${source} a where source_file = $file
       and exists (select 1 from ${source} b where b.source_file <> $file and ${same})`,
    params,
  );
  result.overlappingRows = Number(n);
  if (key) {
    const mine = `select distinct ${key} from ${source} where source_file = $file and ${key} is not null`;
    const [k] = await db.all<{ shared: number; keys: number }>(
      `select count(*) filter (where ${key} in (select ${key} from ${source} where source_file <> $file))::integer as shared, count(*)::integer as keys from (${mine})`,
      params,
    );
    const files = await db.all<{ f: string }>(
      `select distinct source_file as f from ${source} where source_file <> $file and ${key} in (${mine}) order by 1 limit 3`,
      params,
    );
    Object.assign(result, { sharedKeys: Number(k.shared), keys: Number(k.keys), otherFiles: files.map((r) => r.f) });
  }
  return result;
}

/** Warnings for a file's report (none when everything is distinct). */
export function overlapWarnings(source: SourceName, overlap: Overlap, present: Set<string>): string[] {
  const warnings: string[] = [];
  const key = TABLES[source].columns.find((c) => c.key && present.has(c.name))?.name;
  if (overlap.duplicateRows) {
    warnings.push(`${overlap.duplicateRows} row(s) repeat an earlier row of the same file exactly (loaded as they are: check the export)`);
  }
  if (overlap.overlappingRows) {
    warnings.push(`${overlap.overlappingRows} row(s) equal rows already loaded from other files (overlapping exports are counted twice)`);
  }
  if (key && overlap.sharedKeys) {
    warnings.push(
      `${overlap.sharedKeys} of ${overlap.keys} ${key} values are already loaded from ${overlap.otherFiles.join(", ")} ` +
        `(a renamed or overlapping export? \`kehu ingest --prune\` removes files the config no longer matches)`,
    );
  }
  return warnings;
}
