/**
 * A ClickHouse engine kehu pushes the transaction-sized models to: a server (@clickhouse/client) or chdb (ClickHouse
 * in-process). Both clients are loaded with a dynamic import only when the config names that engine, so the DuckDB
 * path never loads them. Data crosses in Parquet files (DuckDB reads and writes them natively).
 *
 * Credentials: the password is read from the environment variable the config names and is never part of a message:
 * every error leaving an engine goes through `redact`.
 */
import { isAbsolute, resolve } from "node:path";
import { ConfigError, type KehuConfig } from "../data/config.ts";
import { DataError } from "../data/errors.ts";
import type { EngineConfig } from "./config.ts";

export type EngineKind = Exclude<EngineConfig["kind"], "duckdb">;

/** Settings every kehu query runs with: SQL-standard NULLs in outer joins, dates beyond 1970..2149 in date functions. */
export const QUERY_SETTINGS: Record<string, string | number> = {
  join_use_nulls: 1,
  enable_extended_results_for_datetime_functions: 1,
  mutations_sync: 2,
};

export interface Engine {
  readonly kind: EngineKind;
  /** Where it is, for messages: never holds a password. */
  readonly label: string;
  readonly database: string;
  /** Run one statement, discarding its result. */
  command(sql: string): Promise<void>;
  /** Run a query and return its rows (JSONEachRow; 64-bit integers as numbers). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Insert a Parquet file into a table (columns by name). */
  insertParquet(table: string, file: string): Promise<void>;
  /** Write a query's result to a Parquet file; returns its size in bytes. */
  selectParquet(sql: string, file: string): Promise<number>;
  close(): Promise<void>;
}

/** Replace every secret (and any user:password@ in a URL) in a message. */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message.replace(/\/\/[^/\s:@]+:[^/\s@]+@/g, "//***@");
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out;
}

/** An engine failure as a DataError (exit 1) naming the engine, with secrets removed. */
export function engineError(
  engine: { label: string },
  what: string,
  error: unknown,
  secrets: readonly string[] = [],
): DataError {
  const message = redact(String((error as Error)?.message ?? error).split("\n")[0], secrets);
  return new DataError(`${engine.label}: ${what} failed: ${message}`);
}

/** The engine the config names, or null for duckdb. `configDir` resolves a relative chdb path. */
export async function openEngine(
  config: KehuConfig & { configDir?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Engine | null> {
  const engine = config.engine;
  if (!engine || engine.kind === "duckdb") return null;
  if (engine.kind === "chdb") {
    const path = isAbsolute(engine.path) ? engine.path : resolve(config.configDir ?? process.cwd(), engine.path);
    const { openChdb } = await import("./chdb.ts");
    return openChdb(path, engine.database);
  }
  const password = env[engine.passwordEnv];
  if (password === undefined) {
    throw new ConfigError(
      `engine.passwordEnv: the environment variable ${engine.passwordEnv} is not set; set it to the password of ClickHouse user ${engine.user} (an empty value for none)`,
    );
  }
  const { openClickhouse } = await import("./clickhouse.ts");
  return openClickhouse({ url: engine.url, database: engine.database, user: engine.user, password });
}
