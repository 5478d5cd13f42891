// Codes a reader would otherwise see raw (CRM export values, model messages) and the strings of the shared
// components (tables, chart menus, units), in both locales. KNOWN_CODES lists every code the pipeline, the demo
// and the test fixtures produce; test/site/codes.test.ts fails when one lacks a translation in either locale.
// Values outside these lists are shown as exported (a CRM may use its own words).

export const KNOWN_CODES = {
  complaint_category: ["product_quality", "delivery", "service", "billing", "quality", "unknown"],
  severity: ["low", "medium", "high", "unknown"],
  visit_kind: ["store_visit", "call", "email", "event", "onsite", "phone", "unknown"],
  visit_outcome: ["positive", "neutral", "negative", "order", "follow-up", "no answer", "unknown"],
  /** Placeholders the pipeline writes into any column: shown translated by every table (table.js). */
  placeholder: ["unassigned", "unknown", "(all)"],
};

const ZH = {
  "code.complaint_category.product_quality": "产品质量",
  "code.complaint_category.delivery": "物流配送",
  "code.complaint_category.service": "服务",
  "code.complaint_category.billing": "账单结算",
  "code.complaint_category.quality": "质量",
  "code.complaint_category.unknown": "未分类",
  "code.severity.low": "低",
  "code.severity.medium": "中",
  "code.severity.high": "高",
  "code.severity.unknown": "未注明",
  "code.visit_kind.store_visit": "到店/上门拜访",
  "code.visit_kind.call": "电话",
  "code.visit_kind.email": "邮件",
  "code.visit_kind.event": "活动",
  "code.visit_kind.onsite": "上门拜访",
  "code.visit_kind.phone": "电话",
  "code.visit_kind.unknown": "未注明",
  "code.visit_outcome.positive": "积极",
  "code.visit_outcome.neutral": "一般",
  "code.visit_outcome.negative": "消极",
  "code.visit_outcome.order": "下单",
  "code.visit_outcome.follow-up": "待跟进",
  "code.visit_outcome.no answer": "未接通",
  "code.visit_outcome.unknown": "未注明",
  "code.placeholder.unassigned": "未分配",
  "code.placeholder.unknown": "未注明",
  "code.placeholder.(all)": "全部",
  "list.separator": "、",
  "table.showing": "显示 {shown} 行，共 {total} 行",
  "table.rows": "共 {n} 行",
  "table.sort": "点击排序",
  "table.download_xlsx": "下载 Excel",
  "table.empty": "没有符合条件的行",
  "chart.menu.svg": "另存为 SVG",
  "chart.menu.png": "另存为 PNG",
  "chart.menu.open": "图表菜单",
  "unit.wan": "万",
  "unit.yi": "亿",
  "unit.pp": "{value} 个百分点",
  "unit.days": "{n} 天",
  "model.msg.simplex_converged": "单纯形法已收敛",
  "model.msg.nm_stopped": "Nelder-Mead 迭代 {n} 次后仍未收敛",
  "model.msg.gradient_small": "梯度范数 {g} 低于容差，已收敛",
  "model.msg.line_search_exhausted": "线搜索结束（梯度范数 {g}）",
  "model.msg.line_search_failed": "线搜索失败（梯度范数 {g}）",
  "model.msg.bfgs_stopped": "BFGS 迭代 {n} 次后仍未收敛",
  "model.msg.no_customers": "没有可拟合的客户",
  "model.msg.start_not_finite": "起点处目标函数无有限值",
  "model.msg.gradient_not_finite": "梯度无有限值",
  "model.msg.q_le_1": "q = {q} ≤ 1：总体平均消费无穷大，未采用",
  "model.msg.boundary": "有参数到达取值范围边界：这些数据无法识别该模型",
  "model.msg.fit_failed": "拟合失败：{reason}",
  "model.msg.other": "{text}",
  "reject.missing": "缺少必填值",
  "reject.number": "不是数字",
  "reject.separator": "千位分隔符位置不对",
  "reject.date": "日期格式不符（应为 {format}）",
  "reject.window": "日期超出合理范围 {min} 至 {max}",
  "reject.yesno": "不是“是/否”值",
  "reject.fields": "字段数不对：应为 {expected}，实为 {found}",
  "reject.duplicate": "文件内 {key} 重复（保留第一条）",
  "reject.encoding": "含有无效字符（编码不符）",
};

const EN = {
  "code.complaint_category.product_quality": "Product quality",
  "code.complaint_category.delivery": "Delivery",
  "code.complaint_category.service": "Service",
  "code.complaint_category.billing": "Billing",
  "code.complaint_category.quality": "Quality",
  "code.complaint_category.unknown": "Uncategorised",
  "code.severity.low": "Low",
  "code.severity.medium": "Medium",
  "code.severity.high": "High",
  "code.severity.unknown": "Not given",
  "code.visit_kind.store_visit": "Store / site visit",
  "code.visit_kind.call": "Call",
  "code.visit_kind.email": "Email",
  "code.visit_kind.event": "Event",
  "code.visit_kind.onsite": "On-site visit",
  "code.visit_kind.phone": "Phone",
  "code.visit_kind.unknown": "Not given",
  "code.visit_outcome.positive": "Positive",
  "code.visit_outcome.neutral": "Neutral",
  "code.visit_outcome.negative": "Negative",
  "code.visit_outcome.order": "Order",
  "code.visit_outcome.follow-up": "Follow-up",
  "code.visit_outcome.no answer": "No answer",
  "code.visit_outcome.unknown": "Not given",
  "code.placeholder.unassigned": "Unassigned",
  "code.placeholder.unknown": "Not given",
  "code.placeholder.(all)": "All",
  "list.separator": ", ",
  "table.showing": "Showing {shown} of {total} rows",
  "table.rows": "{n} rows",
  "table.sort": "Click to sort",
  "table.download_xlsx": "Download Excel",
  "table.empty": "No matching rows",
  "chart.menu.svg": "Save as SVG",
  "chart.menu.png": "Save as PNG",
  "chart.menu.open": "Chart menu",
  "unit.wan": "",
  "unit.yi": "",
  "unit.pp": "{value} pp",
  "unit.days": "{n} days",
  "model.msg.simplex_converged": "Simplex converged",
  "model.msg.nm_stopped": "Nelder-Mead stopped after {n} iterations without converging",
  "model.msg.gradient_small": "Converged: gradient norm {g} below tolerance",
  "model.msg.line_search_exhausted": "Line search exhausted at gradient norm {g}",
  "model.msg.line_search_failed": "Line search failed at gradient norm {g}",
  "model.msg.bfgs_stopped": "BFGS stopped after {n} iterations without converging",
  "model.msg.no_customers": "No customers to fit",
  "model.msg.start_not_finite": "The objective is not finite at the start point",
  "model.msg.gradient_not_finite": "The gradient is not finite",
  "model.msg.q_le_1": "q = {q} ≤ 1: the population mean spend is infinite; not used",
  "model.msg.boundary": "A parameter ran to the edge of its range: the model is not identified by these data",
  "model.msg.fit_failed": "Fit failed: {reason}",
  "model.msg.other": "{text}",
  "reject.missing": "Missing required value",
  "reject.number": "Not a number",
  "reject.separator": "Thousands separator in the wrong place",
  "reject.date": "Not a date in format {format}",
  "reject.window": "Date outside the plausible window {min} to {max}",
  "reject.yesno": "Not a yes/no value",
  "reject.fields": "Wrong number of fields: expected {expected}, found {found}",
  "reject.duplicate": "Duplicate {key} in the file (first kept)",
  "reject.encoding": "Invalid characters (wrong encoding)",
};

export const CODE_STRINGS = { "zh-CN": ZH, en: EN };

/** Model messages of src/pipelines/clv (optimize.ts, models.ts, steps.ts) -> [key, params]. */
const MODEL_MESSAGES = [
  [/^simplex converged$/, "simplex_converged", () => ({})],
  [/^Nelder-Mead stopped after (\d+) iterations/, "nm_stopped", (m) => ({ n: m[1] })],
  [/^gradient norm (\S+) below tolerance$/, "gradient_small", (m) => ({ g: m[1] })],
  [/^line search exhausted at gradient norm (\S+)$/, "line_search_exhausted", (m) => ({ g: m[1] })],
  [/^line search failed at gradient norm (\S+)$/, "line_search_failed", (m) => ({ g: m[1] })],
  [/^BFGS stopped after (\d+) iterations/, "bfgs_stopped", (m) => ({ n: m[1] })],
  [/^no customers to fit$/, "no_customers", () => ({})],
  [/^objective is not finite at the start point$/, "start_not_finite", () => ({})],
  [/^gradient is not finite$/, "gradient_not_finite", () => ({})],
  [/^q = (\S+) <= 1/, "q_le_1", (m) => ({ q: m[1] })],
  [/^a parameter ran to the edge of its range/, "boundary", () => ({})],
  [/^fit failed: (.*)$/s, "fit_failed", (m) => ({ reason: m[1] })],
];

/** Reasons `kehu ingest` gives for a rejected row (src/data/ingest.ts, values.ts, encoding.ts) -> [key, params]. */
const REJECT_REASONS = [
  [/^missing required value$/, "missing", () => ({})],
  [/^not a number/, "number", () => ({})],
  [/^thousands separator/, "separator", () => ({})],
  [/^not a date in format (.*)$/, "date", (m) => ({ format: m[1] })],
  [/^date outside the plausible window (\S+) to (\S+)/, "window", (m) => ({ min: m[1], max: m[2] })],
  [/^not a yes\/no value/, "yesno", () => ({})],
  [/^expected (\d+) fields, found (\d+)$/, "fields", (m) => ({ expected: m[1], found: m[2] })],
  [/^duplicate (\S+) in this file/, "duplicate", (m) => ({ key: m[1] })],
  [/byte \d+ of the line/, "encoding", () => ({})],
];

function messageKey(list, prefix, message) {
  for (const [re, key, params] of list) {
    const m = re.exec(String(message ?? ""));
    if (m) return [`${prefix}.${key}`, params(m)];
  }
  return null;
}

/** The key and params of a model message, or null when it is not one kehu writes. */
export const modelMessageKey = (message) => messageKey(MODEL_MESSAGES, "model.msg", message);
/** The key and params of a rejection reason, or null when it is not one kehu writes. */
export const rejectReasonKey = (reason) => messageKey(REJECT_REASONS, "reject", reason);
