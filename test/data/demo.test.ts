import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { parseConfig } from "../../src/data/config.ts";
import { TABLES, SOURCE_NAMES } from "../../src/data/schemas.ts";
import {
  DEMO_COLUMNS,
  DEMO_DEFAULTS,
  DEMO_FILES,
  DEMO_HEADERS,
  DemoOutputError,
  XSS_CUSTOMER_NAME,
  demoConfig,
  generateDemo,
  seasonality,
  type DemoSummary,
} from "../../src/data/demo.ts";
import { beta, createRng, gamma } from "../../src/data/random.ts";
import {
  complaintRepurchase,
  isValidTransaction,
  isoDay,
  purchaseDays,
  readCsv,
  visitLift,
  type Rows,
} from "./demo-stats.ts";

const CUSTOMERS = 300;
const END = "2026-06-30";
const END_DAY = Date.UTC(2026, 5, 30) / 86_400_000;
const CSV_FILES = ["transactions", "customers", "visits", "complaints", "invoices"] as const;

let root: string;
let dirA: string;
let summary: DemoSummary;
let tx: Rows;
let customers: Rows;
let visits: Rows;
let complaints: Rows;
let invoices: Rows;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "kehu-demo-"));
  dirA = join(root, "a");
  summary = await generateDemo({ customers: CUSTOMERS, seed: 7, outDir: dirA, end: END });
  tx = readCsv(dirA, DEMO_FILES.transactions);
  customers = readCsv(dirA, DEMO_FILES.customers, "gbk");
  visits = readCsv(dirA, DEMO_FILES.visits);
  complaints = readCsv(dirA, DEMO_FILES.complaints);
  invoices = readCsv(dirA, DEMO_FILES.invoices);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const bytes = (dir: string, file: string) => readFileSync(join(dir, file));

describe("determinism", () => {
  it("writes byte-identical files for the same options and different ones for another seed", async () => {
    const dirB = join(root, "b");
    const dirC = join(root, "c");
    await generateDemo({ customers: CUSTOMERS, seed: 7, outDir: dirB, end: END });
    await generateDemo({ customers: CUSTOMERS, seed: 8, outDir: dirC, end: END });
    for (const file of Object.values(DEMO_FILES)) {
      expect(bytes(dirB, file).equals(bytes(dirA, file)), file).toBe(true);
    }
    for (const file of CSV_FILES.map((f) => DEMO_FILES[f])) {
      expect(bytes(dirC, file).equals(bytes(dirA, file)), file).toBe(false);
    }
  });

  it("gives a customer the same rows whatever the total number of customers", async () => {
    // Each customer draws from its own stream, so customer 20 is the same person in a 300- and a 30-customer demo.
    const dirD = join(root, "d");
    await generateDemo({ customers: 30, seed: 7, outDir: dirD, end: END });
    const small = readCsv(dirD, DEMO_FILES.customers, "gbk").find((c) => c["客户编号"] === "C000020");
    const big = customers.find((c) => c["客户编号"] === "C000020");
    // Signup dates follow the id order and so depend on the total; everything else is the customer's own.
    expect({ ...small, 注册日期: "" }).toEqual({ ...big, 注册日期: "" });
  });
});

describe("files and config", () => {
  it("writes the five sources with the expected headers, the config and nothing half-written", () => {
    for (const name of CSV_FILES) {
      expect(
        Object.keys(
          (name === "customers"
            ? customers
            : name === "transactions"
              ? tx
              : name === "visits"
                ? visits
                : name === "complaints"
                  ? complaints
                  : invoices)[0],
        ),
      ).toEqual([...DEMO_HEADERS[name]]);
    }
    expect(DEMO_HEADERS.customers).toEqual([
      "客户编号",
      "客户名称",
      "电话",
      "邮箱",
      "地址",
      "区域",
      "行业",
      "销售代表",
      "注册日期",
      "生日",
      "信用额度",
      "推荐人",
      "决策人",
      "备注",
    ]);
    expect(readdirSync(dirA).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(summary.customers).toBe(CUSTOMERS);
    expect(summary.transactions).toBe(tx.length);
    expect(summary.visits).toBe(visits.length);
    expect(summary.complaints).toBe(complaints.length);
    expect(summary.invoices).toBe(invoices.length);
  });

  it("encodes customers.csv as GBK (it is not valid UTF-8) and the others as UTF-8", () => {
    const raw = bytes(dirA, DEMO_FILES.customers);
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(raw)).toThrow();
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes(dirA, DEMO_FILES.transactions))).not.toThrow();
    expect(customers[1]["区域"]).toMatch(/^(华东|华北|华南|华中|西南|西北|东北)$/);
  });

  it("writes a config that validates and maps every canonical column onto a header of its file", () => {
    const raw = JSON.parse(readFileSync(join(dirA, DEMO_FILES.config), "utf8"));
    const config = parseConfig(raw);
    expect(config.analysis.asOf).toBe(END);
    for (const name of SOURCE_NAMES) {
      const source = config.sources[name]!;
      expect(source.files).toBe(DEMO_FILES[name]);
      const canonical = TABLES[name].columns.map((c) => c.name).sort();
      expect(Object.keys(source.columns).sort()).toEqual(canonical);
      for (const header of Object.values(source.columns)) expect(DEMO_HEADERS[name]).toContain(header);
    }
    expect(config.sources.customers!.encoding).toBe("gbk");
    expect(config.sources.customers!.dateFormat).toBe("yyyy年m月d日");
    expect(config.sources.invoices!.dateFormat).toBe("yyyy/m/d");
  });

  it("commits demo/kehu.config.json equal to the generated config for data/demo", () => {
    const committed = JSON.parse(readFileSync(resolve(__dirname, "../../demo/kehu.config.json"), "utf8"));
    expect(committed).toEqual(demoConfig(DEMO_DEFAULTS.end, "../data/demo/"));
    expect(() => parseConfig(committed)).not.toThrow();
  });

  it("writes dates in the formats the config declares", () => {
    expect(customers.every((c) => /^\d{4}年\d{1,2}月\d{1,2}日$/.test(c["注册日期"]))).toBe(true);
    expect(
      invoices.every(
        (i) => /^\d{4}\/\d{1,2}\/\d{1,2}$/.test(i.issue_date) && /^\d{4}\/\d{1,2}\/\d{1,2}$/.test(i.due_date),
      ),
    ).toBe(true);
    expect(visits.every((v) => Number.isFinite(isoDay(v.visited_at)))).toBe(true);
    expect(complaints.every((c) => Number.isFinite(isoDay(c.opened_at)))).toBe(true);
  });

  it("refuses to overwrite files it did not write, and overwrites its own", async () => {
    const foreign = join(root, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "transactions.csv"), "real customer data\n");
    await expect(generateDemo({ customers: 5, seed: 1, outDir: foreign })).rejects.toThrow(DemoOutputError);
    expect(readFileSync(join(foreign, "transactions.csv"), "utf8")).toBe("real customer data\n");
    const own = join(root, "own");
    await generateDemo({ customers: 5, seed: 1, outDir: own });
    await expect(generateDemo({ customers: 6, seed: 1, outDir: own })).resolves.toMatchObject({ customers: 6 });
    expect(readCsv(own, DEMO_FILES.customers, "gbk").length).toBe(6);
  });

  it("rejects bad options with a message naming the option", async () => {
    await expect(generateDemo({ customers: 0, seed: 1, outDir: join(root, "x") })).rejects.toThrow(/customers/);
    await expect(generateDemo({ customers: 5, seed: 1, outDir: join(root, "x"), end: "2026-02-30" })).rejects.toThrow(
      /end date/,
    );
    expect(existsSync(join(root, "x", DEMO_FILES.transactions))).toBe(false);
  });
});

describe("content", () => {
  it("has unique ids and every row belongs to a known customer", () => {
    const ids = customers.map((c) => c["客户编号"]);
    expect(ids.length).toBe(CUSTOMERS);
    expect(new Set(ids).size).toBe(CUSTOMERS);
    expect(ids[0]).toBe("C000001");
    expect(ids[CUSTOMERS - 1]).toBe("C000300");
    const known = new Set(ids);
    expect(new Set(tx.map((t) => t.order_id)).size).toBe(tx.length);
    expect(new Set(visits.map((v) => v.visit_id)).size).toBe(visits.length);
    expect(new Set(complaints.map((c) => c.complaint_id)).size).toBe(complaints.length);
    expect(new Set(invoices.map((i) => i.invoice_no)).size).toBe(invoices.length);
    expect(tx.filter((t) => t.customer_id !== "").every((t) => known.has(t.customer_id))).toBe(true);
    for (const rows of [visits, complaints, invoices]) expect(rows.every((r) => known.has(r.customer_id))).toBe(true);
    const referrers = customers.map((c) => c["推荐人"]).filter(Boolean);
    expect(referrers.length).toBeGreaterThan(0);
    expect(referrers.every((r) => known.has(r))).toBe(true);
  });

  it("contains exactly one customer named with an HTML payload, and that customer buys", () => {
    const xss = customers.filter((c) => c["客户名称"] === XSS_CUSTOMER_NAME);
    expect(xss.length).toBe(1);
    expect(tx.some((t) => t.customer_id === xss[0]["客户编号"])).toBe(true);
  });

  it("has a share of messy transaction rows in (0, 1%), each one rejectable", () => {
    const messy = tx.filter((t) => !isValidTransaction(t));
    expect(messy.length).toBe(summary.messyTransactions);
    expect(messy.length).toBeGreaterThan(0);
    expect(messy.length / tx.length).toBeLessThan(0.01);
    // Nothing but transactions is messy: the other files must load cleanly.
    expect(visits.every((v) => v.customer_id && Number.isFinite(isoDay(v.visited_at)))).toBe(true);
  });

  it("keeps every row within the history and nothing after the end date", () => {
    const start = isoDay(summary.start);
    // 2 years = round(2 * 365.25) = 731 days ending 2026-06-30, so the first day is 2024-06-30.
    expect(summary.start).toBe("2024-06-30");
    const days = tx.filter(isValidTransaction).map((t) => isoDay(t.order_date));
    expect(Math.min(...days)).toBeGreaterThanOrEqual(start);
    expect(Math.max(...days)).toBeLessThanOrEqual(END_DAY);
    expect(Math.max(...visits.map((v) => isoDay(v.visited_at)))).toBeLessThanOrEqual(END_DAY);
    expect(complaints.filter((c) => c.resolved_at).every((c) => isoDay(c.resolved_at) >= isoDay(c.opened_at))).toBe(
      true,
    );
  });

  it("has refunds: negative amounts referencing an earlier purchase of the same customer", () => {
    const orders = new Map(tx.map((t) => [t.order_id, t]));
    const refunds = tx.filter((t) => isValidTransaction(t) && Number(t.amount) < 0);
    // summary.refunds counts refund rows written, a few of which may have been spoiled into messy rows
    expect(refunds.length).toBeGreaterThan(0);
    expect(refunds.length).toBeLessThanOrEqual(summary.refunds);
    expect(refunds.length / tx.length).toBeGreaterThan(0.01);
    expect(refunds.length / tx.length).toBeLessThan(0.05);
    for (const refund of refunds) {
      const original = orders.get(refund.refund_of)!;
      expect(original, refund.order_id).toBeDefined();
      if (original.customer_id) expect(original.customer_id).toBe(refund.customer_id);
      if (isValidTransaction(original)) {
        expect(-Number(refund.amount)).toBeLessThanOrEqual(Number(original.amount));
        expect(isoDay(refund.order_date)).toBeGreaterThan(isoDay(original.order_date));
      }
    }
  });

  it("is heterogeneous: one-off buyers next to customers with 10+ orders, and prospects who never bought", () => {
    const counts = [...purchaseDays(tx).values()].map((d) => new Set(d).size);
    expect(counts.filter((c) => c === 1).length).toBeGreaterThan(CUSTOMERS * 0.1);
    expect(counts.filter((c) => c >= 10).length).toBeGreaterThan(CUSTOMERS * 0.1);
    expect(counts.length).toBeLessThan(CUSTOMERS);
    // same-day multiple orders exist
    const sameDay = tx
      .filter(isValidTransaction)
      .filter((t) => Number(t.amount) > 0)
      .map((t) => `${t.customer_id}|${t.order_date.slice(0, 10)}`);
    expect(new Set(sameDay).size).toBeLessThan(sameDay.length);
  });

  it("is seasonal: 双11 peaks, Chinese New Year dips", () => {
    // 2025-11-11: the run-up multiplier is 1.4 + 0.8 * 11/11 = 2.2; 2026-02-17 is the Spring Festival: 0.4.
    expect(seasonality(Date.UTC(2025, 10, 11) / 86_400_000)).toBeCloseTo(2.2, 10);
    expect(seasonality(Date.UTC(2026, 1, 17) / 86_400_000)).toBe(0.4);
    expect(seasonality(Date.UTC(2025, 8, 3) / 86_400_000)).toBe(1);
    const perMonth = (prefix: string) => tx.filter((t) => t.order_date.startsWith(prefix)).length;
    expect(perMonth("2025-11")).toBeGreaterThan(perMonth("2026-02"));
    expect(perMonth("2025-12")).toBeGreaterThan(perMonth("2026-02"));
  });

  it("makes purchases more likely in the 30 days after a visit than in the 30 days before", () => {
    const lift = visitLift(tx, visits, END_DAY);
    expect(lift.n).toBeGreaterThan(100);
    expect(lift.after).toBeGreaterThan(lift.before + 0.03);
  });

  it("makes customers less likely to buy again after a good-faith complaint", () => {
    const effect = complaintRepurchase(tx, complaints, END_DAY);
    expect(effect.n).toBeGreaterThan(10);
    expect(effect.complained).toBeLessThan(effect.others - 0.1);
  });

  it("writes invoices for business customers only, with on-time, late, partial and unpaid ones", () => {
    const business = new Set(customers.filter((c) => c["行业"] !== "个人消费者").map((c) => c["客户编号"]));
    expect(invoices.every((i) => business.has(i.customer_id))).toBe(true);
    const slash = (s: string) => {
      const [y, m, d] = s.split("/").map(Number);
      return Date.UTC(y, m - 1, d) / 86_400_000;
    };
    const paid = invoices.filter((i) => i.paid_date);
    expect(paid.some((i) => slash(i.paid_date) <= slash(i.due_date))).toBe(true);
    expect(paid.some((i) => slash(i.paid_date) > slash(i.due_date))).toBe(true);
    expect(paid.some((i) => Number(i.paid_amount) < Number(i.amount))).toBe(true);
    expect(paid.every((i) => slash(i.paid_date) <= END_DAY)).toBe(true);
    expect(invoices.filter((i) => !i.paid_date).every((i) => i.paid_amount === "")).toBe(true);
  });

  it("gives every follow-up reason some customers as of the end date", () => {
    // birthday in the next 14 days (2026-07-01 .. 2026-07-14)
    const soon = customers.filter((c) => /^\d{4}年7月([1-9]|1[0-4])日$/.test(c["生日"]));
    expect(soon.length).toBeGreaterThanOrEqual(3);
    // open complaint
    expect(complaints.some((c) => c.resolved_at === "")).toBe(true);
    // overdue invoice: due before the end, not paid
    expect(
      invoices.some(
        (i) =>
          !i.paid_date &&
          Date.UTC(
            ...(i.due_date
              .split("/")
              .map(Number)
              .map((x, k) => (k === 1 ? x - 1 : x)) as [number, number, number]),
          ) /
            86_400_000 <
            END_DAY,
      ),
    ).toBe(true);
    // contact overdue: customers who bought but have not been visited in the last 120 days
    const lastVisit = new Map<string, number>();
    for (const v of visits)
      lastVisit.set(v.customer_id, Math.max(lastVisit.get(v.customer_id) ?? -Infinity, isoDay(v.visited_at)));
    const buyers = purchaseDays(tx);
    expect([...buyers.keys()].some((c) => !(END_DAY - (lastVisit.get(c) ?? -Infinity) < 120))).toBe(true);
    // replenishment due / churn risk: regular buyers (5+ purchases) silent for more than twice their usual gap
    const overdue = [...buyers.values()].filter((d) => {
      if (d.length < 5) return false;
      const meanGap = (d[d.length - 1] - d[0]) / (d.length - 1);
      return END_DAY - d[d.length - 1] > 2 * meanGap;
    });
    expect(overdue.length).toBeGreaterThan(5);
  });

  it("maps onto the canonical tables: every mapped transactions header exists", () => {
    expect(Object.keys(DEMO_COLUMNS.transactions).sort()).toEqual(
      TABLES.transactions.columns.map((c) => c.name).sort(),
    );
  });
});

describe("random numbers", () => {
  const mean = (n: number, draw: () => number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += draw();
    return sum / n;
  };

  it("repeats a stream for the same (seed, stream) and differs otherwise", () => {
    const take = (rng: () => number) => Array.from({ length: 5 }, rng);
    expect(take(createRng(1, 2))).toEqual(take(createRng(1, 2)));
    expect(take(createRng(1, 2))).not.toEqual(take(createRng(1, 3)));
    expect(take(createRng(1, 2))).not.toEqual(take(createRng(2, 2)));
  });

  it("draws gamma and beta variates with the right means (20,000 draws, tolerance 5 standard errors)", () => {
    const rng = createRng(99);
    // Gamma(2, scale 3): mean 6, variance 2 * 9 = 18, standard error sqrt(18 / 20000) = 0.030
    expect(Math.abs(mean(20_000, () => gamma(rng, 2, 3)) - 6)).toBeLessThan(0.15);
    // Gamma(0.5, scale 2) (the shape < 1 branch): mean 1, variance 0.5 * 4 = 2, standard error 0.010
    expect(Math.abs(mean(20_000, () => gamma(rng, 0.5, 2)) - 1)).toBeLessThan(0.05);
    // Beta(0.8, 6): mean 0.8 / 6.8 = 0.1176, variance 4.8 / (6.8^2 * 7.8) = 0.0133, standard error 0.00082
    expect(Math.abs(mean(20_000, () => beta(rng, 0.8, 6)) - 0.8 / 6.8)).toBeLessThan(0.0041);
    // Uniform: mean 0.5, variance 1/12, standard error 0.0020
    expect(Math.abs(mean(20_000, rng) - 0.5)).toBeLessThan(0.01);
  });
});

describe("kehu demo (CLI)", () => {
  // One CLI process (it loads DuckDB and the whole CLI, seconds on a busy machine); the refusal to overwrite is
  // covered through generateDemo above.
  it("passes every option through and says what it wrote", { timeout: 60_000 }, () => {
    const out = join(root, "cli");
    const cli = resolve(__dirname, "../../src/cli.ts");
    const args = ["demo", "--customers", "20", "--seed", "3", "--out", out, "--years", "1", "--end", "2025-12-31"];
    const run = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { encoding: "utf8" });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    // 1 year = round(365.25) = 365 days ending 2025-12-31, so the first day is 2025-01-01.
    expect(run.stdout).toMatch(/wrote 20 customers, .*\(2025-01-01 \.\. 2025-12-31\)/);
    expect(parseConfig(JSON.parse(readFileSync(join(out, DEMO_FILES.config), "utf8"))).analysis.asOf).toBe(
      "2025-12-31",
    );
    expect(readCsv(out, DEMO_FILES.customers, "gbk").length).toBe(20);
  });
});
