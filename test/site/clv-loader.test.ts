/**
 * The lifetime-value page's loader (docs/data/clv.json.ts) reads the marts of issue 13: the real pipeline on the
 * CDNOW sample transactions (2,357 customers, weekly, 39-week holdout from 1997-10-01), its marts exported, the
 * loader run on them, and what it emits compared with the marts themselves. (The site fixture of pages.test.ts has
 * six customers: no model converges there, so these sections would be empty.)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportMarts, isMart } from "../../src/pipelines/index.ts";
import { runFixture, type Fixture } from "../helpers/pipeline.ts";
import { runLoaders } from "../helpers/site-fixture.ts";

const MARTS = [
  "model_fit",
  "model_validation",
  "customer_clv",
  "customer_clv_interval",
  "model_uncertainty",
  "model_checks",
  "model_surfaces",
  "purchase_count_forecast",
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
let dir: string;
let page: Json;
const marts: Record<string, Json[]> = {};

beforeAll(async () => {
  const lines = readFileSync(resolve(__dirname, "../../../shared/data/cdnow/CDNOW_sample.txt"), "utf8")
    .trim()
    .split(/\r?\n/);
  const fixture: Fixture = {
    transactions: lines.map((line, i) => {
      const [, id, ymd, cds, dollars] = line.trim().split(/\s+/);
      return {
        order_id: `o${i + 1}`,
        customer_id: String(Number(id)),
        ordered_at: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`,
        amount: Number(dollars),
        quantity: Number(cds),
      };
    }),
  };
  const p = await runFixture(fixture, {
    config: { analysis: { asOf: "1998-06-30", holdoutStart: "1997-10-01", period: "week" } },
    only: MARTS,
  });
  dir = mkdtempSync(join(tmpdir(), "kehu-clv-loader-"));
  try {
    for (const m of MARTS) marts[m] = await p.rows(`select * from ${m}`);
    const tables = await p.rows<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'main'",
    );
    await exportMarts(
      p.db,
      tables.map((t) => t.name).filter((n) => isMart(n) && MARTS.includes(n)),
      join(dir, "marts"),
      "1998-06-30",
    );
  } finally {
    await p.db.close();
  }
  const out = await runLoaders(["clv.json.ts"], {
    KEHU_MARTS_DIR: join(dir, "marts"),
    KEHU_TABLES_DIR: "",
    KEHU_MASK_PII: "0",
  });
  page = JSON.parse(out["clv.json"].toString("utf8"));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("clv.json on the CDNOW sample", () => {
  it("flags every new mart as available", () => {
    expect(page.available).toMatchObject({
      fit: true,
      uncertainty: true,
      intervals: true,
      checks: true,
      surfaces: true,
      forecast: true,
    });
  });

  it("carries the model choice: reason, figures and rule for every purchase model", () => {
    const purchase = page.fits.filter((f: Json) => f.model !== "gammagamma");
    expect(purchase).toHaveLength(3);
    const chosen = purchase.find((f: Json) => f.selected);
    expect(chosen.model).toBe("mbgnbd");
    expect(chosen.selection_reason).toBe("lowest_bic_within_margin");
    for (const f of purchase) {
      const mart = marts.model_fit.find((m) => m.model === f.model);
      expect(f.selection_reason).toBe(mart.selection_reason);
      expect(f.holdout_bias).toBeCloseTo(mart.holdout_bias, 3);
      expect(f.selection_margin).toBe(0.02);
    }
  });

  it("lists the parameter intervals and the top customers' CLV intervals", () => {
    expect(page.uncertainty).toHaveLength(marts.model_uncertainty.length);
    const bgR = page.uncertainty.find((r: Json) => r.model === "bgnbd" && r.param === "r");
    const martR = marts.model_uncertainty.find((r) => r.model === "bgnbd" && r.param === "r");
    expect(bgR.ci_low).toBeCloseTo(martR.ci_low, 3);
    expect(bgR.ci_high).toBeCloseTo(martR.ci_high, 3);
    expect(page.top.length).toBe(500); // LIST_LIMIT
    for (const c of page.top) {
      const interval = marts.customer_clv_interval.find((r) => r.customer_id === c.customer_id);
      expect(c.clv_low).toBeCloseTo(interval.clv_low, 0);
      expect(c.clv_high).toBeCloseTo(interval.clv_high, 0);
      expect(c.clv_low).toBeLessThanOrEqual(c.clv_high);
    }
    expect(page.intervals.with_interval).toBe(2357);
  });

  it("has the period-transactions check of every purchase model, with its verdict", () => {
    expect(page.checks.map((c: Json) => c.model).sort()).toEqual(["bgnbd", "mbgnbd", "pnbd"]);
    for (const c of page.checks) {
      const rows = marts.model_checks
        .filter((r) => r.model === c.model)
        .sort((a, b) => a.repeat_count - b.repeat_count);
      expect(c.classes.map((k: Json) => k.label)).toEqual(rows.map((r) => r.label));
      expect(c.classes.map((k: Json) => k.actual)).toEqual(rows.map((r) => r.actual));
      expect(c.verdict).toBe(rows[0].verdict);
      expect(c.classes.reduce((s: number, k: Json) => s + k.actual, 0)).toBe(2357);
    }
  });

  it("thins the model surface to at most 40 x 40 cells of the selected model, values as in the mart", () => {
    const s = page.surfaces;
    expect(s.model).toBe("mbgnbd");
    expect(s.period).toBe("week");
    const frequencies = new Set(s.cells.map((c: Json) => c.frequency));
    const recencies = new Set(s.cells.map((c: Json) => c.recency));
    expect(frequencies.size).toBeLessThanOrEqual(40);
    expect(recencies.size).toBeLessThanOrEqual(40);
    expect(frequencies.has(0)).toBe(true);
    for (const c of s.cells.slice(0, 200)) {
      const m = marts.model_surfaces.find(
        (r) => r.frequency === c.frequency && Math.abs(r.recency - c.recency) < 0.006,
      );
      expect(c.p_alive).toBeCloseTo(m.p_alive, 3);
      expect(c.expected_next_period).toBeCloseTo(m.expected_next_period, 3);
    }
  });

  it("has the purchase-count forecast: 0..9 and 10+, adding up to the customer base", () => {
    const f = page.forecast;
    expect(f.model).toBe("mbgnbd");
    expect(f.period).toBe("week");
    expect(f.rows.map((r: Json) => r.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10+"]);
    expect(f.rows.reduce((s: number, r: Json) => s + r.expected_customers, 0)).toBeCloseTo(2357, 0);
  });
});
