/**
 * Every code a reader can see has words in both locales: the codes of the exports (complaint categories,
 * severities, visit kinds and outcomes: the demo's, the fixtures' and the pipeline's fallbacks), the reason and
 * problem codes documented in the SQL headers of the marts, and the model messages of the CLV fits.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain JS modules of the site
import { KNOWN_CODES, modelMessageKey } from "../../docs/components/i18n-codes.js";
import { STRINGS } from "../../docs/components/i18n.js";
import { makeI18n } from "../../docs/components/format.js";
import { siteFixtureData } from "../helpers/site-fixture.ts";

const ROOT = resolve(__dirname, "../..");
const read = (path: string) => readFileSync(resolve(ROOT, path), "utf8");
const LOCALES = ["zh-CN", "en"] as const;
const strings = STRINGS as Record<string, Record<string, string>>;

/** The string constants of `const NAME = [...]` in src/data/demo.ts. */
function demoList(name: string): string[] {
  const m = new RegExp(`const ${name} = \\[([^\\]]*)\\]`).exec(read("src/data/demo.ts"));
  expect(m, name).not.toBeNull();
  return [...m![1].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
}

/** The codes listed in a SQL header after `marker`: lines "--   code   explanation" (indented by 3). */
function sqlCodes(file: string, marker: string): string[] {
  const lines = read(file).split("\n");
  const start = lines.findIndex((l) => l.includes(marker));
  expect(start, `${file}: ${marker}`).toBeGreaterThanOrEqual(0);
  const codes: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^-- {3}([a-z_]+)\s{2,}/.exec(line);
    if (m) codes.push(m[1]);
    else if (!/^-- {4,}/.test(line)) break; // continuation lines are indented further
  }
  expect(codes.length, file).toBeGreaterThan(2);
  return codes;
}

describe("codes a reader sees", () => {
  const fixture = siteFixtureData();
  const seen: Record<string, string[]> = {
    complaint_category: [...demoList("COMPLAINT_CATEGORIES"), ...fixture.complaints!.map((c) => String(c.category))],
    severity: [...demoList("SEVERITIES"), ...fixture.complaints!.map((c) => String(c.severity))],
    visit_kind: [...demoList("VISIT_KINDS"), ...fixture.visits!.map((v) => String(v.kind))],
    visit_outcome: [
      ...demoList("VISIT_OUTCOMES"),
      ...fixture.visits!.map((v) => String(v.outcome)).filter((o) => !o.includes("<")),
    ],
  };

  it.each(Object.keys(seen))("every %s of the demo and the fixtures is a known code", (kind) => {
    expect(seen[kind].filter((c) => !KNOWN_CODES[kind].includes(c))).toEqual([]);
  });

  it.each(LOCALES)("every known code has words in %s (no fallback to English or the code)", (locale) => {
    const fmt = makeI18n(locale);
    for (const [kind, codes] of Object.entries(KNOWN_CODES as Record<string, string[]>)) {
      for (const code of codes) {
        expect(strings[locale][`code.${kind}.${code}`], `${locale} code.${kind}.${code}`).toBeTruthy();
        expect(fmt.code(kind, code)).not.toBe(code);
        if (locale === "zh-CN") expect(fmt.code(kind, code), code).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  const documented: [string, string, string][] = [
    ["src/pipelines/crm/followup_queue.sql", "reasons (VARCHAR[]", "followup.reason."],
    ["src/pipelines/crm/problem_accounts.sql", "problems (VARCHAR[]", "accounts.problem."],
    ["src/pipelines/clv/churn_risk.sql", "reasons (codes", "reason."],
  ];
  it.each(documented)("every code in the header of %s translates in both locales", (file, marker, prefix) => {
    for (const code of sqlCodes(file, marker)) {
      for (const locale of LOCALES)
        expect(strings[locale][`${prefix}${code}`], `${locale} ${prefix}${code}`).toBeTruthy();
    }
  });

  it("every model message the CLV fits write is translated, with its numbers", () => {
    const sources = ["src/pipelines/clv/optimize.ts", "src/pipelines/clv/models.ts", "src/pipelines/clv/steps.ts"]
      .map(read)
      .join("\n");
    const messages = [...sources.matchAll(/message: (?:converged \? )?["`]([^"`]+)["`](?: : [`"]([^"`]+)[`"])?/g)]
      .flatMap((m) => [m[1], m[2]])
      .filter(Boolean);
    expect(messages.length).toBeGreaterThan(5);
    for (const raw of messages) {
      const example = raw.replace(/\$\{[^}]+\}/g, "12");
      expect(modelMessageKey(example), raw).not.toBeNull();
    }
    const zh = makeI18n("zh-CN");
    expect(zh.modelMessage("Nelder-Mead stopped after 500 iterations without converging")).toBe(
      "Nelder-Mead 迭代 500 次后仍未收敛",
    );
    expect(zh.modelMessage("fit failed: no customers to fit")).toBe("拟合失败：没有可拟合的客户");
  });

  it("lists are joined the locale's way", () => {
    expect(makeI18n("en").list(["a", "b"])).toBe("a, b");
    expect(makeI18n("zh-CN").list(["a", "b"])).toBe("a、b");
  });
});
