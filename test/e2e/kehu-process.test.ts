/**
 * The `kehu` binary as a user runs it, one process per command: init -> demo -> ingest -> run -> report (masking
 * switched on in the config file, not by flag, and the published files grepped for the raw names and phones) ->
 * serve (a page, a path-traversal attempt, a malformed URL), with every exit code checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import iconv from "iconv-lite";
import Papa from "papaparse";

const REPO = resolve(__dirname, "../..");
const BIN = join(REPO, "bin/kehu.js");
let dir: string;
let config: string;

function kehu(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kehu-e2e-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filesUnder(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("kehu as a process", () => {
  it("init writes a config; a missing config is a usage error (exit 2); run before ingest is a data error (exit 1)", () => {
    const init = kehu("init");
    expect(init.code, init.err).toBe(0);
    expect(existsSync(join(dir, "kehu.config.json"))).toBe(true);
    expect(kehu("-c", "nope.json", "run").code).toBe(2);
    expect(kehu("run", "--no-such-flag").code).toBe(2);
  });

  it("demo -> ingest -> run -> report with maskPii from the config publishes no raw name or phone", () => {
    expect(kehu("demo", "--customers", "150", "--out", "demo").code).toBe(0);
    config = join(dir, "demo", "kehu.config.json");
    const cfg = JSON.parse(readFileSync(config, "utf8"));
    cfg.report = { ...(cfg.report ?? {}), maskPii: true, outDir: "../site" };
    writeFileSync(config, JSON.stringify(cfg, null, 2));
    const empty = kehu("-c", config, "run");
    expect(empty.code, empty.err).toBe(1);
    const ingest = kehu("-c", config, "ingest");
    expect(ingest.code, ingest.err).toBe(0);
    const run = kehu("-c", config, "run");
    expect(run.code, run.err).toBe(0);
    const report = kehu("-c", config, "report");
    expect(report.code, report.err).toBe(0);
    const site = join(dir, "site");
    expect(existsSync(join(site, "index.html"))).toBe(true);
    // the customers file is GBK with Chinese headers: 客户名称 (name), 电话 (phone)
    const customers = Papa.parse<Record<string, string>>(
      iconv.decode(readFileSync(join(dir, "demo", "customers.csv")), "gbk"),
      { header: true, skipEmptyLines: true },
    ).data;
    const secrets = customers.flatMap((c) => [c["客户名称"], c["电话"]]).filter((v) => v && v.length >= 6);
    expect(secrets.length).toBeGreaterThan(100);
    const published = filesUnder(site)
      .filter((f) => /\.(html|js|json|csv|txt|md)$/.test(f))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const leaked = secrets.filter((s) => published.includes(s));
    expect(leaked).toEqual([]);
  }, 300_000);

  it("serve shows a page on 127.0.0.1, refuses traversal attempts, answers a malformed URL with 400 (it used to crash)", async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, "-c", config, "serve", "--port", "0"], { cwd: dir });
    try {
      const port = await new Promise<number>((ok, fail) => {
        let out = "";
        child.stdout!.on("data", (c) => {
          out += c;
          const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
          if (m) ok(Number(m[1]));
        });
        child.on("exit", (code) => fail(new Error(`serve exited ${code}`)));
        setTimeout(() => fail(new Error(`serve printed no address: ${out}`)), 30_000);
      });
      const page = await get(port, "/");
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/<html/i);
      for (const path of [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
      ]) {
        const r = await get(port, path);
        expect(r.status, path).not.toBe(200);
        expect(r.body).not.toMatch(/root:/);
      }
      const bad = await get(port, "/%E0%A4%A");
      expect(bad.status).toBeGreaterThanOrEqual(400);
      expect(bad.status).toBeLessThan(500);
    } finally {
      child.kill();
    }
  }, 60_000);
});
