/** Every SQL model is one .sql file (issue: "no SQL model is defined inside a .ts file"). */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../../src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

describe("SQL models live in .sql files", () => {
  it("no TypeScript module under src/ materialises a select as a table or carries a model header", () => {
    const offenders: string[] = [];
    for (const file of tsFiles(ROOT)) {
      const text = readFileSync(file, "utf8");
      // `create or replace table x as select ...` / `... as with ...`, or a model header comment inside a string
      if (/create\s+(or\s+replace\s+)?table\s+\w+\s+as\s+(with|select)\b/i.test(text) || /[`"']\s*\n?\s*--\s*[a-z_]+: one row per/i.test(text)) {
        offenders.push(relative(ROOT, file));
      }
    }
    expect(offenders).toEqual([]);
  });
});
