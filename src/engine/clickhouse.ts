/**
 * A ClickHouse server or cluster through the official client (@clickhouse/client, HTTP), loaded only when
 * engine.kind is clickhouse. The password stays in this closure: errors are redacted before they leave.
 */
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { engineError, QUERY_SETTINGS, type Engine } from "./engine.ts";

export async function openClickhouse(options: {
  url: string;
  database: string;
  user: string;
  password: string;
}): Promise<Engine> {
  const { createClient } = await import("@clickhouse/client");
  const label = `ClickHouse ${options.url} (database ${options.database}, user ${options.user})`;
  const secrets = [options.password];
  const fail = (what: string, error: unknown) => engineError({ label }, what, error, secrets);
  const first = (sql: string) => sql.trim().split(/\s+/).slice(0, 4).join(" ");
  const admin = createClient({ url: options.url, username: options.user, password: options.password });
  try {
    await admin.command({ query: `create database if not exists ${options.database}` });
  } catch (error) {
    throw fail("connecting", error);
  } finally {
    await admin.close();
  }
  const client = createClient({
    url: options.url,
    username: options.user,
    password: options.password,
    database: options.database,
    clickhouse_settings: { ...(QUERY_SETTINGS as Record<string, never>), output_format_json_quote_64bit_integers: 0 },
  });
  return {
    kind: "clickhouse",
    label,
    database: options.database,
    async command(sql) {
      try {
        await client.command({ query: sql });
      } catch (error) {
        throw fail(first(sql), error);
      }
    },
    async query<T>(sql: string) {
      try {
        const result = await client.query({ query: sql, format: "JSONEachRow" });
        return (await result.json()) as T[];
      } catch (error) {
        throw fail(first(sql), error);
      }
    },
    async insertParquet(table, file) {
      try {
        await client.insert({ table, values: createReadStream(file), format: "Parquet" });
      } catch (error) {
        throw fail(`insert into ${table}`, error);
      }
    },
    async selectParquet(sql, file) {
      try {
        const result = await client.exec({ query: `${sql} FORMAT Parquet` });
        await pipeline(result.stream, createWriteStream(file));
        return statSync(file).size;
      } catch (error) {
        throw fail(first(sql), error);
      }
    },
    async close() {
      await client.close();
    },
  };
}
