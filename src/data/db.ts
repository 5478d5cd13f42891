/**
 * The one module that imports @duckdb/node-api. Everything else talks to DuckDB through `Db`.
 *
 * Rows come back as plain JSON values (`getRowObjectsJson`): BIGINT/DECIMAL arrive as strings, so every mart casts
 * its final select (`::double`, `::integer`) and callers may rely on numbers.
 */
import {
  DuckDBDataChunk,
  DuckDBDataChunkWriter,
  DuckDBInstance,
  JSToDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBValue,
} from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DataError } from "./errors.ts";

export type Params = Record<string, DuckDBValue> | DuckDBValue[];
export type Row = Record<string, unknown>;

export interface Db {
  /** The database file path, or ":memory:". */
  readonly path: string;
  /** Run one or more statements, discarding results. */
  exec(sql: string, params?: Params): Promise<void>;
  /** Run a query and return its rows as JSON-compatible objects. */
  all<T = Row>(sql: string, params?: Params): Promise<T[]>;
  /**
   * Run a query whose columns are all numeric and return them as Float64Arrays by column name (NULL becomes NaN):
   * for the model fits, which read hundreds of thousands of rows that need no per-row objects.
   */
  numericColumns(sql: string, params?: Params): Promise<Record<string, Float64Array>>;
  /** Run `fn` inside BEGIN/COMMIT; any error rolls everything back and is rethrown. */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Append many rows of plain JS values (number, string, boolean, Date, null) to an existing table with the DuckDB
   * appender (far faster than INSERT ... VALUES). `columns` must be the table's columns, in order (checked).
   */
  insertRows(table: string, columns: string[], rows: readonly (readonly unknown[])[]): Promise<void>;
  /**
   * Append number columns (equal lengths) to an existing table of DOUBLE columns, `columns` its columns in order
   * (checked), written into DuckDB's vectors without a value object per cell: the counterpart of numericColumns, and
   * as there a non-finite number is NULL.
   */
  insertColumns(table: string, columns: string[], values: readonly Float64Array[]): Promise<void>;
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

/** Raised when the database file is truncated, corrupt or not a DuckDB database at all. */
export class DatabaseCorruptError extends DataError {
  constructor(path: string, cause: unknown) {
    super(
      `database ${path} cannot be opened: it is truncated, corrupt or not a DuckDB database ` +
        `(DuckDB: ${String((cause as Error)?.message)
          .split("\n")[0]
          .replace(/^IO Error: /, "")}). Nothing was changed. ` +
        `Restore it from a backup, or move it away and run \`kehu ingest\` and \`kehu run\` to rebuild it from the exports.`,
    );
    this.name = "DatabaseCorruptError";
  }
}

/** DuckDB engine settings (the config's `engine` section). Unset ones keep DuckDB's defaults. */
export interface EngineSettings {
  /** e.g. "1GB": DuckDB's buffer memory; beyond it, operators spill to tempDirectory. */
  memoryLimit?: string;
  threads?: number;
  tempDirectory?: string;
  /** false lets DuckDB write large results out of order (less memory); every mart orders what it must. */
  preserveInsertionOrder?: boolean;
}

/** The DuckDB configuration options for `settings`. */
export function engineOptions(settings: EngineSettings = {}): Record<string, string> {
  const options: Record<string, string> = {};
  if (settings.memoryLimit) options.memory_limit = settings.memoryLimit;
  if (settings.threads) options.threads = String(settings.threads);
  if (settings.tempDirectory) options.temp_directory = settings.tempDirectory;
  if (settings.preserveInsertionOrder !== undefined)
    options.preserve_insertion_order = String(settings.preserveInsertionOrder);
  return options;
}

/** Open (creating if needed) a DuckDB database file, or ":memory:", with the given engine settings. */
export async function openDatabase(
  path: string,
  options: { readOnly?: boolean; engine?: EngineSettings } = {},
): Promise<Db> {
  if (path !== ":memory:" && !options.readOnly) mkdirSync(dirname(path), { recursive: true });
  if (options.engine?.tempDirectory) mkdirSync(options.engine.tempDirectory, { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, {
      ...engineOptions(options.engine),
      ...(options.readOnly ? { access_mode: "READ_ONLY" } : {}),
    });
  } catch (error) {
    const message = String((error as Error)?.message);
    if (/lock/i.test(message)) throw new DatabaseLockedError(path, error);
    if (/not a valid DuckDB database|Could not read enough bytes|checksum|corrupt/i.test(message))
      throw new DatabaseCorruptError(path, error);
    throw error;
  }
  const connection: DuckDBConnection = await instance.connect();
  let inTransaction = false;
  /** The table's column types, after checking its columns are `columns`, in order. */
  const checkColumns = async (caller: string, table: string, columns: string[]) => {
    const reader = await connection.runAndReadAll(
      "select column_name, data_type from duckdb_columns() where table_name = $table and schema_name = current_schema() order by column_index",
      { table },
    );
    const found = reader.getRowObjectsJson();
    const actual = found.map((r) => String(r.column_name));
    if (actual.join(",") !== columns.join(",")) {
      throw new Error(`${caller}: table ${table} has columns (${actual.join(", ")}), not (${columns.join(", ")})`);
    }
    return found.map((r) => String(r.data_type));
  };
  const db: Db = {
    path,
    async exec(sql, params) {
      if (params) await connection.run(sql, params as never);
      else await connection.run(sql);
    },
    async all<T>(sql: string, params?: Params) {
      const reader = params
        ? await connection.runAndReadAll(sql, params as never)
        : await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as T[];
    },
    async numericColumns(sql, params) {
      // Straight from the result vectors: no per-row value objects.
      const result = params ? await connection.run(sql, params as never) : await connection.run(sql);
      const names = result.columnNames();
      const chunks = await result.fetchAllChunks();
      const rows = chunks.reduce((n, c) => n + c.rowCount, 0);
      const columns = names.map(() => new Float64Array(rows));
      let offset = 0;
      for (const chunk of chunks) {
        names.forEach((_, c) => {
          const vector = chunk.getColumnVector(c);
          const out = columns[c];
          for (let i = 0; i < chunk.rowCount; i++) {
            const v = vector.getItem(i);
            out[offset + i] = v == null ? NaN : Number(v);
          }
        });
        offset += chunk.rowCount;
      }
      return Object.fromEntries(names.map((name, c) => [name, columns[c]]));
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
    async insertRows(table, columns, rows) {
      await checkColumns("insertRows", table, columns);
      const appender = await connection.createAppender(table);
      try {
        const writer = DuckDBDataChunkWriter.forAppender(appender, { converter: JSToDuckDBValueConverter });
        for (const row of rows) writer.appendRow(row as never);
        writer.flush();
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    },
    async insertColumns(table, columns, values) {
      const types = await checkColumns("insertColumns", table, columns);
      if (types.some((t) => t !== "DOUBLE") || values.length !== columns.length)
        throw new Error(
          `insertColumns: table ${table} must have only DOUBLE columns, one per array (${types.join(", ")})`,
        );
      const rows = values[0]?.length ?? 0;
      if (values.some((v) => v.length !== rows)) throw new Error("insertColumns: the columns differ in length");
      const appender = await connection.createAppender(table);
      try {
        const size = Math.max(1, Math.min(2048, rows));
        for (let start = 0; start < rows; start += size) {
          const count = Math.min(size, rows - start);
          const chunk = DuckDBDataChunk.create(
            columns.map((_, c) => appender.columnType(c)),
            count,
          );
          values.forEach((column, c) => {
            const vector = chunk.getColumnVector(c);
            for (let i = 0; i < count; i++) {
              const v = column[start + i];
              vector.setItem(i, v - v === 0 ? v : null);
            }
            vector.flush();
          });
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
  return db;
}
