/**
 * The CRM pages' data loaders (docs/data/{followup,visits,credit,complaints,accounts}.json.ts), run the way the
 * site build runs them (tsx, KEHU_* environment): on marts computed from the CRM fixture, with PII masked, and on
 * an empty marts dir, where every loader must still emit JSON saying what is missing (a throwing loader fails the
 * whole site build).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFixture } from "../helpers/pipeline.ts";
import { isMart } from "../../src/pipelines/index.ts";
import { DEFAULT_PII_SALT, pseudonymId } from "../../src/report/marts.ts";

/** A fixture customer id as a masked build shows it. */
const masked = (id: string) => pseudonymId(id, DEFAULT_PII_SALT);
import { SOURCE_NAMES } from "../../src/data/schemas.ts";
import { crmConfig, crmFixture } from "../fixtures/crm/accounts.ts";

const REPO = path.resolve(__dirname, "../..");
const PAGES = ["followup", "visits", "credit", "complaints", "accounts"] as const;
const CRM_MARTS = [
  "followup_queue",
  "contact_cadence",
  "rep_workload",
  "single_contact_customers",
  "visit_effect",
  "receivables_aging",
  "receivables_summary",
  "credit_grade",
  "complaint_stats",
  "complaint_retention",
  "key_accounts",
  "problem_accounts",
];
const run = promisify(execFile);

type Json = Record<string, any>;
/** Every CRM loader in one tsx process (test/fixtures/crm/run-loaders.ts), as the build would run them. */
async function loadAll(env: Record<string, string>): Promise<Record<string, Json>> {
  const { stdout } = await run(
    path.join(REPO, "node_modules/.bin/tsx"),
    [path.join(REPO, "test/fixtures/crm/run-loaders.ts"), ...PAGES],
    {
      cwd: REPO,
      env: { ...process.env, KEHU_LOCALE: "en", ...env },
    },
  );
  return JSON.parse(stdout);
}

let dir: string;
let full: Record<string, Json>;
let empty: Record<string, Json>;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kehu-crm-loaders-"));
  const martsDir = path.join(dir, "marts");
  const tablesDir = path.join(dir, "tables");
  const emptyDir = path.join(dir, "empty");
  for (const d of [martsDir, tablesDir, emptyDir]) mkdirSync(d);
  const p = await runFixture(crmFixture, { config: crmConfig, only: CRM_MARTS });
  const tables = (await p.rows<{ name: string }>("select table_name as name from information_schema.tables")).map(
    (r) => r.name,
  );
  for (const name of tables.filter(
    (n) =>
      isMart(n) && !(SOURCE_NAMES as readonly string[]).includes(n) && !["ingest_log", "rejected_rows"].includes(n),
  )) {
    await p.db.exec(`copy (select * from ${name}) to '${path.join(martsDir, `${name}.parquet`)}' (format parquet)`);
  }
  for (const name of SOURCE_NAMES)
    await p.db.exec(`copy (select * from ${name}) to '${path.join(tablesDir, `${name}.parquet`)}' (format parquet)`);
  await p.db.close();
  [full, empty] = await Promise.all([
    loadAll({ KEHU_MARTS_DIR: martsDir, KEHU_TABLES_DIR: tablesDir, KEHU_MASK_PII: "1", KEHU_AS_OF: "2024-06-30" }),
    loadAll({ KEHU_MARTS_DIR: emptyDir, KEHU_AS_OF: "2024-06-30" }),
  ]);
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("CRM loaders on computed marts", () => {
  it("follow-up: the queue per rep with masked names, reason counts and workload", () => {
    const f = full.followup;
    expect(f.has).toEqual({ followup_queue: true, rep_workload: true, contact_cadence: true });
    expect(f.visits).toBe(5);
    // only C1 has a birthday in the fixture's customers file
    expect(f.inputs).toEqual({ visits: 5, invoices: 14, complaints: 6, birthdays: 1 });
    // the same customers as crm-followup.test.ts would list are not asserted here (CLV is the fitted one); the
    // shape and masking are: every row has a rep, a priority and reasons; names are pseudonyms
    expect(f.queue.length).toBeGreaterThan(0);
    for (const row of f.queue) {
      expect(row.sales_rep).toBeTruthy();
      expect(Array.isArray(row.reasons) && row.reasons.length > 0).toBe(true);
    }
    const c1 = f.queue.find((r: Json) => r.customer_id === masked("C1"));
    expect(c1.name).toMatch(/^customer-[0-9a-f]{6}$/);
    expect(c1.reasons).toEqual(expect.arrayContaining(["open_complaint", "invoice_overdue", "birthday_soon"]));
    expect(f.cadence).toEqual({ has_contact_data: true, a: 14, b: 30, c: 60, d: 120 });
    expect(f.byRep.reduce((n: number, r: Json) => n + r.customers, 0)).toBe(f.queue.length);
    expect(f.workload.map((r: Json) => r.sales_rep).sort()).toEqual(["Li", "Wang", "Zhao", "unassigned"]);
  });

  it("credit: buckets, DSO and aging per customer", () => {
    const c = full.credit;
    expect(c.invoices).toBe(14);
    // as in crm.test.ts: 1440 open, DSO 72 days
    expect(c.summary.map((r: Json) => r.bucket)).toEqual(["current", "1-30", "31-60", "61-90", "90+"]);
    expect(c.summary[0].dso_days).toBeCloseTo(72, 10);
    expect(c.aging[0]).toMatchObject({ customer_id: masked("C2"), overdue_amount: 300 });
    expect(c.aging[0].name).toMatch(/^customer-/);
    expect(c.rerating.map((r: Json) => r.customer_id)).toEqual([masked("C2")]);
    expect(c.lastReview).toBe("2024-06-01");
  });

  it("visits, complaints and accounts carry their marts", () => {
    expect(full.visits.effect.find((r: Json) => r.sales_rep === "(all)" && r.kind === "(all)")).toMatchObject({
      visits: 3,
      visits_converted: 2,
    });
    expect(full.visits.byMonth).toEqual([
      { month: "2024-04-01", kind: "call", visits: 1 },
      { month: "2024-05-01", kind: "visit", visits: 3 },
      { month: "2024-06-01", kind: "call", visits: 1 },
    ]);
    expect(full.complaints.complaints).toBe(6);
    expect(full.complaints.retention.map((r: Json) => r.cohort)).toEqual([
      "resolved_fast",
      "resolved_slow",
      "unresolved",
      "no_complaint",
    ]);
    expect(full.accounts.key.length).toBe(2);
    expect(full.accounts.problems.length).toBe(full.accounts.problemTotal);
    expect(full.accounts.byProblem.map((r: Json) => r.problem).sort()).toEqual([
      "falling_purchases",
      "overdue_invoice",
      "repeated_complaints",
    ]);
  });
});

describe("CRM loaders without marts or tables", () => {
  it.each(PAGES)("%s emits empty data and says what is missing", (page) => {
    const data = empty[page];
    expect(Object.values(data.has).every((v) => v === false)).toBe(true);
    for (const [key, value] of Object.entries(data)) if (Array.isArray(value)) expect(value, key).toEqual([]);
  });
});
