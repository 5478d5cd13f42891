/**
 * customer_snapshots: the one table a run appends to instead of replacing. Every `kehu run` stores this run's
 * int_customer_snapshot under its as_of (a rerun for the same as_of replaces that snapshot), so customer_changes
 * can compare it with the previous one and the customer card can draw P(alive) and CLV over time.
 *
 * A fresh database (the scheduled publish job starts from a clean checkout and ingests the exports anew) has no
 * snapshots: when the table does not exist yet, the step first restores the snapshots of the last export,
 * `<martsDir>/customer_snapshots.parquet` (exportMarts writes it with the other marts), so history carries over as
 * long as the marts directory does. The publish workflow restores that file from the previous run.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { KehuConfig } from "../../data/config.ts";
import type { Step } from "../runner.ts";

const THIS_FILE = new URL(import.meta.url).pathname;

export function snapshotSteps(config: KehuConfig): Step[] {
  const snapshots: Step = {
    name: "customer_snapshots",
    dependsOn: ["int_customer_snapshot"],
    file: THIS_FILE,
    async run(db) {
      const [{ n }] = await db.all<{ n: number }>(
        "select count(*)::integer as n from duckdb_tables() where table_name = 'customer_snapshots' and schema_name = current_schema()",
      );
      const previous = join(config.martsDir, "customer_snapshots.parquet");
      if (n === 0) {
        if (db.path !== ":memory:" && existsSync(previous)) {
          await db.exec(
            `create table customer_snapshots as select * from read_parquet('${previous.replace(/'/g, "''")}')`,
          );
        } else {
          await db.exec("create table customer_snapshots as select * from int_customer_snapshot limit 0");
        }
      }
      // Columns added in a later version of kehu join older snapshots as NULL.
      const have = new Set(
        (
          await db.all<{ name: string }>(
            "select column_name as name from duckdb_columns() where table_name = 'customer_snapshots'",
          )
        ).map((r) => r.name),
      );
      for (const c of await db.all<{ name: string; type: string }>(
        "select column_name as name, data_type as type from duckdb_columns() where table_name = 'int_customer_snapshot'",
      )) {
        if (!have.has(c.name)) await db.exec(`alter table customer_snapshots add column "${c.name}" ${c.type}`);
      }
      await db.exec("delete from customer_snapshots where as_of = getvariable('as_of')");
      await db.exec("insert into customer_snapshots by name select * from int_customer_snapshot");
    },
  };
  return [snapshots];
}
