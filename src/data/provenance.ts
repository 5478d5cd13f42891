/**
 * Where rows came from, across files: renamed or copied exports, rows that two exports share, duplicate lines
 * within an export, and files that were loaded before but are no longer configured (kept until `--prune`).
 */
import type { Db } from "./db.ts";
import { TABLES, type SourceName } from "./schemas.ts";
import { q } from "./sql.ts";
import { inspectFile } from "./encoding.ts";

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
  await db.exec(
    `update ingest_log set source_file = $file where source = ${q(source)} and source_file = $from`,
    params,
  );
  await db.exec(
    `update rejected_rows set source_file = $file where source = ${q(source)} and source_file = $from`,
    params,
  );
}

export interface PriorLoad {
  /** nothing to read: already loaded under this name, or as a copy or under an earlier name */
  skipped: boolean;
  /** this name was loaded before with other content: its rows were deleted, to be replaced */
  replaced: boolean;
  renamedFrom?: string;
  warnings: string[];
}

/**
 * What ingest_log says about a file about to be loaded (`loadHash`: content and settings; `hash`: content), and the
 * bookkeeping that follows: skip it when loaded unchanged; when the same content was loaded under a name that is not
 * configured any more, take it as renamed (its rows take the new name); when that name is still configured and
 * unchanged, skip it as a copy. Otherwise delete every row carrying this name, logged or not (an earlier commit is
 * never relied on), so the load that follows is exact. `current`: this run's names of the source -> paths.
 */
export async function reconcileWithLog(
  db: Db,
  source: SourceName,
  file: string,
  loadHash: string,
  hash: string,
  current?: Map<string, string>,
): Promise<PriorLoad> {
  const previous = await db.all<{ source_file: string; content_hash: string }>(
    `select source_file, content_hash from ingest_log where source = $source and (source_file = $file or content_hash = $hash)`,
    { source, file, hash: loadHash },
  );
  const result: PriorLoad = { skipped: false, replaced: previous.some((p) => p.source_file === file), warnings: [] };
  if (previous.some((p) => p.content_hash === loadHash && p.source_file === file))
    return { ...result, replaced: false, skipped: true };
  const twin = previous.find((p) => p.content_hash === loadHash && p.source_file !== file);
  const twinPath = twin && current?.get(twin.source_file);
  await deleteFileRows(db, source, file);
  if (twin && !twinPath) {
    await renameFile(db, source, twin.source_file, file);
    result.warnings.push(
      `same content as ${twin.source_file}, loaded before and no longer configured: taken as renamed, its rows now carry this name`,
    );
    return { ...result, skipped: true, renamedFrom: twin.source_file };
  }
  if (twin && twinPath && (await inspectFile(twinPath)).hash === hash) {
    result.warnings.push(`same content as ${twin.source_file}, which is loaded: skipped (a copy of that export?)`);
    return { ...result, skipped: true };
  }
  return result;
}

export interface Overlap {
  /** rows of the file equal to an earlier row of the same file (every column read from the file) */
  duplicateRows: number;
  /** rows with the same id (when the file has one) and required values (customer, date, amount) as a row of another file */
  overlappingRows: number;
  /** key values (e.g. order_id) of this file also present in other files, and up to three of those files */
  sharedKeys: number;
  keys: number;
  otherFiles: string[];
}

/**
 * Duplicate rows of a just-loaded file (equal in every column the file provides; generated ids and provenance are
 * not compared), rows that another file has too (equal id and required values, e.g. order_id + customer_id +
 * ordered_at + amount) and ids that another file has too. `present`: the canonical columns the file provides.
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
  const [{ others }] = await db.all<{ others: boolean }>(
    `select exists (select 1 from ${source} where source_file <> $file) as others`,
    params,
  );
  if (!others) return result;
  const identity = TABLES[source].columns
    .filter((c) => present.has(c.name) && (c.required || c.key))
    .map((c) => c.name);
  if (identity.length > 1 || !key) {
    // (for customers the identity is the id alone: shared ids below say it)
    const same = identity.map((c) => `b.${c} is not distinct from a.${c}`).join(" and ");
    const [{ n }] = await db.all<{ n: number }>(
      `select count(*)::integer as n from ${source} a where source_file = $file
         and exists (select 1 from ${source} b where b.source_file <> $file and ${same})`,
      params,
    );
    result.overlappingRows = Number(n);
  }
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

/**
 * Transactions only: a line of this file equal in every column the file has (order_id, customer, time, amount,
 * product, quantity, ...) to a line already loaded from another file - overlapping exports such as "1-31 March" and
 * "15 March - 15 April" - is dropped from this file, so it counts once and stays with the file that loaded it first.
 * The rule is the same with or without order ids (without them the remaining columns must all match). Returns how
 * many lines were dropped. (Lines repeated within one file are kept and reported: findOverlap's duplicateRows.)
 */
export async function dropLinesLoadedElsewhere(
  db: Db,
  source: SourceName,
  file: string,
  present: Set<string>,
  configured: string[],
): Promise<number> {
  // only files the config still names count: a stale file (deleted or renamed, awaiting --prune) must not take
  // lines from the export that replaces it
  const others = configured.filter((f) => f !== file);
  if (source !== "transactions" || others.length === 0) return 0;
  const columns = TABLES[source].columns.filter((c) => present.has(c.name)).map((c) => c.name);
  const same = columns.map((c) => `b.${c} is not distinct from a.${c}`).join(" and ");
  const elsewhere = `select a.rowid from ${source} a where a.source_file = $file and exists (select 1 from ${source} b where b.source_file in (${others.map(q).join(", ")}) and ${same})`;
  const [{ n }] = await db.all<{ n: number }>(`select count(*)::integer as n from (${elsewhere})`, { file });
  if (Number(n) > 0) await db.exec(`delete from ${source} where rowid in (${elsewhere})`, { file });
  return Number(n);
}

/** Warnings for a file's report (none when everything is distinct). */
export function overlapWarnings(source: SourceName, overlap: Overlap, present: Set<string>): string[] {
  const warnings: string[] = [];
  const key = TABLES[source].columns.find((c) => c.key && present.has(c.name))?.name;
  if (overlap.duplicateRows) {
    warnings.push(
      `${overlap.duplicateRows} row(s) repeat an earlier row of the same file exactly (loaded as they are: check the export)`,
    );
  }
  if (overlap.overlappingRows) {
    warnings.push(
      `${overlap.overlappingRows} row(s) match rows already loaded from other files (overlapping exports are counted twice)`,
    );
  }
  if (key && overlap.sharedKeys) {
    warnings.push(
      `${overlap.sharedKeys} of ${overlap.keys} ${key} values are already loaded from ${overlap.otherFiles.join(", ")} ` +
        `(a renamed or overlapping export? \`kehu ingest --prune\` removes files the config no longer matches)`,
    );
  }
  return warnings;
}
