/**
 * The two hooks the rest of kehu calls: after `kehu ingest` commits, bring the engine's sources up to date; during
 * `kehu run`, push the engine models down and give the runner the steps that load their results. Both do nothing
 * (and load no ClickHouse client) when engine.kind is duckdb.
 */
import type { Db } from "../data/db.ts";
import type { KehuConfig } from "../data/config.ts";
import { DataError } from "../data/errors.ts";
import type { Step } from "../pipelines/runner.ts";
import { openEngine } from "./engine.ts";
import { pushDown, type PushedRun } from "./pushdown.ts";
import { syncSources, type SyncReport } from "./sources.ts";
import { reconcile } from "./swap.ts";

export interface EngineSyncReport extends SyncReport {
  engine: string;
}

/** After a committed ingest: make the engine hold the database's rows. Null for duckdb. */
export async function syncConfiguredEngine(db: Db, config: KehuConfig): Promise<EngineSyncReport | null> {
  const engine = await openEngine(config);
  if (!engine) return null;
  try {
    await reconcile(db, engine);
    return { engine: engine.label, ...(await syncSources(db, engine)) };
  } catch (error) {
    throw new DataError(
      `${(error as Error).message}. The files were loaded into ${db.path}; ${engine.label} is brought up to date by the next \`kehu ingest\` or \`kehu run\``,
    );
  } finally {
    await engine.close();
  }
}

export interface EngineRun {
  /** The pipeline's steps with each pulled model's step loading the engine's result instead of computing it. */
  steps: Step[];
  /** The last step inside the local transaction: mark the run committed (src/engine/swap.ts). */
  commit: Step;
  /** After the local commit: exchange the engine's new model tables in. */
  swap(): Promise<void>;
  stats: PushedRun["stats"];
  /** After a failure before the commit: drop this run's tables on the engine. */
  abandon(): Promise<void>;
  close(): Promise<void>;
}

/**
 * For `kehu run` with a ClickHouse engine: finish a killed run's swap, sync the sources, run every engine model (into
 * tables readers do not see yet) and pull the results. Null for duckdb. `after` names the steps the commit marker
 * must follow.
 */
export async function engineRun(
  db: Db,
  config: KehuConfig,
  asOf: string | null,
  steps: Step[],
  after: string[],
): Promise<EngineRun | null> {
  const engine = await openEngine(config);
  if (!engine) return null;
  let pushed: PushedRun;
  try {
    await reconcile(db, engine);
    await syncSources(db, engine);
    pushed = await pushDown(engine, config, asOf);
  } catch (error) {
    await engine.close();
    throw error instanceof DataError ? error : new DataError((error as Error).message);
  }
  const pulled = new Set(pushed.pulled);
  return {
    steps: steps.map((s) => (pulled.has(s.name) ? { ...s, run: (tx: Db) => pushed.load(tx, s.name) } : s)),
    commit: { name: "kehu_engine_commit", dependsOn: after, file: engine.label, run: (tx: Db) => pushed.commit(tx) },
    swap: () => pushed.swap(),
    stats: pushed.stats,
    abandon: () => pushed.cleanup(),
    close: () => engine.close(),
  };
}
