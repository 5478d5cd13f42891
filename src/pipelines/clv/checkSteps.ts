/**
 * Pipeline steps for models an analyst can defend (issue 13), all reading customer_summary and model_fit:
 *
 * - purchase_count_forecast: for the selected purchase model, the expected number of customers making n = 0..9 and
 *   10+ purchases over the horizon, for a cohort of new customers as large as the customer base (P(X(t) = n) is the
 *   unconditional distribution: it describes a customer just acquired, not one with a history).
 * - model_uncertainty: standard errors and 95% intervals of every converged model's parameters (uncertainty.ts), and
 *   covariance_log: the parameter's row of the covariance of the log-parameters (the inverse observed information),
 *   a JSON object keyed by parameter name (exact doubles; NULL when the information is not positive definite), which
 *   customer_clv_interval draws from instead of computing the Hessian again.
 * - customer_clv_interval: per customer, 90% intervals of CLV and expected purchases from parameter uncertainty
 *   (a seeded parametric bootstrap over the selected purchase model and Gamma-Gamma); NULL without a usable model.
 * - model_checks: the period-transactions check of every converged purchase model (checks.ts).
 * - model_surfaces: P(alive) and next-period expected purchases on a frequency x recency grid, selected model.
 * purchase_count_forecast and model_surfaces carry `period` (analysis.period: day, week, month), the unit of
 * horizon_periods, recency, T and "next period", so the site can name it.
 */
import type { Db } from "../../data/db.ts";
import type { KehuConfig } from "../../data/config.ts";
import type { Step } from "../runner.ts";
import { spendRows, weightedRows, type PurchaseModelName } from "./models.ts";
import { PERIOD_DAYS, replaceTable, selectedModels, summaryRelation, type PredictOptions } from "./steps.ts";
import { probabilityOfPurchases, purchaseCountDistribution, purchaseModelWithProbabilities } from "./probabilities.ts";
import {
  drawParameters,
  PARAM_NAMES,
  parameterUncertainty,
  type ParameterUncertainty,
  type UncertainModel,
} from "./uncertainty.ts";
import type { ClvIntervalColumns } from "./clvInterval.ts";
import { clvIntervalColumnsThreaded } from "./clvIntervalThreads.ts";
import { threadCount } from "./threads.ts";
import { modelSurface, periodTransactionsCheckOfCounts, TOP_CLASS } from "./checks.ts";

const THIS_FILE = new URL(import.meta.url).pathname;

/** Bootstrap draws for the CLV intervals, the interval level, and the seed (same data, same intervals). */
export const CLV_INTERVAL_DRAWS = 200;
export const CLV_INTERVAL_LEVEL = 0.9;
const SEED = 13;

interface FitRow {
  model: string;
  params: string;
  selected: boolean;
}

async function convergedFits(db: Db): Promise<FitRow[]> {
  return db.all<FitRow>("select model, params, selected from model_fit where converged order by model");
}

const isPurchase = (f: FitRow) => f.model !== "gammagamma";

/**
 * The model's parameter uncertainty on the data model_fit fitted it to (all customers; spend: repeaters with spend >
 * 0), merged in SQL into the rows compressRows / compressSpendRows would make of readSummary's customers, in the
 * same order (each row where its first customer_id is), so the Hessian sums the same terms in the same order.
 */
async function uncertaintyOf(db: Db, fit: FitRow): Promise<ParameterUncertainty> {
  const params = JSON.parse(fit.params);
  const summary = summaryRelation("customer_summary");
  if (fit.model === "gammagamma") {
    const c = await db.numericColumns(`
      select frequency as x, monetary_value as m, count(*)::double as w from ${summary}
      where frequency > 0 and monetary_value > 0 and isfinite(monetary_value)
      group by frequency, monetary_value order by min(customer_id)`);
    return parameterUncertainty("gammagamma", params, spendRows(c.x, c.m, c.w));
  }
  const c = await db.numericColumns(`
    select frequency as x, recency as tx, "T", count(*)::double as w from ${summary}
    group by frequency, recency, "T" order by min(customer_id)`);
  return parameterUncertainty(fit.model as UncertainModel, params, weightedRows(c.x, c.tx, c.T, c.w));
}

/** Scratch table of customer_clv_interval (dropped before the step returns; inside the run's transaction). */
const INTERVAL_ROWS = "kehu_clv_interval_rows";
const INTERVAL_SQL = "customer_id varchar, clv_low double, clv_high double, expected_low double, expected_high double";

/**
 * Per customer in customer_id order (i = 0, 1, ...): the summary columns and the numbers of the customer's history
 * (distinct frequency, recency, T) and pair (distinct frequency, T), so no per-customer key is built in TS.
 */
function intervalInputsSql(summary: string): string {
  return `
    with summary as (select * from ${summary}),
    histories as (
        select
            frequency, recency, "T",
            (row_number() over ())::double - 1 as history,
            (dense_rank() over (order by frequency, "T"))::double - 1 as pair
        from (select distinct frequency, recency, "T" from summary)
    ),
    final as (
        select
            (row_number() over (order by summary.customer_id))::double - 1 as i,
            summary.frequency, summary.recency, summary."T", summary.monetary_value, summary.orders, summary.revenue,
            histories.history, histories.pair
        from summary join histories using (frequency, recency, "T")
    )
    select * from final order by i`;
}

/** customer_clv_interval from the interval columns (customer i of intervalInputsSql at index i), or all NULL without them. */
async function writeIntervals(db: Db, summary: string, out: ClvIntervalColumns | null): Promise<void> {
  await db.exec(`create or replace table customer_clv_interval (${INTERVAL_SQL})`);
  if (!out) {
    await db.exec(
      `insert into customer_clv_interval select customer_id, null, null, null, null from ${summary} order by customer_id`,
    );
    return;
  }
  const columns = ["i", "clv_low", "clv_high", "expected_low", "expected_high"];
  await db.exec(`create or replace table ${INTERVAL_ROWS} (${columns.map((c) => `${c} double`).join(", ")})`);
  await db.insertColumns(INTERVAL_ROWS, columns, [
    Float64Array.from(out.clvLow, (_, i) => i),
    out.clvLow,
    out.clvHigh,
    out.expectedLow,
    out.expectedHigh,
  ]);
  await db.exec(`insert into customer_clv_interval
    with summary as (select customer_id, (row_number() over (order by customer_id))::double - 1 as i from ${summary}),
    intervals as (select * from ${INTERVAL_ROWS}),
    final as (
        select summary.customer_id, intervals.clv_low, intervals.clv_high, intervals.expected_low, intervals.expected_high
        from summary join intervals using (i)
    )
    select * from final order by customer_id`);
  await db.exec(`drop table ${INTERVAL_ROWS}`);
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * What periodTransactionsCheck counts of readSummary's customers, counted in SQL: customers by repeat count (the top
 * class: or more) and by age T, the ages in the order of their first customer_id (readSummary's order, so the
 * expected counts are summed in the same order).
 */
async function repeatCounts(db: Db): Promise<{ actual: number[]; byAge: Array<[number, number]> }> {
  const summary = summaryRelation("customer_summary");
  const classes = await db.all<{ k: number; n: number }>(
    `select least(frequency, ${TOP_CLASS})::integer as k, count(*)::double as n from ${summary} group by k`,
  );
  const actual = new Array<number>(TOP_CLASS + 1).fill(0);
  for (const c of classes) actual[c.k] = c.n;
  const ages = await db.numericColumns(
    `select "T", count(*)::double as n from ${summary} group by "T" order by min(customer_id)`,
  );
  return { actual, byAge: Array.from(ages.T, (T, i): [number, number] => [T, ages.n[i]]) };
}

function step(name: string, run: (db: Db) => Promise<void>, after: string[] = []): Step {
  return { name, dependsOn: ["customer_summary", "model_fit", ...after], file: THIS_FILE, run };
}

/** model_uncertainty's columns: one row per model and parameter (see the header). */
const UNCERTAINTY_SQL =
  "model varchar, param varchar, estimate double, se double, ci_low double, ci_high double, covariance_log varchar";

/**
 * The draws' inputs of `fit` as model_uncertainty stored them: the estimate (model_fit's params) and the covariance of
 * the log-parameters, in the order of PARAM_NAMES; covarianceLog null when model_uncertainty has none (not positive
 * definite). The same doubles parameterUncertainty gave (JSON numbers round-trip exactly).
 */
async function storedUncertainty(
  db: Db,
  fit: FitRow,
): Promise<Pick<ParameterUncertainty, "names" | "estimate" | "covarianceLog">> {
  const names = [...PARAM_NAMES[fit.model as UncertainModel]];
  const rows = await db.all<{ param: string; covariance_log: string | null }>(
    "select param, covariance_log from model_uncertainty where model = $model",
    { model: fit.model },
  );
  const byParam = new Map(rows.map((r) => [r.param, r.covariance_log ? JSON.parse(r.covariance_log) : null]));
  const covariance = names.map((k) => byParam.get(k) as Record<string, number> | null | undefined);
  const complete = covariance.every((row) => row && names.every((j) => typeof row[j] === "number"));
  return {
    names,
    estimate: JSON.parse(fit.params),
    covarianceLog: complete ? covariance.map((row) => names.map((j) => row![j])) : null,
  };
}

export function modelCheckSteps(config: KehuConfig): Step[] {
  /** How many customers readSummary would return, and their largest frequency and T (no row leaves DuckDB). */
  const summaryExtent = async (db: Db) => {
    const [r] = await db.all<{ customers: number; maxFrequency: number | null; maxT: number | null }>(`
      select count(*)::integer as customers, max(frequency)::double as "maxFrequency", max(T)::double as "maxT"
      from customer_summary where frequency is not null and recency is not null and T is not null`);
    return { customers: r.customers, maxFrequency: r.maxFrequency ?? NaN, maxT: r.maxT ?? NaN };
  };
  const analysis = config.analysis;
  const periodDays = PERIOD_DAYS[analysis.period];
  const horizon = (analysis.horizonMonths * 365.25) / 12 / periodDays;
  const predictOptions: PredictOptions = {
    margin: analysis.margin,
    discountRateAnnual: analysis.discountRateAnnual,
    horizonMonths: analysis.horizonMonths,
    periodDays,
  };

  const purchaseCountForecast = step("purchase_count_forecast", async (db) => {
    const { customers } = await summaryExtent(db);
    const selected = (await convergedFits(db)).find((f) => f.selected && isPurchase(f));
    const rows = selected
      ? purchaseCountDistribution(
          (n, t) => probabilityOfPurchases(selected.model as PurchaseModelName, JSON.parse(selected.params), n, t),
          horizon,
          customers,
        ).map((r) => [
          selected.model,
          r.n,
          r.label,
          r.probability,
          r.expectedCustomers,
          customers,
          horizon,
          analysis.period,
        ])
      : [];
    await replaceTable(
      db,
      "purchase_count_forecast",
      "model varchar, n integer, label varchar, probability double, expected_customers double, customers integer, horizon_periods double, period varchar",
      ["model", "n", "label", "probability", "expected_customers", "customers", "horizon_periods", "period"],
      rows,
    );
  });

  const modelUncertainty = step("model_uncertainty", async (db) => {
    const rows: unknown[][] = [];
    for (const fit of await convergedFits(db)) {
      const u = await uncertaintyOf(db, fit);
      const cov = u.covarianceLog;
      u.names.forEach((k, i) =>
        rows.push([
          fit.model,
          k,
          u.estimate[k],
          finiteOrNull(u.se[k]),
          finiteOrNull(u.ci[k][0]),
          finiteOrNull(u.ci[k][1]),
          cov ? JSON.stringify(Object.fromEntries(u.names.map((j, jj) => [j, cov[i][jj]]))) : null,
        ]),
      );
    }
    await replaceTable(
      db,
      "model_uncertainty",
      UNCERTAINTY_SQL,
      ["model", "param", "estimate", "se", "ci_low", "ci_high", "covariance_log"],
      rows,
    );
  });

  const customerClvInterval = step(
    "customer_clv_interval",
    async (db) => {
      const summary = summaryRelation("customer_summary");
      const fits = await convergedFits(db);
      const purchaseFit = fits.find((f) => f.selected && isPurchase(f));
      const spendFit = fits.find((f) => f.model === "gammagamma");
      const { spend } = selectedModels(fits.filter((f) => f.model === "gammagamma"));
      const purchaseU = purchaseFit ? await storedUncertainty(db, purchaseFit) : null;
      if (!purchaseFit || !purchaseU?.covarianceLog) {
        await writeIntervals(db, summary, null);
        return;
      }
      const draws = drawParameters(
        purchaseU.names,
        purchaseU.estimate,
        purchaseU.covarianceLog,
        CLV_INTERVAL_DRAWS,
        SEED,
      );
      const spendU = spend && spendFit ? await storedUncertainty(db, spendFit) : null;
      const spendDraws = spendU?.covarianceLog
        ? drawParameters(spendU.names, spendU.estimate, spendU.covarianceLog, CLV_INTERVAL_DRAWS, SEED + 1)
        : undefined;
      const c = await db.numericColumns(intervalInputsSql(summary));
      const out = await clvIntervalColumnsThreaded(
        {
          frequency: c.frequency,
          recency: c.recency,
          T: c.T,
          monetary_value: c.monetary_value,
          orders: c.orders,
          revenue: c.revenue,
        },
        { history: Int32Array.from(c.history), pair: Int32Array.from(c.pair) },
        purchaseFit.model as PurchaseModelName,
        draws,
        spend,
        predictOptions,
        { level: CLV_INTERVAL_LEVEL, spendDraws },
        { threads: threadCount(config.duckdb.threads) },
      );
      await writeIntervals(db, summary, out);
    },
    ["model_uncertainty"],
  );

  const modelChecks = step("model_checks", async (db) => {
    const { actual, byAge } = await repeatCounts(db);
    const rows: unknown[][] = [];
    for (const fit of (await convergedFits(db)).filter(isPurchase)) {
      const params = JSON.parse(fit.params);
      const check = periodTransactionsCheckOfCounts(
        actual,
        byAge,
        (k, T) => probabilityOfPurchases(fit.model as PurchaseModelName, params, k, T),
        Object.keys(params).length,
      );
      for (const c of check.classes) {
        rows.push([
          fit.model,
          c.repeatCount,
          c.label,
          c.actual,
          c.expected,
          check.chiSquare,
          check.degreesOfFreedom,
          check.maxShareGap,
          check.verdict,
        ]);
      }
    }
    await replaceTable(
      db,
      "model_checks",
      "model varchar, repeat_count integer, label varchar, actual integer, expected double, chi_square double, degrees_of_freedom integer, max_share_gap double, verdict varchar",
      [
        "model",
        "repeat_count",
        "label",
        "actual",
        "expected",
        "chi_square",
        "degrees_of_freedom",
        "max_share_gap",
        "verdict",
      ],
      rows,
    );
  });

  const modelSurfaces = step("model_surfaces", async (db) => {
    const { customers, maxFrequency, maxT } = await summaryExtent(db);
    const selected = (await convergedFits(db)).find((f) => f.selected && isPurchase(f));
    let rows: unknown[][] = [];
    if (selected && customers) {
      const model = purchaseModelWithProbabilities(selected.model as PurchaseModelName, JSON.parse(selected.params));
      rows = modelSurface(model, maxFrequency, maxT).map((c) => [
        selected.model,
        c.frequency,
        c.recency,
        c.T,
        finiteOrNull(c.pAlive),
        finiteOrNull(c.expectedNextPeriod),
        analysis.period,
      ]);
    }
    await replaceTable(
      db,
      "model_surfaces",
      'model varchar, frequency integer, recency double, "T" double, p_alive double, expected_next_period double, period varchar',
      ["model", "frequency", "recency", "T", "p_alive", "expected_next_period", "period"],
      rows,
    );
  });

  return [purchaseCountForecast, modelUncertainty, customerClvInterval, modelChecks, modelSurfaces];
}
