#!/usr/bin/env node
// Launcher for the `kehu` command: kehu ships TypeScript sources and runs them through tsx's loader. src/cli.ts only
// defines the program; running it (and the exit code) happens here, so the CLI module can be imported by tests.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv);
