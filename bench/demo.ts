/**
 * Benchmark data: a big demo dataset (a million customers, about ten million transactions over three years) for
 * `npm run bench`. Deterministic like every demo, so timings compare across runs.
 */
import { generateDemo, type DemoSummary } from "../src/data/demo.ts";

export async function generateBenchData(
  dir: string,
  customers = 1_000_000,
  onProgress?: (done: number, total: number) => void,
): Promise<DemoSummary> {
  return generateDemo({ customers, seed: 20260630, outDir: dir, years: 3, end: "2026-06-30", onProgress });
}
