/**
 * "Nothing lost, nothing wrong" (issue 15): an interrupted commit is repaired, renamed/overlapping/deleted exports
 * are reported or pruned, and duplicate rows are counted.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ingestSources } from "../../src/data/ingest.ts";
import { project, txConfig, cleanupProjects, count } from "./helpers.ts";

afterAll(cleanupProjects);

const GOOD = "order_id,customer_id,ordered_at,amount\ng1,c1,2024-01-01,10\ng2,c2,2024-01-02,20\n";

describe("an interrupted commit (kill -9 while DuckDB commits)", () => {
  it("rows of a file without an ingest_log entry are removed before the file loads again: one copy of every row", async () => {
    const p = project(txConfig("a.csv"), { "a.csv": GOOD });
    await p.withDb((db) => ingestSources(db, p.config));
    // what a half-replayed commit leaves: the rows are there, the ingest_log entry is not
    await p.withDb((db) => db.exec(`delete from ingest_log`));
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.repairs).toEqual([
      "repaired a.csv: 2 transactions rows without an ingest_log entry (an interrupted ingest); removed them, the file is loaded again from scratch",
    ]);
    await p.withDb(async (db) => {
      expect(await db.all(`select order_id, count(*)::integer as n from transactions group by all order by 1`)).toEqual([
        { order_id: "g1", n: 1 },
        { order_id: "g2", n: 1 },
      ]);
      expect(await count(db, "select count(*) from ingest_log")).toBe(1);
    });
  });

  it("rows whose count disagrees with ingest_log (part of the rows, or twice) are reloaded exactly", async () => {
    const p = project(txConfig(["a.csv", "b.csv"]), { "a.csv": GOOD, "b.csv": "customer_id,ordered_at,amount\nc9,2024-02-01,1\n" });
    await p.withDb((db) => ingestSources(db, p.config));
    await p.withDb((db) => db.exec(`insert into transactions select * from transactions where source_file = 'a.csv'; delete from transactions where source_file = 'b.csv'`));
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.repairs).toEqual([
      "repaired a.csv: ingest_log says 2 transactions rows were loaded, the table has 4 (an interrupted ingest); removed them, the file is loaded again from scratch",
      "repaired b.csv: ingest_log says 1 transactions rows were loaded, the table has 0 (an interrupted ingest); removed them, the file is loaded again from scratch",
    ]);
    expect(report.files.map((f) => [f.file, f.skipped, f.loaded])).toEqual([["a.csv", false, 2], ["b.csv", false, 1]]);
    await p.withDb(async (db) => {
      expect(await count(db, "select count(*) from transactions")).toBe(3);
      expect(await count(db, "select count(distinct (source_file, source_line)) from transactions")).toBe(3);
    });
  });

  it("a fault at commit time (rows written, log not) never leads to a second copy", async () => {
    const p = project(txConfig("a.csv"), { "a.csv": GOOD });
    await p.withDb((db) => ingestSources(db, p.config));
    // stray rows carrying the file's name that no log mentions, next to a log entry that matches the file
    await p.withDb((db) => db.exec(`insert into transactions select * from transactions`));
    await p.withDb((db) => db.exec(`update ingest_log set content_hash = 'stale'`));
    await p.withDb((db) => ingestSources(db, p.config));
    await p.withDb(async (db) => expect(await count(db, "select count(*) from transactions")).toBe(2));
  });
});
