/** Temp project dirs with a config and input files, for ingest tests. */
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { spawn } from "node:child_process";
import { parseConfig, resolvePaths, type KehuConfig } from "../../src/data/config.ts";
import { openDatabase, type Db } from "../../src/data/db.ts";

export interface Project {
  dir: string;
  config: KehuConfig;
  write(name: string, content: string | Buffer): string;
  /** open the project's database file, run fn, close */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  cleanup(): void;
}

const created: string[] = [];
const openDbs: Db[] = [];

/**
 * `memory: true` keeps one in-memory database open for the project (fast; for tests that do not need a file).
 */
export function project(
  raw: Record<string, unknown>,
  files: Record<string, string | Buffer> = {},
  options: { memory?: boolean } = {},
): Project {
  const dir = mkdtempSync(join(tmpdir(), "kehu-ingest-test-"));
  created.push(dir);
  const write = (name: string, content: string | Buffer) => {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  };
  for (const [name, content] of Object.entries(files)) write(name, content);
  let memoryDb: Db | undefined;
  const config = { ...resolvePaths(parseConfig(raw), dir), configDir: dir } as KehuConfig;
  return {
    dir,
    config,
    write,
    async withDb(fn) {
      if (options.memory) {
        if (!memoryDb) openDbs.push((memoryDb = await openDatabase(":memory:")));
        return fn(memoryDb);
      }
      const db = await openDatabase(config.database);
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function cleanupProjects(): Promise<void> {
  for (const db of openDbs.splice(0)) await db.close();
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A transactions source with the given file(s) and extra options. */
export function txConfig(
  files: string | string[],
  extra: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) {
  return { sources: { transactions: { files, ...extra } }, ...top };
}

export const count = async (db: Db, sql: string) =>
  Number((await db.all<{ n: number }>(`select (${sql})::integer as n`))[0].n);

/**
 * Run `ingestSources(db, config, { onProgress })` in a child process and SIGKILL it when `stage` of `file` is
 * reported (`hold`: the child then blocks, so the kill lands at that point; else it lands during what follows).
 */
export async function killIngestAt(config: KehuConfig, file: string, stage: string, hold: boolean): Promise<void> {
  const wait = hold ? " Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);" : "";
  const script = `
    import { ingestSources } from "./src/data/ingest.ts";
    import { openDatabase } from "./src/data/db.ts";
    const config = JSON.parse(process.env.KEHU_TEST_CONFIG);
    const db = await openDatabase(config.database);
    await ingestSources(db, config, { onProgress: (e) => { if (e.file === ${JSON.stringify(file)} && e.stage === ${JSON.stringify(stage)}) { console.log("reached");${wait} } } });`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: resolve(__dirname, "../.."),
    env: { ...process.env, KEHU_TEST_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((ok, fail) => {
    child.stdout.on("data", (d) => String(d).includes("reached") && ok());
    child.on("exit", (code) => fail(new Error(`child exited early with ${code}`)));
  });
  child.kill("SIGKILL");
  await new Promise((ok) => child.on("close", ok));
}
