/**
 * `kehu init | check | ingest`: the commands run in-process on a fresh commander program (fast), plus two real
 * `kehu` processes for the exit codes (0 ok, 1 data error, 2 usage/config) that src/cli.ts maps errors to.
 */
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import { loadConfig, ConfigError } from "../../src/data/config.ts";
import { registerIngestCommands } from "../../src/data/commands.ts";
import { DataError } from "../../src/data/errors.ts";

const REPO = resolve(__dirname, "../..");
// tsx as a loader by file URL: the commands run in temp dirs, where the bare name "tsx" would not resolve
const TSX = pathToFileURL(join(REPO, "node_modules/tsx/dist/loader.mjs")).href;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function tempDir() {
  const d = mkdtempSync(join(tmpdir(), "kehu-cli-test-"));
  dirs.push(d);
  return d;
}

/** Run one command in-process; returns what it printed, or throws what the command threw. */
async function run(configFile: string, ...args: string[]): Promise<string> {
  const program = new Command().option("-c, --config <file>", "config file", "kehu.config.json").exitOverride();
  program.configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerIngestCommands(program, () => loadConfig(program.opts().config));
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  await program.parseAsync(["node", "kehu", "-c", configFile, ...args]);
  return lines.join("\n");
}

function kehu(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", TSX, join(REPO, "src/cli.ts"), ...args], {
    cwd,
    encoding: "utf8",
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("kehu init", () => {
  it("writes a commented config that loads, and refuses to overwrite it without --force", async () => {
    const file = join(tempDir(), "kehu.config.json");
    await run(file, "init");
    expect(readFileSync(file, "utf8")).toContain("// auto | ISO | yyyymmdd"); // comments are JSONC comment lines now
    const config = loadConfig(file);
    expect(config.sources.transactions!.columns).toMatchObject({ customer_id: "客户编号", amount: "金额" });
    const again = await run(file, "init").catch((e) => e);
    expect(again).toBeInstanceOf(ConfigError); // exit code 2
    expect(again.message).toContain("already exists; use --force");
    await run(file, "init", "--force");
  });
});

describe("kehu check and ingest", () => {
  it("check writes nothing, ingest loads and reports, bad data is a DataError", async () => {
    const dir = tempDir();
    const file = join(dir, "kehu.config.json");
    writeFileSync(join(dir, "orders.csv"), "customer_id,ordered_at,amount\nc1,2024-01-01,10\nc2,2024-01-02,20\n");
    writeFileSync(file, JSON.stringify({ sources: { transactions: { files: "orders*.csv" } } }));

    const check = await run(file, "check");
    expect(check).toContain("2 rows, 2 valid, 0 would be rejected");
    expect(check).toContain("check passed: nothing was written");
    expect(existsSync(join(dir, "data/kehu.duckdb"))).toBe(false);

    expect(await run(file, "ingest")).toContain("orders.csv: 2 rows read, 2 loaded, 0 rejected");

    writeFileSync(join(dir, "orders-2.csv"), "customer_id,ordered_at,amount\nc3,2024-01-03,x\n");
    const failed = await run(file, "check").catch((e) => e);
    expect(failed).toBeInstanceOf(DataError);
    const bad = await run(file, "ingest").catch((e) => e);
    expect(bad).toBeInstanceOf(DataError); // exit code 1
    expect(bad.message).toContain("orders-2.csv: 1 of 1 rows rejected (100.00%)");
    expect(await run(file, "ingest", "--max-reject-rate", "1")).toContain(
      "orders-2.csv: 1 rows read, 0 loaded, 1 rejected (100.00%)",
    );
  });

  it("ingest warns about a file that went away and --prune removes its rows, saying so", async () => {
    const dir = tempDir();
    const file = join(dir, "kehu.config.json");
    writeFileSync(join(dir, "orders-1.csv"), "customer_id,ordered_at,amount\nc1,2024-01-01,10\n");
    writeFileSync(join(dir, "orders-2.csv"), "customer_id,ordered_at,amount\nc2,2024-01-02,20\n");
    writeFileSync(file, JSON.stringify({ sources: { transactions: { files: "orders-*.csv" } } }));
    await run(file, "ingest");
    rmSync(join(dir, "orders-1.csv"));
    expect(await run(file, "ingest")).toContain(
      "warning: transactions orders-1.csv was loaded before but the config no longer matches it (deleted or renamed?); its 1 rows stay until `kehu ingest --prune`",
    );
    const pruned = await run(file, "ingest", "--prune");
    expect(pruned).toContain("pruned transactions orders-1.csv: removed its 1 rows (the config no longer matches it)");
    expect(pruned).not.toContain("warning");
  });

  it("has help with examples", async () => {
    const program = new Command();
    registerIngestCommands(program, () => {
      throw new Error("not loaded for help");
    });
    const help = program.commands.find((c) => c.name() === "ingest")!;
    let text = "";
    help.configureOutput({ writeOut: (s) => void (text += s) });
    help.outputHelp();
    expect(text).toContain("--max-reject-rate <fraction>");
    expect(text).toContain("$ kehu ingest --max-reject-rate 0.05");
  });

  it("the kehu process exits 1 on data errors and 2 on usage errors", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "orders.csv"), "customer_id,ordered_at,amount\nc1,2024-01-01,x\n");
    writeFileSync(
      join(dir, "kehu.config.json"),
      JSON.stringify({ sources: { transactions: { files: "orders.csv" } } }),
    );
    const bad = kehu(dir, "ingest");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("orders.csv: 1 of 1 rows rejected");
    const usage = kehu(dir, "ingest", "--max-reject-rate", "lots");
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("expected a fraction between 0 and 1");
  });
});
