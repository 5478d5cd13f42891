/**
 * The data-quality loader: rows read / loaded / rejected per file (ingest_log), the reasons with examples
 * (rejected_rows), and a rejected value of a personal column withheld when masking.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/data/db.ts";
import { exportTables, makeSiteFixture, runLoaders, type SiteFixture } from "../helpers/site-fixture.ts";
import { makeI18n } from "../../docs/components/format.js";

let fixture: SiteFixture;
let tablesDir: string;

beforeAll(async () => {
  fixture = await makeSiteFixture();
  const db = await openDatabase(fixture.databasePath);
  try {
    await db.exec(`insert into rejected_rows values
      ('customers', '/exports/客户.csv', 7, 'phone', '1380000000x', 'not a number (expected e.g. 1234.5)', timestamp '2024-07-01 08:00:01'),
      ('transactions', '/exports/orders_2024.csv', 12, 'ordered_at', '2024-13-01', 'not a date in format YYYY-MM-DD', timestamp '2024-07-01 08:00:00'),
      ('transactions', '/exports/orders_2024.csv', 15, 'ordered_at', '2024-14-01', 'not a date in format YYYY-MM-DD', timestamp '2024-07-01 08:00:00')`);
    await db.exec("update ingest_log set rows_rejected = 2 where source = 'transactions'");
  } finally {
    await db.close();
  }
  tablesDir = join(fixture.dir, "tables");
  await exportTables(fixture.databasePath, tablesDir);
  const copy = await openDatabase(fixture.databasePath, { readOnly: true });
  try {
    await copy.exec(`copy rejected_rows to '${join(tablesDir, "rejected_rows.parquet")}' (format parquet)`);
  } finally {
    await copy.close();
  }
}, 60_000);
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

const quality = async (maskPii: boolean) => {
  const out = await runLoaders(["quality.json.ts"], {
    KEHU_MARTS_DIR: fixture.martsDir,
    KEHU_TABLES_DIR: tablesDir,
    KEHU_MASK_PII: maskPii ? "1" : "0",
    KEHU_LOCALE: "zh-CN",
    KEHU_AS_OF: "2024-06-30",
    KEHU_BUILT_AT: "2024-07-01T09:00:00Z",
  });
  return JSON.parse(out["quality.json"].toString("utf8"));
};

describe("data-quality loader", () => {
  it("counts rows per file, groups rejections by reason with examples, and withholds personal values when masking", {
    timeout: 60_000,
  }, async () => {
    const masked = await quality(true);
    const orders = masked.files.find((f: { file: string }) => f.file === "orders_2024.csv");
    expect(orders).toMatchObject({ source: "transactions", loaded: 16, rejected: 2, read: 18 });
    expect(masked.reasons[0]).toMatchObject({
      source: "transactions",
      reason: "not a date in format YYYY-MM-DD",
      rows: 2,
    });
    const samples = masked.samples as { column: string; value: string | null }[];
    expect(samples.find((s) => s.column === "phone")!.value).toBeNull();
    expect(samples.find((s) => s.column === "ordered_at")!.value).toBe("2024-13-01");
    expect(JSON.stringify(masked)).not.toContain("1380000000x");
    const tx = masked.sources.find((s: { source: string }) => s.source === "transactions");
    expect(tx).toMatchObject({ rows: 16, first: "2023-08-03", last: "2024-06-25", duplicates: 0 });
    expect(masked.lastLoad).toBe("2024-07-01 08:00:01");
    const plain = await quality(false);
    expect(plain.samples.find((s: { column: string }) => s.column === "phone").value).toBe("1380000000x");
  });

  it("says why a row was rejected in the reader's language", () => {
    expect(makeI18n("zh-CN").rejectReason("not a date in format YYYY-MM-DD")).toBe("日期格式不符（应为 YYYY-MM-DD）");
    expect(makeI18n("en").rejectReason("duplicate order_id in this file (first occurrence kept)")).toBe(
      "Duplicate order_id in the file (first kept)",
    );
    expect(makeI18n("en").rejectReason("something else")).toBe("something else");
  });
});
