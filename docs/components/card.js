// The customer card (客户卡), shared by the per-customer pages and the search page. Input: one card object from
// src/report/cards.ts. Everything is written with textContent (customer data is never parsed as HTML).
import { chart } from "./chart.js";
import { el, joinList, miniTable } from "./page.js";

function dl(pairs) {
  const list = document.createElement("dl");
  for (const [label, value] of pairs) list.append(el("dt", label), el("dd", value));
  return list;
}

function section(title, ...children) {
  const s = document.createElement("section");
  s.append(el("h3", title), ...children.filter(Boolean));
  return s;
}

function listSection(fmt, title, block, columns, extra, source, sources) {
  // An export that was never configured is "no data", not "none".
  if (sources && source && !sources[source])
    return section(title, el("p", fmt.t("card.no_source", { source }), "kehu-kpi-note"));
  if (!block || block.total === 0) return section(title, el("p", fmt.t("common.none")));
  const more =
    block.total > block.rows.length
      ? el("p", fmt.t("card.more", { n: fmt.integer(block.total - block.rows.length) }), "kehu-kpi-note")
      : null;
  return section(`${title} (${fmt.integer(block.total)})`, extra, miniTable(block.rows, columns, null), more);
}

/** The suggested next action when the customer is in a rep's follow-up queue. */
function actionSection(card, fmt) {
  const t = fmt.t;
  const a = card.action;
  if (!a) return section(t("card.next_action"), el("p", t("card.no_action")));
  const text = (fmt.locale === "en" ? a.next_action_en : a.next_action_zh) ?? t(`followup.action.${a.next_action}`);
  return section(
    t("card.next_action"),
    el("p", text, "kehu-card-action"),
    dl([
      [t("card.sales_rep"), a.sales_rep ?? fmt.na],
      [t("card.call_value"), fmt.money(a.call_value)],
      [
        t("card.queue_place"),
        t(a.is_today ? "card.queue_today" : "card.queue_later", { priority: fmt.integer(a.priority) }),
      ],
    ]),
  );
}

/** P(alive) and CLV at each run (customer_snapshots): a line chart and the numbers, from the second run on. */
function trendSection(card, fmt) {
  const t = fmt.t;
  const trend = card.trend ?? [];
  const s = section(t("card.trend"));
  if (trend.length < 2) {
    s.append(el("p", t(trend.length ? "card.trend_one" : "card.trend_none"), "kehu-kpi-note"));
    return s;
  }
  const values = trend.map(([as_of, p_alive, clv]) => ({ as_of, p_alive, clv }));
  const x = {
    field: "as_of",
    type: "temporal",
    title: t("card.as_of"),
    axis: { format: "%Y-%m-%d", labelAngle: 0, tickCount: Math.min(values.length, 6) },
  };
  const tooltip = [
    { field: "as_of", type: "temporal", title: t("card.as_of"), format: "%Y-%m-%d" },
    { field: "clv", type: "quantitative", title: t("card.clv"), format: ",.0f" },
    { field: "p_alive", type: "quantitative", title: t("card.p_alive"), format: ".1%" },
  ];
  s.append(
    chart(
      {
        height: 160,
        data: { values },
        layer: [
          {
            mark: { type: "line", point: true, tooltip: true, color: "#4c78a8" },
            encoding: { x, y: { field: "clv", type: "quantitative", title: t("card.clv") }, tooltip },
          },
          {
            mark: { type: "line", point: true, tooltip: true, strokeDash: [4, 3], color: "#e45756" },
            encoding: {
              x,
              y: {
                field: "p_alive",
                type: "quantitative",
                title: t("card.p_alive"),
                scale: { domain: [0, 1] },
                axis: { format: "%" },
              },
              tooltip,
            },
          },
        ],
        resolve: { scale: { y: "independent" } },
      },
      { locale: fmt.locale },
    ),
    el("p", t("card.trend_note"), "kehu-kpi-note"),
    miniTable(
      values.slice(-6).reverse(),
      [
        ["as_of", t("card.as_of"), fmt.date],
        ["p_alive", t("card.p_alive"), fmt.percent],
        ["clv", t("card.clv"), fmt.money],
      ],
      null,
    ),
  );
  return s;
}

/** Monthly bars from the first purchase to the as-of month: months without a purchase are 0, not missing. */
export function monthsTo(timeline, asOf) {
  const byMonth = new Map(timeline.map(([month, revenue, orders]) => [month, { revenue, orders }]));
  const months = [...byMonth.keys()].sort();
  const last =
    asOf && /^\d{4}-\d{2}/.test(asOf) && asOf.slice(0, 7) > months[months.length - 1]
      ? asOf.slice(0, 7)
      : months[months.length - 1];
  const out = [];
  for (
    let [y, m] = months[0].split("-").map(Number);
    `${y}-${String(m).padStart(2, "0")}` <= last && out.length < 600;
    m === 12 ? ((y += 1), (m = 1)) : (m += 1)
  ) {
    const month = `${y}-${String(m).padStart(2, "0")}`;
    out.push({
      month: `${month}-01`,
      revenue: byMonth.get(month)?.revenue ?? 0,
      orders: byMonth.get(month)?.orders ?? 0,
    });
  }
  return out;
}

/** The card element for `card`; `fmt` from makeI18n; `sources`: rows per export (meta.sources), `asOf`: the data's date. */
export function customerCard(card, fmt, { sources, asOf } = {}) {
  const t = fmt.t;
  const root = el("div", null, "kehu-card");
  const p = card.profile ?? {};
  const title = el("h2", p.name ? `${p.name} · ${card.id}` : card.id);
  title.className = "kehu-card-title";
  root.append(title);

  const badges = el("p");
  const badge = (label, value) => value != null && badges.append(el("span", `${label}: ${value}`, "kehu-badge"));
  badge(t("card.grade"), card.grade?.grade);
  badge(t("card.segment"), card.segment?.rfm_segment && t(`segment.${card.segment.rfm_segment}`));
  badge(t("card.quadrant"), card.quadrant?.quadrant);
  root.append(badges);

  const grid = el("div", null, "kehu-card-grid");
  grid.append(
    section(
      t("card.profile"),
      dl([
        [t("card.customer_id"), card.id],
        [t("card.name"), p.name ?? fmt.na],
        [t("card.phone"), p.phone ?? fmt.na],
        [t("card.email"), p.email ?? fmt.na],
        [t("card.address"), p.address ?? fmt.na],
        [t("card.region"), p.region ?? fmt.na],
        [t("card.industry"), p.industry ?? fmt.na],
        [t("card.sales_rep"), p.sales_rep ?? fmt.na],
        [t("card.decision_maker"), p.decision_maker ?? fmt.na],
        [t("card.signup_date"), fmt.date(p.signup_date)],
        [t("card.credit_limit"), fmt.money(p.credit_limit)],
      ]),
    ),
    section(
      t("card.value"),
      dl([
        [t("card.revenue"), fmt.money(card.summary?.revenue)],
        [t("card.orders"), fmt.integer(card.summary?.orders)],
        [t("card.first_purchase"), fmt.date(card.summary?.first_purchase)],
        [t("card.last_purchase"), fmt.date(card.summary?.last_purchase)],
        [t("card.clv"), fmt.money(card.clv?.clv)],
        [t("card.p_alive"), fmt.percent(card.clv?.p_alive)],
        [t("card.grade"), card.grade ? `${card.grade.grade} (${fmt.number(card.grade.grade_score)})` : fmt.na],
        [
          t("card.segment"),
          card.segment
            ? `${t(`segment.${card.segment.rfm_segment}`)} (R${card.segment.r_score} F${card.segment.f_score} M${card.segment.m_score})`
            : fmt.na,
        ],
        [
          t("card.quadrant"),
          card.quadrant
            ? `${card.quadrant.quadrant} · ${(fmt.locale === "en" ? card.quadrant.strategy_en : card.quadrant.strategy_zh) ?? ""}`
            : fmt.na,
        ],
        [
          t("card.churn_list"),
          card.churn?.rank != null
            ? t("card.churn_rank", { rank: fmt.integer(card.churn.rank) })
            : t("card.not_listed"),
        ],
        ...(card.churn?.rank != null
          ? [
              [
                t("card.expected_loss"),
                `${fmt.money(card.churn.expected_loss)} (${t("card.p_lapse")} ${fmt.percent(card.churn.p_lapse)})`,
              ],
            ]
          : []),
        [
          t("card.churn_reasons"),
          card.churn?.reasons?.length
            ? joinList(
                fmt,
                card.churn.reasons.map((r) => t(`reason.${r}`)),
              )
            : t("common.none"),
        ],
      ]),
    ),
    actionSection(card, fmt),
  );
  root.append(grid);

  const timeline = section(t("card.timeline"));
  if (card.timeline.length) {
    const values = monthsTo(card.timeline, asOf);
    timeline.append(
      chart(
        {
          height: 160,
          data: { values },
          mark: { type: "bar", tooltip: true },
          encoding: {
            x: { field: "month", type: "temporal", timeUnit: "yearmonth", title: t("card.month") },
            y: { field: "revenue", type: "quantitative", title: `${t("card.month_revenue")} (${fmt.currencySymbol})` },
            tooltip: [
              { field: "month", type: "temporal", timeUnit: "yearmonth", title: t("card.month") },
              { field: "revenue", type: "quantitative", title: t("card.month_revenue"), format: ",.2f" },
              { field: "orders", type: "quantitative", title: t("card.orders") },
            ],
          },
        },
        { locale: fmt.locale },
      ),
    );
  } else timeline.append(el("p", fmt.na));
  root.append(timeline, trendSection(card, fmt));

  const lists = el("div", null, "kehu-card-lists");
  lists.append(
    listSection(
      fmt,
      t("card.visits"),
      card.visits,
      [
        ["visited_at", t("card.visited_at"), fmt.date],
        ["kind", t("card.kind"), (v) => fmt.code("visit_kind", v)],
        ["sales_rep", t("card.sales_rep")],
        ["outcome", t("card.outcome"), (v) => fmt.code("visit_outcome", v)],
      ],
      null,
      "visits",
      sources,
    ),
    listSection(
      fmt,
      t("card.complaints"),
      card.complaints,
      [
        ["opened_at", t("card.opened_at"), fmt.date],
        ["resolved_at", t("card.resolved_at"), (v) => (v ? fmt.date(v) : t("card.open"))],
        ["category", t("card.category"), (v) => fmt.code("complaint_category", v)],
        ["severity", t("card.severity"), (v) => fmt.code("severity", v)],
      ],
      null,
      "complaints",
      sources,
    ),
    listSection(
      fmt,
      t("card.invoices"),
      card.invoices,
      [
        ["issued_at", t("card.issued_at"), fmt.date],
        ["due_at", t("card.due_at"), fmt.date],
        ["amount", t("card.amount"), fmt.money],
        ["paid_at", t("card.paid_at"), (v) => (v ? fmt.date(v) : t("card.unpaid"))],
        ["paid_amount", t("card.paid_amount"), (v) => fmt.money(v ?? 0)],
      ],
      card.invoices?.overdue_amount
        ? el("p", `${t("overview.receivables_overdue")}: ${fmt.money(card.invoices.overdue_amount)}`, "kehu-down")
        : null,
      "invoices",
      sources,
    ),
  );
  root.append(lists);
  return root;
}
