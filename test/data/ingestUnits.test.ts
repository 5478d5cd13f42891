/**
 * ingest.ts function by function, each rule at its boundary, on in-memory DuckDB and tiny hand-written files (a few
 * seconds for the file, so Stryker can rerun it per mutant): resolveSourceFiles and sourceFileName, the rejected-row
 * sample in the error, the rejected CSV of a failing run, checkSources' limit (at, below, above), the load's
 * progress, identity and ingest_log row, date-format detection per format, on a tie and when ambiguous, read errors
 * (/proc/self/mem, and the inspection's read redirected to it), the encoding key, and the temporary copies of GBK,
 * UTF-16 and converted files (TMPDIR set to a directory of the test's own). Every expected value is written by hand
 * from the input.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";
import iconv from "iconv-lite";
import { checkSources, ingestSources, resolveSourceFiles, sourceFileName } from "../../src/data/ingest.ts";
import { ConfigError, type KehuConfig } from "../../src/data/config.ts";
import { DataError, SourceFileError } from "../../src/data/errors.ts";
import { openDatabase, type Db } from "../../src/data/db.ts";
import { transcodeToUtf8 } from "../../src/data/encoding.ts";
import { cleanupProjects, project, txConfig } from "./helpers.ts";

afterAll(cleanupProjects);

// A read error after the first bytes (a disk or network error mid-file): inspecting the file named here reads
// /proc/self/mem instead, which stats as a regular file and fails every read with EIO. Every other call is the real
// inspectFile.
const unreadable = vi.hoisted(() => ({ path: "" }));
vi.mock("../../src/data/encoding.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/data/encoding.ts")>();
  return {
    ...real,
    inspectFile: (file: string, onBytes?: (done: number) => void) =>
      real.inspectFile(file === unreadable.path ? "/proc/self/mem" : file, onBytes),
  };
});

const mem = (raw: Record<string, unknown>, files: Record<string, string | Buffer> = {}) =>
  project(raw, files, { memory: true });
const HEAD = "order_id,customer_id,ordered_at,amount\n";
const NOW = new Date("2026-01-02T03:04:05Z");
const STAMP = "2026-01-02T03-04-05-000Z";
/** `n` valid transaction lines o1..on, dated 2024-01-01 */
const good = (n: number, prefix = "o") =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1},c${i + 1},2024-01-01,${i + 1}\n`).join("");
/** A transactions file whose date column holds `dates` (one row each) */
const dated = (dates: string[]) => HEAD + dates.map((d, i) => `o${i},c${i},${d},1\n`).join("");

async function withMemDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(":memory:");
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe("resolveSourceFiles", () => {
  it("refuses a config without transactions, naming the key", async () => {
    const p = mem(txConfig("a.csv"), { "a.csv": HEAD });
    const config = { ...p.config, sources: { customers: p.config.sources.transactions } } as KehuConfig;
    const error = await withMemDb((db) => resolveSourceFiles(db, config)).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe("sources.transactions: required (the transactions export is the one mandatory source)");
  });

  it("names an unknown canonical column with the source's columns", async () => {
    const p = mem(
      { sources: { transactions: { files: "a.csv" }, visits: { files: "v.csv", columns: { visit_on: "d" } } } },
      { "a.csv": HEAD, "v.csv": "x\n" },
    );
    const error = await withMemDb((db) => resolveSourceFiles(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      "sources.visits.columns.visit_on: unknown column; expected one of visit_id, customer_id, visited_at, kind, sales_rep, outcome, notes",
    );
  });

  it("expands globs in order, keeps each file once, follows the source order and skips table sources", async () => {
    const p = mem(
      {
        sources: {
          // a file named twice (once by a glob) is read once; entries come in SOURCE_NAMES order, not config order
          visits: { files: ["v/b.csv", "v/?.csv"] },
          transactions: { files: ["t/*.csv", "t/[a]1.csv"], columns: { order_id: "id" } },
        },
      },
      { "t/b2.csv": HEAD, "t/a1.csv": HEAD, "t/c.txt": HEAD, "v/a.csv": "x\n", "v/b.csv": "x\n" },
    );
    const table = { ...p.config.sources.visits, files: undefined, table: "crm.complaints" };
    const config = { ...p.config, sources: { ...p.config.sources, complaints: table } } as KehuConfig;
    const entries = await withMemDb((db) => resolveSourceFiles(db, config));
    expect(entries.map((e) => [e.source, e.paths])).toEqual([
      ["transactions", [join(p.dir, "t/a1.csv"), join(p.dir, "t/b2.csv")]],
      ["visits", [join(p.dir, "v/b.csv"), join(p.dir, "v/a.csv")]],
    ]);
    expect(entries[0].config.columns).toEqual({ order_id: "id" });
  });

  it("takes a single pattern as a string, relative to the config directory", async () => {
    const p = mem(txConfig("a.csv"), { "a.csv": HEAD, "sub/b.csv": HEAD });
    const config = { ...p.config, sources: { transactions: { ...p.config.sources.transactions, files: "sub/b.csv" } } };
    const entries = await withMemDb((db) => resolveSourceFiles(db, config as KehuConfig));
    expect(entries.map((e) => e.paths)).toEqual([[join(p.dir, "sub/b.csv")]]);
  });

  it("names a missing file, an empty glob, a directory and a device with the files key", async () => {
    const p = mem(txConfig("a.csv"), { "a.csv": HEAD, "exports/x.csv": HEAD });
    const fail = (files: string) =>
      withMemDb((db) =>
        resolveSourceFiles(db, {
          ...p.config,
          sources: { transactions: { ...p.config.sources.transactions, files } },
        } as KehuConfig),
      ).catch((e) => e);
    const missing = await fail("nope.csv");
    expect(missing).toBeInstanceOf(SourceFileError);
    expect(missing.message).toBe(`${join(p.dir, "nope.csv")}: file not found (fix: sources.transactions.files)`);
    expect((await fail("exports/*.tsv")).message).toBe(
      `${join(p.dir, "exports/*.tsv")}: no file matches this pattern (fix: sources.transactions.files)`,
    );
    expect((await fail("exports")).message).toBe(
      `${join(p.dir, "exports")}: is a directory, not a file; name the files in it, e.g. "exports/*.csv" (fix: sources.transactions.files)`,
    );
    expect((await fail("/dev/null")).message).toBe(
      "/dev/null: is not a regular file (fix: sources.transactions.files)",
    );
  });
});

describe("sourceFileName", () => {
  it("is relative to the config directory with / separators, else the absolute path", () => {
    const config = { configDir: "/data/proj" } as unknown as KehuConfig;
    expect(sourceFileName(config, "/data/proj/exports/a.csv")).toBe("exports/a.csv");
    expect(sourceFileName(config, "/data/other/a.csv")).toBe("/data/other/a.csv");
    expect(sourceFileName(config, "/data/proj")).toBe("/data/proj");
    expect(sourceFileName(config, "/data/proj2/a.csv")).toBe("/data/proj2/a.csv");
  });

  it("is relative to the working directory without a config directory", () => {
    const config = {} as KehuConfig;
    expect(sourceFileName(config, resolve(process.cwd(), "x/y.csv"))).toBe("x/y.csv");
    expect(sourceFileName(config, "/")).toBe("/");
  });
});

describe("a run over the reject limit", () => {
  it("writes the failing file's rejected rows only and lists the first five in the message", async () => {
    // ok.csv: 1 of 3 rows rejected (33%, under 0.5); bad.csv: 6 of 7 (86%) -> the run fails on bad.csv
    const bad =
      HEAD +
      "b1,c1,2024-01-01,1\n" +
      "b2,,2024-01-01,1\n" +
      "b3,c3,2024-02-30,1\n" +
      "b4,c4,2024-01-01,zwei\n" +
      "b5,,2024-01-01,1\n" +
      "b6,c6,,1\n" +
      "b7,c7,2024-01-01,\n";
    const p = mem(txConfig(["ok.csv", "bad.csv"], {}, { maxRejectRate: 0.5 }), {
      "ok.csv": HEAD + good(2) + "o3,c3,2024-01-01,drei\n",
      "bad.csv": bad,
    });
    const error = await p.withDb((db) => ingestSources(db, p.config, { now: NOW })).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    const out = join(p.config.rejectedDir, `transactions-${STAMP}.csv`);
    expect(error.message).toBe(
      "bad.csv: 6 of 7 rows rejected (85.71%), above the limit of 50.00% (--max-reject-rate / maxRejectRate). " +
        `The database was not changed. Rejected rows with line, column, value and reason: ${out}\n` +
        "First rejected rows:\n" +
        "  line 3, column customer_id, value null: missing required value\n" +
        '  line 4, column ordered_at, value "2024-02-30": not a date in format ISO yyyy-mm-dd\n' +
        '  line 5, column amount, value "zwei": not a number (expected e.g. 1234.56)\n' +
        "  line 6, column customer_id, value null: missing required value\n" +
        "  line 7, column ordered_at, value null: missing required value",
    );
    expect(readFileSync(out, "utf8").trim().split(/\r?\n/)).toEqual([
      "file,line,column,value,reason",
      "bad.csv,3,customer_id,,missing required value",
      "bad.csv,4,ordered_at,2024-02-30,not a date in format ISO yyyy-mm-dd",
      "bad.csv,5,amount,zwei,not a number (expected e.g. 1234.56)",
      "bad.csv,6,customer_id,,missing required value",
      "bad.csv,7,ordered_at,,missing required value",
      "bad.csv,8,amount,,missing required value",
    ]);
    // nothing else: the run's other rejected file was never written
    expect(readdirSync(p.config.rejectedDir)).toEqual([`transactions-${STAMP}.csv`]);
  });

  it("names rejectedDir when it cannot be created", async () => {
    const p = mem(txConfig("a.csv", {}, { rejectedDir: "blocker/rejected" }), {
      "a.csv": HEAD + "o1,,2024-01-01,1\n",
      blocker: "a file, not a directory",
    });
    const error = await p.withDb((db) => ingestSources(db, p.config, { now: NOW })).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `rejectedDir: cannot create ${join(p.dir, "blocker/rejected")} (ENOTDIR); set rejectedDir to a directory kehu may write`,
    );
  });
});

describe("checkSources", () => {
  const rows = (badCount: number) =>
    HEAD + good(100 - badCount) + Array.from({ length: badCount }, (_, i) => `x${i},c,2024-01-01,bad\n`).join("");

  it("passes 1 of 100 at the 1% limit, reports 2 of 100, and takes the option over the config", async () => {
    const p = mem(txConfig(["at.csv", "above.csv"]), { "at.csv": rows(1), "above.csv": rows(2) });
    const report = await checkSources(p.config, { now: NOW });
    expect(report.problems).toEqual(["above.csv: 2 of 100 rows would be rejected (2.00%), above the limit of 1.00%"]);
    expect(report.ok).toBe(false);
    expect(report.files.map((f) => [f.file, f.rowsRead, f.loaded, f.rejected])).toEqual([
      ["at.csv", 100, 99, 1],
      ["above.csv", 100, 98, 2],
    ]);
    const lenient = await checkSources(p.config, { maxRejectRate: 0.02 });
    expect(lenient).toMatchObject({ ok: true, problems: [] });
    const strict = await checkSources({ ...p.config, maxRejectRate: 0.005 });
    expect(strict.problems).toEqual([
      "at.csv: 1 of 100 rows would be rejected (1.00%), above the limit of 0.50%",
      "above.csv: 2 of 100 rows would be rejected (2.00%), above the limit of 0.50%",
    ]);
    expect(existsSync(p.config.rejectedDir)).toBe(false);
  });

  it("collects a file-level problem of one file and goes on with the next; a config problem ends the check", async () => {
    const p = mem(txConfig(["empty.csv", "ok.csv"]), { "empty.csv": "", "ok.csv": HEAD + good(2) });
    const report = await checkSources(p.config);
    expect(report).toMatchObject({
      ok: false,
      problems: ["empty.csv: the file is empty (no header line) (fix: sources.transactions.files)"],
    });
    expect(report.files.map((f) => [f.file, f.loaded])).toEqual([["ok.csv", 2]]);
    const missing = await checkSources({
      ...p.config,
      sources: { transactions: { ...p.config.sources.transactions, files: ["gone.csv"] } },
    } as KehuConfig);
    expect(missing).toEqual({
      files: [],
      problems: [`${join(p.dir, "gone.csv")}: file not found (fix: sources.transactions.files)`],
      ok: false,
    });
    const clean = await checkSources({
      ...p.config,
      sources: { transactions: { ...p.config.sources.transactions, files: [join(p.dir, "ok.csv")] } },
    } as KehuConfig);
    expect(clean).toMatchObject({ ok: true, problems: [] });
    expect(clean.files).toHaveLength(1);
  });

  it("lets an error that is not about the data through", async () => {
    const p = mem(txConfig("a.csv"), { "a.csv": HEAD });
    const config = { ...p.config, sources: { transactions: { ...p.config.sources.transactions, columns: null } } };
    await expect(checkSources(config as unknown as KehuConfig)).rejects.toBeInstanceOf(TypeError);
  });
});

describe("loading a file", () => {
  it("reports each stage with the file's size, logs the load, and skips the same file with the same settings", async () => {
    const content = HEAD + good(2);
    const p = mem(txConfig("a.csv"), { "a.csv": content });
    const events: string[] = [];
    const onProgress = (e: { source: string; file: string; stage: string; bytes: number; bytesDone: number }) =>
      events.push(`${e.source} ${e.file} ${e.stage} ${e.bytes} ${e.bytesDone}`);
    const bytes = Buffer.byteLength(content);
    const first = await p.withDb((db) => ingestSources(db, p.config, { now: NOW, onProgress }));
    const stages = [...new Set(events)];
    expect(stages).toEqual([
      `transactions a.csv inspect ${bytes} ${bytes}`,
      `transactions a.csv read ${bytes} 0`,
      `transactions a.csv validate ${bytes} 0`,
      `transactions a.csv write ${bytes} ${bytes}`,
      `transactions a.csv done ${bytes} ${bytes}`,
    ]);
    expect(first.files[0]).toMatchObject({ file: "a.csv", path: join(p.dir, "a.csv"), skipped: false, loaded: 2 });
    const log = await p.withDb((db) =>
      db.all(
        `select source, source_file, rows_loaded, rows_rejected, loaded_at::varchar as at, content_hash like 'sha256:%;settings:%' as h from ingest_log`,
      ),
    );
    expect(log).toEqual([
      {
        source: "transactions",
        source_file: "a.csv",
        rows_loaded: 2,
        rows_rejected: 0,
        at: "2026-01-02 03:04:05",
        h: true,
      },
    ]);
    events.length = 0;
    // the files key is not part of how the file is read: naming it as a string instead of a list still skips
    const again = await p.withDb((db) =>
      ingestSources(
        db,
        { ...p.config, sources: { transactions: { ...p.config.sources.transactions, files: "a.csv" } } } as KehuConfig,
        { onProgress },
      ),
    );
    expect(again.files[0]).toMatchObject({ skipped: true, loaded: 0, rowsRead: 0 });
    expect([...new Set(events)]).toEqual([
      `transactions a.csv inspect ${bytes} ${bytes}`,
      `transactions a.csv skipped ${bytes} ${bytes}`,
    ]);
    // other plausible dates are another way of reading it: loaded again, replacing the rows
    const wider = await p.withDb((db) =>
      ingestSources(db, { ...p.config, plausibleDates: { ...p.config.plausibleDates, min: "1980-01-01" } }),
    );
    expect(wider.files[0]).toMatchObject({ skipped: false, replaced: true, loaded: 2 });
    expect(
      await p.withDb((db) =>
        db.all(`select count(*)::integer as n, count(distinct content_hash)::integer as h from ingest_log`),
      ),
    ).toEqual([{ n: 1, h: 1 }]);
  });

  it("reloads when the date format setting changes", async () => {
    const p = mem(txConfig("a.csv"), { "a.csv": HEAD + good(1) });
    await p.withDb((db) => ingestSources(db, p.config));
    const iso = { ...p.config, sources: { transactions: { ...p.config.sources.transactions, dateFormat: "ISO" } } };
    const report = await p.withDb((db) => ingestSources(db, iso as KehuConfig));
    expect(report.files[0]).toMatchObject({ skipped: false, replaced: true, loaded: 1 });
  });

  it("passes an error thrown by onProgress through unchanged, and leaves no scratch table behind", async () => {
    const p = mem(txConfig("a.csv"), { "a.csv": HEAD + good(1) });
    const boom = new Error("progress bar broke");
    const error = await p
      .withDb((db) =>
        ingestSources(db, p.config, {
          onProgress: (e) => {
            if (e.stage === "inspect") throw boom;
          },
        }),
      )
      .catch((e) => e);
    expect(error).toBe(boom);
    // whatever it throws, a value that is not an Error included
    const thrown = await p
      .withDb((db) =>
        ingestSources(db, p.config, {
          onProgress: () => {
            throw null;
          },
        }),
      )
      .then(
        () => "resolved",
        (e) => e,
      );
    expect(thrown).toBeNull();
    await p.withDb((db) => ingestSources(db, p.config));
    const scratch = await p.withDb((db) =>
      db.all(`select table_name from duckdb_tables() where table_name like 'kehu_%' union all
              select view_name from duckdb_views() where view_name like 'kehu_%'`),
    );
    expect(scratch).toEqual([]);
  });

  it("refuses an empty file with a header", async () => {
    const p = mem(txConfig("e.csv"), { "e.csv": "" });
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error.message).toBe("e.csv: the file is empty (no header line) (fix: sources.transactions.files)");
  });
});

describe("date-format detection", () => {
  const detect = async (dates: string[], extra: Record<string, unknown> = {}) => {
    const p = mem(txConfig("d.csv", extra, { maxRejectRate: 1 }), { "d.csv": dated(dates) });
    const report = await checkSources(p.config, { now: NOW });
    if (!report.files.length) return { problems: report.problems };
    const f = report.files[0];
    return { format: f.dateFormats.ordered_at, loaded: f.loaded, rejected: f.rejected, problems: report.problems };
  };

  it("finds each format from its values", async () => {
    expect(await detect(["20240131", "20240201"])).toMatchObject({ format: "yyyymmdd", loaded: 2 });
    expect(await detect(["2024/1/31", "2024/2/1"])).toMatchObject({ format: "yyyy/m/d", loaded: 2 });
    expect(await detect(["2024年1月31日", "2024年2月1日"])).toMatchObject({ format: "yyyy年m月d日", loaded: 2 });
    expect(await detect(["2024-01-31", "2024-02-01"])).toMatchObject({ format: "ISO", loaded: 2 });
    expect(await detect(["31/1/2024", "1/2/2024"])).toMatchObject({ format: "d/m/yyyy", loaded: 2 });
    expect(await detect(["1/31/2024", "2/1/2024"])).toMatchObject({ format: "m/d/yyyy", loaded: 2 });
  });

  it("takes the format most values read in, rejecting the others with the format named", async () => {
    const p = mem(txConfig("d.csv", {}, { maxRejectRate: 1 }), {
      "d.csv": dated(["31/1/2024", "13/2/2024", "2024-03-01"]),
    });
    const report = await checkSources(p.config, { now: NOW });
    expect(report.files[0]).toMatchObject({ dateFormats: { ordered_at: "d/m/yyyy" }, loaded: 2, rejected: 1 });
    expect(report.files[0].sampleRejects).toEqual([
      {
        file: "d.csv",
        line: 4,
        column: "ordered_at",
        value: "2024-03-01",
        reason: expect.stringMatching(/^not a date in format d\/m\/yyyy/),
      },
    ]);
  });

  it("falls back to ISO when no value reads in any format", async () => {
    expect(await detect(["soon", "later"])).toMatchObject({ format: "ISO", loaded: 0, rejected: 2 });
  });

  it("refuses dates that read both as d/m/yyyy and m/d/yyyy, naming the column and key", async () => {
    const { problems } = await detect(["1/2/2024", "3/4/2024"]);
    expect(problems).toEqual([
      "d.csv: dates in column ordered_at read as both d/m/yyyy and m/d/yyyy (no day above 12); set dateFormat to the one the export uses (fix: sources.transactions.dateFormat)",
    ]);
  });

  it("settles a tie on the 2,000-value sample with a day above 12 later in the file, either way", async () => {
    const tied = Array.from({ length: 2000 }, () => "1/2/2024");
    expect(await detect([...tied, "13/2/2024"])).toMatchObject({ format: "d/m/yyyy", loaded: 2001, rejected: 0 });
    expect(await detect([...tied, "2/13/2024"])).toMatchObject({ format: "m/d/yyyy", loaded: 2001, rejected: 0 });
  });

  it("samples non-empty values only", async () => {
    // 2,000 empty dates first: a sample of them would find no format and fall back to ISO
    const p = mem(
      { sources: { transactions: { files: "t.csv" }, invoices: { files: "i.csv" } }, maxRejectRate: 1 },
      {
        "t.csv": HEAD + good(1),
        "i.csv":
          "invoice_id,customer_id,issued_at,due_at,amount,paid_at\n" +
          Array.from({ length: 2000 }, (_, i) => `i${i},c1,2024/1/1,2024/2/1,5,\n`).join("") +
          "j1,c1,2024/1/1,2024/2/1,5,2024/1/20\n",
      },
    );
    const report = await checkSources(p.config, { now: NOW });
    expect(report.files[1]).toMatchObject({
      dateFormats: { issued_at: "yyyy/m/d", due_at: "yyyy/m/d", paid_at: "yyyy/m/d" },
      loaded: 2001,
      rejected: 0,
    });
  });

  it("uses a configured format for every date column without looking", async () => {
    const p = mem(
      {
        sources: {
          transactions: { files: "t.csv" },
          invoices: { files: "i.csv", dateFormat: "d/m/yyyy" },
        },
        maxRejectRate: 1,
      },
      {
        "t.csv": HEAD + good(1),
        "i.csv":
          "invoice_id,customer_id,issued_at,due_at,amount\ni1,c1,1/2/2024,3/2/2024,5\ni2,c1,2024-01-01,1/2/2024,5\n",
      },
    );
    const report = await checkSources(p.config, { now: NOW });
    expect(report.files[1]).toMatchObject({
      dateFormats: { issued_at: "d/m/yyyy", due_at: "d/m/yyyy" },
      loaded: 1,
      rejected: 1,
    });
  });

  it("has nothing to detect in a source without date columns", async () => {
    const p = mem(
      { sources: { transactions: { files: "t.csv" }, customers: { files: "c.csv" } } },
      { "t.csv": HEAD + good(1), "c.csv": "customer_id,name\nc1,Li\n" },
    );
    const report = await checkSources(p.config, { now: NOW });
    expect(report.files[1]).toMatchObject({ dateFormats: {}, loaded: 1 });
  });
});

describe("validateAndInsert", () => {
  const md5 = (s: string) => createHash("md5").update(s).digest("hex").slice(0, 16);

  it("generates an absent or empty key from the file name and line", async () => {
    const p = mem(
      { sources: { transactions: { files: "t.csv" }, visits: { files: "v.csv" } } },
      {
        "t.csv": `${HEAD}o1,c1,2024-01-01,1\n,c2,2024-01-02,2\n`,
        "v.csv": "customer_id,visited_at\nc1,2024-01-03\nc2,2024-01-04\n",
      },
    );
    await p.withDb((db) => ingestSources(db, p.config));
    const rows = await p.withDb((db) =>
      db.all(`select order_id as id, quantity, product from transactions union all
              select visit_id, null, kind from visits order by 1`),
    );
    expect(rows).toEqual(
      [
        { id: "o1", quantity: null, product: null },
        { id: `tra-${md5("t.csv:3")}`, quantity: null, product: null },
        { id: `vis-${md5("v.csv:2")}`, quantity: null, product: null },
        { id: `vis-${md5("v.csv:3")}`, quantity: null, product: null },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });

  it("counts a row with two problems once and lists both, ordered by line and column", async () => {
    const p = mem(txConfig("a.csv", {}, { maxRejectRate: 1 }), {
      "a.csv": `${HEAD}o1,,2024-01-01,x\no2,c2,2024-01-01,1\no3,c3,yesterday,\n`,
    });
    const report = await p.withDb((db) => ingestSources(db, p.config, { now: NOW }));
    expect(report.files[0]).toMatchObject({ rowsRead: 3, loaded: 1, rejected: 2 });
    expect(report.files[0].sampleRejects).toEqual([
      { file: "a.csv", line: 2, column: "amount", value: "x", reason: "not a number (expected e.g. 1234.56)" },
      { file: "a.csv", line: 2, column: "customer_id", value: null, reason: "missing required value" },
      { file: "a.csv", line: 4, column: "amount", value: null, reason: "missing required value" },
      {
        file: "a.csv",
        line: 4,
        column: "ordered_at",
        value: "yesterday",
        reason: "not a date in format ISO yyyy-mm-dd",
      },
    ]);
    const stored = await p.withDb((db) =>
      db.all(
        `select source, source_file, line, "column", rejected_at::varchar as at from rejected_rows order by line, "column"`,
      ),
    );
    expect(stored.map((r) => Object.values(r).join(" "))).toEqual([
      "transactions a.csv 2 amount 2026-01-02 03:04:05",
      "transactions a.csv 2 customer_id 2026-01-02 03:04:05",
      "transactions a.csv 4 amount 2026-01-02 03:04:05",
      "transactions a.csv 4 ordered_at 2026-01-02 03:04:05",
    ]);
  });

  it("keeps the first of a repeated customer and rejects every later one", async () => {
    const p = mem(
      { sources: { transactions: { files: "t.csv" }, customers: { files: "c.csv" } }, maxRejectRate: 1 },
      { "t.csv": HEAD + good(1), "c.csv": "customer_id,name\nc1,A\nc2,B\nc1,C\nc1,D\nc3,E\n" },
    );
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[1]).toMatchObject({ rowsRead: 5, loaded: 3, rejected: 2 });
    expect(report.files[1].sampleRejects.map((r) => `${r.line} ${r.column} ${r.value} ${r.reason}`)).toEqual([
      "4 customer_id c1 duplicate customer_id in this file (first occurrence kept)",
      "5 customer_id c1 duplicate customer_id in this file (first occurrence kept)",
    ]);
    const names = await p.withDb((db) => db.all(`select customer_id, name from customers order by customer_id`));
    expect(names).toEqual([
      { customer_id: "c1", name: "A" },
      { customer_id: "c2", name: "B" },
      { customer_id: "c3", name: "E" },
    ]);
  });

  it("rejects a whitespace line with more fields than the header, not one with as many", async () => {
    const p = mem(txConfig("w.txt", { format: "whitespace" }, { maxRejectRate: 1 }), {
      "w.txt": "customer_id ordered_at amount\nc1 2024-01-01 1\nc2 2024-01-02 2 extra\nc3 2024-01-03 3\n",
    });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ rowsRead: 3, loaded: 2, rejected: 1 });
    expect(report.files[0].sampleRejects).toEqual([
      { file: "w.txt", line: 3, column: "*", value: null, reason: "expected 3 fields, found 4" },
    ]);
  });

  it("numbers wrong field counts by physical line, after quoted newlines and without a header", async () => {
    const p = mem(txConfig("q.csv", {}, { maxRejectRate: 1 }), {
      "q.csv": `${HEAD}o1,c1,2024-01-01,1\no2,"c\n2",2024-01-01,1\no3,c3,2024-01-01,1,extra\no4,c4,2024-01-01,1\no5,c5,2024-01-01\n`,
    });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ rowsRead: 5, loaded: 3, rejected: 2 });
    expect(report.files[0].sampleRejects.map((r) => `${r.line} ${r.column} ${r.value} ${r.reason}`)).toEqual([
      "5 * found 5, expected 4 wrong number of fields",
      "7 * found 3, expected 4 wrong number of fields",
    ]);
    const n = mem(
      txConfig("n.csv", { header: false, columns: { customer_id: 1, ordered_at: 2, amount: 3 } }, { maxRejectRate: 1 }),
      {
        "n.csv": "c1,2024-01-01,1\nc2,2024-01-02,2,extra\nc3,2024-01-03,3\n",
      },
    );
    const plain = await n.withDb((db) => ingestSources(db, n.config));
    expect(plain.files[0]).toMatchObject({ rowsRead: 3, loaded: 2, rejected: 1 });
    expect(plain.files[0].sampleRejects.map((r) => `${r.line} ${r.value}`)).toEqual(["2 found 4, expected 3"]);
  });
});

describe("report fields of a load", () => {
  it("a skipped file and a checked file report nothing rejected, skipped or replaced", async () => {
    const p = mem(txConfig("a.csv"), { "a.csv": HEAD + good(2) });
    const checked = await checkSources(p.config);
    expect(checked.files[0]).toMatchObject({ skipped: false, replaced: false, warnings: [], sampleRejects: [] });
    const first = await p.withDb((db) => ingestSources(db, p.config));
    // no line loaded elsewhere and no duplicate: no warning
    expect(first.files[0]).toMatchObject({ warnings: [], linesLoadedElsewhere: 0, duplicateRows: 0 });
    const again = await p.withDb((db) => ingestSources(db, p.config));
    expect(again.files[0]).toMatchObject({ skipped: true, sampleRejects: [], warnings: [], rejected: 0 });
  });

  it("counts a row repeated within the file", async () => {
    const p = mem(txConfig("a.csv"), {
      "a.csv": `${HEAD}o1,c1,2024-01-01,1\no2,c2,2024-01-01,2\no1,c1,2024-01-01,1\n`,
    });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ loaded: 3, duplicateRows: 1 });
    expect(report.files[0].warnings).toEqual([
      "1 row(s) repeat an earlier row of the same file exactly (loaded as they are: check the export)",
    ]);
  });

  it("a UTF-16 export is converted, and its identity is the original file's bytes", async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEAD + good(2), "utf16le")]);
    const p = mem(txConfig("u.csv"), { "u.csv": bytes });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ convertedFrom: "utf-16le", loaded: 2 });
    const [log] = await p.withDb((db) => db.all<{ h: string }>(`select content_hash as h from ingest_log`));
    expect(log.h.startsWith(`sha256:${createHash("sha256").update(bytes).digest("hex")};`)).toBe(true);
  });

  it("reports the transcode stage for a file with invalid UTF-8", async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEAD}o1,c1,2024-01-01,1\no2,c`),
      Buffer.from([0xff]),
      Buffer.from(",2024-01-01,2\n"),
    ]);
    const p = mem(txConfig("b.csv", {}, { maxRejectRate: 1 }), { "b.csv": bytes });
    const stages: string[] = [];
    const report = await p.withDb((db) =>
      ingestSources(db, p.config, { onProgress: (e) => stages.at(-1) !== e.stage && stages.push(e.stage) }),
    );
    expect(stages).toEqual(["inspect", "transcode", "read", "validate", "write", "done"]);
    expect(report.files[0]).toMatchObject({ loaded: 1, rejected: 1 });
  });

  it("never echoes a value of a file outside the config directory", async () => {
    const outside = mem(txConfig("x.csv"), { "x.csv": `${HEAD}o1,c1,2024-01-01,secret-amount\no2,c2,2024-01-01,1\n` });
    const p = mem(txConfig(join(outside.dir, "x.csv"), {}, { maxRejectRate: 1 }), {});
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0].file).toBe(join(outside.dir, "x.csv"));
    expect(report.files[0].sampleRejects).toEqual([
      {
        file: join(outside.dir, "x.csv"),
        line: 2,
        column: "amount",
        value: null,
        reason: "not a number (expected e.g. 1234.56)",
      },
    ]);
  });

  it("settles the sample's format against the whole file only on a d/m - m/d tie", async () => {
    // the sample (first 2,000) is ISO; 2,001 later d/m/yyyy dates do not change the format: they are rejected
    const p = mem(txConfig("d.csv", {}, { maxRejectRate: 1 }), {
      "d.csv": dated([
        ...Array.from({ length: 2000 }, () => "2024-02-01"),
        ...Array.from({ length: 2001 }, () => "13/2/2024"),
      ]),
    });
    const report = await checkSources(p.config, { now: NOW });
    expect(report.files[0]).toMatchObject({ dateFormats: { ordered_at: "ISO" }, loaded: 2000, rejected: 2001 });
    // a sample that is d/m/yyyy alone stays d/m/yyyy, though more later values read as m/d/yyyy only
    const q = mem(txConfig("e.csv", {}, { maxRejectRate: 1 }), {
      "e.csv": dated([
        ...Array.from({ length: 2000 }, () => "13/1/2024"),
        ...Array.from({ length: 2001 }, () => "1/13/2024"),
      ]),
    });
    const dm = await checkSources(q.config, { now: NOW });
    expect(dm.files[0]).toMatchObject({ dateFormats: { ordered_at: "d/m/yyyy" }, loaded: 2000, rejected: 2001 });
  });
});

describe("read errors, encoding errors and temporary files", () => {
  it("names a file that stats as a regular file but cannot be read, in ingest and in check", async () => {
    // /proc/self/mem: a regular file of size 0 whose every read fails with EIO (the first bytes included)
    const p = mem(txConfig("/proc/self/mem"));
    const message = "/proc/self/mem: cannot read the file: EIO: i/o error, read (fix: sources.transactions.files)";
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toBe(message);
    expect(await checkSources(p.config)).toEqual({ files: [], problems: [message], ok: false });
  });

  it("names a file whose first bytes read but whose inspection fails, in ingest and in check", async () => {
    const p = mem(txConfig(["a.csv", "b.csv"]), { "a.csv": HEAD + good(1), "b.csv": HEAD + good(2) });
    unreadable.path = join(p.dir, "a.csv");
    try {
      const message = "a.csv: cannot read the file: EIO: i/o error, read (fix: sources.transactions.files)";
      const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
      expect(error).toBeInstanceOf(SourceFileError);
      expect(error.message).toBe(message);
      const report = await checkSources(p.config);
      expect(report.problems).toEqual([message]);
      expect(report.files.map((f) => [f.file, f.loaded])).toEqual([["b.csv", 2]]);
    } finally {
      unreadable.path = "";
    }
  });

  it("names the encoding key when the declared encoding is wrong", async () => {
    const utf8 = mem(txConfig("a.csv", { encoding: "gbk" }), { "a.csv": `${HEAD}o1,客户,2024-01-01,1\n` });
    expect((await checkSources(utf8.config)).problems).toEqual([
      'a.csv: the file is UTF-8, not gbk as declared; set "auto" or "utf-8" (fix: sources.transactions.encoding)',
    ]);
    const gbk = mem(txConfig("a.csv", { encoding: "utf-8" }), {
      "a.csv": iconv.encode(`${HEAD}o1,客户,2024-01-01,1\n`, "gbk"),
    });
    expect((await checkSources(gbk.config)).problems).toEqual([
      'a.csv: the file is not valid UTF-8 (declared "utf-8"; try "auto" or "gb18030") (fix: sources.transactions.encoding)',
    ]);
  });

  /**
   * Ingest `p` with TMPDIR set to a directory of this test's own; returns what was in it when the file was read
   * (the temporary copy kehu made), what is left after the run, and the run's error if it failed.
   */
  async function tempDirs(p: ReturnType<typeof mem>) {
    const root = join(p.dir, "tmp");
    mkdirSync(root);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = root;
    let during: string[] = [];
    try {
      const onProgress = (e: { stage: string }) => {
        if (e.stage === "read") during = readdirSync(root);
      };
      const error = await p
        .withDb((db) => ingestSources(db, p.config, { onProgress }))
        .then(() => undefined)
        .catch((e: Error) => e);
      return { during: during.map((d) => d.replace(/-[^-]+$/, "-*")), left: readdirSync(root), error };
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  }
  const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  const noDate = "order_id,customer_id,amount\no1,客户,1\n";

  it("removes the transcoded copy of a GBK file after a load and after a failed one", async () => {
    const ok = await tempDirs(
      mem(txConfig("g.csv", { encoding: "gbk" }), { "g.csv": iconv.encode(`${HEAD}o1,客户,2024-01-01,1\n`, "gbk") }),
    );
    expect(ok).toEqual({ during: ["kehu-ingest-*"], left: [], error: undefined });
    const failed = await tempDirs(
      mem(txConfig("g.csv", { encoding: "gbk" }), { "g.csv": iconv.encode(noDate, "gbk") }),
    );
    expect(failed.error?.message).toMatch(/^g\.csv: required column ordered_at not found/);
    expect(failed).toMatchObject({ during: ["kehu-ingest-*"], left: [] });
  });

  it("removes its transcoding directory when the transcode fails part way (a read error)", async () => {
    // /proc/self/mem opens but every read of it fails (EIO), root or not: the pipeline fails after mkdtemp
    const gbk = project(txConfig("g.csv"), { "g.csv": iconv.encode(`${HEAD}o1,客户,2024-01-01,1\n`, "gbk") });
    const root = join(gbk.dir, "tmp");
    mkdirSync(root);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = root;
    try {
      await expect(transcodeToUtf8("/proc/self/mem", "gb18030")).rejects.toThrow(/EIO/);
      expect(readdirSync(root)).toEqual([]);
      const ok = await transcodeToUtf8(join(gbk.dir, "g.csv"), "gb18030");
      expect(readFileSync(ok.path, "utf8")).toBe(`${HEAD}o1,客户,2024-01-01,1\n`);
      expect(readdirSync(root)).toEqual([ok.dir.slice(root.length + 1)]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it("removes the converted copy of a UTF-16 file after a load and after a failed one", async () => {
    const ok = await tempDirs(mem(txConfig("u.csv"), { "u.csv": utf16(HEAD + good(2)) }));
    expect(ok).toEqual({ during: ["kehu-convert-*"], left: [], error: undefined });
    const failed = await tempDirs(mem(txConfig("u.csv"), { "u.csv": utf16(noDate) }));
    expect(failed.error?.message).toMatch(/^u\.csv: required column ordered_at not found/);
    expect(failed).toMatchObject({ during: ["kehu-convert-*"], left: [] });
  });

  it("removes the directory of a conversion that fails", async () => {
    const xlsx = await tempDirs(mem(txConfig("w.xlsx", { format: "xlsx" }), { "w.xlsx": "not a workbook" }));
    expect(xlsx.error).toBeInstanceOf(SourceFileError);
    expect(xlsx.error?.message).toMatch(/^w\.xlsx: cannot read it as an Excel workbook \(\.xlsx\): /);
    expect(xlsx.left).toEqual([]);
    const parquet = await tempDirs(mem(txConfig("t.parquet", { format: "parquet" }), { "t.parquet": "not parquet" }));
    expect(parquet.error?.message).toMatch(/^t\.parquet: cannot read it as Parquet: /);
    expect(parquet.left).toEqual([]);
  });

  it("lets an error that is not about the data through from a file's load, in check and in ingest", async () => {
    // the temporary directory cannot be made (TMPDIR names a file): an error of the machine, not of the export
    const p = mem(txConfig(["u.csv", "a.csv"]), { "u.csv": utf16(HEAD + good(1)), "a.csv": HEAD + good(1), tmp: "" });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(p.dir, "tmp");
    try {
      const expected = { code: "ENOTDIR", syscall: "mkdtemp" };
      const checked = await checkSources(p.config).catch((e) => e);
      expect(checked).not.toBeInstanceOf(DataError);
      expect(checked).toMatchObject(expected);
      const ingested = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
      expect(ingested).toMatchObject(expected);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
