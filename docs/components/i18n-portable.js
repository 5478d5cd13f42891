// Strings of the portable one-file report (`kehu report --portable`, docs/components/portable.js), both locales,
// kept apart from the pages' dictionaries (i18n-zh-CN.js, i18n-en.js) and merged by i18n.js.
export const PORTABLE_STRINGS = {
  "zh-CN": {
    "portable.title": "客户分析报告",
    "portable.note":
      "这是一份可离线打开的报告快照（总览、价值矩阵、流失风险、跟进计划），无需服务器或网络，可作为邮件附件发送。完整网站（全部页面、客户卡片、Excel 下载）请用 kehu serve 打开。",
    "portable.contents": "目录",
    "portable.followup_note": "每位销售代表今天最值得跟进的客户（按通话价值排序）。",
    "portable.no_followup": "跟进队列为空。",
  },
  en: {
    "portable.title": "Customer analytics report",
    "portable.note":
      "A snapshot of the report that opens offline (overview, value matrix, churn risk, follow-up): no server, no network, fine as an e-mail attachment. For the full site (every page, customer cards, Excel downloads) open it with kehu serve.",
    "portable.contents": "Contents",
    "portable.followup_note": "Each sales rep's most valuable customers to contact today (by call value).",
    "portable.no_followup": "The follow-up queue is empty.",
  },
};
