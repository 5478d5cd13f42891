import { describe, expect, it } from "vitest";
import { orderSteps, type Step } from "../../src/pipelines/runner.ts";
import { openDatabase } from "../../src/data/db.ts";
import { createAllTablesSql } from "../../src/data/schemas.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { parseConfig } from "../../src/data/config.ts";

const sqlStep = (name: string, sql: string): Step => ({
  name,
  sql,
  file: `${name}.sql`,
  dependsOn: [],
  run: async () => {},
});

describe("orderSteps", () => {
  it("runs a model after the models its SQL reads, ignoring names in comments", () => {
    const steps = orderSteps([
      sqlStep("mart_b", "-- reads stg_c only in this comment\nselect * from stg_a"),
      sqlStep("stg_a", "select 1"),
      sqlStep("stg_c", "select 2"),
      sqlStep("mart_d", "select * from mart_b join stg_c using (x)"),
    ]);
    const order = steps.map((s) => s.name);
    expect(order.indexOf("stg_a")).toBeLessThan(order.indexOf("mart_b"));
    expect(order.indexOf("mart_b")).toBeLessThan(order.indexOf("mart_d"));
    expect(steps.find((s) => s.name === "mart_b")!.dependsOn).toEqual(["stg_a"]);
  });

  it("rejects a cycle with the path in the message", () => {
    expect(() => orderSteps([sqlStep("a", "select * from b"), sqlStep("b", "select * from a")])).toThrow(
      /cycle: .*a -> b -> a|b -> a -> b/,
    );
  });
});

describe("every SQL model binds", () => {
  it("EXPLAINs each model against empty canonical tables", async () => {
    const db = await openDatabase(":memory:");
    await db.exec(createAllTablesSql());
    const { setAnalysisVariables } = await import("../../src/pipelines/runner.ts");
    const config = parseConfig({ sources: { transactions: { files: "x.csv" } }, analysis: { asOf: "2024-01-01" } });
    await setAnalysisVariables(db, config.analysis);
    // Models are materialised in order so later ones can bind against earlier ones.
    const explained: string[] = [];
    for (const step of pipelineSteps(config)) {
      if (step.sql !== undefined) {
        await db.exec(`explain ${step.sql}`);
        explained.push(step.name);
      }
      await step.run(db);
    }
    // every .sql file under src/pipelines was bound (a model the runner failed to find would be missing here);
    // <model>.clickhouse.sql files are ClickHouse variants (test/engine), never DuckDB models
    const { readdirSync } = await import("node:fs");
    const { join } = await import("node:path");
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? walk(join(d, e.name))
          : e.name.endsWith(".sql") && !e.name.endsWith(".clickhouse.sql")
            ? [e.name.replace(/\.sql$/, "")]
            : [],
      );
    expect(explained.sort()).toEqual(walk(join(__dirname, "../../src/pipelines")).sort());
    expect(explained.length).toBeGreaterThan(40);
    await db.close();
  });
});

describe("every model runs without any data", () => {
  it("runs on empty tables with no asOf (as_of is NULL) and produces empty customer marts", async () => {
    const db = await openDatabase(":memory:");
    await db.exec(createAllTablesSql());
    const { setAnalysisVariables } = await import("../../src/pipelines/runner.ts");
    const config = parseConfig({ sources: { transactions: { files: "x.csv" } } });
    await setAnalysisVariables(db, config.analysis);
    for (const step of pipelineSteps(config)) await step.run(db);
    for (const mart of [
      "customer_summary",
      "purchase_frequency",
      "cohort_retention",
      "rfm_scores",
      "customer_grades",
      "pareto_revenue",
      "sales_by_region",
    ]) {
      expect(await db.all(`select * from ${mart}`), mart).toEqual([]);
    }
    // the bucket and bin marts keep their full grid, with zero counts
    expect(
      await db.all("select bucket, customers, share from purchase_frequency_distribution order by bucket_order"),
    ).toEqual(["1", "2", "3-5", "6-10", "11+"].map((bucket) => ({ bucket, customers: 0, share: 0 })));
    await db.close();
  });
});

describe("buildMarts", () => {
  it("refuses to run before anything was ingested, and writes no marts", async () => {
    const { buildMarts } = await import("../../src/pipelines/index.ts");
    const { DataError } = await import("../../src/data/errors.ts");
    const { mkdtempSync, existsSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "kehu-run-"));
    const db = await openDatabase(":memory:");
    const config = parseConfig({ martsDir: join(dir, "marts"), sources: { transactions: { files: "x.csv" } } });
    await expect(buildMarts(db, config)).rejects.toThrow(DataError);
    await expect(buildMarts(db, config)).rejects.toThrow(
      /no transactions in .*load the exports first with `kehu ingest`/,
    );
    expect(existsSync(join(dir, "marts"))).toBe(false);
    await db.close();
  });
});
