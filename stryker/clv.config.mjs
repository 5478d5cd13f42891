import { strykerConfig } from "./base.mjs";
// KEHU_MUTATE_FILE=models (say) mutates src/pipelines/clv/models.ts alone, with its own report and incremental file.
const file = process.env.KEHU_MUTATE_FILE;
export default strykerConfig("clv", [file ? `src/pipelines/clv/${file}.ts` : "src/pipelines/clv/**/*.ts"], file);
