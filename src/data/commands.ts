/**
 * The `kehu init | check | ingest` commands: argument parsing, printing and progress bars around ingest.ts.
 * Registered on the program by src/cli.ts (which maps DataError to exit 1 and ConfigError to exit 2).
 */
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import cliProgress from "cli-progress";
import { CONFIG_FILE, ConfigError, parseConfig, parseConfigText, type KehuConfig } from "./config.ts";
import { configJsonSchemaText, SCHEMA_FILE } from "./schema.ts";
import { openDatabase } from "./db.ts";
import { DataError } from "./errors.ts";
import {
  checkSources,
  ingestSources,
  type CheckReport,
  type FileReport,
  type IngestProgress,
  type IngestReport,
} from "./ingest.ts";

/**
 * The commented example `kehu init` writes, as JSONC: each "// key" entry here becomes a // comment line above the
 * key it precedes (renderJsonc). Old configs that still carry "//" keys load too (loadConfig drops them).
 */
export const CONFIG_TEMPLATE = {
  "//": "kehu configuration (JSON with comments). Paths are relative to this file. Editors complete keys from $schema.",
  $schema: "./kehu.schema.json",
  database: "data/kehu.duckdb",
  martsDir: "data/marts",
  rejectedDir: "rejected",
  "// maxRejectRate": "fraction of a file's rows that may be rejected before `kehu ingest` fails (0.01 = 1%)",
  maxRejectRate: 0.01,
  "// plausibleDates":
    "dates outside min..max are rejected rows; max defaults to one year after the run, birthdays use birthdayMin (1900-01-01)..today",
  plausibleDates: { min: "1990-01-01" },
  sources: {
    "// sources": "transactions is required; customers, visits, complaints and invoices are optional.",
    "// customers":
      "customers, visits, complaints and invoices (optional) take the same keys as transactions; customers' columns: customer_id (required), name, phone, email, address, region, industry, sales_rep, signup_date, birthday, credit_limit, referred_by, decision_maker, notes",
    transactions: {
      "// files": "one path or glob (e.g. exports/orders-*.csv), or a list of them",
      files: "exports/orders.csv",
      "// format": "csv | tsv | whitespace (columns separated by runs of spaces)",
      format: "csv",
      "// delimiter":
        "csv/tsv only: one character between fields; default , for csv and a tab for tsv (e.g. ; for European exports)",
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

/** JSON text of `value` with every "// key": "text" entry written as a `// text` line before the next key. */
export function renderJsonc(value: unknown, indent = ""): string {
  if (!value || typeof value !== "object" || Array.isArray(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  const entries = Object.entries(value as Record<string, unknown>);
  const real = entries.filter(([k]) => !k.startsWith("//"));
  let seen = 0;
  const lines = entries.map(([k, v]) => {
    if (k.startsWith("//")) return `${inner}// ${String(v)}`;
    seen++;
    return `${inner}${JSON.stringify(k)}: ${renderJsonc(v, inner)}${seen < real.length ? "," : ""}`;
  });
  return `{\n${lines.join("\n")}\n${indent}}`;
}

/** JSON for --json: BigInt as number, Dates as ISO strings (JSON.stringify does the latter). */
export function toJson(data: unknown): string {
  return JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? Number(v) : v), 2);
}

/** A command's result on stdout: prose, or with the global --json flag the result object as JSON. */
export function printResult(program: Command, prose: string, data: unknown): void {
  console.log(program.opts().json ? toJson(data) : prose);
}

export function parseRate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError("expected a fraction between 0 and 1, e.g. 0.01");
  return n;
}

const pct = (n: number, d: number) => (d ? `${((n / d) * 100).toFixed(2)}%` : "0%");

export function formatFileLine(f: FileReport): string {
  const warnings = f.warnings.map((w) => `\n    warning: ${w}`).join("");
  if (f.skipped)
    return `  ${f.source.padEnd(12)} ${f.file}: ${f.warnings.length ? "skipped" : "already loaded (same content), skipped"}${warnings}`;
  const parts = [
    `${f.rowsRead} rows read`,
    `${f.loaded} loaded`,
    `${f.rejected} rejected (${pct(f.rejected, f.rowsRead)})`,
  ];
  if (f.duplicateRows) parts.push(`${f.duplicateRows} duplicate rows`);
  if (f.replaced) parts.push("replaced the previous version of this file");
  return `  ${f.source.padEnd(12)} ${f.file}: ${parts.join(", ")}${warnings}`;
}

export function formatIngestReport(report: IngestReport): string {
  const lines = report.repairs.map((r) => `warning: ${r}`);
  for (const f of report.pruned)
    lines.push(`pruned ${f.source} ${f.file}: removed its ${f.rows} rows (the config no longer matches it)`);
  const dups = report.duplicateRows ? `, ${report.duplicateRows} duplicate rows (see the warnings)` : "";
  lines.push(
    `ingested ${report.files.length} file(s): ${report.loaded} rows loaded, ${report.rejected} rejected${dups}`,
  );
  lines.push(...report.files.map(formatFileLine));
  for (const f of report.stale) {
    lines.push(
      `warning: ${f.source} ${f.file} was loaded before but the config no longer matches it (deleted or renamed?); its ${f.rows} rows stay until \`kehu ingest --prune\``,
    );
  }
  for (const f of report.rejectedFiles) lines.push(`rejected rows (file, line, column, value, reason): ${f}`);
  if (report.engine)
    lines.push(
      `${report.engine.engine}: ${report.engine.filesLoaded} file(s) (${report.engine.rowsLoaded} rows) loaded, ${report.engine.filesRemoved} removed`,
    );
  return lines.join("\n");
}

export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    lines.push(
      `${f.source} ${f.file} (${f.encoding}${Object.keys(f.dateFormats).length ? `, dates ${[...new Set(Object.values(f.dateFormats))].join("/")}` : ""})`,
    );
    const found = Object.entries(f.columns).map(([c, h]) => (h === null ? `${c}: -` : `${c} <- ${h}`));
    lines.push(`  columns: ${found.join(", ")}`);
    lines.push(
      `  ${f.rowsRead} rows, ${f.loaded} valid, ${f.rejected} would be rejected (${pct(f.rejected, f.rowsRead)})`,
    );
    for (const r of f.sampleRejects)
      lines.push(`    line ${r.line}, ${r.column} = ${JSON.stringify(r.value)}: ${r.reason}`);
    for (const w of f.warnings) lines.push(`  warning: ${w}`);
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
  const weight: Record<IngestProgress["stage"], number> = {
    inspect: 0.3,
    transcode: 0.35,
    read: 0.4,
    validate: 0.75,
    write: 0.85,
    done: 1,
    skipped: 1,
  };
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

export interface IngestCommandOptions {
  maxRejectRate?: number;
  prune?: boolean;
}

/** `kehu ingest` (and the first step of `kehu build`): load the exports with progress bars on stderr. */
export async function ingestWithProgress(cfg: KehuConfig, opts: IngestCommandOptions = {}): Promise<IngestReport> {
  const db = await openDatabase(cfg.database, { engine: cfg.duckdb });
  const bars = progressBars();
  try {
    return await ingestSources(db, cfg, {
      maxRejectRate: opts.maxRejectRate,
      prune: opts.prune,
      onProgress: bars.onProgress,
    });
  } finally {
    bars.stop();
    await db.close();
  }
}

export function registerIngestCommands(program: Command, loadCfg: () => KehuConfig): void {
  program
    .command("init")
    .description("write a commented example kehu.config.json (the path given by -c)")
    .option("--force", "overwrite an existing config file")
    .addHelpText("after", "\nExamples:\n  $ kehu init\n  $ kehu -c shop/kehu.config.json init --force")
    .action((opts: { force?: boolean }) => {
      const file = resolve(program.opts().config ?? CONFIG_FILE);
      if (existsSync(file) && !opts.force) {
        throw new ConfigError(`${file} already exists; use --force to overwrite it`);
      }
      const text = renderJsonc(CONFIG_TEMPLATE) + "\n";
      parseConfig(parseConfigText(text, file), file);
      writeFileSync(file, text);
      writeFileSync(join(dirname(file), SCHEMA_FILE), configJsonSchemaText());
      console.log(
        `wrote ${file} and ${SCHEMA_FILE} beside it: edit sources.transactions.files and columns, then run \`kehu check\``,
      );
    });

  program
    .command("check")
    .description("validate the config and every input file (columns, encoding, date format, bad rows); writes nothing")
    .option("--max-reject-rate <fraction>", "reject rate above which a file is reported as a problem", parseRate)
    .addHelpText("after", "\nExamples:\n  $ kehu check\n  $ kehu -c examples/cdnow/kehu.config.json check")
    .action(async (opts: { maxRejectRate?: number }) => {
      const report = await checkSources(loadCfg(), { maxRejectRate: opts.maxRejectRate });
      printResult(program, formatCheckReport(report), report);
      if (!report.ok) throw new DataError(`check found ${report.problems.length} problem(s)`);
    });

  program
    .command("ingest")
    .description(
      "load the configured exports into the database in one transaction (idempotent: unchanged files are skipped)",
    )
    .option(
      "--max-reject-rate <fraction>",
      "fail (and change nothing) when more than this fraction of a file's rows is rejected; default maxRejectRate from the config (0.01)",
      parseRate,
    )
    .option(
      "--prune",
      "also remove the rows of files loaded before that the config no longer matches (deleted or renamed exports)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ kehu ingest\n  $ kehu ingest --max-reject-rate 0.05\n  $ kehu ingest --prune\n  $ kehu -c examples/cdnow/kehu.config.json ingest\n\nRejected rows go to the rejected_rows table and rejected/<source>-<timestamp>.csv (file, line, column, value, reason).",
    )
    .action(async (opts: IngestCommandOptions) => {
      const report = await ingestWithProgress(loadCfg(), opts);
      printResult(program, formatIngestReport(report), report);
    });
}
