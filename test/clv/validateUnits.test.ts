/**
 * validateModels on 400 simulated customers (fast enough for mutation testing): every row it writes, recomputed
 * here customer by customer from the definitions in its header, with each fitted model's own E[Y(t) | x, t_x, T]
 * and E[X(t)] (checked against published closed forms in references.test.ts and paretoGamma.test.ts) as the only
 * shared primitive: frequency buckets 0..7 (7 = 7 or more) with the mean actual and predicted holdout purchases,
 * cumulative repeat purchases by week since day 0 (the last week cut at totalDays), and the summary with the RMSE.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { purchaseModel, type PurchaseModelName } from "../../src/pipelines/clv/models.ts";
import { validateModels } from "../../src/pipelines/clv/steps.ts";
import { simulatePurchaseDays, summarise } from "./simulate.ts";

const cutoff = 13 * 7;
const totalDays = 26 * 7 - 3; // 179: the 26th week ends at day 179, not 181
const customers = simulatePurchaseDays(
  400,
  { r: 1.2, alpha: 3, a: 0.6, b: 3 },
  { seed: 3, weeks: 26, acquisitionWeeks: 6 },
);
const calibration = customers.map((days, i) => ({
  customer_id: String(i),
  ...summarise(days, cutoff),
  first_day: days[0],
  holdout_purchases: days.filter((d) => d >= cutoff && d <= totalDays).length,
}));
// repeat purchases of the calibration customers by day, with two outside the window that must not count
const repeatDays = [...customers.flatMap((days) => days.slice(1)), -1, totalDays + 1];
const holdoutDays = totalDays + 1 - cutoff;
const dayString = (d: number) => new Date(Date.UTC(2024, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);

describe("validateModels", () => {
  // fitted in beforeAll, not at collection: per-test coverage (Stryker) then credits the tests with the fit's lines
  let rows: ReturnType<typeof validateModels>["rows"];
  let fits: ReturnType<typeof validateModels>["fits"];
  beforeAll(() => {
    ({ rows, fits } = validateModels(calibration, repeatDays, {
      periodDays: 7,
      holdoutDays,
      startDate: "2024-01-01",
      totalDays,
    }));
  });

  it("fits the three purchase models on the calibration data", () => {
    expect(fits.map((f) => f.model).sort()).toEqual(["bgnbd", "mbgnbd", "pnbd"]);
    expect(fits.every((f) => f.converged && f.nCustomers === 400)).toBe(true);
    // the data have every bucket, 7+ included, and the repeat days include the out-of-window ones
    expect(new Set(calibration.map((c) => Math.min(7, c.frequency))).size).toBe(8);
    expect(calibration.some((c) => c.frequency > 7)).toBe(true);
  });

  for (const name of ["bgnbd", "pnbd", "mbgnbd"] as PurchaseModelName[]) {
    it(`${name}: buckets, weekly cumulative and summary, recomputed customer by customer`, () => {
      const fit = fits.find((f) => f.model === name)!;
      const model = purchaseModel(name, fit.params as never);
      const predicted = calibration.map((c) => model.conditionalExpected(holdoutDays / 7, c.frequency, c.recency, c.T));
      const mine = rows.filter((r) => r.model === name);

      const buckets = mine.filter((r) => r.kind === "frequency_bucket");
      expect(buckets.map((r) => r.bucket)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      for (const r of buckets) {
        const inBucket = calibration.map((c, i) => ({ c, i })).filter(({ c }) => Math.min(7, c.frequency) === r.bucket);
        expect(r.customers).toBe(inBucket.length);
        expect(r.actual).toBeCloseTo(inBucket.reduce((s, { c }) => s + c.holdout_purchases, 0) / inBucket.length, 12);
        expect(r.predicted).toBeCloseTo(inBucket.reduce((s, { i }) => s + predicted[i], 0) / inBucket.length, 10);
        expect(r).toMatchObject({ week: null, period_end: null, rmse: null });
      }

      const weekly = mine.filter((r) => r.kind === "weekly_cumulative");
      expect(weekly.map((r) => r.week)).toEqual(Array.from({ length: 26 }, (_, w) => w + 1));
      for (const r of weekly) {
        const end = Math.min(7 * r.week! - 1, totalDays);
        expect(r.period_end).toBe(dayString(end));
        expect(r.customers).toBe(400);
        expect(r.actual).toBe(repeatDays.filter((d) => d >= 0 && d <= end).length);
        const expected = calibration
          .filter((c) => c.first_day <= end)
          .reduce((s, c) => s + model.expected((end - c.first_day) / 7), 0);
        expect(r.predicted).toBeCloseTo(expected, 9);
        expect(r).toMatchObject({ bucket: null, rmse: null });
      }
      expect(weekly.at(-1)!.period_end).toBe("2024-06-28"); // day 179
      // the cut matters: simulated repeat purchases fall on days 180-181, past totalDays
      expect(weekly.at(-1)!.actual).toBeLessThan(repeatDays.length - 2);

      const summary = mine.filter((r) => r.kind === "summary");
      expect(summary).toHaveLength(1);
      const squared = calibration.reduce((s, c, i) => s + (predicted[i] - c.holdout_purchases) ** 2, 0);
      expect(summary[0]).toMatchObject({ bucket: null, week: null, period_end: "2024-06-28", customers: 400 });
      expect(summary[0].actual).toBe(calibration.reduce((s, c) => s + c.holdout_purchases, 0));
      expect(summary[0].predicted).toBeCloseTo(
        predicted.reduce((s, p) => s + p, 0),
        9,
      );
      expect(summary[0].rmse).toBeCloseTo(Math.sqrt(squared / 400), 12);
      expect(mine).toHaveLength(8 + 26 + 1);
    });
  }

  it("skips an empty frequency bucket and counts the weeks of a window ending on a week's first day", () => {
    // no customer with 5 repeat purchases: bucket 5 is empty (no row, not a NaN mean); 176 days (0..175) are 25
    // weeks and one day, so 26 weeks, the last one day long (a count from totalDays - 1 would give 25)
    const end = 175;
    const kept = customers.filter((days) => summarise(days, cutoff).frequency !== 5);
    const cal = kept.map((days, i) => ({
      customer_id: String(i),
      ...summarise(days, cutoff),
      first_day: days[0],
      holdout_purchases: days.filter((d) => d >= cutoff && d <= end).length,
    }));
    const repeat = kept.flatMap((days) => days.slice(1));
    expect(kept.length).toBeLessThan(customers.length);
    const result = validateModels(cal, repeat, {
      periodDays: 7,
      holdoutDays: end + 1 - cutoff,
      startDate: "2024-01-01",
      totalDays: end,
    });
    const fit = result.fits.find((f) => f.model === "bgnbd")!;
    expect(fit.converged).toBe(true);
    const model = purchaseModel("bgnbd", fit.params as never);
    const mine = result.rows.filter((r) => r.model === "bgnbd");
    const buckets = mine.filter((r) => r.kind === "frequency_bucket");
    expect(buckets.map((r) => r.bucket)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    for (const r of buckets) {
      const inBucket = cal.filter((c) => Math.min(7, c.frequency) === r.bucket);
      expect(r.customers).toBe(inBucket.length);
      expect(r.actual).toBeCloseTo(inBucket.reduce((s, c) => s + c.holdout_purchases, 0) / inBucket.length, 12);
    }
    const weekly = mine.filter((r) => r.kind === "weekly_cumulative");
    expect(weekly.map((r) => r.week)).toEqual(Array.from({ length: 26 }, (_, w) => w + 1));
    const last = weekly.at(-1)!;
    expect(last.period_end).toBe(dayString(end)); // 2024-06-24
    expect(last.actual).toBe(repeat.filter((d) => d <= end).length);
    expect(last.predicted).toBeCloseTo(
      cal.reduce((s, c) => s + model.expected((end - c.first_day) / 7), 0),
      9,
    );
    expect(weekly[24].period_end).toBe(dayString(174));
    expect(last.actual).toBeGreaterThan(weekly[24].actual);
  });

  it("writes no rows for a model that did not converge", () => {
    const few = validateModels(calibration.slice(0, 5), [], {
      periodDays: 7,
      holdoutDays,
      startDate: "2024-01-01",
      totalDays,
    });
    expect(few.fits.every((f) => !f.converged)).toBe(true);
    expect(few.rows).toEqual([]);
  });
});
