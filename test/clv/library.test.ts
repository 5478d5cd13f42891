/**
 * The library entry point, imported by the package's own name (package.json "exports" self-reference): the
 * fitters and purchaseModel with probabilityOfPurchases, on CDNOW (published BG/NBD MLE r = 0.2426,
 * alpha = 4.4136, a = 0.7929, b = 2.4259) and BTYD's published P(X(39) = 0) = 0.5737864.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { describe, expect, it } from "vitest";
import {
  compressRows,
  fitBgBb,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  gammaGammaConditionalSpend,
  gammaGammaMeanSpend,
  purchaseModel,
} from "kehu";

describe("import from 'kehu'", () => {
  it("exports the fitters", () => {
    for (const f of [fitBgNbd, fitMbgNbd, fitParetoNbd, fitGammaGamma, fitBgBb]) expect(typeof f).toBe("function");
    expect(typeof gammaGammaMeanSpend).toBe("function");
    // Gamma-Gamma, FH 2013: p = 6.25, q = 3.74, gamma = 15.44 -> mean spend p gamma / (q - 1) = 35.22
    expect(gammaGammaMeanSpend({ p: 6.25, q: 3.74, gamma: 15.44 })).toBeCloseTo((6.25 * 15.44) / 2.74, 10);
    expect(gammaGammaConditionalSpend({ p: 6.25, q: 3.74, gamma: 15.44 }, 0, 0)).toBeCloseTo(35.219, 3);
  });

  it("fits CDNOW and answers P(X(t) = n) through purchaseModel", () => {
    const file = path.resolve(__dirname, "../../../shared/data/cdnow/cdnow_customers_summary.csv");
    const rows = Papa.parse<Record<string, number>>(readFileSync(file, "utf8"), {
      header: true,
      dynamicTyping: true,
      skipEmptyLines: true,
    }).data;
    const fit = fitBgNbd(
      compressRows(
        rows.map((r) => r.frequency),
        rows.map((r) => r.recency),
        rows.map((r) => r.T),
      ),
    );
    expect(Math.abs(fit.params.r / 0.2426 - 1)).toBeLessThan(1e-3);
    expect(Math.abs(fit.params.b / 2.4259 - 1)).toBeLessThan(1e-3);
    const model = purchaseModel("bgnbd", { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 });
    expect(model.probabilityOfPurchases(0, 39)).toBeCloseTo(0.5737864, 7);
    expect(model.pAlive(0, 0, 10)).toBe(1);
    expect(model.name).toBe("bgnbd");
  });
});
