/**
 * The `kehu` command. Thin: parses arguments, calls src/, prints. Exit codes: 0 ok, 1 data error, 2 usage or config
 * error, 70 internal error (a bug: please report it with the message). The config file: -c, else KEHU_CONFIG, else
 * the first kehu.config.json in the working directory or above.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError, findConfigFile, loadConfig, type KehuConfig } from "./data/config.ts";
import { openDatabase, DatabaseLockedError } from "./data/db.ts";

import { DataError } from "./data/errors.ts";
import { serveSite } from "./report/serve.ts";
import {
  formatIngestReport,
  ingestWithProgress,
  parseRate,
  printResult,
  registerIngestCommands,
} from "./data/commands.ts";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { DEMO_DEFAULTS, DemoOutputError, generateDemo } from "./data/demo.ts";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { ingestSources } from "./data/ingest.ts";
import { assertIngestConsistent } from "./data/repair.ts";
import { buildSite, REPO_ROOT, siteOptionsFor, SiteBuildError, type ReportFlags } from "./report/build.ts";
import { buildPortable } from "./report/portable.ts";
import { dirname } from "node:path";

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
}

/** A problem with the data (bad rows over the limit, unreadable input): exit code 1. Defined in src/data/errors.ts. */
export { DataError };

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** Exit code of an unexpected error (a bug, not bad input): sysexits' EX_SOFTWARE. */
export const EXIT_INTERNAL = 70;

const program = new Command()
  .name("kehu")
  .description(
    "kehu (客户): customer analytics from CRM exports - ingest into DuckDB, compute marts, build a static report site.",
  )
  .version(VERSION, "-V, --version", "print the version")
  .option("-c, --config <file>", "config file (default: KEHU_CONFIG, else the first kehu.config.json here or above)")
  .option("--json", "print each command's result as JSON on stdout (progress and warnings stay on stderr)")
  .showHelpAfterError()
  // Set before any subcommand exists so every subcommand inherits it: usage errors exit 2 via main().
  .exitOverride()
  .addHelpText(
    "after",
    `
Examples:
  $ kehu init                      write a commented kehu.config.json
  $ kehu demo --out demo-data      generate a demo dataset (2,000 customers)
  $ kehu check                     validate config and inputs, write nothing
  $ kehu ingest                    load the configured exports into the database
  $ kehu run                       compute all marts
  $ kehu report                    build the static site into dist/
  $ kehu serve                     open it at http://127.0.0.1:8080/
  $ kehu build                     ingest + run + report, as a scheduled job does
  $ kehu --json run                the run's result as JSON (for scripts)

Exit codes: 0 ok, 1 data error, 2 usage or config error, 70 internal error.`,
  );

function config(): KehuConfig {
  return loadConfig(findConfigFile(program.opts().config));
}

registerIngestCommands(program, config);

program
  .command("demo")
  .description(
    "generate a realistic, deterministic demo dataset (all five sources) and a kehu.config.json that loads it",
  )
  .option("--customers <n>", "number of customers", wholeNumber, DEMO_DEFAULTS.customers)
  .option("--seed <n>", "random seed: the same seed writes byte-identical files", wholeNumber, DEMO_DEFAULTS.seed)
  .option("--out <dir>", "output directory (keep it out of the repository)", DEMO_DEFAULTS.outDir)
  .option("--years <n>", "years of history", Number, DEMO_DEFAULTS.years)
  .option("--end <date>", "last day of the history, ISO date (also the config's analysis.asOf)", DEMO_DEFAULTS.end)
  .option("--force", "overwrite files in --out even if `kehu demo` did not write them")
  .addHelpText(
    "after",
    `
Writes transactions.csv (UTF-8, with a few messy rows the loader rejects), customers.csv (GBK, Chinese headers,
dates like 2024年3月8日), visits.csv, complaints.csv, invoices.csv (dates like 2024/3/8) and kehu.config.json.

Examples:
  $ kehu demo                                    2,000 customers, 2 years to 2026-06-30, into data/demo
  $ kehu demo --customers 50000 --seed 7 --out data/demo-big
  $ kehu demo --years 3 --end 2025-12-31 --out data/demo-2025
  $ kehu -c data/demo/kehu.config.json ingest && kehu -c data/demo/kehu.config.json run`,
  )
  .action(
    async (opts: { customers: number; seed: number; out: string; years: number; end: string; force?: boolean }) => {
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: "demo [{bar}] {value}/{total} customers", stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(opts.customers, 0);
      try {
        const s = await generateDemo({
          customers: opts.customers,
          seed: opts.seed,
          outDir: opts.out,
          years: opts.years,
          end: opts.end,
          force: opts.force,
          onProgress: (done) => bar?.update(done),
        });
        bar?.stop();
        console.log(
          `wrote ${s.customers} customers, ${s.transactions} transactions (${s.refunds} refunds, ${s.messyTransactions} messy rows), ` +
            `${s.visits} visits, ${s.complaints} complaints, ${s.invoices} invoices (${s.start} .. ${s.end}) into ${s.outDir}\n` +
            `next: kehu -c ${join(s.outDir, "kehu.config.json")} ingest`,
        );
      } catch (error) {
        bar?.stop();
        if (error instanceof DemoOutputError) {
          // A usage problem (bad option value, or an --out that holds someone's real files): exit 2, no help dump.
          console.error(`kehu: ${error.message}`);
          throw new CommanderError(2, "kehu.demo", error.message);
        }
        throw error;
      }
    },
  );

/** `kehu run` (and `kehu build`'s second step): every mart, in one transaction, then the Parquet export. */
async function runMarts(cfg: KehuConfig) {
  const db = await openDatabase(cfg.database, { engine: cfg.duckdb });
  try {
    await assertIngestConsistent(db);
    const started = performance.now();
    const { buildMarts } = await import("./pipelines/index.ts"); // (loaded when needed: `kehu ingest` starts faster)
    const result = await buildMarts(db, cfg, () => {}, printStepDone);
    if (result.engineBehind)
      process.stderr.write(
        `kehu: warning: the run is saved, but the engine's tables were not swapped in (${result.engineBehind}); the next \`kehu ingest\` or \`kehu run\` does it\n`,
      );
    process.stderr.write(
      `${formatSlowestSteps(result.timings)} (${((performance.now() - started) / 1000).toFixed(1)} s in all)\n`,
    );
    return result;
  } finally {
    await db.close();
  }
}

program
  .command("run")
  .description("compute every mart (RFM, cohorts, CLV, value matrix, churn, ...) and export them to Parquet")
  .addHelpText("after", "\nExamples:\n  $ kehu run\n  $ kehu -c shop/kehu.config.json --json run")
  .action(async () => {
    const cfg = config();
    const result = await runMarts(cfg);
    printResult(
      program,
      `built ${result.marts.length} marts as of ${result.asOf} into ${cfg.martsDir} (run ${result.runId})`,
      result,
    );
  });

interface ReportOptions {
  maskPii?: boolean;
  locale?: string;
  out?: string;
  top?: number;
  demo?: boolean;
  portable?: string | boolean;
}

/** `kehu report` (and `kehu build`'s last step): the site from the marts, replacing the output only on success. */
function checkLocale(locale: string | undefined): void {
  if (locale !== undefined && locale !== "zh-CN" && locale !== "en")
    throw new ConfigError(`--locale: expected one of zh-CN, en, got ${locale}`);
}

function buildOptions(cfg: KehuConfig, opts: ReportOptions) {
  return {
    ...siteOptionsFor(cfg, { ...opts, locale: opts.locale as ReportFlags["locale"] }),
    piiSalt: process.env.KEHU_PII_SALT || undefined,
    onProgress: (line: string) => {
      if (process.env.KEHU_VERBOSE || /error|fail|waiting|^building|^reading|^bundling/i.test(line))
        process.stderr.write(`${line}\n`);
    },
  };
}

async function reportSite(cfg: KehuConfig, opts: ReportOptions) {
  checkLocale(opts.locale);
  const started = Date.now();
  const result = await buildSite(buildOptions(cfg, opts));
  const prose = `built the site from run ${result.runId} (as of ${result.asOf ?? "n/a"}, ${result.customerPages} customer pages) into ${result.outDir} in ${Math.round((Date.now() - started) / 1000)} s`;
  return { result, prose };
}

const REPORT_OPTIONS = (command: Command) =>
  command
    .option(
      "--mask-pii",
      "replace names, phones, emails, addresses and customer ids by stable pseudonyms everywhere in the site",
    )
    .option("--locale <locale>", "zh-CN or en (default: report.locale)")
    .option("--out <dir>", "output directory (default: report.outDir); replaced only when the build succeeds")
    .option("--top <n>", "customers with a card page of their own (default: report.topCustomers)", wholeNumber);

REPORT_OPTIONS(
  program
    .command("report")
    .description(
      "build the static report site (Observable Framework) from the marts into report.outDir (default dist/)",
    ),
)
  .option("--demo", "generate the demo dataset into data/demo (if missing), ingest it and run the pipeline first")
  .addHelpText(
    "after",
    "\nExamples:\n  $ kehu report\n  $ kehu report --mask-pii --locale en --out public\n  $ kehu report --portable --mask-pii   (one .html file to e-mail)\n  $ kehu report --demo          (what `npm run report` does)\n\nSet KEHU_PII_SALT to give the pseudonyms a salt of your own.",
  )
  .option(
    "--portable [file]",
    "instead of the site, write ONE self-contained .html file (overview, value matrix, churn, follow-up) that opens from disk or an e-mail attachment (default: kehu-report.html beside report.outDir)",
  )
  .action(async (opts: ReportOptions) => {
    checkLocale(opts.locale);
    const cfg = opts.demo ? await prepareDemo() : config();
    if (opts.portable) {
      const options = buildOptions(cfg, opts);
      const file = resolve(
        typeof opts.portable === "string" ? opts.portable : join(dirname(options.outDir), "kehu-report.html"),
      );
      const result = await buildPortable({ ...options, file });
      printResult(
        program,
        `wrote the portable report of run ${result.runId} (as of ${result.asOf ?? "n/a"}, ${result.followupRows} of ${result.followupQueue} follow-up rows) to ${result.file} (${(result.bytes / 2 ** 20).toFixed(1)} MB)`,
        result,
      );
      return;
    }
    const { result, prose } = await reportSite(cfg, opts);
    printResult(program, prose, result);
  });

REPORT_OPTIONS(
  program
    .command("build")
    .description("ingest + run + report in one command, stopping at the first failure (what a scheduled job runs)"),
)
  .option("--max-reject-rate <fraction>", "as for kehu ingest", parseRate)
  .addHelpText(
    "after",
    "\nExamples:\n  $ kehu build\n  $ KEHU_CONFIG=exports/kehu.config.json kehu build --mask-pii\n  $ kehu --json build > build.json",
  )
  .action(async (opts: ReportOptions & { maxRejectRate?: number }) => {
    const cfg = config();
    const ingest = await ingestWithProgress(cfg, { maxRejectRate: opts.maxRejectRate });
    process.stderr.write(`${formatIngestReport(ingest)}\n`);
    const run = await runMarts(cfg);
    process.stderr.write(`built ${run.marts.length} marts as of ${run.asOf} (run ${run.runId})\n`);
    const { result, prose } = await reportSite(cfg, opts);
    printResult(program, prose, { ingest, run, report: result });
  });

program
  .command("serve")
  .description("open the built site in a browser: serve report.outDir (default dist/) on http://127.0.0.1 only")
  .option("--port <n>", "port", wholeNumber, 8080)
  .option("--dir <dir>", "site directory (default: report.outDir, or dist/ without a config)")
  .addHelpText(
    "after",
    "\nBrowsers do not run the site's modules from file://, so open it through this (or publish it).\n\nExamples:\n  $ kehu serve\n  $ kehu serve --dir public --port 9000",
  )
  .action(async (opts: { port: number; dir?: string }) => {
    const dir = resolve(
      opts.dir ?? (existsSync(findConfigFile(program.opts().config)) ? config().report.outDir : "dist"),
    );
    if (!existsSync(join(dir, "index.html"))) throw new DataError(`no site in ${dir}: build it with \`kehu report\``);
    const server = await serveSite(dir, opts.port);
    const { port } = server.address() as { port: number };
    console.log(`serving ${dir} at http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
  });

/** The run log: one line per step as it ends, with its wall time and the process's memory (RSS) at that point. */
function printStepDone(name: string, index: number, total: number, seconds: number): void {
  const rssMb = process.memoryUsage.rss() / 2 ** 20;
  process.stderr.write(`[${index + 1}/${total}] ${name} ${seconds.toFixed(2)} s, rss ${rssMb.toFixed(0)} MB\n`);
}

/** "slowest steps: model_fit 1.2 s, int_purchases 0.8 s, ..." (the five slowest). */
function formatSlowestSteps(timings: Array<{ name: string; seconds: number }>): string {
  const top = [...timings].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  return `slowest steps: ${top.map((t) => `${t.name} ${t.seconds.toFixed(1)} s`).join(", ")}`;
}

/** `report --demo`: the demo dataset, ingested and computed, as the config to report on. */
async function prepareDemo(): Promise<KehuConfig> {
  const outDir = resolve(DEMO_DEFAULTS.outDir);
  if (!existsSync(join(outDir, "kehu.config.json"))) {
    process.stderr.write(`generating the demo dataset into ${outDir}\n`);
    await generateDemo({ ...DEMO_DEFAULTS, outDir });
  }
  const cfg = loadConfig(join(outDir, "kehu.config.json"));
  const db = await openDatabase(cfg.database, { engine: cfg.duckdb });
  try {
    console.log(formatIngestReport(await ingestSources(db, cfg)));
    const { buildMarts } = await import("./pipelines/index.ts");
    await buildMarts(db, cfg, () => {}, printStepDone);
  } finally {
    await db.close();
  }
  return cfg;
}

/** The exit code for an error a command threw, after printing it: 2 usage/config, 1 data, 70 anything else (a bug). */
export function exitCodeFor(error: unknown, print: (line: string) => void = console.error): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof ConfigError) {
    print(`kehu: ${error.message}`);
    return 2;
  }
  if (error instanceof DatabaseLockedError || error instanceof DataError || error instanceof SiteBuildError) {
    print(`kehu: ${error.message}`);
    return 1;
  }
  print(`kehu: internal error (please report it): ${(error as Error)?.stack ?? error}`);
  return EXIT_INTERNAL;
}

/** Run the command line; bin/kehu.js sets the process's exit code from it. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}

// Run when executed directly (`tsx src/cli.ts ...`, npm run kehu); bin/kehu.js imports main instead.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = await main(process.argv);
