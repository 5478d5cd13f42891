/**
 * The built site as files (one masked English build of the fixture, shared by the tests of this file): nothing
 * fetched from the internet, no raw personal data anywhere, localised navigation, customer pages for the top N;
 * and a failing data loader fails the build and leaves the previous site untouched.
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, extname } from "node:path";
import { buildSite, findPiiLeaks, SiteBuildError } from "../../src/report/build.ts";
import { DEFAULT_PII_SALT, pseudonymId, reportEnv } from "../../src/report/marts.ts";
import { writeMartsManifest } from "../../src/report/run-manifest.ts";
import { openDatabase } from "../../src/data/db.ts";
import { buildFixtureSite, SITE_CUSTOMERS, type SiteFixture } from "../helpers/site-fixture.ts";

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

let fixture: SiteFixture;
let outDir: string;

beforeAll(async () => {
  ({ fixture, outDir } = await buildFixtureSite({ maskPii: true, locale: "en", topCustomers: 3 }));
});
afterAll(() => {
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

describe("built site", () => {
  it("has the overview, the search page and a page per top customer", () => {
    expect(existsSync(join(outDir, "index.html"))).toBe(true);
    expect(existsSync(join(outDir, "customers/index.html"))).toBe(true);
    // top 3 by revenue: C001 5500, C004 3800, C006 1350 (C002 1300 is fourth), under their pseudonymous ids
    const pages = readdirSync(join(outDir, "customers"))
      .filter((f) => f.endsWith(".html"))
      .sort();
    const masked = ["C001", "C004", "C006"].map((id) => `${pseudonymId(id, DEFAULT_PII_SALT)}.html`);
    expect(pages).toEqual([...masked, "index.html"].sort());
    // nothing is left of the staging dir next to the output
    expect(readdirSync(fixture.dir).filter((f) => f.startsWith(".dist"))).toEqual([]);
  });

  it("fetches nothing from the internet: no /_npm/ imports, no http(s) resources", () => {
    expect(existsSync(join(outDir, "_npm"))).toBe(false);
    // No file at all, Framework's own client included, names a /_npm/ path (the build cuts its lazy CDN imports).
    for (const file of filesUnder(outDir)) expect(readFileSync(file, "utf8").includes("/_npm/"), file).toBe(false);
    for (const file of filesUnder(outDir)) {
      const rel = file.slice(outDir.length + 1);
      const ext = extname(file);
      if (ext !== ".html" && ext !== ".css" && !(ext === ".js" && rel.startsWith("_import/"))) continue;
      const text = readFileSync(file, "utf8");
      // Framework's own client (_observablehq/) lists lazy CDN imports for implicit globals it never loads
      // unless a page uses them; pages and our components must not reference any.
      expect(text, rel).not.toMatch(/\/_npm\//);
      expect(text, rel).not.toMatch(/\b(?:src|href)\s*=\s*["']?https?:/i);
      expect(text, rel).not.toMatch(/@import\s+(?:url\()?["']?https?:/i);
      expect(text, rel).not.toMatch(/\bimport\s*(?:\(|[^;]*?\bfrom)\s*["']https?:/);
      expect(text, rel).not.toMatch(/\bnpm:/);
    }
  });

  it("contains no raw phone, email, name, address or customer id of any customer (masked build)", () => {
    const secrets = SITE_CUSTOMERS.flatMap((c) => [
      c.phone,
      c.email,
      c.name,
      c.address,
      c.decision_maker,
      c.customer_id,
    ]);
    for (const file of filesUnder(outDir)) {
      const text = readFileSync(file, "utf8");
      for (const secret of secrets) expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });

  it("is in English, with the localised navigation", () => {
    const html = readFileSync(join(outDir, "index.html"), "utf8");
    expect(html).toContain("Customer search");
    expect(html).toContain("<title>Overview | Customer analytics</title>");
    const meta = readdirSync(join(outDir, "_file/data")).find((f) => f.startsWith("meta."))!;
    const json = JSON.parse(readFileSync(join(outDir, "_file/data", meta), "utf8"));
    expect(json).toMatchObject({ locale: "en", maskPii: true, asOf: "2024-06-30", runId: "fixture-run-1" });
    expect(json.files.map((f: { file: string }) => f.file)).toEqual(["客户.csv", "orders_2024.csv"]);
  });
});

describe("leak check", () => {
  /** Leaks found in `files` (path -> content) against one mart of raw values made by `martSql`. */
  async function leaksIn(name: string, martSql: string, files: Record<string, string>) {
    const dir = join(fixture.dir, name);
    const marts = join(fixture.dir, `${name}-marts`);
    mkdirSync(marts, { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
    const db = await openDatabase(":memory:");
    await db.exec(`copy (${martSql}) to '${join(marts, "raw.parquet")}' (format parquet)`);
    await db.close();
    const leaks = await findPiiLeaks(dir, reportEnv({ KEHU_MARTS_DIR: marts }));
    return leaks.sort((a, b) => a.file.localeCompare(b.file));
  }

  it("finds a raw phone or email planted in the output, whatever its formatting", async () => {
    const leaks = await leaksIn(
      "leaky",
      "select '+86 139-0000-0002' as contact_phone, 'Buyer1@huadong.example.com' as email",
      {
        "_file/a.json": JSON.stringify({ phone: "139 0000 0002" }),
        "page.html": "<p>mail buyer1@huadong.example.com</p>",
        "clean.html": "<p>1390000000 and 13900000021 and user-1@example.invalid</p>",
      },
    );
    expect(leaks).toEqual([
      { file: "_file/a.json", kind: "phone" },
      { file: "page.html", kind: "email" },
    ]);
  });

  it("finds a raw name or customer id in any file of the output, also JSON- or HTML-escaped", async () => {
    // customer_id mapped to a name column: the ids are names
    // (a contact who shares a sales rep's name is not looked for: reps are published)
    const raw = `select * from (values ('王小明', 'Ann "A" Lee', 'ACME-0042', 'Wang Fang'), ('17', 'Wang Fang', 'Li', null))
      t(customer_id, name, referred_by, sales_rep)`;
    const leaks = await leaksIn("leaky-names", raw, {
      "card.html": "<h1>客户 王小明 的卡片</h1>",
      "_node/lib/data.js": 'export const x = {"n":"Ann \\"A\\" Lee"};',
      "ref.txt": "referred by ACME-0042.",
      "escaped.html": "<p>Ann &quot;A&quot; Lee</p>",
      // a number 17, "Li" (too short to be anyone's), ids inside longer words, a rep's name: not leaks
      "clean.html": "<p>17 orders; Lisa and XACME-00421 cust-0123456789abcdef, rep Wang Fang</p>",
    });
    expect(leaks).toEqual([
      { file: "_node/lib/data.js", kind: "name" },
      { file: "card.html", kind: "customer_id" },
      { file: "escaped.html", kind: "name" },
      { file: "ref.txt", kind: "customer_id" },
    ]);
  });
});

describe("a failing build", () => {
  it("fails loudly and leaves the previous site untouched", async () => {
    const before = readFileSync(join(outDir, "index.html"), "utf8");
    const badMarts = join(fixture.dir, "bad-marts");
    mkdirSync(badMarts, { recursive: true });
    writeFileSync(join(badMarts, "customer_summary.parquet"), "this is not parquet");
    writeMartsManifest(badMarts, { runId: "bad-run", asOf: null });
    const error = await buildSite({ martsDir: badMarts, outDir, locale: "en", topCustomers: 0 }).catch((e) => e);
    expect(error).toBeInstanceOf(SiteBuildError);
    expect(String(error.message)).toMatch(/customer_summary|parquet|loader/i);
    expect(readFileSync(join(outDir, "index.html"), "utf8")).toBe(before);
    expect(readdirSync(fixture.dir).filter((f) => f.startsWith(".dist"))).toEqual([]);
  });
});
