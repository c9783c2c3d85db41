// The peers' own static server for the comparison pages (not a test): onnxruntime-web's and
// TF.js's files from node_modules, the ONNX exports, and an empty page to run them in.
// `isolated` adds COOP/COEP: cross-origin isolation, which wasm threads need and which an embed
// in a blog post cannot have.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream' };

export async function peerServer({ isolated = false, onnx = join(HERE, 'onnx') } = {}) {
  const roots = {
    '/ort/': join(HERE, 'node_modules', 'onnxruntime-web', 'dist'),
    '/tf/': join(HERE, 'node_modules', '@tensorflow'),
    '/onnx/': onnx,
  };
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const headers = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
    if (path === '/' || path === '/bench.html') {
      return void res.writeHead(200, { 'content-type': 'text/html', ...headers }).end('<!doctype html><title>peers bench</title>');
    }
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    const file = prefix && normalize(join(roots[prefix], path.slice(prefix.length)));
    if (!file || !file.startsWith(normalize(roots[prefix]) + sep)) return void res.writeHead(404).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...headers }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}
