/**
 * rfm_scores writes ntile(5)'s arithmetic out (rank() and tile sizes) instead of calling ntile: a tie group takes the
 * tile ntile gives its first row. The reference here is DuckDB's own ntile(5) over a total order (measure, then
 * customer_id) and the lowest tile of each tie group, on random customer summaries full of ties, 0 to 60 customers
 * (every n mod 5, tiles of one row and tiles of many).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../src/data/db.ts";
import { loadSqlModels } from "../../../src/pipelines/runner.ts";

const AS_OF = "2024-06-30";
let db: Db;
let rfmSql: string;

beforeAll(async () => {
  db = await openDatabase(":memory:");
  await db.exec(`set variable as_of = '${AS_OF}'::date`);
  rfmSql = loadSqlModels().find((m) => m.name === "rfm_scores")!.sql!;
});
afterAll(async () => db?.close());

const REFERENCE = `
  with measures as (
    select customer_id, getvariable('as_of') - last_purchase as recency_days, orders, revenue from customer_summary
  ),
  tiles as (
    select *,
      ntile(5) over (order by recency_days desc, customer_id) as r_tile,
      ntile(5) over (order by orders, customer_id) as f_tile,
      ntile(5) over (order by revenue, customer_id) as m_tile
    from measures
  )
  select customer_id,
    (min(r_tile) over (partition by recency_days))::integer as r_score,
    (min(f_tile) over (partition by orders))::integer as f_score,
    (min(m_tile) over (partition by revenue))::integer as m_score
  from tiles order by customer_id`;

const customer = fc.record({
  daysAgo: fc.integer({ min: 0, max: 6 }),
  orders: fc.integer({ min: 1, max: 4 }),
  revenue: fc.constantFrom(0, 7.5, 10, 10, 25, 99.9, -3),
});

describe("rfm_scores tiles", () => {
  it("equal ntile(5)'s lowest tile of each tie group, for every n from 0 to 60", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(customer, { minLength: 0, maxLength: 60 }), async (customers) => {
        await db.exec(`create or replace table customer_summary (
          customer_id varchar, last_purchase date, orders integer, revenue double)`);
        if (customers.length > 0)
          await db.exec(
            `insert into customer_summary values ${customers
              .map(
                (c, i) =>
                  `('c${String(i).padStart(2, "0")}', '${AS_OF}'::date - ${c.daysAgo}, ${c.orders}, ${c.revenue})`,
              )
              .join(", ")}`,
          );
        const actual = await db.all(
          `select customer_id, r_score, f_score, m_score from (${rfmSql}) order by customer_id`,
        );
        const expected = await db.all(REFERENCE);
        expect(actual).toEqual(expected);
      }),
      { numRuns: 120, seed: 20241202 },
    );
  });
});
