/**
 * kehu.config.json: validated with zod. Every section has defaults, so `{ "sources": { "transactions": ... } }` is
 * a complete config. Errors name the key path and the allowed values.
 */
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import { z } from "zod";
import { SOURCE_NAMES } from "./schemas.ts";
import { engineSchema } from "../engine/config.ts";
import { DEFAULT_MODEL_CHOICE } from "../pipelines/clv/selection.ts";

export const DATE_FORMATS = ["auto", "ISO", "yyyymmdd", "yyyy/m/d", "d/m/yyyy", "m/d/yyyy", "yyyy年m月d日"] as const;

export const sourceSchema = z
  .object({
    /** One path or glob, or a list of them; relative to the config file. */
    files: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /**
     * Instead of files: a table already on the ClickHouse engine (`table` or `database.table`), read through
     * `columns` (canonical column -> the table's column). Needs engine.kind clickhouse or chdb (src/engine/table-sources.ts).
     */
    table: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
        "expected a ClickHouse table name: table or database.table",
      )
      .optional(),
    /** csv | tsv | whitespace (legacy fixed-width dumps) | xlsx (an Excel workbook) | parquet */
    format: z.enum(["csv", "tsv", "whitespace", "xlsx", "parquet"]).default("csv"),
    /** xlsx only: the sheet, by name or 1-based number (default: the first) */
    sheet: z.union([z.string().min(1), z.number().int().positive()]).optional(),
    /** csv/tsv field delimiter, one character; default "," for csv and a tab for tsv (e.g. ";" for European exports) */
    delimiter: z.string().length(1, 'expected one character, e.g. ";"').optional(),
    /** auto: UTF-8 (with or without BOM), UTF-16 (with a BOM, or Latin text without), else GB18030 */
    encoding: z.enum(["auto", "utf-8", "gb18030", "gbk", "utf-16le", "utf-16be"]).default("auto"),
    header: z.boolean().default(true),
    dateFormat: z.enum(DATE_FORMATS).default("auto"),
    decimalSeparator: z.enum([".", ","]).default("."),
    thousandsSeparator: z.enum(["", ",", ".", " ", "'"]).default(""),
    /** canonical column name -> the export's header (or 1-based column number when header is false) */
    columns: z.record(z.string(), z.union([z.string(), z.number().int().positive()])).default({}),
  })
  .strict()
  .refine((s) => (s.files === undefined) !== (s.table === undefined), {
    message: "expected files (exported files) or table (a table on the ClickHouse engine), exactly one of them",
    path: ["files"],
  })
  .refine((s) => s.table === undefined || Object.values(s.columns).every((c) => typeof c === "string"), {
    message: "a table source maps canonical columns to the table's column names (strings)",
    path: ["columns"],
  })
  .refine((s) => !(s.format === "whitespace" && s.delimiter !== undefined), {
    message: "delimiter does not apply to format whitespace (fields are separated by runs of spaces)",
    path: ["delimiter"],
  })
  .refine((s) => s.sheet === undefined || s.format === "xlsx", {
    message: "sheet applies to format xlsx only",
    path: ["sheet"],
  });

export const configSchema = z
  .object({
    /** The JSON Schema this file follows (for editors): ignored by kehu. */
    $schema: z.string().optional(),
    database: z.string().default("data/kehu.duckdb"),
    martsDir: z.string().default("data/marts"),
    rejectedDir: z.string().default("rejected"),
    maxRejectRate: z.number().min(0).max(1).default(0.01),
    /**
     * Dates outside [min, max] are rejected rows (a typo such as 2240-01-05 would otherwise move the analysis date).
     * max defaults to one year after the run; birthdays are checked against [birthdayMin, today] instead.
     */
    plausibleDates: z
      .object({
        min: z.iso.date().default("1990-01-01"),
        max: z.iso.date().optional(),
        birthdayMin: z.iso.date().default("1900-01-01"),
      })
      .strict()
      .prefault({}),
    sources: z
      .object(
        Object.fromEntries(SOURCE_NAMES.map((n) => [n, sourceSchema.optional()])) as {
          [K in (typeof SOURCE_NAMES)[number]]: z.ZodOptional<typeof sourceSchema>;
        },
      )
      .strict()
      .default({}),
    analysis: z
      .object({
        /** Observation end (ISO date); default: last transaction date. */
        asOf: z.iso.date().optional(),
        period: z.enum(["day", "week", "month"]).default("week"),
        /**
         * The business's time zone (IANA name, e.g. Asia/Shanghai): timestamps written with an offset are converted
         * to it before their date is taken. Default: every timestamp is local business time as written.
         */
        timezone: z
          .string()
          .refine((tz) => {
            try {
              new Intl.DateTimeFormat("en", { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, "expected an IANA time zone name such as Asia/Shanghai or Europe/Berlin")
          .optional(),
        cohortPeriod: z.enum(["week", "month", "quarter"]).default("month"),
        purchaseGrain: z.enum(["day", "order"]).default("day"),
        margin: z.number().positive().max(1).default(1),
        currency: z.string().default("CNY"),
        discountRateAnnual: z.number().min(0).max(1).default(0.1),
        horizonMonths: z.number().int().positive().max(120).default(12),
        /** With it, models are fitted on data before this date and validated on the rest. */
        holdoutStart: z.iso.date().optional(),
        /**
         * How the purchase model is chosen (src/pipelines/clv/selection.ts): the lowest BIC, replaced by another model
         * only if its holdout RMSE is lower by at least `margin` (relative) and its |aggregate holdout bias| is not
         * larger by more than `biasTolerance` (absolute share of the actual holdout total).
         */
        modelChoice: z
          .object({
            margin: z.number().min(0).max(1).default(DEFAULT_MODEL_CHOICE.margin),
            biasTolerance: z.number().min(0).max(1).default(DEFAULT_MODEL_CHOICE.biasTolerance),
          })
          .strict()
          .prefault({}),
        /**
         * L2 penalty on the model parameters as in lifetimes' penalizer_coef: every fit (BG/NBD, MBG/NBD, Pareto/NBD,
         * Gamma-Gamma, BG/BB) minimises -LL / customers + penalizer * sum(param^2), time-rate parameters in units of
         * the longest customer age. 0 (default): plain maximum likelihood. Try 0.001-0.1 for small or degenerate data.
         */
        penalizer: z.number().min(0).max(100).default(0),
        pAliveThreshold: z.number().min(0).max(1).default(0.5),
        /** The churn list holds at most this share of the customers active in the last 365 days. */
        churnListShare: z.number().gt(0).max(1).default(0.1),
        /** A rep's follow-up list for the day: this many customers (the rest stay in followup_queue). */
        followupPerRep: z.number().int().positive().default(20),
        quadrantThresholds: z
          .object({ currentValue: z.number().optional(), growthPotential: z.number().optional() })
          .strict()
          .default({}),
        gradeWeights: z
          .object({
            frequency: z.number().min(0).default(0.3),
            credit: z.number().min(0).default(0.2),
            influence: z.number().min(0).default(0.1),
            prospects: z.number().min(0).default(0.2),
            loyalty: z.number().min(0).default(0.2),
          })
          .strict()
          .prefault({}),
        contactCadenceDays: z
          .object({
            A: z.number().int().positive(),
            B: z.number().int().positive(),
            C: z.number().int().positive(),
            D: z.number().int().positive(),
          })
          .strict()
          .default({ A: 14, B: 30, C: 60, D: 120 }),
        visitConversionDays: z.number().int().positive().default(30),
      })
      .strict()
      .prefault({}),
    /**
     * DuckDB settings for every kehu command. memoryLimit caps DuckDB's buffer memory (it spills to
     * tempDirectory beyond it); threads defaults to every core; tempDirectory defaults to <database>.tmp;
     * preserveInsertionOrder = false lets DuckDB stream big CREATE TABLE AS without keeping rows in order.
     */
    duckdb: z
      .object({
        memoryLimit: z
          .string()
          .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, "expected a size such as 1GB or 512MB")
          .default("1GB"),
        threads: z.number().int().positive().optional(),
        tempDirectory: z.string().optional(),
        preserveInsertionOrder: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    report: z
      .object({
        locale: z.enum(["zh-CN", "en"]).default("zh-CN"),
        title: z.string().optional(),
        maskPii: z.boolean().default(false),
        topCustomers: z.number().int().min(0).default(500),
        outDir: z.string().default("dist"),
      })
      .strict()
      .prefault({}),
    /** Where the transaction-sized models run: duckdb (default), clickhouse (a server) or chdb (see src/engine). */
    engine: engineSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const [name, src] of Object.entries(c.sources)) {
      if (src?.table !== undefined && c.engine.kind === "duckdb") {
        ctx.addIssue({
          code: "custom",
          path: ["sources", name, "table"],
          message: "a table source reads a table on the ClickHouse engine: set engine.kind to clickhouse or chdb",
        });
      }
    }
  });

export type KehuConfig = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Turn zod issues into one readable message per key: `sources.transactions.format: expected one of csv, tsv, ...`. */
export function formatConfigIssues(file: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const key = issue.path.join(".") || "(top level)";
    let what = issue.message;
    if (issue.code === "invalid_value" && "values" in issue)
      what = `expected one of ${(issue.values as unknown[]).join(", ")}`;
    if (issue.code === "unrecognized_keys") what = `unknown key(s) ${issue.keys.join(", ")}`;
    return `  ${key}: ${what}`;
  });
  return `invalid config ${file}:\n${lines.join("\n")}`;
}

/** Validate a parsed config object; `baseDir` resolves relative paths. */
export function parseConfig(raw: unknown, file = "kehu.config.json"): KehuConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatConfigIssues(file, result.error));
  return result.data;
}

/**
 * Parse a config file's text: JSON with comments (JSONC: line and block comments, trailing commas), as editors treat
 * kehu.config.json through its $schema. A syntax error names the line and column.
 */
export function parseConfigText(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const raw = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const { error, offset } = errors[0];
    const before = text.slice(0, offset).split("\n");
    throw new ConfigError(
      `config file ${file} is not valid JSON: ${printParseErrorCode(error)} at line ${before.length}, column ${before[before.length - 1].length + 1}`,
    );
  }
  return raw;
}

/** Read and validate a config file; paths inside it become absolute, relative to the file. */
export function loadConfig(file: string): KehuConfig & { configDir: string } {
  if (!existsSync(file)) throw new ConfigError(`config file ${file} not found (run \`kehu init\` to write one)`);
  const config = parseConfig(stripComments(parseConfigText(readFileSync(file, "utf8"), file)), file);
  const configDir = dirname(resolve(file));
  return { ...resolvePaths(config, configDir), configDir };
}

export const CONFIG_FILE = "kehu.config.json";

/**
 * Which config file a command uses: the one given with -c; else the KEHU_CONFIG environment variable; else the
 * first kehu.config.json in the working directory or a directory above it (as git finds its repository); else
 * kehu.config.json in the working directory (commands then say it is missing and how to write one).
 */
export function findConfigFile(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  if (explicit) return resolve(cwd, explicit);
  if (env.KEHU_CONFIG) return resolve(cwd, env.KEHU_CONFIG);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return resolve(cwd, CONFIG_FILE);
  }
}

/** `kehu init` writes "//" keys as comments; drop them before validation. */
function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith("//"))
        .map(([k, v]) => [k, stripComments(v)]),
    );
  }
  return value;
}

export function resolvePaths(config: KehuConfig, baseDir: string): KehuConfig {
  const abs = (p: string) => (p === ":memory:" ? p : resolve(baseDir, p));
  const sources = Object.fromEntries(
    Object.entries(config.sources).map(([name, src]) => [
      name,
      src &&
        (src.files === undefined
          ? src
          : { ...src, files: (Array.isArray(src.files) ? src.files : [src.files]).map(abs) }),
    ]),
  ) as KehuConfig["sources"];
  return {
    ...config,
    database: abs(config.database),
    martsDir: abs(config.martsDir),
    rejectedDir: abs(config.rejectedDir),
    duckdb: {
      ...config.duckdb,
      ...(config.duckdb.tempDirectory ? { tempDirectory: abs(config.duckdb.tempDirectory) } : {}),
    },
    sources,
    report: { ...config.report, outDir: abs(config.report.outDir) },
  };
}
