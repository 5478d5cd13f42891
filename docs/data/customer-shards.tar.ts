// Every customer's card for the search page, in CARD_SHARDS compact files (see packCards) that Framework unpacks
// as data/customer-shards/<n>.json; the page fetches only the shard of the card it shows.
import { buildCards, packCards, topCustomerIds } from "../../src/report/cards.ts";
import { withReportSource } from "../../src/report/marts.ts";
import { tarArchive } from "../../src/report/tar.ts";
import { CARD_SHARDS, shardOf } from "../components/cards-data.js";

const archive = await withReportSource(async (source) => {
  const pageIds = new Set(await topCustomerIds(source, source.env.topCustomers));
  const cards = await buildCards(source, { ids: null, listLimit: 1, pageIds, trendLimit: 12 });
  const shards: (typeof cards)[] = Array.from({ length: CARD_SHARDS }, () => []);
  for (const card of cards) shards[shardOf(card.id)].push(card);
  return tarArchive(shards.map((shard, i) => ({ name: `${i}.json`, content: JSON.stringify(packCards(shard)) })));
});
await new Promise<void>((done, fail) => process.stdout.write(archive, (error) => (error ? fail(error) : done())));
