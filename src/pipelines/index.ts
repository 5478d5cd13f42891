/**
 * Everything `kehu run` computes: the SQL models found under src/pipelines plus the TypeScript steps (model
 * fitting) registered here, run in dependency order in one transaction, then every mart exported to Parquet as one
 * run (stamped with a run id, see src/report/run-manifest.ts).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "../data/db.ts";
import type { KehuConfig } from "../data/config.ts";
import { createAllTablesSql } from "../data/schemas.ts";
import { DataError } from "../data/errors.ts";
import {
  loadSqlModels,
  orderSteps,
  PIPELINES_DIR,
  runSteps,
  setAnalysisVariables,
  type Step,
  type StepTiming,
} from "./runner.ts";
import {
  newRunId,
  publishRunDir,
  recordRun,
  runDirFor,
  writeMartsManifest,
  type RunStamp,
} from "../report/run-manifest.ts";
import { clvSteps } from "./clv/steps.ts";
import { calibrationSteps } from "./clv/calibration.ts";
import { snapshotSteps } from "./snapshots/snapshots.ts";
import { modelCheckSteps } from "./clv/checkSteps.ts";
import { engineRun } from "../engine/run.ts";

/** TypeScript steps (e.g. CLV fitting): one factory per metric family that needs code, not SQL. */
const TS_STEP_FACTORIES: Array<(config: KehuConfig) => Step[]> = [
  clvSteps,
  calibrationSteps,
  snapshotSteps,
  modelCheckSteps,
];

export function pipelineSteps(config: KehuConfig): Step[] {
  return orderSteps([...loadSqlModels(), ...TS_STEP_FACTORIES.flatMap((f) => f(config))]);
}

/** Marts are the models the site reads: everything except staging (stg_) and intermediate (int_) models. */
export function isMart(name: string): boolean {
  return !name.startsWith("stg_") && !name.startsWith("int_");
}

export interface RunResult {
  asOf: string | null;
  steps: string[];
  marts: string[];
  /** The run id stamped on the marts and in kehu_runs (buildMarts). */
  runId?: string;
  /** Wall time of every step, in run order. */
  timings: StepTiming[];
  /** With a ClickHouse engine: the models run there and pulled back (rows, Parquet bytes, seconds). */
  pushedDown?: Array<{ name: string; rows: number; bytes: number; seconds: number }>;
  /** The run committed but its engine tables could not be swapped in yet (why): the next ingest or run does it. */
  engineBehind?: string;
}

/** Progress callbacks of a run: a step starts; a step ended after `seconds`. */
export type StepCallback = (name: string, index: number, total: number) => void;
export type StepDoneCallback = (name: string, index: number, total: number, seconds: number) => void;

/**
 * Run every step in one transaction. `finish`, when given, runs last inside that transaction (after every mart is
 * computed, before the commit): buildMarts records the run and writes the marts' Parquet files there.
 */
export async function runPipelines(
  db: Db,
  config: KehuConfig,
  onStep: StepCallback = () => {},
  finish?: (db: Db, result: RunResult) => Promise<void>,
  onStepDone: StepDoneCallback = () => {},
): Promise<RunResult> {
  const steps = pipelineSteps(config);
  const { asOf } = await setAnalysisVariables(db, config.analysis, { checkDates: true });
  const names = steps.map((s) => s.name);
  const result: RunResult = { asOf, steps: names, marts: names.filter(isMart), timings: [] };
  const last: Step[] = finish
    ? [{ name: "kehu_runs", dependsOn: names, file: PIPELINES_DIR, run: (tx) => finish(tx, result) }]
    : [];
  // a ClickHouse engine computes the models that have a .clickhouse.sql variant; its tables swap in after the commit
  const engine = await engineRun(db, config, asOf, steps, [...names, ...last.map((s) => s.name)]);
  if (!engine) {
    result.timings = await runSteps(
      db,
      [...steps, ...last],
      (s, i, n) => onStep(s.name, i, n),
      (s, i, n, sec) => onStepDone(s.name, i, n, sec),
    );
    return result;
  }
  let committed = false;
  try {
    result.pushedDown = engine.stats;
    result.timings = await runSteps(
      db,
      [...engine.steps, ...last, engine.commit],
      (s, i, n) => onStep(s.name, i, n),
      (s, i, n, sec) => onStepDone(s.name, i, n, sec),
    );
    committed = true;
    await engine.swap();
    return result;
  } catch (error) {
    if (!committed) {
      await engine.abandon();
      throw error;
    }
    // the run is committed locally: the engine's tables are swapped in by the next `kehu ingest` or `kehu run`
    result.engineBehind = (error as Error).message;
    return result;
  } finally {
    await engine.close();
  }
}

/** Write each mart and the run's `_run.json` into the run's own directory (not yet the current marts). */
async function writeRunDir(db: Db, marts: string[], martsDir: string, stamp: RunStamp): Promise<string> {
  const dir = runDirFor(martsDir, stamp.runId);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    for (const name of marts) {
      const file = join(dir, `${name}.parquet`).replace(/'/g, "''");
      await db.exec(`copy (select * from ${name}) to '${file}' (format parquet)`);
    }
    writeMartsManifest(dir, stamp);
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Write each mart to `<martsDir>/<name>.parquet` with a `_run.json`, recording the run in `db`'s kehu_runs, and make
 * them the current marts in one step (see src/report/run-manifest.ts). For marts computed outside buildMarts.
 */
export async function exportMarts(
  db: Db,
  marts: string[],
  martsDir: string,
  asOf: string | null = null,
): Promise<RunStamp> {
  const stamp = { runId: newRunId(), asOf };
  const dir = await writeRunDir(db, marts, martsDir, stamp);
  try {
    await db.transaction((tx) => recordRun(tx, stamp, marts.length));
    publishRunDir(dir, martsDir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return stamp;
}

export interface BuildMartsOptions {
  /** Test hook: runs after the database committed the run and before its marts are published (a crash there). */
  afterCommit?: () => void | Promise<void>;
}

/**
 * What `kehu run` does: compute every mart in one transaction that also records the run in kehu_runs and writes the
 * marts' Parquet files (stamped with the run id) into the run's directory; after the commit, one rename makes them
 * the current marts. A crash between the two leaves marts the database does not name: the site build refuses
 * them (see checkSameRun). Fails with a DataError, changing nothing, when no transaction has been loaded yet.
 */
export async function buildMarts(
  db: Db,
  config: KehuConfig,
  onStep: StepCallback = () => {},
  onStepDone: StepDoneCallback = () => {},
  options: BuildMartsOptions = {},
): Promise<RunResult> {
  await db.exec(createAllTablesSql());
  const [{ n }] = await db.all<{ n: number }>("select count(*)::integer as n from transactions");
  if (n === 0) throw new DataError(`no transactions in ${db.path}: load the exports first with \`kehu ingest\``);
  const stamp: RunStamp = { runId: newRunId(), asOf: null };
  let dir: string | null = null;
  try {
    const result = await runPipelines(
      db,
      config,
      onStep,
      async (tx, r) => {
        stamp.asOf = r.asOf;
        await recordRun(tx, stamp, r.marts.length);
        dir = await writeRunDir(tx, r.marts, config.martsDir, stamp);
      },
      onStepDone,
    );
    await options.afterCommit?.();
    try {
      publishRunDir(dir!, config.martsDir);
    } catch (error) {
      throw new DataError(
        `run ${stamp.runId} was saved in the database but its marts could not replace ${config.martsDir} (${(error as Error).message}); the site build will refuse the old marts: run \`kehu run\` again`,
      );
    }
    return { ...result, runId: stamp.runId };
  } catch (error) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
