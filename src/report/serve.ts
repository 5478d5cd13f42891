/**
 * A static file server for a built site, on loopback only. Framework's pages are ES modules, which browsers refuse
 * to load from file:// — so `kehu serve` is how a manager opens dist/ on a laptop without any other software.
 * Files come from sirv (clean URLs: /customers/C001 -> customers/C001.html; ETags), responses are compressed
 * (gzip/brotli, `compression`), and two checks run before either: a malformed %-escape is answered 400, a path
 * leaving the site's folder 403.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join, normalize, resolve, sep } from "node:path";
import compression from "compression";
import sirv from "sirv";

/** 400 for a URL that cannot be decoded, 403 for one that leaves `root`, else null (go on). */
export function refuse(rawUrl: string | undefined, root: string): 400 | 403 | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(rawUrl ?? "/", "http://127.0.0.1").pathname);
  } catch {
    return 400;
  }
  const path = normalize(join(root, pathname));
  return path === root || path.startsWith(root + sep) ? null : 403;
}

/** Serve `dir` on 127.0.0.1 (port 0 = any free port); resolves once listening. */
export function serveSite(dir: string, port = 0, host = "127.0.0.1"): Promise<Server> {
  const root = resolve(dir);
  // dev: look each file up when asked (a `kehu report` meanwhile replaces dist/), with ETags for cheap reloads.
  const files = sirv(root, { dev: true, etag: true, extensions: ["html"] });
  const compress = compression();
  const notFound = (res: ServerResponse): void => {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found");
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/favicon.ico") {
      res.writeHead(204).end(); // the browser asks for it by itself; GitHub Pages answers 404, harmlessly
      return;
    }
    const refused = refuse(req.url, root);
    if (refused) {
      res
        .writeHead(refused, { "content-type": "text/plain; charset=utf-8" })
        .end(refused === 400 ? "malformed URL" : "forbidden");
      return;
    }
    compress(req as never, res as never, () => files(req, res, () => notFound(res)));
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => done(server));
  });
}
