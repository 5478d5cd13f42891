/**
 * customer_snapshots survives runs (one snapshot per as_of, a rerun replaces it) and customer_changes compares the
 * latest two: hand-written snapshots for the change rules, and two real pipeline runs on the CRM fixture.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { parseConfig } from "../../src/data/config.ts";
import { createAllTablesSql } from "../../src/data/schemas.ts";
import { pipelineSteps, exportMarts } from "../../src/pipelines/index.ts";
import { setAnalysisVariables } from "../../src/pipelines/runner.ts";
import { insertFixture } from "../helpers/pipeline.ts";
import { crmFixture } from "../fixtures/crm/accounts.ts";

const dbs: Db[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function runAt(db: Db, asOf: string, martsDir = "/nonexistent/marts") {
  const config = parseConfig({
    martsDir,
    sources: { transactions: { files: "x.csv" } },
    analysis: { asOf, period: "week" },
  });
  await setAnalysisVariables(db, config.analysis);
  for (const step of pipelineSteps(config)) await step.run(db);
  return config;
}

describe("customer_changes (hand-written snapshots)", () => {
  it("lists quadrant and grade moves, churn-list entries and exits, new overdue invoices, complaints and customers", async () => {
    const db = await openDatabase(":memory:");
    dbs.push(db);
    const config = parseConfig({ sources: { transactions: { files: "x.csv" } }, analysis: { asOf: "2024-06-30" } });
    await setAnalysisVariables(db, config.analysis);
    // as_of, customer, grade, quadrant, clv, on list, rank, overdue invoices, complaints. An older snapshot
    // (2024-04-30) must be ignored: only the latest one before 2024-06-30 (2024-05-31) counts.
    await db.exec(`create table customer_snapshots as select * from (values
      ('2024-04-30'::date, 'a', 'D', 'I', 1.0, true, 1, 0, 0),
      ('2024-05-31'::date, 'a', 'B', 'II', 100.0, false, null, 0, 1),
      ('2024-05-31'::date, 'b', 'A', 'IV', 900.0, true, 3, 1, 0),
      ('2024-05-31'::date, 'c', 'C', 'I', 50.0, false, null, 0, 0),
      ('2024-06-30'::date, 'a', 'A', 'IV', 300.0, true, 2, 0, 1),
      ('2024-06-30'::date, 'b', 'A', 'IV', 800.0, false, null, 2, 0),
      ('2024-06-30'::date, 'c', 'C', 'I', 40.0, false, null, 0, 2),
      ('2024-06-30'::date, 'd', 'D', null, 10.0, false, null, 0, 0)
    ) t(as_of, customer_id, grade, quadrant, clv, on_churn_list, churn_rank, overdue_invoices, complaints)`);
    const step = pipelineSteps(config).find((s) => s.name === "customer_changes")!;
    await db.exec(`explain ${step.sql}`);
    await step.run(db);
    const rows = await db.all(
      "select customer_id, change, from_value, to_value, clv, previous_as_of, value_rank from customer_changes order by value_rank",
    );
    expect(rows).toEqual([
      {
        customer_id: "b",
        change: "left_churn_list",
        from_value: null,
        to_value: null,
        clv: 800,
        previous_as_of: "2024-05-31",
        value_rank: 1,
      },
      {
        customer_id: "b",
        change: "new_overdue_invoice",
        from_value: "1",
        to_value: "2",
        clv: 800,
        previous_as_of: "2024-05-31",
        value_rank: 2,
      },
      {
        customer_id: "a",
        change: "grade_changed",
        from_value: "B",
        to_value: "A",
        clv: 300,
        previous_as_of: "2024-05-31",
        value_rank: 3,
      },
      {
        customer_id: "a",
        change: "joined_churn_list",
        from_value: null,
        to_value: "2",
        clv: 300,
        previous_as_of: "2024-05-31",
        value_rank: 4,
      },
      {
        customer_id: "a",
        change: "quadrant_changed",
        from_value: "II",
        to_value: "IV",
        clv: 300,
        previous_as_of: "2024-05-31",
        value_rank: 5,
      },
      {
        customer_id: "c",
        change: "new_complaint",
        from_value: "0",
        to_value: "2",
        clv: 40,
        previous_as_of: "2024-05-31",
        value_rank: 6,
      },
      {
        customer_id: "d",
        change: "new_customer",
        from_value: null,
        to_value: null,
        clv: 10,
        previous_as_of: "2024-05-31",
        value_rank: 7,
      },
    ]);
  });

  it("is empty on the first run", async () => {
    const db = await openDatabase(":memory:");
    dbs.push(db);
    await db.exec(createAllTablesSql());
    await insertFixture(db, crmFixture);
    await runAt(db, "2024-06-30");
    expect((await db.all<{ n: number }>("select count(*)::integer as n from customer_snapshots"))[0].n).toBeGreaterThan(
      0,
    );
    expect(await db.all("select * from customer_changes")).toEqual([]);
  });
});

describe("customer_snapshots across runs", () => {
  it("keeps one snapshot per as_of, replaces a rerun, and restores from the exported marts in a fresh database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kehu-snapshots-"));
    dirs.push(dir);
    const db = await openDatabase(join(dir, "a.duckdb"));
    dbs.push(db);
    await db.exec(createAllTablesSql());
    await insertFixture(db, crmFixture);
    const count = async (d: Db) =>
      d.all<{ as_of: string; n: number }>(
        "select as_of::varchar as as_of, count(*)::integer as n from customer_snapshots group by 1 order by 1",
      );
    await runAt(db, "2024-05-31");
    await runAt(db, "2024-06-30");
    await runAt(db, "2024-06-30");
    const counts = await count(db);
    expect(counts.map((c) => c.as_of)).toEqual(["2024-05-31", "2024-06-30"]);
    const [{ n }] = await db.all<{ n: number }>("select count(*)::integer as n from customer_summary");
    expect(counts[1].n).toBe(n);
    // Between 05-31 and 06-30 the fixture's C3 is invoiced I6 (due 06-14, unpaid at 06-30): a new overdue invoice.
    expect(
      await db.all(
        "select customer_id, from_value, to_value from customer_changes where change = 'new_overdue_invoice' and customer_id = 'C3'",
      ),
    ).toEqual([{ customer_id: "C3", from_value: "0", to_value: "1" }]);
    const changes = await db.all<{ previous_as_of: string }>(
      "select distinct previous_as_of::varchar as previous_as_of from customer_changes",
    );
    expect(changes).toEqual([{ previous_as_of: "2024-05-31" }]);

    // A fresh database (the publish job) restores the history from the exported customer_snapshots.parquet.
    const martsDir = join(dir, "marts");
    await exportMarts(db, ["customer_snapshots"], martsDir);
    const fresh = await openDatabase(join(dir, "b.duckdb"));
    dbs.push(fresh);
    await fresh.exec(createAllTablesSql());
    await insertFixture(fresh, crmFixture);
    await runAt(fresh, "2024-07-31", martsDir);
    expect((await count(fresh)).map((c) => c.as_of)).toEqual(["2024-05-31", "2024-06-30", "2024-07-31"]);
    const [{ prev }] = await fresh.all<{ prev: string }>(
      "select distinct previous_as_of::varchar as prev from customer_changes",
    );
    expect(prev).toBe("2024-06-30");
  });
});
