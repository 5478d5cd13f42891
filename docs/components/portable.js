// The portable one-file report (`kehu report --portable`, src/report/portable.ts bundles this into a classic
// inline script): overview, value matrix, churn risk and follow-up, drawn from the loaders' JSON embedded in the
// file (<script type="application/json" id="kehu-data">). Same sections as the site's pages (sections.js), with
// customer ids as text: the file has no customer cards to link to. Nothing is fetched.
import { makeI18n } from "./format.js";
import { el, freshness, missing } from "./page.js";
import * as S from "./sections.js";

const CSS = `
:root{--theme-foreground:#1b1e23;--theme-foreground-muted:#5f6672;--theme-foreground-faint:#9aa0a6;--theme-foreground-faintest:#e3e5e8;
  --theme-foreground-focus:#3b5fc0;--theme-background:#fff;--theme-background-alt:#f7f8fa;color-scheme:light}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:var(--theme-foreground);background:var(--theme-background)}
main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.8rem;margin:.5rem 0}h2{font-size:1.3rem;margin:1.6rem 0 .6rem}
section.kehu-page{border-top:2px solid var(--theme-foreground-faintest);margin-top:2rem}
nav.kehu-contents a{margin-right:1rem}
a{color:var(--theme-foreground-focus)}
.kehu-xlsx{display:none}
label.kehu-rep{display:inline-flex;gap:.5rem;align-items:center;margin:.5rem 0}
@media (max-width:640px){main{padding:.5rem .75rem 2rem}}
@media print{nav.kehu-contents,label.kehu-rep{display:none}section.kehu-page{break-before:page;border:0}}
`;

/** A node's links as plain text (the file has no other pages to go to). */
function unlink(node) {
  for (const a of node.querySelectorAll("a")) a.replaceWith(a.textContent);
  return node;
}

const asText = (id, text) => text ?? id;

function page(id, title, ...children) {
  const s = el("section", null, "kehu-page");
  s.id = id;
  s.append(el("h2", title), ...children.flat().filter(Boolean));
  return s;
}

function overviewPage(fmt, meta, overview) {
  const window = overview.window
    ? el(
        "p",
        fmt.t("overview.window", {
          n: overview.windowMonths,
          from: fmt.date(overview.window.from),
          to: fmt.date(overview.window.to),
        }),
      )
    : null;
  return page(
    "overview",
    fmt.t("overview.title"),
    window,
    el("h3", fmt.t("overview.calls.title")),
    S.topCalls(fmt, meta, overview, asText),
    el("h3", fmt.t("overview.kpis")),
    S.overviewKpis(fmt, overview),
    el("h3", fmt.t("overview.revenue_by_period")),
    S.revenueByMonth(fmt, meta, overview),
  );
}

function valueMatrixPage(fmt, meta, data) {
  const title = fmt.t("nav.value-matrix");
  if (!data.available) return page("value-matrix", title, missing(fmt, "value_matrix"));
  return page("value-matrix", title, el("p", fmt.t("vm.intro")), S.valueMatrix(fmt, meta, data));
}

function churnPage(fmt, meta, data) {
  const title = fmt.t("nav.churn");
  if (!data.available) return page("churn", title, missing(fmt, "churn_risk"));
  if (!data.totals.customers) return page("churn", title, el("p", fmt.t("churn.none")));
  return page(
    "churn",
    title,
    el("p", fmt.t("churn.intro")),
    S.churnKpis(fmt, data),
    el("h3", fmt.t("churn.list.title")),
    S.churnList(fmt, meta, data, asText),
    el("h3", fmt.t("churn.reasons.title")),
    S.churnReasons(fmt, meta, data),
  );
}

/** Today's list of every rep, or of the rep picked (the file holds each rep's today list, not the whole queue). */
function followupPage(fmt, meta, data) {
  const title = fmt.t("nav.followup");
  if (!data.has.followup_queue) return page("followup", title, missing(fmt, "followup_queue"));
  if (!data.queue.length) return page("followup", title, el("p", fmt.t("portable.no_followup")));
  const picker = el("label", fmt.t("followup.rep"), "kehu-rep");
  const select = document.createElement("select");
  for (const rep of [null, ...data.byRep.map((r) => r.sales_rep)]) {
    const option = el(
      "option",
      rep === null ? fmt.t("followup.all_reps") : rep === "unassigned" ? fmt.code("placeholder", rep) : rep,
    );
    option.value = rep ?? "";
    select.append(option);
  }
  picker.append(select);
  const list = el("div");
  const show = () => {
    const rep = select.value || null;
    const rows = rep === null ? data.queue : data.queue.filter((r) => r.sales_rep === rep);
    const total = (rep === null ? data.byRep : data.byRep.filter((r) => r.sales_rep === rep)).reduce(
      (n, r) => n + r.customers,
      0,
    );
    // The table's bar says "showing 20 of 138" (the rep's list for today of the rep's whole queue).
    list.replaceChildren(S.followupTable(fmt, meta, rows, { filename: "followup-today", total, card: asText }));
  };
  select.addEventListener("change", show);
  show();
  return page(
    "followup",
    title,
    el("p", fmt.t("portable.followup_note")),
    picker,
    list,
    el("h3", fmt.t("followup.by_reason")),
    S.followupReasons(fmt, meta, data.byReason),
  );
}

function render() {
  const { meta, overview, valueMatrix, churn, followup } = JSON.parse(document.getElementById("kehu-data").textContent);
  const fmt = makeI18n(meta.locale, meta.currency);
  const style = document.createElement("style");
  style.textContent = CSS;
  document.head.append(style);
  const title = meta.title || fmt.t("portable.title");
  document.title = title;
  const main = document.getElementById("kehu-portable");
  const contents = el("nav", `${fmt.t("portable.contents")}: `, "kehu-contents");
  for (const [id, key] of [
    ["overview", "overview.title"],
    ["value-matrix", "nav.value-matrix"],
    ["churn", "nav.churn"],
    ["followup", "nav.followup"],
  ]) {
    const a = el("a", fmt.t(key));
    a.href = `#${id}`;
    contents.append(a);
  }
  main.replaceChildren(
    el("h1", title),
    unlink(freshness(meta, fmt)),
    el("p", fmt.t("portable.note"), "kehu-kpi-note"),
    contents,
    overviewPage(fmt, meta, overview),
    valueMatrixPage(fmt, meta, valueMatrix),
    churnPage(fmt, meta, churn),
    followupPage(fmt, meta, followup),
  );
}

render();
