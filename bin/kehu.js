#!/usr/bin/env node
// Launcher for the `kehu` command: kehu ships TypeScript sources and runs them through tsx's loader.
import { register } from "tsx/esm/api";
register();
await import("../src/cli.ts");
