// The customer search index in prefix shards, shared by the loader (docs/data/customers-search.json.ts, building
// them) and the search page (looking them up). No imports: tests run it in Node.
//
// Every customer is indexed under its search tokens (id, name and, unmasked, phone), normalised. A shard holds
// the tokens that start with its prefix: one character (a Chinese name's first character) to begin with, a
// character more wherever a shard would pass `maxRows` (a trie cut where it is dense), so shards stay small
// whatever the number of customers and the page fetches only the one or few shards the query's prefix names.
// Written by hand: the search libraries build one in-memory index of every row, which is what this avoids.

/** Lower case, NFKC (full-width letters and digits as ASCII), no spaces. */
export function normalise(text) {
  return String(text).normalize("NFKC").toLowerCase().replace(/\s+/g, "");
}

/** The tokens a customer is found by; `phone` only unmasked (a masked phone is a pseudonym nobody types). */
export function searchTokens({ id, name, phone }) {
  const tokens = [normalise(id)];
  if (name != null) tokens.push(normalise(name));
  if (phone != null) tokens.push(String(phone).replace(/\D/g, ""));
  return [...new Set(tokens.filter((t) => t.length > 0))];
}

const head = (token, n) => Array.from(token).slice(0, n).join("");
const length = (token) => Array.from(token).length;

/**
 * Split `entries` ([token, row] pairs, in the order results should come) into prefix shards of at most
 * `maxRows` rows each, except where one token alone has more. -> {prefixes, shards}: shard i holds the rows of
 * the tokens whose longest matching prefix is prefixes[i] (a row once per shard even when two of its tokens
 * fall in it). A prefix that was split keeps the tokens no longer than itself.
 */
export function splitByPrefix(entries, maxRows) {
  const prefixes = [];
  const shards = [];
  const cut = (group, depth) => {
    const buckets = new Map();
    for (const entry of group) {
      const key = length(entry[0]) < depth ? null : head(entry[0], depth);
      const prefix = key ?? head(entry[0], depth - 1);
      if (!buckets.has(prefix)) buckets.set(prefix, { exact: key === null, entries: [] });
      buckets.get(prefix).entries.push(entry);
    }
    for (const [prefix, bucket] of buckets) {
      const rows = new Set(bucket.entries.map((e) => e[1]));
      if (bucket.exact || rows.size <= maxRows || bucket.entries.every((e) => e[0] === bucket.entries[0][0])) {
        prefixes.push(prefix);
        shards.push([...rows]);
      } else cut(bucket.entries, depth + 1);
    }
  };
  cut(entries, 1);
  return { prefixes, shards };
}

/**
 * The shards to fetch for query `q` (normalised): those whose prefix starts the query, and those the query
 * starts (a short query on a dense prefix). -> {shards: indexes, complete}: complete is false when the query
 * names more than `maxFetch` shards; then none is fetched and the page asks for more characters.
 */
export function shardsFor(prefixes, q, maxFetch = 4) {
  if (!q) return { shards: [], complete: false };
  const hit = [];
  prefixes.forEach((p, i) => {
    if (q.startsWith(p) || p.startsWith(q)) hit.push(i);
  });
  return hit.length > maxFetch ? { shards: [], complete: false } : { shards: hit, complete: true };
}

/** Whether a row's tokens match query `q` by prefix (what a shard row is found by). */
export function tokensMatch(tokens, q) {
  return tokens.some((t) => t.startsWith(q));
}

/** Card shards: as many as keep each under `perShard` customers (a shard is fetched whole when a card opens). */
export function cardShardCount(customers, perShard) {
  return Math.max(1, Math.ceil(customers / perShard));
}
