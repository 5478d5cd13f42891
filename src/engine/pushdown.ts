/**
 * Push-down: every model with a `<model>.clickhouse.sql` beside its `<model>.sql` runs on the engine, and its result
 * is pulled into the local DuckDB database as the table DuckDB would have built (same name, columns, types, grain);
 * every other model then runs locally, unchanged.
 *
 * Analysis variables appear in the ClickHouse SQL as query parameters, `{as_of:Date32}`, and are substituted as typed
 * literals (the same variables as runner.ts's setAnalysisVariables). Staging models (stg_) become views on the
 * engine and are not pulled (DuckDB keeps its own view over the local rows).
 *
 * Safety (ClickHouse has no multi-statement transactions): each run builds `<model>__kehu_next` tables marked with
 * its run id; they are exchanged with the models' tables only after the local database committed the run (see
 * swap.ts for the protocol and how a killed run is repaired).
 */
import { randomUUID } from "node:crypto";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Db } from "../data/db.ts";
import type { KehuConfig } from "../data/config.ts";
import { filesBelow, PIPELINES_DIR } from "../pipelines/runner.ts";
import type { Engine } from "./engine.ts";
import { commitMarker, dropNext, marker, NEXT, pauseHook, swapIn } from "./swap.ts";

export const CLICKHOUSE_SUFFIX = ".clickhouse.sql";

export interface EngineModel {
  name: string;
  file: string;
  sql: string;
  /** Other pushed models it reads. */
  dependsOn: string[];
  /** stg_ models are views on the engine and are not pulled. */
  view: boolean;
}

const stripComments = (sql: string) => sql.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/--[^\n]*/g, " ");

/** Every `<model>.clickhouse.sql` below `dir`, in dependency order. */
export function loadEngineModels(dir: string = PIPELINES_DIR): EngineModel[] {
  const models = filesBelow(dir, (n) => n.endsWith(CLICKHOUSE_SUFFIX)).map((file) => {
    const name = basename(file, CLICKHOUSE_SUFFIX);
    return {
      name,
      file,
      sql: readFileSync(file, "utf8").trim().replace(/;\s*$/, ""),
      dependsOn: [] as string[],
      view: name.startsWith("stg_"),
    };
  });
  const names = models.map((m) => m.name);
  for (const m of models) {
    const body = stripComments(m.sql);
    m.dependsOn = names.filter((n) => n !== m.name && new RegExp(`\\b${n}\\b`).test(body));
  }
  const ordered: EngineModel[] = [];
  const done = new Set<string>();
  const visit = (m: EngineModel, path: string[]) => {
    if (done.has(m.name)) return;
    if (path.includes(m.name))
      throw new Error(`ClickHouse models depend on each other in a cycle: ${[...path, m.name].join(" -> ")}`);
    for (const d of m.dependsOn) visit(models.find((x) => x.name === d)!, [...path, m.name]);
    done.add(m.name);
    ordered.push(m);
  };
  for (const m of models) visit(m, []);
  // a view is swapped in as it was built: it must read the sources, not another pushed model's __kehu_next table
  for (const m of models)
    if (m.view && m.dependsOn.length)
      throw new Error(`${m.file}: a staging view cannot read other ClickHouse models (${m.dependsOn.join(", ")})`);
  return ordered;
}

const PERIOD_DAYS = { day: 1, week: 7, month: 365.25 / 12 } as const;

/** The analysis variables as ClickHouse literals by name (see runner.ts setAnalysisVariables). */
export function engineVariables(
  analysis: KehuConfig["analysis"],
  asOf: string | null,
): Record<string, string | number | null> {
  return {
    as_of: asOf,
    period: analysis.period,
    period_days: PERIOD_DAYS[analysis.period],
    cohort_period: analysis.cohortPeriod,
    purchase_grain: analysis.purchaseGrain,
    margin: analysis.margin,
    discount_rate_annual: analysis.discountRateAnnual,
    horizon_months: analysis.horizonMonths,
    holdout_start: analysis.holdoutStart ?? null,
  };
}

/** Replace each `{name:Type}` placeholder with a literal of that type; an unknown name is an error naming the file. */
export function bindVariables(sql: string, vars: Record<string, string | number | null>, file: string): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g, (_m, name: string, type: string) => {
    if (!(name in vars))
      throw new Error(`${file}: unknown parameter {${name}:${type}} (known: ${Object.keys(vars).join(", ")})`);
    const v = vars[name];
    if (v === null) return `CAST(NULL AS Nullable(${type.replace(/^Nullable\((.*)\)$/, "$1")}))`;
    const text = typeof v === "number" ? String(v) : `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    return `CAST(${text} AS ${type})`;
  });
}

/** Rewrite references to pushed models into their __kehu_next tables. */
function toNext(sql: string, models: readonly EngineModel[]): string {
  let out = sql;
  for (const m of models) out = out.replace(new RegExp(`\\b${m.name}\\b`, "g"), m.name + NEXT);
  return out;
}

export interface PushedRun {
  /** This run's id: the comment on its engine tables and its row in the local kehu_engine_runs. */
  runId: string;
  /** Pulled models (not views), in order. */
  pulled: string[];
  /** Per model: rows and Parquet bytes pulled, seconds on the engine. */
  stats: Array<{ name: string; rows: number; bytes: number; seconds: number }>;
  /** Load the pulled model `name` into the local database (a step's run). */
  load(db: Db, name: string): Promise<void>;
  /** The last step inside the local transaction: mark the run committed (swap.ts commitMarker). */
  commit(db: Db): Promise<void>;
  /** After the local commit: exchange the __kehu_next tables with the models' tables, drop the pulled files. */
  swap(): Promise<void>;
  /** After a failure before the commit: drop what is left of this run on the engine and the pulled files. */
  cleanup(): Promise<void>;
}

/** Rows per pulled Parquet file: a result is read in batches of customers (cityHash64(customer_id) % batches). */
export const PULL_BATCH_ROWS = 1_000_000;

/**
 * Run every engine model into its __kehu_next table and pull the results into Parquet files (in batches); nothing
 * the engine's readers see changes until `swap`.
 */
export async function pushDown(
  engine: Engine,
  config: KehuConfig,
  asOf: string | null,
  models: EngineModel[] = loadEngineModels(),
): Promise<PushedRun> {
  await dropNext(engine);
  const runId = randomUUID();
  const comment = `comment '${marker(runId)}'`;
  const vars = engineVariables(config.analysis, asOf);
  const dir = mkdtempSync(join(tmpdir(), "kehu-pull-"));
  const files = new Map<string, string[]>();
  const stats: PushedRun["stats"] = [];
  const removeFiles = () => rmSync(dir, { recursive: true, force: true });
  const cleanup = async () => {
    removeFiles();
    await dropNext(engine).catch(() => undefined);
  };
  try {
    for (const m of models) {
      const started = performance.now();
      const sql = toNext(bindVariables(m.sql, vars, m.file), models);
      const target = m.name + NEXT;
      try {
        if (m.view) await engine.command(`create view ${target} ${comment} as\n${bindVariables(m.sql, vars, m.file)}`);
        else await engine.command(`create table ${target} engine = MergeTree order by tuple() ${comment} as\n${sql}`);
      } catch (error) {
        throw new Error(`ClickHouse model ${m.name} (${m.file}) failed: ${(error as Error).message}`, { cause: error });
      }
      if (m.view) continue;
      const [{ n }] = await engine.query<{ n: number }>(`select toInt64(count()) as n from ${target}`);
      const cols = await engine.query<{ name: string }>(
        `select name from system.columns where database = currentDatabase() and table = '${target}' order by position`,
      );
      const batches = cols.some((c) => c.name === "customer_id")
        ? Math.max(1, Math.ceil(Number(n) / PULL_BATCH_ROWS))
        : 1;
      const parts: string[] = [];
      let bytes = 0;
      for (let b = 0; b < batches; b++) {
        const file = join(dir, `${m.name}-${b}.parquet`);
        const where = batches > 1 ? ` where cityHash64(customer_id) % ${batches} = ${b}` : "";
        bytes += await engine.selectParquet(`select * from ${target}${where}`, file);
        parts.push(file);
      }
      files.set(m.name, parts);
      stats.push({ name: m.name, rows: Number(n), bytes, seconds: (performance.now() - started) / 1000 });
    }
    await pauseHook("pulled");
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    runId,
    pulled: [...files.keys()],
    stats,
    async load(db, name) {
      const parts = files.get(name);
      if (!parts) throw new Error(`model ${name} was not pulled from the engine`);
      const list = parts.map((p) => `'${p.replace(/'/g, "''")}'`).join(", ");
      await db.exec(`create or replace table ${name} as select * from read_parquet([${list}])`);
    },
    commit: (db) => commitMarker(db, runId, engine.label),
    async swap() {
      try {
        await swapIn(engine, runId, true);
      } finally {
        removeFiles();
      }
    },
    cleanup,
  };
}
