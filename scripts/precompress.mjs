// Writes FILE.br (brotli, quality 11) and FILE.gz (gzip -9) beside every compressible file of a
// built site, for static hosts that serve precompressed files (nginx `gzip_static` / `brotli_static`,
// Caddy `precompressed`, Netlify and others do it themselves). Weights (.safetensors) are left:
// float bits barely compress. Prints what each format saves. Usage: node scripts/precompress.mjs [dist]
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, extname } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const ROOT = process.argv[2] ?? 'dist';
const KINDS = new Set(['.wasm', '.js', '.css', '.html', '.json', '.svg', '.mjs']);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (KINDS.has(extname(name))) files.push(path);
  }
};
walk(ROOT);
let raw = 0, br = 0, gz = 0;
for (const path of files) {
  const body = readFileSync(path);
  const b = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  const g = gzipSync(body, { level: 9 });
  writeFileSync(`${path}.br`, b);
  writeFileSync(`${path}.gz`, g);
  raw += body.length; br += b.length; gz += g.length;
  if (body.length > 1e6) console.log(`${path}: ${(body.length / 1e6).toFixed(1)} MB → br ${(b.length / 1e6).toFixed(1)} MB, gz ${(g.length / 1e6).toFixed(1)} MB`);
}
console.log(`${files.length} files: ${(raw / 1e6).toFixed(1)} MB → br ${(br / 1e6).toFixed(1)} MB, gz ${(gz / 1e6).toFixed(1)} MB`);
