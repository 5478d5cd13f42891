/**
 * Customer cards (客户卡): everything the card shows about one customer, gathered from the marts and tables. The
 * same builder feeds the per-customer pages (long lists) and the search page (every customer, short lists), so
 * both show the same card. Missing marts or sources leave their part of the card null/empty.
 */
import { customerSlug, resolveAsOf, type ReportSource } from "./marts.ts";

export interface CustomerCard {
  id: string;
  slug: string;
  /** Whether the customer has a page of its own (top customers), else it is shown by the search page. */
  page: boolean;
  profile: Record<string, string | number | null> | null;
  summary: { revenue: number; orders: number; first_purchase: string; last_purchase: string } | null;
  grade: { grade: string; grade_score: number } | null;
  segment: { rfm_segment: string; r_score: number; f_score: number; m_score: number } | null;
  quadrant: { quadrant: string; strategy_zh: string | null; strategy_en: string | null } | null;
  clv: { clv: number; p_alive: number; expected_purchases: number | null; model: string | null } | null;
  /** On today's churn list (churn_risk): rank, reasons and the expected loss = P(lapse) x yearly value. */
  churn: {
    reasons: string[];
    value_at_risk: number | null;
    rank: number | null;
    expected_loss: number | null;
    p_lapse: number | null;
    value_if_retained: number | null;
  } | null;
  /** In the follow-up queue (followup_queue): the suggested next action and what the call is worth. */
  action: {
    sales_rep: string | null;
    priority: number;
    is_today: boolean;
    next_action: string;
    next_action_zh: string | null;
    next_action_en: string | null;
    call_value: number | null;
  } | null;
  /** [as_of "YYYY-MM-DD", P(alive), CLV] per run (customer_snapshots), oldest first, the latest `trendLimit`. */
  trend: [string, number | null, number | null][];
  /** [month "YYYY-MM", net revenue, orders] per month with purchases. */
  timeline: [string, number, number][];
  visits: { total: number; rows: Record<string, unknown>[] };
  complaints: { total: number; open: number; rows: Record<string, unknown>[] };
  invoices: { total: number; overdue_amount: number; rows: Record<string, unknown>[] };
}

export interface CardOptions {
  /** Only these customer ids (null: every customer). */
  ids: string[] | null;
  /** Rows kept per list (visits, complaints, invoices), newest first. */
  listLimit: number;
  /** Ids that have their own page. */
  pageIds?: Set<string>;
  /** Snapshots kept per customer for the P(alive)/CLV trend, the latest (default 24). */
  trendLimit?: number;
}

const PROFILE_COLUMNS = [
  "name",
  "phone",
  "email",
  "address",
  "region",
  "industry",
  "sales_rep",
  "signup_date",
  "credit_limit",
  "decision_maker",
];

/** Ids of the top `n` customers by revenue to date (same order as the build's page list). */
export async function topCustomerIds(source: ReportSource, n: number): Promise<string[]> {
  if (n <= 0 || !source.has("customer_summary")) return [];
  const rows = await source.query<{ id: string }>(
    `select customer_id::varchar as id from customer_summary order by revenue desc nulls last, customer_id limit ${Math.floor(n)}`,
  );
  return rows.map((r) => r.id);
}

/** The customers that have a card: everyone with a purchase or a customer record (one `customer_id` column). */
export function cardUniverseSql(source: ReportSource): string {
  const universe = [
    source.has("customer_summary") ? "select customer_id::varchar as customer_id from customer_summary" : null,
    "select customer_id::varchar as customer_id from customers",
  ].filter(Boolean);
  return `select distinct customer_id from (${universe.join(" union all ")}) where customer_id is not null`;
}

export async function buildCards(source: ReportSource, options: CardOptions): Promise<CustomerCard[]> {
  const cards: CustomerCard[] = [];
  await buildCardBatches(source, options.ids ? [options.ids] : null, options, (batch) => {
    cards.push(...batch);
  });
  return cards;
}

/**
 * Cards for several batches of customers (`batches`: ids per batch; null: every customer in one batch), handed to
 * `onBatch` one batch at a time, each batch's cards ordered by id. Each source is queried ONCE for every batch's
 * customers into a DuckDB temp table tagged with the batch, and each batch read back from those tables: the search
 * page builds the cards of 1M customers 50,000 at a time (memory), and querying the marts and transactions per
 * batch re-read and re-aggregated 11M transactions twenty times over (issue 12: the loader was most of `kehu
 * report` at 1M). A batch's cards are the same whichever batches it is built with (tested).
 */
export async function buildCardBatches(
  source: ReportSource,
  batches: string[][] | null,
  options: Omit<CardOptions, "ids">,
  onBatch: (cards: CustomerCard[], batch: number) => void | Promise<void>,
): Promise<void> {
  const asOf = await resolveAsOf(source);
  const asOfSql = asOf ? `date '${asOf}'` : "current_date";
  // The set of customers with the batch each is in.
  if (batches) {
    await source.exec("create or replace temp table card_wanted (customer_id varchar, batch integer)");
    await source.insertRows(
      "card_wanted",
      ["customer_id", "batch"],
      batches.flatMap((ids, batch) => ids.map((id) => [id, batch])),
    );
    await source.exec(
      `create or replace temp table card_ids as
       select u.customer_id, w.batch from (${cardUniverseSql(source)}) u join (select distinct customer_id, batch from card_wanted) w using (customer_id)`,
    );
  } else {
    await source.exec(
      `create or replace temp table card_ids as select customer_id, 0 as batch from (${cardUniverseSql(source)})`,
    );
  }
  // Each part: one query over every batch (it joins card_ids and selects card_ids.batch last), kept in a temp table.
  const parts: { name: string; orderBy: string }[] = [];
  const prepare = async (sql: string | null, orderBy = "customer_id") => {
    if (!sql) return null;
    const name = `card_part_${parts.length}`;
    await source.exec(`create or replace temp table ${name} as ${sql}`);
    parts.push({ name, orderBy });
    return parts.at(-1)!;
  };
  const join = (mart: string, columns: string) =>
    source.has(mart)
      ? `select m.customer_id::varchar as customer_id, ${columns}, card_ids.batch as batch from ${mart} m join card_ids using (customer_id)`
      : null;

  const profiles = await prepare(
    `select c.customer_id::varchar as customer_id, ${PROFILE_COLUMNS.map((c) => `c.${c}`).join(", ")}, card_ids.batch as batch
     from customers c join card_ids using (customer_id)
     qualify row_number() over (partition by c.customer_id order by c.source_line desc) = 1`,
  );
  const summaries = await prepare(
    join(
      "customer_summary",
      "m.revenue::double as revenue, m.orders::integer as orders, m.first_purchase::varchar as first_purchase, m.last_purchase::varchar as last_purchase",
    ),
  );
  const grades = await prepare(join("customer_grades", "m.grade, m.grade_score::double as grade_score"));
  const segments = await prepare(
    join(
      "rfm_scores",
      "m.rfm_segment, m.r_score::integer as r_score, m.f_score::integer as f_score, m.m_score::integer as m_score",
    ),
  );
  const quadrants = await prepare(join("value_matrix", "m.quadrant, m.strategy_zh, m.strategy_en"));
  const clvs = await prepare(
    join(
      "customer_clv",
      "m.clv::double as clv, m.p_alive::double as p_alive, m.expected_purchases::double as expected_purchases, m.model",
    ),
  );
  const churns = await prepare(
    join(
      "churn_risk",
      `coalesce(m.reasons, [])::varchar[] as reasons, m.value_at_risk::double as value_at_risk, m.rank::integer as rank,
       m.expected_loss::double as expected_loss, m.p_lapse::double as p_lapse, m.value_if_retained::double as value_if_retained`,
    ),
  );
  const actions = await prepare(
    join(
      "followup_queue",
      `m.sales_rep, m.priority::integer as priority, m.is_today, m.next_action, m.next_action_zh, m.next_action_en,
       m.call_value::double as call_value`,
    ),
  );
  const trendLimit = Math.max(0, Math.floor(options.trendLimit ?? 24));
  const trends = await prepare(
    source.has("customer_snapshots")
      ? `select s.customer_id::varchar as customer_id, s.as_of::varchar as as_of, s.p_alive::double as p_alive, s.clv::double as clv, card_ids.batch as batch
         from customer_snapshots s join card_ids using (customer_id)
         qualify row_number() over (partition by s.customer_id order by s.as_of desc) <= ${trendLimit}`
      : null,
    "customer_id, as_of",
  );
  // Months of orders: the lines summed per order first, then the orders per month (cheaper at 11M lines than a
  // count(distinct) per month).
  const timelines = await prepare(
    `with lines as (
       select t.customer_id::varchar as customer_id, card_ids.batch, date_trunc('month', t.ordered_at) as month_start,
              coalesce(t.order_id, t.ordered_at::varchar) as order_key, t.amount
       from transactions t join card_ids using (customer_id) where t.ordered_at::date <= ${asOfSql}
     ),
     orders as (select customer_id, batch, month_start, order_key, sum(amount) as amount from lines group by all),
     months as (
       select customer_id, batch, month_start, round(sum(amount), 2)::double as revenue, count(*)::integer as orders
       from orders group by all
     )
     select customer_id, strftime(month_start, '%Y-%m') as month, revenue, orders, batch from months`,
    "customer_id, month",
  );
  const limit = Math.max(0, Math.floor(options.listLimit));
  // The list's order: `orderBy` on the table's columns (x.), then the source position; kept as output columns.
  const list = (table: string, columns: string, orderBy: string, order: string, extra = "") =>
    prepare(
      `select x.customer_id::varchar as customer_id, ${columns}, count(*) over (partition by x.customer_id)::integer as n ${extra},
              x.source_file as list_file, x.source_line as list_line, card_ids.batch as batch
       from ${table} x join card_ids using (customer_id)
       qualify row_number() over (partition by x.customer_id order by ${orderBy}, x.source_file, x.source_line) <= ${limit}`,
      `customer_id, ${order}, list_file, list_line`,
    );
  const visits = await list(
    "visits",
    "x.visited_at::date::varchar as visited_at, x.kind, x.sales_rep, x.outcome, x.notes, x.visited_at as list_key",
    "x.visited_at desc",
    "list_key desc",
  );
  const complaints = await list(
    "complaints",
    "x.opened_at::date::varchar as opened_at, x.resolved_at::date::varchar as resolved_at, x.category, x.severity, x.opened_at as list_key",
    "x.opened_at desc",
    "list_key desc",
    ", count(*) filter (where x.resolved_at is null) over (partition by x.customer_id)::integer as open",
  );
  const invoices = await list(
    "invoices",
    "x.issued_at::varchar as issued_at, x.due_at::varchar as due_at, x.amount::double as amount, x.paid_at::varchar as paid_at, x.paid_amount::double as paid_amount, x.issued_at as list_key",
    "x.issued_at desc",
    "list_key desc",
    `, sum(case when x.due_at < ${asOfSql} and (x.paid_at is null or x.paid_at > ${asOfSql}) then x.amount - coalesce(x.paid_amount, 0) else 0 end) over (partition by x.customer_id)::double as overdue`,
  );

  const LIST_COLUMNS = ["list_key", "list_file", "list_line"];
  const read = async <T extends { customer_id: string }>(
    part: { name: string; orderBy: string } | null,
    batch: number,
  ): Promise<T[]> =>
    part
      ? source.query<T>(`select * exclude (batch) from ${part.name} where batch = ${batch} order by ${part.orderBy}`)
      : [];
  // A part's rows without customer_id, the list sort columns and `drop`: the kept keys found once per query (every
  // row of a query has the same keys), not per row (1M customers x 12 parts).
  const stripper = (...drop: string[]) => {
    let keys: string[] | null = null;
    return (r: Record<string, unknown>): Record<string, unknown> => {
      keys ??= Object.keys(r).filter((k) => k !== "customer_id" && !drop.includes(k) && !LIST_COLUMNS.includes(k));
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = r[k];
      return out;
    };
  };
  /** customer_id -> the row without customer_id (the card's section). */
  const byId = async (part: { name: string; orderBy: string } | null, batch: number) => {
    const strip = stripper();
    return new Map((await read<Row>(part, batch)).map((r) => [r.customer_id, strip(r) as never]));
  };
  const groupById = async <T extends { customer_id: string }>(
    part: { name: string; orderBy: string } | null,
    batch: number,
  ): Promise<Map<string, T[]>> => {
    const map = new Map<string, T[]>();
    for (const r of await read<T>(part, batch)) {
      const list = map.get(r.customer_id);
      if (list) list.push(r);
      else map.set(r.customer_id, [r]);
    }
    return map;
  };
  type Row = Record<string, string | number | null> & { customer_id: string };
  type ListRow = Record<string, unknown> & { customer_id: string; n: number };

  for (let batch = 0; batch < (batches ? batches.length : 1); batch++) {
    const ids = (
      await source.query<{ customer_id: string }>(
        `select customer_id from card_ids where batch = ${batch} order by customer_id`,
      )
    ).map((r) => r.customer_id);
    // One query at a time: they share the source's one connection.
    const maps: Map<string, never>[] = [];
    for (const p of [profiles, summaries, grades, segments, quadrants, clvs, churns, actions])
      maps.push(await byId(p, batch));
    const [profile, summary, grade, segment, quadrant, clv, churn, action] = maps;
    const trend = await groupById<{ customer_id: string; as_of: string; p_alive: number | null; clv: number | null }>(
      trends,
      batch,
    );
    const timeline = await groupById<{ customer_id: string; month: string; revenue: number; orders: number }>(
      timelines,
      batch,
    );
    const visit = await groupById<ListRow>(visits, batch);
    const complaint = await groupById<ListRow>(complaints, batch);
    const invoice = await groupById<ListRow>(invoices, batch);
    const [visitRow, complaintRow, invoiceRow] = [stripper("n"), stripper("n", "open"), stripper("n", "overdue")];
    await onBatch(
      ids.map((id) => {
        const v = visit.get(id) ?? [];
        const c = complaint.get(id) ?? [];
        const inv = invoice.get(id) ?? [];
        return {
          id,
          slug: customerSlug(id),
          page: options.pageIds?.has(id) ?? false,
          profile: profile.get(id) ?? null,
          summary: summary.get(id) ?? null,
          grade: grade.get(id) ?? null,
          segment: segment.get(id) ?? null,
          quadrant: quadrant.get(id) ?? null,
          clv: clv.get(id) ?? null,
          churn: churn.get(id) ?? null,
          action: action.get(id) ?? null,
          trend: (trend.get(id) ?? []).map(
            (r) => [r.as_of, r.p_alive, r.clv] as [string, number | null, number | null],
          ),
          timeline: (timeline.get(id) ?? []).map((r) => [r.month, r.revenue, r.orders] as [string, number, number]),
          visits: { total: v[0]?.n ?? 0, rows: v.map(visitRow) },
          complaints: { total: c[0]?.n ?? 0, open: Number(c[0]?.open ?? 0), rows: c.map(complaintRow) },
          invoices: {
            total: inv[0]?.n ?? 0,
            overdue_amount: Number(inv[0]?.overdue ?? 0),
            rows: inv.map(invoiceRow),
          },
        };
      }),
      batch,
    );
  }
  for (const part of parts) await source.exec(`drop table if exists ${part.name}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Compact form for the search page (every customer in one file): one array per card in a fixed field order given
// once (no repeated keys), numbers rounded, months as offsets, quadrant strategies once per quadrant. Decoded in
// the browser by docs/components/cards-data.js `unpackCards`.

export interface PackedCards {
  fields: string[];
  rows: unknown[][];
  /** First month of any timeline ("YYYY-MM"); timeline entries are [month offset, revenue, orders]. */
  timelineBase: string | null;
  strategies: Record<string, { strategy_zh: string | null; strategy_en: string | null }>;
}

const SECTION_FIELDS: Record<string, string[]> = {
  profile: [...PROFILE_COLUMNS],
  summary: ["revenue", "orders", "first_purchase", "last_purchase"],
  grade: ["grade", "grade_score"],
  segment: ["rfm_segment", "r_score", "f_score", "m_score"],
  quadrant: ["quadrant"],
  clv: ["clv", "p_alive", "expected_purchases", "model"],
  churn: ["reasons", "value_at_risk", "rank", "expected_loss", "p_lapse", "value_if_retained"],
  action: ["sales_rep", "priority", "is_today", "next_action", "next_action_zh", "next_action_en", "call_value"],
  visits: ["total", "rows"],
  complaints: ["total", "open", "rows"],
  invoices: ["total", "overdue_amount", "rows"],
};
/** Ratios keep 3 decimals; every other fractional number 2 (money). */
const FINE = new Set(["grade.grade_score", "clv.p_alive", "churn.p_lapse"]);

/** [section, fields, decimals of each field], computed once (packCards runs per card: 1M cards at 1M customers). */
const SECTION_DIGITS = Object.entries(SECTION_FIELDS).map(
  ([section, names]) => [section, names, names.map((n) => (FINE.has(`${section}.${n}`) ? 3 : 2))] as const,
);

const round = (v: unknown, digits: number) =>
  typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(digits)) : v;
const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;

export function packCards(cards: CustomerCard[]): PackedCards {
  const fields = ["id", "page", "slug", "timeline", "trend"];
  for (const [section, names] of Object.entries(SECTION_FIELDS)) for (const n of names) fields.push(`${section}.${n}`);
  let base: number | null = null;
  for (const c of cards)
    for (const [m] of c.timeline) base = base === null ? monthIndex(m) : Math.min(base, monthIndex(m));
  const strategies: PackedCards["strategies"] = {};
  const rows = cards.map((card) => {
    if (card.quadrant)
      strategies[card.quadrant.quadrant] ??= {
        strategy_zh: card.quadrant.strategy_zh,
        strategy_en: card.quadrant.strategy_en,
      };
    const row: unknown[] = [
      card.id,
      card.page ? 1 : 0,
      card.slug === card.id ? null : card.slug,
      card.timeline.map(([m, revenue, orders]) => [monthIndex(m) - base!, round(revenue, 2), orders]),
      card.trend.length ? card.trend.map(([asOf, pAlive, clv]) => [asOf, round(pAlive, 3), round(clv, 2)]) : null,
    ];
    for (const [section, names, digits] of SECTION_DIGITS) {
      const value = (card as unknown as Record<string, Record<string, unknown> | null>)[section];
      for (let i = 0; i < names.length; i++) row.push(value ? round(value[names[i]] ?? null, digits[i]) : null);
    }
    // Trailing nulls carry nothing.
    while (row.length && row[row.length - 1] === null) row.pop();
    return row;
  });
  const timelineBase = base === null ? null : `${Math.floor(base / 12)}-${String((base % 12) + 1).padStart(2, "0")}`;
  return { fields, rows, timelineBase, strategies };
}
