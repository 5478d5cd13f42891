import { strykerConfig } from "./base.mjs";
// KEHU_MUTATE_FILE=models (say) mutates src/pipelines/clv/models.ts alone, with its own report and incremental file;
// KEHU_MUTATION_PART=a-b (with `-- --mutate src/pipelines/clv/models.ts:a-b`) names the report and sandbox after
// the range too, so two ranges of one file can run side by side.
const file = process.env.KEHU_MUTATE_FILE;
const part = [file, process.env.KEHU_MUTATION_PART].filter(Boolean).join("-");
export default strykerConfig(
  "clv",
  [file ? `src/pipelines/clv/${file}.ts` : "src/pipelines/clv/**/*.ts"],
  part || undefined,
);
