/**
 * Every analysis setting that reaches SQL through setAnalysisVariables changes the marts it should when set to a
 * non-default value (so unwiring one fails a test). Runs the whole pipeline on the CRM fixture (10 accounts, as of
 * 2024-06-30) once per setting.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runFixture, type Fixture, type PipelineDb } from "../helpers/pipeline.ts";
import { crmConfig, crmFixture } from "../fixtures/crm/accounts.ts";

async function run(analysis: Record<string, unknown> = {}): Promise<PipelineDb> {
  return runFixture(crmFixture, { config: { analysis: { ...crmConfig.analysis, ...analysis } } });
}

async function withRun<T>(analysis: Record<string, unknown>, f: (p: PipelineDb) => Promise<T>): Promise<T> {
  const p = await run(analysis);
  try {
    return await f(p);
  } finally {
    await p.db.close();
  }
}

describe("analysis settings reach the marts", () => {
  it("quadrantThresholds: thresholds below every value put every customer in quadrant IV", async () => {
    const quadrants = (a: Record<string, unknown>) =>
      withRun(a, (p) => p.rows<{ q: string }>("select distinct quadrant as q from value_matrix order by 1"));
    expect((await quadrants({})).length).toBeGreaterThan(1);
    expect(await quadrants({ quadrantThresholds: { currentValue: -1, growthPotential: -1 } })).toEqual([{ q: "IV" }]);
  });

  it("gradeWeights: with all weight on frequency the grade score is the frequency score", async () => {
    const rows = await withRun(
      { gradeWeights: { frequency: 1, credit: 0, influence: 0, prospects: 0, loyalty: 0 } },
      (p) =>
        p.rows<{ grade_score: number; frequency_score: number }>(
          "select grade_score, frequency_score from customer_grades",
        ),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.grade_score).toBeCloseTo(r.frequency_score, 9);
  });

  it("gradeWeights: the grade score is the weighted mean of the scores present, with the configured weights", async () => {
    const w = { frequency: 0.5, credit: 0.25, influence: 0.125, prospects: 0.0625, loyalty: 0.0625 };
    type Scores = Record<
      "grade_score" | "frequency_score" | "credit_score" | "influence_score" | "prospects_score" | "loyalty_score",
      number | null
    >;
    const rows = await withRun({ gradeWeights: w }, (p) =>
      p.rows<Scores>(
        "select grade_score, frequency_score, credit_score, influence_score, prospects_score, loyalty_score from customer_grades",
      ),
    );
    expect(rows.length).toBeGreaterThan(0);
    let differs = false;
    for (const r of rows) {
      const present = (Object.keys(w) as (keyof typeof w)[]).filter((k) => r[`${k}_score`] != null);
      const total = present.reduce((s, k) => s + w[k], 0);
      const expected = present.reduce((s, k) => s + w[k] * r[`${k}_score`]!, 0) / total;
      expect(r.grade_score).toBeCloseTo(expected, 9);
      // the default weights (0.3, 0.2, 0.1, 0.2, 0.2) give another score for most customers
      const d = { frequency: 0.3, credit: 0.2, influence: 0.1, prospects: 0.2, loyalty: 0.2 };
      const byDefault =
        present.reduce((s, k) => s + d[k] * r[`${k}_score`]!, 0) / present.reduce((s, k) => s + d[k], 0);
      differs ||= Math.abs(byDefault - expected) > 1e-6;
    }
    expect(differs).toBe(true);
  });

  it("contactCadenceDays: the next contact is due the grade's cadence after the last one", async () => {
    const cadence = { A: 3, B: 4, C: 5, D: 6 };
    const rows = await withRun({ contactCadenceDays: cadence }, (p) =>
      p.rows<{ grade: keyof typeof cadence; cadence_days: number; gap: number | null }>(
        "select grade, cadence_days, (next_contact_due - last_contact)::integer as gap from contact_cadence",
      ),
    );
    for (const r of rows) {
      expect(r.cadence_days).toBe(cadence[r.grade]);
      if (r.gap != null) expect(r.gap).toBe(cadence[r.grade]);
    }
    expect(rows.some((r) => r.gap != null)).toBe(true);
  });

  it("churnListShare: the list holds that share of the active customers (pAliveThreshold: test/clv/churn.test.ts)", async () => {
    const list = (a: Record<string, unknown>) =>
      withRun(a, (p) => p.rows<{ customer_id: string }>("select customer_id from churn_risk"));
    const all = await list({ churnListShare: 1 });
    expect(all.length).toBeGreaterThan(1);
    const [{ active }] = await withRun({}, (p) =>
      p.rows<{ active: number }>(
        "select count(*) filter (where is_active)::integer as active from int_churn_scores where scope = 'current'",
      ),
    );
    const small = await list({ churnListShare: 0.1 });
    expect(small.length).toBe(Math.min(all.length, Math.ceil(0.1 * active)));
    expect(small.length).toBeLessThan(all.length);
  });

  it("followupPerRep: a rep's day holds that many customers", async () => {
    const rows = await withRun({ followupPerRep: 1 }, (p) =>
      p.rows<{ sales_rep: string; today: number; n: number }>(
        "select sales_rep, count(*) filter (where is_today)::integer as today, count(*)::integer as n from followup_queue group by 1",
      ),
    );
    expect(rows.some((r) => r.n > 1)).toBe(true);
    for (const r of rows) expect(r.today).toBe(1);
  });

  it("margin and discountRateAnnual scale and discount the CLV", async () => {
    const clv = (a: Record<string, unknown>) =>
      withRun(a, (p) =>
        p.rows<{ customer_id: string; clv: number }>("select customer_id, clv from customer_clv order by customer_id"),
      );
    const base = await clv({ margin: 1, discountRateAnnual: 0 });
    const half = await clv({ margin: 0.5, discountRateAnnual: 0 });
    const discounted = await clv({ margin: 1, discountRateAnnual: 0.5 });
    expect(base.some((r) => r.clv > 0)).toBe(true);
    base.forEach((r, i) => {
      expect(half[i].clv).toBeCloseTo(r.clv / 2, 9);
      if (r.clv > 0) expect(discounted[i].clv).toBeLessThan(r.clv);
    });
  });
});

describe("analysis settings reach the model fits (CDNOW sample transactions, 2,357 customers)", () => {
  // The CRM fixture has too few customers to fit a model, so these run model_fit (and model_validation) on CDNOW.
  const cdnow = (): Fixture => ({
    transactions: readFileSync(path.resolve(__dirname, "../../../shared/data/cdnow/CDNOW_sample.txt"), "utf8")
      .trim()
      .split(/\r?\n/)
      .map((line, i) => {
        const [, id, ymd, cds, dollars] = line.trim().split(/\s+/);
        return {
          order_id: `o${i + 1}`,
          customer_id: String(Number(id)),
          ordered_at: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`,
          amount: Number(dollars),
          quantity: Number(cds),
        };
      }),
  });
  const fits = async (analysis: Record<string, unknown>) => {
    const p = await runFixture(cdnow(), {
      config: { analysis: { asOf: "1998-06-30", period: "week", ...analysis } },
      only: ["model_fit"],
    });
    try {
      return await p.rows<{
        model: string;
        params: string;
        selected: boolean;
        selection_reason: string;
        penalizer: number;
        selection_margin: number | null;
      }>("select model, params, selected, selection_reason, penalizer, selection_margin from model_fit order by model");
    } finally {
      await p.db.close();
    }
  };

  it("penalizer: every fit shrinks and model_fit records the coefficient", async () => {
    const plain = await fits({});
    const penalized = await fits({ penalizer: 0.001 });
    expect(plain.every((f) => f.penalizer === 0)).toBe(true);
    expect(penalized.every((f) => f.penalizer === 0.001)).toBe(true);
    expect(plain.map((f) => f.model)).toEqual(["bgnbd", "gammagamma", "mbgnbd", "pnbd"]);
    // what the penalty weighs, sum((p / s)^2) with alpha and beta in units of the longest age (545 days = 77.86
    // weeks: 1997-01-01 to 1998-06-30), is smaller at the penalised optimum (it trades likelihood for it)
    const weighed = (f: { model: string; params: string }) =>
      Object.entries(JSON.parse(f.params) as Record<string, number>).reduce(
        (s, [k, v]) => s + (f.model !== "gammagamma" && (k === "alpha" || k === "beta") ? v / (545 / 7) : v) ** 2,
        0,
      );
    plain.forEach((f, i) => {
      expect(penalized[i].params, f.model).not.toEqual(f.params);
      expect(weighed(penalized[i]), f.model).toBeLessThan(weighed(f));
    });
  });

  it("modelChoice: a margin near 0 (and any bias allowed) lets the lowest holdout RMSE replace the lowest BIC", async () => {
    const holdout = { holdoutStart: "1997-10-01" };
    const byDefault = await fits(holdout);
    expect(
      byDefault.filter((f) => f.selected && f.model !== "gammagamma").map((f) => [f.model, f.selection_reason]),
    ).toEqual([["mbgnbd", "lowest_bic_within_margin"]]);
    const loose = await fits({ ...holdout, modelChoice: { margin: 0.001, biasTolerance: 1 } });
    expect(
      loose.filter((f) => f.selected && f.model !== "gammagamma").map((f) => [f.model, f.selection_reason]),
    ).toEqual([["pnbd", "holdout_better"]]);
    expect(loose.find((f) => f.model === "pnbd")!.selection_margin).toBe(0.001);
  });
});
