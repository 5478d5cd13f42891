/**
 * Test helper for the CLV tests: an in-memory DuckDB with the canonical tables and a config's analysis variables,
 * a customer_summary written from given rows, and the CDNOW sample summary (2,357 customers, weekly periods, zbar
 * as the average repeat spend) in that shape.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { parseConfig, type KehuConfig } from "../../src/data/config.ts";
import { createAllTablesSql } from "../../src/data/schemas.ts";
import { setAnalysisVariables } from "../../src/pipelines/runner.ts";
import { simulateCustomers } from "../clv/simulate.ts";

export const CDNOW = path.resolve(__dirname, "../../../shared/data/cdnow");

/** A config with these analysis settings, and an in-memory database with every canonical table and its variables. */
export async function openAnalysisDb(analysis: Record<string, unknown>): Promise<{ db: Db; config: KehuConfig }> {
  const config = parseConfig({ sources: { transactions: { files: "x.csv" } }, analysis });
  const db = await openDatabase(":memory:");
  await db.exec(createAllTablesSql());
  await setAnalysisVariables(db, config.analysis);
  return { db, config };
}

export const SUMMARY_COLUMNS = [
  "customer_id",
  "first_purchase",
  "last_purchase",
  "orders",
  "revenue",
  "avg_order_value",
  "frequency",
  "recency",
  "T",
  "monetary_value",
];
export const SUMMARY_SQL =
  "customer_id varchar, first_purchase date, last_purchase date, orders integer, revenue double, avg_order_value double, " +
  "frequency integer, recency double, T double, monetary_value double";

/** customer_summary from rows in SUMMARY_COLUMNS order (dates as "YYYY-MM-DD" strings or null). */
export async function createSummary(db: Db, rows: (string | number | null)[][]): Promise<void> {
  await db.exec(`create table customer_summary (${SUMMARY_SQL})`);
  const asDate = (v: string | number | null) => (typeof v === "string" ? new Date(`${v}T00:00:00Z`) : v);
  await db.insertRows(
    "customer_summary",
    SUMMARY_COLUMNS,
    rows.map((r) => [r[0], asDate(r[1]), asDate(r[2]), ...r.slice(3)]),
  );
}

/** The rows of a CDNOW summary file (default: ID, x, t_x, T and zbar, the average repeat spend). */
export function readCdnowCsv(file = "cdnow_customers_summary_with_transactions.csv"): Record<string, number>[] {
  return Papa.parse<Record<string, number>>(readFileSync(path.join(CDNOW, file), "utf8"), {
    header: true,
    dynamicTyping: true,
    skipEmptyLines: true,
  }).data;
}

/** The CDNOW customers as customer_summary rows: x + 1 orders of zbar each, monetary_value zbar for repeat buyers. */
export function cdnowSummaryRows(): (string | number | null)[][] {
  return readCdnowCsv().map((r) => [
    String(r.ID),
    null,
    null,
    r.x + 1,
    r.zbar * (r.x + 1),
    r.zbar,
    r.x,
    r.t_x,
    r.T,
    r.x > 0 ? r.zbar : 0,
  ]);
}

/**
 * n simulated customers (BG/NBD and Gamma-Gamma processes over 40 weeks, acquired in the first 12; simulate.ts) as
 * short summary rows: customer_id c000.., orders, revenue, frequency, recency, T, monetary_value (0 without repeats).
 */
export function simulatedSummaryRows(n: number, seed: number): (string | number | null)[][] {
  const sim = simulateCustomers(
    n,
    { r: 0.25, alpha: 4, a: 0.8, b: 2.4 },
    { p: 6, q: 4, gamma: 15 },
    { seed, weeks: 40, acquisitionWeeks: 12 },
  );
  return Array.from(sim.x, (x, i) => [
    `c${String(i).padStart(3, "0")}`,
    x + 1,
    sim.m[i] * (x + 1),
    x,
    sim.tx[i],
    sim.T[i],
    x > 0 ? sim.m[i] : 0,
  ]);
}
