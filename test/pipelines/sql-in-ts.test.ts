/** Every SQL model is one .sql file (issue: "no SQL model is defined inside a .ts file"). */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../../src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("SQL models live in .sql files", () => {
  it("no TypeScript module under src/ materialises a select as a table or carries a model header", () => {
    const offenders: string[] = [];
    for (const file of tsFiles(ROOT)) {
      const text = readFileSync(file, "utf8");
      // a model header comment inside a string, a `create table x as with ...` (CTEs: a model), or a select that
      // joins or aggregates materialised as a table
      if (
        /[`"']\s*\n?\s*--\s*[a-z_]+: one row per/i.test(text) ||
        /create\s+(or\s+replace\s+)?table\s+\w+\s+as\s+with\b/i.test(text) ||
        /create\s+(or\s+replace\s+)?table\s+\w+\s+as\s+select[^`'"]*\b(join|group\s+by)\b/i.test(text)
      ) {
        offenders.push(relative(ROOT, file));
      }
    }
    expect(offenders).toEqual([]);
  });
});
