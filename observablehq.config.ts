/**
 * Observable Framework config for the kehu report site. Build it through `kehu report` (src/report/build.ts), which
 * passes everything by environment variables (see docs/CONVENTIONS.md): KEHU_LOCALE, KEHU_TITLE, KEHU_SITE_OUT,
 * KEHU_CUSTOMER_PATHS (a JSON file listing the customer card pages), KEHU_MARTS_DIR, ... Nothing here may point at
 * the internet: the site is built and read offline.
 */
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolveLocale, translate } from "./docs/components/i18n.js";

const locale = resolveLocale(process.env.KEHU_LOCALE);
const t = (key: string) => translate(locale, key);

/** Customer card pages (/customers/<slug>) chosen by the build: the top report.topCustomers customers by value. */
function customerPaths(): string[] {
  const file = process.env.KEHU_CUSTOMER_PATHS;
  if (!file || !existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, "utf8")) as string[]).map((slug) => `/customers/${slug}`);
}

/** Rows per input source, written by the build (absent: every page is listed). */
function sourceRows(): Record<string, number> | null {
  const file = process.env.KEHU_SOURCE_ROWS;
  return file && existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, number>) : null;
}
const rows = sourceRows();
/** Pages that show one export only: without rows in it they leave the sidebar (the page itself says what enables it). */
const NEEDS: Record<string, string> = { visits: "visits", credit: "invoices", complaints: "complaints" };

const root = fileURLToPath(new URL("./docs/", import.meta.url));
/** A sidebar entry, listed only once its page exists (pages are written by several people; a missing page would fail the build). */
const page = (key: string, path: string) =>
  rows && NEEDS[key] && !rows[NEEDS[key]]
    ? []
    : existsSync(`${root}${path.endsWith("/") ? `${path}index` : path}.md`)
      ? [{ name: t(`nav.${key}`), path }]
      : [];

export default {
  root: "docs",
  output: process.env.KEHU_SITE_OUT ?? "dist",
  title: process.env.KEHU_TITLE || t("site.title"),
  pages: [
    {
      name: t("nav.section.analysis"),
      open: true,
      pages: [
        ...page("frequency", "/frequency"),
        ...page("cohorts", "/cohorts"),
        ...page("clv", "/clv"),
        ...page("value-matrix", "/value-matrix"),
        ...page("grades", "/grades"),
        ...page("churn", "/churn"),
        ...page("regions", "/regions"),
      ],
    },
    {
      name: t("nav.section.crm"),
      open: true,
      pages: [
        ...page("followup", "/followup"),
        ...page("visits", "/visits"),
        ...page("credit", "/credit"),
        ...page("complaints", "/complaints"),
        ...page("accounts", "/accounts"),
        ...page("customers", "/customers/"),
        ...page("quality", "/quality"),
      ],
    },
  ],
  // `home` is inserted as HTML: the localised strings contain no markup.
  home: t("nav.overview"),
  dynamicPaths: customerPaths(),
  // The defaults load web fonts from Google and link to observablehq.com: keep the site self-contained.
  globalStylesheets: [],
  footer: "",
  search: false,
  toc: false,
  pager: false,
};
