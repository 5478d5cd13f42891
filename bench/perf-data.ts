/**
 * The performance file of the speed issue, generated in DuckDB (no Python): `customers` customers with
 * 1 + NegBin(2, 2/12) orders each (mean ~11), order times uniform over two years from 2023-01-01 (second
 * resolution), amounts Gamma(3, 20) rounded to cents. The same shape as ../shared/bench/gen_perf.py (900,000
 * customers -> about 9.9M rows, ~400 MB); not the same draws (its RNG is numpy's). Deterministic: every draw is a
 * hash of the row number, so the same size writes the same file.
 *
 *   npx tsx bench/perf-data.ts CUSTOMERS OUT.csv
 */
import { fileURLToPath } from "node:url";
import { openDatabase } from "../src/data/db.ts";

/** Uniform (0, 1) from a hash of `expr` and a salt: deterministic whatever the thread count. */
const uniform = (expr: string, salt: number) => `((hash(${expr}, ${salt}) >> 11)::double + 0.5) / 9007199254740992.0`;

export async function writePerfCsv(customers: number, file: string): Promise<number> {
  const db = await openDatabase(":memory:");
  try {
    // NegBin(2, p) failures = the sum of two geometric(p) failure counts, floor(ln U / ln(1 - p)).
    const geometric = (salt: number) => `floor(ln(${uniform("c", salt)}) / ln(1 - 2 / 12))`;
    const gamma3 = ["1", "2", "3"].map((k) => `ln(${uniform("o", 10 + Number(k))})`).join(" + ");
    await db.exec(`
      copy (
        with c as (select range + 1 as c, (1 + ${geometric(1)} + ${geometric(2)})::integer as k from range(${customers})),
        o as (select c, row_number() over (order by c) as o from (select c, unnest(range(k)) from c))
        select o as order_id, c as customer_id,
               strftime(timestamp '2023-01-01' + to_seconds(floor(${uniform("o", 5)} * 730 * 86400)::bigint), '%Y-%m-%d %H:%M:%S') as ordered_at,
               round(-20 * (${gamma3}), 2) as amount
        from o order by o
      ) to '${file.replace(/'/g, "''")}' (header, delimiter ',')`);
    const [{ n }] = await db.all<{ n: number }>(
      `select count(*)::integer as n from read_csv('${file.replace(/'/g, "''")}')`,
    );
    return n;
  } finally {
    await db.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t = performance.now();
  const n = await writePerfCsv(Number(process.argv[2] ?? 900_000), process.argv[3] ?? "/tmp/kehu-perf.csv");
  console.log(`${n} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
