/**
 * The engine's edges: a password never reaches a message (redact, engineError, a failed connection), and the
 * DuckDB-only path (`kehu ingest` + `kehu run` without an engine) never loads chdb or the ClickHouse client.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const loaded = vi.hoisted(() => [] as string[]);
vi.mock("chdb", () => {
  loaded.push("chdb");
  throw new Error("chdb loaded");
});
vi.mock("@clickhouse/client", async (original) => {
  loaded.push("@clickhouse/client");
  return original();
});

const { redact, engineError, openEngine } = await import("../../src/engine/engine.ts");
const { parseConfig, resolvePaths } = await import("../../src/data/config.ts");
const { openDatabase } = await import("../../src/data/db.ts");
const { ingestSources } = await import("../../src/data/ingest.ts");
const { buildMarts } = await import("../../src/pipelines/index.ts");

const PASSWORD = "pw-7f3!x";
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kehu-engine-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the DuckDB-only path", () => {
  it("kehu ingest and kehu run without an engine load neither chdb nor the ClickHouse client", async () => {
    writeFileSync(
      join(dir, "t.csv"),
      "order_id,customer_id,ordered_at,amount\n1,C1,2024-01-02 10:00:00,10\n2,C1,2024-02-03 10:00:00,20\n3,C2,2024-01-05 10:00:00,5\n4,C2,2024-03-01 10:00:00,7\n",
    );
    const config = {
      ...resolvePaths(
        parseConfig({ sources: { transactions: { files: "t.csv" } }, database: "k.duckdb", martsDir: "marts" }),
        dir,
      ),
      configDir: dir,
    };
    const db = await openDatabase(config.database);
    try {
      const ingest = await ingestSources(db, config);
      expect(ingest.loaded).toBe(4);
      const run = await buildMarts(db, config);
      expect(run.marts).toContain("customer_summary");
      expect(run.pushedDown).toBeUndefined();
    } finally {
      await db.close();
    }
    expect(loaded).toEqual([]);
  }, 300_000);
});

// after the DuckDB-only test: this one loads the ClickHouse client
describe("credentials", () => {
  it("redact removes every secret and any user:password@ in a URL", () => {
    expect(redact(`auth failed for kehu:${PASSWORD}@ch.example.com (password ${PASSWORD})`, [PASSWORD])).toBe(
      "auth failed for kehu:***@ch.example.com (password ***)",
    );
    expect(redact("GET https://kehu:hunter2@ch.example.com:8443/ failed", [])).toBe(
      "GET https://***@ch.example.com:8443/ failed",
    );
    expect(
      engineError({ label: "ClickHouse x" }, "insert", new Error(`bad ${PASSWORD}\nstack`), [PASSWORD]).message,
    ).toBe("ClickHouse x: insert failed: bad ***");
  });

  it("a failed connection names the server and user, never the password", async () => {
    const config = parseConfig({
      sources: { transactions: { files: "x.csv" } },
      engine: { kind: "clickhouse", url: "http://127.0.0.1:9", user: "kehu" },
    });
    const error = await openEngine(config, { KEHU_CLICKHOUSE_PASSWORD: PASSWORD }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      /^ClickHouse http:\/\/127\.0\.0\.1:9 \(database kehu, user kehu\): connecting failed/,
    );
    expect(error?.message).not.toContain(PASSWORD);
    expect(() =>
      parseConfig({
        sources: { transactions: { files: "x.csv" } },
        engine: { kind: "clickhouse", url: `http://kehu:${PASSWORD}@h:8123` },
      }),
    ).toThrow(/must not hold a user or password/);
  });
});
