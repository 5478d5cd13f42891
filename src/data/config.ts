/**
 * kehu.config.json: validated with zod. Every section has defaults, so `{ "sources": { "transactions": ... } }` is
 * a complete config. Errors name the key path and the allowed values.
 */
import { readFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { SOURCE_NAMES } from "./schemas.ts";

export const DATE_FORMATS = ["auto", "ISO", "yyyymmdd", "yyyy/m/d", "d/m/yyyy", "m/d/yyyy", "yyyy年m月d日"] as const;

export const sourceSchema = z
  .object({
    /** One path or glob, or a list of them; relative to the config file. */
    files: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    format: z.enum(["csv", "tsv", "whitespace"]).default("csv"),
    encoding: z.enum(["auto", "utf-8", "gb18030", "gbk"]).default("auto"),
    header: z.boolean().default(true),
    dateFormat: z.enum(DATE_FORMATS).default("auto"),
    decimalSeparator: z.enum([".", ","]).default("."),
    thousandsSeparator: z.enum(["", ",", ".", " ", "'"]).default(""),
    /** canonical column name -> the export's header (or 1-based column number when header is false) */
    columns: z.record(z.string(), z.union([z.string(), z.number().int().positive()])).default({}),
  })
  .strict();

export const configSchema = z
  .object({
    database: z.string().default("data/kehu.duckdb"),
    martsDir: z.string().default("data/marts"),
    rejectedDir: z.string().default("rejected"),
    maxRejectRate: z.number().min(0).max(1).default(0.01),
    sources: z
      .object(Object.fromEntries(SOURCE_NAMES.map((n) => [n, sourceSchema.optional()])) as {
        [K in (typeof SOURCE_NAMES)[number]]: z.ZodOptional<typeof sourceSchema>;
      })
      .strict()
      .default({}),
    analysis: z
      .object({
        /** Observation end (ISO date); default: last transaction date. */
        asOf: z.iso.date().optional(),
        period: z.enum(["day", "week", "month"]).default("week"),
        cohortPeriod: z.enum(["week", "month", "quarter"]).default("month"),
        purchaseGrain: z.enum(["day", "order"]).default("day"),
        margin: z.number().positive().max(1).default(1),
        currency: z.string().default("CNY"),
        discountRateAnnual: z.number().min(0).max(1).default(0.1),
        horizonMonths: z.number().int().positive().max(120).default(12),
        /** With it, models are fitted on data before this date and validated on the rest. */
        holdoutStart: z.iso.date().optional(),
        pAliveThreshold: z.number().min(0).max(1).default(0.5),
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
          .object({ A: z.number().int().positive(), B: z.number().int().positive(), C: z.number().int().positive(), D: z.number().int().positive() })
          .strict()
          .default({ A: 14, B: 30, C: 60, D: 120 }),
        visitConversionDays: z.number().int().positive().default(30),
      })
      .strict()
      .prefault({}),
    /**
     * DuckDB engine settings for every kehu command. memoryLimit caps DuckDB's buffer memory (it spills to
     * tempDirectory beyond it); threads defaults to every core; tempDirectory defaults to <database>.tmp;
     * preserveInsertionOrder = false lets DuckDB stream big CREATE TABLE AS without keeping rows in order.
     */
    engine: z
      .object({
        memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, "expected a size such as 1GB or 512MB").default("1GB"),
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
  })
  .strict();

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
    if (issue.code === "invalid_value" && "values" in issue) what = `expected one of ${(issue.values as unknown[]).join(", ")}`;
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

/** Read and validate a config file; paths inside it become absolute, relative to the file. */
export function loadConfig(file: string): KehuConfig & { configDir: string } {
  if (!existsSync(file)) throw new ConfigError(`config file ${file} not found (run \`kehu init\` to write one)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const config = parseConfig(stripComments(raw), file);
  const configDir = dirname(resolve(file));
  return { ...resolvePaths(config, configDir), configDir };
}

/** `kehu init` writes "//" keys as comments; drop them before validation. */
function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).filter(([k]) => !k.startsWith("//")).map(([k, v]) => [k, stripComments(v)]),
    );
  }
  return value;
}

export function resolvePaths(config: KehuConfig, baseDir: string): KehuConfig {
  const abs = (p: string) => (p === ":memory:" ? p : resolve(baseDir, p));
  const sources = Object.fromEntries(
    Object.entries(config.sources).map(([name, src]) => [
      name,
      src && { ...src, files: (Array.isArray(src.files) ? src.files : [src.files]).map(abs) },
    ]),
  ) as KehuConfig["sources"];
  return {
    ...config,
    database: abs(config.database),
    martsDir: abs(config.martsDir),
    rejectedDir: abs(config.rejectedDir),
    engine: { ...config.engine, ...(config.engine.tempDirectory ? { tempDirectory: abs(config.engine.tempDirectory) } : {}) },
    sources,
    report: { ...config.report, outDir: abs(config.report.outDir) },
  };
}
