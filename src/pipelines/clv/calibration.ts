/**
 * The backtest's model side: with analysis.holdoutStart set, the selected purchase model (the one model_fit chose)
 * and Gamma-Gamma are fitted again on the calibration data only (int_calibration_summary) and every calibration
 * customer gets the predictions customer_clv would have held on the day before holdout_start. The SQL backtests
 * (churn_backtest.sql, value_matrix_backtest.sql) rank these exactly as the live lists rank customer_clv, then score
 * the ranking against what the customers did in the holdout. Without a holdout both tables are empty.
 *
 * Tables written: int_calibration_clv (the customer_clv columns), int_calibration_value_matrix (the value_matrix
 * columns).
 */
import type { KehuConfig } from "../../data/config.ts";
import type { Step } from "../runner.ts";
import type { PurchaseModelName } from "./models.ts";
import {
  fitOptionsFor,
  fitPurchaseModels,
  fitSpendModel,
  predictOptionsFor,
  readCalibration,
  selectedModels,
  valueMatrixStep,
} from "./steps.ts";
import { writeClvTable } from "./clvTable.ts";

const THIS_FILE = new URL(import.meta.url).pathname;

export function calibrationSteps(config: KehuConfig): Step[] {
  const calibrationClv: Step = {
    name: "int_calibration_clv",
    dependsOn: ["int_calibration_summary", "model_fit"],
    file: THIS_FILE,
    async run(db) {
      const rows = await readCalibration(db);
      const [selected] = await db.all<{ model: string }>(
        "select model from model_fit where selected and model <> 'gammagamma'",
      );
      // Refit only the model chosen on the full data: the backtest measures the list the product would have made.
      const purchaseFit =
        selected && rows.length
          ? fitPurchaseModels(rows, [selected.model as PurchaseModelName], fitOptionsFor(config.analysis))[0]
          : undefined;
      const spendFit = rows.length ? fitSpendModel(rows, fitOptionsFor(config.analysis)) : undefined;
      const fits = [purchaseFit, spendFit]
        .filter((f) => f?.converged)
        .map((f) => ({ model: f!.model, params: JSON.stringify(f!.params) }));
      const { purchase, spend } = selectedModels(fits);
      await writeClvTable(
        db,
        "int_calibration_summary",
        "int_calibration_clv",
        purchase,
        spend,
        predictOptionsFor(config.analysis),
      );
    },
  };
  const calibrationValueMatrix = valueMatrixStep("int_calibration_value_matrix", "int_calibration_clv", config);
  return [calibrationClv, calibrationValueMatrix];
}
