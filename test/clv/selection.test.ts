/**
 * The model-choice rule (src/pipelines/clv/selection.ts): hand-made metrics for each branch (including the issue's
 * scenario, where the lowest holdout RMSE belongs to a biased model with a worse BIC), and one data set simulated
 * from BG/NBD, validated on a holdout and fitted on all data as the pipeline does, where BG/NBD must be chosen.
 */
import { describe, expect, it } from "vitest";
import { chooseModel, selectModel, DEFAULT_MODEL_CHOICE, type Candidate } from "../../src/pipelines/clv/selection.ts";
import { fitPurchaseModels, validateModels } from "../../src/pipelines/clv/steps.ts";
import { simulatePurchaseDays, summarise } from "./simulate.ts";

const c = (
  name: string,
  bic: number,
  holdoutError?: number | null,
  holdoutBias?: number | null,
  converged = true,
): Candidate => ({ name, converged, bic, holdoutError, holdoutBias });

describe("chooseModel (hand-made metrics)", () => {
  it("the issue's scenario: Pareto/NBD 0.09% better on RMSE, 8.4% under-forecast, BIC worse by 1,917: BG/NBD stays", () => {
    const bgRmse = 1.0;
    const choice = chooseModel([
      c("bgnbd", 100_000, bgRmse, -0.0007),
      c("pnbd", 101_917, bgRmse * (1 - 0.0009), -0.084),
      c("mbgnbd", 100_050, 1.003, -0.01),
    ]);
    expect(choice.model).toBe("bgnbd");
    expect(choice.baseline).toBe("bgnbd");
    // the best RMSE gain (0.09%) is below the 2% margin
    expect(choice.reason).toBe("lowest_bic_within_margin");
    const pnbd = choice.verdicts.find((v) => v.name === "pnbd")!;
    expect(pnbd.reason).toBe("holdout_gain_below_margin");
    expect(pnbd.bicDelta).toBe(1917);
    expect(pnbd.holdoutGain).toBeCloseTo(0.0009, 12);
    expect(pnbd.biasChange).toBeCloseTo(0.084 - 0.0007, 12);
    expect(choice.verdicts.find((v) => v.name === "mbgnbd")!.reason).toBe("holdout_not_better");
    // the old rule (lowest RMSE, no margin) would have picked pnbd; even with no margin the bias keeps it out
    expect(
      selectModel([c("bgnbd", 100_000, 1, -0.0007), c("pnbd", 101_917, 0.9991, -0.084)], {
        margin: 0,
        biasTolerance: 0.02,
      }),
    ).toBe("bgnbd");
  });

  it("a model better on the holdout by the margin and not more biased replaces the lowest BIC", () => {
    const choice = chooseModel([
      c("bgnbd", 1000, 1.0, -0.05),
      c("pnbd", 1010, 0.97, -0.06),
      c("mbgnbd", 1020, 0.95, 0.02),
    ]);
    // pnbd: gain 3%, |bias| +1 point (<= 2): qualifies; mbgnbd: gain 5%, |bias| -3 points: qualifies, lower RMSE
    expect(choice.model).toBe("mbgnbd");
    expect(choice.reason).toBe("holdout_better");
    expect(choice.verdicts.map((v) => [v.name, v.selected, v.reason])).toEqual([
      ["bgnbd", false, "lowest_bic_replaced"],
      ["pnbd", false, "other_holdout_better"],
      ["mbgnbd", true, "holdout_better"],
    ]);
    expect(choice.verdicts[2].holdoutGain).toBeCloseTo(0.05, 12);
    expect(choice.verdicts[2].biasChange).toBeCloseTo(-0.03, 12);
  });

  it("the margin and the bias tolerance are boundaries: exactly at them qualifies, just past them does not", () => {
    // binary fractions so the gain and the bias change are exact: gain 1/8, bias change 1/16
    const rule = { margin: 0.125, biasTolerance: 0.0625 };
    expect(selectModel([c("a", 1, 1, 0), c("b", 2, 0.875, 0.0625)], rule)).toBe("b");
    expect(selectModel([c("a", 1, 1, 0), c("b", 2, 0.875 + 2 ** -20, 0.0625)], rule)).toBe("a");
    expect(selectModel([c("a", 1, 1, 0), c("b", 2, 0.875, -0.0625 - 2 ** -20)], rule)).toBe("a");
    expect(chooseModel([c("a", 1, 1, 0), c("b", 2, 0.5, 0.25)], rule).reason).toBe("lowest_bic_others_biased");
    expect(chooseModel([c("a", 1, 1, 0), c("b", 2, 0.5, 0.25)], rule).verdicts[1].reason).toBe("holdout_bias_worse");
  });

  it("without a holdout the lowest BIC; when the lowest BIC is also best on the holdout it says so", () => {
    const none = chooseModel([c("bgnbd", 30), c("pnbd", 20), c("mbgnbd", 25)]);
    expect(none).toMatchObject({ model: "pnbd", reason: "lowest_bic" });
    expect(none.verdicts.map((v) => v.reason)).toEqual(["higher_bic", "lowest_bic", "higher_bic"]);
    expect(none.verdicts.map((v) => v.bicDelta)).toEqual([10, 0, 5]);
    expect(none.verdicts[0].holdoutGain).toBeNull();
    expect(chooseModel([c("bgnbd", 10, 1, 0.01), c("pnbd", 20, 1.1, 0)])).toMatchObject({
      model: "bgnbd",
      reason: "lowest_bic_best_holdout",
    });
    // the lowest-BIC model without holdout figures (e.g. its calibration fit failed): BIC stands
    expect(chooseModel([c("bgnbd", 10, null, null), c("pnbd", 20, 0.1, 0)])).toMatchObject({
      model: "bgnbd",
      reason: "lowest_bic",
    });
    // a challenger without holdout figures cannot replace it
    expect(chooseModel([c("bgnbd", 10, 1, 0), c("pnbd", 20, null, null)]).verdicts[1].reason).toBe("no_holdout");
  });

  it("ignores models that did not converge; null when none did", () => {
    const choice = chooseModel([c("bgnbd", NaN, 0.1, 0, false), c("pnbd", 20, 1, 0)]);
    expect(choice.model).toBe("pnbd");
    expect(choice.verdicts[0]).toMatchObject({ reason: "not_converged", bicDelta: null });
    expect(chooseModel([c("bgnbd", NaN, null, null, false)])).toMatchObject({ model: null, reason: null });
    expect(DEFAULT_MODEL_CHOICE).toEqual({ margin: 0.02, biasTolerance: 0.02 });
  });
});

describe("chooseModel on data simulated from BG/NBD", () => {
  it("picks BG/NBD (lowest BIC), and a rival 1% better on the holdout RMSE does not flip it", () => {
    // 6,000 customers acquired over 12 weeks, 39 weeks of calibration and 39 of holdout; CDNOW-like parameters
    const truth = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
    const customers = simulatePurchaseDays(6000, truth, { seed: 5, weeks: 78 });
    const cutoff = 39 * 7;
    const calibration = customers.map((days, i) => ({
      customer_id: String(i),
      ...summarise(days, cutoff),
      first_day: days[0],
      holdout_purchases: days.filter((d) => d >= cutoff).length,
      monetary_value: 0,
      orders: 0,
      revenue: 0,
    }));
    const { rows, fits: calibrationFits } = validateModels(calibration, [], {
      periodDays: 7,
      holdoutDays: 78 * 7 - cutoff,
      startDate: "2024-01-01",
      totalDays: 78 * 7 - 1,
    });
    expect(calibrationFits.every((f) => f.converged)).toBe(true);
    const summary = new Map(rows.filter((r) => r.kind === "summary").map((r) => [r.model, r]));
    const full = fitPurchaseModels(customers.map((days) => summarise(days, 78 * 7)));
    const candidates = full.map((f) => ({
      name: f.model,
      converged: f.converged,
      bic: f.bic,
      holdoutError: summary.get(f.model)!.rmse,
      holdoutBias: summary.get(f.model)!.predicted / summary.get(f.model)!.actual - 1,
    }));
    const choice = chooseModel(candidates);
    expect(choice.model).toBe("bgnbd");
    expect(choice.baseline).toBe("bgnbd");
    expect(choice.reason).toMatch(/^lowest_bic/);
    // the true model forecasts the holdout total within 5%
    expect(Math.abs(candidates.find((x) => x.name === "bgnbd")!.holdoutBias)).toBeLessThan(0.05);
    // noise below the margin does not flip it: any other model's RMSE 1% lower than it is still leaves BG/NBD chosen
    const bgError = candidates.find((x) => x.name === "bgnbd")!.holdoutError!;
    for (const other of ["pnbd", "mbgnbd"]) {
      const nudged = candidates.map((x) =>
        x.name === other ? { ...x, holdoutError: bgError * 0.99, holdoutBias: 0 } : x,
      );
      expect(chooseModel(nudged)).toMatchObject({ model: "bgnbd", reason: "lowest_bic_within_margin" });
    }
  });
});

describe("chooseModel at the edges (hand-made metrics, exact binary fractions)", () => {
  const verdict = (choice: ReturnType<typeof chooseModel>, name: string) =>
    choice.verdicts.find((v) => v.name === name)!;

  it("a model that did not converge is out even with the lowest BIC, and so is a converged one with no finite BIC", () => {
    const choice = chooseModel([c("bgnbd", 100, 0.5, 0, false), c("pnbd", 200, 1, 0), c("mbgnbd", NaN, 0.25, 0)]);
    expect(choice.model).toBe("pnbd");
    expect(choice.reason).toBe("lowest_bic_best_holdout");
    expect(verdict(choice, "bgnbd")).toEqual({
      name: "bgnbd",
      selected: false,
      reason: "not_converged",
      bicDelta: null,
      holdoutGain: null,
      biasChange: null,
    });
    expect(verdict(choice, "mbgnbd").reason).toBe("not_converged");
  });

  it("equal BICs: the first listed is the default", () => {
    expect(chooseModel([c("a", 10), c("b", 10)]).baseline).toBe("a");
  });

  it("holdout figures count only when both the error and the bias are finite numbers", () => {
    // the default's bias missing: no holdout to weigh
    expect(chooseModel([c("a", 1, 1, null), c("b", 2, 0.5, 0)]).reason).toBe("lowest_bic");
    // a challenger's error not a number: no holdout figures for it, no gain, no bias change
    const choice = chooseModel([c("a", 1, 1, 0.25), c("b", 2, NaN, 0)]);
    expect(choice.reason).toBe("lowest_bic_best_holdout");
    expect(verdict(choice, "b")).toMatchObject({ reason: "no_holdout", holdoutGain: null, biasChange: null });
  });

  it("a default with a holdout error of 0 cannot be beaten (no relative gain): the lowest BIC stands", () => {
    expect(chooseModel([c("a", 1, 0, 0), c("b", 2, 0, 0)]).reason).toBe("lowest_bic");
  });

  it("with margin 0 an equal error qualifies, and a challenger without holdout figures still does not", () => {
    const rule = { margin: 0, biasTolerance: 0 };
    expect(chooseModel([c("a", 1, 1, 0.25), c("b", 2, 1, 0.25)], rule)).toMatchObject({
      model: "b",
      reason: "holdout_better",
    });
    expect(chooseModel([c("a", 1, 1, 0.25), c("b", 2, null, null)], rule)).toMatchObject({
      model: "a",
      reason: "lowest_bic_best_holdout",
    });
  });

  it("among qualified challengers the lowest error wins; on equal errors the first listed", () => {
    expect(selectModel([c("a", 1, 1, 0), c("b", 2, 0.5, 0), c("c", 3, 0.75, 0)])).toBe("b");
    expect(selectModel([c("a", 1, 1, 0), c("b", 2, 0.5, 0), c("c", 3, 0.5, 0)])).toBe("b");
  });

  it("an equal error is not better; a gain exactly at the margin with a worse bias is 'bias worse'", () => {
    const rule = { margin: 0.5, biasTolerance: 0.125 };
    // b: gain 0; c: gain 0.5 = margin, |bias| +0.25 > 0.125
    const choice = chooseModel([c("a", 1, 2, 0), c("b", 2, 2, 0), c("d", 3, 1, 0.25)], rule);
    expect(choice.reason).toBe("lowest_bic_others_biased");
    expect(verdict(choice, "b").reason).toBe("holdout_not_better");
    expect(verdict(choice, "d").reason).toBe("holdout_bias_worse");
    // the equal error alone: the default is best on the holdout
    expect(chooseModel([c("a", 1, 2, 0), c("b", 2, 2, 0)], rule).reason).toBe("lowest_bic_best_holdout");
  });

  it("'others biased' needs one challenger past the margin; a small gain or missing figures are 'within margin'", () => {
    const rule = { margin: 0.5, biasTolerance: 0.125 };
    // b: gain 0.25 < margin; d: gain 0.5 with a worse bias
    expect(chooseModel([c("a", 1, 2, 0), c("b", 2, 1.5, 0), c("d", 3, 1, 0.25)], rule).reason).toBe(
      "lowest_bic_others_biased",
    );
    // b: gain 0.25; d: no holdout figures
    expect(chooseModel([c("a", 1, 2, 0), c("b", 2, 1.5, 0), c("d", 3, null, null)], rule).reason).toBe(
      "lowest_bic_within_margin",
    );
  });
});
