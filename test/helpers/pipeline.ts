/**
 * Test helper: an in-memory DuckDB with the canonical tables filled from small hand-written fixtures, the analysis
 * variables set, and the pipeline run (all of it, or only the steps a test needs and what they depend on).
 */
import { openDatabase, type Db } from "../../src/data/db.ts";
import { parseConfig, type KehuConfig } from "../../src/data/config.ts";
import { createAllTablesSql, TABLES, type SourceName } from "../../src/data/schemas.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { setAnalysisVariables } from "../../src/pipelines/runner.ts";

export type FixtureRow = Record<string, string | number | boolean | null | undefined>;
export type Fixture = Partial<Record<SourceName, FixtureRow[]>>;

function literal(value: FixtureRow[string]): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  return `'${value.replace(/'/g, "''")}'`;
}

/** Insert fixture rows into the canonical tables (columns not given are NULL; ids default to the row number). */
export async function insertFixture(db: Db, fixture: Fixture): Promise<void> {
  for (const [source, rows] of Object.entries(fixture) as [SourceName, FixtureRow[]][]) {
    if (!rows?.length) continue;
    const spec = TABLES[source];
    const columns = spec.columns.map((c) => c.name);
    const key = spec.columns.find((c) => c.key)?.name;
    const values = rows.map((row, i) => {
      const filled = { ...row };
      if (key && filled[key] == null) filled[key] = `${source}-${i + 1}`;
      const cells = spec.columns.map((c) => `${literal(filled[c.name])}::${c.type}`);
      return `(${cells.join(", ")}, 'fixture', ${i + 1})`;
    });
    await db.exec(
      `insert into ${source} (${columns.join(", ")}, source_file, source_line) values ${values.join(",\n")}`,
    );
  }
}

export interface PipelineDb {
  db: Db;
  config: KehuConfig;
  /** Rows of a table or query, ordered as given. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/**
 * Build an in-memory database from a fixture and run the pipeline. `only` limits the run to the named steps and
 * their dependencies (so a metric test does not wait for model fitting).
 */
export async function runFixture(
  fixture: Fixture,
  options: { config?: Record<string, unknown>; only?: string[] } = {},
): Promise<PipelineDb> {
  const config = parseConfig({ sources: { transactions: { files: "fixture.csv" } }, ...options.config });
  const db = await openDatabase(":memory:");
  await db.exec(createAllTablesSql());
  await insertFixture(db, fixture);
  await setAnalysisVariables(db, config.analysis);
  const steps = pipelineSteps(config);
  let wanted = new Set(steps.map((s) => s.name));
  if (options.only) {
    const byName = new Map(steps.map((s) => [s.name, s]));
    wanted = new Set();
    const add = (name: string) => {
      if (wanted.has(name)) return;
      const step = byName.get(name);
      if (!step) throw new Error(`no model or step named ${name}`);
      wanted.add(name);
      step.dependsOn.forEach(add);
    };
    options.only.forEach(add);
  }
  for (const step of steps) if (wanted.has(step.name)) await step.run(db);
  return { db, config, rows: (sql) => db.all(sql) };
}
