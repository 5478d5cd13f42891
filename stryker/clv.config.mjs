import { strykerConfig } from "./base.mjs";
export default strykerConfig("clv", ["src/pipelines/clv/**/*.ts"]);
