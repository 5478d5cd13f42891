/**
 * The customer search page's index (docs/data/customers-search.json.ts): every customer's search row, in prefix
 * shards, and every card, in card shards, written a batch of card shards at a time so that only one batch of
 * cards is ever in memory (1M cards at once ran Node out of heap), from sources queried once for all batches
 * (cards.ts buildCardBatches). The search rows come from one query, not from the cards. The output is the same as building every card at once and sorting them by revenue.
 */
import { buildCardBatches, cardUniverseSql, packCards, topCustomerIds, type CustomerCard } from "./cards.ts";
import type { ReportSource } from "./marts.ts";
import { shardOf } from "../../docs/components/cards-data.js";
import { cardShardCount, searchTokens, splitByPrefix } from "../../docs/components/search-shards.js";

export interface SearchIndexOptions {
  /** Customers per card shard (at most; shards are by hash of the id). */
  cardsPerShard: number;
  /** Rows per search prefix shard (at most, unless one token alone has more). */
  searchRowsPerShard: number;
  /** Rows of the emitted first file (the top customers by revenue). */
  topRows: number;
  /** Cards built at once (about: whole card shards at a time); bounds the memory. */
  cardsPerBatch?: number;
  /** Write shard file `index` of `dir` ("cards" or "search"). */
  write(dir: string, index: number, content: unknown): void;
}

interface SearchRow {
  id: string;
  name: string | null;
  region: string | null;
  industry: string | null;
  sales_rep: string | null;
  phone: string | null;
  grade: string | null;
  rfm_segment: string | null;
  revenue: number | null;
}

/** Writes the shards; -> what the page loads with it (manifest and top rows). */
export async function writeSearchIndex(source: ReportSource, options: SearchIndexOptions) {
  const pageIds = new Set(await topCustomerIds(source, source.env.topCustomers));
  const mart = (name: string, columns: string, alias: string) =>
    source.has(name)
      ? `left join (select customer_id::varchar as customer_id, ${columns} from ${name}) ${alias} using (customer_id)`
      : "";
  const customers = await source.query<SearchRow>(
    `select u.customer_id as id, p.name, p.region, p.industry, p.sales_rep, p.phone,
            ${source.has("customer_grades") ? "g.grade" : "null"} as grade,
            ${source.has("rfm_scores") ? "r.rfm_segment" : "null"} as rfm_segment,
            ${source.has("customer_summary") ? "s.revenue" : "null::double"} as revenue
     from (${cardUniverseSql(source)}) u
     left join (
       select c.customer_id::varchar as customer_id, c.name, c.region, c.industry, c.sales_rep, c.phone from customers c
       qualify row_number() over (partition by c.customer_id order by c.source_line desc) = 1
     ) p using (customer_id)
     ${mart("customer_summary", "revenue::double as revenue", "s")}
     ${mart("customer_grades", "grade", "g")}
     ${mart("rfm_scores", "rfm_segment", "r")}`,
  );
  // Sorted in JS, not SQL: the order of the cards (JS string order of ids, a missing revenue last).
  customers.sort(
    (a, b) => (b.revenue ?? -Infinity) - (a.revenue ?? -Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const withPhone = !source.env.maskPii;
  const fields = ["id", "name", "region", "industry", "sales_rep", "grade", "segment", ...(withPhone ? ["phone"] : [])];
  const rows = customers.map((c) => {
    const row = [
      c.id,
      c.name,
      c.region,
      c.industry,
      c.sales_rep,
      c.grade,
      c.rfm_segment,
      ...(withPhone ? [c.phone] : []),
    ];
    while (row.length && row[row.length - 1] === null) row.pop();
    return row;
  });

  const shardCount = customers.length ? cardShardCount(customers.length, options.cardsPerShard) : 0;
  const shardOfRank = customers.map((c) => shardOf(c.id, shardCount));
  const perBatch = Math.max(1, Math.floor((options.cardsPerBatch ?? 50_000) / options.cardsPerShard));
  const batchIds: string[][] = Array.from({ length: Math.ceil(shardCount / perBatch) }, () => []);
  customers.forEach((c, i) => batchIds[Math.floor(shardOfRank[i] / perBatch)].push(c.id));
  await buildCardBatches(source, batchIds, { listLimit: 1, pageIds, trendLimit: 12 }, (cards, batch) => {
    const first = batch * perBatch;
    const byId = new Map(cards.map((c) => [c.id, c]));
    const shards: CustomerCard[][] = Array.from({ length: Math.min(perBatch, shardCount - first) }, () => []);
    for (const id of batchIds[batch]) shards[shardOf(id, shardCount) - first].push(byId.get(id)!);
    shards.forEach((shard, i) => options.write("cards", first + i, packCards(shard)));
  });

  const entries: [string, unknown[]][] = [];
  customers.forEach((c, i) => {
    const phone = withPhone && c.phone != null ? String(c.phone) : null;
    for (const token of searchTokens({ id: c.id, name: c.name, phone })) entries.push([token, rows[i]]);
  });
  const { prefixes, shards } = splitByPrefix(entries, options.searchRowsPerShard);
  shards.forEach((shard: unknown, i: number) => options.write("search", i, shard));
  return {
    available: source.has("customer_summary") || source.tables.includes("customers"),
    fields,
    total: customers.length,
    rows: rows.slice(0, options.topRows),
    prefixes,
    cardShards: shardCount,
  };
}
