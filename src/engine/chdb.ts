/**
 * chdb: ClickHouse in-process on a local data directory (the `chdb` npm package, an optional dependency loaded only
 * here). One session per directory; statements run one at a time.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { DataError } from "../data/errors.ts";
import { engineError, QUERY_SETTINGS, type Engine } from "./engine.ts";

type ChdbModule = typeof import("chdb");

export async function openChdb(path: string, database: string): Promise<Engine> {
  let chdb: ChdbModule;
  try {
    chdb = (await import("chdb")) as ChdbModule;
  } catch (error) {
    throw new DataError(
      `engine.kind chdb needs the optional package chdb: run \`npm install chdb\` (${(error as Error).message.split("\n")[0]})`,
    );
  }
  mkdirSync(path, { recursive: true });
  const label = `chdb ${path}`;
  let session: InstanceType<ChdbModule["Session"]>;
  try {
    session = new chdb.Session(path);
  } catch (error) {
    throw engineError({ label }, "opening the data directory", error);
  }
  const run = async (sql: string, format: string) => {
    try {
      return await session.queryAsync(sql, { format });
    } catch (error) {
      throw engineError({ label }, sql.trim().split(/\s+/).slice(0, 4).join(" "), error);
    }
  };
  await run(`create database if not exists ${database}`, "TSV");
  await run(`use ${database}`, "TSV");
  // a session keeps its database and settings, as a server connection keeps the client's
  for (const [k, v] of Object.entries(QUERY_SETTINGS)) await run(`set ${k} = ${v}`, "TSV");
  return {
    kind: "chdb",
    label,
    database,
    async command(sql) {
      await run(sql, "TSV");
    },
    async query<T>(sql: string) {
      const text = (await run(sql, "JSONEachRow")).text();
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line)) as T[];
    },
    async insertParquet(table, file) {
      await run(`insert into ${table} select * from file('${file.replace(/'/g, "\\'")}', Parquet)`, "TSV");
    },
    async selectParquet(sql, file) {
      const bytes = (await run(sql, "Parquet")).bytes();
      writeFileSync(file, bytes);
      return bytes.byteLength;
    },
    async close() {
      session.close();
    },
  };
}
