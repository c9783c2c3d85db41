// A minimal static file server for the built dist/ (tests and benchmarks): correct MIME types for
// wasm, loopback only, a random free port. No caching, unless `{ cacheHashed: true }`: then the
// files Trunk names by content hash (the wasm, its JS, CSS) are served as a static host would,
// immutable for a year, so a second visit takes them from the HTTP cache.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

const HASHED = /-[0-9a-f]{12,16}(_bg)?\.(wasm|js|css|svg)$/;

/// `cors: true` adds `Access-Control-Allow-Origin: *`, as static hosts such as GitHub Pages send:
/// what a post on another origin needs to load the app as a module (README, "Host it yourself").
/// `precompressed: true` sends FILE.br or FILE.gz (scripts/precompress.mjs writes them) where the
/// browser accepts it, as a static host does (benchmarks of a first visit).
export async function serve(root, { cacheHashed = false, cors = false, precompressed = false } = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(normalize(root))) {
      res.writeHead(403).end();
      return;
    }
    try {
      const accepts = String(req.headers['accept-encoding'] ?? '');
      let [body, encoding] = [null, null];
      for (const [enc, ext] of precompressed ? [['br', '.br'], ['gzip', '.gz']] : []) {
        if (body || !accepts.includes(enc)) continue;
        body = await readFile(file + ext).catch(() => null);
        encoding = body && enc;
      }
      body ??= await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        ...(encoding ? { 'content-encoding': encoding, vary: 'accept-encoding' } : {}),
        'cache-control': cacheHashed && HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-store',
        ...(cors ? { 'access-control-allow-origin': '*' } : {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/// A host on its own origin (another port) that serves `pages` ({ '/post.html': html, … }):
/// a blog that embeds the playground.
export async function host(pages) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const body = pages[path];
    // a blog has a favicon: the browser asks for it, and a 404 would be a console error
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (body === undefined) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  // "localhost" is another origin than 127.0.0.1, and a secure context like it
  return { url: `http://localhost:${server.address().port}/`, close: () => server.close() };
}
