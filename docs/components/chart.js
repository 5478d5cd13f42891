// Charts: vega-lite specs rendered by vega-embed as SVG (tests count the marks), with the build's locale for
// axis numbers and dates, and no actions menu beyond exporting the picture.
import embed from "vega-embed";
import { resolveLocale, translate } from "./i18n.js";
import { localiseAxes, axisNumber, NUMBER_FORMAT_TYPE } from "./time-axes.js";

// d3-format / d3-time-format locale definitions, so vega's own axis labels follow report.locale.
const FORMAT_LOCALES = {
  "zh-CN": { decimal: ".", thousands: ",", grouping: [3], currency: ["¥", ""] },
  en: { decimal: ".", thousands: ",", grouping: [3], currency: ["$", ""] },
};
const TIME_LOCALES = {
  "zh-CN": {
    dateTime: "%x %A %X",
    date: "%Y/%-m/%-d",
    time: "%H:%M:%S",
    periods: ["上午", "下午"],
    days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
  },
  en: {
    dateTime: "%x, %X",
    date: "%-m/%-d/%Y",
    time: "%-I:%M:%S %p",
    periods: ["AM", "PM"],
    days: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
    shortDays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    months: [
      "January",
      "February",
      "March",
      "April",
      "May",
      "June",
      "July",
      "August",
      "September",
      "October",
      "November",
      "December",
    ],
    shortMonths: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
  },
};

const narrow = () => typeof window !== "undefined" && window.innerWidth < 640;

/**
 * Render a vega-lite spec; returns a <div class="kehu-chart"> at once and draws into it (SVG).
 * options: {locale, width} — width defaults to "container" when the spec has none.
 * Data goes in spec.data.values (inline): never a URL, the site must work offline.
 */
export function chart(spec, { locale, width } = {}) {
  const div = document.createElement("div");
  div.className = "kehu-chart";
  const loc = resolveLocale(locale);
  const full = {
    width: width ?? "container",
    autosize: { type: "fit", contains: "padding" },
    ...localiseAxes(spec, loc),
    // On a phone the legend goes under the plot, so the plot gets the whole width.
    config: {
      font: "system-ui, sans-serif",
      ...(narrow() ? { legend: { orient: "bottom", columns: 2 } } : {}),
      ...spec.config,
      customFormatTypes: true,
    },
  };
  div.ready = embed(div, full, {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
    formatLocale: FORMAT_LOCALES[loc],
    timeFormatLocale: TIME_LOCALES[loc],
    expressionFunctions: { [NUMBER_FORMAT_TYPE]: axisNumber(loc) },
    // The menu in the reader's language.
    i18n: {
      SVG_ACTION: translate(loc, "chart.menu.svg"),
      PNG_ACTION: translate(loc, "chart.menu.png"),
      CLICK_TO_VIEW_ACTIONS: translate(loc, "chart.menu.open"),
    },
    // No loader may fetch anything: specs carry their data inline.
    loader: { load: () => Promise.reject(new Error("kehu charts do not load remote data")) },
  }).catch((error) => {
    div.textContent = String(error?.message ?? error);
    div.classList.add("kehu-error");
    console.error(error);
  });
  return div;
}
