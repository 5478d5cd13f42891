#!/usr/bin/env node
// `npm run build` (and `prepack`): the JavaScript the published package runs, in lib/. tsc compiles src/ and the
// site's data loaders (docs/data) per tsconfig.build.json; then this copies what tsc does not: the SQL models
// (read from beside the compiled runner) and the site's plain-JS modules that compiled loaders import; and keeps
// only the type declarations the library entry (lib/src/index.d.ts) reaches.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const lib = join(root, "lib");
const filesBelow = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
const relativeImports = (file) =>
  [...readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) =>
    resolve(dirname(file), m[1]),
  );

rmSync(lib, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const compiled = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

for (const file of filesBelow(join(root, "src"))) {
  if (file.endsWith(".sql")) cpSync(file, join(lib, relative(root, file)));
}
// Follow imports transitively: a copied module (docs/components/i18n.js) imports others (its locale tables).
const pending = filesBelow(lib).filter((f) => f.endsWith(".js"));
while (pending.length) {
  for (const target of relativeImports(pending.pop())) {
    const source = join(root, relative(lib, target));
    if (!existsSync(target) && existsSync(source)) {
      cpSync(source, target);
      pending.push(target);
    }
  }
}

// tsc rewrites `./x.ts` imports to `./x.js` in the JavaScript, not in the declarations.
for (const file of filesBelow(lib)) {
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/((?:from|import)\s*\(?\s*"\.{1,2}\/[^"]+)\.ts"/g, '$1.js"');
  if (fixed !== text) writeFileSync(file, fixed);
}
const reached = new Set();
const reach = (file) => {
  if (reached.has(file) || !existsSync(file)) return;
  reached.add(file);
  for (const target of relativeImports(file)) reach(target.replace(/\.js$/, ".d.ts"));
};
reach(join(lib, "src/index.d.ts"));
for (const file of filesBelow(lib)) if (file.endsWith(".d.ts") && !reached.has(file)) rmSync(file);
process.stderr.write(`built ${relative(root, lib)}/: ${filesBelow(lib).length} files\n`);
