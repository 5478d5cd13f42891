// The customer search page's index: one compact row per customer with what the search matches on. The cards
// themselves come from customer-shards.tar (one shard loaded when a card is opened), so the page stays small.
import { buildCards } from "../../src/report/cards.ts";
import { emitJson, withReportSource } from "../../src/report/marts.ts";

await emitJson(
  await withReportSource(async (source) => {
    const cards = await buildCards(source, { ids: null, listLimit: 0, pageIds: new Set() });
    const fields = ["id", "name", "region", "industry", "sales_rep", "grade", "segment"];
    const rows = cards.map((c) => {
      const row = [c.id, c.profile?.name ?? null, c.profile?.region ?? null, c.profile?.industry ?? null,
        c.profile?.sales_rep ?? null, c.grade?.grade ?? null, c.segment?.rfm_segment ?? null];
      while (row.length && row[row.length - 1] === null) row.pop();
      return row;
    });
    return { available: source.has("customer_summary") || source.tables.includes("customers"), fields, rows };
  }),
);
