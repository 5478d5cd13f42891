/**
 * The publishing workflow (parsed, not run) and the `kehu report` command's argument checks.
 */
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";

const ROOT = resolve(__dirname, "../..");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

describe(".github/workflows/publish.yml", () => {
  const workflow = parse(readFileSync(resolve(ROOT, ".github/workflows/publish.yml"), "utf8"));

  it("runs on a schedule and by hand, with the permissions Pages needs", () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(workflow.on).toHaveProperty("workflow_dispatch");
    expect(workflow.permissions).toMatchObject({ pages: "write", "id-token": "write", contents: "read" });
  });

  it("builds in order: checkout, node, npm ci, fetch, ingest, run, masked report, upload", () => {
    const steps: Step[] = workflow.jobs.build.steps;
    const find = (pred: (s: Step) => boolean, what: string) => {
      const i = steps.findIndex(pred);
      expect(i, what).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      find((s) => s.uses?.startsWith("actions/checkout@") ?? false, "checkout"),
      find((s) => s.uses?.startsWith("actions/setup-node@") ?? false, "setup-node"),
      find((s) => /\bnpm ci\b/.test(s.run ?? ""), "npm ci"),
      find((s) => /KEHU_EXPORTS_URL/.test(s.run ?? "") && /curl/.test(s.run ?? ""), "fetch exports"),
      find((s) => /kehu\b.*\bingest\b/.test(s.run ?? ""), "kehu ingest"),
      find((s) => /kehu\b.*\brun$/.test((s.run ?? "").trim()), "kehu run"),
      find((s) => /kehu\b.*\breport\b.*--mask-pii/.test(s.run ?? ""), "kehu report --mask-pii"),
      find((s) => s.uses?.startsWith("actions/upload-pages-artifact@") ?? false, "upload-pages-artifact"),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const upload = steps[order[7]];
    expect(upload.with?.path).toBe("dist");
    expect(steps[order[6]].run).toContain('--out "$GITHUB_WORKSPACE/dist"');
  });

  it("carries the snapshots from run to run: cache restored before `kehu run`, saved after it, same path and key", () => {
    const steps: Step[] = workflow.jobs.build.steps;
    const at = (pred: (s: Step) => boolean) => steps.findIndex(pred);
    const restore = at((s) => s.uses?.startsWith("actions/cache/restore@") ?? false);
    const copyIn = at((s) =>
      /\.kehu-history\/customer_snapshots\.parquet "\$marts_dir\/customer_snapshots\.parquet"/.test(s.run ?? ""),
    );
    const run = at((s) => /kehu\b.*\brun$/.test((s.run ?? "").trim()));
    const copyOut = at((s) => /"\$KEHU_MARTS_DIR\/customer_snapshots\.parquet" \.kehu-history\//.test(s.run ?? ""));
    const save = at((s) => s.uses?.startsWith("actions/cache/save@") ?? false);
    for (const [i, what] of [
      [restore, "restore"],
      [copyIn, "copy in"],
      [copyOut, "copy out"],
      [save, "save"],
    ] as const)
      expect(i, what).toBeGreaterThanOrEqual(0);
    expect(restore < copyIn && copyIn < run && run < copyOut && copyOut < save).toBe(true);
    // a key of its own per run (cache entries are immutable); the newest earlier entry is found by its prefix
    expect(steps[restore].with?.key).toBe(steps[save].with?.key);
    expect(steps[restore].with?.key).toMatch(/^kehu-snapshots-\$\{\{ github\.run_id \}\}/);
    expect(String(steps[restore].with?.["restore-keys"]).trim()).toBe("kehu-snapshots-");
    expect(steps[restore].with?.path).toBe(".kehu-history");
    expect(steps[save].with?.path).toBe(".kehu-history");
    // the copy step resolves the config's martsDir with kehu's own config loader
    expect(steps[copyIn].run).toContain("loadConfig(process.env.KEHU_CONFIG_FILE).martsDir");
  });

  it("deploys the artifact with deploy-pages after the build", () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.needs).toBe("build");
    expect(deploy.environment.name).toBe("github-pages");
    expect(deploy.steps.some((s: Step) => s.uses?.startsWith("actions/deploy-pages@"))).toBe(true);
  });
});

describe("kehu report", () => {
  const kehu = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", resolve(ROOT, "src/cli.ts"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
    });

  it("documents its options", () => {
    const r = kehu("report", "--help");
    expect(r.status).toBe(0);
    for (const option of ["--mask-pii", "--locale", "--out", "--top", "--demo"]) expect(r.stdout).toContain(option);
  });

  it("refuses to build without marts (exit 1) and leaves the site alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "kehu-report-cli-"));
    try {
      writeFileSync(
        join(dir, "kehu.config.json"),
        JSON.stringify({ sources: { transactions: { files: "orders.csv" } } }),
      );
      const r = kehu("-c", join(dir, "kehu.config.json"), "report");
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/no marts in .*: run `kehu run` first/);
      expect(existsSync(join(dir, "dist"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects an unknown locale as a usage error (exit 2)", () => {
    const r = kehu("-c", resolve(ROOT, "no-such-config.json"), "report", "--locale", "fr");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--locale: expected one of zh-CN, en");
  });
});
