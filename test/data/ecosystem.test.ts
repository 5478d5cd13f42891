/**
 * How kehu fits other tools: exit codes (0 ok, 1 data, 2 usage/config, 70 internal), --version and --json as a
 * process, config discovery (-c, KEHU_CONFIG, upward search), JSONC configs with $schema and the generated
 * kehu.schema.json.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CommanderError } from "commander";
import { ConfigError, findConfigFile, loadConfig } from "../../src/data/config.ts";
import { DataError } from "../../src/data/errors.ts";
import { configJsonSchemaText } from "../../src/data/schema.ts";
import { renderJsonc, CONFIG_TEMPLATE } from "../../src/data/commands.ts";
import { exitCodeFor } from "../../src/cli.ts";

const REPO = resolve(__dirname, "../..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir() {
  const d = mkdtempSync(join(tmpdir(), "kehu-eco-"));
  dirs.push(d);
  return d;
}
const kehu = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(REPO, "bin/kehu.js"), ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });

describe("exit codes", () => {
  it("maps usage and config errors to 2, data errors to 1 and anything unexpected to 70", () => {
    const lines: string[] = [];
    const print = (l: string) => void lines.push(l);
    expect(exitCodeFor(new CommanderError(1, "x", "bad option"), print)).toBe(2);
    expect(exitCodeFor(new CommanderError(0, "help", "help"), print)).toBe(0);
    expect(exitCodeFor(new ConfigError("analysis.asOf: bad"), print)).toBe(2);
    expect(exitCodeFor(new DataError("3 rows rejected"), print)).toBe(1);
    expect(exitCodeFor(new TypeError("x is undefined"), print)).toBe(70);
    expect(lines.at(-1)).toMatch(/^kehu: internal error \(please report it\): TypeError: x is undefined/);
  });

  it("--version prints the package version; --json prints the result as JSON on stdout", () => {
    const dir = tempDir();
    const version = kehu(dir, ["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version);
    expect(kehu(dir, ["init"]).status).toBe(0);
    const check = kehu(dir, ["--json", "check"]);
    expect(check.status).toBe(1); // the template's export file does not exist
    const report = JSON.parse(check.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
  });
});

describe("config discovery", () => {
  it("takes -c, else KEHU_CONFIG, else the nearest kehu.config.json here or above", () => {
    const root = tempDir();
    const deep = join(root, "a", "b");
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(root, "kehu.config.json"), "{}");
    expect(findConfigFile("x.json", {}, deep)).toBe(join(deep, "x.json"));
    expect(findConfigFile(undefined, { KEHU_CONFIG: "../env.json" }, deep)).toBe(join(root, "a", "env.json"));
    expect(findConfigFile(undefined, {}, deep)).toBe(join(root, "kehu.config.json"));
    writeFileSync(join(root, "a", "kehu.config.json"), "{}");
    expect(findConfigFile(undefined, {}, deep)).toBe(join(root, "a", "kehu.config.json"));
    const none = tempDir();
    expect(findConfigFile(undefined, {}, none)).toBe(join(none, "kehu.config.json"));
  });

  it("a process finds the config above its working directory and through KEHU_CONFIG", () => {
    const root = tempDir();
    mkdirSync(join(root, "sub"));
    writeFileSync(
      join(root, "kehu.config.json"),
      JSON.stringify({ sources: { transactions: { files: "missing.csv" } } }),
    );
    const above = kehu(join(root, "sub"), ["check"]);
    expect(above.stdout + above.stderr).toMatch(/missing\.csv/);
    const other = tempDir();
    const viaEnv = kehu(other, ["check"], { KEHU_CONFIG: join(root, "kehu.config.json") });
    expect(viaEnv.stdout + viaEnv.stderr).toMatch(/missing\.csv/);
  });
});

describe("config files: JSONC, $schema, kehu.schema.json", () => {
  it("kehu.schema.json is what the zod schema generates (npm run schema)", () => {
    expect(readFileSync(join(REPO, "kehu.schema.json"), "utf8")).toBe(configJsonSchemaText());
  });

  it("loads a config with $schema, comments and trailing commas; a typo in a key is reported with its path", () => {
    const dir = tempDir();
    const file = join(dir, "kehu.config.json");
    writeFileSync(
      file,
      `{
      // line comment
      "$schema": "./kehu.schema.json",
      /* block comment */
      "sources": { "transactions": { "files": "orders.csv", } },
      "analysis": { "period": "month", },
    }`,
    );
    expect(loadConfig(file).analysis.period).toBe("month");
    writeFileSync(
      file,
      `{ "sources": { "transactions": { "files": "orders.csv" } }, "analysis": { "peroid": "month" } }`,
    );
    expect(() => loadConfig(file)).toThrow(/analysis: unknown key\(s\) peroid/);
    writeFileSync(file, `{\n  "sources": {\n    "transactions": { "files": "orders.csv" }\n  ]\n}`);
    expect(() => loadConfig(file)).toThrow(/not valid JSON: .* at line 4, column 3/);
  });

  it("kehu init writes a JSONC config that validates and a schema beside it", () => {
    const dir = tempDir();
    expect(kehu(dir, ["init"]).status).toBe(0);
    const text = readFileSync(join(dir, "kehu.config.json"), "utf8");
    expect(text).toMatch(/^\s*\/\/ one path or glob/m);
    expect(text).not.toMatch(/"\/\//);
    expect(text).toBe(renderJsonc(CONFIG_TEMPLATE) + "\n");
    expect(JSON.parse(readFileSync(join(dir, "kehu.schema.json"), "utf8")).title).toBe("kehu.config.json");
    expect(loadConfig(join(dir, "kehu.config.json")).sources.transactions?.format).toBe("csv");
  });
});
