/**
 * The planted-bug list must follow the code: every plant's `from` text occurs exactly once in its file (else
 * `npm run test:planted` reports it "DOES NOT APPLY" and the bug it stands for goes unchecked), its `to` differs, and
 * the test files it names exist. Runs in milliseconds, so the list cannot rot between runs of test:planted (three
 * plants had: models.ts was restructured and nothing noticed).
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PLANTS } from "./plants.ts";

describe("planted bugs", () => {
  it.each(PLANTS.map((p) => [p.name, p] as const))("%s still applies", (_name, p) => {
    const text = readFileSync(p.file, "utf8");
    expect(text.split(p.from).length - 1).toBe(1);
    expect(p.to).not.toBe(p.from);
    expect(p.tests.length).toBeGreaterThan(0);
    for (const t of p.tests) expect(existsSync(t), t).toBe(true);
  });

  it("has unique names", () => {
    expect(new Set(PLANTS.map((p) => p.name)).size).toBe(PLANTS.length);
  });
});
