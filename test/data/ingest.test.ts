/**
 * Ingest safety: rejected rows, the reject-rate limit, file-level errors, idempotent reloads, re-exports, atomicity
 * (a crash mid-run), a concurrent run, and config errors. Database files live in per-test temp dirs.
 */
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { resolve, join } from "node:path";
import { spawn } from "node:child_process";
import Papa from "papaparse";
import { ingestSources } from "../../src/data/ingest.ts";
import { DataError, SourceFileError } from "../../src/data/errors.ts";
import { ConfigError, loadConfig, parseConfig } from "../../src/data/config.ts";
import { openDatabase, DatabaseLockedError, type Db } from "../../src/data/db.ts";
import { project, txConfig, cleanupProjects, count, killIngestAt } from "./helpers.ts";

afterAll(cleanupProjects);

const REPO = resolve(__dirname, "../..");
const BAD_ROWS = readFileSync(resolve(__dirname, "../fixtures/ingest/bad-rows.csv"), "utf8");
const GOOD = "order_id,customer_id,ordered_at,amount\ng1,c1,2024-01-01,10\ng2,c2,2024-01-02,20\n";

/** Everything a run could change, to compare before and after a failed run. */
async function snapshot(db: Db) {
  return {
    transactions: await db.all(`select * from transactions order by source_file, source_line`),
    log: await db.all(
      `select source, source_file, content_hash, rows_loaded, rows_rejected from ingest_log order by source_file`,
    ),
    rejected: await db.all(`select * from rejected_rows order by source_file, line`),
  };
}

describe("rejected rows", () => {
  it("go to rejected_rows and a rejected CSV with file, line, column, value and reason", async () => {
    const p = project(txConfig("bad-rows.csv", {}, { maxRejectRate: 0.9 }), { "bad-rows.csv": BAD_ROWS });
    const report = await p.withDb((db) => ingestSources(db, p.config, { now: new Date("2026-01-02T03:04:05Z") }));
    // 7 data lines: o1 and o7 are valid; lines 3-7 each have one problem
    expect(report.files[0]).toMatchObject({ rowsRead: 7, loaded: 2, rejected: 5 });
    const expected = [
      { line: 3, column: "customer_id", value: null, reason: "missing required value" },
      { line: 4, column: "ordered_at", value: "2024-13-40", reason: "not a date in format ISO yyyy-mm-dd" },
      { line: 5, column: "amount", value: "twelve", reason: "not a number (expected e.g. 1234.56)" },
      { line: 6, column: "*", value: "found 6, expected 5", reason: "wrong number of fields" },
      { line: 7, column: "quantity", value: "x", reason: "not a number (expected e.g. 1234.56)" },
    ];
    await p.withDb(async (db) => {
      expect(await db.all(`select order_id, amount, source_line from transactions order by source_line`)).toEqual([
        { order_id: "o1", amount: 100, source_line: 2 },
        { order_id: "o7", amount: -15.5, source_line: 8 },
      ]);
      const rows = await db.all(
        `select source, source_file, line, "column", value, reason from rejected_rows order by line`,
      );
      expect(rows).toEqual(expected.map((e) => ({ source: "transactions", source_file: "bad-rows.csv", ...e })));
    });
    const csvPath = join(p.config.rejectedDir, "transactions-2026-01-02T03-04-05-000Z.csv");
    expect(report.rejectedFiles).toEqual([csvPath]);
    expect(report.files[0].rejectedFile).toBe(csvPath);
    const parsed = Papa.parse<Record<string, string>>(readFileSync(csvPath, "utf8"), {
      header: true,
      skipEmptyLines: true,
    });
    expect(parsed.meta.fields).toEqual(["file", "line", "column", "value", "reason"]);
    expect(parsed.data).toEqual(
      expected.map((e) => ({ file: "bad-rows.csv", ...e, line: String(e.line), value: e.value ?? "" })),
    );
  });

  it("over the reject-rate limit fail the run and leave the database unchanged", async () => {
    const p = project(txConfig("good.csv"), { "good.csv": GOOD, "bad-rows.csv": BAD_ROWS });
    await p.withDb((db) => ingestSources(db, p.config));
    const before = await p.withDb(snapshot);
    p.config.sources.transactions!.files = [join(p.dir, "good.csv"), join(p.dir, "bad-rows.csv")];
    const error = await p
      .withDb((db) => ingestSources(db, p.config, { now: new Date("2026-01-02T00:00:00Z") }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    // 5 of 7 rows = 71.43% > 1% (the default maxRejectRate)
    expect(error.message).toContain("bad-rows.csv: 5 of 7 rows rejected (71.43%)");
    expect(error.message).toContain("database was not changed");
    expect(await p.withDb(snapshot)).toEqual(before);
    // the rejected rows of the failing file are still written, for the user to fix the export
    const out = join(p.config.rejectedDir, "transactions-2026-01-02T00-00-00-000Z.csv");
    expect(error.message).toContain(out);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(6);
    // a higher limit passed as an option lets the same run through
    const report = await p.withDb((db) => ingestSources(db, p.config, { maxRejectRate: 0.8 }));
    expect(report.files.map((f) => [f.file, f.skipped, f.loaded])).toEqual([
      ["good.csv", true, 0],
      ["bad-rows.csv", false, 2],
    ]);
  });
});

describe("the default reject-rate limit (maxRejectRate 0.01), at its boundary", () => {
  // 100 rows of which `bad` have an amount that is not a number
  const rows = (bad: number, order = "o") =>
    "order_id,customer_id,ordered_at,amount\n" +
    Array.from({ length: 100 }, (_, i) => `${order}${i},c${i},2024-01-01,${i < bad ? "x" : "10"}`).join("\n") +
    "\n";

  it("lets 1 of 100 rows (1.00%, at the limit) through and fails on 2 of 100 (2.00%)", async () => {
    const at = project(txConfig("at.csv"), { "at.csv": rows(1) });
    const report = await at.withDb((db) => ingestSources(db, at.config));
    expect(report.files[0]).toMatchObject({ rowsRead: 100, loaded: 99, rejected: 1 });
    const above = project(txConfig("above.csv"), { "above.csv": rows(2) });
    const error = await above
      .withDb((db) => ingestSources(db, above.config, { now: new Date("2026-01-02T00:00:00Z") }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    // the header is line 1, so the two bad rows are lines 2 and 3
    const out = join(above.config.rejectedDir, "transactions-2026-01-02T00-00-00-000Z.csv");
    expect(error.message).toBe(
      "above.csv: 2 of 100 rows rejected (2.00%), above the limit of 1.00% (--max-reject-rate / maxRejectRate). " +
        `The database was not changed. Rejected rows with line, column, value and reason: ${out}\nFirst rejected rows:\n` +
        '  line 2, column amount, value "x": not a number (expected e.g. 1234.56)\n  line 3, column amount, value "x": not a number (expected e.g. 1234.56)',
    );
  });

  it("sums the files of a run and writes one rejected CSV per source for the run", async () => {
    const p = project(txConfig(["a.csv", "b.csv", "c.csv"], {}, { maxRejectRate: 0.5 }), {
      "a.csv": rows(2),
      "b.csv": rows(1, "p"),
      "c.csv": rows(0, "q"),
    });
    const report = await p.withDb((db) => ingestSources(db, p.config, { now: new Date("2026-01-02T00:00:00Z") }));
    const out = join(p.config.rejectedDir, "transactions-2026-01-02T00-00-00-000Z.csv");
    expect(report).toMatchObject({
      rowsRead: 300,
      loaded: 297,
      rejected: 3,
      duplicateRows: 0,
      rejectedFiles: [out],
      pruned: [],
      stale: [],
      repairs: [],
    });
    // c.csv had no rejected row: no rejected file is named for it
    expect(report.files.map((f) => [f.file, f.rejected, f.rejectedFile])).toEqual([
      ["a.csv", 2, out],
      ["b.csv", 1, out],
      ["c.csv", 0, undefined],
    ]);
    expect(
      readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split(",").slice(0, 3).join(",")),
    ).toEqual(["file,line,column", "a.csv,2,amount", "a.csv,3,amount", "b.csv,2,amount"]);
  });

  it("is the config's maxRejectRate when set (2 of 100 pass at 0.02)", async () => {
    const p = project(txConfig("above.csv", {}, { maxRejectRate: 0.02 }), { "above.csv": rows(2) });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ loaded: 98, rejected: 2 });
  });
});

describe("file-level problems", () => {
  it("a missing required column names file, column and config key, and writes nothing", async () => {
    const p = project(txConfig("good.csv"), {
      "good.csv": GOOD,
      "no-amount.csv": "customer_id,ordered_at,total\nc1,2024-01-01,5\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    const before = await p.withDb(snapshot);
    p.config.sources.transactions!.files = [join(p.dir, "good.csv"), join(p.dir, "no-amount.csv")];
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toContain("no-amount.csv");
    expect(error.message).toContain("required column amount not found");
    expect(error.message).toContain('"customer_id", "ordered_at", "total"');
    expect(error.message).toContain("sources.transactions.columns.amount");
    expect(await p.withDb(snapshot)).toEqual(before);
    expect(existsSync(p.config.rejectedDir)).toBe(false);
  });

  it("a mapped header that is not in the file names the mapping key", async () => {
    const p = project(txConfig("o.csv", { columns: { amount: "金额" } }), {
      "o.csv": "customer_id,ordered_at,amount\nc1,2024-01-01,5\n",
    });
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toMatch(
      /o\.csv: column "金额" \(mapped to amount\) not found.*sources\.transactions\.columns\.amount/,
    );
  });

  it("a missing file names the files key", async () => {
    const p = project(txConfig("missing.csv"));
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toContain("missing.csv: file not found (fix: sources.transactions.files)");
  });
});

describe("idempotent reloads", () => {
  it("loading the same file twice adds nothing", async () => {
    const p = project(txConfig("orders-*.csv"), { "orders-1.csv": GOOD });
    const first = await p.withDb((db) => ingestSources(db, p.config));
    const second = await p.withDb((db) => ingestSources(db, p.config));
    expect(first.files[0]).toMatchObject({ file: "orders-1.csv", loaded: 2, skipped: false });
    expect(second.files[0]).toMatchObject({ file: "orders-1.csv", loaded: 0, skipped: true });
    await p.withDb(async (db) => {
      expect(await count(db, "select count(*) from transactions")).toBe(2);
      expect(await count(db, "select count(*) from ingest_log")).toBe(1);
    });
  });

  it("a corrected re-export of the same path replaces what the old version contributed", async () => {
    const v1 = "order_id,customer_id,ordered_at,amount\na,c1,2024-01-01,10\nb,c2,2024-01-02,oops\nc,c3,2024-01-03,30\n";
    const v2 = "order_id,customer_id,ordered_at,amount\na,c1,2024-01-01,10\nb,c2,2024-01-02,25\n";
    const p = project(txConfig(["orders.csv", "other.csv"], {}, { maxRejectRate: 0.5 }), {
      "orders.csv": v1,
      "other.csv": GOOD,
    });
    await p.withDb((db) => ingestSources(db, p.config));
    p.write("orders.csv", v2);
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files.map((f) => [f.file, f.skipped, f.replaced, f.loaded])).toEqual([
      ["orders.csv", false, true, 2],
      ["other.csv", true, false, 0],
    ]);
    await p.withDb(async (db) => {
      expect(
        await db.all(`select order_id, amount from transactions where source_file = 'orders.csv' order by order_id`),
      ).toEqual([
        { order_id: "a", amount: 10 },
        { order_id: "b", amount: 25 },
      ]);
      expect(await count(db, "select count(*) from transactions where source_file = 'other.csv'")).toBe(2);
      expect(await count(db, "select count(*) from rejected_rows")).toBe(0); // v1's bad row went with v1
      expect(await count(db, "select count(*) from ingest_log")).toBe(2);
    });
  });
});

describe("settings changes", () => {
  it("reload an unchanged file when the way it is read changed (e.g. a column now mapped)", async () => {
    const p = project(txConfig("o.csv"), { "o.csv": "customer_id,ordered_at,amount,商品\nc1,2024-01-01,5,茶\n" });
    await p.withDb((db) => ingestSources(db, p.config));
    p.config.sources.transactions!.columns = { product: "商品" };
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ skipped: false, replaced: true, loaded: 1 });
    await p.withDb(async (db) => {
      expect(await db.all(`select customer_id, product from transactions`)).toEqual([
        { customer_id: "c1", product: "茶" },
      ]);
      expect(await count(db, "select count(*) from ingest_log")).toBe(1);
    });
  });
});

describe("atomicity", () => {
  it("a crash after the first of two files leaves the database as before", async () => {
    const p = project(txConfig("a.csv"), {
      "a.csv": GOOD,
      "b.csv": "customer_id,ordered_at,amount\nc9,2024-02-01,1\n",
      "c.csv": "customer_id,ordered_at,amount\nc8,2024-03-01,2\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    const before = await p.withDb(snapshot);
    p.config.sources.transactions!.files = [join(p.dir, "b.csv"), join(p.dir, "c.csv")];
    const error = await p
      .withDb((db) =>
        ingestSources(db, p.config, {
          onProgress: (e) => {
            if (e.file === "c.csv" && e.stage === "inspect") throw new Error("simulated crash");
          },
        }),
      )
      .catch((e) => e);
    expect(error.message).toBe("simulated crash");
    expect(await p.withDb(snapshot)).toEqual(before);
  });

  it("a killed ingest process leaves the database as before", async () => {
    const big = [
      "customer_id,ordered_at,amount",
      ...Array.from({ length: 20_000 }, (_, i) => `c${i % 97},2024-01-01,${i}`),
    ].join("\n");
    const p = project(txConfig("a.csv"), { "a.csv": GOOD, "big.csv": big });
    await p.withDb((db) => ingestSources(db, p.config));
    const before = await p.withDb(snapshot);
    // the child loads a.csv (skipped) and big.csv, and is killed when it reports reading big.csv
    const config = {
      ...p.config,
      sources: {
        transactions: { ...p.config.sources.transactions!, files: [join(p.dir, "a.csv"), join(p.dir, "big.csv")] },
      },
    };
    await killIngestAt(config, "big.csv", "validate", true);
    expect(await p.withDb(snapshot)).toEqual(before);
  });
});

describe("concurrent runs", () => {
  it("a second run on a database in use fails with a clear message", async () => {
    const p = project(txConfig("a.csv"), { "a.csv": GOOD });
    await p.withDb((db) => ingestSources(db, p.config));
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { DuckDBInstance } from "@duckdb/node-api"; await DuckDBInstance.create(process.argv[1]); console.log("holding"); setTimeout(() => {}, 30000);`,
        p.config.database,
      ],
      { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((ok, fail) => {
        holder.stdout.on("data", (d) => String(d).includes("holding") && ok());
        holder.on("exit", (code) => fail(new Error(`holder exited early with ${code}`)));
      });
      const error = await openDatabase(p.config.database).catch((e) => e);
      expect(error).toBeInstanceOf(DatabaseLockedError);
      expect(error.message).toContain("is in use by another kehu run");
      expect(error.message).toContain("nothing was changed");
    } finally {
      holder.kill("SIGKILL");
      await new Promise((ok) => holder.on("close", ok));
    }
  });
});

describe("config errors", () => {
  it("name the key and the allowed values", () => {
    const bad = (sources: unknown) => {
      try {
        parseConfig({ sources });
        return "";
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
    };
    expect(bad({ transactions: { files: "a.csv", format: "xls" } })).toContain(
      "sources.transactions.format: expected one of csv, tsv, whitespace",
    );
    expect(bad({ transactions: { files: "a.csv", encoding: "latin1" } })).toContain(
      "sources.transactions.encoding: expected one of auto, utf-8, gb18030, gbk",
    );
    expect(bad({ transactions: { files: "a.csv", dateFormat: "dd.mm.yy" } })).toContain(
      "sources.transactions.dateFormat: expected one of auto, ISO, yyyymmdd, yyyy/m/d, d/m/yyyy, m/d/yyyy, yyyy年m月d日",
    );
    expect(bad({ orders: { files: "a.csv" } })).toContain("sources: unknown key(s) orders");
  });

  it("an unknown canonical column or a missing transactions source names the key", async () => {
    const p = project(txConfig("a.csv", { columns: { amout: "金额" } }), { "a.csv": GOOD });
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      "sources.transactions.columns.amout: unknown column; expected one of order_id, customer_id",
    );
    const q = project({ sources: { customers: { files: "a.csv" } } }, { "a.csv": GOOD });
    const missing = await q.withDb((db) => ingestSources(db, q.config)).catch((e) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.message).toContain("sources.transactions: required");
  });

  it("loadConfig drops // comment keys and resolves paths against the config file", () => {
    const p = project(txConfig("a.csv"));
    const file = join(p.dir, "kehu.config.json");
    writeFileSync(
      file,
      JSON.stringify({ "//": "comment", sources: { transactions: { "// files": "x", files: "exports/*.csv" } } }),
    );
    const config = loadConfig(file);
    expect(config.sources.transactions!.files).toEqual([join(p.dir, "exports/*.csv")]);
    expect(config.database).toBe(join(p.dir, "data/kehu.duckdb"));
    expect(readdirSync(p.dir)).toContain("kehu.config.json");
  });
});
