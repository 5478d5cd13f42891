/**
 * npm run test:planted [-- name ...]: plants, one at a time, the small plausible bugs of issue 16 (each one a bug a
 * spot check once shipped unnoticed) and checks that the named tests catch it.
 *
 * It works on a temporary copy of the repository (git's tracked and untracked, non-ignored files; node_modules and
 * ../shared linked), so the working tree is never touched. First the named test files run once unmutated (they must
 * pass: a failure there would make every "killed" meaningless); then for each plant the exact text `from` must occur
 * exactly once in `file` (else the plant no longer applies: the code moved, and this list must follow it), is
 * replaced by `to`, the plant's tests run, and the file is restored. Prints plant -> killing tests -> killed, and
 * exits 1 if a plant survives or does not apply.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PLANTS, type Plant } from "./plants.ts";

const REPO = resolve(import.meta.dirname, "../..");

function copyRepo(): string {
  const root = mkdtempSync(join(tmpdir(), "kehu-planted-"));
  const copy = join(root, "repo");
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO,
    encoding: "utf8",
  })
    .stdout.split("\0")
    .filter((f) => f && f !== "node_modules");
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    try {
      cpSync(join(REPO, f), join(copy, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e; // deleted in the work tree, not yet in git
    }
  }
  symlinkSync(join(REPO, "node_modules"), join(copy, "node_modules"));
  symlinkSync(resolve(REPO, "../shared"), join(root, "shared"));
  return copy;
}

function vitest(copy: string, tests: string[]): { ok: boolean; output: string } {
  const r = spawnSync(
    process.execPath,
    [join(copy, "node_modules/vitest/vitest.mjs"), "run", "--reporter=dot", ...tests],
    {
      cwd: copy,
      encoding: "utf8",
      maxBuffer: 64 << 20,
      env: { ...process.env, CI: "1" },
    },
  );
  return { ok: r.status === 0, output: `${r.stdout}\n${r.stderr}` };
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

interface Row {
  plant: string;
  tests: string;
  result: "killed" | "SURVIVED" | "DOES NOT APPLY";
}

function plant(copy: string, p: Plant): Row {
  const path = join(copy, p.file);
  const original = readFileSync(path, "utf8");
  const row = { plant: p.name, tests: p.tests.join(" ") };
  if (occurrences(original, p.from) !== 1) return { ...row, result: "DOES NOT APPLY" };
  try {
    writeFileSync(path, original.replace(p.from, p.to));
    return { ...row, result: vitest(copy, p.tests).ok ? "SURVIVED" : "killed" };
  } finally {
    writeFileSync(path, original);
  }
}

function table(rows: Row[]): string {
  const w = [Math.max(5, ...rows.map((r) => r.plant.length)), Math.max(5, ...rows.map((r) => r.tests.length))];
  const line = (a: string, b: string, c: string) => `| ${a.padEnd(w[0])} | ${b.padEnd(w[1])} | ${c} |`;
  return [
    line("plant", "tests", "result"),
    line("-".repeat(w[0]), "-".repeat(w[1]), "------"),
    ...rows.map((r) => line(r.plant, r.tests, r.result)),
  ].join("\n");
}

const only = process.argv.slice(2);
const unknown = only.filter((n) => !PLANTS.some((p) => p.name === n));
if (unknown.length)
  throw new Error(`unknown plant(s): ${unknown.join(", ")}; known: ${PLANTS.map((p) => p.name).join(", ")}`);
const chosen = only.length ? PLANTS.filter((p) => only.includes(p.name)) : PLANTS;
const copy = copyRepo();
try {
  const baseline = vitest(copy, [...new Set(chosen.flatMap((p) => p.tests))]);
  if (!baseline.ok) {
    process.stderr.write(`${baseline.output}\nthe plants' tests fail without any plant: fix them first\n`);
    process.exitCode = 1;
  } else {
    const rows: Row[] = [];
    for (const p of chosen) {
      rows.push(plant(copy, p));
      process.stderr.write(`${rows.at(-1)!.result.padEnd(8)} ${p.name}\n`);
    }
    process.stdout.write(`${table(rows)}\n`);
    const bad = rows.filter((r) => r.result !== "killed");
    process.stdout.write(
      bad.length ? `${bad.length} of ${rows.length} plants not killed\n` : `all ${rows.length} plants killed\n`,
    );
    process.exitCode = bad.length ? 1 : 0;
  }
} finally {
  rmSync(dirname(copy), { recursive: true, force: true });
}
