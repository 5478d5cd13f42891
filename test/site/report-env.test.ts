/**
 * src/report/marts.ts in small: the loaders' settings from the environment, which columns count as personal, the
 * mart files a source lists, and the analysis date's fallbacks. Expected values are written out by hand.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDatabase } from "../../src/data/db.ts";
import {
  isCustomerIdColumn,
  openReportSource,
  personalColumns,
  piiKind,
  reportEnv,
  resolveAsOf,
  withReportSource,
  type ReportEnv,
} from "../../src/report/marts.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("reportEnv", () => {
  it("has the documented defaults without any variable", () => {
    const env = reportEnv({ KEHU_BUILT_AT: "2024-07-01T00:00:00.000Z" });
    expect(env).toEqual({
      martsDir: resolve("data/marts"),
      tablesDir: null,
      locale: "zh-CN",
      currency: "CNY",
      maskPii: false,
      salt: "kehu-default-salt",
      topCustomers: 500,
      title: null,
      builtAt: "2024-07-01T00:00:00.000Z",
      runId: null,
    });
    expect(Date.parse(reportEnv({}).builtAt)).toBeGreaterThan(Date.parse("2024-01-01"));
  });

  it("reads every KEHU_ variable", () => {
    expect(
      reportEnv({
        KEHU_MARTS_DIR: "m",
        KEHU_TABLES_DIR: "t",
        KEHU_LOCALE: "en",
        KEHU_CURRENCY: "EUR",
        KEHU_MASK_PII: "1",
        KEHU_PII_SALT: "s",
        KEHU_TOP_CUSTOMERS: "7",
        KEHU_TITLE: "Shop",
        KEHU_BUILT_AT: "x",
        KEHU_RUN_ID: "r1",
      }),
    ).toEqual({
      martsDir: resolve("m"),
      tablesDir: resolve("t"),
      locale: "en",
      currency: "EUR",
      maskPii: true,
      salt: "s",
      topCustomers: 7,
      title: "Shop",
      builtAt: "x",
      runId: "r1",
    });
  });

  it("masks for KEHU_MASK_PII 1 or true only; any other locale is zh-CN", () => {
    expect(reportEnv({ KEHU_MASK_PII: "true" }).maskPii).toBe(true);
    for (const v of ["0", "false", "yes", ""]) expect(reportEnv({ KEHU_MASK_PII: v }).maskPii, v).toBe(false);
    expect(reportEnv({ KEHU_LOCALE: "fr" }).locale).toBe("zh-CN");
    expect(reportEnv({ KEHU_TOP_CUSTOMERS: "0" }).topCustomers).toBe(0);
  });
});

describe("personal columns", () => {
  it("matches whole column names only, any case", () => {
    const cases: [string, ReturnType<typeof piiKind>][] = [
      ["NAME", "name"],
      ["contact_name", "name"],
      ["company_name", "name"],
      ["names", null],
      ["surname", null],
      ["x_customer_name", null],
      ["contact", "contact"],
      ["contact_person", "contact"],
      ["referrer_name", "contact"],
      ["contacts", null],
      ["decision_makers", null],
      ["mobile", "phone"],
      ["telephone", "phone"],
      ["tel", "phone"],
      ["fax", "phone"],
      ["home_phone", "phone"],
      ["phones", null],
      ["hotel", null],
      ["mail", "email"],
      ["e_mail", "email"],
      ["gmail", null],
      ["work_email", "email"],
      ["emails", null],
      ["addr", "address"],
      ["ship_address", "address"],
      ["addresses", null],
      ["note", "text"],
      ["comment", "text"],
      ["comments", "text"],
      ["remark", "text"],
      ["remarks", "text"],
      ["visit_notes", "text"],
      ["footnotes", null],
    ];
    for (const [column, kind] of cases) expect(piiKind(column), column).toBe(kind);
  });

  it("customer ids: customer_id and referred_by, any case, whole name", () => {
    expect(["customer_id", "CUSTOMER_ID", "referred_by"].map(isCustomerIdColumn)).toEqual([true, true, true]);
    expect(["customer_ids", "old_customer_id", "referred_by_2", "id"].map(isCustomerIdColumn)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("lists the source columns that are personal, once each", () => {
    const cols = personalColumns();
    expect(cols).toEqual([...new Set(cols)]);
    expect(cols).toEqual(expect.arrayContaining(["customer_id", "name", "phone", "referred_by"]));
    expect(cols).not.toContain("amount");
    expect(cols).not.toContain("region");
  });
});

async function martsDir(files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-report-env-"));
  dirs.push(dir);
  const db = await openDatabase(":memory:");
  try {
    for (const [file, sql] of Object.entries(files)) {
      if (file.endsWith(".parquet")) await db.exec(`copy (${sql}) to '${join(dir, file)}' (format parquet)`);
      else writeFileSync(join(dir, file), sql);
    }
  } finally {
    await db.close();
  }
  return dir;
}

const env = (over: Partial<ReportEnv>): ReportEnv => ({ ...reportEnv({ KEHU_BUILT_AT: "x" }), ...over });

describe("openReportSource", () => {
  it("lists the .parquet marts with plain names, sorted; a table file the build did not copy is left out", async () => {
    const marts = await martsDir({
      "b_mart.parquet": "select 1 as x",
      "a.parquet": "select 2 as x",
      "bad-name.parquet": "select 3 as x",
      "notes.txt": "x",
    });
    const tables = await martsDir({
      "customers.parquet": "select 'C1' as customer_id",
      "secret.parquet": "select 1 as x",
    });
    const source = await openReportSource(env({ martsDir: marts, tablesDir: tables }));
    try {
      expect(source.marts).toEqual(["a", "b_mart"]);
      expect(source.tables).toEqual(["customers"]);
      expect([source.has("a"), source.has("customers"), source.has("secret"), source.has("bad-name")]).toEqual([
        true,
        true,
        false,
        false,
      ]);
      expect(await source.read("b_mart")).toEqual({ name: "b_mart", available: true, rows: [{ x: 1 }] });
      // every other source is an empty table, so loaders' SQL binds
      expect(await source.query("select count(*) as n from visits")).toEqual([{ n: 0 }]);
      expect(source.martFiles().map((f) => f.name)).toEqual(["a", "b_mart"]);
      expect(Number.isNaN(Date.parse(source.martFiles()[0].modifiedAt))).toBe(false);
    } finally {
      await source.close();
    }
  });

  it("reads no marts from a missing directory, and no tables without one", async () => {
    await withReportSource(
      async (source) => {
        expect(source.marts).toEqual([]);
        expect(source.tables).toEqual([]);
        expect(source.has("customers")).toBe(false);
      },
      env({ martsDir: join(tmpdir(), "kehu-no-such-dir"), tablesDir: null }),
    );
  });

  it("a mart wins over a table of the same name", async () => {
    const marts = await martsDir({ "customers.parquet": "select 'mart' as src" });
    const tables = await martsDir({ "customers.parquet": "select 'table' as src" });
    await withReportSource(
      async (source) => expect(await source.query("select src from customers")).toEqual([{ src: "mart" }]),
      env({ martsDir: marts, tablesDir: tables }),
    );
  });

  it("runs a statement that cannot be described as it is", async () => {
    await withReportSource(
      async (source) => {
        await source.exec("create temp table ids as select 1::bigint as id");
        expect(await source.query("select id from ids")).toEqual([{ id: 1 }]);
        expect((await source.query<{ name: string }>("pragma show_tables")).map((r) => r.name)).toContain("ids");
      },
      env({ martsDir: join(tmpdir(), "kehu-no-such-dir") }),
    );
  });

  it("withholds a rejected personal value when masking, keeps the others", async () => {
    const tables = await martsDir({
      "rejected_rows.parquet": "select * from (values ('phone', '1380'), ('amount', 'x1')) t(\"column\", value)",
    });
    const marts = await martsDir({});
    const rows = (masked: boolean) =>
      withReportSource(
        (s) => s.query('select "column", value from rejected_rows order by 1'),
        env({ martsDir: marts, tablesDir: tables, maskPii: masked }),
      );
    expect(await rows(true)).toEqual([
      { column: "amount", value: "x1" },
      { column: "phone", value: null },
    ]);
    expect(await rows(false)).toEqual([
      { column: "amount", value: "x1" },
      { column: "phone", value: "1380" },
    ]);
  });
});

describe("resolveAsOf", () => {
  const asOf = async (files: Record<string, string>, tables: Record<string, string> = {}) =>
    withReportSource(
      (s) => resolveAsOf(s),
      env({ martsDir: await martsDir(files), tablesDir: await martsDir(tables) }),
    );

  it("takes KEHU_AS_OF, else the fits' as_of, else the last purchase, else the last transaction", async () => {
    const fit = "select date '2024-05-31' as as_of";
    const summary = "select date '2024-04-30' as last_purchase";
    const tx = "select timestamp '2024-03-31 10:00:00' as ordered_at";
    const saved = process.env.KEHU_AS_OF;
    delete process.env.KEHU_AS_OF;
    try {
      expect(
        await asOf({ "model_fit.parquet": fit, "customer_summary.parquet": summary }, { "transactions.parquet": tx }),
      ).toBe("2024-05-31");
      expect(await asOf({ "customer_summary.parquet": summary }, { "transactions.parquet": tx })).toBe("2024-04-30");
      expect(await asOf({ "model_fit.parquet": "select null::date as as_of" }, { "transactions.parquet": tx })).toBe(
        "2024-03-31",
      );
      expect(await asOf({})).toBeNull();
      process.env.KEHU_AS_OF = "2024-01-01";
      expect(await asOf({ "model_fit.parquet": fit })).toBe("2024-01-01");
    } finally {
      if (saved === undefined) delete process.env.KEHU_AS_OF;
      else process.env.KEHU_AS_OF = saved;
    }
  });
});
