// The side-by-side comparison of issue 22 (not a test): in one headless Chromium, a step of our
// page's sampler on the CPU path against onnxruntime-web running the same U-Net exported to ONNX
// (export_onnx.py), at the same work: a guided step at batch N is one U-Net forward at batch 2N.
// For each model and batch the two alternate (ROUNDS rounds), each in a fresh page:
//   - the tab: #widget=sampler&backend=cpu, DPM-Solver++ (one network call a step), guidance 2,
//     STEPS steps (STEPS_B1 at batch 1); the median of __playground.stepMs over the second half
//     of the chain. Twice:
//     in one worker (the page told the machine has one core), and with its pool of one worker
//     per core, which splits the grid (no cross-origin isolation needed);
//   - ORT-web, wasm execution provider, 1 thread: the median of 5–10 runs after a warm-up of at
//     least 3 runs and 2 s, on seeded inputs of the same shapes;
//   - ORT-web with a thread per core (in every round too): the page served cross-origin isolated
//     (COOP/COEP), which wasm threads need and an embed in a blog post cannot have;
//   - first, this core's wasm SIMD peak (peak.mjs), to read the GFLOP/s against; last, WebGPU
//     on both sides at batch 1 (on SwiftShader here: an emulated GPU).
// Prints JSON lines; run.sh turns them into docs/performance.md's table.
//
//   node bench.mjs DIST ONNX_DIR          (BENCH_MODELS, BENCH_BATCHES, BENCH_ROUNDS, BENCH_STEPS,
//                                          BENCH_STEPS_B1, BENCH_WEBGPU_MODELS)
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { serve } from '../../../tests/e2e/serve.mjs';
import { launch } from '../../../tests/e2e/browser.mjs';
import { peerServer } from './server.mjs';
import { simdPeak } from './peak.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const [DIST = join(HERE, '../../../dist'), ONNX = join(HERE, 'onnx')] = process.argv.slice(2);
const MODELS = (process.env.BENCH_MODELS ?? 'mnist-unet-cond,cifar10-unet-cond').split(',');
const BATCHES = (process.env.BENCH_BATCHES ?? '1,16,64').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
// the tab's chains: the second half of the steps is timed (V8 swaps in optimised code while the
// first ones run), as scripts/bench/sampler-browser.mjs does. At batch 1 a chain of 10 steps is
// over before that has happened (MNIST: 0.25 s; tab-ab.mjs with STEPS=40 showed the first 15–20
// steps at 15–190 ms, mostly 20–40, then a steady 14–16), while ORT gets at least 2 s of
// warm-up: batch 1 runs 40 steps.
const STEPS = Number(process.env.BENCH_STEPS ?? 10);
const STEPS_B1 = Number(process.env.BENCH_STEPS_B1 ?? 40);
const LIMIT_MS = Number(process.env.BENCH_LIMIT_S ?? 600) * 1000;
const ORT_VERSION = JSON.parse(readFileSync(join(HERE, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')).version;

// GFLOP per image of each U-Net's forward pass (scripts/flops.py: convolutions, linears and
// attention products)
const GFLOP = Object.fromEntries(execFileSync('python3', [join(HERE, '../../flops.py')], { encoding: 'utf8' })
  .split('\n').map((l) => /^([a-z0-9-]+): ([0-9.]+) GFLOP forward per image/.exec(l)).filter(Boolean).map((m) => [m[1], Number(m[2])]));

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/// onnxruntime-web on `model` at forward batch `b`: the median ms of `reps` runs.
/// `ep`: the execution provider, 'wasm' or 'webgpu'.
async function ort(browser, base, model, b, threads, reps, ep = 'wasm') {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}bench.html`);
    await page.addScriptTag({ url: `${base}ort/ort.${ep}.min.js` });
    return await page.evaluate(async ({ model, b, threads, reps, ep }) => {
      const ort = window.ort;
      ort.env.wasm.numThreads = threads;
      ort.env.wasm.wasmPaths = '/ort/';
      const session = await ort.InferenceSession.create(`/onnx/${model}.onnx`, { executionProviders: [ep], graphOptimizationLevel: 'all' });
      const meta = session.inputNames;
      // the input's shape from the model's own metadata is dynamic in the batch: read it from the name
      const [c, s] = model.startsWith('mnist') ? [1, 28] : [3, 32];
      let seed = 1;
      const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 - 0.5; };
      const feeds = {
        sample: new ort.Tensor('float32', Float32Array.from({ length: b * c * s * s }, rand), [b, c, s, s]),
        timestep: new ort.Tensor('float32', new Float32Array(b).fill(500), [b]),
      };
      if (meta.includes('class_labels')) feeds.class_labels = new ort.Tensor('int64', BigInt64Array.from({ length: b }, (_, i) => BigInt(i % 10)), [b]);
      // warm-up: V8 first runs a wasm module on its baseline compiler and swaps in optimised
      // code as the hot functions are compiled in the background (runs fall from 1.3 s to 0.6 s
      // at batch 32 here); at least three runs and two seconds
      const t0 = performance.now();
      // (on WebGPU the outputs come back to the CPU in each run, as the tab reads each step)
      for (let i = 0; i < 3 || performance.now() - t0 < 2000; i++) await session.run(feeds);
      const ms = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        await session.run(feeds);
        ms.push(performance.now() - t);
      }
      return { ms, isolated: self.crossOriginIsolated, threads: ort.env.wasm.numThreads };
    }, { model, b, threads, reps, ep });
  } finally {
    await page.close();
  }
}

/// Our page's sampler on the CPU path: the steps of the chain's second half; `cores`: what
/// navigator.hardwareConcurrency says (the pool has one worker per core), else the machine's.
async function tab(browser, base, model, n, cores, backend = 'cpu', steps = STEPS) {
  const page = await browser.newPage();
  if (cores) await page.addInitScript((c) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => c }), cores);
  try {
    await page.goto(`${base}#widget=sampler&backend=${backend}&autorun=1&model=${model}&n=${n}&steps=${steps}&sampler=dpm%2B%2B2m&guidance=2&class=mixed`);
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#app')?.dataset.status), null, { timeout: LIMIT_MS, polling: 20 });
    const r = await page.evaluate(() => ({ status: document.querySelector('#app').dataset.status, backend: document.querySelector('#app').dataset.backend, stepMs: Array.from(window.__playground.stepMs ?? []) }));
    if (r.status !== 'done' || r.backend !== backend) throw new Error(`the tab ended ${r.status} on ${r.backend}`);
    // the second half, less the chain's last entry: the final image, which takes no network call
    // (about 0 ms; left in, it pulled the median down)
    return r.stepMs.slice(Math.floor(steps / 2), -1);
  } finally {
    await page.close();
  }
}

const app = await serve(DIST);
const plain = await peerServer({ onnx: ONNX });
const isolated = await peerServer({ isolated: true, onnx: ONNX });
// WebGPU on: only the WebGPU rows use it (the CPU rows say backend=cpu)
const browser = await launch({ webgpu: true });
const ua = await (async () => { const p = await browser.newPage(); const v = await p.evaluate(() => navigator.userAgent); await p.close(); return v; })();
const CORES = await (async () => { const p = await browser.newPage(); const v = await p.evaluate(() => navigator.hardwareConcurrency); await p.close(); return v; })();
console.log(JSON.stringify({ kind: 'setup', onnxruntime_web: ORT_VERSION, browser: ua, cores: CORES, steps: STEPS, steps_b1: STEPS_B1, rounds: ROUNDS }));
// what one core can do at best (peak.mjs), against which the GFLOP/s below are read
console.log(JSON.stringify({ kind: 'peak', ...(await simdPeak(browser, plain.url)) }));
for (const model of MODELS) {
  for (const n of BATCHES) {
    const b = 2 * n;
    const reps = Math.max(5, Math.min(10, Math.round(64 / b)));
    const rounds = [];
    let two;
    const steps = n === 1 ? STEPS_B1 : STEPS;
    for (let r = 0; r < ROUNDS; r++) {
      const t = median(await tab(browser, app.url, model, n, 1, 'cpu', steps));
      const o = median((await ort(browser, plain.url, model, b, 1, reps)).ms);
      const p = median(await tab(browser, app.url, model, n, null, 'cpu', steps));
      // with every core (the key keeps its name from the 2-core machine it was written on);
      // every round, as the others: from one run to the next it moved by up to 1.5× here
      two = await ort(browser, isolated.url, model, b, CORES, reps);
      rounds.push({ tab_ms: t, ort1_ms: o, tab_pool_ms: p, ort2_ms: median(two.ms) });
    }
    const tabMs = median(rounds.map((r) => r.tab_ms));
    const poolMs = median(rounds.map((r) => r.tab_pool_ms));
    const ort1 = median(rounds.map((r) => r.ort1_ms));
    const ort2 = median(rounds.map((r) => r.ort2_ms));
    const gflop = GFLOP[model] * b;
    console.log(JSON.stringify({
      kind: 'unet', model, batch: n, forward_batch: b, steps, rounds,
      tab_ms: tabMs, ort_wasm_1t_ms: ort1, ort_wasm_2t_ms: ort2, ort_2t_isolated: two.isolated, ort_2t_threads: two.threads,
      tab_over_ort_1t: tabMs / ort1, tab_pool_ms: poolMs,
      // a grid of one guided image splits by the halves of its guided batch: two workers
      tab_pool_workers: n === 1 ? Math.min(CORES, 2) : Math.min(CORES, n),
      tab_pool_over_ort_best: poolMs / Math.min(ort1, ort2),
      tab_gflops: gflop / (tabMs / 1000), ort_1t_gflops: gflop / (ort1 / 1000),
    }));
  }
}
// WebGPU, both sides, once per model at batch 1 (BENCH_WEBGPU_MODELS; none: BENCH_WEBGPU_MODELS=).
// In headless Chromium here that is SwiftShader, a GPU emulated on the CPU: it shows that both
// run, and how they compare on the same emulator, not what a reader's GPU gets.
const adapter = await (async () => {
  const p = await browser.newPage();
  await p.goto(plain.url);
  const v = await p.evaluate(async () => { const a = await navigator.gpu?.requestAdapter(); return a ? { vendor: a.info?.vendor, architecture: a.info?.architecture, fallback: a.info?.isFallbackAdapter ?? null } : null; });
  await p.close();
  return v;
})();
for (const model of (process.env.BENCH_WEBGPU_MODELS ?? 'mnist-unet-cond').split(',').filter(Boolean)) {
  if (!adapter) break;
  // 4 steps: the emulated GPU takes about a second a step, and its first compiles the shaders
  const t = median(await tab(browser, app.url, model, 1, null, 'webgpu', 4));
  const o = median((await ort(browser, plain.url, model, 2, 1, 5, 'webgpu')).ms);
  console.log(JSON.stringify({ kind: 'webgpu', model, batch: 1, forward_batch: 2, adapter, tab_ms: t, ort_webgpu_ms: o, tab_over_ort: t / o }));
}
await browser.close();
app.close(); plain.close(); isolated.close();
