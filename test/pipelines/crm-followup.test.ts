/**
 * CRM marts that read other helpers' marts (customer_grades, purchase_frequency, customer_clv, churn_risk). Those
 * upstream marts are replaced by small hand-written tables here, so every expected number below follows from the
 * fixture in test/fixtures/crm/accounts.ts (as of 2024-06-30; 2024 is a leap year) plus these stubs.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { runFixture, type Fixture, type PipelineDb } from "../helpers/pipeline.ts";
import { loadSqlModels, orderSteps } from "../../src/pipelines/runner.ts";
import { pipelineSteps } from "../../src/pipelines/index.ts";
import { parseConfig } from "../../src/data/config.ts";
import { crmConfig, crmFixture } from "../fixtures/crm/accounts.ts";

const CRM_DIR = path.resolve(__dirname, "../../src/pipelines/crm");

const STUBS = {
  // grade per customer (C5..C8 have none -> 'D' cadence)
  customer_grades: `select * from (values ('C1', 'A'), ('C2', 'B'), ('C3', 'C'), ('C4', 'D'), ('C9', 'C'), ('C10', 'D')) t(customer_id, grade)`,
  purchase_frequency: `select * from (values ('C3', true), ('C1', false)) t(customer_id, is_overdue)`,
  // C10 has no CLV row: its value falls back to revenue (5)
  customer_clv: `select * from (values ('C1', 0.9, 500.0, 60.0), ('C2', 0.3, 100.0, 40.0), ('C3', 0.6, 200.0, 50.0), ('C4', 0.8, 50.0, 30.0),
      ('C9', 0.5, 20.0, 10.0)) t(customer_id, p_alive, clv, expected_avg_spend)`,
  churn_risk: `select * from (values ('C2', ['low_p_alive'], 70.0), ('C3', ['overdue_rhythm', 'open_complaint'], 90.0)) t(customer_id, reasons, expected_loss)`,
};

/** Run the CRM models on a fixture with the upstream marts replaced by `stubs`. */
async function runCrm(
  fixture: Fixture,
  config: Record<string, unknown>,
  stubs: Record<string, string> = STUBS,
): Promise<PipelineDb> {
  const p = await runFixture(fixture, { config, only: ["int_crm_accounts"] });
  for (const [name, sql] of Object.entries(stubs)) await p.db.exec(`create or replace table ${name} as ${sql}`);
  const steps = orderSteps(loadSqlModels(CRM_DIR));
  for (const step of steps) {
    await p.db.exec(`explain ${step.sql}`);
    await step.run(p.db);
  }
  return p;
}

let p: PipelineDb;
beforeAll(async () => {
  p = await runCrm(crmFixture, crmConfig);
});
afterAll(async () => {
  await p?.db.close();
});

async function expectGrain(db: PipelineDb, table: string, keys: string[]) {
  const cols = keys.join(", ");
  const nulls = await db.rows<{ n: number }>(
    `select count(*)::integer as n from ${table} where ${keys.map((k) => `${k} is null`).join(" or ")}`,
  );
  expect(nulls[0].n, `${table}: null in (${cols})`).toBe(0);
  const dups = await db.rows<{ n: number }>(
    `select count(*)::integer as n from (select ${cols} from ${table} group by all having count(*) > 1)`,
  );
  expect(dups[0].n, `${table}: duplicate (${cols})`).toBe(0);
}

const CRM_MARTS = [
  "contact_cadence",
  "followup_queue",
  "single_contact_customers",
  "rep_workload",
  "key_accounts",
  "problem_accounts",
];

describe("the CRM marts are .sql models", () => {
  it("run in the full pipeline after every model or TypeScript step their SQL reads", () => {
    const steps = pipelineSteps(parseConfig({ sources: { transactions: { files: "x.csv" } } }));
    const order = steps.map((s) => s.name);
    for (const name of CRM_MARTS) {
      const step = steps.find((s) => s.name === name)!;
      expect(step.file, name).toMatch(new RegExp(`crm/${name}\\.sql$`));
      for (const dep of step.dependsOn)
        expect(order.indexOf(dep), `${dep} before ${name}`).toBeLessThan(order.indexOf(name));
    }
    // the ones reading tables written by TypeScript steps (customer_clv) found that dependency from the SQL itself
    expect(steps.find((s) => s.name === "key_accounts")!.dependsOn).toEqual(
      expect.arrayContaining(["customer_clv", "churn_risk"]),
    );
  });
});

describe("grain (not null + unique)", () => {
  it.each([
    ["contact_cadence", ["customer_id"]],
    ["followup_queue", ["customer_id"]],
    ["followup_queue", ["sales_rep", "priority"]],
    ["single_contact_customers", ["customer_id"]],
    ["rep_workload", ["sales_rep"]],
    ["key_accounts", ["customer_id"]],
    ["problem_accounts", ["customer_id"]],
  ])("%s on %j", async (table, keys) => {
    await expectGrain(p, table, keys as string[]);
  });
});

describe("with the real upstream marts", () => {
  it("binds to customer_grades, purchase_frequency, customer_clv and churn_risk as the pipeline writes them", async () => {
    const q = await runFixture(crmFixture, { config: crmConfig, only: CRM_MARTS });
    for (const [table, keys] of [
      ["contact_cadence", ["customer_id"]],
      ["followup_queue", ["customer_id"]],
      ["single_contact_customers", ["customer_id"]],
      ["rep_workload", ["sales_rep"]],
      ["key_accounts", ["customer_id"]],
      ["problem_accounts", ["customer_id"]],
    ] as const) {
      await expectGrain(q, table, [...keys]);
    }
    // facts that do not depend on the fitted CLV: the same 10 accounts, and C1's reasons from the canonical tables
    expect((await q.rows<{ n: number }>("select count(*)::integer as n from contact_cadence"))[0].n).toBe(10);
    const c1 = await q.rows<{ reasons: string[] }>("select reasons from followup_queue where customer_id = 'C1'");
    expect(c1[0].reasons).toEqual(
      expect.arrayContaining(["contact_overdue", "open_complaint", "invoice_overdue", "birthday_soon"]),
    );
    await q.db.close();
  });
});

describe("contact_cadence", () => {
  it("dues each customer by the grade's cadence and ranks overdue ones by value", async () => {
    const rows = await p.rows("select * from contact_cadence");
    const by = Object.fromEntries(rows.map((r) => [r.customer_id, r]));
    // C1 (A, 14 days): last contact 06-10 -> due 06-24 -> 6 days overdue; 2 visits in the last 365 days x 7 / 365
    expect(by.C1).toMatchObject({
      grade: "A",
      cadence_days: 14,
      contacts: 2,
      last_contact: "2024-06-10",
      days_since_last_contact: 20,
      next_contact_due: "2024-06-24",
      days_overdue: 6,
      is_contact_overdue: true,
      value: 500,
      value_source: "clv",
      overdue_rank: 1,
    });
    expect(by.C1.contacts_per_period as number).toBeCloseTo((2 * 7) / 365, 10);
    // C2 (B, 30): 05-10 -> 06-09 -> 21 days overdue
    expect(by.C2).toMatchObject({ next_contact_due: "2024-06-09", days_overdue: 21, overdue_rank: 3 });
    // C3 (C, 60) never contacted: first purchase 03-01 + 60 = 04-30 -> 31 + 30 = 61 days overdue
    expect(by.C3).toMatchObject({
      contacts: 0,
      last_contact: null,
      next_contact_due: "2024-04-30",
      days_overdue: 61,
      overdue_rank: 2,
    });
    // C4 (D, 120): 05-05 + 120 = 09-02, not due
    expect(by.C4).toMatchObject({
      next_contact_due: "2024-09-02",
      is_contact_overdue: false,
      days_overdue: 0,
      overdue_rank: null,
    });
    // C5 has no grade -> D; contacted 05-01 -> 08-29; a prospect, value = revenue 0
    expect(by.C5).toMatchObject({
      grade: "D",
      cadence_days: 120,
      next_contact_due: "2024-08-29",
      is_contact_overdue: false,
      value: 0,
      value_source: "revenue",
    });
    // C6 neither bought nor was contacted: nothing is due
    expect(by.C6).toMatchObject({ next_contact_due: null, is_contact_overdue: false });
    // C9 (C): 01-05 + 60 = 03-05 -> 117 days; C10 (D): 03-01 + 120 = 06-29 -> 1 day, value = revenue 5
    expect(by.C9).toMatchObject({ next_contact_due: "2024-03-05", days_overdue: 117, overdue_rank: 4 });
    expect(by.C10).toMatchObject({
      next_contact_due: "2024-06-29",
      days_overdue: 1,
      value: 5,
      value_source: "revenue",
      overdue_rank: 5,
    });
  });

  it("flags nobody when there is no contact history at all", async () => {
    const q = await runCrm({ ...crmFixture, visits: [] }, crmConfig);
    const rows = await q.rows<{ n: number; has: boolean }>(
      "select count(*) filter (where is_contact_overdue)::integer as n, bool_and(not has_contact_data) as has from contact_cadence",
    );
    expect(rows[0]).toEqual({ n: 0, has: true });
    const reasons = await q.rows<{ r: string }>("select distinct unnest(reasons) as r from followup_queue order by r");
    expect(reasons.map((x) => x.r)).not.toContain("contact_overdue");
    await q.db.close();
  });
});

describe("followup_queue", () => {
  it("merges every reason per customer under its owner, ranked by the value of the call", async () => {
    const rows =
      await p.rows(`select sales_rep, customer_id, reasons, priority, value, call_value, next_action, is_today, last_contact
      from followup_queue order by sales_rep, priority`);
    // C1: contact overdue, K2 open, I10 overdue 30, birthday 07-05 within 14 days of 06-30.
    //     call value = complaint (value 500) + 30 overdue = 530 -> resolve the complaint.
    // C2: contact overdue, in churn_risk (loss 70), I4 + I5 overdue 200 + 100 -> 370 -> collect (300 > 70).
    // C3: contact overdue, replenishment due (0.6 x margin 1 x spend 50 = 30), churn risk (90), K4 open at as_of
    //     (resolved 07-10: value 200), I6 overdue 80 -> 400 -> resolve the complaint (200 is the largest).
    // C4: I8 overdue 60 -> collect. C9, C10: contact overdue only -> 0, routine contact, value 20 before 5.
    // C5..C8 have no reason.
    expect(rows).toEqual([
      {
        sales_rep: "Li",
        customer_id: "C2",
        reasons: ["contact_overdue", "churn_risk", "invoice_overdue"],
        priority: 1,
        value: 100,
        call_value: 370,
        next_action: "collect_invoice",
        is_today: true,
        last_contact: "2024-05-10",
      },
      {
        sales_rep: "Li",
        customer_id: "C4",
        reasons: ["invoice_overdue"],
        priority: 2,
        value: 50,
        call_value: 60,
        next_action: "collect_invoice",
        is_today: true,
        last_contact: "2024-05-05",
      },
      {
        sales_rep: "Wang",
        customer_id: "C1",
        reasons: ["contact_overdue", "open_complaint", "invoice_overdue", "birthday_soon"],
        priority: 1,
        value: 500,
        call_value: 530,
        next_action: "resolve_complaint",
        is_today: true,
        last_contact: "2024-06-10",
      },
      {
        sales_rep: "Zhao",
        customer_id: "C3",
        reasons: ["contact_overdue", "replenishment_due", "churn_risk", "open_complaint", "invoice_overdue"],
        priority: 1,
        value: 200,
        call_value: 400,
        next_action: "resolve_complaint",
        is_today: true,
        last_contact: null,
      },
      {
        sales_rep: "unassigned",
        customer_id: "C9",
        reasons: ["contact_overdue"],
        priority: 1,
        value: 20,
        call_value: 0,
        next_action: "routine_contact",
        is_today: true,
        last_contact: null,
      },
      {
        sales_rep: "unassigned",
        customer_id: "C10",
        reasons: ["contact_overdue"],
        priority: 2,
        value: 5,
        call_value: 0,
        next_action: "routine_contact",
        is_today: true,
        last_contact: null,
      },
    ]);
    const [c3] = await p.rows<Record<string, number | string>>("select * from followup_queue where customer_id = 'C3'");
    expect(c3).toMatchObject({
      churn_stake: 90,
      complaint_stake: 200,
      overdue_amount: 80,
      next_action_en: expect.stringMatching(/complaint/),
      next_action_zh: expect.stringMatching(/投诉/),
    });
    expect(c3.replenishment_stake as number).toBeCloseTo(30, 12);
  });

  it("values a replenishment call with the configured margin: C3 0.6 x margin 0.25 x spend 50 = 7.5", async () => {
    const q = await runCrm(crmFixture, { analysis: { ...crmConfig.analysis, margin: 0.25 } });
    try {
      const [c3] = await q.rows<{ replenishment_stake: number; call_value: number }>(
        "select replenishment_stake, call_value from followup_queue where customer_id = 'C3'",
      );
      expect(c3.replenishment_stake).toBeCloseTo(7.5, 12);
      expect(c3.call_value).toBeCloseTo(90 + 200 + 80 + 7.5, 12);
    } finally {
      await q.db.close();
    }
  });

  it("puts money before the number of reasons, and caps a rep's day at followupPerRep", async () => {
    // C4 now also on the churn list with an expected loss of 1,000: 1,060 with 2 reasons beats C2's 370 with 3.
    const q = await runCrm(
      crmFixture,
      { analysis: { ...crmConfig.analysis, followupPerRep: 1 } },
      {
        ...STUBS,
        churn_risk: `select * from (values ('C2', ['low_p_alive'], 70.0), ('C4', ['low_p_alive'], 1000.0)) t(customer_id, reasons, expected_loss)`,
      },
    );
    const li = await q.rows(
      "select customer_id, reason_count, call_value, priority, is_today, next_action from followup_queue where sales_rep = 'Li' order by priority",
    );
    expect(li).toEqual([
      {
        customer_id: "C4",
        reason_count: 2,
        call_value: 1060,
        priority: 1,
        is_today: true,
        next_action: "win_back_call",
      },
      {
        customer_id: "C2",
        reason_count: 3,
        call_value: 370,
        priority: 2,
        is_today: false,
        next_action: "collect_invoice",
      },
    ]);
    await q.db.close();
  });

  it("orders every rep's queue by the documented call value (property)", async () => {
    const ids = ["C1", "C2", "C3", "C4", "C9", "C10"];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            p: fc.double({ min: 0, max: 1, noNaN: true }),
            clv: fc.integer({ min: 0, max: 900 }),
            spend: fc.integer({ min: 0, max: 200 }),
            loss: fc.option(fc.integer({ min: 0, max: 2000 })),
            overdue: fc.boolean(),
          }),
          { minLength: ids.length, maxLength: ids.length },
        ),
        async (draws) => {
          const v = (sql: string[]) => sql.join(", ");
          const stubs = {
            ...STUBS,
            customer_clv: `select * from (values ${v(ids.map((id, i) => `('${id}', ${draws[i].p}, ${draws[i].clv}.0, ${draws[i].spend}.0)`))}) t(customer_id, p_alive, clv, expected_avg_spend)`,
            churn_risk: `select * from (values ('none', ['x'], 0.0) ${ids.map((id, i) => (draws[i].loss == null ? "" : `, ('${id}', ['low_p_alive'], ${draws[i].loss}.0)`)).join("")}) t(customer_id, reasons, expected_loss)`,
            purchase_frequency: `select * from (values ${v(ids.map((id, i) => `('${id}', ${draws[i].overdue})`))}) t(customer_id, is_overdue)`,
          };
          const q = await runCrm(crmFixture, crmConfig, stubs);
          const rows = await q.rows<{
            sales_rep: string;
            customer_id: string;
            call_value: number;
            value: number;
            priority: number;
            churn_stake: number;
            replenishment_stake: number;
            complaint_stake: number;
            overdue_amount: number;
          }>("select * from followup_queue order by sales_rep, priority");
          await q.db.close();
          for (const r of rows) {
            const d = draws[ids.indexOf(r.customer_id)];
            expect(r.churn_stake).toBe(d.loss ?? 0);
            expect(r.replenishment_stake).toBeCloseTo(d.overdue ? d.p * d.spend : 0, 9);
            expect(r.call_value).toBeCloseTo(
              r.churn_stake + r.replenishment_stake + r.complaint_stake + r.overdue_amount,
              9,
            );
          }
          for (let i = 1; i < rows.length; i++) {
            const [a, b] = [rows[i - 1], rows[i]];
            if (a.sales_rep !== b.sales_rep) continue;
            expect(b.priority).toBe(a.priority + 1);
            expect(a.call_value > b.call_value || (a.call_value === b.call_value && a.value >= b.value)).toBe(true);
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);

  it("finds birthdays in the next 14 days across the year end and on 29 February", async () => {
    const customers = [
      { customer_id: "leap", birthday: "2000-02-29" },
      { customer_id: "day14", birthday: "1990-03-06" },
      { customer_id: "day15", birthday: "1990-03-07" },
      { customer_id: "past", birthday: "1990-02-19" },
    ];
    const soon = async (asOf: string, people: Fixture["customers"]) => {
      const q = await runCrm({ customers: people }, { analysis: { asOf } });
      const rows = await q.rows<{ customer_id: string; next_birthday: string }>(
        "select customer_id, next_birthday from followup_queue where list_contains(reasons, 'birthday_soon') order by customer_id",
      );
      await q.db.close();
      return rows;
    };
    // 2025 is not a leap year: 29 Feb is kept on 28 Feb; 02-20 + 14 = 03-06 is the last day in; 02-19 was yesterday
    expect(await soon("2025-02-20", customers)).toEqual([
      { customer_id: "day14", next_birthday: "2025-03-06" },
      { customer_id: "leap", next_birthday: "2025-02-28" },
    ]);
    // 2024 is: 29 Feb itself; and 02-20 + 14 = 03-05 now, so 03-06 is out
    expect(await soon("2024-02-20", customers)).toEqual([{ customer_id: "leap", next_birthday: "2024-02-29" }]);
    // year end: 01-03 is 9 days after 12-25; today counts; 12-24 was yesterday (next one is a year away)
    expect(
      await soon("2024-12-25", [
        { customer_id: "jan", birthday: "1985-01-03" },
        { customer_id: "today", birthday: "1985-12-25" },
        { customer_id: "yesterday", birthday: "1985-12-24" },
      ]),
    ).toEqual([
      { customer_id: "jan", next_birthday: "2025-01-03" },
      { customer_id: "today", next_birthday: "2024-12-25" },
    ]);
  });
});

describe("single_contact_customers", () => {
  it("lists customers only one rep has dealt with", async () => {
    const rows = await p.rows(
      "select customer_id, sales_rep, visits, value, value_rank from single_contact_customers order by value_rank",
    );
    // C1: Wang on both visits and all orders. C2: only Li's orders (V2 names no rep). C3: Zhao. C5: one Wang visit.
    // C4 dealt with Wang and Li; C9, C10 never with a named rep.
    expect(rows).toEqual([
      { customer_id: "C1", sales_rep: "Wang", visits: 2, value: 500, value_rank: 1 },
      { customer_id: "C3", sales_rep: "Zhao", visits: 0, value: 200, value_rank: 2 },
      { customer_id: "C2", sales_rep: "Li", visits: 0, value: 100, value_rank: 3 },
      { customer_id: "C5", sales_rep: "Wang", visits: 1, value: 0, value_rank: 4 },
    ]);
  });
});

describe("rep_workload", () => {
  it("sums customers, follow-ups and revenue per owning rep", async () => {
    const rows = await p.rows("select * from rep_workload");
    // Wang owns C1, C5: revenue 370 + 0; last 90 days (after 04-01): 200 + 50; visits after 04-01 by Wang: V1, V4, V5.
    // Li owns C2, C4, C6: 250 + 100; last 90 days: -50 (C2 refund) + 60 (C4); V2 (owner Li), V3.
    // Zhao owns C3: 110, last 90 days 30. unassigned: C7, C8, C9, C10: 37 + 5, last 90 days 12.
    // active = bought after 2023-07-01: Wang C1; Li C2, C4; Zhao C3; unassigned C9, C10.
    expect(rows).toEqual([
      {
        sales_rep: "Wang",
        customers: 2,
        active_customers: 1,
        revenue: 370,
        revenue_last_90d: 250,
        followups: 1,
        overdue_contacts: 1,
        visits_last_90d: 3,
        single_contact_customers: 2,
      },
      {
        sales_rep: "Li",
        customers: 3,
        active_customers: 2,
        revenue: 350,
        revenue_last_90d: 10,
        followups: 2,
        overdue_contacts: 1,
        visits_last_90d: 2,
        single_contact_customers: 1,
      },
      {
        sales_rep: "Zhao",
        customers: 1,
        active_customers: 1,
        revenue: 110,
        revenue_last_90d: 30,
        followups: 1,
        overdue_contacts: 1,
        visits_last_90d: 0,
        single_contact_customers: 1,
      },
      {
        sales_rep: "unassigned",
        customers: 4,
        active_customers: 2,
        revenue: 42,
        revenue_last_90d: 12,
        followups: 2,
        overdue_contacts: 2,
        visits_last_90d: 0,
        single_contact_customers: 0,
      },
    ]);
  });
});

describe("key_accounts", () => {
  it("keeps the top 20% by value with trend and risk", async () => {
    const rows = await p.rows("select * from key_accounts order by value_rank");
    // 6 customers bought -> ceil(0.2 x 6) = 2 key accounts: C1 (clv 500), C3 (200).
    expect(rows.map((r) => r.customer_id)).toEqual(["C1", "C3"]);
    // C1: last 90 days 200 + 50 = 250 vs (01-02, 04-01]: 100 + 20 = 120 -> +130 / 120, up
    expect(rows[0]).toMatchObject({
      value_rank: 1,
      grade: "A",
      value: 500,
      revenue: 370,
      revenue_last_90d: 250,
      revenue_prev_90d: 120,
      trend: "up",
      p_alive: 0.9,
      churn_reasons: [],
      at_risk: false,
      open_complaints: 1,
      overdue_amount: 30,
    });
    expect(rows[0].trend_pct as number).toBeCloseTo(130 / 120, 10);
    // C3: 30 vs 80 -> -0.625, down; churn reasons from the stub
    expect(rows[1]).toMatchObject({
      value_rank: 2,
      trend: "down",
      trend_pct: -0.625,
      churn_reasons: ["overdue_rhythm", "open_complaint"],
      at_risk: true,
      open_complaints: 1,
      overdue_amount: 80,
    });
  });
});

describe("problem_accounts", () => {
  it("lists overdue payers, repeat complainers and falling buyers, ranked by the value at stake", async () => {
    const rows = await p.rows(
      "select customer_id, problems, overdue_amount, complaints, value_at_stake, priority, action_en, action_zh from problem_accounts order by priority",
    );
    // value at stake = overdue + (repeated complaints: value) + (falling: revenue of the 90 days before - last 90):
    // C2: 300 overdue, K3 + K6 (value 100), -50 after 04-01 vs 300 before (< 150): 300 + 100 + 350 = 750.
    // C1: 30 overdue, K1 + K2 (value 500): 530. C3: 80 overdue, 30 vs 80 falling: 80 + 50 = 130.
    // C4: 60 overdue (K5 is after as_of): 60. C9: 12 vs 25 (< 12.5): 13; C10: 0 vs 5: 5.
    expect(
      rows.map((r) => [r.customer_id, r.problems, r.overdue_amount, r.complaints, r.value_at_stake, r.priority]),
    ).toEqual([
      ["C2", ["overdue_invoice", "repeated_complaints", "falling_purchases"], 300, 2, 750, 1],
      ["C1", ["overdue_invoice", "repeated_complaints"], 30, 2, 530, 2],
      ["C3", ["overdue_invoice", "falling_purchases"], 80, 1, 130, 3],
      ["C4", ["overdue_invoice"], 60, 0, 60, 4],
      ["C9", ["falling_purchases"], 0, 0, 13, 5],
      ["C10", ["falling_purchases"], 0, 0, 5, 6],
    ]);
    expect(rows[3].action_en).toBe("Collect the overdue invoices; hold credit sales until settled");
    expect(rows[1].action_zh).toBe("催收逾期账款，结清前暂停赊销；主管回访，查明投诉根因并跟进整改");
  });
});
