import { strykerConfig } from "./base.mjs";
// KEHU_MUTATION_PART=a-b (with `--mutate src/data/ingest.ts:a-b`) names the report and sandbox after the range, so
// two ranges of the file keep their own reports and incremental files.
export default strykerConfig("ingest", ["src/data/ingest.ts"], process.env.KEHU_MUTATION_PART || undefined);
