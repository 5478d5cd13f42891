/**
 * The analytic pages (frequency, cohorts, clv, value-matrix, grades, churn, regions) built from the site fixture's
 * canonical tables with the REAL pipeline's marts (so the loaders are checked against the marts' actual columns):
 * each page's HTML exists and its data file is valid, small, and holds the numbers worked out by hand below. The
 * loaders are also run on their own without any mart (every page must degrade to "missing" flags, never crash) and
 * with PII masking (no raw customer name in any data file). The browser test (browser.test.ts) opens every page.
 *
 * Fixture (test/helpers/site-fixture.ts), as of 2024-06-30, purchase days per customer:
 *   C001 华东 2023-08-03, 11-12, 2024-02-08, 05-20, 06-18  revenue 1200+800+1500+900+1100 = 5500
 *   C002 华北 2023-10-01, 2024-01-15, 04-22 (+ a -50 refund on 01-20)  revenue 300+450-50+600 = 1300
 *   C003 华南 2024-03-03, 06-01                          revenue 430
 *   C004 西南 2023-09-20, 12-01                          revenue 3800
 *   C005 东北 2024-02-14                                 revenue 400
 *   C006 华东 2024-05-05, 06-25                          revenue 1350        total 12,780
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSite } from "../../src/report/build.ts";
import { exportMarts, isMart } from "../../src/pipelines/index.ts";
import { openDatabase } from "../../src/data/db.ts";
import { recordRun, type RunStamp } from "../../src/report/run-manifest.ts";
import {
  exportTables,
  makeSiteFixture,
  runLoaders,
  siteFixtureData,
  SITE_CUSTOMERS,
  AS_OF,
  type SiteFixture,
} from "../helpers/site-fixture.ts";
import { runFixture } from "../helpers/pipeline.ts";

const PAGES = ["frequency", "cohorts", "clv", "value-matrix", "grades", "churn", "regions"] as const;
type Page = (typeof PAGES)[number];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let fixture: SiteFixture;
let martsDir: string;
let stamp: RunStamp;
let tablesDir: string;
let outDir: string;
const built: Partial<Record<Page, Json>> = {};

/** Run the pages' loaders (one child process) against `env`; returns each page's data. */
async function runPageLoaders(env: Record<string, string>): Promise<Record<Page, Json>> {
  const out = await runLoaders(
    PAGES.map((p) => `${p}.json.ts`),
    env,
  );
  return Object.fromEntries(PAGES.map((p) => [p, JSON.parse(out[`${p}.json`].toString("utf8"))])) as Record<Page, Json>;
}

beforeAll(async () => {
  // The fixture's database and synthetic marts, then every mart recomputed by the real pipeline on the same data.
  fixture = await makeSiteFixture();
  martsDir = join(fixture.dir, "pipeline-marts");
  const pipeline = await runFixture(siteFixtureData(), {
    config: { analysis: { asOf: AS_OF, period: "week", cohortPeriod: "month" } },
  });
  try {
    const tables = await pipeline.rows<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'main'",
    );
    const marts = tables
      .map((t) => t.name)
      .filter(
        (n) =>
          isMart(n) &&
          !["transactions", "customers", "visits", "complaints", "invoices", "ingest_log", "rejected_rows"].includes(n),
      );
    stamp = await exportMarts(pipeline.db, marts, martsDir, AS_OF);
  } finally {
    await pipeline.db.close();
  }
  // the build checks that the database names the marts' run: these marts were computed on a copy of its data
  const fixtureDb = await openDatabase(fixture.databasePath);
  try {
    await recordRun(fixtureDb, stamp, 0);
  } finally {
    await fixtureDb.close();
  }
  tablesDir = join(fixture.dir, "tables");
  await exportTables(fixture.databasePath, tablesDir);
  outDir = join(fixture.dir, "dist");
  await buildSite({
    martsDir,
    databasePath: fixture.databasePath,
    outDir,
    locale: "zh-CN",
    topCustomers: 2,
    asOf: AS_OF,
  });
  for (const page of PAGES) {
    const html = readFileSync(join(outDir, `${page}.html`), "utf8");
    const file = html.match(new RegExp(`_file/data/${page}\\.[0-9a-f]+\\.json`))?.[0];
    if (file) built[page] = JSON.parse(readFileSync(join(outDir, file), "utf8"));
  }
}, 600_000);

afterAll(() => {
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

describe("analytic pages, built", () => {
  it.each(PAGES)("%s: the page exists, with its localised title, and its data file is small valid JSON", (page) => {
    const html = readFileSync(join(outDir, `${page}.html`), "utf8");
    expect(html).toContain(`./_import/components/specs/`);
    expect(built[page], `data file of ${page}`).toBeTruthy();
    const file = readdirSync(join(outDir, "_file/data")).find((f) => f.startsWith(`${page}.`) && f.endsWith(".json"))!;
    expect(statSync(join(outDir, "_file/data", file)).size).toBeLessThan(1 << 20);
  });

  it("frequency: buckets, gaps and the one customer due to buy again", () => {
    const d = built.frequency;
    expect(d.available).toEqual({ distribution: true, histogram: true, frequency: true });
    expect(d.customers).toBe(6);
    // gaps: C001 101, 88, 102, 29; C002 106, 98 (the refund day is no purchase); C003 90; C004 72; C006 51
    const gaps = Object.fromEntries(d.histogram.map((b: Json) => [`${b.bin_start}-${b.bin_end ?? ""}`, b.gaps]));
    expect(gaps).toEqual({
      "0-7": 0,
      "7-14": 0,
      "14-30": 1,
      "30-60": 1,
      "60-90": 2,
      "90-180": 5,
      "180-365": 0,
      "365-": 0,
    });
    expect(d.distribution.map((b: Json) => b.bucket)).toEqual(["1", "2", "3-5", "6-10", "11+"]);
    expect(d.distribution.reduce((n: number, b: Json) => n + b.customers, 0)).toBe(6);
    // Due: last purchase + ceil(median gap) before 2024-06-30. Only C004: 2023-12-01 + 72 = 2024-02-11;
    // 212 days since (Dec 1 -> Jun 1 = 183, + 29), 212 - 72 = 140 days overdue. C001: 06-18 + 95 is later, etc.
    expect(d.dueTotal).toBe(1);
    expect(d.due).toMatchObject([
      {
        customer_id: "C004",
        name: "西部物流",
        orders: 2,
        median_gap_days: 72,
        last_purchase: "2023-12-01",
        expected_next_purchase: "2024-02-11",
        days_since_last_purchase: 212,
        days_overdue: 140,
      },
    ]);
  });

  it("cohorts: six monthly cohorts of one customer, retention in periods 1 and 3", () => {
    const d = built.cohorts;
    expect(d.available).toBe(true);
    expect(d.cohorts).toBe(6);
    expect(d.customers).toBe(6);
    expect([...new Set(d.rows.map((r: Json) => r.cohort))]).toEqual([
      "2023-08-01",
      "2023-09-01",
      "2023-10-01",
      "2024-02-01",
      "2024-03-01",
      "2024-05-01",
    ]);
    // period 1 (the month after the first): only C006 (May -> 2024-06-25) bought: 1 of 6 cohorts
    // period 3 exists for the 5 cohorts up to March: C001 Nov, C004 Dec, C002 Jan, C003 Jun bought, C005 (May) not: 4/5
    expect(d.retention).toEqual(
      [
        { k: 1, retention: 1 / 6, cohorts: 6 },
        { k: 3, retention: 0.8, cohorts: 5 },
      ].map((r) => ({ ...r, retention: expect.closeTo(r.retention, 4) })),
    );
  });

  it("clv: every customer has a CLV, and the fits are reported (too few customers to converge)", () => {
    const d = built.clv;
    expect(d.available.clv).toBe(true);
    expect(d.stats.customers).toBe(6);
    expect(d.top).toHaveLength(6);
    expect(d.histogram.reduce((n: number, b: Json) => n + b.customers, 0) + d.beyond.customers).toBe(6);
    expect(d.fits.length).toBeGreaterThan(0);
    // 6 customers cannot be fitted: the page warns, and the CLV is the historical fallback
    expect(d.fits.every((f: Json) => f.converged === false)).toBe(true);
    expect(d.models).toEqual([{ model: "historical", customers: 6 }]);
    // no holdout configured: the validation table exists but is empty, so the page explains how to enable it
    expect(d.available.validation).toBe(true);
    expect(d.validation.tracking).toEqual([]);
  });

  it("value matrix: the four quadrants hold the six customers, with strategies", () => {
    const d = built["value-matrix"];
    expect(d.available).toBe(true);
    expect(d.total).toBe(6);
    expect(d.customers).toHaveLength(6);
    expect(d.quadrants.reduce((n: number, q: Json) => n + q.customers, 0)).toBe(6);
    for (const q of d.quadrants) expect(q.strategy_zh && q.strategy_en).toBeTruthy();
    expect(d.thresholds.current_value).not.toBeNull();
  });

  it("grades: grades, RFM segments and the Pareto share of the top 20%", () => {
    const d = built.grades;
    expect(d.available).toEqual({ grades: true, rfm: true, pareto: true });
    expect(d.grades.reduce((n: number, g: Json) => n + g.customers, 0)).toBe(6);
    expect(d.segments.reduce((n: number, s: Json) => n + s.customers, 0)).toBe(6);
    // top 20% = ceil(0.2 * 6) = 2 customers: C001 5500 + C004 3800 = 9300 of 12,780
    expect(d.pareto.top20).toBeCloseTo(9300 / 12780, 4);
    expect(d.pareto.curve[0]).toEqual({ customer_share: 0, revenue_share: 0 });
    expect(d.pareto.curve.at(-1).customer_share).toBe(1);
    // the fixture has no referrals (customers.referred_by), so influence dropped out
    expect(d.missingCriteria).toContain("influence_score");
    expect(d.list).toHaveLength(6);
  });

  it("churn: C004 (silent, open complaint, unpaid invoice) is first, with its reason codes", () => {
    const d = built.churn;
    expect(d.available).toBe(true);
    expect(d.list[0]).toMatchObject({ rank: 1, customer_id: "C004", name: "西部物流", days_silent: 212 });
    // complaint opened 2024-01-05 never resolved; invoice due 2023-12-31 with 800 of 1,800 paid
    expect(d.list[0].reasons).toEqual(expect.arrayContaining(["open_complaint", "overdue_invoice", "overdue_rhythm"]));
    const reasons = Object.fromEntries(d.reasons.map((r: Json) => [r.reason, r.customers]));
    expect(reasons.open_complaint).toBe(1);
    expect(d.totals.customers).toBe(d.list.length);
  });

  it("regions: revenue by region, rep and category add up to the fixture's revenue", () => {
    const d = built.regions;
    for (const key of ["region", "rep", "category"]) {
      expect(d[key].available, key).toBe(true);
      const total = d[key].rows.reduce((n: number, r: Json) => n + r.revenue, 0);
      expect(total, key).toBeCloseTo(12780, 6);
    }
    // 华东 = C001 5500 + C006 1350
    const east = d.region.rows
      .filter((r: Json) => r.region === "华东")
      .reduce((n: number, r: Json) => n + r.revenue, 0);
    expect(east).toBeCloseTo(6850, 6);
    // reps: 王芳 (C001, C003) 5930, 张伟 (C002, C004) 5100, 刘洋 (C005, C006) 1750
    const reps: Record<string, number> = {};
    for (const r of d.rep.rows) reps[r.sales_rep] = (reps[r.sales_rep] ?? 0) + r.revenue;
    expect(reps).toEqual({
      王芳: expect.closeTo(5930, 6),
      张伟: expect.closeTo(5100, 6),
      刘洋: expect.closeTo(1750, 6),
    });
  });
});

describe("analytic page loaders", () => {
  it("degrade without any mart or table: every page gets 'not available', none crashes", async () => {
    const empty = mkdtempSync(join(tmpdir(), "kehu-no-marts-"));
    try {
      const d = await runPageLoaders({ KEHU_MARTS_DIR: empty, KEHU_TABLES_DIR: "", KEHU_MASK_PII: "0" });
      expect(d.frequency.available).toEqual({ distribution: false, histogram: false, frequency: false });
      expect(d.frequency.due).toEqual([]);
      expect(d.cohorts.available).toBe(false);
      expect(d.clv.available).toEqual({
        clv: false,
        summary: false,
        fit: false,
        validation: false,
        uncertainty: false,
        intervals: false,
        checks: false,
        surfaces: false,
        forecast: false,
      });
      expect(d["value-matrix"].available).toBe(false);
      expect(d.grades.available).toEqual({ grades: false, rfm: false, pareto: false });
      expect(d.churn.available).toBe(false);
      expect(d.regions).toEqual({
        region: { available: false, rows: [], periods: 0 },
        rep: { available: false, rows: [], periods: 0 },
        category: { available: false, rows: [], periods: 0 },
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("with PII masking, no data file holds a customer's real name", async () => {
    const d = await runPageLoaders({
      KEHU_MARTS_DIR: martsDir,
      KEHU_TABLES_DIR: tablesDir,
      KEHU_MASK_PII: "1",
      KEHU_LOCALE: "zh-CN",
    });
    const text = JSON.stringify(d);
    for (const c of SITE_CUSTOMERS) expect(text).not.toContain(c.name);
    // the lists still name customers, by pseudonym
    expect(d.frequency.due[0].name).toMatch(/^客户-[0-9a-f]{6}$/);
    expect(d.churn.list[0].name).toMatch(/^客户-[0-9a-f]{6}$/);
  });
});
