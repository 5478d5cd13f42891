// The customer search page's data. Emitted (loaded with the page): a manifest and the top customers by revenue,
// searched in full. Written beside the site (process.env.KEHU_SHARDS_DIR, which src/report/build.ts copies into
// dist/_kehu/): every customer's search row in prefix shards (docs/components/search-shards.js), fetched as the
// user types, and every card in compact shards (packCards) of at most CARDS_PER_SHARD customers, fetched when a
// card is opened. Both grow in number, not size, with the customers, so the page's load stays small. Framework's
// FileAttachment needs a literal name per file, hence files outside it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCards, packCards, topCustomerIds, type CustomerCard } from "../../src/report/cards.ts";
import { emitJson, withReportSource } from "../../src/report/marts.ts";
import { shardOf } from "../components/cards-data.js";
import { cardShardCount, searchTokens, splitByPrefix } from "../components/search-shards.js";

/** ~100 KB gzip a card shard at the demo's data; a search shard row is ~30 bytes gzip, so ~150 KB at most. */
const CARDS_PER_SHARD = 1000;
const SEARCH_ROWS_PER_SHARD = 5000;
/**
 * Loaded with the page, found by any field (region, rep, grade, ...), not just by prefix: the customers with a
 * page of their own (report.topCustomers), at least a first screen of 20, at most 2,000 (~60 KB gzip).
 */
const topRows = (topCustomers: number) => Math.min(Math.max(topCustomers, 20), 2000);

function writeShards(dir: string, files: unknown[]): void {
  if (!files.length) return;
  const out = process.env.KEHU_SHARDS_DIR;
  if (!out) throw new Error("customers-search.json: KEHU_SHARDS_DIR is not set (the site is built by `kehu report`)");
  mkdirSync(join(out, dir), { recursive: true });
  files.forEach((content, i) => writeFileSync(join(out, dir, `${i}.json`), JSON.stringify(content)));
}

await emitJson(
  await withReportSource(async (source) => {
    const pageIds = new Set(await topCustomerIds(source, source.env.topCustomers));
    const cards = await buildCards(source, { ids: null, listLimit: 1, pageIds, trendLimit: 12 });
    cards.sort(
      (a, b) =>
        (b.summary?.revenue ?? -Infinity) - (a.summary?.revenue ?? -Infinity) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    const withPhone = !source.env.maskPii;
    const fields = [
      "id",
      "name",
      "region",
      "industry",
      "sales_rep",
      "grade",
      "segment",
      ...(withPhone ? ["phone"] : []),
    ];
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
      { length: cards.length ? cardShardCount(cards.length, CARDS_PER_SHARD) : 0 },
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
    const { prefixes, shards } = splitByPrefix(entries, SEARCH_ROWS_PER_SHARD);
    writeShards("search", shards);
    return {
      available: source.has("customer_summary") || source.tables.includes("customers"),
      fields,
      total: cards.length,
      rows: rows.slice(0, topRows(source.env.topCustomers)),
      prefixes,
      cardShards: cardShards.length,
    };
  }),
);
