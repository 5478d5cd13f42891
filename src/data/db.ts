/**
 * The one module that imports @duckdb/node-api. Everything else talks to DuckDB through `Db`.
 *
 * Rows come back as plain JSON values (`getRowObjectsJson`): BIGINT/DECIMAL arrive as strings, so every mart casts
 * its final select (`::double`, `::integer`) and callers may rely on numbers.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type Params = Record<string, DuckDBValue> | DuckDBValue[];
export type Row = Record<string, unknown>;

export interface Db {
  /** The database file path, or ":memory:". */
  readonly path: string;
  /** Run one or more statements, discarding results. */
  exec(sql: string, params?: Params): Promise<void>;
  /** Run a query and return its rows as JSON-compatible objects. */
  all<T = Row>(sql: string, params?: Params): Promise<T[]>;
  /** Run `fn` inside BEGIN/COMMIT; any error rolls everything back and is rethrown. */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Raised when another process holds the database file. */
export class DatabaseLockedError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `database ${path} is in use by another kehu run (or another program). ` +
        `Wait for it to finish and try again; nothing was changed.`,
      { cause },
    );
    this.name = "DatabaseLockedError";
  }
}

/** Open (creating if needed) a DuckDB database file, or ":memory:". */
export async function openDatabase(path: string, options: { readOnly?: boolean } = {}): Promise<Db> {
  if (path !== ":memory:" && !options.readOnly) mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, options.readOnly ? { access_mode: "READ_ONLY" } : {});
  } catch (error) {
    if (/lock/i.test(String((error as Error)?.message))) throw new DatabaseLockedError(path, error);
    throw error;
  }
  const connection: DuckDBConnection = await instance.connect();
  let inTransaction = false;
  const db: Db = {
    path,
    async exec(sql, params) {
      if (params) await connection.run(sql, params as never);
      else await connection.run(sql);
    },
    async all<T>(sql: string, params?: Params) {
      const reader = params ? await connection.runAndReadAll(sql, params as never) : await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as T[];
    },
    async transaction(fn) {
      if (inTransaction) return fn(db);
      await connection.run("begin transaction");
      inTransaction = true;
      try {
        const result = await fn(db);
        await connection.run("commit");
        return result;
      } catch (error) {
        await connection.run("rollback").catch(() => undefined);
        throw error;
      } finally {
        inTransaction = false;
      }
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
  return db;
}
