/** db.numericColumns and db.insertColumns: number columns in and out of DuckDB, non-finite as NULL, columns checked. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/data/db.ts";

let db: Db;
beforeAll(async () => {
  db = await openDatabase(":memory:");
});
afterAll(async () => db?.close());

describe("insertColumns", () => {
  it("appends 5,000 rows of doubles (three chunks) exactly, non-finite numbers as NULL", async () => {
    await db.exec("create table t (i double, v double)");
    const n = 5000;
    const i = Float64Array.from({ length: n }, (_, k) => k);
    const v = Float64Array.from({ length: n }, (_, k) =>
      k % 1000 === 7 ? Number.NaN : k === 4999 ? -Infinity : k / 3,
    );
    await db.insertColumns("t", ["i", "v"], [i, v]);
    const [summary] = await db.all<{ rows: number; nulls: number; sum: number }>(
      "select count(*)::integer as rows, count(*) filter (where v is null)::integer as nulls, sum(i)::double as sum from t",
    );
    expect(summary).toEqual({ rows: 5000, nulls: 6, sum: (4999 * 5000) / 2 });
    const back = await db.numericColumns("select i, v from t order by i");
    expect(Array.from(back.i)).toEqual(Array.from(i));
    // NULL comes back as NaN; every other double bit for bit
    expect(back.v.every((x, k) => (Number.isFinite(v[k]) ? Object.is(x, v[k]) : Number.isNaN(x)))).toBe(true);
  });

  it("refuses columns that are not the table's, or not DOUBLE", async () => {
    await db.exec("create table u (a double, b varchar)");
    await expect(db.insertColumns("u", ["b", "a"], [new Float64Array(1), new Float64Array(1)])).rejects.toThrow(
      /has columns \(a, b\)/,
    );
    await expect(db.insertColumns("u", ["a", "b"], [new Float64Array(1), new Float64Array(1)])).rejects.toThrow(
      /only DOUBLE columns/,
    );
  });
});
