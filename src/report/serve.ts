/**
 * A static file server for a built site, on loopback only. Framework's pages are ES modules, which browsers refuse
 * to load from file:// — so `kehu serve` is how a manager opens dist/ on a laptop without any other software.
 * Serves the clean URLs Framework emits (/customers/C001 -> customers/C001.html).
 */
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".csv": "text/csv",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

/** Serve `dir` on 127.0.0.1 (port 0 = any free port); resolves once listening. */
export function serveSite(dir: string, port = 0, host = "127.0.0.1"): Promise<Server> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204).end(); // the browser asks for it by itself; GitHub Pages answers 404, harmlessly
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end("malformed URL"); // a bad %-escape must not take the server down
      return;
    }
    let path = normalize(join(root, decoded));
    if (path !== root && !path.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, "index.html");
    else if (!existsSync(path) && existsSync(`${path}.html`)) path = `${path}.html`;
    if (!existsSync(path)) {
      res.writeHead(404).end("not found");
      return;
    }
    // Framework's assets have content hashes in their names: let the browser cache them across the pages.
    const immutable = /^\/_(node|import|observablehq|file)\//.test(url.pathname);
    res.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    res.end(readFileSync(path));
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => done(server));
  });
}
