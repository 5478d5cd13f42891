/**
 * The speed issue's side-by-side bench on one generated file (bench/perf-data.ts: 900,000 customers, ~9.9M
 * transactions, the shape of ../shared/bench/gen_perf.py):
 *
 *   1. DuckDB bare SQL, in this process: read_csv into a table, the per-customer summary, monthly cohorts, RFM
 *      quintiles (the SQL of ../shared/bench/duckdb_ref.mjs), with the same engine settings kehu uses;
 *   2. `kehu ingest` and `kehu run` as the real CLI, each in a process of its own (bench/cli-child.ts), for their
 *      own wall time and peak RSS; per-step times are read from the run log, fit seconds from model_fit.
 *
 * Then the ratios the issue sets targets for: kehu's stage / DuckDB's own stage, measured in the same run (the
 * machines are shared: quote ratios, not absolute times).
 *
 *   npx tsx bench/perf.ts [--customers 900000] [--csv existing.csv] [--memory-limit 1GB] [--threads N] [--ingest-only]
 *
 * `--ingest-only`: only DuckDB's read_csv and `kehu ingest` (about a sixth of the time), for the ingest ratio.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type EngineSettings } from "../src/data/db.ts";
import { TABLES } from "../src/data/schemas.ts";
import { writePerfCsv } from "./perf-data.ts";

/** The stages of ../shared/bench/duckdb_ref.mjs, verbatim but for the table names. */
export const BARE_STAGES: Array<[string, (csv: string) => string]> = [
  [
    "read",
    (csv) =>
      `create table tx as select * from read_csv('${csv}', header=true, columns={'order_id':'VARCHAR','customer_id':'VARCHAR','ordered_at':'TIMESTAMP','amount':'DOUBLE'})`,
  ],
  [
    "summary",
    () => `create table summ as
  with daily as (select customer_id, ordered_at::date d, sum(amount) amt from tx group by all),
  ranked as (select *, row_number() over (partition by customer_id order by d) k from daily),
  lastday as (select max(d) m from daily)
  select customer_id, count(*) - 1 frequency, (max(d) - min(d)) recency, ((select m from lastday) - min(d)) T,
         coalesce(avg(amt) filter (where k > 1), 0) monetary_value
  from ranked group by customer_id`,
  ],
  [
    "cohorts",
    () => `create table coh as
  with m as (select distinct customer_id, date_trunc('month', ordered_at) mon from tx),
  c as (select customer_id, min(mon) cohort from m group by 1)
  select cohort, datediff('month', cohort, mon) k, count(*) active from m join c using (customer_id) group by all`,
  ],
  [
    "rfm",
    () => `create table rfm as select customer_id, ntile(5) over (order by T - recency desc) r,
  ntile(5) over (order by frequency) f, ntile(5) over (order by monetary_value) m from summ`,
  ],
];

/**
 * Like for like with the ingest, not a target: DuckDB's read_csv of the same file (same types) into a table of the
 * shape kehu stores, TABLES.transactions plus source_file (constant) and source_line (NULL here: DuckDB does not
 * number lines on every thread), the columns the file lacks as NULL. What writing that table costs DuckDB itself.
 */
export function readIntoKehuShapeSql(csv: string): string {
  const given: Record<string, string> = {
    order_id: "VARCHAR",
    customer_id: "VARCHAR",
    ordered_at: "TIMESTAMP",
    amount: "DOUBLE",
  };
  const columns = TABLES.transactions.columns.map((c) => (c.name in given ? c.name : `null::${c.type} as ${c.name}`));
  const types = Object.entries(given)
    .map(([n, t]) => `'${n}':'${t}'`)
    .join(",");
  return `create table tx_shape as select ${columns.join(", ")}, '${csv}' as source_file, null::integer as source_line
  from read_csv('${csv}', header=true, columns={${types}})`;
}

/**
 * kehu's steps that do the work of each bare stage (the read is `kehu ingest`), charged whole: int_purchases also
 * feeds int_customer_periods, purchase_frequency, interpurchase_histogram and the calibration models, and
 * customer_summary also counts orders and net revenue (one more aggregation of every line, which the bare summary
 * does not do); int_customer_periods also carries each period's revenue and purchase count (customer_grades reads
 * it), the bare cohorts only which months a customer was active; rfm_scores also breaks ties (equal values, equal
 * score) and names segments. So a ratio slightly overstates kehu's cost of the bare stage's own work.
 */
export const KEHU_STAGES: Record<string, string[]> = {
  summary: ["int_purchases", "customer_summary"],
  cohorts: ["int_customer_periods", "cohort_retention"],
  rfm: ["rfm_scores"],
};

export interface PerfBench {
  rows: number;
  customers: number;
  engine: EngineSettings;
  bare: Record<string, number>;
  bareTotal: number;
  /** seconds of readIntoKehuShapeSql (not part of bareTotal) */
  readShape: number;
  ingest: { seconds: number; maxRssMb: number };
  run: { seconds: number; maxRssMb: number; steps: Array<{ name: string; seconds: number; rssMb: number }> };
  fits: Array<{ model: string; converged: boolean; fit_seconds: number; message: string }>;
  ratios: Record<string, number>;
}

export interface ChildReport {
  maxRssMb: number;
  seconds: number;
  exitCode: number;
  stderr: string;
}

/** `kehu <args>` in a child process: wall time, peak RSS, and its log. */
export function kehu(args: string[], dir: string): ChildReport {
  const out = join(dir, `child-${args.at(-1)}.json`);
  const child = fileURLToPath(new URL("./cli-child.ts", import.meta.url));
  const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
  // the run log goes to stderr: capture it (stdout passes through)
  const result = spawnSync(tsx, [child, ...args], {
    env: { ...process.env, KEHU_BENCH_OUT: out },
    stdio: ["ignore", "inherit", "pipe"],
    maxBuffer: 1 << 26,
  });
  const stderr = String(result.stderr ?? "");
  const exitCode = existsSync(out)
    ? (JSON.parse(readFileSync(out, "utf8")) as { exitCode: number }).exitCode
    : result.status;
  if (result.status !== 0 || exitCode !== 0)
    throw new Error(`kehu ${args.join(" ")} failed (${result.status ?? result.signal}):\n${stderr}`);
  const report = JSON.parse(readFileSync(out, "utf8")) as Omit<ChildReport, "stderr">;
  return { ...report, stderr };
}

/** Per-step times and RSS from the run log lines "[i/n] name 1.23 s, rss 456 MB". */
export function parseStepLog(log: string): Array<{ name: string; seconds: number; rssMb: number }> {
  return [...log.matchAll(/^\[\d+\/\d+\] (\S+) ([\d.]+) s, rss (\d+) MB$/gm)].map((m) => ({
    name: m[1],
    seconds: Number(m[2]),
    rssMb: Number(m[3]),
  }));
}

/** A project in `dir` on one transactions CSV (database, marts, rejected rows and the site all inside `dir`). */
export function writeBenchConfig(dir: string, csv: string, engine: EngineSettings): string {
  const config = join(dir, "kehu.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      database: join(dir, "kehu.duckdb"),
      martsDir: join(dir, "marts"),
      rejectedDir: join(dir, "rejected"),
      sources: { transactions: { files: csv } },
      duckdb: engine,
      report: { outDir: join(dir, "dist") },
    }),
  );
  return config;
}

export async function benchPerf(
  options: { customers?: number; csv?: string; engine?: EngineSettings; ingestOnly?: boolean } = {},
): Promise<PerfBench> {
  const customers = options.customers ?? 900_000;
  const engine: EngineSettings = { memoryLimit: "1GB", preserveInsertionOrder: false, ...options.engine };
  const dir = mkdtempSync(join(tmpdir(), "kehu-bench-perf-"));
  try {
    const csv = options.csv ?? join(dir, "transactions.csv");
    let rows: number;
    if (options.csv && existsSync(options.csv)) {
      rows = Number(execFileSync("wc", ["-l", options.csv], { encoding: "utf8" }).trim().split(/\s+/)[0]) - 1;
    } else {
      const t = performance.now();
      rows = await writePerfCsv(customers, csv);
      console.log(
        `generated ${rows.toLocaleString("en-US")} transactions of ${customers.toLocaleString("en-US")} customers in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
    }

    // 1. DuckDB bare SQL, same engine settings, in this process
    const bare: Record<string, number> = {};
    let readShape = NaN;
    const bareDb = await openDatabase(join(dir, "bare.duckdb"), { engine });
    for (const [name, sql] of options.ingestOnly ? BARE_STAGES.slice(0, 1) : BARE_STAGES) {
      const t = performance.now();
      await bareDb.exec(sql(csv.replace(/'/g, "''")));
      bare[name] = (performance.now() - t) / 1000;
      console.log(`  bare DuckDB ${name.padEnd(8)} ${bare[name].toFixed(2)} s`);
    }
    {
      const t = performance.now();
      await bareDb.exec(readIntoKehuShapeSql(csv.replace(/'/g, "''")));
      readShape = (performance.now() - t) / 1000;
      await bareDb.exec("drop table tx_shape");
      console.log(`  DuckDB read_csv into kehu's table shape ${readShape.toFixed(2)} s`);
    }
    // the customers of the file itself (an existing --csv need not have the default count); not timed
    const [{ n: fileCustomers }] = await bareDb.all<{ n: number }>(
      "select count(distinct customer_id)::integer as n from tx",
    );
    await bareDb.close();
    rmSync(join(dir, "bare.duckdb"), { force: true });
    const bareTotal = Object.values(bare).reduce((a, b) => a + b, 0);

    // 2. kehu ingest and kehu run, each its own process
    const config = writeBenchConfig(dir, csv, engine);
    const ingest = kehu(["-c", config, "ingest"], dir);
    console.log(`  kehu ingest ${ingest.seconds.toFixed(2)} s, peak RSS ${ingest.maxRssMb.toFixed(0)} MB`);
    if (options.ingestOnly) {
      const none = { seconds: NaN, maxRssMb: NaN, steps: [] };
      const ratios = { read: ingest.seconds / bare.read, readShape: ingest.seconds / readShape };
      const out = { rows, customers, engine, bare, bareTotal, readShape, ingest: pick(ingest) };
      return { ...out, run: none, fits: [], ratios };
    }
    const run = kehu(["-c", config, "run"], dir);
    const steps = parseStepLog(run.stderr);
    console.log(`  kehu run    ${run.seconds.toFixed(2)} s, peak RSS ${run.maxRssMb.toFixed(0)} MB`);
    const db = await openDatabase(join(dir, "kehu.duckdb"), { readOnly: true });
    const fits = await db.all<PerfBench["fits"][number]>(
      "select model, converged, fit_seconds, message from model_fit order by model",
    );
    await db.close();

    const stepSeconds = (names: string[]) =>
      names.reduce((s, n) => s + (steps.find((x) => x.name === n)?.seconds ?? NaN), 0);
    const ratios: Record<string, number> = { read: ingest.seconds / bare.read, readShape: ingest.seconds / readShape };
    for (const [stage, names] of Object.entries(KEHU_STAGES)) ratios[stage] = stepSeconds(names) / bare[stage];
    ratios.total = (ingest.seconds + run.seconds) / bareTotal;
    return {
      rows,
      customers: fileCustomers,
      engine,
      bare,
      bareTotal,
      readShape,
      ingest: pick(ingest),
      run: { seconds: run.seconds, maxRssMb: run.maxRssMb, steps },
      fits,
      ratios,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pick = (c: ChildReport) => ({ seconds: c.seconds, maxRssMb: c.maxRssMb });

const shapeLine = (r: PerfBench) =>
  `  like for like: DuckDB's read_csv into kehu's 11-column table ${r.readShape.toFixed(2)} s ` +
  `(${(r.readShape / r.bare.read).toFixed(2)}x read_csv); kehu ingest = ${r.ratios.readShape.toFixed(2)}x that (not a target)`;

/** The report `npm run bench` prints. */
export function formatPerf(r: PerfBench): string {
  const s = (v: number) => `${v.toFixed(2)} s`;
  const x = (v: number) => `${v.toFixed(2)}x`;
  if (Number.isNaN(r.run.seconds)) {
    return [
      `${r.rows.toLocaleString("en-US")} transactions; engine ${JSON.stringify(r.engine)}`,
      `DuckDB read_csv ${s(r.bare.read)}`,
      `kehu ingest ${s(r.ingest.seconds)} (peak RSS ${r.ingest.maxRssMb.toFixed(0)} MB) = ${x(r.ratios.read)} DuckDB's read_csv (target <= 1.5x)`,
      shapeLine(r),
    ].join("\n");
  }
  const lines = [
    `${r.rows.toLocaleString("en-US")} transactions, ${r.customers.toLocaleString("en-US")} customers; engine ${JSON.stringify(r.engine)}`,
    `DuckDB bare SQL: ${Object.entries(r.bare)
      .map(([k, v]) => `${k} ${s(v)}`)
      .join(", ")}; total ${s(r.bareTotal)}`,
    `kehu ingest ${s(r.ingest.seconds)} (peak RSS ${r.ingest.maxRssMb.toFixed(0)} MB) = ${x(r.ratios.read)} DuckDB's read_csv (target <= 1.5x)`,
    shapeLine(r),
    `kehu run    ${s(r.run.seconds)} (peak RSS ${r.run.maxRssMb.toFixed(0)} MB, target <= 2048 MB)`,
    `kehu ingest + run ${s(r.ingest.seconds + r.run.seconds)} = ${x(r.ratios.total)} the bare SQL's total (target: <= 30 s)`,
    `shared SQL stages, kehu / DuckDB (target <= 1.3x):`,
    ...Object.entries(KEHU_STAGES).map(
      ([stage, names]) => `  ${stage.padEnd(8)} ${x(r.ratios[stage])}  (${names.join(" + ")} vs bare ${stage})`,
    ),
    `fits (target: all four <= 5 s): ${r.fits.map((f) => `${f.model} ${s(f.fit_seconds)}${f.converged ? "" : " (not converged)"}`).join(", ")}; ` +
      `total ${s(r.fits.reduce((a, f) => a + f.fit_seconds, 0))}`,
    ...r.fits.filter((f) => !f.converged).map((f) => `  ${f.model}: ${f.message}`),
    `kehu run steps (slowest first):`,
    ...[...r.run.steps]
      .sort((a, b) => b.seconds - a.seconds)
      .map((st) => `  ${st.name.padEnd(34)} ${s(st.seconds).padStart(9)}  rss ${st.rssMb} MB`),
  ];
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: {
      customers: { type: "string" },
      csv: { type: "string" },
      "memory-limit": { type: "string" },
      threads: { type: "string" },
      "ingest-only": { type: "boolean" },
    },
  });
  const r = await benchPerf({
    customers: values.customers ? Number(values.customers) : undefined,
    csv: values.csv,
    ingestOnly: values["ingest-only"],
    engine: {
      ...(values["memory-limit"] ? { memoryLimit: values["memory-limit"] } : {}),
      ...(values.threads ? { threads: Number(values.threads) } : {}),
    },
  });
  console.log(formatPerf(r));
}
