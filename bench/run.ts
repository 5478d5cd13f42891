/**
 * `npm run bench`: prints the figures the issues set targets for. Never part of `npm test`.
 *
 *   perf        (the default) the speed issue's side-by-side run on one generated file of ~9.9M transactions of
 *               900,000 customers (bench/perf.ts): DuckDB bare SQL for the shared stages in this process, then
 *               `kehu ingest` and `kehu run` in processes of their own; ratios, peak RSS, per-step and fit seconds
 *   ingest      10M-row transactions CSV: kehu's ingest vs DuckDB's own read_csv of the same file (target <= 1.5x)
 *   pipeline    `kehu run` on a 1M-customer demo (about 10M transactions over 3 years), per step
 *   clv fit     model fitting on 1M simulated customers (target: < 2% of the pipeline's time)
 *   engine      the pushed-down stage (the .clickhouse.sql models) on chdb vs the same models in DuckDB, with the
 *               rows and Parquet bytes pulled back (bench/engine.ts; --engine-transactions, --engine-customers)
 *   site        the report site for a 50k-customer demo: build time and the largest page's gzip transfer size
 *               (target <= 1 MB per page)
 *   report      (optional) `kehu report` for 1M customers (bench/report.ts: ingest and run first): build seconds
 *               (target <= 3 min) and every page's transfer on load, measured in Chromium (target <= 1 MB)
 *
 * Sizes: npm run bench -- --rows 10000000 --customers 1000000 --site-customers 50000
 * Sections: npm run bench -- --only perf,ingest,pipeline,clv,engine,site,report (--report-customers 1000000)
 *           (npm run bench -- --perf-customers 90000 for a 1M-row trial of perf)
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/data/db.ts";
import { createAllTablesSql } from "../src/data/schemas.ts";
import { loadConfig } from "../src/data/config.ts";
import { ingestSources } from "../src/data/ingest.ts";
import { generateDemo } from "../src/data/demo.ts";
import { exportMarts, runPipelines } from "../src/pipelines/index.ts";
import { buildSite } from "../src/report/build.ts";
import { benchIngest } from "./ingest.ts";
import { benchRun } from "./run-pipeline.ts";
import { generateBenchData } from "./demo.ts";
import { benchClvFit } from "./clv.ts";
import { benchPerf, formatPerf } from "./perf.ts";
import { benchEngine, formatEngine } from "./engine.ts";
import { benchReport, formatReport, shardStats, sitePages } from "./report.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "10000000" },
    customers: { type: "string", default: "1000000" },
    "site-customers": { type: "string", default: "50000" },
    "perf-customers": { type: "string", default: "900000" },
    "engine-transactions": { type: "string", default: "10000000" },
    "engine-customers": { type: "string", default: "1000000" },
    "report-customers": { type: "string", default: "1000000" },
    only: { type: "string", default: "perf" },
  },
});
const only = new Set(args.only!.split(","));
const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtN = (n: number) => n.toLocaleString("en-US");
const results: Record<string, unknown> = {};

if (only.has("perf")) {
  const customers = Number(args["perf-customers"]);
  console.log(`\n== perf: kehu vs bare DuckDB on one file of ${fmtN(customers)} customers`);
  const r = await benchPerf({ customers });
  console.log(formatPerf(r));
  results.perf = r;
}

if (only.has("ingest")) {
  const rows = Number(args.rows);
  console.log(`\n== ingest: ${fmtN(rows)} rows`);
  const r = await benchIngest(rows);
  console.log(
    `kehu ingest ${r.ingestSeconds.toFixed(1)} s, DuckDB read_csv ${r.readCsvSeconds.toFixed(1)} s -> ratio ${r.ratio.toFixed(2)}x (target <= 1.5x)`,
  );
  results.ingest = r;
}

let pipelineMs = 0;
if (only.has("pipeline")) {
  // Realistic data (the demo generator's repeat-buying process), so the model fits face what users' data looks like.
  const customers = Number(args.customers);
  console.log(`\n== kehu run: demo data with ${fmtN(customers)} customers`);
  const dir = mkdtempSync(join(tmpdir(), "kehu-bench-run-"));
  try {
    let t = performance.now();
    const demo = await generateBenchData(join(dir, "demo"), customers);
    console.log(`generated ${fmtN(demo.transactions)} transactions in ${fmtS(performance.now() - t)}`);
    const cfg = loadConfig(join(dir, "demo", "kehu.config.json"));
    const db = await openDatabase(cfg.database);
    t = performance.now();
    await ingestSources(db, cfg);
    console.log(`ingest of all five files ${fmtS(performance.now() - t)}`);
    const r = await benchRun(db, cfg);
    await db.close();
    pipelineMs = r.totalMs;
    console.log(
      `kehu run total ${fmtS(r.totalMs)} (${fmtN(r.rows.customers)} customers, ${fmtN(r.rows.transactions)} transactions)`,
    );
    for (const s of [...r.steps].sort((a, b) => b.ms - a.ms).slice(0, 12))
      console.log(`  ${s.name.padEnd(34)} ${fmtS(s.ms)}`);
    const fit = r.steps.find((s) => s.name === "model_fit");
    if (fit) console.log(`model_fit step = ${((100 * fit.ms) / r.totalMs).toFixed(2)}% of kehu run (target < 2%)`);
    results.pipeline = r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (only.has("clv")) {
  const customers = Number(args.customers);
  console.log(`\n== CLV fit: ${fmtN(customers)} simulated customers`);
  const r = await benchClvFit(customers);
  const fitMs = Object.entries(r.ms)
    .filter(([k]) => k.startsWith("fit"))
    .reduce((s, [, v]) => s + v, 0);
  console.log(
    `${fmtN(r.distinctRows)} distinct (x, t_x, T) rows; ` +
      Object.entries(r.ms)
        .map(([k, v]) => `${k} ${fmtS(v)}`)
        .join(", "),
  );
  const share = pipelineMs ? ` = ${((100 * fitMs) / pipelineMs).toFixed(2)}% of the pipeline (target < 2%)` : "";
  console.log(`fit time ${fmtS(fitMs)}${share}`);
  results.clv = r;
}

if (only.has("engine")) {
  const transactions = Number(args["engine-transactions"]);
  console.log(`\n== engine: the pushed-down stage on chdb vs DuckDB, ${fmtN(transactions)} transactions`);
  const r = await benchEngine(transactions, Number(args["engine-customers"]));
  console.log(formatEngine(r));
  results.engine = r;
}

/**
 * What a page fetches on load, from its HTML: its own modules, stylesheets and data files (gzip sizes). The search
 * page's shards (dist/_kehu/) are fetched one at a time as the user types or opens a card, so they count separately.
 */
function pageTransferBytes(dist: string, html: string): number {
  const text = readFileSync(html, "utf8");
  const refs = new Set<string>();
  for (const m of text.matchAll(/["'(](\.{0,2}\/?(?:[\w.-]+\/)*_(?:file|import|node|observablehq)\/[^"'()\s]+)["')]/g))
    refs.add(m[1]);
  let bytes = gzipSync(readFileSync(html)).length;
  for (const ref of refs) {
    const file = ref.startsWith("/") ? join(dist, ref) : resolve(dirname(html), ref);
    try {
      if (statSync(file).isFile()) bytes += gzipSync(readFileSync(file)).length;
    } catch {
      /* a reference that is not a file in dist/ (e.g. a template string) */
    }
  }
  return bytes;
}

if (only.has("site")) {
  const customers = Number(args["site-customers"]);
  console.log(`\n== site: demo with ${fmtN(customers)} customers`);
  const dir = mkdtempSync(join(tmpdir(), "kehu-bench-site-"));
  try {
    let t = performance.now();
    await generateDemo({ customers, seed: 42, outDir: join(dir, "demo") });
    const cfg = loadConfig(join(dir, "demo", "kehu.config.json"));
    const db = await openDatabase(cfg.database);
    await ingestSources(db, cfg, { maxRejectRate: 0.05 });
    await db.exec(createAllTablesSql());
    const run = await runPipelines(db, cfg);
    await exportMarts(db, run.marts, cfg.martsDir);
    await db.close();
    console.log(`demo + ingest + run ${fmtS(performance.now() - t)}`);
    t = performance.now();
    const out = join(dir, "dist");
    await buildSite({
      martsDir: cfg.martsDir,
      outDir: out,
      databasePath: cfg.database,
      topCustomers: cfg.report.topCustomers,
    });
    const buildMs = performance.now() - t;
    const pages = sitePages(out)
      .map((page) => ({ page, bytes: pageTransferBytes(out, join(out, page)) }))
      .sort((a, b) => b.bytes - a.bytes);
    console.log(`site build ${fmtS(buildMs)}, ${pages.length} pages; largest transfers (gzip, target <= 1 MB):`);
    for (const p of pages.slice(0, 5)) console.log(`  ${p.page.padEnd(34)} ${(p.bytes / 1024).toFixed(0)} KB`);
    const searchPage = pages.find((p) => p.page === join("customers", "index.html"));
    console.log(`  the search page (customers/index.html) ${((searchPage?.bytes ?? 0) / 1024).toFixed(0)} KB`);
    const { cards, search } = shardStats(out);
    console.log(
      `  customer-card shards (one fetched when a card is opened): ${cards.files}, up to ${(cards.maxGzipBytes / 1024).toFixed(0)} KB`,
    );
    console.log(
      `  search shards (fetched as the user types): ${search.files}, up to ${(search.maxGzipBytes / 1024).toFixed(0)} KB`,
    );
    results.site = {
      buildMs,
      largest: pages.slice(0, 5),
      searchPageBytes: searchPage?.bytes,
      largestShardBytes: cards.maxGzipBytes,
      largestSearchShardBytes: search.maxGzipBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (only.has("report")) {
  // Optional (not in the default run): 1M customers take minutes to generate, ingest and run before the report.
  const customers = Number(args["report-customers"]);
  console.log(`\n== report: kehu report for ${fmtN(customers)} customers, and every page's transfer on load`);
  const r = await benchReport({ customers });
  console.log(formatReport(r));
  results.report = r;
}

console.log(`\n${JSON.stringify(results, (k, v) => (k === "steps" ? undefined : v))}`);
