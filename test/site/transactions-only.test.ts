/**
 * A site from transactions alone (as from the CDNOW sample): KPIs that need another export are "no data" (null),
 * not 0, and the pages of the missing exports (visits, credit, complaints) leave the sidebar.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/data/db.ts";
import { buildSite } from "../../src/report/build.ts";
import { AS_OF, makeSiteFixture, type SiteFixture } from "../helpers/site-fixture.ts";

let fixture: SiteFixture;
let outDir: string;
const data = (name: string) => {
  const file = readdirSync(join(outDir, "_file/data")).find((f) => f.startsWith(`${name}.`) && f.endsWith(".json"))!;
  return JSON.parse(readFileSync(join(outDir, "_file/data", file), "utf8"));
};

beforeAll(async () => {
  fixture = await makeSiteFixture();
  const db = await openDatabase(fixture.databasePath);
  try {
    for (const t of ["visits", "complaints", "invoices"]) await db.exec(`delete from ${t}`);
  } finally {
    await db.close();
  }
  outDir = join(fixture.dir, "dist");
  await buildSite({
    martsDir: fixture.martsDir,
    databasePath: fixture.databasePath,
    outDir,
    locale: "zh-CN",
    topCustomers: 1,
    asOf: AS_OF,
  });
}, 240_000);
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

describe("a site without visits, complaints and invoices", () => {
  it("leaves their pages out of the sidebar, keeps the others", () => {
    const html = readFileSync(join(outDir, "index.html"), "utf8");
    const sidebar = html.slice(html.indexOf('id="observablehq-sidebar"'), html.indexOf("</nav>"));
    for (const page of ["./visits", "./credit", "./complaints"]) expect(sidebar).not.toContain(`href="${page}"`);
    for (const page of ["./followup", "./churn", "./quality"]) expect(sidebar).toContain(`href="${page}"`);
  });

  it("gives the overview's receivables KPI no value (shown as no data), and meta the rows per source", () => {
    const overview = data("overview");
    expect(overview.kpis.receivables_overdue).toMatchObject({ value: null, source: "invoices" });
    expect(overview.kpis.revenue.value).toBeGreaterThan(0);
    expect(data("meta").sources).toMatchObject({ transactions: 16, visits: 0, complaints: 0, invoices: 0 });
  });
});
