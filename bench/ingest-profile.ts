/**
 * Where `kehu ingest` spends its time on one CSV: every statement's wall time (and the JS stages between them), in
 * this process, with the bench's engine settings. Not part of `npm run bench`; a tool for looking.
 *
 *   node_modules/.bin/tsx bench/ingest-profile.ts file.csv [--top 25]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Db } from "../src/data/db.ts";
import { loadConfig } from "../src/data/config.ts";
import { ingestSources } from "../src/data/ingest.ts";
import { writeBenchConfig } from "./perf.ts";

const csv = process.argv[2];
const top = Number(process.argv[process.argv.indexOf("--top") + 1] || 25);
const dir = mkdtempSync(join(tmpdir(), "kehu-ingest-profile-"));
const engine = { memoryLimit: process.env.KEHU_PROFILE_MEMORY ?? "1GB", preserveInsertionOrder: false };
try {
  const cfg = loadConfig(writeBenchConfig(dir, csv, engine));
  const db = await openDatabase(cfg.database, { engine });
  const timings: Array<{ sql: string; seconds: number; cpu: number }> = [];
  const timed =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      const c = process.cpuUsage();
      try {
        return await fn(...a);
      } finally {
        const u = process.cpuUsage(c);
        const sql = String(a[0]).replace(/\s+/g, " ");
        timings.push({ sql, seconds: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 });
      }
    };
  const wrapped: Db = { ...db, exec: timed(db.exec), all: timed(db.all) as Db["all"] };
  let commitAt = 0;
  let commitSeconds = 0;
  wrapped.transaction = async (fn) => {
    const result = await db.transaction(async () => {
      const r = await fn(wrapped);
      commitAt = performance.now();
      return r;
    });
    commitSeconds = (performance.now() - commitAt) / 1000;
    return result;
  };
  let stage = "";
  let stageAt = performance.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await ingestSources(wrapped, cfg, {
    onProgress: (e) => {
      if (e.stage === stage) return;
      const now = performance.now();
      if (stage) console.log(`  stage ${stage.padEnd(10)} ${((now - stageAt) / 1000).toFixed(2)} s`);
      [stage, stageAt] = [e.stage, now];
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await db.close();
  if (process.env.KEHU_PROFILE_SQL) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      process.env.KEHU_PROFILE_SQL,
      timings.map((x) => `-- ${x.seconds.toFixed(3)} s\n${x.sql};\n`).join(""),
    );
  }
  const inSql = timings.reduce((s, x) => s + x.seconds, 0);
  const inSqlCpu = timings.reduce((s, x) => s + x.cpu, 0);
  console.log(
    `ingest ${wall.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; ${timings.length} statements ${inSql.toFixed(2)} s (${inSqlCpu.toFixed(2)} s CPU), commit ${commitSeconds.toFixed(2)} s; loaded ${report.loaded}, rejected ${report.rejected}, duplicates ${report.duplicateRows}`,
  );
  for (const x of [...timings].sort((a, b) => b.seconds - a.seconds).slice(0, top))
    console.log(`  ${x.seconds.toFixed(3).padStart(7)} s ${x.cpu.toFixed(2).padStart(6)} cpu  ${x.sql.slice(0, 200)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
