/**
 * A source that names a table already on the engine (chdb): its rows are checked (columns present, types usable, no
 * NULL in a required column) and loaded through the column map with an ingest_log entry; an unchanged table is not
 * read again, a changed one replaces its rows (here and on the engine). Hand-written rows, hand-computed totals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, resolvePaths, ConfigError, type KehuConfig } from "../../src/data/config.ts";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { ingestSources } from "../../src/data/ingest.ts";
import { openEngine } from "../../src/engine/engine.ts";

let dir: string;
let db: Db;

const config = (columns: Record<string, string>, table = "sales.orders"): KehuConfig & { configDir: string } => ({
  ...resolvePaths(
    parseConfig({ sources: { transactions: { table, columns } }, engine: { kind: "chdb", path: "ch" } }),
    dir,
  ),
  configDir: dir,
});
const MAP = { order_id: "id", customer_id: "cust", ordered_at: "ts", amount: "price" };

async function onEngine(...sql: string[]) {
  const engine = (await openEngine(config(MAP)))!;
  try {
    for (const s of sql) await engine.command(s);
  } finally {
    await engine.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kehu-ch-table-"));
  await onEngine(
    "create database if not exists sales",
    "create table sales.orders (id UInt64, cust String, ts DateTime('Asia/Shanghai'), price Decimal(12, 2), category LowCardinality(Nullable(String)), note String) engine = MergeTree order by (cust, ts)",
    "insert into sales.orders values (1, 'C1', '2024-01-05 10:30:00', 100.50, 'tea', ''), (2, 'C1', '2024-02-01 09:00:00', 49.50, NULL, ''), (3, 'C2', '2024-01-20 23:59:59', -20.00, 'cups', '')",
  );
  db = await openDatabase(join(dir, "kehu.duckdb"));
}, 120_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sources.transactions.table (a table on the engine)", () => {
  it("needs an engine, and exactly one of files and table", () => {
    expect(() => parseConfig({ sources: { transactions: { table: "sales.orders" } } })).toThrow(
      /sources\.transactions\.table: a table source reads a table on the ClickHouse engine/,
    );
    expect(() =>
      parseConfig({
        sources: { transactions: { table: "sales.orders", files: "x.csv" } },
        engine: { kind: "chdb", path: "ch" },
      }),
    ).toThrow(ConfigError);
    expect(() =>
      parseConfig({ sources: { transactions: { table: "sales.orders; drop" } }, engine: { kind: "chdb", path: "ch" } }),
    ).toThrow(/expected a ClickHouse table name/);
  });

  it("names the key, the table and the column when a column is missing, of the wrong type or NULL", async () => {
    await expect(ingestSources(db, config({ ...MAP, amount: "cost" }))).rejects.toThrow(
      "sources.transactions.columns.amount: sales.orders has no column cost (it has id, cust, ts, price, category, note)",
    );
    await expect(ingestSources(db, config({ ...MAP, amount: "cust" }))).rejects.toThrow(
      "sources.transactions.columns.amount: column cust of sales.orders is String; expected a number",
    );
    await expect(ingestSources(db, config({ order_id: "id", customer_id: "cust", amount: "price" }))).rejects.toThrow(
      /sources\.transactions\.columns\.ordered_at: required, and sales\.orders has no column of that name/,
    );
    await expect(ingestSources(db, config(MAP, "sales.nope"))).rejects.toThrow(
      "sources.transactions.table: sales.nope is not a table on chdb",
    );
    await expect(ingestSources(db, config({ ...MAP, customer_id: "category" }))).rejects.toThrow(
      "sources.transactions.columns.customer_id: 1 rows of sales.orders have no category (NULL)",
    );
    // each failed ingest was rolled back whole: not even the tables were created
    const [{ n }] = await db.all<{ n: number }>(
      "select count(*)::integer as n from duckdb_tables() where table_name in ('ingest_log', 'transactions')",
    );
    expect(n).toBe(0);
  });

  it("loads the mapped rows with an ingest_log entry (the wall time as the table shows it), idempotently", async () => {
    const first = await ingestSources(db, config(MAP));
    expect(first.files.map((f) => [f.file, f.loaded, f.skipped])).toEqual([["clickhouse:sales.orders", 3, false]]);
    expect(first.engine).toMatchObject({ filesLoaded: 1, rowsLoaded: 3 });
    const rows = await db.all(
      "select order_id, customer_id, ordered_at::varchar as ordered_at, amount, category, source_file from transactions order by order_id",
    );
    expect(rows).toEqual([
      {
        order_id: "1",
        customer_id: "C1",
        ordered_at: "2024-01-05 10:30:00",
        amount: 100.5,
        category: "tea",
        source_file: "clickhouse:sales.orders",
      },
      {
        order_id: "2",
        customer_id: "C1",
        ordered_at: "2024-02-01 09:00:00",
        amount: 49.5,
        category: null,
        source_file: "clickhouse:sales.orders",
      },
      {
        order_id: "3",
        customer_id: "C2",
        ordered_at: "2024-01-20 23:59:59",
        amount: -20,
        category: "cups",
        source_file: "clickhouse:sales.orders",
      },
    ]);
    expect(await db.all("select source, source_file, rows_loaded from ingest_log")).toEqual([
      { source: "transactions", source_file: "clickhouse:sales.orders", rows_loaded: 3 },
    ]);
    const again = await ingestSources(db, config(MAP));
    expect(again.files[0].skipped).toBe(true);
    expect(again.engine).toMatchObject({ filesLoaded: 0, rowsLoaded: 0, filesRemoved: 0 });
  });

  it("a changed table replaces its rows, here and on the engine", async () => {
    await onEngine("insert into sales.orders values (4, 'C2', '2024-03-01 12:00:00', 30.25, 'tea', '')");
    const report = await ingestSources(db, config(MAP));
    expect(report.files[0]).toMatchObject({ loaded: 4, skipped: false, replaced: true });
    expect(await db.all("select count(*)::integer as n, sum(amount) as s from transactions")).toEqual([
      { n: 4, s: 160.25 },
    ]);
    const engine = (await openEngine(config(MAP)))!;
    try {
      expect(await engine.query("select toInt64(count()) as n, sum(amount) as s from transactions")).toEqual([
        { n: 4, s: 160.25 },
      ]);
    } finally {
      await engine.close();
    }
  });
});
