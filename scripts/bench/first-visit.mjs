// Benchmark (not a test): what a first visit downloads and how long it waits (issue 22, point 4).
//  1. sizes: raw, gzip -9 and brotli 11 of each build's wasm and JS, of what every visit loads
//     besides (page, loader, stylesheet, model list) and of the MNIST U-Net's weights;
//  2. a first visit with nothing cached, on a throttled network (Chrome DevTools Protocol:
//     20 Mbit/s down, 5 up, 40 ms round trip), served as a static host serves it (brotli where
//     the browser takes it, hashed files cacheable), on the CPU-only build (#backend=cpu):
//     navigation → the first step shown and → the MNIST grid finished, at the sampler's defaults
//     (16 images) and for one image of 10 steps; and the full build (#backend=webgpu) to its
//     model built, since sampling there runs on SwiftShader, a GPU emulated on the CPU, whose
//     time says nothing of a reader's GPU. ROUNDS fresh browser contexts each, alternating.
// Prints JSON lines.       node scripts/bench/first-visit.mjs [DIST]     (BENCH_ROUNDS, default 3)
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../../tests/e2e/serve.mjs';
import { launch } from '../../tests/e2e/browser.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = process.argv[2] ?? join(HERE, '../../dist');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NET = { offline: false, latency: 40, downloadThroughput: 20e6 / 8, uploadThroughput: 5e6 / 8 };
const LIMIT_MS = 300_000;

// a copy of the site with FILE.br and FILE.gz beside each compressible file
const site = mkdtempSync(join(tmpdir(), 'first-visit-'));
cpSync(DIST, site, { recursive: true });
execFileSync('node', [join(HERE, '../precompress.mjs'), site], { stdio: ['ignore', 'ignore', 'inherit'] });
const size = (f) => { try { return statSync(join(site, f)).size; } catch { return null; } };
const sizes = (files) => files.reduce((a, f) => ({ raw: a.raw + size(f), gzip: a.gzip + (size(`${f}.gz`) ?? size(f)), brotli: a.brotli + (size(`${f}.br`) ?? size(f)) }), { raw: 0, gzip: 0, brotli: 0 });
const names = readdirSync(site);
const one = (re) => { const m = names.filter((n) => re.test(n)); if (m.length !== 1) throw new Error(`expected one ${re} in ${DIST}, found ${m}`); return m[0]; };
const builds = {
  full: [one(/^playground-web-[0-9a-f]+\.js$/), one(/^playground-web-[0-9a-f]+_bg\.wasm$/)],
  cpu: [one(/^playground-web-cpu-[0-9a-f]+\.js$/), one(/^playground-web-cpu-[0-9a-f]+_bg\.wasm$/)],
  'cpu-relaxed': [one(/^playground-web-cpu-relaxed-[0-9a-f]+\.js$/), one(/^playground-web-cpu-relaxed-[0-9a-f]+_bg\.wasm$/)],
};
const manifest = JSON.parse(readFileSync(join(site, 'static/weights/manifest.json'), 'utf8'));
const mnist = manifest.models.find((m) => m.id === 'mnist-unet-cond');
const weightsFile = join('static/weights', mnist.file ?? mnist.weights ?? `${mnist.id}.safetensors`);
const common = ['index.html', 'playground.js', one(/^style-[0-9a-f]+\.css$/), 'static/weights/manifest.json'];
for (const [build, files] of Object.entries(builds)) {
  console.log(JSON.stringify({ kind: 'size', what: `${build} build (wasm + JS)`, ...sizes(files) }));
}
console.log(JSON.stringify({ kind: 'size', what: 'page, loader, stylesheet, model list', ...sizes(common) }));
console.log(JSON.stringify({ kind: 'size', what: 'MNIST U-Net weights (f16)', ...sizes([weightsFile]) }));

const server = await serve(site, { cacheHashed: true, precompressed: true });
const browser = await launch({ webgpu: true });

/// `build`: 'cpu' or 'full'; `hash`: the sampler's settings beyond the model. Returns ms from
/// navigation to the first step shown and to the grid finished (the CPU build), or to the model
/// built (the full build, whose sampling runs on the emulated GPU).
async function visit(build, hash = '') {
  const context = await browser.newContext(); // nothing cached
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', NET);
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  await page.goto(`${server.url}#widget=sampler&model=mnist-unet-cond&autorun=1&backend=${build === 'cpu' ? 'cpu' : 'webgpu'}${hash}`);
  const wait = (fn) => page.waitForFunction(fn, null, { timeout: LIMIT_MS, polling: 10 });
  let firstStep = null;
  if (build === 'cpu') {
    await wait(() => Number(document.querySelector('#app')?.dataset.step ?? 0) >= 1 || document.querySelector('#app')?.dataset.status === 'error');
    firstStep = await page.evaluate(() => Math.round(performance.now()));
    // the grid finished: the app's mark (the classifier's reading comes after it)
    await wait(() => performance.getEntriesByName('playground:image').length > 0 || document.querySelector('#app')?.dataset.status === 'error');
  } else {
    await wait(() => ['ready', 'sampling', 'done', 'error'].includes(document.querySelector('#app')?.dataset.status));
  }
  const r = await page.evaluate(() => ({
    status: document.querySelector('#app').dataset.status,
    build: document.documentElement.dataset.build,
    backend: document.querySelector('#app').dataset.backend,
    phases: Object.fromEntries([
      ...performance.getEntriesByType('resource').filter((e) => /\.wasm$/.test(e.name)).map((e) => ['wasm-fetched', Math.round(e.responseEnd)]),
      ...performance.getEntriesByType('resource').filter((e) => /mnist-unet-cond\.safetensors$/.test(e.name)).map((e) => ['weights-fetched', Math.round(e.responseEnd)]),
      ...performance.getEntriesByType('mark').filter((e) => e.name.startsWith('playground:')).reverse().map((e) => [e.name.slice(11), Math.round(e.startTime)]),
    ]),
  }));
  await context.close();
  if (r.status === 'error' || r.build !== build) throw new Error(`the ${build} visit ended ${r.status} on the ${r.build} build`);
  return { kind: 'first_visit', build, hash, first_step_ms: firstStep, image_ms: r.phases.image ?? null, model_ms: r.phases.model, page_bytes: bytes, ...r };
}

try {
  for (let i = 0; i < ROUNDS; i++) {
    // the page as a reader opens it (16 images), one image of 10 steps, and the full build
    for (const [build, hash] of [['cpu', ''], ['cpu', '&n=1&steps=10'], ['full', '']]) {
      console.log(JSON.stringify({ round: i, ...(await visit(build, hash)) }));
    }
  }
} finally {
  await browser.close();
  server.close();
  rmSync(site, { recursive: true, force: true });
}
