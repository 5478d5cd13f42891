/**
 * The `kehu init | check | ingest` commands: argument parsing, printing and progress bars around ingest.ts.
 * Registered on the program by src/cli.ts (which maps DataError to exit 1 and ConfigError to exit 2).
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import cliProgress from "cli-progress";
import { ConfigError, parseConfig, type KehuConfig } from "./config.ts";
import { openDatabase } from "./db.ts";
import { DataError } from "./errors.ts";
import { checkSources, ingestSources, type CheckReport, type FileReport, type IngestProgress, type IngestReport } from "./ingest.ts";

/** The commented example `kehu init` writes. Keys starting with "//" are comments (dropped by loadConfig). */
export const CONFIG_TEMPLATE = {
  "//": "kehu configuration. Keys starting with // are comments. Paths are relative to this file.",
  database: "data/kehu.duckdb",
  martsDir: "data/marts",
  rejectedDir: "rejected",
  "// maxRejectRate": "fraction of a file's rows that may be rejected before `kehu ingest` fails (0.01 = 1%)",
  maxRejectRate: 0.01,
  sources: {
    "// sources": "transactions is required; customers, visits, complaints and invoices are optional.",
    transactions: {
      "// files": "one path or glob (e.g. exports/orders-*.csv), or a list of them",
      files: "exports/orders.csv",
      "// format": "csv | tsv | whitespace (columns separated by runs of spaces)",
      format: "csv",
      "// encoding": "auto (UTF-8 with or without BOM, else GB18030) | utf-8 | gb18030 | gbk",
      encoding: "auto",
      header: true,
      "// dateFormat": "auto | ISO | yyyymmdd | yyyy/m/d | d/m/yyyy | m/d/yyyy | yyyy年m月d日",
      dateFormat: "auto",
      "// decimalSeparator": ". or , ; thousandsSeparator: '' , . space or '",
      decimalSeparator: ".",
      thousandsSeparator: ",",
      "// columns":
        "canonical name -> the export's header (or 1-based column number when header is false). Columns named like the canonical name need no entry. Required: customer_id, ordered_at, amount; optional: order_id, quantity, product, category, channel, sales_rep",
      columns: {
        order_id: "订单编号",
        customer_id: "客户编号",
        ordered_at: "下单日期",
        amount: "金额",
        quantity: "数量",
        product: "产品",
        category: "品类",
        sales_rep: "销售代表",
      },
    },
    "// customers":
      "optional, same keys as transactions; columns: customer_id (required), name, phone, email, address, region, industry, sales_rep, signup_date, birthday, credit_limit, referred_by, decision_maker, notes",
  },
  analysis: {
    "// period": "day | week | month: unit of recency, T and model predictions",
    period: "week",
    currency: "CNY",
  },
  report: {
    "// locale": "zh-CN | en",
    locale: "zh-CN",
    maskPii: false,
  },
};

function parseRate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("expected a fraction between 0 and 1, e.g. 0.01");
  return n;
}

const pct = (n: number, d: number) => (d ? `${((n / d) * 100).toFixed(2)}%` : "0%");

export function formatFileLine(f: FileReport): string {
  if (f.skipped) return `  ${f.source.padEnd(12)} ${f.file}: already loaded (same content), skipped`;
  const parts = [`${f.rowsRead} rows read`, `${f.loaded} loaded`, `${f.rejected} rejected (${pct(f.rejected, f.rowsRead)})`];
  if (f.replaced) parts.push("replaced the previous version of this file");
  return `  ${f.source.padEnd(12)} ${f.file}: ${parts.join(", ")}`;
}

export function formatIngestReport(report: IngestReport): string {
  const lines = [`ingested ${report.files.length} file(s): ${report.loaded} rows loaded, ${report.rejected} rejected`];
  lines.push(...report.files.map(formatFileLine));
  for (const f of report.rejectedFiles) lines.push(`rejected rows (file, line, column, value, reason): ${f}`);
  return lines.join("\n");
}

export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    lines.push(`${f.source} ${f.file} (${f.encoding}${Object.keys(f.dateFormats).length ? `, dates ${[...new Set(Object.values(f.dateFormats))].join("/")}` : ""})`);
    const found = Object.entries(f.columns).map(([c, h]) => (h === null ? `${c}: -` : `${c} <- ${h}`));
    lines.push(`  columns: ${found.join(", ")}`);
    lines.push(`  ${f.rowsRead} rows, ${f.loaded} valid, ${f.rejected} would be rejected (${pct(f.rejected, f.rowsRead)})`);
    for (const r of f.sampleRejects) lines.push(`    line ${r.line}, ${r.column} = ${JSON.stringify(r.value)}: ${r.reason}`);
  }
  for (const p of report.problems) lines.push(`problem: ${p}`);
  lines.push(report.ok ? "check passed: nothing was written" : "check failed: nothing was written");
  return lines.join("\n");
}

/** One cli-progress bar per file that is big enough to take over a second; none when stderr is not a terminal. */
export function progressBars(stream: NodeJS.WriteStream = process.stderr, minBytes = 16 << 20) {
  if (!stream.isTTY || process.env.VITEST) return { onProgress: undefined, stop() {} };
  const multi = new cliProgress.MultiBar(
    { stream, format: " {bar} {percentage}% | {file} | {stage}", hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const weight: Record<IngestProgress["stage"], number> = { inspect: 0.3, transcode: 0.35, read: 0.4, validate: 0.75, write: 0.85, done: 1, skipped: 1 };
  return {
    onProgress(e: IngestProgress) {
      if (e.bytes < minBytes) return;
      let bar = bars.get(e.file);
      if (!bar) bars.set(e.file, (bar = multi.create(100, 0, { file: e.file, stage: e.stage })));
      const fraction = e.stage === "inspect" ? (e.bytesDone / Math.max(1, e.bytes)) * weight.inspect : weight[e.stage];
      bar.update(Math.round(fraction * 100), { stage: e.stage });
    },
    stop() {
      multi.stop();
    },
  };
}

export function registerIngestCommands(program: Command, loadCfg: () => KehuConfig): void {
  program
    .command("init")
    .description("write a commented example kehu.config.json (the path given by -c)")
    .option("--force", "overwrite an existing config file")
    .addHelpText("after", "\nExamples:\n  $ kehu init\n  $ kehu -c shop/kehu.config.json init --force")
    .action((opts: { force?: boolean }) => {
      const file = resolve(program.opts().config);
      if (existsSync(file) && !opts.force) {
        throw new ConfigError(`${file} already exists; use --force to overwrite it`);
      }
      parseConfig(JSON.parse(JSON.stringify(CONFIG_TEMPLATE, (k, v) => (k.startsWith("//") ? undefined : v))));
      writeFileSync(file, JSON.stringify(CONFIG_TEMPLATE, null, 2) + "\n");
      console.log(`wrote ${file}: edit sources.transactions.files and columns, then run \`kehu check\``);
    });

  program
    .command("check")
    .description("validate the config and every input file (columns, encoding, date format, bad rows); writes nothing")
    .option("--max-reject-rate <fraction>", "reject rate above which a file is reported as a problem", parseRate)
    .addHelpText("after", "\nExamples:\n  $ kehu check\n  $ kehu -c examples/cdnow/kehu.config.json check")
    .action(async (opts: { maxRejectRate?: number }) => {
      const report = await checkSources(loadCfg(), { maxRejectRate: opts.maxRejectRate });
      console.log(formatCheckReport(report));
      if (!report.ok) throw new DataError(`check found ${report.problems.length} problem(s)`);
    });

  program
    .command("ingest")
    .description("load the configured exports into the database in one transaction (idempotent: unchanged files are skipped)")
    .option("--max-reject-rate <fraction>", "fail (and change nothing) when more than this fraction of a file's rows is rejected; default maxRejectRate from the config (0.01)", parseRate)
    .addHelpText(
      "after",
      "\nExamples:\n  $ kehu ingest\n  $ kehu ingest --max-reject-rate 0.05\n  $ kehu -c examples/cdnow/kehu.config.json ingest\n\nRejected rows go to the rejected_rows table and rejected/<source>-<timestamp>.csv (file, line, column, value, reason).",
    )
    .action(async (opts: { maxRejectRate?: number }) => {
      const cfg = loadCfg();
      const db = await openDatabase(cfg.database, { engine: cfg.engine });
      const bars = progressBars();
      try {
        const report = await ingestSources(db, cfg, { maxRejectRate: opts.maxRejectRate, onProgress: bars.onProgress });
        bars.stop();
        console.log(formatIngestReport(report));
      } finally {
        bars.stop();
        await db.close();
      }
    });
}
