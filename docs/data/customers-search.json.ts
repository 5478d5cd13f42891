// The customer search page's data. Emitted (loaded with the page): a manifest and the top customers by revenue,
// searched in full. Written beside the site (process.env.KEHU_SHARDS_DIR, which src/report/build.ts copies into
// dist/_kehu/): every customer's search row in prefix shards (docs/components/search-shards.js), fetched as the
// user types, and every card in compact shards (packCards) of at most CARDS_PER_SHARD customers, fetched when a
// card is opened (src/report/search-index.ts, a batch of cards at a time). Both grow in number, not size, with
// the customers, so the page's load stays small. Framework's FileAttachment needs a literal name per file, hence
// files outside it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { writeSearchIndex } from "../../src/report/search-index.ts";

/** ~100 KB gzip a card shard at the demo's data; a search shard row is ~30 bytes gzip, so ~150 KB at most. */
const CARDS_PER_SHARD = 1000;
const SEARCH_ROWS_PER_SHARD = 5000;
/**
 * Loaded with the page, found by any field (region, rep, grade, ...), not just by prefix: the customers with a
 * page of their own (report.topCustomers), at least a first screen of 20, at most 2,000 (~60 KB gzip).
 */
const topRows = (topCustomers: number) => Math.min(Math.max(topCustomers, 20), 2000);

function writeShard(dir: string, index: number, content: unknown): void {
  const out = process.env.KEHU_SHARDS_DIR;
  if (!out) throw new Error("customers-search.json: KEHU_SHARDS_DIR is not set (the site is built by `kehu report`)");
  mkdirSync(join(out, dir), { recursive: true });
  writeFileSync(join(out, dir, `${index}.json`), JSON.stringify(content));
}

await emitJson(
  await withReportSource((source) =>
    writeSearchIndex(source, {
      cardsPerShard: CARDS_PER_SHARD,
      searchRowsPerShard: SEARCH_ROWS_PER_SHARD,
      topRows: topRows(source.env.topCustomers),
      write: writeShard,
    }),
  ),
);
