/**
 * The pushed-down stage on chdb vs the same models in DuckDB, on one synthetic shop (bench/run-pipeline.ts's
 * generateTransactions, default 1M customers / 10M transactions), both sides in this process and the same run:
 *
 * - DuckDB: the models that have a `.clickhouse.sql` variant (stg_transactions, int_purchases, customer_summary,
 *   int_customer_periods, int_sales_cells) run as `kehu run` runs them (int_customer_attributes first, untimed);
 * - chdb: the one-off load of the canonical rows onto the engine (syncSources), then the stage `kehu run` does on
 *   the engine: every variant into its __kehu_next table, pulled as Parquet and loaded into DuckDB; with the rows
 *   and Parquet bytes pulled back per model.
 *
 *   npm run bench -- --only engine --engine-transactions 10000000 --engine-customers 1000000
 *   npx tsx bench/engine.ts [transactions=1000000] [customers=100000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../src/data/db.ts";
import { parseConfig } from "../src/data/config.ts";
import { pipelineSteps } from "../src/pipelines/index.ts";
import { setAnalysisVariables } from "../src/pipelines/runner.ts";
import { loadEngineModels, pushDown } from "../src/engine/pushdown.ts";
import { syncSources } from "../src/engine/sources.ts";
import { openChdb } from "../src/engine/chdb.ts";
import { generateTransactions } from "./run-pipeline.ts";

export interface EngineBench {
  transactions: number;
  customers: number;
  duckdbSeconds: number;
  /** load of the canonical rows onto chdb (once per ingest, not per run) */
  syncSeconds: number;
  /** on the engine + pulled + loaded into DuckDB */
  chdbSeconds: number;
  ratio: number;
  pulled: Array<{ name: string; rows: number; bytes: number; seconds: number }>;
}

export async function benchEngine(transactions: number, customers: number): Promise<EngineBench> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-bench-engine-"));
  const db = await openDatabase(join(dir, "kehu.duckdb"));
  const engine = await openChdb(join(dir, "clickhouse"), "kehu");
  try {
    await generateTransactions(db, customers, transactions);
    await db.exec(`insert into ingest_log select source, 'bench', 'bench', count, 0, now()::timestamp from (
      select 'transactions' as source, count(*) as count from transactions union all select 'customers', count(*) from customers
      union all select 'invoices', count(*) from invoices)`);
    const config = parseConfig({ sources: { transactions: { files: "bench" } }, engine: { kind: "chdb", path: dir } });
    const { asOf } = await setAnalysisVariables(db, config.analysis);
    const models = loadEngineModels();
    const pushed = new Set(models.map((m) => m.name));
    const steps = pipelineSteps(config);
    for (const s of steps) if (s.name === "stg_customers" || s.name === "int_customer_attributes") await s.run(db);
    let t = performance.now();
    for (const s of steps) if (pushed.has(s.name)) await s.run(db);
    const duckdbSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    await syncSources(db, engine);
    const syncSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const run = await pushDown(engine, config, asOf, models);
    for (const name of run.pulled) await run.load(db, name);
    const chdbSeconds = (performance.now() - t) / 1000;
    await run.cleanup();
    return {
      transactions,
      customers,
      duckdbSeconds,
      syncSeconds,
      chdbSeconds,
      ratio: chdbSeconds / duckdbSeconds,
      pulled: run.stats,
    };
  } finally {
    await engine.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatEngine(r: EngineBench): string {
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const rows = r.pulled.reduce((a, p) => a + p.rows, 0);
  const bytes = r.pulled.reduce((a, p) => a + p.bytes, 0);
  return [
    `${r.transactions.toLocaleString("en-US")} transactions, ${r.customers.toLocaleString("en-US")} customers`,
    `DuckDB, the pushed models locally          ${r.duckdbSeconds.toFixed(1)} s`,
    `chdb, on the engine + pulled + loaded      ${r.chdbSeconds.toFixed(1)} s  (ratio ${r.ratio.toFixed(2)}x DuckDB)`,
    `chdb, loading the rows onto it (per ingest) ${r.syncSeconds.toFixed(1)} s`,
    `pulled back: ${rows.toLocaleString("en-US")} rows, ${mb(bytes)} of Parquet`,
    ...r.pulled.map(
      (p) =>
        `  ${p.name.padEnd(22)} ${p.rows.toLocaleString("en-US").padStart(12)} rows ${mb(p.bytes).padStart(10)} ${p.seconds.toFixed(1)} s on the engine`,
    ),
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(
    formatEngine(await benchEngine(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 100_000))),
  );
}
