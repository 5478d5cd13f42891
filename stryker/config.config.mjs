import { strykerConfig } from "./base.mjs";
export default strykerConfig("config", ["src/data/config.ts"]);
