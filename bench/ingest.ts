/**
 * Ingest speed: generate a transactions CSV of `rows` rows with DuckDB, then time `ingestSources` on it against
 * DuckDB's own `create table ... as select * from read_csv(...)` of the same file. Target: ratio <= 1.5.
 * Run alone: npx tsx bench/ingest.ts [rows]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/data/db.ts";
import { parseConfig, resolvePaths } from "../src/data/config.ts";
import { ingestSources } from "../src/data/ingest.ts";

export interface IngestBench {
  rows: number;
  bytes: number;
  ingestSeconds: number;
  readCsvSeconds: number;
  ratio: number;
}

export async function benchIngest(rows = 10_000_000): Promise<IngestBench> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-bench-ingest-"));
  const csv = join(dir, "orders.csv");
  try {
    const gen = await openDatabase(":memory:");
    await gen.exec(`copy (
      select 'O' || i as order_id, 'C' || (hash(i) % 200000) as customer_id,
        strftime(date '2020-01-01' + (hash(i * 7) % 1500)::integer, '%Y-%m-%d') as ordered_at,
        round((hash(i * 13) % 100000) / 100.0 - 50, 2) as amount, 1 + hash(i * 17) % 5 as quantity,
        'P' || (hash(i * 19) % 500) as product, ['web', 'store', 'phone'][1 + (i % 3)::integer] as channel
      from range(${rows}) t(i)) to '${csv}' (header, delimiter ',')`);
    const [{ bytes }] = await gen
      .all<{ bytes: number }>(`select size::bigint::double as bytes from read_blob('${csv}')`)
      .catch(() => [{ bytes: 0 }]);
    await gen.close();

    const baseline = await openDatabase(join(dir, "baseline.duckdb"));
    let t = performance.now();
    await baseline.exec(`create table t as select * from read_csv('${csv}')`);
    const readCsvSeconds = (performance.now() - t) / 1000;
    await baseline.close();

    const config = resolvePaths(
      parseConfig({ database: "kehu.duckdb", sources: { transactions: { files: "orders.csv" } } }),
      dir,
    );
    const db = await openDatabase(config.database);
    t = performance.now();
    const report = await ingestSources(db, { ...config, configDir: dir } as typeof config);
    const ingestSeconds = (performance.now() - t) / 1000;
    await db.close();
    if (report.loaded !== rows) throw new Error(`bench: loaded ${report.loaded} of ${rows} rows`);
    return { rows, bytes, ingestSeconds, readCsvSeconds, ratio: ingestSeconds / readCsvSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchIngest(Number(process.argv[2] ?? 10_000_000));
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(process.stdout.fd, "");
}
