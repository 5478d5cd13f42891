/**
 * The site's Node side without building: PII masking (TS and SQL agree), mart/table reading, customer cards, tar
 * archives, and the browser components' pure helpers (CSV, formats).
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, symlinkSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDatabase } from "../../src/data/db.ts";
import {
  customerSlug,
  DEFAULT_PII_SALT,
  maskExpression,
  maskIdExpression,
  openReportSource,
  piiKind,
  pseudonym,
  pseudonymId,
  reportEnv,
  type ReportSource,
} from "../../src/report/marts.ts";
import { buildCards, packCards, topCustomerIds } from "../../src/report/cards.ts";
import { unpackCards } from "../../docs/components/cards-data.js";
import { tarArchive } from "../../src/report/tar.ts";
import { makeSiteFixture, type SiteFixture } from "../helpers/site-fixture.ts";
import { toCsv } from "../../docs/components/table.js";
import { makeI18n, relativeChange } from "../../docs/components/format.js";
import { translate, STRINGS } from "../../docs/components/i18n.js";

describe("PII masking", () => {
  it("recognises personal columns by name and leaves the others", () => {
    expect(piiKind("name")).toBe("name");
    expect(piiKind("customer_name")).toBe("name");
    expect(piiKind("phone")).toBe("phone");
    expect(piiKind("contact_phone")).toBe("phone");
    expect(piiKind("email")).toBe("email");
    expect(piiKind("address")).toBe("address");
    expect(piiKind("decision_maker")).toBe("contact");
    expect(piiKind("notes")).toBe("text");
    for (const c of ["product_name", "region", "sales_rep", "customer_id", "industry", "rfm_segment"])
      expect(piiKind(c)).toBeNull();
  });

  it("makes stable pseudonyms from a salted sha256 (hand-built here with node:crypto)", () => {
    const h = createHash("sha256").update("s1:13800000001").digest("hex").slice(0, 6);
    expect(pseudonym("phone", "13800000001", "s1", "zh-CN")).toBe(`电话-${h}`);
    expect(pseudonym("phone", "13800000001", "s1", "en")).toBe(`phone-${h}`);
    expect(pseudonym("name", "13800000001", "s1", "en")).toBe(`customer-${h}`);
    expect(pseudonym("email", "13800000001", "s1", "en")).toBe(`user-${h}@example.invalid`);
    expect(pseudonym("text", "call me", "s1", "en")).toBe("(hidden)");
    expect(pseudonym("name", null, "s1", "en")).toBeNull();
    // another salt, another pseudonym
    expect(pseudonym("phone", "13800000001", "s2", "zh-CN")).not.toBe(`电话-${h}`);
  });

  it("SQL masking gives the same pseudonyms as the TypeScript one", async () => {
    const db = await openDatabase(":memory:");
    try {
      for (const kind of ["name", "contact", "phone", "email", "address", "text"] as const) {
        for (const locale of ["zh-CN", "en"] as const) {
          const sql = `select ${maskExpression("v", kind, "salt'x", locale)} as m from (values ('王 芳'), (null)) t(v)`;
          await db.exec(`explain ${sql}`);
          const rows = await db.all<{ m: string | null }>(sql);
          expect(rows.map((r) => r.m)).toEqual([pseudonym(kind, "王 芳", "salt'x", locale), null]);
        }
      }
    } finally {
      await db.close();
    }
  });

  it("replaces customer ids by keyed-hash pseudonyms, the same in SQL (any type) and TypeScript", async () => {
    const h = createHash("sha256").update("s1:id:张三").digest("hex").slice(0, 16);
    expect(pseudonymId("张三", "s1")).toBe(`cust-${h}`);
    expect(pseudonymId("张三", "s2")).not.toBe(`cust-${h}`);
    expect(pseudonymId(null, "s1")).toBeNull();
    // 64 bits: a plain slug, so the card URL is the pseudonym itself
    expect(customerSlug(pseudonymId("张三", "s1")!)).toBe(`cust-${h}`);
    const db = await openDatabase(":memory:");
    try {
      const rows = await db.all<{ a: string | null; b: string | null }>(
        `select ${maskIdExpression("v", "salt'x")} as a, ${maskIdExpression("n", "salt'x")} as b from (values ('王 芳', 17), (null, null)) t(v, n)`,
      );
      expect(rows).toEqual([
        { a: pseudonymId("王 芳", "salt'x"), b: pseudonymId(17, "salt'x") },
        { a: null, b: null },
      ]);
    } finally {
      await db.close();
    }
  });

  it("customer slugs keep plain ids and hash the others", () => {
    expect(customerSlug("C001")).toBe("C001");
    expect(customerSlug("a/b c")).toMatch(/^c-[0-9a-f]{12}$/);
    expect(customerSlug("客户1")).toBe(`c-${createHash("sha256").update("客户1").digest("hex").slice(0, 12)}`);
  });
});

describe("report source over the fixture", () => {
  let fixture: SiteFixture;
  let tablesDir: string;
  let masked: ReportSource;
  let plain: ReportSource;
  /** A fixture id as the masked source shows it. */
  const m = (id: string) => pseudonymId(id, DEFAULT_PII_SALT)!;

  beforeAll(async () => {
    fixture = await makeSiteFixture();
    tablesDir = join(fixture.dir, "tables");
    const db = await openDatabase(fixture.databasePath, { readOnly: true });
    execFileSync("mkdir", ["-p", tablesDir]);
    for (const t of ["customers", "transactions", "visits", "complaints", "invoices", "ingest_log"]) {
      await db.exec(`copy ${t} to '${join(tablesDir, `${t}.parquet`)}' (format parquet)`);
    }
    await db.close();
    const env = reportEnv({
      KEHU_MARTS_DIR: fixture.martsDir,
      KEHU_TABLES_DIR: tablesDir,
      KEHU_MASK_PII: "1",
      KEHU_LOCALE: "en",
      KEHU_AS_OF: "2024-06-30",
    });
    masked = await openReportSource(env);
    plain = await openReportSource({ ...env, maskPii: false });
  });
  afterAll(async () => {
    await masked?.close();
    await plain?.close();
    rmSync(fixture.dir, { recursive: true, force: true });
  });

  it("lists marts and tables, reads a missing mart as unavailable", async () => {
    expect(masked.marts).toContain("customer_summary");
    expect(masked.tables).toContain("customers");
    const missing = await masked.read("cohort_retention");
    expect(missing).toEqual({ name: "cohort_retention", available: false, rows: [] });
  });

  it("masks every personal column in every view, also inside joins", async () => {
    const rows = await masked.query<{ name: string; phone: string; email: string; notes: string | null }>(
      `select c.name, c.phone, c.email, v.notes from customers c join visits v using (customer_id) where customer_id = '${m("C001")}' order by v.visited_at`,
    );
    const h = (v: string) => createHash("sha256").update(`kehu-default-salt:${v}`).digest("hex").slice(0, 6);
    expect(rows[0]).toEqual({
      name: `customer-${h("华东机械有限公司")}`,
      phone: `phone-${h("13800000001")}`,
      email: `user-${h("buyer1@huadong.example.com")}@example.invalid`,
      notes: null,
    });
    expect(rows[1].notes).toBe("(hidden)");
    const unmasked = await plain.query<{ phone: string }>("select phone from customers where customer_id = 'C001'");
    expect(unmasked[0].phone).toBe("13800000001");
  });

  it("masks every customer id, in every table and mart, so they still join", async () => {
    for (const name of [...masked.marts, ...masked.tables]) {
      if (
        !(
          await masked.query(
            `select * from information_schema.columns where table_name = '${name}' and column_name = 'customer_id'`,
          )
        ).length
      )
        continue;
      const ids = await masked.query<{ id: string }>(`select distinct customer_id as id from "${name}"`);
      for (const { id } of ids) expect(id, name).toMatch(/^cust-[0-9a-f]{16}$/);
    }
    const [joined] = await masked.query<{ n: number }>(
      "select count(*) as n from customer_summary s join customers c using (customer_id)",
    );
    expect(joined.n).toBe(6);
    expect((await plain.query<{ id: string }>("select min(customer_id) as id from customers"))[0].id).toBe("C001");
  });

  it("returns BIGINT and DECIMAL as numbers", async () => {
    const rows = await masked.query<{ n: number; d: number }>(
      "select count(*) as n, 1.25::decimal(9,2) as d from customer_summary",
    );
    expect(rows[0]).toEqual({ n: 6, d: 1.25 });
  });

  it("picks top customers by revenue and builds their cards", async () => {
    // revenue: C001 1200+800+1500+900+1100 = 5500, C004 2000+1800 = 3800, C006 700+650 = 1350, C002 300+450-50+600 = 1300
    expect(await topCustomerIds(masked, 3)).toEqual([m("C001"), m("C004"), m("C006")]);
    const cards = await buildCards(masked, {
      ids: [m("C004"), m("C005")],
      listLimit: 5,
      pageIds: new Set([m("C004")]),
    });
    expect(cards.map((c) => c.id).sort()).toEqual([m("C004"), m("C005")].sort());
    const c4 = cards.find((c) => c.id === m("C004"))!;
    expect(c4.slug).toBe(m("C004"));
    expect(c4.page).toBe(true);
    expect(c4.summary).toEqual({ revenue: 3800, orders: 2, first_purchase: "2023-09-20", last_purchase: "2023-12-01" });
    expect(c4.timeline).toEqual([
      ["2023-09", 2000, 1],
      ["2023-12", 1800, 1],
    ]);
    expect(c4.churn?.reasons).toEqual(["long_silence", "low_p_alive", "open_complaint", "overdue_invoice"]);
    // invoice 1800 with 800 paid, due 2023-12-31 < as-of 2024-06-30: 1000 overdue
    expect(c4.invoices).toMatchObject({ total: 1, overdue_amount: 1000 });
    expect(c4.complaints).toMatchObject({ total: 1, open: 1 });
    expect(c4.profile?.phone).toMatch(/^phone-[0-9a-f]{6}$/);
    expect(cards.find((c) => c.id === m("C005"))!.visits).toEqual({ total: 0, rows: [] });
  });

  it("packs cards compactly for the search page and unpacks them unchanged (numbers rounded)", async () => {
    const cards = await buildCards(masked, { ids: null, listLimit: 1, pageIds: new Set([m("C001")]) });
    expect(cards).toHaveLength(6);
    const packed = packCards(cards);
    expect(packed.timelineBase).toBe("2023-08"); // C001's first purchase month, the earliest
    // C004's timeline 2023-09 and 2023-12 are months 1 and 4 after 2023-08
    const c4 = packed.rows.find((r) => r[packed.fields.indexOf("id")] === m("C004"))!;
    expect(c4[packed.fields.indexOf("timeline")]).toEqual([
      [1, 2000, 1],
      [4, 1800, 1],
    ]);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(cards).length * 0.7);
    // Rounding rule of packCards: ratios (grade_score, p_alive, p_lapse) 3 decimals, other fractions 2.
    const rounded = JSON.parse(JSON.stringify(cards), (key, v) =>
      typeof v === "number" && !Number.isInteger(v)
        ? Number(v.toFixed(["grade_score", "p_alive", "p_lapse"].includes(key) ? 3 : 2))
        : v,
    );
    expect(unpackCards(JSON.parse(JSON.stringify(packed)))).toEqual(rounded);
  });

  it("caps the lists but keeps the totals", async () => {
    const [c1] = await buildCards(masked, { ids: [m("C001")], listLimit: 1 });
    expect(c1.visits.total).toBe(2);
    expect(c1.visits.rows).toHaveLength(1);
    expect(c1.visits.rows[0].visited_at).toBe("2024-06-10");
  });
});

describe("tar archives", () => {
  it("are readable by tar", () => {
    const dir = mkdtempSync(join(tmpdir(), "kehu-tar-"));
    try {
      const file = join(dir, "a.tar");
      writeFileSync(
        file,
        tarArchive([
          { name: "C001.json", content: '{"a":1}' },
          { name: "c-x.json", content: "x".repeat(600) },
        ]),
      );
      expect(execFileSync("tar", ["-tf", file], { encoding: "utf8" }).trim().split("\n")).toEqual([
        "C001.json",
        "c-x.json",
      ]);
      expect(execFileSync("tar", ["-xOf", file, "C001.json"], { encoding: "utf8" })).toBe('{"a":1}');
      expect(execFileSync("tar", ["-xOf", file, "c-x.json"], { encoding: "utf8" })).toHaveLength(600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("browser components (pure parts)", () => {
  it("CSV quotes, escapes and defuses formulas", () => {
    const csv = toCsv(
      [
        { a: 'x,"y"', b: 1.5, c: null },
        { a: "=cmd()", b: -2, c: ["p", "q"] },
      ],
      ["a", "b", "c"],
      { a: "名称" },
    );
    expect(csv).toBe('\ufeff名称,b,c\r\n"x,""y""",1.5,\r\n\'=cmd(),-2,p; q\r\n');
  });

  it("formats numbers, money, percentages and dates per locale", () => {
    const zh = makeI18n("zh-CN", "CNY");
    const en = makeI18n("en", "USD");
    expect(zh.money(1234.5)).toBe("¥1,235");
    expect(en.money(1234.5)).toBe("$1,235");
    expect(en.percent(0.8333)).toBe("83.3%");
    expect(en.change(0.5)).toBe("+50%");
    expect(zh.date("2024-06-30")).toBe("2024/06/30");
    expect(en.date("2024-06-30")).toBe("06/30/2024");
    expect(en.integer(null)).toBe("n/a");
    expect(zh.integer(undefined)).toBe("无数据");
    expect(relativeChange(4130, 2550)).toBeCloseTo(1580 / 2550, 12);
    expect(relativeChange(1, 0)).toBeNull();
  });

  it("has every string in both locales", () => {
    expect(Object.keys(STRINGS.en).sort()).toEqual(Object.keys(STRINGS["zh-CN"]).sort());
    expect(translate("en", "common.rows", { n: 3 })).toBe("3 rows");
    expect(translate("zh-CN", "no.such.key")).toBe("no.such.key");
  });
});

describe("my pages' loaders without any data", () => {
  it("emit empty results with what would enable them, never crash", () => {
    const repo = resolve(__dirname, "../..");
    const root = mkdtempSync(join(tmpdir(), "kehu-empty-loaders-"));
    const loaders = ["meta.json.ts", "overview.json.ts", "customers-search.json.ts", "customer-cards.tar.ts"];
    try {
      mkdirSync(join(root, "data"));
      for (const l of loaders) symlinkSync(join(repo, "docs/data", l), join(root, "data", l));
      execFileSync(
        process.execPath,
        ["--import", "tsx", join(repo, "src/report/run-loaders.ts"), root, ...loaders.map((l) => `data/${l}`)],
        {
          cwd: repo,
          env: {
            ...process.env,
            KEHU_MARTS_DIR: join(root, "no-marts"),
            KEHU_TABLES_DIR: join(root, "no-tables"),
            KEHU_AS_OF: "",
          },
          stdio: "pipe",
        },
      );
      const out = (name: string) => readFileSync(join(root, ".observablehq/cache/data", name), "utf8");
      expect(JSON.parse(out("meta.json"))).toMatchObject({
        asOf: null,
        marts: [],
        tables: [],
        files: [],
        martFiles: [],
      });
      const overview = JSON.parse(out("overview.json"));
      expect(overview.kpis.customers).toEqual({ value: null, previous: null, needs: "customer_summary" });
      expect(overview.kpis.receivables_overdue).toEqual({
        value: null,
        previous: null,
        needs: "invoices",
        source: "invoices",
      });
      expect(overview.revenueByMonth).toEqual([]);
      expect(JSON.parse(out("customers-search.json"))).toMatchObject({ available: false, rows: [] });
      expect(out("customer-cards.tar")).toHaveLength(1024); // an empty archive: two zero blocks
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
