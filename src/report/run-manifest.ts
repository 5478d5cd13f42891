/**
 * One consistent set of marts per `kehu run`. Every export of the marts is stamped with a run id: the run's own
 * directory `.<marts>.run-<id>` holds the Parquet files and, written last, `_run.json` listing each file with its
 * size and sha256, the run id and as_of. The same run id goes into the database's `kehu_runs` table inside the
 * run's transaction. `<marts>` itself is a symlink to the current run's directory, replaced with one rename (so a
 * reader sees the old run or the new one, never a mix, never nothing).
 *
 * The site build takes a snapshot of the marts (hard links, else copies), verifies it against `_run.json` and
 * checks that the database names the same run: a run killed between its commit and the swap is reported, not
 * published.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Db } from "../data/db.ts";
import { DataError } from "../data/errors.ts";

export const MANIFEST_FILE = "_run.json";

export interface RunStamp {
  runId: string;
  /** The run's analysis date (ISO day), or null without transactions. */
  asOf: string | null;
}

export interface MartsManifest extends RunStamp {
  createdAt: string;
  files: { file: string; bytes: number; sha256: string }[];
}

/** A new run id: sortable by time, unique (random suffix), safe in a file name. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, "-")}-${randomBytes(3).toString("hex")}`;
}

const sha256File = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const martFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".parquet"))
    .sort();

/** Write `_run.json` for every Parquet file in `dir` (last, through a rename: it exists only once complete). */
export function writeMartsManifest(dir: string, stamp: RunStamp): MartsManifest {
  const manifest: MartsManifest = {
    runId: stamp.runId,
    asOf: stamp.asOf,
    createdAt: new Date().toISOString(),
    files: martFiles(dir).map((file) => ({
      file,
      bytes: statSync(join(dir, file)).size,
      sha256: sha256File(join(dir, file)),
    })),
  };
  const tmp = join(dir, `${MANIFEST_FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 2));
  renameSync(tmp, join(dir, MANIFEST_FILE));
  return manifest;
}

/**
 * The manifest of the marts in `dir`, checked against the files: every listed file present and unchanged, no
 * other Parquet file. `label` names the marts dir in messages. DataError when there are no marts or they disagree.
 */
export function verifyMarts(dir: string, label = dir): MartsManifest {
  const present = existsSync(dir) ? martFiles(dir) : [];
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    if (!present.length) throw new DataError(`no marts in ${label}: run \`kehu run\` first`);
    throw new DataError(
      `the marts in ${label} have no ${MANIFEST_FILE} (written by an older kehu, or by a run that did not finish), so they cannot be checked to be one run's: run \`kehu run\` again`,
    );
  }
  let manifest: MartsManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (typeof manifest.runId !== "string" || !Array.isArray(manifest.files)) throw new Error("no runId or files");
  } catch (error) {
    throw new DataError(
      `${join(label, MANIFEST_FILE)} is not a kehu run manifest (${(error as Error).message}): run \`kehu run\` again`,
    );
  }
  const problems: string[] = [];
  const listed = new Set(manifest.files.map((f) => f.file));
  for (const f of manifest.files) {
    const file = join(dir, f.file);
    if (!existsSync(file)) problems.push(`${f.file} is missing`);
    else if (statSync(file).size !== f.bytes || sha256File(file) !== f.sha256) problems.push(`${f.file} was changed`);
  }
  for (const file of present) if (!listed.has(file)) problems.push(`${file} is not part of the run`);
  if (problems.length) {
    throw new DataError(
      `the marts in ${label} are not the ones run ${manifest.runId} wrote (${problems.slice(0, 5).join("; ")}${problems.length > 5 ? `; ${problems.length - 5} more` : ""}): run \`kehu run\` again`,
    );
  }
  return manifest;
}

/**
 * Copy the current marts of `martsDir` into `into` (hard links when on the same file system) and verify them: the
 * build reads this snapshot, so a `kehu run` replacing the marts meanwhile cannot mix two runs into one site. A
 * snapshot taken while a run swaps its marts in is retried.
 */
export async function snapshotMarts(martsDir: string, into: string, attempts = 4): Promise<MartsManifest> {
  for (let attempt = 1; ; attempt++) {
    rmSync(into, { recursive: true, force: true });
    mkdirSync(into, { recursive: true });
    try {
      if (existsSync(martsDir)) {
        // resolve the symlink once: every file comes from the same run's directory
        const source = realpathSync(martsDir);
        for (const file of readdirSync(source)) {
          if (!file.endsWith(".parquet") && file !== MANIFEST_FILE) continue;
          linkOrCopy(join(source, file), join(into, file));
        }
      }
      return verifyMarts(into, martsDir);
    } catch (error) {
      const transient = error instanceof DataError || (error as NodeJS.ErrnoException).code === "ENOENT";
      if (!transient || attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw error;
    copyFileSync(from, to);
    const { atime, mtime } = statSync(from);
    utimesSync(to, atime, mtime);
  }
}

/** The directory a run writes its marts into before they are published: next to martsDir, same file system. */
export function runDirFor(martsDir: string, runId: string): string {
  return join(dirname(resolve(martsDir)), `.${basename(martsDir)}.run-${runId}`);
}

/**
 * Make `runDir` (from `runDirFor`) the current marts: `martsDir` becomes a symlink to it, replaced by one rename, so
 * a reader sees the previous run or this one, never a mix and never nothing. The previous run's directory and those
 * of interrupted runs are removed afterwards. A plain `martsDir` (from an older kehu) is moved aside once; where
 * symlinks are not available the run's directory itself is renamed into place.
 */
export function publishRunDir(runDir: string, martsDir: string): void {
  const parent = dirname(resolve(martsDir));
  const base = basename(martsDir);
  let link: string | null = join(parent, `.${base}.link-${process.pid}`);
  rmSync(link, { force: true });
  try {
    symlinkSync(basename(runDir), link, "dir");
  } catch {
    link = null;
  }
  const incoming = link ?? runDir;
  const current = lstatOrNull(martsDir);
  if (current && !current.isSymbolicLink()) {
    const old = join(parent, `.${base}.old-${process.pid}`);
    rmSync(old, { recursive: true, force: true });
    renameSync(martsDir, old);
    try {
      renameSync(incoming, martsDir);
    } catch (error) {
      renameSync(old, martsDir);
      if (link) rmSync(link, { force: true });
      throw error;
    }
    rmSync(old, { recursive: true, force: true });
  } else {
    if (current && !link) rmSync(martsDir, { force: true });
    renameSync(incoming, martsDir);
  }
  removeStaleRunDirs(parent, base, link ? runDir : null);
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Run dirs other than `keep`: the previous run's and those of runs that stopped before publishing. */
function removeStaleRunDirs(parent: string, base: string, keep: string | null): void {
  for (const entry of readdirSync(parent)) {
    const p = join(parent, entry);
    if (entry.startsWith(`.${base}.run-`) && (keep === null || resolve(p) !== resolve(keep)))
      rmSync(p, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The database's side: kehu_runs

export const KEHU_RUNS_SQL = `create table if not exists kehu_runs (
  run_no integer, run_id varchar, as_of date, marts integer, committed_at timestamp)`;

/** Record a run in `db` (call inside the run's transaction, so the row commits with the marts' tables). */
export async function recordRun(db: Db, stamp: RunStamp, marts: number): Promise<void> {
  await db.exec(KEHU_RUNS_SQL);
  await db.exec(
    `insert into kehu_runs select coalesce(max(run_no), 0) + 1, $runId, $asOf::date, $marts, current_timestamp::timestamp from kehu_runs`,
    { runId: stamp.runId, asOf: stamp.asOf, marts },
  );
}

/** The last run `db` committed, or null when it has none (no `kehu run` since run stamps exist). */
export async function lastRun(db: Db): Promise<RunStamp | null> {
  const [exists] = await db.all<{ n: number }>(
    "select count(*)::integer as n from information_schema.tables where table_schema = 'main' and table_name = 'kehu_runs'",
  );
  if (!Number(exists?.n)) return null;
  const [row] = await db.all<{ runId: string; asOf: string | null }>(
    `select run_id as "runId", as_of::varchar as "asOf" from kehu_runs order by run_no desc limit 1`,
  );
  return row ?? null;
}

/** DataError unless the marts are the database's last run. */
export function checkSameRun(marts: MartsManifest, db: RunStamp | null, martsDir: string, databasePath: string): void {
  if (!db) {
    throw new DataError(
      `the database ${databasePath} has no record of a \`kehu run\` (table kehu_runs), so the marts in ${martsDir} (run ${marts.runId}) cannot be checked to belong to it: run \`kehu run\``,
    );
  }
  if (db.runId !== marts.runId) {
    throw new DataError(
      `the marts in ${martsDir} are from run ${marts.runId} (as of ${marts.asOf}), but the database ${databasePath} was last computed by run ${db.runId} (as of ${db.asOf}): ` +
        "a `kehu run` stopped after saving the database and before replacing the marts, or the marts come from elsewhere. Nothing was built: run `kehu run` again",
    );
  }
}
