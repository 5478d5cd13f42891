import { strykerConfig } from "./base.mjs";
export default strykerConfig("marts", ["src/report/marts.ts"]);
