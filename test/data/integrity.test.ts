/**
 * "Nothing lost, nothing wrong" (issue 15): an interrupted commit is repaired, renamed/overlapping/deleted exports
 * are reported or pruned, and duplicate rows are counted.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ingestSources } from "../../src/data/ingest.ts";
import { project, txConfig, cleanupProjects, count, killIngestAt } from "./helpers.ts";

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
      expect(await db.all(`select order_id, count(*)::integer as n from transactions group by all order by 1`)).toEqual(
        [
          { order_id: "g1", n: 1 },
          { order_id: "g2", n: 1 },
        ],
      );
      expect(await count(db, "select count(*) from ingest_log")).toBe(1);
    });
  });

  it("rows whose count disagrees with ingest_log (part of the rows, or twice) are reloaded exactly", async () => {
    const p = project(txConfig(["a.csv", "b.csv"]), {
      "a.csv": GOOD,
      "b.csv": "customer_id,ordered_at,amount\nc9,2024-02-01,1\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    await p.withDb((db) =>
      db.exec(
        `insert into transactions select * from transactions where source_file = 'a.csv'; delete from transactions where source_file = 'b.csv'`,
      ),
    );
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.repairs).toEqual([
      "repaired a.csv: ingest_log says 2 transactions rows were loaded, the table has 4 (an interrupted ingest); removed them, the file is loaded again from scratch",
      "repaired b.csv: ingest_log says 1 transactions rows were loaded, the table has 0 (an interrupted ingest); removed them, the file is loaded again from scratch",
    ]);
    expect(report.files.map((f) => [f.file, f.skipped, f.loaded])).toEqual([
      ["a.csv", false, 2],
      ["b.csv", false, 1],
    ]);
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

const orders = (n: number, amount = (i: number) => 10 + i) =>
  [
    "order_id,customer_id,ordered_at,amount",
    ...Array.from(
      { length: n },
      (_, i) => `o${i},c${i % 7},2024-01-${String(1 + (i % 28)).padStart(2, "0")},${amount(i)}`,
    ),
  ].join("\n") + "\n";

describe("kill -9 around the commit", () => {
  it("wherever the kill lands (before, during or after the commit), the next ingest leaves one copy of every row", async () => {
    const big = [
      "customer_id,ordered_at,amount",
      ...Array.from({ length: 20_000 }, (_, i) => `c${i % 97},2024-01-01,${i}`),
    ].join("\n");
    const p = project(txConfig(["a.csv", "big.csv"]), { "a.csv": GOOD, "big.csv": big });
    // the child is killed as soon as it has loaded the last file, i.e. while it commits
    await killIngestAt(p.config, "big.csv", "done", false);
    await p.withDb((db) => ingestSources(db, p.config));
    await p.withDb(async (db) => {
      expect(await count(db, "select count(*) from transactions")).toBe(20_002);
      expect(await count(db, "select count(distinct (source_file, source_line)) from transactions")).toBe(20_002);
      expect(await count(db, "select count(*) from ingest_log")).toBe(2);
    });
  });
});

describe("renamed, copied and overlapping exports", () => {
  it("a renamed then corrected export: the order_id overlap is reported, and --prune removes the old file's rows", async () => {
    const p = project(txConfig("exports/*.csv"), { "exports/orders.csv": orders(101) });
    await p.withDb((db) => ingestSources(db, p.config));
    // renamed and corrected (one amount fixed): 101 orders, not 202
    p.write(
      "exports/orders-2024.csv",
      orders(101, (i) => (i === 5 ? 99 : 10 + i)),
    );
    (await import("node:fs")).rmSync(`${p.dir}/exports/orders.csv`);
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0].warnings).toEqual([
      "100 row(s) match rows already loaded from other files (overlapping exports are counted twice)",
      "101 of 101 order_id values are already loaded from exports/orders.csv (a renamed or overlapping export? `kehu ingest --prune` removes files the config no longer matches)",
    ]);
    expect(report.stale).toEqual([{ source: "transactions", file: "exports/orders.csv", rows: 101 }]);
    const pruned = await p.withDb((db) => ingestSources(db, p.config, { prune: true }));
    expect(pruned.pruned).toEqual([{ source: "transactions", file: "exports/orders.csv", rows: 101 }]);
    expect(pruned.stale).toEqual([]);
    const { formatIngestReport } = await import("../../src/data/commands.ts");
    expect(formatIngestReport(report)).toContain(
      "warning: transactions exports/orders.csv was loaded before but the config no longer matches it (deleted or renamed?); its 101 rows stay until `kehu ingest --prune`",
    );
    expect(formatIngestReport(pruned)).toContain(
      "pruned transactions exports/orders.csv: removed its 101 rows (the config no longer matches it)",
    );
    await p.withDb(async (db) => {
      expect(await count(db, "select count(*) from transactions")).toBe(101);
      expect(await count(db, "select count(*) from ingest_log")).toBe(1);
      expect(await count(db, "select amount from transactions where order_id = 'o5'")).toBe(99);
    });
  });

  it("a renamed file with the same content keeps its rows under the new name; a copy next to it is skipped", async () => {
    const p = project(txConfig("a.csv"), { "a.csv": GOOD });
    await p.withDb((db) => ingestSources(db, p.config));
    (await import("node:fs")).renameSync(`${p.dir}/a.csv`, `${p.dir}/b.csv`);
    p.config.sources.transactions!.files = [`${p.dir}/b.csv`];
    const renamed = await p.withDb((db) => ingestSources(db, p.config));
    expect(renamed.files[0]).toMatchObject({ skipped: true, renamedFrom: "a.csv" });
    expect(renamed.stale).toEqual([]);
    p.write("c.csv", GOOD);
    p.config.sources.transactions!.files = [`${p.dir}/b.csv`, `${p.dir}/c.csv`];
    const copied = await p.withDb((db) => ingestSources(db, p.config));
    expect(copied.files[1]).toMatchObject({
      skipped: true,
      warnings: ["same content as b.csv, which is loaded: skipped (a copy of that export?)"],
    });
    await p.withDb(async (db) => {
      expect(await db.all(`select distinct source_file from transactions`)).toEqual([{ source_file: "b.csv" }]);
      expect(await count(db, "select count(*) from transactions")).toBe(2);
    });
  });

  it("rows of overlapping exports (same customer, date and amount) are counted even when other columns differ", async () => {
    const p = project(txConfig(["a.csv", "b.csv"]), {
      "a.csv": "customer_id,ordered_at,amount,channel\nc1,2024-01-01,10,web\nc2,2024-01-02,20,web\n",
      "b.csv": "customer_id,ordered_at,amount,channel\nc2,2024-01-02,20,store\nc3,2024-01-03,30,web\n",
    });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[1]).toMatchObject({
      overlappingRows: 1,
      warnings: ["1 row(s) match rows already loaded from other files (overlapping exports are counted twice)"],
    });
  });

  it("exact duplicate lines within a file are counted and warned about", async () => {
    const p = project(txConfig("a.csv"), { "a.csv": GOOD + "g2,c2,2024-01-02,20\ng2,c2,2024-01-02,20\n" });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.duplicateRows).toBe(2);
    expect(report.files[0]).toMatchObject({
      loaded: 4,
      duplicateRows: 2,
      warnings: ["2 row(s) repeat an earlier row of the same file exactly (loaded as they are: check the export)"],
    });
    const { formatIngestReport } = await import("../../src/data/commands.ts");
    expect(formatIngestReport(report)).toContain("4 rows loaded, 0 rejected, 2 duplicate rows (see the warnings)");
  });
});

describe("kehu run on a half-committed database", () => {
  it("refuses to compute marts and says to run kehu ingest", async () => {
    const { assertIngestConsistent } = await import("../../src/data/repair.ts");
    const p = project(txConfig("a.csv"), { "a.csv": GOOD });
    await p.withDb((db) => ingestSources(db, p.config));
    await p.withDb((db) => assertIngestConsistent(db));
    await p.withDb((db) => db.exec(`delete from ingest_log`));
    const error = await p.withDb((db) => assertIngestConsistent(db)).catch((e) => e);
    expect(error.message).toContain(
      "has rows that disagree with ingest_log (an interrupted ingest): a.csv: 2 transactions rows without an ingest_log entry",
    );
    expect(error.message).toContain("Run `kehu ingest` first");
  });
});
