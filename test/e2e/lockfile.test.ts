/**
 * `npm ci` on macOS, Windows or Linux arm64 needs every platform's native binary in package-lock.json: npm records
 * an optional dependency only when the registry answered for it, and `npm ci` refuses a lock file missing one
 * ("Missing: @chdb/lib-darwin-arm64@ from lock file"). Every optional dependency of every locked package must have
 * its own entry (hoisted or nested), with the os/cpu that make npm skip it elsewhere.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

interface LockedPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}

const lock = JSON.parse(readFileSync(resolve(__dirname, "../../package-lock.json"), "utf8")) as {
  packages: Record<string, LockedPackage>;
};

/** The lock entry Node's resolution would find for `name` required from the package at `from`. */
function resolveIn(from: string, name: string): LockedPackage | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
    const entry = lock.packages[`${dir ? `${dir}/` : ""}node_modules/${name}`];
    if (entry || !dir) return entry;
  }
}

describe("package-lock.json", () => {
  it("lists every optional dependency of every locked package (all platforms' native binaries)", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {}))
        if (!resolveIn(path, name)) missing.push(`${path} -> ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it("holds DuckDB's binaries for macOS, Windows and Linux, each marked with its platform", () => {
    for (const platform of ["darwin-arm64", "darwin-x64", "win32-x64", "linux-x64", "linux-arm64"]) {
      const entry = lock.packages[`node_modules/@duckdb/node-bindings-${platform}`];
      expect(entry?.os, platform).toEqual([platform.split("-")[0]]);
      expect(entry?.cpu, platform).toEqual([platform.split("-")[1]]);
    }
  });
});
