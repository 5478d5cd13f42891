/**
 * `kehu report --portable`: ONE self-contained .html file (overview, value matrix, churn risk, follow-up) that opens
 * by double-click or as an e-mail attachment, with no server and no network. Browsers refuse ES modules from
 * file://, so the site's pages (Framework modules) cannot: this file holds one classic inline script, bundled by
 * esbuild from docs/components/portable.js (the same sections and components as the pages, vega included), the
 * loaders' JSON inline, and a Content-Security-Policy that forbids every request. Masking and the leak scan are the
 * site's (build.ts); the file is written to a temp file and renamed, so a failed build leaves the previous one.
 */
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { translate } from "../../docs/components/i18n.js";
import { DOCS, refuseLeaks, runLoaders, withBuildInputs, type BuildSiteOptions } from "./build.ts";

export interface PortableOptions extends Omit<BuildSiteOptions, "outDir"> {
  /** The .html file to write. */
  file: string;
}

export interface PortableResult {
  file: string;
  bytes: number;
  builtAt: string;
  runId: string;
  asOf: string | null;
  /** Follow-up rows in the file (each rep's list for today) and in the whole queue. */
  followupRows: number;
  followupQueue: number;
}

/** The loaders the four sections read (docs/data/<name>.json.ts). */
const LOADERS = ["meta", "overview", "value-matrix", "churn", "followup"] as const;
/** At most this many rows of the churn list (the file says "showing n of m"). */
export const PORTABLE_CHURN_ROWS = 200;

// biome-ignore lint/suspicious/noExplicitAny: loader output is JSON of each loader's own shape, read by the page code.
type Json = Record<string, any>;

export async function buildPortable(options: PortableOptions): Promise<PortableResult> {
  const file = resolve(options.file);
  const progress = options.onProgress ?? (() => {});
  return withBuildInputs(
    { ...options, outDir: dirname(file) },
    { customerPages: false },
    async ({ env, run, builtAt }) => {
      await runLoaders(
        env,
        progress,
        LOADERS.map((name) => `data/${name}.json.ts`),
      );
      const json = Object.fromEntries(
        LOADERS.map((name) => [
          name,
          JSON.parse(readFileSync(join(DOCS, ".observablehq/cache/data", `${name}.json`), "utf8")) as Json,
        ]),
      );
      const data = portableData(json);
      progress("bundling the portable report");
      const html = portableHtml(
        await bundleScript(),
        data,
        json.meta.locale,
        json.meta.title || translate(json.meta.locale, "portable.title"),
      );
      const check = mkdtempSync(join(tmpdir(), "kehu-portable-"));
      const temp = join(dirname(file), `.${basename(file)}.build-${process.pid}-${Date.now()}`);
      try {
        writeFileSync(join(check, basename(file)), html);
        if (options.maskPii) await refuseLeaks(check, env, file);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(temp, html);
        renameSync(temp, file);
      } finally {
        rmSync(check, { recursive: true, force: true });
        rmSync(temp, { force: true });
      }
      return {
        file,
        bytes: Buffer.byteLength(html),
        builtAt,
        runId: run.runId,
        asOf: run.asOf,
        followupRows: data.followup.queue.length,
        followupQueue: json.followup.queue?.length ?? 0,
      };
    },
  );
}

/**
 * What the file needs of the loaders' output: the follow-up queue cut to each rep's list for today (the queue is
 * thousands of rows), without the fields the sections do not show; the churn list cut to PORTABLE_CHURN_ROWS.
 */
export function portableData(json: Record<string, Json>): {
  meta: Json;
  overview: Json;
  valueMatrix: Json;
  churn: Json;
  followup: Json;
} {
  const { meta, overview, churn, followup } = json;
  const action = meta.locale === "en" ? "next_action_en" : "next_action_zh";
  const keep = [
    "sales_rep",
    "priority",
    "customer_id",
    "name",
    "next_action",
    action,
    "call_value",
    "reasons",
    "overdue_amount",
    "last_contact",
  ];
  const queue = (followup.queue ?? [])
    .filter((r: Json) => r.is_today)
    .map((r: Json) => Object.fromEntries(keep.map((k) => [k, r[k] ?? null])));
  return {
    meta,
    overview: { ...overview, changes: undefined },
    valueMatrix: { ...json["value-matrix"], backtest: undefined },
    churn: churn.available
      ? {
          available: true,
          totals: churn.totals,
          reasons: churn.reasons,
          list: churn.list.slice(0, PORTABLE_CHURN_ROWS),
        }
      : { available: false },
    followup: {
      has: followup.has,
      asOf: followup.asOf,
      byRep: followup.byRep ?? [],
      byReason: followup.byReason ?? [],
      queue,
    },
  };
}

/** docs/components/portable.js and everything it imports as one classic script (no modules: file:// refuses them). */
async function bundleScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(DOCS, "components/portable.js")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    write: false,
    // The bundled libraries' licence notices stay in the file (at its end).
    legalComments: "eof",
    logLevel: "silent",
    // The Excel download (exceljs, ~1 MB) stays on the site; the file keeps the CSV download.
    plugins: [
      {
        name: "kehu-no-xlsx",
        setup(b) {
          b.onResolve({ filter: /\/xlsx\.js$/ }, (args) => ({ path: args.path, namespace: "kehu-no-xlsx" }));
          b.onLoad({ filter: /.*/, namespace: "kehu-no-xlsx" }, () => ({
            contents:
              'export async function toXlsx() { throw new Error("kehu: the portable report has no Excel download"); }',
          }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/** Text safe inside a <script> element: no "</script" or "<!--" can end it early. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function portableHtml(script: string, data: Json, locale: string, title = "kehu"): string {
  // JSON with every "<" escaped cannot close its script element, whatever a customer is named.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  // No request of any kind: vega compiles its expressions with Function ('unsafe-eval'); downloads are blob: URLs.
  const csp =
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:";
  return [
    "<!doctype html>",
    `<html lang="${escapeHtml(locale)}">`,
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    "</head>",
    "<body>",
    '<main id="kehu-portable"><noscript>This report needs JavaScript. 本报告需要启用 JavaScript。</noscript></main>',
    `<script type="application/json" id="kehu-data">${json}</script>`,
    `<script>${scriptSafe(script)}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
