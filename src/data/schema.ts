/**
 * kehu.schema.json: the JSON Schema of kehu.config.json, generated from the zod schema (config.ts) so the two cannot
 * drift (test/data/config-schema.test.ts compares the committed file with a fresh one). `kehu init` writes a copy
 * beside the config and points "$schema" at it, so editors complete and check keys offline.
 * Regenerate: `npm run schema`.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { configSchema } from "./config.ts";

export const SCHEMA_FILE = "kehu.schema.json";

/** Older configs (and comments in plain-JSON editors) use keys starting with "//": allowed wherever keys are strict. */
function allowCommentKeys(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(allowCommentKeys);
    return;
  }
  if (!node || typeof node !== "object") return;
  const o = node as Record<string, unknown>;
  if (o.type === "object" && o.additionalProperties === false) o.patternProperties = { "^//": {} };
  Object.values(o).forEach(allowCommentKeys);
}

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  allowCommentKeys(schema);
  return {
    ...schema,
    $id: "https://github.com/kehu/kehu/kehu.schema.json",
    title: "kehu.config.json",
    description:
      "kehu configuration: the exports to load (sources), analysis settings and the report site. Paths are relative to the config file.",
  };
}

export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + "\n";
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = new URL(`../../${SCHEMA_FILE}`, import.meta.url);
  writeFileSync(out, configJsonSchemaText());
  console.log(`wrote ${fileURLToPath(out)}`);
}
