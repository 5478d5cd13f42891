/**
 * Analysis dates that would silently give a wrong report are refused before anything is computed: an asOf before
 * all data (0 customers) and a holdoutStart that cannot split the data. The ConfigError names the key and the
 * data's date range; the database and the marts are left as they were.
 */
import { afterAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { buildMarts } from "../../src/pipelines/index.ts";
import { ingestSources } from "../../src/data/ingest.ts";
import { ConfigError } from "../../src/data/config.ts";
import { cleanupProjects, project, txConfig } from "./helpers.ts";

afterAll(cleanupProjects);

const ORDERS =
  "order_id,customer_id,ordered_at,amount\no1,c1,2024-01-05,10\no2,c2,2024-03-01,20\no3,c1,2024-06-30,30\n";
const RANGE = "the transactions run from 2024-01-05 to 2024-06-30";

async function runWith(analysis: Record<string, unknown>) {
  const p = project(txConfig("orders.csv", {}, { analysis }), { "orders.csv": ORDERS });
  await p.withDb((db) => ingestSources(db, p.config));
  const error = await p
    .withDb((db) => buildMarts(db, p.config))
    .then(
      () => undefined,
      (e) => e,
    );
  const tables = await p.withDb((db) =>
    db.all<{ name: string }>(
      "select table_name as name from information_schema.tables where table_name = 'customer_summary'",
    ),
  );
  return { error, tables, martsWritten: existsSync(p.config.martsDir) };
}

describe("analysis dates", () => {
  it.each([
    [{ asOf: "2023-12-31" }, "analysis.asOf: 2023-12-31 is before the first transaction"],
    [{ holdoutStart: "2024-07-01" }, "analysis.holdoutStart: 2024-07-01 is not before analysis.asOf (2024-06-30)"],
    [
      { asOf: "2024-05-31", holdoutStart: "2024-06-01" },
      "analysis.holdoutStart: 2024-06-01 is not before analysis.asOf (2024-05-31)",
    ],
    [{ holdoutStart: "2024-01-05" }, "analysis.holdoutStart: 2024-01-05 is not after the first transaction"],
  ])("%j is refused with the key to fix and the data's range, changing nothing", async (analysis, message) => {
    const { error, tables, martsWritten } = await runWith(analysis);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(message);
    expect(error.message).toContain(RANGE);
    expect(tables).toEqual([]);
    expect(martsWritten).toBe(false);
  });

  it("a holdoutStart inside the data and an asOf after it are accepted", async () => {
    const { error, martsWritten } = await runWith({ asOf: "2024-07-31", holdoutStart: "2024-03-01" });
    expect(error).toBeUndefined();
    expect(martsWritten).toBe(true);
  });
});
