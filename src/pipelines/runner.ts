/**
 * The model runner: every `*.sql` file under src/pipelines is one model (one `select` statement) materialised as a
 * table named after the file; TypeScript steps (model fitting) join the same graph. Dependencies are read from the
 * SQL itself (any other model's name used as a relation), so adding a model is adding a file.
 *
 * Settings reach SQL as DuckDB variables (`getvariable('as_of')`), set once per run by `setAnalysisVariables`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "../data/db.ts";
import { ConfigError, type KehuConfig } from "../data/config.ts";

export interface Step {
  name: string;
  /** Names of models/steps this one reads. */
  dependsOn: string[];
  /** Where it is defined, for error messages. */
  file: string;
  run(db: Db): Promise<void>;
  /** For SQL models: the select statement. */
  sql?: string;
}

export const PIPELINES_DIR = dirname(fileURLToPath(import.meta.url));

/** Strip `-- ...` and block comments so names in comments do not count as dependencies. */
function stripSqlComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/--[^\n]*/g, " ");
}

/** Every file below `dir` (recursively) whose name passes `keep`, sorted. */
export function filesBelow(dir: string, keep: (name: string) => boolean): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (keep(entry.name)) files.push(p);
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Read every .sql model below `dir` (recursively). The file name (without .sql) is the table name. A
 * `<model>.clickhouse.sql` is that model's ClickHouse variant (src/engine/pushdown.ts), not a DuckDB model.
 */
export function loadSqlModels(dir: string = PIPELINES_DIR): Step[] {
  return filesBelow(dir, (name) => name.endsWith(".sql") && !name.endsWith(".clickhouse.sql")).map((file) => {
    const name = basename(file, ".sql");
    const sql = readFileSync(file, "utf8").trim().replace(/;\s*$/, "");
    return {
      name,
      file,
      sql,
      dependsOn: [],
      async run(db: Db) {
        try {
          // Staging only renames and casts: a view (as in dbt) saves a full copy of every source table.
          // Intermediate models (int_) are read only by later steps of the same run: temp tables of the run's
          // connection, which skip the compressed write to the database file (about a third of int_purchases' and
          // int_customer_periods' CPU at 2.2M transactions). An int_ table an older run left in the file is dropped.
          const kind = name.startsWith("stg_") ? "view" : name.startsWith("int_") ? "temp table" : "table";
          if (kind === "temp table") await db.exec(`drop table if exists main.${name}`);
          await db.exec(`create or replace ${kind} ${name} as\n${sql}`);
        } catch (error) {
          throw new Error(`model ${name} (${file}) failed: ${(error as Error).message}`, { cause: error });
        }
      },
    };
  });
}

/** Fill in SQL dependencies from the names of the other steps and sort so every step runs after what it reads. */
export function orderSteps(steps: Step[]): Step[] {
  const byName = new Map(steps.map((s) => [s.name, s]));
  if (byName.size !== steps.length) {
    const seen = new Set<string>();
    const dup = steps.find((s) => (seen.has(s.name) ? true : (seen.add(s.name), false)));
    throw new Error(`two models are named ${dup?.name}`);
  }
  for (const step of steps) {
    if (step.sql === undefined) continue;
    const body = stripSqlComments(step.sql).toLowerCase();
    const deps = new Set(step.dependsOn);
    for (const other of byName.keys()) {
      if (other !== step.name && new RegExp(`\\b${other}\\b`).test(body)) deps.add(other);
    }
    step.dependsOn = [...deps];
  }
  const ordered: Step[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (step: Step, path: string[]) => {
    if (state.get(step.name) === "done") return;
    if (state.get(step.name) === "visiting")
      throw new Error(`models depend on each other in a cycle: ${[...path, step.name].join(" -> ")}`);
    state.set(step.name, "visiting");
    for (const dep of step.dependsOn) {
      const d = byName.get(dep);
      if (d) visit(d, [...path, step.name]);
    }
    state.set(step.name, "done");
    ordered.push(step);
  };
  for (const step of [...steps].sort((a, b) => a.name.localeCompare(b.name))) visit(step, []);
  return ordered;
}

const PERIOD_DAYS = { day: 1, week: 7, month: 365.25 / 12 } as const;

/**
 * Set the DuckDB variables every model reads. `as_of` defaults to the last transaction date.
 * Variables: as_of (DATE), period ('day'|'week'|'month'), period_days (DOUBLE), cohort_period, purchase_grain,
 * margin, discount_rate_annual, horizon_months, p_alive_threshold, churn_list_share, followup_per_rep, holdout_start (DATE or NULL),
 * w_frequency, w_credit, w_influence, w_prospects, w_loyalty, cadence_a..cadence_d, visit_conversion_days.
 */
export async function setAnalysisVariables(
  db: Db,
  analysis: KehuConfig["analysis"],
  options: { checkDates?: boolean } = {},
): Promise<{ asOf: string | null }> {
  if (options.checkDates) await checkAnalysisDates(db, analysis);
  const asOfRow = analysis.asOf
    ? [{ as_of: analysis.asOf }]
    : await db.all<{ as_of: string | null }>("select max(ordered_at)::date::varchar as as_of from transactions");
  const asOf = asOfRow[0]?.as_of ?? null;
  const str = (v: string | null | undefined) => (v == null ? "null" : `'${v.replace(/'/g, "''")}'`);
  const vars: Record<string, string> = {
    as_of: asOf ? `${str(asOf)}::date` : "null::date",
    period: str(analysis.period),
    period_days: `${PERIOD_DAYS[analysis.period]}::double`,
    cohort_period: str(analysis.cohortPeriod),
    purchase_grain: str(analysis.purchaseGrain),
    margin: `${analysis.margin}::double`,
    discount_rate_annual: `${analysis.discountRateAnnual}::double`,
    horizon_months: `${analysis.horizonMonths}::integer`,
    p_alive_threshold: `${analysis.pAliveThreshold}::double`,
    churn_list_share: `${analysis.churnListShare}::double`,
    followup_per_rep: `${analysis.followupPerRep}::integer`,
    holdout_start: analysis.holdoutStart ? `${str(analysis.holdoutStart)}::date` : "null::date",
    w_frequency: `${analysis.gradeWeights.frequency}::double`,
    w_credit: `${analysis.gradeWeights.credit}::double`,
    w_influence: `${analysis.gradeWeights.influence}::double`,
    w_prospects: `${analysis.gradeWeights.prospects}::double`,
    w_loyalty: `${analysis.gradeWeights.loyalty}::double`,
    cadence_a: `${analysis.contactCadenceDays.A}::integer`,
    cadence_b: `${analysis.contactCadenceDays.B}::integer`,
    cadence_c: `${analysis.contactCadenceDays.C}::integer`,
    cadence_d: `${analysis.contactCadenceDays.D}::integer`,
    visit_conversion_days: `${analysis.visitConversionDays}::integer`,
  };
  for (const [name, value] of Object.entries(vars)) await db.exec(`set variable ${name} = ${value}`);
  return { asOf };
}

/**
 * Refuse dates that would silently give an empty or unvalidated analysis: an asOf before the first transaction
 * (0 customers), a holdoutStart not before asOf (nothing to validate on) or not after the first transaction (nothing
 * to fit on). The ConfigError names the key to fix and the data's date range. No transactions: nothing to check.
 */
export async function checkAnalysisDates(db: Db, analysis: KehuConfig["analysis"]): Promise<void> {
  const [range] = await db.all<{ first: string | null; last: string | null }>(
    "select min(ordered_at)::date::varchar as first, max(ordered_at)::date::varchar as last from transactions",
  );
  if (!range?.first || !range.last) return;
  const { first, last } = range;
  const span = `the transactions run from ${first} to ${last}`;
  const asOf = analysis.asOf ?? last;
  if (analysis.asOf && analysis.asOf < first) {
    throw new ConfigError(
      `analysis.asOf: ${analysis.asOf} is before the first transaction, so no customer would be analysed; ${span}: set analysis.asOf within that range, or remove it to use ${last}`,
    );
  }
  const holdout = analysis.holdoutStart;
  if (holdout && holdout >= asOf) {
    throw new ConfigError(
      `analysis.holdoutStart: ${holdout} is not before analysis.asOf (${asOf}), so the models could not be validated; ${span}: set analysis.holdoutStart after ${first} and before ${asOf}, or remove it`,
    );
  }
  if (holdout && holdout <= first) {
    throw new ConfigError(
      `analysis.holdoutStart: ${holdout} is not after the first transaction, so there is nothing to fit the models on before it; ${span}: set analysis.holdoutStart after ${first} and before ${asOf}, or remove it`,
    );
  }
}

/** Wall time of one step of a run. */
export interface StepTiming {
  name: string;
  seconds: number;
}

/**
 * Run steps in order inside one transaction; `onStep` reports progress as each step starts, `onStepDone` with its
 * wall time as it ends. Returns every step's wall time, in run order.
 */
export async function runSteps(
  db: Db,
  steps: Step[],
  onStep: (step: Step, index: number, total: number) => void = () => {},
  onStepDone: (step: Step, index: number, total: number, seconds: number) => void = () => {},
): Promise<StepTiming[]> {
  const ordered = orderSteps(steps);
  const timings: StepTiming[] = [];
  await db.transaction(async () => {
    for (const [i, step] of ordered.entries()) {
      onStep(step, i, ordered.length);
      const started = performance.now();
      await step.run(db);
      const seconds = (performance.now() - started) / 1000;
      timings.push({ name: step.name, seconds });
      onStepDone(step, i, ordered.length, seconds);
    }
  });
  return timings;
}
