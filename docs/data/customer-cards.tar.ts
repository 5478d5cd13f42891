// The data of every customer card page (docs/customers/[id].md): one <slug>.json per top customer, in one archive
// that Framework unpacks (data/customer-cards/<slug>.json).
import { buildCards, topCustomerIds } from "../../src/report/cards.ts";
import { withReportSource } from "../../src/report/marts.ts";
import { tarArchive } from "../../src/report/tar.ts";

const archive = await withReportSource(async (source) => {
  const ids = await topCustomerIds(source, source.env.topCustomers);
  const cards = ids.length ? await buildCards(source, { ids, listLimit: 30, pageIds: new Set(ids) }) : [];
  return tarArchive(cards.map((card) => ({ name: `${card.slug}.json`, content: JSON.stringify(card) })));
});
await new Promise<void>((done, fail) => process.stdout.write(archive, (error) => (error ? fail(error) : done())));
