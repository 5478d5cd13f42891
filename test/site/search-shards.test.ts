// The search page's prefix shards and card shards (docs/components/search-shards.js, cards-data.js shardOf).
import { describe, expect, it } from "vitest";
import {
  cardShardCount,
  normalise,
  searchTokens,
  shardsFor,
  splitByPrefix,
  tokensMatch,
} from "../../docs/components/search-shards.js";
import { shardOf } from "../../docs/components/cards-data.js";

// 12,000 customers: ids C00000..C11999 (one dense prefix "c"), names from 6 Chinese surnames and an English one.
const SURNAMES = ["王", "李", "张", "刘", "陈", "杨"];
const customers = Array.from({ length: 12000 }, (_, i) => ({
  id: `C${String(i).padStart(5, "0")}`,
  name: i % 7 === 0 ? `Acme ${i}` : `${SURNAMES[i % 6]}${"记氏家"[i % 3]}${i}号`,
}));
const entries = customers.flatMap((c) => searchTokens(c).map((t): [string, typeof c] => [t, c]));

describe("search prefix shards", () => {
  const max = 1000;
  const { prefixes, shards } = splitByPrefix(entries, max);

  it("keeps every shard at most maxRows rows and splits where dense", () => {
    expect(prefixes.length).toBe(shards.length);
    expect(Math.max(...shards.map((s) => s.length))).toBeLessThanOrEqual(max);
    // 12,000 ids under "c" cannot fit one shard of 1,000: "c" is split into "c0", "c1", ... and further.
    expect(prefixes).not.toContain("c");
    expect(prefixes.some((p) => p.startsWith("c0"))).toBe(true);
    // Chinese names are cut by their first character first: 王 holds 2,000 - 1/7 names, so it is split again.
    expect(prefixes.some((p) => Array.from(p)[0] === "王" && Array.from(p).length > 1)).toBe(true);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it("puts every (customer, token) in exactly one shard: the one of its longest matching prefix", () => {
    for (const [token, c] of entries) {
      const holding = shards
        .map((s, i) =>
          s.includes(c) && tokensMatch(searchTokens(c), prefixes[i]) && token.startsWith(prefixes[i]) ? i : -1,
        )
        .filter((i) => i >= 0);
      expect(holding).toHaveLength(1);
    }
    // and nothing more: rows over all shards = distinct (customer, shard) pairs, each customer at most twice.
    const total = shards.reduce((n, s) => n + s.length, 0);
    expect(total).toBeLessThanOrEqual(entries.length);
    expect(total).toBeGreaterThanOrEqual(customers.length);
  });

  it("finds a customer by a prefix of its id or name, fetching few shards", () => {
    const find = (query: string) => {
      const q = normalise(query);
      const { shards: wanted, complete } = shardsFor(prefixes, q);
      const hits = new Set(
        wanted
          .flatMap((i) => shards[i])
          .filter((c) => tokensMatch(searchTokens(c), q))
          .map((c) => c.id),
      );
      return { hits, complete, fetched: wanted.length };
    };
    // C11234 lives in a shard of its own prefix, far from the first.
    const byId = find("c1123");
    expect(byId.complete).toBe(true);
    expect(byId.fetched).toBeLessThanOrEqual(2);
    expect([...byId.hits].sort()).toEqual([
      "C11230",
      "C11231",
      "C11232",
      "C11233",
      "C11234",
      "C11235",
      "C11236",
      "C11237",
      "C11238",
      "C11239",
    ]);
    // by name: 李氏… is customer i with i % 6 == 1, i % 3 == 1 -> i = 1, 7 (Acme), 13, ...: 李氏13号 is C00013.
    const byName = find("李氏13号");
    expect(byName.hits).toEqual(new Set(["C00013"]));
    // full-width input is normalised: ＡＣＭＥ 7 -> acme7 (Acme 7, Acme 70, Acme 700, ...).
    const acme = find("ＡＣＭＥ 77");
    expect(acme.hits.has("C00077")).toBe(true);
    expect(acme.hits.has("C00007")).toBe(false);
    // too short a query on a dense prefix fetches nothing and says so.
    expect(find("c")).toMatchObject({ complete: false, fetched: 0 });
    expect(find("")).toMatchObject({ complete: false, fetched: 0 });
  });

  it("cannot split one token shared by more than maxRows rows, and keeps it in one shard", () => {
    const same = Array.from({ length: 30 }, (_, i): [string, number] => ["同名", i]);
    const r = splitByPrefix([...same, ["同名二", 99]], 10);
    expect(r.prefixes).toContain("同名");
    expect(r.shards[r.prefixes.indexOf("同名")]).toHaveLength(30);
    expect(r.shards[r.prefixes.indexOf("同名二")]).toEqual([99]);
  });

  it("indexes a phone by its digits and never a missing field", () => {
    expect(searchTokens({ id: "C1", name: null, phone: "+86 139-0000-1111" })).toEqual(["c1", "8613900001111"]);
    expect(searchTokens({ id: "Ｃ１" })).toEqual(["c1"]);
  });
});

describe("card shards", () => {
  it("grow in number with the customers, each within its bound, every customer in exactly one", () => {
    expect(cardShardCount(1, 1000)).toBe(1);
    expect(cardShardCount(1000, 1000)).toBe(1);
    expect(cardShardCount(1001, 1000)).toBe(2);
    expect(cardShardCount(1_000_000, 1000)).toBe(1000);
    const n = cardShardCount(customers.length, 1000);
    const sizes = new Array(n).fill(0);
    for (const c of customers) {
      const s = shardOf(c.id, n);
      expect(Number.isInteger(s) && s >= 0 && s < n).toBe(true);
      sizes[s]++;
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(customers.length);
    // a hash, not a cut: even within 25% of 1,000 on sequential ids.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1250);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(750);
  });
});
