/**
 * Test helpers for the ClickHouse push-down: a chdb engine in a temporary directory, and the comparison of a pulled
 * table with the DuckDB model of the same name (columns and types; integers, strings and dates exactly, doubles to
 * 1e-9 relative).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "../../src/data/db.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { openChdb } from "../../src/engine/chdb.ts";

export async function tempChdb(): Promise<{ engine: Engine; dir: string; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-chdb-"));
  const engine = await openChdb(join(dir, "ch"), "kehu");
  return {
    engine,
    dir,
    async dispose() {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fixture tables carry source_file 'fixture' but no ingest_log: give each file an entry so syncSources loads it. */
export async function logFixtureFiles(db: Db): Promise<void> {
  for (const source of ["transactions", "customers", "visits", "complaints", "invoices"]) {
    await db.exec(
      `insert into ingest_log select '${source}', source_file, 'fixture', count(*), 0, now()::timestamp from ${source} where source_file is not null group by source_file`,
    );
  }
}

async function columns(db: Db, table: string): Promise<string[]> {
  const rows = await db.all<{ column_name: string; column_type: string }>(`describe ${table}`);
  return rows.map((r) => `${r.column_name} ${r.column_type}`);
}

const close = (a: unknown, b: unknown): boolean => {
  if (typeof a === "number" && typeof b === "number")
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
};

/**
 * Differences between `local.table` (the DuckDB model) and `pulled.table` (the engine's result): an empty list when
 * they are equal; `ignore` names columns that differ between any two runs (a fit's time). Rows are compared as sorted multisets (doubles rounded for sorting, compared with tolerance).
 */
export async function compareTables(
  local: Db,
  pulled: Db,
  table: string,
  ignore: readonly string[] = [],
): Promise<string[]> {
  const [a, b] = [await columns(local, table), await columns(pulled, table)];
  if (a.join(",") !== b.join(",")) return [`columns differ: DuckDB (${a.join(", ")}) vs ClickHouse (${b.join(", ")})`];
  const names = a.map((c) => c.split(" ")[0]).filter((n) => !ignore.includes(n));
  const doubles = new Set(a.filter((c) => /DOUBLE|FLOAT/.test(c)).map((c) => c.split(" ")[0]));
  const order = names.map((n) => (doubles.has(n) ? `round("${n}", 6)` : `"${n}"`)).join(", ");
  const fetch = (db: Db) => db.all<Record<string, unknown>>(`select * from ${table} order by ${order}`);
  const [ra, rb] = [await fetch(local), await fetch(pulled)];
  if (ra.length !== rb.length) return [`${ra.length} rows in DuckDB, ${rb.length} pulled from ClickHouse`];
  const out: string[] = [];
  for (let i = 0; i < ra.length && out.length < 5; i++) {
    const bad = names.filter((n) => !close(ra[i][n], rb[i][n]));
    if (bad.length)
      out.push(
        `row ${i + 1}: ${bad.map((n) => `${n} ${JSON.stringify(ra[i][n])} vs ${JSON.stringify(rb[i][n])}`).join(", ")}`,
      );
  }
  return out;
}

/** Decimal places of a number as JSON writes it (0.3725 -> 4). */
const places = (x: number) => (String(x).split(".")[1] ?? "").length;

/**
 * Two numbers a site data file may hold for the same value computed by the two engines: equal to 1e-9 relative, or
 * both rounded for display and one unit apart in the last place (a float-noise difference that crossed a rounding
 * boundary, e.g. 13216.9 vs 13217).
 */
function sameShown(a: number, b: number): boolean {
  if (close(a, b)) return true;
  const p = Math.max(places(a), places(b));
  return p <= 6 && Math.abs(a - b) <= 10 ** -p * (1 + 1e-9);
}

/** Differences between two parsed JSON documents (numbers by `sameShown`), keys in `ignore` skipped; at most 5. */
export function jsonDifferences(
  a: unknown,
  b: unknown,
  ignore: readonly string[] = [],
  path = "",
  out: string[] = [],
): string[] {
  if (out.length >= 5) return out;
  if (typeof a === "number" && typeof b === "number") {
    if (!sameShown(a, b)) out.push(`${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${a.length} vs ${b.length} items`);
    else a.forEach((x, i) => jsonDifferences(x, b[i], ignore, `${path}[${i}]`, out));
  } else if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !ignore.includes(k));
    for (const k of keys)
      jsonDifferences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        ignore,
        `${path}.${k}`,
        out,
      );
  } else if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  return out;
}
