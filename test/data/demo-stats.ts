/**
 * Test helper: read a generated demo directory back into plain rows and measure the effects the generator is meant
 * to have (so the test checks the files, not the generator's internals).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import iconv from "iconv-lite";

export type Rows = Array<Record<string, string>>;

export function readCsv(dir: string, file: string, encoding: "utf-8" | "gbk" = "utf-8"): Rows {
  const bytes = readFileSync(join(dir, file));
  const text = encoding === "gbk" ? iconv.decode(bytes, "gbk") : bytes.toString("utf8");
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  if (parsed.errors.length) throw new Error(`${file}: ${parsed.errors[0].message} (row ${parsed.errors[0].row})`);
  return parsed.data;
}

const DAY_MS = 86_400_000;
/** Day number of a `yyyy-mm-dd[ hh:mm:ss]` value, NaN when it is not a real date. */
export function isoDay(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})( \d{2}:\d{2}:\d{2})?$/.exec(value ?? "");
  if (!m) return NaN;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  const d = new Date(ms);
  return d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3] ? ms / DAY_MS : NaN;
}

export function isValidTransaction(row: Record<string, string>): boolean {
  return row.customer_id !== "" && Number.isFinite(isoDay(row.order_date)) && /^-?\d+(\.\d+)?$/.test(row.amount);
}

/** Sorted purchase days (valid, positive amounts) per customer. */
export function purchaseDays(transactions: Rows): Map<string, number[]> {
  const byCustomer = new Map<string, number[]>();
  for (const row of transactions) {
    if (!isValidTransaction(row) || Number(row.amount) <= 0) continue;
    const days = byCustomer.get(row.customer_id) ?? [];
    days.push(isoDay(row.order_date));
    byCustomer.set(row.customer_id, days);
  }
  for (const days of byCustomer.values()) days.sort((a, b) => a - b);
  return byCustomer;
}

const anyIn = (days: number[], from: number, to: number) => days.some((d) => d >= from && d <= to);

/**
 * Share of windows with a purchase: the `window` days after each visit versus the `window` days before it, for
 * visits whose both windows lie between the customer's first purchase and the end.
 */
export function visitLift(
  transactions: Rows,
  visits: Rows,
  _endDay: number,
  window = 30,
): { after: number; before: number; n: number } {
  const days = purchaseDays(transactions);
  let after = 0;
  let before = 0;
  let n = 0;
  for (const visit of visits) {
    const buys = days.get(visit.customer_id);
    const v = isoDay(visit.visited_at);
    // Only customers still active after both windows: a visit cannot bring back someone who has left.
    if (!buys || v - window <= buys[0] || !(buys[buys.length - 1] > v + window)) continue;
    n++;
    if (anyIn(buys, v + 1, v + window)) after++;
    if (anyIn(buys, v - window, v - 1)) before++;
  }
  return { after: after / n, before: before / n, n };
}

/**
 * Share of purchases followed by another purchase within `window` days: for the purchase just before each
 * good-faith complaint versus every purchase not followed by a complaint (purchases late enough to see the window
 * end are left out).
 */
export function complaintRepurchase(
  transactions: Rows,
  complaints: Rows,
  endDay: number,
  window = 120,
): { complained: number; others: number; n: number } {
  const days = purchaseDays(transactions);
  const triggers = new Set<string>();
  for (const c of complaints) {
    if (c.good_faith !== "true") continue;
    const buys = days.get(c.customer_id);
    const opened = isoDay(c.opened_at);
    const trigger = buys?.filter((d) => d < opened).pop();
    if (trigger !== undefined && trigger + window <= endDay) triggers.add(`${c.customer_id}|${trigger}`);
  }
  let hit = 0;
  let otherHit = 0;
  let others = 0;
  for (const [customer, buys] of days) {
    buys.forEach((d, i) => {
      if (d + window > endDay || (i > 0 && buys[i - 1] === d)) return;
      const again = buys.slice(i + 1).some((x) => x > d && x <= d + window);
      if (triggers.has(`${customer}|${d}`)) hit += again ? 1 : 0;
      else {
        others++;
        otherHit += again ? 1 : 0;
      }
    });
  }
  return { complained: hit / triggers.size, others: otherHit / others, n: triggers.size };
}
