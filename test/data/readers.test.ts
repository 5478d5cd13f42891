/**
 * Loading rules for file formats: encodings, BOM/CRLF, quoted newlines, date formats, number formats, column maps.
 * Every expected value is read off the fixture text by hand.
 */
import { afterAll, describe, expect, it } from "vitest";
import iconv from "iconv-lite";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ingestSources, checkSources } from "../../src/data/ingest.ts";
import { SourceFileError } from "../../src/data/errors.ts";
import { project, txConfig, cleanupProjects, count } from "./helpers.ts";

const memProject = (raw: Record<string, unknown>, files: Record<string, string | Buffer> = {}) =>
  project(raw, files, { memory: true });

afterAll(cleanupProjects);

const FIXTURES = resolve(__dirname, "../fixtures/ingest");

describe("encodings", () => {
  it("reads a GBK file with Chinese headers (auto-detected) through a column map", async () => {
    const text =
      "订单编号,客户编号,下单日期,金额,产品\r\nD001,客户甲,2024年3月5日,128.50,绿茶礼盒\r\nD002,客户乙,2024年3月6日,99,乌龙茶\r\n";
    const p = memProject(
      txConfig("orders.csv", {
        columns: {
          order_id: "订单编号",
          customer_id: "客户编号",
          ordered_at: "下单日期",
          amount: "金额",
          product: "产品",
        },
      }),
      { "orders.csv": iconv.encode(text, "gbk") },
    );
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0].encoding).toBe("gb18030");
    expect(report.files[0].dateFormats.ordered_at).toBe("yyyy年m月d日");
    const rows = await p.withDb((db) =>
      db.all(
        `select order_id, customer_id, ordered_at::varchar as at, amount, product, source_line from transactions order by order_id`,
      ),
    );
    expect(rows).toEqual([
      {
        order_id: "D001",
        customer_id: "客户甲",
        at: "2024-03-05 00:00:00",
        amount: 128.5,
        product: "绿茶礼盒",
        source_line: 2,
      },
      {
        order_id: "D002",
        customer_id: "客户乙",
        at: "2024-03-06 00:00:00",
        amount: 99,
        product: "乌龙茶",
        source_line: 3,
      },
    ]);
  });

  it("fails a declared utf-8 file that is GBK, naming file and the encoding key, writing nothing", async () => {
    const p = memProject(txConfig("orders.csv", { encoding: "utf-8", columns: { customer_id: "客户编号" } }), {
      "orders.csv": iconv.encode("客户编号,ordered_at,amount\n甲,2024-01-01,1\n", "gbk"),
    });
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toContain("orders.csv");
    expect(error.message).toContain("sources.transactions.encoding");
    await p.withDb(async (db) => {
      // the transaction that would have created the tables was rolled back
      expect(await count(db, `select count(*) from information_schema.tables where table_name = 'transactions'`)).toBe(
        0,
      );
    });
  });

  it("fails a declared gbk file that is UTF-8 instead of loading mojibake", async () => {
    const p = memProject(txConfig("orders.csv", { encoding: "gbk", columns: { customer_id: "客户编号" } }), {
      "orders.csv": "客户编号,ordered_at,amount\n甲,2024-01-01,1\n",
    });
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toContain("orders.csv: the file is UTF-8, not gbk as declared");
    expect(error.message).toContain("sources.transactions.encoding");
  });

  it("strips a UTF-8 BOM and reads CRLF line ends", async () => {
    const p = memProject(txConfig("orders.csv"), {
      "orders.csv": "\ufeffcustomer_id,ordered_at,amount\r\nc1,2024-01-02,10\r\nc2,2024-01-03,20.5\r\n",
    });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ encoding: "utf-8", rowsRead: 2, loaded: 2, rejected: 0 });
    const rows = await p.withDb((db) =>
      db.all(`select customer_id, amount, source_line from transactions order by source_line`),
    );
    expect(rows).toEqual([
      { customer_id: "c1", amount: 10, source_line: 2 },
      { customer_id: "c2", amount: 20.5, source_line: 3 },
    ]);
  });

  it("keeps quoted fields with embedded newlines and numbers lines physically", async () => {
    // line 1 header; lines 2-3 one record (product spans two lines); line 4 ok; line 5 bad amount
    const fixture = readFileSync(resolve(FIXTURES, "quoted-newlines.csv"), "utf8");
    const p = memProject(txConfig("orders.csv", {}, { maxRejectRate: 0.5 }), { "orders.csv": fixture });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ rowsRead: 3, loaded: 2, rejected: 1 });
    await p.withDb(async (db) => {
      expect(await db.all(`select product, source_line from transactions order by source_line`)).toEqual([
        { product: "Tea set\nwith two cups", source_line: 2 },
        { product: "Kettle, steel", source_line: 4 },
      ]);
      expect(await db.all(`select line, "column", value from rejected_rows`)).toEqual([
        { line: 5, column: "amount", value: "abc" },
      ]);
    });
  });
});

describe("line numbers and cleaning", () => {
  it("stay physical with quoted newlines and a malformed line together", async () => {
    // 1 header | 2-3 c1 (product spans two lines) | 4 c2 has an extra field | 5 c3 bad amount | 6 c4
    const p = memProject(txConfig("o.csv", {}, { maxRejectRate: 0.5 }), {
      "o.csv":
        'customer_id,ordered_at,amount,product\nc1,2024-01-01,1,"a\nb"\nc2,2024-01-02,2,x,extra\nc3,2024-01-03,zz,y\nc4,2024-01-04,4,"p"\n',
    });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ rowsRead: 4, loaded: 2, rejected: 2 });
    await p.withDb(async (db) => {
      expect(await db.all(`select customer_id, source_line from transactions order by source_line`)).toEqual([
        { customer_id: "c1", source_line: 2 },
        { customer_id: "c4", source_line: 6 },
      ]);
      expect(await db.all(`select line, "column" from rejected_rows order by line`)).toEqual([
        { line: 4, column: "*" },
        { line: 5, column: "amount" },
      ]);
    });
  });

  it("trims spaces, tabs and ideographic spaces and treats empty values as missing", async () => {
    const p = memProject(txConfig("o.csv", {}, { maxRejectRate: 0.5 }), {
      "o.csv": "customer_id,ordered_at,amount,channel\n\u3000c1 ,\t2024-01-01, 12.5 ,\u00a0web\n  ,2024-01-02,3,\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    await p.withDb(async (db) => {
      expect(await db.all(`select customer_id, ordered_at::varchar as at, amount, channel from transactions`)).toEqual([
        { customer_id: "c1", at: "2024-01-01 00:00:00", amount: 12.5, channel: "web" },
      ]);
      expect(await db.all(`select line, "column", reason from rejected_rows`)).toEqual([
        { line: 3, column: "customer_id", reason: "missing required value" },
      ]);
    });
  });
});

describe("cleaning without a regex test per value (the file has no blank at any field's edge)", () => {
  // every case has one blank at a field's edge somewhere, so the file must be trimmed as a whole; the header (line 1)
  // of the last case has one too, and there nothing needs trimming
  const filler = (n: number) => "c0,2024-01-01,0\n".repeat(n);
  const header = "customer_id,ordered_at,amount\n";
  // customer_id last, so that its blank is before a line end or after a delimiter (numbers and dates would read anyway)
  const last = "ordered_at,amount,customer_id";
  // the blank at byte 2^20 - 1, the last of the first chunk inspectFile reads, and its delimiter the first of the next
  const lead = header + filler(Math.floor((1 << 20) / 16) - 4);
  const longId = `c${"x".repeat((1 << 20) - 1 - lead.length - 1)}`;
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["after a delimiter", {}, `${last}\n2024-01-02,1, c1\n`, "c1"],
    ["before a delimiter", {}, `${header}c1 ,2024-01-02,1\n`, "c1"],
    ["at a line's start", {}, `${header} c1,2024-01-02,1\n`, "c1"],
    ["before a line end", {}, `${last}\n2024-01-02,1,c1 \n`, "c1"],
    ["before a CRLF line end", {}, `${last}\r\n2024-01-02,1,c1 \r\n`, "c1"],
    ["after a delimiter (a tab)", {}, `${last}\n2024-01-02,1,\tc1\n`, "c1"],
    ["at the end of a file without a last line end", {}, `${last}\n2024-01-02,1,c1 `, "c1"],
    ["before a tab in a tsv", { format: "tsv" }, "customer_id\tordered_at\tamount\nc1 \t2024-01-02\t1\n", "c1"],
    [
      "in line 1 of a file without header",
      { header: false, columns: { customer_id: 1, ordered_at: 2, amount: 3 } },
      " c1,2024-01-02,1\n",
      "c1",
    ],
    ["across the inspection's chunks", {}, `${lead}${longId} ,2024-01-02,1\n`, longId],
  ];
  for (const [where, cfg, text, id] of cases) {
    it(`trims a blank ${where}`, async () => {
      const p = memProject(txConfig("o.csv", cfg), { "o.csv": text });
      await p.withDb((db) => ingestSources(db, p.config));
      const rows = await p.withDb((db) =>
        db.all(`select customer_id, ordered_at::varchar as at, amount from transactions where customer_id <> 'c0'`),
      );
      expect(rows).toEqual([{ customer_id: id, at: "2024-01-02 00:00:00", amount: 1 }]);
    });
  }
  it("keeps blanks inside values and in the header", async () => {
    const p = memProject(txConfig("o.csv", { columns: { customer_id: "customer id" } }), {
      "o.csv": "customer id ,ordered_at,amount\nc 1,2024-01-02 10:30:00,1\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    const rows = await p.withDb((db) => db.all(`select customer_id, ordered_at::varchar as at from transactions`));
    expect(rows).toEqual([{ customer_id: "c 1", at: "2024-01-02 10:30:00" }]);
  });
});

describe("date formats", () => {
  // each format: two dates that are 2024-03-05 and 2024-12-31 (d/m vs m/d told apart by day 31)
  const cases: Array<[string, string, string]> = [
    ["ISO", "2024-03-05", "2024-12-31 13:45:00"],
    ["yyyymmdd", "20240305", "20241231"],
    ["yyyy/m/d", "2024/3/5", "2024/12/31 13:45"],
    ["d/m/yyyy", "5/3/2024", "31/12/2024"],
    ["m/d/yyyy", "3/5/2024", "12/31/2024"],
    ["yyyy年m月d日", "2024年3月5日", "2024年12月31日"],
  ];
  const expected = ["2024-03-05 00:00:00", "2024-12-31 00:00:00"];
  for (const [format, a, b] of cases) {
    const second = b.includes(":") ? "2024-12-31 13:45:00" : expected[1];
    for (const mode of ["explicit", "auto"] as const) {
      it(`${format} (${mode})`, async () => {
        const p = memProject(txConfig("o.csv", { dateFormat: mode === "auto" ? "auto" : format }), {
          "o.csv": `customer_id,ordered_at,amount\nc1,${a},1\nc2,${b},2\n`,
        });
        const report = await p.withDb((db) => ingestSources(db, p.config));
        expect(report.files[0].dateFormats.ordered_at).toBe(format);
        const rows = await p.withDb((db) =>
          db.all<{ at: string }>(`select ordered_at::varchar as at from transactions order by amount`),
        );
        expect(rows.map((r) => r.at)).toEqual([expected[0], second]);
      });
    }
  }

  it("refuses to guess between d/m/yyyy and m/d/yyyy when no day is above 12", async () => {
    const p = memProject(txConfig("o.csv"), {
      "o.csv": "customer_id,ordered_at,amount\nc1,5/3/2024,1\nc2,6/4/2024,2\n",
    });
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toContain("sources.transactions.dateFormat");
    expect(error.message).toContain("o.csv");
  });

  it("rejects a date that does not match the declared format", async () => {
    const p = memProject(txConfig("o.csv", { dateFormat: "yyyymmdd" }, { maxRejectRate: 1 }), {
      "o.csv": "customer_id,ordered_at,amount\nc1,20240305,1\nc2,2024-03-05,2\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    const rows = await p.withDb((db) => db.all(`select line, "column", value, reason from rejected_rows`));
    expect(rows).toEqual([
      { line: 3, column: "ordered_at", value: "2024-03-05", reason: "not a date in format yyyymmdd" },
    ]);
  });
});

describe("numbers", () => {
  it("reads decimal commas with dot thousands separators (tsv)", async () => {
    // 1.234,56 -> 1234.56 ; -12,5 -> -12.5 (refund) ; ¥ 2.000 -> 2000
    const p = memProject(txConfig("o.tsv", { format: "tsv", decimalSeparator: ",", thousandsSeparator: "." }), {
      "o.tsv":
        "customer_id\tordered_at\tamount\tquantity\nc1\t2024-01-01\t1.234,56\t2\nc2\t2024-01-02\t-12,5\t1\nc3\t2024-01-03\t¥ 2.000\t1,5\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    const rows = await p.withDb((db) =>
      db.all(`select customer_id, amount, quantity from transactions order by customer_id`),
    );
    expect(rows).toEqual([
      { customer_id: "c1", amount: 1234.56, quantity: 2 },
      { customer_id: "c2", amount: -12.5, quantity: 1 },
      { customer_id: "c3", amount: 2000, quantity: 1.5 },
    ]);
  });

  it("reads comma thousands separators in quoted csv fields", async () => {
    const fixture = readFileSync(resolve(FIXTURES, "thousands.csv"), "utf8");
    const p = memProject(txConfig("o.csv", { thousandsSeparator: "," }), { "o.csv": fixture });
    await p.withDb((db) => ingestSources(db, p.config));
    // "1,234.50" -> 1234.5 ; "12,000" -> 12000 ; 7.25 -> 7.25
    const rows = await p.withDb((db) =>
      db.all<{ amount: number }>(`select amount from transactions order by source_line`),
    );
    expect(rows.map((r) => r.amount)).toEqual([1234.5, 12000, 7.25]);
  });
});

describe("column mapping", () => {
  it("uses headers named like canonical columns, leaves missing optional columns NULL and generates stable ids", async () => {
    const content = "Customer_ID,ordered_at,amount,channel\nc1,2024-01-01,5,web\nc1,2024-01-02,6,\n";
    const a = memProject(txConfig("o.csv"), { "o.csv": content });
    const b = memProject(txConfig("o.csv"), { "o.csv": content });
    await a.withDb((db) => ingestSources(db, a.config));
    await b.withDb((db) => ingestSources(db, b.config));
    const sql = `select order_id, customer_id, channel, product from transactions order by source_line`;
    const rowsA = await a.withDb((db) => db.all<Record<string, string | null>>(sql));
    const rowsB = await b.withDb((db) => db.all<Record<string, string | null>>(sql));
    expect(rowsA.map(({ order_id, ...r }) => r)).toEqual([
      { customer_id: "c1", channel: "web", product: null },
      { customer_id: "c1", channel: null, product: null },
    ]);
    expect(rowsA[0].order_id).toMatch(/^tra-[0-9a-f]{16}$/);
    expect(rowsA[0].order_id).not.toBe(rowsA[1].order_id);
    // same file name and lines in another project: the same ids
    expect(rowsB.map((r) => r.order_id)).toEqual(rowsA.map((r) => r.order_id));
  });

  it("maps 1-based column numbers when the file has no header", async () => {
    const p = memProject(txConfig("o.csv", { header: false, columns: { customer_id: 2, ordered_at: 1, amount: 3 } }), {
      "o.csv": "2024-01-01,c1,9.5\n2024-01-02,c2,1\n",
    });
    await p.withDb((db) => ingestSources(db, p.config));
    const rows = await p.withDb((db) =>
      db.all(`select customer_id, amount, source_line from transactions order by source_line`),
    );
    expect(rows).toEqual([
      { customer_id: "c1", amount: 9.5, source_line: 1 },
      { customer_id: "c2", amount: 1, source_line: 2 },
    ]);
  });

  it("splits whitespace files on runs of spaces, with leading spaces", async () => {
    const p = memProject(txConfig("o.txt", { format: "whitespace", columns: { ordered_at: "date" } }), {
      "o.txt": " customer_id  date   amount\r\n 001  20240101   1.50\r\n\r\n 002 20240102 3\r\n",
    });
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files[0]).toMatchObject({ rowsRead: 2, loaded: 2, rejected: 0 });
    const rows = await p.withDb((db) =>
      db.all(`select customer_id, amount, source_line from transactions order by source_line`),
    );
    // the blank line 3 is skipped, and the last row keeps its physical line 4
    expect(rows).toEqual([
      { customer_id: "001", amount: 1.5, source_line: 2 },
      { customer_id: "002", amount: 3, source_line: 4 },
    ]);
  });

  it("loads optional sources (customers with dates, numbers and duplicates)", async () => {
    const p = memProject(
      {
        sources: {
          transactions: { files: "o.csv" },
          customers: { files: "c.csv", columns: { name: "姓名", signup_date: "注册日期", credit_limit: "信用额度" } },
        },
        maxRejectRate: 0.5,
      },
      {
        "o.csv": "customer_id,ordered_at,amount\nc1,2024-01-01,1\n",
        "c.csv":
          "customer_id,姓名,注册日期,信用额度\nc1,张三,2023/5/1,50000\nc2,李四,2023/6/2,\nc1,张三,2023/5/1,50000\n",
      },
    );
    const report = await p.withDb((db) => ingestSources(db, p.config));
    expect(report.files.find((f) => f.source === "customers")).toMatchObject({ rowsRead: 3, loaded: 2, rejected: 1 });
    const rows = await p.withDb((db) =>
      db.all(`select customer_id, name, signup_date::varchar as s, credit_limit from customers order by customer_id`),
    );
    expect(rows).toEqual([
      { customer_id: "c1", name: "张三", s: "2023-05-01", credit_limit: 50000 },
      { customer_id: "c2", name: "李四", s: "2023-06-02", credit_limit: null },
    ]);
    const rejected = await p.withDb((db) => db.all(`select source, line, "column", reason from rejected_rows`));
    expect(rejected).toEqual([
      {
        source: "customers",
        line: 4,
        column: "customer_id",
        reason: "duplicate customer_id in this file (first occurrence kept)",
      },
    ]);
  });
});

describe("checkSources", () => {
  it("reports columns, encoding, date format and bad rows without writing anything", async () => {
    const p = memProject(txConfig("o.csv"), {
      "o.csv": "customer_id,ordered_at,amount\nc1,2024-01-01,1\n,2024-01-02,2\n",
    });
    const report = await checkSources(p.config);
    expect(report.ok).toBe(false); // 1 of 2 rows rejected is over 1%
    expect(report.files[0]).toMatchObject({
      encoding: "utf-8",
      rowsRead: 2,
      loaded: 1,
      rejected: 1,
      dateFormats: { ordered_at: "ISO" },
    });
    expect(report.files[0].columns).toMatchObject({ customer_id: "customer_id", amount: "amount", product: null });
    expect(report.files[0].sampleRejects).toEqual([
      { file: "o.csv", line: 3, column: "customer_id", value: null, reason: "missing required value" },
    ]);
    const { existsSync } = await import("node:fs");
    expect(existsSync(p.config.database)).toBe(false);
    expect(existsSync(p.config.rejectedDir)).toBe(false);
  });

  it("collects file-level problems instead of throwing", async () => {
    const p = memProject(txConfig("o.csv"), { "o.csv": "customer_id,ordered_at\nc1,2024-01-01\n" });
    const report = await checkSources(p.config);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toContain("sources.transactions.columns.amount");
  });
});
