/**
 * `kehu report` takes locale, maskPii, topCustomers and outDir from the config's report section, a flag winning over
 * its setting (siteOptionsFor; the e2e test runs the binary with maskPii and outDir from the config file).
 */
import { describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { parseConfig, resolvePaths } from "../../src/data/config.ts";
import { siteOptionsFor } from "../../src/report/build.ts";

const base = join(tmpdir(), "kehu-report-options");
const config = (report: Record<string, unknown> = {}) =>
  resolvePaths(parseConfig({ sources: { transactions: { files: "t.csv" } }, report }), base);

describe("siteOptionsFor", () => {
  it("takes every report setting from the config", () => {
    const o = siteOptionsFor(config({ locale: "en", maskPii: true, topCustomers: 7, outDir: "site", title: "T" }), {});
    expect(o).toMatchObject({ locale: "en", maskPii: true, topCustomers: 7, outDir: join(base, "site"), title: "T" });
  });

  it("uses the defaults without settings: zh-CN, no masking, 500 cards, dist/", () => {
    expect(siteOptionsFor(config(), {})).toMatchObject({
      locale: "zh-CN",
      maskPii: false,
      topCustomers: 500,
      outDir: join(base, "dist"),
    });
  });

  it("lets each flag win over its setting; --demo without --out writes to dist/ in the working directory", () => {
    const cfg = config({ locale: "en", maskPii: true, topCustomers: 7, outDir: "site" });
    expect(siteOptionsFor(cfg, { locale: "zh-CN", maskPii: false, top: 0, out: "elsewhere" })).toMatchObject({
      locale: "zh-CN",
      maskPii: false,
      topCustomers: 0,
      outDir: resolve("elsewhere"),
    });
    expect(siteOptionsFor(cfg, { demo: true }).outDir).toBe(resolve("dist"));
    expect(siteOptionsFor(cfg, { demo: true, out: "x" }).outDir).toBe(resolve("x"));
  });
});
