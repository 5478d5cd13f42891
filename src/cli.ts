/**
 * The `kehu` command. Thin: parses arguments, calls src/, prints. Exit codes: 0 ok, 1 data errors, 2 usage/config.
 */
import { Command, CommanderError } from "commander";
import { ConfigError, loadConfig, type KehuConfig } from "./data/config.ts";
import { openDatabase, DatabaseLockedError } from "./data/db.ts";
import { exportMarts, runPipelines } from "./pipelines/index.ts";
import { createAllTablesSql } from "./data/schemas.ts";

/** A problem with the data (bad rows over the limit, unreadable input): exit code 1. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

const program = new Command()
  .name("kehu")
  .description("kehu (客户): customer analytics from CRM exports - ingest into DuckDB, compute marts, build a static report site.")
  .option("-c, --config <file>", "config file", "kehu.config.json")
  .showHelpAfterError()
  .addHelpText(
    "after",
    `
Examples:
  $ kehu init                      write a commented kehu.config.json
  $ kehu demo --out demo-data      generate a demo dataset (2,000 customers)
  $ kehu check                     validate config and inputs, write nothing
  $ kehu ingest                    load the configured exports into the database
  $ kehu run                       compute all marts
  $ kehu report                    build the static site into dist/`,
  );

function config(): KehuConfig {
  return loadConfig(program.opts().config);
}

program
  .command("run")
  .description("compute every mart (RFM, cohorts, CLV, value matrix, churn, ...) and export them to Parquet")
  .addHelpText("after", "\nExample:\n  $ kehu run -c kehu.config.json")
  .action(async () => {
    const cfg = config();
    const db = await openDatabase(cfg.database);
    try {
      await db.exec(createAllTablesSql());
      const result = await runPipelines(db, cfg, (name, i, n) => process.stderr.write(`[${i + 1}/${n}] ${name}\n`));
      await exportMarts(db, result.marts, cfg.martsDir);
      console.log(`built ${result.marts.length} marts as of ${result.asOf} into ${cfg.martsDir}`);
    } finally {
      await db.close();
    }
  });

export async function main(argv: string[]): Promise<number> {
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ConfigError) {
      console.error(`kehu: ${error.message}`);
      return 2;
    }
    if (error instanceof DatabaseLockedError || error instanceof DataError) {
      console.error(`kehu: ${error.message}`);
      return 1;
    }
    console.error(`kehu: ${(error as Error)?.stack ?? error}`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
