// The search index written a batch of cards at a time (src/report/search-index.ts) is byte for byte what the
// loader wrote when it built every card at once (issue 12: 1M cards ran Node out of heap), on the demo data.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { buildCards, packCards, topCustomerIds, type CustomerCard } from "../../src/report/cards.ts";
import { openReportSource, reportEnv, type ReportSource } from "../../src/report/marts.ts";
import { writeSearchIndex } from "../../src/report/search-index.ts";
import { shardOf } from "../../docs/components/cards-data.js";
import { cardShardCount, searchTokens, splitByPrefix } from "../../docs/components/search-shards.js";
import { exportTables, makeDemoMarts, type DemoMarts } from "../helpers/site-fixture.ts";

type Files = Record<string, string>;

/** The loader before the fix, verbatim but for the sizes and where it writes: every card in one array. */
async function allAtOnce(source: ReportSource, cardsPerShard: number, rowsPerShard: number, topRows: number) {
  const files: Files = {};
  const writeShards = (dir: string, contents: unknown[]) =>
    contents.forEach((c, i) => (files[`${dir}/${i}.json`] = JSON.stringify(c)));
  const pageIds = new Set(await topCustomerIds(source, source.env.topCustomers));
  const cards = await buildCards(source, { ids: null, listLimit: 1, pageIds, trendLimit: 12 });
  cards.sort(
    (a, b) =>
      (b.summary?.revenue ?? -Infinity) - (a.summary?.revenue ?? -Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const withPhone = !source.env.maskPii;
  const fields = ["id", "name", "region", "industry", "sales_rep", "grade", "segment", ...(withPhone ? ["phone"] : [])];
  const rowOf = (c: CustomerCard) => {
    const row = [
      c.id,
      c.profile?.name ?? null,
      c.profile?.region ?? null,
      c.profile?.industry ?? null,
      c.profile?.sales_rep ?? null,
      c.grade?.grade ?? null,
      c.segment?.rfm_segment ?? null,
      ...(withPhone ? [c.profile?.phone ?? null] : []),
    ];
    while (row.length && row[row.length - 1] === null) row.pop();
    return row;
  };
  const rows = cards.map(rowOf);
  const cardShards: CustomerCard[][] = Array.from(
    { length: cards.length ? cardShardCount(cards.length, cardsPerShard) : 0 },
    () => [],
  );
  for (const card of cards) cardShards[shardOf(card.id, cardShards.length)].push(card);
  writeShards("cards", cardShards.map(packCards));
  const entries: [string, unknown[]][] = [];
  cards.forEach((c, i) => {
    const phone = withPhone && c.profile?.phone != null ? String(c.profile.phone) : null;
    for (const token of searchTokens({ id: c.id, name: (c.profile?.name as string | null) ?? null, phone }))
      entries.push([token, rows[i]]);
  });
  const { prefixes, shards } = splitByPrefix(entries, rowsPerShard);
  writeShards("search", shards);
  files["emitted"] = JSON.stringify({
    available: source.has("customer_summary") || source.tables.includes("customers"),
    fields,
    total: cards.length,
    rows: rows.slice(0, topRows),
    prefixes,
    cardShards: cardShards.length,
  });
  return files;
}

async function inBatches(
  source: ReportSource,
  cardsPerShard: number,
  rowsPerShard: number,
  topRows: number,
  batch: number,
) {
  const files: Files = {};
  const result = await writeSearchIndex(source, {
    cardsPerShard,
    searchRowsPerShard: rowsPerShard,
    topRows,
    cardsPerBatch: batch,
    write: (dir, i, content) => (files[`${dir}/${i}.json`] = JSON.stringify(content)),
  });
  files["emitted"] = JSON.stringify(result);
  return files;
}

let demo: DemoMarts;
let tablesDir: string;
beforeAll(async () => {
  demo = await makeDemoMarts({ customers: 300 });
  tablesDir = join(demo.dir, "tables");
  await exportTables(demo.databasePath, tablesDir);
  process.env.KEHU_AS_OF = demo.asOf;
}, 300_000);
afterAll(() => {
  delete process.env.KEHU_AS_OF;
  if (demo) rmSync(demo.dir, { recursive: true, force: true });
});

describe("search index in batches of cards", () => {
  it.each([
    // [mask PII, cards per shard, search rows per shard, top rows, cards per batch]
    [true, 1000, 5000, 20, 50_000], // the loader's sizes: one card shard, one batch
    [false, 7, 40, 25, 20], // 43 card shards, 2 per batch (22 batches), many search shards, phones indexed
    [true, 10, 30, 20, 35], // 30 card shards, 3 per batch
  ])(
    "writes the same files as every card at once (maskPii %s, %i cards a shard)",
    async (mask, perShard, rows, top, batch) => {
      const source = await openReportSource(
        reportEnv({
          KEHU_MARTS_DIR: demo.martsDir,
          KEHU_TABLES_DIR: tablesDir,
          KEHU_MASK_PII: mask ? "1" : "0",
          KEHU_TOP_CUSTOMERS: "5",
        }),
      );
      try {
        const before = await allAtOnce(source, perShard, rows, top);
        const after = await inBatches(source, perShard, rows, top, batch);
        expect(Object.keys(before).length).toBeGreaterThan(perShard === 1000 ? 2 : 30);
        expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
        for (const name of Object.keys(before)) expect(after[name], name).toBe(before[name]);
        expect(JSON.parse(before.emitted).total).toBe(300);
      } finally {
        await source.close();
      }
    },
    120_000,
  );
});
