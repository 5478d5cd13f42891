// The customer search page: every customer's card, compact (see packCards): the newest visit, complaint and
// invoice with the totals, and the purchase timeline aggregated by month, so the page can show any card without a
// server while the file stays small.
import { buildCards, packCards, topCustomerIds } from "../../src/report/cards.ts";
import { emitJson, withReportSource } from "../../src/report/marts.ts";

await emitJson(
  await withReportSource(async (source) => {
    const pageIds = new Set(await topCustomerIds(source, source.env.topCustomers));
    const cards = await buildCards(source, { ids: null, listLimit: 1, pageIds });
    return { available: source.has("customer_summary") || source.tables.includes("customers"), ...packCards(cards) };
  }),
);
