/**
 * Runs the site's data loaders in ONE Node process and writes their outputs where Framework caches them
 * (docs/.observablehq/cache/<path>), so Framework finds them fresh and does not start a tsx process (plus DuckDB)
 * per loader: that costs seconds each. Usage (by src/report/build.ts):
 *   node --import tsx src/report/run-loaders.ts <docs root> <loader file relative to the root>...
 * A loader's stdout is its output, exactly as when Framework runs it; a failing loader fails the whole run.
 * Compiled (lib/src/report/run-loaders.js, the published package), it imports the compiled loaders instead:
 * lib/docs/data/<name>.json.js for docs/data/<name>.json.ts.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [root, ...loaders] = process.argv.slice(2);
const cacheRoot = join(resolve(root), ".observablehq", "cache");
const compiledDocs = import.meta.url.endsWith(".js") ? fileURLToPath(new URL("../../docs/", import.meta.url)) : null;
const realWrite = process.stdout.write.bind(process.stdout);
let target: number | null = null;

process.stdout.write = ((
  chunk: string | Uint8Array,
  encoding?: BufferEncoding | ((e?: Error | null) => void),
  callback?: (e?: Error | null) => void,
) => {
  if (typeof encoding === "function") {
    callback = encoding;
    encoding = undefined;
  }
  if (target === null) return realWrite(chunk as string, encoding as BufferEncoding, callback);
  writeSync(target, typeof chunk === "string" ? Buffer.from(chunk, encoding ?? "utf8") : chunk);
  if (callback) queueMicrotask(() => callback!());
  return true;
}) as typeof process.stdout.write;

for (const loader of loaders) {
  const output = join(cacheRoot, loader.replace(/\.ts$/, ""));
  const temp = `${output}.${process.pid}.tmp`;
  mkdirSync(dirname(output), { recursive: true });
  target = openSync(temp, "w");
  const started = Date.now();
  try {
    const module = compiledDocs ? join(compiledDocs, loader.replace(/\.ts$/, ".js")) : join(resolve(root), loader);
    await import(pathToFileURL(module).href);
    closeSync(target);
    target = null;
    renameSync(temp, output);
    process.stderr.write(`loaded ${loader} in ${Date.now() - started} ms\n`);
  } catch (error) {
    if (target !== null) closeSync(target);
    target = null;
    rmSync(temp, { force: true });
    process.stderr.write(`data loader ${join(root, loader)} failed: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  }
}
