/**
 * Test helper for the site: a small kehu database (canonical tables + ingest_log) and a marts dir of synthetic
 * marts with the contract columns (docs: notes "Mart contracts"), derived from the same transactions so the numbers
 * agree. Until the real pipeline produces every mart, site tests build from this.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { openDatabase } from "../../src/data/db.ts";
import { createAllTablesSql } from "../../src/data/schemas.ts";
import { insertFixture, type Fixture } from "./pipeline.ts";
import { buildSite, type BuildSiteOptions, type BuildSiteResult } from "../../src/report/build.ts";
import { recordRun, writeMartsManifest, type RunStamp } from "../../src/report/run-manifest.ts";

/** The run id the fixture's marts and database are stamped with. */
export const FIXTURE_RUN: RunStamp = { runId: "fixture-run-1", asOf: "2024-06-30" };

export const XSS_NAME = "<img src=x onerror=alert(1)>";
export const AS_OF = "2024-06-30";

export const SITE_CUSTOMERS = [
  {
    customer_id: "C001",
    name: "华东机械有限公司",
    phone: "13800000001",
    email: "buyer1@huadong.example.com",
    address: "上海市浦东新区张江路 1 号",
    region: "华东",
    industry: "制造",
    sales_rep: "王芳",
    signup_date: "2023-01-10",
    credit_limit: 50000,
    decision_maker: "李明",
  },
  {
    customer_id: "C002",
    name: "Acme Trading",
    phone: "+86 139-0000-0002",
    email: "ops@acme.example.com",
    address: "北京市朝阳区建国路 88 号",
    region: "华北",
    industry: "贸易",
    sales_rep: "张伟",
    signup_date: "2023-03-05",
    credit_limit: 20000,
    decision_maker: "Ann Lee",
  },
  {
    customer_id: "C003",
    name: XSS_NAME,
    phone: "13700000003",
    email: "x3@evil.example.com",
    address: "广州市天河区 3 号",
    region: "华南",
    industry: "零售",
    sales_rep: "王芳",
    signup_date: "2023-06-01",
    credit_limit: 10000,
    decision_maker: "赵六",
  },
  {
    customer_id: "C004",
    name: "西部物流",
    phone: "13600000004",
    email: "c4@xibu.example.com",
    address: "成都市武侯区 4 号",
    region: "西南",
    industry: "物流",
    sales_rep: "张伟",
    signup_date: "2023-09-15",
    credit_limit: 30000,
    decision_maker: "钱七",
  },
  {
    customer_id: "C005",
    name: "北方食品",
    phone: "13500000005",
    email: "c5@beifang.example.com",
    address: "沈阳市和平区 5 号",
    region: "东北",
    industry: "食品",
    sales_rep: "刘洋",
    signup_date: "2024-01-20",
    credit_limit: 15000,
    decision_maker: "孙八",
  },
  {
    customer_id: "C006",
    name: "新客户六",
    phone: "13400000006",
    email: "c6@new.example.com",
    address: "杭州市西湖区 6 号",
    region: "华东",
    industry: "制造",
    sales_rep: "刘洋",
    signup_date: "2024-04-01",
    credit_limit: 5000,
    decision_maker: "周九",
  },
];

/** Orders: customer, date, amount (C006 is new in the last quarter; C004 went silent; C002 has a refund). */
const ORDERS: [string, string, number][] = [
  ["C001", "2023-08-03", 1200],
  ["C001", "2023-11-12", 800],
  ["C001", "2024-02-08", 1500],
  ["C001", "2024-05-20", 900],
  ["C001", "2024-06-18", 1100],
  ["C002", "2023-10-01", 300],
  ["C002", "2024-01-15", 450],
  ["C002", "2024-01-20", -50],
  ["C002", "2024-04-22", 600],
  ["C003", "2024-03-03", 250],
  ["C003", "2024-06-01", 180],
  ["C004", "2023-09-20", 2000],
  ["C004", "2023-12-01", 1800],
  ["C005", "2024-02-14", 400],
  ["C006", "2024-05-05", 700],
  ["C006", "2024-06-25", 650],
];

export function siteFixtureData(): Fixture {
  return {
    customers: SITE_CUSTOMERS,
    transactions: ORDERS.map(([customer_id, date, amount], i) => ({
      order_id: `O${String(i + 1).padStart(3, "0")}`,
      customer_id,
      ordered_at: `${date} 10:00:00`,
      amount,
      quantity: 1,
      product: amount > 1000 ? "设备" : "配件",
      category: amount > 1000 ? "equipment" : "parts",
      channel: "direct",
      sales_rep: SITE_CUSTOMERS.find((c) => c.customer_id === customer_id)!.sales_rep,
    })),
    visits: [
      {
        customer_id: "C001",
        visited_at: "2024-06-10 09:00:00",
        kind: "onsite",
        sales_rep: "王芳",
        outcome: "order",
        notes: "call 13800000001 back",
      },
      {
        customer_id: "C001",
        visited_at: "2024-03-01 09:00:00",
        kind: "phone",
        sales_rep: "王芳",
        outcome: "follow-up",
      },
      {
        customer_id: "C003",
        visited_at: "2024-05-15 14:00:00",
        kind: "onsite",
        sales_rep: "王芳",
        outcome: "<b>bold</b>",
      },
      {
        customer_id: "C004",
        visited_at: "2024-01-10 10:00:00",
        kind: "phone",
        sales_rep: "张伟",
        outcome: "no answer",
      },
    ],
    complaints: [
      {
        customer_id: "C004",
        opened_at: "2024-01-05 08:00:00",
        resolved_at: null,
        category: "delivery",
        severity: "high",
        good_faith: true,
      },
      {
        customer_id: "C001",
        opened_at: "2024-02-01 08:00:00",
        resolved_at: "2024-02-03 08:00:00",
        category: "quality",
        severity: "low",
        good_faith: true,
      },
    ],
    invoices: [
      {
        customer_id: "C001",
        issued_at: "2024-05-20",
        due_at: "2024-06-19",
        amount: 900,
        paid_at: "2024-06-10",
        paid_amount: 900,
      },
      {
        customer_id: "C002",
        issued_at: "2024-04-22",
        due_at: "2024-05-22",
        amount: 600,
        paid_at: null,
        paid_amount: null,
      },
      {
        customer_id: "C004",
        issued_at: "2023-12-01",
        due_at: "2023-12-31",
        amount: 1800,
        paid_at: null,
        paid_amount: 800,
      },
      {
        customer_id: "C006",
        issued_at: "2024-06-25",
        due_at: "2024-07-25",
        amount: 650,
        paid_at: null,
        paid_amount: null,
      },
    ],
  };
}

/** Synthetic marts with the contract columns, computed from the fixture's canonical tables. */
const MARTS: Record<string, string> = {
  customer_summary: `
    with days as (
      select customer_id, ordered_at::date as d, sum(amount) as amount, count(*) as n from transactions group by all
    ), per as (
      select customer_id, min(d) as first_purchase, max(d) as last_purchase, sum(n) as orders, sum(amount) as revenue,
             count(*) - 1 as frequency,
             (max(d) - min(d)) / 7.0 as recency, (date '${AS_OF}' - min(d)) / 7.0 as T,
             coalesce((sum(amount) - arg_min(amount, d)) / nullif(count(*) - 1, 0), 0) as monetary_value
      from days group by customer_id
    )
    select customer_id, first_purchase, last_purchase, orders::integer as orders, revenue::double as revenue,
           (revenue / orders)::double as avg_order_value, frequency::integer as frequency, recency::double as recency,
           T::double as T, monetary_value::double as monetary_value
    from per`,
  purchase_frequency: `
    select customer_id, orders, (orders / greatest(T, 1))::double as orders_per_period, 30.0 as median_gap_days,
           35.0 as mean_gap_days, (date '${AS_OF}' - last_purchase)::integer as days_since_last_purchase,
           (last_purchase + 35)::date as expected_next_purchase, (last_purchase + 35) < date '${AS_OF}' as is_overdue
    from customer_summary`,
  rfm_scores: `
    select customer_id, (date '${AS_OF}' - last_purchase)::integer as recency_days, orders, revenue,
           (6 - ntile(5) over (order by last_purchase desc))::integer as r_score,
           ntile(5) over (order by orders)::integer as f_score, ntile(5) over (order by revenue)::integer as m_score,
           case when orders >= 4 then 'champions' when orders >= 2 then 'loyal' else 'new' end as rfm_segment
    from customer_summary`,
  customer_grades: `
    select customer_id, case when revenue >= 4000 then 'A' when revenue >= 1000 then 'B' when revenue >= 500 then 'C' else 'D' end as grade,
           (revenue / 6000)::double as grade_score, 0.5::double as frequency_score, 0.5::double as credit_score,
           0.5::double as influence_score, 0.5::double as prospects_score, 0.5::double as loyalty_score
    from customer_summary`,
  customer_clv: `
    select customer_id, (case when customer_id = 'C004' then 0.1 else 0.8 end)::double as p_alive,
           (frequency + 1)::double as expected_purchases, avg_order_value as expected_avg_spend,
           ((frequency + 1) * avg_order_value * 0.9)::double as clv, 'bg_nbd+gamma_gamma' as model
    from customer_summary`,
  model_fit: `
    select 'bg_nbd' as model, '{"r":0.24,"alpha":4.4,"a":0.79,"b":2.4}' as params, -120.5::double as log_likelihood,
           260.1::double as bic, true as converged, 6 as n_customers, timestamp '2024-07-01 00:00:00' as fitted_at,
           date '${AS_OF}' as as_of`,
  value_matrix: `
    select customer_id, revenue as current_value, clv as growth_potential,
           case when revenue >= 1000 and clv >= 1000 then 'I' when revenue < 1000 and clv >= 1000 then 'II'
                when revenue < 1000 then 'III' else 'IV' end as quadrant,
           '保持' as strategy_zh, 'retain' as strategy_en
    from customer_summary join customer_clv using (customer_id)`,
  churn_risk: `
    select customer_id, p_alive, clv, (1 - p_alive)::double as p_lapse, (revenue * 365 / greatest(date '${AS_OF}' - first_purchase, 365))::double as value_if_retained,
           ((1 - p_alive) * clv)::double as expected_loss, ((1 - p_alive) * clv)::double as value_at_risk, revenue,
           (date '${AS_OF}' - last_purchase)::integer as days_silent,
           case when customer_id = 'C004' then ['long_silence', 'low_p_alive', 'open_complaint', 'overdue_invoice']
                when customer_id = 'C002' then ['overdue_invoice'] else []::varchar[] end as reasons,
           row_number() over (order by (1 - p_alive) * clv desc, customer_id)::integer as rank
    from customer_clv join customer_summary using (customer_id)`,
  sales_by_region: `
    select date_trunc('month', t.ordered_at)::date as period, coalesce(c.region, '未知') as region,
           count(distinct t.customer_id)::integer as customers, 0 as new_customers, count(*)::integer as orders,
           sum(t.amount)::double as revenue, 0.5::double as repeat_rate
    from transactions t left join customers c using (customer_id) group by all`,
};

export interface SiteFixture {
  dir: string;
  martsDir: string;
  databasePath: string;
  phones: string[];
  emails: string[];
}

/** Write the fixture database and marts under a new temp dir. */
export async function makeSiteFixture(): Promise<SiteFixture> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-site-fixture-"));
  const martsDir = join(dir, "marts");
  mkdirSync(martsDir);
  const databasePath = join(dir, "kehu.duckdb");
  const db = await openDatabase(databasePath);
  try {
    await db.exec(createAllTablesSql());
    await insertFixture(db, siteFixtureData());
    await db.exec(`insert into ingest_log values
      ('transactions', '/exports/orders_2024.csv', 'h1', 16, 0, timestamp '2024-07-01 08:00:00'),
      ('customers', '/exports/客户.csv', 'h2', 6, 0, timestamp '2024-07-01 08:00:01')`);
    for (const [name, sql] of Object.entries(MARTS)) {
      await db.exec(`create table ${name} as ${sql}`);
      await db.exec(`copy ${name} to '${join(martsDir, `${name}.parquet`)}' (format parquet)`);
    }
    for (const name of Object.keys(MARTS)) await db.exec(`drop table ${name}`);
    writeMartsManifest(martsDir, FIXTURE_RUN);
    await recordRun(db, FIXTURE_RUN, Object.keys(MARTS).length);
  } finally {
    await db.close();
  }
  return {
    dir,
    martsDir,
    databasePath,
    phones: SITE_CUSTOMERS.map((c) => c.phone),
    emails: SITE_CUSTOMERS.map((c) => c.email),
  };
}

/** Build the site of a marts dir + database into `<dir>/dist` (zh-CN unless `options` say otherwise). */
async function buildInto(
  source: { dir: string; martsDir: string; databasePath: string },
  options: Partial<BuildSiteOptions>,
): Promise<{ result: BuildSiteResult; outDir: string }> {
  const outDir = join(source.dir, "dist");
  const result = await buildSite({
    martsDir: source.martsDir,
    databasePath: source.databasePath,
    outDir,
    locale: "zh-CN",
    ...options,
  });
  return { result, outDir };
}

/** Build the fixture site into a temp dir (one build per test file: call it in beforeAll). */
export async function buildFixtureSite(
  options: Partial<BuildSiteOptions> = {},
): Promise<{ fixture: SiteFixture; result: BuildSiteResult; outDir: string }> {
  const fixture = await makeSiteFixture();
  const { result, outDir } = await buildInto(fixture, { topCustomers: 3, asOf: AS_OF, ...options });
  return { fixture, result, outDir };
}

// ---------------------------------------------------------------------------------------------------------------
// A site from the pipeline's own marts: a small demo dataset, ingested once and run TWICE with different as-of
// dates into the same database, so customer_snapshots holds two snapshots and customer_changes lists the changes
// between them (as on the second day of scheduled publishing). With a holdout, so the backtests have rows.

export const DEMO_AS_OFS = ["2026-05-31", "2026-06-30"] as const;
export const DEMO_HOLDOUT = "2026-01-01";

export interface DemoMarts {
  dir: string;
  martsDir: string;
  databasePath: string;
  asOf: string;
}

/** Generate `customers` demo customers into a temp dir, ingest them and run the pipeline once per `asOfs`. */
export async function makeDemoMarts(
  options: { customers?: number; asOfs?: readonly string[]; holdoutStart?: string | null } = {},
): Promise<DemoMarts> {
  const { generateDemo } = await import("../../src/data/demo.ts");
  const { loadConfig } = await import("../../src/data/config.ts");
  const { ingestSources } = await import("../../src/data/ingest.ts");
  const { buildMarts } = await import("../../src/pipelines/index.ts");
  const asOfs = options.asOfs ?? DEMO_AS_OFS;
  const dir = mkdtempSync(join(tmpdir(), "kehu-demo-site-"));
  await generateDemo({
    customers: options.customers ?? 300,
    seed: 42,
    years: 2,
    end: asOfs[asOfs.length - 1],
    outDir: dir,
  });
  const config = loadConfig(join(dir, "kehu.config.json"));
  const holdoutStart = options.holdoutStart === undefined ? DEMO_HOLDOUT : options.holdoutStart;
  const db = await openDatabase(config.database);
  try {
    await ingestSources(db, config);
    for (const asOf of asOfs) {
      await buildMarts(db, {
        ...config,
        analysis: { ...config.analysis, asOf, ...(holdoutStart ? { holdoutStart } : {}) },
      });
    }
  } finally {
    await db.close();
  }
  return { dir, martsDir: config.martsDir, databasePath: config.database, asOf: asOfs[asOfs.length - 1] };
}

/** makeDemoMarts, then build its site into `<dir>/dist`. */
export async function buildDemoSite(
  options: Partial<BuildSiteOptions> & { customers?: number } = {},
): Promise<{ demo: DemoMarts; result: BuildSiteResult; outDir: string }> {
  const { customers, ...build } = options;
  const demo = await makeDemoMarts({ customers });
  const { result, outDir } = await buildInto(demo, { topCustomers: 5, asOf: demo.asOf, ...build });
  return { demo, result, outDir };
}

// ---------------------------------------------------------------------------------------------------------------
// Data loaders without a site build.

const REPO = resolve(__dirname, "../..");

/** Copy the canonical tables of a kehu database to `<dir>/<table>.parquet` (what the build gives the loaders). */
export async function exportTables(databasePath: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const db = await openDatabase(databasePath, { readOnly: true });
  try {
    for (const t of ["transactions", "customers", "visits", "complaints", "invoices", "ingest_log"]) {
      await db.exec(`copy ${t} to '${join(dir, `${t}.parquet`)}' (format parquet)`);
    }
  } finally {
    await db.close();
  }
}

/**
 * Run data loaders (names like "churn.json.ts" under docs/data) in one child process (src/report/run-loaders.ts)
 * with `env`; returns each one's output by loader name without ".ts". The loaders are symlinked into a temp
 * root so their outputs land in that root's cache, not in docs/.
 */
export async function runLoaders(loaders: string[], env: Record<string, string>): Promise<Record<string, Buffer>> {
  const root = mkdtempSync(join(tmpdir(), "kehu-loaders-"));
  try {
    mkdirSync(join(root, "data"));
    for (const l of loaders) symlinkSync(join(REPO, "docs/data", l), join(root, "data", l));
    await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", join(REPO, "src/report/run-loaders.ts"), root, ...loaders.map((l) => `data/${l}`)],
      { cwd: REPO, env: { ...process.env, ...env }, maxBuffer: 16 << 20 },
    );
    const out = (l: string) => l.replace(/\.ts$/, "");
    return Object.fromEntries(
      loaders.map((l) => [out(l), readFileSync(join(root, ".observablehq/cache/data", out(l)))]),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
