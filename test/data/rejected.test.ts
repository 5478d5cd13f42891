/**
 * Rejected rows publish nothing a spreadsheet would run and nothing personal: rejected/*.csv goes through the CSV
 * formula guard, and a line with the wrong number of fields is recorded by its field count, never in full (the
 * message goes to the CI log in the publish workflow).
 */
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import Papa from "papaparse";
import { ingestSources } from "../../src/data/ingest.ts";
import { cleanupProjects, project, txConfig } from "./helpers.ts";

afterAll(cleanupProjects);

const CSV = [
  "order_id,customer_id,ordered_at,amount",
  "o1,c1,2024-01-05,100",
  'o2,c2,2024-01-06,"=HYPERLINK(""http://evil.example/?"",""x"")"',
  "o3,Wang Fang 13800000001,2024-01-07,30,Shanghai Zhangjiang Road 1",
  "o4,c4,2024-01-08",
  "o5,c5,2024-01-09,-2+3+cmd|' /C calc'!A0",
  "o6,c6,2024-01-10,-12.5",
  "",
].join("\n");

describe("rejected rows", () => {
  it("are stored as file, line, column, the offending value or a field count, and a reason", async () => {
    const p = project(txConfig("orders.csv", {}, { maxRejectRate: 0.9 }), { "orders.csv": CSV });
    const report = await p.withDb((db) => ingestSources(db, p.config, { now: new Date("2026-01-02T03:04:05Z") }));
    expect(report.files[0]).toMatchObject({ loaded: 2, rejected: 4 });
    const expected = [
      {
        line: 3,
        column: "amount",
        value: '=HYPERLINK("http://evil.example/?","x")',
        reason: "not a number (expected e.g. 1234.56)",
      },
      { line: 4, column: "*", value: "found 5, expected 4", reason: "wrong number of fields" },
      { line: 5, column: "*", value: "found 3, expected 4", reason: "wrong number of fields" },
      { line: 6, column: "amount", value: "-2+3+cmd|' /C calc'!A0", reason: "not a number (expected e.g. 1234.56)" },
    ];
    const rows = await p.withDb((db) =>
      db.all(`select line, "column", value, reason from rejected_rows order by line`),
    );
    expect(rows).toEqual(expected);
    const text = readFileSync(report.rejectedFiles[0], "utf8");
    for (const secret of ["Wang Fang", "13800000001", "Zhangjiang"]) {
      expect(text).not.toContain(secret);
      expect(JSON.stringify(report.files[0].sampleRejects)).not.toContain(secret);
    }
    // every formula-looking cell starts with a quote; spreadsheets show it as text
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    expect(parsed.data.map((r) => r.value)).toEqual([
      '\'=HYPERLINK("http://evil.example/?","x")',
      "found 5, expected 4",
      "found 3, expected 4",
      "'-2+3+cmd|' /C calc'!A0",
    ]);
    expect(parsed.data[0]).toMatchObject({ file: "orders.csv", line: "3", column: "amount" });
  });

  it("over the limit fail with a message that names file, line, column and reason but not the raw line", async () => {
    const p = project(txConfig("orders.csv"), { "orders.csv": CSV });
    const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
    expect(error.message).toContain('line 4, column *, value "found 5, expected 4": wrong number of fields');
    for (const secret of ["Wang Fang", "13800000001", "Zhangjiang"]) expect(error.message).not.toContain(secret);
  });
});
