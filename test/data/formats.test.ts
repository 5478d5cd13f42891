/**
 * Exports that are not delimited UTF-8 text: an .xlsx workbook made here with exceljs (typed cells, Excel serial
 * dates, a named sheet, a bad cell rejected with its Excel row), UTF-16LE/BE with and without a byte-order mark,
 * Parquet, and an .xls refused with what to do.
 */
import { afterAll, describe, expect, it } from "vitest";
import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import { cleanupProjects, project, txConfig } from "./helpers.ts";
import { ingestSources } from "../../src/data/ingest.ts";
import { openDatabase } from "../../src/data/db.ts";
import { detectUtf16, excelSerialToDate } from "../../src/data/convert.ts";

afterAll(cleanupProjects);

type Tx = { order_id: string; customer_id: string; ordered_at: string; amount: number; product: string | null };
const rows = (db: Parameters<Parameters<ReturnType<typeof project>["withDb"]>[0]>[0]) =>
  db.all<Tx>(
    "select order_id, customer_id, strftime(ordered_at, '%Y-%m-%d %H:%M:%S') as ordered_at, amount, product from transactions order by ordered_at, order_id",
  );

async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe("xlsx", () => {
  it("reads typed cells from a named sheet: dates, Excel serial dates, numbers, formulas, rich text", async () => {
    const xlsx = await workbook((wb) => {
      wb.addWorksheet("notes").addRow(["not this sheet"]);
      const ws = wb.addWorksheet("订单");
      ws.addRow(["订单编号", "客户编号", "下单日期", "金额", "产品"]);
      ws.addRow(["o1", "c1", new Date(Date.UTC(2024, 2, 8, 9, 30)), 120.5, "乌龙茶"]);
      // 45361 = 2024-03-10 as an Excel serial day, in a cell not formatted as a date
      ws.addRow([
        "o2",
        "c2",
        45361,
        { formula: "2*50", result: 100 },
        { richText: [{ text: "精品" }, { text: "大米" }] },
      ]);
      ws.addRow(["o3", 42, new Date(Date.UTC(2024, 2, 11)), 7, null]);
      // a text amount Excel kept as text: rejected with its Excel row (5)
      ws.addRow(["o4", "c4", new Date(Date.UTC(2024, 2, 12)), "n/a", "x"]);
    });
    const p = project(
      txConfig(
        "orders.xlsx",
        {
          format: "xlsx",
          sheet: "订单",
          columns: {
            order_id: "订单编号",
            customer_id: "客户编号",
            ordered_at: "下单日期",
            amount: "金额",
            product: "产品",
          },
        },
        { maxRejectRate: 0.5 },
      ),
      { "orders.xlsx": xlsx },
      { memory: true },
    );
    await p.withDb(async (db) => {
      const report = await ingestSources(db, p.config);
      expect(report.files[0]).toMatchObject({ loaded: 3, rejected: 1, convertedFrom: "xlsx" });
      expect(await rows(db)).toEqual([
        { order_id: "o1", customer_id: "c1", ordered_at: "2024-03-08 09:30:00", amount: 120.5, product: "乌龙茶" },
        { order_id: "o2", customer_id: "c2", ordered_at: "2024-03-10 00:00:00", amount: 100, product: "精品大米" },
        { order_id: "o3", customer_id: "42", ordered_at: "2024-03-11 00:00:00", amount: 7, product: null },
      ]);
      const rejected = await db.all<{ line: number; column: string; value: string }>(
        'select line, "column", value from rejected_rows',
      );
      expect(rejected).toMatchObject([{ line: 5, column: "amount", value: "n/a" }]);
    });
  });

  it("picks a sheet by number and names the sheets when one is missing", async () => {
    const xlsx = await workbook((wb) => {
      wb.addWorksheet("a").addRow(["x"]);
      const ws = wb.addWorksheet("b");
      ws.addRow(["customer_id", "ordered_at", "amount"]);
      ws.addRow(["c1", "2024-01-02", 5]);
    });
    const good = project(txConfig("w.xlsx", { format: "xlsx", sheet: 2 }), { "w.xlsx": xlsx }, { memory: true });
    await good.withDb(async (db) => expect((await ingestSources(db, good.config)).loaded).toBe(1));
    const bad = project(txConfig("w.xlsx", { format: "xlsx", sheet: "orders" }), { "w.xlsx": xlsx }, { memory: true });
    await bad.withDb(async (db) => {
      await expect(ingestSources(db, bad.config)).rejects.toThrow(
        /w\.xlsx.*no sheet named "orders" \(the workbook has: a, b\)/s,
      );
    });
  });

  it("refuses an .xls with what to do, and a sheet setting on a CSV source is a config error", async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    const p = project(txConfig("old.xls"), { "old.xls": ole }, { memory: true });
    await p.withDb(async (db) => {
      await expect(ingestSources(db, p.config)).rejects.toThrow(/old\.xls.*Excel 97-2003.*save it as \.xlsx/s);
    });
    expect(() => project(txConfig("x.csv", { sheet: 1 }))).toThrow(/sheet applies to format xlsx only/);
  });

  it("converts Excel serial days like Excel (1900 date system)", () => {
    expect(excelSerialToDate(1).toISOString()).toBe("1899-12-31T00:00:00.000Z");
    expect(excelSerialToDate(61).toISOString()).toBe("1900-03-01T00:00:00.000Z");
    expect(excelSerialToDate(45361.5).toISOString()).toBe("2024-03-10T12:00:00.000Z"); // DATE(2024,3,10) = 45361
  });
});

describe('UTF-16 text (Excel\'s "Unicode text")', () => {
  const text = "customer_id\tordered_at\tamount\tproduct\nc1\t2024-01-02\t10\t乌龙茶\nc2\t2024-01-03\t20\tTea\n";
  const be = (s: string) => iconv.encode(s, "utf-16be");
  const cases: Array<[string, Buffer, "utf-16le" | "utf-16be"]> = [
    ["LE with BOM", Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, "utf-16le")]), "utf-16le"],
    ["BE with BOM", Buffer.concat([Buffer.from([0xfe, 0xff]), be(text)]), "utf-16be"],
    ["LE without BOM", iconv.encode(text, "utf-16le"), "utf-16le"],
    ["BE without BOM", be(text), "utf-16be"],
  ];
  it.each(cases)("%s", async (_label, bytes, expected) => {
    expect(detectUtf16(bytes)).toBe(expected);
    const p = project(txConfig("u.txt", { format: "tsv" }), { "u.txt": bytes }, { memory: true });
    await p.withDb(async (db) => {
      const report = await ingestSources(db, p.config);
      expect(report.files[0]).toMatchObject({ loaded: 2, rejected: 0, convertedFrom: expected });
      expect((await rows(db)).map((r) => r.product)).toEqual(["乌龙茶", "Tea"]);
    });
  });

  it("does not mistake UTF-8 or GBK for UTF-16", () => {
    expect(detectUtf16(Buffer.from(text, "utf8"))).toBeNull();
    expect(detectUtf16(iconv.encode(text, "gbk"))).toBeNull();
  });
});

describe("parquet", () => {
  it("loads an export that is already Parquet, mapping columns by name", async () => {
    const p = project(
      txConfig("orders.parquet", {
        format: "parquet",
        columns: { customer_id: "cust", ordered_at: "ts", amount: "amt" },
      }),
      {},
      { memory: true },
    );
    const db0 = await openDatabase(":memory:");
    await db0.exec(`copy (select * from (values ('c1', timestamp '2024-05-01 10:00:00', 12.5), ('c2', timestamp '2024-05-02 11:00:00', 3.0)) t(cust, ts, amt))
      to '${p.dir}/orders.parquet' (format parquet)`);
    await db0.close();
    await p.withDb(async (db) => {
      const report = await ingestSources(db, p.config);
      expect(report.files[0]).toMatchObject({ loaded: 2, convertedFrom: "parquet" });
      expect((await rows(db)).map((r) => [r.customer_id, r.ordered_at, r.amount])).toEqual([
        ["c1", "2024-05-01 10:00:00", 12.5],
        ["c2", "2024-05-02 11:00:00", 3],
      ]);
    });
  });
});

describe("analysis.timezone", () => {
  const csv =
    "order_id,customer_id,ordered_at,amount\n" +
    "o1,c1,2024-03-07 20:00:00Z,10\n" + // UTC evening = next morning in Beijing
    "o2,c1,2024-03-08 03:00+08,10\n" + // early morning in Beijing = the previous evening in Los Angeles
    "o3,c1,2024-03-08T12:30:00-05:00,10\n" +
    "o4,c1,2024-03-08,10\n" + // a bare date (ends in -08, which is no offset) stays as written
    "o5,c1,2024-03-08 09:15:00,10\n"; // no offset: local business time as written
  const load = async (analysis: Record<string, unknown>) => {
    const p = project(txConfig("t.csv", {}, { analysis }), { "t.csv": csv }, { memory: true });
    return p.withDb(async (db) => {
      await ingestSources(db, p.config);
      return (await rows(db)).map((r) => [r.order_id, r.ordered_at]);
    });
  };

  it("converts timestamps with an offset to the business's zone before the date is taken, across the date line", async () => {
    expect(await load({ timezone: "Asia/Shanghai" })).toEqual([
      ["o4", "2024-03-08 00:00:00"],
      ["o2", "2024-03-08 03:00:00"],
      ["o1", "2024-03-08 04:00:00"],
      ["o5", "2024-03-08 09:15:00"],
      ["o3", "2024-03-09 01:30:00"],
    ]);
    expect(await load({ timezone: "America/Los_Angeles" })).toEqual(
      [
        ["o4", "2024-03-08 00:00:00"],
        ["o2", "2024-03-07 11:00:00"],
        ["o1", "2024-03-07 12:00:00"],
        ["o5", "2024-03-08 09:15:00"],
        ["o3", "2024-03-08 09:30:00"],
      ].sort((a, b) => a[1].localeCompare(b[1])),
    );
  });

  it("keeps the wall clock as written without a time zone, and refuses an unknown zone name", async () => {
    expect(await load({})).toEqual(
      [
        ["o4", "2024-03-08 00:00:00"],
        ["o2", "2024-03-08 03:00:00"],
        ["o5", "2024-03-08 09:15:00"],
        ["o3", "2024-03-08 12:30:00"],
        ["o1", "2024-03-07 20:00:00"],
      ].sort((a, b) => a[1].localeCompare(b[1])),
    );
    expect(() => project(txConfig("t.csv", {}, { analysis: { timezone: "Beijing" } }))).toThrow(
      /analysis\.timezone: expected an IANA time zone name/,
    );
  });
});

describe("overlapping exports", () => {
  const header = "order_id,customer_id,ordered_at,amount,product\n";
  const line = (i: number) => `o${i},c${i % 7},2024-03-${String(1 + (i % 28)).padStart(2, "0")},${10 + i},p${i % 3}\n`;
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => line(a + k)).join("");

  it("loads a line that two configured exports share once, counts it, and keeps it with the first file", async () => {
    // march.csv has o1..o30, spring.csv o21..o50: o21..o30 are in both
    const p = project(
      txConfig(["march.csv", "spring.csv"]),
      { "march.csv": header + range(1, 30), "spring.csv": header + range(21, 50) },
      { memory: true },
    );
    await p.withDb(async (db) => {
      const report = await ingestSources(db, p.config);
      expect(report.files.map((f) => [f.file, f.loaded, f.linesLoadedElsewhere ?? 0])).toEqual([
        ["march.csv", 30, 0],
        ["spring.csv", 20, 10],
      ]);
      expect(report.files[1].warnings[0]).toMatch(/^10 line\(s\) were already loaded from other files/);
      const [{ n, orders }] = await db.all<{ n: number; orders: number }>(
        "select count(*)::integer as n, count(distinct order_id)::integer as orders from transactions",
      );
      expect({ n, orders }).toEqual({ n: 50, orders: 50 });
      // ingest_log agrees with the table (the next run's consistency check would say otherwise)
      expect(await db.all("select source_file, rows_loaded::integer as loaded from ingest_log order by 1")).toEqual([
        { source_file: "march.csv", loaded: 30 },
        { source_file: "spring.csv", loaded: 20 },
      ]);
      const again = await ingestSources(db, p.config);
      expect(again.files.every((f) => f.skipped)).toBe(true);
    });
  });

  it("a line of the same order with another amount or product is a different line and is loaded", async () => {
    const p = project(
      txConfig(["a.csv", "b.csv"]),
      {
        "a.csv": header + "o1,c1,2024-03-01,10,tea\n",
        "b.csv": header + "o1,c1,2024-03-01,10,tea\no1,c1,2024-03-01,12,rice\n",
      },
      { memory: true },
    );
    await p.withDb(async (db) => {
      const report = await ingestSources(db, p.config);
      expect(report.files.map((f) => f.loaded)).toEqual([1, 1]);
      expect(await db.all("select product, amount from transactions order by amount")).toEqual([
        { product: "tea", amount: 10 },
        { product: "rice", amount: 12 },
      ]);
    });
  });
});
