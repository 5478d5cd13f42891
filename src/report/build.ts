/**
 * `kehu report`: build the static site. Observable Framework does the building; this module prepares its inputs
 * (a verified snapshot of one run's marts, refused when the database names another run; tables copied out of the
 * database; the list of customer card pages; settings as environment variables), clears
 * Framework's loader cache (it would otherwise serve last run's data), builds into a temp dir, checks that no raw
 * phone, email, name or customer id leaked when masking (leaks.ts), and only then swaps the result into outDir. Any failure leaves outDir untouched.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../data/db.ts";
import type { KehuConfig } from "../data/config.ts";
import { topCustomerIds } from "./cards.ts";
import { checkSameRun, lastRun, snapshotMarts, type RunStamp } from "./run-manifest.ts";
import { customerSlug, openReportSource, reportEnv, REPORT_TABLES, DEFAULT_PII_SALT, type Locale } from "./marts.ts";
import { findPiiLeaks } from "./leaks.ts";

export { findPiiLeaks, type PiiLeak } from "./leaks.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
/** This module runs compiled (lib/src/report/build.js: the published package) or as TypeScript through tsx (a checkout). */
const COMPILED = import.meta.url.endsWith(".js");
/** The package root (docs/, observablehq.config.ts): the nearest directory above with a package.json. */
export const REPO_ROOT = packageRoot(HERE);
export const DOCS = join(REPO_ROOT, "docs");
/** Framework wherever npm put it (kehu's own node_modules in a checkout, hoisted beside kehu when installed). */
const FRAMEWORK_DIR = dirname(createRequire(import.meta.url).resolve("@observablehq/framework/package.json"));
const FRAMEWORK_BIN = join(FRAMEWORK_DIR, "dist/bin/observable.js");

function packageRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "package.json"))) return d;
    if (dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

export interface BuildSiteOptions {
  martsDir: string;
  outDir: string;
  locale?: Locale;
  maskPii?: boolean;
  topCustomers?: number;
  title?: string;
  /** The kehu database: source tables for customer cards and visits/complaints/invoices pages, ingest_log for provenance. */
  databasePath?: string;
  currency?: string;
  /** analysis.asOf when configured. */
  asOf?: string;
  /** Salt of the PII pseudonyms (default: a fixed one, so pseudonyms are stable across builds). */
  piiSalt?: string;
  onProgress?: (line: string) => void;
}

export interface BuildSiteResult {
  outDir: string;
  customerPages: number;
  builtAt: string;
  /** The run whose marts the site shows, and its as_of. */
  runId: string;
  asOf: string | null;
}

/** The flags of `kehu report` / `kehu build` that override a report.* setting. */
export interface ReportFlags {
  maskPii?: boolean;
  locale?: Locale;
  out?: string;
  top?: number;
  demo?: boolean;
}

/** buildSite's options from the config, each flag winning over its setting (--demo writes to dist/ by default). */
export function siteOptionsFor(cfg: KehuConfig, flags: ReportFlags): Omit<BuildSiteOptions, "piiSalt" | "onProgress"> {
  return {
    martsDir: cfg.martsDir,
    databasePath: existsSync(cfg.database) ? cfg.database : undefined,
    outDir: resolve(flags.out ?? (flags.demo ? "dist" : cfg.report.outDir)),
    locale: flags.locale ?? cfg.report.locale,
    maskPii: flags.maskPii ?? cfg.report.maskPii,
    topCustomers: flags.top ?? cfg.report.topCustomers,
    title: cfg.report.title,
    currency: cfg.analysis.currency,
    asOf: cfg.analysis.asOf,
  };
}

export class SiteBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SiteBuildError";
  }
}

export async function buildSite(options: BuildSiteOptions): Promise<BuildSiteResult> {
  const outDir = resolve(options.outDir);
  const progress = options.onProgress ?? (() => {});
  const staging = join(dirname(outDir), `.${basename(outDir)}.build-${process.pid}-${Date.now()}`);
  try {
    return await withBuildInputs(options, { customerPages: true }, async ({ env, run, builtAt, customerPages }) => {
      env.KEHU_SITE_OUT = staging;
      await runLoaders(env, progress);
      rmSync(staging, { recursive: true, force: true });
      progress(`building ${customerPages} customer pages and the report pages`);
      await runFramework(env, progress);
      if (!existsSync(join(staging, "index.html"))) throw new SiteBuildError("site build produced no index.html");
      // The search page's shards (docs/data/customers-search.json.ts): as many files as the customers need, which
      // Framework cannot list (FileAttachment takes literal names), so they are copied in beside its output.
      if (existsSync(env.KEHU_SHARDS_DIR!)) cpSync(env.KEHU_SHARDS_DIR!, join(staging, "_kehu"), { recursive: true });
      if (options.maskPii) await refuseLeaks(staging, env, outDir);
      cutCdnImports(staging);
      swapInto(staging, outDir);
      return { outDir, customerPages, builtAt, runId: run.runId, asOf: run.asOf };
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** What the loaders of either build (the site, the portable file) read: settings as environment variables. */
export interface BuildInputs {
  env: NodeJS.ProcessEnv;
  run: RunStamp;
  builtAt: string;
  /** Customer card pages the site gets (none for the portable file). */
  customerPages: number;
}

/**
 * Prepare a build and run `body` on it, one build at a time: a verified snapshot of one run's marts, refused when
 * the database names another run; tables copied out of the database; rows per source; the customer card pages;
 * Framework's loader cache cleared. The temp dir and the lock go whatever `body` does.
 */
export async function withBuildInputs<T>(
  options: BuildSiteOptions,
  { customerPages }: { customerPages: boolean },
  body: (inputs: BuildInputs) => Promise<T>,
): Promise<T> {
  const martsDir = resolve(options.martsDir);
  const progress = options.onProgress ?? (() => {});
  const builtAt = new Date().toISOString();
  const work = mkdtempSync(join(tmpdir(), "kehu-site-"));
  const tablesDir = join(work, "tables");
  mkdirSync(tablesDir);
  const release = await acquireBuildLock(progress);
  try {
    // The build reads a verified snapshot of one run's marts: a `kehu run` meanwhile cannot mix two runs.
    const run = await snapshotMarts(martsDir, join(work, "marts"));
    if (options.databasePath) {
      progress(`reading tables from ${options.databasePath}`);
      checkSameRun(run, await exportTables(options.databasePath, tablesDir), martsDir, options.databasePath);
    }
    progress(`reading the marts of run ${run.runId} (as of ${run.asOf ?? "n/a"})`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // node_modules/.bin beside Framework (its tsx, for Framework's own use).
      PATH: `${join(FRAMEWORK_DIR, "../../.bin")}${process.platform === "win32" ? ";" : ":"}${process.env.PATH ?? ""}`,
      KEHU_MARTS_DIR: join(work, "marts"),
      KEHU_RUN_ID: run.runId,
      KEHU_TABLES_DIR: tablesDir,
      KEHU_LOCALE: options.locale ?? "zh-CN",
      KEHU_CURRENCY: options.currency ?? "CNY",
      KEHU_MASK_PII: options.maskPii ? "1" : "0",
      KEHU_PII_SALT: options.piiSalt ?? DEFAULT_PII_SALT,
      KEHU_TOP_CUSTOMERS: String(options.topCustomers ?? 500),
      KEHU_TITLE: options.title ?? "",
      KEHU_AS_OF: options.asOf ?? "",
      KEHU_BUILT_AT: builtAt,
      KEHU_CUSTOMER_PATHS: join(work, "customer-paths.json"),
      KEHU_SOURCE_ROWS: join(work, "source-rows.json"),
      KEHU_SHARDS_DIR: join(work, "shards"),
    };
    const slugs = customerPages ? await topCustomerSlugs(reportEnv(env), options.topCustomers ?? 500) : [];
    writeFileSync(env.KEHU_CUSTOMER_PATHS!, JSON.stringify(slugs));
    writeFileSync(env.KEHU_SOURCE_ROWS!, JSON.stringify(await sourceRows(reportEnv(env))));
    clearLoaderCache();
    return await body({ env, run, builtAt, customerPages: slugs.length });
  } finally {
    rmSync(work, { recursive: true, force: true });
    release();
  }
}

/** A masked build's last check: fail, naming file and kind, when `dir` holds a raw value (leaks.ts). */
export async function refuseLeaks(dir: string, env: NodeJS.ProcessEnv, target: string): Promise<void> {
  const leaks = await findPiiLeaks(dir, reportEnv({ ...env, KEHU_MASK_PII: "0" }));
  if (!leaks.length) return;
  throw new SiteBuildError(
    `personal data would be published despite --mask-pii (nothing was written to ${target}):\n` +
      leaks
        .slice(0, 10)
        .map((l) => `  ${l.file}: a raw ${l.kind}`)
        .join("\n"),
  );
}

/**
 * Framework reuses a data loader's cached output until the loader FILE changes, whatever the data did: drop every
 * cached output. Kept: what depends only on the installed Framework and packages (its client bundles in
 * `_observablehq`, bundled node_modules in `_node/<package>@<version>`, npm version lookups in `_npm`), unless
 * the Framework version changed; re-bundling costs half a minute and the version lookups need the npm registry.
 */
export function clearLoaderCache(cacheDir = join(DOCS, ".observablehq/cache")): void {
  mkdirSync(cacheDir, { recursive: true });
  const stamp = join(cacheDir, ".kehu-framework-version");
  const version = JSON.parse(readFileSync(join(FRAMEWORK_DIR, "package.json"), "utf8")).version as string;
  const sameFramework = existsSync(stamp) && readFileSync(stamp, "utf8") === version;
  const keep = sameFramework
    ? new Set(["_node", "_npm", "_observablehq", ".kehu-framework-version"])
    : new Set<string>();
  for (const entry of readdirSync(cacheDir)) {
    if (!keep.has(entry)) rmSync(join(cacheDir, entry), { recursive: true, force: true });
  }
  writeFileSync(stamp, version);
}

/** Copy the canonical tables (and ingest_log) the pages need out of the database, as Parquet; its last run. */
async function exportTables(databasePath: string, dir: string): Promise<RunStamp | null> {
  if (!existsSync(databasePath))
    throw new SiteBuildError(`database ${databasePath} not found (run \`kehu ingest\` first)`);
  const db = await openDatabase(databasePath, { readOnly: true });
  try {
    const present = new Set(
      (
        await db.all<{ name: string }>(
          "select table_name as name from information_schema.tables where table_schema = 'main'",
        )
      ).map((r) => r.name),
    );
    for (const name of REPORT_TABLES) {
      if (!present.has(name)) continue;
      await db.exec(
        `copy (select * from ${name}) to '${join(dir, `${name}.parquet`).replace(/'/g, "''")}' (format parquet)`,
      );
    }
    return await lastRun(db);
  } finally {
    await db.close();
  }
}

/**
 * The customers that get their own page: the top N by revenue to date (the same list, and when masking the same
 * pseudonymous ids, as the cards loader).
 */
async function topCustomerSlugs(env: ReturnType<typeof reportEnv>, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const source = await openReportSource(env);
  try {
    return [...new Set((await topCustomerIds(source, n)).map(customerSlug))];
  } finally {
    await source.close();
  }
}

/** Rows per input source (the sidebar leaves out the pages of a source without rows: observablehq.config.ts). */
async function sourceRows(env: ReturnType<typeof reportEnv>): Promise<Record<string, number>> {
  const source = await openReportSource(env).catch((error: Error) => {
    throw new SiteBuildError(`the marts or tables cannot be read: ${error.message}`);
  });
  try {
    const out: Record<string, number> = {};
    for (const name of ["transactions", "customers", "visits", "complaints", "invoices"]) {
      out[name] = (await source.query<{ n: number }>(`select count(*)::integer as n from ${name}`))[0]?.n ?? 0;
    }
    return out;
  } finally {
    await source.close();
  }
}

/** The data loaders Framework would run: every docs/.../<name>.<ext>.ts, except parameterized ones ([param]). */
export function findDataLoaders(root = DOCS): string[] {
  const found: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), relPath);
      else if (/^[^[\]]+\.[A-Za-z0-9]+\.ts$/.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(relPath);
    }
  };
  walk(root, "");
  return found.sort();
}

/**
 * Run the data loaders (default: every one) in one process (src/report/run-loaders.ts), filling Framework's cache.
 * Compiled, it runs the compiled loaders (lib/docs/data/*.js); a checkout runs the .ts ones through tsx.
 */
export function runLoaders(
  env: NodeJS.ProcessEnv,
  progress: (line: string) => void,
  loaders = findDataLoaders(),
): Promise<void> {
  const runner = COMPILED ? [join(HERE, "run-loaders.js")] : ["--import", "tsx", join(HERE, "run-loaders.ts")];
  return runNode([...runner, DOCS, ...loaders], env, progress, "a data loader failed");
}

function runFramework(env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
  return runNode([FRAMEWORK_BIN, "build"], env, progress, "Observable Framework failed");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI colour codes of Framework's output, to strip
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  progress: (line: string) => void,
  what: string,
): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").replace(ANSI_COLOUR, "").split(/\r?\n/)) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        progress(line);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", fail);
    child.on("close", (code) => {
      if (code === 0) done();
      else
        fail(
          new SiteBuildError(
            `site build failed: ${what} (exit code ${code}); the previous site was left as it was:\n${tail.join("\n")}`,
          ),
        );
    });
  });
}

/**
 * Framework's own client (_observablehq/*.js) keeps lazy `import("../_npm/...")` calls for its implicit libraries
 * (d3, Plot, Arrow, DuckDB-wasm, d3-dsv behind FileAttachment.csv, ...). None is in dist/ (they would come from a
 * CDN), and kehu pages never use them. Make each one fail at once with a message naming the library, so dist/
 * references no /_npm/ path and an accidental use is an error, not a silent request to a missing file.
 */
export function cutCdnImports(dir: string): number {
  let cut = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (extname(entry.name) === ".js") {
        const text = readFileSync(p, "utf8");
        if (!text.includes("/_npm/")) continue;
        const out = text
          .replace(/import\("(?:\.{1,2}\/)+_npm\/([^"]+)"\)/g, (_m, spec: string) => {
            cut++;
            return `Promise.reject(new Error(${JSON.stringify(`kehu: ${spec} is not bundled (the site is built offline)`)}))`;
          })
          .replace(/"(?:\.{1,2}\/)+_npm\/[^"]*"/g, () => (cut++, '"./kehu-not-bundled-offline.js"'));
        writeFileSync(p, out);
      }
    }
  };
  walk(dir);
  return cut;
}

/** Replace outDir by the freshly built dir (the old one is removed only after the new one is in place). */
function swapInto(staging: string, outDir: string): void {
  mkdirSync(dirname(outDir), { recursive: true });
  const old = `${outDir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(outDir)) renameSync(outDir, old);
  try {
    renameSync(staging, outDir);
  } catch (error) {
    if (existsSync(old)) renameSync(old, outDir);
    throw error;
  }
  rmSync(old, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------------
// One build at a time: builds share docs/.observablehq/cache (Framework's fixed cache location).

async function acquireBuildLock(progress: (line: string) => void): Promise<() => void> {
  const lock = join(DOCS, ".observablehq/build.lock");
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 20 * 60_000;
  let waiting = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(lock, "pid"), "utf8"));
    } catch {
      // The holder is between mkdir and writing its pid: wait.
    }
    if (Number.isFinite(holder) && !isAlive(holder)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new SiteBuildError(`another site build (pid ${holder}) holds ${lock}; remove it if that build is gone`);
    if (!waiting) progress(`waiting for another site build (pid ${holder}) to finish`);
    waiting = true;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
