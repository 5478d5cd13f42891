/**
 * The decision lists on the site ("Lists a manager can act on"), from the pipeline's OWN marts: a 300-customer demo
 * ingested once and run twice (as of 2026-05-31, then 2026-06-30, with a holdout from 2026-01-01), so the overview
 * has changes since the previous run, the churn page a backtest and the cards a P(alive)/CLV trend. A second demo
 * (150 customers) run only once and without a holdout checks what the pages say before there is a previous run or a backtest.
 * The loaders run on their own (no site build); browser.test.ts opens the built pages.
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDatabase } from "../../src/data/db.ts";
import { DEMO_AS_OFS, exportTables, makeDemoMarts, runLoaders, type DemoMarts } from "../helpers/site-fixture.ts";
import { STRINGS } from "../../docs/components/i18n.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const LOADERS = [
  "overview.json.ts",
  "churn.json.ts",
  "followup.json.ts",
  "value-matrix.json.ts",
  "accounts.json.ts",
  "customer-cards.tar.ts",
];

interface Run {
  demo: DemoMarts;
  data: Record<string, Json>;
  cards: Map<string, Json>;
}

async function loadersOn(demo: DemoMarts): Promise<Run> {
  const tablesDir = join(demo.dir, "tables");
  await exportTables(demo.databasePath, tablesDir);
  const out = await runLoaders(LOADERS, {
    KEHU_MARTS_DIR: demo.martsDir,
    KEHU_TABLES_DIR: tablesDir,
    KEHU_MASK_PII: "0",
    KEHU_LOCALE: "zh-CN",
    KEHU_AS_OF: demo.asOf,
    KEHU_TOP_CUSTOMERS: "40",
  });
  const data: Record<string, Json> = {};
  for (const [name, buffer] of Object.entries(out))
    if (name.endsWith(".json")) data[name.replace(/\.json$/, "")] = JSON.parse(buffer.toString("utf8"));
  const cardsDir = join(demo.dir, "cards");
  mkdirSync(cardsDir);
  writeFileSync(join(cardsDir, "cards.tar"), out["customer-cards.tar"]);
  execFileSync("tar", ["-xf", "cards.tar"], { cwd: cardsDir });
  const cards = new Map<string, Json>();
  for (const f of readdirSync(cardsDir).filter((f) => f.endsWith(".json"))) {
    const card = JSON.parse(readFileSync(join(cardsDir, f), "utf8"));
    cards.set(card.id, card);
  }
  return { demo, data, cards };
}

/** Rows of a mart of the demo, straight from its Parquet file. */
async function mart<T = Json>(demo: DemoMarts, sql: string): Promise<T[]> {
  const db = await openDatabase(":memory:");
  try {
    return await db.all<T>(
      sql.replace(/\bmart\((\w+)\)/g, (_, name) => `read_parquet('${join(demo.martsDir, `${name}.parquet`)}')`),
    );
  } finally {
    await db.close();
  }
}

let two: Run;
let one: Run;

beforeAll(async () => {
  two = await loadersOn(await makeDemoMarts({ customers: 300 }));
  one = await loadersOn(await makeDemoMarts({ customers: 150, asOfs: [DEMO_AS_OFS[1]], holdoutStart: null }));
}, 300_000);

afterAll(() => {
  for (const run of [two, one]) if (run) rmSync(run.demo.dir, { recursive: true, force: true });
});

describe("overview: what to act on today", () => {
  it("lists today's top calls across reps by call value, each with its rep and next action", async () => {
    const calls = two.data.overview.topCalls;
    expect(calls).toHaveLength(10);
    const values = calls.map((c: Json) => c.call_value);
    expect([...values].sort((a, b) => b - a)).toEqual(values);
    const [best] = await mart<{ customer_id: string; call_value: number }>(
      two.demo,
      "select customer_id, call_value from mart(followup_queue) where is_today order by call_value desc, customer_id limit 1",
    );
    expect(calls[0]).toMatchObject({ customer_id: best.customer_id });
    for (const c of calls) {
      expect(c.sales_rep).toBeTruthy();
      expect(c.next_action_zh && c.next_action_en).toBeTruthy();
    }
    expect(new Set(calls.map((c: Json) => c.sales_rep)).size).toBeGreaterThan(1);
  });

  it("shows the changes since the previous run: counts per change, the top rows by value, new on the churn list", async () => {
    const ch = two.data.overview.changes;
    expect(ch).toMatchObject({ snapshots: 2, previous_as_of: DEMO_AS_OFS[0], as_of: DEMO_AS_OFS[1] });
    const counts = await mart<{ change: string; n: number }>(
      two.demo,
      "select change, count(*)::integer as n from mart(customer_changes) group by all",
    );
    expect(Object.fromEntries(ch.counts.map((c: Json) => [c.change, c.customers]))).toEqual(
      Object.fromEntries(counts.map((c) => [c.change, c.n])),
    );
    expect(ch.top.length).toBe(10);
    expect(ch.top.map((r: Json) => r.value_rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const joined = counts.find((c) => c.change === "joined_churn_list")?.n ?? 0;
    expect(joined).toBeGreaterThan(0);
    expect(ch.newlyAtRiskTotal).toBe(joined);
    expect(ch.newlyAtRisk).toHaveLength(Math.min(10, joined));
    for (const r of ch.newlyAtRisk) expect(r.rank).toBeGreaterThan(0); // on today's list, with its rank and expected loss
  });

  it("says there is no previous run after the first one", () => {
    expect(one.data.overview.changes).toMatchObject({
      snapshots: 1,
      previous_as_of: null,
      counts: [],
      top: [],
      newlyAtRisk: [],
    });
  });

  it("counts the churn list for the 'at risk' KPI", async () => {
    const [{ n }] = await mart<{ n: number }>(two.demo, "select count(*)::integer as n from mart(churn_risk)");
    expect(two.data.overview.kpis.at_risk.value).toBe(n);
  });
});

describe("churn page", () => {
  it("lists the churn list by rank with expected loss, P(lapse), yearly value, days silent and reasons", () => {
    const d = two.data.churn;
    expect(d.list.length).toBe(d.totals.customers);
    expect(d.list.map((r: Json) => r.rank)).toEqual(d.list.map((_: Json, i: number) => i + 1));
    const losses = d.list.map((r: Json) => r.expected_loss);
    expect([...losses].sort((a, b) => b - a)).toEqual(losses);
    for (const r of d.list) {
      // the page's numbers are rounded to 6 significant digits (P(lapse) to 4 decimals)
      expect(Math.abs(r.expected_loss - r.p_lapse * r.value_if_retained)).toBeLessThan(1e-4 * r.value_if_retained + 1);
      expect(r.days_silent).toBeGreaterThanOrEqual(0);
      expect(r.reasons.length).toBeGreaterThan(0);
    }
  });

  it("has the backtest of the list against the naive rule, and says how to enable it without a holdout", () => {
    const methods = Object.fromEntries(two.data.churn.backtest.map((r: Json) => [r.method, r]));
    expect(methods.churn_list).toMatchObject({ calibration_end: "2025-12-31", holdout_end: "2026-06-30" });
    expect(methods.churn_list.listed).toBeGreaterThan(0);
    expect(methods.naive_rule.listed).toBe(methods.churn_list.listed);
    for (const m of [methods.churn_list, methods.naive_rule]) expect(m.lapsed_revenue_captured).toBeGreaterThan(0);
    expect(one.data.churn.backtest).toEqual([]);
  });

  it("has the win-back list: lost customers of high past revenue, none of them on the churn list", () => {
    const { winBack, list } = two.data.churn;
    expect(winBack.total).toBeGreaterThan(0);
    const listed = new Set(list.map((r: Json) => r.customer_id));
    for (const r of winBack.rows) {
      expect(listed.has(r.customer_id)).toBe(false);
      expect(r.p_alive).toBeLessThan(0.1);
    }
    const revenue = winBack.rows.map((r: Json) => r.revenue);
    expect([...revenue].sort((a, b) => b - a)).toEqual(revenue);
  });
});

describe("follow-up page", () => {
  it("has each rep's queue by call value, today's part marked, with the next action", () => {
    const d = two.data.followup;
    expect(d.perDay).toBe(20);
    for (const rep of d.byRep) {
      const rows = d.queue.filter((r: Json) => r.sales_rep === rep.sales_rep);
      expect(rows.map((r: Json) => r.priority)).toEqual(rows.map((_: Json, i: number) => i + 1));
      expect(rows.filter((r: Json) => r.is_today)).toHaveLength(rep.today);
      expect(rep.today).toBe(Math.min(20, rep.customers));
      for (const r of rows) expect(r.next_action_zh && r.next_action_en && r.next_action).toBeTruthy();
    }
    // some rep has more in the queue than today's 20: the page shows "20 of n" and the rest on demand
    expect(d.byRep.some((r: Json) => r.customers > r.today)).toBe(true);
  });

  it("ranks the problem accounts by value at stake", () => {
    const stakes = two.data.accounts.problems.map((r: Json) => r.value_at_stake);
    expect(stakes.length).toBeGreaterThan(0);
    expect([...stakes].sort((a, b) => b - a)).toEqual(stakes);
  });
});

describe("value matrix page", () => {
  it("has the backtest per calibration quadrant and the size of the win-back list", () => {
    const d = two.data["value-matrix"];
    expect(d.backtest.map((r: Json) => r.quadrant)).toEqual(["I", "II", "III", "IV"]);
    for (const r of d.backtest) expect(r.active_share).toBeGreaterThanOrEqual(0);
    expect(d.winBack).toBe(two.data.churn.winBack.total);
    expect(one.data["value-matrix"].backtest).toEqual([]);
  });
});

describe("customer cards", () => {
  it("carry the P(alive)/CLV trend of both runs, the next action and the churn expected loss", async () => {
    const cards = [...two.cards.values()];
    expect(cards.length).toBe(40);
    for (const c of cards) {
      expect(c.trend.map((t: Json) => t[0])).toEqual([...DEMO_AS_OFS]);
      expect(c.trend[1][1]).toBeCloseTo(c.clv.p_alive, 6);
    }
    const queued = cards.filter((c) => c.action);
    expect(queued.length).toBeGreaterThan(0);
    const [q] = queued;
    const [row] = await mart<Json>(two.demo, `select * from mart(followup_queue) where customer_id = '${q.id}'`);
    expect(q.action).toMatchObject({
      sales_rep: row.sales_rep,
      priority: row.priority,
      is_today: row.is_today,
      next_action: row.next_action,
      next_action_zh: row.next_action_zh,
    });
    const listed = cards.filter((c) => c.churn);
    expect(listed.length).toBeGreaterThan(0);
    for (const c of listed) expect(c.churn.expected_loss).toBeCloseTo(c.churn.p_lapse * c.churn.value_if_retained, 4);
    // after one run there is one snapshot: no trend to draw yet
    for (const c of one.cards.values()) expect(c.trend).toHaveLength(1);
  });
});

describe("strings of the decision lists", () => {
  const ROOT = resolve(__dirname, "../..");
  const S = STRINGS as Record<string, Record<string, string>>;
  const both = (key: string) => {
    for (const locale of ["zh-CN", "en"]) expect(S[locale][key], `${locale} ${key}`).toBeTypeOf("string");
  };

  it("translate every code the marts hold, in both locales", async () => {
    const codes = async (sql: string) => (await mart<{ v: string }>(two.demo, sql)).map((r) => r.v);
    for (const v of await codes("select distinct change as v from mart(customer_changes)")) both(`change.${v}`);
    for (const v of await codes("select distinct next_action as v from mart(followup_queue)"))
      both(`followup.action.${v}`);
    for (const v of await codes("select distinct unnest(reasons) as v from mart(churn_risk)")) both(`reason.${v}`);
    for (const v of await codes("select distinct unnest(reasons) as v from mart(followup_queue)"))
      both(`followup.reason.${v}`);
    // and every code the marts' SQL headers define, seen in this demo or not
    for (const v of [
      "quadrant_changed",
      "grade_changed",
      "joined_churn_list",
      "left_churn_list",
      "new_overdue_invoice",
      "new_complaint",
      "new_customer",
    ])
      both(`change.${v}`);
    for (const v of [
      "resolve_complaint",
      "collect_invoice",
      "win_back_call",
      "replenishment_offer",
      "routine_contact",
      "birthday_greeting",
    ])
      both(`followup.action.${v}`);
    for (const v of [
      "long_silence",
      "single_purchase",
      "overdue_rhythm",
      "low_p_alive",
      "open_complaint",
      "overdue_invoice",
      "fewer_visits",
    ])
      both(`reason.${v}`);
    for (const v of ["churn_list", "naive_rule"]) both(`churn.backtest.method.${v}`);
  });

  it.each(["index", "churn", "followup", "value-matrix", "accounts", "components/card"])(
    "every key docs/%s translates exists in both locales",
    (page) => {
      const file = resolve(ROOT, "docs", page.startsWith("components/") ? `${page}.js` : `${page}.md`);
      const source = readFileSync(file, "utf8");
      const keys = new Set([
        ...[...source.matchAll(/\bt\("([\w.-]+)"/g)].map((m) => m[1]),
        ...[...source.matchAll(/(?:pageLink\(fmt|link\()\s*"[^"]*",\s*"([\w.-]+)"/g)].map((m) => m[1]),
      ]);
      // column headers built from a prefix and the nearest `const columns = [...]` above them
      for (const m of source.matchAll(/columns\.map\(\(c\) => \[c, (?:fmt\.)?t\(`([\w.]+)\$\{c\}`\)\]\)/g)) {
        const before = source.slice(0, m.index);
        const list = before.slice(before.lastIndexOf("const columns = [")).match(/^const columns = \[([^\]]+)\]/)![1];
        for (const c of list.matchAll(/"(\w+)"/g)) keys.add(`${m[1]}${c[1]}`);
      }
      expect(keys.size).toBeGreaterThan(3);
      for (const key of keys) both(key);
    },
  );
});
