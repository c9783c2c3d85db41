// Benchmark (not a test): the image sampler in headless Chromium. Cold start (navigation → first
// finished image, with an empty cache and with the weights cached) and per-step latency of each
// shipped model at batch 1, 16 and 64 on the CPU and on WebGPU in the tab. Prints JSON lines;
// scripts/bench-sampler.sh divides them by the native figures of the same run.
import { serve } from '../../tests/e2e/serve.mjs';
import { launch } from '../../tests/e2e/browser.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIST = process.argv[2] ?? 'dist';
const BATCHES = (process.env.BENCH_BATCHES ?? '1,16,64').split(',').map(Number);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'cpu,webgpu').split(',');
const LIMIT_S = Number(process.env.BENCH_LIMIT_S ?? 240);
const MODELS = process.env.BENCH_MODELS?.split(','); // default: every generator in the manifest
// Steps per timed chain: the first (shader compiles, allocation) is left out of the median, or the
// first half when BENCH_STEPS > 5 (V8 compiles the hot wasm code while the first steps run; at
// batch 1 a short chain is timed mostly on its baseline code). The native side uses the same rule.
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const SKIP = STEPS > 5 ? Math.floor(STEPS / 2) : 1;
const server = await serve(DIST);
// the same files served as a static host would (hashed names immutable): the app's wasm then
// comes from the HTTP cache on a second visit, and V8 may reuse its compiled code
const hostLike = await serve(DIST, { cacheHashed: true });
const browser = await launch({ webgpu: true });
const manifest = JSON.parse(readFileSync(join(DIST, 'static/weights/manifest.json'), 'utf8'));
const generators = manifest.models.filter((m) => m.process && (!MODELS || MODELS.includes(m.id)));
const benchSampler = (m) => (m.process.type === 'sde' ? 'euler-maruyama' : 'dpm%2B%2B2m');

/// Navigates to the sampler with `hash` in `context`; returns ms to ready and to done, the hook.
async function run(context, hash, base = server.url) {
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(`${base}#widget=sampler&autorun=1&${hash}`);
  await page.waitForFunction(() => ['ready', 'sampling', 'done', 'error'].includes(document.querySelector('#app')?.dataset.status), null, { timeout: LIMIT_S * 1000, polling: 10 });
  const ready = Date.now() - t0;
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#app')?.dataset.status), null, { timeout: LIMIT_S * 1000, polling: 10 });
  const done = Date.now() - t0;
  const out = await page.evaluate(() => ({
    status: document.querySelector('#app').dataset.status,
    backend: document.querySelector('#app').dataset.backend,
    source: document.querySelector('#app').dataset.source,
    stepMs: Array.from(window.__playground.stepMs ?? []), computeMs: Array.from(window.__playground.computeMs ?? []),
    readMs: Array.from(window.__playground.readMs ?? []), finishedAtMs: window.__playground.finishedAtMs,
    loadMs: window.__playground.loadMs, totalMs: window.__playground.totalMs,
    // the cold start's phases (ms since navigation): performance marks the app sets, and when
    // the wasm file had arrived
    phases: Object.fromEntries([
      ...performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).map((e) => ['wasm-fetched', Math.round(e.responseEnd)]),
      // the first of each (the classifier's own cache read comes after the image)
      ...performance.getEntriesByType('mark').filter((e) => e.name.startsWith('playground:')).reverse().map((e) => [e.name.slice(11), Math.round(e.startTime)]),
    ]),
  }));
  await page.close();
  return { ready_ms: ready, done_ms: done, ...out };
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

for (const m of generators) {
  for (const backend of BACKENDS) {
    // cold start: a fresh profile (nothing cached), then a second visit in the same profile
    const context = await browser.newContext();
    const hash = `backend=${backend}&model=${m.id}&n=1&steps=10&sampler=${benchSampler(m)}`;
    try {
      const visits = [['empty', 'no-store', await run(context, hash)], ['cached', 'no-store', await run(context, hash)]];
      // then a fresh profile on the host-like server: first, second and third visit
      const hosted = await browser.newContext();
      for (const cache of ['empty', 'cached', 'cached again']) visits.push([cache, 'immutable', await run(hosted, hash, hostLike.url)]);
      await hosted.close();
      for (const [cache, http, r] of visits) {
        console.log(JSON.stringify({ kind: 'cold_start', model: m.id, backend: r.backend, cache, http, source: r.source, ready_ms: r.ready_ms, first_image_ms: r.finishedAtMs, done_ms: r.done_ms, load_ms: r.loadMs, sampling_ms: r.totalMs, phases: r.phases }));
      }
    } catch (e) {
      console.log(JSON.stringify({ kind: 'cold_start', model: m.id, backend, error: String(e).split('\n')[0] }));
    }
    for (const n of BATCHES) {
      try {
        const r = await run(context, `backend=${backend}&model=${m.id}&n=${n}&steps=${STEPS}&sampler=${benchSampler(m)}`);
        console.log(JSON.stringify({ kind: 'step', model: m.id, backend: r.backend, batch: n, steps: STEPS, timed: r.stepMs.length - SKIP, median_ms: median(r.stepMs.slice(SKIP)), compute_ms: median(r.computeMs.slice(SKIP)), read_ms: median(r.readMs.slice(SKIP)), first_ms: r.stepMs[0] }));
      } catch (e) {
        console.log(JSON.stringify({ kind: 'step', model: m.id, backend, batch: n, error: `no result in ${LIMIT_S} s` }));
      }
    }
    await context.close();
  }
}
await browser.close();
hostLike.close();
server.close();
