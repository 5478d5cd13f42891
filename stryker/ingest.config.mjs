import { strykerConfig } from "./base.mjs";
export default strykerConfig("ingest", ["src/data/ingest.ts"]);
