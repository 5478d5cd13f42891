// Sections that both the site's pages and the portable one-file report (portable.js) show: the overview's KPIs,
// revenue chart and top calls, the value matrix with its quadrants, the churn list and its reasons, a follow-up
// list. Each takes the page's `fmt` (format.js), `meta` and the page's loader JSON, and returns DOM nodes.
// `card(id)`: how a customer id is shown (the site links to the customer card; the portable file has no cards).
import { chart } from "./chart.js";
import { table } from "./table.js";
import { el, kpi, kpis, missing, customerLink, joinList, miniTable } from "./page.js";
import { valueMatrixSpec, quadrantTotalsSpec, QUADRANTS } from "./specs/value-matrix.js";
import { riskByReasonSpec } from "./specs/churn.js";
import { followupByReasonSpec } from "./specs/crm.js";

const linkToCard = (id, text) => customerLink(id, text ?? id, "./");

/** The next action of a follow-up row in the reader's language. */
export function actionText(fmt, meta, r) {
  return (meta.locale === "en" ? r.next_action_en : r.next_action_zh) ?? fmt.t(`followup.action.${r.next_action}`);
}

/** The overview's KPI cards: value, change vs the previous window, or "n/a" with what would enable it. */
export function overviewKpis(fmt, overview) {
  const K = overview.kpis;
  const card = (key, format, { goodWhenUp = true, note } = {}) => {
    const k = K[key];
    const change =
      k.value != null && k.previous != null && k.previous !== 0 ? (k.value - k.previous) / Math.abs(k.previous) : null;
    const hint = k.value == null && k.needs ? missing(fmt, k.needs, k.source).textContent : note;
    return kpi({ label: fmt.t(`overview.${key}`), value: format(k.value), change, fmt, goodWhenUp, note: hint });
  };
  return kpis([
    card("customers", fmt.integerShort),
    card("active_customers", fmt.integer),
    card("revenue", fmt.moneyShort),
    card("repeat_rate", fmt.percent),
    card("avg_clv", fmt.moneyShort, { note: fmt.t("overview.predicted") }),
    card("at_risk", fmt.integer, { goodWhenUp: false }),
    card("receivables_overdue", fmt.moneyShort, { goodWhenUp: false }),
  ]);
}

/** Revenue per month: the chart and its table (or what enables it). */
export function revenueByMonth(fmt, meta, overview) {
  if (!overview.revenueByMonth.length) return [missing(fmt, "transactions", "transactions")];
  const period = fmt.t("overview.period_label");
  const revenue = fmt.t("overview.revenue");
  const customers = fmt.t("overview.customers_month");
  const spec = {
    height: 240,
    data: { values: overview.revenueByMonth },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "month", type: "temporal", timeUnit: "yearmonth", title: period },
      y: { field: "revenue", type: "quantitative", title: revenue },
      tooltip: [
        { field: "month", type: "temporal", timeUnit: "yearmonth", title: period },
        { field: "revenue", type: "quantitative", title: revenue, format: ",.0f" },
        { field: "customers", type: "quantitative", title: customers },
      ],
    },
  };
  return [
    chart(spec, { locale: meta.locale }),
    table(overview.revenueByMonth, {
      columns: ["month", "revenue", "customers"],
      header: { month: period, revenue, customers },
      format: { month: fmt.month, revenue: fmt.money, customers: fmt.integer },
      locale: meta.locale,
      filename: "revenue-by-month",
      sort: "month",
      reverse: true,
    }),
  ];
}

/** Today's most valuable calls across reps (overview), or what enables them. */
export function topCalls(fmt, meta, overview, card = linkToCard) {
  if (overview.topCalls == null) return missing(fmt, "followup_queue");
  if (overview.topCalls.length === 0) return el("p", fmt.t("overview.calls.none"));
  return miniTable(overview.topCalls, [
    ["sales_rep", fmt.t("crm.col.sales_rep")],
    ["customer_id", fmt.t("col.customer"), (id, row) => card(id, row.name ? `${row.name} · ${id}` : id)],
    ["next_action", fmt.t("crm.col.next_action"), (_, r) => actionText(fmt, meta, r)],
    ["call_value", fmt.t("crm.col.call_value"), fmt.money],
  ]);
}

/** The value matrix: customers per quadrant, the scatter, the thresholds, the quadrant totals (chart and table). */
export function valueMatrix(fmt, meta, data) {
  const t = fmt.t;
  const quadrantName = (q) => t(`chart.quadrant.${q}`);
  const strategyOf = (q) => (meta.locale === "en" ? q?.strategy_en : q?.strategy_zh) ?? fmt.na;
  const byQuadrant = new Map(data.quadrants.map((q) => [q.quadrant, q]));
  const points = data.customers.map((c) => ({ ...c, label: c.name ?? c.customer_id }));
  const quadrantRows = QUADRANTS.map((q) => {
    const row = byQuadrant.get(q);
    return {
      quadrant: quadrantName(q),
      customers: row?.customers ?? 0,
      current_value: row?.current_value ?? 0,
      growth_potential: row?.growth_potential ?? 0,
      strategy: row ? strategyOf(row) : fmt.na,
    };
  });
  return [
    kpis(
      QUADRANTS.map((q) =>
        kpi({
          label: quadrantName(q),
          value: fmt.integer(byQuadrant.get(q)?.customers ?? 0),
          fmt,
          note: fmt.moneyShort(byQuadrant.get(q)?.current_value ?? 0),
        }),
      ),
    ),
    chart(
      valueMatrixSpec(points, meta.locale, {
        thresholds: { currentValue: data.thresholds.current_value, growthPotential: data.thresholds.growth_potential },
        currency: meta.currency,
      }),
      { locale: meta.locale },
    ),
    el(
      "p",
      t("vm.thresholds", {
        x: fmt.money(data.thresholds.current_value),
        y: fmt.money(data.thresholds.growth_potential),
      }),
      "kehu-kpi-note",
    ),
    el(
      "p",
      data.total > points.length
        ? t("vm.points_note", { shown: fmt.integer(points.length), total: fmt.integer(data.total) })
        : t("vm.points_note_all"),
      "kehu-kpi-note",
    ),
    el("h2", t("vm.quadrants.title")),
    chart(quadrantTotalsSpec(data.quadrants, meta.locale, { currency: meta.currency }), { locale: meta.locale }),
    table(quadrantRows, {
      columns: ["quadrant", "customers", "current_value", "growth_potential", "strategy"],
      header: {
        quadrant: t("col.quadrant"),
        customers: t("col.customers"),
        current_value: t("col.current_value"),
        growth_potential: t("col.growth_potential"),
        strategy: t("col.strategy"),
      },
      format: { customers: fmt.integer, current_value: fmt.money, growth_potential: fmt.money },
      locale: meta.locale,
      filename: "value-matrix-quadrants",
    }),
  ];
}

/** The churn page's KPIs: customers on the list, expected loss, the commonest reason. */
export function churnKpis(fmt, data) {
  const top = data.reasons[0];
  return kpis([
    kpi({ label: fmt.t("churn.kpi.customers"), value: fmt.integer(data.totals.customers), fmt }),
    kpi({ label: fmt.t("churn.kpi.expected_loss"), value: fmt.moneyShort(data.totals.expected_loss), fmt }),
    kpi({
      label: fmt.t("churn.kpi.top_reason"),
      value: top ? fmt.t(`reason.${top.reason}`) : fmt.na,
      fmt,
      note: top ? fmt.integer(top.customers) : undefined,
    }),
  ]);
}

/** The churn list (by expected loss), saying so when the loader cut it. */
export function churnList(fmt, meta, data, card = linkToCard) {
  const t = fmt.t;
  const out = [];
  if (data.totals.customers > data.list.length)
    out.push(
      el(
        "p",
        t("pages.truncated", { shown: fmt.integer(data.list.length), total: fmt.integer(data.totals.customers) }),
        "kehu-kpi-note",
      ),
    );
  const rows = data.list.map((r) => ({
    ...r,
    reasons_text: joinList(
      fmt,
      (r.reasons ?? []).map((code) => t(`reason.${code}`)),
    ),
  }));
  const columns = [
    "rank",
    "customer_id",
    "name",
    "expected_loss",
    "p_lapse",
    "value_if_retained",
    "days_silent",
    "reasons_text",
  ];
  out.push(
    table(rows, {
      columns,
      header: Object.fromEntries(columns.map((c) => [c, t(`churn.col.${c}`)])),
      format: {
        rank: fmt.integer,
        customer_id: (id) => card(id),
        expected_loss: fmt.money,
        p_lapse: fmt.percent,
        value_if_retained: fmt.money,
        days_silent: fmt.integer,
      },
      locale: meta.locale,
      filename: "churn-list",
    }),
  );
  return out;
}

/** Why customers are on the churn list: value at risk per reason (chart and table). */
export function churnReasons(fmt, meta, data) {
  const reasons = data.reasons.map((r) => ({
    ...r,
    value_at_risk: r.expected_loss,
    reason_label: fmt.t(`reason.${r.reason}`),
  }));
  return [
    chart(riskByReasonSpec(reasons, meta.locale, { currency: meta.currency }), { locale: meta.locale }),
    table(reasons, {
      columns: ["reason_label", "customers", "expected_loss"],
      header: {
        reason_label: fmt.t("col.reason"),
        customers: fmt.t("col.customers"),
        expected_loss: fmt.t("churn.col.expected_loss"),
      },
      format: { customers: fmt.integer, expected_loss: fmt.money },
      locale: meta.locale,
      filename: "churn-by-reason",
    }),
  ];
}

export const FOLLOWUP_COLUMNS = [
  "sales_rep",
  "priority",
  "customer_id",
  "name",
  "next_action",
  "call_value",
  "reasons",
  "overdue_amount",
  "last_contact",
];

/** A follow-up list (rows of the follow-up queue) with the next action and the reasons in words. */
export function followupTable(fmt, meta, rows, { filename, className, total, card = linkToCard } = {}) {
  const columns = FOLLOWUP_COLUMNS;
  return table(
    rows.map((r) => ({
      ...r,
      next_action: actionText(fmt, meta, r),
      reasons: r.reasons.map((code) => fmt.t(`followup.reason.${code}`)),
    })),
    {
      columns,
      header: Object.fromEntries(columns.map((c) => [c, fmt.t(`crm.col.${c}`)])),
      format: {
        customer_id: (id) => card(id),
        reasons: (list) => joinList(fmt, list),
        call_value: fmt.money,
        last_contact: fmt.date,
        overdue_amount: fmt.money,
      },
      locale: meta.locale,
      filename,
      className,
      total,
    },
  );
}

/** Customers per follow-up reason (rows: {reason, customers}). */
export function followupReasons(fmt, meta, counts) {
  const rows = counts.map((r) => ({ reason_label: fmt.t(`followup.reason.${r.reason}`), customers: r.customers }));
  return chart(followupByReasonSpec(rows, meta.locale), { locale: meta.locale });
}
