import { describe, expect, it } from "vitest";
import { orderSteps, type Step } from "../../src/pipelines/runner.ts";
import { openDatabase } from "../../src/data/db.ts";
import { createAllTablesSql } from "../../src/data/schemas.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { parseConfig } from "../../src/data/config.ts";

const sqlStep = (name: string, sql: string): Step => ({ name, sql, file: `${name}.sql`, dependsOn: [], run: async () => {} });

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
    expect(() => orderSteps([sqlStep("a", "select * from b"), sqlStep("b", "select * from a")])).toThrow(/cycle: .*a -> b -> a|b -> a -> b/);
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
    for (const step of pipelineSteps(config)) {
      if (step.sql !== undefined) await db.exec(`explain ${step.sql}`);
      await step.run(db);
    }
    await db.close();
  });
});
