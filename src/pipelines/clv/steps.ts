/**
 * Pipeline steps for predictive lifetime value: fit the purchase models (BG/NBD, Pareto/NBD, MBG/NBD) and the
 * Gamma-Gamma spend model on customer_summary, validate on a holdout when one is configured, then write per-customer
 * CLV and the value matrix. Tables written (a contract): model_validation, model_fit (params NULL unless converged;
 * fit_seconds the wall time of each fit), customer_clv, value_matrix (churn_risk, which reads customer_clv, is the
 * SQL model churn_risk.sql beside this file).
 *
 * Small or degenerate data never fail a run: a model that cannot be fitted is recorded in model_fit with
 * converged = false and the reason, and customer_clv falls back to each customer's historical purchase rate and
 * average spend (model = 'historical'), so every customer still gets a finite CLV.
 */
import type { Db } from "../../data/db.ts";
import type { KehuConfig } from "../../data/config.ts";
import type { Step } from "../runner.ts";
import {
  compressRows,
  compressSpendRows,
  computeClv,
  spendRows,
  weightedRows,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  gammaGammaConditionalSpend,
  gammaGammaMeanSpend,
  purchaseModel,
  type CompressedRows,
  type FitOptions,
  type FitResult,
  type GammaGammaParams,
  type SpendRows,
  type PurchaseModel,
  type PurchaseModelName,
} from "./models.ts";
import { chooseModel, type CandidateVerdict } from "./selection.ts";
import { MIN_THREADED_CUSTOMERS, runInThread, threadCount } from "./threads.ts";
import { writeClvTable } from "./clvTable.ts";
import { writeValueMatrixTable } from "./valueMatrixTable.ts";
import type { ValueInput, ValueMatrixRow } from "./valueMatrix.ts";

export const PERIOD_DAYS = { day: 1, week: 7, month: 365.25 / 12 } as const;
const PURCHASE_MODELS: PurchaseModelName[] = ["bgnbd", "pnbd", "mbgnbd"];
/** Below these counts the likelihood is too flat to say anything; the fallback is more honest than a wild fit. */
export const MIN_CUSTOMERS = 10;
export const MIN_REPEAT_CUSTOMERS = 3;
export const MIN_SPEND_CUSTOMERS = 10;

const THIS_FILE = new URL(import.meta.url).pathname;

export interface SummaryRow {
  customer_id: string;
  frequency: number;
  recency: number;
  T: number;
  monetary_value: number;
  orders: number;
  revenue: number;
}

export interface ModelFitRow {
  model: string;
  params: string;
  log_likelihood: number | null;
  bic: number | null;
  converged: boolean;
  n_customers: number;
  iterations: number;
  message: string;
  holdout_rmse: number | null;
  selected: boolean;
}

type AnyFit = FitResult<object>;

const FITTERS: Record<PurchaseModelName, (rows: CompressedRows, options?: Partial<FitOptions>) => AnyFit> = {
  bgnbd: fitBgNbd,
  pnbd: fitParetoNbd,
  mbgnbd: fitMbgNbd,
};

function notFitted(model: string, n: number, message: string): AnyFit {
  return {
    model: model as AnyFit["model"],
    params: {},
    logLikelihood: NaN,
    bic: NaN,
    converged: false,
    iterations: 0,
    message,
    nCustomers: n,
    seconds: 0,
  };
}

/** Fit every purchase model (or those named) to summary rows, or record why not; `options` e.g. the penalizer. */
export function fitPurchaseModels(
  rows: Pick<SummaryRow, "frequency" | "recency" | "T">[],
  models: PurchaseModelName[] = PURCHASE_MODELS,
  options: Partial<FitOptions> = {},
): AnyFit[] {
  const x = rows.map((r) => r.frequency);
  return fitPurchaseModelsTo(
    () =>
      compressRows(
        x,
        rows.map((r) => r.recency),
        rows.map((r) => r.T),
      ),
    rows.length,
    x.filter((v) => v > 0).length,
    models,
    options,
  );
}

/** Fit the purchase models (default: every one) to compressed rows (n customers, `repeaters` with x > 0), or say why not. */
function fitPurchaseModelsTo(
  data: () => CompressedRows,
  n: number,
  repeaters: number,
  models: PurchaseModelName[] = PURCHASE_MODELS,
  options: Partial<FitOptions> = {},
): AnyFit[] {
  if (n < MIN_CUSTOMERS || repeaters < MIN_REPEAT_CUSTOMERS) {
    const why =
      `too few customers to fit: ${n} customers, ${repeaters} with repeat purchases ` +
      `(need >= ${MIN_CUSTOMERS} and >= ${MIN_REPEAT_CUSTOMERS})`;
    return models.map((m) => notFitted(m, n, why));
  }
  const rows = data();
  return models.map((m) => {
    try {
      return FITTERS[m](rows, options);
    } catch (error) {
      return notFitted(m, n, `fit failed: ${(error as Error).message}`);
    }
  });
}

/** Fit Gamma-Gamma on repeat customers with a positive average repeat spend (refund-only averages are skipped). */
export function fitSpendModel(
  rows: Pick<SummaryRow, "frequency" | "monetary_value">[],
  options: Partial<FitOptions> = {},
): FitResult<GammaGammaParams | object> {
  const usable = rows.filter((r) => r.frequency > 0 && r.monetary_value > 0 && Number.isFinite(r.monetary_value));
  return fitSpendModelTo(
    () =>
      compressSpendRows(
        usable.map((r) => r.frequency),
        usable.map((r) => r.monetary_value),
      ),
    usable.length,
    options,
  );
}

function fitSpendModelTo(
  data: () => SpendRows,
  usable: number,
  options: Partial<FitOptions> = {},
): FitResult<GammaGammaParams | object> {
  if (usable < MIN_SPEND_CUSTOMERS) {
    return notFitted(
      "gammagamma",
      usable,
      `too few repeat customers with positive spend to fit: ${usable} (need >= ${MIN_SPEND_CUSTOMERS})`,
    );
  }
  try {
    const fit = fitGammaGamma(data(), options);
    if (fit.converged && !(fit.params.q > 1)) {
      return {
        ...fit,
        converged: false,
        message: `q = ${fit.params.q.toFixed(3)} <= 1: the population mean spend is infinite; not used`,
      };
    }
    return fit;
  } catch (error) {
    return notFitted("gammagamma", usable, `fit failed: ${(error as Error).message}`);
  }
}

/** The compressed purchase data as number columns: distinct (x, t_x, T) and the customers behind each (w). */
export interface PurchaseColumns {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  w: Float64Array;
}

const totalOf = (w: Float64Array, keep: (i: number) => boolean = () => true) =>
  w.reduce((s, v, i) => (keep(i) ? s + v : s), 0);

/** fitPurchaseModelsTo on number columns (what a worker thread of fitAllModels runs). */
export function fitPurchaseModelsOnColumns(
  rows: PurchaseColumns,
  models: PurchaseModelName[],
  options: Partial<FitOptions>,
): AnyFit[] {
  return fitPurchaseModelsTo(
    () => weightedRows(rows.x, rows.tx, rows.T, rows.w),
    totalOf(rows.w),
    totalOf(rows.w, (i) => rows.x[i] > 0),
    models,
    options,
  );
}

/**
 * The purchase models by thread when the fits run on `threads` threads, this thread's first: MBG/NBD (the slowest
 * fit on the bench data, its wider coarse search) in a worker of its own, then Pareto/NBD, the rest here beside
 * Gamma-Gamma. Each fit is the same computation on the same doubles in whichever thread: identical estimates.
 */
export function fitGroups(threads: number): PurchaseModelName[][] {
  if (threads <= 1) return [PURCHASE_MODELS];
  if (threads === 2) return [["bgnbd", "pnbd"], ["mbgnbd"]];
  return [["bgnbd"], ["mbgnbd"], ["pnbd"]];
}

/**
 * The fits' data straight from customer_summary, merged in SQL: one row per distinct (frequency, recency, T) with
 * the number of customers behind it, and one per distinct (frequency, monetary_value) of the customers the spend
 * model describes. Only these leave DuckDB (columnar, no per-customer objects).
 */
async function fitAllModels(
  db: Db,
  options: Partial<FitOptions>,
  threads: number,
): Promise<{ purchase: AnyFit[]; spend: FitResult<GammaGammaParams | object> }> {
  const rows = await db.numericColumns(`
    select frequency::double as x, recency::double as tx, T::double as "T", count(*)::double as w
    from customer_summary
    where frequency is not null and recency is not null and T is not null
    group by all order by all`);
  const spend = await db.numericColumns(`
    select frequency::double as x, coalesce(monetary_value, 0)::double as m, count(*)::double as w
    from customer_summary
    where frequency > 0 and recency is not null and T is not null and monetary_value > 0 and isfinite(monetary_value)
    group by all order by all`);
  const columns = { x: rows.x, tx: rows.tx, T: rows.T, w: rows.w };
  const groups = fitGroups(totalOf(rows.w) >= MIN_THREADED_CUSTOMERS ? threads : 1);
  const workers = groups
    .slice(1)
    .map((models) => runInThread<AnyFit[]>(import.meta.url, "fitPurchaseModelsOnColumns", [columns, models, options]));
  const here = fitPurchaseModelsOnColumns(columns, groups[0], options);
  const spendFit = fitSpendModelTo(() => spendRows(spend.x, spend.m, spend.w), totalOf(spend.w), options);
  const fits = [...here, ...(await Promise.all(workers)).flat()];
  return { purchase: PURCHASE_MODELS.map((m) => fits.find((f) => f.model === m)!), spend: spendFit };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

export interface ClvRow {
  customer_id: string;
  p_alive: number | null;
  expected_purchases: number;
  expected_avg_spend: number;
  clv: number;
  model: string;
  spend_model: string;
}

/**
 * The fallback purchase rate without a model: the posterior mean of a Poisson rate under a gamma prior fitted to
 * the population by its pooled repeat rate, rate = (frequency + shape) / (T + scale), with scale = the mean T (the
 * prior weighs as much as one average customer's history) and shape = pooled repeat rate x scale, pooled = sum of
 * repeat purchases / sum of T. So a one-purchase customer is never predicted to buy faster than the population
 * repeats (shape / (T + scale) <= shape / scale = pooled): a first order last week is not a weekly habit.
 */
export function fallbackRatePrior(rows: Pick<SummaryRow, "frequency" | "T">[]): { shape: number; scale: number } {
  let repeats = 0;
  let exposure = 0;
  for (const r of rows) {
    if (!(r.T >= 0) || !(r.frequency >= 0)) continue;
    repeats += r.frequency;
    exposure += r.T;
  }
  const scale = rows.length ? Math.max(exposure / rows.length, 1e-9) : 1;
  return { shape: exposure > 0 ? (repeats / exposure) * scale : 0, scale };
}

export interface PredictOptions {
  margin: number;
  discountRateAnnual: number;
  horizonMonths: number;
  periodDays: number;
}

/** The population's mean order value (customers with orders), never negative: the last spend fallback. */
export function meanOrderValueOf(orders: ArrayLike<number>, revenue: ArrayLike<number>): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < orders.length; i++) {
    if (!(orders[i] > 0)) continue;
    sum += revenue[i] / orders[i];
    count++;
  }
  return count ? Math.max(0, sum / count) : 0;
}

/**
 * A customer's expected spend per purchase (see predictCustomers): Gamma-Gamma's conditional expectation when fitted,
 * else their own average repeat spend, else their average order value, else `meanOrderValue`; never negative.
 */
export function spendValueOf(
  spend: GammaGammaParams | null,
  meanOrderValue: number,
  frequency: number,
  monetaryValue: number,
  orders: number,
  revenue: number,
): number {
  const value = spend
    ? gammaGammaConditionalSpend(spend, monetaryValue > 0 ? frequency : 0, monetaryValue)
    : frequency > 0 && monetaryValue > 0
      ? monetaryValue
      : orders > 0 && revenue > 0
        ? revenue / orders
        : meanOrderValue;
  return !Number.isFinite(value) || value < 0 ? 0 : value;
}

/**
 * Per-customer predictions. With a purchase model: P(alive), expected purchases over the horizon and CLV from the
 * model. Without one (or if the model gives a non-finite value for a customer): the customer's repeat-purchase rate
 * shrunk towards the population's (fallbackRatePrior), held constant over the horizon, with p_alive NULL (no
 * model, no estimate).
 * Spend: Gamma-Gamma conditional expectation when fitted, else the customer's own average repeat spend, else their
 * average order value, else the population's mean order value; never negative.
 */
export function predictCustomers(
  rows: SummaryRow[],
  purchase: PurchaseModel | null,
  spend: GammaGammaParams | null,
  options: PredictOptions,
): ClvRow[] {
  const periodsPerMonth = 365.25 / 12 / options.periodDays;
  const horizon = options.horizonMonths * periodsPerMonth;
  const clvOptions = {
    margin: options.margin,
    discountRateAnnual: options.discountRateAnnual,
    horizonMonths: options.horizonMonths,
    periodsPerMonth,
  };
  const meanOrderValue = meanOrderValueOf(
    rows.map((r) => r.orders),
    rows.map((r) => r.revenue),
  );
  const fallback = fallbackRatePrior(rows);
  // Customers with the same (x, t_x, T) get the same purchase predictions: compute each once.
  const cache = new Map<string, { pAlive: number; expected: number; profile: number[] } | null>();
  const modelPredictions = (r: SummaryRow) => {
    if (!purchase) return null;
    const key = `${r.frequency}|${r.recency}|${r.T}`;
    if (cache.has(key)) return cache.get(key)!;
    let result: { pAlive: number; expected: number; profile: number[] } | null = null;
    try {
      const pAlive = purchase.pAlive(r.frequency, r.recency, r.T);
      const profile = Array.from({ length: options.horizonMonths + 1 }, (_, m) =>
        m === 0 ? 0 : purchase.conditionalExpected(m * periodsPerMonth, r.frequency, r.recency, r.T),
      );
      const expected = purchase.conditionalExpected(horizon, r.frequency, r.recency, r.T);
      if ([pAlive, expected, ...profile].every((v) => Number.isFinite(v) && v >= 0))
        result = { pAlive, expected, profile };
    } catch {
      result = null;
    }
    cache.set(key, result);
    return result;
  };
  return rows.map((r) => {
    const spendValue = spendValueOf(spend, meanOrderValue, r.frequency, r.monetary_value, r.orders, r.revenue);
    const spendModel = spend ? "gammagamma" : "historical";
    const predicted = modelPredictions(r);
    if (predicted && purchase) {
      const clv = computeClv((t) => predicted.profile[Math.round(t / periodsPerMonth)], spendValue, clvOptions);
      return {
        customer_id: r.customer_id,
        p_alive: predicted.pAlive,
        expected_purchases: predicted.expected,
        expected_avg_spend: spendValue,
        clv,
        model: purchase.name,
        spend_model: spendModel,
      };
    }
    const rate = (r.frequency + fallback.shape) / (r.T + fallback.scale);
    const clv = computeClv((t) => rate * t, spendValue, clvOptions);
    return {
      customer_id: r.customer_id,
      p_alive: null,
      expected_purchases: rate * horizon,
      expected_avg_spend: spendValue,
      clv,
      model: "historical",
      spend_model: spendModel,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Holdout validation

export interface CalibrationRow {
  customer_id: string;
  frequency: number;
  recency: number;
  T: number;
  /** Day of the first purchase, counted from the first purchase of any calibration customer (day 0). */
  first_day: number;
  holdout_purchases: number;
}

export interface ValidationRow {
  model: string;
  kind: "frequency_bucket" | "weekly_cumulative" | "summary";
  bucket: number | null;
  week: number | null;
  period_end: string | null;
  customers: number;
  actual: number;
  predicted: number;
  rmse: number | null;
}

/**
 * Holdout validation of the purchase models fitted on calibration data: per calibration frequency bucket (0..7, 7
 * meaning 7 or more) the mean actual vs predicted holdout purchases; per week since the first calibration purchase,
 * cumulative actual vs predicted repeat purchases of the calibration customers; and a per-model summary with the
 * RMSE of per-customer holdout purchases (used to choose the model).
 */
export function validateModels(
  calibration: CalibrationRow[],
  repeatPurchaseDays: number[],
  {
    periodDays,
    holdoutDays,
    startDate,
    totalDays,
    fitOptions = {},
  }: {
    periodDays: number;
    holdoutDays: number;
    startDate: string;
    totalDays: number;
    fitOptions?: Partial<FitOptions>;
  },
): { rows: ValidationRow[]; fits: AnyFit[] } {
  const fits = fitPurchaseModels(calibration, PURCHASE_MODELS, fitOptions);
  const rows: ValidationRow[] = [];
  const holdout = holdoutDays / periodDays;
  const start = Date.parse(`${startDate}T00:00:00Z`);
  const dayString = (d: number) => new Date(start + d * 86_400_000).toISOString().slice(0, 10);
  const firstCounts = new Map<number, number>();
  for (const c of calibration) firstCounts.set(c.first_day, (firstCounts.get(c.first_day) ?? 0) + 1);
  const weeks = Math.ceil((totalDays + 1) / 7);
  const actualByDay = new Float64Array(totalDays + 1);
  for (const d of repeatPurchaseDays) if (d >= 0 && d <= totalDays) actualByDay[d]++;
  const actualCumulative: number[] = [];
  {
    let sum = 0;
    let day = 0;
    for (let w = 1; w <= weeks; w++) {
      const end = Math.min(7 * w - 1, totalDays);
      for (; day <= end; day++) sum += actualByDay[day];
      actualCumulative.push(sum);
    }
  }
  for (const fit of fits) {
    if (!fit.converged) continue;
    const model = purchaseModel(fit.model as PurchaseModelName, fit.params as never);
    const buckets = Array.from({ length: 8 }, () => ({ customers: 0, actual: 0, predicted: 0 }));
    let squared = 0;
    let totalActual = 0;
    let totalPredicted = 0;
    const cache = new Map<string, number>();
    for (const c of calibration) {
      const key = `${c.frequency}|${c.recency}|${c.T}`;
      let predicted = cache.get(key);
      if (predicted === undefined) {
        predicted = model.conditionalExpected(holdout, c.frequency, c.recency, c.T);
        cache.set(key, predicted);
      }
      const b = buckets[Math.min(7, c.frequency)];
      b.customers++;
      b.actual += c.holdout_purchases;
      b.predicted += predicted;
      squared += (predicted - c.holdout_purchases) ** 2;
      totalActual += c.holdout_purchases;
      totalPredicted += predicted;
    }
    buckets.forEach((b, i) => {
      if (b.customers === 0) return;
      rows.push({
        model: fit.model,
        kind: "frequency_bucket",
        bucket: i,
        week: null,
        period_end: null,
        customers: b.customers,
        actual: b.actual / b.customers,
        predicted: b.predicted / b.customers,
        rmse: null,
      });
    });
    // Unconditional E[X(t)] by elapsed whole days, shared by every customer acquired on the same day.
    const expectedByLag = Float64Array.from({ length: totalDays + 1 }, (_, lag) => model.expected(lag / periodDays));
    for (let w = 1; w <= weeks; w++) {
      const end = Math.min(7 * w - 1, totalDays);
      let predicted = 0;
      for (const [d, n] of firstCounts) if (d <= end) predicted += n * expectedByLag[end - d];
      rows.push({
        model: fit.model,
        kind: "weekly_cumulative",
        bucket: null,
        week: w,
        period_end: dayString(end),
        customers: calibration.length,
        actual: actualCumulative[w - 1],
        predicted,
        rmse: null,
      });
    }
    rows.push({
      model: fit.model,
      kind: "summary",
      bucket: null,
      week: null,
      period_end: dayString(totalDays),
      customers: calibration.length,
      actual: totalActual,
      predicted: totalPredicted,
      rmse: Math.sqrt(squared / Math.max(1, calibration.length)),
    });
  }
  return { rows, fits };
}

// ---------------------------------------------------------------------------------------------------------------
// Steps

export async function replaceTable(
  db: Db,
  name: string,
  columnsSql: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  await db.exec(`create or replace table ${name} (${columnsSql})`);
  if (rows.length) await db.insertRows(name, columns, rows);
}

const VALIDATION_COLUMNS = [
  "model",
  "kind",
  "bucket",
  "week",
  "period_end",
  "customers",
  "actual",
  "predicted",
  "rmse",
];
const VALIDATION_SQL =
  "model varchar, kind varchar, bucket integer, week integer, period_end date, customers integer, actual double, predicted double, rmse double";

const MODEL_FIT_COLUMNS = [
  "model",
  "params",
  "log_likelihood",
  "bic",
  "converged",
  "n_customers",
  "iterations",
  "message",
  "holdout_rmse",
  "selected",
  "fitted_at",
  "as_of",
  "fit_seconds",
  "holdout_bias",
  "bic_delta",
  "holdout_gain",
  "bias_change",
  "selection_reason",
  "selection_margin",
  "selection_bias_tolerance",
  "penalizer",
];
/**
 * model_fit, one row per model. The choice (selection.ts), purchase models only: holdout_bias = (forecast - actual)
 * / actual holdout total; bic_delta = BIC - lowest BIC; holdout_gain = relative holdout-RMSE improvement over the
 * lowest-BIC model; bias_change = |holdout_bias| - its |holdout_bias|; selection_reason the code (selection.ts) of
 * why the model was or was not chosen; selection_margin / selection_bias_tolerance the rule in force; penalizer the
 * L2 coefficient every fit used.
 */
const MODEL_FIT_SQL =
  "model varchar, params varchar, log_likelihood double, bic double, converged boolean, n_customers integer, iterations integer, " +
  "message varchar, holdout_rmse double, selected boolean, fitted_at timestamp, as_of date, fit_seconds double, holdout_bias double, " +
  "bic_delta double, holdout_gain double, bias_change double, selection_reason varchar, selection_margin double, selection_bias_tolerance double, " +
  "penalizer double";

export const CLV_SQL =
  "customer_id varchar, p_alive double, expected_purchases double, expected_avg_spend double, clv double, model varchar, spend_model varchar";

export const VALUE_COLUMNS = [
  "customer_id",
  "current_value",
  "growth_potential",
  "quadrant",
  "strategy_zh",
  "strategy_en",
  "peer_group",
  "potential_clv",
  "p_alive",
];
export const VALUE_SQL =
  "customer_id varchar, current_value double, growth_potential double, quadrant varchar, strategy_zh varchar, strategy_en varchar, peer_group varchar, potential_clv double, p_alive double";

async function asOf(db: Db): Promise<string | null> {
  const [row] = await db.all<{ as_of: string | null }>("select getvariable('as_of')::date::varchar as as_of");
  return row?.as_of ?? null;
}

/**
 * The summary rows the CLV models see, as a relation: `source` (customer_summary or int_calibration_summary)
 * without the customers lacking a history, with the SummaryRow columns.
 */
export function summaryRelation(source: string): string {
  return `(select customer_id::varchar as customer_id, frequency::double as frequency, recency::double as recency, T::double as "T",
           coalesce(monetary_value, 0)::double as monetary_value, coalesce(orders, 0)::double as orders, coalesce(revenue, 0)::double as revenue
    from ${source} where frequency is not null and recency is not null and T is not null)`;
}

export async function readSummary(db: Db): Promise<SummaryRow[]> {
  return db.all<SummaryRow>(`select * from ${summaryRelation("customer_summary")} order by customer_id`);
}

/** The calibration rows of the backtests (int_calibration_summary.sql): customer_summary as of holdout_start - 1. */
export async function readCalibration(db: Db): Promise<Array<CalibrationRow & SummaryRow>> {
  return db.all<CalibrationRow & SummaryRow>(`
    select customer_id::varchar as customer_id, frequency::double as frequency, recency::double as recency, T::double as "T",
           monetary_value::double as monetary_value, orders::double as orders, revenue::double as revenue,
           first_day::integer as first_day, holdout_purchases::double as holdout_purchases
    from int_calibration_summary
    order by customer_id`);
}

/** Per customer of `clvTable` (customer_clv or int_calibration_clv): the value-matrix inputs, with industry and region. */
export async function readValueInputs(db: Db, clvTable: "customer_clv" | "int_calibration_clv"): Promise<ValueInput[]> {
  return db.all<ValueInput>(`
    with clv as (select * from ${clvTable}),
    customers as (
        select customer_id::varchar as customer_id, any_value(industry) as industry, any_value(region) as region
        from stg_customers group by customer_id
    )
    select clv.customer_id, clv.clv::double as clv, clv.p_alive::double as p_alive, clv.expected_purchases::double as expected_purchases,
           clv.expected_avg_spend::double as expected_avg_spend, customers.industry, customers.region
    from clv left join customers using (customer_id)
    order by clv.customer_id`);
}

/** The selected purchase model and usable spend model of `model_fit` rows (model, params JSON). */
export function selectedModels(fits: Array<{ model: string; params: string | null }>): {
  purchase: PurchaseModel | null;
  spend: GammaGammaParams | null;
} {
  const purchaseRow = fits.find((f) => f.model !== "gammagamma" && f.params);
  const spendRow = fits.find((f) => f.model === "gammagamma" && f.params);
  const purchase = purchaseRow
    ? purchaseModel(purchaseRow.model as PurchaseModelName, JSON.parse(purchaseRow.params!))
    : null;
  const spend = spendRow ? (JSON.parse(spendRow.params!) as GammaGammaParams) : null;
  return { purchase, spend: spend && Number.isFinite(gammaGammaMeanSpend(spend)) ? spend : null };
}

export const valueMatrixValues = (r: ValueMatrixRow) => VALUE_COLUMNS.map((c) => r[c as keyof ValueMatrixRow]);

/** The step writing `name` (value_matrix, int_calibration_value_matrix) from the predictions in `clvTable`. */
export function valueMatrixStep(
  name: string,
  clvTable: "customer_clv" | "int_calibration_clv",
  config: KehuConfig,
): Step {
  const analysis = config.analysis;
  return {
    name,
    dependsOn: [clvTable, "stg_customers"],
    file: THIS_FILE,
    async run(db) {
      await writeValueMatrixTable(db, clvTable, name, {
        margin: analysis.margin,
        discountRateAnnual: analysis.discountRateAnnual,
        horizonMonths: analysis.horizonMonths,
        thresholds: analysis.quadrantThresholds,
      });
    },
  };
}

/** The fit options of the analysis settings (the L2 penalizer). */
export function fitOptionsFor(analysis: KehuConfig["analysis"]): Partial<FitOptions> {
  return { penalizer: analysis.penalizer };
}

/** The CLV options of the analysis settings. */
export function predictOptionsFor(analysis: KehuConfig["analysis"]): PredictOptions {
  return {
    margin: analysis.margin,
    discountRateAnnual: analysis.discountRateAnnual,
    horizonMonths: analysis.horizonMonths,
    periodDays: PERIOD_DAYS[analysis.period],
  };
}

export function clvSteps(config: KehuConfig): Step[] {
  const analysis = config.analysis;
  const periodDays = PERIOD_DAYS[analysis.period];
  const predictOptions = predictOptionsFor(analysis);
  const fitOptions = fitOptionsFor(analysis);

  const modelValidation: Step = {
    name: "model_validation",
    dependsOn: ["int_purchases", "int_calibration_summary"],
    file: THIS_FILE,
    async run(db) {
      const [holdout] = await db.all<{ holdout_start: string | null }>(
        "select getvariable('holdout_start')::varchar as holdout_start",
      );
      if (!holdout?.holdout_start) {
        await replaceTable(db, "model_validation", VALIDATION_SQL, VALIDATION_COLUMNS, []);
        return;
      }
      const [window] = await db.all<{
        holdout_start: string | null;
        as_of: string | null;
        start: string | null;
        total_days: number | null;
        holdout_days: number | null;
      }>(`
        select getvariable('holdout_start')::varchar as holdout_start, getvariable('as_of')::varchar as as_of,
               min(purchased_on)::varchar as start,
               (getvariable('as_of') - min(purchased_on))::integer as total_days,
               (getvariable('as_of') - getvariable('holdout_start') + 1)::integer as holdout_days
        from int_purchases where purchased_on < getvariable('holdout_start')`);
      if (!window?.holdout_start || !window.start || window.total_days == null || !(window.holdout_days! > 0)) {
        await replaceTable(db, "model_validation", VALIDATION_SQL, VALIDATION_COLUMNS, []);
        return;
      }
      const calibration = await readCalibration(db);
      const repeat = await db.all<{ day: number }>(
        `
        with first as (
            select customer_id, min(purchased_on) as first_purchase from int_purchases group by customer_id
            having min(purchased_on) < getvariable('holdout_start')
        )
        select (p.purchased_on - $start::date)::integer as day
        from int_purchases p join first using (customer_id)
        where p.purchase_number > 1`,
        { start: window.start },
      );
      const { rows } = validateModels(
        calibration,
        repeat.map((r) => r.day),
        {
          periodDays,
          holdoutDays: window.holdout_days!,
          startDate: window.start,
          totalDays: window.total_days,
          fitOptions,
        },
      );
      await replaceTable(
        db,
        "model_validation",
        VALIDATION_SQL,
        VALIDATION_COLUMNS,
        rows.map((r) => [
          r.model,
          r.kind,
          r.bucket,
          r.week,
          r.period_end ? new Date(`${r.period_end}T00:00:00Z`) : null,
          r.customers,
          r.actual,
          r.predicted,
          r.rmse,
        ]),
      );
    },
  };

  const modelFit: Step = {
    name: "model_fit",
    dependsOn: ["customer_summary", "model_validation"],
    file: THIS_FILE,
    async run(db) {
      const { purchase: purchaseFits, spend: spendFit } = await fitAllModels(
        db,
        fitOptions,
        threadCount(config.duckdb.threads),
      );
      const holdout = new Map(
        (
          await db.all<{ model: string; rmse: number; bias: number | null }>(`select model, rmse::double as rmse,
            case when actual > 0 then (predicted - actual) / actual end::double as bias
          from model_validation where kind = 'summary'`)
        ).map((r) => [r.model, r]),
      );
      const rule = analysis.modelChoice;
      const choice = chooseModel(
        purchaseFits.map((f) => ({
          name: f.model,
          converged: f.converged,
          bic: f.bic,
          holdoutError: holdout.get(f.model)?.rmse ?? null,
          holdoutBias: holdout.get(f.model)?.bias ?? null,
        })),
        rule,
      );
      const verdicts = new Map(choice.verdicts.map((v) => [v.name, v]));
      const fittedAt = new Date();
      const asOfDate = await asOf(db);
      // params only for converged fits: where a fit stopped is not an estimate
      const row = (f: AnyFit, isSelected: boolean, v: CandidateVerdict | undefined) => [
        f.model,
        f.converged ? JSON.stringify(f.params) : null,
        finiteOrNull(f.logLikelihood),
        finiteOrNull(f.bic),
        f.converged,
        f.nCustomers,
        f.iterations,
        f.message,
        holdout.get(f.model)?.rmse ?? null,
        isSelected,
        fittedAt,
        asOfDate ? new Date(`${asOfDate}T00:00:00Z`) : null,
        f.seconds,
        holdout.get(f.model)?.bias ?? null,
        v?.bicDelta ?? null,
        v?.holdoutGain ?? null,
        v?.biasChange ?? null,
        v?.reason ?? null,
        v ? rule.margin : null,
        v ? rule.biasTolerance : null,
        analysis.penalizer,
      ];
      await replaceTable(db, "model_fit", MODEL_FIT_SQL, MODEL_FIT_COLUMNS, [
        ...purchaseFits.map((f) => row(f, f.model === choice.model, verdicts.get(f.model))),
        row(spendFit as AnyFit, spendFit.converged, undefined),
      ]);
    },
  };

  const customerClv: Step = {
    name: "customer_clv",
    dependsOn: ["customer_summary", "model_fit"],
    file: THIS_FILE,
    async run(db) {
      const fits = await db.all<{ model: string; params: string }>(
        "select model, params from model_fit where selected",
      );
      const { purchase, spend } = selectedModels(fits);
      await writeClvTable(db, "customer_summary", "customer_clv", purchase, spend, predictOptions);
    },
  };

  const valueMatrix = valueMatrixStep("value_matrix", "customer_clv", config);

  return [modelValidation, modelFit, customerClv, valueMatrix];
}
