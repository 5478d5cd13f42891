/**
 * Everything `kehu run` computes: the SQL models found under src/pipelines plus the TypeScript steps (model
 * fitting) registered here, run in dependency order in one transaction, then every mart exported to Parquet.
 */
import { mkdirSync, renameSync, rmSync, existsSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import type { Db } from "../data/db.ts";
import type { KehuConfig } from "../data/config.ts";
import { createAllTablesSql } from "../data/schemas.ts";
import { DataError } from "../data/errors.ts";
import { loadSqlModels, orderSteps, runSteps, setAnalysisVariables, type Step, type StepTiming } from "./runner.ts";
import { clvSteps } from "./clv/steps.ts";
import { crmSteps } from "./crm/steps.ts";

/** TypeScript steps (e.g. CLV fitting): one factory per metric family that needs code, not SQL. */
const TS_STEP_FACTORIES: Array<(config: KehuConfig) => Step[]> = [clvSteps, crmSteps];

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
  /** Wall time of every step, in run order. */
  timings: StepTiming[];
}

/** Progress callbacks of a run: a step starts; a step ended after `seconds`. */
export type StepCallback = (name: string, index: number, total: number) => void;
export type StepDoneCallback = (name: string, index: number, total: number, seconds: number) => void;

export async function runPipelines(
  db: Db,
  config: KehuConfig,
  onStep: StepCallback = () => {},
  onStepDone: StepDoneCallback = () => {},
): Promise<RunResult> {
  const steps = pipelineSteps(config);
  const { asOf } = await setAnalysisVariables(db, config.analysis);
  const timings = await runSteps(db, steps, (s, i, n) => onStep(s.name, i, n), (s, i, n, sec) => onStepDone(s.name, i, n, sec));
  const marts = steps.map((s) => s.name).filter(isMart);
  return { asOf, steps: steps.map((s) => s.name), marts, timings };
}

/** Write each mart to `<martsDir>/<name>.parquet`, into a temp dir first and swapped in only when all succeed. */
export async function exportMarts(db: Db, marts: string[], martsDir: string): Promise<void> {
  const tmp = join(dirname(martsDir), `.${basename(martsDir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    for (const name of marts) {
      const file = join(tmp, `${name}.parquet`).replace(/'/g, "''");
      await db.exec(`copy (select * from ${name}) to '${file}' (format parquet)`);
    }
    const old = `${martsDir}.old-${process.pid}`;
    if (existsSync(martsDir)) renameSync(martsDir, old);
    renameSync(tmp, martsDir);
    rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * What `kehu run` does: compute every mart in one transaction, then export them to Parquet for the site. Fails with
 * a DataError, changing nothing, when no transaction has been loaded yet.
 */
export async function buildMarts(
  db: Db,
  config: KehuConfig,
  onStep: StepCallback = () => {},
  onStepDone: StepDoneCallback = () => {},
): Promise<RunResult> {
  await db.exec(createAllTablesSql());
  const [{ n }] = await db.all<{ n: number }>("select count(*)::integer as n from transactions");
  if (n === 0) throw new DataError(`no transactions in ${db.path}: load the exports first with \`kehu ingest\``);
  const result = await runPipelines(db, config, onStep, onStepDone);
  await exportMarts(db, result.marts, config.martsDir);
  return result;
}
