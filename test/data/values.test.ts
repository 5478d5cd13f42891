/**
 * Values that parse but are wrong (issue 15): implausible dates and misplaced thousands separators are rejected
 * rows with a reason, never stored.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ingestSources } from "../../src/data/ingest.ts";
import { ConfigError, parseConfig } from "../../src/data/config.ts";
import { project, txConfig, cleanupProjects } from "./helpers.ts";

afterAll(cleanupProjects);

const memProject = (raw: Record<string, unknown>, files: Record<string, string>) =>
  project(raw, files, { memory: true });
const NOW = new Date("2026-12-01T09:00:00Z");

async function load(raw: Record<string, unknown>, content: string, name = "o.csv") {
  const p = memProject({ maxRejectRate: 1, ...raw }, { [name]: content });
  const report = await p.withDb((db) => ingestSources(db, p.config, { now: NOW }));
  const rows = await p.withDb((db) => db.all(`select * exclude (source_file) from transactions order by source_line`));
  const rejected = await p.withDb((db) =>
    db.all(`select line, "column", value, reason from rejected_rows order by line`),
  );
  return { report, rows, rejected };
}

describe("plausible dates", () => {
  const content = [
    "customer_id,ordered_at,amount",
    "c1,2024-01-05,1",
    "c2,2240-01-05,1", // a typo for 2024
    "c3,-2024-01-01,1", // DuckDB reads it as 2025 BC
    "c4,294247-01-01,1", // beyond what JS dates hold
    "c5,1989-12-31,1",
    "c6,2027-12-01,1", // today + 1 year: still plausible
    "c7,2027-12-02,1",
  ].join("\n");

  it("rejects dates outside 1990-01-01 .. today + 1 year, naming the window and the config key", async () => {
    const { rows, rejected } = await load(txConfig("o.csv", { dateFormat: "ISO" }), content);
    expect(rows.map((r) => (r as { customer_id: string }).customer_id)).toEqual(["c1", "c6"]);
    const reason = "date outside the plausible window 1990-01-01 to 2027-12-01 (plausibleDates in the config)";
    expect(rejected).toEqual([
      { line: 3, column: "ordered_at", value: "2240-01-05", reason },
      { line: 4, column: "ordered_at", value: "-2024-01-01", reason },
      { line: 5, column: "ordered_at", value: "294247-01-01", reason },
      { line: 6, column: "ordered_at", value: "1989-12-31", reason },
      { line: 8, column: "ordered_at", value: "2027-12-02", reason },
    ]);
  });

  it("takes the window from plausibleDates, and today from the injected clock", async () => {
    const { rows, rejected } = await load(
      txConfig("o.csv", { dateFormat: "ISO" }, { plausibleDates: { min: "1980-01-01", max: "2300-01-01" } }),
      content,
    );
    expect(rows.map((r) => (r as { customer_id: string }).customer_id)).toEqual(["c1", "c2", "c5", "c6", "c7"]);
    expect(rejected.map((r) => (r as { line: number }).line)).toEqual([4, 5]);
    expect(() => parseConfig({ plausibleDates: { min: "1990" } })).toThrow(ConfigError);
    expect(() => parseConfig({ plausibleDates: { from: "1990-01-01" } })).toThrow(
      /plausibleDates: unknown key\(s\) from/,
    );
  });

  it("checks birthdays against 1900-01-01 .. today", async () => {
    const p = memProject(
      { maxRejectRate: 1, sources: { transactions: { files: "t.csv" }, customers: { files: "c.csv" } } },
      {
        "t.csv": "customer_id,ordered_at,amount\nc1,2024-01-05,1\n",
        "c.csv":
          "customer_id,birthday,signup_date\nc1,1950-03-04,2020-01-01\nc2,2026-12-02,2020-01-01\nc3,1899-12-31,1980-01-01\n",
      },
    );
    await p.withDb((db) => ingestSources(db, p.config, { now: NOW }));
    const rejected = await p.withDb((db) =>
      db.all(`select line, "column", reason from rejected_rows order by line, "column"`),
    );
    expect(rejected).toEqual([
      {
        line: 3,
        column: "birthday",
        reason: "date outside the plausible window 1900-01-01 to 2026-12-01 (plausibleDates.birthdayMin in the config)",
      },
      {
        line: 4,
        column: "birthday",
        reason: "date outside the plausible window 1900-01-01 to 2026-12-01 (plausibleDates.birthdayMin in the config)",
      },
      {
        line: 4,
        column: "signup_date",
        reason: "date outside the plausible window 1990-01-01 to 2027-12-01 (plausibleDates in the config)",
      },
    ]);
  });
});

describe("thousands separators", () => {
  it("are valid only between groups of three digits", async () => {
    const content = [
      "customer_id,ordered_at,amount",
      'c1,2024-01-01,"1,234.50"',
      'c2,2024-01-02,"1.234,51"',
      'c3,2024-01-03,"12,31"',
      'c4,2024-01-04,"-12,345,678"',
      'c5,2024-01-05,"1234,567"',
      "c6,2024-01-06,¥999",
    ].join("\n");
    const { rows, rejected } = await load(txConfig("o.csv", { thousandsSeparator: "," }), content);
    expect(rows.map((r) => (r as { amount: number }).amount)).toEqual([1234.5, -12345678, 999]);
    const reason = "thousands separator ',' not between groups of three digits";
    expect(rejected).toEqual([
      { line: 3, column: "amount", value: "1.234,51", reason },
      { line: 4, column: "amount", value: "12,31", reason },
      { line: 6, column: "amount", value: "1234,567", reason },
    ]);
  });

  it("a space separator works next to a currency symbol", async () => {
    const content = "customer_id\tordered_at\tamount\nc1\t2024-01-01\t¥ 2 000,5\nc2\t2024-01-02\t12 34\n";
    const { rows, rejected } = await load(
      txConfig("o.tsv", { format: "tsv", decimalSeparator: ",", thousandsSeparator: " " }),
      content,
      "o.tsv",
    );
    expect(rows.map((r) => (r as { amount: number }).amount)).toEqual([2000.5]);
    expect(rejected).toEqual([
      {
        line: 3,
        column: "amount",
        value: "12 34",
        reason: "thousands separator ' ' not between groups of three digits",
      },
    ]);
  });

  it("with decimal commas, dots must separate groups of three too", async () => {
    const content =
      "customer_id\tordered_at\tamount\nc1\t2024-01-01\t1.234,56\nc2\t2024-01-02\t12.34,5\nc3\t2024-01-03\t2.000\n";
    const { rows, rejected } = await load(
      txConfig("o.tsv", { format: "tsv", decimalSeparator: ",", thousandsSeparator: "." }),
      content,
      "o.tsv",
    );
    expect(rows.map((r) => (r as { amount: number }).amount)).toEqual([1234.56, 2000]);
    expect(rejected).toEqual([
      {
        line: 3,
        column: "amount",
        value: "12.34,5",
        reason: "thousands separator '.' not between groups of three digits",
      },
    ]);
  });
});
