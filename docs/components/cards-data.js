// Decoding of the search page's compact customer cards (src/report/cards.ts `packCards`) back into card objects
// as docs/components/card.js renders them. No imports: tests run it in Node.

const pad = (n) => String(n).padStart(2, "0");

export function unpackCards(packed) {
  const { fields, rows, timelineBase, strategies } = packed;
  const base = timelineBase ? Number(timelineBase.slice(0, 4)) * 12 + Number(timelineBase.slice(5, 7)) - 1 : 0;
  const month = (offset) => `${Math.floor((base + offset) / 12)}-${pad(((base + offset) % 12) + 1)}`;
  const sections = [...new Set(fields.filter((f) => f.includes(".")).map((f) => f.split(".")[0]))];
  return rows.map((row) => {
    const card = {};
    for (const s of sections) card[s] = {};
    fields.forEach((field, i) => {
      const value = i < row.length ? row[i] : null;
      const dot = field.indexOf(".");
      if (dot < 0) card[field] = value;
      else card[field.slice(0, dot)][field.slice(dot + 1)] = value;
    });
    // A section whose fields are all null was absent (its mart or source is missing).
    for (const s of sections) if (Object.values(card[s]).every((v) => v === null)) card[s] = null;
    card.page = card.page === 1;
    card.slug = card.slug ?? card.id;
    card.timeline = (card.timeline ?? []).map(([offset, revenue, orders]) => [month(offset), revenue, orders]);
    card.trend = card.trend ?? [];
    for (const s of ["visits", "complaints", "invoices"]) {
      card[s] = card[s] ?? { total: 0, rows: [] };
      card[s].rows = card[s].rows ?? [];
      card[s].total = card[s].total ?? 0;
    }
    card.complaints.open = card.complaints.open ?? 0;
    card.invoices.overdue_amount = card.invoices.overdue_amount ?? 0;
    if (card.quadrant)
      Object.assign(card.quadrant, strategies[card.quadrant.quadrant] ?? { strategy_zh: null, strategy_en: null });
    return card;
  });
}

/**
 * The search page's cards are split into shards (dist/_kehu/cards/<n>.json, as many as the customers need: see
 * docs/data/customers-search.json.ts) so the page fetches one shard when a card is opened: at 50k customers one
 * file of every card would be several MB. The shard of a customer is a stable hash of its id (FNV-1a) modulo the
 * number of shards, computed the same way by the loader.
 */
export function shardOf(id, shards) {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; ++i) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}
