/**
 * customer_summary reproduces the lifetimes reference summaries of the CDNOW sample (2,357 customers, weeks,
 * calibration end 1997-09-30): frequency exactly, recency and T to 0.01, monetary_value against zbar.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../src/data/db.ts";
import { parseConfig } from "../../../src/data/config.ts";
import { createAllTablesSql } from "../../../src/data/schemas.ts";
import { pipelineSteps } from "../../../src/pipelines/index.ts";
import { setAnalysisVariables } from "../../../src/pipelines/runner.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const CDNOW = path.resolve(here, "../../../../shared/data/cdnow");
const sql = (p: string) => path.join(CDNOW, p).replace(/'/g, "''");

let db: Db;

beforeAll(async () => {
  db = await openDatabase(":memory:");
  await db.exec(createAllTablesSql());
  // The sample's 2nd column (sample id 1..2357) is the ID of the reference summaries. Every line is one order.
  // Whitespace-separated with a leading blank: read whole lines and split them.
  await db.exec(`
    insert into transactions (order_id, customer_id, ordered_at, amount, quantity, source_file, source_line)
    select 'o' || line_number, f[2]::integer::varchar, strptime(f[3], '%Y%m%d'), f[5]::double, f[4]::double,
           'CDNOW_sample.txt', line_number
    from (
      select row_number() over () as line_number, string_split_regex(trim(line), '\\s+') as f
      from read_csv('${sql("CDNOW_sample.txt")}', delim = '|', header = false, auto_detect = false, columns = {'line': 'VARCHAR'})
    )`);
  const config = parseConfig({
    sources: { transactions: { files: "x" } },
    analysis: { asOf: "1997-09-30", period: "week" },
  });
  await setAnalysisVariables(db, config.analysis);
  const steps = pipelineSteps(config);
  const wanted = new Set(["stg_transactions", "int_purchases", "customer_summary"]);
  for (const step of steps) if (wanted.has(step.name)) await step.run(db);
});

afterAll(async () => db?.close());

describe("customer_summary on CDNOW_sample (period = week, asOf = 1997-09-30)", () => {
  it("loads the whole sample", async () => {
    const [row] = await db.all<{ n: number; c: number }>(
      "select count(*)::integer as n, count(distinct customer_id)::integer as c from transactions",
    );
    expect(row).toEqual({ n: 6919, c: 2357 });
  });

  it("matches cdnow_customers_summary.csv for all 2,357 customers", async () => {
    const rows = await db.all<{ id: string; frequency: number; recency: number; T: number; mine: number }>(`
      with reference as (select * from read_csv('${sql("cdnow_customers_summary.csv")}', header = true))
      select reference.ID::varchar as id, reference.frequency::integer as frequency, reference.recency::double as recency,
             reference.T::double as T, (customer_summary.customer_id is not null)::integer as mine,
             customer_summary.frequency as my_frequency, customer_summary.recency as my_recency, customer_summary.T as my_T
      from reference left join customer_summary on customer_summary.customer_id = reference.ID::varchar`);
    expect(rows).toHaveLength(2357);
    const bad = rows.filter(
      (r: any) =>
        !r.mine ||
        r.my_frequency !== r.frequency ||
        Math.abs(r.my_recency - r.recency) > 0.01 ||
        Math.abs(r.my_T - r.T) > 0.01,
    );
    expect(bad.slice(0, 5)).toEqual([]);
    const [{ n }] = await db.all<{ n: number }>("select count(*)::integer as n from customer_summary");
    expect(n).toBe(2357);
  });

  it("monetary_value equals zbar (mean net amount of repeat purchase days inside the window)", async () => {
    const rows = await db.all<{ id: string; x: number; zbar: number; monetary_value: number | null }>(`
      with reference as (select * from read_csv('${sql("cdnow_customers_summary_with_transactions.csv")}', header = true))
      select reference.ID::varchar as id, reference.x::integer as x, reference.zbar::double as zbar, customer_summary.monetary_value
      from reference left join customer_summary on customer_summary.customer_id = reference.ID::varchar`);
    expect(rows).toHaveLength(2357);
    const bad = rows.filter((r) => r.monetary_value === null || Math.abs(r.monetary_value - r.zbar) > 0.01);
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it("customer 1 by hand: days 1997-01-01 29.33, 01-18 29.73, 08-02 14.96 (12-12 is after asOf)", async () => {
    // frequency = 3 days - 1 = 2; recency = (Aug 2 - Jan 1 = 213 days) / 7 = 30.43; T = (Sep 30 - Jan 1 = 272) / 7
    // = 38.857; monetary_value = (29.73 + 14.96) / 2 = 22.345; revenue = 29.33 + 29.73 + 14.96 = 74.02.
    const [row] = await db.all<Record<string, unknown>>("select * from customer_summary where customer_id = '1'");
    expect(row).toMatchObject({ first_purchase: "1997-01-01", last_purchase: "1997-08-02", orders: 3, frequency: 2 });
    expect(row.recency).toBeCloseTo(213 / 7, 10);
    expect(row.T).toBeCloseTo(272 / 7, 10);
    expect(row.monetary_value).toBeCloseTo(22.345, 10);
    expect(row.revenue).toBeCloseTo(74.02, 10);
  });
});
