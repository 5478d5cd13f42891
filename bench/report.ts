/**
 * The report issue's bench: `kehu report` for a project of 1,000,000 customers (bench/perf-data.ts, ~11M
 * transactions; `kehu ingest` and `kehu run` first, each a process of its own as in bench/perf.ts), timed as the
 * real CLI, then what every page transfers on load: each page opened in Chromium (playwright-core driving the
 * system browser, as the browser tests do) from `kehu serve`'s server, in a fresh context (empty cache), counting
 * every response it fetches until the network is idle: the bodies' gzip size (what a static host such as GitHub
 * Pages sends) and the bytes actually sent (kehu serve compresses with brotli when the browser asks).
 * Targets: build <= 3 minutes, no page over 1 MB compressed on load.
 *
 *   npx tsx bench/report.ts [--customers 1000000] [--csv existing.csv] [--config built/kehu.config.json]
 *   npm run bench -- --only report [--report-customers 1000000]
 *
 * --config reuses a project already ingested and run (only `kehu report` and the page loads are measured).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { loadConfig } from "../src/data/config.ts";
import { serveSite } from "../src/report/serve.ts";
import { findChromium } from "../test/helpers/chromium.ts";
import { kehu, writeBenchConfig } from "./perf.ts";
import { writePerfCsv } from "./perf-data.ts";

export const REPORT_TARGETS = { buildSeconds: 180, pageBytes: 2 ** 20 };

export interface PageTransfer {
  page: string;
  requests: number;
  /** Sum of the gzip sizes of every response body fetched on load. */
  gzipBytes: number;
  /** Bytes on the wire from kehu serve (brotli or gzip as negotiated; tiny files uncompressed). */
  sentBytes: number;
  /** The largest response, by gzip size. */
  largest: { url: string; gzipBytes: number };
}

export interface ReportBench {
  customers: number | null;
  ingestSeconds: number | null;
  runSeconds: number | null;
  report: { seconds: number; maxRssMb: number };
  pages: PageTransfer[];
  /** Pages of a kind too many to open all (customer cards): how many were opened of how many. */
  sampled: Array<{ dir: string; opened: number; of: number }>;
  shards: Record<string, { files: number; maxGzipBytes: number }>;
}

/** Every .html page of a built site (Framework's own _ folders excluded), relative to `dist`. */
export function sitePages(dist: string): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory() && !e.name.startsWith("_")) walk(path);
      else if (e.isFile() && extname(e.name) === ".html") pages.push(relative(dist, path));
    }
  };
  walk(dist);
  return pages.sort();
}

/** Each shard folder under dist/_kehu (cards, search, ...): its file count and largest gzip size. */
export function shardStats(dist: string): ReportBench["shards"] {
  const root = join(dist, "_kehu");
  const stats: ReportBench["shards"] = {};
  let kinds: string[] = [];
  try {
    kinds = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return stats;
  }
  for (const kind of kinds) {
    const files = readdirSync(join(root, kind));
    stats[kind] = {
      files: files.length,
      maxGzipBytes: Math.max(0, ...files.map((f) => gzipSync(readFileSync(join(root, kind, f))).length)),
    };
  }
  return stats;
}

/**
 * The pages to open: all of them, except that a subfolder of more than 2 * `perFolder` + 1 pages (one per customer card) is
 * represented by its index and its first `perFolder` pages, which share one template and one kind of data.
 */
export function pagesToOpen(pages: string[], perFolder = 3): { open: string[]; sampled: ReportBench["sampled"] } {
  const byDir = new Map<string, string[]>();
  for (const p of pages) {
    const dir = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "";
    byDir.set(dir, [...(byDir.get(dir) ?? []), p]);
  }
  const open: string[] = [];
  const sampled: ReportBench["sampled"] = [];
  for (const [dir, list] of byDir) {
    if (dir === "" || list.length <= 2 * perFolder + 1) {
      open.push(...list);
      continue;
    }
    const index = list.filter((p) => p.endsWith("/index.html"));
    const rest = list.filter((p) => !p.endsWith("/index.html")).slice(0, perFolder);
    open.push(...index, ...rest);
    sampled.push({ dir, opened: index.length + rest.length, of: list.length });
  }
  return { open, sampled };
}

/** Open each page in a fresh Chromium context and count what it fetches until the network is idle. */
export async function measurePageLoads(dist: string, pages: string[]): Promise<PageTransfer[]> {
  const server = await serveSite(dist);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const results: PageTransfer[] = [];
    for (const page of pages) {
      const context = await browser.newContext();
      const tab = await context.newPage();
      const responses: import("playwright-core").Response[] = [];
      tab.on("response", (r) => responses.push(r));
      await tab.goto(base + page, { waitUntil: "networkidle", timeout: 300_000 });
      const transfer: PageTransfer = {
        page,
        requests: 0,
        gzipBytes: 0,
        sentBytes: 0,
        largest: { url: "", gzipBytes: 0 },
      };
      for (const r of responses) {
        const body = await r.body().catch(() => null);
        if (!body) continue;
        const gz = gzipSync(body).length;
        transfer.requests++;
        transfer.gzipBytes += gz;
        transfer.sentBytes += (await r.request().sizes()).responseBodySize;
        if (gz > transfer.largest.gzipBytes) transfer.largest = { url: r.url().slice(base.length), gzipBytes: gz };
      }
      results.push(transfer);
      await context.close();
    }
    return results.sort((a, b) => b.gzipBytes - a.gzipBytes);
  } finally {
    await browser.close();
    await new Promise((done) => server.close(done));
  }
}

export async function benchReport(
  options: { customers?: number; csv?: string; config?: string } = {},
): Promise<ReportBench> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-bench-report-"));
  try {
    let config = options.config;
    let customers: number | null = null;
    let ingestSeconds: number | null = null;
    let runSeconds: number | null = null;
    if (!config) {
      customers = options.customers ?? 1_000_000;
      let csv = options.csv;
      if (!csv) {
        csv = join(dir, "transactions.csv");
        const t = performance.now();
        const rows = await writePerfCsv(customers, csv);
        console.log(
          `generated ${rows.toLocaleString("en-US")} transactions of ${customers.toLocaleString("en-US")} customers in ${((performance.now() - t) / 1000).toFixed(1)} s`,
        );
      }
      config = writeBenchConfig(dir, csv, { memoryLimit: "1GB", preserveInsertionOrder: false });
      ingestSeconds = kehu(["-c", config, "ingest"], dir).seconds;
      console.log(`  kehu ingest ${ingestSeconds.toFixed(1)} s`);
      runSeconds = kehu(["-c", config, "run"], dir).seconds;
      console.log(`  kehu run    ${runSeconds.toFixed(1)} s`);
    }
    const report = kehu(["-c", config, "report"], dir);
    console.log(`  kehu report ${report.seconds.toFixed(1)} s, peak RSS ${report.maxRssMb.toFixed(0)} MB`);
    const dist = loadConfig(config).report.outDir;
    const { open, sampled } = pagesToOpen(sitePages(dist));
    const pages = await measurePageLoads(dist, open);
    return {
      customers,
      ingestSeconds,
      runSeconds,
      report: { seconds: report.seconds, maxRssMb: report.maxRssMb },
      pages,
      sampled,
      shards: shardStats(dist),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines `npm run bench` prints. */
export function formatReport(r: ReportBench): string {
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  const [largest] = r.pages;
  const lines = [
    `kehu report ${r.report.seconds.toFixed(1)} s (peak RSS ${r.report.maxRssMb.toFixed(0)} MB; target <= ${REPORT_TARGETS.buildSeconds} s)` +
      (r.ingestSeconds === null
        ? ""
        : `, after ingest ${r.ingestSeconds.toFixed(1)} s and run ${r.runSeconds?.toFixed(1)} s`),
    `largest page on load: ${largest?.page} ${kb(largest?.gzipBytes ?? 0)} gzip (${kb(largest?.sentBytes ?? 0)} as sent by kehu serve; target <= ${kb(REPORT_TARGETS.pageBytes)})`,
    `pages opened: ${r.pages.length}${r.sampled.map((s) => `; ${s.dir}/: ${s.opened} of ${s.of}`).join("")}; by transfer on load (gzip):`,
    ...r.pages.map(
      (p) =>
        `  ${p.page.padEnd(40)} ${kb(p.gzipBytes).padStart(9)} in ${String(p.requests).padStart(3)} requests; largest ${p.largest.url} ${kb(p.largest.gzipBytes)}`,
    ),
    ...Object.entries(r.shards).map(
      ([kind, s]) => `  _kehu/${kind}: ${s.files} shards (fetched on demand), largest ${kb(s.maxGzipBytes)} gzip`,
    ),
  ];
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: { customers: { type: "string" }, csv: { type: "string" }, config: { type: "string" } },
  });
  const r = await benchReport({
    customers: values.customers ? Number(values.customers) : undefined,
    csv: values.csv,
    config: values.config,
  });
  console.log(formatReport(r));
}
