/**
 * kehu as a library: the BTYD model fitters, fitted-model objects and the diagnostics behind the CLV marts, for use
 * without the pipeline (`import { fitBgNbd, purchaseModel } from "kehu"`). Everything here is pure: arrays in,
 * numbers out. Periods are whatever unit the (frequency, recency, T) data are in.
 */
import type { BgNbdParams, ParetoNbdParams, PurchaseModelName } from "./pipelines/clv/models.ts";
import { purchaseModelWithProbabilities, type PurchaseModelWithProbabilities } from "./pipelines/clv/probabilities.ts";

export {
  compressRows,
  compressSpendRows,
  computeClv,
  fitBgNbd,
  fitMbgNbd,
  fitParetoNbd,
  fitGammaGamma,
  bgNbdLogLikelihood,
  mbgNbdLogLikelihood,
  paretoNbdLogLikelihood,
  bgNbdPAlive,
  mbgNbdPAlive,
  paretoNbdPAlive,
  bgNbdExpected,
  mbgNbdExpected,
  paretoNbdExpected,
  bgNbdConditionalExpected,
  mbgNbdConditionalExpected,
  paretoNbdConditionalExpected,
  gammaGammaLogLikelihood,
  gammaGammaMeanSpend,
  gammaGammaConditionalSpend,
} from "./pipelines/clv/models.ts";
export type {
  BgNbdParams,
  MbgNbdParams,
  ParetoNbdParams,
  GammaGammaParams,
  FitResult,
  FitOptions,
  CompressedRows,
  SpendRows,
  ClvOptions,
  ModelName,
  PurchaseModelName,
} from "./pipelines/clv/models.ts";

export {
  bgNbdProbabilityOfPurchases,
  mbgNbdProbabilityOfPurchases,
  paretoNbdProbabilityOfPurchases,
  probabilityOfPurchases,
  purchaseCountDistribution,
} from "./pipelines/clv/probabilities.ts";
export type { PurchaseModelWithProbabilities, PurchaseCountRow } from "./pipelines/clv/probabilities.ts";

export {
  fitBgBb,
  bgBbLogLikelihood,
  bgBbPAlive,
  bgBbConditionalExpected,
  bgBbExpected,
  bgBbProbabilityOfPurchases,
  bgBbDert,
} from "./pipelines/clv/bgbb.ts";
export type { BgBbParams, BgBbRow, BgBbFit } from "./pipelines/clv/bgbb.ts";

export { chooseModel, selectModel, DEFAULT_MODEL_CHOICE } from "./pipelines/clv/selection.ts";
export type {
  Candidate,
  CandidateVerdict,
  ModelChoice,
  ModelChoiceRule,
  SelectionReason,
} from "./pipelines/clv/selection.ts";

export { parameterUncertainty, drawParameters } from "./pipelines/clv/uncertainty.ts";
export type { ParameterUncertainty, UncertainModel } from "./pipelines/clv/uncertainty.ts";
export { clvIntervals } from "./pipelines/clv/clvInterval.ts";
export type { ClvIntervalRow } from "./pipelines/clv/clvInterval.ts";

export { periodTransactionsCheck, modelSurface, verdictOf, VERDICT_RULES } from "./pipelines/clv/checks.ts";
export type { PeriodTransactionsCheck, SurfaceCell, Verdict } from "./pipelines/clv/checks.ts";

/**
 * A fitted purchase model (BG/NBD, MBG/NBD or Pareto/NBD) behind one interface: pAlive, conditionalExpected,
 * expected and probabilityOfPurchases(n, t) = P(X(t) = n) for a new customer.
 */
export function purchaseModel(name: "bgnbd" | "mbgnbd", params: BgNbdParams): PurchaseModelWithProbabilities;
export function purchaseModel(name: "pnbd", params: ParetoNbdParams): PurchaseModelWithProbabilities;
export function purchaseModel(
  name: PurchaseModelName,
  params: BgNbdParams | ParetoNbdParams,
): PurchaseModelWithProbabilities;
export function purchaseModel(
  name: PurchaseModelName,
  params: BgNbdParams | ParetoNbdParams,
): PurchaseModelWithProbabilities {
  return purchaseModelWithProbabilities(name, params);
}
