/** The BG/BB test data: the paper's donations file, and a seeded BG/BB simulator. */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import type { BgBbParams, BgBbRow } from "../../src/pipelines/clv/bgbb.ts";
import { beta as randomBeta, createRng } from "../../src/data/random.ts";

const DONATIONS = path.resolve(__dirname, "../../../shared/data/cdnow/donations.csv");

/** Fader, Hardie & Shang's donations data: (frequency, recency, periods = 6, weights), 11,104 donors. */
export function readDonations(): BgBbRow[] {
  return Papa.parse<BgBbRow>(readFileSync(DONATIONS, "utf8"), {
    header: true,
    dynamicTyping: true,
    skipEmptyLines: true,
  }).data;
}

/** Seeded BG/BB customers: at each of n opportunities, inactive first with probability theta, else transact with p. */
export function simulateBgBb(customers: number, params: BgBbParams, n: number, seed: number): BgBbRow[] {
  const rand = createRng(seed);
  const rows: BgBbRow[] = [];
  for (let c = 0; c < customers; c++) {
    const p = randomBeta(rand, params.alpha, params.beta);
    const theta = randomBeta(rand, params.gamma, params.delta);
    let x = 0;
    let tx = 0;
    for (let t = 1; t <= n; t++) {
      if (rand() < theta) break;
      if (rand() < p) {
        x++;
        tx = t;
      }
    }
    rows.push({ frequency: x, recency: tx, periods: n });
  }
  return rows;
}
