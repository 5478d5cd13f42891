/** `kehu serve`'s server: clean URLs, compressed responses, 400 for a malformed URL, 403 for a path out of the site. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refuse, serveSite } from "../../src/report/serve.ts";

let dir: string;
let server: Server;
const get = (path: string, encoding = "gzip") =>
  new Promise<{ status: number; encoding?: string; body: Buffer; type?: string }>((ok, fail) => {
    const port = (server.address() as AddressInfo).port;
    request({ host: "127.0.0.1", port, path, headers: { "accept-encoding": encoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        ok({
          status: res.statusCode!,
          encoding: res.headers["content-encoding"],
          body: Buffer.concat(chunks),
          type: res.headers["content-type"],
        }),
      );
    })
      .on("error", fail)
      .end();
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kehu-serve-"));
  mkdirSync(join(dir, "site/customers"), { recursive: true });
  writeFileSync(join(dir, "site/index.html"), `<html>${"总览 ".repeat(500)}</html>`);
  writeFileSync(join(dir, "site/customers/C001.html"), "<html>card</html>");
  writeFileSync(join(dir, "secret.txt"), "root:x:0:0");
  server = await serveSite(join(dir, "site"));
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

describe("serveSite", () => {
  it("listens on loopback only", () => {
    expect((server.address() as AddressInfo).address).toBe("127.0.0.1");
  });

  it("serves clean URLs, compressed when the browser accepts it", async () => {
    const home = await get("/");
    expect(home.status).toBe(200);
    expect(home.encoding).toBe("gzip");
    expect(gunzipSync(home.body).toString()).toContain("总览");
    expect(home.body.length).toBeLessThan(500);
    const card = await get("/customers/C001", "identity");
    expect([card.status, card.encoding, card.body.toString()]).toEqual([200, undefined, "<html>card</html>"]);
    expect((await get("/missing")).status).toBe(404);
  });

  it("answers a malformed URL 400 and a path out of the site 403, and keeps running", async () => {
    expect((await get("/%E0%A4%A")).status).toBe(400);
    for (const path of ["/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/..%5csecret.txt"]) {
      const r = await get(path, "identity");
      expect(r.status, path).not.toBe(200);
      expect(r.body.toString()).not.toContain("root:");
    }
    expect(refuse("/..%2f..%2fetc", "/srv/site")).toBe(403);
    expect(refuse("/a/b", "/srv/site")).toBeNull();
    expect((await get("/")).status).toBe(200);
  });
});
