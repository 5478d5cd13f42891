/**
 * Pipeline benchmark: `benchRun(db)` times runPipelines on an already loaded database (the lead wires it to
 * 1M customers / 10M transactions in `npm run bench`). `generateTransactions` fills a database with synthetic
 * data of a given size, so this file also runs on its own:
 *
 *   npx tsx bench/run-pipeline.ts [customers=100000] [transactions=1000000] [database=:memory:]
 */
import { fileURLToPath } from "node:url";
import { openDatabase, type Db } from "../src/data/db.ts";
import { parseConfig, type KehuConfig } from "../src/data/config.ts";
import { createAllTablesSql } from "../src/data/schemas.ts";
import { runPipelines } from "../src/pipelines/index.ts";

export interface BenchResult {
  totalMs: number;
  /** Wall time per step, in run order. */
  steps: Array<{ name: string; ms: number }>;
  rows: { transactions: number; customers: number };
}

/** Time runPipelines on `db` (canonical tables already loaded). */
export async function benchRun(
  db: Db,
  config: KehuConfig = parseConfig({ sources: { transactions: { files: "bench" } } }),
): Promise<BenchResult> {
  const [counts] = await db.all<{ transactions: number; customers: number }>(
    "select count(*)::integer as transactions, count(distinct customer_id)::integer as customers from transactions",
  );
  const started = performance.now();
  const { timings } = await runPipelines(db, config);
  const ended = performance.now();
  const steps = timings.map((t) => ({ name: t.name, ms: t.seconds * 1000 }));
  return { totalMs: ended - started, steps, rows: counts };
}

/**
 * Synthetic shop: `customers` customers with a region and rep, `transactions` lines over 2023-2024 (about 2% refunds,
 * skewed so a few customers buy often), a few invoices. Deterministic (setseed).
 */
export async function generateTransactions(db: Db, customers: number, transactions: number): Promise<void> {
  await db.exec(createAllTablesSql());
  await db.exec("select setseed(0.42)");
  await db.exec(`
    insert into customers (customer_id, region, sales_rep, referred_by, source_file, source_line)
    select 'c' || i, 'region' || (i % 12), 'rep' || (i % 97),
           case when i % 10 = 0 then 'c' || ((i * 7919) % ${customers}) end, 'bench', i
    from range(${customers}) t(i)`);
  await db.exec(`
    insert into transactions (order_id, customer_id, ordered_at, amount, quantity, category, sales_rep, source_file, source_line)
    select 'o' || i,
           'c' || (floor(pow(random(), 2) * ${customers}))::bigint,
           timestamp '2023-01-01' + to_seconds((random() * 730 * 86400)::bigint),
           case when random() < 0.02 then -round(random() * 100, 2) else round(random() * 500, 2) end,
           1 + (random() * 3)::integer,
           'cat' || (i % 20),
           case when i % 3 = 0 then 'rep' || (i % 97) end,
           'bench', i
    from range(${transactions}) t(i)`);
  await db.exec(`
    insert into invoices (invoice_id, customer_id, issued_at, due_at, amount, paid_at, paid_amount, source_file, source_line)
    select 'i' || i, 'c' || (i % ${customers}), date '2024-01-01' + (i % 300)::integer, date '2024-01-31' + (i % 300)::integer,
           100, case when i % 5 <> 0 then date '2024-01-20' + (i % 330)::integer end, 100, 'bench', i
    from range(${Math.max(1, Math.floor(customers / 2))}) t(i)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const customers = Number(process.argv[2] ?? 100_000);
  const transactions = Number(process.argv[3] ?? 1_000_000);
  const db = await openDatabase(process.argv[4] ?? ":memory:");
  const t0 = performance.now();
  await generateTransactions(db, customers, transactions);
  console.log(
    `generated ${customers} customers / ${transactions} transactions in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const result = await benchRun(db);
  for (const s of [...result.steps].sort((a, b) => b.ms - a.ms))
    console.log(`${s.name.padEnd(36)} ${(s.ms / 1000).toFixed(2)} s`);
  console.log(
    `total ${(result.totalMs / 1000).toFixed(2)} s for ${result.rows.transactions} transactions, ${result.rows.customers} customers`,
  );
  await db.close();
}
