/**
 * Auto encoding decides on the whole file (issue 15): a UTF-8 export with a stray byte or a cut-off character stays
 * UTF-8 (the broken lines are rejected rows, never mojibake), wherever the damage is.
 */
import { afterAll, describe, expect, it } from "vitest";
import iconv from "iconv-lite";
import { ingestSources } from "../../src/data/ingest.ts";
import { inspectFile, scanUtf8Lines } from "../../src/data/encoding.ts";
import { SourceFileError } from "../../src/data/errors.ts";
import { project, txConfig, cleanupProjects } from "./helpers.ts";

afterAll(cleanupProjects);

const HEADER = "order_id,customer_id,ordered_at,amount,product";
const rows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `o${from + i},客户${from + i},2024-01-02,10,乌龙茶`);
const utf8 = (lines: string[]) => Buffer.from(lines.join("\n") + "\n", "utf8");

async function load(content: Buffer, extra: Record<string, unknown> = {}) {
  const p = project(txConfig("o.csv", extra, { maxRejectRate: 0.5 }), { "o.csv": content }, { memory: true });
  const report = await p.withDb((db) => ingestSources(db, p.config));
  const products = await p.withDb((db) =>
    db.all<{ product: string; n: number }>(`select product, count(*)::integer as n from transactions group by all`),
  );
  const rejected = await p.withDb((db) =>
    db.all(`select line, "column", value, reason from rejected_rows order by line`),
  );
  return { report, products, rejected };
}

describe("auto encoding", () => {
  it("a UTF-8 file with one stray 0xFF byte in its first 64 KiB is UTF-8; the byte's line is a rejected row", async () => {
    const lines = [HEADER, ...rows(200)];
    const content = utf8(lines);
    const at = content.indexOf("o5,") + 2; // o5,客户5 -> o5\xFF客户5... the stray byte sits in line 7
    const broken = Buffer.concat([content.subarray(0, at), Buffer.from([0xff]), content.subarray(at)]);
    const { report, products, rejected } = await load(broken);
    expect(report.files[0]).toMatchObject({ encoding: "utf-8", loaded: 199, rejected: 1 });
    expect(products).toEqual([{ product: "乌龙茶", n: 199 }]);
    expect(rejected).toEqual([
      {
        line: 7,
        column: "*",
        value: null,
        reason: `invalid UTF-8 byte 0xFF at byte 3 of the line (byte offset ${at} of the file)`,
      },
    ]);
  });

  it("a cut-off last character is a rejected line, not a reason to read the file as GB18030", async () => {
    const content = utf8([HEADER, ...rows(20)]);
    const cut = Buffer.concat([content, Buffer.from("o99,客户99,2024-01-02,1,乌", "utf8").subarray(0, -1)]);
    const { report, products, rejected } = await load(cut);
    expect(report.files[0]).toMatchObject({ encoding: "utf-8", loaded: 20, rejected: 1 });
    expect(products).toEqual([{ product: "乌龙茶", n: 20 }]);
    expect(rejected).toMatchObject([
      {
        line: 22,
        column: "*",
        reason: expect.stringMatching(/^incomplete UTF-8 character \(byte 0xE4\) at byte 27 of the line/),
      },
    ]);
  });

  it("a character across the 64 KiB and 1 MiB read boundaries does not matter", async () => {
    // rows until just before each boundary, then a row whose customer 客 starts one byte before it
    const parts: Buffer[] = [Buffer.from(HEADER + "\n")];
    let size = parts[0].length;
    let n = 0;
    for (const boundary of [1 << 16, 1 << 20]) {
      while (size < boundary - 100) {
        const row = Buffer.from(`o${n},客户${n++},2024-01-02,10,乌龙茶\n`);
        parts.push(row);
        size += row.length;
      }
      const prefix = `o${n++},`;
      const pad = "x".repeat(boundary - 1 - size - prefix.length);
      const row = Buffer.from(`${prefix}${pad}客,2024-01-02,10,乌龙茶\n`);
      expect(size + prefix.length + pad.length).toBe(boundary - 1);
      parts.push(row);
      size += row.length;
    }
    const content = Buffer.concat(parts);
    const p = project({}, { "o.csv": content });
    expect((await inspectFile(`${p.dir}/o.csv`)).utf8).toBe(true);
    const { report, rejected } = await load(content);
    expect(report.files[0]).toMatchObject({ encoding: "utf-8", loaded: n, rejected: 0 });
    expect(rejected).toEqual([]);
  });

  it("a GBK file is still GB18030, also with one line that happens to be valid UTF-8", async () => {
    const text = [HEADER, ...rows(30)].join("\r\n") + "\r\n";
    const { report, products } = await load(iconv.encode(text, "gbk"));
    expect(report.files[0]).toMatchObject({ encoding: "gb18030", loaded: 30, rejected: 0 });
    expect(products).toEqual([{ product: "乌龙茶", n: 30 }]);
  });

  it("a declared utf-8 file with a stray byte loads the other lines; a header that is not UTF-8 fails the file", async () => {
    const content = utf8([HEADER, ...rows(10)]);
    const at = content.indexOf("o3,") + 1;
    const broken = Buffer.concat([content.subarray(0, at), Buffer.from([0xc3, 0x28]), content.subarray(at + 1)]);
    const { report, rejected } = await load(broken, { encoding: "utf-8" });
    expect(report.files[0]).toMatchObject({ loaded: 9, rejected: 1 });
    expect(rejected).toMatchObject([
      { line: 5, reason: expect.stringContaining("invalid UTF-8 byte 0xC3 at byte 2 of the line") },
    ]);
    const error = await load(
      Buffer.concat([Buffer.from(HEADER.replace("product", "产品"), "utf8"), Buffer.from([0xff, 10]), utf8(rows(5))]),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.message).toMatch(
      /o\.csv: the header line is not valid UTF-8: invalid UTF-8 byte 0xFF .*\(fix: sources\.transactions\.encoding\)/,
    );
  });

  it("scanUtf8Lines counts the lines that vote for each encoding", async () => {
    const p = project(
      {},
      {
        "a.csv": Buffer.concat([
          utf8(["ascii", "中文", "ok"]),
          iconv.encode("中文\n", "gbk"),
          Buffer.from([0x41, 0xff, 10]),
        ]),
      },
    );
    const scan = await scanUtf8Lines(`${p.dir}/a.csv`);
    expect(scan).toMatchObject({ utf8Lines: 1, gbLines: 1, more: 0 });
    expect(scan.bad.map((b) => b.line)).toEqual([4, 5]);
  });
});

describe("line numbers of invalid UTF-8 lines", () => {
  it("stay right after a malformed line and with quoted newlines", async () => {
    const lines = [
      HEADER,
      "o1,客户1,2024-01-02,10,乌龙茶",
      "o2,客户2,2024-01-02,10,乌龙茶,extra",
      "o3,客户3,2024-01-02,10,乌龙茶",
      "o4,客户4,2024-01-02,10,X",
      "o5,客户5,2024-01-02,10,乌龙茶",
    ];
    const content = utf8(lines);
    const at = content.indexOf(",X") + 1;
    const broken = Buffer.concat([content.subarray(0, at), Buffer.from([0xff]), content.subarray(at + 1)]);
    const { report, rejected } = await load(broken);
    expect(report.files[0]).toMatchObject({ encoding: "utf-8", loaded: 3, rejected: 2 });
    expect(rejected).toMatchObject([
      { line: 3, column: "*", reason: "wrong number of fields", value: "found 6, expected 5" },
      { line: 5, column: "*", reason: expect.stringContaining("invalid UTF-8 byte 0xFF at byte 26 of the line") },
    ]);
    const quoted = Buffer.concat([
      utf8([HEADER, 'o1,客户1,2024-01-02,10,"乌龙\n茶"']),
      broken.subarray(broken.indexOf("o3")),
    ]);
    const q = await load(quoted);
    expect(q.rejected).toMatchObject([{ line: 5, reason: expect.stringContaining("invalid UTF-8 byte 0xFF") }]);
    expect(q.report.files[0]).toMatchObject({ loaded: 3, rejected: 1 });
  });

  it("a quote first seen after 64 KiB still keeps line numbers physical", async () => {
    const lines = [HEADER, ...rows(3000), 'o-q,客户,2024-01-02,10,"two\nlines"', "o-last,客户,2024-01-02,x,乌龙茶"];
    const { rejected } = await load(utf8(lines));
    expect(rejected).toMatchObject([{ line: 3004, column: "amount", value: "x" }]);
  });
});
