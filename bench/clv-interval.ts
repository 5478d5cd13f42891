/**
 * customer_clv_interval benchmark: n simulated customers (default 200k; BG/NBD + Gamma-Gamma at day grain, two years
 * of acquisition, so T and t_x vary as in a real base) in an in-memory DuckDB with a model_fit of the true parameters,
 * then the step as `kehu run` calls it, per purchase model. Prints the wall and CPU seconds (CPU is the steadier figure on a shared machine) and a checksum of the mart; with
 * `--dump file` writes the mart as JSON lines for a before/after comparison. Run alone: `npx tsx bench/clv-interval.ts [n] [model]`.
 */
import { writeFileSync } from "node:fs";
import { openDatabase } from "../src/data/db.ts";
import { parseConfig } from "../src/data/config.ts";
import { modelCheckSteps } from "../src/pipelines/clv/checkSteps.ts";
import { compressRows, fitBgNbd, fitParetoNbd } from "../src/pipelines/clv/models.ts";
import { simulateCustomers } from "../test/clv/simulate.ts";

const args = process.argv.slice(2);
const dumpAt = args.indexOf("--dump");
const dump = dumpAt >= 0 ? args.splice(dumpAt, 2)[1] : null;
const n = Number(args[0] ?? 200_000);
const models = args[1] ? [args[1]] : ["bgnbd", "pnbd"];
const spend = { p: 6, q: 4, gamma: 15 };
const sim = simulateCustomers(n, { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, spend, {
  seed: 7,
  weeks: 156,
  acquisitionWeeks: 104,
});
// The fitted parameters (the step needs a maximum of the likelihood for a positive-definite Hessian).
const compressed = compressRows(sim.x, sim.tx, sim.T);
const PARAMS: Record<string, object> = {
  bgnbd: fitBgNbd(compressed).params,
  pnbd: models.includes("pnbd") ? fitParetoNbd(compressed).params : {},
};
const db = await openDatabase(":memory:");
await db.exec(
  `create table customer_summary (customer_id varchar, frequency integer, recency double, "T" double, monetary_value double, orders integer, revenue double)`,
);
await db.insertRows(
  "customer_summary",
  ["customer_id", "frequency", "recency", "T", "monetary_value", "orders", "revenue"],
  Array.from(sim.x, (x, i) => [
    `c${String(i).padStart(7, "0")}`,
    x,
    sim.tx[i],
    sim.T[i],
    Math.round(sim.m[i] * 100) / 100,
    x + 1,
    (Math.round(sim.m[i] * 100) / 100) * (x + 1),
  ]),
);
const step = modelCheckSteps(
  parseConfig({ sources: { transactions: { files: "x.csv" } }, analysis: { period: "week" } }),
).find((s) => s.name === "customer_clv_interval")!;
const out: string[] = [];
for (const model of models) {
  await db.exec(
    "create or replace table model_fit (model varchar, params varchar, selected boolean, converged boolean)",
  );
  await db.insertRows(
    "model_fit",
    ["model", "params", "selected", "converged"],
    [
      [model, JSON.stringify(PARAMS[model]), true, true],
      ["gammagamma", JSON.stringify(spend), false, true],
    ],
  );
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await step.run(db);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const [c] = await db.all<
    Record<string, number>
  >(`select count(*)::integer as rows, count(distinct (frequency, recency, "T"))::integer as histories,
    sum(clv_low) as clv_low, sum(clv_high) as clv_high, sum(expected_low) as expected_low, sum(expected_high) as expected_high
    from customer_clv_interval join customer_summary using (customer_id)`);
  console.log(
    JSON.stringify({
      model,
      customers: n,
      seconds: Number(seconds.toFixed(2)),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      ...c,
    }),
  );
  if (dump) {
    const rows = await db.all<Record<string, unknown>>("select * from customer_clv_interval");
    for (const r of rows)
      out.push(JSON.stringify([model, r.customer_id, r.clv_low, r.clv_high, r.expected_low, r.expected_high]));
  }
}
if (dump) writeFileSync(dump, `${out.join("\n")}\n`);
await db.close();
