/**
 * Runs the real `kehu` CLI (src/cli.ts) with the arguments given, in a process of its own, and on exit writes
 * {"maxRssMb", "seconds", "exitCode"} to the file named by KEHU_BENCH_OUT: how bench/perf.ts measures the peak
 * memory of `kehu ingest` and `kehu run` separately.
 *
 *   KEHU_BENCH_OUT=/tmp/x.json npx tsx bench/cli-child.ts -c kehu.config.json run
 */
import { writeFileSync } from "node:fs";

const started = performance.now();
const out = process.env.KEHU_BENCH_OUT;
process.on("exit", (code) => {
  if (!out) return;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  writeFileSync(
    out,
    JSON.stringify({ maxRssMb, seconds: (performance.now() - started) / 1000, exitCode: process.exitCode ?? code }),
  );
});
const { main } = await import("../src/cli.ts");
process.exitCode = await main([process.argv[0], "kehu", ...process.argv.slice(2)]);
