/**
 * Worker threads for the CPU-bound parts of the CLV steps: `runInThread` calls an exported function of a module in a
 * worker thread (arguments structured-cloned, typed arrays of the result moved back). Run from the TypeScript
 * sources (tsx, vitest) the worker registers tsx's loader before importing the module; from the compiled package it
 * imports the .js directly. Results are whatever the function returns: the callers split work so that every value
 * is computed by the same code on the same inputs as in one thread (identical doubles).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const ENTRY = new URL(FROM_SOURCE ? "./threadEntry.ts" : "./threadEntry.js", import.meta.url);

/** tsx's ESM loader API as a file URL (its package.json's export "./esm/api"), for workers run from source. */
function tsxLoaderUrl(): string {
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  const exported = JSON.parse(readFileSync(manifest, "utf8")).exports["./esm/api"].import.default as string;
  return pathToFileURL(join(dirname(manifest), exported)).href;
}

/** Below this many customers a step stays in one thread: a worker's start (~0.5 s) would cost more than it saves. */
export const MIN_THREADED_CUSTOMERS = 50_000;

/** How many threads a split uses: `limit` (e.g. duckdb.threads) if given, else every core, at most 8. */
export function threadCount(limit?: number): number {
  return Math.max(1, Math.min(limit ?? availableParallelism(), 8));
}

/** `moduleUrl`'s export `name` applied to `args` in a worker thread; rejects with the worker's error. */
export function runInThread<T>(moduleUrl: string, name: string, args: unknown[]): Promise<T> {
  const workerData = { moduleUrl, name, args };
  const worker = FROM_SOURCE
    ? new Worker(
        `import(${JSON.stringify(tsxLoaderUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); })`,
        { eval: true, workerData },
      )
    : new Worker(ENTRY, { workerData });
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    worker.once("message", (result: T) => {
      settled = true;
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`worker thread for ${name} exited with code ${code} before answering`));
    });
  });
}
