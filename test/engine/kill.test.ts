/**
 * Acceptance: kill -9 during a pushed-down `kehu run` (engine chdb, the demo) never leaves a mix. The child process
 * is stopped at a known point by KEHU_TEST_PAUSE_AT (src/engine/swap.ts) and killed there:
 * - before the local commit (models built on the engine and pulled; everything written inside the local transaction):
 *   the local database (every table's rows), the published marts and the engine's live tables are exactly as before;
 * - after the local commit (before, during and after the EXCHANGEs): the run is committed locally, and the next
 *   `kehu ingest` finishes the swap, so the engine's live tables are the committed run's (its marker on each, the
 *   same rows as the local tables pulled from them).
 * A plain `kehu run` afterwards succeeds and leaves both sides consistent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateDemo } from "../../src/data/demo.ts";
import { loadConfig, type KehuConfig } from "../../src/data/config.ts";
import { openDatabase } from "../../src/data/db.ts";
import { openEngine } from "../../src/engine/engine.ts";
import { loadEngineModels } from "../../src/engine/pushdown.ts";
import { lastCommitted, marker } from "../../src/engine/swap.ts";

const BIN = resolve(__dirname, "../../bin/kehu.js");
let dir: string;
let configFile: string;
let config: KehuConfig & { configDir: string };
const pulled = loadEngineModels()
  .filter((m) => !m.view)
  .map((m) => m.name);
const modelNames = loadEngineModels().map((m) => m.name);

function kehu(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "-c", configFile, ...args], { encoding: "utf8", timeout: 240_000 });
  expect(r.status, `kehu ${args.join(" ")}: ${r.stderr}`).toBe(0);
}

/** Start `kehu run` paused at `phase`, kill -9 it there; resolves once it is dead. */
function killRunAt(phase: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, "-c", configFile, "run"], {
      env: { ...process.env, KEHU_TEST_PAUSE_AT: phase },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    let paused = false;
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
      if (!paused && err.includes(`kehu: paused at ${phase}\n`)) {
        paused = true;
        child.kill("SIGKILL");
      }
    });
    child.on("exit", (code, signal) =>
      paused && signal === "SIGKILL"
        ? ok()
        : fail(new Error(`kehu run did not pause at ${phase} (exit ${code}): ${err}`)),
    );
  });
}

/** Every local table's row count and a hash of all its rows, the last committed engine run. */
async function localState() {
  const db = await openDatabase(config.database);
  try {
    const names = await db.all<{ t: string }>("select table_name as t from duckdb_tables() order by 1");
    const tables: Record<string, string> = {};
    for (const { t } of names) {
      const [r] = await db.all<{ s: string }>(
        `select count(*)::varchar || ':' || coalesce(sum(hash(x))::varchar, '') as s from "${t}" x`,
      );
      tables[t] = r.s;
    }
    return { tables, committed: await lastCommitted(db) };
  } finally {
    await db.close();
  }
}

/** The published marts, file by file. */
function martsState(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(config.martsDir)
      .sort()
      .map((f) => [
        f,
        createHash("sha256")
          .update(readFileSync(join(config.martsDir, f)))
          .digest("hex"),
      ]),
  );
}

/** The engine's live tables and views (not __kehu_next): marker comment, rows and a hash of all rows. */
async function engineState() {
  const engine = (await openEngine(config))!;
  try {
    const tables = await engine.query<{ name: string; comment: string }>(
      "select name, comment from system.tables where database = currentDatabase() and not endsWith(name, '__kehu_next') order by name",
    );
    const out: Record<string, { comment: string; rows: string }> = {};
    for (const t of tables) {
      const [r] = await engine.query<{ s: string }>(
        `select concat(toString(count()), ':', toString(sum(cityHash64(toString(tuple(*)))))) as s from ${t.name}`,
      );
      out[t.name] = { comment: t.comment, rows: r.s };
    }
    const next = (
      await engine.query<{ name: string }>(
        "select name from system.tables where database = currentDatabase() and endsWith(name, '__kehu_next')",
      )
    ).map((t) => t.name);
    return { tables: out, next };
  } finally {
    await engine.close();
  }
}

type State = {
  local: Awaited<ReturnType<typeof localState>>;
  marts: Record<string, string>;
  engine: Awaited<ReturnType<typeof engineState>>;
};
const state = async (): Promise<State> => ({
  local: await localState(),
  marts: martsState(),
  engine: await engineState(),
});

/** Both sides agree: every engine model carries the committed run's marker, and each pulled model has the local rows. */
function expectConsistent(s: State) {
  expect(s.local.committed).toBeTruthy();
  for (const m of modelNames) expect(s.engine.tables[m]?.comment, m).toBe(marker(s.local.committed!));
  for (const m of pulled) expect(s.engine.tables[m].rows.split(":")[0], m).toBe(s.local.tables[m].split(":")[0]);
  expect(s.engine.next).toEqual([]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kehu-ch-kill-"));
  await generateDemo({ customers: 150, seed: 3, outDir: join(dir, "demo") });
  const raw = JSON.parse(readFileSync(join(dir, "demo", "kehu.config.json"), "utf8"));
  configFile = join(dir, "demo", "kehu.chdb.json");
  writeFileSync(configFile, JSON.stringify({ ...raw, engine: { kind: "chdb", path: "data/clickhouse" } }));
  config = loadConfig(configFile);
  kehu("ingest");
  kehu("run");
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kill -9 during a pushed-down kehu run (chdb)", () => {
  it("starts from a consistent run", async () => {
    expectConsistent(await state());
  });

  for (const phase of ["pulled", "before-commit"]) {
    it(`killed at ${phase} (before the local commit): the local database, the marts and the engine's tables are as before`, async () => {
      const before = await state();
      await killRunAt(phase);
      const after = await state();
      expect(after.local).toEqual(before.local);
      expect(after.marts).toEqual(before.marts);
      expect(after.engine.tables).toEqual(before.engine.tables);
    }, 600_000);
  }

  for (const phase of ["before-swap", "mid-swap", "after-swap"]) {
    it(`killed at ${phase} (after the local commit): the next kehu ingest swaps the committed run's tables in`, async () => {
      const before = await state();
      await killRunAt(phase);
      const killed = await state();
      expect(killed.local.committed).not.toBe(before.local.committed);
      const swapped = modelNames.filter((m) => killed.engine.tables[m]?.comment === marker(killed.local.committed!));
      // before-swap: none in yet; mid-swap: exactly one; after-swap: all in, the leftovers not dropped yet
      expect(swapped.length).toBe({ "before-swap": 0, "mid-swap": 1, "after-swap": modelNames.length }[phase]);
      kehu("ingest");
      const repaired = await state();
      expectConsistent(repaired);
      expect(repaired.local.committed).toBe(killed.local.committed);
      // the same data and settings: the swapped-in tables hold the same rows as before
      for (const [name, t] of Object.entries(before.engine.tables))
        expect(repaired.engine.tables[name]?.rows, name).toBe(t.rows);
    }, 600_000);
  }

  it("a kehu run afterwards succeeds and leaves both sides consistent", async () => {
    const before = await state();
    kehu("run");
    const after = await state();
    expectConsistent(after);
    expect(after.local.committed).not.toBe(before.local.committed);
  }, 600_000);
});
