/**
 * src/data/config.ts without processes: the defaults of a minimal config, each validation rule and its message,
 * JSONC syntax errors with line and column, comments keys, path resolution and config discovery. (kehu.schema.json
 * against the zod schema: test/data/ecosystem.test.ts, which also runs the binary.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readFileSync } from "node:fs";
import {
  CONFIG_FILE,
  ConfigError,
  findConfigFile,
  loadConfig,
  parseConfig,
  parseConfigText,
  resolvePaths,
} from "../../src/data/config.ts";
import { configJsonSchemaText } from "../../src/data/schema.ts";

const REPO = resolve(__dirname, "../..");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "kehu-config-test-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const tx = { transactions: { files: "t.csv" } };
const problem = (raw: unknown) => {
  try {
    parseConfig(raw, "my.json");
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).name).toBe("ConfigError");
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("parseConfig", () => {
  it("fills every default of a minimal config", () => {
    const c = parseConfig({ sources: tx });
    expect(c).toEqual({
      database: "data/kehu.duckdb",
      martsDir: "data/marts",
      rejectedDir: "rejected",
      maxRejectRate: 0.01,
      plausibleDates: { min: "1990-01-01", birthdayMin: "1900-01-01" },
      sources: {
        transactions: {
          files: "t.csv",
          format: "csv",
          encoding: "auto",
          header: true,
          dateFormat: "auto",
          decimalSeparator: ".",
          thousandsSeparator: "",
          columns: {},
        },
      },
      analysis: {
        period: "week",
        cohortPeriod: "month",
        purchaseGrain: "day",
        margin: 1,
        currency: "CNY",
        discountRateAnnual: 0.1,
        horizonMonths: 12,
        pAliveThreshold: 0.5,
        churnListShare: 0.1,
        followupPerRep: 20,
        quadrantThresholds: {},
        penalizer: 0,
        modelChoice: { margin: 0.02, biasTolerance: 0.02 },
        gradeWeights: { frequency: 0.3, credit: 0.2, influence: 0.1, prospects: 0.2, loyalty: 0.2 },
        contactCadenceDays: { A: 14, B: 30, C: 60, D: 120 },
        visitConversionDays: 30,
      },
      duckdb: c.duckdb,
      report: { locale: "zh-CN", maskPii: false, topCustomers: 500, outDir: "dist" },
      engine: c.engine,
    });
    expect(parseConfig({}).sources).toEqual({});
  });

  it("names the key and the allowed values", () => {
    expect(problem({ sources: { transactions: { files: "t.csv", format: "xls" } } })).toBe(
      "invalid config my.json:\n  sources.transactions.format: expected one of csv, tsv, whitespace, xlsx, parquet",
    );
    expect(problem({ sources: tx, analysis: { peroid: "week" } })).toBe(
      "invalid config my.json:\n  analysis: unknown key(s) peroid",
    );
    expect(problem({ sources: tx, colour: 1 })).toBe("invalid config my.json:\n  (top level): unknown key(s) colour");
    expect(problem({ sources: { orders: tx.transactions } })).toContain("sources: unknown key(s) orders");
    expect(problem({ sources: { transactions: { files: "t.csv", delimiter: ";;" } } })).toContain(
      'sources.transactions.delimiter: expected one character, e.g. ";"',
    );
  });

  it("lists every problem, one line each, and every unknown key; the file defaults to kehu.config.json", () => {
    expect(problem({ sources: tx, analysis: { peroid: "week", cadence: 1 }, report: { locale: "fr" } })).toBe(
      "invalid config my.json:\n  analysis: unknown key(s) peroid, cadence\n  report.locale: expected one of zh-CN, en",
    );
    expect(() => parseConfig({ sources: tx, report: { locale: "fr" } })).toThrow(
      new ConfigError("invalid config kehu.config.json:\n  report.locale: expected one of zh-CN, en"),
    );
  });

  it("checks each rule that is no plain type", () => {
    expect(problem({ sources: { transactions: { files: "t.csv", format: "whitespace", delimiter: ";" } } })).toContain(
      "sources.transactions.delimiter: delimiter does not apply to format whitespace (fields are separated by runs of spaces)",
    );
    expect(
      parseConfig({ sources: { transactions: { files: "t.csv", format: "whitespace" } } }).sources.transactions!.format,
    ).toBe("whitespace");
    expect(
      parseConfig({ sources: { transactions: { files: "t.csv", delimiter: ";" } } }).sources.transactions!.delimiter,
    ).toBe(";");
    expect(problem({ sources: tx, duckdb: { memoryLimit: "lots" } })).toContain(
      "duckdb.memoryLimit: expected a size such as 1GB",
    );
    expect(parseConfig({ sources: tx, duckdb: { memoryLimit: "1.5 GiB" } }).duckdb.memoryLimit).toBe("1.5 GiB");
    expect(problem({ sources: { transactions: { files: "t.csv", sheet: "S1" } } })).toContain(
      "sources.transactions.sheet: sheet applies to format xlsx only",
    );
    expect(
      parseConfig({ sources: { transactions: { files: "t.xlsx", format: "xlsx", sheet: 2 } } }).sources.transactions!
        .sheet,
    ).toBe(2);
    expect(problem({ sources: tx, analysis: { timezone: "Mars/Olympus" } })).toContain(
      "analysis.timezone: expected an IANA time zone name such as Asia/Shanghai or Europe/Berlin",
    );
    expect(parseConfig({ sources: tx, analysis: { timezone: "Asia/Shanghai" } }).analysis.timezone).toBe(
      "Asia/Shanghai",
    );
    expect(problem({ sources: { transactions: { files: [] } } })).toContain("sources.transactions.files");
    expect(problem({ sources: { transactions: { files: "" } } })).toContain("sources.transactions.files");
    expect(
      parseConfig({ sources: { transactions: { files: ["a.csv", "b.csv"] } } }).sources.transactions!.files,
    ).toEqual(["a.csv", "b.csv"]);
  });

  it("keeps the values it is given", () => {
    const c = parseConfig({
      sources: {
        transactions: {
          files: "t.tsv",
          format: "tsv",
          encoding: "gbk",
          header: false,
          dateFormat: "yyyymmdd",
          decimalSeparator: ",",
          thousandsSeparator: ".",
          columns: { amount: 3 },
        },
      },
      analysis: {
        period: "month",
        cohortPeriod: "quarter",
        purchaseGrain: "order",
        quadrantThresholds: { currentValue: 5 },
        gradeWeights: { credit: 0 },
      },
      report: { locale: "en", title: "T" },
    });
    expect(c.sources.transactions).toMatchObject({
      format: "tsv",
      encoding: "gbk",
      header: false,
      dateFormat: "yyyymmdd",
      decimalSeparator: ",",
      thousandsSeparator: ".",
      columns: { amount: 3 },
    });
    expect(c.analysis).toMatchObject({
      period: "month",
      cohortPeriod: "quarter",
      purchaseGrain: "order",
      quadrantThresholds: { currentValue: 5 },
    });
    expect(c.analysis.gradeWeights).toEqual({
      frequency: 0.3,
      credit: 0,
      influence: 0.1,
      prospects: 0.2,
      loyalty: 0.2,
    });
    expect(c.report).toMatchObject({ locale: "en", title: "T" });
  });
});

describe("parseConfigText", () => {
  it("reads JSONC: comments and trailing commas", () => {
    expect(parseConfigText('{\n  // a comment\n  "a": [1, 2,], /* b */ "b": {"c": true,},\n}', "x.json")).toEqual({
      a: [1, 2],
      b: { c: true },
    });
  });

  it("names the file, the error, the line and the column", () => {
    expect(() => parseConfigText('{\n  "a": 1\n  "b": 2\n}', "x.json")).toThrow(
      new ConfigError("config file x.json is not valid JSON: CommaExpected at line 3, column 3"),
    );
    expect(() => parseConfigText('{"a": }', "y.json")).toThrow(
      new ConfigError("config file y.json is not valid JSON: ValueExpected at line 1, column 7"),
    );
  });
});

describe("loadConfig and resolvePaths", () => {
  it("makes every path absolute against the config's directory and drops // comment keys", () => {
    const dir = tempDir();
    const file = join(dir, CONFIG_FILE);
    writeFileSync(
      file,
      JSON.stringify({
        "//": "top comment",
        sources: {
          "//": "c",
          transactions: { files: ["a/*.csv", "/abs/b.csv"], "// files": "c" },
          customers: { files: "c.csv" },
        },
        duckdb: { tempDirectory: "tmp" },
        report: { outDir: "site" },
        analysis: { "//": ["x"] },
      }),
    );
    const c = loadConfig(file);
    expect(c.configDir).toBe(dir);
    expect(c.sources.transactions!.files).toEqual([join(dir, "a/*.csv"), "/abs/b.csv"]);
    expect(c.sources.customers!.files).toEqual([join(dir, "c.csv")]);
    expect([c.database, c.martsDir, c.rejectedDir, c.report.outDir, c.duckdb.tempDirectory]).toEqual([
      join(dir, "data/kehu.duckdb"),
      join(dir, "data/marts"),
      join(dir, "rejected"),
      join(dir, "site"),
      join(dir, "tmp"),
    ]);
  });

  it("keeps :memory: and leaves an unset tempDirectory unset", () => {
    const c = resolvePaths(parseConfig({ database: ":memory:", sources: tx }), "/base");
    expect(c.database).toBe(":memory:");
    expect(c.duckdb.tempDirectory).toBeUndefined();
    expect(c.sources.transactions!.files).toEqual(["/base/t.csv"]);
  });

  it("a missing file says how to write one", () => {
    expect(() => loadConfig("/nonexistent/kehu.config.json")).toThrow(
      new ConfigError("config file /nonexistent/kehu.config.json not found (run `kehu init` to write one)"),
    );
  });
});

describe("findConfigFile", () => {
  it("takes -c, else KEHU_CONFIG, else the nearest kehu.config.json at or above the working directory, else the one here", () => {
    const root = tempDir();
    const deep = join(root, "a", "b");
    mkdirSync(deep, { recursive: true });
    expect(findConfigFile("x.json", { KEHU_CONFIG: "y.json" }, deep)).toBe(join(deep, "x.json"));
    expect(findConfigFile(undefined, { KEHU_CONFIG: "y.json" }, deep)).toBe(join(deep, "y.json"));
    expect(findConfigFile(undefined, {}, deep)).toBe(join(deep, CONFIG_FILE));
    writeFileSync(join(root, CONFIG_FILE), "{}");
    expect(findConfigFile(undefined, {}, deep)).toBe(join(root, CONFIG_FILE));
    writeFileSync(join(root, "a", CONFIG_FILE), "{}");
    expect(findConfigFile(undefined, {}, deep)).toBe(join(root, "a", CONFIG_FILE));
  });
});

describe("kehu.schema.json", () => {
  it("is what the zod schema generates", () => {
    expect(readFileSync(join(REPO, "kehu.schema.json"), "utf8")).toBe(configJsonSchemaText());
  });
});
