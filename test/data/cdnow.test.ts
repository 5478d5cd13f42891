/**
 * CDNOW_master.txt loads as is with examples/cdnow/kehu.config.json (whitespace-separated, yyyymmdd dates).
 * Expected counts are the dataset's published ones: 69,659 transactions by 23,570 customers (header line + 69,659
 * data lines, so the last row is line 69,660).
 */
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../../src/data/config.ts";
import { openDatabase } from "../../src/data/db.ts";
import { ingestSources } from "../../src/data/ingest.ts";

const REPO = resolve(__dirname, "../..");
const CDNOW = resolve(REPO, "../shared/data/cdnow");

describe("CDNOW master", () => {
  it("loads 69,659 transactions from 23,570 customers with no rejects", async () => {
    const config = loadConfig(resolve(REPO, "examples/cdnow/kehu.config.json"));
    expect(config.sources.transactions!.files).toEqual([resolve(CDNOW, "CDNOW_master.txt")]);
    const db = await openDatabase(":memory:");
    try {
      const report = await ingestSources(db, { ...config, rejectedDir: resolve(tmpdir(), "kehu-cdnow-rejected") });
      expect(report.files[0]).toMatchObject({
        rowsRead: 69_659,
        loaded: 69_659,
        rejected: 0,
        dateFormats: { ordered_at: "yyyymmdd" },
      });
      const [stats] = await db.all(`select count(*)::integer as n, count(distinct customer_id)::integer as customers,
        min(ordered_at)::varchar as first, max(ordered_at)::varchar as last, max(source_line)::integer as last_line,
        count(distinct order_id)::integer as ids from transactions`);
      expect(stats).toEqual({
        n: 69_659,
        customers: 23_570,
        first: "1997-01-01 00:00:00",
        last: "1998-06-30 00:00:00",
        last_line: 69_660,
        ids: 69_659,
      });
      // first data line: " 00001 19970101  1   11.77"
      expect(
        await db.all(
          `select customer_id, ordered_at::varchar as at, quantity, amount from transactions where source_line = 2`,
        ),
      ).toEqual([{ customer_id: "00001", at: "1997-01-01 00:00:00", quantity: 1, amount: 11.77 }]);
    } finally {
      await db.close();
    }
  });
});
