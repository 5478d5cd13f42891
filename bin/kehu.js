#!/usr/bin/env node
// Launcher for the `kehu` command. The published package runs the compiled JavaScript in lib/ (`npm run build`,
// run by prepack); a checkout, where src/cli.ts exists, runs the TypeScript sources through tsx's loader (a
// devDependency), so there is nothing to rebuild while developing. src/cli.ts only defines the program; running it
// (and the exit code) happens here, so the CLI module can be imported by tests.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(source.href);
} else {
  cli = await import("../lib/src/cli.js");
}
process.exitCode = await cli.main(process.argv);
