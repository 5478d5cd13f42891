/**
 * How a run's engine tables replace the live ones without a multi-statement transaction, safe against kill -9 at any
 * point. The local DuckDB commit is the one commit point of a run:
 *
 * 1. pushDown builds every model as `<model>__kehu_next`, each table and view created with the comment
 *    `kehu run <id>` (a generation marker that moves with the table on EXCHANGE).
 * 2. Inside the local transaction, last: a row (id) in the local table kehu_engine_runs (`commitMarker`).
 * 3. After the local commit: each `<model>__kehu_next` that still carries the run's comment is exchanged with
 *    `<model>` (EXCHANGE TABLES, atomic per table; RENAME when there is no live table yet), then every leftover
 *    `__kehu_next` is dropped (`swapIn`).
 *
 * A kill before 2 commits leaves the local database as it was, and the engine's live tables were never touched (only
 * `__kehu_next` leftovers, dropped by the next run). A kill after the commit, or a failed swap, leaves a committed run
 * whose engine tables are not all in: `reconcile`, run first by every `kehu ingest` and `kehu run`, finishes the
 * swap for the latest committed id (a `__kehu_next` still marked with it has not been exchanged yet; one already
 * exchanged holds the previous generation). So the engine's live tables always end up those of the run the local
 * database committed last, never a mix.
 */
import type { Db } from "../data/db.ts";
import type { Engine } from "./engine.ts";

export const NEXT = "__kehu_next";
export const LOCAL_RUNS = "kehu_engine_runs";

export const marker = (runId: string) => `kehu run ${runId}`;

/**
 * Test hook (test/engine/kill.test.ts): with KEHU_TEST_PAUSE_AT=<phase> in the environment, the process prints
 * `kehu: paused at <phase>` on stderr and waits there for ever, so a test can kill -9 it at that exact point. Phases:
 * pulled, before-commit, before-swap, mid-swap, after-swap. Without the variable it does nothing.
 */
export async function pauseHook(phase: string): Promise<void> {
  if (process.env.KEHU_TEST_PAUSE_AT !== phase) return;
  process.stderr.write(`kehu: paused at ${phase}\n`);
  await new Promise(() => setInterval(() => undefined, 1 << 30));
}

/** Inside the local transaction: record that run `runId`'s engine tables are the ones to swap in. */
export async function commitMarker(db: Db, runId: string, engineLabel: string): Promise<void> {
  await db.exec(
    `create table if not exists ${LOCAL_RUNS} (run_id varchar not null, engine varchar, committed_at timestamp)`,
  );
  await db.exec(`insert into ${LOCAL_RUNS} values ($runId, $engine, now()::timestamp)`, { runId, engine: engineLabel });
  await pauseHook("before-commit");
}

/** The run id the local database committed last, or null. */
export async function lastCommitted(db: Db): Promise<string | null> {
  const [t] = await db.all<{ n: number }>(
    `select count(*)::integer as n from duckdb_tables() where table_name = '${LOCAL_RUNS}'`,
  );
  if (!t?.n) return null;
  const [row] = await db.all<{ run_id: string }>(
    `select run_id from ${LOCAL_RUNS} order by committed_at desc, rowid desc limit 1`,
  );
  return row?.run_id ?? null;
}

interface EngineTable {
  name: string;
  comment: string;
  engine: string;
}

const tables = (engine: Engine) =>
  engine.query<EngineTable>("select name, comment, engine from system.tables where database = currentDatabase()");

/** Drop every `__kehu_next` table or view (leftovers of killed, failed or finished runs). */
export async function dropNext(engine: Engine): Promise<void> {
  for (const t of await tables(engine)) {
    if (t.name.endsWith(NEXT))
      await engine.command(`drop ${t.engine === "View" ? "view" : "table"} if exists ${t.name}`);
  }
}

/**
 * Swap in every `__kehu_next` still marked with `runId`, then drop the leftovers. Returns the models swapped.
 * `pause` enables the test hook's swap phases (a run's own swap, not a repair).
 */
export async function swapIn(engine: Engine, runId: string, pause = false): Promise<string[]> {
  const pauseAt = pause ? pauseHook : async () => undefined;
  const all = await tables(engine);
  const live = new Set(all.map((t) => t.name));
  const pending = all
    .filter((t) => t.name.endsWith(NEXT) && t.comment === marker(runId))
    .map((t) => t.name.slice(0, -NEXT.length));
  await pauseAt("before-swap");
  for (const [i, name] of pending.sort().entries()) {
    if (live.has(name)) await engine.command(`exchange tables ${name + NEXT} and ${name}`);
    else await engine.command(`rename table ${name + NEXT} to ${name}`);
    if (i === 0) await pauseAt("mid-swap");
  }
  await pauseAt("after-swap");
  await dropNext(engine);
  return pending;
}

/** Finish the swap of the run the local database committed last, and drop leftovers (see the module comment). */
export async function reconcile(db: Db, engine: Engine): Promise<string[]> {
  const runId = await lastCommitted(db);
  if (runId) return swapIn(engine, runId);
  await dropNext(engine);
  return [];
}
