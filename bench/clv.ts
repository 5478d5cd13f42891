/**
 * CLV fitting benchmark: simulate n customers (default 1M) from known BG/NBD + Gamma-Gamma parameters at day grain,
 * compress identical (x, t_x, T) rows and time each fit (BG/NBD, MBG/NBD, Pareto/NBD unless { pareto: false }, Gamma-Gamma). Compression is what makes 1M customers cost about as much
 * as the few thousand distinct rows they collapse to. Run alone with `npx tsx bench/clv.ts [n]`.
 */
import {
  compressRows,
  compressSpendRows,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
} from "../src/pipelines/clv/models.ts";
import { simulateCustomers } from "../test/clv/simulate.ts";

export interface ClvBenchResult {
  customers: number;
  distinctRows: number;
  distinctSpendRows: number;
  /** Milliseconds per stage. */
  ms: Record<string, number>;
  converged: Record<string, boolean>;
}

export async function benchClvFit(nCustomers = 1_000_000, options: { pareto?: boolean } = {}): Promise<ClvBenchResult> {
  const ms: Record<string, number> = {};
  const converged: Record<string, boolean> = {};
  const time = <T>(label: string, fn: () => T): T => {
    const start = performance.now();
    const result = fn();
    ms[label] = Math.round(performance.now() - start);
    return result;
  };
  const sim = time("simulate", () =>
    simulateCustomers(nCustomers, { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, { p: 6, q: 4, gamma: 15 }, { seed: 7 }),
  );
  const rows = time("compress", () => compressRows(sim.x, sim.tx, sim.T));
  // Spend averages are rounded to cents, as money is, so identical spend rows merge too.
  const spend = time("compressSpend", () =>
    compressSpendRows(
      sim.x,
      Array.from(sim.m, (m) => Math.round(m * 100) / 100),
    ),
  );
  converged.bgnbd = time("fitBgNbd", () => fitBgNbd(rows)).converged;
  converged.mbgnbd = time("fitMbgNbd", () => fitMbgNbd(rows)).converged;
  if (options.pareto ?? true) converged.pnbd = time("fitParetoNbd", () => fitParetoNbd(rows)).converged;
  converged.gammagamma = time("fitGammaGamma", () => fitGammaGamma(spend)).converged;
  return { customers: nCustomers, distinctRows: rows.x.length, distinctSpendRows: spend.x.length, ms, converged };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1_000_000);
  console.log(JSON.stringify(await benchClvFit(n), null, 2));
}
