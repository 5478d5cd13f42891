/**
 * `kehu demo`: a realistic, deterministic demo dataset in the five source files plus a kehu.config.json that loads
 * them. Same options, same bytes: every random draw comes from a seeded generator (one stream per customer, see
 * random.ts) and the end date is a parameter, never the clock.
 *
 * The purchase process is the one the CLV models assume, so the fitted models have something true to find:
 * each customer buys at their own rate (gamma-distributed across customers, Poisson in time, NBD), may drop out
 * after each purchase with their own probability (beta-distributed, BG/NBD), and spends around their own level
 * (gamma-gamma). On top: seasonality (双11, year end, 618 up; Chinese New Year down), sales visits that raise the
 * purchase rate for visitConversionDays, complaints that raise the chance of dropping out, refunds, invoices with
 * on-time / late / partial / never payers, and a few messy rows so the rejection report has something to show.
 *
 * Rows are produced customer by customer and streamed to the files in chunks, so a million customers (about ten
 * million transactions) need only a few megabytes of memory.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import iconv from "iconv-lite";
import { beta, createRng, exponential, gamma, pick, pickWeighted, randInt, type Rng } from "./random.ts";

export interface DemoOptions {
  customers: number;
  seed: number;
  outDir: string;
  /** Length of the history in years (default 2). */
  years?: number;
  /** Last day of the history, ISO date (default 2026-06-30). Also the config's analysis.asOf. */
  end?: string;
  /** Overwrite files in a directory that was not written by `kehu demo`. */
  force?: boolean;
  /** Called after each batch of customers. */
  onProgress?: (customersDone: number, customersTotal: number) => void;
}

export interface DemoSummary {
  outDir: string;
  start: string;
  end: string;
  customers: number;
  /** Rows in transactions.csv, refunds and messy rows included. */
  transactions: number;
  refunds: number;
  messyTransactions: number;
  visits: number;
  complaints: number;
  invoices: number;
  files: Record<DemoFile, string>;
}

export const DEMO_DEFAULTS = { customers: 2000, seed: 42, years: 2, end: "2026-06-30", outDir: "data/demo" } as const;

export const DEMO_FILES = {
  transactions: "transactions.csv",
  customers: "customers.csv",
  visits: "visits.csv",
  complaints: "complaints.csv",
  invoices: "invoices.csv",
  config: "kehu.config.json",
} as const;
export type DemoFile = keyof typeof DEMO_FILES;

/** Present in a directory `kehu demo` wrote, so re-running may overwrite it but a real export is never clobbered. */
export const DEMO_MARKER = ".kehu-demo";

/** canonical column -> header in the generated file (also the config's `columns` mapping). */
export const DEMO_COLUMNS = {
  transactions: {
    order_id: "order_id",
    customer_id: "customer_id",
    ordered_at: "order_date",
    amount: "amount",
    quantity: "quantity",
    product: "product",
    category: "category",
    channel: "channel",
    sales_rep: "sales_rep",
  },
  customers: {
    customer_id: "客户编号",
    name: "客户名称",
    phone: "电话",
    email: "邮箱",
    address: "地址",
    region: "区域",
    industry: "行业",
    sales_rep: "销售代表",
    signup_date: "注册日期",
    birthday: "生日",
    credit_limit: "信用额度",
    referred_by: "推荐人",
    decision_maker: "决策人",
    notes: "备注",
  },
  visits: {
    visit_id: "visit_id",
    customer_id: "customer_id",
    visited_at: "visited_at",
    kind: "kind",
    sales_rep: "sales_rep",
    outcome: "outcome",
    notes: "notes",
  },
  complaints: {
    complaint_id: "complaint_id",
    customer_id: "customer_id",
    opened_at: "opened_at",
    resolved_at: "resolved_at",
    category: "category",
    severity: "severity",
    good_faith: "good_faith",
  },
  invoices: {
    invoice_id: "invoice_no",
    customer_id: "customer_id",
    issued_at: "issue_date",
    due_at: "due_date",
    amount: "amount",
    paid_at: "paid_date",
    paid_amount: "paid_amount",
  },
} as const;

/** Headers as written (transactions carries an extra refund_of column that no canonical column maps). */
export const DEMO_HEADERS = {
  transactions: [...Object.values(DEMO_COLUMNS.transactions), "refund_of"],
  customers: Object.values(DEMO_COLUMNS.customers),
  visits: Object.values(DEMO_COLUMNS.visits),
  complaints: Object.values(DEMO_COLUMNS.complaints),
  invoices: Object.values(DEMO_COLUMNS.invoices),
} as const;

/** The one customer whose name the site's HTML-escaping test looks for. */
export const XSS_CUSTOMER_NAME = "<img src=x onerror=alert(1)>";

/**
 * The kehu.config.json that loads a demo directory. `prefix` is prepended to every path (empty for the generated
 * config, which sits beside the files; "../data/demo/" for the committed demo/kehu.config.json).
 */
export function demoConfig(end: string = DEMO_DEFAULTS.end, prefix = ""): Record<string, unknown> {
  return {
    database: `${prefix}kehu.duckdb`,
    martsDir: `${prefix}marts`,
    rejectedDir: `${prefix}rejected`,
    maxRejectRate: 0.01,
    sources: {
      transactions: {
        files: `${prefix}${DEMO_FILES.transactions}`,
        format: "csv",
        encoding: "utf-8",
        dateFormat: "ISO",
        columns: DEMO_COLUMNS.transactions,
      },
      customers: {
        files: `${prefix}${DEMO_FILES.customers}`,
        format: "csv",
        encoding: "gbk",
        dateFormat: "yyyy年m月d日",
        columns: DEMO_COLUMNS.customers,
      },
      visits: {
        files: `${prefix}${DEMO_FILES.visits}`,
        format: "csv",
        encoding: "utf-8",
        dateFormat: "ISO",
        columns: DEMO_COLUMNS.visits,
      },
      complaints: {
        files: `${prefix}${DEMO_FILES.complaints}`,
        format: "csv",
        encoding: "utf-8",
        dateFormat: "ISO",
        columns: DEMO_COLUMNS.complaints,
      },
      invoices: {
        files: `${prefix}${DEMO_FILES.invoices}`,
        format: "csv",
        encoding: "utf-8",
        dateFormat: "yyyy/m/d",
        columns: DEMO_COLUMNS.invoices,
      },
    },
    analysis: { asOf: end, period: "week", margin: 0.35, currency: "CNY", visitConversionDays: VISIT_EFFECT_DAYS },
    report: { locale: "zh-CN", title: "kehu 演示数据 · Demo customers", outDir: `${prefix}dist` },
  };
}

export class DemoOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoOutputError";
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reference lists. Every character is in GBK (customers.csv is written GBK-encoded).

const REGIONS = ["华东", "华北", "华南", "华中", "西南", "西北", "东北"] as const;
const REGION_WEIGHTS = [30, 18, 20, 10, 10, 6, 6];
const REGION_CITIES: Record<string, Array<[string, string]>> = {
  华东: [
    ["上海市", ""],
    ["江苏省", "南京市"],
    ["江苏省", "苏州市"],
    ["浙江省", "杭州市"],
    ["浙江省", "宁波市"],
    ["山东省", "青岛市"],
    ["福建省", "厦门市"],
    ["安徽省", "合肥市"],
  ],
  华北: [
    ["北京市", ""],
    ["天津市", ""],
    ["河北省", "石家庄市"],
    ["山西省", "太原市"],
    ["内蒙古自治区", "呼和浩特市"],
  ],
  华南: [
    ["广东省", "广州市"],
    ["广东省", "深圳市"],
    ["广东省", "东莞市"],
    ["广西壮族自治区", "南宁市"],
    ["海南省", "海口市"],
  ],
  华中: [
    ["湖北省", "武汉市"],
    ["湖南省", "长沙市"],
    ["河南省", "郑州市"],
    ["江西省", "南昌市"],
  ],
  西南: [
    ["四川省", "成都市"],
    ["重庆市", ""],
    ["云南省", "昆明市"],
    ["贵州省", "贵阳市"],
  ],
  西北: [
    ["陕西省", "西安市"],
    ["甘肃省", "兰州市"],
    ["新疆维吾尔自治区", "乌鲁木齐市"],
    ["宁夏回族自治区", "银川市"],
  ],
  东北: [
    ["辽宁省", "沈阳市"],
    ["辽宁省", "大连市"],
    ["吉林省", "长春市"],
    ["黑龙江省", "哈尔滨市"],
  ],
};
const DISTRICTS = ["高新区", "经开区", "新城区", "滨江区", "东城区", "西城区", "南山区", "朝阳区", "江北区", "中山区"];
const STREETS = [
  "人民路",
  "解放路",
  "中山路",
  "建设路",
  "和平路",
  "长江路",
  "黄河路",
  "科技路",
  "文化路",
  "胜利街",
  "新华街",
  "光明大道",
];

/** Twelve reps, each covering one region. */
const REPS: Array<{ name: string; region: string }> = [
  { name: "王芳", region: "华东" },
  { name: "李强", region: "华东" },
  { name: "陈静", region: "华东" },
  { name: "张伟", region: "华北" },
  { name: "刘洋", region: "华北" },
  { name: "黄敏", region: "华南" },
  { name: "周杰", region: "华南" },
  { name: "吴磊", region: "华中" },
  { name: "徐丽", region: "西南" },
  { name: "孙浩", region: "西南" },
  { name: "马超", region: "西北" },
  { name: "朱婷", region: "东北" },
];

const FAMILY: Array<[string, string]> = [
  ["王", "wang"],
  ["李", "li"],
  ["张", "zhang"],
  ["刘", "liu"],
  ["陈", "chen"],
  ["杨", "yang"],
  ["赵", "zhao"],
  ["黄", "huang"],
  ["周", "zhou"],
  ["吴", "wu"],
  ["徐", "xu"],
  ["孙", "sun"],
  ["胡", "hu"],
  ["朱", "zhu"],
  ["高", "gao"],
  ["林", "lin"],
  ["何", "he"],
  ["郭", "guo"],
  ["马", "ma"],
  ["罗", "luo"],
  ["梁", "liang"],
  ["宋", "song"],
  ["郑", "zheng"],
  ["谢", "xie"],
  ["韩", "han"],
  ["唐", "tang"],
  ["冯", "feng"],
  ["于", "yu"],
  ["董", "dong"],
  ["萧", "xiao"],
  ["程", "cheng"],
  ["曹", "cao"],
  ["袁", "yuan"],
  ["邓", "deng"],
  ["许", "xu"],
  ["欧阳", "ouyang"],
  ["司马", "sima"],
];
const FAMILY_WEIGHTS = FAMILY.map((_, i) => 1 / (i + 4));
const GIVEN: Array<[string, string]> = [
  ["伟", "wei"],
  ["芳", "fang"],
  ["娜", "na"],
  ["敏", "min"],
  ["静", "jing"],
  ["丽", "li"],
  ["强", "qiang"],
  ["磊", "lei"],
  ["军", "jun"],
  ["洋", "yang"],
  ["勇", "yong"],
  ["艳", "yan"],
  ["杰", "jie"],
  ["娟", "juan"],
  ["涛", "tao"],
  ["明", "ming"],
  ["超", "chao"],
  ["秀", "xiu"],
  ["霞", "xia"],
  ["平", "ping"],
  ["刚", "gang"],
  ["桂", "gui"],
  ["英", "ying"],
  ["华", "hua"],
  ["建", "jian"],
  ["文", "wen"],
  ["玲", "ling"],
  ["晨", "chen"],
  ["欣", "xin"],
  ["怡", "yi"],
  ["浩", "hao"],
  ["宇", "yu"],
  ["子", "zi"],
  ["涵", "han"],
  ["梓", "zi"],
  ["轩", "xuan"],
  ["雪", "xue"],
  ["婷", "ting"],
  ["鑫", "xin"],
  ["博", "bo"],
];
const BRANDS: Array<[string, string]> = [
  ["华信", "huaxin"],
  ["恒通", "hengtong"],
  ["金源", "jinyuan"],
  ["宏达", "hongda"],
  ["天成", "tiancheng"],
  ["新锐", "xinrui"],
  ["博远", "boyuan"],
  ["永盛", "yongsheng"],
  ["瑞丰", "ruifeng"],
  ["东方", "dongfang"],
  ["长青", "changqing"],
  ["嘉禾", "jiahe"],
  ["鼎盛", "dingsheng"],
  ["安泰", "antai"],
  ["联创", "lianchuang"],
  ["中科", "zhongke"],
  ["顺达", "shunda"],
  ["汇丰", "huifeng"],
  ["明德", "mingde"],
  ["卓越", "zhuoyue"],
];

/** Industry, weight, business customer?, company-name suffix, contact title. */
const INDUSTRIES: Array<{ name: string; weight: number; b2b: boolean; suffix: string }> = [
  { name: "个人消费者", weight: 45, b2b: false, suffix: "" },
  { name: "制造业", weight: 12, b2b: true, suffix: "制造有限公司" },
  { name: "零售", weight: 10, b2b: true, suffix: "商贸有限公司" },
  { name: "餐饮", weight: 7, b2b: true, suffix: "餐饮管理有限公司" },
  { name: "互联网", weight: 7, b2b: true, suffix: "网络科技有限公司" },
  { name: "教育", weight: 5, b2b: true, suffix: "教育咨询有限公司" },
  { name: "医疗", weight: 5, b2b: true, suffix: "医疗器械有限公司" },
  { name: "物流", weight: 5, b2b: true, suffix: "物流有限公司" },
  { name: "建筑", weight: 4, b2b: true, suffix: "建设工程有限公司" },
];
const INDUSTRY_WEIGHTS = INDUSTRIES.map((x) => x.weight);
const CONTACT_TITLES = ["采购经理", "总经理", "行政主管", "财务总监", "运营总监", "店长"];

/** Categories with products and list prices (CNY). */
const CATEGORIES: Array<{ name: string; products: Array<[string, number]> }> = [
  {
    name: "办公用品",
    products: [
      ["A4复印纸(箱)", 120],
      ["中性笔(盒)", 24],
      ["文件夹套装", 36],
      ["订书机", 28],
    ],
  },
  {
    name: "电子产品",
    products: [
      ["无线鼠标", 89],
      ["机械键盘", 399],
      ["27寸显示器", 1299],
      ["蓝牙耳机", 299],
    ],
  },
  {
    name: "耗材",
    products: [
      ["打印机硒鼓", 260],
      ["墨盒套装", 180],
      ["标签纸", 45],
    ],
  },
  {
    name: "日用百货",
    products: [
      ["抽纸(箱)", 69],
      ["洗手液", 25],
      ["垃圾袋", 19],
      ["保温杯", 129],
    ],
  },
  {
    name: "食品饮料",
    products: [
      ["矿泉水(箱)", 38],
      ["咖啡豆1kg", 168],
      ["茶叶礼盒", 398],
      ["坚果礼盒", 158],
    ],
  },
  {
    name: "家具",
    products: [
      ["人体工学椅", 1599],
      ["办公桌", 2199],
      ["文件柜", 899],
    ],
  },
];
const CHANNELS = ["线上商城", "门店", "电话订购", "企业采购平台", "展会"] as const;
const CHANNEL_WEIGHTS_B2C = [55, 35, 8, 0, 2];
const CHANNEL_WEIGHTS_B2B = [20, 10, 25, 40, 5];

const VISIT_KINDS = ["store_visit", "call", "email", "event"] as const;
const VISIT_KIND_WEIGHTS_B2C = [35, 30, 25, 10];
const VISIT_KIND_WEIGHTS_B2B = [25, 40, 25, 10];
const VISIT_OUTCOMES = ["positive", "neutral", "negative"] as const;
const VISIT_OUTCOME_WEIGHTS = [35, 45, 20];
/** Purchase-rate multiplier for VISIT_EFFECT_DAYS after a visit, by outcome. */
const VISIT_BOOST = { positive: 3, neutral: 1.8, negative: 1.1 } as const;
const VISIT_BOOST_MAX = 3;
const VISIT_EFFECT_DAYS = 30;
const VISIT_NOTES: Record<(typeof VISIT_KINDS)[number], string[]> = {
  store_visit: ["到店试用新品", "上门拜访，介绍年度方案", "客户来店咨询价格"],
  call: ["电话回访，满意", "电话沟通补货需求", "未接通，稍后再联系", '询问"季度返利"政策'],
  email: ["发送新品目录", "发送报价单", "节日问候邮件"],
  event: ["参加新品发布会", "参加客户答谢会", "展会现场洽谈"],
};

const COMPLAINT_CATEGORIES = ["product_quality", "delivery", "service", "billing"] as const;
const COMPLAINT_CATEGORY_WEIGHTS = [40, 30, 20, 10];
const SEVERITIES = ["low", "medium", "high"] as const;
const SEVERITY_WEIGHTS = [50, 35, 15];
/**
 * Extra chance to drop out after a good-faith complaint, by severity: halved when resolved within 3 days, raised
 * when never resolved. Strong on purpose: complainers are heavy buyers (a complaint needs a purchase), and the
 * demo should still show complaints costing customers.
 */
const COMPLAINT_CHURN = { low: 0.3, medium: 0.5, high: 0.75 } as const;

const CUSTOMER_NOTES = [
  "",
  "",
  "",
  "",
  "",
  "",
  "",
  "VIP客户",
  "偏好线上下单",
  "周末联系，工作日不方便",
  "对价格敏感, 需要优惠券",
  "要求开具增值税专用发票",
  "老客户介绍",
  '喜欢"限量款"',
  "年底集中采购",
];

/** Chinese New Year (month, day) by year: the weeks around it are quiet. */
const CNY: Record<number, [number, number]> = {
  2018: [2, 16],
  2019: [2, 5],
  2020: [1, 25],
  2021: [2, 12],
  2022: [2, 1],
  2023: [1, 22],
  2024: [2, 10],
  2025: [1, 29],
  2026: [2, 17],
  2027: [2, 6],
  2028: [1, 26],
  2029: [2, 13],
  2030: [2, 3],
  2031: [1, 23],
  2032: [2, 11],
  2033: [1, 31],
  2034: [2, 19],
  2035: [2, 8],
};

/** Bad values a real export contains; each must be rejected by the loader. */
const BAD_DATES = ["0000-00-00 00:00:00", "2025-02-30 09:15:00", "unknown", "#VALUE!"];
const BAD_AMOUNTS = ["#VALUE!", "abc", "1O0.00", "--"];
const MESSY_RATE = 0.003;
const REFUND_RATE = 0.025;
const SAME_DAY_RATE = 0.04;
const COMPLAINT_RATE = 0.025;
const PROSPECT_RATE = 0.05;

// ---------------------------------------------------------------------------------------------------------------
// Dates as whole days since 1970-01-01 (UTC), formatted through caches: ten million rows share a few thousand days.

const DAY_MS = 86_400_000;

function parseDay(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new DemoOutputError(`end date ${JSON.stringify(iso)}: expected an ISO date like 2026-06-30`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  const d = new Date(ms);
  if (d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) {
    throw new DemoOutputError(`end date ${JSON.stringify(iso)}: no such day`);
  }
  return ms / DAY_MS;
}

function ymd(day: number): [number, number, number] {
  const d = new Date(day * DAY_MS);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Caches over the history (plus a margin for due dates); days outside it are formatted on the fly. */
class DayFormats {
  private readonly iso: string[] = [];
  private readonly slash: string[] = [];
  private readonly seasons: number[] = [];
  private readonly base: number;
  private readonly size: number;

  constructor(startDay: number, endDay: number) {
    this.base = startDay - 60;
    this.size = endDay - startDay + 400;
  }

  private cached<T>(cache: T[], day: number, make: (day: number) => T): T {
    const i = day - this.base;
    if (i < 0 || i >= this.size) return make(day);
    let value = cache[i];
    if (value === undefined) value = cache[i] = make(day);
    return value;
  }

  isoDate(day: number): string {
    return this.cached(this.iso, day, (d) => {
      const [y, m, dd] = ymd(d);
      return `${y}-${pad2(m)}-${pad2(dd)}`;
    });
  }
  /** yyyy/m/d */
  slashDate(day: number): string {
    return this.cached(this.slash, day, (d) => ymd(d).join("/"));
  }
  /** yyyy年m月d日 (customers only: not worth a cache) */
  zhDate(day: number): string {
    const [y, m, d] = ymd(day);
    return `${y}年${m}月${d}日`;
  }
  season(day: number): number {
    return this.cached(this.seasons, day, seasonality);
  }
}

/** Purchase-rate multiplier for a day; the maximum is SEASON_MAX. */
export function seasonality(day: number): number {
  const [y, m, d] = ymd(day);
  const [cm, cd] = CNY[y] ?? [2, 1];
  const fromCny = day - Date.UTC(y, cm - 1, cd) / DAY_MS;
  if (fromCny >= -10 && fromCny <= 7) return 0.4;
  if (m === 11 && d <= 11) return 1.4 + 0.8 * (d / 11); // run-up to 双11, peaking at 2.2 on the day
  if (m === 11 && d <= 13) return 1.5;
  if (m === 6 && d >= 10 && d <= 18) return 1.6; // 618
  if (m === 12) return 1.4;
  return 1;
}
const SEASON_MAX = 2.2;

const HOUR_WEIGHTS = [1, 0, 0, 0, 0, 0, 1, 2, 4, 8, 10, 10, 7, 8, 10, 10, 9, 8, 7, 8, 9, 7, 4, 2];
const HOURS = HOUR_WEIGHTS.map((_, i) => i);

function timeOfDay(rng: Rng): string {
  return `${pad2(pickWeighted(rng, HOURS, HOUR_WEIGHTS))}:${pad2(randInt(rng, 0, 59))}:${pad2(randInt(rng, 0, 59))}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Output: buffered CSV writers that respect stream back-pressure.

function csvField(value: string | number): string {
  const s = typeof value === "number" ? String(value) : value;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

class CsvWriter {
  rows = 0;
  private buffer = "";
  private stream: WriteStream;
  private failure: Error | undefined;

  constructor(
    readonly path: string,
    header: readonly string[],
    private readonly encoding: "utf-8" | "gbk",
  ) {
    this.stream = createWriteStream(path);
    this.stream.on("error", (error) => (this.failure = error));
    this.buffer = header.map(csvField).join(",") + "\n";
  }

  row(fields: Array<string | number>): void {
    let line = csvField(fields[0]);
    for (let i = 1; i < fields.length; i++) line += "," + csvField(fields[i]);
    this.buffer += line + "\n";
    this.rows++;
    // Hand over small chunks at once: short-lived strings are cheap for the GC, a batch-sized backlog is not.
    if (this.buffer.length >= 1 << 16) this.push();
  }

  private push(): void {
    if (!this.buffer) return;
    this.stream.write(this.encoding === "gbk" ? iconv.encode(this.buffer, "gbk") : Buffer.from(this.buffer, "utf8"));
    this.buffer = "";
  }

  /** Wait until the stream has caught up (called between batches of customers, so memory stays bounded). */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.writableNeedDrain) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.stream.once("error", onError);
      this.stream.once("drain", () => {
        this.stream.off("error", onError);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.push();
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
    if (this.failure) throw this.failure;
  }

  /** Remove the partial file after a failure. */
  abort(): void {
    this.stream.destroy();
    rmSync(this.path, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The simulation.

interface Writers {
  transactions: CsvWriter;
  customers: CsvWriter;
  visits: CsvWriter;
  complaints: CsvWriter;
  invoices: CsvWriter;
}

interface Context {
  seed: number;
  customers: number;
  startDay: number;
  endDay: number;
  idWidth: number;
  fmt: DayFormats;
  w: Writers;
  ids: { order: number; refund: number; visit: number; complaint: number; invoice: number };
  refunds: number;
  messy: number;
}

const customerId = (ctx: Context, index: number) => `C${String(index + 1).padStart(ctx.idWidth, "0")}`;

function personName(rng: Rng): { name: string; pinyin: string } {
  const [f, fp] = pickWeighted(rng, FAMILY, FAMILY_WEIGHTS);
  const [g1, gp1] = pick(rng, GIVEN);
  if (rng() < 0.45) return { name: f + g1, pinyin: `${fp}${gp1}` };
  const [g2, gp2] = pick(rng, GIVEN);
  return { name: f + g1 + g2, pinyin: `${fp}${gp1}${gp2}` };
}

function phone(rng: Rng): string {
  const digits = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += Math.floor(rng() * 10);
    return s;
  };
  return `1${pick(rng, ["3", "5", "7", "8", "9"])}${digits(1)}-${digits(4)}-${digits(4)}`;
}

type PayerKind = "punctual" | "late" | "chronic";

/**
 * Per-customer scripted traits so that every follow-up reason shows up as of the end date even in a small demo
 * (the process makes them common anyway at the default size).
 */
interface Script {
  xss?: boolean;
  birthdayInDays?: number;
  openComplaint?: boolean;
  overdueInvoice?: boolean;
  regularBuyer?: boolean;
}

function scriptFor(index: number, total: number): Script {
  if (index === 0) return { xss: true };
  if (total < 10) return {};
  switch (index) {
    case 1:
      return { birthdayInDays: 3 };
    case 2:
      return { birthdayInDays: 7 };
    case 3:
      return { birthdayInDays: 12 };
    case 4:
      return { openComplaint: true };
    case 5:
      return { overdueInvoice: true };
    case 7:
      return { regularBuyer: true };
    default:
      return {};
  }
}

function simulateCustomer(ctx: Context, index: number): void {
  const rng = createRng(ctx.seed, index);
  const { startDay, endDay, fmt, w } = ctx;
  const script = scriptFor(index, ctx.customers);
  const id = customerId(ctx, index);

  // --- who they are
  const region = pickWeighted(rng, REGIONS, REGION_WEIGHTS);
  const regionReps = REPS.filter((r) => r.region === region);
  const rep = pick(rng, regionReps).name;
  let industry = pickWeighted(rng, INDUSTRIES, INDUSTRY_WEIGHTS);
  if ((script.xss || script.overdueInvoice) && !industry.b2b) industry = INDUSTRIES[4];
  const b2b = industry.b2b;
  const person = personName(rng);
  const [province, city] = pick(rng, REGION_CITIES[region]);
  const address = `${province}${city}${pick(rng, DISTRICTS)}${pick(rng, STREETS)}${randInt(rng, 1, 999)}号`;
  let name = person.name;
  let decisionMaker = "本人";
  let emailUser = `${person.pinyin}${randInt(rng, 1, 999)}`;
  if (b2b) {
    const [brand, brandPinyin] = pick(rng, BRANDS);
    const place = (city || province).replace(/(市|省|壮族自治区|维吾尔自治区|回族自治区|自治区)$/, "");
    name = `${place}${brand}${industry.suffix}`;
    decisionMaker = `${person.name}(${pick(rng, CONTACT_TITLES)})`;
    emailUser = `${person.pinyin}@${brandPinyin}${index + 1}`;
  }
  if (script.xss) name = XSS_CUSTOMER_NAME;
  const email = b2b
    ? `${emailUser}.example.cn`
    : `${emailUser}@${pick(rng, ["example.com", "example.cn", "example.net", "example.org"])}`;

  // Ids follow signup order; a fifth of the base was there in the first month, the rest arrives steadily.
  const span = endDay - startDay;
  const f = (index + rng()) / ctx.customers;
  const signupDay =
    startDay + Math.min(span - 1, Math.floor(f < 0.2 ? (f / 0.2) * 30 : 30 + ((f - 0.2) / 0.8) * (span - 31)));

  let birthday = "";
  if (script.birthdayInDays !== undefined) {
    const [ey] = ymd(endDay);
    const [, bm, bd] = ymd(endDay + script.birthdayInDays);
    birthday = fmt.zhDate(Date.UTC(ey - randInt(rng, 25, 55), bm - 1, bd) / DAY_MS);
  } else if (rng() < 0.9) {
    const [ey] = ymd(endDay);
    const year = ey - randInt(rng, b2b ? 28 : 20, b2b ? 60 : 65);
    birthday = fmt.zhDate(Date.UTC(year, 0, 1) / DAY_MS + randInt(rng, 0, 364));
  }
  // --- the buying process
  const prospect =
    !script.xss && !script.openComplaint && !script.overdueInvoice && !script.regularBuyer && rng() < PROSPECT_RATE;
  // Purchase rate per day, gamma across customers (mean one purchase a month; business customers a bit more).
  let lambda = gamma(rng, 0.9, (b2b ? 1 / 22 : 1 / 30) / 0.9);
  // Dropout probability after each purchase, beta across customers (mean 0.8 / 6.8 = 0.12).
  let dropout = beta(rng, 0.8, 6);
  // Spend: gamma-gamma, z ~ Gamma(p, rate nu), nu ~ Gamma(q, rate g), E[z] = p * g / (q - 1). Business customers
  // spend about four times as much; a wider gap turns the pooled spend distribution so heavy-tailed that a single
  // gamma-gamma fit gives q <= 1 (infinite mean), which would leave the demo without CLV.
  const p = 4;
  const q = 6;
  const g = ((b2b ? 1200 : 300) * (q - 1)) / p;
  let nu = gamma(rng, q, 1 / g);
  if (script.xss) {
    lambda = 1 / 9;
    dropout = 0;
    nu = p / 4000;
  }
  if (script.openComplaint || script.overdueInvoice) {
    lambda = Math.max(lambda, 1 / 20);
    dropout = 0;
  }
  const favourite = randInt(rng, 0, CATEGORIES.length - 1);
  const channelWeights = b2b ? CHANNEL_WEIGHTS_B2B : CHANNEL_WEIGHTS_B2C;
  const payer: PayerKind = script.overdueInvoice
    ? "chronic"
    : pickWeighted(rng, ["punctual", "late", "chronic"] as const, [68, 25, 7]);
  const terms = rng() < 0.6 ? 30 : 60;

  // Credit lines cover a few months of the customer's expected purchases (mean spend p / nu per purchase at lambda
  // purchases a day), so the credit criterion of the grades tracks real value, with noise.
  const expectedMonthly = (lambda * 30 * p) / nu;
  const creditLimit = b2b
    ? String(Math.min(400, Math.max(1, Math.round((expectedMonthly * (3 + 9 * rng())) / 5000))) * 5000)
    : rng() < 0.4
      ? ""
      : String(Math.min(50, Math.max(1, Math.round((expectedMonthly * (1 + 3 * rng())) / 1000))) * 1000);
  const referredBy = index > 10 && rng() < 0.12 ? customerId(ctx, Math.floor(index * rng() ** 3)) : "";
  const notes = pick(rng, CUSTOMER_NOTES);
  w.customers.row([
    id,
    name,
    phone(rng),
    email,
    address,
    region,
    industry.name,
    rep,
    fmt.zhDate(signupDay),
    birthday,
    creditLimit,
    referredBy,
    decisionMaker,
    notes,
  ]);

  // --- visits: a Poisson process of their own, independent of buying, that raises the purchase rate afterwards
  const visitRate = gamma(rng, 2, (b2b ? 1 / 45 : 1 / 140) / 2);
  const visitDays: number[] = [];
  const visitBoosts: number[] = [];
  const visitKindWeights = b2b ? VISIT_KIND_WEIGHTS_B2B : VISIT_KIND_WEIGHTS_B2C;
  for (let t = signupDay + exponential(rng, visitRate); t <= endDay; t += exponential(rng, visitRate)) {
    const day = Math.floor(t);
    const kind = pickWeighted(rng, VISIT_KINDS, visitKindWeights);
    const outcome = pickWeighted(rng, VISIT_OUTCOMES, VISIT_OUTCOME_WEIGHTS);
    visitDays.push(day);
    visitBoosts.push(VISIT_BOOST[outcome]);
    w.visits.row([
      `V${String(++ctx.ids.visit).padStart(8, "0")}`,
      id,
      `${fmt.isoDate(day)} ${timeOfDay(rng)}`,
      kind,
      rep,
      outcome,
      pick(rng, VISIT_NOTES[kind]),
    ]);
  }

  if (prospect) return;

  // --- purchases
  const order = (orderDay: number, allowComplaint: boolean): number => {
    let churnBoost = 0;
    const orders = rng() < SAME_DAY_RATE ? 2 : 1;
    for (let o = 0; o < orders; o++) {
      const spec = {
        id,
        rep,
        b2b,
        favourite,
        channelWeights,
        nu,
        p,
        orderDay,
        payer,
        terms,
        allowComplaint,
        forceUnpaid: script.overdueInvoice === true && orderDay >= endDay - 150,
      };
      churnBoost = Math.max(churnBoost, emitOrder(ctx, rng, spec));
    }
    return churnBoost;
  };
  if (script.regularBuyer) {
    // A replenishment buyer like clockwork who has now missed two cycles.
    for (let day = signupDay; day <= endDay - 60; day += randInt(rng, 28, 32)) order(day, false);
  } else {
    let t = signupDay + (rng() < 0.6 ? 0 : exponential(rng, 1 / 5));
    let visitPointer = 0;
    let rateFactor = 1;
    const maxRate = lambda * SEASON_MAX * VISIT_BOOST_MAX;
    while (t < endDay + 1) {
      const churnBoost = order(Math.floor(t), true);
      if (churnBoost > 0) rateFactor *= 0.7;
      // BG/NBD: after each purchase the customer may become inactive for good (more likely after a complaint).
      if (rng() < 1 - (1 - dropout) * (1 - churnBoost)) break;
      // Next purchase by thinning a Poisson process of rate maxRate down to lambda * season * visit boost.
      for (;;) {
        t += exponential(rng, maxRate);
        if (t >= endDay + 1) break;
        const d = Math.floor(t);
        while (visitPointer < visitDays.length && visitDays[visitPointer] <= d) visitPointer++;
        let boost = 1;
        for (let v = visitPointer - 1; v >= 0 && d - visitDays[v] < VISIT_EFFECT_DAYS; v--)
          boost = Math.max(boost, visitBoosts[v]);
        if (rng() * SEASON_MAX * VISIT_BOOST_MAX < fmt.season(d) * boost * rateFactor) break;
      }
    }
  }

  if (script.openComplaint) {
    w.complaints.row([
      `K${String(++ctx.ids.complaint).padStart(7, "0")}`,
      id,
      `${fmt.isoDate(endDay - 10)} ${timeOfDay(rng)}`,
      "",
      "service",
      "high",
      "true",
    ]);
  }
}

interface OrderSpec {
  id: string;
  rep: string;
  b2b: boolean;
  favourite: number;
  channelWeights: number[];
  nu: number;
  p: number;
  orderDay: number;
  payer: PayerKind;
  terms: number;
  forceUnpaid: boolean;
  allowComplaint: boolean;
}

/** Write one order (and its refund, invoice, complaint); returns the extra dropout chance a complaint causes. */
function emitOrder(ctx: Context, rng: Rng, o: OrderSpec): number {
  const { fmt, w, endDay } = ctx;
  const category = CATEGORIES[rng() < 0.6 ? o.favourite : randInt(rng, 0, CATEGORIES.length - 1)];
  const [product, price] = pick(rng, category.products);
  const value = Math.max(1, gamma(rng, o.p, 1 / o.nu));
  const quantity = Math.max(1, Math.round(value / price));
  const amount = Math.round(value * 100) / 100;
  const channel = pickWeighted(rng, CHANNELS, o.channelWeights);
  const orderId = `T${String(++ctx.ids.order).padStart(8, "0")}`;
  const stamp = `${fmt.isoDate(o.orderDay)} ${timeOfDay(rng)}`;
  writeTransaction(ctx, rng, [
    orderId,
    o.id,
    stamp,
    amount.toFixed(2),
    quantity,
    product,
    category.name,
    channel,
    o.rep,
    "",
  ]);

  if (rng() < REFUND_RATE) {
    const refundDay = o.orderDay + randInt(rng, 1, 30);
    if (refundDay <= endDay) {
      const full = rng() < 0.7;
      const refund = full ? amount : Math.round(amount * (0.2 + 0.6 * rng()) * 100) / 100;
      const refundQty = full ? quantity : Math.max(1, Math.round(quantity / 2));
      ctx.refunds++;
      writeTransaction(ctx, rng, [
        `R${String(++ctx.ids.refund).padStart(8, "0")}`,
        o.id,
        `${fmt.isoDate(refundDay)} ${timeOfDay(rng)}`,
        (-refund).toFixed(2),
        -refundQty,
        product,
        category.name,
        channel,
        o.rep,
        orderId,
      ]);
    }
  }

  if (o.b2b) {
    const due = o.orderDay + o.terms;
    let paidDay: number | undefined;
    let paidAmount = amount;
    const u = rng();
    if (o.forceUnpaid) paidDay = undefined;
    else if (o.payer === "punctual") paidDay = o.orderDay + randInt(rng, 3, o.terms);
    else if (o.payer === "late") paidDay = u < 0.5 ? o.orderDay + randInt(rng, 3, o.terms) : due + randInt(rng, 1, 45);
    else paidDay = u < 0.2 ? undefined : due + randInt(rng, 20, 150);
    if (paidDay !== undefined && rng() < 0.05) paidAmount = Math.round(amount * (0.5 + 0.4 * rng()) * 100) / 100;
    // The export is taken at the end date: later payments have not happened yet.
    const paid = paidDay !== undefined && paidDay <= endDay;
    w.invoices.row([
      `INV${String(++ctx.ids.invoice).padStart(8, "0")}`,
      o.id,
      fmt.slashDate(o.orderDay),
      fmt.slashDate(due),
      amount.toFixed(2),
      paid ? fmt.slashDate(paidDay!) : "",
      paid ? paidAmount.toFixed(2) : "",
    ]);
  }

  if (o.allowComplaint && rng() < COMPLAINT_RATE * (o.b2b ? 1.2 : 1)) {
    const opened = o.orderDay + randInt(rng, 1, 20);
    if (opened <= endDay) {
      const severity = pickWeighted(rng, SEVERITIES, SEVERITY_WEIGHTS);
      const goodFaith = rng() < 0.85;
      const never = rng() < 0.06;
      const resolveDays = severity === "high" ? randInt(rng, 2, 40) : randInt(rng, 0, 14);
      const resolved = !never && opened + resolveDays <= endDay;
      w.complaints.row([
        `K${String(++ctx.ids.complaint).padStart(7, "0")}`,
        o.id,
        `${fmt.isoDate(opened)} ${timeOfDay(rng)}`,
        resolved ? `${fmt.isoDate(opened + resolveDays)} ${timeOfDay(rng)}` : "",
        pickWeighted(rng, COMPLAINT_CATEGORIES, COMPLAINT_CATEGORY_WEIGHTS),
        severity,
        goodFaith ? "true" : "false",
      ]);
      // A complaint made in bad faith (e.g. to extort a refund) says nothing about satisfaction.
      if (goodFaith) return Math.min(0.9, COMPLAINT_CHURN[severity] * (never ? 1.2 : resolveDays <= 3 ? 0.5 : 1));
    }
  }
  return 0;
}

/** Write a transaction row, now and then spoiled the way real exports are (the loader must reject it). */
function writeTransaction(ctx: Context, rng: Rng, fields: Array<string | number>): void {
  if (rng() < MESSY_RATE) {
    ctx.messy++;
    const spoiled = [...fields];
    const kind = randInt(rng, 0, 2);
    if (kind === 0) spoiled[2] = pick(rng, BAD_DATES);
    else if (kind === 1) spoiled[1] = "";
    else spoiled[3] = pick(rng, BAD_AMOUNTS);
    ctx.w.transactions.row(spoiled);
    return;
  }
  ctx.w.transactions.row(fields);
}

// ---------------------------------------------------------------------------------------------------------------

function checkOutDir(outDir: string, force: boolean): void {
  if (force || existsSync(join(outDir, DEMO_MARKER))) return;
  const clash = Object.values(DEMO_FILES).filter((f) => existsSync(join(outDir, f)));
  if (clash.length) {
    throw new DemoOutputError(
      `${outDir} already holds ${clash.join(", ")} not written by \`kehu demo\`; refusing to overwrite them ` +
        `(choose another --out directory, or pass --force)`,
    );
  }
}

/** Generate the demo dataset into `outDir` (created if missing). Files appear only once complete. */
export async function generateDemo(options: DemoOptions): Promise<DemoSummary> {
  const customers = options.customers;
  if (!Number.isInteger(customers) || customers < 1) {
    throw new DemoOutputError(`customers: expected a positive whole number, got ${customers}`);
  }
  if (!Number.isSafeInteger(options.seed))
    throw new DemoOutputError(`seed: expected a whole number, got ${options.seed}`);
  const years = options.years ?? DEMO_DEFAULTS.years;
  if (!(years > 0 && years <= 30))
    throw new DemoOutputError(`years: expected a number of years in (0, 30], got ${years}`);
  const end = options.end ?? DEMO_DEFAULTS.end;
  const endDay = parseDay(end);
  const startDay = endDay - Math.round(years * 365.25) + 1;
  const outDir = options.outDir;

  mkdirSync(outDir, { recursive: true });
  checkOutDir(outDir, options.force ?? false);
  const tmp = (f: string) => join(outDir, `.${f}.tmp`);
  const w: Writers = {
    transactions: new CsvWriter(tmp(DEMO_FILES.transactions), DEMO_HEADERS.transactions, "utf-8"),
    customers: new CsvWriter(tmp(DEMO_FILES.customers), DEMO_HEADERS.customers, "gbk"),
    visits: new CsvWriter(tmp(DEMO_FILES.visits), DEMO_HEADERS.visits, "utf-8"),
    complaints: new CsvWriter(tmp(DEMO_FILES.complaints), DEMO_HEADERS.complaints, "utf-8"),
    invoices: new CsvWriter(tmp(DEMO_FILES.invoices), DEMO_HEADERS.invoices, "utf-8"),
  };
  const ctx: Context = {
    seed: options.seed,
    customers,
    startDay,
    endDay,
    idWidth: Math.max(6, String(customers).length),
    fmt: new DayFormats(startDay, endDay),
    w,
    ids: { order: 0, refund: 0, visit: 0, complaint: 0, invoice: 0 },
    refunds: 0,
    messy: 0,
  };

  try {
    const batch = 500;
    for (let i = 0; i < customers; i += batch) {
      const stop = Math.min(customers, i + batch);
      for (let c = i; c < stop; c++) simulateCustomer(ctx, c);
      for (const writer of Object.values(w)) await writer.flush();
      options.onProgress?.(stop, customers);
    }
    for (const writer of Object.values(w)) await writer.close();
  } catch (error) {
    for (const writer of Object.values(w)) writer.abort();
    throw error;
  }

  writeFileSync(join(outDir, DEMO_MARKER), "written by `kehu demo`; it may overwrite the files in this directory\n");
  for (const key of ["transactions", "customers", "visits", "complaints", "invoices"] as const) {
    renameSync(tmp(DEMO_FILES[key]), join(outDir, DEMO_FILES[key]));
  }
  writeFileSync(join(outDir, DEMO_FILES.config), JSON.stringify(demoConfig(end), null, 2) + "\n");

  return {
    outDir,
    start: ctx.fmt.isoDate(startDay),
    end,
    customers,
    transactions: w.transactions.rows,
    refunds: ctx.refunds,
    messyTransactions: ctx.messy,
    visits: w.visits.rows,
    complaints: w.complaints.rows,
    invoices: w.invoices.rows,
    files: Object.fromEntries(Object.entries(DEMO_FILES).map(([k, f]) => [k, join(outDir, f)])) as Record<
      DemoFile,
      string
    >,
  };
}
