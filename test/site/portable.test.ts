/**
 * `kehu report --portable`: one .html file that a browser opens from file:// (double-click, e-mail attachment) with
 * no server and no request: the charts draw, the follow-up list has its rows, nothing goes to the console. Masked,
 * the file passes the same leak scan as dist/ (and the scan does see an unmasked file's names); a failed build
 * leaves the previous file as it was; names stay text.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildPortable, portableHtml } from "../../src/report/portable.ts";
import { findPiiLeaks } from "../../src/report/build.ts";
import { reportEnv } from "../../src/report/marts.ts";
import {
  AS_OF,
  makeDemoMarts,
  makeSiteFixture,
  XSS_NAME,
  type DemoMarts,
  type SiteFixture,
} from "../helpers/site-fixture.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(__dirname, "../../test-output/screenshots");

let demo: DemoMarts;
let fixture: SiteFixture;
let out: string;
let browser: Browser;
const masked = () => join(out, "masked.html");
const english = () => join(out, "english.html");

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "kehu-portable-"));
  demo = await makeDemoMarts({ customers: 300 });
  const base = { martsDir: demo.martsDir, databasePath: demo.databasePath, asOf: demo.asOf };
  await buildPortable({ ...base, file: masked(), maskPii: true, locale: "zh-CN" });
  await buildPortable({ ...base, file: english(), maskPii: false, locale: "en" });
  fixture = await makeSiteFixture();
  await buildPortable({
    martsDir: fixture.martsDir,
    databasePath: fixture.databasePath,
    asOf: AS_OF,
    file: join(out, "fixture.html"),
    locale: "zh-CN",
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const dir of [out, demo?.dir, fixture?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Open a file from disk, collecting console errors/warnings, page errors, dialogs and any request but the file's. */
async function openFile(
  file: string,
  viewport = { width: 1440, height: 900 },
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const url = pathToFileURL(file).href;
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("request", (r) => {
    if (r.url() !== url) problems.push(`request: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(
    () => {
      const charts = [...document.querySelectorAll(".kehu-chart")];
      return charts.length > 0 && charts.every((c) => c.querySelector("svg") || c.classList.contains("kehu-error"));
    },
    undefined,
    { timeout: 30_000 },
  );
  return { page, problems };
}

/** Marks drawn per chart, by section. */
const marksBySection = (page: Page) =>
  page.$$eval("section.kehu-page", (sections) =>
    Object.fromEntries(
      sections.map((s) => [
        s.id,
        [...s.querySelectorAll(".vega-embed svg.marks")].map(
          (svg) =>
            svg.querySelectorAll(
              "g.mark-rect path, g.mark-line path, g.mark-symbol path, g.mark-rule line, g.mark-text text",
            ).length,
        ),
      ]),
    ),
  );

describe("the portable report", () => {
  it("is one file: no module, no external script, style or URL", () => {
    const html = readFileSync(masked(), "utf8");
    expect(html).not.toMatch(/type="module"/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link /);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    expect(html).toContain("<title>客户分析报告</title>"); // what a mail client or the tab shows before the script runs
    expect(readdirSync(out).sort()).toEqual(["english.html", "fixture.html", "masked.html"]);
    // vega, vega-lite and vega-embed inline, the Excel library left out: a file one can e-mail
    const mb = Buffer.byteLength(html) / 2 ** 20;
    expect(mb).toBeGreaterThan(0.5);
    expect(mb).toBeLessThan(3);
  });

  it("opens from file:// and draws every section's charts and the follow-up rows, with no console error", {
    timeout: 120_000,
  }, async () => {
    for (const viewport of [
      { width: 1440, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const { page, problems } = await openFile(masked(), viewport);
      const marks = await marksBySection(page);
      expect(Object.keys(marks)).toEqual(["overview", "value-matrix", "churn", "followup"]);
      for (const [section, charts] of Object.entries(marks)) {
        expect(charts.length, section).toBeGreaterThan(0);
        for (const n of charts) expect(n, section).toBeGreaterThan(0);
      }
      expect(await page.$$eval(".kehu-error", (e) => e.map((x) => x.textContent))).toEqual([]);
      // each rep's list for today: 20 per rep (analysis.followupPerRep), cut from the whole queue, and it says so
      const rows = await page.$$eval("#followup tbody tr", (trs) => trs.length);
      expect(rows).toBeGreaterThanOrEqual(15);
      expect(await page.textContent("#followup .kehu-table-count")).toMatch(
        new RegExp(`显示 ${rows} 行，共 [\\d,]+ 行`),
      );
      expect(await page.textContent("#kehu-portable h1")).toBe("客户分析报告");
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(
        1,
      );
      if (viewport.width > 1000) {
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, "portable.png") });
      }
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  it("picks one rep's list", async () => {
    const { page, problems } = await openFile(masked());
    const reps = await page.$$eval("#followup select option", (o) =>
      o.map((x) => (x as HTMLOptionElement).value).filter(Boolean),
    );
    expect(reps.length).toBeGreaterThan(1);
    await page.selectOption("#followup select", reps[0]);
    const shown = await page.$$eval("#followup tbody tr td:first-child", (tds) => [
      ...new Set(tds.map((td) => td.textContent)),
    ]);
    expect(shown).toEqual([reps[0]]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("follows the locale", async () => {
    const { page, problems } = await openFile(english());
    expect(await page.textContent("#kehu-portable h1")).toBe("Customer analytics report");
    expect(await page.textContent("#churn h2")).toBe("Churn risk");
    expect(await page.textContent("#followup .kehu-table-count")).toMatch(/^Showing \d+ of [\d,]+ rows/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("passes the leak scan when masked; the scan finds the names of an unmasked file", async () => {
    const env = reportEnv({ KEHU_MARTS_DIR: demo.martsDir, KEHU_MASK_PII: "0" });
    const scan = async (file: string) => {
      const dir = mkdtempSync(join(tmpdir(), "kehu-portable-scan-"));
      try {
        copyFileSync(file, join(dir, "report.html"));
        return (await findPiiLeaks(dir, env)).map((l) => l.kind);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(await scan(masked())).toEqual([]);
    expect(await scan(english())).toEqual(expect.arrayContaining(["customer_id", "name"]));
  });

  it("shows a customer named like markup as text", { timeout: 60_000 }, async () => {
    const { page, problems } = await openFile(join(out, "fixture.html"));
    expect(await page.$$('img[src="x"]')).toHaveLength(0);
    expect(await page.textContent("#kehu-portable")).toContain(XSS_NAME);
    expect(problems).toEqual([]);
    await page.close();
    // a name that would end the script element stays inside the JSON
    const html = portableHtml("void 0", { name: "</script><script>alert(1)</script>" }, "en");
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it("a failed build leaves the previous file as it was", async () => {
    const file = join(out, "previous.html");
    writeFileSync(file, "previous report");
    mkdirSync(join(out, "empty-marts"));
    await expect(buildPortable({ martsDir: join(out, "empty-marts"), file })).rejects.toThrow(/no marts/);
    expect(readFileSync(file, "utf8")).toBe("previous report");
    expect(readdirSync(out).filter((f) => f.startsWith(".previous"))).toEqual([]);
    rmSync(file);
    expect(existsSync(file)).toBe(false);
  });
});
